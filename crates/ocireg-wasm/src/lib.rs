//! # ocireg-wasm
//!
//! The browser transport of ocireg: it drives the registry operations of
//! [`ocireg_core`] over `fetch` (through gloo-net), in browsers, web
//! workers and Node 20+. It is the twin of the native `ocireg` crate and has
//! the same shape: a `Client` whose async methods each build one
//! operation and hand it to the one drive loop in `transport.rs`.
//!
//! ```text
//! loop {
//!     match op.poll(&mut cx) {                 // cx: Date.now() + the shared Session
//!         Send(request) -> fetch(request, cache: "no-store")
//!                          buffered body (up to the core's limit) or a
//!                          ReadableStream kept for Read;
//!                          op.handle(Input::Response | Input::Error)
//!         Read          -> reader.read(): op.handle(Input::Chunk) -> sink,
//!                          or op.handle(Input::End)
//!         Sleep(d)      -> a setTimeout promise
//!         Done(result)  -> return result
//!     }
//! }
//! ```
//!
//! Like the native transport it moves bytes and sleeps; every decision is
//! the core's: authentication (Basic, bearer tokens and their cache),
//! retries, pagination (with the `last=` fallback when a CORS setup hides
//! `Link`), verification of every manifest and blob against its digest,
//! upload strategy.
//!
//! ## What a browser changes
//! - Manifest requests are sent with `cache: "no-store"` (every request
//!   is): a cached response fetched with another `Accept` must never
//!   answer.
//! - Headers a page may not set (`Content-Length`, `Host`, ...) are
//!   left to the browser.
//! - The browser follows redirects itself (a script cannot see a 3xx
//!   response); the fetch standard drops `Authorization` on a redirect to
//!   another origin, as the core would.
//! - A response header a CORS setup does not expose is simply absent: the
//!   core computes manifest digests from the bytes when
//!   `Docker-Content-Digest` is hidden, pages with `last=` when `Link` is
//!   hidden, and names the missing `Access-Control-Expose-Headers` entry
//!   when it cannot read `WWW-Authenticate`.
//! - A request the browser refuses (CORS, mixed content, a network error it
//!   will not describe) fails with [`TransportErrorKind::Blocked`](ocireg_core::ops::TransportErrorKind::Blocked).
//! - Every request carries an `AbortController`: an attempt that makes no
//!   progress for the stall timeout (60 s,
//!   `ClientBuilder::stall_timeout`) is aborted and fails with
//!   [`TransportErrorKind::Timeout`](ocireg_core::ops::TransportErrorKind::Timeout),
//!   retried where that is safe. `fetch` reports no bytes sent, so while
//!   a request body goes out the attempt may take a window per KiB of it.
//!
//! ## Example
//!
//! ```ignore
//! use ocireg_wasm::{Client, Credentials};
//!
//! let client = Client::builder("https://registry.example.com")
//!     .credentials(Credentials::basic("alice", "secret"))
//!     .build()?;
//! for tag in client.tags("team/app").await? {
//!     let head = client.head_manifest("team/app", &tag).await?;
//!     web_sys::console::log_1(&format!("{tag} {}", head.digest).into());
//! }
//! ```
//!
//! The crate is empty on targets other than wasm, so that host builds of
//! the workspace (`cargo test --workspace`) stay clean.
#![cfg(target_family = "wasm")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod clock;
mod error;
mod io;
mod stall;
mod summary;
mod transport;

pub use client::{Client, ClientBuilder, PushOptions};
pub use clock::{now, sleep};
pub use error::Error;
pub use io::{BlobSource, JsChunks, Sink};
pub use ocireg_core::summary::{ConfigSummary, ImageSummary, LayerSummary, PlatformSummary};

/// The sans-IO core this crate drives.
pub use ocireg_core;
pub use ocireg_core::auth::Credentials;
pub use ocireg_core::manifest::RawManifest;
pub use ocireg_core::ops::{
    Fetched, Items, ItemsIntoIter, Listing, ManifestHead, Page, Pager, PingInfo, PushOutcome,
    PutOutcome, Resolved,
};
pub use ocireg_core::platform::Platform;
pub use ocireg_core::{Digest, Reference};
