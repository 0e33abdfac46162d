//! The grammar of ports, IP addresses and prefixes in ARM data: one strict reading, no guesses.
//!
//! ARM returns these values normalised (`3389`, `3380-3390`, `10.0.0.0/24`), and Azure documents
//! a security rule's ports as "Integer or range between 0 and 65535. Asterisk '*' can also be
//! used to match all ports" and its addresses as an IP address, a CIDR prefix, a service tag or
//! `*` (<https://learn.microsoft.com/en-us/rest/api/virtualnetwork/security-rules/create-or-update>).
//! Anything outside the grammar below is reported as a malformed value (a diagnostic naming the
//! resource and the field), never coerced into something else:
//!
//! - **port**: 1 to 5 ASCII digits, no sign, no leading zero (except `0` itself), 0–65535.
//!   `+3389`, `03389`, `3389.0` and `65536` are not ports.
//! - **port item** (`sourcePortRange`, `destinationPortRanges[]`, …): a port, a range `a-b` of
//!   two ports with `a ≤ b` (no spaces around `-`), or `*` (every port, 0–65535).
//! - **address**: an IPv4 address in dotted-decimal (four decimal octets 0–255, no leading
//!   zeros) or an IPv6 address, as Rust's standard library reads them.
//! - **prefix**: an address, optionally followed by `/len` where `len` is decimal without a
//!   leading zero (except `0`) and at most 32 (IPv4) or 128 (IPv6). A bare address is a /32 or
//!   /128. Host bits are masked (`10.0.0.7/24` is `10.0.0.0/24`), as Azure evaluates it.
//!
//! Surrounding whitespace is ignored (as for every ARM string rdpaudit reads); nothing inside a
//! value is.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::IpAddr;

/// Reads one port (see the module grammar). `Err` says why, in the user's terms.
pub fn parse_port(s: &str) -> Result<u16, String> {
    let t = s.trim();
    if !is_decimal(t, 5) {
        return Err(format!("\"{s}\" is not a port (0-65535, digits only)"));
    }
    t.parse::<u16>()
        .map_err(|_| format!("port {t} is out of range 0-65535"))
}

/// Reads one port item: `*`, `N` or `A-B` (inclusive). `Err` says why.
pub fn parse_port_item(s: &str) -> Result<(u16, u16), String> {
    let t = s.trim();
    if t == "*" {
        return Ok((0, 65535));
    }
    let not_item = || format!("\"{s}\" is not a port, a range a-b, or *");
    match t.split_once('-') {
        Some((a, b)) => {
            if !is_decimal(a, 5) || !is_decimal(b, 5) {
                return Err(not_item());
            }
            let (a, b) = (parse_port(a)?, parse_port(b)?);
            if a > b {
                return Err(format!("range \"{t}\" is empty (start {a} > end {b})"));
            }
            Ok((a, b))
        }
        None if is_decimal(t, 5) => parse_port(t).map(|p| (p, p)),
        None => Err(not_item()),
    }
}

/// Parses an address or a prefix (see the module grammar); host bits are masked
/// (`175.1.0.1/24` → `175.1.0.0/24`, docs/decisions.md D2). `None` for anything else.
pub fn parse_prefix(s: &str) -> Option<IpNet> {
    parse_net(s).map(|n| n.trunc())
}

/// The grammar of a prefix, host bits kept as written.
fn parse_net(s: &str) -> Option<IpNet> {
    let t = s.trim();
    let (addr, len) = match t.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (t, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) if is_decimal(l, 3) => l.parse::<u8>().ok().filter(|n| *n <= max)?,
        Some(_) => return None,
    };
    Some(match addr {
        IpAddr::V4(a) => IpNet::V4(Ipv4Net::new(a, len).ok()?),
        IpAddr::V6(a) => IpNet::V6(Ipv6Net::new(a, len).ok()?),
    })
}

/// An optional IP address field; empty or missing is `None`.
pub(crate) fn parse_ip(field: &str, s: &Option<String>) -> Result<Option<IpAddr>, String> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<IpAddr>()
            .map(Some)
            .map_err(|_| format!("field `{field}`: \"{t}\" is not an IP address")),
    }
}

/// An ipconfig's private address. With an IP prefix on the NIC (`privateIPAddressPrefixLength`)
/// ARM writes `a.b.c.d/n` here; the first address stands for the configuration.
pub(crate) fn private_ip(field: &str, s: &Option<String>) -> Result<Option<IpAddr>, String> {
    match s.as_deref().map(str::trim) {
        Some(t) if t.contains('/') => parse_net(t)
            .map(|n| Some(n.addr()))
            .ok_or_else(|| format!("field `{field}`: \"{t}\" is not an IP address or prefix")),
        _ => parse_ip(field, s),
    }
}

/// 1 to `max_digits` ASCII digits without a leading zero (`0` itself is fine).
fn is_decimal(s: &str, max_digits: usize) -> bool {
    !s.is_empty()
        && s.len() <= max_digits
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'))
}
