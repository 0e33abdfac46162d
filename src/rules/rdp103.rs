//! RDP103 — The VM agent is not ready.
//!
//! Looks at the instance view's VM agent status (`vmAgent.statuses[].displayStatus`): raised
//! when it is not `Ready` (Not Ready, missing, or no status reported).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP103",
    title: "The VM agent is not ready",
    severity: Severity::Low,
    category: Category::Connectivity,
    seed: "Preliminary steps: check the VM's status (the agent the source 5 fixes rely on)",
    rationale: "RDP itself does not need the Azure VM agent, but the remote repairs do: Run \
        Command (RDPSettings, SetRDPPort) and the VMAccess 'Reset configuration only' both run \
        through it, and so does rdpaudit --guest. An agent that is not Ready usually means the \
        guest is not fully booted, the agent service is stopped, or it cannot reach 168.63.129.16 \
        on ports 80 and 32526.",
    remediation: "Portal: <vm> > Help > Serial console, then in a PowerShell session: \
        Restart-Service RdAgent, WindowsAzureGuestAgent\n\
        If the agent is missing or outdated, install the current Windows VM agent (see the guest \
        agent troubleshooting article)",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/windows-azure-guest-agent",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/extensions/agent-windows",
    ],
    example: "vm-web-01 VM agent is Not Ready, so Run Command and Reset configuration only will \
        fail",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    use crate::model::{AgentState, PowerState};
    let Some(vm) = cx.vm.arm else {
        return Vec::new();
    };
    // An agent is only expected to report while the VM runs.
    if vm.power != PowerState::Running || vm.agent != AgentState::NotReady {
        return Vec::new();
    }
    vec![cx.finding(
        &RULE,
        cx.vm_id(),
        format!(
            "the VM agent on {} reports \"{}\": Run Command and Reset remote access will not work",
            vm.name,
            vm.agent_status.as_deref().unwrap_or("Not Ready")
        ),
        &[],
    )]
}
