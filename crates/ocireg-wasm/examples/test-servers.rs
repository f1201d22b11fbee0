//! Starts the real servers the wasm and JS tests talk to, seeds them, writes
//! their URLs to a file, and keeps them running until its standard input
//! closes (or an hour passes). `scripts/wasm-tests` runs it.
//!
//! ```text
//! cargo run -p ocireg-wasm --example test-servers -- ENV_FILE < control-fifo
//! ```
//!
//! ENV_FILE gets `NAME=value` lines:
//!
//! | variable | what |
//! |---|---|
//! | `OCIREG_WASM_NOAUTH` | nginx CORS proxy (every header exposed) before a registry without auth |
//! | `OCIREG_WASM_HIDDEN` | a second proxy before the same registry that exposes neither `Docker-Content-Digest` nor `Link` |
//! | `OCIREG_WASM_DIRECT` | that registry itself, with no CORS at all |
//! | `OCIREG_WASM_TOKEN` | proxy before a token-auth registry whose realm is the proxy's `/token` |
//! | `OCIREG_WASM_BASIC` | proxy before an htpasswd registry |
//! | `OCIREG_WASM_USER`, `OCIREG_WASM_PASSWORD` | the user of the token and basic registries |
//! | `OCIREG_WASM_HELLO_DIGEST` | `demo/hello:v1`, one platform (in every registry) |
//! | `OCIREG_WASM_MULTI_DIGEST` | `demo/multi:v1`, an index of linux/amd64 and linux/arm64/v8 |
//! | `OCIREG_WASM_PAGE_REPOS` | how many `page/rNN` repositories were made for pagination |
//! | `OCIREG_WASM_CLOSED` | a loopback port nothing listens on |
//! | `OCIREG_WASM_STALL` | a registry that stops responding (no CORS: Node only): it never answers `/v2/`; under `/v2/stall/head/` it sends a head and nothing more, under `/v2/stall/drip/` a body a byte every 100 ms, under `/v2/stall/blob/` a head and 2 KiB of 64 |

#[cfg(not(target_family = "wasm"))]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    servers::main()
}

#[cfg(target_family = "wasm")]
fn main() {}

#[cfg(not(target_family = "wasm"))]
mod servers {
    use std::io::Read;
    use std::path::PathBuf;
    use std::time::Duration;

    use ocireg::ocireg_core::manifest::{media_type, Descriptor, ImageManifest, Manifest};
    use ocireg::{Client, Credentials, RawManifest, Reference};
    use ocireg_testkit::{
        free_port, skopeo_copy, write_oci_layout, Auth, CorsOptions, CorsProxy, ImageSpec, Options,
        Registry,
    };

    /// Repositories made for the pagination tests.
    const PAGE_REPOS: usize = 7;

    pub fn main() -> Result<(), Box<dyn std::error::Error>> {
        let env_file: PathBuf = std::env::args_os()
            .nth(1)
            .ok_or("usage: test-servers ENV_FILE")?
            .into();

        let plain = Registry::start(Auth::None)?;
        let noauth = CorsProxy::start(&plain.url(), None, CorsOptions::default())?;
        let hidden = CorsProxy::start(
            &plain.url(),
            None,
            CorsOptions {
                expose_digest: false,
                expose_link: false,
                port: None,
            },
        )?;

        // The realm must name the proxy before the registry starts.
        let token_port = free_port()?;
        let token_registry = Registry::start_with(
            Auth::token(),
            Options {
                realm: Some(format!("http://127.0.0.1:{token_port}/token")),
                ..Options::default()
            },
        )?;
        let token_server = token_registry
            .token_server()
            .ok_or("a token registry without its token server")?;
        let token = CorsProxy::start(
            &token_registry.url(),
            Some(&token_server.url()),
            CorsOptions {
                port: Some(token_port),
                ..CorsOptions::default()
            },
        )?;
        let (user, password) = (
            token_registry.user().unwrap_or_default().to_string(),
            token_registry.password().unwrap_or_default().to_string(),
        );
        let basic_registry = Registry::start(Auth::htpasswd(&user, &password))?;
        let basic = CorsProxy::start(&basic_registry.url(), None, CorsOptions::default())?;
        let stalling = crate::stalling::start()?;

        // Seed: the same two images everywhere, through skopeo.
        let layouts = std::env::temp_dir().join(format!("ocireg-wasm-seed-{}", std::process::id()));
        let hello = write_oci_layout(&layouts.join("hello"), &ImageSpec::new(11).tag("v1"))?;
        let multi = write_oci_layout(
            &layouts.join("multi"),
            &ImageSpec::multi_platform(12).tag("v1"),
        )?;
        let creds = format!("{user}:{password}");
        for (registry, extra) in [
            (&plain, vec![]),
            (&token_registry, vec!["--dest-creds", creds.as_str()]),
            (&basic_registry, vec!["--dest-creds", creds.as_str()]),
        ] {
            for (image, repo) in [(&hello, "demo/hello:v1"), (&multi, "demo/multi:v1")] {
                let mut args = extra.clone();
                if image.is_index() {
                    args.push("--all");
                }
                skopeo_copy(
                    &image.oci_ref(),
                    &format!("docker://{}/{repo}", registry.host()),
                    &args,
                )?;
            }
        }
        let _ = std::fs::remove_dir_all(&layouts);

        // Pagination: small repositories, pushed with the native client.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(seed_pages(&plain.host()))?;

        let vars = [
            ("OCIREG_WASM_NOAUTH", noauth.url()),
            ("OCIREG_WASM_HIDDEN", hidden.url()),
            ("OCIREG_WASM_DIRECT", plain.url()),
            ("OCIREG_WASM_TOKEN", token.url()),
            ("OCIREG_WASM_BASIC", basic.url()),
            ("OCIREG_WASM_USER", user),
            ("OCIREG_WASM_PASSWORD", password),
            ("OCIREG_WASM_HELLO_DIGEST", hello.root.digest.clone()),
            ("OCIREG_WASM_MULTI_DIGEST", multi.root.digest.clone()),
            ("OCIREG_WASM_PAGE_REPOS", PAGE_REPOS.to_string()),
            (
                "OCIREG_WASM_CLOSED",
                format!("http://127.0.0.1:{}", free_port()?),
            ),
            ("OCIREG_WASM_STALL", format!("http://127.0.0.1:{stalling}")),
        ];
        let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        // Written whole, then renamed: a reader never sees half a file.
        let partial = env_file.with_extension("partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &env_file)?;
        eprintln!("test-servers: ready ({})", env_file.display());

        // Run until stdin closes, or an hour at most; then return, so every
        // server is stopped by its guard's drop.
        let (closed, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
            let _ = closed.send(());
        });
        let _ = wait.recv_timeout(Duration::from_secs(3600));
        eprintln!("test-servers: stopping");
        Ok(())
    }

    /// Pushes `page/r00` ... with one tiny image each.
    async fn seed_pages(host: &str) -> Result<(), Box<dyn std::error::Error>> {
        let client = Client::builder()
            .use_docker_config(false)
            .credentials(host, Credentials::Anonymous)
            .build()?;
        for i in 0..PAGE_REPOS {
            let repo: Reference = format!("{host}/page/r{i:02}:latest").parse()?;
            let config = format!(
                r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"seed":{i}}}"#
            );
            let digest = client
                .push_blob_bytes(&repo, bytes::Bytes::from(config.clone()))
                .await?;
            let manifest = Manifest::Image(ImageManifest::new(
                media_type::OCI_MANIFEST,
                Descriptor::new(media_type::OCI_CONFIG, digest, config.len() as u64),
                Vec::new(),
            ));
            client
                .put_manifest(&repo, &RawManifest::encode(&manifest)?)
                .await?;
        }
        Ok(())
    }
}

/// The registry that stops responding, for the stall timeout's test in
/// Node. Its threads end when their client gives up on the connection.
#[cfg(not(target_family = "wasm"))]
mod stalling {
    use std::io::{self, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// Starts it on a free loopback port, for as long as the process runs.
    pub fn start() -> io::Result<u16> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let _ = misbehave(conn);
                });
            }
        });
        Ok(port)
    }

    fn misbehave(mut conn: TcpStream) -> io::Result<()> {
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            request.extend_from_slice(&buf[..n]);
        }
        let line = String::from_utf8_lossy(&request)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let head = |len: usize| {
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\n\r\n")
        };
        if line.contains("/v2/stall/head/") {
            conn.write_all(head(600).as_bytes())?;
        } else if line.contains("/v2/stall/drip/") {
            conn.write_all(head(600).as_bytes())?;
            for _ in 0..600 {
                std::thread::sleep(Duration::from_millis(100));
                conn.write_all(b" ")?;
            }
        } else if line.contains("/v2/stall/blob/") {
            conn.write_all(head(64 << 10).as_bytes())?;
            conn.write_all(&[7; 2 << 10])?;
        }
        // Silent from here until the client hangs up.
        while conn.read(&mut buf)? > 0 {}
        Ok(())
    }
}
