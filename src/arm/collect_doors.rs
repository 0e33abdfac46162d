//! Collection for the newer doors, after the resource lists: each Firewall Policy's rule
//! collection groups (one paged child list per policy; a policy body names them by id only),
//! what they reference (base policies, IP Groups), and the effective security admin rules of each
//! VM's VNet (docs/decisions.md D36): `POST …/listNetworkManagerEffectiveSecurityAdminRules`
//! with `$top=20`, paged by `skipToken` in the body, not by `nextLink`.
//!
//! Requests: one per policy (per page of groups) and one per VM VNet per 20 admin rules. A
//! VNet whose admin rules cannot be read (403 for a Reader without
//! `Microsoft.Network/networkManagers` read, …) is left out of the section with a diagnostic:
//! its VMs' verdicts become `unknown`, never "no rules".

use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::client::{ArmClient, MAX_PAGES};
use super::error::{ArmError, ErrorKind};
use super::request;
use crate::model::{DiagLevel, Diagnostic, ResId};

/// The rule collection groups of these policies (one child list each), and what failed.
pub(crate) async fn groups_of(
    client: Arc<ArmClient>,
    policies: Vec<ResId>,
) -> (Vec<Box<RawValue>>, Vec<Diagnostic>) {
    let (mut items, mut diagnostics) = (Vec::new(), Vec::new());
    let mut set = JoinSet::new();
    for p in policies {
        let c = client.clone();
        set.spawn(async move {
            let url = request::child_list(c.base(), &p.id, "ruleCollectionGroups");
            (p, c.list(&url, "ruleCollectionGroups").await)
        });
    }
    while let Some(done) = set.join_next().await {
        let Ok((policy, res)) = done else { continue };
        match res {
            Ok(l) => {
                items.extend(l.items);
                diagnostics.extend(l.stopped);
            }
            Err(e) => diagnostics.push(e.diagnostic(
                DiagLevel::Error,
                &format!("{} rule collection groups", policy.id),
            )),
        }
    }
    (items, diagnostics)
}

/// One VNet's effective admin rules, every page.
async fn vnet_rules(client: &ArmClient, vnet: &ResId) -> Result<Vec<Box<RawValue>>, ArmError> {
    let url = request::admin_rules(client.base(), &vnet.id);
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _page in 0..MAX_PAGES {
        let body = match &token {
            Some(t) => json!({ "skipToken": t }),
            None => json!({}),
        };
        let bytes = client.post_bulk(&url, &body).await?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page {
            value: Option<Vec<Box<RawValue>>>,
            skip_token: Option<String>,
        }
        let page: Page = serde_json::from_slice(&bytes).map_err(|e| {
            ArmError::new(
                ErrorKind::Malformed,
                "POST",
                &url,
                format!("the response is not an admin-rule page: {e}"),
            )
        })?;
        items.extend(page.value.unwrap_or_default());
        match page.skip_token.filter(|t| !t.is_empty()) {
            Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => return Ok(items),
        }
    }
    Err(ArmError::new(
        ErrorKind::Malformed,
        "POST",
        &url,
        format!("more than {MAX_PAGES} pages of admin rules: stopped"),
    ))
}

/// The `securityAdminRules` section for these VNets, and what could not be read.
pub(crate) async fn admin_rules(
    client: Arc<ArmClient>,
    vnets: Vec<ResId>,
) -> (Option<Box<RawValue>>, Vec<Diagnostic>) {
    let admin = AdminRules::start(client);
    admin.read(vnets);
    admin.finish().await
}

/// Admin-rule requests started while collection goes on: a VNet is sent as soon as a page shows
/// that a VM's NIC is in it, so these POSTs overlap the lists instead of waiting for them.
/// Each VNet is read once, however often it is sent.
pub(crate) struct AdminRules {
    tx: mpsc::UnboundedSender<Msg>,
    task: Option<tokio::task::JoinHandle<Section>>,
}

/// The `securityAdminRules` section and what could not be read.
type Section = (Option<Box<RawValue>>, Vec<Diagnostic>);

enum Msg {
    Vnet(ResId),
    /// What the section may be while answers are still awaited.
    Guess(tokio::sync::oneshot::Sender<Guess>),
    /// No more VNets: wait for the requests and hand the section back.
    Done,
}

/// The admin-rule section as the answers in make it ([`AdminRules::guess`]).
#[derive(Debug, Default)]
pub(crate) struct Guess {
    /// The answers in as they are, and an empty list for each VNet still awaited.
    pub(crate) section: Option<Box<RawValue>>,
    /// How many answers are still awaited.
    pub(crate) awaited: usize,
    /// Whether an answer in has admin rules (then a late one may well have some too).
    pub(crate) ruled: bool,
}

/// Where list pages send the VNets they find (cheap to clone; sending never waits).
#[derive(Clone)]
pub(crate) struct VnetSender(mpsc::UnboundedSender<Msg>);

impl VnetSender {
    pub(crate) fn read(&self, vnets: impl IntoIterator<Item = ResId>) {
        for v in vnets {
            // The reader stops listening only at `finish`: a VNet sent later is not needed.
            let _ = self.0.send(Msg::Vnet(v));
        }
    }
}

impl Drop for AdminRules {
    /// Collection gave up before `finish`: stop the requests still running.
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

impl AdminRules {
    /// Starts the reader; it sends each new VNet's requests as the VNet arrives.
    pub(crate) fn start(client: Arc<ArmClient>) -> AdminRules {
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
        let task = tokio::spawn(async move {
            let mut asked = crate::model::IdSet::default();
            let mut asked_ids: Vec<ResId> = Vec::new();
            let mut set = JoinSet::new();
            let mut section: BTreeMap<String, Vec<Box<RawValue>>> = BTreeMap::new();
            // The VNets whose answer failed: in no section, guessed or final.
            let mut failed: HashSet<String> = HashSet::new();
            let mut diagnostics = Vec::new();
            let mut take = |done: Result<(ResId, Result<_, ArmError>), tokio::task::JoinError>,
                            section: &mut BTreeMap<String, Vec<Box<RawValue>>>,
                            failed: &mut HashSet<String>| {
                match done {
                    Ok((vnet, Ok(items))) => {
                        section.insert(vnet.id.clone(), items);
                    }
                    Ok((vnet, Err(e))) => {
                        failed.insert(vnet.id.clone());
                        diagnostics.push(e.diagnostic(
                            DiagLevel::Error,
                            &format!("{} security admin rules", vnet.id),
                        ));
                    }
                    Err(e) => diagnostics.push(Diagnostic::error(
                        "security admin rules",
                        format!("a request task failed: {e}; a VNet's admin rules are missing"),
                    )),
                }
            };
            loop {
                tokio::select! {
                    next = rx.recv() => match next {
                        Some(Msg::Vnet(v)) => {
                            if asked.insert(crate::model::IdKey::from(&v)) {
                                asked_ids.push(v.clone());
                                let c = client.clone();
                                set.spawn(async move {
                                    let res = vnet_rules(&c, &v).await;
                                    (v, res)
                                });
                            }
                        }
                        Some(Msg::Guess(reply)) => {
                            let _ = reply.send(Guess {
                                section: guess_section(&section, &asked_ids, &failed),
                                awaited: set.len(),
                                ruled: section.values().any(|rules| !rules.is_empty()),
                            });
                        }
                        Some(Msg::Done) | None => break,
                    },
                    Some(done) = set.join_next(), if !set.is_empty() => {
                        take(done, &mut section, &mut failed);
                    }
                }
            }
            while let Some(done) = set.join_next().await {
                take(done, &mut section, &mut failed);
            }
            (to_section(section), diagnostics)
        });
        AdminRules {
            tx,
            task: Some(task),
        }
    }

    /// A sender for list pages.
    pub(crate) fn sender(&self) -> VnetSender {
        VnetSender(self.tx.clone())
    }

    /// Reads these VNets too (those already asked for are not asked again).
    pub(crate) fn read(&self, vnets: impl IntoIterator<Item = ResId>) {
        self.sender().read(vnets);
    }

    /// The section the answers make if each one still awaited is an empty list (the answers
    /// already in as they are); none if the reader is gone.
    pub(crate) async fn guess(&self) -> Guess {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if self.tx.send(Msg::Guess(reply)).is_err() {
            return Guess::default();
        }
        answer.await.unwrap_or_default()
    }

    /// Waits for every request; the section and what could not be read.
    pub(crate) async fn finish(mut self) -> (Option<Box<RawValue>>, Vec<Diagnostic>) {
        let _ = self.tx.send(Msg::Done);
        let Some(task) = self.task.take() else {
            return (None, Vec::new());
        };
        match task.await {
            Ok(done) => done,
            Err(e) => (
                None,
                vec![Diagnostic::error(
                    "security admin rules",
                    format!("the admin-rule reader failed: {e}; no admin rules were read"),
                )],
            ),
        }
    }
}

/// The section the answers make if every VNet of `asked` not yet answered (in `answered`) nor
/// failed gets an empty list: what the model is first built with while the answers arrive
/// ([`super::collect::Collected::speculate`]). Byte for byte the final section when the late
/// answers are empty lists.
pub(crate) fn guess_section(
    answered: &BTreeMap<String, Vec<Box<RawValue>>>,
    asked: &[ResId],
    failed: &HashSet<String>,
) -> Option<Box<RawValue>> {
    let mut guess = answered.clone();
    for v in asked {
        if !failed.contains(&v.id) {
            guess.entry(v.id.clone()).or_default();
        }
    }
    to_section(guess)
}

fn to_section(section: BTreeMap<String, Vec<Box<RawValue>>>) -> Option<Box<RawValue>> {
    let value: BTreeMap<String, Vec<Value>> = section
        .into_iter()
        .map(|(k, v)| {
            let items = v
                .iter()
                .filter_map(|r| serde_json::from_str(r.get()).ok())
                .collect();
            (k, items)
        })
        .collect();
    serde_json::value::to_raw_value(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).expect("JSON")
    }

    /// The guess keeps the answers in, takes each VNet still awaited for an empty list, leaves a
    /// failed one out, and is byte for byte the final section when the late answers are empty.
    #[test]
    fn the_guess_is_the_answers_in_and_empty_lists_for_the_rest() {
        let (a, b, c) = (
            "/x/virtualNetworks/a",
            "/x/virtualNetworks/b",
            "/x/virtualNetworks/c",
        );
        let asked = [ResId::new(a), ResId::new(b), ResId::new(c)];
        let rule = r#"{"id":"/x/rules/deny","properties":{"access":"Deny"}}"#;
        let answered = BTreeMap::from([(a.to_string(), vec![raw(rule)])]);
        let failed = HashSet::from([c.to_string()]);
        let guess = guess_section(&answered, &asked, &failed).expect("a section");
        let want = format!(r#"{{"{a}":[{rule}],"{b}":[]}}"#);
        let value = |t: &str| serde_json::from_str::<Value>(t).expect("JSON");
        assert_eq!(value(guess.get()), value(&want));
        // B's answer comes: an empty list. C stays failed.
        let mut done = answered;
        done.insert(b.to_string(), Vec::new());
        let last = to_section(done).expect("a section");
        assert_eq!(guess.get(), last.get());
    }
}
