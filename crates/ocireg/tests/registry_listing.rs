//! Catalog and tag pagination, deletes, referrers and summaries against
//! the real registry (Debian's docker-registry, distribution 2.8.2).

mod common;

use std::collections::HashSet;

use bytes::Bytes;
use common::{client_for, push_tiny_image, r, tiny_config, tiny_manifest};
use futures_util::{StreamExt, TryStreamExt};
use ocireg::ocireg_core::documents::ErrorCode;
use ocireg::ocireg_core::manifest::{media_type, Descriptor, ImageIndex, ImageManifest, Manifest};
use ocireg::{Client, PushOutcome, RawManifest};
use ocireg_testkit::{Auth, FaultProxy, Options, Registry};

/// Repositories created for the catalog test: more than the 1,000 a page
/// may hold on registry 2.8.2.
const REPOSITORIES: usize = 1050;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn catalog_pages_through_more_than_1000_repositories() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);

    // One config blob, pushed once and mounted everywhere else.
    let names: Vec<String> = (0..REPOSITORIES).map(|i| format!("repo-{i:04}")).collect();
    let config = tiny_config(1);
    let manifest = tiny_manifest(&config);
    let first = r(&format!("{host}/{}:v1", names[0]));
    let config_digest = client
        .push_blob_bytes(&first, Bytes::from(config))
        .await
        .unwrap();
    client.put_manifest(&first, &manifest).await.unwrap();
    futures_util::stream::iter(&names[1..])
        .map(|name| {
            let (client, manifest, first) = (&client, &manifest, &first);
            let repo = r(&format!("{host}/{name}:v1"));
            async move {
                let mounted = client.mount_blob(&repo, &config_digest, first).await?;
                assert_eq!(mounted, PushOutcome::Mounted, "{name}");
                client.put_manifest(&repo, manifest).await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();

    // Every name, in the registry's (lexical) order, over two pages of
    // 1,000.
    let all = client.catalog(&host).await.unwrap();
    assert_eq!(all.len(), REPOSITORIES);
    assert_eq!(all, names);

    // Pages of 100: the first points at the next, which goes on from there.
    let page = client.catalog_page(&host, Some(100), None).await.unwrap();
    assert_eq!(page.items, names[..100]);
    let next = page.next.expect("a next page after 100 of 1050");
    assert!(next.as_str().contains("_catalog"), "{next}");
    let page2 = client
        .catalog_page(&host, Some(100), Some(&next))
        .await
        .unwrap();
    assert_eq!(page2.items, names[100..200]);
    assert!(page2.next.is_some());

    // The stream yields every name exactly once, in order.
    let streamed: Vec<String> = client
        .catalog_stream(&host, 300)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed, names);
    assert_eq!(streamed.iter().collect::<HashSet<_>>().len(), REPOSITORIES);

    // `catalog` asks for 1,000 per page: two requests for 1,050 names
    // (seen through a proxy that records what passes).
    let proxy = FaultProxy::start(&registry.url()).unwrap();
    let via_proxy = Client::builder().use_docker_config(false).build().unwrap();
    assert_eq!(via_proxy.catalog(&proxy.host()).await.unwrap(), names);
    let catalog_requests: Vec<String> = proxy
        .requests()
        .into_iter()
        .filter(|q| q.target.contains("/_catalog"))
        .map(|q| q.target)
        .collect();
    assert_eq!(catalog_requests.len(), 2, "{catalog_requests:?}");
    assert!(
        catalog_requests.iter().all(|t| t.contains("n=1000")),
        "{catalog_requests:?}"
    );
    drop(proxy);
    discard_storage_in_background(registry);
}

/// Tags for the page-size test: more than 2, not in lexical order.
const TAGS: [&str; 9] = ["b", "c", "e", "a", "d", "v1.10", "v1.9", "latest", "0"];

/// The same items, each once, in any order.
fn assert_each_once(got: &[String], want: &[String], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?}");
    let got: HashSet<&String> = got.iter().collect();
    let want: HashSet<&String> = want.iter().collect();
    assert_eq!(got, want, "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tag_and_repository_once_whatever_the_page_size() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);

    let app = r(&format!("{host}/list/app:{}", TAGS[0]));
    let manifest = push_tiny_image(&client, &app, 5).await;
    for tag in &TAGS[1..] {
        let tagged = r(&format!("{host}/list/app:{tag}"));
        client.put_manifest(&tagged, &manifest).await.unwrap();
    }
    let mut repos = vec!["list/app".to_string()];
    for i in 0..4 {
        let name = format!("list/other-{i}");
        push_tiny_image(&client, &r(&format!("{host}/{name}:v1")), 10 + i).await;
        repos.push(name);
    }
    let tags: Vec<String> = TAGS.iter().map(|t| t.to_string()).collect();

    // Registry 2.8.2 ignores n on tag lists: one page of every tag.
    let page = client.tags_page(&app, Some(2), None).await.unwrap();
    assert_each_once(&page.items.to_vec(), &tags, "one page of n=2");
    assert_eq!(page.next, None);

    assert_each_once(&client.tags(&app).await.unwrap(), &tags, "tags");
    assert_each_once(&client.catalog(&host).await.unwrap(), &repos, "catalog");
    // 9 is the page size that equals the number of tags: the last= fallback
    // asks again, gets the same tags, and stops.
    for n in [1, 2, 1000, TAGS.len() as u32] {
        let streamed: Vec<String> = client.tags_stream(&app, n).try_collect().await.unwrap();
        assert_each_once(&streamed, &tags, &format!("tags_stream n={n}"));
        let streamed: Vec<String> = client.catalog_stream(&host, n).try_collect().await.unwrap();
        assert_each_once(&streamed, &repos, &format!("catalog_stream n={n}"));
    }
}

/// Stops `registry`, leaving the removal of its storage (about 19,000
/// files for the catalog test, which take most of a minute to unlink on a
/// disk mounted with `discard`) to a detached `rm` instead of the test.
fn discard_storage_in_background(registry: Registry) {
    let storage = registry.storage_dir();
    let trash = std::env::temp_dir().join(format!(
        "ocireg-test-catalog-trash-{}-{}",
        std::process::id(),
        registry.port()
    ));
    if std::fs::rename(&storage, &trash).is_ok() {
        let _ = std::process::Command::new("rm")
            .arg("-rf")
            .arg(&trash)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
    drop(registry);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_removes_manifests_and_blobs_with_202() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let image = r(&format!("{host}/del/app:v1"));
    let manifest = push_tiny_image(&client, &image, 2).await;
    let config = manifest.manifest().config().unwrap().digest;
    client
        .put_manifest(&r(&format!("{host}/del/app:v2")), &manifest)
        .await
        .unwrap();

    // The registry itself answers a DELETE by digest with 202.
    let other = client
        .push_blob_bytes(&image, Bytes::from_static(b"another blob"))
        .await
        .unwrap();
    let raw = ocireg_testkit::http::request(
        "DELETE",
        &format!("{}/v2/del/app/blobs/{other}", registry.url()),
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(raw.status, 202, "{}", raw.text());

    // Deleting by tag resolves the digest and removes every tag on it.
    let deleted = client.delete_manifest(&image).await.unwrap();
    assert_eq!(deleted, manifest.digest());
    for tag in ["v1", "v2"] {
        let err = client
            .get_manifest(&r(&format!("{host}/del/app:{tag}")))
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{tag}: {err}");
    }
    assert!(client.tags(&image).await.unwrap().is_empty());

    client.delete_blob(&image, &config).await.unwrap();
    assert_eq!(client.head_blob(&image, &config).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_on_a_registry_with_deletes_disabled_is_405_unsupported() {
    let options = Options {
        delete_enabled: false,
        ..Options::default()
    };
    let registry = Registry::start_with(Auth::None, options).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let image = r(&format!("{host}/nodel/app:v1"));
    let manifest = push_tiny_image(&client, &image, 3).await;

    let err = client.delete_manifest(&image).await.unwrap_err();
    assert_eq!(err.status(), Some(405), "{err}");
    match &err {
        ocireg::Error::Registry(ocireg::ocireg_core::Error::Registry { errors, .. }) => {
            assert!(errors.has_code(&ErrorCode::Unsupported), "{err}")
        }
        other => panic!("not a registry error: {other:?}"),
    }
    assert!(err.to_string().contains("UNSUPPORTED"), "{err}");

    let config = manifest.manifest().config().unwrap().digest;
    let err = client.delete_blob(&image, &config).await.unwrap_err();
    assert_eq!(err.status(), Some(405), "{err}");
    assert!(err.to_string().contains("UNSUPPORTED"), "{err}");

    // Nothing was deleted.
    assert_eq!(
        client.get_manifest(&image).await.unwrap().manifest.digest(),
        manifest.digest()
    );
    assert!(client.head_blob(&image, &config).await.unwrap().is_some());
}

const SBOM: &str = "application/vnd.example.sbom.v1";
const SIGNATURE: &str = "application/vnd.example.signature.v1";

/// Pushes an artifact manifest of `artifact_type` whose subject is
/// `subject`; returns it.
async fn push_artifact(
    client: &Client,
    repo: &ocireg::Reference,
    artifact_type: &str,
    payload: &'static [u8],
    subject: &RawManifest,
) -> RawManifest {
    // The empty config of artifacts, and one layer with the payload.
    let empty = client
        .push_blob_bytes(repo, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    let layer = client
        .push_blob_bytes(repo, Bytes::from_static(payload))
        .await
        .unwrap();
    let mut m = ImageManifest::new(
        media_type::OCI_MANIFEST,
        Descriptor::new(media_type::OCI_EMPTY, empty, 2),
        vec![Descriptor::new(
            "application/octet-stream",
            layer,
            payload.len() as u64,
        )],
    );
    m.artifact_type = Some(artifact_type.to_string());
    m.subject = Some(subject.descriptor());
    let raw = RawManifest::encode(&Manifest::Image(m)).unwrap();
    let at = repo.without_tag_or_digest().with_digest(raw.digest());
    client.put_manifest(&at, &raw).await.unwrap();
    raw
}

#[tokio::test(flavor = "multi_thread")]
async fn referrers_fall_back_to_the_tag_schema_on_registry_2_8() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let image = r(&format!("{host}/refs/app:v1"));
    let subject = push_tiny_image(&client, &image, 4).await;

    // Before any referrer: an empty list, not an error.
    let none = client.referrers(&image, None).await.unwrap();
    assert!(none.manifests.is_empty(), "{none:?}");

    let sbom = push_artifact(&client, &image, SBOM, b"sbom payload", &subject).await;
    let sig = push_artifact(&client, &image, SIGNATURE, b"signature payload", &subject).await;

    // 2.8.2 has no referrers API: a client pushing referrers maintains
    // the index under the tag `sha256-<hex of the subject>` itself.
    let entry = |raw: &RawManifest, t: &str| {
        let mut d = raw.descriptor();
        d.artifact_type = Some(t.to_string());
        d
    };
    let fallback = ImageIndex::new(
        media_type::OCI_INDEX,
        vec![entry(&sbom, SBOM), entry(&sig, SIGNATURE)],
    );
    let fallback = RawManifest::encode(&Manifest::Index(fallback)).unwrap();
    let tag = format!("sha256-{}", subject.digest().hex());
    client
        .put_manifest(&r(&format!("{host}/refs/app:{tag}")), &fallback)
        .await
        .unwrap();

    // By tag (resolved to the subject's digest) and by digest.
    let by_digest = image.without_tag_or_digest().with_digest(subject.digest());
    for subject_ref in [&image, &by_digest] {
        let all = client.referrers(subject_ref, None).await.unwrap();
        let digests: Vec<_> = all.manifests.iter().map(|m| m.digest).collect();
        assert_eq!(digests, [sbom.digest(), sig.digest()]);
    }
    let only_sboms = client.referrers(&by_digest, Some(SBOM)).await.unwrap();
    assert_eq!(only_sboms.manifests.len(), 1, "{only_sboms:?}");
    assert_eq!(only_sboms.manifests[0].digest, sbom.digest());
    assert_eq!(only_sboms.manifests[0].artifact_type.as_deref(), Some(SBOM));
    let nothing = client
        .referrers(&by_digest, Some("application/vnd.example.none"))
        .await
        .unwrap();
    assert!(nothing.manifests.is_empty(), "{nothing:?}");

    // The artifact itself reads back with its subject and type.
    let back = client
        .get_manifest(&image.without_tag_or_digest().with_digest(sbom.digest()))
        .await
        .unwrap()
        .manifest;
    assert_eq!(back.manifest().subject(), Some(&subject.descriptor()));
    assert_eq!(back.manifest().artifact_type(), Some(SBOM));
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_fetches_each_child_and_config_once() {
    let registry = Registry::start(Auth::None).unwrap();
    let host = registry.host();
    let client = client_for(&registry);
    let repo = r(&format!("{host}/sum/app"));

    // Two images, and an index listing the first one twice.
    let mut children = Vec::new();
    for arch in ["amd64", "arm64"] {
        let config = format!(
            r#"{{"architecture":"{arch}","os":"linux","created":"2024-0{}-01T00:00:00Z"}}"#,
            children.len() + 1
        );
        client
            .push_blob_bytes(&repo, Bytes::from(config.clone()))
            .await
            .unwrap();
        let image = tiny_manifest(config.as_bytes());
        let at = repo.with_digest(image.digest());
        client.put_manifest(&at, &image).await.unwrap();
        children.push(image);
    }
    let entry = |image: &RawManifest, platform: &str| {
        let mut d = image.descriptor();
        d.platform = Some(platform.parse().unwrap());
        d
    };
    let index = ImageIndex::new(
        media_type::OCI_INDEX,
        vec![
            entry(&children[0], "linux/amd64"),
            entry(&children[1], "linux/arm64/v8"),
            entry(&children[0], "linux/amd64/v2"),
        ],
    );
    let index = RawManifest::encode(&Manifest::Index(index)).unwrap();
    client
        .put_manifest(&r(&format!("{host}/sum/app:multi")), &index)
        .await
        .unwrap();

    // Through a proxy that records the requests.
    let proxy = FaultProxy::start(&registry.url()).unwrap();
    let via_proxy = Client::builder().use_docker_config(false).build().unwrap();
    let tagged = r(&format!("{}/sum/app:multi", proxy.host()));
    let s = via_proxy.summary(&tagged).await.unwrap();
    let platforms: Vec<_> = s.platforms.iter().map(|p| p.platform.as_deref()).collect();
    assert_eq!(
        platforms,
        [
            Some("linux/amd64"),
            Some("linux/arm64/v8"),
            Some("linux/amd64/v2")
        ]
    );
    assert_eq!(s.digest, index.digest().to_string());
    assert_eq!(s.created.as_deref(), Some("2024-02-01T00:00:00Z"));
    let mut targets: Vec<String> = proxy.requests().into_iter().map(|q| q.target).collect();
    targets.sort();
    let config = |image: &RawManifest| image.manifest().config().unwrap().digest;
    let mut want = vec![
        "/v2/sum/app/manifests/multi".to_string(),
        format!("/v2/sum/app/manifests/{}", children[0].digest()),
        format!("/v2/sum/app/manifests/{}", children[1].digest()),
        format!("/v2/sum/app/blobs/{}", config(&children[0])),
        format!("/v2/sum/app/blobs/{}", config(&children[1])),
    ];
    want.sort();
    assert_eq!(targets, want);
}
