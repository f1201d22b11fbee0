//! The stall timeout of the fetch drive loop. Each request attempt gets
//! an `AbortController` whose signal goes with the fetch; every wait for
//! the network (the fetch until its response head, each read of a body)
//! races a `setTimeout` timer armed with what is left of the window, and
//! re-armed after progress (the head, or another KiB received). When the
//! window runs out without progress, the controller is aborted (fetch
//! and the body's reader stop, the connection is released) and the
//! attempt fails with the core's stall error, a `Timeout` the operation
//! retries or resumes like any other.
//!
//! `fetch` tells nothing of the bytes of a request body going out: while
//! a body is sent the window is stretched by the time it may take
//! without stalling ([`StallMeter::sending_unseen`]).

use std::fmt::Display;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::{select, Either};
use ocireg_core::ops::TransportError;
use ocireg_core::stall::StallMeter;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use crate::clock;

#[wasm_bindgen]
extern "C" {
    // The global `clearTimeout` of windows, workers and Node alike.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// The stall watch of one drive loop, for one request attempt at a time.
pub(crate) struct Stall {
    meter: StallMeter,
    controller: Option<AbortController>,
}

/// The time, for the meter (its origin does not matter).
fn now() -> Duration {
    Duration::from_secs_f64(js_sys::Date::now().max(0.0) / 1000.0)
}

impl Stall {
    pub(crate) fn new(window: Duration) -> Stall {
        Stall {
            meter: StallMeter::new(window),
            controller: None,
        }
    }

    /// A new attempt at `request` (named in the error): the signal its
    /// fetch must carry.
    pub(crate) fn start(&mut self, request: impl Display) -> Option<AbortSignal> {
        self.meter.restart(now());
        self.meter.describe(request);
        self.controller = AbortController::new().ok();
        self.controller.as_ref().map(AbortController::signal)
    }

    /// A request body of `bytes` goes out with the fetch.
    pub(crate) fn sending(&mut self, bytes: u64) {
        self.meter.sending_unseen(bytes);
    }

    /// The response head arrived.
    pub(crate) fn head(&mut self) {
        self.meter.advance(now());
    }

    /// `bytes` of a body arrived.
    pub(crate) fn progress(&mut self, bytes: u32) {
        self.meter.progress(u64::from(bytes), now());
    }

    /// Awaits `f`; once the attempt has waited a window without progress,
    /// aborts the attempt and fails with the stall error.
    pub(crate) async fn guard<F: Future>(&mut self, f: F) -> Result<F::Output, TransportError> {
        let mut f = pin!(f);
        self.meter.begin_wait(now());
        let out = loop {
            let left = self.meter.remaining(now());
            if left.is_zero() {
                break None;
            }
            match select(f.as_mut(), Timer::new(left)).await {
                Either::Left((out, _timer)) => break Some(out),
                Either::Right(((), _)) => continue,
            }
        };
        self.meter.end_wait(now());
        out.ok_or_else(|| {
            if let Some(c) = self.controller.take() {
                c.abort();
            }
            self.meter.error()
        })
    }
}

/// A `setTimeout` as a future; cleared when dropped (a pending timer
/// would keep Node running after the work is done).
struct Timer {
    handle: JsValue,
    fired: JsFuture,
}

impl Timer {
    fn new(after: Duration) -> Timer {
        let millis = after.as_millis().min(i32::MAX as u128) as f64;
        let mut handle = JsValue::UNDEFINED;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            handle = clock::set_timeout(&resolve, millis);
        });
        Timer {
            handle,
            fired: JsFuture::from(promise),
        }
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.fired).poll(cx).map(|_| ())
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}
