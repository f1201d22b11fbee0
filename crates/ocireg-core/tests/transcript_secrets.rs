//! No secret in any formatted value: transcripts that carry credentials
//! (Basic auth, a token server answering Basic credentials with a token
//! and a refresh token, an identity token's refresh grant, a static
//! bearer token, a signed blob redirect, an upload session) are driven
//! with every operation, step, request, input, session and error
//! formatted with `{:?}`, `{:#?}` and, where there is one, `{}` along the
//! way; none of the texts holds a password, a token, a refresh token, the
//! base64 of `user:password`, or a signed URL's query.

mod support;

use std::fmt::Debug;
use std::ops::Range;

use ocireg_core::auth::{Credentials, Session};
use ocireg_core::ops::{BlobPull, BlobPush, Context, GetManifest, Input, Operation, Step};
use ocireg_core::registry::{Registry, Scheme};
use ocireg_core::{Digest, Error};
use serde_json::json;
use support::*;

const PASSWORD: &str = "pw-Alice-7Q2x";
const TOKEN: &str = "tok-Bearer-9Fz3";
const REFRESH: &str = "rt-Refresh-4Kd8";
const IDENTITY: &str = "idt-Identity-2Wm5";
const OAUTH: &str = "oauth-Access-6Hn1";
const STATIC: &str = "static-Bearer-8Jp0";
const SIGNATURE: &str = "sig-Amz-3Vc7";
const STATE: &str = "state-Upload-5Lb9";

/// The base64 of `alice:PASSWORD`, as a Basic header carries it.
const ALICE_BASE64: &str = "YWxpY2U6cHctQWxpY2UtN1EyeA==";

/// Every secret of these transcripts.
const SECRETS: [&str; 9] = [
    PASSWORD,
    TOKEN,
    REFRESH,
    IDENTITY,
    OAUTH,
    STATIC,
    SIGNATURE,
    STATE,
    ALICE_BASE64,
];

/// Finds `secret` in `text` as it is or as `Debug` prints its bytes
/// (`[112, 119, ...]`).
fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        let bytes = format!("{:?}", secret.as_bytes());
        let bytes = bytes.trim_start_matches('[').trim_end_matches(']');
        assert!(
            !text.contains(secret) && !text.contains(bytes),
            "a secret ({secret}) shows in:\n{text}"
        );
    }
}

/// An operation that formats itself, its steps, its inputs and the
/// session around every call (or, `op_only`, itself alone: what
/// `tracing::debug!(?op)` prints), and checks each text for secrets.
struct Watch<O> {
    op: O,
    op_only: bool,
    texts: usize,
}

impl<O> Watch<O> {
    fn new(op: O) -> Watch<O> {
        Watch {
            op,
            op_only: false,
            texts: 0,
        }
    }

    fn check(&mut self, text: String) {
        assert_no_secret(&text);
        self.texts += 1;
    }
}

impl<O: Operation + Debug> Watch<O>
where
    O::Output: Debug,
{
    fn check_around(&mut self, cx: &mut Context<'_>) {
        let op = format!("{:?}\n{:#?}", self.op, self.op);
        self.check(op);
        if self.op_only {
            return;
        }
        let session = cx.session();
        let session = format!("{session:?}\n{session:#?}");
        self.check(session);
        let cx = format!("{cx:?}");
        self.check(cx);
    }
}

impl<O: Operation + Debug> Operation for Watch<O>
where
    O::Output: Debug,
{
    type Output = O::Output;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<O::Output> {
        let step = self.op.poll(cx);
        if self.op_only {
            self.check_around(cx);
            return step;
        }
        self.check(format!("{step:?}\n{step:#?}"));
        match &step {
            Step::Send(request) => {
                self.check(format!(
                    "{request}\n{request:?}\n{request:#?}\n{:?}\n{:?}",
                    request.headers(),
                    request.body()
                ));
            }
            Step::Done(Err(e)) => self.check(format!("{e}\n{e:?}\n{e:#?}")),
            _ => {}
        }
        self.check_around(cx);
        step
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        if !self.op_only {
            self.check(format!("{input:?}\n{input:#?}"));
            if let Input::Error(e) = &input {
                self.check(format!("{e}"));
            }
        }
        let kept = self.op.handle(cx, input);
        self.check_around(cx);
        kept
    }
}

fn local() -> Registry {
    Registry::new(Scheme::Http, "127.0.0.1:5000").unwrap()
}

const R: &str = "http://127.0.0.1:5000";

/// `GET url` sent with `authorization`, refused with `challenge`.
fn refused(url: &str, authorization: &str, challenge: &str) -> (Expect, Reply) {
    (
        req("GET", url).header("authorization", authorization),
        resp(401).header("WWW-Authenticate", challenge),
    )
}

/// Drives `op` watched; the run's result is formatted and checked too.
fn watched<O: Operation + Debug>(
    op: O,
    session: &mut Session,
    script: Vec<(Expect, Reply)>,
    source: &[u8],
) -> Result<O::Output, Error>
where
    O::Output: Debug,
{
    let mut watch = Watch::new(op);
    let run = drive(&mut watch, session, t0(), script, source);
    assert!(watch.texts > 10, "too few texts checked: {}", watch.texts);
    let result = run.result;
    assert_no_secret(&format!("{result:?}\n{result:#?}"));
    if let Err(e) = &result {
        assert_no_secret(&e.to_string());
    }
    assert_no_secret(&format!("{session:?}\n{session:#?}"));
    result
}

#[test]
fn basic_auth_transcript_shows_no_secret() {
    let mut s = Session::default();
    s.set_credentials("127.0.0.1:5000", Credentials::basic("alice", PASSWORD));
    let url = format!("{R}/v2/a/manifests/v1");
    let basic = format!("Basic {ALICE_BASE64}");
    watched(
        GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        vec![
            (
                req("GET", &url).lacks("authorization"),
                resp(401).header("WWW-Authenticate", r#"Basic realm="registry""#),
            ),
            (
                req("GET", &url).header("authorization", &basic),
                manifest_reply(),
            ),
        ],
        b"",
    )
    .unwrap();
    // Sent up front now, then refused: the error names no secret either.
    let err = watched(
        GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        vec![(
            req("GET", &url).header("authorization", &basic),
            resp(401)
                .header("WWW-Authenticate", r#"Basic realm="registry""#)
                .json(json!({"errors":[{"code":"UNAUTHORIZED","message":"bad","detail":null}]})),
        )],
        b"",
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
}

#[test]
fn token_server_transcript_shows_no_secret() {
    let mut s = Session::default();
    s.set_credentials("127.0.0.1:5000", Credentials::basic("alice", PASSWORD));
    let challenge =
        r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg",scope="repository:a:pull""#;
    let url = format!("{R}/v2/a/manifests/v1");
    let basic = format!("Basic {ALICE_BASE64}");
    let (token, oauth) = (format!("Bearer {TOKEN}"), format!("Bearer {OAUTH}"));
    watched(
        GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        vec![
            (req("GET", &url), resp(401).header("WWW-Authenticate", challenge)),
            (
                req(
                    "GET",
                    "http://127.0.0.1:5001/auth?service=reg&scope=repository%3Aa%3Apull&account=alice",
                )
                .header("authorization", &basic),
                resp(200).json(json!({"token": TOKEN, "refresh_token": REFRESH, "expires_in": 300})),
            ),
            (req("GET", &url).header("authorization", &token), manifest_reply()),
        ],
        b"",
    )
    .unwrap();

    // The cached token pulls a blob that redirects to a signed URL; the
    // storage answers an error body over the limit: the error names the
    // URL without its signature.
    let d = Digest::sha256(b"layer");
    let signed = format!(
        "https://storage.example/b/{}?X-Amz-Signature={SIGNATURE}&X-Amz-Expires=60",
        d.hex()
    );
    let err = watched(
        BlobPull::new(&local(), &repo("a"), d, Some(5)),
        &mut s,
        vec![
            (
                req("GET", &format!("{R}/v2/a/blobs/{d}")).header("authorization", &token),
                resp(307).header("Location", &signed),
            ),
            (
                req("GET", &signed).lacks("authorization"),
                resp(403).body(&vec![b'x'; (1 << 20) + 1]),
            ),
        ],
        b"",
    )
    .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert!(
        err.to_string().contains("https://storage.example/b/"),
        "{err}"
    );

    // A rejected token is renewed once, then the error names the scope.
    let rejected = r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg",scope="repository:a:pull",error="invalid_token""#;
    let token_url =
        "http://127.0.0.1:5001/auth?service=reg&scope=repository%3Aa%3Apull&account=alice";
    let err = watched(
        GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        vec![
            refused(&url, &token, rejected),
            (
                req("GET", token_url),
                resp(200).json(json!({"access_token": OAUTH, "expires_in": 300})),
            ),
            refused(&url, &oauth, rejected),
            (
                req("GET", token_url),
                resp(200).json(json!({"token": TOKEN})),
            ),
            refused(&url, &token, rejected),
        ],
        b"",
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
}

#[test]
fn an_operation_holding_a_token_debugs_without_it() {
    let mut s = Session::default();
    s.set_credentials("127.0.0.1:5000", Credentials::basic("alice", PASSWORD));
    let url = format!("{R}/v2/a/manifests/v1");
    let mut watch = Watch::new(GetManifest::new(&local(), &repo("a"), "v1"));
    watch.op_only = true;
    let script = vec![
        (
            req("GET", &url),
            resp(401).header(
                "WWW-Authenticate",
                r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg""#,
            ),
        ),
        (
            req(
                "GET",
                "http://127.0.0.1:5001/auth?service=reg&scope=repository%3Aa%3Apull&account=alice",
            ),
            resp(200).json(json!({"token": TOKEN, "expires_in": 300})),
        ),
        (
            req("GET", &url).header("authorization", &format!("Bearer {TOKEN}")),
            manifest_reply(),
        ),
    ];
    drive(&mut watch, &mut s, t0(), script, b"").ok();
    assert!(watch.texts >= 6, "{}", watch.texts);
}

#[test]
fn identity_token_transcript_shows_no_secret() {
    let mut s = Session::default();
    s.set_credentials(
        "127.0.0.1:5000",
        Credentials::IdentityToken {
            username: Some("alice".into()),
            token: IDENTITY.into(),
        },
    );
    let url = format!("{R}/v2/a/manifests/v1");
    watched(
        GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        vec![
            (
                req("GET", &url),
                resp(401).header("WWW-Authenticate", r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg""#),
            ),
            (
                req("POST", "http://127.0.0.1:5001/auth").body(
                    format!("grant_type=refresh_token&service=reg&client_id=ocireg&scope=repository%3Aa%3Apull&refresh_token={IDENTITY}")
                        .as_bytes(),
                ),
                resp(200).json(json!({"access_token": OAUTH, "refresh_token": REFRESH, "expires_in": 60})),
            ),
            (
                req("GET", &url).header("authorization", &format!("Bearer {OAUTH}")),
                manifest_reply(),
            ),
        ],
        b"",
    )
    .unwrap();
}

#[test]
fn static_bearer_and_upload_session_show_no_secret() {
    let mut s = Session::default();
    s.set_credentials("127.0.0.1:5000", Credentials::Bearer(STATIC.into()));
    let bearer = format!("Bearer {STATIC}");
    let blob = b"some layer bytes".to_vec();
    let d = Digest::sha256(&blob);
    let loc = format!("{R}/v2/a/blobs/uploads/u1?_state={STATE}");
    watched(
        BlobPush::new(&local(), &repo("a"), d, blob.len() as u64),
        &mut s,
        vec![
            (
                req("POST", &format!("{R}/v2/a/blobs/uploads/")).header("authorization", &bearer),
                resp(202)
                    .header("Location", &loc)
                    .header("Docker-Upload-UUID", "u1")
                    .header("Range", "0-0"),
            ),
            (
                req(
                    "PUT",
                    &format!("{loc}&digest={}", d.to_string().replace(':', "%3A")),
                )
                .header("authorization", &bearer)
                .body(&blob),
                resp(201).header("Docker-Content-Digest", &d.to_string()),
            ),
        ],
        &blob,
    )
    .unwrap();

    // The registry refuses the token: the error says so without it.
    let err = watched(
        GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        vec![refused(
            &format!("{R}/v2/a/manifests/v1"),
            &bearer,
            r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg",error="invalid_token""#,
        )],
        b"",
    )
    .unwrap_err();
    assert!(err.to_string().contains("bearer token"), "{err}");
}

#[test]
fn credentials_and_token_responses_format_without_secrets() {
    let all = [
        Credentials::basic("alice", PASSWORD),
        Credentials::Bearer(STATIC.into()),
        Credentials::IdentityToken {
            username: Some("alice".into()),
            token: IDENTITY.into(),
        },
    ];
    for c in &all {
        assert_no_secret(&format!("{c:?}\n{c:#?}"));
    }
    let body = json!({"token": TOKEN, "refresh_token": REFRESH, "expires_in": 300}).to_string();
    let r = ocireg_core::auth::token::TokenResponse::parse(body.as_bytes()).unwrap();
    assert_no_secret(&format!("{r:?}\n{r:#?}"));
}
