//! Whole image graphs through the drivers of the core's `GraphPlan`
//! (`layout::pull`, `layout::push`, `Client::copy`): nested indexes pushed
//! by hand to the real registry, `sha512` children and a 3,000-times
//! listed child from a scripted server, and Docker Hub mirrors serving
//! whole pulls.
//!
//! The graphs are written and pushed here with plain HTTP (the testkit's
//! client) and hashed with `sha2`, so nothing of ocireg checks itself.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{client_for, pseudo_random, r, seed_with_skopeo};
use ocireg::{Client, CopyOptions, Reference};
use ocireg_testkit::graph::{
    config, descriptor, get_manifest, get_manifest_bytes, image_manifest, index, push_nested_graph,
    sha256, sha512, verify_layout, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST,
};
use ocireg_testkit::{Auth, FaultProxy, ImageInfo, ImageSpec, Registry, Reply, ScriptedServer};
use serde_json::Value;

/// The digest of the single entry of the layout's `index.json`, and its
/// ref name.
fn index_entry(dir: &Path) -> (String, Option<String>) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{index}");
    let name = entries[0]["annotations"]["org.opencontainers.image.ref.name"]
        .as_str()
        .map(str::to_string);
    (entries[0]["digest"].as_str().unwrap().to_string(), name)
}

#[tokio::test(flavor = "multi_thread")]
async fn three_level_index_pulls_into_a_complete_layout_and_pushes_back_the_same() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let graph = push_nested_graph(&registry, "nested/app", "v1");
    let client = client_for(&registry);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");

    let pulled = ocireg::layout::pull(&client, &r(&format!("{host}/nested/app:v1")), &dir, None)
        .await
        .unwrap();
    assert_eq!(pulled.digest.to_string(), graph.root);
    assert_eq!(pulled.blobs, 5, "two configs, three distinct layers");
    // Three indexes, two images, two configs, three layers: every one
    // there and whole.
    assert_eq!(verify_layout(&dir), graph.digests());
    assert_eq!(
        index_entry(&dir),
        (graph.root.clone(), Some("v1".to_string()))
    );

    // Pulled again: every blob file verifies, nothing is downloaded.
    let again = ocireg::layout::pull(&client, &r(&format!("{host}/nested/app:v1")), &dir, None)
        .await
        .unwrap();
    assert_eq!((again.digest, again.blobs), (pulled.digest, 0));

    // Pushed back to another repository: the same graph, byte for byte.
    let back = r(&format!("{host}/nested/back:v2"));
    let pushed = ocireg::layout::push(&client, &dir, Some("v1"), &back)
        .await
        .unwrap();
    assert_eq!(pushed.to_string(), graph.root);
    let root = get_manifest_bytes(&registry, "nested/back", "v2");
    assert_eq!(sha256(&root), graph.root);
    for digest in &graph.manifests {
        let bytes = get_manifest_bytes(&registry, "nested/back", digest);
        assert_eq!(&sha256(&bytes), digest);
    }

    // Copied within the registry: every blob mounted, every manifest put.
    let copy = r(&format!("{host}/nested/copy:v3"));
    let report = client
        .copy(
            &r(&format!("{host}/nested/app:v1")),
            &copy,
            &CopyOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(report.digest.to_string(), graph.root);
    assert_eq!((report.manifests, report.blobs_mounted), (5, 5));
    assert_eq!((report.blobs_uploaded, report.bytes_uploaded), (0, 0));
    assert_eq!(
        sha256(&get_manifest_bytes(&registry, "nested/copy", "v3")),
        graph.root
    );

    // A manifest of the layout that does not match its name (same size,
    // one digit changed) stops the push before the top is put.
    let level2 = &graph.manifests[3];
    let path = dir.join("blobs/sha256").join(&level2["sha256:".len()..]);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(7).position(|w| w == b"sha256:").unwrap() + 7;
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, bytes).unwrap();
    let broken = r(&format!("{host}/nested/broken:v1"));
    let err = ocireg::layout::push(&client, &dir, Some("v1"), &broken)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(level2.as_str()), "{err}");
    assert_eq!(get_manifest(&registry, "nested/broken", "v1").status, 404);
    assert_eq!(get_manifest(&registry, "nested/broken", level2).status, 404);
}

/// Serves `bytes` at `GET`/`HEAD /v2/<repo>/manifests/<reference>`.
fn serve_manifest(
    server: &ScriptedServer,
    repo: &str,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) {
    let path = format!("/v2/{repo}/manifests/{reference}");
    for method in ["GET", "HEAD"] {
        let reply = Reply::new(200, bytes.to_vec()).header("Content-Type", media_type);
        server.reply(method, &path, reply);
    }
}

fn serve_blob(server: &ScriptedServer, repo: &str, digest: &str, bytes: &[u8]) {
    let path = format!("/v2/{repo}/blobs/{digest}");
    server.reply("GET", &path, Reply::new(200, bytes.to_vec()));
}

/// An image `server` serves: its manifest's bytes and digest, its config's
/// and its layer's digests.
struct ServedImage {
    manifest: Vec<u8>,
    digest: String,
    config: String,
    layer: String,
}

/// Serves an image of a config (sha256) and one layer in `repo`; the
/// layer and the manifest are addressed with `hash`.
fn serve_image(
    server: &ScriptedServer,
    repo: &str,
    seed: u64,
    hash: fn(&[u8]) -> String,
) -> ServedImage {
    let (config_bytes, layer_bytes) = (config(seed), pseudo_random(10_000, seed));
    let (config, layer) = (sha256(&config_bytes), hash(&layer_bytes));
    serve_blob(server, repo, &config, &config_bytes);
    serve_blob(server, repo, &layer, &layer_bytes);
    let manifest = image_manifest(
        descriptor(OCI_CONFIG, &config, &config_bytes),
        vec![descriptor(OCI_LAYER, &layer, &layer_bytes)],
    );
    let digest = hash(&manifest);
    serve_manifest(server, repo, &digest, OCI_MANIFEST, &manifest);
    ServedImage {
        manifest,
        digest,
        config,
        layer,
    }
}

/// The targets of the requests `server` got, by count.
fn request_counts(server: &ScriptedServer) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for request in server.requests() {
        *counts
            .entry(format!("{} {}", request.method, request.target))
            .or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn sha512_children_land_under_blobs_sha512_and_verify() {
    let server = ScriptedServer::start().unwrap();
    let repo = "sha/app";
    let ServedImage {
        manifest: child,
        digest: child_digest,
        config: config_digest,
        layer: layer_digest,
    } = serve_image(&server, repo, 5, sha512);
    let top = index(vec![descriptor(OCI_MANIFEST, &child_digest, &child)]);
    serve_manifest(&server, repo, "v1", OCI_INDEX, &top);
    let top_sha512 = sha512(&top);
    serve_manifest(&server, repo, &top_sha512, OCI_INDEX, &top);
    let client = Client::builder().use_docker_config(false).build().unwrap();
    let tmp = tempfile::tempdir().unwrap();

    // By tag: the top is sha256, its child and the layer sha512.
    let by_tag = tmp.path().join("by-tag");
    let image = r(&format!("{}/{repo}:v1", server.host()));
    let pulled = ocireg::layout::pull(&client, &image, &by_tag, None)
        .await
        .unwrap();
    assert_eq!(pulled.digest.to_string(), sha256(&top));
    assert_eq!(pulled.blobs, 2);
    let mut expected = vec![
        sha256(&top),
        child_digest.clone(),
        config_digest.clone(),
        layer_digest.clone(),
    ];
    expected.sort();
    assert_eq!(verify_layout(&by_tag), expected);
    let child_file = by_tag
        .join("blobs/sha512")
        .join(&child_digest["sha512:".len()..]);
    assert_eq!(std::fs::read(child_file).unwrap(), child);

    // By a sha512 digest: the top is addressed (and written, and named in
    // index.json) by sha512 too.
    let by_digest = tmp.path().join("by-digest");
    let image = r(&format!("{}/{repo}@{top_sha512}", server.host()));
    let pulled = ocireg::layout::pull(&client, &image, &by_digest, None)
        .await
        .unwrap();
    assert_eq!(pulled.digest.to_string(), top_sha512);
    let mut expected = vec![
        top_sha512.clone(),
        child_digest,
        config_digest,
        layer_digest,
    ];
    expected.sort();
    assert_eq!(verify_layout(&by_digest), expected);
    assert_eq!(index_entry(&by_digest), (top_sha512, None));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_listed_3000_times_is_fetched_once() {
    let server = ScriptedServer::start().unwrap();
    let repo = "many/app";
    let ServedImage {
        manifest: child,
        digest: child_digest,
        config: config_digest,
        layer: layer_digest,
    } = serve_image(&server, repo, 6, sha256);
    let entry = descriptor(OCI_MANIFEST, &child_digest, &child);
    let top = index(vec![entry; 3_000]);
    serve_manifest(&server, repo, "v1", OCI_INDEX, &top);
    let client = Client::builder().use_docker_config(false).build().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");

    let image = r(&format!("{}/{repo}:v1", server.host()));
    let pulled = ocireg::layout::pull(&client, &image, &dir, None)
        .await
        .unwrap();
    assert_eq!(pulled.digest.to_string(), sha256(&top));
    assert_eq!(verify_layout(&dir).len(), 4);
    let counts = request_counts(&server);
    let expected: BTreeMap<String, usize> = [
        format!("GET /v2/{repo}/manifests/v1"),
        format!("GET /v2/{repo}/manifests/{child_digest}"),
        format!("GET /v2/{repo}/blobs/{config_digest}"),
        format!("GET /v2/{repo}/blobs/{layer_digest}"),
    ]
    .into_iter()
    .map(|target| (target, 1))
    .collect();
    assert_eq!(counts, expected);
}

/// A client whose Docker Hub mirrors are `mirrors`, in order.
fn mirrored_client(mirrors: &[String]) -> Client {
    let mut builder = Client::builder().use_docker_config(false);
    for mirror in mirrors {
        builder = builder.mirror(mirror.parse().unwrap());
    }
    builder.build().unwrap()
}

/// Puts a two-platform image at `library/hello:<tag>` of `mirror`, as a
/// mirror of Docker Hub holds `hello:<tag>`.
fn seed_hub_image(mirror: &Registry, dir: &Path, seed: u64, tag: &str) -> ImageInfo {
    let spec = ImageSpec::multi_platform(seed).tag(tag);
    seed_with_skopeo(mirror, dir, &spec, &format!("library/hello:{tag}"), &[])
}

/// Pulls `hello` into a layout and copies it to `target` (as
/// `copied/hello:<tag>`); checks that both are the whole image.
async fn pull_and_copy(client: &Client, hello: &Reference, image: &ImageInfo, target: &Registry) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    let pulled = ocireg::layout::pull(client, hello, &dir, None)
        .await
        .unwrap();
    assert_eq!(pulled.digest.to_string(), image.root.digest);
    // The index, two images, two configs and four layers.
    assert_eq!(verify_layout(&dir).len(), 9);

    let copy = r(&format!("{}/copied/hello:{}", target.host(), image.tag));
    let report = client
        .copy(hello, &copy, &CopyOptions::default())
        .await
        .unwrap();
    assert_eq!(report.digest.to_string(), image.root.digest);
    assert_eq!((report.manifests, report.blobs_uploaded), (3, 6));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_serves_whole_pulls_and_copies_of_docker_hub_images() {
    let mirror = Registry::start(Auth::None).unwrap();
    let target = Registry::start(Auth::None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_hub_image(&mirror, tmp.path(), 31, "1.0");
    // Docker Hub cannot be resolved here: any request sent there fails
    // the pull or copy at once.
    let client = mirrored_client(&[mirror.url()]);
    pull_and_copy(&client, &r("docker.io/library/hello:1.0"), &image, &target).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_mirror_without_the_image_the_next_one_serves_every_blob() {
    let empty = Registry::start(Auth::None).unwrap();
    let logged = FaultProxy::start(&empty.host()).unwrap();
    let mirror = Registry::start(Auth::None).unwrap();
    let target = Registry::start(Auth::None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let image = seed_hub_image(&mirror, tmp.path(), 32, "2.0");
    let client = mirrored_client(&[logged.url(), mirror.url()]);
    let hello = r("hello:2.0");
    pull_and_copy(&client, &hello, &image, &target).await;

    // The first mirror was asked for the top manifest only, once per
    // pull; the child manifests and every blob came from the second.
    let asked: Vec<String> = logged
        .requests()
        .iter()
        .map(|q| format!("{} {}", q.method, q.target))
        .collect();
    assert_eq!(asked, ["GET /v2/library/hello/manifests/2.0"; 2]);

    // A blob pulled on its own tries the mirrors in order, then upstream.
    let config = &image.manifests[0].config;
    let digest = config.digest.parse().unwrap();
    let mut bytes = Vec::new();
    client
        .pull_blob(&hello, &digest, Some(config.size), &mut bytes)
        .await
        .unwrap();
    assert_eq!(sha256(&bytes), config.digest);
    let file = tmp.path().join("config.json");
    client
        .pull_blob_to_file(&hello, &digest, Some(config.size), &file)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
    let blob_requests = logged
        .requests()
        .iter()
        .filter(|q| q.target == format!("/v2/library/hello/blobs/{}", config.digest))
        .count();
    assert_eq!(blob_requests, 2, "each pull asked the first mirror first");
}
