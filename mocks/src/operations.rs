//! Run Command operations in flight, and the guest facts their output is computed from: the
//! state the `runcommand` handlers share across requests (see `runcommand` for the protocol).

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// Run Command state: the guest facts outputs are computed from, and the operations.
#[derive(Debug)]
pub(crate) struct RunCommands {
    /// The snapshot's `guest` object, keyed by lower-cased VM id.
    pub(crate) guest: HashMap<String, Value>,
    /// Seed for operation ids and their `p` tokens.
    pub(crate) seed: u64,
    pub(crate) inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Operations by lower-cased id.
    pub(crate) ops: HashMap<String, Operation>,
    /// VMs (lower-cased id) with a run command not yet reported finished → its operation id.
    pub(crate) busy: HashMap<String, String>,
    /// Operations created so far (numbers the random draws).
    pub(crate) created: u64,
}

#[derive(Debug)]
pub(crate) struct Operation {
    /// The operation id, as in the URLs.
    pub(crate) name: String,
    pub(crate) subscription_lc: String,
    pub(crate) location_lc: String,
    pub(crate) vm_lc: String,
    pub(crate) start: String,
    /// Set by the first poll that reports the outcome.
    pub(crate) end: Option<String>,
    pub(crate) polls: u32,
    /// `never` mode: stays `InProgress`.
    pub(crate) never: bool,
    pub(crate) outcome: Outcome,
    /// Path and query of the result (`Location`) URL.
    pub(crate) result_path: String,
    /// The foreign host the polling URLs point at (`foreign-poll` mode).
    pub(crate) foreign_host: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Succeeded { stdout: String, stderr: String },
    Failed { code: &'static str, message: String },
}

impl RunCommands {
    /// Takes the guest facts out of the snapshot (`{"guest": {"<vm id>": {...}}}`; other
    /// shapes have none).
    pub fn new(snapshot: &Value, seed: u64) -> RunCommands {
        let guest = snapshot
            .get("guest")
            .and_then(Value::as_object)
            .map(|g| {
                g.iter()
                    .map(|(id, facts)| {
                        (id.trim_end_matches('/').to_ascii_lowercase(), facts.clone())
                    })
                    .collect()
            })
            .unwrap_or_default();
        RunCommands {
            guest,
            seed,
            inner: Mutex::new(Inner::default()),
        }
    }
}
