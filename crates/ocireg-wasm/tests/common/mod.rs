//! The wasm tests, shared by `node.rs` (run in Node) and `browser.rs` (run
//! in headless Chromium). They talk to real registries behind real nginx
//! CORS proxies, started by `scripts/wasm-tests` (through the
//! `test-servers` example), whose URLs are baked in at compile time.

use ocireg_core::manifest::{media_type, Descriptor, ImageManifest, Manifest};
use ocireg_core::ops::TransportErrorKind;
use ocireg_core::Repository;
use ocireg_wasm::{
    BlobSource, Client, Credentials, Digest, Error, JsChunks, Listing, Platform, PushOptions,
    PushOutcome, RawManifest,
};

macro_rules! server {
    ($name:literal) => {
        match option_env!($name) {
            Some(v) => v,
            None => panic!(concat!(
                "the wasm tests need the test servers: run scripts/wasm-tests (",
                $name,
                " is not set)"
            )),
        }
    };
}

fn noauth() -> Client {
    Client::new(server!("OCIREG_WASM_NOAUTH")).unwrap()
}

fn hidden() -> Client {
    Client::new(server!("OCIREG_WASM_HIDDEN")).unwrap()
}

fn with_user(url: &str) -> Client {
    Client::builder(url)
        .credentials(Credentials::basic(
            server!("OCIREG_WASM_USER"),
            server!("OCIREG_WASM_PASSWORD"),
        ))
        .build()
        .unwrap()
}

fn hello_digest() -> Digest {
    Digest::parse(server!("OCIREG_WASM_HELLO_DIGEST")).unwrap()
}

fn multi_digest() -> Digest {
    Digest::parse(server!("OCIREG_WASM_MULTI_DIGEST")).unwrap()
}

fn page_repos() -> usize {
    server!("OCIREG_WASM_PAGE_REPOS").parse().unwrap()
}

/// A repository name no other run uses (Node and Chromium share the
/// registries).
fn fresh_repo(what: &str) -> Repository {
    let stamp = js_sys::Date::now() as u64;
    let salt = (js_sys::Math::random() * 1e9) as u64;
    repo(&format!("wasm-{what}/r{stamp}-{salt}"))
}

/// Whether the tests run in a browser page (else in Node).
fn in_browser() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"document".into()).unwrap_or(false)
}

pub async fn ping_answers_through_the_cors_proxy() {
    let info = noauth().ping().await.unwrap();
    // The test proxy does not expose Docker-Distribution-API-Version, so a
    // page cannot see it; Node sees every header.
    assert_eq!(info.api_version_ok, !in_browser());
}

pub async fn catalog_pages_follow_link() {
    let client = noauth();
    let all = client.catalog().await.unwrap();
    let mut paged = Vec::new();
    let mut next = None;
    let mut pages = 0;
    loop {
        let page = client.catalog_page(Some(2), next.as_ref()).await.unwrap();
        assert!(page.items.len() <= 2);
        paged.extend(page.items);
        pages += 1;
        match page.next {
            Some(n) => next = Some(n),
            None => break,
        }
    }
    assert_eq!(paged, all);
    assert!(pages >= page_repos() / 2, "{pages} pages");
    for i in 0..page_repos() {
        assert!(all.contains(&format!("page/r{i:02}")), "{all:?}");
    }
}

pub async fn catalog_pages_with_last_when_link_is_hidden() {
    let client = hidden();
    let mut paged = Vec::new();
    let mut next = None;
    loop {
        let page = client.catalog_page(Some(2), next.as_ref()).await.unwrap();
        paged.extend(page.items);
        match page.next {
            Some(n) => {
                assert!(n.query().unwrap_or_default().contains("last="), "{n}");
                next = Some(n)
            }
            None => break,
        }
    }
    assert_eq!(paged, noauth().catalog().await.unwrap());
    assert_eq!(client.catalog().await.unwrap(), paged);
}

pub async fn tags_are_listed() {
    let tags = noauth().tags(&repo("demo/hello")).await.unwrap();
    assert_eq!(tags, ["v1"]);
    let page = hidden()
        .tags_page(&repo("demo/multi"), Some(10), None)
        .await
        .unwrap();
    assert_eq!(page.items, ["v1"]);
    assert_eq!(page.next, None);
}

pub async fn pagers_list_each_item_once() {
    let all = noauth().catalog().await.unwrap();
    for client in [noauth(), hidden()] {
        for n in [1, 2, 1000] {
            let mut pager = client.pager(Listing::Catalog, Some(n));
            let mut listed = Vec::new();
            while let Some(items) = client.next_items(&mut pager).await.unwrap() {
                assert!(items.len() <= n as usize, "{items:?}");
                listed.extend(items);
            }
            assert_eq!(listed, all, "n={n}");
            assert!(pager.is_done());
        }
        // Registry 2.8.2 ignores n on tags; a page of exactly n asks again
        // (last=), gets the same tag, and the pager ends.
        let mut pager = client.pager(Listing::tags(repo("demo/multi")), Some(1));
        let first = client.next_items(&mut pager).await.unwrap();
        assert_eq!(first.unwrap(), ["v1"]);
        let second = client.next_items(&mut pager).await.unwrap();
        assert!(second.unwrap().is_empty());
        assert_eq!(client.next_items(&mut pager).await.unwrap(), None);
    }
}

pub async fn manifests_by_tag_are_verified() {
    let fetched = noauth()
        .get_manifest(&repo("demo/hello"), "v1")
        .await
        .unwrap();
    assert_eq!(fetched.manifest.digest(), hello_digest());
    assert_eq!(fetched.manifest.media_type(), media_type::OCI_MANIFEST);
    let head = noauth()
        .head_manifest(&repo("demo/hello"), "v1")
        .await
        .unwrap();
    assert_eq!(head.digest, hello_digest());
    let by_digest = noauth()
        .get_manifest(&repo("demo/multi"), &multi_digest().to_string())
        .await
        .unwrap();
    assert_eq!(by_digest.manifest.media_type(), media_type::OCI_INDEX);
}

pub async fn digest_is_computed_when_the_header_is_hidden() {
    let client = hidden();
    let fetched = client
        .get_manifest(&repo("demo/hello"), "v1")
        .await
        .unwrap();
    assert_eq!(fetched.manifest.digest(), hello_digest());
    // HEAD cannot see the digest: the core falls back to GET and hashes.
    let head = client
        .head_manifest(&repo("demo/multi"), "v1")
        .await
        .unwrap();
    assert_eq!(head.digest, multi_digest());
    assert_eq!(head.media_type.as_deref(), Some(media_type::OCI_INDEX));
}

pub async fn missing_manifest_is_not_found() {
    let err = noauth()
        .get_manifest(&repo("demo/hello"), "no-such-tag")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

pub async fn platform_resolution_picks_the_child() {
    let arm = Platform::new("linux", "arm64").with_variant("v8");
    let resolved = noauth()
        .resolve(&repo("demo/multi"), "v1", &arm)
        .await
        .unwrap();
    let d = resolved.descriptor.unwrap();
    assert_eq!(d.platform.unwrap().architecture, "arm64");
    assert_eq!(resolved.manifest.digest(), d.digest);
    assert_eq!(resolved.index.unwrap().digest(), multi_digest());
    let none = noauth()
        .resolve(&repo("demo/multi"), "v1", &Platform::new("linux", "s390x"))
        .await
        .unwrap_err();
    assert!(none.to_string().contains("linux/arm64/v8"), "{none}");
}

pub async fn summary_covers_every_platform() {
    let s = hidden().summary(&repo("demo/multi"), "v1").await.unwrap();
    assert_eq!(s.digest, multi_digest().to_string());
    assert!(s.is_index);
    let platforms: Vec<_> = s
        .platforms
        .iter()
        .filter_map(|p| p.platform.clone())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    assert_eq!(s.created.as_deref(), Some("2024-01-01T00:00:00Z"));
    let sum: u64 = s.platforms.iter().map(|p| p.size).sum();
    assert!(s.total_size > 0 && s.total_size <= sum);
    for p in &s.platforms {
        let config = p.config.as_ref().unwrap();
        assert_eq!(config.os, "linux");
        assert_eq!(config.cmd.as_deref(), Some(&["/bin/sh".to_string()][..]));
        assert_eq!(p.layers, 2);
        assert_eq!(p.layer_details.len(), 2);
        assert!(p.layer_details.iter().map(|l| l.size).sum::<u64>() < p.size);
    }
    let single = noauth().summary(&repo("demo/hello"), "v1").await.unwrap();
    assert!(!single.is_index);
    assert_eq!(single.platforms.len(), 1);
    assert_eq!(single.total_size, single.platforms[0].size);
}

pub async fn blobs_stream_and_verify() {
    let client = noauth();
    let fetched = client
        .get_manifest(&repo("demo/hello"), "v1")
        .await
        .unwrap();
    let image = fetched.manifest.manifest().as_image().unwrap().clone();
    let layer = &image.layers[0];
    let seen = std::cell::Cell::new(0u64);
    let progress = |n: u64| seen.set(seen.get() + n);
    let mut sink = JsChunks::new();
    let digest = client
        .pull_blob(
            &repo("demo/hello"),
            &layer.digest,
            Some(layer.size),
            &mut sink,
            Some(&progress),
        )
        .await
        .unwrap();
    assert_eq!(digest, layer.digest);
    assert_eq!(u64::from(sink.len()), layer.size);
    assert_eq!(seen.get(), layer.size);
    let bytes = sink.into_uint8array().to_vec();
    assert_eq!(Digest::sha256(&bytes), layer.digest);

    // A wrong size is caught.
    let mut out = Vec::new();
    let err = client
        .pull_blob(
            &repo("demo/hello"),
            &layer.digest,
            Some(layer.size - 1),
            &mut out,
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Registry(ocireg_core::Error::Verify(_))),
        "{err}"
    );

    let config = client
        .get_config(&repo("demo/hello"), &image.config)
        .await
        .unwrap();
    assert_eq!(config.architecture, "amd64");
}

/// Pushes a config and a layer, a manifest, reads them back, mounts,
/// deletes: the write side of the API, monolithic and chunked.
async fn push_round_trip(client: &Client) {
    let repo = fresh_repo("push");
    let layer: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let chunked = PushOptions::new().chunk_size(64 * 1024);
    let (layer_digest, outcome) = client
        .push_blob(&repo, &BlobSource::from(layer.clone()), &chunked, None)
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Uploaded);
    assert_eq!(layer_digest, Digest::sha256(&layer));
    // Pushing again finds it there.
    let (_, again) = client
        .push_blob(
            &repo,
            &BlobSource::from(layer.clone()),
            &PushOptions::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(again, PushOutcome::Exists);

    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let sent = std::cell::Cell::new(0u64);
    let progress = |n: u64| sent.set(sent.get() + n);
    let (config_digest, outcome) = client
        .push_blob(
            &repo,
            &BlobSource::from(&config[..]),
            &PushOptions::default(),
            Some(&progress),
        )
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Uploaded);
    assert_eq!(sent.get(), config.len() as u64);

    let manifest = Manifest::Image(ImageManifest::new(
        media_type::OCI_MANIFEST,
        Descriptor::new(media_type::OCI_CONFIG, config_digest, config.len() as u64),
        vec![Descriptor::new(
            media_type::OCI_LAYER_GZIP,
            layer_digest,
            layer.len() as u64,
        )],
    ));
    let raw = RawManifest::encode(&manifest).unwrap();
    let put = client.put_manifest(&repo, "t1", &raw).await.unwrap();
    assert_eq!(put.digest, raw.digest());
    assert_eq!(
        client.head_manifest(&repo, "t1").await.unwrap().digest,
        raw.digest()
    );
    assert_eq!(client.tags(&repo).await.unwrap(), ["t1"]);

    let mut back = Vec::new();
    client
        .pull_blob(
            &repo,
            &layer_digest,
            Some(layer.len() as u64),
            &mut back,
            None,
        )
        .await
        .unwrap();
    assert_eq!(back, layer);

    let other = fresh_repo("mount");
    let mounted = client
        .mount_blob(&other, &layer_digest, &repo)
        .await
        .unwrap();
    assert_eq!(mounted, PushOutcome::Mounted);
    assert_eq!(
        client.head_blob(&other, &layer_digest).await.unwrap(),
        Some(layer.len() as u64)
    );

    // By digest, and by tag (resolved with a HEAD first).
    for reference in [raw.digest().to_string(), "t1".to_string()] {
        let referrers = client.referrers(&repo, &reference, None).await.unwrap();
        assert!(referrers.manifests.is_empty(), "{reference}");
    }

    assert_eq!(
        client.delete_manifest(&repo, "t1").await.unwrap(),
        raw.digest()
    );
    assert!(client
        .get_manifest(&repo, "t1")
        .await
        .unwrap_err()
        .is_not_found());
    client.delete_blob(&other, &layer_digest).await.unwrap();
    assert_eq!(client.head_blob(&other, &layer_digest).await.unwrap(), None);
}

pub async fn push_pull_mount_delete_without_auth() {
    push_round_trip(&noauth()).await;
}

pub async fn push_works_when_digest_and_link_are_hidden() {
    push_round_trip(&hidden()).await;
}

pub async fn token_auth_through_the_proxy() {
    let url = server!("OCIREG_WASM_TOKEN");
    // Anonymous pull tokens.
    let anonymous = Client::new(url).unwrap();
    let fetched = anonymous
        .get_manifest(&repo("demo/hello"), "v1")
        .await
        .unwrap();
    assert_eq!(fetched.manifest.digest(), hello_digest());
    // The catalog needs a user.
    let err = anonymous.catalog().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Registry(ocireg_core::Error::Unauthorized { .. })
        ),
        "{err}"
    );
    let user = with_user(url);
    user.ping().await.unwrap();
    let repos = user.catalog().await.unwrap();
    assert!(repos.contains(&"demo/multi".to_string()), "{repos:?}");
    push_round_trip(&user).await;
    let summary = user.summary(&repo("demo/multi"), "v1").await.unwrap();
    assert_eq!(summary.platforms.len(), 2);
}

pub async fn basic_auth_through_the_proxy() {
    let url = server!("OCIREG_WASM_BASIC");
    let user = with_user(url);
    assert_eq!(user.tags(&repo("demo/hello")).await.unwrap(), ["v1"]);
    let wrong = Client::builder(url)
        .credentials(Credentials::basic("testuser", "wrong"))
        .build()
        .unwrap();
    let err = wrong.tags(&repo("demo/hello")).await.unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
    let none = Client::new(url).unwrap().ping().await.unwrap_err();
    assert!(
        none.to_string().contains("user name and password"),
        "{none}"
    );
}

pub async fn registry_urls_are_checked() {
    for bad in ["ftp://x", "http://h/v2/", "http://u:p@h", "a/b"] {
        let err = Client::new(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err}");
    }
    assert_eq!(
        Client::new("localhost:5000")
            .unwrap()
            .registry()
            .to_string(),
        "http://localhost:5000"
    );
    assert_eq!(
        Client::new("registry.example.com")
            .unwrap()
            .registry()
            .to_string(),
        "https://registry.example.com"
    );
}

/// In a browser, a registry without CORS headers is invisible: the error
/// says so. (Node has no CORS, so this is a browser-only test.)
pub async fn a_registry_without_cors_is_blocked() {
    let client = Client::new(server!("OCIREG_WASM_DIRECT")).unwrap();
    let err = client.ping().await.unwrap_err();
    match &err {
        Error::Registry(ocireg_core::Error::Transport(t)) => {
            assert_eq!(t.kind(), TransportErrorKind::Blocked, "{err}");
            assert!(t.message().contains("CORS"), "{err}");
        }
        other => panic!("expected a blocked request, got {other}"),
    }
}

/// In Node, a closed port is a connection failure (after the core's
/// retries).
pub async fn a_closed_port_is_a_connection_failure() {
    let client = Client::new(server!("OCIREG_WASM_CLOSED")).unwrap();
    let err = client.ping().await.unwrap_err();
    match &err {
        Error::Registry(ocireg_core::Error::Transport(t)) => {
            assert_eq!(t.kind(), TransportErrorKind::Connect, "{err}");
        }
        other => panic!("expected a connection failure, got {other}"),
    }
}

/// A repository path the test knows is valid.
fn repo(path: &str) -> Repository {
    path.parse().unwrap()
}
