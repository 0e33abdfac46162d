//! Collection: subscriptions, resource groups or one VM → the raw ARM resources a snapshot holds.
//!
//! A subscription audit makes one paged list per resource type per subscription (VM power states
//! from the `statusOnly=true` VM list), all concurrently under the client's limit, then fetches
//! by id whatever the collected resources reference but the lists did not return (resources in
//! other resource groups or subscriptions). A one-VM check fetches only what that VM references,
//! in at most four sequential rounds of parallel GETs.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::task::JoinSet;

use super::client::ArmClient;
use super::collect_doors::{AdminRules, VnetSender};
use super::collected::dedup;
pub(crate) use super::collected::Collected;
use super::error::{ArmError, ErrorKind};
use super::in_order::{Event, InOrder, Page};
use super::request::{self, ResourceType, SUBSCRIPTION_WIDE, TYPES};
use crate::model::refs::Index;
use crate::model::{decode_each, DiagLevel, Diagnostic, IdKey, IdSet, Model, ResId};
use crate::snapshot::Subscription;

/// What to collect (the scope options in README "Usage").
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub(crate) subscriptions: Vec<String>,
    pub(crate) all_subscriptions: bool,
    pub(crate) resource_groups: Vec<String>,
    /// `AZURE_SUBSCRIPTION_ID`, read by the CLI.
    pub(crate) default_subscription: Option<String>,
    /// Decode each page for the model as it arrives (an audit builds its model during the
    /// collection; `rdpaudit collect` only writes the resources).
    pub(crate) decode: bool,
    /// With `decode`: where the model is sent once every resource is in and only admin-rule
    /// answers are awaited, built with those in and an empty list for each one awaited;
    /// [`Collected::speculation_held`] says afterwards whether they were (docs/performance.md).
    pub(crate) early: Option<EarlyModel>,
}

/// Where a collection sends the model it expects before the last admin-rule answers.
pub(crate) type EarlyModel = std::sync::mpsc::SyncSender<Model>;

/// Why nothing useful could be collected (exit 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CollectError {
    #[error("authentication failed: {0}")]
    Auth(ArmError),
    #[error("{0}")]
    Scope(String),
    #[error("nothing could be read: {0}")]
    Nothing(ArmError),
    /// `--resource-group` names a group the subscription does not have (one error, not one
    /// per resource type).
    #[error("resource group {group} not found in subscription {subscription} ({})", .source.message)]
    GroupNotFound {
        group: String,
        subscription: String,
        source: ArmError,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionItem {
    subscription_id: Option<String>,
    display_name: Option<String>,
    state: Option<String>,
}

/// The subscriptions the scope names (`--subscription`, else `AZURE_SUBSCRIPTION_ID` unless
/// `--all-subscriptions`): known before the subscription list, which then only adds their names.
pub(crate) fn named_subscriptions(scope: &Scope) -> Option<Vec<String>> {
    if !scope.subscriptions.is_empty() {
        Some(scope.subscriptions.clone())
    } else if scope.all_subscriptions {
        None
    } else {
        scope.default_subscription.clone().map(|s| vec![s])
    }
}

/// The subscriptions in scope: `--subscription`, else `AZURE_SUBSCRIPTION_ID`, else the one
/// enabled subscription the identity sees; `--all-subscriptions`: every enabled one. When the
/// subscription list stopped early (a refused or looping `nextLink`) and it decides the scope,
/// the audit is incomplete: its diagnostic is pushed to `diagnostics`.
pub(crate) async fn resolve_subscriptions(
    client: &ArmClient,
    scope: &Scope,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<Subscription>, CollectError> {
    let url = request::subscriptions(client.base());
    let listed = client.list(&url, "/subscriptions").await.map_err(|e| {
        if e.is_auth() {
            CollectError::Auth(e)
        } else {
            CollectError::Nothing(e)
        }
    })?;
    if let Some(mut stopped) = listed.stopped {
        if !scope.subscriptions.is_empty() || scope.default_subscription.is_some() {
            // The scope was named: the list only adds display names.
            stopped.level = DiagLevel::Info;
        }
        diagnostics.push(stopped);
    }
    let visible: Vec<Subscription> = listed
        .items
        .iter()
        .filter_map(|raw| serde_json::from_str::<SubscriptionItem>(raw.get()).ok())
        .filter_map(|s| {
            Some(Subscription {
                subscription_id: s.subscription_id?,
                display_name: s.display_name,
                state: s.state,
            })
        })
        .collect();
    let enabled = |s: &&Subscription| {
        s.state
            .as_deref()
            .is_none_or(|st| st.eq_ignore_ascii_case("enabled"))
    };
    let wanted: Vec<String> = if let Some(named) = named_subscriptions(scope) {
        named
    } else if scope.all_subscriptions {
        return Ok(visible.iter().filter(enabled).cloned().collect());
    } else {
        let en: Vec<&Subscription> = visible.iter().filter(enabled).collect();
        return match en.as_slice() {
            [one] => Ok(vec![(*one).clone()]),
            [] => Err(CollectError::Scope(
                "this identity sees no enabled subscription: pass --subscription ID, or grant it Reader on one".into(),
            )),
            many => Err(CollectError::Scope(format!(
                "this identity sees {} subscriptions; choose with --subscription ID (repeatable) or --all-subscriptions:\n{}",
                many.len(),
                many.iter()
                    .map(|s| format!("  {}  {}", s.subscription_id, s.display_name.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))),
        };
    };
    Ok(wanted
        .into_iter()
        .map(|id| {
            visible
                .iter()
                .find(|s| s.subscription_id.eq_ignore_ascii_case(&id))
                .cloned()
                .unwrap_or(Subscription {
                    subscription_id: id,
                    display_name: None,
                    state: None,
                })
        })
        .collect())
}

enum Job {
    List(String, ResourceType, Option<String>),
    Get(String),
}

/// One job; a list indexes each page as it arrives and sends the VNets of its VMs' NICs to
/// `early` (the admin-rule reader), so those requests start while the lists go on. Each page
/// (decoded, when the collection decodes) goes to the collector as job `n`'s, then how the job
/// ended.
async fn run_job(
    client: Arc<ArmClient>,
    job: Job,
    early: Option<VnetSender>,
    decode: bool,
    (events, n): (UnboundedSender<Event>, usize),
) {
    let send = |rows: Vec<Box<RawValue>>| {
        let page = Page {
            index: Index::of(&rows),
            decoded: decode.then(|| decode_each(rows.iter().map(|r| r.as_ref()))),
            rows,
        };
        if let Some(tx) = &early {
            tx.read(page.index.attached_vnets());
        }
        let _ = events.send(Event::Page(n, Box::new(page)));
    };
    let ended = match job {
        Job::List(sub, t, rg) => {
            let url = request::list(client.base(), &sub, rg.as_deref(), &t);
            let scope = job_scope(&sub, t, rg.as_deref());
            let listed = client.list_each(&url, &scope, send).await;
            listed.map(|l| l.stopped.into_iter().collect())
        }
        Job::Get(id) => {
            let expand = is_vm_id(&id).then_some("instanceView");
            let url = request::get(client.base(), &id, expand);
            let body = client.get(&url).await;
            body.and_then(|body| {
                let raw = serde_json::from_slice::<Box<RawValue>>(&body).map_err(|e| {
                    let why = format!("the response is not JSON: {e}");
                    ArmError::new(ErrorKind::Malformed, "GET", &url, why)
                })?;
                send(vec![raw]);
                Ok(Vec::new())
            })
        }
    };
    let _ = events.send(Event::Done(n, ended));
}

/// How a list is named in diagnostics.
fn job_scope(sub: &str, t: ResourceType, rg: Option<&str>) -> String {
    match rg {
        Some(rg) => format!("/subscriptions/{sub}/resourceGroups/{rg} {}", t.full_name()),
        None => format!("/subscriptions/{sub} {}", t.full_name()),
    }
}

impl Job {
    fn scope(&self) -> String {
        match self {
            Job::List(sub, t, rg) => job_scope(sub, *t, rg.as_deref()),
            Job::Get(id) => id.clone(),
        }
    }

    /// Where the job's pages join the collection: the lists whose chains grow with the estate
    /// last, the VMs' (the longest) after all, so each page of the chain being added joins the
    /// model as it arrives and little is left when the last one is in ([`InOrder`]).
    fn rank(&self) -> u8 {
        match self {
            Job::List(_, t, _) if *t == request::VIRTUAL_MACHINES => 3,
            Job::List(_, t, _) if *t == request::NETWORK_INTERFACES => 2,
            Job::List(_, t, _) if *t == request::PUBLIC_IP_ADDRESSES => 1,
            _ => 0,
        }
    }
}

fn is_vm_id(id: &str) -> bool {
    id.to_ascii_lowercase()
        .contains("/providers/microsoft.compute/virtualmachines/")
}

/// Runs jobs concurrently (the client bounds requests in flight) and gathers what they return.
async fn run_all(client: &Arc<ArmClient>, jobs: Vec<Job>, out: &mut Collected) -> Vec<ArmError> {
    run_all_early(client, jobs, out, None, true).await
}

/// [`run_all`], sending the VNets of VMs' NICs to the admin-rule reader as pages arrive. The
/// pages join `out` in the jobs' [`Job::rank`] order as soon as every job before has ended
/// ([`InOrder`]): the model is built while the chains download, and the resources keep one
/// order whatever order the answers arrive in. A list that fails takes its pages back out.
async fn run_all_early(
    client: &Arc<ArmClient>,
    mut jobs: Vec<Job>,
    out: &mut Collected,
    early: Option<VnetSender>,
    decode: bool,
) -> Vec<ArmError> {
    jobs.sort_by_key(Job::rank);
    let scopes: Vec<String> = jobs.iter().map(Job::scope).collect();
    let (tx, mut rx) = unbounded_channel();
    // Kept until every event is in: dropping a JoinSet aborts its tasks.
    let mut set = JoinSet::new();
    for (n, job) in jobs.into_iter().enumerate() {
        set.spawn(run_job(
            client.clone(),
            job,
            early.clone(),
            decode,
            (tx.clone(), n),
        ));
    }
    drop((tx, early));
    let mut order = InOrder::new(scopes.len(), out);
    while let Some(event) = rx.recv().await {
        order.take(event, out);
    }
    while let Some(done) = set.join_next().await {
        if let Err(e) = done {
            tracing::error!(error = %e, "a collection task failed");
        }
    }
    let ended = order.finish(out, |n| {
        let scope = scopes.get(n).map_or("a list", String::as_str);
        ArmError::new(
            ErrorKind::Malformed,
            "GET",
            client.base(),
            format!("the collection task for {scope} ended without a result"),
        )
    });
    let mut failures = Vec::new();
    for (ended, scope) in ended.into_iter().zip(&scopes) {
        match ended {
            Ok(stopped) => out.diagnostics.extend(stopped),
            // A type the subscription does not have (provider not registered, 404), or a
            // referenced resource that no longer exists (the model reports it dangling).
            Err(e) if e.means_none() => tracing::debug!(%scope, "none here: {}", e),
            Err(e) => {
                out.diagnostics.push(e.diagnostic(DiagLevel::Error, scope));
                failures.push(e);
            }
        }
    }
    failures
}

/// Audits whole subscriptions (optionally limited to resource groups).
pub(crate) async fn collect(
    client: Arc<ArmClient>,
    scope: &Scope,
) -> Result<Collected, CollectError> {
    let mut out = Collected::default();
    // Admin-rule requests start as soon as a NIC page names a VNet (docs/performance.md).
    let admin = AdminRules::start(client.clone());
    let lists = |ids: &[String]| list_jobs(ids, &scope.resource_groups);
    let (total, failures) = match named_subscriptions(scope) {
        // Named subscriptions are listed while the subscription list is read for their names
        // (its diagnostics keep their place first; if it fails, so does the run, as before).
        Some(named) => {
            let jobs = lists(&named);
            let total = jobs.len();
            let mut notes = Vec::new();
            let early = Some(admin.sender());
            let (subscriptions, failures) = tokio::join!(
                resolve_subscriptions(&client, scope, &mut notes),
                run_all_early(&client, jobs, &mut out, early, scope.decode)
            );
            out.subscriptions = subscriptions?;
            out.diagnostics.splice(0..0, notes);
            (total, failures)
        }
        None => {
            out.subscriptions = resolve_subscriptions(&client, scope, &mut out.diagnostics).await?;
            let ids: Vec<String> = (out.subscriptions.iter())
                .map(|s| s.subscription_id.clone())
                .collect();
            let jobs = lists(&ids);
            let total = jobs.len();
            let early = Some(admin.sender());
            (
                total,
                run_all_early(&client, jobs, &mut out, early, scope.decode).await,
            )
        }
    };
    if let Some(e) = failures
        .iter()
        .find(|e| e.code.as_deref() == Some("ResourceGroupNotFound"))
    {
        let lower = e.url.to_ascii_lowercase();
        let (subscription, group) = scope
            .resource_groups
            .iter()
            .flat_map(|g| out.subscriptions.iter().map(move |s| (s, g)))
            .find(|(s, g)| {
                lower.contains(&format!(
                    "/subscriptions/{}/resourcegroups/{}/",
                    s.subscription_id.to_ascii_lowercase(),
                    g.to_ascii_lowercase()
                ))
            })
            .map(|(s, g)| (s.subscription_id.clone(), g.clone()))
            .unwrap_or_default();
        return Err(CollectError::GroupNotFound {
            group,
            subscription,
            source: e.clone(),
        });
    }
    if let (true, Some(first)) = (failures.len() == total, failures.first()) {
        let first = first.clone();
        return Err(if first.is_auth() {
            CollectError::Auth(first)
        } else {
            CollectError::Nothing(first)
        });
    }
    if failures.iter().any(ArmError::is_auth) {
        if let Some(e) = failures.into_iter().find(ArmError::is_auth) {
            return Err(CollectError::Auth(e));
        }
    }
    if !scope.resource_groups.is_empty() {
        // A resource-group list carries no power state: read each VM's instance view.
        add_instance_views(&client, &mut out).await;
    }
    // Referenced resources the lists did not return (other groups or subscriptions).
    // Then the gateways' connections and what they name; an id is asked for once in all.
    follow_references(&client, &mut out, None).await;
    let admin = collect_doors(&client, &mut out, None, admin).await;
    // The gateways' connections go on while the admin rules are read; the admin-rule
    // diagnostics keep their place before them.
    let at = out.diagnostics.len();
    add_connections(&client, &mut out).await;
    finish_admin(&mut out, admin, scope.early.as_ref(), at).await;
    Ok(out.finished())
}

/// Every list of these subscriptions (in each resource group asked for, but the
/// subscription-wide types).
fn list_jobs(subscriptions: &[String], resource_groups: &[String]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for sub in subscriptions {
        for t in TYPES {
            // A Bastion in another group (usually the hub's) can still serve the VMs in scope:
            // Bastion hosts are listed subscription-wide, like a one-VM check does.
            if resource_groups.is_empty() || SUBSCRIPTION_WIDE.contains(&t) {
                jobs.push(Job::List(sub.clone(), t, None));
            } else {
                for rg in resource_groups {
                    jobs.push(Job::List(sub.clone(), t, Some(rg.clone())));
                }
            }
        }
    }
    jobs
}

/// Checks one VM: GET it with its instance view (and the subscription's Bastion hosts), then
/// only what it references, round by round: NICs; their NSGs, VNets, public IPs and load
/// balancers; the VM subnets' NSGs and route tables, the frontends' public IPs and the VNets of
/// Bastion hosts. Four sequential rounds at most.
pub(crate) async fn collect_vm(
    client: Arc<ArmClient>,
    vm_id: &str,
) -> Result<Collected, CollectError> {
    let id = ResId::new(vm_id);
    let Some(sub) = id.subscription().map(str::to_string) else {
        return Err(CollectError::Scope(format!(
            "\"{vm_id}\" is not a VM resource id (/subscriptions/…/virtualMachines/NAME)"
        )));
    };
    let mut out = Collected::default();
    out.subscriptions = vec![Subscription {
        subscription_id: sub.clone(),
        display_name: None,
        state: None,
    }];
    let mut first = vec![Job::Get(id.id.clone())];
    first.extend(
        SUBSCRIPTION_WIDE
            .iter()
            .map(|t| Job::List(sub.clone(), *t, None)),
    );
    let failures = run_all(&client, first, &mut out).await;
    if let Some(e) = failures
        .iter()
        .find(|e| e.url.contains("/virtualMachines/") || e.is_auth())
    {
        let e = e.clone();
        return Err(if e.is_auth() {
            CollectError::Auth(e)
        } else {
            CollectError::Nothing(e)
        });
    }
    if out.resources.is_empty() {
        return Err(CollectError::Scope(format!("VM {vm_id} was not found")));
    }
    // Beside the NICs, the rule collection groups of the policies listed in round one; beside
    // the later rounds, the admin rules of the NICs' VNets (one POST each): four rounds, unless a
    // base policy lives in another subscription.
    let policies = out.index().policies();
    let mut listed: IdSet = policies.iter().map(IdKey::from).collect();
    let groups = tokio::spawn(super::collect_doors::groups_of(client.clone(), policies));
    follow_rounds(&client, &mut out, Some(&id), 1).await;
    let vnets = out.vm_vnets();
    let admin = tokio::spawn(super::collect_doors::admin_rules(client.clone(), vnets));
    if let Ok((items, diagnostics)) = groups.await {
        out.resources.extend(items);
        out.diagnostics.extend(diagnostics);
    }
    follow_rounds(&client, &mut out, Some(&id), 2).await;
    firewall_groups(&client, &mut out, Some(&id), &mut listed).await;
    if let Ok((section, diagnostics)) = admin.await {
        out.security_admin_rules = section;
        out.diagnostics.extend(diagnostics);
    }
    Ok(out.finished())
}

/// The newer doors after the lists: rule collection groups, what they reference, then asks
/// `admin` (started before the lists, which sent it the VNets their pages showed) for the VMs'
/// VNets it has not read yet (docs/performance.md); [`finish_admin`] waits for them.
pub(crate) async fn collect_doors(
    client: &Arc<ArmClient>,
    out: &mut Collected,
    focus: Option<&ResId>,
    admin: AdminRules,
) -> AdminRules {
    firewall_groups(client, out, focus, &mut IdSet::default()).await;
    admin.read(out.vm_vnets());
    admin
}

/// Waits for the admin rules, once every resource is in; their diagnostics go at `at`. With
/// `early`, the model is first sent there built with the answers in and as if every VNet still
/// awaited had no admin rule (most VNets): the audit is judged while the answers arrive, and
/// kept if they say so ([`Collected::speculation_held`]).
pub(crate) async fn finish_admin(
    out: &mut Collected,
    admin: AdminRules,
    early: Option<&EarlyModel>,
    at: usize,
) {
    if let Some(tx) = early {
        let guess = admin.guess().await;
        let awaited = guess.awaited;
        // Every answer already in: the model is built once, with them.
        if let Some(section) = guess.section.filter(|_| awaited > 0) {
            let model = out.speculate(section, guess.ruled);
            tracing::debug!(awaited, "model sent before the admin-rule answers");
            // No one waiting: nothing was judged early.
            if tx.try_send(model).is_err() {
                out.forget_speculation();
            }
        }
    }
    let (section, diagnostics) = admin.finish().await;
    out.security_admin_rules = section;
    let at = at.min(out.diagnostics.len());
    out.diagnostics.splice(at..at, diagnostics);
}

/// Each Firewall Policy's rule collection groups, and what they and base policies reference
/// (base policies have groups of their own: a few rounds).
async fn firewall_groups(
    client: &Arc<ArmClient>,
    out: &mut Collected,
    focus: Option<&ResId>,
    listed: &mut IdSet,
) {
    for _round in 0..3 {
        let policies: Vec<ResId> = out
            .index()
            .policies()
            .into_iter()
            .filter(|p| listed.insert(IdKey::from(p)))
            .collect();
        if policies.is_empty() {
            break;
        }
        let (items, diagnostics) = super::collect_doors::groups_of(client.clone(), policies).await;
        out.resources.extend(items);
        out.diagnostics.extend(diagnostics);
        follow_references(client, out, focus).await;
    }
}

/// Reads by id what the collected resources reference but do not contain (three rounds: a NIC
/// leads to its VNet, the VNet to its subnets' NSGs), then drops duplicates.
pub(crate) async fn follow_references(
    client: &Arc<ArmClient>,
    out: &mut Collected,
    focus: Option<&ResId>,
) {
    follow_rounds(client, out, focus, 3).await;
}

/// [`follow_references`] for at most `rounds` rounds.
async fn follow_rounds(
    client: &Arc<ArmClient>,
    out: &mut Collected,
    focus: Option<&ResId>,
    rounds: usize,
) {
    // An id is asked for once: one that failed (gone, forbidden, throttled) is not asked again
    // in the next round, nor by a later call.
    for _round in 0..rounds {
        let missing: Vec<String> = out
            .missing(focus)
            .into_iter()
            .filter(|id| !out.asked.contains(&id.to_ascii_lowercase()))
            .collect();
        if missing.is_empty() {
            break;
        }
        if client.past_deadline() {
            out.diagnostics.push(Diagnostic {
                level: DiagLevel::Warning,
                scope: Some("collection".into()),
                message: format!(
                    "{} referenced resources were not read: the run's --timeout deadline was reached",
                    missing.len()
                ),
                status: None,
                code: Some("Deadline".into()),
                request_id: None,
            });
            break;
        }
        out.asked
            .extend(missing.iter().map(|id| id.to_ascii_lowercase()));
        run_all(client, missing.into_iter().map(Job::Get).collect(), out).await;
    }
    dedup(out);
}

/// Connections of the gateways found (listed in each gateway's resource group, the only scope
/// ARM lists them in), then the local network gateways they name (docs/decisions.md D44).
pub(crate) async fn add_connections(client: &Arc<ArmClient>, out: &mut Collected) {
    let groups = out.index().gateway_groups();
    if groups.is_empty() {
        return;
    }
    let jobs = groups
        .into_iter()
        .map(|(sub, rg)| Job::List(sub, request::CONNECTIONS, Some(rg)))
        .collect();
    run_all(client, jobs, out).await;
    follow_references(client, out, None).await;
}

async fn add_instance_views(client: &Arc<ArmClient>, out: &mut Collected) {
    let vm_ids: Vec<(usize, String)> = out
        .resources
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let head: serde_json::Value = serde_json::from_str(r.get()).ok()?;
            let id = head.get("id")?.as_str()?;
            (is_vm_id(id) && head.pointer("/properties/instanceView").is_none())
                .then(|| (i, id.to_string()))
        })
        .collect();
    let mut set = JoinSet::new();
    for (i, id) in vm_ids {
        let c = client.clone();
        set.spawn(async move {
            let url = request::instance_view(c.base(), &id);
            (i, id, c.get(&url).await)
        });
    }
    while let Some(done) = set.join_next().await {
        let Ok((i, id, res)) = done else { continue };
        match res {
            Ok(body) => {
                let merged = serde_json::from_str::<serde_json::Value>(out.resources[i].get())
                    .ok()
                    .and_then(|mut vm| {
                        let iv: serde_json::Value = serde_json::from_slice(&body).ok()?;
                        vm.get_mut("properties")?
                            .as_object_mut()?
                            .insert("instanceView".into(), iv);
                        serde_json::value::to_raw_value(&vm).ok()
                    });
                if let Some(m) = merged {
                    out.resources[i] = m;
                    out.changed();
                }
            }
            Err(e) => out.diagnostics.push(e.diagnostic(DiagLevel::Warning, &id)),
        }
    }
}
