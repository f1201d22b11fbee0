//! # ocireg
//!
//! A registry client for the OCI Distribution API and the Docker Registry
//! HTTP API v2: list, pull, push, copy and delete images and artifacts
//! on any registry (the `registry` server, Harbor, Docker Hub, ghcr, ...).
//!
//! - Every protocol decision (authentication, token caching, redirects,
//!   retries, resumable downloads, upload strategy, verification) is made
//!   by [`ocireg_core`]; this crate drives its operations over reqwest
//!   (rustls) and tokio and adds what only native code can do: docker's
//!   `config.json` and credential helpers, files.
//! - Blobs stream: they are never held in memory, and every byte pulled is
//!   checked against its digest before a pull reports success.
//!
//! ```no_run
//! use ocireg::{Client, Reference};
//!
//! # async fn demo() -> Result<(), ocireg::Error> {
//! let client = Client::builder().build()?;
//! let src: Reference = "docker.io/library/alpine:3.20".parse()?;
//! let dst: Reference = "localhost:5000/mirror/alpine:3.20".parse()?;
//! let report = client.copy(&src, &dst, &ocireg::CopyOptions::default()).await?;
//! println!("copied {} ({} blobs uploaded)", report.digest, report.blobs_uploaded);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod copy;
pub mod docker_config;
mod error;
mod graph;
pub mod layout;
pub mod source;
mod stall;
mod transport;

pub use client::{Client, ClientBuilder, Direction, Progress};
pub use copy::{CopyOptions, CopyReport};
pub use error::Error;
/// The sans-IO core this crate drives.
pub use ocireg_core;
pub use ocireg_core::auth::Credentials;
pub use ocireg_core::manifest::RawManifest;
pub use ocireg_core::ops::{
    Fetched, ManifestHead, Page, PingInfo, PushOutcome, PutOutcome, Resolved,
};
pub use ocireg_core::platform::Platform;
pub use ocireg_core::summary::ImageSummary;
pub use ocireg_core::{Digest, Reference};
