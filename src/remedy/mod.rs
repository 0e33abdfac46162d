//! Proving fixes before they are printed. Each typed fix is applied to the raw ARM resource it
//! changes; that one resource is read into a model, and one scratch copy of the estate's model
//! takes it and gives it back afterwards (`Model::swap_in` / `Model::restore`; the audited model
//! itself is never changed). Then the VMs
//! the changed resource serves are audited again, before and after: the finding must be gone
//! and no exposure finding may appear that was not there before. A fix that fails either test,
//! or cannot be applied, stays advice with the reason. `rdpaudit fix` writes the patched copy.
//!
//! Only the VMs that use the changed NSG, route table or VM are re-audited: no other VM's
//! inputs change. Identical fixes (one NSG rule exposing several VMs) are proven once. "Before"
//! is one findings-only audit of the whole estate, shared by every proof (a proof with a
//! stand-in client audits its VMs before the change itself: the client changes the findings).
//! Two-hop findings (RDP812) are judged among those VMs and, for an east-west fix, the stepping
//! stones it names; a fix that admits one client address is not followed further into the
//! estate (the VMs its target could then reach over RDP are not re-audited: docs/decisions.md
//! D50).

pub(crate) mod apply;
mod apply_error;
mod apply_more;

use rayon::prelude::*;
use serde_json::value::RawValue;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::engine::topology::Indexes;
use crate::engine::{Observations, Options};
use crate::model::{Diagnostic, GuestFacts, Model, ResId};
use crate::pipeline::{self, Scope, Stones};
use crate::report::{CategoryFilter, FixReport, Proof, Report};
use crate::rules::{Category, Fix, FixAccess};

/// What a proof needs besides the report: the raw resources the model was built from, the
/// model itself, the guest facts and the options of the audit.
pub struct Estate<'a> {
    /// The raw ARM resources.
    pub resources: &'a [&'a RawValue],
    /// The model built from them.
    pub model: &'a Model,
    /// Guest facts by VM id.
    pub guest: &'a HashMap<String, GuestFacts>,
    /// The audit's options.
    pub options: &'a Options,
}

/// One fix applied and audited.
struct Run {
    /// The findings before the change, with the proof's client.
    before: Arc<Seen>,
    /// The audit's own findings (`Shared::truth`): what the report already says.
    reported: Arc<Seen>,
    after: Report,
    /// VM keys the changed resource serves → name.
    affected: Vec<(String, String)>,
    child: Option<serde_json::Value>,
}

/// Proves every typed fix in the report; unprovable ones stay advice with the reason.
pub fn prove(report: &mut Report, estate: &Estate<'_>) {
    let index = apply::index(estate.resources);
    // Which VMs each fix is for: they are audited with the VMs the change reaches.
    let mut targets: HashMap<Key, BTreeSet<String>> = HashMap::new();
    let mut lateral: std::collections::HashSet<Key> = std::collections::HashSet::new();
    for vm in &report.vms {
        for f in &vm.findings {
            if let Some(fix) = f.fix.as_ref().filter(|x| !is_advice(&x.change)) {
                let key = (fix.change.clone(), stand_in(fix));
                // East-west findings depend on other VMs (the stepping stone, the gateway's
                // peers): their proofs take the stones the fix names along (`try_fix`).
                if LATERAL.contains(&f.rule_id) {
                    lateral.insert(key.clone());
                }
                targets.entry(key).or_default().insert(vm.id.key().folded());
            }
        }
    }
    // One scratch copy of the model takes each fix in turn and gives it back (a copy per fix
    // cost more than the audits themselves on large estates: docs/performance.md).
    // Fixes change NSGs, route tables and VMs, never NICs: the ASG member sets are computed
    // once for every audit below.
    let asgs = std::sync::Arc::new(crate::engine::tags::asg_members(estate.model));
    let served = served_index(estate.model);
    let indexes = Indexes::new(estate.model);
    let observed = Observations::new(estate.guest.clone()).sharing_asg_members(asgs);
    let shared = Shared {
        truth: truth(estate, indexes.clone(), &observed),
        observed,
        indexes,
        addresses: vm_addresses(estate.model),
        served: &served,
        index: &index,
    };
    // The fixes are split between the cores, each part with its own scratch copy.
    let mut targets: Vec<(Key, BTreeSet<String>)> = targets.into_iter().collect();
    // Fixes of one resource side by side: they usually audit the same VMs before the change,
    // and a proof reuses the previous one's unpatched audit when it is the same (`Before`).
    targets.sort_by(|a, b| a.0 .0.resource().cmp(&b.0 .0.resource()));
    let part = targets
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    // Which findings each fix answers: each run is judged for them as soon as it is done, so
    // only the verdicts are kept, not every run's reports.
    let mut uses: HashMap<Key, Vec<(String, &'static str, FixReport)>> = HashMap::new();
    for vm in &report.vms {
        let vm_key = vm.id.key().folded();
        for f in &vm.findings {
            if let Some(fr) = &f.fix {
                uses.entry((fr.change.clone(), stand_in(fr)))
                    .or_default()
                    .push((vm_key.clone(), f.rule_id, (**fr).clone()));
            }
        }
    }
    type Verdicts = HashMap<(Key, String, &'static str), FixReport>;
    let verdicts: Verdicts = targets
        .par_chunks(part)
        .flat_map_iter(|chunk| {
            let mut scratch = estate.model.clone();
            let mut before = None;
            let mut out = Vec::new();
            for ((fix, client), vms) in chunk {
                let key = (fix.clone(), client.clone());
                let targets = Targets {
                    vms: vms.clone(),
                    lateral: lateral.contains(&key),
                };
                let run = try_fix(
                    estate,
                    (&mut scratch, &mut before),
                    &shared,
                    (fix, client),
                    targets,
                );
                for (vm_key, rule, fr) in uses.get(&key).into_iter().flatten() {
                    let verdict = judge(fr, &run, vm_key, rule);
                    out.push(((key.clone(), vm_key.clone(), *rule), verdict));
                }
            }
            out
        })
        .collect();
    for vm in &mut report.vms {
        let vm_key = vm.id.key().folded();
        for f in &mut vm.findings {
            let Some(fr) = f.fix.as_mut() else { continue };
            let key = (fr.change.clone(), stand_in(fr));
            if let Some(v) = verdicts.get(&(key, vm_key.clone(), f.rule_id)) {
                **fr = v.clone();
            }
        }
    }
}

/// A fix and the address that stands in for `<YOUR-PUBLIC-IP>` while it is proven.
type Key = (Fix, String);

/// The stand-in: an address the finding is about (the rule's hint), else TEST-NET-1's.
fn stand_in(f: &FixReport) -> String {
    f.stand_in
        .clone()
        .unwrap_or_else(|| apply::STAND_IN.to_string())
}

/// Whether the fix is words only.
fn is_advice(f: &Fix) -> bool {
    matches!(f, Fix::Advice { .. })
}

/// What every proof shares: computed once from the unpatched model and resources.
struct Shared<'a> {
    /// The unpatched model's topology indexes.
    indexes: std::sync::Arc<Indexes<'a>>,
    /// The ARM VMs (keys) at each private address.
    addresses: HashMap<std::net::IpAddr, Vec<String>>,
    /// The guest facts (keyed once) and the ASG member sets: every audit below shares them.
    observed: Observations,
    served: &'a HashMap<String, Vec<(String, String)>>,
    index: &'a crate::model::IdMap<usize>,
    /// Every VM's findings before any change, with the audit's own client (`truth`).
    truth: Arc<Seen>,
}

/// The VMs a proof audits: the fix's own and, for an east-west finding, its stones too.
struct Targets {
    vms: BTreeSet<String>,
    lateral: bool,
}

impl Shared<'_> {
    /// The VMs whose private addresses a fix's sources name (a lateral fix's stepping stones).
    fn vms_at(&self, fix: &Fix) -> BTreeSet<String> {
        let Fix::AddNsgRule { sources, .. } = fix else {
            return BTreeSet::new();
        };
        let nets: Vec<ipnet::IpNet> = sources
            .iter()
            .filter_map(|s| match s {
                crate::rules::Source::Prefix(p) => p
                    .parse::<ipnet::IpNet>()
                    .ok()
                    .or_else(|| p.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from)),
                crate::rules::Source::YourPublicIp => None,
            })
            .collect();
        let mut out = BTreeSet::new();
        for n in &nets {
            if n.prefix_len() == n.max_prefix_len() {
                // A stone's own address: looked up, not scanned (one scan per fix was quadratic).
                out.extend(self.addresses.get(&n.addr()).into_iter().flatten().cloned());
            } else {
                for (ip, keys) in &self.addresses {
                    if n.contains(ip) {
                        out.extend(keys.iter().cloned());
                    }
                }
            }
        }
        out
    }
}

/// The ARM VMs (keys) at each private address.
fn vm_addresses(model: &Model) -> HashMap<std::net::IpAddr, Vec<String>> {
    let mut out: HashMap<std::net::IpAddr, Vec<String>> = HashMap::new();
    for vm in &model.vms {
        for (nic, _) in &vm.nics {
            let Some(n) = model.nics.get(&nic.key()) else {
                continue;
            };
            for ip in n.ip_configs.iter().filter_map(|c| c.private_ip) {
                out.entry(ip).or_default().push(vm.id.key().folded());
            }
        }
    }
    out
}

/// What an unpatched audit in a proof depends on: the VMs audited, the stepping stones taken
/// along (`None`: those in scope) and the client (the stand-in).
type BeforeKey = (
    BTreeSet<String>,
    Option<Arc<BTreeSet<String>>>,
    Option<String>,
);

/// The last unpatched audit made for a stand-in client, kept for the next proof that needs the
/// same one (fixes of one resource are proven side by side).
type Before = Option<(BeforeKey, Arc<Seen>)>;

/// What an audit found: each VM's rules and their categories, by VM key.
#[derive(Default)]
struct Seen(HashMap<String, Vec<(&'static str, Category)>>);

impl Seen {
    /// Whether the VM (key) has a finding of `rule` (of `category`, when given).
    fn has(&self, vm: &str, rule: &str, category: Option<Category>) -> bool {
        self.0.get(vm).is_some_and(|found| {
            found
                .iter()
                .any(|(r, c)| *r == rule && category.is_none_or(|k| k == *c))
        })
    }
}

/// Applies the fix to a copy and audits the VMs it reaches, before and after.
fn try_fix(
    estate: &Estate<'_>,
    (scratch, before): (&mut Model, &mut Before),
    shared: &Shared<'_>,
    (fix, stand_in): (&Fix, &str),
    targets: Targets,
) -> Result<Run, String> {
    let Shared { served, index, .. } = shared;
    let patch = apply::patch(estate.resources, index, fix, stand_in).map_err(|e| e.to_string())?;
    // The changed resource alone is read into a model; a copy of the estate's model takes it.
    let changed = pipeline::build_model(&[patch.resource.as_ref()]);
    let undo = scratch.swap_in(&changed);
    let patched: &Model = scratch;
    let rid = ResId::new(fix.resource().unwrap_or_default());
    let key = rid.key();
    let mut affected = served.get(&key.folded()).cloned().unwrap_or_default();
    let mut keys: BTreeSet<String> = affected.iter().map(|(k, _)| k.clone()).collect();
    keys.extend(targets.vms);
    affected.retain(|(k, _)| keys.contains(k));
    // East-west findings depend on VMs the change does not reach. The fixes for them deny
    // sources (a gateway's prefixes, the stepping stones' addresses), which can only take reach
    // away: the stones they name are every stepping stone the proof needs, before and after.
    let stones = if targets.lateral {
        Stones::Only(std::sync::Arc::new(shared.vms_at(fix)))
    } else {
        Stones::InScope
    };
    let mut options = estate.options.clone();
    // A narrowed DNAT rule is judged by what the whole Internet can still reach through it.
    let dnat = matches!(fix, Fix::NarrowDnatRuleSources { .. });
    let stand_in_client = fix.needs_your_ip() && options.client.is_none() && !dnat;
    if stand_in_client {
        options.client = apply::stand_in_client(stand_in);
    }
    let shared_ix = &shared.indexes;
    // The topology's indexes read load balancers, firewalls with their policies, rule groups
    // and IP groups, Bastions, and public IPs' addresses only: a change to an NSG, a VM, a
    // route table, or a public IP that keeps its address leaves them valid (rebuilding them per
    // fix grew with the square of the estate).
    let address = |m: &Model| m.public_ips.get(&key).map(|p| p.address);
    let keeps_indexes = estate.model.nsgs.contains_key(&key)
        || estate.model.route_tables.contains_key(&key)
        || (estate.model.public_ips.contains_key(&key)
            && address(estate.model) == address(patched))
        || estate
            .model
            .vms
            .binary_search_by(|v| v.id.key().cmp(&key))
            .is_ok();
    let after_ix = if keeps_indexes {
        shared_ix.clone()
    } else {
        Indexes::new(patched)
    };
    let after = audit_keys(
        patched,
        after_ix,
        (&shared.observed, &stones),
        &options,
        &keys,
    )
    // A narrowed DNAT rule is proven by the DNAT paths after the change: they are kept.
    .map(|a| a.with_detail(dnat))
    .map(|a| a.report(&[] as &[Diagnostic], CategoryFilter::All));
    scratch.restore(undo);
    // Before the change, with the audit's own client, every VM's findings are the estate's
    // (`Shared::truth`, one audit for every proof). A stand-in client needs its own audit.
    let unpatched = if stand_in_client {
        let key: BeforeKey = (
            keys,
            match &stones {
                Stones::Only(s) => Some(s.clone()),
                _ => None,
            },
            options.client.as_ref().map(|c| c.text.clone()),
        );
        let seen = match before.take() {
            Some((k, r)) if k == key => r,
            _ => Arc::new(Seen(
                audit_keys(
                    estate.model,
                    shared_ix.clone(),
                    (&shared.observed, &stones),
                    &options,
                    &key.0,
                )?
                .rule_hits()
                .into_iter()
                .collect(),
            )),
        };
        *before = Some((key, seen.clone()));
        seen
    } else {
        shared.truth.clone()
    };
    Ok(Run {
        before: unpatched,
        reported: shared.truth.clone(),
        after: after?,
        affected,
        child: patch.child,
    })
}

/// The audit of `keys` on `model` (patched or not), built on `ix`, findings only.
fn audit_keys<'m>(
    model: &'m Model,
    ix: std::sync::Arc<Indexes<'m>>,
    (observed, stones): (&Observations, &Stones),
    options: &Options,
    keys: &BTreeSet<String>,
) -> Result<pipeline::Audit<'m>, String> {
    let a = pipeline::Audit::sharing(
        model,
        options.clone(),
        observed.clone(),
        &Scope::Keys(keys.clone()),
        ix,
    )
    .map_err(|e| e.to_string())?
    // Two-hop findings are judged among the VMs the change reaches and the stones a lateral
    // fix names: evaluating every other VM as a stepping stone per fix costs ~100×
    // (docs/performance.md), and the same stones serve before and after.
    .with_stepping_stones(stones.clone())
    .findings_only();
    Ok(a)
}

/// Every VM's findings before any change: one audit of the estate with the audit's own options
/// serves as the "before" of every proof that keeps them (most do). Every VM is in scope, so
/// each two-hop finding is judged with every stepping stone, as in the audit itself.
fn truth<'m>(
    estate: &Estate<'m>,
    ix: std::sync::Arc<Indexes<'m>>,
    observed: &Observations,
) -> Arc<Seen> {
    let audit = pipeline::Audit::sharing(
        estate.model,
        estate.options.clone(),
        observed.clone(),
        &Scope::All,
        ix,
    );
    // A whole-estate scope names no VM, so it cannot fail to resolve; were it ever to, an empty
    // "before" turns every proof into advice ("does not occur"), never into a false proof.
    Arc::new(match audit {
        Ok(a) => Seen(a.findings_only().rule_hits().into_iter().collect()),
        Err(_) => Seen::default(),
    })
}

/// For every NSG, route table and VM (by key), the VMs (key, name) whose NICs or subnets use
/// it, or the VM itself. Fixes change what these resources say, never which NIC or subnet uses
/// them, so one index serves every proof.
fn served_index(model: &Model) -> HashMap<String, Vec<(String, String)>> {
    // (position in the model, key, name): the VMs keep the model's order.
    let mut out: HashMap<String, BTreeSet<(usize, String, String)>> = HashMap::new();
    for (i, vm) in model.vms.iter().enumerate() {
        let me = (i, vm.id.key().folded(), vm.name.clone());
        out.entry(vm.id.key().folded())
            .or_default()
            .insert(me.clone());
        for (nic, _) in &vm.nics {
            let Some(n) = model.nics.get(&nic.key()) else {
                continue;
            };
            if let Some(x) = &n.nsg {
                out.entry(x.key().folded()).or_default().insert(me.clone());
            }
            for pip in n.ip_configs.iter().filter_map(|c| c.public_ip.as_ref()) {
                out.entry(pip.key().folded())
                    .or_default()
                    .insert(me.clone());
            }
            for c in &n.ip_configs {
                let subnet = c
                    .subnet
                    .as_ref()
                    .and_then(|s| model.subnets.get(&s.key()))
                    .and_then(|(v, i)| model.vnets.get(v)?.subnets.get(*i));
                let Some(s) = subnet else { continue };
                for x in [&s.nsg, &s.route_table].into_iter().flatten() {
                    out.entry(x.key().folded()).or_default().insert(me.clone());
                }
            }
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|(_, key, name)| (key, name)).collect()))
        .collect()
}

/// The verdict on one finding's fix.
fn judge(fr: &FixReport, run: &Result<Run, String>, vm_key: &str, rule_id: &str) -> FixReport {
    let change = fr.change.clone();
    let client = stand_in(fr);
    let advice = |reason: String| FixReport {
        reason: Some(reason),
        stand_in: fr.stand_in.clone(),
        ..FixReport::unproven(change.clone())
    };
    let run = match run {
        Ok(r) => r,
        Err(e) => return advice(format!("could not apply it to the data: {e}")),
    };
    let vm_of = |r: &'_ Report| -> Option<usize> {
        r.vms
            .iter()
            .position(|v| v.id.key() == crate::model::Key::of(vm_key))
    };
    let has = |r: &Report| {
        vm_of(r).is_some_and(|i| r.vms[i].findings.iter().any(|f| f.rule_id == rule_id))
    };
    if !run.before.has(vm_key, rule_id, None) {
        return advice(format!(
            "{rule_id} does not occur for the stand-in address {client}"
        ));
    }
    // RDP607 says a DNAT rule publishes RDP at all; narrowing its sources keeps the door for
    // the admins, so the proof is that the DNAT paths admit nothing beyond the new sources.
    let narrowed = match &change {
        Fix::NarrowDnatRuleSources { sources, .. } => Some(
            sources
                .iter()
                .map(|s| match s {
                    crate::rules::Source::Prefix(p) => p.clone(),
                    crate::rules::Source::YourPublicIp => apply::stand_in_prefix(&client),
                })
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    match &narrowed {
        Some(allowed) => {
            let wider = vm_of(&run.after).and_then(|i| {
                run.after.vms[i]
                    .rdp
                    .paths
                    .iter()
                    .filter(|p| p.kind == "firewallDnat")
                    .flat_map(|p| p.allowed_sources.iter())
                    .find(|s| !allowed.contains(s))
                    .cloned()
            });
            if let Some(s) = wider {
                return advice(format!("the DNAT path still admits {s} after the change"));
            }
        }
        None if has(&run.after) => {
            return advice(format!("{rule_id} remains after the change"));
        }
        None => {}
    }
    // A fix that admits the client opens a standing rule for that one address: RDP804 (use
    // just-in-time access instead) is then expected, and said; anything else new is not.
    // Aiming an allow rule at the private address makes it admit what it was written for.
    let admits = matches!(
        change,
        Fix::AddRoute { .. }
            | Fix::SetNsgRuleDestination { .. }
            | Fix::AddNsgRule {
                access: FixAccess::Allow,
                ..
            }
    );
    let expected: &[&str] = if admits { &[STANDING] } else { &[] };
    let new = new_exposure(run);
    if let Some((vm, rule)) = new.iter().find(|(_, r)| !expected.contains(r)) {
        return advice(format!("it would newly raise {rule} on {vm}"));
    }
    let mut notes = Vec::new();
    if !new.is_empty() {
        notes.push(
            "this is a standing rule for one address (RDP804): just-in-time access or Azure \
             Bastion avoid it"
                .to_string(),
        );
    }
    FixReport {
        arm_body: run
            .child
            .as_ref()
            .map(|b| placeholder_back(b, &change, &client)),
        stand_in: fr.stand_in.clone(),
        change,
        proof: Proof::Proven,
        reason: None,
        also_affects: run
            .affected
            .iter()
            .filter(|(k, _)| k != vm_key)
            .map(|(_, n)| n.clone())
            .collect(),
        notes,
    }
}

/// The body as the user sends it: the stand-in address becomes the marked placeholder again.
fn placeholder_back(body: &serde_json::Value, fix: &Fix, stand_in: &str) -> serde_json::Value {
    if !fix.needs_your_ip() {
        return body.clone();
    }
    let text = body.to_string().replace(
        &apply::stand_in_prefix(stand_in),
        crate::rules::fix::YOUR_PUBLIC_IP,
    );
    serde_json::from_str(&text).unwrap_or_else(|_| body.clone())
}

/// The rules whose findings come from the east-west analysis of the whole estate.
const LATERAL: &[&str] = &["RDP811", "RDP812"];

/// The rule that flags a standing allow rule (the expected companion of an admitting fix).
const STANDING: &str = "RDP804";

/// The exposure findings (VM name, rule) the change would add anywhere it reaches.
fn new_exposure(run: &Run) -> Vec<(String, &'static str)> {
    // A finding the report already holds is not new, even when a stand-in client's audit
    // before the change lacked it (the stand-in reaches less than the whole Internet).
    let exposed = |vm: &str, rule: &str| {
        [&run.before, &run.reported]
            .iter()
            .any(|seen| seen.has(vm, rule, Some(Category::Exposure)))
    };
    // A rule that stood down for a rule that fired before (RDP802 for RDP801) was already
    // true before: showing now is not a new exposure.
    let stood_down = |vm: &str, rule: &str| {
        crate::rules::find(rule).is_some_and(|r| r.meta.defers_to.iter().any(|d| exposed(vm, d)))
    };
    let mut out: BTreeSet<(String, &'static str)> = BTreeSet::new();
    for v in &run.after.vms {
        let key = v.id.key().folded();
        for f in v
            .findings
            .iter()
            .filter(|f| f.category == Category::Exposure)
        {
            if !exposed(&key, f.rule_id) && !stood_down(&key, f.rule_id) {
                out.insert((v.name.clone(), f.rule_id));
            }
        }
    }
    out.into_iter().collect()
}

/// The raw resources with one VM's fixes applied in turn (proven ones only), for
/// `rdpaudit fix --apply-to-snapshot`. Returns the patched resources and the fixes applied.
pub fn patched_resources(
    resources: &[&RawValue],
    fixes: &[FixReport],
) -> (Vec<Box<RawValue>>, Vec<String>) {
    let mut owned: Vec<Box<RawValue>> = resources.iter().map(|r| (*r).to_owned()).collect();
    let mut problems = Vec::new();
    for fix in fixes {
        let refs: Vec<&RawValue> = owned.iter().map(|b| b.as_ref()).collect();
        let index = apply::index(&refs);
        match apply::patch(&refs, &index, &fix.change, &stand_in(fix)) {
            Ok(p) => owned[p.at] = p.resource,
            Err(e) => problems.push(e.to_string()),
        }
    }
    (owned, problems)
}

/// [`pipeline::run`] with every fix proven and rendered in `format`: what the CLI prints for
/// snapshot and demo audits, in one call (rule fixtures and tests use it).
/// `admin_rules` is the data's `securityAdminRules` section, if any.
pub fn run(
    resources: &[&RawValue],
    admin_rules: Option<&RawValue>,
    guest: HashMap<String, GuestFacts>,
    options: Options,
    scope: &Scope,
    format: crate::report::FixFormat,
) -> Result<Report, pipeline::PipelineError> {
    let model = pipeline::build_model_with(resources, admin_rules);
    let audit = pipeline::Audit::new(
        &model,
        options.clone(),
        Observations::new(guest.clone()),
        scope,
    )?;
    let mut report = audit.report(&[], CategoryFilter::All);
    let estate = Estate {
        resources,
        model: &model,
        guest: &guest,
        options: &options,
    };
    prove(&mut report, &estate);
    crate::report::fix::finish(&mut report, format);
    Ok(report)
}
