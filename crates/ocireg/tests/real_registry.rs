//! The native client against the real registry (Debian's docker-registry,
//! distribution 2.8.2) in each auth mode, with images pushed by skopeo.

use futures_util::TryStreamExt;
use ocireg::{Client, CopyOptions, Credentials, Digest, Platform, PushOutcome};
use ocireg_testkit::{Auth, ImageSpec, Registry};

mod common;
use common::{client_for, r, seed_with_skopeo};

async fn walk_every_operation(registry: &Registry) {
    let tmp = tempfile::tempdir().unwrap();
    let host = registry.host();
    let image = seed_with_skopeo(
        registry,
        tmp.path(),
        &ImageSpec::multi_platform(11).tag("v1"),
        "demo/app:v1",
        &[],
    );
    let client = client_for(registry);

    let ping = client.ping(&host).await.unwrap();
    assert!(ping.api_version_ok);
    assert_eq!(client.catalog(&host).await.unwrap(), ["demo/app"]);
    let app = r(&format!("{host}/demo/app:v1"));
    assert_eq!(client.tags(&app).await.unwrap(), ["v1"]);

    // The index, verified, by tag and by HEAD.
    let fetched = client.get_manifest(&app).await.unwrap();
    assert_eq!(fetched.manifest.digest().to_string(), image.root.digest);
    assert!(fetched.manifest.manifest().kind().is_index());
    let head = client.head_manifest(&app).await.unwrap();
    assert_eq!(head.digest, fetched.manifest.digest());

    // Each platform resolves to its own manifest; every blob verifies.
    for m in &image.manifests {
        let p: Platform = format!("{}/{}", m.platform.os, m.platform.architecture)
            .parse()
            .unwrap();
        let resolved = client.resolve(&app, &p).await.unwrap();
        assert_eq!(resolved.manifest.digest().to_string(), m.manifest.digest);
        for blob in std::iter::once(&m.config).chain(&m.layers) {
            let d: Digest = blob.digest.parse().unwrap();
            let mut got = Vec::new();
            client
                .pull_blob(&app, &d, Some(blob.size), &mut got)
                .await
                .unwrap();
            assert_eq!(got, image.read_blob(&blob.digest).unwrap());
        }
    }

    // A copy within the registry mounts every blob: no byte uploaded.
    let copy = r(&format!("{host}/other/app:v1"));
    let report = client
        .copy(&app, &copy, &CopyOptions::default())
        .await
        .unwrap();
    assert_eq!(report.digest, fetched.manifest.digest());
    assert_eq!(report.bytes_uploaded, 0);
    assert!(report.blobs_mounted > 0);
    assert_eq!(
        client.get_manifest(&copy).await.unwrap().manifest.digest(),
        report.digest
    );

    // Push a blob, a manifest under a new tag, then delete.
    let blob = client
        .push_blob_bytes(&copy, bytes::Bytes::from_static(b"extra blob"))
        .await
        .unwrap();
    assert_eq!(client.head_blob(&copy, &blob).await.unwrap(), Some(10));
    let raw = fetched.manifest.clone();
    client
        .put_manifest(&r(&format!("{host}/other/app:v2")), &raw)
        .await
        .unwrap();
    let mut tags = client.tags(&copy).await.unwrap();
    tags.sort();
    assert_eq!(tags, ["v1", "v2"]);
    let deleted = client.delete_manifest(&copy).await.unwrap();
    assert_eq!(deleted, fetched.manifest.digest());
    let err = client.get_manifest(&copy).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    // Every tag on that digest is gone: registry 2.8.2 answers "tags": null.
    assert!(client.tags(&copy).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_without_auth() {
    walk_every_operation(&Registry::start(Auth::None).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_with_htpasswd() {
    let registry = Registry::start(Auth::htpasswd("alice", "wonderland")).unwrap();
    walk_every_operation(&registry).await;

    let wrong = Client::builder()
        .use_docker_config(false)
        .credentials(&registry.host(), Credentials::basic("alice", "nope"))
        .build()
        .unwrap();
    let err = wrong.ping(&registry.host()).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("refused the user name and password"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_with_token_auth_and_cached_tokens() {
    let registry = Registry::start(Auth::token()).unwrap();
    walk_every_operation(&registry).await;
    let tokens = registry.token_server().unwrap().token_requests();
    // One token per scope set, reused for the many requests of each.
    assert!(tokens < 40, "{tokens} token requests");

    // Anonymous: pull yes, push no.
    let anon = Client::builder().use_docker_config(false).build().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    seed_with_skopeo(
        &registry,
        tmp.path(),
        &ImageSpec::new(3).tag("v1"),
        "pub/img:v1",
        &[],
    );
    let img = r(&format!("{}/pub/img:v1", registry.host()));
    anon.get_manifest(&img).await.unwrap();
    let err = anon
        .push_blob_bytes(&img, bytes::Bytes::from_static(b"nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ocireg::Error::Registry(ocireg::ocireg_core::Error::Unauthorized { .. })
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_stream_and_file_pulls_verify() {
    let registry = Registry::start(Auth::None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_with_skopeo(
        &registry,
        tmp.path(),
        &ImageSpec::new(5).layers(1, 300_000).tag("v1"),
        "s/img:v1",
        &[],
    );
    let client = client_for(&registry);
    let img = r(&format!("{}/s/img:v1", registry.host()));
    let layer = &image.manifests[0].layers[0];
    let d: Digest = layer.digest.parse().unwrap();
    let chunks: Vec<bytes::Bytes> = client
        .pull_blob_stream(&img, d, Some(layer.size))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks.concat(), image.read_blob(&layer.digest).unwrap());

    let out = tmp.path().join("layer.bin");
    client
        .pull_blob_to_file(&img, &d, Some(layer.size), &out)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        image.read_blob(&layer.digest).unwrap()
    );

    // Mount by the API.
    let other = r(&format!("{}/s/other:v1", registry.host()));
    assert_eq!(
        client.mount_blob(&other, &d, &img).await.unwrap(),
        PushOutcome::Mounted
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_hub_names_are_served_by_a_configured_mirror() {
    let mirror = Registry::start(Auth::None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_with_skopeo(
        &mirror,
        tmp.path(),
        &ImageSpec::new(8).tag("1.0"),
        "library/hello:1.0",
        &[],
    );
    let client = Client::builder()
        .use_docker_config(false)
        .mirror(mirror.url().parse().unwrap())
        .build()
        .unwrap();
    // `hello:1.0` is docker.io/library/hello:1.0: the mirror has it, so
    // Docker Hub is never asked.
    let fetched = client.get_manifest(&r("hello:1.0")).await.unwrap();
    assert_eq!(fetched.manifest.digest().to_string(), image.root.digest);
}
