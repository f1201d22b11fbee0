//! # ocireg pull/push benchmark
//!
//! One run of this binary starts a local registry (Debian's
//! `docker-registry` 2.8.2, through `ocireg-testkit`, on a free loopback
//! port), generates OCI image layouts of random bytes, and measures, for
//! each scenario, several interleaved rounds of:
//!
//! - **pull + verify**: every blob (config and layers) of the image
//!   written to files on disk, digests checked (by the tool itself);
//! - **push**: the image uploaded from the files on disk to a *fresh*
//!   repository (so every blob really travels; nothing is mounted);
//!
//! for four tools:
//!
//! 1. **ocireg**: `ocireg::layout::pull` / `ocireg::layout::push` with a
//!    default `Client` (docker config off), run in a child process (this
//!    binary re-executed as `child ocireg-pull|ocireg-push ...`);
//! 2. **oci-client 0.18**: `pull_image_manifest`, then `pull_blob` of each
//!    blob into a `tokio::fs::File` (it checks the digest itself),
//!    `buffer_unordered(16)` like its own `pull`; push with
//!    `use_monolithic_push = true` and `push_blob_stream` over a
//!    `ReaderStream` (256 KiB reads) of each file, config by `push_blob`,
//!    manifest by `push_manifest_raw`; also in a child process;
//! 3. **skopeo** (1.9.3): `skopeo copy docker://... oci:DIR:v1` and
//!    `skopeo copy oci:DIR:v1 docker://...`, with `--preserve-digests`
//!    (and `--dest-oci-accept-uncompressed-layers` on pull) so it copies
//!    rather than gzips, run in a private mount namespace (`unshare -m`)
//!    with an empty tmpfs over its blob-info cache
//!    (`/var/lib/containers/cache`), so a push never mounts a blob it saw
//!    in another repository;
//! 4. **curl** (the ceiling): pull = `GET` the manifest, then one
//!    `curl -s -o FILE URL` process per blob, all in parallel (a best case;
//!    curl checks no digest); push = per blob, in parallel,
//!    `curl -X POST .../blobs/uploads/` for a Location then
//!    `curl -T FILE "<Location>&digest=..."` (one monolithic PUT), then
//!    the manifest `PUT`.
//!
//! Times are wall-clock, measured by this (parent) process around each
//! tool's whole process(es) (process start-up included, a few ms). Each
//! measurement is followed (untimed) by deleting what was pulled and a
//! `sync`, so dirty pages of one measurement do not slow the next.
//! Tools are interleaved and their order rotates every round; the table
//! shows MEDIANS (and min/max). Peak RSS is `ru_maxrss` of each tool's
//! process, read with `/usr/bin/time -f %M` (Debian package `time`); for
//! the parallel curls it is the SUM over the concurrent curl processes.
//!
//! With `--baseline EXE` (another build of this benchmark, e.g. from
//! `main`), a fifth tool **ocireg-base** runs that build's ocireg child in
//! the same rounds, and the ratio lines add `ocireg/ocireg-base`: a
//! change to ocireg measured against its base under the same load.
//!
//! Then, per round, a same-registry copy: `ocireg::Client::copy` from the
//! source repository to a new repository of the same registry, reporting
//! how many bytes it uploaded (0 expected: blobs are mounted).
//!
//! Scenario A: one layer of `--size-mb` MiB (default 1024).
//! Scenario B: `--layers` layers (default 8) of `--layer-mb` MiB (default 64).
//! Layers are uncompressed random bytes (media type
//! `application/vnd.oci.image.layer.v1.tar`) with a real config and an OCI
//! image manifest, so every tool sees a valid image.
//!
//! ## Command
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- \
//!     [--size-mb 1024] [--layers 8 --layer-mb 64] [--rounds 3] \
//!     [--scenarios a,b] [--tools ocireg,oci-client,skopeo,curl] \
//!     [--workdir DIR] [--keep-data] [--baseline OTHER-BUILD]
//! ```
//!
//! Needs `docker-registry`, `skopeo`, `curl`, `time` (apt) and `unshare`
//! (util-linux) as root for the skopeo cache isolation. A quick check:
//! `-- --size-mb 32 --layers 4 --layer-mb 8 --rounds 1`.
//!
//! The generated layouts go to `--workdir` (default
//! `$TMPDIR/ocireg-bench`), reused across runs with the same sizes and
//! removed at the end unless `--keep-data`.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sha2::{Digest as _, Sha256};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const TAG: &str = "v1";
const MIB: f64 = 1048576.0;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let result = if argv.get(1).map(String::as_str) == Some("child") {
        child::main(&argv[2..])
    } else {
        parent(&argv[1..])
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------- options

struct Args {
    size_mb: u64,
    layers: usize,
    layer_mb: u64,
    rounds: usize,
    scenarios: Vec<String>,
    tools: Vec<Tool>,
    workdir: PathBuf,
    keep_data: bool,
    /// Another build of this benchmark whose ocireg runs as `ocireg-base`.
    baseline: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Tool {
    Curl,
    Ocireg,
    /// ocireg as built into the `--baseline` binary.
    Baseline,
    OciClient,
    Skopeo,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Curl => "curl",
            Tool::Ocireg => "ocireg",
            Tool::Baseline => "ocireg-base",
            Tool::OciClient => "oci-client",
            Tool::Skopeo => "skopeo",
        }
    }
    fn parse(s: &str) -> Res<Tool> {
        Ok(match s {
            "curl" => Tool::Curl,
            "ocireg" => Tool::Ocireg,
            "ocireg-base" => Tool::Baseline,
            "oci-client" => Tool::OciClient,
            "skopeo" => Tool::Skopeo,
            _ => return Err(format!("unknown tool {s:?}").into()),
        })
    }
}

fn parse_args(argv: &[String]) -> Res<Args> {
    let mut a = Args {
        size_mb: 1024,
        layers: 8,
        layer_mb: 64,
        rounds: 3,
        scenarios: vec!["a".into(), "b".into()],
        tools: vec![Tool::Curl, Tool::Ocireg, Tool::OciClient, Tool::Skopeo],
        workdir: std::env::temp_dir().join("ocireg-bench"),
        keep_data: false,
        baseline: None,
    };
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--size-mb" => a.size_mb = value()?.parse()?,
            "--layers" => a.layers = value()?.parse()?,
            "--layer-mb" => a.layer_mb = value()?.parse()?,
            "--rounds" => a.rounds = value()?.parse()?,
            "--scenarios" => a.scenarios = value()?.split(',').map(|s| s.to_lowercase()).collect(),
            "--tools" => {
                a.tools = value()?
                    .split(',')
                    .map(Tool::parse)
                    .collect::<Res<Vec<_>>>()?
            }
            "--workdir" => a.workdir = PathBuf::from(value()?),
            "--keep-data" => a.keep_data = true,
            "--baseline" => a.baseline = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "usage: ocireg-bench [--size-mb N] [--layers K --layer-mb M] [--rounds R] \
                     [--scenarios a,b] [--tools ocireg,oci-client,skopeo,curl] [--workdir DIR] \
                     [--keep-data] [--baseline OTHER-BUILD-OF-THIS-BINARY]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    if a.rounds == 0 || a.layers == 0 || a.size_mb == 0 || a.layer_mb == 0 {
        return Err("sizes, layers and rounds must be positive".into());
    }
    match (&a.baseline, a.tools.contains(&Tool::Baseline)) {
        (Some(_), false) => a.tools.push(Tool::Baseline),
        (None, true) => return Err("ocireg-base needs --baseline EXE".into()),
        _ => {}
    }
    Ok(a)
}

// ---------------------------------------------------------------- images

#[derive(Clone, Debug)]
struct Blob {
    digest: String,
    size: u64,
}

impl Blob {
    fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }
}

#[derive(Clone, Debug)]
struct Image {
    /// `A` or `B`.
    name: String,
    /// "1 x 1024 MiB".
    shape: String,
    dir: PathBuf,
    manifest_digest: String,
    config: Blob,
    layers: Vec<Blob>,
}

impl Image {
    fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(self.layers.iter())
    }
    fn total_bytes(&self) -> u64 {
        self.blobs().map(|b| b.size).sum()
    }
    fn blob_path(&self, b: &Blob) -> PathBuf {
        self.dir.join("blobs/sha256").join(b.hex())
    }
    fn manifest_path(&self) -> PathBuf {
        self.dir
            .join("blobs/sha256")
            .join(self.manifest_digest.trim_start_matches("sha256:"))
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// splitmix64: fast, incompressible enough for a throughput test.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn write_blob(blobs: &Path, data: &[u8]) -> io::Result<Blob> {
    let hex = sha256_hex(data);
    fs::write(blobs.join(&hex), data)?;
    Ok(Blob {
        digest: format!("sha256:{hex}"),
        size: data.len() as u64,
    })
}

/// Writes (or reuses) an OCI layout of `layers` random layers of
/// `layer_bytes` each, tagged `v1`.
fn make_image(name: &str, dir: &Path, layers: usize, layer_bytes: u64, seed: u64) -> Res<Image> {
    let params = format!("v1 layers={layers} bytes={layer_bytes} seed={seed}\n");
    let marker = dir.join("bench-params");
    let image_json = dir.join("bench-image.json");
    let shape = format!("{layers} x {} MiB", layer_bytes as f64 / MIB);
    if fs::read_to_string(&marker).ok().as_deref() == Some(params.as_str()) {
        let v: serde_json::Value = serde_json::from_slice(&fs::read(&image_json)?)?;
        let blob = |b: &serde_json::Value| Blob {
            digest: b["digest"].as_str().unwrap_or_default().to_string(),
            size: b["size"].as_u64().unwrap_or_default(),
        };
        let image = Image {
            name: name.into(),
            shape: shape.clone(),
            dir: dir.to_path_buf(),
            manifest_digest: v["manifest"].as_str().unwrap_or_default().to_string(),
            config: blob(&v["config"]),
            layers: v["layers"]
                .as_array()
                .map(|a| a.iter().map(blob).collect())
                .unwrap_or_default(),
        };
        if image
            .blobs()
            .all(|b| fs::metadata(image.blob_path(b)).is_ok_and(|m| m.len() == b.size))
        {
            println!("reusing image {name} ({shape}) at {}", dir.display());
            return Ok(image);
        }
    }
    let _ = fs::remove_dir_all(dir);
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs)?;
    let started = Instant::now();
    let mut layer_blobs = Vec::new();
    for l in 0..layers {
        let mut rng = SplitMix(seed.wrapping_mul(1_000_003).wrapping_add(l as u64));
        let tmp = blobs.join(format!("tmp-layer-{l}"));
        let mut file = io::BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut left = layer_bytes;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            for chunk in buf[..n].chunks_mut(8) {
                let len = chunk.len();
                chunk.copy_from_slice(&rng.next().to_le_bytes()[..len]);
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n])?;
            left -= n as u64;
        }
        file.flush()?;
        let hex = hex(&hasher.finalize());
        fs::rename(&tmp, blobs.join(&hex))?;
        layer_blobs.push(Blob {
            digest: format!("sha256:{hex}"),
            size: layer_bytes,
        });
    }
    let diff_ids: Vec<&str> = layer_blobs.iter().map(|b| b.digest.as_str()).collect();
    let config = serde_json::json!({
        "created": "2024-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": (0..layers).map(|l| serde_json::json!({
            "created": "2024-01-01T00:00:00Z",
            "created_by": format!("ocireg-bench {name} layer {l}"),
        })).collect::<Vec<_>>(),
    });
    let config = write_blob(&blobs, &serde_json::to_vec(&config)?)?;
    let desc = |media: &str, b: &Blob| serde_json::json!({"mediaType": media, "digest": b.digest, "size": b.size});
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": desc(CONFIG, &config),
        "layers": layer_blobs.iter().map(|b| desc(LAYER, b)).collect::<Vec<_>>(),
    });
    let manifest = write_blob(&blobs, &serde_json::to_vec(&manifest)?)?;
    let mut entry = desc(MANIFEST, &manifest);
    entry["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": TAG});
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": [entry]});
    fs::write(dir.join("index.json"), serde_json::to_vec(&index)?)?;
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let info = serde_json::json!({
        "manifest": manifest.digest,
        "config": {"digest": config.digest, "size": config.size},
        "layers": layer_blobs.iter().map(|b| serde_json::json!({"digest": b.digest, "size": b.size})).collect::<Vec<_>>(),
    });
    fs::write(&image_json, serde_json::to_vec(&info)?)?;
    fs::write(&marker, params)?;
    println!(
        "generated image {name} ({shape}) at {} in {:.1} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Image {
        name: name.into(),
        shape: shape.clone(),
        dir: dir.to_path_buf(),
        manifest_digest: manifest.digest,
        config,
        layers: layer_blobs,
    })
}

// ---------------------------------------------------------------- processes

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// What one process did.
struct Proc {
    stdout: String,
    rss_kb: u64,
    /// User + system CPU seconds.
    cpu: f64,
}

/// Runs `program args` under `/usr/bin/time -f "%M %U %S"` and returns its
/// stdout, peak RSS and CPU time; fails (with its stderr) when it fails.
fn exec(tmp: &Path, program: &str, args: &[String]) -> Res<Proc> {
    let rss_file = tmp.join(format!("rss-{}", COUNTER.fetch_add(1, Ordering::Relaxed)));
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M %U %S")
        .arg("-o")
        .arg(&rss_file)
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    let rss_text = fs::read_to_string(&rss_file).unwrap_or_default();
    let _ = fs::remove_file(&rss_file);
    if !out.status.success() {
        return Err(format!(
            "{program} {} failed ({}): {}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            rss_text.trim()
        )
        .into());
    }
    let fields: Vec<&str> = rss_text
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let (Some(rss_kb), Some(user), Some(sys)) = (
        fields.first().and_then(|f| f.parse::<u64>().ok()),
        fields.get(1).and_then(|f| f.parse::<f64>().ok()),
        fields.get(2).and_then(|f| f.parse::<f64>().ok()),
    ) else {
        return Err(format!("no RSS/CPU from /usr/bin/time: {rss_text:?}").into());
    };
    Ok(Proc {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        rss_kb,
        cpu: user + sys,
    })
}

/// Runs several process chains at once (each a sequence of commands run one
/// after the other, on its own thread); returns the sum over chains of each
/// chain's largest RSS, and every stdout.
fn exec_parallel(tmp: &Path, chains: Vec<Vec<(String, Vec<String>)>>) -> Res<Proc> {
    let results: Vec<Res<Proc>> = std::thread::scope(|s| {
        let handles: Vec<_> = chains
            .into_iter()
            .map(|chain| {
                s.spawn(move || -> Res<Proc> {
                    let mut all = Proc {
                        stdout: String::new(),
                        rss_kb: 0,
                        cpu: 0.0,
                    };
                    for (program, args) in chain {
                        let p = exec(tmp, &program, &args)?;
                        all.rss_kb = all.rss_kb.max(p.rss_kb);
                        all.cpu += p.cpu;
                        all.stdout.push_str(&p.stdout);
                    }
                    Ok(all)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
            .collect()
    });
    let mut all = Proc {
        stdout: String::new(),
        rss_kb: 0,
        cpu: 0.0,
    };
    for r in results {
        let p = r?;
        all.rss_kb += p.rss_kb;
        all.cpu += p.cpu;
        all.stdout.push_str(&p.stdout);
    }
    Ok(all)
}

fn sync() {
    let _ = Command::new("sync").status();
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------- the tools

struct Env {
    host: String,
    exe: String,
    /// The `--baseline` build, for [`Tool::Baseline`].
    baseline: Option<String>,
    tmp: PathBuf,
}

impl Env {
    /// The binary whose `child` commands run `tool`.
    fn child_exe(&self, tool: Tool) -> &str {
        match (tool, &self.baseline) {
            (Tool::Baseline, Some(b)) => b,
            _ => &self.exe,
        }
    }
}

struct Sample {
    secs: f64,
    rss_kb: u64,
    cpu: f64,
}

fn skopeo_args(copy_args: &[String]) -> Vec<String> {
    // A private mount namespace with an empty blob-info cache: skopeo
    // must not mount a blob it remembers from another repository.
    let mut v = strs(&[
        "-m",
        "sh",
        "-c",
        "mkdir -p /var/lib/containers/cache && \
         mount -t tmpfs ocireg-bench /var/lib/containers/cache && exec skopeo \"$@\"",
        "sh",
        "--insecure-policy",
        "copy",
        "--quiet",
        "--preserve-digests",
    ]);
    v.extend_from_slice(copy_args);
    v
}

fn pull(env: &Env, tool: Tool, image: &Image, repo: &str, out: &Path) -> Res<Sample> {
    let _ = fs::remove_dir_all(out);
    fs::create_dir_all(out)?;
    let reference = format!("{}/{repo}:{TAG}", env.host);
    let started = Instant::now();
    let usage: Proc = match tool {
        Tool::Ocireg | Tool::Baseline | Tool::OciClient => {
            let sub = if tool == Tool::OciClient {
                "oci-client-pull"
            } else {
                "ocireg-pull"
            };
            let args = vec![
                "child".into(),
                sub.into(),
                reference,
                out.display().to_string(),
            ];
            exec(&env.tmp, env.child_exe(tool), &args)?
        }
        Tool::Skopeo => {
            let args = skopeo_args(&[
                "--src-tls-verify=false".into(),
                "--dest-oci-accept-uncompressed-layers".into(),
                format!("docker://{reference}"),
                format!("oci:{}:{TAG}", out.display()),
            ]);
            exec(&env.tmp, "unshare", &args)?
        }
        Tool::Curl => {
            let base = format!("http://{}/v2/{repo}", env.host);
            let blobs = out.join("blobs/sha256");
            fs::create_dir_all(&blobs)?;
            let m = exec(
                &env.tmp,
                "curl",
                &[
                    "-s".into(),
                    "-f".into(),
                    "-H".into(),
                    format!("Accept: {MANIFEST}"),
                    "-o".into(),
                    blobs
                        .join(image.manifest_digest.trim_start_matches("sha256:"))
                        .display()
                        .to_string(),
                    format!("{base}/manifests/{TAG}"),
                ],
            )?;
            // The manifest gives the digests; a real client would parse it.
            let chains = image
                .blobs()
                .map(|b| {
                    vec![(
                        "curl".to_string(),
                        vec![
                            "-s".into(),
                            "-f".into(),
                            "-o".into(),
                            blobs.join(b.hex()).display().to_string(),
                            format!("{base}/blobs/{}", b.digest),
                        ],
                    )]
                })
                .collect();
            let mut p = exec_parallel(&env.tmp, chains)?;
            p.rss_kb = p.rss_kb.max(m.rss_kb);
            p.cpu += m.cpu;
            p
        }
    };
    let secs = started.elapsed().as_secs_f64();
    // Untimed: check that every blob landed with its size.
    for b in image.blobs() {
        let p = out.join("blobs/sha256").join(b.hex());
        let len = fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        if len != b.size {
            return Err(format!(
                "{} pull: {} has {len} bytes, want {}",
                tool.name(),
                p.display(),
                b.size
            )
            .into());
        }
    }
    let _ = fs::remove_dir_all(out);
    sync();
    Ok(Sample {
        secs,
        rss_kb: usage.rss_kb,
        cpu: usage.cpu,
    })
}

fn push(env: &Env, tool: Tool, image: &Image, repo: &str) -> Res<Sample> {
    let reference = format!("{}/{repo}:{TAG}", env.host);
    let started = Instant::now();
    let usage: Proc = match tool {
        Tool::Ocireg | Tool::Baseline => {
            let args = vec![
                "child".into(),
                "ocireg-push".into(),
                image.dir.display().to_string(),
                TAG.into(),
                reference,
            ];
            exec(&env.tmp, env.child_exe(tool), &args)?
        }
        Tool::OciClient => {
            let args = vec![
                "child".into(),
                "oci-client-push".into(),
                image.dir.display().to_string(),
                reference,
            ];
            exec(&env.tmp, &env.exe, &args)?
        }
        Tool::Skopeo => {
            let args = skopeo_args(&[
                "--dest-tls-verify=false".into(),
                format!("oci:{}:{TAG}", image.dir.display()),
                format!("docker://{reference}"),
            ]);
            exec(&env.tmp, "unshare", &args)?
        }
        Tool::Curl => {
            let base = format!("http://{}/v2/{repo}", env.host);
            // Per blob: POST for a Location, then one monolithic PUT; a
            // thread per blob so the POSTs happen in parallel too.
            let results: Vec<Res<(u64, f64)>> = std::thread::scope(|s| {
                let handles: Vec<_> = image
                    .blobs()
                    .map(|b| {
                        let base = &base;
                        s.spawn(move || -> Res<(u64, f64)> {
                            let post = exec(
                                &env.tmp,
                                "curl",
                                &[
                                    "-s".into(),
                                    "-f".into(),
                                    "-X".into(),
                                    "POST".into(),
                                    "-o".into(),
                                    "/dev/null".into(),
                                    "-w".into(),
                                    "%header{location}".into(),
                                    format!("{base}/blobs/uploads/"),
                                ],
                            )?;
                            let location = post.stdout.trim().to_string();
                            if location.is_empty() {
                                return Err("no Location from the upload POST".into());
                            }
                            let put = exec(
                                &env.tmp,
                                "curl",
                                &[
                                    "-s".into(),
                                    "-f".into(),
                                    "-o".into(),
                                    "/dev/null".into(),
                                    "-H".into(),
                                    "Expect:".into(),
                                    "-T".into(),
                                    image.blob_path(b).display().to_string(),
                                    "-X".into(),
                                    "PUT".into(),
                                    format!("{location}&digest={}", b.digest),
                                ],
                            )?;
                            Ok((post.rss_kb.max(put.rss_kb), post.cpu + put.cpu))
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
                    .collect()
            });
            let (mut rss, mut cpu) = (0, 0.0);
            for r in results {
                let (r, c) = r?;
                rss += r;
                cpu += c;
            }
            let m = exec(
                &env.tmp,
                "curl",
                &[
                    "-s".into(),
                    "-f".into(),
                    "-o".into(),
                    "/dev/null".into(),
                    "-X".into(),
                    "PUT".into(),
                    "-H".into(),
                    format!("Content-Type: {MANIFEST}"),
                    "--data-binary".into(),
                    format!("@{}", image.manifest_path().display()),
                    format!("{base}/manifests/{TAG}"),
                ],
            )?;
            Proc {
                stdout: String::new(),
                rss_kb: rss.max(m.rss_kb),
                cpu: cpu + m.cpu,
            }
        }
    };
    let secs = started.elapsed().as_secs_f64();
    // Untimed: the manifest is there, with its digest, and so are the blobs.
    check_pushed(env, image, repo).map_err(|e| format!("{} push to {repo}: {e}", tool.name()))?;
    sync();
    Ok(Sample {
        secs,
        rss_kb: usage.rss_kb,
        cpu: usage.cpu,
    })
}

fn check_pushed(env: &Env, image: &Image, repo: &str) -> Res<()> {
    let base = format!("http://{}/v2/{repo}", env.host);
    let r = ocireg_testkit::http::request(
        "GET",
        &format!("{base}/manifests/{TAG}"),
        &[("Accept", MANIFEST)],
        b"",
    )?;
    if r.status != 200 || r.header("docker-content-digest") != Some(image.manifest_digest.as_str())
    {
        return Err(format!(
            "manifest: status {} digest {:?}, want {}",
            r.status,
            r.header("docker-content-digest"),
            image.manifest_digest
        )
        .into());
    }
    for b in image.blobs() {
        let r =
            ocireg_testkit::http::request("HEAD", &format!("{base}/blobs/{}", b.digest), &[], b"")?;
        let len = r
            .header("content-length")
            .and_then(|l| l.parse::<u64>().ok());
        if r.status != 200 || len != Some(b.size) {
            return Err(format!("blob {}: status {} length {len:?}", b.digest, r.status).into());
        }
    }
    Ok(())
}

struct CopySample {
    secs: f64,
    rss_kb: u64,
    report: serde_json::Value,
}

fn copy(env: &Env, image: &Image, src: &str, dst: &str) -> Res<CopySample> {
    let started = Instant::now();
    let p = exec(
        &env.tmp,
        &env.exe,
        &[
            "child".into(),
            "ocireg-copy".into(),
            format!("{}/{src}:{TAG}", env.host),
            format!("{}/{dst}:{TAG}", env.host),
        ],
    )?;
    let secs = started.elapsed().as_secs_f64();
    check_pushed(env, image, dst).map_err(|e| format!("copy to {dst}: {e}"))?;
    let report: serde_json::Value = serde_json::from_str(
        p.stdout
            .lines()
            .last()
            .ok_or("no report from the copy child")?,
    )?;
    Ok(CopySample {
        secs,
        rss_kb: p.rss_kb,
        report,
    })
}

// ---------------------------------------------------------------- the parent

fn uptime() -> String {
    Command::new("uptime")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "uptime unavailable".into())
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn parent(argv: &[String]) -> Res<()> {
    let args = parse_args(argv)?;
    for (program, package) in [
        ("docker-registry", "docker-registry"),
        ("skopeo", "skopeo"),
        ("curl", "curl"),
        ("unshare", "util-linux"),
    ] {
        ocireg_testkit::require_binary(program, package)?;
    }
    if !Path::new("/usr/bin/time").is_file() {
        return Err("/usr/bin/time not found: apt-get install -y time".into());
    }
    let exe = std::env::current_exe()?.display().to_string();
    fs::create_dir_all(&args.workdir)?;
    let tmp = args.workdir.join(format!("run-{}", std::process::id()));
    fs::create_dir_all(&tmp)?;
    let load_before = uptime();
    println!("load before: {load_before}");

    let mut images = Vec::new();
    for s in &args.scenarios {
        match s.as_str() {
            "a" => images.push(make_image(
                "A",
                &args.workdir.join("image-a"),
                1,
                args.size_mb << 20,
                1,
            )?),
            "b" => images.push(make_image(
                "B",
                &args.workdir.join("image-b"),
                args.layers,
                args.layer_mb << 20,
                2,
            )?),
            other => return Err(format!("unknown scenario {other:?}").into()),
        }
    }
    sync();

    let registry = ocireg_testkit::Registry::start(ocireg_testkit::Auth::None)?;
    let env = Env {
        host: registry.host(),
        exe,
        baseline: args.baseline.clone(),
        tmp: tmp.clone(),
    };
    println!(
        "registry at {} (storage {})",
        env.host,
        registry.storage_dir().display()
    );

    // Seed each source repository (untimed) with ocireg.
    for image in &images {
        let repo = format!("bench/src-{}", image.name.to_lowercase());
        exec(
            &env.tmp,
            &env.exe,
            &[
                "child".into(),
                "ocireg-push".into(),
                image.dir.display().to_string(),
                TAG.into(),
                format!("{}/{repo}:{TAG}", env.host),
            ],
        )?;
        check_pushed(&env, image, &repo)?;
    }
    sync();

    // (scenario, op, tool) -> samples
    let mut samples: BTreeMap<(String, &'static str, Tool), Vec<Sample>> = BTreeMap::new();
    let mut copies: BTreeMap<String, Vec<CopySample>> = BTreeMap::new();
    let started = Instant::now();
    for round in 0..args.rounds {
        let mut tools = args.tools.clone();
        let shift = round % tools.len().max(1);
        tools.rotate_left(shift);
        for image in &images {
            let scen = image.name.to_lowercase();
            let src = format!("bench/src-{scen}");
            for op in ["pull", "push"] {
                for &tool in &tools {
                    let s = if op == "pull" {
                        pull(&env, tool, image, &src, &tmp.join("pulled"))?
                    } else {
                        let repo = format!("bench/push-{}-{scen}-{round}", tool.name());
                        push(&env, tool, image, &repo)?
                    };
                    println!(
                        "round {} {} {op:4} {:10} {:7.3} s {:8.1} MiB/s  peak RSS {:7.1} MiB  CPU {:6.2} s",
                        round + 1,
                        image.name,
                        tool.name(),
                        s.secs,
                        image.total_bytes() as f64 / MIB / s.secs,
                        s.rss_kb as f64 / 1024.0,
                        s.cpu
                    );
                    samples
                        .entry((image.name.clone(), op, tool))
                        .or_default()
                        .push(s);
                }
            }
            let c = copy(&env, image, &src, &format!("bench/copy-{scen}-{round}"))?;
            println!(
                "round {} {} copy ocireg     {:7.3} s  report {}",
                round + 1,
                image.name,
                c.secs,
                c.report
            );
            copies.entry(image.name.clone()).or_default().push(c);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let load_after = uptime();
    drop(registry);

    // ------------------------------------------------------------ the table
    let mut report = String::new();
    let mut line = |s: String| {
        report.push_str(&s);
        report.push('\n');
    };
    line(String::new());
    line(format!(
        "=== ocireg benchmark: {} rounds, medians (min..max), registry docker-registry 2.8.2 on loopback, {} cores ===",
        args.rounds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));
    line(format!("load before: {load_before}"));
    line(format!("load after:  {load_after}"));
    line(format!("measuring took {elapsed:.0} s"));
    let mut misses = Vec::new();
    for image in &images {
        let total = image.total_bytes() as f64 / MIB;
        line(String::new());
        line(format!(
            "Scenario {}: {} layer(s) ({:.1} MiB incl. config)",
            image.name, image.shape, total
        ));
        line(format!(
            "{:5} {:11} {:>9} {:>18} {:>9} {:>13} {:>10}",
            "op", "tool", "median s", "(min..max) s", "MiB/s", "peak RSS MiB", "CPU s"
        ));
        let mut med: BTreeMap<(&str, Tool), f64> = BTreeMap::new();
        let mut rss: BTreeMap<(&str, Tool), f64> = BTreeMap::new();
        for op in ["pull", "push"] {
            for &tool in &args.tools {
                let Some(v) = samples.get(&(image.name.clone(), op, tool)) else {
                    continue;
                };
                let secs: Vec<f64> = v.iter().map(|s| s.secs).collect();
                let rs: Vec<f64> = v.iter().map(|s| s.rss_kb as f64 / 1024.0).collect();
                let cpu: Vec<f64> = v.iter().map(|s| s.cpu).collect();
                let m = median(&secs);
                let r = median(&rs);
                med.insert((op, tool), m);
                rss.insert((op, tool), r);
                let (lo, hi) = (
                    secs.iter().cloned().fold(f64::INFINITY, f64::min),
                    secs.iter().cloned().fold(0.0, f64::max),
                );
                let note = match tool {
                    Tool::Curl if op == "pull" => {
                        "  (1 process per blob, in parallel; no digest check; RSS/CPU summed)"
                    }
                    Tool::Curl => "  (POST + monolithic PUT per blob, in parallel; RSS/CPU summed)",
                    Tool::OciClient if op == "push" => "  (use_monolithic_push + push_blob_stream)",
                    Tool::Skopeo => "  (--preserve-digests, empty blob-info cache)",
                    _ => "",
                };
                line(format!(
                    "{op:5} {:11} {m:9.3} {:>18} {:9.1} {r:13.1} {:10.2}{note}",
                    tool.name(),
                    format!("({lo:.3}..{hi:.3})"),
                    total / m,
                    median(&cpu)
                ));
            }
        }
        for op in ["pull", "push"] {
            let Some(&o) = med.get(&(op, Tool::Ocireg)) else {
                continue;
            };
            let mut parts = Vec::new();
            for peer in [Tool::Curl, Tool::OciClient, Tool::Skopeo, Tool::Baseline] {
                if let Some(&p) = med.get(&(op, peer)) {
                    parts.push(format!("ocireg/{} = {:.3}", peer.name(), o / p));
                }
            }
            line(format!(
                "{op} time ratios (<1: ocireg faster): {}",
                parts.join(", ")
            ));
            // The team's targets, checked as measured.
            if let Some(&c) = med.get(&(op, Tool::Curl)) {
                if o / c > 1.05 {
                    misses.push(format!(
                        "{} {op}: ocireg is {:.1}% slower than curl (target: within 5%)",
                        image.name,
                        (o / c - 1.0) * 100.0
                    ));
                }
            }
            if op == "pull" {
                if let Some(&c) = med.get(&(op, Tool::OciClient)) {
                    if o > c {
                        misses.push(format!(
                            "{} pull: ocireg {:.3} s is slower than oci-client {:.3} s",
                            image.name, o, c
                        ));
                    }
                }
            }
            if let Some(&r) = rss.get(&(op, Tool::Ocireg)) {
                for peer in [Tool::OciClient, Tool::Skopeo] {
                    if let Some(&p) = rss.get(&(op, peer)) {
                        if r >= p {
                            misses.push(format!(
                                "{} {op}: ocireg peak RSS {r:.1} MiB is not below {}'s {p:.1} MiB",
                                image.name,
                                peer.name()
                            ));
                        }
                    }
                }
            }
        }
        if let Some(cs) = copies.get(&image.name) {
            let secs: Vec<f64> = cs.iter().map(|c| c.secs).collect();
            let rs: Vec<f64> = cs.iter().map(|c| c.rss_kb as f64 / 1024.0).collect();
            let bytes: Vec<u64> = cs
                .iter()
                .map(|c| c.report["bytes_uploaded"].as_u64().unwrap_or(u64::MAX))
                .collect();
            let last = &cs[cs.len() - 1].report;
            line(format!(
                "same-registry copy (ocireg Client::copy): median {:.3} s, peak RSS {:.1} MiB, bytes uploaded per round {:?}, blobs mounted {} / uploaded {} / existing {}",
                median(&secs),
                median(&rs),
                bytes,
                last["blobs_mounted"],
                last["blobs_uploaded"],
                last["blobs_existing"]
            ));
            if bytes.iter().any(|&b| b != 0) {
                misses.push(format!(
                    "{} copy: bytes were uploaded ({bytes:?}), not mounted",
                    image.name
                ));
            }
        }
    }
    line(String::new());
    if misses.is_empty() {
        line("targets: all met".into());
    } else {
        line("targets missed:".into());
        for m in &misses {
            line(format!("  - {m}"));
        }
    }
    print!("{report}");
    let _ = fs::write(args.workdir.join("last-report.txt"), &report);
    let _ = fs::remove_dir_all(&tmp);
    if !args.keep_data {
        for image in &images {
            let _ = fs::remove_dir_all(&image.dir);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- children

mod child {
    use super::*;
    use futures_util::{StreamExt, TryStreamExt};

    /// Peak RSS of this process so far, from /proc/self/status.
    fn vm_hwm_kb() -> u64 {
        fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            })
            .unwrap_or(0)
    }

    pub fn main(argv: &[String]) -> Res<()> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let started = Instant::now();
        let arg = |i: usize| -> Res<&str> {
            argv.get(i)
                .map(String::as_str)
                .ok_or_else(|| format!("child: missing argument {i}").into())
        };
        let extra = match arg(0)? {
            "ocireg-pull" => rt.block_on(ocireg_pull(arg(1)?, Path::new(arg(2)?)))?,
            "ocireg-push" => rt.block_on(ocireg_push(Path::new(arg(1)?), arg(2)?, arg(3)?))?,
            "ocireg-copy" => rt.block_on(ocireg_copy(arg(1)?, arg(2)?))?,
            "oci-client-pull" => rt.block_on(oci_client_pull(arg(1)?, Path::new(arg(2)?)))?,
            "oci-client-push" => rt.block_on(oci_client_push(Path::new(arg(1)?), arg(2)?))?,
            other => return Err(format!("unknown child command {other:?}").into()),
        };
        let mut out = serde_json::json!({
            "secs": started.elapsed().as_secs_f64(),
            "vm_hwm_kb": vm_hwm_kb(),
        });
        if let (Some(o), serde_json::Value::Object(e)) = (out.as_object_mut(), extra) {
            o.extend(e);
        }
        println!("{out}");
        Ok(())
    }

    fn ocireg_client() -> Res<ocireg::Client> {
        let mut builder = ocireg::Client::builder().use_docker_config(false);
        // For experiments only (the benchmark itself uses the default):
        // OCIREG_BENCH_PARALLEL=N sets max_parallel_transfers.
        if let Some(n) = std::env::var("OCIREG_BENCH_PARALLEL")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            builder = builder.max_parallel_transfers(n);
        }
        Ok(builder.build()?)
    }

    async fn ocireg_pull(reference: &str, dir: &Path) -> Res<serde_json::Value> {
        let client = ocireg_client()?;
        let r: ocireg::Reference = reference.parse()?;
        let pulled = ocireg::layout::pull(&client, &r, dir, None).await?;
        Ok(serde_json::json!({"digest": pulled.digest.to_string(), "blobs": pulled.blobs}))
    }

    async fn ocireg_push(dir: &Path, tag: &str, reference: &str) -> Res<serde_json::Value> {
        let client = ocireg_client()?;
        let r: ocireg::Reference = reference.parse()?;
        let digest = ocireg::layout::push(&client, dir, Some(tag), &r).await?;
        Ok(serde_json::json!({"digest": digest.to_string()}))
    }

    async fn ocireg_copy(src: &str, dst: &str) -> Res<serde_json::Value> {
        let client = ocireg_client()?;
        let (s, d): (ocireg::Reference, ocireg::Reference) = (src.parse()?, dst.parse()?);
        let report = client.copy(&s, &d, &ocireg::CopyOptions::default()).await?;
        Ok(serde_json::json!({
            "digest": report.digest.to_string(),
            "manifests": report.manifests,
            "blobs_uploaded": report.blobs_uploaded,
            "blobs_mounted": report.blobs_mounted,
            "blobs_existing": report.blobs_existing,
            "bytes_uploaded": report.bytes_uploaded,
        }))
    }

    fn oci_client(monolithic: bool) -> oci_client::Client {
        oci_client::Client::new(oci_client::client::ClientConfig {
            protocol: oci_client::client::ClientProtocol::Http,
            use_monolithic_push: monolithic,
            ..Default::default()
        })
    }

    async fn oci_client_pull(reference: &str, dir: &Path) -> Res<serde_json::Value> {
        let client = oci_client(false);
        let r: oci_client::Reference = reference.parse()?;
        let (manifest, digest) = client
            .pull_image_manifest(&r, &oci_client::secrets::RegistryAuth::Anonymous)
            .await?;
        let blobs = dir.join("blobs/sha256");
        tokio::fs::create_dir_all(&blobs).await?;
        let descriptors: Vec<_> = std::iter::once(manifest.config.clone())
            .chain(manifest.layers.iter().cloned())
            .collect();
        // Like oci-client's own `pull` (which keeps layers in memory), at
        // most `max_concurrent_download` (16) at a time, but into files.
        let n = futures_util::stream::iter(descriptors.iter())
            .map(|d| {
                let (client, r, blobs) = (&client, &r, &blobs);
                async move {
                    let path = blobs.join(d.digest.trim_start_matches("sha256:"));
                    let file = tokio::fs::File::create(&path).await?;
                    // pull_blob checks the digest of what it wrote.
                    client.pull_blob(r, d, file).await?;
                    Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                }
            })
            .buffer_unordered(oci_client::client::DEFAULT_MAX_CONCURRENT_DOWNLOAD)
            .try_collect::<Vec<()>>()
            .await?
            .len();
        Ok(serde_json::json!({"digest": digest, "blobs": n}))
    }

    async fn oci_client_push(dir: &Path, reference: &str) -> Res<serde_json::Value> {
        let client = oci_client(true);
        let r: oci_client::Reference = reference.parse()?;
        client
            .store_auth_if_needed(
                r.resolve_registry(),
                &oci_client::secrets::RegistryAuth::Anonymous,
            )
            .await;
        let index: serde_json::Value =
            serde_json::from_slice(&tokio::fs::read(dir.join("index.json")).await?)?;
        let mdigest = index["manifests"][0]["digest"]
            .as_str()
            .ok_or("index.json without a manifest")?
            .to_string();
        let blob_path = |d: &str| {
            dir.join("blobs/sha256")
                .join(d.trim_start_matches("sha256:"))
        };
        let manifest_bytes = tokio::fs::read(blob_path(&mdigest)).await?;
        let manifest: oci_client::manifest::OciImageManifest =
            serde_json::from_slice(&manifest_bytes)?;
        futures_util::stream::iter(manifest.layers.iter())
            .map(|d| {
                let (client, r) = (&client, &r);
                let path = blob_path(&d.digest);
                async move {
                    let file = tokio::fs::File::open(&path).await?;
                    let stream = tokio_util::io::ReaderStream::with_capacity(file, 256 << 10)
                        .map_err(oci_client::errors::OciDistributionError::from);
                    client
                        .push_blob_stream(r, stream, &d.digest, Some(d.size as u64))
                        .await?;
                    Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                }
            })
            .buffer_unordered(oci_client::client::DEFAULT_MAX_CONCURRENT_UPLOAD)
            .try_collect::<Vec<()>>()
            .await?;
        let config = tokio::fs::read(blob_path(&manifest.config.digest)).await?;
        client
            .push_blob(&r, config, &manifest.config.digest)
            .await?;
        client
            .push_manifest_raw(&r, manifest_bytes, http::HeaderValue::from_static(MANIFEST))
            .await?;
        Ok(serde_json::json!({"digest": mdigest}))
    }
}
