//! Paging a list: `nextLink` followed on the ARM origin only, each next page requested before
//! the current one is read (so reading adds nothing to the chain), and [`Ahead`], a request
//! sent on a task of its own.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::Url;
use serde_json::value::RawValue;

use super::client::{parse_page, ArmClient, Listed, MAX_PAGES};
use super::error::{ArmError, ErrorKind};
use super::request::same_origin;
use crate::model::{DiagLevel, Diagnostic};

impl ArmClient {
    /// Follows `nextLink` verbatim, but only on the ARM origin, at most [`MAX_PAGES`] pages, and
    /// never the same link twice. A refused or looping link stops paging with a diagnostic that
    /// names the page that gave it. A page without its `value` array fails the list.
    pub(crate) async fn list(&self, first: &Url, scope: &str) -> Result<Listed, ArmError> {
        let mut items = Vec::new();
        let mut listed = self
            .pages(first, scope, None, |page| items.extend(page))
            .await?;
        listed.items = items;
        Ok(listed)
    }

    /// [`ArmClient::list`], handing each page's items to `on_page` while the next page
    /// downloads: the next page's request is sent, on a task of its own, before `on_page` reads
    /// this one, so reading the pages adds nothing to the chain's length. `on_page` keeps the
    /// items: the list returned has none.
    pub(crate) async fn list_each(
        self: &Arc<Self>,
        first: &Url,
        scope: &str,
        on_page: impl FnMut(Vec<Box<RawValue>>),
    ) -> Result<Listed, ArmError> {
        self.pages(first, scope, Some(self), on_page).await
    }

    /// The pages of a list; with `ahead`, each next page is requested before `on_page` runs.
    async fn pages(
        &self,
        first: &Url,
        scope: &str,
        ahead: Option<&Arc<Self>>,
        mut on_page: impl FnMut(Vec<Box<RawValue>>),
    ) -> Result<Listed, ArmError> {
        let mut out = Listed::default();
        let mut seen: HashSet<String> = HashSet::from([first.to_string()]);
        let mut url = first.clone();
        let mut body = self.get(&url).await?;
        loop {
            // A page that ends with its link has the next one asked for before it is parsed.
            let early = match ahead.and_then(|c| self.early_next(c, &body, &seen, out.pages)) {
                Some((url, request)) => Some((url, request.sent().await)),
                None => None,
            };
            let page = parse_page(&url, &body)?;
            out.pages += 1;
            let items = page.value.unwrap_or_default();
            let next = match next_page(self.base(), page.next_link, &mut seen, out.pages) {
                Ok(next) => next,
                Err(why) => {
                    out.stopped = Some(Diagnostic {
                        level: DiagLevel::Warning,
                        scope: Some(scope.to_string()),
                        message: format!("GET {url}: {why}; the list may be incomplete"),
                        status: None,
                        code: Some("PagingStopped".into()),
                        request_id: None,
                    });
                    None
                }
            };
            let Some(next) = next else {
                on_page(items);
                return Ok(out);
            };
            // The early request is kept if it went to the page the parsed link names; else it
            // is dropped (aborted).
            let early = early.filter(|(sent, _)| *sent == next).map(|(_, r)| r);
            let request = match (early, ahead) {
                (Some(request), _) => Some(request),
                (None, Some(client)) => Some(Ahead::get(client, &next).sent().await),
                (None, None) => None,
            };
            on_page(items);
            let fetched = match request {
                Some(request) => request.answer().await,
                None => self.get(&next).await,
            };
            body = fetched?;
            url = next;
        }
    }
}

impl ArmClient {
    /// The next page's request, sent now if this page's bytes end with a link that passes the
    /// checks a parsed one must ([`next_page`]): the page's URL and the request.
    fn early_next(
        &self,
        client: &Arc<Self>,
        body: &[u8],
        seen: &HashSet<String>,
        pages: usize,
    ) -> Option<(Url, Ahead<Vec<u8>>)> {
        let link = super::link_scan::last_member(body, "nextLink")?;
        let mut trial = seen.clone();
        let next = next_page(self.base(), Some(link), &mut trial, pages + 1).ok()??;
        let request = Ahead::get(client, &next);
        Some((next, request))
    }
}

/// The page after this one: `Ok(None)` at the end, `Err` with why paging stops
/// early (a `nextLink` that is not a URL, off the ARM origin, seen before, or past
/// [`MAX_PAGES`]).
fn next_page(
    base: &Url,
    next_link: Option<String>,
    seen: &mut HashSet<String>,
    pages: usize,
) -> Result<Option<Url>, String> {
    let Some(next) = next_link.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let Ok(next_url) = Url::parse(&next) else {
        return Err(format!("nextLink \"{next}\" is not a URL"));
    };
    if !same_origin(base, &next_url) {
        return Err(format!(
            "refused a nextLink to {} (not the ARM endpoint): nothing was sent there",
            next_url.host_str().unwrap_or("?")
        ));
    }
    if !seen.insert(next_url.to_string()) {
        return Err("nextLink repeats an earlier page (loop)".into());
    }
    if pages >= MAX_PAGES {
        return Err(format!("more than {MAX_PAGES} pages"));
    }
    Ok(Some(next_url))
}

/// A request sent ahead on a task of its own, while the caller reads the page before it;
/// dropping it (the list was abandoned) aborts it.
pub(crate) struct Ahead<T> {
    task: tokio::task::JoinHandle<Result<T, ArmError>>,
    method: &'static str,
    url: Url,
}

impl Ahead<Vec<u8>> {
    fn get(client: &Arc<ArmClient>, url: &Url) -> Ahead<Vec<u8>> {
        let (client, target) = (client.clone(), url.clone());
        Ahead::spawn("GET", url, async move { client.get(&target).await })
    }
}

impl<T: Send + 'static> Ahead<T> {
    /// Sends `request` (to `method url`) now.
    pub(crate) fn spawn(
        method: &'static str,
        url: &Url,
        request: impl std::future::Future<Output = Result<T, ArmError>> + Send + 'static,
    ) -> Ahead<T> {
        Ahead {
            task: tokio::spawn(request),
            method,
            url: url.clone(),
        }
    }

    /// The same request, once it has gone out: a task spawned on a runtime worker waits in
    /// that worker's next-task slot (no other worker takes it) until the spawner yields, and a
    /// page read or decoded meanwhile kept the next page's request waiting 5-15 ms.
    pub(crate) async fn sent(self) -> Ahead<T> {
        tokio::task::yield_now().await;
        self
    }

    /// Its answer, or why there is none.
    pub(crate) async fn answer(mut self) -> Result<T, ArmError> {
        match (&mut self.task).await {
            Ok(answer) => answer,
            Err(e) => Err(ArmError::new(
                ErrorKind::Transport,
                self.method,
                &self.url,
                format!("the request's task failed: {e}"),
            )),
        }
    }
}

impl<T> Drop for Ahead<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::client::{Credential, RetryPolicy};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A two-page list on a local server that notes when page 2 is asked for.
    async fn serve_two_pages(asked_for_two: Arc<AtomicBool>) -> Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let next = format!("{base}/p2");
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (asked, next) = (asked_for_two.clone(), next.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let body = if head.starts_with("GET /p2") {
                        asked.store(true, Ordering::SeqCst);
                        r#"{"value":[{"id":"/b"}]}"#.to_string()
                    } else {
                        format!(r#"{{"value":[{{"id":"/a"}}],"nextLink":"{next}"}}"#)
                    };
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(reply.as_bytes()).await;
                });
            }
        });
        Url::parse(&format!("{base}/p1")).expect("url")
    }

    /// The next page is asked for while the page before it is read: `on_page` for page 1 sees
    /// the request for page 2 arrive (without the prefetch it never would, and waits 5 s).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_next_page_is_asked_for_while_this_one_is_read() {
        let asked = Arc::new(AtomicBool::new(false));
        let first = serve_two_pages(asked.clone()).await;
        let base = Url::parse(&format!("{}/", first.origin().ascii_serialization())).expect("base");
        let credential = Credential::Static(Arc::new("t".into()));
        let client =
            Arc::new(ArmClient::new(base, credential, 4, RetryPolicy::default()).expect("client"));
        let mut seen_while_reading = Vec::new();
        let mut items = 0;
        let listed = client
            .list_each(&first, "test", |page| {
                items += page.len();
                let start = Instant::now();
                while !asked.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(Duration::from_millis(5));
                }
                seen_while_reading.push((page.len(), asked.load(Ordering::SeqCst)));
            })
            .await
            .expect("lists");
        assert_eq!(items, 2);
        assert!(listed.items.is_empty(), "the pages' items went to on_page");
        assert_eq!(listed.pages, 2);
        assert_eq!(seen_while_reading, vec![(1, true), (1, true)]);
    }
}
