# rdpaudit guest inspection, output format rdpaudit.guest/1 (see docs/guest.md in rdpaudit).
# Run by Azure Run Command (RunPowerShellScript) as SYSTEM; Windows PowerShell 5.1 or PowerShell 7.
# READ-ONLY. It reads: the RDP-Tcp registry values, fDenyTSConnections (local and group policy),
# the TermService service, the TCP listeners on the RDP port, and the Windows Firewall (profiles
# of the active policy, categories of the connected networks, enabled inbound rules that cover
# the RDP port for TermService). It changes no setting, starts or stops nothing and writes no file.
# Output: exactly one line of compact JSON, kept under 4 KB (Run Command keeps the last 4,096
# bytes of stdout), non-ASCII escaped:
#   {"schema":"rdpaudit.guest/1",
#    "rdpTcp":{"portNumber","securityLayer","userAuthentication","fEnableWinStation"},
#    "fDenyTSConnections":{"local","policy"}, "termService":{"status","startType"},
#    "listeners":[{"address","port"}],
#    "firewall":{"profiles":[{"name","enabled","defaultInboundAction","allowInboundRules","active"}],
#                "allowRules":[R],"blockRules":[R]},   R = {"name","displayName","profiles":[],
#                                                          "localPorts":[],"remoteAddresses":[]}
#    "errors":["what: why"]}
# A part that cannot be read is null and the reason is in "errors"; the line is always printed.

$ProgressPreference = 'SilentlyContinue'
$ErrorActionPreference = 'Stop'   # every probe below runs in its own try/catch
$errs = @()
function Cut($s, [int]$n) { if ($null -eq $s) { return $null }; $s = [string]$s; if ($s.Length -gt $n) { $s.Substring(0, $n) } else { $s } }
function Note([string]$what, $e) {
    $m = if ($e -is [System.Management.Automation.ErrorRecord]) { $e.Exception.Message } else { [string]$e }
    $script:errs += ,(Cut ($what + ': ' + ($m -replace '\s+', ' ').Trim()) 160)
}
function NotFound($e) { [string]$e.CategoryInfo.Category -eq 'ObjectNotFound' }
function Val($item, [string]$name) { $p = $item.PSObject.Properties[$name]; if ($null -ne $p) { $p.Value } }
function Strs($v, [int]$max) { @($v) | Where-Object { $null -ne $_ -and "$_" -ne '' } | Select-Object -First $max | ForEach-Object { Cut $_ 64 } }
function PortIn($ports, [int]$port) {
    foreach ($p in @($ports)) {
        $s = [string]$p
        if ($s -eq 'Any') { return $true }
        if ($s -match '^(\d+)-(\d+)$') { if ($port -ge [int]$Matches[1] -and $port -le [int]$Matches[2]) { return $true } }
        elseif ($s -match '^\d+$' -and [int]$s -eq $port) { return $true }
    }
    $false
}
function Index($items) { $h = @{}; foreach ($i in @($items)) { if ($null -ne $i) { $h[[string]$i.InstanceID] = $i } }; $h }
function ForRdp($af, $sf) {   # a rule scoped to a program, app package or service must be TermService's
    $prog = [string]$af.Program; $svc = [string]$sf.Service
    ($prog -eq '' -or $prog -eq 'Any' -or $prog -like '*\svchost.exe') -and ([string]$af.Package -notlike 'S-*') -and
    ($svc -eq '' -or $svc -eq 'Any' -or $svc -eq 'TermService')
}
function RuleObj($r, $pf) {
    $ra = $null
    try { $ra = @(Strs ($r | Get-NetFirewallAddressFilter).RemoteAddress 4) } catch { }
    [ordered]@{ name = Cut $r.Name 64; displayName = Cut $r.DisplayName 64
        profiles = @(Strs (([string]$r.Profile) -split ',\s*') 3); localPorts = @(Strs $pf.LocalPort 8); remoteAddresses = $ra }
}

$port = $null; $rdpTcp = $null
try {
    $k = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
    $rdpTcp = [ordered]@{ portNumber = Val $k 'PortNumber'; securityLayer = Val $k 'SecurityLayer'
        userAuthentication = Val $k 'UserAuthentication'; fEnableWinStation = Val $k 'fEnableWinStation' }
    if ($null -eq $rdpTcp.portNumber) { throw 'PortNumber is absent' }
    $p = [int]$rdpTcp.portNumber
    if ($p -lt 1 -or $p -gt 65535) { throw "PortNumber $p is not a TCP port" }
    $port = $p
} catch { Note 'rdpTcp' $_ }

$deny = $null
try {
    $local = Val (Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server') 'fDenyTSConnections'
    $policy = $null
    $pk = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services'
    if (Test-Path -Path $pk) { $policy = Val (Get-ItemProperty -Path $pk) 'fDenyTSConnections' }
    $deny = [ordered]@{ local = $local; policy = $policy }
} catch { Note 'fDenyTSConnections' $_ }

$svc = $null
try {
    $s = Get-Service -Name TermService
    $svc = [ordered]@{ status = Cut $s.Status 32; startType = Cut $s.StartType 32 }
} catch { Note 'termService' $_ }

$listeners = $null
if ($null -eq $port) { Note 'listeners' 'skipped, the RDP port is unknown' } else {
    try {
        if (Get-Command -Name Get-NetTCPConnection -ErrorAction SilentlyContinue) {
            $c = @()
            try { $c = @(Get-NetTCPConnection -State Listen -LocalPort $port) } catch { if (-not (NotFound $_)) { throw } }
            $listeners = @($c | Select-Object -First 8 | ForEach-Object { [ordered]@{ address = [string]$_.LocalAddress; port = [int]$_.LocalPort } })
        } else {
            $listeners = @(netstat -ano | ForEach-Object {
                if ($_ -match '^\s*TCP\s+(\S+):(\d+)\s+(?:0\.0\.0\.0:0|\[::\]:0)\s' -and [int]$Matches[2] -eq $port) {
                    [ordered]@{ address = $Matches[1].Trim('[', ']'); port = [int]$Matches[2] }
                } } | Select-Object -First 8)
        }
    } catch { Note 'listeners' $_ }
}

$fw = $null
if ($null -eq $port) { Note 'firewall' 'skipped, the RDP port is unknown' } else {
    try {
        $active = @()
        try {
            $cat = @{ DomainAuthenticated = 'Domain'; Private = 'Private'; Public = 'Public' }
            $active = @(Get-NetConnectionProfile | ForEach-Object { $cat[[string]$_.NetworkCategory] } | Where-Object { $_ })
        } catch { if (-not (NotFound $_)) { Note 'activeProfile' $_ } }
        $profiles = @(Get-NetFirewallProfile -PolicyStore ActiveStore | ForEach-Object {
                [ordered]@{ name = [string]$_.Name; enabled = ([string]$_.Enabled -ne 'False')
                    defaultInboundAction = [string]$_.DefaultInboundAction
                    allowInboundRules = ([string]$_.AllowInboundRules -ne 'False'); active = ($active -contains [string]$_.Name) } })
        $ports = Index (Get-NetFirewallPortFilter -PolicyStore ActiveStore)
        $apps = Index (Get-NetFirewallApplicationFilter -PolicyStore ActiveStore)
        $svcs = Index (Get-NetFirewallServiceFilter -PolicyStore ActiveStore)
        $rules = @()
        try { $rules = @(Get-NetFirewallRule -PolicyStore ActiveStore -Direction Inbound -Enabled True) } catch { if (-not (NotFound $_)) { throw } }
        $allow = @(); $block = @()
        foreach ($r in $rules) {
            $id = [string]$r.InstanceID; $pf = $ports[$id]
            if ($null -eq $pf) { $pf = $r | Get-NetFirewallPortFilter }
            if (@('TCP', '6', 'Any') -notcontains [string]$pf.Protocol -or -not (PortIn $pf.LocalPort $port)) { continue }
            if (-not (ForRdp $apps[$id] $svcs[$id])) { continue }
            $m = @{ r = $r; pf = $pf }
            if ([string]$r.Action -eq 'Allow') { $allow += , $m } elseif ([string]$r.Action -eq 'Block') { $block += , $m }
        }
        if ($allow.Count -gt 8 -or $block.Count -gt 8) { Note 'firewall' "$($allow.Count) allow and $($block.Count) block rules match, 8 of each listed" }
        $anyFirst = { [string]$_.r.Profile -ne 'Any' }   # rules for every profile first
        $fw = [ordered]@{ profiles = $profiles
            allowRules = @($allow | Sort-Object $anyFirst | Select-Object -First 8 | ForEach-Object { RuleObj $_.r $_.pf })
            blockRules = @($block | Sort-Object $anyFirst | Select-Object -First 8 | ForEach-Object { RuleObj $_.r $_.pf }) }
    } catch { Note 'firewall' $_ }
}

$out = [ordered]@{ schema = 'rdpaudit.guest/1'; rdpTcp = $rdpTcp; fDenyTSConnections = $deny; termService = $svc
    listeners = $listeners; firewall = $fw; errors = @() }
function ToJson {
    $out.errors = @($errs | Select-Object -First 8)
    $j = ConvertTo-Json -InputObject $out -Compress -Depth 6
    [regex]::Replace($j, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
}
$json = $null
try {
    $json = ToJson
    if ($json.Length -gt 3800 -and $null -ne $fw) {   # too long for Run Command: details first, then the rules
        foreach ($r in @($fw.allowRules) + @($fw.blockRules)) { $r.displayName = $null; $r.remoteAddresses = $null }
        Note 'output' 'rule displayName and remoteAddresses dropped to stay under 4 KB'
        $json = ToJson
        if ($json.Length -gt 3800) { $out.firewall = $null; Note 'firewall' 'too many matching rules to report in 4 KB'; $json = ToJson }
    }
} catch { $json = $null; Note 'output' $_ }
if ($null -eq $json -or $json.Length -gt 4000) {
    $json = '{"schema":"rdpaudit.guest/1","rdpTcp":null,"fDenyTSConnections":null,"termService":null,"listeners":null,"firewall":null,"errors":["output: the result could not be written as JSON"]}'
}
Write-Output $json
