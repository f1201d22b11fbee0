//! Credentials the way docker finds them: `$DOCKER_CONFIG/config.json`,
//! else `~/.docker/config.json`; per registry a credential helper
//! (`credHelpers`), else an `auths` entry (base64 `auth`, or an
//! `identitytoken`), else the default store (`credsStore`).
//!
//! Entries are matched by registry host as docker matches them: the key
//! that is exactly the host (`localhost:5000`), or Docker Hub's
//! `https://index.docker.io/v1/`, first; then a key that names the host
//! with a scheme or a path (`https://localhost:5000/v2/`). A key never
//! matches another port of its host.
//!
//! A credential helper is a plain name (`desktop`, `ecr-login`): the
//! program run is `docker-credential-<name>` from an absolute `PATH`
//! directory, never a path the configuration spells out and never one
//! relative to the working directory. A helper that has not answered
//! within [`CREDENTIAL_HELPER_TIMEOUT`] (30 s) is killed and reported
//! ([`Error::CredentialHelperTimeout`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use ocireg_core::auth::Credentials;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::Error;

/// The key docker uses for Docker Hub in `config.json`.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// How long a credential helper may take to answer by default.
pub const CREDENTIAL_HELPER_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// A parsed docker `config.json`.
#[derive(Clone, Default, Deserialize)]
pub struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    /// Not in the file: how long a helper may take.
    #[serde(skip)]
    helper_timeout: Option<Duration>,
}

impl std::fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerConfig")
            .field("auths", &self.auths.keys().collect::<Vec<_>>())
            .field("creds_store", &self.creds_store)
            .field("cred_helpers", &self.cred_helpers)
            .field("helper_timeout", &self.helper_limit())
            .finish()
    }
}

/// The registry part of a config key: `https://host/v1/` -> `host`.
fn key_host(key: &str) -> String {
    let key = key.to_ascii_lowercase();
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(&key);
    k.split('/').next().unwrap_or(k).to_string()
}

fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
    )
}

impl DockerConfig {
    /// The path docker reads: `$DOCKER_CONFIG/config.json`, else
    /// `$HOME/.docker/config.json`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
    }

    /// Reads the default config; a missing file is an empty config.
    pub fn load() -> Result<DockerConfig, Error> {
        match Self::default_path() {
            Some(p) => Self::load_from(&p),
            None => Ok(DockerConfig::default()),
        }
    }

    /// Reads a config file; a missing file is an empty config.
    pub fn load_from(path: &std::path::Path) -> Result<DockerConfig, Error> {
        match std::fs::read(path) {
            Ok(bytes) => Self::from_json(&bytes)
                .map_err(|e| Error::Credentials(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DockerConfig::default()),
            Err(e) => Err(Error::File {
                path: path.display().to_string(),
                source: e,
            }),
        }
    }

    /// Parses the JSON of a config file.
    pub fn from_json(bytes: &[u8]) -> Result<DockerConfig, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// Kills a credential helper that has not answered within `t`
    /// (instead of [`CREDENTIAL_HELPER_TIMEOUT`]).
    pub fn helper_timeout(mut self, t: Duration) -> DockerConfig {
        self.helper_timeout = Some(t);
        self
    }

    fn helper_limit(&self) -> Duration {
        self.helper_timeout.unwrap_or(CREDENTIAL_HELPER_TIMEOUT)
    }

    fn entry(&self, host: &str) -> Option<&AuthEntry> {
        lookup(&self.auths, host)
    }

    fn helper(&self, host: &str) -> Option<&str> {
        lookup(&self.cred_helpers, host).map(String::as_str)
    }

    /// The credentials for a registry host (`registry-1.docker.io`,
    /// `localhost:5000`), running a credential helper when configured.
    pub async fn credentials(&self, host: &str) -> Result<Credentials, Error> {
        let host = host.to_ascii_lowercase();
        let server = if is_docker_hub(&host) {
            DOCKER_HUB_KEY.to_string()
        } else {
            host.clone()
        };
        if let Some(helper) = self.helper(&host) {
            return run_helper(helper, &server, self.helper_limit()).await;
        }
        if let Some(entry) = self.entry(&host) {
            if let Some(c) = entry_credentials(entry)? {
                return Ok(c);
            }
        }
        if let Some(store) = &self.creds_store {
            return run_helper(store, &server, self.helper_limit()).await;
        }
        Ok(Credentials::Anonymous)
    }
}

/// The entry of `map` for registry `host` (lowercase `host[:port]`): the
/// key that is exactly the host (for Docker Hub, docker's
/// [`DOCKER_HUB_KEY`] first), else the first key, in key order, whose host
/// part is the host (`https://host/v1/`, `http://host`); Docker Hub's
/// names (`docker.io`, `index.docker.io`, `registry-1.docker.io`)
/// stand for each other.
fn lookup<'a, T>(map: &'a BTreeMap<String, T>, host: &str) -> Option<&'a T> {
    let hub = is_docker_hub(host);
    let exact = if hub { map.get(DOCKER_HUB_KEY) } else { None };
    exact.or_else(|| map.get(host)).or_else(|| {
        map.iter()
            .find(|(k, _)| {
                let kh = key_host(k);
                kh == host || (hub && is_docker_hub(&kh))
            })
            .map(|(_, v)| v)
    })
}

fn entry_credentials(e: &AuthEntry) -> Result<Option<Credentials>, Error> {
    let (mut user, mut pass) = (e.username.clone(), e.password.clone());
    if let Some(auth) = e.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| Error::Credentials("an auths entry's `auth` is not base64".into()))?;
        let text = String::from_utf8(decoded)
            .map_err(|_| Error::Credentials("an auths entry's `auth` is not UTF-8".into()))?;
        let (u, p) = text.split_once(':').ok_or_else(|| {
            Error::Credentials("an auths entry's `auth` is not user:password".into())
        })?;
        user = Some(u.to_string());
        pass = Some(p.to_string());
    }
    if let Some(token) = e.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credentials::identity_token(user, token)));
    }
    Ok(match (user, pass) {
        (Some(u), Some(p)) if !u.is_empty() => Some(Credentials::basic(u, p)),
        _ => None,
    })
}

#[derive(Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Whether `name` is a plain credential helper name: ASCII letters,
/// digits, `.`, `-` and `_`, not empty and without `..` (so no path
/// separator can make `docker-credential-<name>` a path).
pub fn is_plain_helper_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// `program` in the first absolute directory of `PATH` that holds it as
/// an executable file. Relative entries (`.`, an empty entry) are
/// skipped: they name the working directory.
fn find_on_path(program: &str) -> Option<PathBuf> {
    find_in(&std::env::var_os("PATH")?, program)
}

fn find_in(path: &std::ffi::OsStr, program: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .flat_map(|dir| program_files(&dir, program))
        .find(|candidate| is_executable(candidate))
}

fn program_files(dir: &Path, program: &str) -> Vec<PathBuf> {
    let plain = dir.join(program);
    if cfg!(windows) {
        vec![dir.join(format!("{program}.exe")), plain]
    } else {
        vec![plain]
    }
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = path.metadata() else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Runs `docker-credential-<name> get` with the server URL on stdin;
/// `name` must be a plain name and the program must be on `PATH`. A
/// helper still running after `limit` is killed.
async fn run_helper(name: &str, server: &str, limit: Duration) -> Result<Credentials, Error> {
    if !is_plain_helper_name(name) {
        return Err(Error::CredentialHelperRefused {
            helper: name.to_string(),
        });
    }
    let program = format!("docker-credential-{name}");
    let Some(path) = find_on_path(&program) else {
        return Err(Error::Credentials(format!(
            "cannot run {program}: not found in PATH"
        )));
    };
    let mut child = tokio::process::Command::new(&path)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // Dropped on the timeout below: killed.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::Credentials(format!("cannot run {program}: {e}")))?;
    let talk = async {
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(server.as_bytes()).await?;
        }
        child.wait_with_output().await
    };
    let out = tokio::time::timeout(limit, talk)
        .await
        .map_err(|_| Error::CredentialHelperTimeout {
            helper: name.to_string(),
            after: limit,
        })?
        .map_err(|e| Error::Credentials(format!("{program}: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if msg.contains("credentials not found") {
            return Ok(Credentials::Anonymous);
        }
        return Err(Error::Credentials(format!(
            "{program} failed: {}",
            msg.trim()
        )));
    }
    let parsed: HelperOutput = serde_json::from_slice(&out.stdout)
        .map_err(|e| Error::Credentials(format!("{program} printed no credentials JSON: {e}")))?;
    Ok(if parsed.username == "<token>" {
        Credentials::identity_token(None, parsed.secret)
    } else {
        Credentials::basic(parsed.username, parsed.secret)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_auths_and_docker_hub_key() {
        let cfg = DockerConfig::from_json(
            br#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "YWxpY2U6aHVicGFzcw=="},
                "localhost:5000": {"auth": "Ym9iOnBhc3M6d2l0aDpjb2xvbnM="},
                "ghcr.io": {"identitytoken": "refresh"}
            }}"#,
        )
        .unwrap();
        assert_eq!(
            cfg.credentials("registry-1.docker.io").await.unwrap(),
            Credentials::basic("alice", "hubpass")
        );
        assert_eq!(
            cfg.credentials("localhost:5000").await.unwrap(),
            Credentials::basic("bob", "pass:with:colons")
        );
        assert!(matches!(
            cfg.credentials("ghcr.io").await.unwrap(),
            Credentials::IdentityToken { .. }
        ));
        assert_eq!(
            cfg.credentials("quay.io").await.unwrap(),
            Credentials::Anonymous
        );
        assert!(!format!("{cfg:?}").contains("YWxp"));
    }

    #[tokio::test]
    async fn entries_match_by_host_as_docker_does() {
        let cfg = DockerConfig::from_json(
            br#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
                "docker.io": {"auth": "YWxpYXM6YWxpYXNwYXNz"},
                "http://localhost:5000": {"auth": "c2NoZW1lOnNjaGVtZXBhc3M="},
                "localhost:5000": {"auth": "ZXhhY3Q6ZXhhY3RwYXNz"},
                "https://example.com:5000/v2/": {"auth": "cG9ydDpwb3J0cGFzcw=="},
                "example.com": {"auth": "YmFyZTpiYXJlcGFzcw=="},
                "HTTPS://Upper.Example/": {"auth": "dXBwZXI6dXBwZXJwYXNz"}
            }}"#,
        )
        .unwrap();
        let user = |c: Credentials| match c {
            Credentials::Basic { username, .. } => username,
            other => panic!("{other:?}"),
        };
        // Docker Hub: docker's own key first, whatever alias names the host.
        for hub in ["registry-1.docker.io", "docker.io", "index.docker.io"] {
            assert_eq!(user(cfg.credentials(hub).await.unwrap()), "hub", "{hub}");
        }
        // The exact key wins over a scheme-prefixed one.
        assert_eq!(
            user(cfg.credentials("localhost:5000").await.unwrap()),
            "exact"
        );
        // A URL key names its host and port, and only that port.
        assert_eq!(
            user(cfg.credentials("example.com:5000").await.unwrap()),
            "port"
        );
        assert_eq!(user(cfg.credentials("example.com").await.unwrap()), "bare");
        assert_eq!(
            user(cfg.credentials("upper.example").await.unwrap()),
            "upper"
        );
        for other in [
            "example.com:5001",
            "localhost:5001",
            "localhost",
            "evil.example.com",
            "example.com.evil",
        ] {
            assert_eq!(
                cfg.credentials(other).await.unwrap(),
                Credentials::Anonymous,
                "{other}"
            );
        }
        // Without docker's Hub key, an alias key serves Docker Hub.
        let alias = DockerConfig::from_json(
            br#"{"auths": {"docker.io": {"auth": "YWxpYXM6YWxpYXNwYXNz"}}}"#,
        )
        .unwrap();
        assert_eq!(
            user(alias.credentials("registry-1.docker.io").await.unwrap()),
            "alias"
        );
    }

    #[test]
    fn helpers_get_thirty_seconds_unless_told_otherwise() {
        let config = DockerConfig::default();
        assert_eq!(config.helper_limit(), Duration::from_secs(30));
        let shorter = config.helper_timeout(Duration::from_millis(1500));
        assert_eq!(shorter.helper_limit(), Duration::from_millis(1500));
    }

    #[tokio::test]
    async fn helper_names_are_plain_names() {
        for ok in [
            "desktop",
            "ecr-login",
            "osxkeychain",
            "secretservice",
            "acr_env",
            "v1.2",
        ] {
            assert!(is_plain_helper_name(ok), "{ok}");
        }
        for bad in [
            "",
            "x/../evil",
            "../evil",
            "/bin/sh",
            "./evil",
            "a/b",
            "a\\b",
            "..",
            "a..b",
            "a b",
            "a\0b",
            "é",
        ] {
            assert!(!is_plain_helper_name(bad), "{bad}");
            for json in [
                serde_json::json!({"credHelpers": {"h.example": bad}}),
                serde_json::json!({"credsStore": bad}),
            ] {
                let cfg = DockerConfig::from_json(json.to_string().as_bytes()).unwrap();
                let err = cfg.credentials("h.example").await.unwrap_err();
                assert!(
                    matches!(&err, Error::CredentialHelperRefused { helper } if helper == bad),
                    "{err}"
                );
                assert!(
                    err.to_string().contains("refused credential helper"),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn helpers_are_found_only_in_absolute_path_directories() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let helper = bin.join("docker-credential-found");
        std::fs::write(&helper, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let not_exec = bin.join("docker-credential-plain");
        std::fs::write(&not_exec, "").unwrap();
        let path = std::env::join_paths([bin.as_path()]).unwrap();
        assert_eq!(find_in(&path, "docker-credential-found"), Some(helper));
        assert_eq!(find_in(&path, "docker-credential-plain"), None);
        assert_eq!(find_in(&path, "docker-credential-missing"), None);
        // Relative entries (".", "bin", an empty entry) name the working
        // directory: skipped, whatever it holds.
        let cwd = std::env::current_dir().unwrap();
        let up = "../".repeat(cwd.components().count());
        let to_bin = format!("{up}{}", bin.display().to_string().trim_start_matches('/'));
        assert!(Path::new(&to_bin).join("docker-credential-found").is_file());
        let relative = std::ffi::OsString::from(format!(":.:{to_bin}"));
        assert_eq!(find_in(&relative, "docker-credential-found"), None);
    }

    #[tokio::test]
    async fn runs_credential_helpers() {
        let dir = std::env::temp_dir().join(format!("ocireg-helper-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let helper = dir.join("docker-credential-ociregtest");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\nif [ \"$server\" = \"example.com:5000\" ]; then echo '{\"ServerURL\":\"x\",\"Username\":\"carol\",\"Secret\":\"s3\"}'; \
             elif [ \"$server\" = \"https://index.docker.io/v1/\" ]; then echo '{\"Username\":\"<token>\",\"Secret\":\"idt\"}'; \
             else echo 'credentials not found in native keychain'; exit 1; fi\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // Tests in this binary run in threads: set PATH only for this helper
        // by calling it through the full name in a scoped environment.
        std::env::set_var("PATH", path);
        let cfg = DockerConfig::from_json(
            br#"{"credsStore": "ociregtest", "credHelpers": {"other.io": "missing-helper"}}"#,
        )
        .unwrap();
        assert_eq!(
            cfg.credentials("example.com:5000").await.unwrap(),
            Credentials::basic("carol", "s3")
        );
        assert!(
            matches!(cfg.credentials("registry-1.docker.io").await.unwrap(), Credentials::IdentityToken { token, .. } if token.expose() == "idt")
        );
        assert_eq!(
            cfg.credentials("nowhere.io").await.unwrap(),
            Credentials::Anonymous
        );
        let err = cfg.credentials("other.io").await.unwrap_err();
        assert!(
            err.to_string().contains("docker-credential-missing-helper"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
