//! OCI image layouts on disk (`oci-layout`, `index.json`,
//! `blobs/<alg>/<hex>`), as `skopeo copy ... oci:DIR:TAG` writes and reads
//! them: pull an image into one, push one to a registry.
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

use ocireg_core::digest::Digest;
use ocireg_core::manifest::{media_type, Descriptor, ImageIndex, Manifest, RawManifest};
use ocireg_core::platform::Platform;
use ocireg_core::Reference;
use serde_json::json;

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

async fn write_blob_bytes(dir: &Path, digest: &Digest, bytes: &[u8]) -> Result<(), Error> {
    let path = blob_path(dir, digest);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(file_err(parent))?;
    }
    tokio::fs::write(&path, bytes)
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

/// Pulls `reference` into an OCI layout at `dir` (created if needed):
/// every platform of an index, or only `platform`. `index.json` names it
/// by the reference's tag.
pub async fn pull(
    client: &Client,
    reference: &Reference,
    dir: &Path,
    platform: Option<&Platform>,
) -> Result<PulledLayout, Error> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(file_err(dir))?;
    let top = match platform {
        Some(p) => client.resolve(reference, p).await?.manifest,
        None => client.get_manifest(reference).await?.manifest,
    };
    let mut blobs = 0;
    let images: Vec<RawManifest> = match top.manifest().as_index() {
        Some(index) => {
            let mut out = Vec::new();
            for child in &index.manifests {
                let child_ref = reference.without_tag_or_digest().with_digest(child.digest);
                let raw = client.get_manifest(&child_ref).await?.manifest;
                write_blob_bytes(dir, &raw.digest(), raw.bytes()).await?;
                out.push(raw);
            }
            out
        }
        None => vec![top.clone()],
    };
    // Every blob once, several at a time (the client's transfer limit).
    let mut seen = std::collections::HashSet::new();
    let wanted: Vec<Descriptor> = images
        .iter()
        .filter_map(|i| i.manifest().as_image())
        .flat_map(|m| std::iter::once(&m.config).chain(m.layers.iter()))
        .filter(|d| seen.insert(d.digest))
        .cloned()
        .collect();
    let jobs = wanted.iter().map(|d| async move {
        let path = blob_path(dir, &d.digest);
        // A blob file from an earlier pull is kept only if it verifies.
        let size_ok = tokio::fs::metadata(&path)
            .await
            .is_ok_and(|md| md.len() == d.size);
        if size_ok
            && crate::client::hash_file(&path)
                .await
                .is_ok_and(|(digest, _)| digest == d.digest)
        {
            return Ok::<_, Error>(false);
        }
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(file_err(parent))?;
        }
        let _permit = client.semaphore().acquire_owned().await;
        client
            .pull_blob_to_file(reference, &d.digest, Some(d.size), &path)
            .await?;
        Ok(true)
    });
    blobs += futures_util::future::try_join_all(jobs)
        .await?
        .into_iter()
        .filter(|&pulled| pulled)
        .count();
    write_blob_bytes(dir, &top.digest(), top.bytes()).await?;
    let mut descriptor = top.descriptor();
    if let Some(tag) = reference.tag() {
        descriptor
            .annotations
            .insert(REF_NAME.to_string(), tag.to_string());
    }
    write_index(dir, descriptor).await?;
    Ok(PulledLayout {
        digest: top.digest(),
        blobs,
    })
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

async fn read_manifest_blob(dir: &Path, d: &Descriptor) -> Result<RawManifest, Error> {
    let path = blob_path(dir, &d.digest);
    let bytes = tokio::fs::read(&path).await.map_err(file_err(&path))?;
    let raw = RawManifest::from_bytes(bytes, Some(&d.media_type))?;
    raw.verify(d.digest)
        .map_err(|e| Error::Registry(e.into()))?;
    Ok(raw)
}

/// Pushes the image of an OCI layout named `name` (the
/// `org.opencontainers.image.ref.name` of an `index.json` entry; `None`
/// when there is a single entry) to `reference`. Blobs the registry has
/// are skipped; the rest stream from disk. Returns the pushed top
/// manifest's digest.
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
    })?
    .clone();
    let top = read_manifest_blob(dir, &entry).await?;
    let children: Vec<RawManifest> = match top.manifest().as_index() {
        Some(i) => {
            let mut v = Vec::new();
            for d in &i.manifests {
                v.push(read_manifest_blob(dir, d).await?);
            }
            v
        }
        None => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    let blobs: Vec<Descriptor> = children
        .iter()
        .chain(std::iter::once(&top))
        .filter_map(|i| i.manifest().as_image())
        .flat_map(|m| std::iter::once(&m.config).chain(m.layers.iter()))
        .filter(|d| seen.insert(d.digest))
        .cloned()
        .collect();
    let jobs = blobs.iter().map(|d| async move {
        let _permit = client.semaphore().acquire_owned().await;
        let mut source = FileSource(blob_path(dir, &d.digest));
        client
            .push_blob(reference, &d.digest, d.size, &mut source, None)
            .await
    });
    futures_util::future::try_join_all(jobs).await?;
    for child in &children {
        let at = reference
            .without_tag_or_digest()
            .with_digest(child.digest());
        client.put_manifest(&at, child).await?;
    }
    client.put_manifest(reference, &top).await?;
    Ok(top.digest())
}
