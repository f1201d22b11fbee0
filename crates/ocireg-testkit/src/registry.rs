//! Debian's `docker-registry` (distribution 2.8.2) as a child process.

use crate::token::{TokenPolicy, TokenServer};
use crate::{free_port, log_tail, require_binary, wait_ready, ChildGuard, TempDir};
use std::fs;
use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How the registry authenticates clients.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// No authentication: `/v2/` answers 200.
    #[default]
    None,
    /// htpasswd basic auth with one bcrypt user: `/v2/` answers 401 with a
    /// `Basic` challenge.
    Htpasswd {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// Bearer tokens from a [`TokenServer`] started with the registry and
    /// this policy: `/v2/` answers 401 with a `Bearer` challenge.
    Token(TokenPolicy),
}

impl Auth {
    /// [`Auth::Htpasswd`] with these credentials.
    pub fn htpasswd(user: &str, password: &str) -> Auth {
        Auth::Htpasswd {
            user: user.into(),
            password: password.into(),
        }
    }

    /// [`Auth::Token`] with [`TokenPolicy::default`].
    pub fn token() -> Auth {
        Auth::Token(TokenPolicy::default())
    }
}

/// Registry settings beyond auth.
#[derive(Debug, Clone)]
pub struct Options {
    /// `storage.delete.enabled`; when false, deletes answer 405 `UNSUPPORTED`.
    pub delete_enabled: bool,
    /// The token realm the registry advertises, instead of the token
    /// server's own URL (e.g. the token path of a proxy in front of it).
    pub realm: Option<String>,
    /// The token `service` name (token mode).
    pub service: String,
    /// `log.level`: `error`, `warn`, `info` or `debug`.
    pub log_level: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            delete_enabled: true,
            realm: None,
            service: "ocireg-testkit-registry".into(),
            log_level: "warn".into(),
        }
    }
}

/// A running registry on `127.0.0.1:PORT`; killed, and its storage removed,
/// on drop.
#[derive(Debug)]
pub struct Registry {
    port: u16,
    credentials: Option<(String, String)>,
    token_server: Option<TokenServer>,
    log: PathBuf,
    // Field order matters: the process dies before its directory goes.
    _child: ChildGuard,
    dir: TempDir,
}

impl Registry {
    /// Starts a registry with default [`Options`].
    pub fn start(auth: Auth) -> io::Result<Registry> {
        Registry::start_with(auth, Options::default())
    }

    /// Starts a registry, waiting (up to 10 s) until `GET /v2/` answers
    /// 200 or 401. Errors carry the tail of the registry's log.
    pub fn start_with(auth: Auth, options: Options) -> io::Result<Registry> {
        let program = require_binary("docker-registry", "docker-registry")?;
        let dir = TempDir::new("registry")?;
        let (auth_yaml, credentials, token_server) = write_auth(&dir, auth, &options)?;
        let log = dir.path().join("registry.log");
        let mut last_error = None;
        // A port found free may be taken before the registry binds it: retry.
        for _ in 0..3 {
            let port = free_port()?;
            let config = dir.path().join("config.yml");
            fs::write(&config, config_yaml(&dir, port, &options, &auth_yaml))?;
            let log_file = fs::File::create(&log)?;
            let child = Command::new(&program)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone()?)
                .stderr(log_file)
                .spawn()?;
            let mut child = ChildGuard(child);
            let url = format!("http://127.0.0.1:{port}/v2/");
            match wait_ready(&mut child.0, &url, &[200, 401], Duration::from_secs(10)) {
                Ok(true) => {
                    return Ok(Registry {
                        port,
                        credentials,
                        token_server,
                        log,
                        _child: child,
                        dir,
                    })
                }
                Ok(false) if log_tail(&log, 20).contains("address already in use") => continue,
                Ok(false) => {
                    last_error = Some(io::Error::other(format!(
                        "docker-registry exited at start; log tail:\n{}",
                        log_tail(&log, 20)
                    )))
                }
                Err(e) => {
                    last_error = Some(io::Error::new(
                        e.kind(),
                        format!("{e}; docker-registry log tail:\n{}", log_tail(&log, 20)),
                    ))
                }
            }
            break;
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free port for docker-registry")))
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user: the htpasswd user, or the token policy's first user.
    pub fn user(&self) -> Option<&str> {
        self.credentials.as_ref().map(|(u, _)| u.as_str())
    }

    /// The password of [`Registry::user`].
    pub fn password(&self) -> Option<&str> {
        self.credentials.as_ref().map(|(_, p)| p.as_str())
    }

    /// `user:password` for `skopeo --dest-creds`/`--src-creds`.
    pub fn creds(&self) -> Option<String> {
        self.credentials.as_ref().map(|(u, p)| format!("{u}:{p}"))
    }

    /// The token server, in token mode.
    pub fn token_server(&self) -> Option<&TokenServer> {
        self.token_server.as_ref()
    }

    /// The registry's storage root directory.
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

type AuthSetup = (String, Option<(String, String)>, Option<TokenServer>);

fn write_auth(dir: &TempDir, auth: Auth, options: &Options) -> io::Result<AuthSetup> {
    Ok(match auth {
        Auth::None => (String::new(), None, None),
        Auth::Htpasswd { user, password } => {
            // Cost 5 as `htpasswd -B` uses: the registry checks it on every request.
            let hash = bcrypt::hash(&password, 5).map_err(io::Error::other)?;
            let path = dir.path().join("htpasswd");
            fs::write(&path, format!("{user}:{hash}\n"))?;
            let yaml = format!(
                "auth:\n  htpasswd:\n    realm: ocireg-testkit\n    path: {}\n",
                path.display()
            );
            (yaml, Some((user, password)), None)
        }
        Auth::Token(policy) => {
            let credentials = policy
                .users
                .first()
                .map(|u| (u.name.clone(), u.password.clone()));
            let server = TokenServer::start(policy, &options.service)?;
            let bundle = dir.path().join("token-cert.pem");
            fs::write(&bundle, server.cert_pem())?;
            let realm = options.realm.clone().unwrap_or_else(|| server.url());
            let yaml = format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {}\n    issuer: {}\n    \
                 rootcertbundle: {}\n",
                server.service(),
                server.issuer(),
                bundle.display()
            );
            (yaml, credentials, Some(server))
        }
    })
}

fn config_yaml(dir: &TempDir, port: u16, options: &Options, auth_yaml: &str) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: {level}\n  formatter: text\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  \
         delete:\n    enabled: {delete}\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: ocireg-testkit-secret\n\
         {auth_yaml}",
        level = options.log_level,
        storage = dir.path().join("storage").display(),
        delete = options.delete_enabled,
    )
}
