//! [`SummaryPlan`]: what a summary needs fetched, for any driver.
//!
//! A summary starts from the manifest a tag points at (the driver fetched
//! it) and needs, for an index, every child manifest, and for every image
//! manifest its image config. The plan is a job queue, like
//! [`GraphPlan`](crate::plan::GraphPlan): the driver asks for the ready
//! [`SummaryJob`]s, runs them (as many at once as it likes), reports each
//! one, and when nothing is ready and nothing runs, asks for the result.
//!
//! Each job can run as a [`SummaryFetch`](super::SummaryFetch), an
//! operation whose output [`SummaryPlan::report`] takes, so a driver only
//! decides how many run at once:
//!
//! ```text
//!   SummaryPlan::new(root manifest)
//!        |
//!        v
//!   next_jobs() <-------------------------------------------+
//!        |                                                  |
//!        +-- FetchManifest { descriptor }                   |
//!        |     GET manifests/<digest> ---> manifest_fetched(digest, manifest)
//!        |                                 (checked against the descriptor;
//!        |                                 an image queues its config)
//!        +-- FetchConfig { descriptor }                     |
//!        |     GET blobs/<digest> -------> config_fetched(digest, bytes)
//!        |                                 (checked, parsed as JSON)
//!        '-- none ready and none running: finish() -> ImageSummary
//! ```
//!
//! What the plan guarantees:
//!
//! - Each distinct child manifest and each distinct config is one job,
//!   however often the index lists it; the summary still has one entry
//!   per index entry, in the index's order.
//! - Everything reported is checked against the digest (in its own
//!   algorithm) and size of the descriptor that named it; a mismatch is an
//!   [`Error::Verify`]. The driver need not check, and the size is a sound
//!   limit for the body.
//! - Only image configs are fetched ([`is_image_config`]); an artifact's
//!   config is left alone. A config whose descriptor declares more than
//!   [`CONFIG_LIMIT`] bytes is refused before it is fetched
//!   ([`Error::DescriptorTooLarge`]); one that is not an image config
//!   document is an [`Error::Protocol`].
//! - A child that is itself an index is summarized as it is (no platform,
//!   no config); the plan does not walk deeper.
//!
//! An error from a report (other than [`Error::NotPending`]) ends the
//! plan: it hands out no more jobs, and every later report and
//! [`SummaryPlan::finish`] return that error again.
//!
//! ```
//! use std::collections::HashMap;
//! use ocireg_core::manifest::{media_type, Descriptor, ImageIndex, ImageManifest, Manifest, RawManifest};
//! use ocireg_core::summary::{SummaryJob, SummaryPlan};
//!
//! let config = br#"{"architecture":"arm64","os":"linux","created":"2024-01-01T00:00:00Z"}"#;
//! let layer = Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, b"layer");
//! let image = ImageManifest::new(
//!     media_type::OCI_MANIFEST,
//!     Descriptor::for_bytes(media_type::OCI_CONFIG, config),
//!     vec![layer],
//! );
//! let image = RawManifest::encode(&Manifest::Image(image))?;
//! let mut entry = image.descriptor();
//! entry.platform = Some("linux/arm64/v8".parse().unwrap());
//! let index = RawManifest::encode(&Manifest::Index(ImageIndex::new(media_type::OCI_INDEX, vec![entry])))?;
//!
//! let mut plan = SummaryPlan::new(index)?;
//! loop {
//!     let jobs = plan.next_jobs();
//!     if jobs.is_empty() {
//!         break; // a real driver waits for its running jobs first
//!     }
//!     for job in jobs {
//!         match job {
//!             SummaryJob::FetchManifest { descriptor } => {
//!                 // GET /v2/<name>/manifests/<descriptor.digest>
//!                 plan.manifest_fetched(&descriptor.digest, image.clone())?
//!             }
//!             SummaryJob::FetchConfig { descriptor } => {
//!                 // GET /v2/<name>/blobs/<descriptor.digest>
//!                 plan.config_fetched(&descriptor.digest, config)?
//!             }
//!         }
//!     }
//! }
//! let summary = plan.finish()?;
//! assert_eq!(summary.platforms[0].platform.as_deref(), Some("linux/arm64/v8"));
//! assert_eq!(summary.created.as_deref(), Some("2024-01-01T00:00:00Z"));
//! # Ok::<(), ocireg_core::Error>(())
//! ```

use std::collections::{HashMap, VecDeque};

use super::{is_image_config, ImageSummary, PlatformSummary, SummaryFetched};
use crate::config::ImageConfig;
use crate::digest::{Digest, Verifier, VerifyError};
use crate::error::Error;
use crate::manifest::{Descriptor, RawManifest};

/// The largest image config a summary fetches (8 MiB; real configs are a
/// few KiB, the largest seen some hundreds). A descriptor declaring more
/// fails the summary with [`Error::DescriptorTooLarge`] before any byte is
/// fetched.
pub const CONFIG_LIMIT: u64 = 8 << 20;

/// Fails with [`Error::DescriptorTooLarge`] when `config` declares more
/// than [`CONFIG_LIMIT`] bytes: the check every reader of a config makes
/// before it fetches a byte.
pub(crate) fn within_config_limit(config: &Descriptor) -> Result<(), Error> {
    if config.size > CONFIG_LIMIT {
        return Err(Error::DescriptorTooLarge {
            what: "image config",
            digest: config.digest,
            size: config.size,
            limit: CONFIG_LIMIT,
        });
    }
    Ok(())
}

/// One fetch for the driver. Each job is handed out once and must be
/// reported once: [`SummaryJob::FetchManifest`] with
/// [`SummaryPlan::manifest_fetched`], [`SummaryJob::FetchConfig`] with
/// [`SummaryPlan::config_fetched`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SummaryJob {
    /// Fetch this child manifest of the index by its digest (which may be
    /// `sha512`).
    FetchManifest {
        /// The index entry (the first one, if the index lists the
        /// manifest more than once).
        descriptor: Descriptor,
    },
    /// Fetch this image config blob by its digest; its size is at most
    /// [`CONFIG_LIMIT`].
    FetchConfig {
        /// The config descriptor of an image manifest.
        descriptor: Descriptor,
    },
}

impl SummaryJob {
    /// What to fetch.
    pub fn descriptor(&self) -> &Descriptor {
        match self {
            SummaryJob::FetchManifest { descriptor } | SummaryJob::FetchConfig { descriptor } => {
                descriptor
            }
        }
    }
}

/// One thing to fetch and where it is.
#[derive(Debug)]
struct Fetch<T> {
    descriptor: Descriptor,
    state: State<T>,
}

#[derive(Debug)]
enum State<T> {
    Queued,
    Out,
    Done(T),
}

impl<T> Fetch<T> {
    fn done(&self) -> Option<&T> {
        match &self.state {
            State::Done(value) => Some(value),
            State::Queued | State::Out => None,
        }
    }
}

/// Which of a plan's maps a job kind lives in.
type Slots<T> = fn(&mut SummaryPlan) -> &mut HashMap<Digest, Fetch<T>>;

/// The fan-out of a summary as a sans-IO job queue (see the module
/// documentation).
#[derive(Debug)]
pub struct SummaryPlan {
    root: RawManifest,
    manifests: HashMap<Digest, Fetch<RawManifest>>,
    configs: HashMap<Digest, Fetch<ImageConfig>>,
    queue: VecDeque<SummaryJob>,
    in_flight: usize,
    /// A report was an error: the plan is over (the error went to the
    /// driver with that report; no copy is kept).
    failed: bool,
}

impl SummaryPlan {
    /// A plan for the summary of `root`, the manifest the tag (or digest)
    /// points at: an index's children are the first jobs, an image's
    /// config the only one.
    ///
    /// Fails with [`Error::DescriptorTooLarge`] when `root` is an image
    /// whose config declares more than [`CONFIG_LIMIT`] bytes, and with
    /// [`Error::Verify`] when an index lists one digest with two sizes.
    pub fn new(root: RawManifest) -> Result<SummaryPlan, Error> {
        let mut plan = SummaryPlan {
            root,
            manifests: HashMap::new(),
            configs: HashMap::new(),
            queue: VecDeque::new(),
            in_flight: 0,
            failed: false,
        };
        let manifest = plan.root.manifest();
        match manifest.as_index() {
            Some(index) => {
                let entries = index.manifests.clone();
                for entry in &entries {
                    plan.want_manifest(entry)?;
                }
            }
            None => {
                if let Some(config) = manifest.config().cloned() {
                    plan.want_config(&config)?;
                }
            }
        }
        Ok(plan)
    }

    /// Every job that is ready, each handed out once, in the order they
    /// became ready: child manifests in the index's order, then configs as
    /// their manifests are reported. Empty when nothing is ready until a
    /// running job is reported (or when the plan is done or failed).
    pub fn next_jobs(&mut self) -> Vec<SummaryJob> {
        self.next_jobs_up_to(usize::MAX)
    }

    /// The first `limit` of [`next_jobs`](SummaryPlan::next_jobs): a
    /// driver that keeps `n` fetches running asks for `n - running`.
    pub fn next_jobs_up_to(&mut self, limit: usize) -> Vec<SummaryJob> {
        let ready = if self.failed {
            0
        } else {
            self.queue.len().min(limit)
        };
        let jobs: Vec<SummaryJob> = self.queue.drain(..ready).collect();
        for job in &jobs {
            let digest = &job.descriptor().digest;
            match job {
                SummaryJob::FetchManifest { .. } => mark_out(&mut self.manifests, digest),
                SummaryJob::FetchConfig { .. } => mark_out(&mut self.configs, digest),
            }
        }
        self.in_flight = self.in_flight.saturating_add(jobs.len());
        jobs
    }

    /// Reports the manifest a [`SummaryJob::FetchManifest`] got. The plan
    /// checks it against the index entry's digest and size; an image
    /// manifest with an image config makes that config a job.
    ///
    /// Fails with [`Error::NotPending`] when no fetch of `digest` is out
    /// (the plan is unchanged), and otherwise, ending the plan, with
    /// [`Error::Verify`] on a digest or size mismatch (also when two
    /// manifests name one config with two sizes) or
    /// [`Error::DescriptorTooLarge`] for a config over [`CONFIG_LIMIT`].
    pub fn manifest_fetched(
        &mut self,
        digest: &Digest,
        manifest: RawManifest,
    ) -> Result<(), Error> {
        let descriptor = self.take_out("manifest fetch", digest, |p| &mut p.manifests)?;
        let config = manifest.manifest().config().cloned();
        let checked = verify(manifest.bytes(), &descriptor).and_then(|()| match config {
            Some(config) => self.want_config(&config),
            None => Ok(()),
        });
        self.settle(checked.map(|()| manifest), |p| &mut p.manifests, digest)
    }

    /// Reports the bytes a [`SummaryJob::FetchConfig`] got. The plan checks
    /// them against the descriptor's digest and size and reads them as an
    /// image config.
    ///
    /// Fails with [`Error::NotPending`] when no fetch of `digest` is out
    /// (the plan is unchanged), and otherwise, ending the plan, with
    /// [`Error::Verify`] on a mismatch or [`Error::Protocol`] when the
    /// bytes are not an image config document.
    pub fn config_fetched(&mut self, digest: &Digest, bytes: &[u8]) -> Result<(), Error> {
        let descriptor = self.take_out("config fetch", digest, |p| &mut p.configs)?;
        let config = verify(bytes, &descriptor).and_then(|()| {
            ImageConfig::from_json(bytes).map_err(|e| Error::Protocol {
                url: format!("image config {digest}"),
                message: e.to_string(),
            })
        });
        self.settle(config, |p| &mut p.configs, digest)
    }

    /// Reports what a [`SummaryFetch`](super::SummaryFetch) got: the same
    /// as [`manifest_fetched`](SummaryPlan::manifest_fetched) or
    /// [`config_fetched`](SummaryPlan::config_fetched).
    pub fn report(&mut self, fetched: SummaryFetched) -> Result<(), Error> {
        match fetched {
            SummaryFetched::Manifest { digest, manifest } => {
                self.manifest_fetched(&digest, manifest)
            }
            SummaryFetched::Config { digest, bytes } => self.config_fetched(&digest, &bytes),
        }
    }

    /// Whether every job was handed out and reported, and none failed.
    pub fn is_done(&self) -> bool {
        !self.failed && self.queue.is_empty() && self.in_flight == 0
    }

    /// Jobs handed out and not reported yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The summary, once [`is_done`](SummaryPlan::is_done): one platform
    /// entry per index entry, in the index's order (or the image itself),
    /// assembled by [`ImageSummary::assemble`].
    ///
    /// Fails with [`Error::InvalidInput`] after a failed report (that
    /// report returned the error itself) or when jobs are still waiting
    /// or running.
    pub fn finish(self) -> Result<ImageSummary, Error> {
        if self.failed {
            return Err(failed_before());
        }
        let unfinished = || Error::InvalidInput {
            what: "summary plan",
            message: "finished before every job was reported".into(),
        };
        if !self.is_done() {
            return Err(unfinished());
        }
        let platforms = match self.root.manifest().as_index() {
            Some(index) => index
                .manifests
                .iter()
                .map(|entry| {
                    let raw = self
                        .manifests
                        .get(&entry.digest)
                        .and_then(Fetch::done)
                        .ok_or_else(unfinished)?;
                    Ok(PlatformSummary::new(raw, Some(entry), self.config_of(raw)))
                })
                .collect::<Result<Vec<_>, Error>>()?,
            None => vec![PlatformSummary::new(
                &self.root,
                None,
                self.config_of(&self.root),
            )],
        };
        Ok(ImageSummary::assemble(&self.root, platforms))
    }

    /// The fetched image config of `raw`, if it has one.
    fn config_of(&self, raw: &RawManifest) -> Option<&ImageConfig> {
        let config = raw.manifest().config()?;
        self.configs.get(&config.digest)?.done()
    }

    /// Queues the fetch of an index entry, once per digest.
    fn want_manifest(&mut self, entry: &Descriptor) -> Result<(), Error> {
        want(&mut self.manifests, &mut self.queue, entry, |descriptor| {
            SummaryJob::FetchManifest { descriptor }
        })
    }

    /// Queues the fetch of an image config (once per digest); other
    /// configs are not fetched.
    fn want_config(&mut self, config: &Descriptor) -> Result<(), Error> {
        if !is_image_config(config) {
            return Ok(());
        }
        within_config_limit(config)?;
        want(&mut self.configs, &mut self.queue, config, |descriptor| {
            SummaryJob::FetchConfig { descriptor }
        })
    }

    /// The descriptor of the job for `digest` that is out, now reported;
    /// an error (the plan unchanged) when there is none.
    fn take_out<T>(
        &mut self,
        job: &'static str,
        digest: &Digest,
        map: Slots<T>,
    ) -> Result<Descriptor, Error> {
        if self.failed {
            return Err(failed_before());
        }
        let descriptor = match map(self).get(digest) {
            Some(fetch) if matches!(fetch.state, State::Out) => fetch.descriptor.clone(),
            _ => {
                return Err(Error::NotPending {
                    job,
                    digest: *digest,
                })
            }
        };
        self.in_flight = self.in_flight.saturating_sub(1);
        Ok(descriptor)
    }

    /// Records a reported job: its value, or the error that ends the plan.
    fn settle<T>(
        &mut self,
        result: Result<T, Error>,
        map: Slots<T>,
        digest: &Digest,
    ) -> Result<(), Error> {
        match result {
            Ok(value) => {
                if let Some(fetch) = map(self).get_mut(digest) {
                    fetch.state = State::Done(value);
                }
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}

/// The error for a report or a `finish` after a report that failed.
fn failed_before() -> Error {
    Error::InvalidInput {
        what: "summary plan",
        message: "an earlier report failed the summary".into(),
    }
}

/// Queues the job `make` builds for `descriptor` unless its digest is
/// known; a known digest must come with the same size.
fn want<T>(
    map: &mut HashMap<Digest, Fetch<T>>,
    queue: &mut VecDeque<SummaryJob>,
    descriptor: &Descriptor,
    make: impl FnOnce(Descriptor) -> SummaryJob,
) -> Result<(), Error> {
    if let Some(known) = map.get(&descriptor.digest) {
        if known.descriptor.size != descriptor.size {
            return Err(VerifyError::SizeMismatch {
                digest: descriptor.digest,
                expected: known.descriptor.size,
                actual: descriptor.size,
            }
            .into());
        }
        return Ok(());
    }
    map.insert(
        descriptor.digest,
        Fetch {
            descriptor: descriptor.clone(),
            state: State::Queued,
        },
    );
    queue.push_back(make(descriptor.clone()));
    Ok(())
}

fn mark_out<T>(map: &mut HashMap<Digest, Fetch<T>>, digest: &Digest) {
    if let Some(fetch) = map.get_mut(digest) {
        fetch.state = State::Out;
    }
}

/// Checks reported bytes against the descriptor that named them.
fn verify(bytes: &[u8], descriptor: &Descriptor) -> Result<(), Error> {
    let mut verifier = Verifier::with_size(descriptor.digest, descriptor.size);
    verifier.update(bytes);
    verifier.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{media_type, ImageIndex, ImageManifest, Manifest};
    use crate::Algorithm;

    fn config_bytes(arch: &str, created: &str) -> Vec<u8> {
        format!(r#"{{"architecture":"{arch}","os":"linux","created":"{created}"}}"#).into_bytes()
    }

    fn image_with(config: Descriptor, layer: &[u8]) -> RawManifest {
        let layers = vec![Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, layer)];
        let m = ImageManifest::new(media_type::OCI_MANIFEST, config, layers);
        RawManifest::encode(&Manifest::Image(m)).unwrap()
    }

    fn image(config: &[u8], layer: &[u8]) -> RawManifest {
        image_with(Descriptor::for_bytes(media_type::OCI_CONFIG, config), layer)
    }

    fn entry(raw: &RawManifest, platform: &str) -> Descriptor {
        let mut d = raw.descriptor();
        d.platform = Some(platform.parse().unwrap());
        d
    }

    fn index(entries: Vec<Descriptor>) -> RawManifest {
        let i = ImageIndex::new(media_type::OCI_INDEX, entries);
        RawManifest::encode(&Manifest::Index(i)).unwrap()
    }

    fn digests(jobs: &[SummaryJob]) -> Vec<Digest> {
        jobs.iter().map(|j| j.descriptor().digest).collect()
    }

    #[test]
    fn an_image_needs_its_config_only() {
        let config = config_bytes("amd64", "2024-01-01T00:00:00Z");
        let root = image(&config, b"layer");
        let mut plan = SummaryPlan::new(root.clone()).unwrap();
        let jobs = plan.next_jobs();
        let want = Descriptor::for_bytes(media_type::OCI_CONFIG, &config);
        assert_eq!(jobs, [SummaryJob::FetchConfig { descriptor: want }]);
        assert!(plan.next_jobs().is_empty() && !plan.is_done());
        assert_eq!(plan.in_flight(), 1);
        plan.config_fetched(&Digest::sha256(&config), &config)
            .unwrap();
        assert!(plan.is_done());
        let s = plan.finish().unwrap();
        assert_eq!(s.digest, root.digest().to_string());
        assert!(!s.is_index);
        assert_eq!(s.platforms.len(), 1);
        assert_eq!(s.platforms[0].platform.as_deref(), Some("linux/amd64"));
        assert_eq!(s.created.as_deref(), Some("2024-01-01T00:00:00Z"));
    }

    #[test]
    fn each_child_and_config_is_fetched_once_and_entries_keep_their_order() {
        let (c1, c2) = (
            config_bytes("amd64", "2024-01-01T00:00:00Z"),
            config_bytes("arm64", "2024-02-01T00:00:00Z"),
        );
        let amd = image(&c1, b"amd layer");
        let arm = image(&c2, b"arm layer");
        // A second manifest with amd64's config: the config is one job.
        let amd_again = image(&c1, b"other layer");
        let root = index(vec![
            entry(&arm, "linux/arm64/v8"),
            entry(&amd, "linux/amd64"),
            entry(&arm, "linux/arm64"),
            entry(&amd_again, "linux/amd64/v2"),
        ]);
        let mut plan = SummaryPlan::new(root).unwrap();
        let jobs = plan.next_jobs();
        assert_eq!(
            digests(&jobs),
            [arm.digest(), amd.digest(), amd_again.digest()]
        );
        assert!(jobs
            .iter()
            .all(|j| matches!(j, SummaryJob::FetchManifest { .. })));
        // Reported in another order than handed out.
        plan.manifest_fetched(&amd.digest(), amd.clone()).unwrap();
        plan.manifest_fetched(&amd_again.digest(), amd_again.clone())
            .unwrap();
        assert_eq!(digests(&plan.next_jobs()), [Digest::sha256(&c1)]);
        plan.manifest_fetched(&arm.digest(), arm.clone()).unwrap();
        let configs = plan.next_jobs();
        assert_eq!(digests(&configs), [Digest::sha256(&c2)]);
        assert!(!plan.is_done());
        plan.config_fetched(&Digest::sha256(&c2), &c2).unwrap();
        plan.config_fetched(&Digest::sha256(&c1), &c1).unwrap();
        assert!(plan.is_done() && plan.next_jobs().is_empty());

        let s = plan.finish().unwrap();
        assert!(s.is_index);
        let platforms: Vec<_> = s
            .platforms
            .iter()
            .map(|p| p.platform.as_deref().unwrap())
            .collect();
        assert_eq!(
            platforms,
            [
                "linux/arm64/v8",
                "linux/amd64",
                "linux/arm64",
                "linux/amd64/v2"
            ]
        );
        assert!(s.platforms.iter().all(|p| p.config.is_some()));
        assert_eq!(
            s.platforms[3].config.as_ref().unwrap().architecture,
            "amd64"
        );
        assert_eq!(s.created.as_deref(), Some("2024-02-01T00:00:00Z"));
    }

    #[test]
    fn artifact_configs_and_nested_indexes_are_not_fetched() {
        let artifact = image_with(
            Descriptor::for_bytes("application/vnd.example.sbom.config", b"{}"),
            b"sbom",
        );
        let inner = index(vec![]);
        let root = index(vec![artifact.descriptor(), inner.descriptor()]);
        let mut plan = SummaryPlan::new(root).unwrap();
        assert_eq!(plan.next_jobs().len(), 2);
        plan.manifest_fetched(&artifact.digest(), artifact.clone())
            .unwrap();
        plan.manifest_fetched(&inner.digest(), inner.clone())
            .unwrap();
        assert!(plan.next_jobs().is_empty() && plan.is_done());
        let s = plan.finish().unwrap();
        assert!(s.platforms.iter().all(|p| p.config.is_none()));
        assert_eq!(s.platforms[1].media_type, media_type::OCI_INDEX);
    }

    #[test]
    fn a_config_over_the_limit_is_refused_before_it_is_fetched() {
        let big = Descriptor::new(
            media_type::OCI_CONFIG,
            Digest::sha256(b"big"),
            CONFIG_LIMIT + 1,
        );
        let too_large = Error::DescriptorTooLarge {
            what: "image config",
            digest: big.digest,
            size: CONFIG_LIMIT + 1,
            limit: CONFIG_LIMIT,
        };
        // The root's own config: no plan at all.
        let err = SummaryPlan::new(image_with(big.clone(), b"l")).unwrap_err();
        assert_eq!(err, too_large);

        // A child's: its report fails and ends the plan.
        let child = image_with(big, b"l");
        let other = image(&config_bytes("arm64", "2024-01-01T00:00:00Z"), b"m");
        let mut plan =
            SummaryPlan::new(index(vec![child.descriptor(), other.descriptor()])).unwrap();
        assert_eq!(plan.next_jobs_up_to(1).len(), 1);
        let err = plan
            .manifest_fetched(&child.digest(), child.clone())
            .unwrap_err();
        assert_eq!(err, too_large);
        assert!(plan.next_jobs().is_empty() && !plan.is_done());
        // Later reports and `finish` say the plan failed earlier.
        assert_eq!(
            plan.manifest_fetched(&other.digest(), other.clone()),
            Err(failed_before())
        );
        assert_eq!(plan.finish().unwrap_err(), failed_before());

        // Exactly the limit is fetched.
        let edge = Descriptor::new(
            media_type::OCI_CONFIG,
            Digest::sha256(b"edge"),
            CONFIG_LIMIT,
        );
        let mut plan = SummaryPlan::new(image_with(edge.clone(), b"l")).unwrap();
        assert_eq!(
            plan.next_jobs(),
            [SummaryJob::FetchConfig { descriptor: edge }]
        );
    }

    #[test]
    fn reports_are_checked_against_their_descriptors() {
        let config = config_bytes("amd64", "2024-01-01T00:00:00Z");
        let good = image(&config, b"a");
        let impostor = image(&config, b"b");
        let root = index(vec![good.descriptor()]);

        // Other bytes than the index lists.
        let mut plan = SummaryPlan::new(root.clone()).unwrap();
        plan.next_jobs();
        let err = plan.manifest_fetched(&good.digest(), impostor).unwrap_err();
        assert!(matches!(err, Error::Verify(_)), "{err}");
        assert_eq!(plan.finish().unwrap_err(), failed_before());

        // A config that does not match, and one that is not JSON.
        let mut plan = SummaryPlan::new(image(&config, b"a")).unwrap();
        plan.next_jobs();
        let err = plan
            .config_fetched(&Digest::sha256(&config), b"{\"os\":\"other\"}")
            .unwrap_err();
        assert!(
            matches!(err, Error::Verify(VerifyError::SizeMismatch { .. })),
            "{err}"
        );
        let not_json = b"not json".to_vec();
        let mut plan = SummaryPlan::new(image(&not_json, b"a")).unwrap();
        plan.next_jobs();
        let err = plan
            .config_fetched(&Digest::sha256(&not_json), &not_json)
            .unwrap_err();
        match &err {
            Error::Protocol { url, .. } => {
                assert!(url.starts_with("image config sha256:"), "{url}")
            }
            other => panic!("not a protocol error: {other:?}"),
        }
    }

    #[test]
    fn digests_of_other_algorithms_are_checked_in_theirs() {
        let config = config_bytes("amd64", "2024-01-01T00:00:00Z");
        let child = image(&config, b"a");
        let mut listed = child.descriptor();
        listed.digest = child.digest_with(Algorithm::Sha512);
        let mut plan = SummaryPlan::new(index(vec![listed.clone()])).unwrap();
        assert_eq!(digests(&plan.next_jobs()), [listed.digest]);
        plan.manifest_fetched(&listed.digest, child).unwrap();
        assert_eq!(plan.next_jobs().len(), 1);
    }

    #[test]
    fn reports_for_jobs_not_out_change_nothing() {
        let config = config_bytes("amd64", "2024-01-01T00:00:00Z");
        let child = image(&config, b"a");
        let mut plan = SummaryPlan::new(index(vec![child.descriptor()])).unwrap();
        // Not handed out yet.
        let err = plan
            .manifest_fetched(&child.digest(), child.clone())
            .unwrap_err();
        assert_eq!(
            err,
            Error::NotPending {
                job: "manifest fetch",
                digest: child.digest()
            }
        );
        plan.next_jobs();
        plan.manifest_fetched(&child.digest(), child.clone())
            .unwrap();
        // Reported already; a config never named.
        assert!(matches!(
            plan.manifest_fetched(&child.digest(), child.clone()),
            Err(Error::NotPending { .. })
        ));
        assert!(matches!(
            plan.config_fetched(&Digest::sha256(b"x"), b"x"),
            Err(Error::NotPending {
                job: "config fetch",
                ..
            })
        ));
        // The plan goes on.
        assert_eq!(plan.in_flight(), 0);
        assert_eq!(plan.next_jobs().len(), 1);
        assert!(matches!(
            plan.finish(),
            Err(Error::InvalidInput {
                what: "summary plan",
                ..
            })
        ));
    }

    #[test]
    fn one_digest_listed_with_two_sizes_is_a_mismatch() {
        let child = image(b"{}", b"a");
        let mut wrong = child.descriptor();
        wrong.size += 1;
        let err = SummaryPlan::new(index(vec![child.descriptor(), wrong])).unwrap_err();
        assert!(
            matches!(err, Error::Verify(VerifyError::SizeMismatch { .. })),
            "{err}"
        );
    }

    #[test]
    fn jobs_come_at_most_limit_at_a_time() {
        let children: Vec<RawManifest> = (0..5u8).map(|i| image(b"{}", &[i])).collect();
        let mut plan = SummaryPlan::new(index(
            children.iter().map(RawManifest::descriptor).collect(),
        ))
        .unwrap();
        assert_eq!(plan.next_jobs_up_to(2).len(), 2);
        assert_eq!(plan.next_jobs_up_to(0).len(), 0);
        assert_eq!(plan.in_flight(), 2);
        assert_eq!(plan.next_jobs().len(), 3);
        assert_eq!(plan.in_flight(), 5);
    }
}
