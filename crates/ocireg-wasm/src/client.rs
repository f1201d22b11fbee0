//! [`Client`]: the registry operations a browser can do, as async methods,
//! against one registry.

use std::time::Duration;

use ocireg_core::auth::Credentials;
use ocireg_core::config::ImageConfig;
use ocireg_core::digest::{Algorithm, Digest, Hasher};
use ocireg_core::manifest::{Descriptor, ImageIndex, RawManifest};
use ocireg_core::ops::{
    BlobPull, BlobPush, Delete, DeleteManifest, Fetched, GetManifest, HeadBlob, HeadManifest,
    Items, ListPage, Listing, ManifestHead, Operation, Page, Pager, Ping, PingInfo, PushOutcome,
    PushStrategy, PutManifest, PutOutcome, ReferrersAt, Resolve, Resolved, DEFAULT_PAGE_SIZE,
};
use ocireg_core::platform::Platform;
use ocireg_core::registry::{Registry, RegistryConfig, Scheme};
use ocireg_core::summary::GetConfig;
use ocireg_core::url::Url;
use ocireg_core::Repository;

use crate::io::{BlobSource, Sink};
use crate::transport::{Io, Transport};
use crate::Error;

/// Builds a [`Client`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientBuilder {
    url: String,
    credentials: Credentials,
    chunk_size: Option<u64>,
    max_parallel: usize,
    stall_timeout: Duration,
}

impl ClientBuilder {
    /// Credentials for the registry (Basic user and password, or a bearer
    /// token); anonymous by default.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Uploads in chunks of this size instead of one request per blob.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = Some(bytes);
        self
    }

    /// How many requests [`Client::summary`] has in flight at once
    /// (default 4).
    pub fn max_parallel(mut self, n: usize) -> Self {
        self.max_parallel = n.max(1);
        self
    }

    /// The stall timeout (60 s by default): a request attempt that makes
    /// no progress for this long is aborted, and retried where that is
    /// safe (a blob download resumes where it stopped). Progress is the
    /// response head arriving or another 1 KiB of body received, so a
    /// body that drips a byte a second stalls too. `fetch` does not
    /// report bytes sent: while a request body goes out, the attempt may
    /// take a window per KiB of it. A zero window makes
    /// [`ClientBuilder::build`] fail.
    pub fn stall_timeout(mut self, window: Duration) -> Self {
        self.stall_timeout = window;
        self
    }

    /// Builds the client. The URL is `http(s)://host[:port]` (the API lives
    /// at `/v2/`, so there is no path), or a bare `host[:port]`, spoken to
    /// over HTTPS unless it is a loopback address.
    pub fn build(self) -> Result<Client, Error> {
        let registry = parse_registry_url(&self.url)?;
        if self.stall_timeout.is_zero() {
            return Err(Error::invalid("stall timeout", "must be longer than zero"));
        }
        let transport = Transport {
            session: Default::default(),
            stall_timeout: self.stall_timeout,
        };
        transport
            .session
            .borrow_mut()
            .set_credentials(registry.host(), self.credentials);
        Ok(Client {
            registry,
            transport,
            chunk_size: self.chunk_size,
            max_parallel: self.max_parallel,
        })
    }
}

fn parse_registry_url(url: &str) -> Result<Registry, Error> {
    let url = url.trim();
    if !url.contains("://") {
        let host = url.trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            return Err(Error::invalid(
                "registry URL",
                format!("{url:?} is neither http(s)://host[:port] nor host[:port]"),
            ));
        }
        return Ok(Registry::for_domain(host, &RegistryConfig::default())?);
    }
    let parsed = Url::parse(url).map_err(|e| Error::invalid("registry URL", e.to_string()))?;
    let scheme = match parsed.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        s => {
            return Err(Error::invalid(
                "registry URL",
                format!("scheme {s:?}: only http and https"),
            ))
        }
    };
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::invalid(
            "registry URL",
            format!(
                "{}: the registry API lives at /v2/ of the origin, so the URL takes no \
                 path, query or fragment",
                ocireg_core::redact::urls_in(url)
            ),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid(
            "registry URL",
            "credentials go in the client's options, not in the URL",
        ));
    }
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => {
            return Err(Error::invalid(
                "registry URL",
                format!("{}: no host", ocireg_core::redact::urls_in(url)),
            ))
        }
    };
    Ok(Registry::new(scheme, host)?)
}

/// How [`Client::push_blob`] pushes.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct PushOptions {
    /// The blob's digest, when known (otherwise it is computed from the
    /// source first, so the registry can be asked whether it has it).
    pub digest: Option<Digest>,
    /// A repository of the same registry to mount the blob from.
    pub mount_from: Option<Repository>,
    /// Chunk size for this push (overrides the client's).
    pub chunk_size: Option<u64>,
}

impl PushOptions {
    /// A monolithic push, digest computed from the source, no mount.
    pub fn new() -> PushOptions {
        PushOptions::default()
    }

    /// The blob's digest, known in advance.
    pub fn digest(mut self, digest: Digest) -> PushOptions {
        self.digest = Some(digest);
        self
    }

    /// First tries to mount the blob from `repository`.
    pub fn mount_from(mut self, repository: Repository) -> PushOptions {
        self.mount_from = Some(repository);
        self
    }

    /// Uploads in chunks of `bytes`.
    pub fn chunk_size(mut self, bytes: u64) -> PushOptions {
        self.chunk_size = Some(bytes);
        self
    }
}

/// A client for one registry. Cheap to clone; clones share the session
/// (credentials and the token cache).
///
/// Repositories are paths in the registry (`library/alpine`); references
/// are a tag (`3.20`) or a digest string (`sha256:...`).
#[derive(Clone)]
pub struct Client {
    registry: Registry,
    transport: Transport,
    chunk_size: Option<u64>,
    max_parallel: usize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder for a client of the registry at `url`.
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            credentials: Credentials::Anonymous,
            chunk_size: None,
            max_parallel: 4,
            stall_timeout: ocireg_core::stall::DEFAULT_STALL_TIMEOUT,
        }
    }

    /// An anonymous client of the registry at `url`.
    pub fn new(url: &str) -> Result<Client, Error> {
        Client::builder(url).build()
    }

    /// The registry endpoint.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(crate) fn max_parallel(&self) -> usize {
        self.max_parallel
    }

    pub(crate) async fn run<O: Operation>(&self, mut op: O) -> Result<O::Output, Error> {
        self.transport.run(&mut op, &mut Io::default()).await
    }

    /// Checks that the registry serves the v2 API, authenticating if it
    /// asks.
    pub async fn ping(&self) -> Result<PingInfo, Error> {
        self.run(Ping::new(self.registry.clone())).await
    }

    /// Every repository of the registry, each once, in the registry's
    /// order (the core's [`ListAll`], [`DEFAULT_PAGE_SIZE`] per page).
    pub async fn catalog(&self) -> Result<Vec<String>, Error> {
        self.list_all(Listing::Catalog).await
    }

    /// One page of the catalog: the first (`next: None`) or the one a
    /// previous page pointed at. Without a `Link` header (hidden by CORS)
    /// a full page points at the next with `last=`.
    pub async fn catalog_page(&self, n: Option<u32>, next: Option<&Url>) -> Result<Page, Error> {
        self.page(Listing::Catalog, n, next).await
    }

    /// Every tag of a repository, each once (see [`Client::catalog`]).
    pub async fn tags(&self, repository: &Repository) -> Result<Vec<String>, Error> {
        self.list_all(Listing::tags(repository.clone())).await
    }

    /// One page of tags (see [`Client::catalog_page`]).
    pub async fn tags_page(
        &self,
        repository: &Repository,
        n: Option<u32>,
        next: Option<&Url>,
    ) -> Result<Page, Error> {
        self.page(Listing::tags(repository.clone()), n, next).await
    }

    /// A [`Pager`] over `listing` of this registry, `page_size` items
    /// asked for per page: drive it with [`Client::next_items`] to list a
    /// page at a time, each item once, holding one page.
    pub fn pager(&self, listing: Listing, page_size: Option<u32>) -> Pager {
        Pager::new(self.registry.clone(), listing, page_size)
    }

    /// Fetches the page `pager` names and returns its items not seen
    /// before; `None` once the listing is over. After an error the pager
    /// still names the same page, so calling again retries it.
    pub async fn next_items(&self, pager: &mut Pager) -> Result<Option<Items>, Error> {
        let Some(op) = pager.next_page() else {
            return Ok(None);
        };
        let page = self.run(op).await?;
        Ok(Some(pager.accept(page)?))
    }

    /// Every item of `listing`: the same pager and page operation as the
    /// iterators (what [`ListAll`](ocireg_core::ops::ListAll) does, without
    /// a second operation type in the module).
    async fn list_all(&self, listing: Listing) -> Result<Vec<String>, Error> {
        let mut pager = self.pager(listing, Some(DEFAULT_PAGE_SIZE));
        let mut all = Vec::new();
        while let Some(items) = self.next_items(&mut pager).await? {
            all.extend(items);
        }
        Ok(all)
    }

    async fn page(
        &self,
        listing: Listing,
        n: Option<u32>,
        next: Option<&Url>,
    ) -> Result<Page, Error> {
        self.run(ListPage::new(self.registry.clone(), listing, n, next))
            .await
    }

    /// The manifest `reference` (tag or digest) of `repository`, verified
    /// against its digest.
    pub async fn get_manifest(
        &self,
        repository: &Repository,
        reference: &str,
    ) -> Result<Fetched, Error> {
        self.run(GetManifest::new(&self.registry, repository, reference))
            .await
    }

    /// Digest, media type and size of a manifest, without its body when
    /// the registry exposes `Docker-Content-Digest` (else the body is
    /// fetched and hashed).
    pub async fn head_manifest(
        &self,
        repository: &Repository,
        reference: &str,
    ) -> Result<ManifestHead, Error> {
        self.run(HeadManifest::new(&self.registry, repository, reference))
            .await
    }

    /// The image manifest for `platform` (through the index, if the
    /// reference points at one).
    pub async fn resolve(
        &self,
        repository: &Repository,
        reference: &str,
        platform: &Platform,
    ) -> Result<Resolved, Error> {
        self.run(Resolve::new(
            &self.registry,
            repository,
            reference,
            platform.clone(),
        ))
        .await
    }

    /// Pushes a manifest under `reference` (a tag, or its digest).
    pub async fn put_manifest(
        &self,
        repository: &Repository,
        reference: &str,
        manifest: &RawManifest,
    ) -> Result<PutOutcome, Error> {
        self.run(PutManifest::new(
            &self.registry,
            repository,
            reference,
            manifest,
        ))
        .await
    }

    /// Deletes the manifest `reference` points at (a tag is resolved to
    /// its digest first: the core's [`DeleteManifest`]; deleting removes
    /// every tag with that digest). Returns the digest deleted.
    pub async fn delete_manifest(
        &self,
        repository: &Repository,
        reference: &str,
    ) -> Result<Digest, Error> {
        let op = DeleteManifest::delete_manifest(&self.registry, repository, reference);
        let (digest, ()) = self.run(op).await?;
        Ok(digest)
    }

    /// Deletes a blob from a repository.
    pub async fn delete_blob(&self, repository: &Repository, digest: &Digest) -> Result<(), Error> {
        self.run(Delete::blob(&self.registry, repository, digest))
            .await
    }

    /// The referrers (signatures, SBOMs, ...) of the manifest `reference`
    /// (a tag, resolved to its digest first, or a digest string) points
    /// at: the core's [`ReferrersAt`]. Only those of `artifact_type` when
    /// given.
    pub async fn referrers(
        &self,
        repository: &Repository,
        reference: &str,
        artifact_type: Option<&str>,
    ) -> Result<ImageIndex, Error> {
        let op = ReferrersAt::referrers(&self.registry, repository, reference, artifact_type);
        let (_, index) = self.run(op).await?;
        Ok(index)
    }

    /// Whether a repository has a blob (its size when it does).
    pub async fn head_blob(
        &self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<Option<u64>, Error> {
        self.run(HeadBlob::new(&self.registry, repository, digest))
            .await
    }

    /// Downloads a blob into `sink`, streaming it from the response body
    /// and verifying it against `digest` (and `size` when given). On a
    /// mismatch the error comes after the bytes were written: discard
    /// them. `progress` hears of each chunk's size.
    pub async fn pull_blob(
        &self,
        repository: &Repository,
        digest: &Digest,
        size: Option<u64>,
        sink: &mut dyn Sink,
        progress: Option<&dyn Fn(u64)>,
    ) -> Result<Digest, Error> {
        let mut op = BlobPull::new(&self.registry, repository, *digest, size);
        let mut io = Io {
            sink: Some(sink),
            source: None,
            progress,
        };
        self.transport.run(&mut op, &mut io).await
    }

    /// The bytes of the image config a descriptor points at, verified
    /// (the core's [`GetConfig`]): a descriptor that declares more than
    /// [`CONFIG_LIMIT`](ocireg_core::summary::CONFIG_LIMIT) bytes is
    /// refused before any request.
    pub async fn get_config_bytes(
        &self,
        repository: &Repository,
        descriptor: &Descriptor,
    ) -> Result<Vec<u8>, Error> {
        self.run(GetConfig::new(&self.registry, repository, descriptor))
            .await
    }

    /// The image configuration a descriptor points at.
    pub async fn get_config(
        &self,
        repository: &Repository,
        descriptor: &Descriptor,
    ) -> Result<ImageConfig, Error> {
        let bytes = self.get_config_bytes(repository, descriptor).await?;
        ImageConfig::from_json(&bytes).map_err(|e| {
            Error::Registry(ocireg_core::Error::Protocol {
                url: format!("/v2/{repository}/blobs/{}", descriptor.digest),
                message: e.to_string(),
            })
        })
    }

    /// Pushes a blob; returns its digest and how it got there. Asks the
    /// registry first whether it has the blob, tries a mount when
    /// `mount_from` is given, then uploads (one PUT, or chunks with a
    /// chunk size). `progress` hears of the bytes handed to fetch.
    pub async fn push_blob(
        &self,
        repository: &Repository,
        source: &BlobSource,
        options: &PushOptions,
        progress: Option<&dyn Fn(u64)>,
    ) -> Result<(Digest, PushOutcome), Error> {
        let digest = match options.digest {
            Some(d) => d,
            None => digest_of(source).await?,
        };
        let mut op = BlobPush::new(&self.registry, repository, digest, source.len()).check_exists();
        if let Some(from) = &options.mount_from {
            op = op.mount_from(from);
        }
        if let Some(chunk_size) = options.chunk_size.or(self.chunk_size) {
            op = op.strategy(PushStrategy::Chunked { chunk_size });
        }
        let mut io = Io {
            sink: None,
            source: Some(source),
            progress,
        };
        self.transport.run(&mut op, &mut io).await
    }

    /// Mounts a blob from another repository of the same registry:
    /// `Exists` or `Mounted` without moving a byte, else `NotMounted`.
    pub async fn mount_blob(
        &self,
        repository: &Repository,
        digest: &Digest,
        from: &Repository,
    ) -> Result<PushOutcome, Error> {
        let op = BlobPush::new(&self.registry, repository, *digest, 0)
            .check_exists()
            .mount_from(from)
            .mount_only();
        let (_, outcome) = self.run(op).await?;
        Ok(outcome)
    }

    /// Pushes a manifest given as bytes: its media type is `media_type`,
    /// or the one the document names.
    pub async fn put_manifest_bytes(
        &self,
        repository: &Repository,
        reference: &str,
        bytes: Vec<u8>,
        media_type: Option<&str>,
    ) -> Result<PutOutcome, Error> {
        let raw = RawManifest::from_bytes(bytes, media_type)?;
        self.put_manifest(repository, reference, &raw).await
    }
}

/// The sha256 digest of a source, hashed a piece at a time.
async fn digest_of(source: &BlobSource) -> Result<Digest, Error> {
    let mut hasher = Hasher::new(Algorithm::Sha256);
    source
        .for_each_piece(|p| hasher.update(p))
        .await
        .map_err(|e| Error::Registry(e.into()))?;
    Ok(hasher.finish())
}
