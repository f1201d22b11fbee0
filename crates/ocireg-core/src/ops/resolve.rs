//! Resolving a reference to the image manifest for one platform.
//!
//! ```text
//! GET manifest <tag or digest>
//!   --image manifest--> Done(Resolved { index: None, manifest })
//!   --index--> pick the best entry for the platform
//!                --none--> Done(Err: no such platform, with the list)
//!                --entry--> GET manifest <entry digest> (verified) --> Done
//! ```

use std::ops::Range;

use super::fail;
use super::manifest::{Fetched, GetManifest};
use super::other_step;
use super::{Context, Input, Operation, Step};
use crate::error::Error;
use crate::manifest::{Descriptor, RawManifest};
use crate::platform::Platform;
use crate::reference::Repository;
use crate::registry::Registry;

/// A reference resolved for a platform.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolved {
    /// The index the reference pointed at, if it was one.
    pub index: Option<RawManifest>,
    /// The chosen entry of that index.
    pub descriptor: Option<Descriptor>,
    /// The image manifest.
    pub manifest: RawManifest,
    /// The registry that answered (a mirror, or the reference's own);
    /// the image's blobs come from it first.
    pub registry: Registry,
}

/// Resolves `reference` to the image manifest for `platform`.
#[derive(Debug)]
pub struct Resolve {
    registry: Registry,
    repository: Repository,
    platform: Platform,
    get: GetManifest,
    index: Option<(RawManifest, Descriptor)>,
}

impl Resolve {
    /// Resolves `reference` (tag or digest string) in `repository`.
    pub fn new(
        registry: &Registry,
        repository: &Repository,
        reference: &str,
        platform: Platform,
    ) -> Resolve {
        Resolve {
            registry: registry.clone(),
            repository: repository.clone(),
            platform,
            get: GetManifest::new(registry, repository, reference),
            index: None,
        }
    }
}

impl Operation for Resolve {
    type Output = Resolved;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Resolved> {
        let fetched: Fetched = match other_step(self.get.poll(cx)) {
            Ok(Ok(f)) => f,
            Ok(Err(e)) => return fail(e),
            Err(step) => return step,
        };
        if let Some((index, descriptor)) = self.index.take() {
            if fetched.manifest.manifest().kind().is_index() {
                return fail(Error::Protocol {
                    url: format!("/v2/{}/manifests/{}", self.repository, descriptor.digest),
                    message: "an index entry for a platform is itself an index".into(),
                });
            }
            return Step::Done(Ok(Resolved {
                index: Some(index),
                descriptor: Some(descriptor),
                manifest: fetched.manifest,
                registry: fetched.registry,
            }));
        }
        let Some(index) = fetched.manifest.manifest().as_index() else {
            return Step::Done(Ok(Resolved {
                index: None,
                descriptor: None,
                manifest: fetched.manifest,
                registry: fetched.registry,
            }));
        };
        match index.select_platform(&self.platform) {
            Some(d) => {
                let d = d.clone();
                self.get = GetManifest::by_digest(&self.registry, &self.repository, &d.digest);
                self.index = Some((fetched.manifest, d));
                self.poll(cx)
            }
            None => {
                let available: Vec<String> = index
                    .manifests
                    .iter()
                    .filter_map(|d| d.platform.as_ref().map(|p| p.to_string()))
                    .collect();
                fail(Error::InvalidInput {
                    what: "platform",
                    message: format!(
                        "no manifest for {} (available: {})",
                        self.platform,
                        available.join(", ")
                    ),
                })
            }
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.get.handle(cx, input)
    }
}
