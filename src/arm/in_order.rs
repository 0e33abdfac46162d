//! Pages of queries that run side by side, added to the collection in the queries' order, each
//! as soon as every query before it has ended.
//!
//! The model is built while later chains still download (adding a page to it is most of the
//! work left after the network), and the collected resources keep one order whatever order
//! the answers arrive in. A query that fails after some of its pages were added takes them
//! back out: a failed chain adds nothing, as a failed ARM list does.

use serde_json::value::RawValue;

use super::collected::Collected;
use super::error::ArmError;
use crate::model::refs::Index;
use crate::model::{DecodedBlock, Diagnostic};

/// One page of one query, read (and decoded, when the collection decodes) in its task.
pub(crate) struct Page {
    pub(crate) rows: Vec<Box<RawValue>>,
    pub(crate) index: Index,
    pub(crate) decoded: Option<DecodedBlock>,
}

/// How a query ended: why its rows may not be all, or why it failed.
pub(crate) type Ended = Result<Vec<Diagnostic>, ArmError>;

/// What a query's task tells the collector, naming the query by its place in the list.
pub(crate) enum Event {
    /// Boxed: a page's index is large beside an end.
    Page(usize, Box<Page>),
    Done(usize, Ended),
}

/// The queries' pages and ends as they arrive, and how far they have been added.
pub(crate) struct InOrder {
    waiting: Vec<Vec<Page>>,
    ended: Vec<Option<Ended>>,
    /// The first query not yet ended and added.
    next: usize,
    /// How many resources the collection held when query `next` began to be added.
    start: usize,
    results: Vec<Ended>,
}

impl InOrder {
    pub(crate) fn new(queries: usize, out: &Collected) -> Self {
        InOrder {
            waiting: (0..queries).map(|_| Vec::new()).collect(),
            ended: (0..queries).map(|_| None).collect(),
            next: 0,
            start: out.resources.len(),
            results: Vec::with_capacity(queries),
        }
    }

    /// Takes one event and adds whatever it lets be added.
    pub(crate) fn take(&mut self, event: Event, out: &mut Collected) {
        match event {
            Event::Page(n, page) => {
                if let Some(w) = self.waiting.get_mut(n) {
                    w.push(*page);
                }
            }
            Event::Done(n, ended) => {
                if let Some(slot) = self.ended.get_mut(n) {
                    *slot = Some(ended);
                }
            }
        }
        self.advance(out);
    }

    fn advance(&mut self, out: &mut Collected) {
        while let Some(waiting) = self.waiting.get_mut(self.next) {
            for p in waiting.drain(..) {
                out.add_indexed(p.rows, p.index, p.decoded);
            }
            let Some(ended) = self.ended.get_mut(self.next).and_then(Option::take) else {
                return;
            };
            if ended.is_err() {
                out.truncate(self.start);
            }
            self.results.push(ended);
            self.next += 1;
            self.start = out.resources.len();
        }
    }

    /// Every query's end, in their order, once no more events can come; a query whose task
    /// stopped without saying how it ended gets `lost(n)`.
    pub(crate) fn finish(
        mut self,
        out: &mut Collected,
        lost: impl Fn(usize) -> ArmError,
    ) -> Vec<Ended> {
        for (n, slot) in self.ended.iter_mut().enumerate().skip(self.next) {
            if slot.is_none() {
                *slot = Some(Err(lost(n)));
            }
        }
        self.advance(out);
        self.results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::error::ErrorKind;
    use crate::model::decode_each;
    use serde_json::json;

    fn page(names: &[&str]) -> Page {
        let rows: Vec<Box<RawValue>> = names
            .iter()
            .map(|n| {
                let id = format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/{n}");
                serde_json::value::to_raw_value(
                    &json!({"id": id, "type": "Microsoft.Network/networkSecurityGroups", "properties": {}}),
                )
                .unwrap_or_else(|_| unreachable!())
            })
            .collect();
        Page {
            index: Index::of(&rows),
            decoded: Some(decode_each(rows.iter().map(|r| r.as_ref()))),
            rows,
        }
    }

    fn boxed(names: &[&str]) -> Box<Page> {
        Box::new(page(names))
    }

    fn names(out: &Collected) -> Vec<String> {
        out.resources
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_str(r.get()).unwrap_or_default();
                v["id"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }

    fn failure() -> ArmError {
        let url = reqwest::Url::parse("http://x/").unwrap_or_else(|_| unreachable!());
        ArmError::new(ErrorKind::Malformed, "POST", &url, "boom")
    }

    /// Pages arriving out of order are added in the queries' order, a query's pages as soon
    /// as every query before it has ended.
    #[test]
    fn pages_are_added_in_the_queries_order_as_soon_as_they_can_be() {
        let mut out = Collected::default();
        let mut order = InOrder::new(3, &out);
        order.take(Event::Page(2, boxed(&["c1"])), &mut out);
        order.take(Event::Page(1, boxed(&["b1"])), &mut out);
        assert!(names(&out).is_empty(), "added before query 0 began");
        order.take(Event::Page(0, boxed(&["a1"])), &mut out);
        assert_eq!(names(&out), ["a1"], "query 0's page waits for nothing");
        order.take(Event::Done(0, Ok(vec![])), &mut out);
        assert_eq!(names(&out), ["a1", "b1"]);
        order.take(Event::Page(1, boxed(&["b2"])), &mut out);
        assert_eq!(names(&out), ["a1", "b1", "b2"]);
        order.take(Event::Done(2, Ok(vec![])), &mut out);
        order.take(Event::Done(1, Ok(vec![])), &mut out);
        assert_eq!(names(&out), ["a1", "b1", "b2", "c1"]);
        let ends = order.finish(&mut out, |_| failure());
        assert_eq!(ends.len(), 3);
        assert!(ends.iter().all(Result::is_ok));
        assert_eq!(out.model().nsgs.len(), 4);
    }

    /// A query that fails after some of its pages were added adds nothing, and the model is
    /// the one built from what is left; a query whose task never said how it ended fails.
    #[test]
    fn a_failed_query_takes_its_pages_back() {
        let mut out = Collected::default();
        let mut order = InOrder::new(3, &out);
        order.take(Event::Page(0, boxed(&["a1"])), &mut out);
        order.take(Event::Done(0, Ok(vec![])), &mut out);
        order.take(Event::Page(1, boxed(&["b1", "b2"])), &mut out);
        order.take(Event::Page(2, boxed(&["c1"])), &mut out);
        assert_eq!(names(&out), ["a1", "b1", "b2"]);
        order.take(Event::Done(1, Err(failure())), &mut out);
        assert_eq!(names(&out), ["a1", "c1"]);
        let ends = order.finish(&mut out, |_| failure());
        assert!(ends[0].is_ok() && ends[1].is_err() && ends[2].is_err());
        assert_eq!(names(&out), ["a1"], "the lost query's page stayed");
        assert_eq!(out.index().distinct_ids(), 1);
        let model = out.model();
        let nsgs: Vec<_> = model.nsgs.keys().map(|k| k.id.to_string()).collect();
        assert_eq!(nsgs.len(), 1);
        assert!(nsgs[0].ends_with("/a1"), "{nsgs:?}");
    }
}
