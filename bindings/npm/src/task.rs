//! Promises for Rust futures, and what a Rust panic becomes in JavaScript.
//!
//! A wasm module built with `panic = "abort"` cannot unwind: a panic would
//! end in `RuntimeError: unreachable` and leave every pending promise
//! pending forever. Instead, the panic hook installed at start-up
//!
//! 1. rejects every promise still pending with an `Error` whose `code` is
//!    `"PANIC"` and whose message is the panic's,
//! 2. marks the module poisoned: every later call fails at once with the
//!    same error (the module's state is no longer trustworthy, and a second
//!    panic would abort without a word: the first never finished; reload
//!    the module),
//! 3. throws that error, so a synchronous caller catches it too.
//!
//! Futures are polled through a small JavaScript `try`/`catch`
//! ([`Guarded`]), so the error thrown from a panic inside a future stops at
//! that future: it never unwinds through wasm-bindgen-futures' task queue
//! (which would leave the queue stuck, and in Node end the process with an
//! uncaught exception).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::errors::error_with_code;

#[wasm_bindgen(inline_js = "
export function guarded(run) {
  try {
    run();
    return true;
  } catch (e) {
    if (e && e.name === 'OciregError' && e.code === 'PANIC') return false;
    throw e;
  }
}
")]
extern "C" {
    /// Calls `run`; `false` if it panicked.
    fn guarded(run: &mut dyn FnMut()) -> bool;
}

type TaskFuture = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// A future polled inside [`guarded`]: a panic while polling ends it with
/// the panic's error.
struct Guarded(Option<TaskFuture>);

impl Future for Guarded {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.0.as_mut() else {
            return Poll::Ready(Err(panic_error()));
        };
        let mut result = Poll::Pending;
        if guarded(&mut || result = inner.as_mut().poll(cx)) {
            return result;
        }
        // The future's frames were unwound mid-poll: its state cannot be
        // trusted, not even to be dropped.
        std::mem::forget(self.0.take());
        Poll::Ready(Err(panic_error()))
    }
}

fn panic_error() -> JsValue {
    poisoned().unwrap_or_else(|| error_with_code("PANIC", "ocireg panicked"))
}

thread_local! {
    static PENDING: RefCell<HashMap<u32, Function>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    static POISONED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the panic hook (once, at module start).
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let what = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        // The npm build drops panic locations (`-Zlocation-detail=none`,
        // see scripts/build.mjs): they are then line 0 of "<redacted>".
        let message = match info.location() {
            Some(at) if at.line() != 0 => format!(
                "ocireg panicked (this is a bug in ocireg) at {}:{}:{}: {what}",
                at.file(),
                at.line(),
                at.column()
            ),
            _ => format!("ocireg panicked (this is a bug in ocireg): {what}"),
        };
        let _ = POISONED.try_with(|p| p.try_borrow_mut().map(|mut p| *p = Some(message.clone())));
        let error = error_with_code("PANIC", &message);
        let pending = PENDING
            .try_with(|p| p.try_borrow_mut().map(|mut p| std::mem::take(&mut *p)))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        for reject in pending.values() {
            let _ = reject.call1(&JsValue::UNDEFINED, &error);
        }
        wasm_bindgen::throw_val(error);
    }));
}

/// The error every call gets after a panic, if there was one.
pub(crate) fn poisoned() -> Option<JsValue> {
    POISONED
        .try_with(|p| p.try_borrow().ok().and_then(|p| p.clone()))
        .ok()
        .flatten()
        .map(|message| error_with_code("PANIC", &message))
}

/// Fails a synchronous call after a panic.
pub(crate) fn check_poisoned() -> Result<(), JsValue> {
    match poisoned() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// A promise for `future`'s result, rejected with a readable error if
/// anything panics while it is pending.
pub(crate) fn spawn<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    // One copy of the bookkeeping for every method.
    spawn_boxed(Box::pin(future))
}

fn spawn_boxed(future: TaskFuture) -> Promise {
    if let Some(e) = poisoned() {
        return Promise::reject(&e);
    }
    let mut handles = None;
    let promise = Promise::new(&mut |resolve, reject| handles = Some((resolve, reject)));
    let Some((resolve, reject)) = handles else {
        return Promise::reject(&error_with_code("PANIC", "Promise executor did not run"));
    };
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    PENDING.with(|p| p.borrow_mut().insert(id, reject.clone()));
    wasm_bindgen_futures::spawn_local(async move {
        let result = Guarded(Some(future)).await;
        PENDING.with(|p| p.borrow_mut().remove(&id));
        let _ = match result {
            Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
            Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
        };
    });
    promise
}
