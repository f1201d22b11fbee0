//! The plain data a [`GraphPlan`](super::GraphPlan) hands out and takes
//! back: jobs, blob actions and outcomes, the destination kind, the report.

use crate::digest::Digest;
use crate::manifest::{media_type, Descriptor, RawManifest};
use crate::reference::Repository;

/// One piece of work for the driver. Every job is handed out once, and
/// every job must be reported once: [`Job::FetchManifest`] with
/// [`manifest_fetched`](super::GraphPlan::manifest_fetched),
/// [`Job::Blob`] with [`blob_done`](super::GraphPlan::blob_done),
/// [`Job::PutManifest`] with [`manifest_put`](super::GraphPlan::manifest_put).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// Fetch this manifest from the source by its digest (which may be
    /// `sha512`), as the index listing it describes it. The driver need not
    /// verify the bytes: the plan checks digest and size when they are
    /// reported. The size is a sound limit for the body.
    FetchManifest(Descriptor),
    /// Get one config or layer blob to the destination.
    Blob(BlobJob),
    /// Put (or, into a layout, write) one manifest. It is released only
    /// after every blob and child manifest it lists is done.
    PutManifest(Box<PutJob>),
}

/// A config or layer blob to get to the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobJob {
    /// The blob, as the first manifest listing it describes it. Its digest
    /// (and so the algorithm to verify and store it by) is its own.
    pub descriptor: Descriptor,
    /// What the plan advises, from the [`Destination`] and what the driver
    /// said the destination has.
    pub action: BlobAction,
}

/// What the driver should do with a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobAction {
    /// Ask the destination registry to mount the blob from `from`, a
    /// repository of the same registry. A registry that does not mount
    /// (it answers `202` and opens an upload) leaves the driver to stream;
    /// it reports what it did.
    Mount {
        /// The source repository (`library/ubuntu`).
        from: Repository,
    },
    /// Nothing to do: the destination has the blob. Report it as
    /// [`BlobOutcome::Skipped`].
    Skip,
    /// Copy the bytes from the source to the destination, verifying them.
    /// The driver may still find that the destination has the blob (a
    /// `HEAD` that answers `200`, a layout file that verifies) and report
    /// [`BlobOutcome::Skipped`].
    Stream,
}

/// What the driver did with a blob job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobOutcome {
    /// The destination had the blob already.
    Skipped,
    /// The destination registry mounted it.
    Mounted,
    /// The bytes were copied; the number is how many crossed the wire
    /// (less than the size when an upload resumed).
    Streamed(u64),
}

/// A manifest to put, or to write into a layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutJob {
    /// The manifest's digest in its own algorithm: the address to put it
    /// at (and the name of its layout blob file), not necessarily
    /// `manifest.digest()`, which is always sha256.
    pub digest: Digest,
    /// The exact bytes to send, with their media type.
    pub manifest: RawManifest,
    /// The top manifest of the graph; it is the last job of the plan.
    pub root: bool,
    /// The tag to put the top manifest under (`None` for every other
    /// manifest, and for a top manifest put by digest only).
    pub tag: Option<String>,
}

impl PutJob {
    /// A descriptor of the manifest with its own digest (for an
    /// `index.json` entry or a log line).
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.manifest.media_type(),
            self.digest,
            self.manifest.bytes().len() as u64,
        )
    }
}

/// Where the graph goes; decides each blob's [`BlobAction`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Destination {
    /// Another repository of the registry the source is in: blobs are
    /// [mounted](BlobAction::Mount) from `source_repository`.
    SameRegistry {
        /// The repository the graph is copied from.
        source_repository: Repository,
    },
    /// The repository the graph is read from (a new tag for an image
    /// already there): every blob is there, so every blob is
    /// [skipped](BlobAction::Skip).
    SameRepository,
    /// A registry other than the source's (or a source that is not a
    /// registry, such as a layout being pushed): blobs are
    /// [streamed](BlobAction::Stream).
    #[default]
    OtherRegistry,
    /// An OCI image layout on disk: blobs are [streamed](BlobAction::Stream)
    /// into files.
    Layout,
}

impl Destination {
    /// The action for a blob; `present` says the driver has told the plan
    /// that the destination has it.
    pub fn blob_action(&self, present: bool) -> BlobAction {
        match self {
            _ if present => BlobAction::Skip,
            Destination::SameRepository => BlobAction::Skip,
            Destination::SameRegistry { source_repository } => BlobAction::Mount {
                from: source_repository.clone(),
            },
            Destination::OtherRegistry | Destination::Layout => BlobAction::Stream,
        }
    }
}

/// Whether the plan leaves a layer out: a Docker foreign or OCI
/// non-distributable layer that lists `urls` lives at those URLs, not in
/// the registry, and docker and crane do not copy it either (the manifest
/// keeps pointing at the URLs). The same type without `urls` is copied
/// like any layer.
///
/// ```
/// use ocireg_core::manifest::{media_type, Descriptor};
/// use ocireg_core::plan::is_foreign_layer_left_out;
/// use ocireg_core::Digest;
///
/// let mut layer = Descriptor::new(media_type::DOCKER_FOREIGN_LAYER_GZIP, Digest::sha256(b"l"), 1);
/// assert!(!is_foreign_layer_left_out(&layer));
/// layer.urls.push("https://mcr.microsoft.com/l".to_string());
/// assert!(is_foreign_layer_left_out(&layer));
/// ```
pub fn is_foreign_layer_left_out(layer: &Descriptor) -> bool {
    !layer.urls.is_empty() && media_type::is_foreign_layer(&media_type::essence(&layer.media_type))
}

/// A count and the bytes it stands for (sizes from descriptors, summed
/// saturating: sizes come from the network).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many.
    pub count: usize,
    /// Their total size in bytes.
    pub bytes: u64,
}

impl Tally {
    pub(super) fn add(&mut self, size: u64) {
        self.count = self.count.saturating_add(1);
        self.bytes = self.bytes.saturating_add(size);
    }
}

/// What a plan found and what the driver reported so far.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GraphReport {
    /// The top manifest's digest at the destination, in the algorithm it
    /// is addressed by (after a platform filter, the rewritten index's).
    pub root: Digest,
    /// Whether a platform filter rewrote the top index.
    pub root_rewritten: bool,
    /// Distinct manifests found, the top one included.
    pub manifests: usize,
    /// Manifests fetched (the top one was given, not fetched).
    pub manifests_fetched: usize,
    /// Manifests put.
    pub manifests_put: usize,
    /// Distinct blobs to copy found (configs and layers).
    pub blobs: Tally,
    /// Blobs reported streamed.
    pub streamed: Tally,
    /// Blobs reported mounted.
    pub mounted: Tally,
    /// Blobs reported skipped (the destination had them).
    pub skipped: Tally,
    /// Distinct foreign layers left out (see [`is_foreign_layer_left_out`]).
    pub foreign: Tally,
    /// Bytes the driver reported moving for streamed blobs.
    pub bytes_transferred: u64,
}
