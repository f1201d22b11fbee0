//! OCI image layouts on disk (`oci-layout`, `index.json`,
//! `blobs/<alg>/<hex>`), as `skopeo copy ... oci:DIR:TAG` writes and reads
//! them: pull an image graph into one, push one to a registry. Both run
//! the core's [`GraphPlan`] (every manifest and blob once, by its own
//! digest algorithm; children before their index); downloads wait in
//! `.ocireg-partial/` until they verify, so every file under `blobs/` is
//! whole.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ocireg::Error> {
//! use std::path::Path;
//! let client = ocireg::Client::builder().build()?;
//! let image: ocireg::Reference = "localhost:5000/app:v1".parse()?;
//! ocireg::layout::pull(&client, &image, Path::new("app-layout"), None).await?;
//! let copy: ocireg::Reference = "localhost:5000/app-copy:v1".parse()?;
//! ocireg::layout::push(&client, Path::new("app-layout"), None, &copy).await?;
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use ocireg_core::digest::{Digest, Verifier};
use ocireg_core::manifest::{media_type, Descriptor, ImageIndex, Manifest, RawManifest};
use ocireg_core::ops::PushOutcome;
use ocireg_core::plan::{
    BlobAction, BlobJob, BlobOutcome, Destination, GraphOptions, GraphPlan, PutJob,
};
use ocireg_core::platform::Platform;
use ocireg_core::Reference;
use serde_json::json;

use crate::graph::{self, JobRunner, PullSource};
use crate::source::FileSource;
use crate::{Client, Error};

/// The annotation naming a manifest in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn file_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::File {
        path: path.display().to_string(),
        source,
    }
}

/// The path of a blob in a layout.
pub fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs")
        .join(digest.algorithm().as_str())
        .join(digest.hex())
}

/// Where the download of `digest` waits until it verifies.
fn partial_path(dir: &Path, digest: &Digest) -> PathBuf {
    let name = format!("{}-{}", digest.algorithm().as_str(), digest.hex());
    dir.join(PARTIAL_DIR).join(name)
}

/// Creates the folders a blob and its partial file go in.
async fn create_parents(path: &Path, partial: &Path) -> Result<(), Error> {
    for parent in [path.parent(), partial.parent()].into_iter().flatten() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(file_err(parent))?;
    }
    Ok(())
}

/// Writes verified bytes (a manifest) as the blob `digest`: into the
/// partial folder first, then renamed, so that a cut-off write never
/// leaves a short file under `blobs/`.
async fn write_blob_bytes(dir: &Path, digest: &Digest, bytes: &[u8]) -> Result<(), Error> {
    let (path, partial) = (blob_path(dir, digest), partial_path(dir, digest));
    create_parents(&path, &partial).await?;
    tokio::fs::write(&partial, bytes)
        .await
        .map_err(file_err(&partial))?;
    tokio::fs::rename(&partial, &path)
        .await
        .map_err(file_err(&path))
}

/// What a pull wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PulledLayout {
    /// The digest of the manifest `index.json` points at.
    pub digest: Digest,
    /// Blobs downloaded (layers and configs; manifests not counted).
    pub blobs: usize,
}

/// Where downloads wait until they verify: outside `blobs/`, so that
/// every file under `blobs/` is always a whole, verified blob.
const PARTIAL_DIR: &str = ".ocireg-partial";

/// Pulls `reference` into an OCI layout at `dir` (created if needed): the
/// whole graph (indexes to any depth), or only the image for `platform`.
/// `index.json` names it by the reference's tag. Every manifest and blob
/// lands at `blobs/<its algorithm>/<hex>`; a blob file already there that
/// verifies is kept. The manifests and blobs come from the registry that
/// served the top manifest (a Docker Hub mirror, say), falling back per
/// request to the later candidates.
pub async fn pull(
    client: &Client,
    reference: &Reference,
    dir: &Path,
    platform: Option<&Platform>,
) -> Result<PulledLayout, Error> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(file_err(dir))?;
    let (top, serving, algorithm) = match platform {
        Some(p) => {
            let resolved = client.resolve(reference, p).await?;
            // The image is addressed as the index lists it.
            let listed = resolved.descriptor.map(|d| d.digest.algorithm());
            let algorithm = listed.unwrap_or(graph::root_algorithm(&[reference]));
            (resolved.manifest, resolved.registry, algorithm)
        }
        None => {
            let fetched = client.get_manifest(reference).await?;
            let algorithm = graph::root_algorithm(&[reference]);
            (fetched.manifest, fetched.registry, algorithm)
        }
    };
    let options = GraphOptions::new(Destination::Layout).root_algorithm(algorithm);
    let tag = reference.tag().map(str::to_string);
    let mut plan = GraphPlan::new(top, tag, options)?;
    for digest in blob_files(dir).await? {
        plan.destination_has(digest);
    }
    let runner = LayoutPull {
        source: PullSource::new(client, reference, &serving)?,
        dir,
    };
    let report = graph::run(client, &mut plan, &runner).await?;
    // Empty unless a download failed (then it resumes next time).
    let _ = tokio::fs::remove_dir(dir.join(PARTIAL_DIR)).await;
    Ok(PulledLayout {
        digest: report.root,
        blobs: report.streamed.count,
    })
}

/// The digests of the blob files a layout has (not verified).
async fn blob_files(dir: &Path) -> Result<Vec<Digest>, Error> {
    let mut out = Vec::new();
    let blobs = dir.join("blobs");
    let mut algorithms = match tokio::fs::read_dir(&blobs).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(file_err(&blobs)(e)),
    };
    while let Some(algorithm) = algorithms.next_entry().await.map_err(file_err(&blobs))? {
        let path = algorithm.path();
        let Ok(mut files) = tokio::fs::read_dir(&path).await else {
            continue;
        };
        while let Some(file) = files.next_entry().await.map_err(file_err(&path))? {
            let name = format!(
                "{}:{}",
                algorithm.file_name().to_string_lossy(),
                file.file_name().to_string_lossy()
            );
            out.extend(Digest::parse(&name).ok());
        }
    }
    Ok(out)
}

/// Whether the file at `path` is the blob `descriptor` names: its size,
/// then its digest.
async fn file_verifies(path: &Path, descriptor: &Descriptor) -> bool {
    let sized = tokio::fs::metadata(path)
        .await
        .is_ok_and(|m| m.len() == descriptor.size);
    if !sized {
        return false;
    }
    let mut verifier = Verifier::with_size(descriptor.digest, descriptor.size);
    let read = crate::client::read_file_into(path, |bytes| verifier.update(bytes)).await;
    read.is_ok() && verifier.finish().is_ok()
}

/// The jobs of a pull into a layout.
struct LayoutPull<'a> {
    source: PullSource<'a>,
    dir: &'a Path,
}

impl JobRunner for LayoutPull<'_> {
    async fn fetch_manifest(&self, descriptor: Descriptor) -> Result<RawManifest, Error> {
        // A manifest file from an earlier pull saves a request.
        match read_manifest_blob(self.dir, &descriptor).await {
            Ok(manifest) => Ok(manifest),
            Err(_) => self.source.manifest(&descriptor).await,
        }
    }

    async fn blob(&self, job: BlobJob) -> Result<BlobOutcome, Error> {
        let descriptor = &job.descriptor;
        let path = blob_path(self.dir, &descriptor.digest);
        // `Skip`: the file was there when the pull began; keep it if it
        // is the blob.
        if job.action == BlobAction::Skip && file_verifies(&path, descriptor).await {
            return Ok(BlobOutcome::Skipped);
        }
        let partial = partial_path(self.dir, &descriptor.digest);
        create_parents(&path, &partial).await?;
        self.source
            .blob_to_file(descriptor, &path, &partial)
            .await?;
        Ok(BlobOutcome::Streamed(descriptor.size))
    }

    async fn put_manifest(&self, job: PutJob) -> Result<(), Error> {
        write_blob_bytes(self.dir, &job.digest, job.manifest.bytes()).await?;
        if job.root {
            let mut entry = job.descriptor();
            if let Some(tag) = &job.tag {
                entry.annotations.insert(REF_NAME.to_string(), tag.clone());
            }
            write_index(self.dir, entry).await?;
        }
        Ok(())
    }
}

/// Adds (or replaces, by ref name) an entry of `index.json`.
async fn write_index(dir: &Path, entry: Descriptor) -> Result<(), Error> {
    let layout = dir.join("oci-layout");
    tokio::fs::write(&layout, json!({"imageLayoutVersion": "1.0.0"}).to_string())
        .await
        .map_err(file_err(&layout))?;
    let index_path = dir.join("index.json");
    let mut index = match read_index(dir).await {
        Ok(i) => i,
        Err(_) => ImageIndex::new(media_type::OCI_INDEX, Vec::new()),
    };
    let name = entry.annotations.get(REF_NAME).cloned();
    index.manifests.retain(|d| {
        d.digest != entry.digest && (name.is_none() || d.annotations.get(REF_NAME) != name.as_ref())
    });
    index.manifests.push(entry);
    let raw = RawManifest::encode(&Manifest::Index(index))?;
    tokio::fs::write(&index_path, raw.bytes())
        .await
        .map_err(file_err(&index_path))
}

async fn read_index(dir: &Path) -> Result<ImageIndex, Error> {
    let path = dir.join("index.json");
    let bytes = tokio::fs::read(&path).await.map_err(file_err(&path))?;
    match RawManifest::from_bytes(bytes, Some(media_type::OCI_INDEX))?.into_manifest() {
        Manifest::Index(i) => Ok(i),
        _ => Err(Error::File {
            path: path.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "index.json is not an OCI index",
            ),
        }),
    }
}

/// Reads the manifest `d` names from the layout, checking its size before
/// reading it (and so never reading more than the descriptor says, nor a
/// file over the manifest limit) and its digest after.
async fn read_manifest_blob(dir: &Path, d: &Descriptor) -> Result<RawManifest, Error> {
    let path = blob_path(dir, &d.digest);
    let len = tokio::fs::metadata(&path)
        .await
        .map_err(file_err(&path))?
        .len();
    if len != d.size || len > ocireg_core::ops::MANIFEST_LIMIT {
        let message = format!("{len} bytes, but {} is {} bytes", d.digest, d.size);
        let invalid = std::io::Error::new(std::io::ErrorKind::InvalidData, message);
        return Err(file_err(&path)(invalid));
    }
    let bytes = tokio::fs::read(&path).await.map_err(file_err(&path))?;
    let raw = RawManifest::from_bytes(bytes, Some(&d.media_type))?;
    raw.verify(d.digest)
        .map_err(|e| Error::Registry(e.into()))?;
    Ok(raw)
}

/// Pushes the image graph of an OCI layout named `name` (the
/// `org.opencontainers.image.ref.name` of an `index.json` entry; `None`
/// when there is a single entry) to `reference`. Manifests are read from
/// the layout and verified; blobs the registry has are skipped, the rest
/// stream from disk; children are put before their index. Returns the
/// pushed top manifest's digest.
pub async fn push(
    client: &Client,
    dir: &Path,
    name: Option<&str>,
    reference: &Reference,
) -> Result<Digest, Error> {
    let index = read_index(dir).await?;
    let entry = match name {
        Some(n) => index
            .manifests
            .iter()
            .find(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(n)),
        None if index.manifests.len() == 1 => index.manifests.first(),
        None => None,
    }
    .ok_or_else(|| Error::File {
        path: dir.join("index.json").display().to_string(),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            match name {
                Some(n) => format!("no image named {n:?}"),
                None => format!("{} images: name one", index.manifests.len()),
            },
        ),
    })?;
    let top = read_manifest_blob(dir, entry).await?;
    let options =
        GraphOptions::new(Destination::OtherRegistry).root_algorithm(entry.digest.algorithm());
    let tag = reference.tag().map(str::to_string);
    let mut plan = GraphPlan::new(top, tag, options)?;
    graph::check_destination_digest(reference, &plan)?;
    let runner = LayoutPush {
        client,
        dir,
        reference,
    };
    Ok(graph::run(client, &mut plan, &runner).await?.root)
}

/// The jobs of a push from a layout.
struct LayoutPush<'a> {
    client: &'a Client,
    dir: &'a Path,
    reference: &'a Reference,
}

impl JobRunner for LayoutPush<'_> {
    async fn fetch_manifest(&self, descriptor: Descriptor) -> Result<RawManifest, Error> {
        read_manifest_blob(self.dir, &descriptor).await
    }

    async fn blob(&self, job: BlobJob) -> Result<BlobOutcome, Error> {
        let Descriptor { digest, size, .. } = job.descriptor;
        if job.action == BlobAction::Skip {
            return Ok(BlobOutcome::Skipped);
        }
        let mut source = FileSource(blob_path(self.dir, &digest));
        let pushed = self
            .client
            .push_blob(self.reference, &digest, size, &mut source, None)
            .await?;
        Ok(match pushed {
            PushOutcome::Exists => BlobOutcome::Skipped,
            PushOutcome::Mounted => BlobOutcome::Mounted,
            _ => BlobOutcome::Streamed(size),
        })
    }

    async fn put_manifest(&self, job: PutJob) -> Result<(), Error> {
        let target = graph::put_target(self.reference, &job)?;
        self.client.put_manifest(&target, &job.manifest).await?;
        Ok(())
    }
}
