//! The wasm-bindgen binding behind the npm package `ocireg`: a registry
//! client for the Docker Registry HTTP API v2 / OCI Distribution API that
//! runs in browsers, workers and Node 20+.
//!
//! The JavaScript API is `RegistryClient` (promises of plain objects, async
//! iterators for listings, errors with a `code`), `parseReference` and
//! `version`. Everything it does is a thin conversion around
//! `ocireg_wasm::Client`, which drives the
//! `ocireg-core` operations over `fetch`. The TypeScript types are written
//! next to the code below and end up in the generated `ocireg.d.ts`.
//!
//! The crate is empty on targets other than wasm.
#![cfg(target_family = "wasm")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod convert;
mod errors;
mod list;
mod task;

use wasm_bindgen::prelude::*;

pub use client::RegistryClient;

// Talc instead of the default dlmalloc: a few KB smaller, and faster on
// wasm. Single-threaded only (`TalcSyncCell`), hence the `atomics` guard.
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options of `new RegistryClient(options)`. */
export interface ClientOptions {
  /** `http(s)://host[:port]` of the registry or of its CORS proxy (no path), or a bare `host[:port]`. */
  url: string;
  /** User name for Basic auth or the token server (with `password`). */
  username?: string;
  /** Password or access token (with `username`). */
  password?: string;
  /** A bearer token sent as it is (no token exchange). */
  token?: string;
  /** Upload blobs in chunks of this many bytes instead of one request. */
  chunkSize?: number;
  /** Requests `summary()` keeps in flight at once (default 4). */
  maxConcurrency?: number;
  /**
   * The stall timeout in milliseconds (default 60000): a request that makes
   * no progress (its response, or another KiB of body) for this long is
   * aborted and retried where that is safe; then the call fails with code
   * `TIMEOUT`. A body that drips a byte a second makes no progress.
   */
  stallTimeoutMs?: number;
}

/** What `ping()` learned. */
export interface PingResult {
  /** The registry sent `Docker-Distribution-API-Version: registry/2.0` (and CORS exposed it). */
  apiVersionOk: boolean;
}

/** Options of the listing iterators and page calls. */
export interface ListOptions {
  /** Items asked for per page (`n=`). */
  pageSize?: number;
}

/** Options of `catalogPage()` and `tagsPage()`. */
export interface PageOptions extends ListOptions {
  /** The `next` of the previous page. */
  next?: string;
}

/** One page of a listing. */
export interface Page {
  items: string[];
  /** Where the next page is, or `null` on the last page. */
  next: string | null;
}

/** A manifest, verified against its digest. */
export interface Manifest {
  digest: string;
  mediaType: string;
  /** Size in bytes. */
  size: number;
  /** The exact bytes, as text (push these back to keep the digest). */
  text: string;
  /** The parsed document. */
  manifest: any;
}

/** A manifest resolved for a platform. */
export interface ResolvedManifest extends Manifest {
  /** The index the reference pointed at, if it was one. */
  indexDigest?: string;
  /** The platform of the chosen index entry. */
  platform?: string;
}

/** What a HEAD says about a manifest. */
export interface ManifestHead {
  digest: string;
  mediaType: string | null;
  size: number | null;
}

/** What `putManifest()` did. */
export interface PutResult {
  /** The digest of the bytes sent. */
  digest: string;
  /** Where the registry says the manifest is. */
  location: string | null;
}

/** How a blob got to the registry. */
export type PushOutcome = "uploaded" | "exists" | "mounted" | "notMounted";

/** What `pushBlob()` did. */
export interface PushResult {
  digest: string;
  size: number;
  outcome: PushOutcome;
}

/** Called as bytes move: bytes so far, and the total when known. */
export type ProgressCallback = (done: number, total: number | undefined) => void;

/** Options of `pullBlob()`. */
export interface PullOptions {
  /** The expected size (from the descriptor); checked too. */
  size?: number;
  onProgress?: ProgressCallback;
}

/** Options of `pushBlob()`. */
export interface PushOptions {
  /** The blob's digest, if known (else it is computed first). */
  digest?: string;
  /** A repository of the same registry to mount the blob from. */
  mountFrom?: string;
  /** Upload in chunks of this many bytes. */
  chunkSize?: number;
  onProgress?: ProgressCallback;
}

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string; "os.version"?: string; "os.features"?: string[] };
  artifactType?: string;
  data?: string;
}

/** Options of `referrers()`. */
export interface ReferrersOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string;
}

/** What an image configuration says, in short. */
export interface ConfigSummary {
  created?: string;
  author?: string;
  os: string;
  architecture: string;
  variant?: string;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  env: string[];
  workingDir?: string;
  exposedPorts: string[];
  labels: Record<string, string>;
  /** Number of history entries. */
  history: number;
}

/** One layer of an image. */
export interface LayerSummary {
  digest: string;
  size: number;
  mediaType: string;
}

/** One manifest of a tag: the image itself, or one child of its index. */
export interface PlatformSummary {
  /** `os/architecture[/variant]`. */
  platform?: string;
  digest: string;
  mediaType: string;
  /** Compressed size of its config and layers. */
  size: number;
  /** Number of layers. */
  layers: number;
  /** Each layer: digest, compressed size, media type. */
  layerDetails: LayerSummary[];
  artifactType?: string;
  /** The index entry's annotations (attestations are marked there). */
  annotations?: Record<string, string>;
  config?: ConfigSummary;
}

/** A tag at a glance. */
export interface ImageSummary {
  digest: string;
  mediaType: string;
  isIndex: boolean;
  /** Compressed size of every distinct config and layer, over all platforms. */
  totalSize: number;
  /** The newest creation date among the platforms (RFC 3339). */
  created?: string;
  /** Every child of the index (or the image itself), in order. */
  platforms: PlatformSummary[];
}

/** A parsed image reference. */
export interface ParsedReference {
  /** The normalized reference (`docker.io/library/alpine:3.20`). */
  reference: string;
  /** The short form docker shows (`alpine:3.20`). */
  familiar: string;
  /** `docker.io`, `ghcr.io`, `localhost:5000`. */
  domain: string;
  /** The repository path in the registry (`library/alpine`). */
  path: string;
  /** The host that serves the domain (`registry-1.docker.io` for docker.io). */
  registryHost: string;
  tag?: string;
  digest?: string;
}

/** Every `code` an `OciregError` can have. */
export type ErrorCode =
  | "INVALID_INPUT" | "INVALID_REFERENCE" | "INVALID_MANIFEST"
  | "NOT_FOUND" | "REGISTRY_ERROR" | "UNAUTHORIZED"
  | "DIGEST_MISMATCH" | "SIZE_MISMATCH" | "TOO_LARGE" | "TOO_MANY" | "PROTOCOL_ERROR"
  | "BLOCKED" | "NETWORK_ERROR" | "TIMEOUT" | "SOURCE_ERROR" | "PANIC" | "ERROR";

/** The errors every function rejects (or throws) with. */
export interface OciregError extends Error {
  name: "OciregError";
  code: ErrorCode;
  /** The registry's HTTP status, when it answered with an error. */
  status?: number;
  /** The registry's error body entries, when it answered with an error. */
  registryErrors?: { code: string; message: string; detail?: unknown }[];
  /** The scopes that were refused (`UNAUTHORIZED`). */
  scopes?: string;
}
"#;

/// Installs the panic hook that turns a Rust panic into a readable
/// `OciregError` with code `PANIC`.
#[wasm_bindgen(start)]
pub fn start() {
    task::install_panic_hook();
}

/// `parseReference(s)`: a reference parsed and normalized like docker does.
#[wasm_bindgen(js_name = parseReference, unchecked_return_type = "ParsedReference")]
pub fn parse_reference(s: &str) -> Result<JsValue, JsValue> {
    task::check_poisoned()?;
    let r = ocireg_core::Reference::parse(s)
        .map_err(|e| errors::to_js(&ocireg_wasm::Error::Reference(e)))?;
    // A plain object set field by field: no serializer for one small
    // shape (the module's size is counted).
    let out = js_sys::Object::new();
    let digest = r.digest().map(|d| d.to_string());
    let fields = [
        ("reference", Some(r.as_str())),
        ("familiar", Some(r.familiar())),
        ("domain", Some(r.domain())),
        ("path", Some(r.path())),
        ("registryHost", Some(r.registry_host())),
        ("tag", r.tag()),
        ("digest", digest.as_deref()),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            js_sys::Reflect::set(&out, &name.into(), &value.into())?;
        }
    }
    Ok(out.into())
}

/// `version()`: the package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Panics, to test what a panic becomes in JavaScript (not part of the
/// API).
#[wasm_bindgen(js_name = __panicForTests, skip_typescript)]
pub fn panic_for_tests(message: &str) -> Result<(), JsValue> {
    // Like every entry point: after a panic, fail at once (a second panic
    // would abort without a message, the first never having finished).
    task::check_poisoned()?;
    panic!("{message}");
}

/// Returns a promise whose task panics, to test that pending promises are
/// rejected with a readable error (not part of the API).
#[wasm_bindgen(js_name = __panicLaterForTests, skip_typescript)]
pub fn panic_later_for_tests(message: String) -> js_sys::Promise {
    task::spawn(async move {
        ocireg_wasm::sleep(std::time::Duration::from_millis(1)).await;
        panic!("{message}");
    })
}
