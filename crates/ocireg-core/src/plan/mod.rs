//! The image-graph planner: what to fetch, what to copy and in which order
//! to put, for every driver that moves a whole image (registry to
//! registry, registry to OCI layout, layout to registry, a new tag).
//!
//! An image is a graph: a top manifest, indexes listing manifests (to any
//! depth, artifacts included), image manifests listing a config and
//! layers. A [`GraphPlan`] starts from the top manifest the driver fetched
//! and is a job queue: the driver asks for the [`Job`]s that are ready,
//! runs them (as many at once as it likes, on any runtime) and reports
//! each one back. The plan does no I/O.
//!
//! # The driver loop
//!
//! ```text
//!        GraphPlan::new(top manifest, tag, options)
//!                          |
//!                          v
//!   +------------------> next_jobs() -- is_done() --> report()
//!   |                      |
//!   |         +------------+-------------+------------------+
//!   |         |            |             |                  |
//!   |   FetchManifest   Blob(job)   PutManifest(job)   none ready:
//!   |   GET d.digest    Mount, Skip PUT (or write)     wait for a
//!   |   from the        or Stream,  job.manifest at    running job
//!   |   source          as job.     job.digest (the         |
//!   |         |         action says top: job.tag)           |
//!   |         v            v             v                  |
//!   |   manifest_       blob_done(  manifest_put(           |
//!   |   fetched(d,      digest,     digest)                 |
//!   |   manifest)       outcome)         |                  |
//!   |         |            |             |                  |
//!   +---------+------------+-------------+------------------+
//! ```
//!
//! Jobs may run in parallel and be reported in any order; each report can
//! make new jobs ready (a fetched index lists children to fetch, a blob
//! done can release a put).
//!
//! What the plan guarantees:
//!
//! - Each distinct manifest is fetched once, however many indexes list it
//!   how many times, and each distinct blob is one job. Nothing is handed
//!   out twice, and a report for a job not handed out (or reported
//!   already) is an [`Error::NotPending`] that changes nothing.
//! - Everything is addressed by its own digest: a child listed as
//!   `sha512:...` is fetched, checked and put as `sha512:...`.
//! - Fetched manifests are checked against the digest and size their
//!   index lists; a mismatch is an error.
//! - Blob jobs come largest first among those ready. Foreign layers with
//!   URLs are left out ([`is_foreign_layer_left_out`]).
//! - A manifest is put only after all its blobs and child manifests are
//!   done, so a registry never sees a dangling reference; the top one
//!   comes last.
//! - Walks stop with [`Error::TooDeep`] past [`GraphOptions::max_depth`]
//!   levels and [`Error::TooMany`] past [`GraphOptions::max_manifests`]
//!   manifests.
//!
//! An error from [`GraphPlan::manifest_fetched`] (other than
//! `NotPending`) ends the plan: it hands out no more jobs and every later
//! report returns that error again. The driver stops.
//!
//! # Left out
//!
//! The plan follows what indexes list, including artifact manifests that
//! are entries of an index; it does not ask the referrers API for
//! manifests whose `subject` is in the graph, and does not follow a
//! manifest's own `subject`. Docker schema 1 manifests cannot be planned
//! (they list no sizes).
//!
//! ```
//! use std::collections::HashMap;
//! use ocireg_core::manifest::{media_type, Descriptor, ImageIndex, ImageManifest, Manifest, RawManifest};
//! use ocireg_core::plan::{BlobOutcome, Destination, GraphOptions, GraphPlan, Job};
//! use ocireg_core::Error;
//!
//! // Two images sharing a base layer, in an index, in a top index.
//! let image = |config: &[u8], layers: &[&[u8]]| {
//!     let config = Descriptor::for_bytes(media_type::OCI_CONFIG, config);
//!     let layers = layers
//!         .iter()
//!         .map(|l| Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, l))
//!         .collect();
//!     RawManifest::encode(&Manifest::Image(ImageManifest::new(media_type::OCI_MANIFEST, config, layers)))
//! };
//! let index = |children: Vec<Descriptor>| {
//!     RawManifest::encode(&Manifest::Index(ImageIndex::new(media_type::OCI_INDEX, children)))
//! };
//! let amd64 = image(b"amd64 config", &[b"base layer", b"amd64 layer"])?;
//! let arm64 = image(b"arm64 config", &[b"base layer", b"arm64 layer"])?;
//! let inner = index(vec![amd64.descriptor(), arm64.descriptor()])?;
//! let top = index(vec![inner.descriptor()])?;
//!
//! // The source, by digest.
//! let source: HashMap<_, _> = [amd64, arm64, inner]
//!     .into_iter()
//!     .map(|m| (m.digest(), m))
//!     .collect();
//!
//! let options = GraphOptions::new(Destination::OtherRegistry);
//! let mut plan = GraphPlan::new(top, Some("v1".to_string()), options)?;
//! let mut puts = Vec::new();
//! while !plan.is_done() {
//!     // A real driver runs these in parallel and reports as they finish.
//!     for job in plan.next_jobs() {
//!         match job {
//!             Job::FetchManifest(d) => {
//!                 let fetched = source[&d.digest].clone(); // GET /v2/<name>/manifests/<digest>
//!                 plan.manifest_fetched(&d.digest, fetched)?;
//!             }
//!             Job::Blob(blob) => {
//!                 let size = blob.descriptor.size; // copy the blob
//!                 plan.blob_done(&blob.descriptor.digest, BlobOutcome::Streamed(size))?;
//!             }
//!             Job::PutManifest(put) => {
//!                 puts.push(put.tag.clone().unwrap_or(put.digest.to_string())); // PUT
//!                 plan.manifest_put(&put.digest)?;
//!             }
//!         }
//!     }
//! }
//! let report = plan.report();
//! assert_eq!(report.manifests, 4);
//! assert_eq!(report.streamed.count, 5); // two configs, three distinct layers
//! assert_eq!(puts.len(), 4);
//! assert_eq!(puts.last().map(String::as_str), Some("v1")); // the top, last
//! # Ok::<(), Error>(())
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

use crate::digest::{Algorithm, Digest, VerifyError};
use crate::error::Error;
use crate::manifest::{Descriptor, Manifest, ManifestError, RawManifest};
use crate::platform::Platform;

mod job;

pub use job::{
    is_foreign_layer_left_out, BlobAction, BlobJob, BlobOutcome, Destination, GraphReport, Job,
    PutJob, Tally,
};

/// The default [`GraphOptions::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 8;
/// The default [`GraphOptions::max_manifests`].
pub const DEFAULT_MAX_MANIFESTS: usize = 10_000;

/// How to plan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GraphOptions {
    /// The most manifests on one path from the top down, the top included
    /// (an image alone is 1, an index of images 2). Default 8.
    pub max_depth: usize,
    /// The most distinct manifests in the graph, the top included.
    /// Default 10,000.
    pub max_manifests: usize,
    /// Keep only the entries of the top index whose platform matches one
    /// of these ([`Platform::matches`]); entries without a platform
    /// (attestations) go too. The top index is then rewritten, keeping its
    /// kind, and gets a new digest. Nested indexes are not filtered, and a
    /// top manifest that is not an index is kept as it is. `None` keeps
    /// everything.
    pub platforms: Option<Vec<Platform>>,
    /// Where the graph goes, which decides how blobs get there.
    pub destination: Destination,
    /// The algorithm the top manifest is addressed by: `Sha512` when the
    /// reference named a `sha512:` digest. Default `Sha256`.
    pub root_algorithm: Algorithm,
}

impl Default for GraphOptions {
    fn default() -> GraphOptions {
        GraphOptions::new(Destination::default())
    }
}

impl GraphOptions {
    /// The default limits, every platform, the top manifest by sha256.
    pub fn new(destination: Destination) -> GraphOptions {
        GraphOptions {
            max_depth: DEFAULT_MAX_DEPTH,
            max_manifests: DEFAULT_MAX_MANIFESTS,
            platforms: None,
            destination,
            root_algorithm: Algorithm::Sha256,
        }
    }

    /// Sets [`max_depth`](GraphOptions::max_depth).
    pub fn max_depth(mut self, levels: usize) -> GraphOptions {
        self.max_depth = levels;
        self
    }

    /// Sets [`max_manifests`](GraphOptions::max_manifests).
    pub fn max_manifests(mut self, manifests: usize) -> GraphOptions {
        self.max_manifests = manifests;
        self
    }

    /// Keeps only `platforms` of the top index (see
    /// [`platforms`](GraphOptions::platforms)).
    pub fn platforms(mut self, platforms: Vec<Platform>) -> GraphOptions {
        self.platforms = Some(platforms);
        self
    }

    /// Sets [`root_algorithm`](GraphOptions::root_algorithm).
    pub fn root_algorithm(mut self, algorithm: Algorithm) -> GraphOptions {
        self.root_algorithm = algorithm;
        self
    }
}

/// Where one manifest is in its life.
#[derive(Debug)]
enum ManifestState {
    /// Found; its fetch job is not handed out yet.
    Queued,
    /// Its fetch job is out.
    Fetching,
    /// Fetched; waiting for blobs and children.
    Waiting(RawManifest),
    /// Everything it lists is done; its put job is not handed out yet.
    Ready(RawManifest),
    /// Its put job is out.
    Putting,
    /// Put.
    Put,
}

#[derive(Debug)]
struct ManifestNode {
    /// As the first index listing it describes it (the top: its own).
    descriptor: Descriptor,
    /// The most manifests on a path from the top to this one, itself
    /// included.
    level: usize,
    state: ManifestState,
    /// Blobs and child manifests not done yet.
    waiting: usize,
    /// Manifests listing this one that wait for it to be put.
    parents: Vec<Digest>,
    /// Distinct child manifests (to carry a deeper level down).
    children: Vec<Digest>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlobState {
    Queued,
    Out,
    Done,
}

#[derive(Debug)]
struct BlobNode {
    descriptor: Descriptor,
    state: BlobState,
    /// Manifests waiting for this blob.
    dependents: Vec<Digest>,
}

/// The plan for moving one image graph; see the [module](self) docs for
/// the driver loop.
#[derive(Debug)]
pub struct GraphPlan {
    max_depth: usize,
    max_manifests: usize,
    destination: Destination,
    root: Digest,
    root_tag: Option<String>,
    root_rewritten: bool,
    manifests: HashMap<Digest, ManifestNode>,
    blobs: HashMap<Digest, BlobNode>,
    /// Blobs the driver said the destination has.
    present: HashSet<Digest>,
    foreign: HashSet<Digest>,
    fetch_queue: VecDeque<Digest>,
    put_queue: VecDeque<Digest>,
    /// Ready blobs, largest first (ties by digest, for a stable order).
    blob_queue: BinaryHeap<(u64, Reverse<Digest>)>,
    in_flight: usize,
    counts: Counts,
    failed: Option<Error>,
}

#[derive(Debug, Default)]
struct Counts {
    manifests_fetched: usize,
    manifests_put: usize,
    blobs: Tally,
    streamed: Tally,
    mounted: Tally,
    skipped: Tally,
    foreign: Tally,
    bytes_transferred: u64,
}

impl GraphPlan {
    /// Plans the graph under `root`, the top manifest the driver fetched,
    /// to be put under `root_tag` (or by digest only when `None`).
    ///
    /// Fails with [`Error::InvalidInput`] when a platform filter selects
    /// nothing, [`Error::TooDeep`] or [`Error::TooMany`] when the top
    /// manifest alone breaks a limit, and with a [`ManifestError`] for a
    /// schema 1 manifest or an index that cannot be encoded again.
    pub fn new(
        root: RawManifest,
        root_tag: Option<String>,
        options: GraphOptions,
    ) -> Result<GraphPlan, Error> {
        let (root, root_rewritten) = match &options.platforms {
            Some(platforms) => filter_platforms(root, platforms)?,
            None => (root, false),
        };
        let root_digest = root.digest_with(options.root_algorithm);
        let mut plan = GraphPlan {
            max_depth: options.max_depth,
            max_manifests: options.max_manifests,
            destination: options.destination,
            root: root_digest,
            root_tag,
            root_rewritten,
            manifests: HashMap::new(),
            blobs: HashMap::new(),
            present: HashSet::new(),
            foreign: HashSet::new(),
            fetch_queue: VecDeque::new(),
            put_queue: VecDeque::new(),
            blob_queue: BinaryHeap::new(),
            in_flight: 0,
            counts: Counts::default(),
            failed: None,
        };
        if plan.max_depth == 0 {
            return Err(Error::TooDeep { limit: 0 });
        }
        plan.check_manifest_count()?;
        let mut descriptor = root.descriptor();
        descriptor.digest = root_digest;
        // Given, not fetched: `expand` moves it on from `Fetching` like
        // any fetched manifest.
        plan.manifests.insert(
            root_digest,
            ManifestNode {
                descriptor,
                level: 1,
                state: ManifestState::Fetching,
                waiting: 0,
                parents: Vec::new(),
                children: Vec::new(),
            },
        );
        plan.expand(root_digest, root)?;
        Ok(plan)
    }

    /// Every job that is ready, each handed out once: manifest fetches
    /// first, then manifest puts, then blobs, largest first. Empty when
    /// nothing is ready until a running job is reported (or when the plan
    /// is done or failed).
    pub fn next_jobs(&mut self) -> Vec<Job> {
        self.next_jobs_up_to(usize::MAX)
    }

    /// Like [`next_jobs`](GraphPlan::next_jobs), at most `limit` jobs: a
    /// driver that keeps `n` jobs running asks for `n - running`, and so
    /// gets the largest ready blobs of all those found.
    pub fn next_jobs_up_to(&mut self, limit: usize) -> Vec<Job> {
        let mut jobs = Vec::new();
        if self.failed.is_some() {
            return jobs;
        }
        while jobs.len() < limit {
            let Some(digest) = self.fetch_queue.pop_front() else {
                break;
            };
            if let Some(node) = self.manifests.get_mut(&digest) {
                node.state = ManifestState::Fetching;
                jobs.push(Job::FetchManifest(node.descriptor.clone()));
            }
        }
        while jobs.len() < limit {
            let Some(digest) = self.put_queue.pop_front() else {
                break;
            };
            let Some(node) = self.manifests.get_mut(&digest) else {
                continue;
            };
            node.state = match std::mem::replace(&mut node.state, ManifestState::Putting) {
                ManifestState::Ready(manifest) => {
                    let root = digest == self.root;
                    jobs.push(Job::PutManifest(Box::new(PutJob {
                        digest,
                        manifest,
                        root,
                        tag: if root { self.root_tag.clone() } else { None },
                    })));
                    ManifestState::Putting
                }
                other => other,
            };
        }
        while jobs.len() < limit {
            let Some((_, Reverse(digest))) = self.blob_queue.pop() else {
                break;
            };
            if let Some(blob) = self.blobs.get_mut(&digest) {
                blob.state = BlobState::Out;
                let present = self.present.contains(&digest);
                jobs.push(Job::Blob(BlobJob {
                    descriptor: blob.descriptor.clone(),
                    action: self.destination.blob_action(present),
                }));
            }
        }
        self.in_flight = self.in_flight.saturating_add(jobs.len());
        jobs
    }

    /// Reports the manifest a [`Job::FetchManifest`] got. The plan checks
    /// it against the digest (in that digest's algorithm) and size its
    /// index lists, then reads what it lists.
    ///
    /// Fails with [`Error::NotPending`] when no fetch of `digest` is out
    /// (the plan is unchanged), and otherwise, ending the plan, with
    /// [`Error::Verify`] on a digest or size mismatch (also when two
    /// manifests list one digest with two sizes), [`Error::TooDeep`],
    /// [`Error::TooMany`], or a [`ManifestError`] for schema 1.
    pub fn manifest_fetched(
        &mut self,
        digest: &Digest,
        manifest: RawManifest,
    ) -> Result<(), Error> {
        self.check_alive()?;
        let size = match self.manifests.get(digest) {
            Some(node) if matches!(node.state, ManifestState::Fetching) => node.descriptor.size,
            _ => return Err(not_pending("manifest fetch", digest)),
        };
        self.job_reported();
        self.counts.manifests_fetched = self.counts.manifests_fetched.saturating_add(1);
        let result =
            check_fetched(&manifest, *digest, size).and_then(|()| self.expand(*digest, manifest));
        result.inspect_err(|e| self.failed = Some(e.clone()))
    }

    /// Reports what the driver did with a [`Job::Blob`].
    ///
    /// Fails with [`Error::NotPending`] when no job for `digest` is out
    /// (the plan is unchanged).
    pub fn blob_done(&mut self, digest: &Digest, outcome: BlobOutcome) -> Result<(), Error> {
        self.check_alive()?;
        let blob = match self.blobs.get_mut(digest) {
            Some(blob) if blob.state == BlobState::Out => blob,
            _ => return Err(not_pending("blob", digest)),
        };
        blob.state = BlobState::Done;
        let size = blob.descriptor.size;
        let dependents = std::mem::take(&mut blob.dependents);
        match outcome {
            BlobOutcome::Skipped => self.counts.skipped.add(size),
            BlobOutcome::Mounted => self.counts.mounted.add(size),
            BlobOutcome::Streamed(moved) => {
                self.counts.streamed.add(size);
                self.counts.bytes_transferred = self.counts.bytes_transferred.saturating_add(moved);
            }
        }
        self.job_reported();
        self.settle(dependents);
        Ok(())
    }

    /// Reports that a [`Job::PutManifest`] is done.
    ///
    /// Fails with [`Error::NotPending`] when no put of `digest` is out
    /// (the plan is unchanged).
    pub fn manifest_put(&mut self, digest: &Digest) -> Result<(), Error> {
        self.check_alive()?;
        let node = match self.manifests.get_mut(digest) {
            Some(node) if matches!(node.state, ManifestState::Putting) => node,
            _ => return Err(not_pending("manifest put", digest)),
        };
        node.state = ManifestState::Put;
        let parents = std::mem::take(&mut node.parents);
        self.counts.manifests_put = self.counts.manifests_put.saturating_add(1);
        self.job_reported();
        self.settle(parents);
        Ok(())
    }

    /// Tells the plan that the destination has the blob `digest` (a
    /// layout file that verifies, a `HEAD` that answered `200`): its job,
    /// if not handed out yet, will say [`BlobAction::Skip`]. Any digest
    /// may be named, at any time; one the graph does not list changes
    /// nothing.
    pub fn destination_has(&mut self, digest: Digest) {
        self.present.insert(digest);
    }

    /// Whether the top manifest is put, and with it everything.
    pub fn is_done(&self) -> bool {
        self.manifests
            .get(&self.root)
            .is_some_and(|node| matches!(node.state, ManifestState::Put))
    }

    /// Jobs handed out and not reported yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The digest of the top manifest as it is put (after a platform
    /// filter, the rewritten index's).
    pub fn root(&self) -> Digest {
        self.root
    }

    /// What was found and reported so far.
    pub fn report(&self) -> GraphReport {
        let counts = &self.counts;
        GraphReport {
            root: self.root,
            root_rewritten: self.root_rewritten,
            manifests: self.manifests.len(),
            manifests_fetched: counts.manifests_fetched,
            manifests_put: counts.manifests_put,
            blobs: counts.blobs,
            streamed: counts.streamed,
            mounted: counts.mounted,
            skipped: counts.skipped,
            foreign: counts.foreign,
            bytes_transferred: counts.bytes_transferred,
        }
    }

    fn check_alive(&self) -> Result<(), Error> {
        match &self.failed {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    fn job_reported(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    fn check_manifest_count(&self) -> Result<(), Error> {
        if self.manifests.len() >= self.max_manifests {
            return Err(Error::TooMany {
                what: "manifests in the image graph",
                limit: u64::try_from(self.max_manifests).unwrap_or(u64::MAX),
            });
        }
        Ok(())
    }

    /// Reads what a fetched (or the top) manifest lists, then parks it
    /// until all of that is done.
    fn expand(&mut self, digest: Digest, raw: RawManifest) -> Result<(), Error> {
        let level = self.manifests.get(&digest).map_or(1, |node| node.level);
        match raw.manifest() {
            Manifest::Index(index) | Manifest::DockerList(index) => {
                let mut seen = HashSet::new();
                for child in &index.manifests {
                    if seen.insert(child.digest) {
                        self.link_manifest(digest, child, level)?;
                    }
                }
            }
            Manifest::Image(image) | Manifest::DockerV2(image) => {
                let mut seen = HashSet::new();
                for blob in std::iter::once(&image.config).chain(&image.layers) {
                    if is_foreign_layer_left_out(blob) {
                        if self.foreign.insert(blob.digest) {
                            self.counts.foreign.add(blob.size);
                        }
                    } else if seen.insert(blob.digest) {
                        self.link_blob(digest, blob)?;
                    }
                }
            }
            Manifest::Schema1(_) => return Err(ManifestError::Schema1ReadOnly.into()),
        }
        if let Some(node) = self.manifests.get_mut(&digest) {
            node.state = ManifestState::Waiting(raw);
        }
        self.release_if_ready(digest);
        Ok(())
    }

    /// Makes `parent` (at `parent_level`) wait for the manifest `child`.
    fn link_manifest(
        &mut self,
        parent: Digest,
        child: &Descriptor,
        parent_level: usize,
    ) -> Result<(), Error> {
        let level = parent_level.saturating_add(1);
        if level > self.max_depth {
            return Err(Error::TooDeep {
                limit: self.max_depth,
            });
        }
        let digest = child.digest;
        let waits = match self.manifests.get_mut(&digest) {
            Some(known) => {
                same_size(&known.descriptor, child)?;
                let waits = !matches!(known.state, ManifestState::Put);
                if waits {
                    known.parents.push(parent);
                }
                self.deepen(digest, level)?;
                waits
            }
            None => {
                self.check_manifest_count()?;
                self.manifests.insert(
                    digest,
                    ManifestNode {
                        descriptor: child.clone(),
                        level,
                        state: ManifestState::Queued,
                        waiting: 0,
                        parents: vec![parent],
                        children: Vec::new(),
                    },
                );
                self.fetch_queue.push_back(digest);
                true
            }
        };
        if let Some(node) = self.manifests.get_mut(&parent) {
            node.children.push(digest);
            if waits {
                node.waiting = node.waiting.saturating_add(1);
            }
        }
        Ok(())
    }

    /// Makes the manifest `parent` wait for `blob`.
    fn link_blob(&mut self, parent: Digest, blob: &Descriptor) -> Result<(), Error> {
        let waits = match self.blobs.get_mut(&blob.digest) {
            Some(known) => {
                same_size(&known.descriptor, blob)?;
                let waits = known.state != BlobState::Done;
                if waits {
                    known.dependents.push(parent);
                }
                waits
            }
            None => {
                self.blobs.insert(
                    blob.digest,
                    BlobNode {
                        descriptor: blob.clone(),
                        state: BlobState::Queued,
                        dependents: vec![parent],
                    },
                );
                self.blob_queue.push((blob.size, Reverse(blob.digest)));
                self.counts.blobs.add(blob.size);
                true
            }
        };
        if waits {
            if let Some(node) = self.manifests.get_mut(&parent) {
                node.waiting = node.waiting.saturating_add(1);
            }
        }
        Ok(())
    }

    /// Raises the level of `digest` to `level` when a longer path to it
    /// was found, and carries that down to what it lists. The limit
    /// bounds the longest path, whichever order manifests arrive in.
    fn deepen(&mut self, digest: Digest, level: usize) -> Result<(), Error> {
        let mut stack = vec![(digest, level)];
        while let Some((digest, level)) = stack.pop() {
            if level > self.max_depth {
                return Err(Error::TooDeep {
                    limit: self.max_depth,
                });
            }
            let Some(node) = self.manifests.get_mut(&digest) else {
                continue;
            };
            if node.level >= level {
                continue;
            }
            node.level = level;
            let below = level.saturating_add(1);
            stack.extend(node.children.iter().map(|&child| (child, below)));
        }
        Ok(())
    }

    /// One thing each of `waiting` waited for is done.
    fn settle(&mut self, waiting: Vec<Digest>) {
        for digest in waiting {
            if let Some(node) = self.manifests.get_mut(&digest) {
                node.waiting = node.waiting.saturating_sub(1);
            }
            self.release_if_ready(digest);
        }
    }

    /// Queues the put of `digest` once it is fetched and waits for nothing.
    fn release_if_ready(&mut self, digest: Digest) {
        let Some(node) = self.manifests.get_mut(&digest) else {
            return;
        };
        if node.waiting > 0 {
            return;
        }
        node.state = match std::mem::replace(&mut node.state, ManifestState::Put) {
            ManifestState::Waiting(raw) => {
                self.put_queue.push_back(digest);
                ManifestState::Ready(raw)
            }
            other => other,
        };
    }
}

fn not_pending(job: &'static str, digest: &Digest) -> Error {
    Error::NotPending {
        job,
        digest: *digest,
    }
}

/// Checks fetched bytes against the digest and size they were listed with.
fn check_fetched(manifest: &RawManifest, digest: Digest, size: u64) -> Result<(), Error> {
    let len = manifest.bytes().len() as u64;
    if len != size {
        return Err(VerifyError::SizeMismatch {
            digest,
            expected: size,
            actual: len,
        }
        .into());
    }
    manifest.verify(digest)?;
    Ok(())
}

/// Two descriptors of one digest must agree on the size: one of them is
/// wrong otherwise.
fn same_size(known: &Descriptor, listed: &Descriptor) -> Result<(), Error> {
    if known.size == listed.size {
        return Ok(());
    }
    Err(VerifyError::SizeMismatch {
        digest: known.digest,
        expected: known.size,
        actual: listed.size,
    }
    .into())
}

/// Keeps the entries of a top index that match `platforms`, rewriting the
/// index (same kind) when some go. Returns the manifest and whether it was
/// rewritten.
fn filter_platforms(
    root: RawManifest,
    platforms: &[Platform],
) -> Result<(RawManifest, bool), Error> {
    let no_match = |message: &str| Error::InvalidInput {
        what: "platforms",
        message: message.to_string(),
    };
    if platforms.is_empty() {
        return Err(no_match("the platform selection is empty"));
    }
    let Some(index) = root.manifest().as_index() else {
        return Ok((root, false));
    };
    let keep: Vec<Descriptor> = index
        .manifests
        .iter()
        .filter(|entry| {
            entry
                .platform
                .as_ref()
                .is_some_and(|p| platforms.iter().any(|wanted| wanted.matches(p)))
        })
        .cloned()
        .collect();
    if keep.is_empty() {
        return Err(no_match(
            "no entry of the index matches the wanted platforms",
        ));
    }
    if keep.len() == index.manifests.len() {
        return Ok((root, false));
    }
    let mut filtered = index.clone();
    filtered.manifests = keep;
    let manifest = match root.manifest() {
        Manifest::DockerList(_) => Manifest::DockerList(filtered),
        _ => Manifest::Index(filtered),
    };
    Ok((RawManifest::encode(&manifest)?, true))
}
