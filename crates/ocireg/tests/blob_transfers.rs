//! Blob transfers against the real registry (Debian's docker-registry,
//! distribution 2.8.2): chunked uploads, resumed downloads through a proxy
//! that cuts responses, a token expiring mid-push, corrupted storage, and
//! progress reports.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{blob_data_path, builder_for, client_for, pseudo_random, r};
use futures_util::StreamExt;
use ocireg::ocireg_core::digest::VerifyError;
use ocireg::source::{BlobSource, ByteStream};
use ocireg::{Client, Digest, Direction, Progress};
use ocireg_testkit::{Auth, FaultProxy, RecordedRequest, Registry, TokenPolicy};

/// A client with no credentials and no docker config.
fn plain_client() -> Client {
    Client::builder().use_docker_config(false).build().unwrap()
}

/// The blob GETs a proxy forwarded.
fn blob_gets(proxy: &FaultProxy) -> Vec<RecordedRequest> {
    proxy
        .requests()
        .into_iter()
        .filter(|q| q.method == "GET" && q.target.contains("/blobs/sha256:"))
        .collect()
}

/// `k` of a `Range: bytes=k-` header.
fn range_start(q: &RecordedRequest) -> Option<u64> {
    q.header("range")?
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}

/// `<file name>.part`, where `pull_blob_to_file` downloads to.
fn part_of(path: &std::path::Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn chunked_push_in_64k_pieces_arrives_whole() {
    let registry = Registry::start(Auth::None).unwrap();
    // Through a proxy that records each request (and cuts nothing).
    let proxy = FaultProxy::start(&registry.url()).unwrap();
    let chunk = 64 * 1024;
    let client = Client::builder()
        .use_docker_config(false)
        .chunk_size(chunk)
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = pseudo_random((1 << 20) + 123, 61);
    let path = tmp.path().join("blob.bin");
    std::fs::write(&path, &data).unwrap();

    let repo = r(&format!("{}/chunked/blob", proxy.host()));
    let (digest, size) = client.push_blob_file(&repo, &path).await.unwrap();
    assert_eq!(digest, Digest::sha256(&data));
    assert_eq!(size, data.len() as u64);

    // One PATCH per 64 KiB, each at the offset the last one ended, then a
    // PUT with the digest and no bytes.
    let requests = proxy.requests();
    let patches: Vec<&RecordedRequest> = requests.iter().filter(|q| q.method == "PATCH").collect();
    assert_eq!(patches.len() as u64, size.div_ceil(chunk), "{requests:?}");
    for (i, p) in patches.iter().enumerate() {
        let start = i as u64 * chunk;
        let end = (start + chunk).min(size) - 1;
        assert_eq!(
            p.header("content-range"),
            Some(format!("{start}-{end}").as_str()),
            "PATCH {i}"
        );
    }
    let last = requests.last().unwrap();
    assert_eq!(last.method, "PUT");
    assert!(last.target.contains("digest=sha256"), "{last:?}");
    assert!(last.target.contains(&digest.hex()), "{last:?}");

    // The registry has it whole: on disk, and pulled back directly.
    assert_eq!(
        std::fs::read(blob_data_path(&registry, &digest)).unwrap(),
        data
    );
    let direct = client_for(&registry);
    let mut back = Vec::new();
    direct
        .pull_blob(
            &r(&format!("{}/chunked/blob", registry.host())),
            &digest,
            Some(size),
            &mut back,
        )
        .await
        .unwrap();
    assert_eq!(back, data);
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_resumes_with_a_range_request_after_a_cut() {
    let registry = Registry::start(Auth::None).unwrap();
    let data = pseudo_random(1 << 20, 71);
    let direct = r(&format!("{}/resume/blob", registry.host()));
    let digest = client_for(&registry)
        .push_blob_bytes(&direct, Bytes::from(data.clone()))
        .await
        .unwrap();

    let proxy = FaultProxy::start(&registry.url()).unwrap();
    let cut = 300_000;
    proxy.cut_after("/blobs/sha256", cut, 1);
    let repo = r(&format!("{}/resume/blob", proxy.host()));
    let mut got = Vec::new();
    let pulled = plain_client()
        .pull_blob(&repo, &digest, Some(data.len() as u64), &mut got)
        .await
        .unwrap();
    assert_eq!(pulled, digest);
    assert_eq!(got, data);

    let gets = blob_gets(&proxy);
    assert_eq!(gets.len(), 2, "{gets:?}");
    assert!(
        gets[0].cut && gets[0].header("range").is_none(),
        "{:?}",
        gets[0]
    );
    let k = range_start(&gets[1]).unwrap_or_else(|| panic!("no Range: {:?}", gets[1]));
    assert!(k > 0 && k <= cut as u64, "resumed from {k}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_to_file_resumes_from_the_part_file_of_a_failed_attempt() {
    let registry = Registry::start(Auth::None).unwrap();
    let data = pseudo_random(1 << 20, 72);
    let size = data.len() as u64;
    let direct = r(&format!("{}/resume/file", registry.host()));
    let digest = client_for(&registry)
        .push_blob_bytes(&direct, Bytes::from(data.clone()))
        .await
        .unwrap();

    // Seven cuts: the first attempt uses six (its request and the five
    // resumes the client allows) and gives up; the second attempt is cut
    // once more and still finishes.
    let proxy = FaultProxy::start(&registry.url()).unwrap();
    let cut = 100_000;
    proxy.cut_after("/blobs/sha256", cut, 7);
    let repo = r(&format!("{}/resume/file", proxy.host()));
    let client = plain_client();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("layer.bin");
    let part = part_of(&out);

    let err = client
        .pull_blob_to_file(&repo, &digest, Some(size), &out)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ocireg::Error::Registry(ocireg::ocireg_core::Error::Transport(_))
        ),
        "{err:?}"
    );
    assert!(!out.exists());
    let partial = std::fs::read(&part).unwrap();
    assert!(
        !partial.is_empty() && partial.len() < data.len(),
        "{}",
        partial.len()
    );
    assert_eq!(partial, data[..partial.len()]);
    let first_attempt = blob_gets(&proxy);
    assert_eq!(first_attempt.len(), 6, "{first_attempt:?}");
    assert!(first_attempt.iter().all(|q| q.cut));

    let again = client
        .pull_blob_to_file(&repo, &digest, Some(size), &out)
        .await
        .unwrap();
    assert_eq!(again, digest);
    assert_eq!(std::fs::read(&out).unwrap(), data);
    assert!(!part.exists());

    // The second attempt starts where the part file ends.
    let second_attempt = &blob_gets(&proxy)[6..];
    assert_eq!(second_attempt.len(), 2, "{second_attempt:?}");
    assert_eq!(range_start(&second_attempt[0]), Some(partial.len() as u64));
    let k = range_start(&second_attempt[1]).unwrap();
    assert!(k > partial.len() as u64, "resumed from {k}");
}

/// The ranges a source was asked for: offset and length.
type Reads = Arc<Mutex<Vec<(u64, Option<u64>)>>>;

/// A source that waits before handing out each requested range, like a
/// slow disk or a slow upstream.
struct SlowSource {
    data: Bytes,
    pause: Duration,
    reads: Reads,
}

impl BlobSource for SlowSource {
    fn read_at(&mut self, offset: u64, len: Option<u64>) -> ByteStream<'_> {
        self.reads.lock().unwrap().push((offset, len));
        let start = (offset as usize).min(self.data.len());
        let end = len.map_or(self.data.len(), |l| {
            (start + l as usize).min(self.data.len())
        });
        let part = self.data.slice(start..end);
        let pause = self.pause;
        Box::pin(futures_util::stream::once(async move {
            tokio::time::sleep(pause).await;
            Ok(part)
        }))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn token_expiring_mid_chunked_push_is_renewed() {
    // Tokens the registry accepts for 2 s (the token server moves `exp`
    // back by the registry's 60 s leeway); the client caches each for the
    // 60 s minimum, so it learns of the expiry from a 401.
    let policy = TokenPolicy {
        expiry: Duration::from_secs(2),
        ..TokenPolicy::default()
    };
    let registry = Registry::start(Auth::Token(policy)).unwrap();
    let chunk = 16 * 1024;
    let client = builder_for(&registry).chunk_size(chunk).build().unwrap();
    let repo = r(&format!("{}/slow/blob", registry.host()));
    let data = Bytes::from(pseudo_random(5 * chunk as usize, 81));
    let digest = Digest::sha256(&data);
    let reads = Arc::new(Mutex::new(Vec::new()));
    let mut source = SlowSource {
        data: data.clone(),
        pause: Duration::from_millis(900),
        reads: reads.clone(),
    };

    let started = std::time::Instant::now();
    let outcome = client
        .push_blob(&repo, &digest, data.len() as u64, &mut source, None)
        .await
        .unwrap();
    assert_eq!(outcome, ocireg::PushOutcome::Uploaded);
    assert!(
        started.elapsed() > Duration::from_secs(3),
        "the push should span the token's life"
    );
    assert!(
        reads.lock().unwrap().len() >= 5,
        "{:?}",
        reads.lock().unwrap()
    );

    let push_tokens: Vec<_> = registry
        .token_server()
        .unwrap()
        .requests()
        .into_iter()
        .filter(|t| {
            t.status == 200
                && t.scopes
                    .iter()
                    .any(|s| s.contains("slow/blob") && s.contains("push"))
        })
        .collect();
    assert!(push_tokens.len() >= 2, "{push_tokens:?}");

    // The blob is there, whole.
    let mut back = Vec::new();
    client
        .pull_blob(&repo, &digest, Some(data.len() as u64), &mut back)
        .await
        .unwrap();
    assert_eq!(back, data);
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupted_blob_fails_verification_in_every_pull_api() {
    let registry = Registry::start(Auth::None).unwrap();
    let client = client_for(&registry);
    let repo = r(&format!("{}/corrupt/blob", registry.host()));
    let data = pseudo_random(300_000, 91);
    let size = data.len() as u64;
    let digest = client
        .push_blob_bytes(&repo, Bytes::from(data.clone()))
        .await
        .unwrap();

    // Flip one byte in the registry's storage; the size stays.
    let stored = blob_data_path(&registry, &digest);
    let mut bad = std::fs::read(&stored).unwrap();
    assert_eq!(bad, data);
    bad[150_000] ^= 0xff;
    std::fs::write(&stored, &bad).unwrap();
    let bad_digest = Digest::sha256(&bad);

    let is_mismatch = |e: &ocireg::Error| {
        matches!(
            e,
            ocireg::Error::Registry(ocireg::ocireg_core::Error::Verify(
                VerifyError::DigestMismatch { expected, actual }
            )) if *expected == digest && *actual == bad_digest
        )
    };

    for known_size in [Some(size), None] {
        let mut sink = Vec::new();
        let err = client
            .pull_blob(&repo, &digest, known_size, &mut sink)
            .await
            .unwrap_err();
        assert!(is_mismatch(&err), "{known_size:?}: {err:?}");
        assert!(err.to_string().contains("digest mismatch"), "{err}");
    }

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("blob.bin");
    let err = client
        .pull_blob_to_file(&repo, &digest, Some(size), &out)
        .await
        .unwrap_err();
    assert!(is_mismatch(&err), "{err:?}");
    assert!(!out.exists());
    assert!(!part_of(&out).exists());

    // The stream ends with the error in place of its last chunk.
    let items: Vec<Result<Bytes, ocireg::Error>> = client
        .pull_blob_stream(&repo, digest, Some(size))
        .collect()
        .await;
    let (last, rest) = items.split_last().expect("at least the error");
    assert!(matches!(last, Err(e) if is_mismatch(e)), "{last:?}");
    let mut delivered = 0;
    for item in rest {
        delivered += item.as_ref().expect("only the last item fails").len();
    }
    assert!(
        delivered < data.len(),
        "the whole blob was handed out as good"
    );
}

/// Records every progress report.
fn recording_client(registry: &Registry) -> (Client, Arc<Mutex<Vec<Progress>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let client = builder_for(registry)
        .on_progress(move |p| sink.lock().unwrap().push(p.clone()))
        .build()
        .unwrap();
    (client, events)
}

/// Reports of one transfer: same direction and digest, `done` never going
/// back, ending at the size.
fn assert_reaches(events: &[Progress], direction: Direction, digest: Digest, size: u64) {
    assert!(!events.is_empty(), "no progress reported");
    let mut last = 0;
    for e in events {
        assert_eq!(e.direction, direction);
        assert_eq!(e.digest, Some(digest));
        assert_eq!(e.total, Some(size));
        assert!(e.done >= last, "{events:?}");
        last = e.done;
    }
    assert_eq!(last, size);
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_reports_reach_the_blob_size_on_push_and_pull() {
    let registry = Registry::start(Auth::None).unwrap();
    let (client, events) = recording_client(&registry);
    let repo = r(&format!("{}/progress/blob", registry.host()));
    let data = pseudo_random(700_000, 101);
    let size = data.len() as u64;
    let digest = Digest::sha256(&data);

    client
        .push_blob_bytes(&repo, Bytes::from(data.clone()))
        .await
        .unwrap();
    let pushed = std::mem::take(&mut *events.lock().unwrap());
    assert_reaches(&pushed, Direction::Push, digest, size);
    assert!(pushed.len() > 1, "one report for 700 kB: {pushed:?}");

    let mut back = Vec::new();
    client
        .pull_blob(&repo, &digest, Some(size), &mut back)
        .await
        .unwrap();
    assert_eq!(back, data);
    let pulled = std::mem::take(&mut *events.lock().unwrap());
    assert_reaches(&pulled, Direction::Pull, digest, size);
    assert!(pulled.len() > 1, "one report for 700 kB: {pulled:?}");

    // A chunked push reports across its PATCH requests, to the end.
    let (chunked, events) = {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let client = builder_for(&registry)
            .chunk_size(128 * 1024)
            .on_progress(move |p| sink.lock().unwrap().push(p.clone()))
            .build()
            .unwrap();
        (client, events)
    };
    let other = r(&format!("{}/progress/other", registry.host()));
    chunked
        .push_blob_bytes(&other, Bytes::from(data.clone()))
        .await
        .unwrap();
    let pushed = std::mem::take(&mut *events.lock().unwrap());
    assert_reaches(&pushed, Direction::Push, digest, size);
}

/// BUG: a `.part` file that already holds the whole blob (the process
/// stopped between the last write and the rename, or the connection broke
/// right after the last byte) is never finished. `pull_blob_to_file`
/// (crates/ocireg/src/client.rs:677) resumes from `offset == size`, so
/// `BlobPull` (crates/ocireg-core/src/ops/blob_pull.rs:107, and :232 for
/// an in-process resume) asks for `Range: bytes=<size>-`. Registry 2.8.2
/// answers 416 with `Content-Length: <blob size>` and a short body, which
/// the client reports as a transport error ("error decoding response
/// body", after three retries) or, for blobs over 1 MiB, as `TooLarge`.
/// The `.part` file is kept, so every later call fails the same way, even
/// when its bytes are right; a full-length `.part` with wrong bytes is
/// never detected either.
#[tokio::test(flavor = "multi_thread")]
async fn pull_to_file_with_a_complete_part_file_only_verifies() {
    let registry = Registry::start(Auth::None).unwrap();
    let client = client_for(&registry);
    let repo = r(&format!("{}/part/blob", registry.host()));
    let data = pseudo_random(200_000, 111);
    let size = data.len() as u64;
    let digest = client
        .push_blob_bytes(&repo, Bytes::from(data.clone()))
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("blob.bin");

    // The right bytes, all of them: verify and rename, no download needed.
    std::fs::write(part_of(&out), &data).unwrap();
    let result = client
        .pull_blob_to_file(&repo, &digest, Some(size), &out)
        .await;
    assert_eq!(result.unwrap(), digest);
    assert_eq!(std::fs::read(&out).unwrap(), data);
    assert!(!part_of(&out).exists());

    // Wrong bytes of the right length: not taken as good, and not stuck:
    // at worst one call fails (and drops the part file), the next succeeds.
    std::fs::remove_file(&out).unwrap();
    let mut bad = data.clone();
    bad[5] ^= 1;
    std::fs::write(part_of(&out), &bad).unwrap();
    let first = client
        .pull_blob_to_file(&repo, &digest, Some(size), &out)
        .await;
    if first.is_err() {
        assert!(!part_of(&out).exists(), "{first:?}");
        client
            .pull_blob_to_file(&repo, &digest, Some(size), &out)
            .await
            .unwrap();
    }
    assert_eq!(std::fs::read(&out).unwrap(), data);
}
