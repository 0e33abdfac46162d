//! RDP201 — The RDP port times out from this machine.
//!
//! With `--probe`: the evaluated configuration admits this machine, but a TCP connect to the
//! public RDP endpoint timed out (the packet was silently dropped somewhere).

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP201",
    title: "The RDP port times out from this machine",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Sources 1 and 2: Remote Desktop client computer and organization intranet edge device",
    rationale: "rdpaudit's evaluation of the NSGs, routes and guest says the path is open, yet a \
        TCP connect from this machine got no answer. A silent drop usually happens on the client \
        side: a local firewall, proxy, monitoring or security software, or the organisation's \
        edge firewall, proxy or intrusion detection (article sources 1 and 2); a guest firewall \
        rule the data does not show drops silently too. Retrying from a computer directly on the \
        Internet tells the two apart, as the article does.",
    remediation: "From a computer directly on the Internet, run: Test-NetConnection -ComputerName \
        <address> -Port <port>\n\
        If it connects there, ask the network team to allow outbound TCP <port> to <address> on \
        this computer's firewall, proxy and the edge devices",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/troubleshoot-rdp-connection",
    ],
    example: "a TCP connect to 20.50.1.9:3389 timed out although nsg-web rule AllowRDP (priority \
        300) admits this machine; retry from a computer directly on the Internet",
    needs: &[Need::Probe],
    defers_to: &[],
};

/// `--probe` timed out on a path whose evaluation admits every client evaluated (so this
/// machine too). When only some sources are admitted and no `--client-ip` says this machine is
/// one of them, a timeout is expected and the `probe` hop says so instead.
pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    cx.vm
        .direct_paths()
        .filter(|p| p.probe.is_some_and(|t| t.outcome == TcpOutcome::TimedOut))
        .filter(|p| p.admits_every_client())
        .filter_map(|p| {
            let target = p.connect_to()?;
            let admitted_by = match deciding(p, |o| o == Outcome::Allow) {
                Some((nsg, level, part)) => format!(
                    "{} rule {} ({level}) admits {}",
                    nsg.name,
                    rule_text(part),
                    client_text(cx)
                ),
                None => format!("the configuration admits {}", client_text(cx)),
            };
            let (addr, port) = (p.address?.to_string(), p.connect_port?.to_string());
            Some(cx.finding(
                &RULE,
                cx.vm_id(),
                format!(
                    "a TCP connect to {target} timed out although {admitted_by}; retry from a \
                     computer directly on the Internet, and check this computer's firewall, proxy \
                     and monitoring software and the organisation's edge firewall"
                ),
                &[("<address>", &addr), ("<port>", &port)],
            ))
        })
        .take(1)
        .collect()
}

use super::{client_text, deciding, rule_text};
use crate::engine::nsg::Outcome;
use crate::model::TcpOutcome;
