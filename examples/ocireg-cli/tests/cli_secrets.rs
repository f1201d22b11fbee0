//! The real `ocireg` binary keeps secrets where they belong: each registry
//! of a copy gets only its own credentials (which ports saw which
//! `Authorization` headers), `-u/-p` are refused for two registries, a
//! credential helper named with a path is refused and never run, and a
//! signed URL's query never reaches stderr.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use ocireg_testkit::http::basic_auth;
use ocireg_testkit::{
    write_oci_layout, Auth, FaultProxy, ImageSpec, RecordedRequest, Registry, Reply, ScriptedServer,
};

const SRC_USER: &str = "alice";
const SRC_PASS: &str = "src-Pass-4711";
const DEST_USER: &str = "bob";
const DEST_PASS: &str = "dest-Pass-0815";

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `ocireg` with no credentials from the environment, `DOCKER_CONFIG`
/// as given (or a missing directory), in `cwd` when given.
fn ocireg_in(args: &[&str], docker_config: Option<&Path>, cwd: Option<&Path>) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ocireg"));
    cmd.args(args)
        .env_remove("OCIREG_USERNAME")
        .env_remove("OCIREG_PASSWORD")
        .env_remove("OCIREG_SRC_CREDS")
        .env_remove("OCIREG_DEST_CREDS")
        .env(
            "DOCKER_CONFIG",
            docker_config.unwrap_or(Path::new("/nonexistent-ocireg-test")),
        );
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = cmd.output().unwrap();
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ocireg(args: &[&str]) -> Out {
    ocireg_in(args, None, None)
}

/// Two htpasswd registries with their own users, each behind a recording
/// proxy; the source holds `app:v1`, pushed straight to the registry.
struct TwoRegistries {
    _src: Registry,
    _dest: Registry,
    src: FaultProxy,
    dest: FaultProxy,
    digest: String,
    _tmp: tempfile::TempDir,
}

impl TwoRegistries {
    fn start() -> TwoRegistries {
        let src = Registry::start(Auth::htpasswd(SRC_USER, SRC_PASS)).unwrap();
        let dest = Registry::start(Auth::htpasswd(DEST_USER, DEST_PASS)).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let layout = tmp.path().join("layout");
        write_oci_layout(&layout, &ImageSpec::new(11).tag("v1")).unwrap();
        let pushed = ocireg(&[
            "-u",
            SRC_USER,
            "-p",
            SRC_PASS,
            "push",
            layout.to_str().unwrap(),
            &format!("{}/app:v1", src.host()),
        ]);
        assert!(pushed.ok, "{}", pushed.stderr);
        let digest = pushed.stdout.trim().rsplit('@').next().unwrap().to_string();
        TwoRegistries {
            src: FaultProxy::start(&src.host()).unwrap(),
            dest: FaultProxy::start(&dest.host()).unwrap(),
            _src: src,
            _dest: dest,
            digest,
            _tmp: tmp,
        }
    }
}

/// Every `Authorization` value a port saw.
fn authorizations(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_string))
        .collect()
}

#[test]
fn copy_sends_each_registry_only_its_own_credentials() {
    let regs = TwoRegistries::start();
    let src_ref = format!("{}/app:v1", regs.src.host());
    let dest_ref = format!("{}/copied/app:v1", regs.dest.host());
    let out = ocireg(&[
        "copy",
        &src_ref,
        &dest_ref,
        "--src-creds",
        &format!("{SRC_USER}:{SRC_PASS}"),
        "--dest-creds",
        &format!("{DEST_USER}:{DEST_PASS}"),
    ]);
    assert!(out.ok, "{}", out.stderr);

    let src_basic = basic_auth(SRC_USER, SRC_PASS);
    let dest_basic = basic_auth(DEST_USER, DEST_PASS);
    let at_src = authorizations(&regs.src.requests());
    let at_dest = authorizations(&regs.dest.requests());
    assert!(!at_src.is_empty() && !at_dest.is_empty());
    assert!(
        at_src.iter().all(|a| *a == src_basic),
        "the source saw {at_src:?}"
    );
    assert!(
        at_dest.iter().all(|a| *a == dest_basic),
        "the destination saw {at_dest:?}"
    );

    // The copy is there, readable with the destination's credentials.
    let digest = ocireg(&[
        "-u",
        DEST_USER,
        "-p",
        DEST_PASS,
        "digest",
        &format!("{}/copied/app:v1", regs.dest.host()),
    ]);
    assert!(digest.ok, "{}", digest.stderr);
    assert_eq!(digest.stdout.trim(), regs.digest);
}

#[test]
fn login_flags_are_refused_for_two_registries() {
    let regs = TwoRegistries::start();
    let src_ref = format!("{}/app:v1", regs.src.host());
    let dest_ref = format!("{}/copied/app:v1", regs.dest.host());
    // The destination's password given with -u/-p: before, the source
    // received it too.
    let out = ocireg(&[
        "-u", DEST_USER, "-p", DEST_PASS, "copy", &src_ref, &dest_ref,
    ]);
    assert!(!out.ok, "{}", out.stdout);
    assert!(
        out.stderr.contains("--src-creds") && out.stderr.contains("--dest-creds"),
        "{}",
        out.stderr
    );
    let dest_basic = basic_auth(DEST_USER, DEST_PASS);
    let at_src = authorizations(&regs.src.requests());
    assert!(
        !at_src.contains(&dest_basic),
        "the source saw the destination's password: {at_src:?}"
    );
    assert!(regs.src.requests().is_empty() && regs.dest.requests().is_empty());

    // retag-into across registries: the same.
    let out = ocireg(&[
        "-u",
        DEST_USER,
        "-p",
        DEST_PASS,
        "retag-into",
        &format!("{}/everything", regs.dest.host()),
        &src_ref,
    ]);
    assert!(
        !out.ok && out.stderr.contains("--src-creds"),
        "{}",
        out.stderr
    );
    assert!(regs.src.requests().is_empty());

    // A USER without :PASS is refused with what to give instead.
    let out = ocireg(&["copy", &src_ref, &dest_ref, "--src-creds", SRC_USER]);
    assert!(
        !out.ok && out.stderr.contains("USER:PASS"),
        "{}",
        out.stderr
    );
    assert!(regs.src.requests().is_empty());
}

#[test]
fn credential_helper_named_with_a_path_is_refused_and_not_run() {
    let server = ScriptedServer::start().unwrap();
    server.reply(
        "GET",
        "/v2/app/tags/list",
        Reply::new(200, br#"{"name":"app","tags":["v1"]}"#.to_vec()),
    );
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join("work");
    let ran = tmp.path().join("evil-ran");
    // `docker-credential-x/../evil` resolves to ./evil from `work`.
    std::fs::create_dir_all(cwd.join("docker-credential-x")).unwrap();
    let evil = cwd.join("evil");
    std::fs::write(
        &evil,
        format!(
            "#!/bin/sh\ntouch '{}'\ncat >/dev/null\necho '{{\"Username\":\"u\",\"Secret\":\"s\"}}'\n",
            ran.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).unwrap();

    for config in [
        serde_json::json!({"credHelpers": {server.host(): "x/../evil"}}),
        serde_json::json!({"credsStore": "x/../evil"}),
    ] {
        let config_dir = tmp.path().join("docker");
        std::fs::create_dir_all(&config_dir).unwrap();
        std::fs::write(config_dir.join("config.json"), config.to_string()).unwrap();
        let out = ocireg_in(
            &["tags", &format!("{}/app", server.host())],
            Some(&config_dir),
            Some(&cwd),
        );
        assert!(!ran.exists(), "the helper ran ({config})");
        assert!(!out.ok, "{config}: {}", out.stdout);
        assert!(
            out.stderr.contains("refused credential helper") && out.stderr.contains("x/../evil"),
            "{}",
            out.stderr
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_signed_url_query_never_reaches_stderr() {
    let server = ScriptedServer::start().unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = ocireg::Digest::sha256(config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest.to_string(),
            "size": config.len(),
        },
        "layers": [],
    })
    .to_string();
    server.reply(
        "GET",
        "/v2/app/manifests/v1",
        Reply::new(200, manifest.into_bytes())
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
    );
    // The blob redirects to storage with a signed query, on a port where
    // nothing listens: the transport error names the URL.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let signed = format!(
        "http://127.0.0.1:{closed}/bucket/blob?X-Amz-Credential=KEYID-Cred-77&X-Amz-Signature=f00dSig-5150"
    );
    server.reply(
        "GET",
        &format!("/v2/app/blobs/{config_digest}"),
        Reply::new(307, Vec::new()).header("Location", &signed),
    );

    let out = ocireg(&["config", &format!("{}/app:v1", server.host())]);
    assert!(!out.ok, "{}", out.stdout);
    for secret in ["X-Amz", "f00dSig-5150", "KEYID-Cred-77", "blob?"] {
        assert!(!out.stderr.contains(secret), "{secret} in: {}", out.stderr);
    }
    // It still says where it failed.
    assert!(
        out.stderr
            .contains(&format!("127.0.0.1:{closed}/bucket/blob")),
        "{}",
        out.stderr
    );
}
