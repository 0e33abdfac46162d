//! Resources decoded on their own, before they are added to the model in order: each one
//! needs no other, so blocks of them are decoded on every core while the last block is added.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;

use super::super::decode::{decode, json_kind, json_kind_of_text};
use super::super::wire::{self, Envelope, Head};
use super::{firewall, kind_from_id, kind_of, Kind};
use crate::model::ResId;

mod guess;

/// A resource's id, or why it has none (the resource is then skipped: nothing can refer to it).
/// `Err((kind, message))`: `kind` groups diagnostics of one kind (see `sink`); `Ok(None)`: the
/// text is not JSON at all (only texts read unchecked can be: [`Texts`]).
fn identify(text: &str) -> Result<Option<Head>, (&'static str, String)> {
    if !text.trim_start().starts_with('{') {
        if decode::<IgnoredAny>(text).is_err() {
            return Ok(None);
        }
        let found = json_kind_of_text(text);
        return Err((
            "are not JSON objects",
            format!("not a resource object: expected an object, found {found}"),
        ));
    }
    // This one pass over the text also checks that it is JSON: serde reads every value it skips.
    match decode::<Head>(text) {
        Ok(head) => Ok(Some(head)),
        Err(e) if e.not_json => Ok(None),
        Err(e) => Err((
            "are not resource objects",
            format!("not a resource object: {e}"),
        )),
    }
}

fn resource_id(head: &Head) -> Result<String, (&'static str, String)> {
    match &head.id {
        Some(serde_json::Value::String(s)) if s.trim().starts_with('/') => Ok(s.clone()),
        Some(serde_json::Value::String(s)) => Err((
            "have an `id` that is not an ARM resource id",
            format!(
                "field `id`: \"{s}\" is not an ARM resource id (it must start with /subscriptions/ or /providers/)"
            ),
        )),
        Some(other) => Err((
            "have an `id` that is not a string",
            format!("field `id`: expected a string, found {}", json_kind(other)),
        )),
        None => Err((
            "have no `id` and are skipped",
            "field `id` is missing: the resource cannot be identified and is skipped".to_string(),
        )),
    }
}

/// Resources decoded side by side before they are added to the model.
pub(super) const DECODE_BLOCK: usize = 1024;

/// Resources decoded on their own, in their order, not yet added to a model
/// ([`Building::absorb`]).
#[derive(Default)]
pub struct DecodedBlock(pub(super) Vec<Decoded>);

impl DecodedBlock {
    /// Puts `more` after these.
    pub fn append(&mut self, mut more: DecodedBlock) {
        self.0.append(&mut more.0);
    }
}

impl std::fmt::Debug for DecodedBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DecodedBlock({} resources)", self.0.len())
    }
}

/// Decodes resources on their own (no other resource is needed), in this thread.
pub fn decode_each<'a>(resources: impl IntoIterator<Item = &'a RawValue>) -> DecodedBlock {
    DecodedBlock(
        resources
            .into_iter()
            .map(|raw| decode_resource(raw.get()))
            .collect(),
    )
}

/// One resource as far as it can be read on its own.
// Most resources are bodies: boxing the large variant would add an allocation to nearly every
// resource, to save memory in a block of at most `DECODE_BLOCK` items that lives briefly.
#[allow(clippy::large_enum_variant)]
pub(super) enum Decoded {
    /// Not JSON (only texts read unchecked can be: [`Texts`]).
    NotJson,
    /// No usable id: (kind of diagnostic, message).
    Unidentified(&'static str, String),
    /// A `type` that is not a string: the message.
    BadType(ResId, String),
    /// A type rdpaudit does not read.
    Ignored,
    /// A body of a type rdpaudit reads, or why it could not be decoded.
    Body(ResId, Result<Body, String>),
}

/// A decoded body, by type.
pub(super) enum Body {
    Vm(Envelope<wire::VmProps>),
    ClassicVm(Envelope<wire::ClassicVmProps>),
    Nic(Envelope<wire::NicProps>),
    /// An NSG's rules are read where it is decoded, on every core, not by the builder that
    /// adds resources one at a time (`nsg::prepare`); an error in them is the NSG's.
    Nsg(Result<super::nsg::Prepared, String>),
    PublicIp(Envelope<wire::PipProps>),
    Vnet(Envelope<wire::VnetProps>),
    LoadBalancer(Envelope<wire::LbProps>),
    RouteTable(Envelope<wire::RouteTableProps>),
    Bastion(Envelope<wire::BastionProps>),
    Gateway(Envelope<wire::GatewayProps>),
    LocalGateway(Envelope<wire::LocalGatewayProps>),
    Connection(Envelope<wire::ConnectionProps>),
    Peering(Envelope<wire::PeeringProps>),
    Asg,
    Firewall(Envelope<firewall::FirewallProps>),
    FirewallPolicy(Envelope<firewall::PolicyProps>),
    RuleGroup(Envelope<firewall::GroupProps>),
    IpGroup(Envelope<firewall::IpGroupProps>),
}

pub(super) fn decode_resource(text: &str) -> Decoded {
    if let Some(d) = at_once(text) {
        return d;
    }
    let head = match identify(text) {
        Ok(Some(head)) => head,
        Ok(None) => return Decoded::NotJson,
        Err((kind, message)) => return Decoded::Unidentified(kind, message),
    };
    let rid = match resource_id(&head) {
        Ok(id) => ResId::new(&id),
        Err((kind, message)) => return Decoded::Unidentified(kind, message),
    };
    let kind = match head.kind {
        Some(serde_json::Value::String(t)) => kind_of(&t),
        Some(other) => {
            let why = format!(
                "field `type`: expected a string, found {}",
                json_kind(&other)
            );
            return Decoded::BadType(rid, why);
        }
        None => kind_from_id(&rid.id),
    };
    match kind {
        None => Decoded::Ignored,
        Some(kind) => Decoded::Body(rid, decode_kind(kind, text)),
    }
}

/// `kind`'s body: `$read` (an `Option` or a `Result` of an envelope, whose body type each arm
/// infers from its variant) or, for an application security group (no body kept), `$asg`.
macro_rules! body_of {
    ($kind:expr, $read:expr, $asg:expr) => {
        match $kind {
            Kind::Vm => Body::Vm($read?),
            Kind::ClassicVm => Body::ClassicVm($read?),
            Kind::Nic => Body::Nic($read?),
            Kind::Nsg => Body::Nsg(super::nsg::prepare($read?)),
            Kind::PublicIp => Body::PublicIp($read?),
            Kind::Vnet => Body::Vnet($read?),
            Kind::LoadBalancer => Body::LoadBalancer($read?),
            Kind::RouteTable => Body::RouteTable($read?),
            Kind::Bastion => Body::Bastion($read?),
            Kind::Gateway => Body::Gateway($read?),
            Kind::LocalGateway => Body::LocalGateway($read?),
            Kind::Connection => Body::Connection($read?),
            Kind::Peering => Body::Peering($read?),
            Kind::Asg => {
                $asg?;
                Body::Asg
            }
            Kind::Firewall => Body::Firewall($read?),
            Kind::FirewallPolicy => Body::FirewallPolicy($read?),
            Kind::RuleGroup => Body::RuleGroup($read?),
            Kind::IpGroup => Body::IpGroup($read?),
        }
    };
}

/// A resource of a type rdpaudit reads, decoded in one pass when its first `type` is a plain
/// string: serde reads (and so checks) the whole text as that type's body, and the body's own
/// `type` and `id` must agree. `None`: anything else, for the passes of [`decode_resource`],
/// which say what is wrong.
fn at_once(text: &str) -> Option<Decoded> {
    let t = guess::type_of(text)?;
    let kind = kind_of(t)?;
    let mut id = None;
    let body = body_of!(
        kind,
        checked(text, t, &mut id),
        checked::<IgnoredAny>(text, t, &mut id)
    );
    Some(Decoded::Body(id?, Ok(body)))
}

/// `text` as an envelope whose `type` is `t` and whose `id` (put in `id`) is a resource id.
fn checked<P: DeserializeOwned>(
    text: &str,
    t: &str,
    id: &mut Option<ResId>,
) -> Option<Envelope<P>> {
    // Strict: serde rejects a duplicate key here (the passes after read the last one).
    let env: Envelope<P> = serde_json::from_str(text).ok()?;
    if env.kind.as_deref() != Some(t) {
        return None;
    }
    let text_id = env.id.as_deref().filter(|s| s.trim().starts_with('/'))?;
    *id = Some(ResId::new(text_id));
    Some(env)
}

fn decode_kind(kind: Kind, raw: &str) -> Result<Body, String> {
    Ok(body_of!(kind, parse(raw), Ok::<(), String>(())))
}

/// Parses one resource envelope (duplicate keys: the last wins; errors name the JSON path).
fn parse<P: DeserializeOwned>(text: &str) -> Result<Envelope<P>, String> {
    decode::<Envelope<P>>(text).map_err(|e| e.to_string())
}

/// Resources' JSON texts read but not yet checked (a snapshot file read in blocks): each
/// `bytes[a..b]` of `spans`, in order. Decoding checks that each one is UTF-8 and JSON, in the
/// same pass that reads its `id` and `type` ([`identify`]), so no text is read twice for it.
#[derive(Debug, Default)]
pub struct Texts {
    /// The bytes the spans index.
    pub bytes: Vec<u8>,
    /// Each resource's text, as byte offsets into `bytes`.
    pub spans: Vec<(usize, usize)>,
}

impl Texts {
    /// Every text decoded, in order, on every core.
    pub(super) fn decode(&self) -> Vec<Decoded> {
        use rayon::prelude::*;
        self.spans
            .par_iter()
            .map(
                |&(a, b)| match self.bytes.get(a..b).map(std::str::from_utf8) {
                    Some(Ok(text)) => decode_resource(text),
                    _ => Decoded::NotJson,
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_json(text: &str) -> bool {
        matches!(decode_resource(text), Decoded::NotJson)
    }

    #[test]
    fn texts_that_are_not_json_are_told_apart_from_json_that_is_not_a_resource() {
        for bad in [
            r#"{"a" 1}"#,
            r#"{"id": "/x", "b": [1,}"#,
            r#"{"id": "/x", "n": 01}"#,
            r#"{"id": "/x", "s": "\u12"}"#,
            r#"{"id": "/x"} x"#,
            "[1,",
            "tru",
            // A duplicate `id` stops serde's first pass before the broken value.
            r#"{"id": "/a", "id": "/b", "x": tru}"#,
        ] {
            assert!(not_json(bad), "{bad}: not JSON");
        }
        for json in [
            "5",
            "[1]",
            "{}",
            r#"{"id": 5}"#,
            r#"{"id": "/a", "id": "/b"}"#,
        ] {
            assert!(!not_json(json), "{json}: JSON");
        }
        // Duplicate keys: the last wins (model::decode), the resource is read.
        let dup = r#"{"id": "/x/1", "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/applicationSecurityGroups/a", "type": "Microsoft.Network/applicationSecurityGroups"}"#;
        assert!(matches!(
            decode_resource(dup),
            Decoded::Body(_, Ok(Body::Asg))
        ));
    }

    #[test]
    fn a_block_of_texts_checks_each_one_is_utf8_and_json() {
        let good = br#"{"id": "/subscriptions/s/x/1"}"#.to_vec();
        let mut bytes = good.clone();
        bytes.extend(b", \"\xff\", ");
        bytes.extend(&good);
        let n = good.len();
        let texts = Texts {
            spans: vec![(0, n), (n + 2, n + 5), (n + 7, 2 * n + 7)],
            bytes,
        };
        let kinds: Vec<bool> = texts
            .decode()
            .iter()
            .map(|d| matches!(d, Decoded::NotJson))
            .collect();
        assert_eq!(kinds, [false, true, false]);
    }
}
