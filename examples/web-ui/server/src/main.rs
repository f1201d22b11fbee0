//! `ocireg-web-ui-server`: the registries the web UI example runs against.
//!
//! Starts Debian's `docker-registry` (distribution 2.8.2) behind an nginx
//! CORS proxy (both from `ocireg-testkit`), seeds it with a few demo images
//! (single-platform, multi-platform, Docker schema 2, tags sharing a digest,
//! referrers) and, on request, thousands of small repositories; prints one
//! line of JSON with the URLs, and stays up until killed (SIGINT/SIGTERM, or
//! stdin closing with `--exit-on-stdin-eof`). Everything is removed on exit.
//!
//! ```text
//! ocireg-web-ui-server [--setups main,basic,token,empty,readonly]
//!                      [--fillers N] [--port P] [--exit-on-stdin-eof]
//! ```
//!
//! - `main`: no auth, delete enabled, the demo images and `--fillers`
//!   repositories; its proxy listens on `--port` when given.
//! - `basic`: htpasswd basic auth (`demo` / `demo-password`).
//! - `token`: bearer tokens from the testkit token server behind the same
//!   proxy (`testuser` / `testpassword`).
//! - `empty`: no repositories at all.
//! - `readonly`: like `main`'s demo images, but `storage.delete.enabled: false`.
//!
//! Every setup reports `url` (the CORS proxy: what a browser uses) and
//! `registry` (the registry itself, without CORS headers: what a browser
//! cannot use, handy to see the UI's CORS diagnosis).

use std::io::{self, Write};
use std::time::Instant;

use bytes::Bytes;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use ocireg::{Client, Credentials, Digest, RawManifest, Reference};
use ocireg_testkit::{Auth, CorsOptions, CorsProxy, Options, Registry, TokenPolicy};
use serde_json::{json, Value};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

const BASIC_USER: &str = "demo";
const BASIC_PASSWORD: &str = "demo-password";

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    setups: Vec<String>,
    fillers: usize,
    port: Option<u16>,
    exit_on_stdin_eof: bool,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = Args {
        setups: vec!["main".into()],
        fillers: 0,
        port: None,
        exit_on_stdin_eof: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--setups" => {
                args.setups = value("--setups")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                for s in &args.setups {
                    if !["main", "basic", "token", "empty", "readonly"].contains(&s.as_str()) {
                        return Err(format!("unknown setup {s:?}").into());
                    }
                }
            }
            "--fillers" => args.fillers = value("--fillers")?.parse()?,
            "--port" => args.port = Some(value("--port")?.parse()?),
            "--exit-on-stdin-eof" => args.exit_on_stdin_eof = true,
            "-h" | "--help" => {
                println!(
                    "ocireg-web-ui-server [--setups main,basic,token,empty,readonly] \
                     [--fillers N] [--port P] [--exit-on-stdin-eof]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)").into()),
        }
    }
    Ok(args)
}

/// A registry, its proxy, and a native client that can push to it.
struct Setup {
    name: String,
    registry: Registry,
    proxy: CorsProxy,
    client: Client,
    auth: &'static str,
    delete_enabled: bool,
}

impl Setup {
    fn start(name: &str, port: Option<u16>) -> Result<Setup, Error> {
        let (auth, label) = match name {
            "basic" => (Auth::htpasswd(BASIC_USER, BASIC_PASSWORD), "basic"),
            "token" => (Auth::Token(TokenPolicy::default()), "token"),
            _ => (Auth::None, "none"),
        };
        let delete_enabled = name != "readonly";
        let options = Options {
            delete_enabled,
            ..Options::default()
        };
        let cors = CorsOptions {
            port,
            ..CorsOptions::default()
        };
        let (registry, proxy) = CorsProxy::start_with_registry(auth, options, cors)?;
        let mut builder = Client::builder().insecure_registry(&registry.host());
        if let (Some(user), Some(password)) = (registry.user(), registry.password()) {
            builder = builder.credentials(&registry.host(), Credentials::basic(user, password));
        }
        Ok(Setup {
            name: name.into(),
            client: builder.build()?,
            registry,
            proxy,
            auth: label,
            delete_enabled,
        })
    }

    /// `host/repository:tag`, or `host/repository@digest` when `tag` is a digest.
    fn reference(&self, repository: &str, tag: &str) -> Result<Reference, Error> {
        let sep = if tag.contains(':') { '@' } else { ':' };
        let text = format!("{}/{repository}{sep}{tag}", self.registry.host());
        text.parse().map_err(|e| format!("{text}: {e}").into())
    }

    fn describe(&self) -> Value {
        let mut v = json!({
            "url": self.proxy.url(),
            "registry": self.registry.url(),
            "auth": self.auth,
            "deleteEnabled": self.delete_enabled,
        });
        if let (Some(user), Some(password)) = (self.registry.user(), self.registry.password()) {
            v["username"] = json!(user);
            v["password"] = json!(password);
        }
        v
    }
}

// ---------------------------------------------------------------------------
// Images

/// A blob to push: bytes and media type.
#[derive(Clone)]
struct Blob {
    bytes: Bytes,
    media_type: &'static str,
}

impl Blob {
    fn new(bytes: impl Into<Bytes>, media_type: &'static str) -> Blob {
        Blob {
            bytes: bytes.into(),
            media_type,
        }
    }

    fn digest(&self) -> Digest {
        Digest::sha256(&self.bytes)
    }

    fn descriptor(&self) -> Value {
        json!({
            "mediaType": self.media_type,
            "digest": self.digest().to_string(),
            "size": self.bytes.len(),
        })
    }
}

/// What one image looks like.
struct ImageSpec<'a> {
    seed: u64,
    created: &'a str,
    os: &'a str,
    architecture: &'a str,
    variant: Option<&'a str>,
    /// Random bytes per layer (the compressed layer is a little larger).
    layer_sizes: &'a [usize],
    docker: bool,
    labels: &'a [(&'a str, &'a str)],
    entrypoint: Option<&'a [&'a str]>,
    cmd: &'a [&'a str],
    env: &'a [&'a str],
}

impl<'a> ImageSpec<'a> {
    fn new(seed: u64, created: &'a str) -> ImageSpec<'a> {
        ImageSpec {
            seed,
            created,
            os: "linux",
            architecture: "amd64",
            variant: None,
            layer_sizes: &[6_000, 20_000],
            docker: false,
            labels: &[],
            entrypoint: None,
            cmd: &["/bin/sh"],
            env: &["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        }
    }
}

/// An image manifest with its config and layers.
struct Image {
    blobs: Vec<Blob>,
    manifest: Blob,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A gzip'd tar with one file of `size` pseudo-random bytes; returns the
/// compressed blob and the uncompressed tar's digest (its diff ID).
fn layer(
    seed: u64,
    index: usize,
    size: usize,
    media_type: &'static str,
) -> io::Result<(Blob, String)> {
    let mut state = seed ^ ((index as u64) << 40);
    let mut data = vec![0u8; size];
    for chunk in data.chunks_mut(8) {
        let n = chunk.len();
        chunk.copy_from_slice(&splitmix(&mut state).to_le_bytes()[..n]);
    }
    let mut header = tar::Header::new_ustar();
    header.set_path(format!("opt/demo/layer{index}.bin"))?;
    header.set_size(size as u64);
    header.set_mode(0o644);
    header.set_mtime(1_704_067_200);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, &data[..])?;
    let tar = builder.into_inner()?;
    let diff_id = Digest::sha256(&tar).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar)?;
    Ok((Blob::new(gz.finish()?, media_type), diff_id))
}

fn image(spec: &ImageSpec) -> Result<Image, Error> {
    let layer_type = if spec.docker { DOCKER_LAYER } else { OCI_LAYER };
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    for (i, size) in spec.layer_sizes.iter().enumerate() {
        let (blob, diff_id) = layer(spec.seed, i, *size, layer_type)?;
        layers.push(blob);
        diff_ids.push(diff_id);
    }
    let labels: serde_json::Map<String, Value> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let mut history = vec![json!({
        "created": spec.created,
        "created_by": "/bin/sh -c #(nop) ADD file:rootfs.tar in / ",
    })];
    history.push(json!({
        "created": spec.created,
        "created_by": "/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/usr/bin:/bin",
        "empty_layer": true,
    }));
    for i in 1..layers.len() {
        history.push(json!({
            "created": spec.created,
            "created_by": format!("COPY build/layer{i} /opt/demo/ # buildkit"),
            "comment": "buildkit.dockerfile.v0",
        }));
    }
    let mut container = json!({
        "Env": spec.env,
        "Cmd": spec.cmd,
        "WorkingDir": "/opt/demo",
        "Labels": labels,
    });
    if let Some(entrypoint) = spec.entrypoint {
        container["Entrypoint"] = json!(entrypoint);
        container["ExposedPorts"] = json!({"8080/tcp": {}});
        container["User"] = json!("1000:1000");
    }
    let mut config = json!({
        "created": spec.created,
        "author": "ocireg web UI example",
        "architecture": spec.architecture,
        "os": spec.os,
        "config": container,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    });
    if let Some(variant) = spec.variant {
        config["variant"] = json!(variant);
    }
    let config = Blob::new(
        serde_json::to_vec(&config)?,
        if spec.docker {
            DOCKER_CONFIG
        } else {
            OCI_CONFIG
        },
    );
    let media_type = if spec.docker {
        DOCKER_MANIFEST
    } else {
        OCI_MANIFEST
    };
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": config.descriptor(),
        "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
    });
    let manifest = Blob::new(serde_json::to_vec(&manifest)?, media_type);
    let mut blobs = vec![config];
    blobs.extend(layers);
    Ok(Image { blobs, manifest })
}

async fn push_blobs(setup: &Setup, repository: &str, blobs: &[Blob]) -> Result<(), Error> {
    let at = setup.reference(repository, "latest")?;
    for blob in blobs {
        setup
            .client
            .push_blob_bytes(&at, blob.bytes.clone())
            .await?;
    }
    Ok(())
}

async fn put(setup: &Setup, repository: &str, tag: &str, manifest: &Blob) -> Result<Digest, Error> {
    let raw = RawManifest::from_bytes(manifest.bytes.to_vec(), Some(manifest.media_type))?;
    setup
        .client
        .put_manifest(&setup.reference(repository, tag)?, &raw)
        .await?;
    Ok(raw.digest())
}

/// Pushes an image and tags it with every tag of `tags`.
async fn push_image(
    setup: &Setup,
    repository: &str,
    tags: &[&str],
    spec: &ImageSpec<'_>,
) -> Result<Blob, Error> {
    let image = image(spec)?;
    push_blobs(setup, repository, &image.blobs).await?;
    for tag in tags {
        put(setup, repository, tag, &image.manifest).await?;
    }
    Ok(image.manifest)
}

/// Pushes an index of the images of `specs` under every tag of `tags`.
async fn push_index(
    setup: &Setup,
    repository: &str,
    tags: &[&str],
    specs: &[ImageSpec<'_>],
) -> Result<Blob, Error> {
    let mut entries = Vec::new();
    for spec in specs {
        let image = image(spec)?;
        push_blobs(setup, repository, &image.blobs).await?;
        let digest = image.manifest.digest().to_string();
        put(setup, repository, &digest, &image.manifest).await?;
        let mut platform = json!({"os": spec.os, "architecture": spec.architecture});
        if let Some(variant) = spec.variant {
            platform["variant"] = json!(variant);
        }
        let mut entry = image.manifest.descriptor();
        entry["platform"] = platform;
        entries.push(entry);
    }
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    let index = Blob::new(serde_json::to_vec(&index)?, OCI_INDEX);
    for tag in tags {
        put(setup, repository, tag, &index).await?;
    }
    Ok(index)
}

/// Attaches artifacts (`(artifactType, content)`) to `subject`, and
/// publishes the referrers tag-schema index (`sha256-<hex>`): registry
/// 2.8.2 has no referrers API, so clients fall back to that tag.
async fn attach_referrers(
    setup: &Setup,
    repository: &str,
    subject: &Blob,
    artifacts: &[(&str, &str, &str)],
) -> Result<(), Error> {
    let empty = Blob::new(&b"{}"[..], OCI_EMPTY);
    let mut entries = Vec::new();
    for (artifact_type, content, title) in artifacts {
        let payload = Blob::new(content.as_bytes().to_vec(), "application/octet-stream");
        let mut payload_descriptor = payload.descriptor();
        payload_descriptor["mediaType"] = json!(artifact_type);
        payload_descriptor["annotations"] = json!({"org.opencontainers.image.title": title});
        push_blobs(setup, repository, &[empty.clone(), payload]).await?;
        let annotations = json!({"org.opencontainers.image.created": "2024-10-01T12:00:00Z"});
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": empty.descriptor(),
            "layers": [payload_descriptor],
            "subject": subject.descriptor(),
            "annotations": annotations,
        });
        let manifest = Blob::new(serde_json::to_vec(&manifest)?, OCI_MANIFEST);
        let digest = put(setup, repository, &manifest.digest().to_string(), &manifest).await?;
        entries.push(json!({
            "mediaType": OCI_MANIFEST,
            "digest": digest.to_string(),
            "size": manifest.bytes.len(),
            "artifactType": artifact_type,
            "annotations": annotations,
        }));
    }
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    let index = Blob::new(serde_json::to_vec(&index)?, OCI_INDEX);
    let tag = subject.digest().to_string().replace(':', "-");
    put(setup, repository, &tag, &index).await?;
    Ok(())
}

const LABELS: &[(&str, &str)] = &[
    ("org.opencontainers.image.title", "hello"),
    (
        "org.opencontainers.image.description",
        "A tiny demo service for the ocireg web UI",
    ),
    (
        "org.opencontainers.image.source",
        "https://github.com/ocireg/ocireg",
    ),
    ("org.opencontainers.image.licenses", "MIT OR Apache-2.0"),
];

/// The demo images every seeded setup gets. Returns the repositories made.
async fn seed_demo(setup: &Setup, full: bool) -> Result<usize, Error> {
    let hello = "demo/hello";
    // v1 and v1.1 share a digest (deleting one deletes both).
    push_image(
        setup,
        hello,
        &["v1", "v1.1"],
        &ImageSpec {
            labels: LABELS,
            ..ImageSpec::new(1, "2024-03-01T09:00:00Z")
        },
    )
    .await?;
    // v2 and latest share a digest; v2 has an SBOM.
    let v2 = push_image(
        setup,
        hello,
        &["v2", "latest"],
        &ImageSpec {
            labels: LABELS,
            layer_sizes: &[6_000, 20_000, 48_000],
            entrypoint: Some(&["/opt/demo/hello"]),
            cmd: &["--listen", ":8080"],
            ..ImageSpec::new(2, "2024-06-15T14:30:00Z")
        },
    )
    .await?;
    attach_referrers(
        setup,
        hello,
        &v2,
        &[(
            "application/spdx+json",
            r#"{"spdxVersion":"SPDX-2.3","name":"demo/hello:v2","packages":[]}"#,
            "sbom.spdx.json",
        )],
    )
    .await?;
    if !full {
        return Ok(1);
    }
    // A multi-platform index with a signature and an SBOM.
    let env: &[&str] = &[
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HELLO_GREETING=hello from ocireg",
        "HELLO_PORT=8080",
    ];
    let platform = |seed, architecture, variant| ImageSpec {
        architecture,
        variant,
        labels: LABELS,
        env,
        entrypoint: Some(&["/opt/demo/hello"]),
        cmd: &["--listen", ":8080"],
        layer_sizes: &[6_000, 20_000, 96_000],
        ..ImageSpec::new(seed, "2024-09-10T08:15:00Z")
    };
    let multi = push_index(
        setup,
        hello,
        &["multi", "3.0"],
        &[
            platform(30, "amd64", None),
            platform(31, "arm64", Some("v8")),
            platform(32, "arm", Some("v7")),
        ],
    )
    .await?;
    attach_referrers(
        setup,
        hello,
        &multi,
        &[
            (
                "application/vnd.dev.cosign.artifact.sig.v1+json",
                r#"{"critical":{"identity":{"docker-reference":"demo/hello"}}}"#,
                "signature.json",
            ),
            (
                "application/spdx+json",
                r#"{"spdxVersion":"SPDX-2.3","name":"demo/hello:multi","packages":[]}"#,
                "sbom.spdx.json",
            ),
        ],
    )
    .await?;
    // A Docker schema 2 image.
    push_image(
        setup,
        "demo/legacy",
        &["1.0"],
        &ImageSpec {
            docker: true,
            ..ImageSpec::new(40, "2019-11-05T10:00:00Z")
        },
    )
    .await?;
    // Names and dates in different orders, for sorting.
    for (i, (tag, created)) in [
        ("1.0.0", "2024-01-10T10:00:00Z"),
        ("1.1.0", "2024-05-02T10:00:00Z"),
        ("1.2.0", "2024-02-20T10:00:00Z"),
        ("2.0.0-rc1", "2024-11-30T10:00:00Z"),
        ("edge", "2024-12-24T10:00:00Z"),
    ]
    .into_iter()
    .enumerate()
    {
        push_image(
            setup,
            "team/api",
            &[tag],
            &ImageSpec {
                layer_sizes: &[6_000, 10_000 * (i + 1)],
                ..ImageSpec::new(100 + i as u64, created)
            },
        )
        .await?;
    }
    push_image(
        setup,
        "team/web",
        &["stable"],
        &ImageSpec::new(120, "2023-08-08T08:08:08Z"),
    )
    .await?;
    // A repository whose only manifest was deleted: `"tags": null`.
    let retired = push_image(
        setup,
        "team/retired",
        &["old"],
        &ImageSpec::new(130, "2022-01-01T00:00:00Z"),
    )
    .await?;
    if setup.delete_enabled {
        setup
            .client
            .delete_manifest(
                &setup
                    .reference("team/retired", "old")?
                    .with_digest(retired.digest()),
            )
            .await?;
    }
    Ok(5)
}

const GROUPS: &[&str] = &[
    "payments", "search", "identity", "infra", "data", "mobile", "billing", "edge",
];

/// `count` small repositories (`fleet/<group>/svc-NNNN:latest`), each one
/// tiny manifest over one mounted config blob (no layers), `concurrency`
/// at a time.
async fn seed_fillers(setup: &Setup, count: usize, concurrency: usize) -> Result<(), Error> {
    if count == 0 {
        return Ok(());
    }
    let source = "fleet/base";
    let config = json!({
        "created": "2024-04-04T04:04:04Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": []},
    });
    let config = Blob::new(serde_json::to_vec(&config)?, OCI_CONFIG);
    push_blobs(setup, source, std::slice::from_ref(&config)).await?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [],
    });
    let manifest = Blob::new(serde_json::to_vec(&manifest)?, OCI_MANIFEST);
    put(setup, source, "latest", &manifest).await?;
    let from = setup.reference(source, "latest")?;
    let digest = config.digest();
    stream::iter(0..count)
        .map(|i| {
            let (from, manifest) = (&from, &manifest);
            async move {
                let repository = format!("fleet/{}/svc-{i:04}", GROUPS[i % GROUPS.len()]);
                let at = setup.reference(&repository, "latest")?;
                setup.client.mount_blob(&at, &digest, from).await?;
                put(setup, &repository, "latest", manifest).await?;
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(concurrency)
        .try_collect::<()>()
        .await
}

async fn wait_for_exit(exit_on_stdin_eof: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let stdin_eof = async {
        if exit_on_stdin_eof {
            let mut sink = tokio::io::sink();
            let _ = tokio::io::copy(&mut tokio::io::stdin(), &mut sink).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = stdin_eof => {}
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("ocireg-web-ui-server: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Error> {
    let args = parse_args()?;
    let started = Instant::now();
    let mut setups = Vec::new();
    for name in &args.setups {
        let port = if name == "main" { args.port } else { None };
        setups.push(Setup::start(name, port)?);
    }
    let mut report = serde_json::Map::new();
    let mut repositories = serde_json::Map::new();
    for setup in &setups {
        let count = match setup.name.as_str() {
            "empty" => 0,
            "main" => {
                let demo = seed_demo(setup, true).await?;
                seed_fillers(setup, args.fillers, 16).await?;
                demo + if args.fillers > 0 {
                    args.fillers + 1
                } else {
                    0
                }
            }
            _ => seed_demo(setup, false).await?,
        };
        repositories.insert(setup.name.clone(), json!(count));
        report.insert(setup.name.clone(), setup.describe());
    }
    let out = json!({
        "setups": report,
        "repositories": repositories,
        "seededInMs": started.elapsed().as_millis() as u64,
    });
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{out}")?;
        stdout.flush()?;
    }
    wait_for_exit(args.exit_on_stdin_eof).await;
    drop(setups);
    Ok(())
}
