//! The `--concurrency` budget (the most ARM requests in flight), with two lanes. A list's next
//! page is on the collection's longest path (ten pages of VMs, one after the other); the
//! admin-rule POSTs, one per VNet, are hundreds of independent requests that may go in any order.
//! With one first-come queue, each next page waited behind the POSTs queued before it (≈ 10 ms
//! a page at `--concurrency 64`, docs/performance.md). Here a freed permit goes to a waiting
//! [`Lane::Chain`] request first, and to a [`Lane::Bulk`] one only when none waits: the budget
//! is never exceeded and never left idle while anything waits.

use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Which requests a freed permit goes to first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    /// Requests something else waits on: list pages, reads by id, queries.
    Chain = 0,
    /// Independent requests sent in bulk (the admin-rule POSTs): after any waiting chain.
    Bulk = 1,
}

#[derive(Debug)]
pub(crate) struct Permits {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    free: usize,
    /// Who waits, per lane, in order; only while no permit is free.
    waiting: [VecDeque<oneshot::Sender<()>>; 2],
}

/// A request's right to be in flight; given back (to the next waiter) when dropped.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    permits: &'a Permits,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.permits.release();
    }
}

/// A wait for a permit; a permit handed over after the wait was given up goes back.
struct Waiting<'a> {
    permits: &'a Permits,
    answer: oneshot::Receiver<()>,
    /// The permit was handed over and taken: nothing to give back.
    taken: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        self.answer.close();
        if self.answer.try_recv().is_ok() {
            self.permits.release();
        }
    }
}

impl Permits {
    pub(crate) fn new(n: usize) -> Permits {
        Permits {
            state: Mutex::new(State {
                free: n.max(1),
                waiting: [VecDeque::new(), VecDeque::new()],
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave the counts half-changed (each change is
        // one statement): the state is still right.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a permit in `lane`.
    pub(crate) async fn acquire(&self, lane: Lane) -> Permit<'_> {
        loop {
            let answer = {
                let mut s = self.state();
                if s.free > 0 {
                    s.free -= 1;
                    return Permit { permits: self };
                }
                let (tell, answer) = oneshot::channel();
                s.waiting[lane as usize].push_back(tell);
                answer
            };
            let mut waiting = Waiting {
                permits: self,
                answer,
                taken: false,
            };
            // `release` drops a waiter's sender only by handing it a permit.
            if (&mut waiting.answer).await.is_ok() {
                waiting.taken = true;
                return Permit { permits: self };
            }
        }
    }

    /// Hands a permit to the first waiter still waiting, chains first; else keeps it free.
    fn release(&self) {
        let mut s = self.state();
        for lane in [Lane::Chain, Lane::Bulk] {
            while let Some(tell) = s.waiting[lane as usize].pop_front() {
                if tell.send(()).is_ok() {
                    return;
                }
            }
        }
        s.free += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Waiters are served chains first, then bulk, each lane in order; the count never exceeds
    /// the budget.
    #[tokio::test]
    async fn a_freed_permit_goes_to_a_waiting_chain_first() {
        let permits = Arc::new(Permits::new(1));
        let first = permits.acquire(Lane::Bulk).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, lane) in [("b1", Lane::Bulk), ("c1", Lane::Chain), ("b2", Lane::Bulk)] {
            let (permits, order) = (permits.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _p = permits.acquire(lane).await;
                order.lock().map(|mut o| o.push(name)).ok();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }));
            // Each waits before the next asks.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(first);
        for t in tasks {
            t.await.ok();
        }
        let order = order.lock().map(|o| o.clone()).unwrap_or_default();
        assert_eq!(order, ["c1", "b1", "b2"]);
        assert_eq!(permits.state().free, 1);
    }

    /// A wait given up (its request dropped, e.g. a deadline) leaves the budget whole: whether
    /// it was dropped before or after a permit was handed to it.
    #[tokio::test]
    async fn a_wait_given_up_gives_its_permit_back() {
        let permits = Arc::new(Permits::new(1));
        let held = permits.acquire(Lane::Chain).await;
        let p = permits.clone();
        let waiter = tokio::spawn(async move {
            let _p = p.acquire(Lane::Bulk).await;
            std::future::pending::<()>().await;
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
        waiter.abort();
        let _ = waiter.await;
        drop(held);
        assert_eq!(permits.state().free, 1);
        // Handed over, then given up before it ran: the permit comes back.
        let held = permits.acquire(Lane::Chain).await;
        let mut wait = Box::pin(permits.acquire(Lane::Bulk));
        assert!(futures_poll_once(wait.as_mut()).is_none());
        drop(held);
        drop(wait);
        assert_eq!(permits.state().free, 1);
    }

    /// Polls a future once.
    fn futures_poll_once<F: std::future::Future>(f: std::pin::Pin<&mut F>) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match f.poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }
}
