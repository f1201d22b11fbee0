//! Debian's nginx as a CORS reverse proxy in front of the registry, the way
//! registry web UIs deploy it.

use crate::{free_port, log_tail, require_binary, wait_ready, ChildGuard, TempDir};
use crate::{Auth, Options, Registry};
use std::fs;
use std::io;
use std::process::{Command, Stdio};
use std::time::Duration;

/// What the proxy tells browsers.
#[derive(Debug, Clone)]
pub struct CorsOptions {
    /// List `Docker-Content-Digest` in `Access-Control-Expose-Headers`.
    /// False mimics a proxy that forgot it (scripts cannot read the digest).
    pub expose_digest: bool,
    /// List `Link` in `Access-Control-Expose-Headers`.
    pub expose_link: bool,
    /// Listen on this port instead of a free one (pick it with
    /// [`free_port`](crate::free_port) when the registry's token realm must
    /// point at the proxy before it starts).
    pub port: Option<u16>,
}

impl Default for CorsOptions {
    fn default() -> CorsOptions {
        CorsOptions {
            expose_digest: true,
            expose_link: true,
            port: None,
        }
    }
}

/// A running nginx (`daemon off; master_process off`), stopped on drop.
#[derive(Debug)]
pub struct CorsProxy {
    port: u16,
    _child: ChildGuard,
    _dir: TempDir,
}

impl CorsProxy {
    /// Starts nginx proxying `/` to `upstream_registry_url` and, when given,
    /// `/token` to the token server at `token_server_url` (its `/token`
    /// path). Waits (up to 10 s) until `/v2/` answers through it.
    pub fn start(
        upstream_registry_url: &str,
        token_server_url: Option<&str>,
        options: CorsOptions,
    ) -> io::Result<CorsProxy> {
        let program = require_binary("nginx", "nginx")?;
        let dir = TempDir::new("nginx")?;
        for temp in ["client", "proxy", "fastcgi", "uwsgi", "scgi"] {
            fs::create_dir_all(dir.path().join("tmp").join(temp))?;
        }
        let error_log = dir.path().join("error.log");
        let attempts = if options.port.is_some() { 1 } else { 3 };
        let mut last_error = None;
        for _ in 0..attempts {
            let port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            let conf = dir.path().join("nginx.conf");
            let text = config(
                &dir,
                port,
                upstream_registry_url,
                token_server_url,
                &options,
            );
            fs::write(&conf, text)?;
            let child = Command::new(&program)
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(&error_log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(fs::File::create(dir.path().join("stderr.log"))?)
                .spawn()?;
            let mut child = ChildGuard(child);
            let url = format!("http://127.0.0.1:{port}/v2/");
            match wait_ready(&mut child.0, &url, &[200, 401], Duration::from_secs(10)) {
                Ok(true) => {
                    return Ok(CorsProxy {
                        port,
                        _child: child,
                        _dir: dir,
                    })
                }
                Ok(false) if log_tail(&error_log, 10).contains("Address already in use") => {
                    last_error = Some(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!("nginx could not bind port {port}"),
                    ));
                }
                Ok(false) | Err(_) => {
                    return Err(io::Error::other(format!(
                        "nginx did not come up on port {port}; error log tail:\n{}\n{}",
                        log_tail(&error_log, 20),
                        log_tail(&dir.path().join("stderr.log"), 20)
                    )));
                }
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free port for nginx")))
    }

    /// Starts a registry and this proxy in front of it; in token mode the
    /// token server is behind the proxy too (at `/token`) and the registry's
    /// realm points there, so a browser only ever talks to the proxy.
    pub fn start_with_registry(
        auth: Auth,
        mut options: Options,
        mut cors: CorsOptions,
    ) -> io::Result<(Registry, CorsProxy)> {
        let port = match cors.port {
            Some(port) => port,
            None => free_port()?,
        };
        cors.port = Some(port);
        if matches!(auth, Auth::Token(_)) && options.realm.is_none() {
            options.realm = Some(format!("http://127.0.0.1:{port}/token"));
        }
        let registry = Registry::start_with(auth, options)?;
        let token_url = registry.token_server().map(|t| t.url());
        let proxy = CorsProxy::start(&registry.url(), token_url.as_deref(), cors)?;
        Ok((registry, proxy))
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// The token endpoint through the proxy: `http://127.0.0.1:PORT/token`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.url())
    }
}

fn config(
    dir: &TempDir,
    port: u16,
    registry: &str,
    token_server: Option<&str>,
    options: &CorsOptions,
) -> String {
    let mut expose = vec!["WWW-Authenticate", "Content-Range", "Location", "Range"];
    expose.extend(["Docker-Upload-UUID", "OCI-Chunk-Min-Length"]);
    if options.expose_digest {
        expose.insert(0, "Docker-Content-Digest");
    }
    if options.expose_link {
        expose.push("Link");
    }
    let cors = format!(
        "add_header Access-Control-Allow-Origin $http_origin always;\n      \
         add_header Access-Control-Allow-Methods \"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\" always;\n      \
         add_header Access-Control-Allow-Headers \"Authorization, Accept, Content-Type, Content-Range, Range, Cache-Control\" always;\n      \
         add_header Access-Control-Expose-Headers \"{}\" always;\n      \
         add_header Vary Origin always;",
        expose.join(", ")
    );
    // `add_header` inside `if` replaces the location's, hence the repetition.
    let location = |path: &str, upstream: &str| {
        let upstream = upstream.trim_end_matches('/');
        format!(
            "    location {path} {{\n      \
             if ($request_method = OPTIONS) {{\n      {cors}\n        return 204;\n      }}\n      \
             {cors}\n      \
             proxy_pass {upstream};\n      \
             proxy_set_header Host $http_host;\n      \
             proxy_set_header X-Forwarded-Proto $scheme;\n    }}\n"
        )
    };
    let mut locations = location("/", registry);
    if let Some(token) = token_server {
        // `location /token` with a bare `proxy_pass http://host:port` keeps
        // the original URI, so the token server sees `/token?...`.
        let base = token.trim_end_matches('/').trim_end_matches("/token");
        locations.push_str(&location("/token", base));
    }
    let d = dir.path().display();
    format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         events {{\n  worker_connections 512;\n}}\n\
         http {{\n  access_log off;\n\
         \x20 client_body_temp_path {d}/tmp/client;\n  proxy_temp_path {d}/tmp/proxy;\n\
         \x20 fastcgi_temp_path {d}/tmp/fastcgi;\n  uwsgi_temp_path {d}/tmp/uwsgi;\n\
         \x20 scgi_temp_path {d}/tmp/scgi;\n\
         \x20 server {{\n    listen 127.0.0.1:{port};\n\
         \x20   client_max_body_size 0;\n    proxy_http_version 1.1;\n\
         \x20   proxy_request_buffering off;\n    proxy_buffering off;\n\
         {locations}  }}\n}}\n"
    )
}
