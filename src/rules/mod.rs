//! The rule catalogue: one file per rule, each with its metadata (`RULE`) and a pure `check`
//! over one VM's analysis. Ids are fixed; `docs/rules.md` is generated from here.
//!
//! Rules never call each other: `check_vm` runs every check whose needs are met, then applies
//! precedence from the metadata (`defers_to`). Rules match on the engine's types and write
//! their own messages (`phrases` holds the shared ones); they never import `report`.

pub mod compliance;
pub(crate) mod doors;
pub mod fix;
pub(crate) mod meta;
pub(crate) mod phrases;

mod rdp101;
mod rdp102;
mod rdp103;
mod rdp104;
mod rdp105;
mod rdp106;
mod rdp201;
mod rdp202;
mod rdp203;
mod rdp204;
mod rdp301;
mod rdp302;
mod rdp303;
mod rdp304;
mod rdp401;
mod rdp402;
mod rdp403;
mod rdp404;
mod rdp405;
mod rdp406;
mod rdp407;
mod rdp408;
mod rdp409;
mod rdp410;
mod rdp501;
mod rdp502;
mod rdp503;
mod rdp504;
mod rdp505;
mod rdp506;
mod rdp507;
mod rdp601;
mod rdp602;
mod rdp603;
mod rdp604;
mod rdp605;
mod rdp606;
mod rdp607;
mod rdp701;
mod rdp702;
mod rdp703;
mod rdp801;
mod rdp802;
mod rdp803;
mod rdp804;
mod rdp805;
mod rdp806;
mod rdp811;
mod rdp812;

pub use fix::{AdminAccess, BastionFeature, Fix, FixAccess, Source};
pub use meta::{Category, Need, RuleMeta, Severity};
pub(crate) use phrases::{client_text, rule_text};

use crate::engine::nsg::{Outcome, Part};
use crate::engine::types::{NetEval, Slot};
use crate::engine::{Hop, PathAnalysis, VmAnalysis};
use crate::model::{Model, Nsg, ResId};

/// One finding of one rule on one VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) rule: &'static RuleMeta,
    /// One sentence naming the resource and the deciding rule, no trailing period.
    pub(crate) message: String,
    /// The resource to fix: the model's own id when it has one (shared, not copied).
    pub(crate) resource_id: ResId,
    /// The rule's remediation with this VM's names filled in.
    pub(crate) remediation: String,
    pub(crate) suppressed: bool,
    /// The hop that stops RDP, when the message cites it: the report adds its words for it.
    pub(crate) cause: Option<Hop>,
    /// The typed fix (`None`: the remediation template is printed as advice).
    pub(crate) fix: Option<Fix>,
    /// An address the finding is about, to stand in for `<YOUR-PUBLIC-IP>` in the proof.
    pub(crate) fix_client: Option<String>,
}

impl Finding {
    /// The same finding with a typed fix (`rules::fix`), which replaces the template.
    pub(crate) fn with_fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }

    /// With a typed fix, proven for a sample of `set` (the addresses the finding is about)
    /// when the user's own address is a placeholder.
    pub(crate) fn with_fix_for(mut self, fix: Fix, set: &crate::engine::AddrSet) -> Finding {
        self.fix_client = fix::sample(set);
        self.with_fix(fix)
    }
}

/// What a check sees.
pub(crate) struct Cx<'a, 'm> {
    pub(crate) vm: &'a VmAnalysis<'m>,
    pub(crate) model: &'m Model,
    /// The lateral analysis of this VM and every VM it names (RDP811, RDP812); `None` when the
    /// caller did not compute it.
    pub(crate) lateral: Option<LateralCx<'a, 'm>>,
    /// The findings' remediation and fix are not read ([`check_vm_with`] without `full`): a
    /// rule may leave them out.
    pub(crate) brief: bool,
}

/// A VM's lateral picture and the analyses its edges index into.
#[derive(Clone, Copy)]
pub(crate) struct LateralCx<'a, 'm> {
    pub(crate) vm: &'a crate::engine::lateral::VmLateral<'m>,
    pub(crate) all: &'a [VmAnalysis<'m>],
}

impl Cx<'_, '_> {
    /// A finding with the remediation's `<rg>` and `<vm>` placeholders filled in, plus `extra`.
    pub(crate) fn finding(
        &self,
        rule: &'static RuleMeta,
        resource: impl Resource,
        message: String,
        extra: &[(&str, &str)],
    ) -> Finding {
        let port = self.vm.port.to_string();
        // A classic VM's cloud service: the first label of its `cloudapp.net` name.
        let service = self
            .vm
            .classic
            .and_then(|c| c.fqdn.as_deref())
            .and_then(|f| f.split('.').next());
        let own = [
            ("<rg>", self.vm.resource_group.as_str()),
            ("<vm>", self.vm.name.as_str()),
            ("<vm resource id>", self.vm.id.id.as_str()),
            ("<guest RDP port>", port.as_str()),
        ];
        let service = service.map(|svc| ("<cloud service>", svc));
        let remediation = match self.brief {
            true => String::new(),
            false => fill(rule.remediation, &[&own, service.as_slice(), extra]),
        };
        Finding {
            rule,
            message,
            resource_id: resource.rid(),
            remediation,
            suppressed: false,
            cause: None,
            fix: None,
            fix_client: None,
        }
    }

    pub(crate) fn vm_id(&self) -> &ResId {
        &self.vm.id
    }
}

/// What a finding names as the resource to change: one of the model's ids (shared), or text.
pub(crate) trait Resource {
    fn rid(self) -> ResId;
}

impl Resource for &ResId {
    fn rid(self) -> ResId {
        self.clone()
    }
}

impl Resource for &str {
    fn rid(self) -> ResId {
        ResId::verbatim(self)
    }
}

impl Resource for &String {
    fn rid(self) -> ResId {
        ResId::verbatim(self)
    }
}

/// `template` with each placeholder (`<name>`) replaced by the value of its first mention in
/// `lists`, in one pass: a value is never searched again, so a name from the data that holds a
/// placeholder stays as it is (and filling does not build a string per placeholder).
fn fill(template: &str, lists: &[&[(&str, &str)]]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let at = &rest[i..];
        let value = lists
            .iter()
            .flat_map(|list| list.iter())
            .find(|(k, _)| at.starts_with(k));
        match value {
            Some((k, v)) => {
                out.push_str(v);
                rest = &at[k.len()..];
            }
            None => {
                out.push('<');
                rest = &at[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) type CheckFn = fn(&Cx<'_, '_>) -> Vec<Finding>;

/// A rule: its metadata and its check.
pub struct Rule {
    /// What the rule says about itself.
    pub meta: &'static RuleMeta,
    pub(crate) check: CheckFn,
}

macro_rules! catalogue {
    ($($m:ident),* $(,)?) => {
        /// Every rule, in id order.
        pub static CATALOGUE: &[Rule] = &[$(Rule { meta: &$m::RULE, check: $m::check }),*];
    };
}

catalogue!(
    rdp101, rdp102, rdp103, rdp104, rdp105, rdp106, rdp201, rdp202, rdp203, rdp204, rdp301, rdp302,
    rdp303, rdp304, rdp401, rdp402, rdp403, rdp404, rdp405, rdp406, rdp407, rdp408, rdp409, rdp410,
    rdp501, rdp502, rdp503, rdp504, rdp505, rdp506, rdp507, rdp601, rdp602, rdp603, rdp604, rdp605,
    rdp606, rdp607, rdp701, rdp702, rdp703, rdp801, rdp802, rdp803, rdp804, rdp805, rdp806, rdp811,
    rdp812,
);

/// Looks a rule up by id (case-insensitive).
pub(crate) fn find(id: &str) -> Option<&'static Rule> {
    CATALOGUE
        .iter()
        .find(|r| r.meta.id.eq_ignore_ascii_case(id.trim()))
}

/// Runs every rule on one VM; findings sorted by severity (highest first) then rule id.
/// `lateral` is the VM's east-west picture (RDP811 and RDP812 need it; `None`: they stay quiet).
/// Without `full`, findings may lack their remediation and fix (a findings-only report, the
/// summary table and proofs read rule, message and resource only): filling the rule's advice in
/// for every finding was 2.5 % of an audit, RDP812's fix 1.6 %. The findings are still those of
/// `full`: the advice only ever tells apart two findings alike in all else, and when two are,
/// the VM is checked again with it.
pub(crate) fn check_vm_with<'m>(
    vm: &VmAnalysis<'m>,
    model: &'m Model,
    lateral: Option<LateralCx<'_, 'm>>,
    full: bool,
) -> Vec<Finding> {
    let cx = Cx {
        vm,
        model,
        lateral,
        brief: !full,
    };
    let mut fired: Vec<Vec<Finding>> = (CATALOGUE.iter())
        .map(|r| match r.meta.needs.iter().all(|n| has(vm, *n)) {
            true => (r.check)(&cx),
            false => Vec::new(),
        })
        .collect();
    stand_down(Deferral::catalogue(), &mut fired);
    let found: Vec<Finding> = fired.into_iter().flatten().collect();
    match settled(found, cx.brief) {
        Some(out) => out,
        None => check_vm_with(vm, model, lateral, true),
    }
}

/// The findings sorted by severity, rule and message, each once; `None` when they lack their
/// advice (`brief`) and two neighbours are alike in all else: only the advice can say whether
/// they are one finding. Sorted alike either way, so no other pair can be.
fn settled(mut out: Vec<Finding>, brief: bool) -> Option<Vec<Finding>> {
    out.sort_by(|a, b| {
        b.rule
            .severity
            .cmp(&a.rule.severity)
            .then(a.rule.id.cmp(b.rule.id))
            .then(a.message.cmp(&b.message))
    });
    if brief && out.windows(2).any(|w| alike_but_advice(&w[0], &w[1])) {
        return None;
    }
    out.dedup();
    Some(out)
}

/// Whether two findings are the same but perhaps for their remediation and fix.
fn alike_but_advice(a: &Finding, b: &Finding) -> bool {
    a.rule == b.rule
        && a.message == b.message
        && a.resource_id == b.resource_id
        && a.suppressed == b.suppressed
        && a.cause == b.cause
}

/// Whether the VM has what a rule needs: probe results on some path, or guest facts.
fn has(vm: &VmAnalysis<'_>, need: Need) -> bool {
    match need {
        Need::Probe => vm
            .paths
            .iter()
            .any(|p| p.probe.is_some() || p.dns.is_some()),
        Need::Guest => vm.guest.is_some(),
    }
}

/// Which rules each rule defers to (places in its list) and an order in which each rule comes
/// after those: worked out once for the catalogue, not per VM (it was 1.7 % of an audit).
struct Deferral {
    deps: Vec<Vec<usize>>,
    order: Vec<usize>,
}

impl Deferral {
    fn of(metas: &[&RuleMeta]) -> Deferral {
        let deps: Vec<Vec<usize>> = (metas.iter())
            .map(|m| {
                (m.defers_to.iter())
                    .filter_map(|id| metas.iter().position(|o| o.id == *id))
                    .collect()
            })
            .collect();
        // A rule is settled once every rule it defers to is; rules in a cycle (the catalogue
        // test forbids them) never are, and keep their findings.
        let mut settled = vec![false; metas.len()];
        let mut order = Vec::with_capacity(metas.len());
        loop {
            let before = order.len();
            for (i, d) in deps.iter().enumerate() {
                if !settled[i] && d.iter().all(|&x| settled[x]) {
                    settled[i] = true;
                    order.push(i);
                }
            }
            if order.len() == before {
                break;
            }
        }
        Deferral { deps, order }
    }

    fn catalogue() -> &'static Deferral {
        static D: std::sync::OnceLock<Deferral> = std::sync::OnceLock::new();
        D.get_or_init(|| Deferral::of(&CATALOGUE.iter().map(|r| r.meta).collect::<Vec<_>>()))
    }
}

/// Precedence: a rule whose `defers_to` names a rule that fired (and did not itself stand
/// down) loses its findings. `fired` holds each rule's findings in the deferral's order of
/// rules (a rule not run: none).
fn stand_down(deferral: &Deferral, fired: &mut [Vec<Finding>]) {
    for &i in &deferral.order {
        let deps = &deferral.deps[i];
        if deps
            .iter()
            .any(|&d| fired.get(d).is_some_and(|f| !f.is_empty()))
        {
            if let Some(f) = fired.get_mut(i) {
                f.clear();
            }
        }
    }
}

// ---- helpers shared by checks ---------------------------------------------------------------

/// Direct ARM paths (public IP, NAT rule, load-balancing rule).
pub(crate) fn arm_paths<'a, 'm>(cx: &'a Cx<'a, 'm>) -> impl Iterator<Item = &'a PathAnalysis<'m>> {
    cx.vm.paths.iter().filter(|p| {
        matches!(
            p.kind,
            crate::engine::PathKind::PublicIp
                | crate::engine::PathKind::NatRule
                | crate::engine::PathKind::LbRule
        )
    })
}

/// Which forwarding rule a path goes through, for messages ("Forwarding paths": RDP403,
/// RDP605 and RDP606 name it): `NAT rule x on lb`, `load-balancing rule y on lb`.
pub(crate) fn forwarding_rule(p: &PathAnalysis<'_>) -> Option<String> {
    if let Some((rule, firewall)) = p.dnat.as_ref().and_then(|d| Some((d.rule?, d.firewall))) {
        return Some(format!(
            "DNAT rule {} on firewall {}",
            rule.name, firewall.name
        ));
    }
    let lb = p.lb?;
    match (p.nat_rule, p.lb_rule) {
        (Some(r), _) => Some(format!("NAT rule {} on {}", r.name, lb.name)),
        (_, Some(r)) => Some(format!(
            "{}load-balancing rule {} on {}",
            if r.ha_ports() { "HA-ports " } else { "" },
            r.name,
            lb.name
        )),
        _ => None,
    }
}

/// The NSGs on a path with their level name.
pub(crate) fn path_nsgs<'m>(p: &PathAnalysis<'m>) -> Vec<(&'m Nsg, &'static str)> {
    let mut v = Vec::new();
    if let Slot::Present(n) = p.subnet_nsg {
        v.push((n, "subnet"));
    }
    if let Slot::Present(n) = p.nic_nsg {
        v.push((n, "NIC"));
    }
    v
}

/// The deciding (NSG, level, part) of the largest part of a path's client evaluation with the
/// given outcome filter; the NIC level is preferred when it decided (it is the last word).
pub(crate) fn deciding<'p, 'm>(
    p: &'p PathAnalysis<'m>,
    want: impl Fn(Outcome) -> bool,
) -> Option<(&'m Nsg, &'static str, &'p Part)> {
    deciding_in(p, &p.client, want)
}

/// Like [`deciding`], on the Internet evaluation (exposure rules), returning the rule.
pub(crate) fn deciding_internet<'m>(
    p: &PathAnalysis<'m>,
    want: impl Fn(Outcome) -> bool,
) -> Option<(&'m Nsg, &'static str, crate::engine::nsg::RuleRef)> {
    let (nsg, level, part) = deciding_in(p, &p.internet, want)?;
    Some((nsg, level, part.rule.clone()?))
}

fn deciding_in<'p, 'm>(
    p: &PathAnalysis<'m>,
    ev: &'p NetEval,
    want: impl Fn(Outcome) -> bool,
) -> Option<(&'m Nsg, &'static str, &'p Part)> {
    let mut best: Option<(&'m Nsg, &'static str, &'p Part)> = None;
    for pp in ev.parts.iter().filter(|pp| want(pp.outcome)) {
        let (nsg, level, part) = match (&pp.nic, &p.nic_nsg, &pp.subnet, &p.subnet_nsg) {
            (Some(np), Slot::Present(n), _, _) if want(np.outcome) => (*n, "NIC", np),
            (_, _, Some(sp), Slot::Present(n)) if want(sp.outcome) => (*n, "subnet", sp),
            (Some(np), Slot::Present(n), _, _) => (*n, "NIC", np),
            _ => continue,
        };
        let bigger = best.is_none_or(|(_, _, b)| part.set.count_v4() > b.set.count_v4());
        if bigger {
            best = Some((nsg, level, part));
        }
    }
    best
}

/// Bastion hosts whose path to the VM its NSGs admit (or may admit), each once, with the port.
/// The NSG on AzureBastionSubnet is not consulted: a link or an IP connection stays configured
/// when that NSG is fixed (docs/decisions.md D40).
pub(crate) fn bastions_reaching<'a, 'm>(
    cx: &'a Cx<'a, 'm>,
) -> impl Iterator<Item = (&'m crate::model::Bastion, u16)> + 'a {
    let mut seen: Vec<crate::model::Key<'m>> = Vec::new();
    cx.vm
        .paths
        .iter()
        .filter(|p| p.kind == crate::engine::PathKind::Bastion)
        .filter(|p| !p.client.reachable.is_empty() || !p.client.unknown.is_empty())
        .filter_map(|p| Some((p.bastion?, p.delivered_port)))
        .filter(move |(b, _)| {
            let fresh = !seen.contains(&b.id.key());
            seen.push(b.id.key());
            fresh
        })
}

/// Is this a just-in-time rule (Defender for Cloud names them `SecurityCenter-JITRule…`)?
/// The naming is not documented: used to label a reason only.
pub(crate) fn is_jit(name: &str) -> bool {
    name.to_ascii_lowercase()
        .starts_with("securitycenter-jitrule")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_once_and_a_value_is_never_searched_again() {
        let own = [("<rg>", "rg-<vm>"), ("<vm>", "web1")];
        let extra = [("<host>:<port>", "10.0.0.4:3389"), ("<nsg>", "<nsg>")];
        let template = "az vm show -g <rg> -n <vm> # <host>:<port> <nsg> <port> < <vm";
        assert_eq!(
            fill(template, &[&own, &extra]),
            "az vm show -g rg-<vm> -n web1 # 10.0.0.4:3389 <nsg> <port> < <vm"
        );
        assert_eq!(fill("", &[&own]), "");
        assert_eq!(fill("é<vm>é", &[&[("<x>", "y")], &own]), "éweb1é");
    }

    #[test]
    fn ids_are_unique_sorted_and_complete() {
        let ids: Vec<&str> = CATALOGUE.iter().map(|r| r.meta.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "ids must be unique and in order");
        // 40 rules plus RDP204 (the probe and the data disagree), plus wave 2: RDP409, RDP410,
        // RDP507, RDP607, RDP805, RDP806 (the doors) and RDP811, RDP812 (lateral).
        assert_eq!(ids.len(), 49);
        for r in CATALOGUE {
            assert!(!r.meta.title.ends_with('.'), "{}", r.meta.id);
            assert!(!r.meta.example.ends_with('.'), "{}", r.meta.id);
            assert!(!r.meta.links.is_empty(), "{}", r.meta.id);
            assert!(!r.meta.remediation.is_empty(), "{}", r.meta.id);
        }
    }

    #[test]
    fn defers_to_names_rules_of_the_catalogue_without_cycles() {
        let mut problems = Vec::new();
        for r in CATALOGUE {
            for id in r.meta.defers_to {
                if find(id).is_none() {
                    problems.push(format!("{} defers to {id}, which is not a rule", r.meta.id));
                }
            }
        }
        // Depth-first search from every rule; reaching the start again is a cycle.
        for start in CATALOGUE {
            let mut stack: Vec<&str> = start.meta.defers_to.to_vec();
            let mut seen: Vec<&str> = Vec::new();
            while let Some(id) = stack.pop() {
                if id == start.meta.id {
                    problems.push(format!("{} defers to itself through a cycle", id));
                    break;
                }
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                stack.extend(find(id).iter().flat_map(|r| r.meta.defers_to.iter()));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn a_rule_stands_down_for_the_rules_it_defers_to() {
        static A: RuleMeta = RuleMeta {
            id: "A",
            defers_to: &["B"],
            ..rdp101::RULE
        };
        static B: RuleMeta = RuleMeta {
            id: "B",
            defers_to: &[],
            ..rdp101::RULE
        };
        let f = |m: &'static RuleMeta| Finding {
            rule: m,
            message: m.id.into(),
            resource_id: ResId::verbatim(""),
            remediation: String::new(),
            suppressed: false,
            cause: None,
            fix: None,
            fix_client: None,
        };
        let deferral = Deferral::of(&[&A, &B]);
        let mut both = vec![vec![f(&A)], vec![f(&B)]];
        stand_down(&deferral, &mut both);
        assert_eq!(both, vec![vec![], vec![f(&B)]]);
        let mut only_a = vec![vec![f(&A)], vec![]];
        stand_down(&deferral, &mut only_a);
        assert_eq!(only_a, vec![vec![f(&A)], vec![]]);
        // C defers to A, which defers to B: B fired, so A stands down and C stands.
        static C: RuleMeta = RuleMeta {
            id: "C",
            defers_to: &["A"],
            ..rdp101::RULE
        };
        let chain = Deferral::of(&[&C, &A, &B]);
        let mut three = vec![vec![f(&C)], vec![f(&A)], vec![f(&B)]];
        stand_down(&chain, &mut three);
        assert_eq!(three, vec![vec![f(&C)], vec![], vec![f(&B)]]);
    }

    /// Without their advice, two findings alike in all else cannot be settled: the caller
    /// checks the VM again with it. With it, only a true repeat is dropped.
    #[test]
    fn findings_alike_but_for_their_advice_are_settled_only_with_it() {
        let f = |message: &str, remediation: &str| Finding {
            rule: &rdp801::RULE,
            message: message.into(),
            resource_id: ResId::verbatim("/subscriptions/s/nsg"),
            remediation: remediation.into(),
            suppressed: false,
            cause: None,
            fix: None,
            fix_client: None,
        };
        let (a, b) = (f("open", "close it"), f("open", "close it another way"));
        assert_eq!(settled(vec![a.clone(), b.clone()], true), None);
        assert_eq!(
            settled(vec![a.clone(), b.clone()], false),
            Some(vec![a.clone(), b])
        );
        assert_eq!(
            settled(vec![a.clone(), a.clone()], false),
            Some(vec![a.clone()])
        );
        let (brief, other) = (f("open", ""), f("open wide", ""));
        assert_eq!(
            settled(vec![other.clone(), brief.clone()], true),
            Some(vec![brief, other]),
            "sorted by message, both kept"
        );
    }
}
