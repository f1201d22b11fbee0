//! The stall timeout of the fetch transport, in Node, against the registry
//! that stops responding which `scripts/wasm-tests` starts
//! (`OCIREG_WASM_STALL`, see `examples/test-servers.rs`). It has no CORS,
//! so these tests do not run in a browser.
#![cfg(target_family = "wasm")]

use std::time::Duration;

use ocireg_core::ops::TransportErrorKind;
use ocireg_wasm::{Client, Digest, Error};
use wasm_bindgen_test::wasm_bindgen_test;

/// The window the tests give.
const WINDOW: Duration = Duration::from_millis(500);

fn client() -> Client {
    let Some(url) = option_env!("OCIREG_WASM_STALL") else {
        panic!("the wasm tests need the test servers: run scripts/wasm-tests");
    };
    Client::builder(url).stall_timeout(WINDOW).build().unwrap()
}

/// Checks that `result` is the stall error, and came after `attempts`
/// windows at least and within a generous bound.
fn stalled<T: std::fmt::Debug>(result: Result<T, Error>, started: f64, attempts: u32) {
    let elapsed = Duration::from_millis((js_sys::Date::now() - started) as u64);
    let err = result.unwrap_err();
    match &err {
        Error::Registry(ocireg_core::Error::Transport(t)) => {
            assert_eq!(t.kind(), TransportErrorKind::Timeout, "{err}");
            assert!(
                t.message()
                    .starts_with("the registry stopped responding (no progress for 0.5 s)"),
                "{err}"
            );
        }
        other => panic!("expected the stall error, got {other}"),
    }
    assert!(elapsed >= WINDOW * attempts, "{elapsed:?}: {err}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}: {err}");
}

fn repo(path: &str) -> ocireg_core::Repository {
    path.parse().unwrap()
}

/// A registry that never answers: the fetch is aborted, retried, and the
/// last attempt's stall is the error.
#[wasm_bindgen_test]
async fn a_registry_that_never_answers_stalls() {
    let started = js_sys::Date::now();
    stalled(client().ping().await, started, 4);
}

#[wasm_bindgen_test]
async fn a_head_without_its_body_stalls() {
    let started = js_sys::Date::now();
    let result = client().get_manifest(&repo("stall/head"), "v1").await;
    stalled(result, started, 4);
}

/// A byte every 100 ms is five bytes a window: no progress.
#[wasm_bindgen_test]
async fn a_dripping_body_stalls() {
    let started = js_sys::Date::now();
    let result = client().get_manifest(&repo("stall/drip"), "v1").await;
    stalled(result, started, 4);
}

/// A streamed blob stalls after 2 KiB: each resume stalls again, and the
/// pull fails once the resumes run out.
#[wasm_bindgen_test]
async fn a_stalled_blob_is_resumed_then_fails() {
    let started = js_sys::Date::now();
    let mut sink = Vec::new();
    let digest = Digest::sha256(b"never all of it");
    let result = client()
        .pull_blob(
            &repo("stall/blob"),
            &digest,
            Some(64 << 10),
            &mut sink,
            None,
        )
        .await;
    stalled(result, started, 6);
    assert_eq!(sink.len(), 2 << 10, "each byte once, though sent six times");
}
