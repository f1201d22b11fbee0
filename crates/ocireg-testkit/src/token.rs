//! A token server for the registry's `auth.token` mode.
//!
//! Speaks the Docker token protocol (`GET /token?service=..&scope=..` with
//! optional Basic credentials) and its OAuth2 form (`POST /token` with
//! `grant_type=password` or `refresh_token`), and issues ES256 JWTs signed by
//! a P-256 key whose self-signed certificate is the registry's
//! `rootcertbundle`. The JWT header names the key by its libtrust `kid`.

use crate::accept::AcceptLoop;
use crate::http::{self, Head};
use crate::lock;
use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use rcgen::PublicKeyData as _;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// One resource and actions, as in a scope (`repository:alice/app:pull,push`)
/// and in a token's `access` claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `repository` or `registry`.
    pub resource_type: String,
    /// The repository name, or `catalog`.
    pub name: String,
    /// `pull`, `push`, `delete`, `*`.
    pub actions: Vec<String>,
}

impl Access {
    /// `repository:<name>:<actions>`.
    pub fn repository(name: &str, actions: &[&str]) -> Access {
        Access {
            resource_type: "repository".into(),
            name: name.into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// `registry:catalog:*`.
    pub fn catalog() -> Access {
        Access {
            resource_type: "registry".into(),
            name: "catalog".into(),
            actions: vec!["*".into()],
        }
    }

    /// Parses `type:name:actions` (the name may contain `:`).
    pub fn parse_scope(scope: &str) -> Option<Access> {
        let (resource_type, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        Some(Access {
            resource_type: resource_type.into(),
            name: name.into(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect(),
        })
    }

    fn to_json(&self) -> serde_json::Value {
        json!({"type": self.resource_type, "name": self.name, "actions": self.actions})
    }
}

/// Actions a user may take on the repositories matching `pattern`: an exact
/// name, a prefix ending in `*` (`alice/*`), or `*` for all.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Which repositories.
    pub pattern: String,
    /// Which actions (`pull`, `push`, `delete`, `*`).
    pub actions: Vec<String>,
}

impl Grant {
    /// A grant of `actions` on repositories matching `pattern`.
    pub fn new(pattern: &str, actions: &[&str]) -> Grant {
        Grant {
            pattern: pattern.into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.pattern,
        }
    }
}

/// A user of the token server and what they may do.
#[derive(Debug, Clone)]
pub struct TokenUser {
    /// User name (Basic user, or OAuth2 `username`).
    pub name: String,
    /// Password.
    pub password: String,
    /// Repository grants; the union of the matching ones applies.
    pub grants: Vec<Grant>,
    /// Whether the user gets `registry:catalog:*`.
    pub catalog: bool,
}

impl TokenUser {
    /// A user with every action on every repository, and the catalog.
    pub fn new(name: &str, password: &str) -> TokenUser {
        TokenUser {
            name: name.into(),
            password: password.into(),
            grants: vec![Grant::new("*", &["pull", "push", "delete", "*"])],
            catalog: true,
        }
    }

    /// Replaces the grants, e.g. push only to `alice/*`, pull everything:
    /// `vec![Grant::new("alice/*", &["pull", "push"]), Grant::new("*", &["pull"])]`.
    pub fn with_grants(mut self, grants: Vec<Grant>) -> TokenUser {
        self.grants = grants;
        self
    }
}

/// Who gets which token, and for how long.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// Users who may authenticate; the first one is what
    /// [`Registry::user`](crate::Registry::user) reports.
    pub users: Vec<TokenUser>,
    /// Whether anonymous requests get `pull` on any repository (never
    /// push, delete or the catalog).
    pub anonymous_pull: bool,
    /// Token lifetime: `expires_in`, and how long the registry accepts the
    /// token (see `registry_leeway`).
    pub expiry: Duration,
    /// Also put the certificate in an `x5c` JWT header (besides `kid`).
    pub x5c: bool,
    /// Registry 2.8.2 accepts a token until 60 s after its `exp` claim
    /// (measured). The `exp` claim is moved this much earlier, so that a
    /// token really stops working `expiry` after it is issued, and short
    /// expiries can be tested. Zero gives `exp = iat + expiry`.
    pub registry_leeway: Duration,
}

impl Default for TokenPolicy {
    /// User `testuser` / `testpassword` with full access, anonymous pull,
    /// five-minute tokens.
    fn default() -> TokenPolicy {
        TokenPolicy {
            users: vec![TokenUser::new("testuser", "testpassword")],
            anonymous_pull: true,
            expiry: Duration::from_secs(300),
            x5c: false,
            registry_leeway: Duration::from_secs(60),
        }
    }
}

impl TokenPolicy {
    fn user(&self, name: &str, password: &str) -> Option<&TokenUser> {
        self.users
            .iter()
            .find(|u| u.name == name && u.password == password)
    }

    /// The requested actions this policy allows `user` (`None`: anonymous).
    fn allowed(&self, user: Option<&TokenUser>, want: &Access) -> Vec<String> {
        let may: Vec<&str> = match (user, want.resource_type.as_str()) {
            (Some(u), "registry") if want.name == "catalog" && u.catalog => vec!["*"],
            (Some(u), "repository") => u
                .grants
                .iter()
                .filter(|g| g.matches(&want.name))
                .flat_map(|g| g.actions.iter().map(String::as_str))
                .collect(),
            (None, "repository") if self.anonymous_pull => vec!["pull"],
            _ => vec![],
        };
        let mut granted: Vec<String> = Vec::new();
        for action in &want.actions {
            if may.contains(&action.as_str()) && !granted.contains(action) {
                granted.push(action.clone());
            }
        }
        granted
    }
}

/// What one request to the token server asked and got.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The OAuth2 `grant_type` of a POST.
    pub grant_type: Option<String>,
    /// The authenticated user, if any.
    pub user: Option<String>,
    /// The requested scopes, in order.
    pub scopes: Vec<String>,
    /// The response status.
    pub status: u16,
}

struct Signer {
    key: SigningKey,
    kid: String,
    cert_der: Vec<u8>,
}

struct State {
    service: String,
    issuer: String,
    signer: Signer,
    policy: Mutex<TokenPolicy>,
    requests: Mutex<Vec<TokenRequest>>,
    refresh_tokens: Mutex<HashMap<String, String>>,
    counter: AtomicU64,
}

/// A running token server; stops on drop.
pub struct TokenServer {
    accept: AcceptLoop,
    cert_pem: String,
    state: Arc<State>,
}

impl std::fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenServer")
            .field("url", &self.url())
            .field("service", &self.state.service)
            .finish_non_exhaustive()
    }
}

impl TokenServer {
    /// Starts a token server on a free loopback port, issuing tokens whose
    /// `aud` is `service`, with a fresh P-256 key and certificate.
    pub fn start(policy: TokenPolicy, service: &str) -> io::Result<TokenServer> {
        let key_pair = rcgen::KeyPair::generate().map_err(other)?;
        let mut params = rcgen::CertificateParams::new(vec!["ocireg-testkit-token".to_string()])
            .map_err(other)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ocireg-testkit token signer");
        let cert = params.self_signed(&key_pair).map_err(other)?;
        let key = SigningKey::from_pkcs8_der(&key_pair.serialize_der()).map_err(other)?;
        let spki = key_pair.subject_public_key_info();

        let state = Arc::new(State {
            service: service.into(),
            issuer: "ocireg-testkit-token-server".into(),
            signer: Signer {
                key,
                kid: libtrust_kid(&spki),
                cert_der: cert.der().to_vec(),
            },
            policy: Mutex::new(policy),
            requests: Mutex::new(Vec::new()),
            refresh_tokens: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
        });
        let serving = state.clone();
        let accept = AcceptLoop::start(move |stream| {
            let _ = serve(stream, &serving);
        })?;
        Ok(TokenServer {
            accept,
            cert_pem: cert.pem(),
            state,
        })
    }

    /// The token endpoint: `http://127.0.0.1:PORT/token` (the default realm).
    pub fn url(&self) -> String {
        format!("http://{}/token", self.host())
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.accept.port())
    }

    /// The `service` (and token `aud`).
    pub fn service(&self) -> &str {
        &self.state.service
    }

    /// The token `iss`.
    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// The signing key's certificate in PEM (the registry's rootcertbundle).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The signing key's libtrust key id (the JWT `kid`).
    pub fn kid(&self) -> &str {
        &self.state.signer.kid
    }

    /// How many requests reached the token endpoint.
    pub fn token_requests(&self) -> usize {
        lock(&self.state.requests).len()
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<TokenRequest> {
        lock(&self.state.requests).clone()
    }

    /// Forgets the recorded requests (the count restarts at 0).
    pub fn clear_requests(&self) {
        lock(&self.state.requests).clear();
    }

    /// The current policy.
    pub fn policy(&self) -> TokenPolicy {
        lock(&self.state.policy).clone()
    }

    /// Replaces the policy for the following requests.
    pub fn set_policy(&self, policy: TokenPolicy) {
        *lock(&self.state.policy) = policy;
    }

    /// Signs a token directly, bypassing the policy: any subject, any
    /// access, any lifetime in seconds as the registry sees it (negative
    /// for an already expired token; `exp` is moved by the policy's
    /// `registry_leeway` like every token's).
    pub fn issue_token(&self, subject: &str, access: &[Access], expires_in_secs: i64) -> String {
        let policy = lock(&self.state.policy).clone();
        self.state.sign(subject, access, expires_in_secs, &policy)
    }
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl State {
    fn sign(
        &self,
        subject: &str,
        access: &[Access],
        expires_in: i64,
        policy: &TokenPolicy,
    ) -> String {
        let now = now_secs();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut header = json!({"typ": "JWT", "alg": "ES256", "kid": self.signer.kid});
        if policy.x5c {
            header["x5c"] = json!([B64.encode(&self.signer.cert_der)]);
        }
        let claims = json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + expires_in - policy.registry_leeway.as_secs() as i64,
            "nbf": now - 1,
            "iat": now,
            "jti": format!("ocireg-testkit-{}-{n}-{now}", std::process::id()),
            "access": access.iter().map(Access::to_json).collect::<Vec<_>>(),
        });
        let signing_input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let signature: Signature = self.signer.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64URL.encode(signature.to_bytes()))
    }

    fn new_refresh_token(&self, user: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let digest = Sha256::digest(format!("{}:{n}:{}:{user}", self.signer.kid, now_secs()));
        let token = format!("rt-{}", hex(&digest[..16]));
        lock(&self.refresh_tokens).insert(token.clone(), user.into());
        token
    }
}

/// The libtrust key id: SHA-256 of the DER SubjectPublicKeyInfo, first 240
/// bits, base32 without padding, in 12 groups of 4 joined by `:`.
pub(crate) fn libtrust_kid(spki_der: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(spki_der);
    let mut encoded = String::new();
    for chunk in digest[..30].chunks(5) {
        let bits = chunk.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        for i in (0..8).rev() {
            encoded.push(ALPHABET[((bits >> (i * 5)) & 31) as usize] as char);
        }
    }
    let groups: Vec<&str> = (0..12).map(|i| &encoded[i * 4..i * 4 + 4]).collect();
    groups.join(":")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 3339 UTC time for unix seconds (civil-from-days, proleptic Gregorian).
pub(crate) fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn serve(mut stream: TcpStream, state: &State) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut buf = Vec::new();
    let Some(end) = http::read_head(&mut stream, &mut buf)? else {
        return Ok(());
    };
    let head = Head::parse(&buf[..end]).ok_or_else(|| http::invalid("bad request head"))?;
    let length: usize = head
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[end..].to_vec();
    if body.len() < length {
        let mut rest = vec![0; length - body.len()];
        stream.read_exact(&mut rest)?;
        body.extend_from_slice(&rest);
    }
    let (status, json) = respond(state, &head, &body);
    let body = json.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if status == 401 {
        out.push_str("WWW-Authenticate: Basic realm=\"ocireg-testkit token server\"\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    stream.write_all(out.as_bytes())
}

fn respond(state: &State, head: &Head, body: &[u8]) -> (u16, serde_json::Value) {
    let (path, query) = head.parts[1]
        .split_once('?')
        .unwrap_or((head.parts[1].as_str(), ""));
    if path != "/token" {
        return (404, json!({"error": "not found"}));
    }
    let method = head.parts[0].as_str();
    let params = match method {
        "GET" => http::parse_form(query),
        "POST" => http::parse_form(&String::from_utf8_lossy(body)),
        _ => return (405, json!({"error": "method not allowed"})),
    };
    let param = |name: &str| param(&params, name);
    // OAuth2 sends one space-separated `scope`; the Docker GET repeats it.
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' '))
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let grant_type = (method == "POST").then(|| param("grant_type").unwrap_or("").to_string());
    let policy = lock(&state.policy).clone();

    let outcome = authenticate(state, &policy, head, method, &params);
    lock(&state.requests).push(TokenRequest {
        method: method.into(),
        grant_type,
        user: outcome.as_ref().ok().and_then(|(user, _)| user.clone()),
        scopes: scopes.clone(),
        status: outcome.as_ref().map_or_else(|(status, _)| *status, |_| 200),
    });
    let (user_name, refresh) = match outcome {
        Ok(ok) => ok,
        Err(error) => return error,
    };
    if param("service").is_some_and(|s| s != state.service) {
        return (
            400,
            json!({"error": "invalid_request", "error_description": "unknown service"}),
        );
    }

    let user = user_name
        .as_deref()
        .and_then(|name| policy.users.iter().find(|u| u.name == name));
    let access: Vec<Access> = scopes
        .iter()
        .filter_map(|s| Access::parse_scope(s))
        .filter_map(|want| {
            let actions = policy.allowed(user, &want);
            (!actions.is_empty()).then_some(Access { actions, ..want })
        })
        .collect();
    let expires_in = policy.expiry.as_secs().max(1) as i64;
    let token = state.sign(
        user_name.as_deref().unwrap_or(""),
        &access,
        expires_in,
        &policy,
    );
    let mut response = json!({
        "token": token,
        "access_token": token,
        "expires_in": expires_in,
        "issued_at": rfc3339(now_secs()),
    });
    if let (true, Some(name)) = (refresh, &user_name) {
        response["refresh_token"] = json!(state.new_refresh_token(name));
    }
    (200, response)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

type AuthOutcome = Result<(Option<String>, bool), (u16, serde_json::Value)>;

/// Who is asking: `Ok((user, wants_refresh_token))`, or the error response.
fn authenticate(
    state: &State,
    policy: &TokenPolicy,
    head: &Head,
    method: &str,
    params: &[(String, String)],
) -> AuthOutcome {
    let param = |name: &str| param(params, name);
    let invalid_grant = || (400, json!({"error": "invalid_grant"}));
    if method == "POST" {
        return match param("grant_type") {
            Some("password") => {
                let user = policy
                    .user(
                        param("username").unwrap_or(""),
                        param("password").unwrap_or(""),
                    )
                    .ok_or_else(invalid_grant)?;
                Ok((Some(user.name.clone()), true))
            }
            Some("refresh_token") => {
                let token = param("refresh_token").unwrap_or("");
                let user = lock(&state.refresh_tokens).get(token).cloned();
                let user = user.ok_or_else(invalid_grant)?;
                Ok((Some(user), true))
            }
            _ => Err((400, json!({"error": "unsupported_grant_type"}))),
        };
    }
    let Some(basic) = head.header("authorization") else {
        return Ok((None, false));
    };
    let unauthorized = || {
        (
            401,
            json!({"errors": [{"code": "UNAUTHORIZED", "message": "invalid credentials"}]}),
        )
    };
    let encoded = basic
        .strip_prefix("Basic ")
        .or_else(|| basic.strip_prefix("basic "))
        .ok_or_else(unauthorized)?;
    let decoded = B64.decode(encoded.trim()).map_err(|_| unauthorized())?;
    let decoded = String::from_utf8_lossy(&decoded);
    let (name, password) = decoded.split_once(':').ok_or_else(unauthorized)?;
    let user = policy.user(name, password).ok_or_else(unauthorized)?;
    Ok((
        Some(user.name.clone()),
        param("offline_token") == Some("true"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_599), "2025-12-31T23:59:59Z");
    }

    #[test]
    fn kid_shape() {
        let kid = libtrust_kid(b"anything");
        assert_eq!(kid.len(), 12 * 4 + 11);
        assert!(kid.split(':').all(|g| g.len() == 4));
    }

    #[test]
    fn scopes_and_policy() {
        let scope = Access::parse_scope("repository:127.0.0.1:5000/a:pull,push").unwrap();
        assert_eq!(scope.name, "127.0.0.1:5000/a");
        assert_eq!(scope.actions, ["pull", "push"]);

        let alice = TokenUser::new("alice", "pw").with_grants(vec![
            Grant::new("alice/*", &["pull", "push"]),
            Grant::new("*", &["pull"]),
        ]);
        let policy = TokenPolicy {
            users: vec![alice.clone()],
            ..TokenPolicy::default()
        };
        let want = |s: &str| Access::parse_scope(s).unwrap();
        assert_eq!(
            policy.allowed(Some(&alice), &want("repository:alice/x:pull,push,delete")),
            ["pull", "push"]
        );
        assert_eq!(
            policy.allowed(Some(&alice), &want("repository:bob/x:pull,push")),
            ["pull"]
        );
        assert_eq!(
            policy.allowed(None, &want("repository:bob/x:pull,push")),
            ["pull"]
        );
        assert!(policy.allowed(None, &want("registry:catalog:*")).is_empty());
        assert_eq!(
            policy.allowed(Some(&alice), &want("registry:catalog:*")),
            ["*"]
        );
    }
}
