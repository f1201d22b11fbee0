//! Image formats (Docker schema 2, OCI, indexes and manifest lists), copies
//! within and across registries, and interop with skopeo both ways, against
//! the real registry (Debian's docker-registry, distribution 2.8.2).

mod common;

use std::collections::BTreeMap;

use common::{assert_layout_blobs_verify, client_for, d, r, seed_with_skopeo, with_creds};
use ocireg::ocireg_core::manifest::{media_type, ManifestKind};
use ocireg::{Client, CopyOptions, Digest, Platform, RawManifest, Reference};
use ocireg_testkit::{skopeo, skopeo_copy, write_oci_layout, Auth, ImageInfo, ImageSpec, Registry};

fn platform(s: &str) -> Platform {
    s.parse().unwrap()
}

/// Pulls every blob of the image manifest `raw` (config and layers),
/// verified by the client against digest and size; returns them by digest.
async fn pull_every_blob(
    client: &Client,
    repo: &Reference,
    raw: &RawManifest,
) -> BTreeMap<Digest, Vec<u8>> {
    let image = raw.manifest().as_image().expect("an image manifest");
    let mut out = BTreeMap::new();
    for blob in std::iter::once(&image.config).chain(&image.layers) {
        let mut bytes = Vec::new();
        let got = client
            .pull_blob(repo, &blob.digest, Some(blob.size), &mut bytes)
            .await
            .unwrap();
        assert_eq!(got, blob.digest);
        assert_eq!(bytes.len() as u64, blob.size);
        assert_eq!(Digest::sha256(&bytes), blob.digest);
        out.insert(blob.digest, bytes);
    }
    out
}

/// The layout's layers are what the registry serves, whatever the manifest
/// format skopeo wrote.
fn assert_layers_match_layout(image: &ImageInfo, pulled: &BTreeMap<Digest, Vec<u8>>) {
    for m in &image.manifests {
        for layer in &m.layers {
            let got = pulled.get(&d(&layer.digest)).expect("the layer was pulled");
            assert_eq!(*got, image.read_blob(&layer.digest).unwrap());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_schema2_and_oci_manifests_from_skopeo_read_with_their_kinds() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let tmp = tempfile::tempdir().unwrap();
    let spec = ImageSpec::new(21).layers(2, 20_000).tag("v1");

    for (format, repo, kind, media) in [
        (
            "v2s2",
            "fmt/docker",
            ManifestKind::DockerV2,
            media_type::DOCKER_MANIFEST,
        ),
        (
            "oci",
            "fmt/oci",
            ManifestKind::Image,
            media_type::OCI_MANIFEST,
        ),
    ] {
        let image = seed_with_skopeo(
            &registry,
            &tmp.path().join(format),
            &spec,
            &format!("{repo}:v1"),
            &["--format", format],
        );
        let reference = r(&format!("{host}/{repo}:v1"));
        let fetched = client.get_manifest(&reference).await.unwrap().manifest;
        assert_eq!(fetched.manifest().kind(), kind, "{format}");
        assert_eq!(fetched.media_type(), media, "{format}");
        let head = client.head_manifest(&reference).await.unwrap();
        assert_eq!(head.digest, fetched.digest(), "{format}");
        assert_eq!(head.media_type.as_deref(), Some(media), "{format}");
        let pulled = pull_every_blob(&client, &reference, &fetched).await;
        assert_eq!(pulled.len(), 3, "{format}: a config and two layers");
        assert_layers_match_layout(&image, &pulled);
        if format == "oci" {
            // No conversion: the very manifest of the layout.
            assert_eq!(fetched.digest().to_string(), image.root.digest);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_manifest_list_from_skopeo_resolves_each_platform() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_with_skopeo(
        &registry,
        tmp.path(),
        &ImageSpec::multi_platform(22).tag("v1"),
        "fmt/list:v1",
        &["--format", "v2s2"],
    );
    let reference = r(&format!("{host}/fmt/list:v1"));
    let list = client.get_manifest(&reference).await.unwrap().manifest;
    assert_eq!(list.manifest().kind(), ManifestKind::DockerList);
    assert_eq!(list.media_type(), media_type::DOCKER_MANIFEST_LIST);
    let entries = list.manifest().as_index().unwrap().manifests.clone();
    assert_eq!(entries.len(), 2);

    for (m, wanted) in image.manifests.iter().zip(["linux/amd64", "linux/arm64"]) {
        let resolved = client.resolve(&reference, &platform(wanted)).await.unwrap();
        assert_eq!(
            resolved.index.as_ref().map(RawManifest::digest),
            Some(list.digest())
        );
        assert_eq!(
            resolved.manifest.manifest().kind(),
            ManifestKind::DockerV2,
            "{wanted}"
        );
        let chosen = resolved.descriptor.expect("the chosen list entry");
        assert_eq!(chosen.digest, resolved.manifest.digest());
        let p = chosen.platform.expect("list entries carry platforms");
        assert_eq!(p.architecture, m.platform.architecture, "{wanted}");
        let pulled = pull_every_blob(&client, &reference, &resolved.manifest).await;
        for layer in &m.layers {
            assert_eq!(
                pulled[&d(&layer.digest)],
                image.read_blob(&layer.digest).unwrap()
            );
        }
    }

    // A filtered copy of a Docker list stays a Docker list.
    let dst = r(&format!("{host}/fmt/list-arm:v1"));
    let options = CopyOptions::default().platforms(vec![platform("linux/arm64")]);
    let report = client.copy(&reference, &dst, &options).await.unwrap();
    let copied = client.get_manifest(&dst).await.unwrap().manifest;
    assert_eq!(copied.digest(), report.digest);
    assert_eq!(copied.manifest().kind(), ManifestKind::DockerList);
    assert_eq!(copied.manifest().as_index().unwrap().manifests.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_platform_index_resolves_and_copies_all_or_some_platforms() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_with_skopeo(
        &registry,
        tmp.path(),
        &ImageSpec::multi_platform(23).tag("v1"),
        "mp/app:v1",
        &[],
    );
    let app = r(&format!("{host}/mp/app:v1"));
    let index = client.get_manifest(&app).await.unwrap().manifest;
    assert_eq!(index.manifest().kind(), ManifestKind::Index);
    assert_eq!(index.digest().to_string(), image.root.digest);

    for (m, wanted) in image.manifests.iter().zip(["linux/amd64", "linux/arm64"]) {
        let resolved = client.resolve(&app, &platform(wanted)).await.unwrap();
        assert_eq!(
            resolved.manifest.digest().to_string(),
            m.manifest.digest,
            "{wanted}"
        );
        assert_eq!(resolved.manifest.manifest().kind(), ManifestKind::Image);
    }
    let arm = client
        .resolve(&app, &platform("linux/arm64/v8"))
        .await
        .unwrap();
    assert_eq!(
        arm.manifest.digest().to_string(),
        image.manifests[1].manifest.digest
    );
    let err = client
        .resolve(&app, &platform("linux/s390x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("s390x"), "{err}");

    // Without options: the index as it is, same digest.
    let all = r(&format!("{host}/mp/all:v1"));
    let report = client
        .copy(&app, &all, &CopyOptions::default())
        .await
        .unwrap();
    assert_eq!(report.digest, index.digest());
    assert_eq!(report.manifests, 3);
    assert_eq!(
        client.head_manifest(&all).await.unwrap().digest,
        index.digest()
    );

    // One platform: a rewritten index with one entry, so a new digest.
    let one = r(&format!("{host}/mp/arm:v1"));
    let options = CopyOptions::default().platforms(vec![platform("linux/arm64")]);
    let report = client.copy(&app, &one, &options).await.unwrap();
    assert_ne!(report.digest, index.digest());
    assert_eq!(report.manifests, 2);
    let filtered = client.get_manifest(&one).await.unwrap().manifest;
    assert_eq!(filtered.digest(), report.digest);
    assert_eq!(filtered.manifest().kind(), ManifestKind::Index);
    let entries = &filtered.manifest().as_index().unwrap().manifests;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].digest.to_string(),
        image.manifests[1].manifest.digest
    );
    assert_eq!(entries[0].platform.as_ref().unwrap().architecture, "arm64");
    // The arm64 image is complete at the destination; amd64 is not there.
    let arm_copy = client
        .resolve(&one, &platform("linux/arm64"))
        .await
        .unwrap();
    pull_every_blob(&client, &one, &arm_copy.manifest).await;
    let amd = one
        .without_tag_or_digest()
        .with_digest(d(&image.manifests[0].manifest.digest));
    assert!(client.get_manifest(&amd).await.unwrap_err().is_not_found());

    // No entry matches: an error, and nothing is written.
    let none = r(&format!("{host}/mp/none:v1"));
    let options = CopyOptions::default().platforms(vec![platform("windows/amd64")]);
    client.copy(&app, &none, &options).await.unwrap_err();
    assert!(client
        .head_manifest(&none)
        .await
        .unwrap_err()
        .is_not_found());
}

/// Every config and layer of the image, once, with its size.
fn unique_blobs(image: &ImageInfo) -> BTreeMap<String, u64> {
    image
        .manifests
        .iter()
        .flat_map(|m| std::iter::once(&m.config).chain(&m.layers))
        .map(|b| (b.digest.clone(), b.size))
        .collect()
}

/// A client logged in to `registry` (a token registry here).
fn logged_in(registry: &Registry) -> Client {
    with_creds(
        Client::builder().use_docker_config(false),
        registry,
        &registry.host(),
    )
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_within_a_token_registry_mounts_across_repositories() {
    let registry = Registry::start(Auth::token()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_with_skopeo(
        &registry,
        tmp.path(),
        &ImageSpec::multi_platform(27).tag("v1"),
        "src/app:v1",
        &[],
    );
    let blobs = unique_blobs(&image);
    let client = logged_in(&registry);
    let src = r(&format!("{}/src/app:v1", registry.host()));
    let dst = r(&format!("{}/other/app:v1", registry.host()));

    // The token for each mount covers pull on the source and push on the
    // target; no byte moves.
    let report = client
        .copy(&src, &dst, &CopyOptions::default())
        .await
        .unwrap();
    assert_eq!(report.digest.to_string(), image.root.digest);
    assert_eq!(report.blobs_mounted, blobs.len());
    assert_eq!((report.blobs_uploaded, report.bytes_uploaded), (0, 0));
    assert_eq!(report.manifests, 3);
    let tokens = registry.token_server().unwrap().requests();
    assert!(
        tokens.iter().any(|t| t.status == 200
            && t.scopes
                .iter()
                .any(|s| s.contains("other/app") && s.contains("push"))
            && t.scopes
                .iter()
                .any(|s| s.contains("src/app") && s.contains("pull"))),
        "no token asked for both repositories: {tokens:?}"
    );

    // A second copy finds every blob in place.
    let again = client
        .copy(&src, &dst, &CopyOptions::default())
        .await
        .unwrap();
    assert_eq!(again.blobs_existing, blobs.len());
    assert_eq!((again.blobs_mounted, again.bytes_uploaded), (0, 0));

    // What arrived verifies, blob by blob.
    for m in &image.manifests {
        let at = dst
            .without_tag_or_digest()
            .with_digest(d(&m.manifest.digest));
        let raw = client.get_manifest(&at).await.unwrap().manifest;
        pull_every_blob(&client, &dst, &raw).await;
    }
}

/// Across registries every blob is streamed once: the existence check
/// (`BlobPush` with `check_exists().mount_only()` and no mount source)
/// stops with `NotMounted` after the HEAD's 404 instead of opening an
/// upload, then the bytes go from the source straight into the upload.
/// A second copy finds every blob in place.
#[tokio::test(flavor = "multi_thread")]
async fn copy_across_registries_uploads_once_then_finds_blobs() {
    let plain = Registry::start(Auth::None).unwrap();
    let tokened = Registry::start(Auth::token()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_with_skopeo(
        &plain,
        tmp.path(),
        &ImageSpec::multi_platform(24).layers(2, 30_000).tag("v1"),
        "src/app:v1",
        &[],
    );
    let blobs = unique_blobs(&image);
    let total: u64 = blobs.values().sum();
    let client = logged_in(&tokened);

    let src = r(&format!("{}/src/app:v1", plain.host()));
    let dst = r(&format!("{}/dst/app:v1", tokened.host()));
    let first = client
        .copy(&src, &dst, &CopyOptions::default())
        .await
        .unwrap();
    assert_eq!(first.digest.to_string(), image.root.digest);
    assert_eq!(first.blobs_uploaded, blobs.len());
    assert_eq!(first.bytes_uploaded, total);
    assert_eq!((first.blobs_mounted, first.blobs_existing), (0, 0));
    assert_eq!(first.manifests, 3);

    // Again: the destination has every blob, nothing moves.
    let again = client
        .copy(&src, &dst, &CopyOptions::default())
        .await
        .unwrap();
    assert_eq!(again.digest, first.digest);
    assert_eq!((again.blobs_uploaded, again.bytes_uploaded), (0, 0));
    assert_eq!(again.blobs_existing, blobs.len());

    for m in &image.manifests {
        let at = dst
            .without_tag_or_digest()
            .with_digest(d(&m.manifest.digest));
        let raw = client.get_manifest(&at).await.unwrap().manifest;
        pull_every_blob(&client, &dst, &raw).await;
    }
}

/// The same across two registries without auth.
#[tokio::test(flavor = "multi_thread")]
async fn copy_between_two_registries_without_auth() {
    let a = Registry::start(Auth::None).unwrap();
    let b = Registry::start(Auth::None).unwrap();
    let client = client_for(&a);
    let src = r(&format!("{}/one/img:v1", a.host()));
    let manifest = common::push_tiny_image(&client, &src, 9).await;
    let dst = r(&format!("{}/two/img:v1", b.host()));
    let result = client.copy(&src, &dst, &CopyOptions::default()).await;
    let report = result.unwrap_or_else(|e| panic!("copy across registries failed: {e}"));
    assert_eq!(report.digest, manifest.digest());
    assert_eq!(report.blobs_uploaded, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn skopeo_pushed_index_pulls_into_a_layout_that_skopeo_reads_back() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_with_skopeo(
        &registry,
        &tmp.path().join("src"),
        &ImageSpec::multi_platform(25).tag("v1"),
        "interop/app:v1",
        &[],
    );
    let app = r(&format!("{host}/interop/app:v1"));
    let out = tmp.path().join("pulled");
    let pulled = ocireg::layout::pull(&client, &app, &out, None)
        .await
        .unwrap();
    assert_eq!(pulled.digest.to_string(), image.root.digest);
    assert_eq!(pulled.blobs, 6, "two configs and four layers");
    // The index, two manifests, two configs, four layers.
    assert_eq!(assert_layout_blobs_verify(&out), 9);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], image.root.digest.as_str());
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "v1"
    );

    // skopeo reads ocireg's layout and pushes it unchanged.
    skopeo_copy(
        &format!("oci:{}:v1", out.display()),
        &format!("docker://{host}/interop/back:v2"),
        &["--all"],
    )
    .unwrap();
    let back = client
        .head_manifest(&r(&format!("{host}/interop/back:v2")))
        .await
        .unwrap();
    assert_eq!(back.digest.to_string(), image.root.digest);
}

#[tokio::test(flavor = "multi_thread")]
async fn layout_pushed_by_ocireg_reads_back_byte_for_byte_with_skopeo() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let tmp = tempfile::tempdir().unwrap();
    let image = write_oci_layout(
        &tmp.path().join("src"),
        &ImageSpec::multi_platform(26).tag("v3"),
    )
    .unwrap();
    let app = r(&format!("{host}/interop/pushed:v3"));
    let digest = ocireg::layout::push(&client, &image.dir, Some("v3"), &app)
        .await
        .unwrap();
    assert_eq!(digest.to_string(), image.root.digest);

    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{host}/interop/pushed:v3"),
    ])
    .unwrap();
    assert_eq!(raw.as_bytes(), image.read_blob(&image.root.digest).unwrap());
    for m in &image.manifests {
        let child = skopeo(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{host}/interop/pushed@{}", m.manifest.digest),
        ])
        .unwrap();
        assert_eq!(
            child.as_bytes(),
            image.read_blob(&m.manifest.digest).unwrap()
        );
    }

    let copied = tmp.path().join("copied");
    skopeo_copy(
        &format!("docker://{host}/interop/pushed:v3"),
        &format!("oci:{}:v3", copied.display()),
        &["--all"],
    )
    .unwrap();
    assert_eq!(assert_layout_blobs_verify(&copied), 9);
}
