//! Transcripts of the operations: manifests, blobs, referrers, platform
//! resolution, against the shapes registry 2.8.2 and Docker Hub send.

mod support;

use ocireg_core::auth::Session;
use ocireg_core::digest::{Digest, Verifier, VerifyError};
use ocireg_core::error::TransportErrorKind;
use ocireg_core::manifest::RawManifest;
use ocireg_core::ops::{
    AtDigest, BlobPull, BlobPush, Delete, GetManifest, HeadBlob, HeadManifest, PushOutcome,
    PushStrategy, PutManifest, Referrers, Resolve,
};
use ocireg_core::platform::Platform;
use ocireg_core::registry::{Registry, Scheme};
use ocireg_core::Error;
use serde_json::json;
use support::*;

const R: &str = "http://127.0.0.1:5000";

fn local() -> Registry {
    Registry::new(Scheme::Http, "127.0.0.1:5000").unwrap()
}

fn image(config: &[u8], layers: &[&[u8]]) -> Vec<u8> {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::sha256(config), "size": config.len()},
        "layers": layers.iter().map(|l| json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": Digest::sha256(l), "size": l.len()})).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

fn index(entries: &[(&[u8], &str, &str, Option<&str>)]) -> Vec<u8> {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries.iter().map(|(m, os, arch, variant)| {
            let mut p = json!({"os": os, "architecture": arch});
            if let Some(v) = variant { p["variant"] = json!(v); }
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": Digest::sha256(m), "size": m.len(), "platform": p})
        }).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

fn oci(body: &[u8]) -> Reply {
    resp(200)
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(body)
}

#[test]
fn get_by_digest_verifies_the_bytes() {
    let body = image(b"{}", &[b"layer"]);
    let d = Digest::sha256(&body);
    let mut s = Session::default();
    let url = format!("{R}/v2/a/manifests/{d}");
    let f = drive(
        &mut GetManifest::by_digest(&local(), &repo("a"), &d),
        &mut s,
        t0(),
        vec![(
            req("GET", &url).has("accept"),
            oci(&body).header("Docker-Content-Digest", &d.to_string()),
        )],
        b"",
    )
    .ok();
    assert_eq!(f.manifest.digest(), d);

    // The same bytes with a space more: another digest, refused.
    let mut tampered = body.clone();
    tampered.push(b' ');
    let err = drive(
        &mut GetManifest::by_digest(&local(), &repo("a"), &d),
        &mut s,
        t0(),
        vec![(req("GET", &url), oci(&tampered))],
        b"",
    )
    .err();
    assert!(
        matches!(err, Error::Verify(VerifyError::DigestMismatch { expected, .. }) if expected == d),
        "{err}"
    );
}

#[test]
fn get_by_tag_checks_docker_content_digest() {
    let body = image(b"{}", &[]);
    let mut s = Session::default();
    let wrong = Digest::sha256(b"other");
    let err = drive(
        &mut GetManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![(
            req("GET", &format!("{R}/v2/a/manifests/v1")),
            oci(&body).header("Docker-Content-Digest", &wrong.to_string()),
        )],
        b"",
    )
    .err();
    assert!(matches!(err, Error::Verify(_)), "{err}");
}

#[test]
fn missing_manifest_is_not_found_with_the_registry_code() {
    let mut s = Session::default();
    let err = drive(
        &mut GetManifest::new(&local(), &repo("a"), "nope"),
        &mut s,
        t0(),
        vec![(
            req("GET", &format!("{R}/v2/a/manifests/nope")),
            resp(404).json(json!({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]})),
        )],
        b"",
    )
    .err();
    assert!(err.is_not_found());
    assert_eq!(
        err.to_string(),
        "GET http://127.0.0.1:5000/v2/a/manifests/nope: 404 (MANIFEST_UNKNOWN: manifest unknown)"
    );
}

#[test]
fn head_uses_the_header_or_falls_back_to_get() {
    let body = image(b"{}", &[]);
    let d = Digest::sha256(&body);
    let mut s = Session::default();
    let url = format!("{R}/v2/a/manifests/v1");
    let h = drive(
        &mut HeadManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![(
            req("HEAD", &url),
            resp(200)
                .header("Docker-Content-Digest", &d.to_string())
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .header("Content-Length", &body.len().to_string())
                .header("ratelimit-limit", "100;w=21600")
                .header("ratelimit-remaining", "76;w=21600")
                .header("docker-ratelimit-source", "192.0.2.1"),
        )],
        b"",
    )
    .ok();
    assert_eq!((h.digest, h.size), (d, Some(body.len() as u64)));
    let rl = h.rate_limit.unwrap();
    assert_eq!(
        (rl.limit, rl.remaining, rl.source.as_deref()),
        (Some(100), Some(76), Some("192.0.2.1"))
    );

    let h = drive(
        &mut HeadManifest::new(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![
            (req("HEAD", &url), resp(200)),
            (req("GET", &url), oci(&body)),
        ],
        b"",
    )
    .ok();
    assert_eq!(h.digest, d);
}

#[test]
fn put_manifest_sends_its_media_type_and_exact_bytes() {
    let body = image(b"{}", &[]);
    let raw = RawManifest::from_bytes(body.clone(), None).unwrap();
    let mut s = Session::default();
    let out = drive(
        &mut PutManifest::new(&local(), &repo("a"), "v1", &raw),
        &mut s,
        t0(),
        vec![(
            req("PUT", &format!("{R}/v2/a/manifests/v1"))
                .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                .body(&body),
            resp(201)
                .header("Docker-Content-Digest", &raw.digest().to_string())
                .header("Location", &format!("/v2/a/manifests/{}", raw.digest())),
        )],
        b"",
    )
    .ok();
    assert_eq!(out.digest, raw.digest());
    assert_eq!(
        out.location.unwrap().as_str(),
        format!("{R}/v2/a/manifests/{}", raw.digest())
    );
}

#[test]
fn delete_by_digest_and_disabled_delete() {
    let d = Digest::sha256(b"m");
    let mut s = Session::default();
    let url = format!("{R}/v2/a/manifests/{d}");
    drive(
        &mut Delete::manifest(&local(), &repo("a"), &d),
        &mut s,
        t0(),
        vec![(req("DELETE", &url), resp(202))],
        b"",
    )
    .ok();
    let err = drive(
        &mut Delete::manifest(&local(), &repo("a"), &d),
        &mut s,
        t0(),
        vec![(req("DELETE", &url), resp(405).json(json!({"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]})))],
        b"",
    )
    .err();
    assert_eq!(err.status(), Some(405));
}

#[test]
fn delete_by_tag_heads_the_tag_then_deletes_the_digest() {
    let d = Digest::sha256(b"m");
    let mut s = Session::default();
    let head = resp(200)
        .header("Docker-Content-Digest", &d.to_string())
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json");
    let run = drive(
        &mut AtDigest::delete_manifest(&local(), &repo("a"), "v1"),
        &mut s,
        t0(),
        vec![
            (req("HEAD", &format!("{R}/v2/a/manifests/v1")), head),
            (req("DELETE", &format!("{R}/v2/a/manifests/{d}")), resp(202)),
        ],
        b"",
    );
    assert_eq!(run.ok(), (d, ()));

    // A digest needs no HEAD.
    let run = drive(
        &mut AtDigest::delete_manifest(&local(), &repo("a"), &d.to_string()),
        &mut s,
        t0(),
        vec![(req("DELETE", &format!("{R}/v2/a/manifests/{d}")), resp(202))],
        b"",
    );
    assert_eq!(run.ok(), (d, ()));

    // An unknown tag: the HEAD's 404, and nothing deleted.
    let err = drive(
        &mut AtDigest::delete_manifest(&local(), &repo("a"), "gone"),
        &mut s,
        t0(),
        vec![(req("HEAD", &format!("{R}/v2/a/manifests/gone")), resp(404))],
        b"",
    )
    .err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn referrers_of_a_tag_head_it_first() {
    let subject = Digest::sha256(b"subject");
    let sbom = json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": Digest::sha256(b"sbom"), "size": 4, "artifactType": "application/spdx+json"});
    let list = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [sbom]}).to_string();
    let mut s = Session::default();
    let head = resp(200).header("Docker-Content-Digest", &subject.to_string());
    let run = drive(
        &mut AtDigest::referrers(&local(), &repo("a"), "v1", Some("application/spdx+json")),
        &mut s,
        t0(),
        vec![
            (req("HEAD", &format!("{R}/v2/a/manifests/v1")), head),
            (
                req(
                    "GET",
                    &format!("{R}/v2/a/referrers/{subject}?artifactType=application%2Fspdx%2Bjson"),
                ),
                resp(404),
            ),
            (
                req(
                    "GET",
                    &format!("{R}/v2/a/manifests/sha256-{}", subject.hex()),
                ),
                resp(200)
                    .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                    .body(list.as_bytes()),
            ),
        ],
        b"",
    );
    let (digest, index) = run.ok();
    assert_eq!(digest, subject);
    assert_eq!(index.manifests.len(), 1);
}

#[test]
fn head_blob_reads_the_size_and_never_invents_one() {
    let d = Digest::sha256(b"layer");
    let url = format!("{R}/v2/a/blobs/{d}");
    let mut s = Session::default();
    let mut head = |reply: Reply| {
        drive(
            &mut HeadBlob::new(&local(), &repo("a"), &d),
            &mut s,
            t0(),
            vec![(req("HEAD", &url), reply)],
            b"",
        )
    };
    assert_eq!(head(resp(200).header("Content-Length", "5")).ok(), Some(5));
    assert_eq!(head(resp(404)).ok(), None);
    // A 200 without a usable size is the registry's fault, not size 0.
    for reply in [resp(200), resp(200).header("Content-Length", "-5")] {
        match head(reply).err() {
            Error::Protocol { message, .. } => assert!(message.contains("Content-Length")),
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }
}

#[test]
fn blob_pull_streams_verifies_and_resumes_with_range() {
    let blob = b"0123456789abcdefghij".to_vec();
    let d = Digest::sha256(&blob);
    let mut s = Session::default();
    let url = format!("{R}/v2/a/blobs/{d}");
    let run = drive(
        &mut BlobPull::new(&local(), &repo("a"), d, Some(20)),
        &mut s,
        t0(),
        vec![
            (
                req("GET", &url).lacks("range"),
                stream(200, &[b"01234", b"56789"], true),
            ),
            (
                req("GET", &url).header("range", "bytes=10-"),
                stream(206, &[b"abcde", b"fghij"], false).header("Content-Range", "bytes 10-19/20"),
            ),
        ],
        b"",
    );
    assert_eq!(run.sink, blob);
    assert_eq!(run.ok(), d);
}

#[test]
fn blob_pull_skips_what_it_has_when_range_is_ignored() {
    let blob = b"0123456789".to_vec();
    let d = Digest::sha256(&blob);
    let mut s = Session::default();
    let url = format!("{R}/v2/a/blobs/{d}");
    let run = drive(
        &mut BlobPull::new(&local(), &repo("a"), d, None),
        &mut s,
        t0(),
        vec![
            (req("GET", &url), stream(200, &[b"0123"], true)),
            (
                req("GET", &url).header("range", "bytes=4-"),
                stream(200, &[b"01", b"23456", b"789"], false),
            ),
        ],
        b"",
    );
    assert_eq!(run.sink, blob);
    run.ok();
}

#[test]
fn blob_pull_detects_wrong_content_and_truncation() {
    let d = Digest::sha256(b"right");
    let mut s = Session::default();
    let url = format!("{R}/v2/a/blobs/{d}");
    let run = drive(
        &mut BlobPull::new(&local(), &repo("a"), d, Some(5)),
        &mut s,
        t0(),
        vec![(req("GET", &url), stream(200, &[b"wrong"], false))],
        b"",
    );
    assert!(matches!(
        run.result,
        Err(Error::Verify(VerifyError::DigestMismatch { .. }))
    ));

    let run = drive(
        &mut BlobPull::new(&local(), &repo("a"), d, Some(5)),
        &mut s,
        t0(),
        vec![(req("GET", &url), stream(200, &[b"rig"], false))],
        b"",
    );
    assert!(matches!(
        run.result,
        Err(Error::Verify(VerifyError::SizeMismatch {
            expected: 5,
            actual: 3,
            ..
        }))
    ));

    // A stream that keeps breaking gives up after five resumes.
    let mut script = vec![(req("GET", &url), stream(200, &[b"r"], true))];
    for _ in 0..5 {
        script.push((
            req("GET", &url).header("range", "bytes=1-"),
            stream(206, &[], true).header("Content-Range", "bytes 1-4/5"),
        ));
    }
    let run = drive(
        &mut BlobPull::new(&local(), &repo("a"), d, Some(5)),
        &mut s,
        t0(),
        script,
        b"",
    );
    assert!(
        matches!(run.result, Err(Error::Transport(_))),
        "{:?}",
        run.result
    );
}

#[test]
fn blob_pull_never_delivers_past_the_size_fresh_or_resumed() {
    // A 10-byte blob; the registry sends its bytes, then more.
    let blob = b"0123456789".to_vec();
    let d = Digest::sha256(&blob);
    let url = format!("{R}/v2/a/blobs/{d}");
    // Pulls it with `reply` to the one request, from `offset` (a partial
    // file of that many bytes, which the verifier has seen, not the
    // size); returns what reached the sink and the size mismatch.
    let pull = |offset: usize, reply: Reply| {
        let mut verifier = Verifier::new(d);
        verifier.update(&blob[..offset]);
        let mut op =
            BlobPull::resume_from(&local(), &repo("a"), d, Some(10), offset as u64, verifier);
        let expect = match offset {
            0 => req("GET", &url).lacks("range"),
            n => req("GET", &url).header("range", &format!("bytes={n}-")),
        };
        let run = drive(
            &mut op,
            &mut Session::default(),
            t0(),
            vec![(expect, reply)],
            b"",
        );
        match run.result {
            Err(Error::Verify(VerifyError::SizeMismatch {
                expected: 10,
                actual,
                ..
            })) => (run.sink, actual),
            other => panic!("expected a size mismatch, got {other:?}"),
        }
    };

    // Fresh: the chunk that crosses the size is cut at it, and the pull
    // fails before it reads another.
    let fresh = stream(200, &[b"0123456", b"789XYZ", b"more"], false);
    assert_eq!(pull(0, fresh), (blob.clone(), 13));

    // Resumed from 4 bytes: a registry that keeps sending gets no byte
    // past 10 into the sink.
    let resumed = stream(206, &[b"45678", b"9", b"0123456789"], false)
        .header("Content-Range", "bytes 4-19/20");
    assert_eq!(pull(4, resumed), (b"456789".to_vec(), 20));

    // Resumed, and the registry ignores Range: the 200's first 4 bytes
    // are skipped, and still nothing past 10 goes through.
    let ignored = stream(200, &[b"0123456789!!"], false);
    assert_eq!(pull(4, ignored), (b"456789".to_vec(), 12));

    // Resumed and short: the size is checked, not only the digest.
    let short = stream(206, &[b"456"], false).header("Content-Range", "bytes 4-9/10");
    assert_eq!(pull(4, short), (b"456".to_vec(), 7));
}

#[test]
fn blob_pull_follows_the_cdn_redirect_without_credentials() {
    let blob = b"layer".to_vec();
    let d = Digest::sha256(&blob);
    let mut s = Session::default();
    s.set_credentials(
        "127.0.0.1:5000",
        ocireg_core::auth::Credentials::Bearer("tok".into()),
    );
    let run = drive(
        &mut BlobPull::new(&local(), &repo("a"), d, Some(5)),
        &mut s,
        t0(),
        vec![
            (
                req("GET", &format!("{R}/v2/a/blobs/{d}")).has("authorization"),
                resp(307).header("Location", "https://cdn.example/blob?sig=1"),
            ),
            (
                req("GET", "https://cdn.example/blob?sig=1").lacks("authorization"),
                stream(200, &[b"layer"], false),
            ),
        ],
        b"",
    );
    assert_eq!(run.sink, blob);
    run.ok();
}

#[test]
fn push_monolithic_after_a_session() {
    let blob = b"some layer bytes".to_vec();
    let d = Digest::sha256(&blob);
    let mut s = Session::default();
    let loc = format!("{R}/v2/a/blobs/uploads/u1?_state=s1");
    let (digest, outcome) = drive(
        &mut BlobPush::new(&local(), &repo("a"), d, blob.len() as u64),
        &mut s,
        t0(),
        vec![
            (
                req("POST", &format!("{R}/v2/a/blobs/uploads/")),
                resp(202)
                    .header("Location", &loc)
                    .header("Docker-Upload-UUID", "u1")
                    .header("Range", "0-0"),
            ),
            (
                req(
                    "PUT",
                    &format!("{loc}&digest={}", d.to_string().replace(':', "%3A")),
                )
                .body(&blob),
                resp(201).header("Docker-Content-Digest", &d.to_string()),
            ),
        ],
        &blob,
    )
    .ok();
    assert_eq!((digest, outcome), (d, PushOutcome::Uploaded));
}

#[test]
fn push_skips_existing_and_mounts() {
    let d = Digest::sha256(b"x");
    let mut s = Session::default();
    let out = drive(
        &mut BlobPush::new(&local(), &repo("a"), d, 1).check_exists(),
        &mut s,
        t0(),
        vec![(req("HEAD", &format!("{R}/v2/a/blobs/{d}")), resp(200))],
        b"x",
    )
    .ok();
    assert_eq!(out.1, PushOutcome::Exists);

    let mount = format!(
        "{R}/v2/b/blobs/uploads/?mount={}&from=a",
        d.to_string().replace(':', "%3A")
    );
    let out = drive(
        &mut BlobPush::new(&local(), &repo("b"), d, 1).mount_from(&repo("a")),
        &mut s,
        t0(),
        vec![(
            req("POST", &mount),
            resp(201).header("Docker-Content-Digest", &d.to_string()),
        )],
        b"x",
    )
    .ok();
    assert_eq!(out.1, PushOutcome::Mounted);

    // The registry could not mount: its 202 session is used for the upload.
    let loc = format!("{R}/v2/b/blobs/uploads/u2?_state=s");
    let out = drive(
        &mut BlobPush::new(&local(), &repo("b"), d, 1).mount_from(&repo("a")),
        &mut s,
        t0(),
        vec![
            (req("POST", &mount), resp(202).header("Location", &loc)),
            (
                req(
                    "PUT",
                    &format!("{loc}&digest={}", d.to_string().replace(':', "%3A")),
                )
                .body(b"x"),
                resp(201),
            ),
        ],
        b"x",
    )
    .ok();
    assert_eq!(out.1, PushOutcome::Uploaded);
}

#[test]
fn chunked_push_respects_min_chunk_and_resumes_from_the_registry_range() {
    let blob: Vec<u8> = (0..25u8).collect();
    let d = Digest::sha256(&blob);
    let mut s = Session::default();
    let l = |n: u32| format!("{R}/v2/a/blobs/uploads/u?_state={n}");
    let run = drive(
        &mut BlobPush::new(&local(), &repo("a"), d, 25)
            .strategy(PushStrategy::Chunked { chunk_size: 4 }),
        &mut s,
        t0(),
        vec![
            (
                req("POST", &format!("{R}/v2/a/blobs/uploads/")),
                resp(202)
                    .header("Location", &l(0))
                    .header("OCI-Chunk-Min-Length", "10"),
            ),
            (
                req("PATCH", &l(0))
                    .header("content-range", "0-9")
                    .body(&blob[0..10]),
                resp(202).header("Location", &l(1)).header("Range", "0-9"),
            ),
            // The connection breaks during the second chunk...
            (
                req("PATCH", &l(1)).header("content-range", "10-19"),
                fail(TransportErrorKind::Interrupted),
            ),
            // ...the registry says it got up to byte 14...
            (
                req("GET", &l(1)),
                resp(204).header("Location", &l(2)).header("Range", "0-14"),
            ),
            // ...so the upload goes on from 15.
            (
                req("PATCH", &l(2))
                    .header("content-range", "15-24")
                    .body(&blob[15..25]),
                resp(202).header("Location", &l(3)).header("Range", "0-24"),
            ),
            (
                req(
                    "PUT",
                    &format!("{}&digest={}", l(3), d.to_string().replace(':', "%3A")),
                )
                .body(b""),
                resp(201),
            ),
        ],
        &blob,
    );
    assert_eq!(run.ok(), (d, PushOutcome::Uploaded));
}

#[test]
fn monolithic_refused_falls_back_to_chunks_in_a_new_session() {
    let blob = vec![7u8; 20];
    let d = Digest::sha256(&blob);
    let mut s = Session::default();
    let enc = d.to_string().replace(':', "%3A");
    let run = drive(
        &mut BlobPush::new(&local(), &repo("a"), d, 20),
        &mut s,
        t0(),
        vec![
            (
                req("POST", &format!("{R}/v2/a/blobs/uploads/")),
                resp(202).header("Location", "/v2/a/blobs/uploads/one"),
            ),
            (
                req("PUT", &format!("{R}/v2/a/blobs/uploads/one?digest={enc}")),
                resp(413),
            ),
            (
                req("POST", &format!("{R}/v2/a/blobs/uploads/")),
                resp(202).header("Location", "/v2/a/blobs/uploads/two"),
            ),
            (
                req("PATCH", &format!("{R}/v2/a/blobs/uploads/two")).body(&blob),
                resp(202)
                    .header("Location", "/v2/a/blobs/uploads/two")
                    .header("Range", "0-19"),
            ),
            (
                req("PUT", &format!("{R}/v2/a/blobs/uploads/two?digest={enc}")),
                resp(201),
            ),
        ],
        &blob,
    );
    assert_eq!(run.ok().1, PushOutcome::Uploaded);
}

#[test]
fn streamed_push_hashes_the_bytes_as_they_pass() {
    let blob = b"streamed from a pipe, size unknown".to_vec();
    let d = Digest::sha256(&blob);
    let mut s = Session::default();
    let run = drive(
        &mut BlobPush::streamed(&local(), &repo("a")),
        &mut s,
        t0(),
        vec![
            (
                req("POST", &format!("{R}/v2/a/blobs/uploads/")),
                resp(202).header("Location", "/v2/a/blobs/uploads/s"),
            ),
            (
                req("PATCH", &format!("{R}/v2/a/blobs/uploads/s"))
                    .lacks("content-range")
                    .body(&blob),
                resp(202)
                    .header("Location", "/v2/a/blobs/uploads/s")
                    .header("Range", &format!("0-{}", blob.len() - 1)),
            ),
            (
                req(
                    "PUT",
                    &format!(
                        "{R}/v2/a/blobs/uploads/s?digest={}",
                        d.to_string().replace(':', "%3A")
                    ),
                ),
                resp(201).header("Docker-Content-Digest", &d.to_string()),
            ),
        ],
        &blob,
    );
    assert_eq!(run.ok(), (d, PushOutcome::Uploaded));
}

#[test]
fn a_registry_claiming_another_digest_fails_the_push() {
    let blob = b"abc".to_vec();
    let d = Digest::sha256(&blob);
    let mut s = Session::default();
    let run = drive(
        &mut BlobPush::new(&local(), &repo("a"), d, 3),
        &mut s,
        t0(),
        vec![
            (
                req("POST", &format!("{R}/v2/a/blobs/uploads/")),
                resp(202).header("Location", "/v2/a/blobs/uploads/x"),
            ),
            (
                req(
                    "PUT",
                    &format!(
                        "{R}/v2/a/blobs/uploads/x?digest={}",
                        d.to_string().replace(':', "%3A")
                    ),
                ),
                resp(201).header("Docker-Content-Digest", &Digest::sha256(b"abd").to_string()),
            ),
        ],
        &blob,
    );
    assert!(matches!(run.result, Err(Error::Verify(_))));
}

#[test]
fn resolve_picks_the_platform_from_an_index() {
    let amd = image(b"{\"a\":1}", &[b"amd"]);
    let arm = image(b"{\"b\":1}", &[b"arm"]);
    let idx = index(&[
        (&amd, "linux", "amd64", None),
        (&arm, "linux", "arm64", Some("v8")),
    ]);
    let mut s = Session::default();
    let res = drive(
        &mut Resolve::new(
            &local(),
            &repo("a"),
            "v1",
            "linux/arm64".parse::<Platform>().unwrap(),
        ),
        &mut s,
        t0(),
        vec![
            (
                req("GET", &format!("{R}/v2/a/manifests/v1")),
                resp(200)
                    .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                    .body(&idx),
            ),
            (
                req(
                    "GET",
                    &format!("{R}/v2/a/manifests/{}", Digest::sha256(&arm)),
                ),
                oci(&arm),
            ),
        ],
        b"",
    )
    .ok();
    assert_eq!(res.manifest.bytes(), arm);
    assert_eq!(res.index.unwrap().bytes(), idx);

    let err = drive(
        &mut Resolve::new(
            &local(),
            &repo("a"),
            "v1",
            "windows/amd64".parse::<Platform>().unwrap(),
        ),
        &mut s,
        t0(),
        vec![(
            req("GET", &format!("{R}/v2/a/manifests/v1")),
            resp(200)
                .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                .body(&idx),
        )],
        b"",
    )
    .err();
    assert!(
        err.to_string().contains("linux/amd64, linux/arm64/v8"),
        "{err}"
    );
}

#[test]
fn referrers_api_then_tag_fallback() {
    let subject = Digest::sha256(b"subject");
    let sig = json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": Digest::sha256(b"sig"), "size": 3, "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json"});
    let sbom = json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": Digest::sha256(b"sbom"), "size": 4, "artifactType": "application/spdx+json"});
    let list = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [sig, sbom]}).to_string();
    let mut s = Session::default();
    let api = format!("{R}/v2/a/referrers/{subject}?artifactType=application%2Fspdx%2Bjson");
    let got = drive(
        &mut Referrers::new(&local(), &repo("a"), subject, Some("application/spdx+json")),
        &mut s,
        t0(),
        vec![(
            req("GET", &api),
            resp(200)
                .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                .body(list.as_bytes()),
        )],
        b"",
    )
    .ok();
    assert_eq!(
        got.manifests.len(),
        1,
        "filtered here: the registry did not say it filtered"
    );

    // Registry 2.8.2 has no referrers API: 404, then the sha256-<hex> tag.
    let tag_url = format!("{R}/v2/a/manifests/sha256-{}", subject.hex());
    let got = drive(
        &mut Referrers::new(&local(), &repo("a"), subject, None),
        &mut s,
        t0(),
        vec![
            (
                req("GET", &format!("{R}/v2/a/referrers/{subject}")),
                resp(404).body(b"404 page not found\n"),
            ),
            (
                req("GET", &tag_url),
                resp(200)
                    .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                    .body(list.as_bytes()),
            ),
        ],
        b"",
    )
    .ok();
    assert_eq!(got.manifests.len(), 2);

    let got = drive(
        &mut Referrers::new(&local(), &repo("a"), subject, None),
        &mut s,
        t0(),
        vec![
            (
                req("GET", &format!("{R}/v2/a/referrers/{subject}")),
                resp(404),
            ),
            (
                req("GET", &tag_url),
                resp(404).json(
                    json!({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}),
                ),
            ),
        ],
        b"",
    )
    .ok();
    assert!(got.manifests.is_empty());
}

#[test]
fn mirrors_are_tried_in_order_then_the_upstream() {
    use ocireg_core::ops::Fallback;
    use ocireg_core::registry::RegistryConfig;
    let config = RegistryConfig::default()
        .with_mirror("http://127.0.0.1:6001".parse().unwrap())
        .unwrap()
        .with_mirror("http://127.0.0.1:6002".parse().unwrap())
        .unwrap();
    let candidates = Registry::candidates("docker.io", &config).unwrap();
    let body = image(b"{}", &[]);
    let mut s = Session::default();
    let mut op = Fallback::new(candidates, |reg| {
        GetManifest::new(reg, &repo("library/alpine"), "3")
    })
    .unwrap();
    let (served_by, fetched) = drive(
        &mut op,
        &mut s,
        t0(),
        vec![
            (
                req("GET", "http://127.0.0.1:6001/v2/library/alpine/manifests/3"),
                fail(TransportErrorKind::Connect),
            ),
            (
                req("GET", "http://127.0.0.1:6001/v2/library/alpine/manifests/3"),
                fail(TransportErrorKind::Connect),
            ),
            (
                req("GET", "http://127.0.0.1:6001/v2/library/alpine/manifests/3"),
                fail(TransportErrorKind::Connect),
            ),
            (
                req("GET", "http://127.0.0.1:6001/v2/library/alpine/manifests/3"),
                fail(TransportErrorKind::Connect),
            ),
            (
                req("GET", "http://127.0.0.1:6002/v2/library/alpine/manifests/3"),
                resp(404)
                    .json(json!({"errors":[{"code":"MANIFEST_UNKNOWN","message":"not cached"}]})),
            ),
            (
                req(
                    "GET",
                    "https://registry-1.docker.io/v2/library/alpine/manifests/3",
                ),
                oci(&body),
            ),
        ],
        b"",
    )
    .ok();
    assert_eq!(served_by.host(), "registry-1.docker.io");
    assert_eq!(fetched.manifest.bytes(), body);
    assert_eq!(op.failures().len(), 2);
}

#[test]
fn a_manifest_reference_that_is_neither_tag_nor_digest_sends_nothing() {
    let body = image(b"{}", &[]);
    let raw = RawManifest::from_bytes(body, None).unwrap();
    // No scripted reply: any request would fail the test.
    fn refused<O: ocireg_core::ops::Operation>(mut op: O) -> Error
    where
        O::Output: std::fmt::Debug,
    {
        drive(&mut op, &mut Session::default(), t0(), vec![], b"").err()
    }
    for bad in ["../../x", "a?b", "a/b", "", "-x", "sha256:zz"] {
        for e in [
            refused(GetManifest::new(&local(), &repo("app"), bad)),
            refused(HeadManifest::new(&local(), &repo("app"), bad)),
            refused(PutManifest::new(&local(), &repo("app"), bad, &raw)),
        ] {
            assert!(
                matches!(
                    e,
                    Error::InvalidInput {
                        what: "manifest reference",
                        ..
                    }
                ),
                "{bad:?}: {e}"
            );
        }
    }
}

#[test]
fn a_blob_moves_to_the_next_registry_from_the_verified_offset() {
    let blob = b"0123456789".to_vec();
    let digest = Digest::sha256(&blob);
    let mirror = Registry::new(Scheme::Http, "127.0.0.1:6001").unwrap();
    let mut s = Session::default();
    let run = drive(
        &mut BlobPull::new(&mirror, &repo("library/a"), digest, Some(10)).with_fallbacks([local()]),
        &mut s,
        t0(),
        vec![
            // The mirror sends 4 bytes and breaks off, five times over
            // (each resume from where it was), then has nothing.
            (
                req(
                    "GET",
                    &format!("http://127.0.0.1:6001/v2/library/a/blobs/{digest}"),
                ),
                stream(200, &[&blob[..4]], true),
            ),
            (
                req(
                    "GET",
                    &format!("http://127.0.0.1:6001/v2/library/a/blobs/{digest}"),
                )
                .header("range", "bytes=4-"),
                resp(404),
            ),
            // Upstream carries on from byte 4.
            (
                req("GET", &format!("{R}/v2/library/a/blobs/{digest}")).header("range", "bytes=4-"),
                stream(206, &[&blob[4..]], false).header("Content-Range", "bytes 4-9/10"),
            ),
        ],
        b"",
    );
    assert_eq!(run.sink, blob);
    assert_eq!(run.ok(), digest);
}
