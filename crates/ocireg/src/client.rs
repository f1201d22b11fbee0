//! [`Client`]: the registry operations as async methods.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use ocireg_core::auth::{Credentials, Session};
use ocireg_core::digest::{Digest, Hasher, Verifier};
use ocireg_core::manifest::{Descriptor, ImageIndex, RawManifest};
use ocireg_core::ops::{
    BlobPull, BlobPush, Delete, DeleteManifest, Fallback, Fetched, GetManifest, HeadBlob,
    HeadManifest, Items, ItemsIntoIter, ListAll, ListPage, Listing, ManifestHead, Operation, Page,
    Pager, Ping, PingInfo, PushOutcome, PushStrategy, PutManifest, PutOutcome, ReferrersAt,
    Resolve, Resolved, DEFAULT_PAGE_SIZE,
};
use ocireg_core::platform::Platform;
use ocireg_core::registry::{Registry, RegistryConfig};
use ocireg_core::summary::{GetConfig, ImageSummary, SummaryFetch, SummaryPlan};
use ocireg_core::url::Url;
use ocireg_core::{Reference, Repository};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::Instrument;

use crate::docker_config::DockerConfig;
use crate::source::{BlobSource, BytesSource, FileSource, ReaderSource};
use crate::transport::{Io, Transport};
use crate::Error;

/// Which way bytes move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Direction {
    /// Downloading from a registry.
    Pull,
    /// Uploading to a registry.
    Push,
}

/// Progress of one blob transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Download or upload.
    pub direction: Direction,
    /// The blob.
    pub digest: Option<Digest>,
    /// Bytes moved so far in this transfer (a retried upload counts again).
    pub done: u64,
    /// The blob's size, when known.
    pub total: Option<u64>,
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Builds a [`Client`].
#[must_use]
pub struct ClientBuilder {
    config: RegistryConfig,
    credentials: HashMap<String, Credentials>,
    docker_config: Option<DockerConfig>,
    use_docker_config: bool,
    user_agent: String,
    request_timeout: Option<Duration>,
    stall_timeout: Duration,
    connect_timeout: Duration,
    helper_timeout: Option<Duration>,
    ca_certificates: Vec<Vec<u8>>,
    max_parallel: usize,
    chunk_size: Option<u64>,
    progress: Option<ProgressFn>,
    /// The first invalid setting, reported by `build`.
    invalid: Option<ocireg_core::Error>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            config: RegistryConfig::default(),
            credentials: HashMap::new(),
            docker_config: None,
            use_docker_config: true,
            user_agent: format!("ocireg/{}", env!("CARGO_PKG_VERSION")),
            request_timeout: None,
            stall_timeout: ocireg_core::stall::DEFAULT_STALL_TIMEOUT,
            connect_timeout: Duration::from_secs(30),
            helper_timeout: None,
            ca_certificates: Vec::new(),
            max_parallel: 4,
            chunk_size: None,
            progress: None,
            invalid: None,
        }
    }
}

impl ClientBuilder {
    /// Registry settings: insecure registries, mirrors.
    pub fn registry_config(mut self, config: RegistryConfig) -> Self {
        self.config = config;
        self
    }

    /// Marks a registry as plain HTTP (like docker's `insecure-registries`;
    /// loopback registries are plain HTTP anyway).
    pub fn insecure_registry(mut self, host: &str) -> Self {
        self.config = self.config.with_insecure(host);
        self
    }

    /// Speaks HTTPS to `host` without verifying its certificate.
    pub fn unverified_tls(mut self, host: &str) -> Self {
        self.config = self.config.with_unverified_tls(host);
        self
    }

    /// Adds a Docker Hub mirror, tried before Docker Hub. A URL that is
    /// not an origin (`https://host[:port]`) makes [`ClientBuilder::build`]
    /// fail.
    pub fn mirror(mut self, url: Url) -> Self {
        match self.config.clone().with_mirror(url) {
            Ok(config) => self.config = config,
            Err(e) => {
                self.invalid.get_or_insert(e);
            }
        }
        self
    }

    /// Credentials for a registry host (`localhost:5000`,
    /// `registry-1.docker.io`); they win over docker's config.
    pub fn credentials(mut self, host: &str, credentials: Credentials) -> Self {
        self.credentials
            .insert(host.to_ascii_lowercase(), credentials);
        self
    }

    /// Whether to read docker's `config.json` and credential helpers for
    /// registries without explicit credentials (default: yes).
    pub fn use_docker_config(mut self, yes: bool) -> Self {
        self.use_docker_config = yes;
        self
    }

    /// Uses this docker config instead of the default file.
    pub fn docker_config(mut self, config: DockerConfig) -> Self {
        self.docker_config = Some(config);
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// A timeout for each whole request, from connecting to the body's
    /// last byte (none by default: blobs are big; the stall timeout is
    /// what catches a registry that stopped responding).
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = Some(t);
        self
    }

    /// The old name of [`ClientBuilder::request_timeout`].
    #[deprecated(
        since = "0.1.0",
        note = "use `request_timeout` (whole requests) or `stall_timeout` (no progress)"
    )]
    pub fn timeout(self, t: Duration) -> Self {
        self.request_timeout(t)
    }

    /// The stall timeout (60 s by default): a request attempt that makes
    /// no progress for this long fails, and is retried where that is safe
    /// (a blob download resumes where it stopped). Progress is the
    /// response head arriving or another 1 KiB received or sent, so a body
    /// that drips a byte a second stalls too. Only time spent waiting for
    /// the network counts, from connecting to the body's last byte. A zero
    /// window makes [`ClientBuilder::build`] fail.
    pub fn stall_timeout(mut self, t: Duration) -> Self {
        if t.is_zero() {
            self.invalid
                .get_or_insert(ocireg_core::Error::InvalidInput {
                    what: "stall timeout",
                    message: "must be longer than zero".into(),
                });
        }
        self.stall_timeout = t;
        self
    }

    /// How long a docker credential helper may take to answer before it
    /// is killed and reported
    /// ([`Error::CredentialHelperTimeout`](crate::Error::CredentialHelperTimeout));
    /// 30 s by default
    /// ([`CREDENTIAL_HELPER_TIMEOUT`](crate::docker_config::CREDENTIAL_HELPER_TIMEOUT)).
    pub fn credential_helper_timeout(mut self, t: Duration) -> Self {
        self.helper_timeout = Some(t);
        self
    }

    /// The connect timeout (30 s by default).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Trusts an extra CA certificate (PEM).
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificates.push(pem.into());
        self
    }

    /// How many blobs move at once in a copy (default 4).
    pub fn max_parallel_transfers(mut self, n: usize) -> Self {
        self.max_parallel = n.max(1);
        self
    }

    /// Uploads in chunks of this size instead of one request per blob.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = Some(bytes);
        self
    }

    /// Calls `f` as blob bytes move.
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(e) = self.invalid {
            return Err(Error::Registry(e));
        }
        let make = |verify: bool| -> Result<reqwest::Client, Error> {
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(self.user_agent.clone())
                .connect_timeout(self.connect_timeout)
                .tls_danger_accept_invalid_certs(!verify);
            if let Some(t) = self.request_timeout {
                b = b.timeout(t);
            }
            for pem in &self.ca_certificates {
                let cert =
                    reqwest::Certificate::from_pem(pem).map_err(|e| Error::Setup(e.to_string()))?;
                b = b.add_root_certificate(cert);
            }
            b.build().map_err(|e| Error::Setup(e.to_string()))
        };
        let mut session = Session::new(self.config);
        let mut resolved = HashSet::new();
        for (host, creds) in self.credentials {
            session.set_credentials(&host, creds);
            resolved.insert(host);
        }
        let docker_config = if self.use_docker_config {
            let config = match self.docker_config {
                Some(c) => c,
                None => DockerConfig::load()?,
            };
            Some(match self.helper_timeout {
                Some(t) => config.helper_timeout(t),
                None => config,
            })
        } else {
            None
        };
        Ok(Client {
            inner: Arc::new(Inner {
                transport: Transport {
                    http: make(true)?,
                    unverified: make(false)?,
                    session: Arc::new(Mutex::new(session)),
                    stall_timeout: self.stall_timeout,
                },
                docker_config,
                resolved: Mutex::new(resolved),
                parallel: Arc::new(tokio::sync::Semaphore::new(self.max_parallel)),
                chunk_size: self.chunk_size,
                progress: self.progress,
            }),
        })
    }
}

struct Inner {
    transport: Transport,
    docker_config: Option<DockerConfig>,
    resolved: Mutex<HashSet<String>>,
    parallel: Arc<tokio::sync::Semaphore>,
    chunk_size: Option<u64>,
    progress: Option<ProgressFn>,
}

/// A registry client. Cheap to clone; clones share connections, the token
/// cache and the transfer limit.
///
/// ```no_run
/// # async fn demo() -> Result<(), ocireg::Error> {
/// let client = ocireg::Client::builder().build()?;
/// let image: ocireg::Reference = "localhost:5000/team/app:v1".parse()?;
/// let fetched = client.get_manifest(&image).await?;
/// println!("{} {}", fetched.manifest.digest(), fetched.manifest.media_type());
/// for tag in client.tags(&image).await? {
///     println!("{tag}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

/// The manifest reference string of a reference: its digest, else its
/// tag, else `latest`.
fn manifest_ref(r: &Reference) -> String {
    match (r.digest(), r.tag()) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.to_string(),
        (None, None) => ocireg_core::reference::DEFAULT_TAG.to_string(),
    }
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The registry settings.
    pub fn registry_config(&self) -> RegistryConfig {
        self.session().config().clone()
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.inner
            .transport
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The registry endpoint for a reference domain.
    pub fn registry(&self, domain: &str) -> Result<Registry, Error> {
        Ok(Registry::for_domain(domain, self.session().config())?)
    }

    fn candidates(&self, domain: &str) -> Result<Vec<Registry>, Error> {
        Ok(Registry::candidates(domain, self.session().config())?)
    }

    /// Makes sure the session has the credentials for `registry`.
    async fn credentials_for(&self, registry: &Registry) -> Result<(), Error> {
        let host = registry.host().to_string();
        if self
            .inner
            .resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&host)
        {
            return Ok(());
        }
        let creds = match &self.inner.docker_config {
            Some(c) => c.credentials(&host).await?,
            None => Credentials::Anonymous,
        };
        self.session().set_credentials(&host, creds);
        self.inner
            .resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host);
        Ok(())
    }

    async fn run<O: Operation>(&self, registry: &Registry, mut op: O) -> Result<O::Output, Error> {
        self.credentials_for(registry).await?;
        self.inner.transport.run(&mut op, &mut Io::none()).await
    }

    /// Runs a read operation against each candidate registry (Docker Hub
    /// mirrors, then Docker Hub) until one answers: the core's
    /// [`Fallback`] decides.
    async fn run_pull<O: Operation>(
        &self,
        domain: &str,
        make: impl FnMut(&Registry) -> O,
    ) -> Result<(Registry, O::Output), Error> {
        self.run_pull_on(self.candidates(domain)?, make).await
    }

    /// [`run_pull`](Client::run_pull) over the given registries, in order.
    async fn run_pull_on<O: Operation>(
        &self,
        candidates: Vec<Registry>,
        make: impl FnMut(&Registry) -> O,
    ) -> Result<(Registry, O::Output), Error> {
        for registry in &candidates {
            self.credentials_for(registry).await?;
        }
        let mut op = Fallback::new(candidates, make)?;
        let result = self.inner.transport.run(&mut op, &mut Io::none()).await;
        for (registry, error) in op.failures() {
            tracing::warn!(registry = %registry, %error, "mirror failed, tried the next");
        }
        result
    }

    /// Checks that `domain` serves the registry API, authenticating if it
    /// asks.
    pub async fn ping(&self, domain: &str) -> Result<PingInfo, Error> {
        let registry = self.registry(domain)?;
        self.run(&registry, Ping::new(registry.clone()))
            .instrument(tracing::info_span!("ocireg.ping", %domain))
            .await
    }

    /// Every repository of a registry, each once, in the registry's
    /// order (the core's [`ListAll`], [`DEFAULT_PAGE_SIZE`] per page).
    pub async fn catalog(&self, domain: &str) -> Result<Vec<String>, Error> {
        self.list_all(self.registry(domain)?, Listing::Catalog)
            .instrument(tracing::info_span!("ocireg.catalog", %domain))
            .await
    }

    /// One page of the catalog: the first (`next: None`) or the one a
    /// previous page pointed at.
    pub async fn catalog_page(
        &self,
        domain: &str,
        n: Option<u32>,
        next: Option<&Url>,
    ) -> Result<Page, Error> {
        self.list_page(self.registry(domain)?, Listing::Catalog, n, next)
            .await
    }

    /// The catalog as a stream of repository names, `n` asked for per
    /// page (see [`Client::tags_stream`]).
    pub fn catalog_stream(
        &self,
        domain: &str,
        n: u32,
    ) -> impl Stream<Item = Result<String, Error>> + '_ {
        self.list_stream(self.registry(domain), Listing::Catalog, n)
    }

    /// Every tag of a repository, each once, in the registry's order (the
    /// core's [`ListAll`], [`DEFAULT_PAGE_SIZE`] per page).
    pub async fn tags(&self, repository: &Reference) -> Result<Vec<String>, Error> {
        let listing = Listing::tags(repository.repository());
        self.list_all(self.registry(repository.domain())?, listing)
            .instrument(tracing::info_span!("ocireg.tags", repository = %repository.name()))
            .await
    }

    /// One page of tags: the first (`next: None`) or the one a previous
    /// page pointed at.
    pub async fn tags_page(
        &self,
        repository: &Reference,
        n: Option<u32>,
        next: Option<&Url>,
    ) -> Result<Page, Error> {
        let listing = Listing::tags(repository.repository());
        self.list_page(self.registry(repository.domain())?, listing, n, next)
            .await
    }

    /// The tags as a stream, `n` asked for per page: the core's [`Pager`]
    /// decides the pages and drops items seen before, so each tag comes
    /// once (registry 2.8.2 ignores `n` and sends every tag, unsorted).
    /// At most one page of items is held. The stream ends after the last
    /// page, or after its first error.
    pub fn tags_stream(
        &self,
        repository: &Reference,
        n: u32,
    ) -> impl Stream<Item = Result<String, Error>> + '_ {
        let listing = Listing::tags(repository.repository());
        self.list_stream(self.registry(repository.domain()), listing, n)
    }

    async fn list_all(&self, registry: Registry, listing: Listing) -> Result<Vec<String>, Error> {
        let op = ListAll::new(registry.clone(), listing, Some(DEFAULT_PAGE_SIZE));
        self.run(&registry, op).await
    }

    async fn list_page(
        &self,
        registry: Registry,
        listing: Listing,
        n: Option<u32>,
        next: Option<&Url>,
    ) -> Result<Page, Error> {
        let op = ListPage::new(registry.clone(), listing, n, next);
        self.run(&registry, op).await
    }

    fn list_stream(
        &self,
        registry: Result<Registry, Error>,
        listing: Listing,
        n: u32,
    ) -> impl Stream<Item = Result<String, Error>> + '_ {
        struct State {
            /// `None` after an error.
            pager: Option<Pager>,
            /// The new items of the last page, not handed out yet.
            page: ItemsIntoIter,
            /// An invalid registry, reported as the stream's one item.
            failed: Option<Error>,
        }
        let (registry, failed) = match registry {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        };
        let start = State {
            pager: registry.clone().map(|r| Pager::new(r, listing, Some(n))),
            page: ItemsIntoIter::default(),
            failed,
        };
        futures_util::stream::unfold(start, move |mut st| {
            let registry = registry.clone();
            async move {
                if let Some(e) = st.failed.take() {
                    return Some((Err(e), st));
                }
                let registry = registry?;
                loop {
                    if let Some(item) = st.page.next() {
                        return Some((Ok(item), st));
                    }
                    let pager = st.pager.as_mut()?;
                    match self.next_items(&registry, pager).await {
                        Ok(Some(items)) => st.page = items.into_iter(),
                        Ok(None) => return None,
                        Err(e) => {
                            st.pager = None;
                            return Some((Err(e), st));
                        }
                    }
                }
            }
        })
    }

    /// Fetches the page `pager` names and returns its new items; `None`
    /// once the listing is over.
    async fn next_items(
        &self,
        registry: &Registry,
        pager: &mut Pager,
    ) -> Result<Option<Items>, Error> {
        let Some(op) = pager.next_page() else {
            return Ok(None);
        };
        let page = self.run(registry, op).await?;
        Ok(Some(pager.accept(page)?))
    }

    /// The manifest a reference points at (by digest, tag, or `latest`),
    /// verified against its digest.
    pub async fn get_manifest(&self, reference: &Reference) -> Result<Fetched, Error> {
        let (repo, r) = (reference.repository(), manifest_ref(reference));
        self.run_pull(reference.domain(), |reg| GetManifest::new(reg, &repo, &r))
            .instrument(tracing::info_span!("ocireg.get_manifest", reference = %reference))
            .await
            .map(|(_, f)| f)
    }

    /// The manifest `digest` of `repository` (a path) from the first of
    /// `registries` that has it: the registry that served the top
    /// manifest of a pull, then the later candidates
    /// ([`Registry::candidates_from`]).
    pub(crate) async fn get_manifest_from(
        &self,
        registries: &[Registry],
        repository: &Repository,
        digest: &Digest,
    ) -> Result<RawManifest, Error> {
        self.run_pull_on(registries.to_vec(), |reg| {
            GetManifest::by_digest(reg, repository, digest)
        })
        .instrument(tracing::info_span!("ocireg.get_manifest", %repository, %digest))
        .await
        .map(|(_, f)| f.manifest)
    }

    /// Where the rest of a pull comes from once `serving` answered its
    /// top manifest: `serving`, then the candidates after it.
    pub(crate) fn pull_candidates(
        &self,
        serving: &Registry,
        domain: &str,
    ) -> Result<Vec<Registry>, Error> {
        Ok(Registry::candidates_from(
            serving,
            domain,
            self.session().config(),
        )?)
    }

    /// The bytes of the image config `descriptor` names (the config of an
    /// image manifest of `repository`), verified against its digest and
    /// size (the core's [`GetConfig`]). A descriptor that declares more
    /// than [`CONFIG_LIMIT`](ocireg_core::summary::CONFIG_LIMIT) bytes is
    /// refused before any request ([`ocireg_core::Error::DescriptorTooLarge`]).
    /// A Docker Hub config comes from the first mirror that has it.
    pub async fn image_config(
        &self,
        repository: &Reference,
        descriptor: &Descriptor,
    ) -> Result<Vec<u8>, Error> {
        let repo = repository.repository();
        self.run_pull(repository.domain(), |reg| {
            GetConfig::new(reg, &repo, descriptor)
        })
        .instrument(tracing::info_span!("ocireg.image_config", digest = %descriptor.digest))
        .await
        .map(|(_, bytes)| bytes)
    }

    /// Digest, media type and size of a manifest, without its body when
    /// the registry allows (no pull is counted on Docker Hub).
    pub async fn head_manifest(&self, reference: &Reference) -> Result<ManifestHead, Error> {
        let (repo, r) = (reference.repository(), manifest_ref(reference));
        self.run_pull(reference.domain(), |reg| HeadManifest::new(reg, &repo, &r))
            .instrument(tracing::info_span!("ocireg.head_manifest", reference = %reference))
            .await
            .map(|(_, h)| h)
    }

    /// The image manifest for `platform` (through the index, if the
    /// reference points at one).
    pub async fn resolve(
        &self,
        reference: &Reference,
        platform: &Platform,
    ) -> Result<Resolved, Error> {
        let (repo, r) = (reference.repository(), manifest_ref(reference));
        self.run_pull(reference.domain(), |reg| {
            Resolve::new(reg, &repo, &r, platform.clone())
        })
        .instrument(tracing::info_span!("ocireg.resolve", reference = %reference, %platform))
        .await
        .map(|(_, r)| r)
    }

    /// Pushes a manifest under the reference's tag (or digest).
    pub async fn put_manifest(
        &self,
        reference: &Reference,
        manifest: &RawManifest,
    ) -> Result<PutOutcome, Error> {
        let registry = self.registry(reference.domain())?;
        let r = match (reference.tag(), reference.digest()) {
            (Some(t), _) => t.to_string(),
            (None, Some(d)) => d.to_string(),
            (None, None) => manifest.digest().to_string(),
        };
        self.run(
            &registry,
            PutManifest::new(&registry, &reference.repository(), &r, manifest),
        )
        .instrument(tracing::info_span!("ocireg.put_manifest", reference = %reference))
        .await
    }

    /// Deletes the manifest a reference points at (a tag is resolved to
    /// its digest first: the core's [`DeleteManifest`]; deleting removes
    /// every tag with that digest). Returns the digest deleted.
    pub async fn delete_manifest(&self, reference: &Reference) -> Result<Digest, Error> {
        let registry = self.registry(reference.domain())?;
        let op = DeleteManifest::delete_manifest(
            &registry,
            &reference.repository(),
            &manifest_ref(reference),
        );
        let (digest, ()) = self
            .run(&registry, op)
            .instrument(tracing::info_span!("ocireg.delete_manifest", reference = %reference))
            .await?;
        Ok(digest)
    }

    /// Deletes a blob from a repository.
    pub async fn delete_blob(&self, repository: &Reference, digest: &Digest) -> Result<(), Error> {
        let registry = self.registry(repository.domain())?;
        self.run(
            &registry,
            Delete::blob(&registry, &repository.repository(), digest),
        )
        .await
    }

    /// The referrers of the manifest a reference points at (a tag is
    /// resolved to its digest first: the core's [`ReferrersAt`]), only
    /// those of `artifact_type` when given.
    pub async fn referrers(
        &self,
        reference: &Reference,
        artifact_type: Option<&str>,
    ) -> Result<ImageIndex, Error> {
        let registry = self.registry(reference.domain())?;
        let op = ReferrersAt::referrers(
            &registry,
            &reference.repository(),
            &manifest_ref(reference),
            artifact_type,
        );
        let (_, index) = self.run(&registry, op).await?;
        Ok(index)
    }

    fn progress_fn(
        &self,
        direction: Direction,
        digest: Option<Digest>,
        total: Option<u64>,
    ) -> Option<impl Fn(u64) + Send + Sync> {
        let f = self.inner.progress.clone()?;
        let done = std::sync::atomic::AtomicU64::new(0);
        Some(move |n: u64| {
            // Saturating: a counter of bytes a registry sent never wraps.
            let add = |d: u64| Some(d.saturating_add(n));
            let before = done.fetch_update(Relaxed, Relaxed, add).unwrap_or(u64::MAX);
            let d = before.saturating_add(n);
            f(&Progress {
                direction,
                digest,
                done: d,
                total,
            })
        })
    }

    /// Downloads a blob into `writer`, verifying it against `digest` (and
    /// `size` when given). On a digest mismatch the error comes after the
    /// bytes were written: discard them. A Docker Hub blob comes from the
    /// first mirror that has it, else Docker Hub.
    pub async fn pull_blob<W: AsyncWrite + Unpin + Send>(
        &self,
        repository: &Reference,
        digest: &Digest,
        size: Option<u64>,
        writer: &mut W,
    ) -> Result<Digest, Error> {
        let registries = self.candidates(repository.domain())?;
        self.pull_blob_from(&registries, &repository.repository(), digest, size, writer)
            .await
    }

    /// Downloads a blob of `repository` (a path) from the first of
    /// `registries`, moving on to the next from the verified offset when
    /// one does not have it or fails.
    pub(crate) async fn pull_blob_from<W: AsyncWrite + Unpin + Send>(
        &self,
        registries: &[Registry],
        repository: &Repository,
        digest: &Digest,
        size: Option<u64>,
        writer: &mut W,
    ) -> Result<Digest, Error> {
        let verifier = Verifier::new(*digest);
        self.pull_blob_at(registries, repository, digest, size, 0, verifier, writer)
            .await
    }

    // One argument per piece of the resumed pull.
    #[allow(clippy::too_many_arguments)]
    async fn pull_blob_at<W: AsyncWrite + Unpin + Send>(
        &self,
        registries: &[Registry],
        repository: &Repository,
        digest: &Digest,
        size: Option<u64>,
        offset: u64,
        verifier: Verifier,
        writer: &mut W,
    ) -> Result<Digest, Error> {
        let (first, fallbacks) = match registries.split_first() {
            Some(split) => split,
            None => return Err(no_registry()),
        };
        for registry in registries {
            self.credentials_for(registry).await?;
        }
        let progress = self.progress_fn(Direction::Pull, Some(*digest), size);
        let op = BlobPull::resume_from(first, repository, *digest, size, offset, verifier);
        let mut op = op.with_fallbacks(fallbacks.iter().cloned());
        let mut io = Io {
            sink: Some(writer),
            source: None,
            progress: progress.as_ref().map(|p| p as &(dyn Fn(u64) + Send + Sync)),
        };
        self.inner
            .transport
            .run(&mut op, &mut io)
            .instrument(tracing::info_span!("ocireg.pull_blob", %digest))
            .await
    }

    /// Downloads a blob into a file, resuming a partial file left by an
    /// earlier attempt (its bytes are hashed, then the rest is fetched
    /// with a Range request). The file is complete and verified when this
    /// returns `Ok`; on a mismatch it is removed. A Docker Hub blob comes
    /// from the first mirror that has it, else Docker Hub.
    pub async fn pull_blob_to_file(
        &self,
        repository: &Reference,
        digest: &Digest,
        size: Option<u64>,
        path: &Path,
    ) -> Result<Digest, Error> {
        let registries = self.candidates(repository.domain())?;
        let partial = part_path(path);
        let to = (path, partial.as_path());
        let repository = repository.repository();
        self.pull_blob_to_file_from(&registries, &repository, digest, size, to)
            .await
    }

    /// [`pull_blob_to_file`](Client::pull_blob_to_file) from the first of
    /// `registries` (falling back to the next ones), downloading into
    /// `partial` until the bytes verify, then renaming it to `path`.
    pub(crate) async fn pull_blob_to_file_from(
        &self,
        registries: &[Registry],
        repository: &Repository,
        digest: &Digest,
        size: Option<u64>,
        (path, partial): (&Path, &Path),
    ) -> Result<Digest, Error> {
        let file_err = |source| Error::File {
            path: path.display().to_string(),
            source,
        };
        let mut verifier = Verifier::new(*digest);
        let mut offset = match read_file_into(partial, |bytes| verifier.update(bytes)).await {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(file_err(e)),
        };
        if let Some(s) = size {
            if offset > s {
                verifier = Verifier::new(*digest);
                offset = 0;
                let _ = tokio::fs::remove_file(partial).await;
            }
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(partial)
            .await
            .map_err(file_err)?;
        let pulled = self
            .pull_blob_at(
                registries, repository, digest, size, offset, verifier, &mut file,
            )
            .await;
        match pulled {
            Ok(d) => {
                tokio::fs::rename(partial, path).await.map_err(file_err)?;
                Ok(d)
            }
            Err(Error::Registry(ocireg_core::Error::Verify(v))) => {
                let _ = tokio::fs::remove_file(partial).await;
                Err(Error::Registry(ocireg_core::Error::Verify(v)))
            }
            Err(e) => Err(e),
        }
    }

    /// A blob as a stream of bytes; the stream ends with an error instead
    /// of its last chunk when the content does not match the digest, so
    /// a consumer that waits for the end never takes bad bytes as good.
    pub fn pull_blob_stream(
        &self,
        repository: &Reference,
        digest: Digest,
        size: Option<u64>,
    ) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'static {
        let client = self.clone();
        let repository = repository.clone();
        let (mut writer, reader) = tokio::io::duplex(256 << 10);
        let task = tokio::spawn(async move {
            let result = client
                .pull_blob(&repository, &digest, size, &mut writer)
                .await;
            drop(writer);
            result
        });
        struct State {
            reader: tokio::io::DuplexStream,
            held: Option<Bytes>,
            task: Option<tokio::task::JoinHandle<Result<Digest, Error>>>,
        }
        let start = State {
            reader,
            held: None,
            task: Some(task),
        };
        futures_util::stream::unfold(start, |mut st| async move {
            loop {
                let task = st.task.as_mut()?;
                let mut buf = vec![0u8; 64 << 10];
                match tokio::io::AsyncReadExt::read(&mut st.reader, &mut buf).await {
                    Ok(n) if n > 0 => {
                        buf.truncate(n);
                        // Hand out the previous chunk; hold this one until
                        // the next arrives or the pull is verified.
                        if let Some(prev) = st.held.replace(Bytes::from(buf)) {
                            return Some((Ok(prev), st));
                        }
                    }
                    _ => {
                        let result = match task.await {
                            Ok(r) => r,
                            Err(e) => Err(Error::Setup(format!("pull task failed: {e}"))),
                        };
                        st.task = None;
                        return match result {
                            Ok(_) => st.held.take().map(|last| (Ok(last), st)),
                            Err(e) => {
                                st.held = None;
                                Some((Err(e), st))
                            }
                        };
                    }
                }
            }
        })
    }

    /// Pushes a blob from any source of known digest and size. With
    /// `mount_from`, first tries to mount it from that repository of the
    /// same registry. Skips the upload when the registry has it.
    pub async fn push_blob(
        &self,
        repository: &Reference,
        digest: &Digest,
        size: u64,
        source: &mut dyn BlobSource,
        mount_from: Option<&Repository>,
    ) -> Result<PushOutcome, Error> {
        self.push_blob_with(repository, digest, size, source, mount_from, true)
            .await
    }

    pub(crate) async fn push_blob_with(
        &self,
        repository: &Reference,
        digest: &Digest,
        size: u64,
        source: &mut dyn BlobSource,
        mount_from: Option<&Repository>,
        check_exists: bool,
    ) -> Result<PushOutcome, Error> {
        let registry = self.registry(repository.domain())?;
        self.credentials_for(&registry).await?;
        let mut op = BlobPush::new(&registry, &repository.repository(), *digest, size);
        if check_exists {
            op = op.check_exists();
        }
        if let Some(from) = mount_from {
            op = op.mount_from(from);
        }
        if let Some(c) = self.inner.chunk_size {
            op = op.strategy(PushStrategy::Chunked { chunk_size: c });
        }
        let progress = self.progress_fn(Direction::Push, Some(*digest), Some(size));
        let mut io = Io {
            sink: None,
            source: Some(source),
            progress: progress.as_ref().map(|p| p as &(dyn Fn(u64) + Send + Sync)),
        };
        let (_, outcome) = self
            .inner
            .transport
            .run(&mut op, &mut io)
            .instrument(tracing::info_span!("ocireg.push_blob", %digest, size))
            .await?;
        Ok(outcome)
    }

    /// Pushes bytes in memory as a blob; returns its digest.
    pub async fn push_blob_bytes(
        &self,
        repository: &Reference,
        bytes: Bytes,
    ) -> Result<Digest, Error> {
        let digest = Digest::sha256(&bytes);
        let mut source = BytesSource(bytes.clone());
        self.push_blob(repository, &digest, bytes.len() as u64, &mut source, None)
            .await?;
        Ok(digest)
    }

    /// Pushes a file as a blob (hashing it first, then streaming it from
    /// disk); returns its digest and size.
    pub async fn push_blob_file(
        &self,
        repository: &Reference,
        path: &Path,
    ) -> Result<(Digest, u64), Error> {
        let (digest, size) = hash_file(path).await?;
        let mut source = FileSource(path.to_path_buf());
        self.push_blob(repository, &digest, size, &mut source, None)
            .await?;
        Ok((digest, size))
    }

    /// Pushes a blob read once from `reader`, whose digest and size are not
    /// known in advance (hashed as it streams); returns its digest.
    pub async fn push_blob_reader<R: AsyncRead + Unpin + Send>(
        &self,
        repository: &Reference,
        reader: R,
    ) -> Result<Digest, Error> {
        let registry = self.registry(repository.domain())?;
        self.credentials_for(&registry).await?;
        let mut op = BlobPush::streamed(&registry, &repository.repository());
        let mut source = ReaderSource::new(reader);
        let progress = self.progress_fn(Direction::Push, None, None);
        let mut io = Io {
            sink: None,
            source: Some(&mut source),
            progress: progress.as_ref().map(|p| p as &(dyn Fn(u64) + Send + Sync)),
        };
        let (digest, _) = self.inner.transport.run(&mut op, &mut io).await?;
        Ok(digest)
    }

    /// Mounts a blob from another repository of the same registry;
    /// `NotMounted` when the registry could not (no byte is sent).
    pub async fn mount_blob(
        &self,
        repository: &Reference,
        digest: &Digest,
        from: &Reference,
    ) -> Result<PushOutcome, Error> {
        self.skip_blob(repository, digest, 0, Some(&from.repository()))
            .await
    }

    /// Whether a repository has a blob (its size when it does).
    pub async fn head_blob(
        &self,
        repository: &Reference,
        digest: &Digest,
    ) -> Result<Option<u64>, Error> {
        let registry = self.registry(repository.domain())?;
        self.run(
            &registry,
            HeadBlob::new(&registry, &repository.repository(), digest),
        )
        .await
    }

    /// `Exists` or `Mounted` without moving a byte, else `NotMounted`.
    pub(crate) async fn skip_blob(
        &self,
        repository: &Reference,
        digest: &Digest,
        size: u64,
        mount_from: Option<&Repository>,
    ) -> Result<PushOutcome, Error> {
        let registry = self.registry(repository.domain())?;
        self.credentials_for(&registry).await?;
        let mut op = BlobPush::new(&registry, &repository.repository(), *digest, size)
            .check_exists()
            .mount_only();
        if let Some(from) = mount_from {
            op = op.mount_from(from);
        }
        let (_, outcome) = self.inner.transport.run(&mut op, &mut Io::none()).await?;
        Ok(outcome)
    }

    /// A tag at a glance: digest, total compressed size, creation date,
    /// every platform with its config and layers. The core's
    /// [`SummaryPlan`] decides what to fetch (each child of an index once,
    /// then the image configs); its jobs run in parallel within the
    /// transfer limit, from the registry that served the tag first (a
    /// Docker Hub mirror), then the ones after it.
    pub async fn summary(&self, reference: &Reference) -> Result<ImageSummary, Error> {
        let root = self.get_manifest(reference).await?;
        let domain = reference.domain();
        let candidates =
            Registry::candidates_from(&root.registry, domain, self.session().config())?;
        for registry in &candidates {
            self.credentials_for(registry).await?;
        }
        let repository = &reference.repository();
        let mut plan = SummaryPlan::new(root.manifest)?;
        let mut running = futures_util::stream::FuturesUnordered::new();
        loop {
            for job in plan.next_jobs() {
                let op = Fallback::new(candidates.clone(), move |registry| {
                    SummaryFetch::new(registry, repository, job.clone())
                });
                running.push(async move {
                    let mut op = op?;
                    let _permit = self.semaphore().acquire_owned().await;
                    let fetched = self.inner.transport.run(&mut op, &mut Io::none()).await;
                    fetched.map(|(_, fetched)| fetched)
                });
            }
            match running.next().await {
                Some(fetched) => plan.report(fetched?)?,
                None => break,
            }
        }
        Ok(plan.finish()?)
    }

    pub(crate) fn semaphore(&self) -> Arc<tokio::sync::Semaphore> {
        self.inner.parallel.clone()
    }
}

/// The error for a pull given no registry to pull from.
fn no_registry() -> Error {
    Error::Registry(ocireg_core::Error::InvalidInput {
        what: "registries",
        message: "no registry to pull from".to_string(),
    })
}

/// The file a download goes to until it is verified.
fn part_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}

/// The sha256 digest and size of a file.
async fn hash_file(path: &Path) -> Result<(Digest, u64), Error> {
    let mut hasher = Hasher::new(ocireg_core::Algorithm::Sha256);
    read_file_into(path, |bytes| hasher.update(bytes))
        .await
        .map_err(|source| Error::File {
            path: path.display().to_string(),
            source,
        })?;
    let size = hasher.len();
    Ok((hasher.finish(), size))
}

/// Hands every byte of the file at `path` to `take`, in order, a piece at
/// a time; returns how many there were.
pub(crate) async fn read_file_into(
    path: &Path,
    mut take: impl FnMut(&[u8]),
) -> std::io::Result<u64> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut buf = vec![0u8; 256 << 10];
    let mut total = 0u64;
    loop {
        let n = tokio::io::AsyncReadExt::read(&mut file, &mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        take(&buf[..n]);
        total = total.saturating_add(n as u64);
    }
}
