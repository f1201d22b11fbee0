//! The image-graph planner, driven over canned manifests.

use std::collections::{HashMap, HashSet};

use ocireg_core::digest::VerifyError;
use ocireg_core::manifest::{
    media_type, Descriptor, ImageIndex, ImageManifest, Manifest, ManifestError, ManifestKind,
    RawManifest,
};
use ocireg_core::plan::{
    BlobAction, BlobJob, BlobOutcome, Destination, GraphOptions, GraphPlan, Job, PutJob, Tally,
};
use ocireg_core::platform::Platform;
use ocireg_core::{Algorithm, Digest, Error};

/// A blob descriptor named `name` (its digest is that of the name; the
/// planner never sees blob bytes) of `size` bytes.
fn blob(name: &str, size: u64) -> Descriptor {
    Descriptor::new(
        media_type::OCI_LAYER_GZIP,
        Digest::sha256(name.as_bytes()),
        size,
    )
}

fn config(name: &str, size: u64) -> Descriptor {
    Descriptor {
        media_type: media_type::OCI_CONFIG.to_string(),
        ..blob(name, size)
    }
}

fn image(config: Descriptor, layers: Vec<Descriptor>) -> RawManifest {
    let m = ImageManifest::new(media_type::OCI_MANIFEST, config, layers);
    RawManifest::encode(&Manifest::Image(m)).unwrap()
}

fn index(children: Vec<Descriptor>) -> RawManifest {
    let i = ImageIndex::new(media_type::OCI_INDEX, children);
    RawManifest::encode(&Manifest::Index(i)).unwrap()
}

fn docker_list(children: Vec<Descriptor>) -> RawManifest {
    let i = ImageIndex::new(media_type::DOCKER_MANIFEST_LIST, children);
    RawManifest::encode(&Manifest::DockerList(i)).unwrap()
}

fn with_platform(raw: &RawManifest, platform: &str) -> Descriptor {
    let mut d = raw.descriptor();
    d.platform = Some(platform.parse().unwrap());
    d
}

fn p(s: &str) -> Platform {
    s.parse().unwrap()
}

/// A sequential driver over a canned source. It checks that no job comes
/// twice and that every put comes after what the manifest lists.
#[derive(Default)]
struct Driver {
    /// Manifests by the digest they are listed by.
    source: HashMap<Digest, RawManifest>,
    fetched: Vec<Digest>,
    blobs: Vec<BlobJob>,
    puts: Vec<PutJob>,
    done_blobs: HashSet<Digest>,
    put: HashSet<Digest>,
}

impl Driver {
    fn new(manifests: &[&RawManifest]) -> Driver {
        let mut driver = Driver::default();
        for m in manifests {
            driver.add(m.digest(), m);
        }
        driver
    }

    fn add(&mut self, digest: Digest, manifest: &RawManifest) {
        self.source.insert(digest, manifest.clone());
    }

    /// Runs one batch of jobs; returns how many there were.
    fn step(&mut self, plan: &mut GraphPlan) -> Result<usize, Error> {
        let jobs = plan.next_jobs();
        let n = jobs.len();
        for job in jobs {
            self.run(plan, job)?;
        }
        Ok(n)
    }

    fn run(&mut self, plan: &mut GraphPlan, job: Job) -> Result<(), Error> {
        match job {
            Job::FetchManifest(d) => {
                assert!(!self.fetched.contains(&d.digest), "fetched twice");
                self.fetched.push(d.digest);
                let m = self.source.get(&d.digest).expect("in the source").clone();
                plan.manifest_fetched(&d.digest, m)
            }
            Job::Blob(b) => {
                let digest = b.descriptor.digest;
                assert!(!self.blobs.iter().any(|j| j.descriptor.digest == digest));
                let outcome = match &b.action {
                    BlobAction::Mount { .. } => BlobOutcome::Mounted,
                    BlobAction::Skip => BlobOutcome::Skipped,
                    BlobAction::Stream => BlobOutcome::Streamed(b.descriptor.size),
                };
                self.blobs.push(b);
                self.done_blobs.insert(digest);
                plan.blob_done(&digest, outcome)
            }
            Job::PutManifest(put) => {
                assert!(self.put.insert(put.digest), "put twice");
                self.check_put_order(&put);
                let digest = put.digest;
                self.puts.push(*put);
                plan.manifest_put(&digest)
            }
        }
    }

    fn check_put_order(&self, put: &PutJob) {
        match put.manifest.manifest() {
            Manifest::Index(i) | Manifest::DockerList(i) => {
                for child in &i.manifests {
                    assert!(self.put.contains(&child.digest), "child after its index");
                }
            }
            m => {
                let image = m.as_image().unwrap();
                for b in std::iter::once(&image.config).chain(&image.layers) {
                    let left_out = ocireg_core::plan::is_foreign_layer_left_out(b);
                    assert!(
                        left_out || self.done_blobs.contains(&b.digest),
                        "blob after put"
                    );
                }
            }
        }
    }

    fn drive(&mut self, plan: &mut GraphPlan) -> Result<(), Error> {
        while !plan.is_done() {
            assert!(self.step(plan)? > 0, "stuck: nothing ready, nothing done");
        }
        assert_eq!(plan.in_flight(), 0);
        assert!(plan.next_jobs().is_empty());
        Ok(())
    }

    fn blob_sizes(&self) -> Vec<u64> {
        self.blobs.iter().map(|b| b.descriptor.size).collect()
    }
}

fn plan(root: &RawManifest, options: GraphOptions) -> Result<GraphPlan, Error> {
    GraphPlan::new(root.clone(), Some("v1".to_string()), options)
}

/// The sizes of blob jobs, in the order handed out.
fn sizes(jobs: Vec<Job>) -> Vec<u64> {
    jobs.into_iter()
        .map(|job| match job {
            Job::Blob(b) => b.descriptor.size,
            other => panic!("not a blob job: {other:?}"),
        })
        .collect()
}

fn other() -> GraphOptions {
    GraphOptions::new(Destination::OtherRegistry)
}

#[test]
fn single_image_streams_its_blobs_largest_first_then_puts_under_the_tag() {
    let root = image(
        config("c", 300),
        vec![blob("l1", 100), blob("l2", 5000), blob("l3", 20)],
    );
    let mut plan = plan(&root, other()).unwrap();
    let mut driver = Driver::new(&[]);
    driver.drive(&mut plan).unwrap();
    assert!(driver.fetched.is_empty());
    assert_eq!(driver.blob_sizes(), [5000, 300, 100, 20]);
    assert_eq!(driver.puts.len(), 1);
    let put = &driver.puts[0];
    assert!(put.root);
    assert_eq!(put.tag.as_deref(), Some("v1"));
    assert_eq!(put.digest, root.digest());
    assert_eq!(put.manifest, root);
    let report = plan.report();
    assert_eq!(report.root, root.digest());
    assert!(!report.root_rewritten);
    assert_eq!(
        (
            report.manifests,
            report.manifests_fetched,
            report.manifests_put
        ),
        (1, 0, 1)
    );
    assert_eq!(
        report.blobs,
        Tally {
            count: 4,
            bytes: 5420
        }
    );
    assert_eq!(report.streamed, report.blobs);
    assert_eq!(report.bytes_transferred, 5420);
}

#[test]
fn shared_layers_are_one_job_each_and_come_largest_first() {
    let base = blob("base", 1000);
    let amd = image(config("amd-c", 10), vec![base.clone(), blob("amd", 500)]);
    let arm = image(config("arm-c", 11), vec![base.clone(), blob("arm", 700)]);
    let root = index(vec![
        with_platform(&amd, "linux/amd64"),
        with_platform(&arm, "linux/arm64"),
    ]);
    let mut plan = plan(&root, other()).unwrap();
    let first = plan.next_jobs();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|j| matches!(j, Job::FetchManifest(_))));
    assert!(plan.next_jobs().is_empty(), "no job is handed out twice");
    let mut driver = Driver::new(&[&amd, &arm]);
    for job in first {
        driver.run(&mut plan, job).unwrap();
    }
    // Both images are known: all their blobs come in one batch.
    assert_eq!(sizes(plan.next_jobs()), [1000, 700, 500, 11, 10]);
    assert_eq!(
        plan.report().blobs,
        Tally {
            count: 5,
            bytes: 2221
        }
    );
}

#[test]
fn three_levels_of_indexes_are_walked_and_put_bottom_up() {
    let shared = image(config("shared-c", 5), vec![blob("s", 50)]);
    let a = image(config("a-c", 6), vec![blob("a", 60)]);
    let inner = index(vec![shared.descriptor(), a.descriptor()]);
    let middle = index(vec![inner.descriptor(), shared.descriptor()]);
    let root = index(vec![middle.descriptor()]);
    let mut plan = plan(&root, other()).unwrap();
    let mut driver = Driver::new(&[&shared, &a, &inner, &middle]);
    driver.drive(&mut plan).unwrap();
    assert_eq!(driver.fetched.len(), 4);
    let order: Vec<Digest> = driver.puts.iter().map(|p| p.digest).collect();
    let at = |d: Digest| order.iter().position(|&x| x == d).unwrap();
    assert!(at(shared.digest()) < at(inner.digest()));
    assert!(at(a.digest()) < at(inner.digest()));
    assert!(at(inner.digest()) < at(middle.digest()));
    assert_eq!(order.last(), Some(&root.digest()));
    let report = plan.report();
    assert_eq!(report.manifests, 5);
    assert_eq!(report.manifests_put, 5);
    assert_eq!(report.blobs.count, 4);
}

#[test]
fn a_child_listed_3000_times_is_fetched_once() {
    let child = image(config("c", 1), vec![blob("l", 2)]);
    let root = index(vec![child.descriptor(); 3000]);
    let mut plan = plan(&root, other()).unwrap();
    let jobs = plan.next_jobs();
    assert_eq!(jobs, [Job::FetchManifest(child.descriptor())]);
    let mut driver = Driver::new(&[&child]);
    for job in jobs {
        driver.run(&mut plan, job).unwrap();
    }
    driver.drive(&mut plan).unwrap();
    assert_eq!(driver.fetched.len(), 1);
    assert_eq!(driver.puts.len(), 2);
}

#[test]
fn a_sha512_child_is_fetched_and_put_by_its_sha512_digest() {
    let child = image(config("c", 1), vec![blob("l", 2)]);
    let mut listed = child.descriptor();
    listed.digest = child.digest_with(Algorithm::Sha512);
    let root = index(vec![listed.clone()]);
    let mut plan = plan(&root, other()).unwrap();
    let mut driver = Driver::default();
    driver.add(listed.digest, &child);
    driver.drive(&mut plan).unwrap();
    assert_eq!(driver.fetched, [listed.digest]);
    assert_eq!(driver.fetched[0].algorithm(), Algorithm::Sha512);
    let put = &driver.puts[0];
    assert_eq!(put.digest, listed.digest);
    assert_eq!(put.descriptor().digest, listed.digest);
    assert_eq!(put.descriptor().size, listed.size);
}

#[test]
fn the_root_can_be_addressed_by_sha512() {
    let root = image(config("c", 1), vec![]);
    let options = other().root_algorithm(Algorithm::Sha512);
    let mut plan = GraphPlan::new(root.clone(), None, options).unwrap();
    let sha512 = root.digest_with(Algorithm::Sha512);
    assert_eq!(plan.root(), sha512);
    let mut driver = Driver::default();
    driver.drive(&mut plan).unwrap();
    assert_eq!(driver.puts[0].digest, sha512);
    assert_eq!(driver.puts[0].tag, None);
    assert_eq!(plan.report().root, sha512);
}

#[test]
fn a_child_that_does_not_match_its_descriptor_ends_the_plan() {
    let child = image(config("c", 1), vec![]);
    let impostor = image(config("other", 1), vec![]);
    let root = index(vec![child.descriptor(), blob("never", 1)]);
    let mut plan = plan(&root, other()).unwrap();
    let mut driver = Driver::default();
    driver.add(child.digest(), &impostor);
    driver.add(blob("never", 1).digest, &impostor);
    let err = driver.step(&mut plan).unwrap_err();
    assert!(
        matches!(&err, Error::Verify(VerifyError::DigestMismatch { expected, .. }) if *expected == child.digest()),
        "{err:?}"
    );
    // Ended: no more jobs, and every report gives the error again.
    assert!(plan.next_jobs().is_empty());
    assert_eq!(plan.manifest_put(&root.digest()), Err(err));
    assert!(!plan.is_done());
}

#[test]
fn a_child_of_the_wrong_size_ends_the_plan() {
    let child = image(config("c", 1), vec![]);
    let mut listed = child.descriptor();
    listed.size += 1;
    let root = index(vec![listed]);
    let mut plan = plan(&root, other()).unwrap();
    let mut driver = Driver::new(&[&child]);
    let err = driver.step(&mut plan).unwrap_err();
    assert_eq!(
        err,
        Error::Verify(VerifyError::SizeMismatch {
            digest: child.digest(),
            expected: child.bytes().len() as u64 + 1,
            actual: child.bytes().len() as u64,
        })
    );
}

#[test]
fn one_blob_listed_with_two_sizes_is_an_error() {
    let a = image(config("a", 1), vec![blob("l", 10)]);
    let b = image(config("b", 1), vec![blob("l", 11)]);
    let root = index(vec![a.descriptor(), b.descriptor()]);
    let mut plan = plan(&root, other()).unwrap();
    let mut driver = Driver::new(&[&a, &b]);
    let err = driver.step(&mut plan).unwrap_err();
    assert!(
        matches!(err, Error::Verify(VerifyError::SizeMismatch { .. })),
        "{err:?}"
    );
}

/// An image under `indexes` levels of indexes, and every manifest top down.
fn chain(indexes: usize) -> Vec<RawManifest> {
    let mut chain = vec![image(config("c", 1), vec![blob("l", 1)])];
    for _ in 0..indexes {
        let below = chain.last().unwrap().descriptor();
        chain.push(index(vec![below]));
    }
    chain.reverse();
    chain
}

fn drive_chain(chain: &[RawManifest], options: GraphOptions) -> Result<GraphPlan, Error> {
    let mut plan = plan(&chain[0], options)?;
    let children: Vec<&RawManifest> = chain[1..].iter().collect();
    Driver::new(&children).drive(&mut plan)?;
    Ok(plan)
}

#[test]
fn depth_is_limited_to_8_manifests_by_default() {
    let eight = chain(7);
    assert_eq!(eight.len(), 8);
    let plan = drive_chain(&eight, other()).unwrap();
    assert_eq!(plan.report().manifests, 8);

    let nine = chain(8);
    assert_eq!(
        drive_chain(&nine, other()).unwrap_err(),
        Error::TooDeep { limit: 8 }
    );
    let err = drive_chain(&eight, other().max_depth(7)).unwrap_err();
    assert_eq!(err, Error::TooDeep { limit: 7 });
    assert_eq!(
        err.to_string(),
        "image graph is deeper than 7 levels of manifests"
    );
}

#[test]
fn depth_limits_at_construction() {
    let single = image(config("c", 1), vec![]);
    assert!(plan(&single, other().max_depth(1)).is_ok());
    let err = plan(&single, other().max_depth(0)).unwrap_err();
    assert_eq!(err, Error::TooDeep { limit: 0 });
    let root = index(vec![single.descriptor()]);
    let err = plan(&root, other().max_depth(1)).unwrap_err();
    assert_eq!(err, Error::TooDeep { limit: 1 });
}

#[test]
fn the_longest_path_counts_whatever_order_manifests_arrive_in() {
    // top -> x -> image, and top -> y -> z -> x -> image: 5 levels.
    let img = image(config("c", 1), vec![]);
    let x = index(vec![img.descriptor()]);
    let z = index(vec![x.descriptor()]);
    let y = index(vec![z.descriptor()]);
    let top = index(vec![x.descriptor(), y.descriptor()]);
    let mut plan = plan(&top, other().max_depth(4)).unwrap();
    let mut driver = Driver::new(&[&img, &x, &y, &z]);
    // x arrives (and its image is found at level 3) before z lists it.
    let err = driver.drive(&mut plan).unwrap_err();
    assert_eq!(err, Error::TooDeep { limit: 4 });

    let mut plan = self::plan(&top, other().max_depth(5)).unwrap();
    Driver::new(&[&img, &x, &y, &z]).drive(&mut plan).unwrap();
}

#[test]
fn manifest_count_is_limited() {
    let images: Vec<RawManifest> = (0..3)
        .map(|i| image(config(&format!("c{i}"), 1), vec![]))
        .collect();
    let root = index(images.iter().map(RawManifest::descriptor).collect());
    let err = plan(&root, other().max_manifests(3)).unwrap_err();
    assert_eq!(
        err,
        Error::TooMany {
            what: "manifests in the image graph",
            limit: 3
        }
    );
    assert_eq!(err.to_string(), "more than 3 manifests in the image graph");
    assert!(plan(&root, other().max_manifests(4)).is_ok());

    // Found deeper down, the limit ends the plan at the fetch.
    let inner = index(images.iter().map(RawManifest::descriptor).collect());
    let top = index(vec![inner.descriptor()]);
    let mut plan = self::plan(&top, other().max_manifests(4)).unwrap();
    let mut driver = Driver::new(&[&inner, &images[0], &images[1], &images[2]]);
    let err = driver.drive(&mut plan).unwrap_err();
    assert!(matches!(err, Error::TooMany { limit: 4, .. }), "{err:?}");
    let mut plan = self::plan(&top, other().max_manifests(5)).unwrap();
    driver = Driver::new(&[&inner, &images[0], &images[1], &images[2]]);
    driver.drive(&mut plan).unwrap();
}

/// An index of amd64 and arm64 images and an attestation without a platform.
fn multi_platform(make: fn(Vec<Descriptor>) -> RawManifest) -> (RawManifest, Vec<RawManifest>) {
    let amd = image(config("amd", 1), vec![blob("amd-l", 10)]);
    let arm = image(config("arm", 1), vec![blob("arm-l", 10)]);
    let att = image(config("att", 1), vec![blob("att-l", 10)]);
    let root = make(vec![
        with_platform(&amd, "linux/amd64"),
        with_platform(&arm, "linux/arm64"),
        att.descriptor(),
    ]);
    (root, vec![amd, arm, att])
}

#[test]
fn a_platform_filter_rewrites_the_top_index_and_keeps_its_kind() {
    for (make, kind) in [
        (
            index as fn(Vec<Descriptor>) -> RawManifest,
            ManifestKind::Index,
        ),
        (docker_list, ManifestKind::DockerList),
    ] {
        let (root, images) = multi_platform(make);
        let options = other().platforms(vec![p("linux/amd64")]);
        let mut plan = plan(&root, options).unwrap();
        assert_ne!(plan.root(), root.digest());
        let mut driver = Driver::new(&images.iter().collect::<Vec<_>>());
        driver.drive(&mut plan).unwrap();
        assert_eq!(driver.fetched, [images[0].digest()]);
        let top = driver.puts.last().unwrap();
        assert!(top.root);
        assert_eq!(top.digest, top.manifest.digest());
        assert_eq!(top.digest, plan.root());
        assert_eq!(top.manifest.manifest().kind(), kind);
        assert_eq!(top.manifest.media_type(), kind.media_type());
        let kept = top.manifest.manifest().as_index().unwrap();
        assert_eq!(kept.manifests, [with_platform(&images[0], "linux/amd64")]);
        let report = plan.report();
        assert!(report.root_rewritten);
        assert_eq!(report.root, top.digest);
        assert_eq!(report.manifests, 2);
    }
}

#[test]
fn a_filter_that_keeps_everything_keeps_the_digest() {
    let amd = image(config("amd", 1), vec![]);
    let arm = image(config("arm", 1), vec![]);
    let root = index(vec![
        with_platform(&amd, "linux/amd64"),
        with_platform(&arm, "linux/arm64/v8"),
    ]);
    let options = other().platforms(vec![p("linux/amd64"), p("linux/arm64")]);
    let plan = plan(&root, options).unwrap();
    assert_eq!(plan.root(), root.digest());
    assert!(!plan.report().root_rewritten);
}

#[test]
fn an_empty_platform_selection_is_invalid_input() {
    let (root, _) = multi_platform(index);
    for wanted in [vec![], vec![p("windows/amd64")]] {
        let err = plan(&root, other().platforms(wanted)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    what: "platforms",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    // A single image has no entries to choose from: kept as it is.
    let single = image(config("c", 1), vec![]);
    let kept = plan(&single, other().platforms(vec![p("windows/amd64")])).unwrap();
    assert_eq!(kept.root(), single.digest());
}

#[test]
fn foreign_layers_with_urls_are_left_out() {
    let mut foreign = blob("foreign", 900);
    foreign.media_type = media_type::DOCKER_FOREIGN_LAYER_GZIP.to_string();
    foreign.urls = vec!["https://mcr.microsoft.com/foreign".to_string()];
    let mut nondistributable = blob("nondist", 800);
    nondistributable.media_type = media_type::OCI_LAYER_NONDISTRIBUTABLE_GZIP.to_string();
    nondistributable.urls = vec!["https://example.com/nondist".to_string()];
    let mut foreign_here = blob("foreign-here", 700);
    foreign_here.media_type = media_type::DOCKER_FOREIGN_LAYER_GZIP.to_string();
    let layers = vec![foreign, nondistributable, foreign_here, blob("normal", 10)];
    let m = ImageManifest::new(media_type::DOCKER_MANIFEST, config("c", 1), layers);
    let root = RawManifest::encode(&Manifest::DockerV2(m)).unwrap();
    let mut plan = plan(&root, other()).unwrap();
    let mut driver = Driver::default();
    driver.drive(&mut plan).unwrap();
    assert_eq!(driver.blob_sizes(), [700, 10, 1]);
    assert_eq!(
        plan.report().foreign,
        Tally {
            count: 2,
            bytes: 1700
        }
    );
}

#[test]
fn a_manifest_is_put_only_after_its_blobs_and_children() {
    let child = image(config("c", 1), vec![blob("l", 2)]);
    let root = index(vec![child.descriptor()]);
    let mut plan = plan(&root, other()).unwrap();
    let fetch = plan.next_jobs();
    assert_eq!(fetch, [Job::FetchManifest(child.descriptor())]);
    plan.manifest_fetched(&child.digest(), child.clone())
        .unwrap();
    let blobs = plan.next_jobs();
    assert_eq!(blobs.len(), 2);
    assert_eq!(plan.in_flight(), 2);
    plan.blob_done(&blob("l", 2).digest, BlobOutcome::Streamed(2))
        .unwrap();
    assert!(plan.next_jobs().is_empty(), "the config is not done yet");
    plan.blob_done(&config("c", 1).digest, BlobOutcome::Streamed(1))
        .unwrap();
    let put = plan.next_jobs();
    assert!(
        matches!(&put[..], [Job::PutManifest(p)] if p.digest == child.digest() && !p.root && p.tag.is_none())
    );
    assert!(plan.next_jobs().is_empty(), "the index waits for its child");
    plan.manifest_put(&child.digest()).unwrap();
    let top = plan.next_jobs();
    assert!(matches!(&top[..], [Job::PutManifest(p)] if p.root && p.digest == root.digest()));
    assert!(!plan.is_done());
    plan.manifest_put(&root.digest()).unwrap();
    assert!(plan.is_done());
    assert_eq!(plan.in_flight(), 0);
}

#[test]
fn next_jobs_up_to_hands_out_the_largest_ready_blobs() {
    let root = image(
        config("c", 5),
        vec![blob("a", 1), blob("b", 100), blob("d", 50)],
    );
    let mut plan = plan(&root, other()).unwrap();
    assert_eq!(sizes(plan.next_jobs_up_to(2)), [100, 50]);
    assert_eq!(sizes(plan.next_jobs_up_to(0)), [0u64; 0]);
    assert_eq!(sizes(plan.next_jobs_up_to(5)), [5, 1]);
}

fn actions(destination: Destination, present: &[Digest]) -> (Vec<BlobAction>, GraphPlan) {
    let root = image(config("c", 1), vec![blob("l", 2)]);
    let mut plan = plan(&root, GraphOptions::new(destination)).unwrap();
    for d in present {
        plan.destination_has(*d);
    }
    let mut driver = Driver::default();
    driver.drive(&mut plan).unwrap();
    (driver.blobs.into_iter().map(|b| b.action).collect(), plan)
}

#[test]
fn blob_actions_follow_the_destination() {
    let same = Destination::SameRegistry {
        source_repository: "library/app".parse().unwrap(),
    };
    let mount = BlobAction::Mount {
        from: "library/app".parse().unwrap(),
    };
    let (got, plan) = actions(same.clone(), &[]);
    assert_eq!(got, [mount.clone(), mount.clone()]);
    assert_eq!(plan.report().mounted, Tally { count: 2, bytes: 3 });

    let (got, plan) = actions(Destination::OtherRegistry, &[]);
    assert_eq!(got, [BlobAction::Stream, BlobAction::Stream]);
    assert_eq!(plan.report().streamed, Tally { count: 2, bytes: 3 });
    assert_eq!(plan.report().bytes_transferred, 3);

    let (got, _) = actions(Destination::Layout, &[]);
    assert_eq!(got, [BlobAction::Stream, BlobAction::Stream]);

    let (got, plan) = actions(Destination::SameRepository, &[]);
    assert_eq!(got, [BlobAction::Skip, BlobAction::Skip]);
    assert_eq!(plan.report().skipped, Tally { count: 2, bytes: 3 });

    // What the driver says the destination has is skipped, whatever the
    // destination.
    let present = [blob("l", 2).digest, Digest::sha256(b"not in the graph")];
    let (got, plan) = actions(same, &present);
    assert_eq!(got, [BlobAction::Skip, mount]);
    let (got, plan2) = actions(Destination::Layout, &present);
    assert_eq!(got, [BlobAction::Skip, BlobAction::Stream]);
    assert_eq!(plan.report().skipped, Tally { count: 1, bytes: 2 });
    assert_eq!(plan2.report().streamed, Tally { count: 1, bytes: 1 });
}

#[test]
fn reports_for_jobs_never_handed_out_are_errors_and_change_nothing() {
    let child = image(config("c", 1), vec![blob("l", 2)]);
    let root = index(vec![child.descriptor()]);
    let mut plan = plan(&root, other()).unwrap();
    let stranger = Digest::sha256(b"stranger");
    let not_pending = |job, digest| Error::NotPending { job, digest };

    // The fetch is queued, not handed out.
    assert_eq!(
        plan.manifest_fetched(&child.digest(), child.clone()),
        Err(not_pending("manifest fetch", child.digest()))
    );
    assert_eq!(
        plan.blob_done(&stranger, BlobOutcome::Skipped),
        Err(not_pending("blob", stranger))
    );
    assert_eq!(
        plan.manifest_put(&root.digest()),
        Err(not_pending("manifest put", root.digest()))
    );

    let mut driver = Driver::new(&[&child]);
    driver.step(&mut plan).unwrap();
    // Twice is once too many.
    assert_eq!(
        plan.manifest_fetched(&child.digest(), child.clone()),
        Err(not_pending("manifest fetch", child.digest()))
    );
    // A blob found but not handed out yet.
    let layer = blob("l", 2).digest;
    assert_eq!(
        plan.blob_done(&layer, BlobOutcome::Mounted),
        Err(not_pending("blob", layer))
    );
    driver.step(&mut plan).unwrap();
    assert_eq!(
        plan.blob_done(&layer, BlobOutcome::Mounted),
        Err(not_pending("blob", layer))
    );
    // None of that got in the way.
    driver.drive(&mut plan).unwrap();
    let report = plan.report();
    assert_eq!(report.manifests_fetched, 1);
    assert_eq!(report.mounted, Tally::default());
    assert_eq!(report.streamed.count, 2);
}

#[test]
fn schema1_cannot_be_planned() {
    let schema1 = br#"{"schemaVersion":1,"name":"a","tag":"b","architecture":"amd64","fsLayers":[],"history":[]}"#;
    let raw = RawManifest::from_bytes(schema1.to_vec(), None).unwrap();
    let err = plan(&raw, other()).unwrap_err();
    assert_eq!(err, Error::Manifest(ManifestError::Schema1ReadOnly));

    let root = index(vec![raw.descriptor()]);
    let mut plan = plan(&root, other()).unwrap();
    let err = Driver::new(&[&raw]).drive(&mut plan).unwrap_err();
    assert_eq!(err, Error::Manifest(ManifestError::Schema1ReadOnly));
}

#[test]
fn hostile_sizes_saturate() {
    let root = image(
        config("c", u64::MAX),
        vec![blob("a", u64::MAX), blob("b", 1)],
    );
    let mut plan = plan(&root, other()).unwrap();
    Driver::default().drive(&mut plan).unwrap();
    let report = plan.report();
    assert_eq!(
        report.blobs,
        Tally {
            count: 3,
            bytes: u64::MAX
        }
    );
    assert_eq!(report.bytes_transferred, u64::MAX);
}

#[test]
fn artifact_manifests_listed_by_an_index_are_copied_with_their_blobs() {
    let img = image(config("c", 1), vec![blob("l", 2)]);
    let mut sbom = ImageManifest::new(
        media_type::OCI_MANIFEST,
        Descriptor::for_bytes(media_type::OCI_EMPTY, b"{}"),
        vec![blob("sbom", 30)],
    );
    sbom.artifact_type = Some("application/spdx+json".to_string());
    sbom.subject = Some(img.descriptor());
    let sbom = RawManifest::encode(&Manifest::Image(sbom)).unwrap();
    let root = index(vec![img.descriptor(), sbom.descriptor()]);
    let mut plan = plan(&root, other()).unwrap();
    let mut driver = Driver::new(&[&img, &sbom]);
    driver.drive(&mut plan).unwrap();
    assert_eq!(driver.fetched.len(), 2);
    assert_eq!(driver.blob_sizes(), [30, 2, 2, 1]);
}
