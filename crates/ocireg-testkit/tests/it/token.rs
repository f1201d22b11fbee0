use crate::{get_with_token, token_of};
use ocireg_testkit::http::{self, basic_auth};
use ocireg_testkit::{Access, Auth, Grant, Registry, TokenPolicy, TokenUser};
use std::time::Duration;

/// Pushes a small blob with a bearer token; returns the final status.
fn push_blob(registry: &Registry, repo: &str, token: &str) -> http::Response {
    let auth = format!("Bearer {token}");
    let url = format!("{}/v2/{repo}/blobs/uploads/", registry.url());
    let r = http::request("POST", &url, &[("Authorization", &auth)], b"").unwrap();
    if r.status != 202 {
        return r;
    }
    let location = r.header("Location").unwrap().to_string();
    let body = b"hello blob";
    let digest = format!("sha256:{}", sha256_hex(body));
    let sep = if location.contains('?') { '&' } else { '?' };
    let put = format!("{location}{sep}digest={digest}");
    http::request(
        "PUT",
        &put,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/octet-stream"),
        ],
        body,
    )
    .unwrap()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn issued_token_is_accepted_and_wrong_scope_is_refused() {
    let registry = Registry::start(Auth::token()).unwrap();
    let server = registry.token_server().unwrap();
    let creds = basic_auth(registry.user().unwrap(), registry.password().unwrap());
    let token_url = format!(
        "{}?service={}&scope=repository:demo/app:pull,push",
        server.url(),
        server.service()
    );
    let r = http::request("GET", &token_url, &[("Authorization", &creds)], b"").unwrap();
    let token = token_of(&r);
    let json = r.json().unwrap();
    assert_eq!(json["access_token"], json["token"]);
    assert_eq!(json["expires_in"], 300);
    assert!(json["issued_at"].as_str().unwrap().ends_with('Z'));

    let r = push_blob(&registry, "demo/app", &token);
    assert_eq!(r.status, 201, "push with a good token: {}", r.text());

    // The same token does not cover another repository.
    let r = push_blob(&registry, "demo/other", &token);
    assert_eq!(r.status, 401);
    let challenge = r.header("WWW-Authenticate").unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    // Registry 2.8.2 lists the actions in random (Go map) order.
    assert!(
        challenge.contains("scope=\"repository:demo/other:pull,push\"")
            || challenge.contains("scope=\"repository:demo/other:push,pull\""),
        "{challenge}"
    );

    // A catalog request with a repository token is refused too.
    let r = get_with_token(&format!("{}/v2/_catalog", registry.url()), &token);
    assert_eq!(r.status, 401);
    assert!(r
        .header("WWW-Authenticate")
        .unwrap()
        .contains("scope=\"registry:catalog:*\""));
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn anonymous_gets_pull_only_and_users_get_the_catalog() {
    let registry = Registry::start(Auth::token()).unwrap();
    let server = registry.token_server().unwrap();
    let anon = http::get(&format!(
        "{}?service={}&scope=repository:demo/app:pull,push&scope=registry:catalog:*",
        server.url(),
        server.service()
    ))
    .unwrap();
    let anon = token_of(&anon);
    let r = push_blob(&registry, "demo/app", &anon);
    assert_eq!(r.status, 401, "anonymous push must be refused");
    let r = get_with_token(&format!("{}/v2/demo/app/tags/list", registry.url()), &anon);
    assert_eq!(r.status, 404, "anonymous pull is allowed: {}", r.text());
    let r = get_with_token(&format!("{}/v2/_catalog", registry.url()), &anon);
    assert_eq!(r.status, 401);

    let creds = basic_auth("testuser", "testpassword");
    let url = format!(
        "{}?service={}&scope=registry:catalog:*",
        server.url(),
        server.service()
    );
    let r = http::request("GET", &url, &[("Authorization", &creds)], b"").unwrap();
    let r = get_with_token(&format!("{}/v2/_catalog", registry.url()), &token_of(&r));
    assert_eq!(r.status, 200, "{}", r.text());

    let bad = basic_auth("testuser", "wrong");
    let r = http::request("GET", &url, &[("Authorization", &bad)], b"").unwrap();
    assert_eq!(r.status, 401);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].scopes.len(), 2);
    assert_eq!(requests[0].user, None);
    assert_eq!(requests[1].user.as_deref(), Some("testuser"));
    assert_eq!(requests[2].status, 401);
}

#[test]
fn per_repository_grants() {
    let alice = TokenUser::new("alice", "pw").with_grants(vec![
        Grant::new("alice/*", &["pull", "push"]),
        Grant::new("*", &["pull"]),
    ]);
    let policy = TokenPolicy {
        users: vec![alice],
        anonymous_pull: false,
        ..TokenPolicy::default()
    };
    let registry = Registry::start(Auth::Token(policy)).unwrap();
    assert_eq!(registry.creds().as_deref(), Some("alice:pw"));
    let server = registry.token_server().unwrap();
    let creds = basic_auth("alice", "pw");
    let token_for = |repo: &str| {
        let url = format!(
            "{}?service={}&scope=repository:{repo}:pull,push",
            server.url(),
            server.service()
        );
        token_of(&http::request("GET", &url, &[("Authorization", &creds)], b"").unwrap())
    };
    assert_eq!(
        push_blob(&registry, "alice/app", &token_for("alice/app")).status,
        201
    );
    let r = push_blob(&registry, "bob/app", &token_for("bob/app"));
    assert_eq!(r.status, 401);
    assert!(r
        .header("WWW-Authenticate")
        .unwrap()
        .contains("insufficient_scope"));
}

#[test]
fn oauth2_password_and_refresh_token_grants() {
    let registry = Registry::start(Auth::token()).unwrap();
    let server = registry.token_server().unwrap();
    let form = |body: String| {
        http::request(
            "POST",
            &server.url(),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
        .unwrap()
    };
    let service = server.service();
    let r = form(format!(
        "grant_type=password&username=testuser&password=testpassword&service={service}\
         &client_id=test&access_type=offline&scope=repository%3Ademo%2Fapp%3Apull%2Cpush"
    ));
    let refresh = r.json().unwrap()["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_string();
    assert_eq!(push_blob(&registry, "demo/app", &token_of(&r)).status, 201);

    let r = form(format!(
        "grant_type=refresh_token&refresh_token={refresh}&service={service}\
         &client_id=test&scope=repository%3Ademo%2Fapp%3Apull%2Cpush"
    ));
    assert_eq!(push_blob(&registry, "demo/app", &token_of(&r)).status, 201);

    let r = form(format!(
        "grant_type=refresh_token&refresh_token=nope&service={service}"
    ));
    assert_eq!(r.status, 400);
    assert_eq!(r.json().unwrap()["error"], "invalid_grant");
    let r = form(format!(
        "grant_type=password&username=testuser&password=bad&service={service}"
    ));
    assert_eq!(r.status, 400);
    let r = form("grant_type=client_credentials".into());
    assert_eq!(r.json().unwrap()["error"], "unsupported_grant_type");
    assert_eq!(server.token_requests(), 5);
    assert_eq!(
        server.requests()[1].grant_type.as_deref(),
        Some("refresh_token")
    );
}

#[test]
fn x5c_header_is_accepted_too() {
    let policy = TokenPolicy {
        x5c: true,
        ..TokenPolicy::default()
    };
    let registry = Registry::start(Auth::Token(policy)).unwrap();
    let server = registry.token_server().unwrap();
    let token = server.issue_token(
        "testuser",
        &[Access::repository("demo/app", &["pull", "push"])],
        60,
    );
    let header = token.split('.').next().unwrap();
    use base64::Engine as _;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    assert!(header["x5c"].is_array());
    assert_eq!(header["kid"], server.kid());
    assert_eq!(push_blob(&registry, "demo/app", &token).status, 201);
}

#[test]
fn expired_tokens_are_refused() {
    let policy = TokenPolicy {
        expiry: Duration::from_secs(2),
        ..TokenPolicy::default()
    };
    let registry = Registry::start(Auth::Token(policy)).unwrap();
    let server = registry.token_server().unwrap();
    let access = [Access::repository("demo/app", &["pull"])];
    let url = format!("{}/v2/demo/app/tags/list", registry.url());

    let expired = server.issue_token("testuser", &access, -5);
    let r = get_with_token(&url, &expired);
    assert_eq!(r.status, 401, "an expired token was accepted");
    assert!(r
        .header("WWW-Authenticate")
        .unwrap()
        .contains("invalid_token"));

    let r = http::get(&format!(
        "{}?service={}&scope=repository:demo/app:pull",
        server.url(),
        server.service()
    ))
    .unwrap();
    assert_eq!(r.json().unwrap()["expires_in"], 2);
    let token = token_of(&r);
    assert_eq!(get_with_token(&url, &token).status, 404);
    std::thread::sleep(Duration::from_millis(3100));
    assert_eq!(
        get_with_token(&url, &token).status,
        401,
        "token outlived its expiry"
    );
}
