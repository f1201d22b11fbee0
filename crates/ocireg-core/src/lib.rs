//! # ocireg-core
//!
//! The sans-IO core of ocireg: everything about the OCI Distribution API and
//! the Docker Registry HTTP API v2 that does not need a socket. It parses and
//! normalizes image references exactly like docker, validates and computes
//! digests, reads and writes manifests, and (in its protocol modules) builds
//! every request and reads every response. It never does I/O, never reads a
//! clock and compiles for `wasm32-unknown-unknown`; the transports in the
//! `ocireg` (native) and `ocireg-wasm` (browser) crates move the bytes.
//!
//! ## Data
//! - [`reference`](mod@reference): image references (`ubuntu`, `ghcr.io/o/r:tag@sha256:...`)
//!   with docker's grammar and normalization.
//! - [`digest`]: digests plus the streaming hasher and verifier.
//! - [`manifest`]: OCI and Docker manifests and indexes, schema1 (read-only),
//!   artifacts; raw bytes and their digest travel together.
//! - [`platform`]: platforms and the index matcher.
//! - [`config`]: the image configuration.
//! - [`documents`]: the registry's small JSON documents: error bodies, tag
//!   lists, the catalog.
//! - [`summary`]: a tag at a glance (sizes, dates, platforms, configs),
//!   assembled from fetched manifests and configs.
//!
//! ## Protocol
//! - [`registry`]: which scheme and host serve a reference's domain
//!   (docker's defaults, insecure registries, Docker Hub mirrors).
//! - [`requests`]: one `http::Request` builder per endpoint of the API.
//! - [`headers`]: readers for the response headers (`Link`, `Location`,
//!   ranges, rate limits, `Retry-After`, `Warning`).
//! - [`auth`]: `WWW-Authenticate` challenges, scopes, credentials, tokens,
//!   and the [`Session`](auth::Session) that caches them.
//! - [`ops`]: every registry interaction (ping, list, manifests, blob pull
//!   and push, ...) as a state machine a transport drives with one loop.
//! - [`redact`]: URLs as messages and logs show them (no query: pre-signed
//!   URLs carry signatures).
//! - [`stall`]: the stall timeout's accounting (no progress, at least
//!   1 KiB, for a window fails the attempt), shared by the transports.
//!
//! ## Planning
//! - [`plan`]: the image-graph planner that copy, layout pull and push
//!   drivers share: which manifests to fetch (each once, nested indexes to
//!   any depth), which blobs to mount, skip or stream (largest first), and
//!   the order to put manifests in (children before their index).
//! - [`SummaryPlan`](summary::SummaryPlan): the fan-out of a summary
//!   (each child manifest of an index once, then the image configs), every
//!   fetched piece checked against its descriptor.
//!
//! ```
//! use ocireg_core::Reference;
//!
//! let r: Reference = "ubuntu:22.04".parse().unwrap();
//! assert_eq!(r.to_string(), "docker.io/library/ubuntu:22.04");
//! assert_eq!(r.registry_host(), "registry-1.docker.io");
//! assert_eq!(r.familiar(), "ubuntu:22.04");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod config;
mod dates;
pub mod digest;
pub mod documents;
pub mod error;
pub mod headers;
pub mod manifest;
pub mod ops;
pub mod plan;
pub mod platform;
pub mod redact;
pub mod reference;
pub mod registry;
pub mod requests;
pub mod stall;
pub mod summary;

pub use digest::{Algorithm, Digest, DigestError, Hasher, Verifier, VerifyError};
pub use error::Error;
pub use reference::{Reference, ReferenceError, ReferenceErrorKind, Repository};

/// The `http` crate, whose request and response types the core speaks.
pub use http;
/// The `url` crate, whose `Url` the core uses.
pub use url;
