//! Time for the core, and sleeping, without `std::time` (whose clocks
//! panic on `wasm32-unknown-unknown`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // The global `setTimeout` of windows, workers and Node alike.
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(callback: &js_sys::Function, millis: f64) -> JsValue;
}

/// The wall-clock time, from `Date.now()`.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(js_sys::Date::now().max(0.0) as u64)
}

/// Waits `duration` (a `setTimeout` promise).
pub async fn sleep(duration: Duration) {
    let millis = duration.as_millis().min(i32::MAX as u128) as f64;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, millis);
    });
    // A timer cannot fail; there is nothing to report if it somehow did.
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
