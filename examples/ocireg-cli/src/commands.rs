//! What the commands print, and the pieces they share.

use std::io::Write;

use ocireg::ocireg_core::config::ImageConfig;
use ocireg::ocireg_core::headers::RateLimit;
use ocireg::ocireg_core::manifest::{ImageIndex, RawManifest};
use ocireg::{Client, CopyReport, Platform, Reference};
use serde_json::{json, Value};

fn io(e: std::io::Error) -> String {
    e.to_string()
}

/// Items one a line, or a JSON array.
pub fn print_list(out: &mut impl Write, items: &[String], json: bool) -> Result<(), String> {
    if json {
        writeln!(out, "{}", Value::from(items.to_vec())).map_err(io)
    } else {
        items
            .iter()
            .try_for_each(|i| writeln!(out, "{i}"))
            .map_err(io)
    }
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

/// The platform to pick from an index when none is given: linux/amd64.
fn default_platform() -> Platform {
    Platform::new("linux", "amd64")
}

/// The config blob's bytes of an image (an index is resolved to the given
/// platform, or linux/amd64).
pub async fn config_bytes(
    client: &Client,
    r: &Reference,
    platform: Option<&Platform>,
) -> Result<Vec<u8>, String> {
    let raw = manifest(client, r, platform).await?;
    let raw = if raw.manifest().kind().is_index() {
        client
            .resolve(r, &default_platform())
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
    let mut buf = Vec::new();
    client
        .pull_blob(r, &config.digest, Some(config.size), &mut buf)
        .await
        .map_err(|e| e.to_string())?;
    Ok(buf)
}

/// Everything `inspect` shows.
pub async fn inspect(
    client: &Client,
    r: &Reference,
    platform: Option<&Platform>,
) -> Result<Value, String> {
    let top = manifest(client, r, platform).await?;
    let mut images = Vec::new();
    let mut platforms = Vec::new();
    let children: Vec<(Option<Platform>, RawManifest)> = match top.manifest().as_index() {
        Some(index) => {
            let mut v = Vec::new();
            for d in &index.manifests {
                let child = client
                    .get_manifest(&r.without_tag_or_digest().with_digest(d.digest))
                    .await
                    .map_err(|e| e.to_string())?
                    .manifest;
                if let Some(p) = &d.platform {
                    platforms.push(p.to_string());
                }
                v.push((d.platform.clone(), child));
            }
            v
        }
        None => vec![(None, top.clone())],
    };
    for (platform, raw) in children {
        let Some(image) = raw.manifest().as_image() else {
            continue;
        };
        let mut config_json = Vec::new();
        client
            .pull_blob(
                r,
                &image.config.digest,
                Some(image.config.size),
                &mut config_json,
            )
            .await
            .map_err(|e| e.to_string())?;
        let config = ImageConfig::from_json(&config_json).ok();
        let platform = platform
            .map(|p| p.to_string())
            .or_else(|| config.as_ref().map(|c| c.platform().to_string()));
        if top.manifest().as_index().is_none() {
            platforms.extend(platform.clone());
        }
        images.push(json!({
            "digest": raw.digest().to_string(),
            "mediaType": raw.media_type(),
            "platform": platform,
            "created": config.as_ref().and_then(|c| c.created.clone()),
            "size": image.total_size(),
            "layers": image.layers.iter().map(|l| json!({"digest": l.digest.to_string(), "size": l.size, "mediaType": l.media_type})).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "reference": r.to_string(),
        "digest": top.digest().to_string(),
        "mediaType": top.media_type(),
        "platforms": platforms,
        "images": images,
    }))
}

/// `inspect` as text or JSON.
pub fn print_inspect(out: &mut impl Write, v: &Value, json: bool) -> Result<(), String> {
    if json {
        return writeln!(out, "{v}").map_err(io);
    }
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    writeln!(out, "Reference:  {}", s(&v["reference"])).map_err(io)?;
    writeln!(out, "Digest:     {}", s(&v["digest"])).map_err(io)?;
    writeln!(out, "Media type: {}", s(&v["mediaType"])).map_err(io)?;
    let platforms: Vec<String> = v["platforms"]
        .as_array()
        .into_iter()
        .flatten()
        .map(s)
        .collect();
    writeln!(out, "Platforms:  {}", platforms.join(", ")).map_err(io)?;
    for image in v["images"].as_array().into_iter().flatten() {
        writeln!(out).map_err(io)?;
        writeln!(out, "  {} {}", s(&image["platform"]), s(&image["digest"])).map_err(io)?;
        writeln!(out, "  created {}", s(&image["created"])).map_err(io)?;
        writeln!(out, "  size    {} bytes (compressed)", image["size"]).map_err(io)?;
        for l in image["layers"].as_array().into_iter().flatten() {
            writeln!(out, "    {} {:>12}", s(&l["digest"]), l["size"]).map_err(io)?;
        }
    }
    Ok(())
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
