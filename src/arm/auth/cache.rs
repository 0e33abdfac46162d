//! The bearer token and the Authenticator that hands it out: the current token is kept until
//! shortly before it expires, one refresh at a time.

use super::*;

/// Refresh a cached token this long before it expires (or at half its lifetime, if shorter).
pub(super) const REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);
/// After a failed refresh while the cached token is still valid, wait this long before retrying.
pub(super) const REFRESH_RETRY: time::Duration = time::Duration::seconds(30);
/// A cached token closer than this to expiry is not handed out after a failed refresh.
pub(super) const MIN_VALIDITY: time::Duration = time::Duration::seconds(30);

/// A bearer token for ARM. `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    secret: String,
    expires_on: Option<OffsetDateTime>,
}

impl Token {
    /// A token with this secret and expiry.
    #[cfg(test)]
    pub(crate) fn new(secret: impl Into<String>, expires_on: Option<OffsetDateTime>) -> Token {
        Token {
            secret: secret.into(),
            expires_on,
        }
    }

    /// The bearer token itself (for the `Authorization` header only).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When the token expires, if known.
    pub fn expires_on(&self) -> Option<OffsetDateTime> {
        self.expires_on
    }
}

impl From<AccessToken> for Token {
    fn from(t: AccessToken) -> Token {
        Token {
            secret: t.token.secret().to_owned(),
            expires_on: Some(t.expires_on),
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("secret", &"<redacted>")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted bearer token>")
    }
}

pub(super) struct Cached {
    pub(super) token: Token,
    pub(super) fetched_at: OffsetDateTime,
    /// After a failed refresh: do not try again before this.
    pub(super) retry_at: Option<OffsetDateTime>,
}

impl Cached {
    pub(super) fn fresh(&self, now: OffsetDateTime) -> bool {
        let Some(expires) = self.token.expires_on else {
            return true;
        };
        let lifetime = expires - self.fetched_at;
        let margin = if lifetime > REFRESH_MARGIN * 2 {
            REFRESH_MARGIN
        } else {
            lifetime / 2
        };
        now < expires - margin
    }

    pub(super) fn usable(&self, now: OffsetDateTime) -> bool {
        self.token.expires_on.is_none_or(|e| now + MIN_VALIDITY < e)
    }
}

/// Hands out ARM tokens from the credential chosen by [`Authenticator::new`].
pub struct Authenticator {
    pub(super) credential: Arc<dyn TokenCredential>,
    pub(super) source: String,
    pub(super) scope: String,
    pub(super) timeout: Duration,
    pub(super) secrets: Vec<String>,
    /// The HTTP client token requests go through, when rdpaudit built it (its last error answer).
    pub(super) http: Option<Arc<TokenHttp>>,
    pub(super) cache: tokio::sync::Mutex<Option<Cached>>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("source", &self.source)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Uses `credential` as is, without trying it first (unit tests). `source` names
    /// it in logs and errors.
    #[cfg(test)]
    pub(crate) fn with_credential(
        credential: Arc<dyn TokenCredential>,
        source: impl Into<String>,
        cloud: &Cloud,
    ) -> Authenticator {
        Authenticator {
            credential,
            source: source.into(),
            scope: cloud.scope.clone(),
            timeout: TIMEOUT_ENTRA,
            secrets: Vec::new(),
            http: None,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// A token for ARM. The current token is reused until shortly before it expires; then the
    /// credential is asked again (one request at a time, however many callers wait).
    pub async fn token(&self) -> Result<Token, AuthError> {
        let mut cache = self.cache.lock().await;
        let now = OffsetDateTime::now_utc();
        if let Some(cached) = cache.as_ref() {
            let waiting = cached.retry_at.is_some_and(|at| now < at);
            if cached.fresh(now) || (waiting && cached.usable(now)) {
                return Ok(cached.token.clone());
            }
        }
        debug!(credential = %self.source, "auth: requesting a new token");
        match fetch(
            &*self.credential,
            &self.scope,
            self.timeout,
            self.http.as_deref(),
        )
        .await
        {
            Ok(access) => {
                let token = Token::from(access);
                debug!(credential = %self.source, expires_on = ?token.expires_on(), "auth: new token");
                *cache = Some(Cached {
                    token: token.clone(),
                    fetched_at: OffsetDateTime::now_utc(),
                    retry_at: None,
                });
                Ok(token)
            }
            Err(err) => {
                let reason = scrub(
                    &match err {
                        FetchError::TimedOut(d) => format!("no answer within {} s", d.as_secs()),
                        FetchError::Failed(m) => m,
                    },
                    &self.secrets,
                );
                if let Some(cached) = cache.as_mut() {
                    if cached.usable(now) {
                        debug!(credential = %self.source, reason = %reason, "auth: refresh failed; the current token is still valid");
                        cached.retry_at = Some(now + REFRESH_RETRY);
                        return Ok(cached.token.clone());
                    }
                }
                debug!(credential = %self.source, reason = %reason, "auth: token request failed");
                Err(AuthError::Token {
                    credential: self.source.clone(),
                    reason,
                })
            }
        }
    }

    /// Which credential is in use, e.g. `Azure CLI` (for `-v` logs).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The scope tokens are requested for (the cloud's ARM audience plus `.default`).
    pub fn scope(&self) -> &str {
        &self.scope
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// The tests that fetch tokens run one at a time: under `cargo test` they share a process,
    /// and one that reaches a log call site while `debug_logs_never_contain_the_token` swaps in
    /// its subscriber can leave that call site's interest cached as "never", so the log test
    /// would see too little (it failed once that way).
    fn serial() -> std::sync::MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        SERIAL.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn token_debug_and_display_are_redacted() {
        let expires = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        let t = Token::new("eyJ0eXAiOiJKV1Qi.secret-part", Some(expires));
        let debug = format!("{t:?}");
        let display = t.to_string();
        for shown in [&debug, &display] {
            assert!(!shown.contains("eyJ0eXAi"), "{shown}");
            assert!(!shown.contains("secret-part"), "{shown}");
            assert!(shown.contains("redacted"), "{shown}");
        }
        assert!(debug.contains("2026"), "{debug}");
        assert_eq!(t.secret(), "eyJ0eXAiOiJKV1Qi.secret-part");
        assert_eq!(t.expires_on(), Some(expires));
    }

    /// A credential that counts calls and hands out numbered tokens with a fixed lifetime.
    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: time::Duration,
        fail_from: usize,
    }

    impl Counting {
        fn next(&self, scopes: &[&str]) -> azure_core::Result<AccessToken> {
            assert_eq!(scopes, ["https://management.azure.com/.default"]);
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= self.fail_from {
                return Err(azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    "FakeCredential authentication failed. refresh failed for secret s3cret-value-123",
                ));
            }
            Ok(AccessToken::new(
                format!("token-{n}"),
                OffsetDateTime::now_utc() + self.lifetime,
            ))
        }
    }

    // What `#[async_trait]` would generate (async-trait is not a dependency of this crate).
    impl TokenCredential for Counting {
        fn get_token<'life0, 'life1, 'life2, 'life3, 'async_trait>(
            &'life0 self,
            scopes: &'life1 [&'life2 str],
            _options: Option<azure_core::credentials::TokenRequestOptions<'life3>>,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<Output = azure_core::Result<AccessToken>>
                    + Send
                    + 'async_trait,
            >,
        >
        where
            'life0: 'async_trait,
            'life1: 'async_trait,
            'life2: 'async_trait,
            'life3: 'async_trait,
            Self: 'async_trait,
        {
            let result = self.next(scopes);
            Box::pin(async move { result })
        }
    }

    fn counting(lifetime: time::Duration, fail_from: usize) -> Arc<Counting> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime,
            fail_from,
        })
    }

    #[test]
    fn tokens_are_cached_until_shortly_before_expiry() {
        let _serial = serial();
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let cred = counting(time::Duration::hours(1), usize::MAX);
        let auth = Authenticator::with_credential(cred.clone(), "fake", &cloud);
        rt().block_on(async {
            let a = auth.token().await.unwrap();
            let b = auth.token().await.unwrap();
            assert_eq!(a.secret(), "token-1");
            assert_eq!(b.secret(), "token-1");
        });
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1);
        assert_eq!(auth.source(), "fake");
        assert_eq!(auth.scope(), "https://management.azure.com/.default");
        assert!(!format!("{auth:?}").contains("token-1"));

        // A token that is already within the refresh margin is fetched again on every call.
        let cred = counting(time::Duration::seconds(-1), usize::MAX);
        let auth = Authenticator::with_credential(cred.clone(), "fake", &cloud);
        rt().block_on(async {
            assert_eq!(auth.token().await.unwrap().secret(), "token-1");
            assert_eq!(auth.token().await.unwrap().secret(), "token-2");
        });
    }

    #[test]
    fn concurrent_callers_share_one_refresh() {
        let _serial = serial();
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let cred = counting(time::Duration::hours(1), usize::MAX);
        let auth = Arc::new(Authenticator::with_credential(cred.clone(), "fake", &cloud));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut handles = Vec::new();
            for _ in 0..16 {
                let auth = auth.clone();
                handles.push(tokio::spawn(async move { auth.token().await.unwrap() }));
            }
            for h in handles {
                assert_eq!(h.await.unwrap().secret(), "token-1");
            }
        });
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn failed_refresh_falls_back_to_a_still_valid_token() {
        let _serial = serial();
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        // A token valid for 4 more minutes, fetched an hour ago: due for refresh, still usable.
        let cred = counting(time::Duration::minutes(4), 2);
        let auth = Authenticator::with_credential(cred.clone(), "fake", &cloud);
        rt().block_on(async {
            assert_eq!(auth.token().await.unwrap().secret(), "token-1");
            {
                let mut cache = auth.cache.lock().await;
                let cached = cache.as_mut().unwrap();
                cached.fetched_at -= time::Duration::hours(1);
            }
            // Refresh fails; the cached token is still valid for minutes.
            assert_eq!(auth.token().await.unwrap().secret(), "token-1");
            assert_eq!(cred.calls.load(Ordering::SeqCst), 2);
            // Within the retry pause: no new request.
            assert_eq!(auth.token().await.unwrap().secret(), "token-1");
            assert_eq!(cred.calls.load(Ordering::SeqCst), 2);
        });

        // No valid token to fall back to: the error names the credential, without the secret.
        let cred = counting(time::Duration::hours(1), 1);
        let mut auth = Authenticator::with_credential(cred, "fake", &cloud);
        auth.secrets = vec!["s3cret-value-123".into()];
        let err = rt().block_on(auth.token()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("fake: could not get a new ARM token: refresh failed"),
            "{msg}"
        );
        assert!(!msg.contains("s3cret-value-123"), "{msg}");
    }

    /// Tracing output at the most verbose level never contains the token.
    #[test]
    fn debug_logs_never_contain_the_token() {
        let _serial = serial();
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let cred = counting(time::Duration::hours(1), usize::MAX);
        let auth = Authenticator::with_credential(cred, "fake", &cloud);
        tracing::subscriber::with_default(subscriber, || {
            // Other tests run in parallel without a subscriber: a call site they reach first can
            // have its interest cached as "never"; recompute it now that this thread has one.
            tracing::callsite::rebuild_interest_cache();
            rt().block_on(async {
                let t = auth.token().await.unwrap();
                tracing::debug!(token = ?t, "got {t}");
            })
        });
        let logged = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("auth: new token"), "{logged}");
        assert!(!logged.contains("token-1"), "{logged}");
    }
}
