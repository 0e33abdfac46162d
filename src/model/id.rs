//! Resource ids: read once, shared by every resource that refers to them.
//!
//! An estate names each resource many times (a subnet by every NIC in it, a NIC by its VM and
//! by load-balancer pools, …). A [`ResId`] is a pointer to one shared text, and while a model is
//! built ([`Interner`]) every mention of the same id text becomes the same pointer. Sharing
//! changes no comparison: two ids are equal, ordered and hashed by their text exactly as
//! before.
//!
//! The case-folded key that joins compare is not stored as text: [`Key`] reads the printed text
//! and folds ASCII letters as it compares (other bytes compare as they are, as the stored
//! `to_ascii_lowercase` key did); only the key's hash is kept with the id, made once. At
//! 100,000 VMs a stored key was a second copy of about 470,000 ids of 150 bytes.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A resource id as ARM printed it; joins compare it case-insensitively through
/// [`ResId::key`] (ARM and Resource Graph differ in case, even inside one body).
///
/// Cloning is a reference-count increment; `rid.id` reads the shared text.
#[derive(Clone)]
pub struct ResId(Arc<IdText>);

/// The text of a [`ResId`].
#[derive(Debug)]
pub struct IdText {
    /// The id as ARM printed it (trimmed, without a trailing `/`).
    pub id: String,
    /// Its key's hash ([`fold_hash`]), made once: joins hash ids of ≈ 150 bytes again and again.
    fold: u64,
}

impl Deref for ResId {
    type Target = IdText;

    fn deref(&self) -> &IdText {
        &self.0
    }
}

/// Two ids are equal when their text is (another spelling is another id, equal in key only).
impl PartialEq for ResId {
    fn eq(&self, other: &ResId) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.id == other.id
    }
}

impl Eq for ResId {}

impl Hash for ResId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// Ordered by key, then by text: the order of the (key, text) pair it used to hold.
impl Ord for ResId {
    fn cmp(&self, other: &ResId) -> Ordering {
        self.key()
            .cmp(&other.key())
            .then_with(|| self.id.cmp(&other.id))
    }
}

impl PartialOrd for ResId {
    fn partial_cmp(&self, other: &ResId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResId")
            .field("key", &self.key().folded())
            .field("id", &&*self.id)
            .finish()
    }
}

/// Serialised as the id as printed (a report names resources by it).
impl serde::Serialize for ResId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.id)
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.id)
    }
}

impl ResId {
    /// Reads an id as ARM printed it. While a model is built on this thread, the same text
    /// read again is the same shared id.
    pub fn new(id: &str) -> ResId {
        let trimmed = id.trim().trim_end_matches('/');
        ResId::interned(trimmed, || ResId::fresh(trimmed))
    }

    /// Text kept exactly as given (not trimmed), for a finding naming a resource the model
    /// holds under no id of its own (a rule, a resource the data lacks).
    pub(crate) fn verbatim(text: &str) -> ResId {
        ResId::fresh(text)
    }

    fn fresh(trimmed: &str) -> ResId {
        ResId(Arc::new(IdText {
            id: trimmed.to_string(),
            fold: fold_hash(trimmed),
        }))
    }

    /// The case-folded key joins compare.
    pub fn key(&self) -> Key<'_> {
        Key {
            text: &self.0.id,
            fold: self.0.fold,
        }
    }

    /// This id, or the equal one already shared while a model is built on this thread.
    pub(crate) fn shared(self) -> ResId {
        let text = self.clone();
        ResId::interned(&text.id, || self)
    }

    /// The id of this text shared while a model is built on this thread, else `make`'s.
    fn interned(text: &str, make: impl FnOnce() -> ResId) -> ResId {
        CURRENT.with(|cur| match cur.borrow_mut().as_mut() {
            Some(interner) => interner.intern(text, make),
            None => make(),
        })
    }

    /// The id as printed, taken out when nothing else shares this id.
    pub(crate) fn into_id(self) -> String {
        match Arc::try_unwrap(self.0) {
            Ok(text) => text.id,
            Err(shared) => shared.id.clone(),
        }
    }

    /// The last path segment (the resource name).
    pub(crate) fn name(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }

    /// The value after a segment such as `resourceGroups` or `subscriptions`.
    pub(crate) fn segment_after(&self, segment: &str) -> Option<&str> {
        let mut parts = self.id.split('/');
        while let Some(p) = parts.next() {
            if p.eq_ignore_ascii_case(segment) {
                return parts.next();
            }
        }
        None
    }

    pub(crate) fn subscription(&self) -> Option<&str> {
        self.segment_after("subscriptions")
    }

    pub(crate) fn resource_group(&self) -> Option<&str> {
        self.segment_after("resourceGroups")
    }

    /// For a child id `…/networkInterfaces/nic/ipConfigurations/ipc`, the parent id and the
    /// child's name (`child_type` is the segment before the child name, e.g. `ipConfigurations`).
    pub(crate) fn split_child(&self, child_type: &str) -> Option<(ResId, String)> {
        let (pos, name) = self.child_at(child_type)?;
        let parent = self.id.get(..pos)?;
        let name = self.id.get(name..)?;
        Some((ResId::new(parent), name.to_string()))
    }

    /// The key of [`ResId::split_child`]'s parent, read off this id without building the
    /// parent id (a look-up per IP configuration needs only the key).
    pub(crate) fn parent_key(&self, child_type: &str) -> Option<Key<'_>> {
        let (pos, _) = self.child_at(child_type)?;
        // What `ResId::new` would make of the parent's text.
        let parent = self.id.get(..pos)?.trim().trim_end_matches('/');
        Some(Key::of(parent))
    }

    /// Where the last `/{child_type}/` segment (in any case) starts, and where the child's
    /// name (non-empty, the last segment) starts.
    fn child_at(&self, child_type: &str) -> Option<(usize, usize)> {
        let sep = format!("/{child_type}/");
        let pos = self
            .id
            .as_bytes()
            .windows(sep.len())
            .rposition(|w| w.eq_ignore_ascii_case(sep.as_bytes()))?;
        let name = self.id.get(pos + sep.len()..)?;
        (!name.is_empty() && !name.contains('/')).then_some((pos, pos + sep.len()))
    }

    /// Whether two ids share their text (for tests of the sharing itself).
    #[cfg(test)]
    pub(crate) fn same_text(a: &ResId, b: &ResId) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

/// An id's case-folded key, read off its text: equal, ordered and hashed as the ASCII
/// lower-cased text would be, without making that text.
#[derive(Clone, Copy)]
pub struct Key<'a> {
    text: &'a str,
    /// [`fold_hash`] of `text`, when known beforehand (a [`ResId`]'s); 0: not known.
    fold: u64,
}

impl<'a> Key<'a> {
    /// The key of any id text (as [`ResId::new`] would trim it, the caller's business).
    pub fn of(text: &'a str) -> Key<'a> {
        Key { text, fold: 0 }
    }

    fn fold(&self) -> u64 {
        match self.fold {
            0 => fold_hash(self.text),
            f => f,
        }
    }

    /// The key as lower-cased text.
    pub fn folded(&self) -> String {
        self.text.to_ascii_lowercase()
    }

    /// Whether the key starts with `prefix`'s key.
    pub(crate) fn starts_with(&self, prefix: Key<'_>) -> bool {
        let (a, b) = (self.text.as_bytes(), prefix.text.as_bytes());
        a.len() >= b.len() && a[..b.len()].eq_ignore_ascii_case(b)
    }
}

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.text.as_bytes(), other.text.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        // Two hashes made beforehand that differ: the keys do.
        if self.fold != 0 && other.fold != 0 && self.fold != other.fold {
            return false;
        }
        // Keys compared are mostly spelt alike up to where they differ, if they do.
        let same = same_prefix(a, b);
        a[same..].eq_ignore_ascii_case(&b[same..])
    }
}

/// How many leading bytes `a` and `b` share exactly, counted eight at a time (a multiple of
/// eight, at most the shorter length): what precedes it needs no case-folding.
fn same_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut same = 0;
    while same + 8 <= n && a[same..same + 8] == b[same..same + 8] {
        same += 8;
    }
    same
}

impl Eq for Key<'_> {}

impl Ord for Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.text.as_bytes(), other.text.as_bytes());
        let n = a.len().min(b.len());
        // Ids share long prefixes spelt alike.
        let same = same_prefix(a, b);
        for (x, y) in a[same..n].iter().zip(&b[same..n]) {
            match x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        a.len().cmp(&b.len())
    }
}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Hashes as [`fold_hash`] (made once for a [`ResId`]'s key).
impl Hash for Key<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.fold());
    }
}

/// A key's hash: each byte with its 0x20 bit set (a lower-case letter for either case; other
/// bytes that become alike only collide, and equality still decides), then `str`'s terminator,
/// through one seed chosen at random per process (ids come from the data: a fixed seed would
/// let crafted ids collide). Never 0, which [`Key`] keeps for "not made yet".
fn fold_hash(text: &str) -> u64 {
    static SEED: std::sync::OnceLock<foldhash::fast::RandomState> = std::sync::OnceLock::new();
    let mut state = SEED.get_or_init(Default::default).build_hasher();
    let mut buf = [0u8; 256];
    for chunk in text.as_bytes().chunks(buf.len()) {
        let folded = &mut buf[..chunk.len()];
        for (f, c) in folded.iter_mut().zip(chunk) {
            *f = c | 0x20;
        }
        state.write(folded);
    }
    state.write_u8(0xff);
    state.finish().max(1)
}

impl fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.folded(), f)
    }
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.folded())
    }
}

/// A map is looked up by any id's key.
impl hashbrown::Equivalent<IdKey> for Key<'_> {
    fn equivalent(&self, key: &IdKey) -> bool {
        *self == key.0.key()
    }
}

/// A resource id as a map key: equal, ordered and hashed by its case-folded key alone, so a
/// map is looked up by any spelling's [`Key`].
#[derive(Clone)]
pub struct IdKey(ResId);

/// A map by case-folded id. foldhash: every join hashes an id of ≈ 150 bytes, and SipHash was
/// 3 % of an audit's time.
pub type IdMap<V> = hashbrown::HashMap<IdKey, V, foldhash::fast::RandomState>;

/// A set of case-folded ids, looked up as an [`IdMap`] is.
pub(crate) type IdSet = hashbrown::HashSet<IdKey, foldhash::fast::RandomState>;

impl From<&ResId> for IdKey {
    fn from(rid: &ResId) -> IdKey {
        IdKey(rid.clone())
    }
}

impl From<ResId> for IdKey {
    fn from(rid: ResId) -> IdKey {
        IdKey(rid)
    }
}

impl Deref for IdKey {
    type Target = ResId;

    fn deref(&self) -> &ResId {
        &self.0
    }
}

impl PartialEq for IdKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.key() == other.0.key()
    }
}

impl Eq for IdKey {}

impl PartialOrd for IdKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IdKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.key().cmp(&other.0.key())
    }
}

impl Hash for IdKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Hashes as the `Key` a map is looked up by.
        self.0.key().hash(state);
    }
}

impl fmt::Debug for IdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.key(), f)
    }
}

/// The ids read so far while one model is built, found by their exact text (not their key:
/// ids that differ in case stay two ids, as they always were). It lives as long as the
/// building, not the model: ids already handed out stay shared after it is dropped.
#[derive(Default, Clone)]
pub(crate) struct Interner {
    /// Each id with the hash of its text: the table grows by doubling to a million ids at
    /// 100,000 VMs, and hashing every id again at each growth cost more than the lookups.
    seen: hashbrown::HashTable<(u64, ResId)>,
    hasher: foldhash::fast::RandomState,
}

impl Interner {
    /// The id already read with this text, else `make`'s, kept from now on.
    fn intern(&mut self, text: &str, make: impl FnOnce() -> ResId) -> ResId {
        let hash = self.hasher.hash_one(text);
        if let Some((_, found)) = self.seen.find(hash, |(_, r)| &*r.id == text) {
            return found.clone();
        }
        let rid = make();
        self.seen.insert_unique(hash, (hash, rid.clone()), |e| e.0);
        rid
    }

    /// Runs `f` with this interner serving [`ResId::new`] on the current thread, then takes
    /// it back. The model's builders create ids deep inside their readers; a thread-local
    /// spares every one of them an extra argument, and the result is the same either way.
    pub(crate) fn serve<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let mine = std::mem::take(self);
        let previous = CURRENT.with(|cur| cur.borrow_mut().replace(mine));
        // Taken back even if `f` panics, so no later build on this thread shares with it.
        struct Restore<'a> {
            slot: &'a mut Interner,
            previous: Option<Interner>,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let back = CURRENT
                    .with(|cur| std::mem::replace(&mut *cur.borrow_mut(), self.previous.take()));
                *self.slot = back.unwrap_or_default();
            }
        }
        let _restore = Restore {
            slot: self,
            previous,
        };
        f()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Interner>> = const { RefCell::new(None) };
}

#[cfg(test)]
mod tests {

    proptest::proptest! {
        /// A key compares, orders and hashes as the lower-cased text it no longer stores
        /// (texts drawn from letters of both cases and the bytes the hash's 0x20 bit folds
        /// together: `@` and `` ` ``, `[` and `{`, `-` and `\r`).
        #[test]
        fn a_key_is_its_lower_cased_text(
            a in "[aAbB/@`\\[{\r-]{0,40}",
            b in "[aAbB/@`\\[{\r-]{0,40}",
            // The 8-byte skip of a shared prefix, and the hash's 256-byte chunks.
            prefix in proptest::sample::select(vec![0usize, 7, 8, 9, 300]),
        ) {
            let stem = "/subscriptions/S/".repeat(20);
            let (a, b) = (format!("{}{a}", &stem[..prefix]), format!("{}{b}", &stem[..prefix]));
            let (la, lb) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
            let (ka, kb) = (Key::of(&a), Key::of(&b));
            proptest::prop_assert_eq!(ka == kb, la == lb);
            proptest::prop_assert_eq!(ka.cmp(&kb), la.cmp(&lb));
            proptest::prop_assert_eq!(ka.folded(), la.clone());
            let h = foldhash::fast::FixedState::with_seed(7);
            proptest::prop_assert_eq!(h.hash_one(ka), h.hash_one(Key::of(&la)));
            if la == lb {
                proptest::prop_assert_eq!(h.hash_one(ka), h.hash_one(kb));
            }
            let (ra, rb) = (ResId::verbatim(&a), ResId::verbatim(&b));
            proptest::prop_assert_eq!(IdKey::from(&ra) == IdKey::from(&rb), la == lb);
            proptest::prop_assert_eq!(h.hash_one(IdKey::from(&ra)), h.hash_one(ka));
            // A key whose hash was made with its id, against one made on the spot.
            proptest::prop_assert_eq!(ra.key() == Key::of(&b), la == lb);
            if la == lb {
                proptest::prop_assert_eq!(h.hash_one(ra.key()), h.hash_one(Key::of(&b)));
            }
            proptest::prop_assert_eq!(ra.cmp(&rb), (&la, &a).cmp(&(&lb, &b)));
        }
    }

    /// A parent's key read off a child's key is what `split_child` makes of the child, odd ids
    /// included.
    #[test]
    fn a_parent_key_is_split_childs_parents() {
        for id in [
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/V/subnets/A",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v//subnets/a",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/Subnets/a/x",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
            "/subnets/a",
        ] {
            let rid = ResId::new(id);
            let split = rid.split_child("subnets").map(|(v, _)| v.key().folded());
            let read = rid.parent_key("subnets").map(|k| k.folded());
            assert_eq!(read, split, "{id}");
        }
        let rid = ResId::new(
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/V/subnets/A",
        );
        assert_eq!(
            rid.parent_key("Subnets").map(|k| k.folded()).as_deref(),
            Some(
                "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v"
            )
        );
    }

    /// A report names a resource by its id as printed; text a finding names verbatim stays
    /// as given.
    #[test]
    fn an_id_serialises_as_printed() {
        let id = ResId::new(" /subscriptions/S/resourceGroups/RG/providers/X/y/Z/ ");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"/subscriptions/S/resourceGroups/RG/providers/X/y/Z\"")
        );
        let text = ResId::verbatim("rule 7 ");
        assert_eq!(
            serde_json::to_string(&text).ok().as_deref(),
            Some("\"rule 7 \"")
        );
    }
    use super::*;

    #[test]
    fn ids_read_while_serving_are_shared_and_compare_as_before() {
        let mut interner = Interner::default();
        let (a, b, c, d) = interner.serve(|| {
            let a = ResId::new("/subscriptions/S/resourceGroups/rg/x/");
            let b = ResId::new(" /subscriptions/S/resourceGroups/rg/x");
            let c = ResId::new("/subscriptions/s/resourcegroups/RG/x");
            let d = ResId::new("/subscriptions/S/resourceGroups/rg/x").shared();
            (a, b, c, d)
        });
        assert!(ResId::same_text(&a, &b));
        assert!(ResId::same_text(&a, &d));
        // Another spelling is another id, equal in key only.
        assert!(!ResId::same_text(&a, &c));
        assert_ne!(a, c);
        assert_eq!(a.key(), c.key());
        assert_eq!(a.id, "/subscriptions/S/resourceGroups/rg/x");
        // Outside, nothing is shared; a later building starts from what it kept.
        let e = ResId::new("/subscriptions/S/resourceGroups/rg/x");
        assert!(!ResId::same_text(&a, &e));
        assert_eq!(a, e);
        let f = interner.serve(|| ResId::new("/subscriptions/S/resourceGroups/rg/x"));
        assert!(ResId::same_text(&a, &f));
        assert_eq!(
            format!("{a:?}"),
            r#"ResId { key: "/subscriptions/s/resourcegroups/rg/x", id: "/subscriptions/S/resourceGroups/rg/x" }"#
        );
    }

    #[test]
    fn an_id_key_is_its_case_folded_key_in_maps() {
        let a = ResId::new("/subscriptions/S/x/NIC");
        let b = ResId::new("/subscriptions/s/X/nic");
        let mut map: IdMap<u8> = IdMap::default();
        map.insert(IdKey::from(&a), 1);
        // Another spelling of the same id is the same key: it replaces the first.
        assert_eq!(map.insert(IdKey::from(b.clone()), 2), Some(1));
        assert_eq!(map.len(), 1);
        assert_eq!(map.get(&b.key()), Some(&2));
        // Any spelling's key finds it; another id does not.
        assert_eq!(map.get(&Key::of("/subscriptions/s/x/nic")), Some(&2));
        assert_eq!(map.get(&Key::of("/SUBSCRIPTIONS/S/X/NIC")), Some(&2));
        assert_eq!(map.get(&Key::of("/subscriptions/s/x/nic2")), None);
        assert_eq!(map.get(&Key::of("/subscriptions/s/x/ni")), None);
        // The first spelling stays the entry's key.
        let (k, _) = map.iter().next().expect("one entry");
        assert_eq!(k.id, "/subscriptions/S/x/NIC");
        assert_eq!(
            IdKey::from(&a).cmp(&IdKey::from(&b)),
            std::cmp::Ordering::Equal
        );
        assert!(IdKey::from(&a) < IdKey::from(&ResId::new("/subscriptions/s/y")));
    }

    #[test]
    fn a_built_model_shares_an_id_between_its_mentions() {
        let vnet =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";
        let text = format!(
            r#"[{{"id": "{vnet}", "type": "Microsoft.Network/virtualNetworks",
                 "properties": {{"addressSpace": {{"addressPrefixes": ["10.0.0.0/16"]}},
                   "subnets": [{{"id": "{vnet}/subnets/a", "name": "a",
                                 "properties": {{"addressPrefix": "10.0.0.0/24"}}}}]}}}},
                {{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n",
                  "type": "Microsoft.Network/networkInterfaces",
                  "properties": {{"ipConfigurations": [{{"name": "c", "properties": {{
                    "privateIPAddress": "10.0.0.4", "subnet": {{"id": "{vnet}/subnets/a"}}}}}}]}}}}]"#
        );
        let raws: Vec<Box<serde_json::value::RawValue>> =
            serde_json::from_str(&text).expect("test JSON");
        let refs: Vec<&serde_json::value::RawValue> = raws.iter().map(|r| r.as_ref()).collect();
        let m = crate::model::build(&refs);
        let subnet = &m.vnets.values().next().expect("the VNet").subnets[0].id;
        let nic = m.nics.values().next().expect("the NIC");
        let named = nic.ip_configs[0].subnet.as_ref().expect("its subnet");
        assert_eq!(named, subnet);
        assert!(ResId::same_text(named, subnet));
    }

    #[test]
    fn a_panic_while_serving_gives_the_thread_its_interner_back() {
        let mut interner = Interner::default();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            interner.serve(|| {
                let _ = ResId::new("/a");
                panic!("reader failed");
            })
        }));
        assert!(caught.is_err());
        assert!(CURRENT.with(|cur| cur.borrow().is_none()));
        assert_eq!(interner.seen.len(), 1);
    }
}
