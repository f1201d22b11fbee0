//! The exchange layer: one logical request to the registry, with
//! everything every operation needs around it — credentials, the token
//! dance, redirects, retries and body limits. Operations hold one
//! [`Exchange`] per request they make and see only its final response;
//! an embedder builds its own operations on it the same way (see the
//! [module documentation](super) for an example).

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use http::header::{AUTHORIZATION, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use url::Url;

use super::{
    Context, Input, Request, RequestBody, Response, ResponseDebug, Step, SMALL_BODY_LIMIT,
};
use crate::auth::challenge::{parse_challenges, Challenge};
use crate::auth::scope::{Scope, Scopes};
use crate::auth::session::HostAuth;
use crate::auth::token::TokenResponse;
use crate::auth::{Credentials, Secret};
use crate::documents::ErrorBody;
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::redact::{self, Redacted};
use crate::registry::{Registry, Scheme};
use crate::{headers, requests};

/// Attempts per request, first one included.
pub(crate) const MAX_ATTEMPTS: u32 = 4;
/// Redirects followed per request.
const MAX_REDIRECTS: u32 = 10;
/// Tokens fetched per request: the first, and one more after a rejection.
const MAX_TOKEN_FETCHES: u32 = 2;
/// The longest `Retry-After` honoured; a registry asking for more is
/// reported instead of waited for.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The backoff before retry number `n` (1-based): 250 ms, 500 ms, 1 s, ...
/// up to 8 s.
pub(crate) fn backoff(n: u32) -> Duration {
    Duration::from_millis(250u64 << n.saturating_sub(1).min(5)).min(Duration::from_secs(8))
}

/// Statuses worth retrying, for a method.
fn retryable_status(status: StatusCode, method: &Method) -> bool {
    match status.as_u16() {
        408 | 429 | 502 | 503 | 504 => true,
        500 => method == Method::GET || method == Method::HEAD,
        _ => false,
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// What an [`Exchange`] wants next, or what it came to.
// A request is a few hundred bytes, moved once per network round trip.
#[allow(clippy::large_enum_variant)]
pub enum Exchanged {
    /// Send this request (the operation returns it as [`Step::Send`]).
    Send(Request),
    /// Wait this long (backoff, `Retry-After`).
    Sleep(Duration),
    /// The final response: after authentication, redirects and retries.
    Response(Response),
    /// The exchange failed.
    Failed(Error),
}

/// A response shows its status, header names and body length: its
/// headers may hold a signed `Location`, its body a token.
impl fmt::Debug for Exchanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exchanged::Send(r) => f.debug_tuple("Send").field(r).finish(),
            Exchanged::Sleep(d) => f.debug_tuple("Sleep").field(d).finish(),
            Exchanged::Response(r) => f.debug_tuple("Response").field(&ResponseDebug(r)).finish(),
            Exchanged::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

impl Exchanged {
    /// The final response, or the step the operation must return now
    /// (send, sleep, or fail).
    pub fn into_response<T>(self) -> Result<Response, Step<T>> {
        match self {
            Exchanged::Send(r) => Err(Step::Send(r)),
            Exchanged::Sleep(d) => Err(Step::Sleep(d)),
            Exchanged::Failed(e) => Err(Step::Done(Err(e))),
            Exchanged::Response(r) => Ok(r),
        }
    }
}

enum State {
    /// Send the request (after fetching a token, if one is needed).
    Ready,
    AwaitingResponse,
    /// Fetch a token from `realm`.
    NeedToken(TokenAsk),
    AwaitingToken(TokenAsk),
    /// Sleep, then continue in the boxed state.
    Sleep(Duration, Box<State>),
    Finished(Box<Response>),
    Failed(Error),
    Spent,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Ready => f.write_str("Ready"),
            State::AwaitingResponse => f.write_str("AwaitingResponse"),
            State::NeedToken(ask) => f.debug_tuple("NeedToken").field(ask).finish(),
            State::AwaitingToken(ask) => f.debug_tuple("AwaitingToken").field(ask).finish(),
            State::Sleep(d, then) => f.debug_tuple("Sleep").field(d).field(then).finish(),
            State::Finished(r) => f.debug_tuple("Finished").field(&ResponseDebug(r)).finish(),
            State::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
            State::Spent => f.write_str("Spent"),
        }
    }
}

#[derive(Clone)]
struct TokenAsk {
    realm: Url,
    service: Option<String>,
    scopes: Scopes,
    post: bool,
}

impl fmt::Debug for TokenAsk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAsk")
            .field("realm", &Redacted(&self.realm))
            .field("service", &self.service)
            .field("scopes", &self.scopes)
            .field("post", &self.post)
            .finish()
    }
}

/// One request through authentication, redirects and retries: the building
/// block of every operation.
///
/// Drive it from an operation: return what [`Exchange::poll`] asks for
/// until it yields [`Exchanged::Response`], and pass every input of the
/// operation's [`Operation::handle`](super::Operation::handle) to
/// [`Exchange::handle`] (an exchange asks for no streamed body and sends
/// no blob source: an operation that streams handles those inputs itself).
///
/// `Debug` shows no secret: tokens print as `<redacted>`, `Authorization`
/// headers are marked sensitive, URLs lose their query (a pre-signed
/// redirect target carries a signature) and responses show only their
/// status, header names and body length.
pub struct Exchange {
    registry: Registry,
    scopes: Scopes,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: RequestBody,
    limit: u64,
    stream: bool,
    state: State,
    attempts: u32,
    redirects: u32,
    token_fetches: u32,
    basic_sent: bool,
    sent_token: Option<Secret>,
    fresh_token: Option<Secret>,
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("registry", &self.registry)
            .field("scopes", &self.scopes)
            .field("method", &self.method)
            .field("url", &Redacted(&self.url))
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("limit", &self.limit)
            .field("stream", &self.stream)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("redirects", &self.redirects)
            .field("token_fetches", &self.token_fetches)
            .field("basic_sent", &self.basic_sent)
            .field("sent_token", &self.sent_token)
            .field("fresh_token", &self.fresh_token)
            .finish()
    }
}

impl Exchange {
    /// An exchange for `request` (built by [`crate::requests`]) against
    /// `registry`, needing `scopes`, whose success body is read into
    /// memory up to `limit` bytes (past it: [`Error::TooLarge`]).
    pub fn buffered(
        registry: &Registry,
        scopes: Scopes,
        request: http::Request<RequestBody>,
        limit: u64,
    ) -> Exchange {
        Self::with_reading(registry, scopes, request, limit, false)
    }

    /// An exchange whose success body (200 or 206) is streamed: the
    /// operation asks for it with [`Step::Read`] after the response.
    pub fn streamed(
        registry: &Registry,
        scopes: Scopes,
        request: http::Request<RequestBody>,
    ) -> Exchange {
        Self::with_reading(registry, scopes, request, SMALL_BODY_LIMIT, true)
    }

    /// An exchange whose success has no body worth reading (a `HEAD`,
    /// an upload status): any body is refused past zero bytes.
    pub fn bodyless(
        registry: &Registry,
        scopes: Scopes,
        request: http::Request<RequestBody>,
    ) -> Exchange {
        Self::with_reading(registry, scopes, request, 0, false)
    }

    /// An exchange that fails on its first poll with `error`, sending
    /// nothing: for an operation whose input was refused.
    pub(crate) fn refused(registry: &Registry, error: Error) -> Exchange {
        let mut ex = Self::with_reading(
            registry,
            Scopes::new(),
            requests::build(Method::GET, &registry.base_url(), &[], RequestBody::Empty),
            0,
            false,
        );
        ex.state = State::Failed(error);
        ex
    }

    fn with_reading(
        registry: &Registry,
        scopes: Scopes,
        request: http::Request<RequestBody>,
        limit: u64,
        stream: bool,
    ) -> Exchange {
        let found = requests::url_of(&request);
        let (mut parts, body) = request.into_parts();
        // Credentials a caller put in the request itself never print.
        mark_sensitive(&mut parts.headers);
        // A request without an absolute URL fails on the first poll
        // instead of being sent somewhere else.
        let (url, state) = match found {
            Ok(url) => (url, State::Ready),
            Err(e) => (
                registry.base_url(),
                State::Failed(Error::InvalidInput {
                    what: "request URL",
                    message: redact::urls_in(&format!("{}: {e}", parts.uri)).into_owned(),
                }),
            ),
        };
        Exchange {
            registry: registry.clone(),
            scopes,
            method: parts.method,
            url,
            headers: parts.headers,
            body,
            limit,
            stream,
            state,
            attempts: 1,
            redirects: 0,
            token_fetches: 0,
            basic_sent: false,
            sent_token: None,
            fresh_token: None,
        }
    }

    /// The URL the request went to last (after redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// What to do next; [`Exchanged::Response`] once the final response
    /// is there.
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Exchanged {
        loop {
            match std::mem::replace(&mut self.state, State::Spent) {
                State::Ready => match self.prepare(cx) {
                    Ok(request) => {
                        self.state = State::AwaitingResponse;
                        return Exchanged::Send(request);
                    }
                    Err(next) => self.state = next,
                },
                State::NeedToken(ask) => match self.token_request(cx, &ask) {
                    Ok(request) => {
                        self.state = State::AwaitingToken(ask);
                        return Exchanged::Send(request);
                    }
                    Err(e) => return Exchanged::Failed(e),
                },
                State::Sleep(d, then) => {
                    self.state = *then;
                    return Exchanged::Sleep(d);
                }
                State::Finished(r) => return Exchanged::Response(*r),
                State::Failed(e) => return Exchanged::Failed(e),
                waiting @ (State::AwaitingResponse | State::AwaitingToken(_)) => {
                    self.state = waiting;
                    return Exchanged::Failed(Error::InvalidInput {
                        what: "drive loop",
                        message: "polled before the response to the last request was handled"
                            .into(),
                    });
                }
                State::Spent => {
                    return Exchanged::Failed(Error::InvalidInput {
                        what: "drive loop",
                        message: "polled after the exchange finished".into(),
                    })
                }
            }
        }
    }

    /// Builds the request to send, with credentials when it goes to the
    /// registry; or the state to go to first (a token to fetch).
    fn prepare(&mut self, cx: &mut Context<'_>) -> Result<Request, State> {
        let mut headers = self.headers.clone();
        self.sent_token = None;
        if self.registry.is_same_origin(&self.url) {
            let host = self.registry.host().to_string();
            let creds = cx.session.credentials(&host).clone();
            let auth = match (&creds, cx.session.host_auth(&host).cloned()) {
                (Credentials::Bearer(t), _) => bearer_header(t),
                (Credentials::Basic { username, password }, Some(HostAuth::Basic)) => {
                    self.basic_sent = true;
                    basic_header(username, password)
                }
                (_, Some(HostAuth::Bearer { realm, service })) => {
                    let token = match self.fresh_token.take() {
                        Some(t) => Some(t),
                        None => cx.session.token(&host, &self.scopes, cx.now).cloned(),
                    };
                    match token {
                        Some(t) => {
                            let header = bearer_header(&t);
                            self.sent_token = Some(t);
                            header
                        }
                        // The registry is known to want tokens: fetch one
                        // now instead of learning it from a 401 again.
                        None if self.token_fetches < MAX_TOKEN_FETCHES => {
                            return Err(State::NeedToken(TokenAsk {
                                post: matches!(creds, Credentials::IdentityToken { .. }),
                                realm,
                                service,
                                scopes: self.scopes.clone(),
                            }))
                        }
                        None => None,
                    }
                }
                _ => None,
            };
            if let Some(value) = auth {
                headers.insert(AUTHORIZATION, value);
            }
        } else {
            // Another host (a CDN or storage redirect): never our credentials.
            headers.remove(AUTHORIZATION);
        }
        let mut http_req = requests::build(self.method.clone(), &self.url, &[], self.body.clone());
        *http_req.headers_mut() = headers;
        Ok(Request::new(
            http_req,
            self.url.clone(),
            self.limit,
            self.stream,
        ))
    }

    fn token_request(&mut self, cx: &mut Context<'_>, ask: &TokenAsk) -> Result<Request, Error> {
        let host = self.registry.host().to_string();
        let creds = cx.session.credentials(&host).clone();
        let realm_is_plain = ask.realm.scheme() == "http";
        let registry_is_plain = self.registry.scheme() == Scheme::Http;
        let mut req = match &creds {
            Credentials::IdentityToken { token, .. } if ask.post => {
                if realm_is_plain && !registry_is_plain {
                    return Err(plain_realm_refused(&ask.realm));
                }
                requests::token_refresh(
                    &ask.realm,
                    ask.service.as_deref(),
                    &ask.scopes,
                    token.expose(),
                )
            }
            Credentials::Basic { username, password } => {
                if realm_is_plain && !registry_is_plain {
                    return Err(plain_realm_refused(&ask.realm));
                }
                let mut r = requests::token_get(
                    &ask.realm,
                    ask.service.as_deref(),
                    &ask.scopes,
                    Some(username),
                );
                if let Some(v) = basic_header(username, password) {
                    r.headers_mut().insert(AUTHORIZATION, v);
                }
                r
            }
            _ => requests::token_get(&ask.realm, ask.service.as_deref(), &ask.scopes, None),
        };
        req.headers_mut().insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let url = requests::url_of(&req).map_err(|e| self.protocol(&format!("token URL: {e}")))?;
        Ok(Request::new(req, url, SMALL_BODY_LIMIT, false))
    }

    /// What happened to the request it asked for: a response or an error.
    /// Chunks, body ends and sent bytes are inputs an exchange never asks
    /// for; one reaching it is a driver bug, and fails the exchange.
    pub fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        match input {
            Input::Response(response) => self.handle_response(cx, response),
            Input::Error(error) => self.handle_error(cx, error),
            Input::Chunk(_) | Input::End | Input::Sent(_) => {
                self.state = State::Failed(Error::InvalidInput {
                    what: "drive loop",
                    message: "a body chunk, end or sent bytes reached a request that streams \
                              nothing"
                        .into(),
                });
            }
        }
        0..0
    }

    fn handle_response(&mut self, cx: &mut Context<'_>, response: Response) {
        match std::mem::replace(&mut self.state, State::Spent) {
            State::AwaitingResponse => self.on_response(cx, response),
            State::AwaitingToken(ask) => self.on_token(cx, ask, response),
            other => self.state = other,
        }
    }

    fn handle_error(&mut self, _cx: &mut Context<'_>, error: TransportError) {
        let resume = match std::mem::replace(&mut self.state, State::Spent) {
            State::AwaitingResponse => State::Ready,
            State::AwaitingToken(ask) => State::NeedToken(ask),
            other => {
                self.state = other;
                return;
            }
        };
        let replayable =
            !matches!(self.body, RequestBody::Blob { .. }) && self.method != Method::PATCH;
        let transient = matches!(
            error.kind(),
            TransportErrorKind::Connect
                | TransportErrorKind::Timeout
                | TransportErrorKind::Interrupted
        );
        self.state = if error.kind() == TransportErrorKind::BodyTooLarge {
            State::Failed(Error::TooLarge {
                url: redact::url(&self.url),
                limit: match resume {
                    State::NeedToken(_) => SMALL_BODY_LIMIT,
                    _ => self.limit,
                },
            })
        } else if transient && replayable && self.attempts < MAX_ATTEMPTS {
            self.attempts += 1;
            State::Sleep(backoff(self.attempts - 1), Box::new(resume))
        } else {
            State::Failed(Error::Transport(error))
        };
    }

    fn on_response(&mut self, cx: &mut Context<'_>, response: Response) {
        let status = response.status();
        let to_registry = self.registry.is_same_origin(&self.url);
        if status == StatusCode::UNAUTHORIZED && to_registry {
            self.on_unauthorized(cx, response);
            return;
        }
        if is_redirect(status) {
            if let Some(loc) = response.headers().get(LOCATION) {
                self.redirects += 1;
                if self.redirects > MAX_REDIRECTS {
                    self.state = State::Failed(self.protocol("too many redirects"));
                    return;
                }
                match loc
                    .to_str()
                    .ok()
                    .and_then(|l| headers::location(l, &self.url).ok())
                {
                    Some(next) => {
                        if status == StatusCode::SEE_OTHER
                            || (self.method == Method::POST && status.as_u16() <= 302)
                        {
                            self.method = Method::GET;
                            self.body = RequestBody::Empty;
                        }
                        self.url = next;
                        self.state = State::Ready;
                    }
                    None => {
                        self.state =
                            State::Failed(self.protocol("redirect with an unreadable Location"))
                    }
                }
                return;
            }
        }
        if retryable_status(status, &self.method)
            && self.attempts < MAX_ATTEMPTS
            && !matches!(self.body, RequestBody::Blob { .. })
        {
            if let Some(delay) = self.retry_delay(cx, &response) {
                self.attempts += 1;
                self.state = State::Sleep(delay, Box::new(State::Ready));
                return;
            }
        }
        self.state = State::Finished(Box::new(response));
    }

    /// The wait before retrying after `response`, or `None` when the
    /// registry asks for longer than we wait.
    fn retry_delay(&self, cx: &Context<'_>, response: &Response) -> Option<Duration> {
        match response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| headers::retry_after(v, cx.now))
        {
            Some(d) if d > MAX_RETRY_AFTER => None,
            Some(d) => Some(d),
            None => Some(backoff(self.attempts)),
        }
    }

    fn on_unauthorized(&mut self, cx: &mut Context<'_>, response: Response) {
        let host = self.registry.host().to_string();
        let challenges: Vec<Challenge> = response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| parse_challenges(v).ok())
            .flatten()
            .collect();
        let creds = cx.session.credentials(&host).clone();
        let detail = error_detail(response.body());

        if let Some(bearer) = challenges.iter().find(|c| c.is_bearer()) {
            if let Some(t) = self.sent_token.take() {
                cx.session.forget_token(&host, &t);
            }
            if matches!(creds, Credentials::Bearer(_)) {
                self.state = State::Failed(self.unauthorized(format!(
                    "the registry refused the configured bearer token{detail}"
                )));
                return;
            }
            if self.token_fetches >= MAX_TOKEN_FETCHES {
                let why = bearer
                    .error()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default();
                self.state = State::Failed(
                    self.unauthorized(format!("the registry refused a fresh token{why}{detail}")),
                );
                return;
            }
            let Some(realm) = bearer
                .realm()
                .and_then(|r| headers::join_checked(&self.url, r).ok())
                .filter(|r| r.scheme() == "https" || r.scheme() == "http")
            else {
                self.state =
                    State::Failed(self.protocol("Bearer challenge without a usable realm"));
                return;
            };
            let mut scopes = self.scopes.clone();
            for s in bearer
                .scope()
                .unwrap_or("")
                .split(' ')
                .filter_map(Scope::parse)
            {
                scopes.add(s);
            }
            let service = bearer.service().map(str::to_string);
            cx.session.learn_host_auth(
                &host,
                HostAuth::Bearer {
                    realm: realm.clone(),
                    service: service.clone(),
                },
            );
            self.scopes = scopes.clone();
            self.state = State::NeedToken(TokenAsk {
                post: matches!(creds, Credentials::IdentityToken { .. }),
                realm,
                service,
                scopes,
            });
        } else if challenges.iter().any(|c| c.is_basic()) {
            match creds {
                Credentials::Basic { .. } if !self.basic_sent => {
                    cx.session.learn_host_auth(&host, HostAuth::Basic);
                    self.state = State::Ready;
                }
                Credentials::Basic { .. } => {
                    self.state = State::Failed(self.unauthorized(format!(
                        "the registry refused the user name and password{detail}"
                    )))
                }
                _ => {
                    self.state = State::Failed(self.unauthorized(format!(
                        "the registry needs a user name and password (Basic auth){detail}"
                    )))
                }
            }
        } else {
            self.state = State::Failed(self.unauthorized(format!(
                "401 without a readable WWW-Authenticate challenge (behind a CORS proxy, \
                 WWW-Authenticate must be listed in Access-Control-Expose-Headers){detail}"
            )));
        }
    }

    fn on_token(&mut self, cx: &mut Context<'_>, ask: TokenAsk, response: Response) {
        let status = response.status();
        if status.is_success() {
            match TokenResponse::parse(response.body()) {
                Ok(token) => {
                    let host = self.registry.host().to_string();
                    let expires_at = token.expires_at(cx.now);
                    cx.session.store_token(
                        &host,
                        ask.service.clone(),
                        ask.scopes.clone(),
                        token.token().clone(),
                        expires_at,
                    );
                    self.token_fetches += 1;
                    self.fresh_token = Some(token.token().clone());
                    self.state = State::Ready;
                }
                Err(e) => {
                    self.state = State::Failed(Error::Protocol {
                        url: redact_query(&ask.realm),
                        message: format!("unreadable token response: {e}"),
                    })
                }
            }
            return;
        }
        if retryable_status(status, &Method::GET) && self.attempts < MAX_ATTEMPTS {
            if let Some(delay) = self.retry_delay(cx, &response) {
                self.attempts += 1;
                self.state = State::Sleep(delay, Box::new(State::NeedToken(ask)));
                return;
            }
        }
        let detail = error_detail(response.body());
        self.state = State::Failed(Error::Unauthorized {
            scopes: ask.scopes.to_string(),
            message: format!(
                "the token server {} answered {}{detail}",
                redact_query(&ask.realm),
                status.as_u16()
            ),
        });
    }

    fn unauthorized(&self, message: String) -> Error {
        Error::Unauthorized {
            scopes: self.scopes.to_string(),
            message,
        }
    }

    /// A protocol error about this exchange's URL.
    pub fn protocol(&self, message: &str) -> Error {
        Error::Protocol {
            url: redact_query(&self.url),
            message: message.to_string(),
        }
    }

    /// The error for a final response with an unexpected status: the
    /// method, the URL (without its query), the status and the registry's
    /// error body.
    pub fn status_error(&self, response: &Response) -> Error {
        Error::Registry {
            method: self.method.to_string(),
            url: redact_query(&self.url),
            status: response.status().as_u16(),
            errors: ErrorBody::parse(response.body()).unwrap_or_default(),
        }
    }
}

/// An `Authorization` value, marked sensitive (HTTP/2 never indexes it,
/// `Debug` prints `Sensitive`); `None` when it cannot be a header value.
fn authorization(value: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(value).ok()?;
    value.set_sensitive(true);
    Some(value)
}

fn basic_header(username: &str, password: &Secret) -> Option<HeaderValue> {
    let pair = format!("{username}:{}", password.expose());
    authorization(&format!("Basic {}", base64_encode(pair.as_bytes())))
}

fn bearer_header(token: &Secret) -> Option<HeaderValue> {
    authorization(&format!("Bearer {}", token.expose()))
}

/// Marks every credential-bearing header of `headers` sensitive.
fn mark_sensitive(headers: &mut HeaderMap) {
    for name in [AUTHORIZATION, http::header::PROXY_AUTHORIZATION] {
        if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
}

fn plain_realm_refused(realm: &Url) -> Error {
    Error::Unauthorized {
        scopes: String::new(),
        message: format!(
            "refusing to send credentials to the plain-HTTP token server {}",
            redact_query(realm)
        ),
    }
}

/// A URL for messages: without its query, which may hold signatures.
pub(crate) fn redact_query(url: &Url) -> String {
    redact::url(url)
}

/// `": CODE: message"` from an error body, or nothing.
fn error_detail(body: &[u8]) -> String {
    match ErrorBody::parse(body) {
        Ok(e) if !e.errors.is_empty() => format!(": {e}"),
        _ => String::new(),
    }
}

/// Standard base64 with padding, for Basic credentials.
pub(crate) fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(input.as_bytes()), want);
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_secs(1));
        assert_eq!(backoff(30), Duration::from_secs(8));
    }
}
