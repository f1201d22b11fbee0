//! Transcripts of the exchange layer: tokens, Basic auth, redirects,
//! retries and limits, as registry 2.8.2 and Docker Hub answer.

mod support;

use std::time::Duration;

use ocireg_core::auth::{Credentials, Session};
use ocireg_core::error::TransportErrorKind;
use ocireg_core::ops::{GetManifest, ListAll, Listing, Ping};
use ocireg_core::registry::{Registry, Scheme};
use ocireg_core::Error;
use serde_json::json;
use support::*;

fn local() -> Registry {
    Registry::new(Scheme::Http, "127.0.0.1:5000").unwrap()
}

fn hub() -> Registry {
    Registry::new(Scheme::Https, "registry-1.docker.io").unwrap()
}

const HUB_CHALLENGE: &str = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#;

fn token(t: &str) -> Reply {
    resp(200).json(json!({"token": t, "access_token": t, "expires_in": 300, "issued_at": "2024-01-01T00:00:00Z"}))
}

#[test]
fn ping_without_auth() {
    let mut s = Session::default();
    let info = drive(
        &mut Ping::new(local()),
        &mut s,
        t0(),
        vec![(
            req("GET", "http://127.0.0.1:5000/v2/").lacks("authorization"),
            resp(200).header("Docker-Distribution-API-Version", "registry/2.0"),
        )],
        b"",
    )
    .ok();
    assert!(info.api_version_ok);
}

#[test]
fn docker_hub_anonymous_token_then_cached() {
    let mut s = Session::default();
    let get = || GetManifest::new(&hub(), &repo("library/alpine"), "latest");
    let url = "https://registry-1.docker.io/v2/library/alpine/manifests/latest";
    let token_url = "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Falpine%3Apull";
    let run = drive(
        &mut get(),
        &mut s,
        t0(),
        vec![
            (req("GET", url).lacks("authorization"), resp(401).header("WWW-Authenticate", HUB_CHALLENGE).json(json!({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}))),
            (req("GET", token_url).lacks("authorization").header("accept", "application/json"), token("anon-token")),
            (req("GET", url).header("authorization", "Bearer anon-token"), manifest_reply()),
        ],
        b"",
    );
    assert_eq!(run.ok().manifest.bytes(), manifest_body());
    assert_eq!(s.cached_tokens(t0()), 1);

    // The next operation on the same repository uses the cached token:
    // no challenge round trip, no token request.
    drive(
        &mut get(),
        &mut s,
        t0() + Duration::from_secs(10),
        vec![(
            req("GET", url).header("authorization", "Bearer anon-token"),
            manifest_reply(),
        )],
        b"",
    )
    .ok();

    // Once it expired (300 s), a new one is fetched up front, without
    // waiting for another 401: the registry's realm is known.
    drive(
        &mut get(),
        &mut s,
        t0() + Duration::from_secs(400),
        vec![
            (req("GET", token_url), token("second")),
            (
                req("GET", url).header("authorization", "Bearer second"),
                manifest_reply(),
            ),
        ],
        b"",
    )
    .ok();
}

#[test]
fn token_request_carries_basic_credentials_to_an_https_realm() {
    let mut s = Session::default();
    s.set_credentials("registry-1.docker.io", Credentials::basic("alice", "pw"));
    let url = "https://registry-1.docker.io/v2/alice/app/manifests/v1";
    drive(
        &mut GetManifest::new(&hub(), &repo("alice/app"), "v1"),
        &mut s,
        t0(),
        vec![
            (req("GET", url), resp(401).header("WWW-Authenticate", r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:alice/app:pull""#)),
            (
                req("GET", "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Aalice%2Fapp%3Apull&account=alice")
                    .header("authorization", "Basic YWxpY2U6cHc="),
                token("user-token"),
            ),
            (req("GET", url).header("authorization", "Bearer user-token"), manifest_reply()),
        ],
        b"",
    )
    .ok();
}

#[test]
fn credentials_are_not_sent_to_a_plain_http_realm_of_an_https_registry() {
    let mut s = Session::default();
    s.set_credentials("registry-1.docker.io", Credentials::basic("alice", "pw"));
    let err = drive(
        &mut GetManifest::new(&hub(), &repo("alice/app"), "v1"),
        &mut s,
        t0(),
        vec![(
            req(
                "GET",
                "https://registry-1.docker.io/v2/alice/app/manifests/v1",
            ),
            resp(401).header(
                "WWW-Authenticate",
                r#"Bearer realm="http://evil.example/token",service="x""#,
            ),
        )],
        b"",
    )
    .err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("plain-HTTP token server"), "{err}");
}

#[test]
fn identity_token_uses_the_oauth2_refresh_grant() {
    let mut s = Session::default();
    s.set_credentials(
        "127.0.0.1:5000",
        Credentials::IdentityToken {
            username: Some("alice".into()),
            token: "refresh-me".into(),
        },
    );
    let url = "http://127.0.0.1:5000/v2/a/manifests/v1";
    drive(
        &mut GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![
            (req("GET", url), resp(401).header("WWW-Authenticate", r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg""#)),
            (
                req("POST", "http://127.0.0.1:5001/auth")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(b"grant_type=refresh_token&service=reg&client_id=ocireg&scope=repository%3Aa%3Apull&refresh_token=refresh-me"),
                resp(200).json(json!({"access_token": "oauth", "expires_in": 60})),
            ),
            (req("GET", url).header("authorization", "Bearer oauth"), manifest_reply()),
        ],
        b"",
    )
    .ok();
}

#[test]
fn a_rejected_token_is_renewed_once_then_the_error_names_the_scope() {
    let mut s = Session::default();
    let url = "http://127.0.0.1:5000/v2/a/manifests/v1";
    let challenge =
        r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg",scope="repository:a:pull""#;
    let rejected = r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg",scope="repository:a:pull",error="insufficient_scope""#;
    let token_url = "http://127.0.0.1:5001/auth?service=reg&scope=repository%3Aa%3Apull";
    let err = drive(
        &mut GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![
            (
                req("GET", url),
                resp(401).header("WWW-Authenticate", challenge),
            ),
            (req("GET", token_url), token("t1")),
            (
                req("GET", url).header("authorization", "Bearer t1"),
                resp(401).header("WWW-Authenticate", rejected),
            ),
            (req("GET", token_url), token("t2")),
            (
                req("GET", url).header("authorization", "Bearer t2"),
                resp(401).header("WWW-Authenticate", rejected),
            ),
        ],
        b"",
    )
    .err();
    match &err {
        Error::Unauthorized { scopes, message } => {
            assert_eq!(scopes, "repository:a:pull");
            assert!(message.contains("insufficient_scope"), "{message}");
        }
        e => panic!("{e}"),
    }
    // The rejected tokens are not kept.
    assert_eq!(s.cached_tokens(t0()), 0);
}

#[test]
fn htpasswd_basic_auth_is_learned_and_sent_up_front() {
    let mut s = Session::default();
    s.set_credentials("127.0.0.1:5000", Credentials::basic("user", "pass"));
    drive(
        &mut Ping::new(local()),
        &mut s,
        t0(),
        vec![
            (
                req("GET", "http://127.0.0.1:5000/v2/").lacks("authorization"),
                resp(401).header("WWW-Authenticate", r#"Basic realm="Registry Realm""#),
            ),
            (
                req("GET", "http://127.0.0.1:5000/v2/")
                    .header("authorization", "Basic dXNlcjpwYXNz"),
                resp(200),
            ),
        ],
        b"",
    )
    .ok();
    drive(
        &mut Ping::new(local()),
        &mut s,
        t0(),
        vec![(
            req("GET", "http://127.0.0.1:5000/v2/").header("authorization", "Basic dXNlcjpwYXNz"),
            resp(200),
        )],
        b"",
    )
    .ok();
}

#[test]
fn wrong_basic_credentials_fail_clearly_and_anonymous_is_told_to_log_in() {
    let mut s = Session::default();
    s.set_credentials("127.0.0.1:5000", Credentials::basic("user", "wrong"));
    let basic = resp(401).header("WWW-Authenticate", r#"Basic realm="Registry Realm""#);
    let err = drive(
        &mut Ping::new(local()),
        &mut s,
        t0(),
        vec![
            (req("GET", "http://127.0.0.1:5000/v2/"), basic.clone()),
            (
                req("GET", "http://127.0.0.1:5000/v2/").has("authorization"),
                basic.clone(),
            ),
        ],
        b"",
    )
    .err();
    assert!(
        err.to_string()
            .contains("refused the user name and password"),
        "{err}"
    );

    let mut anon = Session::default();
    let err = drive(
        &mut Ping::new(local()),
        &mut anon,
        t0(),
        vec![(req("GET", "http://127.0.0.1:5000/v2/"), basic)],
        b"",
    )
    .err();
    assert!(
        err.to_string().contains("needs a user name and password"),
        "{err}"
    );
}

#[test]
fn a_401_without_readable_challenge_names_the_cors_setting() {
    let mut s = Session::default();
    let err = drive(
        &mut Ping::new(local()),
        &mut s,
        t0(),
        vec![(req("GET", "http://127.0.0.1:5000/v2/"), resp(401))],
        b"",
    )
    .err();
    assert!(
        err.to_string().contains("Access-Control-Expose-Headers"),
        "{err}"
    );
}

#[test]
fn redirect_to_another_host_drops_authorization() {
    // Docker Hub answers blob and (some) manifest GETs with a redirect to
    // its CDN, which rejects (and must never see) our token.
    let mut s = Session::default();
    s.set_credentials("registry-1.docker.io", Credentials::Bearer("static".into()));
    let body = manifest_body();
    drive(
        &mut GetManifest::new(&hub(), &repo("library/alpine"), "latest"),
        &mut s,
        t0(),
        vec![
            (
                req(
                    "GET",
                    "https://registry-1.docker.io/v2/library/alpine/manifests/latest",
                )
                .header("authorization", "Bearer static"),
                resp(307).header(
                    "Location",
                    "https://production.cloudflare.docker.com/registry-v2/x?sig=abc",
                ),
            ),
            (
                req(
                    "GET",
                    "https://production.cloudflare.docker.com/registry-v2/x?sig=abc",
                )
                .lacks("authorization")
                .has("accept"),
                resp(200)
                    .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                    .body(&body),
            ),
        ],
        b"",
    )
    .ok();
}

#[test]
fn redirect_on_the_same_host_keeps_authorization_and_loops_are_stopped() {
    let mut s = Session::default();
    s.set_credentials("127.0.0.1:5000", Credentials::Bearer("tok".into()));
    let mut script = vec![(
        req("GET", "http://127.0.0.1:5000/v2/a/manifests/v1").header("authorization", "Bearer tok"),
        resp(302).header("Location", "/v2/a/manifests/v1"),
    )];
    for _ in 0..10 {
        script.push((
            req("GET", "http://127.0.0.1:5000/v2/a/manifests/v1")
                .header("authorization", "Bearer tok"),
            resp(302).header("Location", "/v2/a/manifests/v1"),
        ));
    }
    let err = drive(
        &mut GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        script,
        b"",
    )
    .err();
    assert!(err.to_string().contains("too many redirects"), "{err}");
}

#[test]
fn retries_honour_retry_after_and_back_off() {
    let mut s = Session::default();
    let url = "http://127.0.0.1:5000/v2/a/manifests/v1";
    let run = drive(
        &mut GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![
            (
                req("GET", url),
                resp(429)
                    .header("Retry-After", "3")
                    .json(json!({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})),
            ),
            (req("GET", url), resp(503)),
            (req("GET", url), fail(TransportErrorKind::Connect)),
            (req("GET", url), manifest_reply()),
        ],
        b"",
    );
    assert_eq!(
        run.sleeps,
        [
            Duration::from_secs(3),
            Duration::from_millis(500),
            Duration::from_secs(1)
        ]
    );
    run.ok();
}

#[test]
fn retries_stop_after_four_attempts_and_long_retry_after_is_not_waited() {
    let mut s = Session::default();
    let url = "http://127.0.0.1:5000/v2/a/manifests/v1";
    let err = drive(
        &mut GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![
            (req("GET", url), resp(503)),
            (req("GET", url), resp(503)),
            (req("GET", url), resp(503)),
            (req("GET", url), resp(503)),
        ],
        b"",
    )
    .err();
    assert_eq!(err.status(), Some(503));

    let err = drive(
        &mut GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![(
            req("GET", url),
            resp(429).header("Retry-After", "21600").json(json!({"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]})),
        )],
        b"",
    )
    .err();
    assert_eq!(err.status(), Some(429));
    assert!(
        err.to_string()
            .contains("TOOMANYREQUESTS: You have reached your pull rate limit."),
        "{err}"
    );
}

#[test]
fn oversized_manifest_is_a_typed_error() {
    let mut s = Session::default();
    let big = vec![b' '; (4 << 20) + 1];
    let err = drive(
        &mut GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![(
            req("GET", "http://127.0.0.1:5000/v2/a/manifests/v1"),
            resp(200).body(&big),
        )],
        b"",
    )
    .err();
    assert!(
        matches!(err, Error::TooLarge { limit, .. } if limit == 4 << 20),
        "{err}"
    );
}

#[test]
fn catalog_follows_relative_links_and_refuses_other_hosts() {
    let mut s = Session::default();
    let all = drive(
        &mut ListAll::new(local(), Listing::Catalog, Some(2)),
        &mut s,
        t0(),
        vec![
            (
                req("GET", "http://127.0.0.1:5000/v2/_catalog?n=2"),
                resp(200)
                    .header("Link", r#"</v2/_catalog?last=b&n=2>; rel="next""#)
                    .json(json!({"repositories": ["a", "b"]})),
            ),
            (
                req("GET", "http://127.0.0.1:5000/v2/_catalog?last=b&n=2"),
                resp(200).json(json!({"repositories": ["c"]})),
            ),
        ],
        b"",
    )
    .ok();
    assert_eq!(all, ["a", "b", "c"]);

    let err = drive(
        &mut ListAll::new(local(), Listing::Catalog, Some(2)),
        &mut s,
        t0(),
        vec![(
            req("GET", "http://127.0.0.1:5000/v2/_catalog?n=2"),
            resp(200)
                .header(
                    "Link",
                    r#"<http://elsewhere.example/v2/_catalog?last=b&n=2>; rel="next""#,
                )
                .json(json!({"repositories": ["a", "b"]})),
        )],
        b"",
    )
    .err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
}

#[test]
fn tags_null_is_an_empty_list_and_the_catalog_scope_is_asked() {
    let mut s = Session::default();
    let tags = drive(
        &mut ListAll::new(
            local(),
            Listing::Tags {
                repository: repo("gone"),
            },
            None,
        ),
        &mut s,
        t0(),
        vec![(
            req("GET", "http://127.0.0.1:5000/v2/gone/tags/list"),
            resp(200).json(json!({"name": "gone", "tags": null})),
        )],
        b"",
    )
    .ok();
    assert!(tags.is_empty());

    let all = drive(
        &mut ListAll::new(local(), Listing::Catalog, None),
        &mut s,
        t0(),
        vec![
            (req("GET", "http://127.0.0.1:5000/v2/_catalog"), resp(401).header("WWW-Authenticate", r#"Bearer realm="http://127.0.0.1:5001/auth",service="reg",scope="registry:catalog:*""#)),
            (req("GET", "http://127.0.0.1:5001/auth?service=reg&scope=registry%3Acatalog%3A*"), token("cat")),
            (req("GET", "http://127.0.0.1:5000/v2/_catalog").header("authorization", "Bearer cat"), resp(200).json(json!({"repositories": ["x"]}))),
        ],
        b"",
    )
    .ok();
    assert_eq!(all, ["x"]);
}

#[test]
fn last_fallback_pages_without_link_and_stops_when_n_is_ignored() {
    // A browser behind a proxy that does not expose Link.
    let mut s = Session::default();
    let all = drive(
        &mut ListAll::new(local(), Listing::Catalog, Some(2)),
        &mut s,
        t0(),
        vec![
            (
                req("GET", "http://127.0.0.1:5000/v2/_catalog?n=2"),
                resp(200).json(json!({"repositories": ["a", "b"]})),
            ),
            (
                req("GET", "http://127.0.0.1:5000/v2/_catalog?n=2&last=b"),
                resp(200).json(json!({"repositories": ["c", "d"]})),
            ),
            (
                req("GET", "http://127.0.0.1:5000/v2/_catalog?n=2&last=d"),
                resp(200).json(json!({"repositories": []})),
            ),
        ],
        b"",
    )
    .ok();
    assert_eq!(all, ["a", "b", "c", "d"]);

    // Registry 2.8.2's tag list ignores n: more than n tags is all of
    // them, so nothing more is asked.
    let all = drive(
        &mut ListAll::new(
            local(),
            Listing::Tags {
                repository: repo("r"),
            },
            Some(2),
        ),
        &mut s,
        t0(),
        vec![(
            req("GET", "http://127.0.0.1:5000/v2/r/tags/list?n=2"),
            resp(200).json(json!({"name": "r", "tags": ["v2", "v1", "v3"]})),
        )],
        b"",
    )
    .ok();
    assert_eq!(all, ["v2", "v1", "v3"]);
}
