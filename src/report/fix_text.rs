//! The text pieces every fix form shares: POSIX quoting, the `--subscription --resource-group`
//! of an id, URL segments, HCL literals and the ARM API versions (`report::fix` and
//! `report::fix_more` both use them).

use crate::rules::fix::{parts, Source};

/// The ARM API version the `az rest` bodies use (Microsoft.Network).
/// <https://learn.microsoft.com/en-us/rest/api/virtualnetwork/security-rules/create-or-update>
pub(crate) const NETWORK_API: &str = "2024-05-01";
/// The ARM API version for `virtualMachines/start`.
/// <https://learn.microsoft.com/en-us/rest/api/compute/virtual-machines/start>
pub(crate) const COMPUTE_API: &str = "2024-07-01";

/// POSIX single-quote escaping: plain words stay as they are, anything else is quoted with
/// `'` and each `'` inside becomes `'\''`.
pub fn shell_quote(s: &str) -> String {
    crate::rules::fix::quote(s)
}

/// `--subscription S --resource-group RG` of an id.
pub(crate) fn scope_flags(id: &str) -> (String, String) {
    let (sub, rg, name) = parts(id);
    (
        format!(
            "--subscription {} --resource-group {}",
            shell_quote(&sub),
            shell_quote(&rg)
        ),
        name,
    )
}

pub(crate) fn sources(s: &[Source]) -> String {
    s.iter()
        .map(|x| shell_quote(&x.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A resource name as one URL path segment.
pub(crate) fn url_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An HCL string literal (`"`, `\`, `${` and `%{` escaped).
pub(crate) fn hcl(s: &str) -> String {
    let e = s
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace("${", "$${")
        .replace("%{", "%%{");
    format!("\"{e}\"")
}

/// A Terraform resource label from a name.
pub(crate) fn label(s: &str) -> String {
    let l: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("rdpaudit_{l}")
}

pub(crate) fn hcl_list(s: &[Source]) -> String {
    let items: Vec<String> = s.iter().map(|x| hcl(&x.to_string())).collect();
    format!("[{}]", items.join(", "))
}
