#!/usr/bin/env python3
"""Generate a large, varied, realistic `rdpaudit.snapshot/1` document for benchmarks.

    python3 scripts/gen-snapshot.py --vms 10000 [--subscriptions 1] [--seed 1] --out FILE

Standard library only. The output is deterministic for given arguments and follows product spec
section 4 (docs/schemas/snapshot.schema.json).

Shapes follow what ARM GET returns (Microsoft.Network 2025-07-01, Microsoft.Compute 2025-04-01 with
$expand=instanceView; see tests/fixtures/arm/). A share of the resources (--full-fraction, default
20%) has the full shape of recorded live traffic (etag/type on child objects, NSG rules with both
the singular fields and the empty plural arrays, newer optional keys); the rest has the leaner shape
of the official examples. The six default rules are in exact ARM form, reverse links are filled in
(subnet.ipConfigurations, nsg.subnets / nsg.networkInterfaces, routeTable.subnets,
publicIP.ipConfiguration, backendPool.backendIPConfigurations, frontend.inboundNatRules), and every
reference resolves to an object of the snapshot with exactly the same id string (the only
exception: the OS disks' managedDisk ids, as Microsoft.Compute/disks is not collected).

Ratios at --vms 10000 (product spec section 6): 10,000 VMs (~10% Linux; ~85% running, the rest
deallocated / stopped / starting / stopping / deallocating / hibernated / no power state), ~10.5k
NICs (~5% of the VMs have a second NIC), ~7k public IPs (mostly Standard/Static, some Basic, Basic
dynamic ones on deallocated VMs without an address), ~1.9k NSGs of 14-26 (avg 20) custom rules
plus the six default rules, 500 VNets of 4-10 subnets (~half with an NSG, ~30% with a route table,
some 0.0.0.0/0 -> VirtualAppliance), ~2.5k NICs with a NIC-level NSG, ~650 ASGs, ~530 route tables,
20 load balancers with inbound NAT rules bound to NIC ipconfigs, 5 bastion hosts, and guest facts
for ~150 VMs.

Size at --vms 10000: about 99 MB with the default --indent 1, about 79 MB with --indent 0 (compact,
one resource per line). Product spec section 6 estimates "~65 MB" for this estate; with ARM's real
resource shapes (a security rule alone is ~500 bytes, its id ~170) the same counts come out larger.
Generation of 10k VMs takes ~8 s, of 50k ~50 s.
"""

import argparse
import gc
import json
import os
import random
import sys
import time

LOCATIONS = [
    "westeurope", "northeurope", "eastus", "eastus2", "westus2", "centralus",
    "uksouth", "francecentral", "germanywestcentral", "southeastasia", "japaneast",
    "australiaeast", "canadacentral", "swedencentral",
]
LOC_SHORT = {
    "westeurope": "weu", "northeurope": "neu", "eastus": "eus", "eastus2": "eus2",
    "westus2": "wus2", "centralus": "cus", "uksouth": "uks", "francecentral": "frc",
    "germanywestcentral": "gwc", "southeastasia": "sea", "japaneast": "jpe",
    "australiaeast": "aue", "canadacentral": "cac", "swedencentral": "sdc",
}
APPS = [
    "erp", "crm", "web", "sql", "ad", "files", "print", "rds", "avd", "sap", "hr", "pay",
    "mes", "scada", "bi", "etl", "jump", "mgmt", "build", "ci", "mail", "portal", "api",
    "dms", "gis", "lab", "test", "backup", "monitor", "citrix",
]
ENVS = ["prod", "prod", "prod", "dev", "test", "uat", "qa", "dr"]
OWNERS = ["platform", "infra", "appteam-a", "appteam-b", "finance-it", "security", "data"]
WORKLOAD_SUBNETS = [
    "snet-web", "snet-app", "snet-data", "snet-mgmt", "snet-jump", "snet-avd", "snet-sql",
    "snet-backend", "snet-frontend", "snet-shared", "snet-build", "snet-test", "default",
    "snet-dmz", "snet-ad",
]
WINDOWS_IMAGES = [
    ("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition", "20348.2762.241006"),
    ("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-g2", "20348.2849.241109"),
    ("MicrosoftWindowsServer", "WindowsServer", "2019-datacenter-gensecond", "17763.6414.241004"),
    ("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter", "17763.6532.241101"),
    ("MicrosoftWindowsServer", "WindowsServer", "2016-Datacenter", "14393.7428.241004"),
    ("MicrosoftWindowsServer", "WindowsServer", "2025-datacenter-azure-edition", "26100.2314.241107"),
    ("MicrosoftWindowsServer", "WindowsServer", "2012-R2-Datacenter", "9600.21620.231004"),
    ("MicrosoftWindowsDesktop", "windows-11", "win11-23h2-avd", "22631.4460.241106"),
    ("MicrosoftSQLServer", "sql2019-ws2019", "standard", "15.0.241011"),
]
WINDOWS_OS = {
    "2022": ("Windows Server 2022 Datacenter", "Microsoft Windows NT 10.0.20348.0"),
    "2019": ("Windows Server 2019 Datacenter", "Microsoft Windows NT 10.0.17763.0"),
    "2016": ("Windows Server 2016 Datacenter", "Microsoft Windows NT 10.0.14393.0"),
    "2025": ("Windows Server 2025 Datacenter", "Microsoft Windows NT 10.0.26100.0"),
    "2012": ("Windows Server 2012 R2 Datacenter", "Microsoft Windows NT 6.3.9600.0"),
    "win11": ("Windows 11 Enterprise multi-session", "Microsoft Windows NT 10.0.22631.0"),
}
LINUX_IMAGES = [
    ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "22.04.202411060", "ubuntu", "22.04"),
    ("Canonical", "ubuntu-24_04-lts", "server", "24.04.202411030", "ubuntu", "24.04"),
    ("RedHat", "RHEL", "9-lvm-gen2", "9.4.2024091915", "redhat", "9.4"),
    ("Debian", "debian-12", "12-gen2", "0.20241004.1890", "debian", "12"),
]
VM_SIZES = [
    "Standard_D2s_v5", "Standard_D4s_v5", "Standard_D8s_v5", "Standard_B2ms", "Standard_B2s",
    "Standard_E4s_v5", "Standard_D2as_v5", "Standard_F4s_v2", "Standard_DS2_v2", "Standard_D4ds_v5",
]
PUBLIC_BASES = [
    (20, 61), (20, 86), (20, 105), (20, 160), (20, 229), (40, 114), (40, 118), (51, 105),
    (51, 124), (52, 136), (52, 174), (13, 69), (13, 81), (104, 45), (104, 208), (4, 210),
    (4, 245), (172, 201), (98, 64), (135, 225),
]
CLIENT_FIRST_OCTETS = [24, 62, 66, 73, 80, 81, 85, 91, 94, 98, 145, 176, 185, 193, 212, 217]

DEFAULT_RULES = [
    ("AllowVnetInBound", "Allow inbound traffic from all VMs in VNET",
     "VirtualNetwork", "VirtualNetwork", "Allow", 65000, "Inbound"),
    ("AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer",
     "AzureLoadBalancer", "*", "Allow", 65001, "Inbound"),
    ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
    ("AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET",
     "VirtualNetwork", "VirtualNetwork", "Allow", 65000, "Outbound"),
    ("AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet",
     "*", "Internet", "Allow", 65001, "Outbound"),
    ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
]


# Optional keys that only some responses carry (newer api-versions, list vs GET, live traffic vs
# the official examples). A "lean" resource drops them, as the official examples do.
LEAN_DROP = frozenset([
    "resourceGuid", "hostedWorkloads", "tapConfigurations", "nicType", "auxiliaryMode",
    "auxiliarySku", "disableTcpStateTracking", "vnetEncryptionSupported", "ipTags", "ddosSettings",
    "privateIPAddressVersion", "exactVersion", "diskControllerType", "deleteOption", "patchSettings",
    "enableVMAgentPlatformUpdates", "requireGuestProvisionSignal", "securityProfile", "timeCreated",
    "disks", "privateEndpointNetworkPolicies", "privateLinkServiceNetworkPolicies",
    "delegations", "enableDestinationServiceEndpoint", "allowBackendPortConflict",
    "privateEndpointVNetPolicies", "extensionHandlers", "hyperVGeneration",
])
PLURAL_RULE_KEYS = ("sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes",
                    "destinationAddressPrefixes")


def ref(rid):
    return {"id": rid}


def lean(o, depth=0):
    """Turn a live-traffic-shaped resource into the leaner shape of the official examples:
    no etag/type on child objects, no empty plural rule fields (and no "" singular beside an
    ASG list), none of the optional keys in LEAN_DROP."""
    if type(o) is dict:
        for k in LEAN_DROP.intersection(o):
            del o[k]
        if depth and "id" in o:
            o.pop("etag", None)
            o.pop("type", None)
        if "priority" in o:  # security rule properties
            for k in PLURAL_RULE_KEYS:
                if o.get(k) == []:
                    del o[k]
            for k in ("sourceAddressPrefix", "destinationAddressPrefix"):
                if o.get(k) == "":
                    del o[k]
        elif "macAddress" in o:  # NIC properties: drop the DNS settings block
            o.pop("dnsSettings", None)
        for v in o.values():
            if type(v) is dict or type(v) is list:
                lean(v, depth + 1)
    else:
        for v in o:
            if type(v) is dict or type(v) is list:
                lean(v, depth + 1)
    return o


class Gen:
    def __init__(self, n_vms, n_subs, seed, full_fraction=0.2):
        self.full_fraction = full_fraction
        self.n_vms = n_vms
        self.n_subs = n_subs
        self.rng = random.Random(seed)
        self.pip_counter = 0
        self.mac_counter = 0
        self.names = set()
        # resources by type, in output order
        self.vms, self.nics, self.pips, self.nsgs, self.vnets = [], [], [], [], []
        self.rts, self.lbs, self.bastions, self.asgs = [], [], [], []
        self.guest = {}

    # ---- small helpers -------------------------------------------------------------------
    def uuid(self):
        h = "%032x" % self.rng.getrandbits(128)
        return "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16],
                                    "89ab"[int(h[16], 16) & 3] + h[17:20], h[20:32])

    def etag(self):
        return 'W/"%s"' % self.uuid()

    def unique(self, name):
        """A name not used before in this snapshot (names need only be unique per RG and
        type, but globally unique names keep ids trivially unique)."""
        base, n = name, 1
        while name in self.names:
            n += 1
            name = "%s-%d" % (base, n)
        self.names.add(name)
        return name

    def public_ip(self):
        i = self.pip_counter
        self.pip_counter += 1
        a, b = PUBLIC_BASES[i % len(PUBLIC_BASES)]
        host = i // len(PUBLIC_BASES)
        return "%d.%d.%d.%d" % (a, b, (host // 250) % 256, host % 250 + 2)

    def mac(self):
        self.mac_counter += 1
        v = 0x000D3A000000 + self.mac_counter * 7919 % 0xFFFFFF
        s = "%012X" % v
        return "-".join(s[i:i + 2] for i in range(0, 12, 2))

    def client_cidr(self):
        r = self.rng
        a = r.choice(CLIENT_FIRST_OCTETS)
        kind = r.random()
        if kind < 0.45:
            return "%d.%d.%d.0/24" % (a, r.randrange(256), r.randrange(256))
        if kind < 0.65:
            return "%d.%d.%d.%d/%d" % (a, r.randrange(256), r.randrange(256),
                                        r.randrange(0, 256, 16), 28)
        if kind < 0.75:
            return "%d.%d.0.0/16" % (a, r.randrange(256))
        if kind < 0.85:
            return r.choice(["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"])
        return self.client_ip()

    def client_ip(self):
        r = self.rng
        return "%d.%d.%d.%d" % (r.choice(CLIENT_FIRST_OCTETS), r.randrange(256),
                                r.randrange(256), r.randrange(1, 255))

    def tags(self, app, env):
        t = {"env": env, "app": app, "owner": self.rng.choice(OWNERS)}
        if self.rng.random() < 0.4:
            t["costCenter"] = "CC-%04d" % self.rng.randrange(1000, 9999)
        return t

    @staticmethod
    def rid(sub, rg, kind, name):
        return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (sub, rg, kind, name)

    # ---- plan ----------------------------------------------------------------------------
    def build(self):
        r = self.rng
        n = self.n_vms
        self.subs = []
        for i in range(self.n_subs):
            self.subs.append({
                "subscriptionId": self.uuid(),
                "displayName": "%s-%02d" % (r.choice(["Contoso", "Fabrikam", "Northwind"]) +
                                            "-" + r.choice(["Prod", "NonProd", "Shared", "Corp"]), i + 1),
                "state": "Enabled",
            })
        n_vnets = max(self.n_subs, round(n / 20), 1)
        n_lbs = max(1, n // 500) if n >= 20 else 0
        n_bastions = max(1, n // 2000) if n >= 20 else 0
        vnets = [self.plan_vnet(i) for i in range(n_vnets)]
        self.vnet_plans = vnets
        for v in r.sample(vnets, min(n_bastions, len(vnets))):
            v["bastion"] = True
            self.add_special_subnet(v, "AzureBastionSubnet", 26)
        for v in vnets:
            self.finish_vnet(v)
        # VMs to VNets, weighted so that some VNets are busy and some nearly empty.
        weights = [r.uniform(0.2, 2.0) for _ in vnets]
        for v, w in zip(vnets, weights):
            v["weight"] = w
        cum, acc = [], 0.0
        for w in weights:
            acc += w
            cum.append(acc)
        placement = [[] for _ in vnets]
        for i in range(n):
            placement[self.bisect(cum, r.random() * acc)].append(i)
        lb_vnets = set(id(v) for v in r.sample(vnets, min(n_lbs, len(vnets))))
        for v, idxs in zip(vnets, placement):
            behind_lb = set()
            if id(v) in lb_vnets and idxs:
                k = min(len(idxs), r.randint(4, 16))
                behind_lb = set(r.sample(idxs, k))
            vms_here = [self.make_vm(v, i, i in behind_lb) for i in idxs]
            if behind_lb:
                self.make_lb(v, [m for m in vms_here if m["behindLb"]])
        self.orphans(vnets)
        self.backfill()

    @staticmethod
    def bisect(cum, x):
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def plan_vnet(self, i):
        r = self.rng
        sub = self.subs[i % self.n_subs]["subscriptionId"]
        loc = r.choice(LOCATIONS)
        short = LOC_SHORT[loc]
        env = r.choice(ENVS)
        net_rg = "rg-network-%s-%s" % (env, short)
        if r.random() < 0.3:
            net_rg = "rg-net-%s-%03d" % (short, i)
        name = self.unique("vnet-%s-%s-%03d" % (env, short, i))
        block = i % 4096  # a /20 per VNet inside 10.0.0.0/8
        a, b = block >> 4, (block & 15) << 4
        n_apps = r.randint(1, 3)
        apps = [r.choice(APPS) for _ in range(n_apps)]
        app_rgs = ["rg-%s-%s-%s-%03d" % (app, env, short, i) for app in apps]
        v = {
            "sub": sub, "loc": loc, "short": short, "env": env, "rg": net_rg, "name": name,
            "id": self.rid(sub, net_rg, "Microsoft.Network/virtualNetworks", name),
            "a": a, "b": b, "next_third": b, "subnets": [], "apps": apps, "app_rgs": app_rgs,
            "etag": self.etag(), "bastion": False, "asgs": [], "nic_nsgs": [],
            "dns_suffix": "%x" % r.getrandbits(104),
        }
        n_subnets = r.randint(4, 10)
        specials = []
        if r.random() < 0.12:
            specials.append(("GatewaySubnet", 27))
            v["gateway"] = True
        if r.random() < 0.05:
            specials.append(("AzureFirewallSubnet", 26))
        names = r.sample(WORKLOAD_SUBNETS, max(1, n_subnets - len(specials) - 1))
        for sn in names:
            self.add_subnet(v, sn, 24, workload=True)
        for sn, plen in specials:
            self.add_special_subnet(v, sn, plen)
        return v

    def add_subnet(self, v, name, plen, workload):
        third = v["next_third"]
        v["next_third"] += 1
        s = {
            "name": name, "id": v["id"] + "/subnets/" + name,
            "prefix": "10.%d.%d.0/%d" % (v["a"], third, plen), "third": third,
            "workload": workload, "next_host": 4, "nsg": None, "rt": None, "ipconfigs": [],
            "weight": self.rng.uniform(0.3, 2.0),
        }
        v["subnets"].append(s)
        return s

    def add_special_subnet(self, v, name, plen):
        return self.add_subnet(v, name, plen, workload=False)

    def finish_vnet(self, v):
        """NSGs, route tables and ASGs of one VNet (created before the VMs, filled later)."""
        r = self.rng
        sub, loc, short, env = v["sub"], v["loc"], v["short"], v["env"]
        hub_fw = "10.%d.%d.4" % (v["a"], v["b"] + 15)
        rt_shared = None
        for s in v["subnets"]:
            if not s["workload"]:
                continue
            if r.random() < 0.5:
                s["nsg"] = self.make_nsg(v, v["rg"], "nsg-%s-%s" % (v["name"][5:], s["name"]),
                                         subnet=s)
            if r.random() < 0.28:
                if rt_shared is None or r.random() < 0.3:
                    rt_shared = self.make_rt(v, hub_fw)
                s["rt"] = rt_shared
        # ASGs of this VNet (members: NIC ipconfigs of this VNet).
        for _ in range(r.choice([0, 0, 1, 1, 1, 2, 2, 3])):
            role = r.choice(["jumphosts", "webservers", "sqlservers", "appservers", "rdsh", "dc",
                             "mgmt", "build-agents"])
            rg = r.choice(v["app_rgs"])
            name = self.unique("asg-%s-%s-%s" % (role, env, short))
            asg = {
                "name": name, "id": self.rid(sub, rg, "Microsoft.Network/applicationSecurityGroups", name),
                "etag": self.etag(), "type": "Microsoft.Network/applicationSecurityGroups",
                "location": loc, "tags": self.tags(role, env),
                "properties": {"provisioningState": "Succeeded", "resourceGuid": self.uuid()},
            }
            self.asgs.append(asg)
            v["asgs"].append(asg)
        # NIC-level NSGs shared by some NICs of this VNet.
        for _ in range(r.choice([0, 1, 1, 1, 2])):
            rg = r.choice(v["app_rgs"])
            app = rg.split("-")[1]
            v["nic_nsgs"].append(self.make_nsg(v, rg, "nsg-%s-%s-nic" % (app, env)))

    # ---- NSGs ----------------------------------------------------------------------------
    def make_nsg(self, v, rg, name, subnet=None):
        r = self.rng
        name = self.unique(name)
        nid = self.rid(v["sub"], rg, "Microsoft.Network/networkSecurityGroups", name)
        etag = self.etag()
        n_rules = r.randint(14, 26)
        prios = self.priorities(n_rules)
        rules, used = [], set()
        for p in prios:
            rules.append(self.make_rule(v, nid, etag, p, used, subnet))
        props = {
            "provisioningState": "Succeeded" if r.random() > 0.004 else "Updating",
            "resourceGuid": self.uuid(),
            "securityRules": rules,
            "defaultSecurityRules": [self.default_rule(nid, etag, d) for d in DEFAULT_RULES],
        }
        nsg = {
            "name": name, "id": nid, "etag": etag, "type": "Microsoft.Network/networkSecurityGroups",
            "location": v["loc"], "tags": self.tags("network", v["env"]), "properties": props,
            "_subnets": [], "_nics": [],
        }
        self.nsgs.append(nsg)
        return nsg

    def priorities(self, k):
        r = self.rng
        chosen = set()
        # Mostly round numbers, as people write them; a few odd ones; sometimes 4096 (catch-all).
        if r.random() < 0.3:
            chosen.add(4096)
        while len(chosen) < k:
            x = r.random()
            if x < 0.6:
                p = r.randrange(100, 4097, 10)
            elif x < 0.85:
                p = r.randrange(100, 4001, 100)
            else:
                p = r.randint(100, 4096)
            chosen.add(p)
        return sorted(chosen)

    @staticmethod
    def default_rule(nid, etag, d):
        name, desc, src, dst, access, prio, direction = d
        return {
            "name": name, "id": nid + "/defaultSecurityRules/" + name, "etag": etag,
            "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
            "properties": {
                "provisioningState": "Succeeded", "description": desc, "protocol": "*",
                "sourcePortRange": "*", "destinationPortRange": "*",
                "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
                "access": access, "priority": prio, "direction": direction,
                "sourcePortRanges": [], "destinationPortRanges": [],
                "sourceAddressPrefixes": [], "destinationAddressPrefixes": [],
            },
        }

    def make_rule(self, v, nid, etag, prio, used, subnet):
        r = self.rng
        direction = "Inbound" if r.random() < 0.8 else "Outbound"
        if prio == 4096:
            direction = "Inbound"
        access = "Allow" if r.random() < 0.78 else "Deny"
        proto = r.choices(["Tcp", "TCP", "Udp", "*", "Icmp"], [62, 10, 10, 16, 2])[0]
        desc = None
        name_hint = None
        # destination ports
        x = r.random()
        if x < 0.22:
            dports = "3389"
        elif x < 0.28:
            dports = "3380-3390"
        elif x < 0.36:
            dports = ["22", "3389", "5985-5986"]
        elif x < 0.40:
            dports = ["3389", "443"]
        elif x < 0.50:
            dports = "*"
        elif x < 0.58:
            dports = "443"
        elif x < 0.63:
            dports = ["80", "443"]
        elif x < 0.68:
            dports = "22"
        elif x < 0.73:
            dports = "1433"
        elif x < 0.78:
            dports = "3390"
        elif x < 0.82:
            dports = ["1024-65535"]
        elif x < 0.86:
            dports = "5985-5986"
        elif x < 0.90:
            dports = ["135", "445", "49152-65535"]
        elif x < 0.94:
            dports = "0-3388"
        else:
            dports = str(r.choice([25, 53, 88, 389, 636, 3268, 8080, 8443, 9000, 10000, 33890]))
        # source addresses (None = ASG reference)
        src_asgs, dst_asgs = [], []
        x = r.random()
        if x < 0.13:
            src = "*"
        elif x < 0.25:
            src = "Internet"
        elif x < 0.42:
            src = self.client_cidr()
        elif x < 0.50:
            src = self.client_ip()
        elif x < 0.60:
            src = [self.client_cidr() for _ in range(r.randint(2, 6))]
        elif x < 0.66:
            src = [self.client_ip() for _ in range(r.randint(2, 8))]
        elif x < 0.76:
            src = "VirtualNetwork"
        elif x < 0.81:
            src = "AzureLoadBalancer"
        elif x < 0.85:
            src = "AzureCloud"
        elif x < 0.87:
            src = r.choice(["GatewayManager", "AzureCloud.%s" % v["loc"], "Storage.%s" % v["loc"],
                            "AzureMonitor"])
        elif x < 0.90:
            src = "10.%d.0.0/16" % r.randrange(256)
        elif x < 0.93:
            src = "172.16.0.0/12"
        else:
            src = None
        if src is None:
            if v["asgs"]:
                src_asgs = [ref(a["id"]) for a in r.sample(v["asgs"], r.randint(1, min(2, len(v["asgs"]))))]
            else:
                src = "VirtualNetwork"
        # destination addresses
        x = r.random()
        if x < 0.55:
            dst = "*"
        elif x < 0.70:
            dst = "VirtualNetwork"
        elif x < 0.80 and subnet is not None:
            dst = subnet["prefix"]
        elif x < 0.88:
            dst = "10.%d.%d.%d" % (v["a"], r.choice(v["subnets"])["third"], r.randint(4, 60))
        elif x < 0.92:
            dst = ["10.%d.%d.%d" % (v["a"], r.choice(v["subnets"])["third"], r.randint(4, 60))
                   for _ in range(r.randint(2, 4))]
        elif x < 0.94:
            # aimed at a public address: never matches (NSGs see the private IP)
            dst = "%d.%d.%d.%d" % (PUBLIC_BASES[0] + (r.randrange(256), r.randint(2, 251)))
        else:
            dst = None
        if dst is None:
            if v["asgs"]:
                dst_asgs = [ref(r.choice(v["asgs"])["id"])]
            else:
                dst = "*"
        if direction == "Outbound":
            src, dst = (dst if dst is not None else "VirtualNetwork"), (src if src is not None else "*")
            src_asgs, dst_asgs = dst_asgs, src_asgs
            if isinstance(src, list) and len(src) > 4:
                src = src[:4]
        # source ports: almost always "*"
        x = r.random()
        if x < 0.93:
            sports = "*"
        elif x < 0.97:
            sports = "1024-65535"
        else:
            sports = ["49152-65535", "1024-5000"]
        # a few special, recognisable rules
        x = r.random()
        if prio == 4096:
            access, proto, src, dst, dports, sports = "Deny", "*", "*", "*", "*", "*"
            src_asgs, dst_asgs = [], []
            name_hint = r.choice(["DenyAllInbound", "Deny-All", "deny_any_any"])
            desc = "Explicit catch-all deny"
        elif direction == "Inbound" and x < 0.03:
            # Defender for Cloud just-in-time: deny at a high number, allow (when active) at ~100.
            access, proto, dports, sports = "Deny", "*", "3389", "*"
            src, src_asgs, dst_asgs = "*", [], []
            dst = "10.%d.%d.%d" % (v["a"], r.choice(v["subnets"])["third"], r.randint(4, 60))
            name_hint = "SecurityCenter-JITRule_-%d-%s" % (r.randrange(10 ** 9), self.uuid().replace("-", "")[:32].upper())
            desc = "ASC JIT Network Access rule for policy 'default' of VM '%s'." % ("vm-" + r.choice(APPS))
        elif direction == "Inbound" and x < 0.05:
            access, proto, dports, src, sports = "Allow", "Tcp", "3389", "Internet", "*"
            src_asgs = []
            name_hint = r.choice(["RDP", "AllowRDP", "Allow-RDP-Any", "default-allow-rdp", "Port_3389"])
        if name_hint is None:
            name_hint = self.rule_name(access, direction, dports, src, src_asgs)
        name = name_hint
        k = 1
        while name in used:
            k += 1
            name = "%s_%d" % (name_hint, k)
        used.add(name)
        props = {"provisioningState": "Succeeded"}
        if desc is None and r.random() < 0.25:
            desc = r.choice(["Managed by Terraform", "Requested in CHG%07d" % r.randrange(10 ** 7),
                             "Temporary - remove after migration", "Vendor access",
                             "Allow management traffic", "Created by portal"])
        if desc is not None:
            props["description"] = desc
        props["protocol"] = proto
        if isinstance(sports, str):
            props["sourcePortRange"] = sports
        if isinstance(dports, str):
            props["destinationPortRange"] = dports
        if src_asgs:
            props["sourceAddressPrefix"] = ""
        elif isinstance(src, str):
            props["sourceAddressPrefix"] = src
        if dst_asgs:
            props["destinationAddressPrefix"] = ""
        elif isinstance(dst, str):
            props["destinationAddressPrefix"] = dst
        props["access"] = access
        props["priority"] = prio
        props["direction"] = direction
        props["sourcePortRanges"] = sports if isinstance(sports, list) else []
        props["destinationPortRanges"] = dports if isinstance(dports, list) else []
        props["sourceAddressPrefixes"] = src if (isinstance(src, list) and not src_asgs) else []
        props["destinationAddressPrefixes"] = dst if (isinstance(dst, list) and not dst_asgs) else []
        if src_asgs:
            props["sourceApplicationSecurityGroups"] = src_asgs
        if dst_asgs:
            props["destinationApplicationSecurityGroups"] = dst_asgs
        return {
            "name": name, "id": nid + "/securityRules/" + name, "etag": etag,
            "type": "Microsoft.Network/networkSecurityGroups/securityRules", "properties": props,
        }

    @staticmethod
    def rule_name(access, direction, dports, src, src_asgs):
        port = dports if isinstance(dports, str) else "_".join(dports[:2])
        what = {"3389": "RDP", "22": "SSH", "443": "HTTPS", "1433": "SQL", "*": "Any",
                "5985-5986": "WinRM", "3380-3390": "RDP-Range"}.get(port, "Port_" + port.replace("*", "any"))
        if src_asgs:
            origin = "ASG"
        elif isinstance(src, list):
            origin = "Partners"
        elif src in ("*", "Internet"):
            origin = "Internet"
        elif src in ("VirtualNetwork", "AzureLoadBalancer", "AzureCloud"):
            origin = src
        elif src and "/" in src:
            origin = "Office"
        else:
            origin = "Host"
        return "%s-%s-%s-%s" % (access, what, origin, "In" if direction == "Inbound" else "Out")

    # ---- route tables --------------------------------------------------------------------
    def make_rt(self, v, hub_fw):
        r = self.rng
        name = self.unique("rt-%s-%s" % (v["env"], v["short"]))
        rtid = self.rid(v["sub"], v["rg"], "Microsoft.Network/routeTables", name)
        etag = self.etag()
        routes = []

        def add(rname, prefix, hop, ip=None):
            p = {"provisioningState": "Succeeded", "addressPrefix": prefix, "nextHopType": hop}
            if ip:
                p["nextHopIpAddress"] = ip
            routes.append({"name": rname, "id": rtid + "/routes/" + rname, "etag": etag,
                           "properties": p, "type": "Microsoft.Network/routeTables/routes"})

        x = r.random()
        if x < 0.45:
            add("default-to-firewall", "0.0.0.0/0", "VirtualAppliance", hub_fw)
        elif x < 0.55:
            add("default-to-onprem", "0.0.0.0/0", "VirtualNetworkGateway")
        elif x < 0.65:
            add("default-internet", "0.0.0.0/0", "Internet")
        for k in range(r.randint(0, 4)):
            y = r.random()
            if y < 0.5:
                add("to-spoke-%d" % k, "10.%d.0.0/16" % r.randrange(256), "VirtualAppliance", hub_fw)
            elif y < 0.7:
                add("onprem-%d" % k, "192.168.%d.0/24" % r.randrange(256), "VirtualNetworkGateway")
            elif y < 0.85:
                add("blackhole-%d" % k, "%s/32" % self.client_ip(), "None")
            else:
                add("kms-%d" % k, "20.118.99.224/32", "Internet")
        rt = {
            "name": name, "id": rtid, "etag": etag, "type": "Microsoft.Network/routeTables",
            "location": v["loc"], "tags": self.tags("network", v["env"]),
            "properties": {
                "provisioningState": "Succeeded", "resourceGuid": self.uuid(),
                "disableBgpRoutePropagation": r.random() < 0.3, "routes": routes,
            },
            "_subnets": [],
        }
        self.rts.append(rt)
        return rt

    # ---- public IPs ----------------------------------------------------------------------
    def make_pip(self, sub, rg, loc, name, env, standard=True, dynamic=False, assigned=True,
                 dns_label=None):
        r = self.rng
        name = self.unique(name)
        props = {"provisioningState": "Succeeded", "resourceGuid": self.uuid()}
        if assigned:
            props["ipAddress"] = self.public_ip()
        props["publicIPAddressVersion"] = "IPv4"
        props["publicIPAllocationMethod"] = "Dynamic" if dynamic else "Static"
        props["idleTimeoutInMinutes"] = 4
        if dns_label:
            props["dnsSettings"] = {"domainNameLabel": dns_label,
                                    "fqdn": "%s.%s.cloudapp.azure.com" % (dns_label, loc)}
        props["ipTags"] = []
        if standard:
            props["ddosSettings"] = {"protectionMode": "VirtualNetworkInherited"}
        pip = {
            "name": name, "id": self.rid(sub, rg, "Microsoft.Network/publicIPAddresses", name),
            "etag": self.etag(), "location": loc, "tags": self.tags("network", env),
            "properties": props, "type": "Microsoft.Network/publicIPAddresses",
            "sku": {"name": "Standard" if standard else "Basic", "tier": "Regional"},
        }
        if standard and r.random() < 0.35:
            pip["zones"] = ["1", "2", "3"]
        self.pips.append(pip)
        return pip

    # ---- VMs and NICs --------------------------------------------------------------------
    def pick_subnet(self, v):
        r = self.rng
        cands = [s for s in v["subnets"] if s["workload"] and s["next_host"] < 250]
        if not cands:
            return self.add_subnet(v, "snet-overflow-%d" % v["next_third"], 24, workload=True)
        tot = sum(s["weight"] for s in cands)
        x = r.random() * tot
        for s in cands:
            x -= s["weight"]
            if x <= 0:
                return s
        return cands[-1]

    def make_vm(self, v, i, behind_lb):
        r = self.rng
        sub, loc, env = v["sub"], v["loc"], v["env"]
        k = r.randrange(len(v["apps"]))
        app, rg = v["apps"][k], v["app_rgs"][k]
        linux = r.random() < 0.10
        name = self.unique("vm-%s-%s-%s-%05d" % (app, env, v["short"], i))
        vmid = self.rid(sub, rg, "Microsoft.Compute/virtualMachines", name)
        # power state
        x = r.random()
        if x < 0.84:
            power = "running"
        elif x < 0.94:
            power = "deallocated"
        elif x < 0.97:
            power = "stopped"
        elif x < 0.98:
            power = r.choice(["starting", "stopping", "deallocating"])
        elif x < 0.985:
            power = None  # operation in flight: no PowerState entry
        elif x < 0.99:
            power = "hibernated"
        else:
            power = "running"
        failed = x >= 0.99
        # NICs
        n_nics = 2 if r.random() < 0.05 else 1
        nics = []
        for j in range(n_nics):
            s = self.pick_subnet(v) if j == 0 or r.random() < 0.5 else nics[0]["_subnet"]
            nics.append(self.make_nic(v, rg, name, vmid, s, primary=(j == 0), power=power,
                                      behind_lb=behind_lb and j == 0, linux=linux, env=env))
        # OS
        if linux:
            pub, offer, sku, ver, osname, osver = r.choice(LINUX_IMAGES)
        else:
            pub, offer, sku, ver = r.choice(WINDOWS_IMAGES)
            key = next((k2 for k2 in WINDOWS_OS if k2 in sku), "2019")
            osname, osver = WINDOWS_OS[key]
        specialized = (not linux) and r.random() < 0.02
        computer = (app[:4] + env[:1] + "%05d" % i).upper()[:15]
        disk = "%s_OsDisk_1_%s" % (name, self.uuid().replace("-", ""))
        storage = {}
        if not specialized:
            storage["imageReference"] = {"publisher": pub, "offer": offer, "sku": sku,
                                         "version": "latest", "exactVersion": ver}
        storage["osDisk"] = {
            "osType": "Linux" if linux else "Windows", "name": disk,
            "createOption": "Attach" if specialized else "FromImage", "caching": "ReadWrite",
            "managedDisk": {"storageAccountType": r.choice(["Premium_LRS", "StandardSSD_LRS", "Standard_LRS"]),
                            "id": self.rid(sub, rg, "Microsoft.Compute/disks", disk)},
            "deleteOption": "Delete" if r.random() < 0.6 else "Detach",
            "diskSizeGB": 127 if not linux else 30,
        }
        storage["dataDisks"] = []
        storage["diskControllerType"] = "SCSI"
        props = {"vmId": self.uuid(), "hardwareProfile": {"vmSize": r.choice(VM_SIZES)},
                 "storageProfile": storage}
        if not specialized:
            if linux:
                os_profile = {"computerName": computer.lower(), "adminUsername": "azureuser",
                              "linuxConfiguration": {"disablePasswordAuthentication": True,
                                                     "provisionVMAgent": True,
                                                     "patchSettings": {"patchMode": "ImageDefault",
                                                                       "assessmentMode": "ImageDefault"},
                                                     "enableVMAgentPlatformUpdates": False}}
            else:
                os_profile = {"computerName": computer, "adminUsername": "azadmin",
                              "windowsConfiguration": {"provisionVMAgent": r.random() > 0.01,
                                                       "enableAutomaticUpdates": True,
                                                       "patchSettings": {"patchMode": "AutomaticByOS",
                                                                         "assessmentMode": "ImageDefault"},
                                                       "enableVMAgentPlatformUpdates": False}}
            os_profile["secrets"] = []
            os_profile["allowExtensionOperations"] = True
            os_profile["requireGuestProvisionSignal"] = True
            props["osProfile"] = os_profile
        if r.random() < 0.5:
            props["securityProfile"] = {"uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
                                        "securityType": "TrustedLaunch"}
        nic_refs = []
        for j, nic in enumerate(nics):
            if n_nics > 1:
                nic_refs.append({"id": nic["id"], "properties": {"primary": j == 0, "deleteOption": "Detach"}})
            else:
                nic_refs.append({"id": nic["id"]})
        props["networkProfile"] = {"networkInterfaces": nic_refs}
        boot_diag = r.random() < 0.9
        props["diagnosticsProfile"] = {"bootDiagnostics": {"enabled": boot_diag}}
        props["provisioningState"] = "Failed" if failed else (
            "Updating" if power in ("starting", "stopping", "deallocating", None) else "Succeeded")
        props["timeCreated"] = "20%02d-%02d-%02dT%02d:%02d:%02d.%07d+00:00" % (
            r.randint(19, 25), r.randint(1, 12), r.randint(1, 28), r.randrange(24), r.randrange(60),
            r.randrange(60), r.randrange(10 ** 7))
        props["instanceView"] = self.instance_view(computer, osname, osver, disk, power, failed,
                                                   boot_diag, linux)
        vm = {"name": name, "id": vmid, "type": "Microsoft.Compute/virtualMachines", "location": loc,
              "tags": self.tags(app, env)}
        if r.random() < 0.3:
            vm["zones"] = [r.choice(["1", "2", "3"])]
        vm["properties"] = props
        self.vms.append(vm)
        # a few guest facts, as `--guest` would record for running Windows VMs
        if not linux and power == "running" and r.random() < 0.02:
            g = r.random()
            if g < 0.6:
                facts = {"rdpPort": 3389, "rdpEnabled": True, "termServiceRunning": True,
                         "listening": True, "firewallAllowsRdp": True, "nla": True}
            elif g < 0.7:
                facts = {"rdpPort": 3390, "rdpEnabled": True, "termServiceRunning": True,
                         "listening": True, "firewallAllowsRdp": True, "nla": True}
            elif g < 0.8:
                facts = {"rdpPort": 3389, "rdpEnabled": False, "termServiceRunning": True,
                         "listening": False, "firewallAllowsRdp": True, "nla": True}
            elif g < 0.9:
                facts = {"rdpPort": 3389, "rdpEnabled": True, "termServiceRunning": True,
                         "listening": True, "firewallAllowsRdp": False, "nla": False}
            else:
                facts = {"error": "Run Command timed out after 90 seconds"}
            self.guest[vmid] = facts
        return {"vm": vm, "nics": nics, "behindLb": behind_lb, "linux": linux}

    def make_nic(self, v, rg, vmname, vmid, s, primary, power, behind_lb, linux, env):
        r = self.rng
        sub, loc = v["sub"], v["loc"]
        name = self.unique("%s-nic%s" % (vmname, "" if primary else "2") if r.random() < 0.6
                           else "%s%d" % (vmname.replace("vm-", "").replace("-", "")[:12], r.randrange(100, 999)))
        nicid = self.rid(sub, rg, "Microsoft.Network/networkInterfaces", name)
        etag = self.etag()
        host = s["next_host"]
        s["next_host"] += 1
        ipc_id = nicid + "/ipConfigurations/ipconfig1"
        ipp = {"provisioningState": "Succeeded",
               "privateIPAddress": "10.%d.%d.%d" % (v["a"], s["third"], host),
               "privateIPAllocationMethod": "Static" if r.random() < 0.3 else "Dynamic",
               "subnet": ref(s["id"]), "primary": True, "privateIPAddressVersion": "IPv4"}
        # public IP: primary NICs mostly, secondary NICs rarely (a classic RDP604 mistake)
        want_pip = (not behind_lb) and (r.random() < (0.68 if primary else 0.15))
        if want_pip:
            standard = r.random() < 0.88
            dynamic = (not standard) and r.random() < 0.6
            assigned = not (dynamic and power == "deallocated")
            label = None
            if r.random() < 0.3:
                label = (vmname.replace("vm-", "") + ("" if primary else "-2")).lower()[:60]
            pip = self.make_pip(sub, rg, loc, "%s-ip%s" % (vmname, "" if primary else "2"), env,
                                standard=standard, dynamic=dynamic, assigned=assigned, dns_label=label)
            pip["properties"]["ipConfiguration"] = ref(ipc_id)
            ipp["publicIPAddress"] = ref(pip["id"])
        if v["asgs"] and r.random() < 0.35:
            ipp["applicationSecurityGroups"] = [ref(a["id"]) for a in
                                                r.sample(v["asgs"], r.randint(1, min(2, len(v["asgs"]))))]
        ipc = {"name": "ipconfig1", "id": ipc_id, "etag": etag,
               "type": "Microsoft.Network/networkInterfaces/ipConfigurations", "properties": ipp}
        s["ipconfigs"].append(ipc_id)
        props = {"provisioningState": "Succeeded", "resourceGuid": self.uuid(),
                 "ipConfigurations": [ipc],
                 "dnsSettings": {"dnsServers": [], "appliedDnsServers": [],
                                 "internalDomainNameSuffix": "%s.ax.internal.cloudapp.net" % v["dns_suffix"]},
                 "macAddress": self.mac(),
                 "enableAcceleratedNetworking": r.random() < 0.6,
                 "vnetEncryptionSupported": False,
                 "enableIPForwarding": False,
                 "disableTcpStateTracking": False}
        if v["nic_nsgs"] and r.random() < 0.3:
            nsg = r.choice(v["nic_nsgs"])
            props["networkSecurityGroup"] = ref(nsg["id"])
            nsg["_nics"].append(nicid)
        props["primary"] = primary
        props["virtualMachine"] = ref(vmid)
        props["hostedWorkloads"] = []
        props["tapConfigurations"] = []
        props["nicType"] = "Standard"
        props["auxiliaryMode"] = "None"
        props["auxiliarySku"] = "None"
        nic = {"name": name, "id": nicid, "etag": etag, "type": "Microsoft.Network/networkInterfaces",
               "location": loc, "tags": {}, "properties": props,
               "_subnet": s, "_ipc": ipc}
        self.nics.append(nic)
        return nic

    def instance_view(self, computer, osname, osver, disk, power, failed, boot_diag, linux):
        r = self.rng
        iv = {}
        running_ish = power in ("running", "stopped", "starting", "stopping")
        if running_ish:
            iv["computerName"] = computer
            iv["osName"] = osname
            iv["osVersion"] = osver
            ready = power == "running" and r.random() < 0.93
            st = {"code": "ProvisioningState/succeeded", "level": "Info"}
            if ready:
                st.update(displayStatus="Ready", message="GuestAgent is running and processing the extensions.",
                          time="2026-11-27T01:%02d:%02d+00:00" % (r.randrange(60), r.randrange(60)))
            else:
                st.update(code="ProvisioningState/Unavailable", level="Warning", displayStatus="Not Ready",
                          message="VM status blob is found but not yet populated.",
                          time="2026-11-26T%02d:%02d:%02d+00:00" % (r.randrange(24), r.randrange(60), r.randrange(60)))
            agent = {"vmAgentVersion": "2.7.41491.%d" % r.randint(1000, 1200) if not linux
                     else "2.%d.%d.%d" % (r.randint(9, 12), r.randint(0, 3), r.randint(1, 30)),
                     "statuses": [st], "extensionHandlers": []}
            if not linux and r.random() < 0.4:
                agent["extensionHandlers"].append({
                    "type": "Microsoft.Azure.Monitor.AzureMonitorWindowsAgent", "typeHandlerVersion": "1.31.0.0",
                    "status": {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready"}})
            iv["vmAgent"] = agent
        iv["disks"] = [{"name": disk, "statuses": [{
            "code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
            "time": "2025-%02d-%02dT10:11:12.1234567+00:00" % (r.randint(1, 12), r.randint(1, 28))}]}]
        if boot_diag and running_ish:
            iv["bootDiagnostics"] = {}
        iv["hyperVGeneration"] = "V2"
        statuses = []
        if failed:
            statuses.append({"code": "ProvisioningState/failed/VMAgentStatusCommunicationError", "level": "Error",
                             "displayStatus": "Provisioning failed",
                             "message": "VM 'x' has not reported status for VM agent or extensions.",
                             "time": "2026-11-26T22:10:00.0000000+00:00"})
        elif power in ("starting", "stopping", "deallocating", None):
            statuses.append({"code": "ProvisioningState/updating", "level": "Info",
                             "displayStatus": "Updating"})
        else:
            statuses.append({"code": "ProvisioningState/succeeded", "level": "Info",
                             "displayStatus": "Provisioning succeeded",
                             "time": "2026-11-%02dT%02d:%02d:%02d.1234567+00:00" % (
                                 r.randint(1, 26), r.randrange(24), r.randrange(60), r.randrange(60))})
        if power is not None:
            display = {"running": "VM running", "deallocated": "VM deallocated", "stopped": "VM stopped",
                       "starting": "VM starting", "stopping": "VM stopping",
                       "deallocating": "VM deallocating", "hibernated": "VM hibernated"}[power]
            statuses.append({"code": "PowerState/" + power, "level": "Info", "displayStatus": display})
        iv["statuses"] = statuses
        return iv

    # ---- load balancers and bastions -----------------------------------------------------
    def make_lb(self, v, members):
        r = self.rng
        sub, loc, env = v["sub"], v["loc"], v["env"]
        rg = r.choice(v["app_rgs"])
        name = self.unique("lb-%s-%s" % (rg.split("-")[1], env))
        lbid = self.rid(sub, rg, "Microsoft.Network/loadBalancers", name)
        etag = self.etag()
        internal = r.random() < 0.2
        standard = internal or r.random() < 0.8
        fe_name = "LoadBalancerFrontEnd"
        fe_id = lbid + "/frontendIPConfigurations/" + fe_name
        pool_id = lbid + "/backendAddressPools/" + "backend-pool"
        probe_id = lbid + "/probes/tcp-443"
        rule_id = lbid + "/loadBalancingRules/https"
        fe_props = {"provisioningState": "Succeeded", "privateIPAllocationMethod": "Dynamic"}
        if internal:
            s = self.pick_subnet(v)
            host = s["next_host"]
            s["next_host"] += 1
            fe_props["privateIPAddress"] = "10.%d.%d.%d" % (v["a"], s["third"], host)
            fe_props["privateIPAllocationMethod"] = "Static"
            fe_props["subnet"] = ref(s["id"])
            fe_props["privateIPAddressVersion"] = "IPv4"
            s["ipconfigs"].append(fe_id)
        else:
            pip = self.make_pip(sub, rg, loc, "pip-" + name, env, standard=standard,
                                dynamic=not standard, assigned=True,
                                dns_label=name.lower() if r.random() < 0.5 else None)
            pip["properties"]["ipConfiguration"] = ref(fe_id)
            fe_props["publicIPAddress"] = ref(pip["id"])
        nat_rules, nat_refs = [], []
        base = r.choice([50000, 50001, 3390, 33890, 60000])
        for k, m in enumerate(members):
            ipc = m["nics"][0]["_ipc"]
            backend = 22 if m["linux"] else 3389
            x = r.random()
            front = backend if (x < 0.1 and k == 0) else base + k
            nat_name = "%s-%s-%d" % ("ssh" if m["linux"] else "rdp", m["vm"]["name"][3:], front)
            nat_id = lbid + "/inboundNatRules/" + nat_name
            np = {"provisioningState": "Succeeded", "frontendIPConfiguration": ref(fe_id),
                  "frontendPort": front, "backendPort": backend, "enableFloatingIP": False,
                  "idleTimeoutInMinutes": 4, "protocol": "Tcp", "enableDestinationServiceEndpoint": False,
                  "enableTcpReset": standard, "allowBackendPortConflict": False}
            if r.random() < 0.93:
                np["backendIPConfiguration"] = ref(ipc["id"])
                ipc["properties"].setdefault("loadBalancerInboundNatRules", []).append(ref(nat_id))
            nat_rules.append({"name": nat_name, "id": nat_id, "etag": etag,
                              "type": "Microsoft.Network/loadBalancers/inboundNatRules", "properties": np})
            nat_refs.append(ref(nat_id))
            ipc["properties"].setdefault("loadBalancerBackendAddressPools", []).append(ref(pool_id))
        fe_props["inboundNatRules"] = nat_refs
        fe_props["loadBalancingRules"] = [ref(rule_id)]
        fe = {"name": fe_name, "id": fe_id, "etag": etag,
              "type": "Microsoft.Network/loadBalancers/frontendIPConfigurations", "properties": fe_props}
        pool = {"name": "backend-pool", "id": pool_id, "etag": etag,
                "properties": {"provisioningState": "Succeeded",
                               "backendIPConfigurations": [ref(m["nics"][0]["_ipc"]["id"]) for m in members],
                               "loadBalancingRules": [ref(rule_id)]},
                "type": "Microsoft.Network/loadBalancers/backendAddressPools"}
        lb = {
            "name": name, "id": lbid, "etag": etag, "type": "Microsoft.Network/loadBalancers",
            "location": loc, "tags": self.tags("network", env),
            "properties": {
                "provisioningState": "Succeeded", "resourceGuid": self.uuid(),
                "frontendIPConfigurations": [fe], "backendAddressPools": [pool],
                "loadBalancingRules": [{
                    "name": "https", "id": rule_id, "etag": etag,
                    "type": "Microsoft.Network/loadBalancers/loadBalancingRules",
                    "properties": {"provisioningState": "Succeeded", "frontendIPConfiguration": ref(fe_id),
                                   "frontendPort": 443, "backendPort": 443, "enableFloatingIP": False,
                                   "idleTimeoutInMinutes": 4, "protocol": "Tcp", "enableTcpReset": standard,
                                   "loadDistribution": "Default", "disableOutboundSnat": standard,
                                   "backendAddressPool": ref(pool_id), "backendAddressPools": [ref(pool_id)],
                                   "probe": ref(probe_id)}}],
                "probes": [{
                    "name": "tcp-443", "id": probe_id, "etag": etag,
                    "properties": {"provisioningState": "Succeeded", "protocol": "Tcp", "port": 443,
                                   "intervalInSeconds": 5, "numberOfProbes": 1, "probeThreshold": 1,
                                   "loadBalancingRules": [ref(rule_id)]},
                    "type": "Microsoft.Network/loadBalancers/probes"}],
                "inboundNatRules": nat_rules, "outboundRules": [], "inboundNatPools": [],
            },
            "sku": {"name": "Standard" if standard else "Basic", "tier": "Regional"},
        }
        self.lbs.append(lb)

    def make_bastion(self, v):
        r = self.rng
        s = next(s for s in v["subnets"] if s["name"] == "AzureBastionSubnet")
        name = self.unique("bas-%s-%s" % (v["env"], v["short"]))
        bid = self.rid(v["sub"], v["rg"], "Microsoft.Network/bastionHosts", name)
        etag = self.etag()
        pip = self.make_pip(v["sub"], v["rg"], v["loc"], "pip-" + name, v["env"], standard=True)
        ipc_id = bid + "/bastionHostIpConfigurations/IpConf"
        pip["properties"]["ipConfiguration"] = ref(ipc_id)
        s["ipconfigs"].append(ipc_id)
        sku = r.choice(["Basic", "Standard", "Standard"])
        b = {
            "name": name, "id": bid, "etag": etag, "type": "Microsoft.Network/bastionHosts",
            "location": v["loc"], "tags": self.tags("bastion", v["env"]),
            "properties": {
                "provisioningState": "Succeeded",
                "dnsName": "bst-%s.bastion.azure.com" % self.uuid(),
                "scaleUnits": 2,
                "ipConfigurations": [{
                    "name": "IpConf", "id": ipc_id, "etag": etag,
                    "type": "Microsoft.Network/bastionHosts/bastionHostIpConfigurations",
                    "properties": {"provisioningState": "Succeeded", "privateIPAllocationMethod": "Dynamic",
                                   "publicIPAddress": ref(pip["id"]), "subnet": ref(s["id"])}}],
            },
            "sku": {"name": sku},
        }
        if sku == "Standard":
            b["properties"].update(disableCopyPaste=False, enableTunneling=r.random() < 0.5,
                                   enableIpConnect=r.random() < 0.3, enableShareableLink=False,
                                   enableKerberos=False)
        self.bastions.append(b)

    # ---- leftovers, reverse links, VNet objects ------------------------------------------
    def orphans(self, vnets):
        r = self.rng
        for v in vnets:
            if v["bastion"]:
                self.make_bastion(v)
        # unattached public IPs (~3% of VMs) and NSGs attached to nothing (~1 in 50 VNets)
        for k in range(max(0, self.n_vms * 3 // 100)):
            v = r.choice(vnets)
            rg = r.choice(v["app_rgs"])
            standard = r.random() < 0.7
            dynamic = (not standard) and r.random() < 0.7
            self.make_pip(v["sub"], rg, v["loc"], "pip-unused-%s-%d" % (v["short"], k), v["env"],
                          standard=standard, dynamic=dynamic, assigned=not dynamic)
        for v in vnets:
            if r.random() < 0.02:
                self.make_nsg(v, v["rg"], "nsg-old-%s" % v["short"])

    def backfill(self):
        for v in self.vnet_plans:
            subnets = []
            for s in v["subnets"]:
                p = {"provisioningState": "Succeeded", "addressPrefix": s["prefix"]}
                if s["nsg"] is not None:
                    p["networkSecurityGroup"] = ref(s["nsg"]["id"])
                    s["nsg"]["_subnets"].append(s["id"])
                if s["rt"] is not None:
                    p["routeTable"] = ref(s["rt"]["id"])
                    s["rt"]["_subnets"].append(s["id"])
                if s["ipconfigs"]:
                    p["ipConfigurations"] = [ref(x) for x in s["ipconfigs"]]
                if s["workload"] and self.rng.random() < 0.2:
                    p["serviceEndpoints"] = [{"provisioningState": "Succeeded", "service": "Microsoft.Storage",
                                              "locations": [v["loc"]]}]
                p["delegations"] = []
                p["privateEndpointNetworkPolicies"] = "Disabled"
                p["privateLinkServiceNetworkPolicies"] = "Enabled"
                subnets.append({"name": s["name"], "id": s["id"], "etag": v["etag"], "properties": p,
                                "type": "Microsoft.Network/virtualNetworks/subnets"})
            prefixes = ["10.%d.%d.0/20" % (v["a"], v["b"])]
            # overflow subnets (only in absurdly dense VNets) past the /20 get their own prefix
            prefixes += [s["prefix"] for s in v["subnets"] if s["third"] >= v["b"] + 16]
            self.vnets.append({
                "name": v["name"], "id": v["id"], "etag": v["etag"],
                "type": "Microsoft.Network/virtualNetworks", "location": v["loc"],
                "tags": self.tags("network", v["env"]),
                "properties": {
                    "provisioningState": "Succeeded", "resourceGuid": self.uuid(),
                    "addressSpace": {"addressPrefixes": prefixes},
                    "dhcpOptions": {"dnsServers": [] if self.rng.random() < 0.6 else
                                    ["10.%d.%d.4" % (v["a"], v["b"]), "168.63.129.16"]},
                    "subnets": subnets, "virtualNetworkPeerings": [],
                    "enableDdosProtection": False, "privateEndpointVNetPolicies": "Disabled",
                },
            })
        for nsg in self.nsgs:
            if nsg["_subnets"]:
                nsg["properties"]["subnets"] = [ref(x) for x in nsg["_subnets"]]
            if nsg["_nics"]:
                nsg["properties"]["networkInterfaces"] = [ref(x) for x in nsg["_nics"]]
        for rt in self.rts:
            if rt["_subnets"]:
                rt["properties"]["subnets"] = [ref(x) for x in rt["_subnets"]]

    def run(self):
        self.build()
        resources = []
        for group in (self.vms, self.nics, self.pips, self.nsgs, self.vnets, self.rts, self.lbs,
                      self.bastions, self.asgs):
            for res in group:
                for k in [k for k in res if k.startswith("_")]:
                    del res[k]
                if self.rng.random() >= self.full_fraction:
                    lean(res)
                resources.append(res)
        return {
            "schema": "rdpaudit.snapshot/1",
            "cloud": "public",
            "collectedAt": "2026-11-27T02:00:00Z",
            "subscriptions": self.subs,
            "resources": resources,
            "guest": self.guest,
            "diagnostics": [],
        }


def write_doc(doc, f, indent):
    """Write `doc` to the text file `f` one resource at a time (no giant string in memory).

    indent > 0: byte-for-byte what json.dump(doc, f, indent=indent) writes.
    indent == 0: compact JSON with one resource per line."""
    keys = list(doc)
    if indent > 0:
        pad, pad2 = " " * indent, " " * (2 * indent)
        f.write("{\n")
        for n, k in enumerate(keys):
            f.write("%s%s: " % (pad, json.dumps(k)))
            v = doc[k]
            if k == "resources" and v:
                f.write("[\n")
                for m, res in enumerate(v):
                    f.write(pad2)
                    f.write(json.dumps(res, indent=indent).replace("\n", "\n" + pad2))
                    f.write(",\n" if m + 1 < len(v) else "\n")
                f.write(pad + "]")
            else:
                f.write(json.dumps(v, indent=indent).replace("\n", "\n" + pad))
            f.write(",\n" if n + 1 < len(keys) else "\n")
        f.write("}\n")
    else:
        f.write("{")
        for n, k in enumerate(keys):
            f.write("%s:" % json.dumps(k))
            v = doc[k]
            if k == "resources" and v:
                f.write("[\n")
                for m, res in enumerate(v):
                    f.write(json.dumps(res, separators=(",", ":")))
                    f.write(",\n" if m + 1 < len(v) else "\n")
                f.write("]")
            else:
                f.write(json.dumps(v, separators=(",", ":")))
            if n + 1 < len(keys):
                f.write(",")
        f.write("}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vms", type=int, required=True, help="number of virtual machines")
    ap.add_argument("--subscriptions", type=int, default=1, help="number of subscriptions (default 1)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--indent", type=int, default=1,
                    help="JSON indent (default 1, like json.dump(..., indent=1)); 0 writes compact "
                         "JSON with one resource per line (about 20%% smaller)")
    ap.add_argument("--full-fraction", type=float, default=0.2,
                    help="share of resources in the full live-traffic shape (etag/type on child "
                         "objects, empty plural rule fields, newer optional keys); the rest take the "
                         "leaner shape of the official examples (default 0.2)")
    ap.add_argument("--out", required=True, help="output file, or - for stdout")
    a = ap.parse_args()
    if a.vms < 0 or a.subscriptions < 1 or a.indent < 0 or not 0 <= a.full_fraction <= 1:
        ap.error("need --vms >= 0, --subscriptions >= 1, --indent >= 0, 0 <= --full-fraction <= 1")
    t0 = time.monotonic()
    gc.disable()  # millions of small, long-lived objects and no cycles: the collector only costs time
    doc = Gen(a.vms, a.subscriptions, a.seed, a.full_fraction).run()
    if a.out == "-":
        write_doc(doc, sys.stdout, a.indent)
        sys.stdout.flush()
        size = None
    else:
        tmp = a.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            write_doc(doc, f, a.indent)
        os.replace(tmp, a.out)
        size = os.path.getsize(a.out)
    counts = {}
    for res in doc["resources"]:
        t = res["type"].split("/")[-1]
        counts[t] = counts.get(t, 0) + 1
    summary = ", ".join("%s=%d" % kv for kv in counts.items())
    print("%s: %s%d resources (%s), %.1f s" % (
        a.out, "" if size is None else "%.1f MB (%d bytes), " % (size / 1e6, size),
        len(doc["resources"]), summary, time.monotonic() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
