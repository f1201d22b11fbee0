//! The stall timeout of the drive loop: every wait for the network
//! (connecting and waiting for the response head, each chunk of a
//! buffered or streamed body, an upload's bytes going out) is watched by
//! the core's [`StallMeter`], and an attempt that makes no progress (at
//! least 1 KiB, or its response head) for the window fails with the
//! meter's error, a `Timeout` the operation retries or resumes like any
//! other.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use ocireg_core::error::{TransportError, TransportErrorKind};
use ocireg_core::stall::StallMeter;
use tokio::time::{Instant, Sleep};

/// The longest single sleep of a watch; a longer window is slept in
/// pieces (an `Instant` a window of `Duration::MAX` away would overflow).
const LONGEST_SLEEP: Duration = Duration::from_secs(24 * 3600);

/// The stall watch of one drive loop, for one request attempt at a time.
/// Clones share it: an upload's body reports the bytes hyper takes from
/// inside the connection's task.
#[derive(Clone)]
pub(crate) struct Stall {
    origin: Instant,
    meter: Arc<Mutex<StallMeter>>,
}

impl Stall {
    pub(crate) fn new(window: Duration) -> Stall {
        Stall {
            origin: Instant::now(),
            meter: Arc::new(Mutex::new(StallMeter::new(window))),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut StallMeter, Duration) -> R) -> R {
        let now = self.origin.elapsed();
        let mut meter = self.meter.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut meter, now)
    }

    /// A new attempt at `request` (named in the error: method and URL).
    pub(crate) fn start(&self, request: impl Display) {
        self.with(|m, now| {
            m.restart(now);
            m.describe(request);
        });
    }

    /// The response head arrived.
    pub(crate) fn head(&self) {
        self.with(|m, now| m.advance(now));
    }

    /// `bytes` went out or came in.
    pub(crate) fn progress(&self, bytes: usize) {
        self.with(|m, now| m.progress(bytes as u64, now));
    }

    /// The time left before the attempt counts as stalled (it is waiting
    /// from now on).
    fn remaining(&self) -> Duration {
        self.with(|m, now| {
            m.begin_wait(now);
            m.remaining(now)
        })
    }

    /// Ends the current wait; returns the error a stall at this point is.
    fn end_wait(&self) -> TransportError {
        self.with(|m, now| {
            m.end_wait(now);
            m.error()
        })
    }

    /// Awaits `f`, or gives up with the stall error once the attempt has
    /// waited a window without progress.
    pub(crate) async fn guard<F: Future>(&self, f: F) -> Result<F::Output, TransportError> {
        let stalled = async {
            loop {
                let left = self.remaining();
                if left.is_zero() {
                    return;
                }
                tokio::time::sleep(left.min(LONGEST_SLEEP)).await;
            }
        };
        let out = tokio::select! {
            biased;
            out = f => Ok(out),
            () = stalled => Err(()),
        };
        let error = self.end_wait();
        out.map_err(|()| error)
    }

    /// `body` with its chunks counted as progress and each wait for the
    /// next chunk watched; a body error is an `Interrupted` transport
    /// error, a stall the stall error (after which the stream ends).
    pub(crate) fn body<S, E>(&self, body: S) -> Watched<S>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: Display,
    {
        Watched {
            inner: Box::pin(body),
            stall: self.clone(),
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            over: false,
        }
    }
}

/// A response body under a [`Stall`] watch (see [`Stall::body`]).
pub(crate) struct Watched<S> {
    inner: Pin<Box<S>>,
    stall: Stall,
    timer: Pin<Box<Sleep>>,
    over: bool,
}

impl<S, E> Stream for Watched<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Display,
{
    type Item = Result<Bytes, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.over {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = this.inner.as_mut().poll_next(cx) {
            this.stall.end_wait();
            return Poll::Ready(item.map(|chunk| {
                let chunk = chunk.map_err(|e| {
                    TransportError::new(TransportErrorKind::Interrupted, e.to_string())
                })?;
                this.stall.progress(chunk.len());
                Ok(chunk)
            }));
        }
        loop {
            let left = this.stall.remaining();
            if left.is_zero() {
                this.over = true;
                return Poll::Ready(Some(Err(this.stall.end_wait())));
            }
            let wake = Instant::now() + left.min(LONGEST_SLEEP);
            this.timer.as_mut().reset(wake);
            if this.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    const WINDOW: Duration = Duration::from_secs(5);

    #[tokio::test(start_paused = true)]
    async fn a_guarded_wait_without_progress_stalls() {
        let stall = Stall::new(WINDOW);
        stall.start("GET http://127.0.0.1:1/v2/");
        let started = Instant::now();
        let e = stall.guard(std::future::pending::<()>()).await.unwrap_err();
        assert_eq!(started.elapsed(), WINDOW);
        assert_eq!(e.kind(), TransportErrorKind::Timeout);
        assert!(e.message().contains("stopped responding"), "{e}");
        assert!(e.message().ends_with("GET http://127.0.0.1:1/v2/"), "{e}");

        // Progress from elsewhere (an upload's body) keeps the wait alive.
        stall.start("PUT http://127.0.0.1:1/v2/app/blobs/uploads/1");
        let feeding = async {
            for _ in 0..4 {
                tokio::time::sleep(Duration::from_secs(4)).await;
                stall.progress(1024);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        let started = Instant::now();
        stall.guard(feeding).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(17));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dripping_body_stalls_and_a_steady_one_does_not() {
        let drip = |bytes: usize, every: Duration| {
            futures_util::stream::unfold(0, move |n| async move {
                tokio::time::sleep(every).await;
                (n < 20).then(|| (Ok::<_, String>(Bytes::from(vec![b'x'; bytes])), n + 1))
            })
        };
        let stall = Stall::new(WINDOW);
        stall.start("GET http://127.0.0.1:1/v2/app/manifests/v1");
        let started = Instant::now();
        let mut body = stall.body(drip(1, Duration::from_secs(1)));
        let mut got = 0;
        let e = loop {
            match body.next().await.unwrap() {
                Ok(chunk) => got += chunk.len(),
                Err(e) => break e,
            }
        };
        // The fifth byte and the window end together: the byte is taken.
        assert_eq!((got, started.elapsed()), (5, WINDOW));
        assert_eq!(e.kind(), TransportErrorKind::Timeout);
        assert!(body.next().await.is_none());

        // 1 KiB every four seconds is progress, for as long as it lasts.
        stall.start("GET http://127.0.0.1:1/v2/app/blobs/sha256:ab");
        let body = stall.body(drip(1024, Duration::from_secs(4)));
        let chunks: Vec<_> = body.collect().await;
        assert_eq!(chunks.len(), 20);
        assert!(chunks.iter().all(Result::is_ok));
    }
}
