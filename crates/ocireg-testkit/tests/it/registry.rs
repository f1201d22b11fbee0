use ocireg_testkit::http::{self, basic_auth};
use ocireg_testkit::{Auth, Options, Registry};

#[test]
fn no_auth_answers_200() {
    let registry = Registry::start(Auth::None).unwrap();
    let r = http::get(&format!("{}/v2/", registry.url())).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Docker-Distribution-API-Version"),
        Some("registry/2.0")
    );
    assert!(registry.user().is_none());
    assert_eq!(registry.url(), format!("http://{}", registry.host()));
}

#[test]
fn htpasswd_answers_basic_challenge_and_accepts_the_user() {
    let registry = Registry::start(Auth::htpasswd("alice", "s3cret")).unwrap();
    let url = format!("{}/v2/", registry.url());
    let r = http::get(&url).unwrap();
    assert_eq!(r.status, 401);
    let challenge = r.header("WWW-Authenticate").unwrap();
    assert!(challenge.starts_with("Basic realm="), "{challenge}");

    let ok = basic_auth(registry.user().unwrap(), registry.password().unwrap());
    let r = http::request("GET", &url, &[("Authorization", &ok)], b"").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());

    let wrong = basic_auth("alice", "nope");
    let r = http::request("GET", &url, &[("Authorization", &wrong)], b"").unwrap();
    assert_eq!(r.status, 401);
}

#[test]
fn token_mode_answers_bearer_challenge() {
    let registry = Registry::start(Auth::token()).unwrap();
    let server = registry.token_server().unwrap();
    let r = http::get(&format!("{}/v2/", registry.url())).unwrap();
    assert_eq!(r.status, 401);
    let challenge = r.header("WWW-Authenticate").unwrap();
    assert_eq!(
        challenge,
        format!(
            "Bearer realm=\"{}\",service=\"{}\"",
            server.url(),
            server.service()
        )
    );
    let r = http::get(&format!("{}/v2/demo/hello/tags/list", registry.url())).unwrap();
    assert_eq!(r.status, 401);
    let challenge = r.header("WWW-Authenticate").unwrap();
    assert!(
        challenge.ends_with(",scope=\"repository:demo/hello:pull\""),
        "{challenge}"
    );
}

#[test]
fn realm_can_point_elsewhere() {
    let options = Options {
        realm: Some("http://127.0.0.1:9/elsewhere".into()),
        ..Options::default()
    };
    let registry = Registry::start_with(Auth::token(), options).unwrap();
    let r = http::get(&format!("{}/v2/", registry.url())).unwrap();
    let challenge = r.header("WWW-Authenticate").unwrap();
    assert!(
        challenge.starts_with("Bearer realm=\"http://127.0.0.1:9/elsewhere\""),
        "{challenge}"
    );
}

#[test]
fn two_registries_run_side_by_side_and_stop_on_drop() {
    let a = Registry::start(Auth::None).unwrap();
    let b = Registry::start(Auth::None).unwrap();
    assert_ne!(a.port(), b.port());
    let storage = a.storage_dir();
    let url = format!("{}/v2/", a.url());
    drop(a);
    assert!(
        http::get(&url).is_err(),
        "registry still answers after drop"
    );
    assert!(!storage.exists(), "temp dir left behind");
    assert_eq!(http::get(&format!("{}/v2/", b.url())).unwrap().status, 200);
}

#[test]
fn delete_disabled_answers_unsupported() {
    let options = Options {
        delete_enabled: false,
        ..Options::default()
    };
    let registry = Registry::start_with(Auth::None, options).unwrap();
    let digest = format!("sha256:{}", "0".repeat(64));
    let url = format!("{}/v2/demo/manifests/{digest}", registry.url());
    let r = http::request("DELETE", &url, &[], b"").unwrap();
    assert_eq!(r.status, 405, "{}", r.text());
    assert!(r.text().contains("UNSUPPORTED"), "{}", r.text());
}
