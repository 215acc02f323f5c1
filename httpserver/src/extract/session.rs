//! Sessions: a small map of values kept in one encrypted, authenticated cookie, so any number
//! of instances that share the secret key share the sessions, with no store on the server.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cookie::{Cookie, CookieJar, Key, SameSite};
use http::header::SET_COOKIE;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::HttpError;
use crate::extract::csrf_token;
use crate::extract::FromRequest;
use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// The most a browser keeps of one cookie (RFC 6265 asks for at least 4096 bytes, and that
/// is what browsers keep): a longer session would be dropped by the browser in silence.
pub const MAX_COOKIE_BYTES: usize = 4096;

/// The shortest secret key accepted: the key derivation needs 256 bits of input.
pub const MIN_SECRET_KEY_BYTES: usize = 32;

/// How the session cookie is sent: its name, lifetime and attributes. The defaults: name
/// `session`, `Path=/`, `HttpOnly`, `SameSite=Lax`, not `Secure`, no `Max-Age` (the browser
/// keeps it until it closes), and a [`lifetime`](SessionCookie::lifetime) of 14 days
/// sealed inside it, so that a copied cookie does not authenticate for ever.
///
/// ```
/// use std::time::Duration;
/// use httpserver::cookie::SameSite;
/// use httpserver::{App, SessionCookie};
///
/// let app = App::new()
///     .secret_key("a secret of at least 32 bytes, from the environment")
///     .session_cookie(
///         SessionCookie::new()
///             .name("sid")
///             .max_age(Duration::from_secs(7 * 24 * 3600))
///             .secure(true) // served over HTTPS only
///             .same_site(SameSite::Strict),
///     );
/// ```
#[derive(Debug, Clone)]
pub struct SessionCookie {
    name: String,
    max_age: Option<Duration>,
    lifetime: Duration,
    secure: bool,
    same_site: SameSite,
}

impl Default for SessionCookie {
    fn default() -> Self {
        SessionCookie::new()
    }
}

impl SessionCookie {
    /// The defaults.
    pub fn new() -> Self {
        SessionCookie {
            name: "session".to_owned(),
            max_age: None,
            lifetime: DEFAULT_SESSION_LIFETIME,
            secure: false,
            same_site: SameSite::Lax,
        }
    }

    /// The cookie's name (default `session`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Makes the cookie outlive the browser session: the browser keeps it for `max_age`
    /// after it was last sent, and the [`lifetime`](SessionCookie::lifetime) sealed inside
    /// it becomes `max_age` too. Default: no `Max-Age` (the browser keeps it until it
    /// closes).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self.lifetime = max_age;
        self
    }

    /// How long a session is accepted after it was last sealed (default 14 days). The
    /// expiry is sealed inside the cookie, where the client cannot change it, so a copy
    /// kept past it reads as an empty session, whatever the browser does with the cookie.
    /// A session in use is sealed anew once half its lifetime has passed, so an active
    /// user stays logged in while a stolen cookie ages out.
    ///
    /// Why 14 days: Django's default; Flask's permanent sessions last 31, but a cookie
    /// session cannot be revoked by the server alone (see
    /// [`App::session_check`](crate::App::session_check)), so its life bounds what a
    /// stolen cookie is worth.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Whether the cookie is marked `Secure` (sent over HTTPS only). Default `false`, so
    /// that sessions work on `http://localhost`; turn it on in production.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `SameSite` attribute (default `Lax`).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }
}

/// The default [`SessionCookie::lifetime`].
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

/// The app's check of a session as it is read (see [`App::session_check`]).
///
/// [`App::session_check`]: crate::App::session_check
pub(crate) type SessionCheck =
    Arc<dyn Fn(&Request, &Session) -> futures_util::future::BoxFuture<'static, bool> + Send + Sync>;

/// The app's keys and cookie settings, kept with its state once it starts.
pub(crate) struct SessionKeys {
    /// The first seals; all open (so a key can be rotated).
    keys: Vec<Key>,
    cookie: SessionCookie,
    check: Option<SessionCheck>,
}

impl SessionKeys {
    /// Derives the keys; a secret under [`MIN_SECRET_KEY_BYTES`] is refused.
    pub(crate) fn new(secrets: &[Vec<u8>], cookie: SessionCookie) -> Result<Self, String> {
        for (i, secret) in secrets.iter().enumerate() {
            if secret.len() < MIN_SECRET_KEY_BYTES {
                let which = match secrets.len() {
                    1 => "the secret key".to_owned(),
                    _ => format!("secret key {} of {}", i + 1, secrets.len()),
                };
                return Err(format!(
                    "{which} is {} bytes; it must be at least {MIN_SECRET_KEY_BYTES} random bytes \
                     (make one with `head -c 48 /dev/urandom | base64` and pass it from the \
                     environment, e.g. App::secret_key(std::env::var(\"APP_SECRET\")?))",
                    secret.len()
                ));
            }
        }
        let keys = secrets.iter().map(|s| Key::derive_from(s)).collect();
        Ok(SessionKeys {
            keys,
            cookie,
            check: None,
        })
    }

    /// The app's own check of each session read (a revocation list, a per-user counter).
    pub(crate) fn with_check(mut self, check: Option<SessionCheck>) -> Self {
        self.check = check;
        self
    }

    /// The session in the request's cookie: empty if there is none, or if it is tampered
    /// with, sealed with a key the app does not have, unreadable or expired.
    ///
    /// A request may carry several cookies of the session's name (one planted from a
    /// sibling subdomain, or set with a longer `Path`, comes first): each is tried, and
    /// the first that unseals is the session.
    fn open(&self, req: &Request) -> Session {
        let mut had_cookie = false;
        let payload = req
            .cookies()
            .filter(|(name, _)| *name == self.cookie.name)
            .inspect(|_| had_cookie = true)
            .find_map(|(_, value)| self.unseal(value));
        let (values, expires) = payload.map_or((Map::new(), None), |p| (p.values, p.expires));
        Session {
            inner: Arc::new(Mutex::new(SessionData {
                values,
                changed: false,
                had_cookie,
                expires,
            })),
        }
    }

    fn unseal(&self, value: &str) -> Option<Payload> {
        let sealed = Cookie::new(self.cookie.name.clone(), value.to_owned());
        let jar = CookieJar::new();
        let plain = self
            .keys
            .iter()
            .find_map(|key| jar.private(key).decrypt(sealed.clone()))?;
        let payload = Payload::parse(plain.value())?;
        match payload.expires {
            Some(at) if at <= unix_now() => None,
            _ => Some(payload),
        }
    }

    /// The session cookie's name.
    pub(crate) fn cookie_name(&self) -> &str {
        &self.cookie.name
    }

    /// For the test client: a CSRF token of the session sealed in `sealed` (or of a new
    /// session), and the `Set-Cookie` value to keep when the session had to change to hold
    /// a new secret. `None` if the random source fails or the session cannot be sealed.
    pub(crate) fn csrf_token_for(&self, sealed: Option<&str>) -> Option<(String, Option<String>)> {
        let mut values = sealed
            .and_then(|value| self.unseal(value))
            .map(|payload| payload.values)
            .unwrap_or_default();
        let stored = values
            .get(CSRF_SECRET)
            .and_then(Value::as_str)
            .and_then(csrf_token::decode_secret);
        let (secret, set_cookie) = match stored {
            Some(secret) => (secret, None),
            None => {
                let secret = csrf_token::new_secret()?;
                let encoded = csrf_token::encode_secret(&secret);
                values.insert(CSRF_SECRET.to_owned(), Value::String(encoded));
                (secret, Some(self.seal(&values).ok()?))
            }
        };
        Some((csrf_token::masked_token(&secret)?, set_cookie))
    }

    /// Whether an unchanged session is sealed anew: once half its lifetime has passed (or
    /// it was sealed without an expiry, before sessions had one).
    fn needs_refresh(&self, expires: Option<u64>) -> bool {
        let half = self.cookie.lifetime.as_secs() / 2;
        expires.map_or(true, |at| at.saturating_sub(unix_now()) < half)
    }

    /// The `Set-Cookie` value that stores `values`, sealed with the first key.
    fn seal(&self, values: &Map<String, Value>) -> Result<String, serde_json::Error> {
        let payload = Payload {
            values: values.clone(),
            expires: Some(unix_now().saturating_add(self.cookie.lifetime.as_secs())),
        };
        let mut cookie = self.attributes(Cookie::new(self.cookie.name.clone(), payload.to_json()?));
        let mut jar = CookieJar::new();
        jar.private_mut(&self.keys[0]).add(cookie.clone());
        if let Some(sealed) = jar.get(&self.cookie.name) {
            cookie.set_value(sealed.value().to_owned());
        }
        Ok(cookie.to_string())
    }

    /// The `Set-Cookie` value that removes the session from the browser.
    fn removal(&self) -> String {
        let mut cookie = self.attributes(Cookie::new(self.cookie.name.clone(), ""));
        cookie.make_removal();
        cookie.to_string()
    }

    fn attributes(&self, mut cookie: Cookie<'static>) -> Cookie<'static> {
        cookie.set_path("/");
        cookie.set_http_only(true);
        cookie.set_same_site(self.cookie.same_site);
        cookie.set_secure(self.cookie.secure);
        if let Some(age) = self.cookie.max_age {
            let age = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
            cookie.set_max_age(cookie::time::Duration::seconds(age));
        }
        cookie
    }
}

/// What the cookie holds, before sealing: `{"v": {..values}, "e": unix expiry}`.
#[derive(Debug, Clone, PartialEq)]
struct Payload {
    values: Map<String, Value>,
    expires: Option<u64>,
}

impl Payload {
    fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut object = Map::new();
        object.insert("v".to_owned(), Value::Object(self.values.clone()));
        if let Some(at) = self.expires {
            object.insert("e".to_owned(), at.into());
        }
        serde_json::to_string(&object)
    }

    fn parse(json: &str) -> Option<Payload> {
        let Value::Object(mut object) = serde_json::from_str(json).ok()? else {
            return None;
        };
        let Some(Value::Object(values)) = object.remove("v") else {
            return None;
        };
        let expires = match object.remove("e") {
            None => None,
            Some(at) => Some(at.as_u64()?),
        };
        Some(Payload { values, expires })
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The user's session: values kept between requests in an encrypted, authenticated cookie
/// (AES-256-GCM, keyed by [`App::secret_key`](crate::App::secret_key)), so the client can
/// neither read nor forge it. An extractor; in a hook, `Session::from_request(&req).await`.
/// The handler and the hooks of one request share one session, and a changed session is
/// sent back as one `Set-Cookie` after the after-request hooks (an unchanged one sends
/// nothing).
///
/// ```
/// use httpserver::{abort, collect_routes, get, post, App, HttpError, Redirect, Session};
///
/// #[post("/login/<name>")]
/// async fn login(name: String, session: Session) -> Result<Redirect, HttpError> {
///     session.insert("user", &name)?;
///     Ok(Redirect::to("/me"))
/// }
///
/// #[get("/me")]
/// async fn me(session: Session) -> Result<String, HttpError> {
///     session.get::<String>("user").ok_or_else(|| abort(401))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let app = App::new()
///     .secret_key("a secret of at least 32 bytes, from the environment")
///     .routes(collect_routes![login, me]);
/// let client = app.test_client(); // keeps cookies, as a browser does
/// assert_eq!(client.get("/me").send().await.status(), 401);
/// // A form's post carries the session's CSRF token (see `Csrf`), as this helper does.
/// client.post("/login/ann").with_csrf_token().send().await;
/// assert_eq!(client.get("/me").send().await.text(), "ann");
/// # });
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Mutex<SessionData>>,
}

struct SessionData {
    values: Map<String, Value>,
    changed: bool,
    had_cookie: bool,
    /// The sealed expiry of the cookie it was read from (unix seconds).
    expires: Option<u64>,
}

impl Session {
    fn data(&self) -> MutexGuard<'_, SessionData> {
        // The lock guards plain data that no code panics while holding.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value under `key`, if there is one and it has type `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let value = self.data().values.get(key)?.clone();
        serde_json::from_value(value).ok()
    }

    /// Stores `value` under `key` (any `Serialize`); the session is sent back changed.
    /// Fails with a 500 only if `value` cannot be serialized as JSON.
    pub fn insert<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), HttpError> {
        let value = serde_json::to_value(value).map_err(|e| {
            tracing::error!(key, error = %e, "a session value cannot be serialized");
            HttpError::new(500, "Internal Server Error")
        })?;
        let mut data = self.data();
        if data.values.get(key) != Some(&value) {
            data.values.insert(key.to_owned(), value);
            data.changed = true;
        }
        Ok(())
    }

    /// Removes `key`, returning whether it was there.
    pub fn remove(&self, key: &str) -> bool {
        let mut data = self.data();
        let removed = data.values.remove(key).is_some();
        data.changed |= removed;
        removed
    }

    /// Empties the session (a logout); the browser's cookie is removed.
    pub fn clear(&self) {
        let mut data = self.data();
        data.changed |= !data.values.is_empty() || data.had_cookie;
        data.values.clear();
    }

    /// Whether the session holds no value.
    pub fn is_empty(&self) -> bool {
        self.data().values.is_empty()
    }

    /// Queues a message for the next page the user sees (Flask's `flash`): after a form
    /// post and its redirect, the page shows "Task saved" once. `level` is the message's
    /// kind, as the page styles it (`"info"`, `"success"`, `"error"`, ...). The messages
    /// live in the session until [`take_flashes`](Session::take_flashes) reads them.
    ///
    /// ```
    /// use httpserver::{get, post, App, Redirect, Session};
    ///
    /// #[post("/tasks")]
    /// async fn create(session: Session) -> Redirect {
    ///     session.flash("success", "Task saved");
    ///     Redirect::to("/tasks")
    /// }
    ///
    /// #[get("/tasks")]
    /// async fn list(session: Session) -> String {
    ///     let notes: Vec<String> = session
    ///         .take_flashes()
    ///         .into_iter()
    ///         .map(|f| format!("[{}] {}", f.level, f.text))
    ///         .collect();
    ///     notes.join("\n")
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new()
    ///     .secret_key("a secret of at least 32 bytes, from the environment")
    ///     .routes(httpserver::collect_routes![create, list])
    ///     .test_client();
    /// client.post("/tasks").with_csrf_token().send().await;
    /// assert_eq!(client.get("/tasks").send().await.text(), "[success] Task saved");
    /// assert_eq!(client.get("/tasks").send().await.text(), ""); // shown once
    /// # });
    /// ```
    pub fn flash(&self, level: impl Into<String>, text: impl Into<String>) {
        let mut data = self.data();
        let flash = serde_json::json!({"level": level.into(), "text": text.into()});
        match data.values.get_mut(FLASHES) {
            Some(Value::Array(queued)) => queued.push(flash),
            _ => {
                data.values
                    .insert(FLASHES.to_owned(), Value::Array(vec![flash]));
            }
        }
        data.changed = true;
    }

    /// The flashed messages, oldest first, removed from the session: each is shown once.
    pub fn take_flashes(&self) -> Vec<Flash> {
        let mut data = self.data();
        let Some(Value::Array(queued)) = data.values.remove(FLASHES) else {
            return Vec::new();
        };
        data.changed = true;
        queued
            .into_iter()
            .filter_map(|flash| {
                Some(Flash {
                    level: flash.get("level")?.as_str()?.to_owned(),
                    text: flash.get("text")?.as_str()?.to_owned(),
                })
            })
            .collect()
    }
}

impl Session {
    /// A token that proves a form was served by this app to this session: put it in every
    /// form that posts (`<input type="hidden" name="csrf_token" value="...">`) or send it
    /// in the `X-CSRF-Token` header from scripts. The app refuses an unsafe request whose
    /// token is missing or wrong (see [`Csrf`](crate::Csrf)). Templates get it as
    /// `{{ csrf_token() }}`.
    ///
    /// The session keeps one secret (made on first use); each call masks it afresh, so
    /// every page carries different bytes. Fails with a 500 only if the operating
    /// system's random source fails.
    ///
    /// ```
    /// use httpserver::{get, post, App, Form, Session};
    ///
    /// #[get("/note")]
    /// async fn form(session: Session) -> Result<String, httpserver::HttpError> {
    ///     let token = session.csrf_token()?;
    ///     Ok(format!(r#"<form method="post"><input type="hidden" name="csrf_token" value="{token}">..."#))
    /// }
    ///
    /// #[post("/note")]
    /// async fn save(form: Form<std::collections::HashMap<String, String>>) -> String {
    ///     format!("saved {}", form["text"])
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new()
    ///     .secret_key("a secret of at least 32 bytes, from the environment")
    ///     .routes(httpserver::collect_routes![form, save])
    ///     .test_client();
    /// // Without the token: refused before the handler runs.
    /// assert_eq!(client.post("/note").form(&[("text", "hi")]).send().await.status(), 403);
    /// // The form's token, as a browser would send it back.
    /// let page = client.get("/note").send().await.text();
    /// let token = page.split("value=\"").nth(1).unwrap().split('"').next().unwrap();
    /// let res = client.post("/note").form(&[("csrf_token", token), ("text", "hi")]).send().await;
    /// assert_eq!(res.text(), "saved hi");
    /// # });
    /// ```
    pub fn csrf_token(&self) -> Result<String, HttpError> {
        let secret = match self.csrf_secret() {
            Some(secret) => secret,
            None => {
                let secret = csrf_token::new_secret().ok_or_else(random_source_failed)?;
                let mut data = self.data();
                data.values.insert(
                    CSRF_SECRET.to_owned(),
                    Value::String(csrf_token::encode_secret(&secret)),
                );
                data.changed = true;
                secret
            }
        };
        csrf_token::masked_token(&secret).ok_or_else(random_source_failed)
    }

    fn holds_more_than_csrf_secret(&self) -> bool {
        self.data().values.keys().any(|key| key != CSRF_SECRET)
    }

    /// The session's CSRF secret, if a token was ever made for it.
    pub(crate) fn csrf_secret(&self) -> Option<csrf_token::CsrfSecret> {
        match self.data().values.get(CSRF_SECRET) {
            Some(Value::String(stored)) => csrf_token::decode_secret(stored),
            _ => None,
        }
    }
}

fn random_source_failed() -> HttpError {
    tracing::error!("the operating system's random source failed; no CSRF token can be made");
    HttpError::new(500, "Internal Server Error")
}

/// The session key that holds the CSRF secret.
const CSRF_SECRET: &str = "_csrf";

/// The session key that holds the flashed messages.
const FLASHES: &str = "_flashes";

/// A message flashed with [`Session::flash`], read back with
/// [`Session::take_flashes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// The message's kind: `"info"`, `"success"`, `"error"`, as the app chose.
    pub level: String,
    /// The message.
    pub text: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = self.data();
        f.debug_struct("Session")
            .field("keys", &data.values.keys().collect::<Vec<_>>())
            .field("changed", &data.changed)
            .finish()
    }
}

impl FromRequest for Session {
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        if let Some(session) = req.get::<Session>() {
            return Ok(session);
        }
        let Some(keys) = req.app().state_arc::<SessionKeys>() else {
            tracing::error!("a session was asked for, but the app has no secret key; set one with App::secret_key");
            return Err(HttpError::new(500, "Internal Server Error"));
        };
        let session = keys.open(req);
        if let Some(check) = &keys.check {
            // A session that holds only its CSRF secret is no login: an anonymous
            // visitor's form page, which the app's check would otherwise revoke.
            if session.holds_more_than_csrf_secret() && !check(req, &session).await {
                // Revoked: read as empty, and the browser's cookie is removed.
                session.clear();
            }
        }
        req.set(session.clone());
        Ok(session)
    }
}

/// Sends a changed session back: a sealed cookie, or its removal when it was emptied. A
/// session too large for a cookie is a 500 and an error in the log, never a cookie the
/// browser drops in silence.
/// Changes `response` in place: it is a few hundred bytes, and most requests have no
/// session to save.
pub(crate) fn save(req: &Request, response: &mut Response) {
    let Some(session) = req.get::<Session>() else {
        return;
    };
    let Some(keys) = req.app().state_arc::<SessionKeys>() else {
        return;
    };
    let header = {
        let data = session.data();
        let refresh = !data.values.is_empty() && keys.needs_refresh(data.expires);
        if !data.changed && !refresh {
            return;
        }
        if data.values.is_empty() {
            Ok(keys.removal())
        } else {
            keys.seal(&data.values)
        }
    };
    let header = match header {
        Ok(header) if header.len() <= MAX_COOKIE_BYTES => header,
        Ok(header) => {
            let message = format!(
                "the session of {} {} is too large for a cookie ({} bytes sealed, at most \
                 {MAX_COOKIE_BYTES}); keep less in it, e.g. an id, with the data on the server",
                req.method(),
                req.path(),
                header.len()
            );
            tracing::error!("{message}");
            crate::error::report_without_subscriber(format_args!("{message}"));
            *response = HttpError::new(500, "Internal Server Error").into_response();
            return;
        }
        Err(e) => {
            tracing::error!(path = req.path(), error = %e, "the session cannot be serialized");
            *response = HttpError::new(500, "Internal Server Error").into_response();
            return;
        }
    };
    match http::HeaderValue::try_from(header) {
        Ok(value) => {
            response.headers_mut().append(SET_COOKIE, value);
        }
        Err(_) => *response = HttpError::new(500, "Internal Server Error").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test";

    fn keys(secrets: &[&[u8]], cookie: SessionCookie) -> SessionKeys {
        let secrets: Vec<Vec<u8>> = secrets.iter().map(|s| s.to_vec()).collect();
        SessionKeys::new(&secrets, cookie).unwrap()
    }

    fn values(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn sealed_value(set_cookie: &str) -> String {
        Cookie::parse(set_cookie.to_owned())
            .unwrap()
            .value()
            .to_owned()
    }

    #[test]
    fn short_keys_are_refused_with_what_to_do() {
        let err = SessionKeys::new(&[b"short".to_vec()], SessionCookie::new())
            .err()
            .unwrap();
        assert!(
            err.starts_with("the secret key is 5 bytes; it must be at least 32"),
            "{err}"
        );
        let err = SessionKeys::new(&[SECRET.to_vec(), vec![1; 31]], SessionCookie::new())
            .err()
            .unwrap();
        assert!(err.starts_with("secret key 2 of 2 is 31 bytes"), "{err}");
    }

    #[test]
    fn sealed_values_open_only_with_a_key_of_the_app_and_untouched() {
        let app = keys(&[SECRET], SessionCookie::new());
        let data = values(&[("user", "ann".into()), ("n", 3.into())]);
        let header = app.seal(&data).unwrap();
        assert!(header.starts_with("session="), "{header}");
        assert!(
            header.contains("HttpOnly")
                && header.contains("SameSite=Lax")
                && header.contains("Path=/")
        );
        assert!(
            !header.contains("ann"),
            "the client cannot read it: {header}"
        );
        let sealed = sealed_value(&header);
        assert_eq!(app.unseal(&sealed).map(|p| p.values), Some(data.clone()));

        // Tampered: any byte changed.
        let mut bytes = sealed.clone().into_bytes();
        let mid = bytes.len() / 2;
        bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
        assert_eq!(app.unseal(&String::from_utf8(bytes).unwrap()), None);
        // Foreign: another app's key; garbage; empty.
        let other = keys(
            &[b"another secret of thirty-two bytes or more"],
            SessionCookie::new(),
        );
        assert_eq!(other.unseal(&sealed), None);
        assert_eq!(app.unseal("not-even-base64!"), None);
        assert_eq!(app.unseal(""), None);
        // Sealed for another cookie name: the name is part of what is authenticated.
        let renamed = keys(&[SECRET], SessionCookie::new().name("sid"));
        assert_eq!(renamed.unseal(&sealed), None);
    }

    #[test]
    fn rotation_seals_with_the_first_key_and_opens_with_all() {
        let old = keys(
            &[b"the old secret, thirty-two bytes long"],
            SessionCookie::new(),
        );
        let rotated = keys(
            &[SECRET, b"the old secret, thirty-two bytes long"],
            SessionCookie::new(),
        );
        let data = values(&[("user", "ann".into())]);
        let from_old = sealed_value(&old.seal(&data).unwrap());
        assert_eq!(
            rotated.unseal(&from_old).map(|p| p.values),
            Some(data.clone())
        );
        let from_new = sealed_value(&rotated.seal(&data).unwrap());
        assert_eq!(old.unseal(&from_new), None, "sealed with the new key");
        assert_eq!(
            keys(&[SECRET], SessionCookie::new())
                .unseal(&from_new)
                .map(|p| p.values),
            Some(data)
        );
    }

    #[test]
    fn an_expired_session_reads_as_empty() {
        let app = keys(
            &[SECRET],
            SessionCookie::new().max_age(Duration::from_secs(60)),
        );
        let header = app.seal(&values(&[("user", "ann".into())])).unwrap();
        assert!(header.contains("Max-Age=60"), "{header}");
        assert!(app.unseal(&sealed_value(&header)).is_some());

        // A cookie whose sealed expiry has passed (sealed by hand with the same key).
        let stale = Payload {
            values: values(&[("user", "ann".into())]),
            expires: Some(unix_now() - 1),
        };
        let mut jar = CookieJar::new();
        jar.private_mut(&app.keys[0])
            .add(Cookie::new("session", stale.to_json().unwrap()));
        let sealed = jar.get("session").unwrap().value().to_owned();
        assert_eq!(app.unseal(&sealed), None);
    }

    #[test]
    fn without_max_age_the_cookie_is_a_browser_session_with_a_sealed_expiry() {
        let app = keys(&[SECRET], SessionCookie::new());
        let header = app.seal(&values(&[("user", "ann".into())])).unwrap();
        assert!(!header.contains("Max-Age"), "{header}");
        let payload = app.unseal(&sealed_value(&header)).expect("fresh");
        let expires = payload.expires.expect("an expiry is sealed by default");
        let lifetime = DEFAULT_SESSION_LIFETIME.as_secs();
        assert!(expires.abs_diff(unix_now() + lifetime) <= 2, "{expires}");
        // Fresh: not sealed again; past half its life, or without an expiry: sealed again.
        assert!(!app.needs_refresh(Some(expires)));
        assert!(app.needs_refresh(Some(unix_now() + lifetime / 2 - 10)));
        assert!(app.needs_refresh(None));
    }

    #[test]
    fn configured_attributes() {
        let app = keys(
            &[SECRET],
            SessionCookie::new()
                .name("sid")
                .secure(true)
                .same_site(SameSite::Strict),
        );
        let header = app.seal(&values(&[("a", 1.into())])).unwrap();
        assert!(header.starts_with("sid="), "{header}");
        assert!(
            header.contains("Secure") && header.contains("SameSite=Strict"),
            "{header}"
        );
        let removal = app.removal();
        assert!(
            removal.starts_with("sid=;") && removal.contains("Max-Age=0"),
            "{removal}"
        );
    }
}
