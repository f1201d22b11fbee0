//! `ocireg`: a registry client on the command line, built on the `ocireg`
//! crate. Registries on localhost, 127.0.0.0/8 and ::1 are plain HTTP, like
//! docker; others with `--insecure HOST`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ocireg::ocireg_core::auth::Secret;
use ocireg::ocireg_core::ops::DEFAULT_PAGE_SIZE;
use ocireg::{Client, CopyOptions, Credentials, Platform, Reference};
use ocireg_cli::creds::{self, Given, Hosts, UserPass};
use ocireg_cli::{commands, progress::Bars};

#[derive(Parser)]
#[command(name = "ocireg", version, about = "Work with container registries")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// User name for the registry this command talks to (a command with a
    /// source and a destination on two registries takes --src-creds and
    /// --dest-creds instead).
    #[arg(short = 'u', long, global = true, env = "OCIREG_USERNAME")]
    username: Option<String>,
    /// Password or token (prefer --password-stdin or OCIREG_PASSWORD).
    #[arg(
        short = 'p',
        long,
        global = true,
        env = "OCIREG_PASSWORD",
        hide_env_values = true,
        value_parser = secret
    )]
    password: Option<Secret>,
    /// Read the password from standard input.
    #[arg(long, global = true)]
    password_stdin: bool,
    /// Speak plain HTTP to this registry (host or host:port); repeatable.
    #[arg(long = "insecure", global = true, value_name = "HOST")]
    insecure: Vec<String>,
    /// Print JSON for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// Fail a request when the registry makes no progress (a response, or
    /// another KiB sent or received) for this many seconds; it is retried
    /// where that is safe, and a download resumes.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    timeout: u64,
    /// Give up the whole command after this many seconds.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    deadline: Option<u64>,
}

/// Internal, for the tests: milliseconds a docker credential helper may
/// take instead of the library's 30 s.
const HELPER_TIMEOUT_ENV: &str = "OCIREG_CREDENTIAL_HELPER_TIMEOUT_MS";

#[derive(Subcommand)]
enum Command {
    /// Parse image references from stdin, one a line, and print one JSON
    /// object a line (domain, path, tag, digest, normalized and familiar
    /// forms, or the kind of error).
    Ref,
    /// List the repositories of a registry.
    Catalog {
        /// Registry host, e.g. localhost:5000.
        registry: String,
    },
    /// List the tags of a repository.
    Tags {
        /// Repository, e.g. localhost:5000/team/app.
        repository: String,
    },
    /// Print a manifest's exact bytes.
    Manifest {
        reference: String,
        /// Resolve an index to this platform's manifest (os/arch[/variant]).
        #[arg(long)]
        platform: Option<Platform>,
    },
    /// Print the digest of a manifest.
    Digest {
        reference: String,
        #[arg(long)]
        platform: Option<Platform>,
    },
    /// Print an image's configuration.
    Config {
        reference: String,
        #[arg(long)]
        platform: Option<Platform>,
    },
    /// Describe an image: digest, size, created, platforms, layers.
    Inspect {
        reference: String,
        #[arg(long)]
        platform: Option<Platform>,
    },
    /// Pull an image into an OCI image layout directory.
    Pull {
        reference: String,
        dir: PathBuf,
        #[arg(long)]
        platform: Option<Platform>,
    },
    /// Push an image from an OCI image layout directory.
    Push {
        dir: PathBuf,
        reference: String,
        /// The image's name in the layout's index.json (when it has several).
        #[arg(long)]
        name: Option<String>,
    },
    /// Copy an image (all platforms, or those given) between repositories
    /// or registries; within a registry, blobs are mounted.
    Copy {
        source: String,
        destination: String,
        /// Copy only this platform; repeatable.
        #[arg(long)]
        platform: Vec<Platform>,
        #[command(flatten)]
        creds: SrcDestCreds,
    },
    /// Give an image another tag in the same repository.
    Tag { reference: String, tag: String },
    /// Delete a manifest (by tag or digest; every tag on that digest goes).
    Delete { reference: String },
    /// List the referrers of a manifest (signatures, SBOMs, attestations).
    Referrers {
        reference: String,
        #[arg(long)]
        artifact_type: Option<String>,
    },
    /// Show Docker Hub's pull rate limit for a reference (a HEAD request,
    /// which costs no pull).
    Ratelimit { reference: String },
    /// Copy many images into ONE repository, each as tag `<image>-<tag>`
    /// (e.g. localhost:5000/nginx:1.25 -> REPO:nginx-1.25), as Docker Hub's
    /// one-private-repository plan needs.
    RetagInto {
        /// The destination repository.
        repository: String,
        /// Images to copy.
        #[arg(required = true)]
        images: Vec<String>,
        /// Name tags after the whole repository path (`team-app-1.0`)
        /// instead of its last component (`app-1.0`).
        #[arg(long)]
        full_path: bool,
        #[command(flatten)]
        creds: SrcDestCreds,
    },
}

/// Credentials for each side of a command with a source and a
/// destination; each goes only to its own registry.
#[derive(Args, Clone, Default)]
struct SrcDestCreds {
    /// Credentials for the source registry only, USER:PASS (the password
    /// is all after the first colon; USER alone is refused).
    #[arg(
        long,
        value_name = "USER:PASS",
        env = "OCIREG_SRC_CREDS",
        hide_env_values = true
    )]
    src_creds: Option<UserPass>,
    /// Credentials for the destination registry only, USER:PASS.
    #[arg(
        long,
        value_name = "USER:PASS",
        env = "OCIREG_DEST_CREDS",
        hide_env_values = true
    )]
    dest_creds: Option<UserPass>,
}

/// A password argument, kept as a [`Secret`] from the start.
fn secret(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

fn parse(s: &str) -> Result<Reference, String> {
    s.parse::<Reference>().map_err(|e| format!("{s:?}: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Ref = cli.command {
        return match ocireg_cli::refcmd::run(std::io::stdin().lock(), std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => fail(&e.to_string()),
        };
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let Some(deadline) = cli.global.deadline else {
        return match runtime.block_on(run(cli)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        };
    };
    // The timer is made inside the runtime.
    let within = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(deadline), run(cli)).await });
    // What the command left running (a file write on a blocking thread)
    // is not waited for.
    runtime.shutdown_background();
    match within {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => fail(&e),
        Err(_) => fail(&format!(
            "gave up: the command did not finish within its deadline ({deadline} s)"
        )),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("ocireg: {message}");
    ExitCode::FAILURE
}

/// The registry hosts a command reads from and writes to.
fn hosts(command: &Command) -> Hosts {
    let host = |r: &str| {
        r.parse::<Reference>()
            .ok()
            .map(|r| r.registry_host().to_string())
    };
    match command {
        Command::Catalog { registry } => Hosts {
            sources: vec![ocireg_core::reference::registry_host(registry).to_string()],
            destinations: vec![],
        },
        Command::Copy {
            source,
            destination,
            ..
        } => Hosts {
            sources: host(source).into_iter().collect(),
            destinations: host(destination).into_iter().collect(),
        },
        Command::RetagInto {
            repository, images, ..
        } => Hosts {
            sources: images.iter().filter_map(|i| host(i)).collect(),
            destinations: host(repository).into_iter().collect(),
        },
        other => Hosts {
            sources: one_registry(other).and_then(host).into_iter().collect(),
            destinations: vec![],
        },
    }
}

/// The reference of a command that talks to one registry.
fn one_registry(command: &Command) -> Option<&str> {
    Some(match command {
        Command::Ref
        | Command::Catalog { .. }
        | Command::Copy { .. }
        | Command::RetagInto { .. } => return None,
        Command::Tags { repository } => repository,
        Command::Manifest { reference, .. }
        | Command::Digest { reference, .. }
        | Command::Config { reference, .. }
        | Command::Inspect { reference, .. }
        | Command::Pull { reference, .. }
        | Command::Push { reference, .. }
        | Command::Tag { reference, .. }
        | Command::Delete { reference }
        | Command::Referrers { reference, .. }
        | Command::Ratelimit { reference } => reference,
    })
}

/// The `--src-creds` / `--dest-creds` of a command.
fn src_dest_creds(command: &Command) -> SrcDestCreds {
    match command {
        Command::Copy { creds, .. } | Command::RetagInto { creds, .. } => creds.clone(),
        _ => SrcDestCreds::default(),
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let g = cli.global;
    let mut password = g.password.clone();
    if g.password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| e.to_string())?;
        password = Some(Secret::new(s.trim_end_matches(['\n', '\r'])));
    }
    let mut builder = Client::builder().stall_timeout(Duration::from_secs(g.timeout));
    if let Some(ms) = std::env::var(HELPER_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder = builder.credential_helper_timeout(Duration::from_millis(ms));
    }
    for host in &g.insecure {
        builder = builder.insecure_registry(host);
    }
    let side = src_dest_creds(&cli.command);
    let given = Given {
        login: g
            .username
            .as_ref()
            .map(|user| Credentials::basic(user.clone(), password.clone().unwrap_or_default())),
        login_given: g.username.is_some() || password.is_some(),
        src: side.src_creds,
        dest: side.dest_creds,
    };
    for (host, creds) in creds::assign(&given, &hosts(&cli.command))? {
        builder = builder.credentials(&host, creds);
    }
    let bars = std::io::stderr().is_terminal().then(Bars::new);
    if let Some(b) = &bars {
        let b = b.clone();
        builder = builder.on_progress(move |p| b.update(p));
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let json = g.json;
    let mut out = std::io::stdout().lock();
    let result = match cli.command {
        Command::Ref => Ok(()),
        Command::Catalog { registry } => {
            let repos = client.catalog_stream(&registry, DEFAULT_PAGE_SIZE);
            commands::print_stream(&mut out, repos, json).await
        }
        Command::Tags { repository } => {
            let tags = client.tags_stream(&parse(&repository)?, DEFAULT_PAGE_SIZE);
            commands::print_stream(&mut out, tags, json).await
        }
        Command::Manifest {
            reference,
            platform,
        } => {
            let raw = commands::manifest(&client, &parse(&reference)?, platform.as_ref()).await?;
            out.write_all(raw.bytes()).map_err(|e| e.to_string())
        }
        Command::Digest {
            reference,
            platform,
        } => {
            let r = parse(&reference)?;
            let digest = match platform {
                Some(p) => client
                    .resolve(&r, &p)
                    .await
                    .map_err(|e| e.to_string())?
                    .manifest
                    .digest(),
                None => {
                    client
                        .head_manifest(&r)
                        .await
                        .map_err(|e| e.to_string())?
                        .digest
                }
            };
            writeln!(out, "{digest}").map_err(|e| e.to_string())
        }
        Command::Config {
            reference,
            platform,
        } => {
            let config =
                commands::config_bytes(&client, &parse(&reference)?, platform.as_ref()).await?;
            out.write_all(&config)
                .and_then(|_| writeln!(out))
                .map_err(|e| e.to_string())
        }
        Command::Inspect {
            reference,
            platform,
        } => {
            let r = parse(&reference)?;
            let summary = commands::inspect(&client, &r, platform.as_ref()).await?;
            commands::print_inspect(&mut out, &r, &summary, json)
        }
        Command::Pull {
            reference,
            dir,
            platform,
        } => {
            let r = parse(&reference)?;
            let pulled = ocireg::layout::pull(&client, &r, &dir, platform.as_ref())
                .await
                .map_err(|e| e.to_string())?;
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"digest": pulled.digest.to_string(), "blobs": pulled.blobs})
                )
            } else {
                writeln!(out, "{} -> {} ({})", r, dir.display(), pulled.digest)
            }
            .map_err(|e| e.to_string())
        }
        Command::Push {
            dir,
            reference,
            name,
        } => {
            let r = parse(&reference)?;
            let digest = ocireg::layout::push(&client, &dir, name.as_deref(), &r)
                .await
                .map_err(|e| e.to_string())?;
            writeln!(out, "{}@{}", r.without_tag_or_digest(), digest).map_err(|e| e.to_string())
        }
        Command::Copy {
            source,
            destination,
            platform,
            ..
        } => {
            let mut options = CopyOptions::default();
            if !platform.is_empty() {
                options = options.platforms(platform);
            }
            let report = client
                .copy(&parse(&source)?, &parse(&destination)?, &options)
                .await
                .map_err(|e| e.to_string())?;
            commands::print_copy(&mut out, &destination, &report, json)
        }
        Command::Tag { reference, tag } => {
            let r = parse(&reference)?;
            let raw = client
                .get_manifest(&r)
                .await
                .map_err(|e| e.to_string())?
                .manifest;
            let target = r
                .without_tag_or_digest()
                .with_tag(&tag)
                .map_err(|e| format!("tag {tag:?}: {e}"))?;
            client
                .put_manifest(&target, &raw)
                .await
                .map_err(|e| e.to_string())?;
            writeln!(out, "{target}").map_err(|e| e.to_string())
        }
        Command::Delete { reference } => {
            let digest = client
                .delete_manifest(&parse(&reference)?)
                .await
                .map_err(|e| e.to_string())?;
            writeln!(out, "deleted {digest}").map_err(|e| e.to_string())
        }
        Command::Referrers {
            reference,
            artifact_type,
        } => {
            let index = client
                .referrers(&parse(&reference)?, artifact_type.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            commands::print_referrers(&mut out, &index, json)
        }
        Command::Ratelimit { reference } => {
            let head = client
                .head_manifest(&parse(&reference)?)
                .await
                .map_err(|e| e.to_string())?;
            commands::print_ratelimit(&mut out, head.rate_limit.as_ref(), json)
        }
        Command::RetagInto {
            repository,
            images,
            full_path,
            ..
        } => {
            let dest = parse(&repository)?;
            let mut rows = Vec::new();
            for image in &images {
                let src = parse(image)?;
                let tag = commands::combined_tag(&src, full_path)?;
                let target = dest
                    .without_tag_or_digest()
                    .with_tag(&tag)
                    .map_err(|e| e.to_string())?;
                let report = client
                    .copy(&src, &target, &CopyOptions::default())
                    .await
                    .map_err(|e| format!("{image}: {e}"))?;
                rows.push((image.clone(), target.to_string(), report.digest.to_string()));
            }
            commands::print_retag(&mut out, &rows, json)
        }
    };
    if let Some(b) = bars {
        b.finish();
    }
    result
}
