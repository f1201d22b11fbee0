//! Referrers: the manifests whose `subject` is a given manifest
//! (signatures, SBOMs, attestations).
//!
//! ```text
//! GET /v2/<name>/referrers/<digest>[?artifactType=]
//!   --200--> the index (filtered here when the registry did not filter)
//!   --404--> GET manifest <alg>-<hex> (the tag-schema fallback)
//!              --200--> that index, filtered
//!              --404--> no referrers
//! ```

use std::ops::Range;

use http::StatusCode;

use super::exchange::Exchange;
use super::fail;
use super::manifest::GetManifest;
use super::other_step;
use super::{Context, Input, Operation, Step, MANIFEST_LIMIT};
use crate::auth::{Scope, Scopes};
use crate::digest::Digest;
use crate::documents::parse_referrers;
use crate::error::Error;
use crate::headers::OCI_FILTERS_APPLIED;
use crate::manifest::{ImageIndex, Manifest};
use crate::reference::Repository;
use crate::registry::Registry;
use crate::requests;

/// Lists the referrers of a manifest.
#[derive(Debug)]
pub struct Referrers {
    artifact_type: Option<String>,
    api: Exchange,
    fallback: Option<GetManifest>,
    registry: Registry,
    repository: Repository,
    digest: Digest,
}

impl Referrers {
    /// The referrers of `digest` in `repository`, only those of
    /// `artifact_type` when given.
    pub fn new(
        registry: &Registry,
        repository: &Repository,
        digest: Digest,
        artifact_type: Option<&str>,
    ) -> Referrers {
        let scopes: Scopes = [Scope::pull(repository)].into_iter().collect();
        let req = requests::referrers(registry, repository, &digest, artifact_type);
        Referrers {
            artifact_type: artifact_type.map(str::to_string),
            api: Exchange::buffered(registry, scopes, req, MANIFEST_LIMIT),
            fallback: None,
            registry: registry.clone(),
            repository: repository.clone(),
            digest,
        }
    }

    fn filtered(&self, mut index: ImageIndex) -> ImageIndex {
        if let Some(t) = &self.artifact_type {
            index
                .manifests
                .retain(|d| d.artifact_type.as_deref() == Some(t.as_str()));
        }
        index
    }
}

impl Operation for Referrers {
    type Output = ImageIndex;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<ImageIndex> {
        if let Some(get) = &mut self.fallback {
            return match other_step(get.poll(cx)) {
                Ok(Ok(f)) => match f.manifest.into_manifest() {
                    Manifest::Index(index) => Step::Done(Ok(self.filtered(index))),
                    other => fail(Error::Protocol {
                        url: format!(
                            "/v2/{}/manifests/{}",
                            self.repository,
                            requests::referrers_tag(&self.digest)
                        ),
                        message: format!(
                            "the referrers tag holds a {}, not an OCI index",
                            other.kind()
                        ),
                    }),
                },
                Ok(Err(e)) if e.is_not_found() => Step::Done(Ok(ImageIndex::new(
                    crate::manifest::media_type::OCI_INDEX,
                    Vec::new(),
                ))),
                Ok(Err(e)) => fail(e),
                Err(step) => step,
            };
        }
        let resp = match self.api.poll(cx).into_response() {
            Ok(r) => r,
            Err(step) => return step,
        };
        match resp.status() {
            StatusCode::OK => match parse_referrers(resp.body()) {
                Ok(index) => {
                    let applied = resp
                        .headers()
                        .get(OCI_FILTERS_APPLIED)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.split(',').any(|f| f.trim() == "artifactType"));
                    Step::Done(Ok(if applied { index } else { self.filtered(index) }))
                }
                Err(e) => fail(Error::Protocol {
                    url: crate::redact::url(self.api.url()),
                    message: e.to_string(),
                }),
            },
            StatusCode::NOT_FOUND => {
                let tag = requests::referrers_tag(&self.digest);
                self.fallback = Some(GetManifest::new(&self.registry, &self.repository, &tag));
                self.poll(cx)
            }
            _ => fail(self.api.status_error(&resp)),
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        match &mut self.fallback {
            Some(get) => get.handle(cx, input),
            None => self.api.handle(cx, input),
        }
    }
}
