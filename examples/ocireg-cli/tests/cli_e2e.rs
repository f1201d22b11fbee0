//! The `ocireg` binary end to end against the real registry, with skopeo
//! as the independent peer for OCI layouts both ways.

use std::path::Path;
use std::process::Command;

use ocireg_testkit::{skopeo, skopeo_copy, write_oci_layout, Auth, ImageSpec, Registry};
use serde_json::Value;

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn ocireg(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_ocireg"))
        .args(args)
        .env_remove("OCIREG_USERNAME")
        .env_remove("OCIREG_PASSWORD")
        .env("DOCKER_CONFIG", "/nonexistent-ocireg-test")
        .output()
        .unwrap();
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(args: &[&str]) -> String {
    let o = ocireg(args);
    assert!(o.ok, "ocireg {args:?} failed: {}", o.stderr);
    o.stdout
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(&a)).unwrap()
}

fn seed(registry: &Registry, dir: &Path, spec: &ImageSpec, repo_tag: &str) {
    let image = write_oci_layout(dir, spec).unwrap();
    let mut args = vec!["--dest-tls-verify=false", "--all"];
    let creds = registry.creds();
    if let Some(c) = &creds {
        args.extend(["--dest-creds", c.as_str()]);
    }
    skopeo_copy(
        &image.oci_ref(),
        &format!("docker://{}/{repo_tag}", registry.host()),
        &args,
    )
    .unwrap();
}

#[test]
fn read_commands() {
    let registry = Registry::start(Auth::None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    seed(
        &registry,
        tmp.path(),
        &ImageSpec::multi_platform(1).tag("v1"),
        "team/app:v1",
    );
    let h = registry.host();
    let app = format!("{h}/team/app:v1");

    assert_eq!(ok(&["catalog", &h]), "team/app\n");
    assert_eq!(
        json(&["tags", &format!("{h}/team/app")]),
        serde_json::json!(["v1"])
    );

    let digest = ok(&["digest", &app]).trim().to_string();
    assert!(digest.starts_with("sha256:"), "{digest}");
    let manifest = ok(&["manifest", &app]);
    let index: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );

    let arm = ok(&["manifest", &app, "--platform", "linux/arm64"]);
    let arm: Value = serde_json::from_str(&arm).unwrap();
    assert_eq!(
        arm["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    let arm_digest = ok(&["digest", &app, "--platform", "linux/arm64"]);
    assert_ne!(arm_digest.trim(), digest);

    let config: Value =
        serde_json::from_str(&ok(&["config", &app, "--platform", "linux/arm64"])).unwrap();
    assert_eq!(config["architecture"], "arm64");

    let inspect = json(&["inspect", &app]);
    assert_eq!(inspect["digest"], digest.as_str());
    assert_eq!(inspect["isIndex"], true);
    let platforms: Vec<String> = inspect["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["platform"].as_str().unwrap().to_string())
        .collect();
    assert!(
        platforms.contains(&"linux/amd64".to_string())
            && platforms.iter().any(|p| p.starts_with("linux/arm64")),
        "{platforms:?}"
    );
    assert!(inspect["totalSize"].as_u64().unwrap() > 0);
    assert_eq!(
        inspect["platforms"][0]["layerDetails"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(inspect["platforms"][0]["config"]["os"], "linux");
    let text = ok(&["inspect", &app]);
    assert!(
        text.contains("Platforms:") && text.contains("linux/amd64"),
        "{text}"
    );

    // A registry without Docker Hub's headers.
    assert_eq!(json(&["ratelimit", &app]), Value::Null);
    assert_eq!(json(&["referrers", &app]), serde_json::json!([]));
}

#[test]
fn write_commands_and_one_repository_workflow() {
    let registry = Registry::start(Auth::htpasswd("ci", "pw")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    seed(
        &registry,
        &tmp.path().join("a"),
        &ImageSpec::new(2).tag("1.25"),
        "library/nginx:1.25",
    );
    seed(
        &registry,
        &tmp.path().join("b"),
        &ImageSpec::multi_platform(3).tag("7"),
        "tools/redis:7",
    );
    let h = registry.host();
    let auth = ["-u", "ci", "-p", "pw"];
    let with_auth = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(auth.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: &[&str]| {
        let a = with_auth(args);
        ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // Without credentials: one clear line, non-zero exit.
    let denied = ocireg(&["catalog", &h]);
    assert!(!denied.ok);
    assert_eq!(denied.stderr.lines().count(), 1, "{}", denied.stderr);
    assert!(
        denied.stderr.starts_with("ocireg: unauthorized"),
        "{}",
        denied.stderr
    );

    // copy within the registry mounts.
    let copied: Value = serde_json::from_str(&run(&[
        "copy",
        &format!("{h}/tools/redis:7"),
        &format!("{h}/mirror/redis:7"),
        "--json",
    ]))
    .unwrap();
    assert_eq!(copied["bytes_uploaded"], 0);
    assert!(copied["blobs_mounted"].as_u64().unwrap() > 0);

    run(&["tag", &format!("{h}/mirror/redis:7"), "stable"]);
    let tags: Value =
        serde_json::from_str(&run(&["tags", &format!("{h}/mirror/redis"), "--json"])).unwrap();
    let mut tags: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["7", "stable"]);

    // Docker Hub's free tier: many images, one repository.
    let rows: Value = serde_json::from_str(&run(&[
        "retag-into",
        &format!("{h}/me/everything"),
        &format!("{h}/library/nginx:1.25"),
        &format!("{h}/tools/redis:7"),
        "--json",
    ]))
    .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    let tags: Value =
        serde_json::from_str(&run(&["tags", &format!("{h}/me/everything"), "--json"])).unwrap();
    let mut tags: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["nginx-1.25", "redis-7"]);
    assert_eq!(
        run(&["digest", &format!("{h}/me/everything:redis-7")]),
        run(&["digest", &format!("{h}/tools/redis:7")])
    );

    run(&["delete", &format!("{h}/mirror/redis:stable")]);
    let gone = ocireg(&[
        "digest",
        &format!("{h}/mirror/redis:7"),
        "-u",
        "ci",
        "-p",
        "pw",
    ]);
    assert!(!gone.ok && gone.stderr.contains("404"), "{}", gone.stderr);

    let bad = ocireg(&["tags", "Not A Reference"]);
    assert!(!bad.ok);
    assert!(
        bad.stderr.contains("invalid reference format"),
        "{}",
        bad.stderr
    );
}

#[test]
fn oci_layouts_interoperate_with_skopeo() {
    let registry = Registry::start(Auth::None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    seed(
        &registry,
        &tmp.path().join("src"),
        &ImageSpec::multi_platform(4).tag("v1"),
        "src/img:v1",
    );
    let h = registry.host();

    // ocireg pull -> skopeo reads the layout and pushes it elsewhere.
    let pulled = tmp.path().join("pulled");
    ok(&["pull", &format!("{h}/src/img:v1"), pulled.to_str().unwrap()]);
    skopeo_copy(
        &format!("oci:{}:v1", pulled.display()),
        &format!("docker://{h}/via-skopeo/img:v1"),
        &["--dest-tls-verify=false", "--all"],
    )
    .unwrap();
    assert_eq!(
        ok(&["digest", &format!("{h}/via-skopeo/img:v1")]),
        ok(&["digest", &format!("{h}/src/img:v1")])
    );

    // skopeo writes a layout -> ocireg pushes it.
    let written = tmp.path().join("written");
    skopeo_copy(
        &format!("docker://{h}/src/img:v1"),
        &format!("oci:{}:v1", written.display()),
        &["--src-tls-verify=false", "--all"],
    )
    .unwrap();
    ok(&[
        "push",
        written.to_str().unwrap(),
        &format!("{h}/via-ocireg/img:v1"),
    ]);
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{h}/via-ocireg/img:v1"),
    ])
    .unwrap();
    assert_eq!(
        raw.trim_end(),
        ok(&["manifest", &format!("{h}/src/img:v1")]).trim_end()
    );

    // One platform only.
    let arm = tmp.path().join("arm");
    ok(&[
        "pull",
        &format!("{h}/src/img:v1"),
        arm.to_str().unwrap(),
        "--platform",
        "linux/arm64",
    ]);
    skopeo_copy(
        &format!("oci:{}:v1", arm.display()),
        &format!("docker://{h}/arm-only/img:v1"),
        &["--dest-tls-verify=false"],
    )
    .unwrap();
    let m: Value =
        serde_json::from_str(&ok(&["manifest", &format!("{h}/arm-only/img:v1")])).unwrap();
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
}

#[test]
fn a_three_level_index_pulls_into_a_verified_layout_and_pushes_back_the_same() {
    use ocireg_testkit::graph::{get_manifest_bytes, push_nested_graph, sha256, verify_layout};
    let registry = Registry::start(Auth::None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let h = registry.host();
    // Pushed with plain HTTP requests, not by ocireg.
    let graph = push_nested_graph(&registry, "nested/app", "v1");

    let dir = tmp.path().join("layout");
    ok(&["pull", &format!("{h}/nested/app:v1"), dir.to_str().unwrap()]);
    let mut expected: Vec<String> = graph
        .manifests
        .iter()
        .chain(&graph.blobs)
        .cloned()
        .collect();
    expected.sort();
    assert_eq!(verify_layout(&dir), expected);

    ok(&[
        "push",
        dir.to_str().unwrap(),
        &format!("{h}/nested/back:v2"),
    ]);
    let root = get_manifest_bytes(&registry, "nested/back", "v2");
    assert_eq!(sha256(&root), graph.root);
    assert_eq!(
        ok(&["digest", &format!("{h}/nested/back:v2")]).trim(),
        graph.root
    );
}
