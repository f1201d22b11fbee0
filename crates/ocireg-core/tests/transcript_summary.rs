//! Transcripts of a summary: the `SummaryPlan` driven with the core's
//! operations (`GetManifest`, `BlobPull`) against the responses registry
//! 2.8.2 sends, so the requests a summary costs are pinned.

mod support;

use std::collections::HashMap;

use ocireg_core::auth::Session;
use ocireg_core::digest::Digest;
use ocireg_core::manifest::{
    media_type, Descriptor, ImageIndex, ImageManifest, Manifest, RawManifest,
};
use ocireg_core::ops::GetManifest;
use ocireg_core::registry::{Registry, Scheme};
use ocireg_core::summary::{
    GetConfig, ImageSummary, SummaryFetch, SummaryJob, SummaryPlan, CONFIG_LIMIT,
};
use ocireg_core::Error;
use support::*;

const R: &str = "http://127.0.0.1:5000";

fn local() -> Registry {
    Registry::new(Scheme::Http, "127.0.0.1:5000").unwrap()
}

fn config(arch: &str) -> Vec<u8> {
    format!(r#"{{"architecture":"{arch}","os":"linux","created":"2024-01-01T00:00:00Z","config":{{"Cmd":["/bin/sh"]}}}}"#)
        .into_bytes()
}

fn image(config: Descriptor, layer: &[u8]) -> RawManifest {
    let layers = vec![Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, layer)];
    let m = ImageManifest::new(media_type::OCI_MANIFEST, config, layers);
    RawManifest::encode(&Manifest::Image(m)).unwrap()
}

fn entry(raw: &RawManifest, platform: &str) -> Descriptor {
    let mut d = raw.descriptor();
    d.platform = Some(platform.parse().unwrap());
    d
}

fn manifest_reply(raw: &RawManifest) -> Reply {
    resp(200)
        .header("Content-Type", raw.media_type())
        .header("Docker-Content-Digest", &raw.digest().to_string())
        .body(raw.bytes())
}

/// What the scripted registry serves, by URL.
#[derive(Default)]
struct Served {
    replies: HashMap<String, Reply>,
    sent: Vec<String>,
}

impl Served {
    fn manifest(&mut self, reference: &str, raw: &RawManifest) {
        let url = format!("{R}/v2/app/manifests/{reference}");
        self.replies.insert(url, manifest_reply(raw));
    }

    fn blob(&mut self, bytes: &[u8]) {
        self.blob_as(&Digest::sha256(bytes), &[bytes]);
    }

    /// Serves `chunks` as the blob `digest`.
    fn blob_as(&mut self, digest: &Digest, chunks: &[&[u8]]) {
        let url = format!("{R}/v2/app/blobs/{digest}");
        self.replies.insert(url, stream(200, chunks, false));
    }

    /// One request, answered from what is served.
    fn run<O: ocireg_core::ops::Operation>(
        &mut self,
        op: &mut O,
        session: &mut Session,
        url: String,
    ) -> Result<(O::Output, Vec<u8>), Error>
    where
        O::Output: std::fmt::Debug,
    {
        let reply = self
            .replies
            .get(&url)
            .cloned()
            .unwrap_or_else(|| panic!("nothing served at {url}"));
        let run = drive(op, session, t0(), vec![(req("GET", &url), reply)], b"");
        self.sent.extend(run.sent);
        run.result.map(|out| (out, run.sink))
    }

    /// The summary of `app:v1`, one job at a time, as a driver runs it.
    fn summarize(&mut self) -> Result<ImageSummary, Error> {
        let mut session = Session::default();
        let mut get = GetManifest::new(&local(), &repo("app"), "v1");
        let url = format!("{R}/v2/app/manifests/v1");
        let (root, _) = self.run(&mut get, &mut session, url)?;
        let mut plan = SummaryPlan::new(root.manifest)?;
        loop {
            let jobs = plan.next_jobs_up_to(2);
            if jobs.is_empty() {
                break;
            }
            for job in jobs {
                let d = job.descriptor().clone();
                let url = match &job {
                    SummaryJob::FetchManifest { .. } => {
                        format!("{R}/v2/app/manifests/{}", d.digest)
                    }
                    SummaryJob::FetchConfig { .. } => format!("{R}/v2/app/blobs/{}", d.digest),
                };
                let mut op = SummaryFetch::new(&local(), &repo("app"), job);
                let (fetched, sink) = self.run(&mut op, &mut session, url)?;
                assert!(sink.is_empty(), "a config stays in the operation");
                plan.report(fetched)?;
            }
        }
        plan.finish()
    }
}

#[test]
fn an_index_costs_one_request_per_distinct_child_and_config() {
    let (amd_config, arm_config) = (config("amd64"), config("arm64"));
    let amd = image(
        Descriptor::for_bytes(media_type::OCI_CONFIG, &amd_config),
        b"amd",
    );
    let arm = image(
        Descriptor::for_bytes(media_type::OCI_CONFIG, &arm_config),
        b"arm",
    );
    // The same arm64 image listed twice (v8 spelled out and not).
    let index = ImageIndex::new(
        media_type::OCI_INDEX,
        vec![
            entry(&amd, "linux/amd64"),
            entry(&arm, "linux/arm64/v8"),
            entry(&arm, "linux/arm64"),
        ],
    );
    let index = RawManifest::encode(&Manifest::Index(index)).unwrap();
    let mut served = Served::default();
    served.manifest("v1", &index);
    served.manifest(&amd.digest().to_string(), &amd);
    served.manifest(&arm.digest().to_string(), &arm);
    served.blob(&amd_config);
    served.blob(&arm_config);

    let s = served.summarize().unwrap();
    assert_eq!(
        served.sent,
        [
            format!("GET {R}/v2/app/manifests/v1"),
            format!("GET {R}/v2/app/manifests/{}", amd.digest()),
            format!("GET {R}/v2/app/manifests/{}", arm.digest()),
            format!("GET {R}/v2/app/blobs/{}", Digest::sha256(&amd_config)),
            format!("GET {R}/v2/app/blobs/{}", Digest::sha256(&arm_config)),
        ]
    );
    let platforms: Vec<_> = s.platforms.iter().map(|p| p.platform.clone()).collect();
    assert_eq!(
        platforms,
        [
            Some("linux/amd64".to_string()),
            Some("linux/arm64/v8".to_string()),
            Some("linux/arm64".to_string())
        ]
    );
    assert_eq!(s.digest, index.digest().to_string());
    assert!(s.platforms.iter().all(|p| p.config.is_some()));
}

/// A registry serving `app:v1`, an image with the config `config` (the
/// config blob itself is not served yet).
fn one_image(config: &[u8]) -> Served {
    let raw = image(Descriptor::for_bytes(media_type::OCI_CONFIG, config), b"l");
    let mut served = Served::default();
    served.manifest("v1", &raw);
    served
}

#[test]
fn an_image_costs_its_config_only() {
    let c = config("amd64");
    let mut served = one_image(&c);
    served.blob(&c);
    let s = served.summarize().unwrap();
    assert_eq!(served.sent.len(), 2, "{:?}", served.sent);
    assert_eq!(s.platforms[0].platform.as_deref(), Some("linux/amd64"));
    assert_eq!(
        s.platforms[0].config.as_ref().unwrap().cmd,
        Some(vec!["/bin/sh".to_string()])
    );
}

#[test]
fn an_oversized_config_is_never_requested() {
    let big = Descriptor::new(
        media_type::OCI_CONFIG,
        Digest::sha256(b"huge"),
        CONFIG_LIMIT + 1,
    );
    let child = image(big, b"l");
    let index = ImageIndex::new(media_type::OCI_INDEX, vec![entry(&child, "linux/amd64")]);
    let index = RawManifest::encode(&Manifest::Index(index)).unwrap();
    let mut served = Served::default();
    served.manifest("v1", &index);
    served.manifest(&child.digest().to_string(), &child);
    let err = served.summarize().unwrap_err();
    assert!(
        matches!(err, Error::DescriptorTooLarge { limit, .. } if limit == CONFIG_LIMIT),
        "{err}"
    );
    assert_eq!(served.sent.len(), 2, "no blob request: {:?}", served.sent);
}

#[test]
fn a_config_that_is_not_json_is_a_protocol_error() {
    let junk = b"\x00not a config".to_vec();
    let mut served = one_image(&junk);
    served.blob(&junk);
    let err = served.summarize().unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
}

#[test]
fn a_config_longer_than_its_descriptor_fails_the_pull() {
    let c = config("amd64");
    let mut served = one_image(&c);
    served.blob_as(&Digest::sha256(&c), &[&c, b" and then some"]);
    let err = served.summarize().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verify(ocireg_core::VerifyError::SizeMismatch { .. })
        ),
        "{err}"
    );
}

#[test]
fn get_config_reads_one_config_within_the_limit() {
    let c = config("arm64");
    let d = Descriptor::for_bytes(media_type::OCI_CONFIG, &c);
    let url = format!("{R}/v2/app/blobs/{}", d.digest);
    let mut s = Session::default();
    let run = drive(
        &mut GetConfig::new(&local(), &repo("app"), &d),
        &mut s,
        t0(),
        vec![(req("GET", &url), stream(200, &[&c[..5], &c[5..]], false))],
        b"",
    );
    assert!(run.sink.is_empty(), "the bytes stay in the operation");
    assert_eq!(run.ok(), c);

    // More bytes than declared: an error, not a bigger buffer.
    let mut longer = c.clone();
    longer.extend_from_slice(b"    ");
    let run = drive(
        &mut GetConfig::new(&local(), &repo("app"), &d),
        &mut s,
        t0(),
        vec![(req("GET", &url), stream(200, &[&longer], false))],
        b"",
    );
    assert!(matches!(run.err(), Error::Verify(_)));

    // Over the limit: refused with no request at all.
    let huge = Descriptor::new(media_type::OCI_CONFIG, d.digest, 1_500_000_000);
    let run = drive(
        &mut GetConfig::new(&local(), &repo("app"), &huge),
        &mut s,
        t0(),
        vec![],
        b"",
    );
    assert_eq!(
        run.err(),
        Error::DescriptorTooLarge {
            what: "image config",
            digest: d.digest,
            size: 1_500_000_000,
            limit: CONFIG_LIMIT
        }
    );
}
