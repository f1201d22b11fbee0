//! What the commands print, and the pieces they share.

use std::io::Write;

use futures_util::{Stream, StreamExt};
use ocireg::ocireg_core::headers::RateLimit;
use ocireg::ocireg_core::manifest::{ImageIndex, RawManifest};
use ocireg::ocireg_core::ops::DEFAULT_PAGE_SIZE;
use ocireg::{Client, CopyReport, ImageSummary, Platform, Reference};
use serde_json::{json, Value};

fn io(e: std::io::Error) -> String {
    e.to_string()
}

/// The items of a listing stream, one a line or as a JSON array, written
/// as they arrive: each page's items (the ones ready together) are
/// flushed before the next page is fetched. On an error the output stops
/// where it is (a JSON array is left open).
pub async fn print_stream(
    out: &mut impl Write,
    items: impl Stream<Item = Result<String, ocireg::Error>>,
    json: bool,
) -> Result<(), String> {
    let mut pages = std::pin::pin!(items.ready_chunks(DEFAULT_PAGE_SIZE as usize));
    let mut written = 0usize;
    while let Some(page) = pages.next().await {
        for item in page {
            let item = item.map_err(|e| e.to_string())?;
            match (json, written) {
                (true, 0) => write!(out, "[{}", Value::from(item)),
                (true, _) => write!(out, ",{}", Value::from(item)),
                (false, _) => writeln!(out, "{item}"),
            }
            .map_err(io)?;
            written += 1;
        }
        out.flush().map_err(io)?;
    }
    if json {
        let open = if written == 0 { "[" } else { "" };
        writeln!(out, "{open}]").map_err(io)?;
    }
    Ok(())
}

/// The manifest a reference points at, or its platform's.
pub async fn manifest(
    client: &Client,
    r: &Reference,
    platform: Option<&Platform>,
) -> Result<RawManifest, String> {
    match platform {
        Some(p) => Ok(client
            .resolve(r, p)
            .await
            .map_err(|e| e.to_string())?
            .manifest),
        None => Ok(client
            .get_manifest(r)
            .await
            .map_err(|e| e.to_string())?
            .manifest),
    }
}

/// The config blob's bytes of an image (an index is resolved to the given
/// platform, or the core's default choice: linux on this machine's CPU
/// architecture), within the core's config limit: a descriptor declaring
/// more is refused before any byte is fetched.
pub async fn config_bytes(
    client: &Client,
    r: &Reference,
    platform: Option<&Platform>,
) -> Result<Vec<u8>, String> {
    let raw = manifest(client, r, platform).await?;
    let raw = if raw.manifest().kind().is_index() {
        client
            .resolve(r, &Platform::default_choice())
            .await
            .map_err(|e| e.to_string())?
            .manifest
    } else {
        raw
    };
    let config = raw
        .manifest()
        .config()
        .ok_or("this manifest has no config")?
        .clone();
    client
        .image_config(r, &config)
        .await
        .map_err(|e| e.to_string())
}

/// Everything `inspect` shows: the summary of the reference, or of its
/// platform's manifest when one is given.
pub async fn inspect(
    client: &Client,
    r: &Reference,
    platform: Option<&Platform>,
) -> Result<ImageSummary, String> {
    let target = match platform {
        Some(p) => {
            let resolved = client.resolve(r, p).await.map_err(|e| e.to_string())?;
            r.without_tag_or_digest()
                .with_digest(resolved.manifest.digest())
        }
        None => r.clone(),
    };
    client.summary(&target).await.map_err(|e| e.to_string())
}

/// `inspect` as text or JSON.
pub fn print_inspect(
    out: &mut impl Write,
    r: &Reference,
    s: &ImageSummary,
    json: bool,
) -> Result<(), String> {
    if json {
        let v = serde_json::to_value(s).map_err(|e| e.to_string())?;
        return writeln!(out, "{v}").map_err(io);
    }
    let platforms: Vec<&str> = s
        .platforms
        .iter()
        .filter_map(|p| p.platform.as_deref())
        .collect();
    writeln!(out, "Reference:  {r}").map_err(io)?;
    writeln!(out, "Digest:     {}", s.digest).map_err(io)?;
    writeln!(out, "Media type: {}", s.media_type).map_err(io)?;
    writeln!(
        out,
        "Size:       {} bytes (compressed, every platform)",
        size_text(s.total_size)
    )
    .map_err(io)?;
    writeln!(out, "Created:    {}", s.created.as_deref().unwrap_or("-")).map_err(io)?;
    writeln!(out, "Platforms:  {}", platforms.join(", ")).map_err(io)?;
    for p in &s.platforms {
        writeln!(out).map_err(io)?;
        writeln!(
            out,
            "  {} {}",
            p.platform.as_deref().unwrap_or("-"),
            p.digest
        )
        .map_err(io)?;
        if let Some(c) = &p.config {
            writeln!(out, "  created {}", c.created.as_deref().unwrap_or("-")).map_err(io)?;
        }
        writeln!(out, "  size    {} bytes (compressed)", size_text(p.size)).map_err(io)?;
        for l in &p.layer_details {
            writeln!(out, "    {} {:>12}", l.digest, l.size).map_err(io)?;
        }
    }
    Ok(())
}

/// A total of declared sizes: the core saturates such sums at `u64::MAX`
/// instead of wrapping, which is shown as a lower bound.
fn size_text(bytes: u64) -> String {
    if bytes == u64::MAX {
        format!("at least {bytes}")
    } else {
        bytes.to_string()
    }
}

/// A copy's result.
pub fn print_copy(
    out: &mut impl Write,
    dst: &str,
    r: &CopyReport,
    json: bool,
) -> Result<(), String> {
    if json {
        writeln!(
            out,
            "{}",
            json!({"destination": dst, "digest": r.digest.to_string(), "manifests": r.manifests,
                   "blobs_uploaded": r.blobs_uploaded, "blobs_mounted": r.blobs_mounted,
                   "blobs_existing": r.blobs_existing, "bytes_uploaded": r.bytes_uploaded})
        )
    } else {
        writeln!(
            out,
            "{dst}@{} ({} manifests; blobs: {} uploaded, {} mounted, {} already there)",
            r.digest, r.manifests, r.blobs_uploaded, r.blobs_mounted, r.blobs_existing
        )
    }
    .map_err(io)
}

/// Referrers as `digest artifactType size` lines or JSON.
pub fn print_referrers(out: &mut impl Write, index: &ImageIndex, json: bool) -> Result<(), String> {
    if json {
        let v: Vec<Value> = index
            .manifests
            .iter()
            .map(|d| json!({"digest": d.digest.to_string(), "artifactType": d.artifact_type, "mediaType": d.media_type, "size": d.size}))
            .collect();
        return writeln!(out, "{}", Value::from(v)).map_err(io);
    }
    for d in &index.manifests {
        writeln!(
            out,
            "{} {} {}",
            d.digest,
            d.artifact_type.as_deref().unwrap_or("-"),
            d.size
        )
        .map_err(io)?;
    }
    Ok(())
}

/// Docker Hub's limit, or a note that the registry sends none.
pub fn print_ratelimit(
    out: &mut impl Write,
    rl: Option<&RateLimit>,
    json: bool,
) -> Result<(), String> {
    let v = match rl {
        Some(r) => {
            json!({"limit": r.limit, "remaining": r.remaining, "window_seconds": r.window.map(|w| w.as_secs()), "source": r.source})
        }
        None => Value::Null,
    };
    if json {
        return writeln!(out, "{v}").map_err(io);
    }
    match rl {
        Some(r) => writeln!(
            out,
            "{} of {} pulls left per {} s (source {})",
            r.remaining.map_or("?".into(), |n| n.to_string()),
            r.limit.map_or("?".into(), |n| n.to_string()),
            r.window.map_or("?".into(), |w| w.as_secs().to_string()),
            r.source.as_deref().unwrap_or("?")
        ),
        None => writeln!(out, "no rate limit headers (not Docker Hub, or unlimited)"),
    }
    .map_err(io)
}

/// The tag an image gets in the one-repository layout: `<name>-<tag>`,
/// `<name>` being the last path component (or the whole path with `/` as
/// `-`), `<tag>` the image's tag (`latest` when none).
pub fn combined_tag(src: &Reference, full_path: bool) -> Result<String, String> {
    let name = if full_path {
        // Docker Hub's `library/` is not part of the name people use.
        let path = if src.domain() == ocireg::ocireg_core::reference::DOCKER_HUB_DOMAIN {
            src.familiar_name()
        } else {
            src.path()
        };
        path.replace('/', "-")
    } else {
        src.path()
            .rsplit('/')
            .next()
            .unwrap_or(src.path())
            .to_string()
    };
    let tag = src.tag().unwrap_or("latest");
    let combined = format!("{name}-{tag}");
    if ocireg::ocireg_core::reference::grammar::is_tag(&combined) {
        Ok(combined)
    } else {
        Err(format!(
            "{src}: {combined:?} is not a valid tag (at most 128 characters of [A-Za-z0-9_.-])"
        ))
    }
}

/// The retag-into table.
pub fn print_retag(
    out: &mut impl Write,
    rows: &[(String, String, String)],
    json: bool,
) -> Result<(), String> {
    if json {
        let v: Vec<Value> = rows
            .iter()
            .map(|(s, d, g)| json!({"source": s, "destination": d, "digest": g}))
            .collect();
        return writeln!(out, "{}", Value::from(v)).map_err(io);
    }
    for (s, d, g) in rows {
        writeln!(out, "{s} -> {d} ({g})").map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_tags() {
        let r: Reference = "localhost:5000/team/nginx:1.25".parse().unwrap();
        assert_eq!(combined_tag(&r, false).unwrap(), "nginx-1.25");
        assert_eq!(combined_tag(&r, true).unwrap(), "team-nginx-1.25");
        let r: Reference = "redis".parse().unwrap();
        assert_eq!(combined_tag(&r, false).unwrap(), "redis-latest");
        assert_eq!(combined_tag(&r, true).unwrap(), "redis-latest");
        let long: Reference = format!("a/{}:{}", "n".repeat(100), "t".repeat(100))
            .parse()
            .unwrap();
        assert!(combined_tag(&long, false).is_err());
    }
}
