//! Command-line arguments (clap derive types only). Names are a public contract (README
//! "Usage"): never rename one.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "rdpaudit",
    version,
    about = "Why can't I Remote Desktop into this Azure VM, and who can?",
    long_about = "rdpaudit follows the path an RDP connection takes to each Windows VM in Azure \
(public IP / load-balancer NAT rule / classic endpoint → subnet NSG → NIC NSG → reply route → \
power state → guest) and says where it breaks and how to fix it. It also computes exactly which \
source addresses RDP is open to and flags Internet exposure.",
    after_help = "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 could not run, 3 incomplete.\n\
Try it without Azure: rdpaudit audit --demo"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Audit every Windows VM in scope.
    #[command(after_help = AUDIT_EXAMPLES)]
    Audit(AuditArgs),
    /// Check one VM by resource id, with the full path explained hop by hop.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Save what was read as a snapshot (`rdpaudit.snapshot/1`), to audit offline later.
    Collect(CollectArgs),
    /// Print the rule catalogue.
    Rules(RulesArgs),
    /// Explain one rule: what, why, how to fix, example.
    Explain(ExplainArgs),
    /// Print one VM's fixes, each proven on a patched copy of the data (or marked advice);
    /// --apply-to-snapshot writes that copy to audit it.
    #[command(after_help = FIX_EXAMPLES)]
    Fix(FixArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell) to standard output.
    #[command(
        after_help = "Example: rdpaudit completions bash > ~/.local/share/bash-completion/completions/rdpaudit"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output.
    #[command(after_help = "Example: rdpaudit man > ~/.local/share/man/man1/rdpaudit.1")]
    Man,
    /// Print the RDP reachability graph: VMs and source classes, who can RDP to whom.
    Graph(GraphArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: ShellArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

const AUDIT_EXAMPLES: &str = "Examples:
  rdpaudit audit --demo                          try it without Azure
  rdpaudit audit --summary                       one row per VM, worst first
  rdpaudit audit -g rg-web --vm 'web-*'          some VMs (live, snapshot or demo)
  rdpaudit audit --rule RDP801 -o tsv            only Internet-open RDP, like az -o tsv
  rdpaudit audit --client-ip 203.0.113.7         can I connect from this address?
  rdpaudit audit --snapshot estate.json -o json  offline, for scripts";

const CHECK_EXAMPLES: &str = "Examples:
  rdpaudit check --demo -g rg-app -n app-01
  rdpaudit check /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/NAME --probe";

const FIX_EXAMPLES: &str = "Examples:
  rdpaudit fix --demo -g rg-web -n web-01
  rdpaudit fix --demo -g rg-web -n web-01 --fix-format terraform
  rdpaudit fix --snapshot estate.json -g rg-web -n web-01 --apply-to-snapshot fixed.json
  rdpaudit audit --snapshot fixed.json --vm web-01";

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) eval: EvalArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// One VM: its full resource id, or `-g RG -n NAME` (live: in `--subscription` or the default one).
#[derive(Debug, Args)]
pub(crate) struct VmArgs {
    /// The VM's resource id (/subscriptions/…/providers/Microsoft.Compute/virtualMachines/NAME).
    #[arg(required_unless_present = "name", conflicts_with_all = ["name", "group"])]
    pub(crate) vm_resource_id: Option<String>,
    /// The VM's resource group (with -n, instead of the full id).
    #[arg(
        short = 'g',
        long = "resource-group",
        value_name = "RG",
        requires = "name"
    )]
    pub(crate) group: Option<String>,
    /// The VM's name (with -g, instead of the full id).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Live, with -g/-n: the VM's subscription (default: AZURE_SUBSCRIPTION_ID, else the one
    /// subscription the identity sees).
    #[arg(long = "subscription", value_name = "ID", requires = "group")]
    pub(crate) subscription: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct FixArgs {
    #[command(flatten)]
    pub(crate) vm: VmArgs,
    /// Write the data with this VM's proven fixes applied as a snapshot, to audit it.
    #[arg(long, value_name = "OUT.json")]
    pub(crate) apply_to_snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) eval: EvalArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) vm: VmArgs,
    /// Trace RDP from one source: another VM (resource id or name) or a CIDR, hop by hop, both
    /// directions' NSGs shown.
    #[arg(long, value_name = "VM|CIDR")]
    pub(crate) from: Option<String>,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) eval: EvalArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) eval: EvalArgs,
    /// Graph format.
    #[arg(short, long, value_enum, default_value_t = GraphFormat::Dot)]
    pub(crate) output: GraphFormat,
    /// More logging on stderr (repeatable).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// `rdpaudit graph -o …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// Graphviz (`dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// Nodes and edges as JSON.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct CollectArgs {
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Where to write the snapshot (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) guest: GuestArgs,
    /// More logging on stderr (repeatable).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Scope")]
pub(crate) struct ScopeArgs {
    /// Subscription to audit (repeatable). Default: AZURE_SUBSCRIPTION_ID or the only visible one.
    #[arg(long = "subscription", value_name = "ID")]
    pub(crate) subscriptions: Vec<String>,
    /// Every enabled subscription the identity can read.
    #[arg(long)]
    pub(crate) all_subscriptions: bool,
    /// Limit to these resource groups (repeatable; live, snapshot or demo).
    #[arg(short = 'g', long = "resource-group", value_name = "NAME")]
    pub(crate) resource_groups: Vec<String>,
    /// Limit to VMs whose name matches (repeatable; a glob such as 'web-*', case-insensitive).
    #[arg(long = "vm", value_name = "NAME|GLOB")]
    pub(crate) vms: Vec<String>,
    /// Every subscription under this management group (Resource Graph backend).
    #[arg(long, value_name = "ID")]
    pub(crate) management_group: Option<String>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Live")]
pub(crate) struct InputArgs {
    /// Audit the sample subscription compiled into the binary (no Azure needed).
    #[arg(long, conflicts_with = "snapshot", help_heading = "Scope")]
    pub(crate) demo: bool,
    /// Audit a saved snapshot offline (`-` reads standard input).
    #[arg(long, value_name = "FILE", help_heading = "Scope")]
    pub(crate) snapshot: Option<PathBuf>,
    /// How live data is collected.
    #[arg(long, value_enum, default_value_t = Backend::Arm)]
    pub(crate) backend: Backend,
    /// The Azure cloud.
    #[arg(long, value_enum, default_value_t = Cloud::Public)]
    pub(crate) cloud: Cloud,
    /// Override the cloud's ARM endpoint.
    #[arg(long, env = "RDPAUDIT_ARM_ENDPOINT", value_name = "URL")]
    pub(crate) arm_endpoint: Option<String>,
    /// Which credential to use.
    #[arg(long, value_enum, default_value_t = Auth::Auto)]
    pub(crate) auth: Auth,
    /// The most ARM requests in flight.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
    /// Also write what was read as a snapshot.
    #[arg(long, value_name = "FILE")]
    pub(crate) save_snapshot: Option<PathBuf>,
    /// Live runs stop after this long (e.g. 90s, 30m, 2h), report what was read, and exit 3.
    #[arg(long, default_value = "30m", value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) timeout: std::time::Duration,
}

/// `90s`, `30m`, `2h` (a bare number is seconds).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (n, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "{s:?}: use a number with s, m or h, e.g. 90s, 30m, 2h"
            ))
        }
    };
    match n.parse::<u64>() {
        Ok(v) if v > 0 => Ok(std::time::Duration::from_secs(v.saturating_mul(secs))),
        _ => Err(format!(
            "{s:?}: use a positive number with s, m or h, e.g. 90s, 30m, 2h"
        )),
    }
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Evaluation")]
pub(crate) struct EvalArgs {
    /// Evaluate as if the RDP client had this public address (IP or CIDR). Default: any Internet address.
    #[arg(long, value_name = "IP|CIDR")]
    pub(crate) client_ip: Option<String>,
    /// The RDP port to expect when the guest's real port is unknown.
    #[arg(long, default_value_t = 3389, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) port: u16,
    #[command(flatten)]
    pub(crate) guest: GuestArgs,
    /// Also test from this machine: resolve each public DNS name and open a TCP connection to
    /// each public RDP endpoint (nothing else is sent; docs/guest.md).
    #[arg(long)]
    pub(crate) probe: bool,
    /// Seconds to wait for each probe (DNS look-up or TCP connect).
    #[arg(long, default_value_t = 3, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=120))]
    pub(crate) probe_timeout: u64,
    /// Which findings to report.
    #[arg(long, value_enum, default_value_t = CategoryArg::All)]
    pub(crate) category: CategoryArg,
    /// Add the east-west section: per VM, the source classes and the VMs that can open RDP to
    /// it, with the deciding rules (RDP811 and RDP812 are evaluated either way).
    #[arg(long)]
    pub(crate) lateral: bool,
    /// VMs judged at a time, in whole network components (0: all at once). Tuning only: the
    /// report is the same for any value (docs/decisions.md D53).
    #[arg(long, hide = true, value_name = "N", default_value_t = crate::pipeline::BATCH_VMS)]
    pub(crate) batch_vms: usize,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Evaluation")]
pub(crate) struct GuestArgs {
    /// Also inspect the guest OS of each running Windows VM: runs a read-only PowerShell script
    /// through VM Run Command (needs Microsoft.Compute/virtualMachines/runCommand/action; tens of
    /// seconds per VM; docs/guest.md shows the script).
    #[arg(long)]
    pub(crate) guest: bool,
    /// Seconds one VM's Run Command may take before it is reported as not inspected.
    #[arg(long, default_value_t = 300, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=5400))]
    pub(crate) guest_timeout: u64,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub(crate) output: Format,
    /// Table: print only the overview, one row per VM, worst first.
    #[arg(long)]
    pub(crate) summary: bool,
    /// Report only these rules (repeatable), e.g. --rule RDP801 --rule RDP401.
    #[arg(long = "rule", value_name = "ID")]
    pub(crate) rules: Vec<String>,
    /// Exit 1 when an unsuppressed finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Medium)]
    pub(crate) fail_on: FailOn,
    /// Accepted findings: a JSON file of {rule, resource glob, reason, expires} (docs/nightly.md).
    #[arg(long, value_name = "FILE")]
    pub(crate) suppress: Option<PathBuf>,
    /// A JSON report of an earlier run: mark findings new/unchanged, list resolved ones, and show
    /// per VM how its reachable sources changed (docs/nightly.md).
    #[arg(long, value_name = "PREVIOUS.json")]
    pub(crate) baseline: Option<PathBuf>,
    /// With --baseline: only new findings at or above --fail-on fail the run.
    #[arg(long, requires = "baseline")]
    pub(crate) fail_on_new: bool,
    /// Add a per-control pass/fail summary of a compliance framework, e.g. cis-azure-3.0,
    /// mcsb-1, pci-dss-4.0, nist-800-53-r5 (`rdpaudit rules -o json` lists them; docs/compliance.md).
    #[arg(long, value_name = "ID")]
    pub(crate) framework: Option<String>,
    /// How fixes are printed: Azure CLI commands, `az rest` with the ARM body, or Terraform.
    #[arg(long, value_enum, default_value_t = FixFormatArg::Az)]
    pub(crate) fix_format: FixFormatArg,
    /// When to use colour (NO_COLOR always turns it off).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub(crate) color: ColorArg,
    /// Print nothing but errors (the exit code still tells).
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// More logging on stderr (repeatable).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = RulesFormat::Table)]
    pub(crate) output: RulesFormat,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// A rule id such as RDP401.
    pub(crate) rule_id: String,
    /// How the fix is shown: the rule's Azure CLI text, or its typed fix as `az rest` with the
    /// ARM body or as Terraform, on an example resource.
    #[arg(long, value_enum, default_value_t = FixFormatArg::Az)]
    pub(crate) fix_format: FixFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Backend {
    Arm,
    Graph,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Cloud {
    Public,
    China,
    Usgov,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Auth {
    Auto,
    Env,
    WorkloadIdentity,
    ManagedIdentity,
    Cli,
    Azd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CategoryArg {
    Connectivity,
    Exposure,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Csv,
    Sarif,
    Markdown,
    Html,
    /// Like the Azure CLI's: no header, tab-separated, the columns of csv.
    Tsv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RulesFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FixFormatArg {
    Az,
    Arm,
    Terraform,
}

impl From<FixFormatArg> for crate::report::FixFormat {
    fn from(f: FixFormatArg) -> Self {
        match f {
            FixFormatArg::Az => crate::report::FixFormat::Az,
            FixFormatArg::Arm => crate::report::FixFormat::Arm,
            FixFormatArg::Terraform => crate::report::FixFormat::Terraform,
        }
    }
}

impl GraphArgs {
    /// The output settings the graph's audit runs with: nothing printed, no fix proven (the
    /// graph shows no fix), nothing filtered.
    pub(crate) fn quiet_output(&self) -> OutputArgs {
        OutputArgs {
            output: Format::Table,
            summary: true,
            rules: Vec::new(),
            fail_on: FailOn::Never,
            suppress: None,
            baseline: None,
            fail_on_new: false,
            framework: None,
            fix_format: FixFormatArg::Az,
            color: ColorArg::Never,
            quiet: true,
            verbose: self.verbose,
        }
    }
}
