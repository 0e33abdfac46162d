//! Exact sets of IP addresses as sorted, disjoint, inclusive ranges.
//!
//! The NSG evaluator works on these sets, never on strings: `*`, `0.0.0.0/0`, `Internet` and
//! CIDRs all become ranges here, so "is RDP open to the Internet" is a set comparison.
//! `iprange`/`ipnet` aggregate prefixes but cannot carry which rule decided each part of a set,
//! which the reports need; the arithmetic below is small and is checked by property tests.

use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An integer address type (`u32` for IPv4, `u128` for IPv6).
pub(crate) trait Addr: Copy + Ord + fmt::Debug {
    const MIN: Self;
    const MAX: Self;
    fn succ(self) -> Self;
    fn pred(self) -> Self;
}

impl Addr for u32 {
    const MIN: Self = 0;
    const MAX: Self = u32::MAX;
    fn succ(self) -> Self {
        self + 1
    }
    fn pred(self) -> Self {
        self - 1
    }
}

impl Addr for u128 {
    const MIN: Self = 0;
    const MAX: Self = u128::MAX;
    fn succ(self) -> Self {
        self + 1
    }
    fn pred(self) -> Self {
        self - 1
    }
}

/// A set of integers as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, PartialEq, Eq, Default, Hash)]
pub(crate) struct RangeSet<T: Addr> {
    ranges: Vec<(T, T)>,
}

impl<T: Addr> fmt::Debug for RangeSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.ranges.iter()).finish()
    }
}

impl<T: Addr> RangeSet<T> {
    pub(crate) fn empty() -> Self {
        RangeSet { ranges: Vec::new() }
    }

    pub(crate) fn full() -> Self {
        RangeSet {
            ranges: vec![(T::MIN, T::MAX)],
        }
    }

    pub(crate) fn range(lo: T, hi: T) -> Self {
        if lo > hi {
            return Self::empty();
        }
        RangeSet {
            ranges: vec![(lo, hi)],
        }
    }

    /// Builds a set from arbitrary (possibly overlapping, unsorted) ranges.
    pub(crate) fn from_ranges(mut v: Vec<(T, T)>) -> Self {
        v.retain(|(a, b)| a <= b);
        v.sort_unstable();
        let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            if let Some(last) = out.last_mut() {
                if last.1 == T::MAX || a <= last.1.succ() {
                    if b > last.1 {
                        last.1 = b;
                    }
                    continue;
                }
            }
            out.push((a, b));
        }
        RangeSet { ranges: out }
    }

    pub(crate) fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub(crate) fn contains(&self, x: T) -> bool {
        // Binary search on range starts.
        let idx = self.ranges.partition_point(|(a, _)| *a <= x);
        idx > 0 && self.ranges[idx - 1].1 >= x
    }

    pub(crate) fn union(&self, other: &Self) -> Self {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        // Both lists are sorted: merge them in one pass instead of sorting their concatenation.
        let (a, b) = (&self.ranges, &other.ranges);
        let mut out: Vec<(T, T)> = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        loop {
            let next = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) if x <= y => {
                    i += 1;
                    x
                }
                (_, Some(&y)) => {
                    j += 1;
                    y
                }
                (Some(&x), None) => {
                    i += 1;
                    x
                }
                (None, None) => break,
            };
            match out.last_mut() {
                // Overlapping or adjacent: one range.
                Some(last) if last.1 == T::MAX || next.0 <= last.1.succ() => {
                    last.1 = last.1.max(next.1);
                }
                _ => out.push(next),
            }
        }
        RangeSet { ranges: out }
    }

    pub(crate) fn intersect(&self, other: &Self) -> Self {
        let (a, b) = (&self.ranges, &other.ranges);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < a.len() && j < b.len() {
            let lo = a[i].0.max(b[j].0);
            let hi = a[i].1.min(b[j].1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        RangeSet { ranges: out }
    }

    pub(crate) fn complement(&self) -> Self {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut next = Some(T::MIN);
        for &(a, b) in &self.ranges {
            if let Some(n) = next {
                if a > n {
                    out.push((n, a.pred()));
                }
            }
            next = if b == T::MAX { None } else { Some(b.succ()) };
        }
        if let Some(n) = next {
            out.push((n, T::MAX));
        }
        RangeSet { ranges: out }
    }

    /// `self` without `other`, in one walk of both (no complement built first).
    pub(crate) fn difference(&self, other: &Self) -> Self {
        if other.is_empty() || self.is_empty() {
            return self.clone();
        }
        let b = &other.ranges;
        let mut out = Vec::with_capacity(self.ranges.len());
        let mut j = 0;
        for &(lo, hi) in &self.ranges {
            // What is left of [lo, hi] starts at `from`; `None`: nothing is left.
            let mut from = Some(lo);
            // Ranges of `other` wholly below this one cannot cut any later one either.
            while b.get(j).is_some_and(|r| r.1 < lo) {
                j += 1;
            }
            let mut k = j;
            while let (Some(f), Some(&(blo, bhi))) = (from, b.get(k)) {
                if blo > hi {
                    break;
                }
                if blo > f {
                    out.push((f, blo.pred()));
                }
                from = if bhi >= hi { None } else { Some(bhi.succ()) };
                k += 1;
            }
            if let Some(f) = from {
                out.push((f, hi));
            }
        }
        RangeSet { ranges: out }
    }

    /// Whether every member of `self` is in `other`, without building the difference: the
    /// ranges of `other` are disjoint and non-adjacent, so a range of `self` they cover lies
    /// inside one of them.
    pub(crate) fn is_subset(&self, other: &Self) -> bool {
        let b = &other.ranges;
        let mut j = 0;
        self.ranges.iter().all(|&(lo, hi)| {
            while b.get(j).is_some_and(|r| r.1 < lo) {
                j += 1;
            }
            b.get(j).is_some_and(|&(blo, bhi)| blo <= lo && hi <= bhi)
        })
    }

    /// Whether the sets share a member, without building the intersection.
    pub(crate) fn intersects(&self, other: &Self) -> bool {
        let (a, b) = (&self.ranges, &other.ranges);
        let (mut i, mut j) = (0, 0);
        while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (a.get(i), b.get(j)) {
            if ahi < blo {
                i += 1;
            } else if bhi < alo {
                j += 1;
            } else {
                return true;
            }
        }
        false
    }

    /// Whether the set has a member in `[lo, hi]`.
    fn meets(&self, lo: T, hi: T) -> bool {
        // The first range that does not end below `lo`.
        let idx = self.ranges.partition_point(|r| r.1 < lo);
        self.ranges.get(idx).is_some_and(|r| r.0 <= hi)
    }
}

impl RangeSet<u32> {
    /// Number of addresses (fits: at most 2^32).
    pub(crate) fn count(&self) -> u64 {
        self.ranges.iter().map(|(a, b)| u64::from(b - a) + 1).sum()
    }
}

impl RangeSet<u128> {
    /// Number of addresses, saturating at `u128::MAX`.
    pub(crate) fn count(&self) -> u128 {
        self.ranges.iter().fold(0u128, |acc, (a, b)| {
            acc.saturating_add((b - a).saturating_add(1))
        })
    }
}

/// A set of IPv4 and IPv6 addresses.
#[derive(Clone, PartialEq, Eq, Default, Hash)]
pub struct AddrSet {
    pub(crate) v4: RangeSet<u32>,
    pub(crate) v6: RangeSet<u128>,
}

impl fmt::Debug for AddrSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AddrSet{:?}", self.to_cidrs())
    }
}

impl AddrSet {
    /// The set with no addresses.
    pub fn empty() -> Self {
        AddrSet::default()
    }

    /// Every IPv4 and IPv6 address (`*`, `Any`).
    pub(crate) fn all() -> Self {
        AddrSet {
            v4: RangeSet::full(),
            v6: RangeSet::full(),
        }
    }

    pub(crate) fn from_net(net: &IpNet) -> Self {
        match net {
            IpNet::V4(n) => AddrSet {
                v4: RangeSet::range(u32::from(n.network()), u32::from(n.broadcast())),
                v6: RangeSet::empty(),
            },
            IpNet::V6(n) => AddrSet {
                v4: RangeSet::empty(),
                v6: RangeSet::range(u128::from(n.network()), u128::from(n.broadcast())),
            },
        }
    }

    /// The union of these prefixes.
    pub fn from_nets<'a>(nets: impl IntoIterator<Item = &'a IpNet>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for n in nets {
            match n {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        AddrSet {
            v4: RangeSet::from_ranges(v4),
            v6: RangeSet::from_ranges(v6),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Whether `ip` is in the set.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }

    /// Addresses in either set.
    pub fn union(&self, o: &Self) -> Self {
        AddrSet {
            v4: self.v4.union(&o.v4),
            v6: self.v6.union(&o.v6),
        }
    }

    pub(crate) fn intersect(&self, o: &Self) -> Self {
        AddrSet {
            v4: self.v4.intersect(&o.v4),
            v6: self.v6.intersect(&o.v6),
        }
    }

    /// Addresses in `self` but not in `o`.
    pub fn difference(&self, o: &Self) -> Self {
        AddrSet {
            v4: self.v4.difference(&o.v4),
            v6: self.v6.difference(&o.v6),
        }
    }

    pub(crate) fn is_subset(&self, o: &Self) -> bool {
        self.v4.is_subset(&o.v4) && self.v6.is_subset(&o.v6)
    }

    /// Whether the sets share an address.
    pub fn intersects(&self, o: &Self) -> bool {
        self.v4.intersects(&o.v4) || self.v6.intersects(&o.v6)
    }

    /// IPv4 addresses in the set (IPv6 counted separately by callers that need it).
    pub(crate) fn count_v4(&self) -> u64 {
        self.v4.count()
    }

    /// The minimal list of CIDRs whose union is exactly this set.
    pub(crate) fn to_cidrs(&self) -> Vec<IpNet> {
        let mut out = Vec::new();
        for &(a, b) in self.v4.ranges() {
            let subnets = ipnet::Ipv4Subnets::new(Ipv4Addr::from(a), Ipv4Addr::from(b), 0);
            out.extend(subnets.map(IpNet::V4));
        }
        for &(a, b) in self.v6.ranges() {
            let subnets = ipnet::Ipv6Subnets::new(Ipv6Addr::from(a), Ipv6Addr::from(b), 0);
            out.extend(subnets.map(IpNet::V6));
        }
        out
    }

    /// A minimal list of CIDRs that covers `self ∩ care` exactly within `care`, where addresses
    /// of `filler` (outside `care`) may be included when that makes the list shorter. Used to
    /// print "open to 0.0.0.0/0" rather than the 30 prefixes of the Internet tag when every
    /// Internet address is admitted (`filler` = the non-public ranges).
    pub(crate) fn to_cidrs_within(&self, care: &AddrSet, filler: &AddrSet) -> Vec<IpNet> {
        let target = self.intersect(care);
        let widened = target.union(&filler.difference(care));
        widened
            .to_cidrs()
            .into_iter()
            .filter(|net| target.meets_net(net))
            .collect()
    }

    /// Whether the set has an address in `net`.
    pub(crate) fn meets_net(&self, net: &IpNet) -> bool {
        match net {
            IpNet::V4(n) => self
                .v4
                .meets(u32::from(n.network()), u32::from(n.broadcast())),
            IpNet::V6(n) => self
                .v6
                .meets(u128::from(n.network()), u128::from(n.broadcast())),
        }
    }

    pub(crate) fn complement(&self) -> Self {
        AddrSet {
            v4: self.v4.complement(),
            v6: self.v6.complement(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::net::parse_prefix;

    fn set(cidrs: &[&str]) -> AddrSet {
        let nets: Vec<IpNet> = cidrs.iter().map(|c| parse_prefix(c).unwrap()).collect();
        AddrSet::from_nets(&nets)
    }

    #[test]
    fn union_merges_adjacent_ranges() {
        let s = set(&["10.0.0.0/25", "10.0.0.128/25"]);
        assert_eq!(s.to_cidrs(), vec![parse_prefix("10.0.0.0/24").unwrap()]);
    }

    #[test]
    fn difference_and_complement() {
        let all = AddrSet::all();
        let ten = set(&["10.0.0.0/8"]);
        let rest = all.difference(&ten);
        assert!(!rest.contains("10.1.2.3".parse().unwrap()));
        assert!(rest.contains("11.0.0.0".parse().unwrap()));
        assert_eq!(rest.union(&ten), all);
        assert_eq!(ten.complement().complement(), ten);
    }

    #[test]
    fn host_bits_are_masked() {
        assert_eq!(
            parse_prefix("175.1.0.1/24").unwrap().to_string(),
            "175.1.0.0/24"
        );
        assert_eq!(parse_prefix("1.2.3.4").unwrap().to_string(), "1.2.3.4/32");
        assert!(parse_prefix("300.1.1.1/33").is_none());
        assert!(parse_prefix("1.2.3.4/33").is_none());
    }

    #[test]
    fn cidrs_within_care_set_prefers_short_lists() {
        let private = set(&["10.0.0.0/8", "192.168.0.0/16"]);
        let care = AddrSet::all().difference(&private);
        let all = AddrSet::all();
        let v: Vec<String> = all
            .to_cidrs_within(&care, &private)
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(v, vec!["0.0.0.0/0", "::/0"]);
        let office = set(&["203.0.113.0/24"]);
        let v: Vec<String> = office
            .to_cidrs_within(&care, &private)
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(v, vec!["203.0.113.0/24"]);
    }

    /// Ends near both edges of the space and anywhere between.
    fn end() -> impl proptest::strategy::Strategy<Value = u32> {
        use proptest::prelude::*;
        prop_oneof![0u32..10, (u32::MAX - 10)..=u32::MAX, any::<u32>()]
    }

    fn range_set() -> impl proptest::strategy::Strategy<Value = RangeSet<u32>> {
        use proptest::prelude::*;
        proptest::collection::vec((end(), end()), 0..6).prop_map(|v| {
            RangeSet::from_ranges(v.into_iter().map(|(a, b)| (a.min(b), a.max(b))).collect())
        })
    }

    proptest::proptest! {
        /// The walks that build no intermediate set answer as the set algebra they replaced
        /// (difference through the complement, subset and overlap through a built set, union
        /// by sorting both lists together).
        #[test]
        fn walks_agree_with_the_set_algebra(a in range_set(), b in range_set(), lo in end(), hi in end()) {
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            let through_complement = a.intersect(&b.complement());
            proptest::prop_assert_eq!(a.difference(&b), through_complement.clone());
            proptest::prop_assert_eq!(a.is_subset(&b), through_complement.is_empty());
            proptest::prop_assert_eq!(a.intersects(&b), !a.intersect(&b).is_empty());
            let both: Vec<(u32, u32)> = a.ranges().iter().chain(b.ranges()).copied().collect();
            proptest::prop_assert_eq!(a.union(&b), RangeSet::from_ranges(both));
            let span = RangeSet::range(lo, hi);
            proptest::prop_assert_eq!(a.meets(lo, hi), !a.intersect(&span).is_empty());
        }
    }

    #[test]
    fn full_range_edges() {
        let s = RangeSet::<u32>::from_ranges(vec![(0, 5), (u32::MAX - 1, u32::MAX)]);
        assert_eq!(s.complement().ranges(), &[(6, u32::MAX - 2)]);
        assert_eq!(s.count(), 8);
    }
}
