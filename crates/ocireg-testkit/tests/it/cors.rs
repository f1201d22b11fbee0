use crate::{get_with_token, token_of};
use ocireg_testkit::http::{self, Response};
use ocireg_testkit::{Auth, CorsOptions, CorsProxy, Options, Registry};

const ORIGIN: &str = "http://127.0.0.1:54321";

fn with_origin(method: &str, url: &str, extra: &[(&str, &str)]) -> Response {
    let mut headers = vec![("Origin", ORIGIN)];
    headers.extend_from_slice(extra);
    http::request(method, url, &headers, b"").unwrap()
}

fn exposed(r: &Response) -> Vec<String> {
    r.header("Access-Control-Expose-Headers")
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_string())
        .collect()
}

#[test]
fn cors_headers_preflight_and_token_behind_the_proxy() {
    let (registry, proxy) =
        CorsProxy::start_with_registry(Auth::token(), Options::default(), CorsOptions::default())
            .unwrap();
    assert_ne!(proxy.url(), registry.url());

    let r = with_origin("GET", &format!("{}/v2/", proxy.url()), &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some(ORIGIN));
    let expose = exposed(&r);
    for h in [
        "Docker-Content-Digest",
        "WWW-Authenticate",
        "Link",
        "Location",
        "Range",
    ] {
        assert!(expose.iter().any(|e| e == h), "{h} not in {expose:?}");
    }
    let challenge = r.header("WWW-Authenticate").unwrap();
    assert!(
        challenge.starts_with(&format!("Bearer realm=\"{}\"", proxy.token_url())),
        "{challenge}"
    );

    let preflight = with_origin(
        "OPTIONS",
        &format!("{}/v2/demo/app/manifests/v1", proxy.url()),
        &[
            ("Access-Control-Request-Method", "PUT"),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type",
            ),
        ],
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("Access-Control-Allow-Origin"),
        Some(ORIGIN)
    );
    assert!(preflight
        .header("Access-Control-Allow-Methods")
        .unwrap()
        .contains("PUT"));
    assert!(preflight
        .header("Access-Control-Allow-Headers")
        .unwrap()
        .contains("Authorization"));

    // The token server answers through the proxy, with CORS headers, and
    // upload Locations point at the proxy.
    let server = registry.token_server().unwrap();
    let url = format!(
        "{}?service={}&scope=repository:demo/app:pull,push",
        proxy.token_url(),
        server.service()
    );
    let creds = http::basic_auth("testuser", "testpassword");
    let r = with_origin("GET", &url, &[("Authorization", &creds)]);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some(ORIGIN));
    let token = token_of(&r);
    let auth = format!("Bearer {token}");
    let upload = with_origin(
        "POST",
        &format!("{}/v2/demo/app/blobs/uploads/", proxy.url()),
        &[("Authorization", &auth)],
    );
    assert_eq!(upload.status, 202, "{}", upload.text());
    assert!(upload.header("Location").unwrap().starts_with(&proxy.url()));
    let tags = get_with_token(&format!("{}/v2/demo/app/tags/list", proxy.url()), &token);
    assert_eq!(tags.status, 404);
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn expose_options_drop_headers() {
    let registry = Registry::start(Auth::None).unwrap();
    let options = CorsOptions {
        expose_digest: false,
        expose_link: false,
        ..CorsOptions::default()
    };
    let proxy = CorsProxy::start(&registry.url(), None, options).unwrap();
    let r = with_origin("GET", &format!("{}/v2/", proxy.url()), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some(ORIGIN));
    let expose = exposed(&r);
    assert!(expose.iter().any(|e| e == "WWW-Authenticate"));
    assert!(
        !expose.iter().any(|e| e == "Docker-Content-Digest"),
        "{expose:?}"
    );
    assert!(!expose.iter().any(|e| e == "Link"), "{expose:?}");
}
