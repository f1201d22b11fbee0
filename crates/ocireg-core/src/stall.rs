//! Stall detection, without a clock: the accounting both transports share
//! for their stall timeout.
//!
//! A request attempt is *stalled* when, for a whole window (60 s by
//! default), it makes no progress. Progress is the response head
//! arriving, or another [`PROGRESS_BYTES`] received or sent: a body that
//! drips a byte a second makes no progress, however long it keeps
//! dripping. Only time spent waiting for the network counts: while the
//! transport writes to a slow disk between two reads, the window does not
//! run.
//!
//! The transport brings the clock: every method takes `now`, a
//! [`Duration`] since any origin it picked (a monotonic clock's start,
//! `Date.now()`). It calls [`StallMeter::restart`] when it sends a
//! request, brackets every wait for the network with
//! [`begin_wait`](StallMeter::begin_wait) and
//! [`end_wait`](StallMeter::end_wait), reports bytes with
//! [`progress`](StallMeter::progress), and gives up the attempt with
//! [`StallMeter::error`] (a [`TransportErrorKind::Timeout`]) once
//! [`remaining`](StallMeter::remaining) is zero. The operation then
//! decides, as for any timeout: retry where that is safe, resume a blob.
//!
//! ```
//! use std::time::Duration;
//! use ocireg_core::stall::StallMeter;
//!
//! let s = Duration::from_secs;
//! let mut meter = StallMeter::new(s(5));
//! meter.restart(s(0));
//! meter.begin_wait(s(0));
//! assert_eq!(meter.remaining(s(3)), s(2));
//! meter.progress(1, s(3)); // one byte: no progress
//! assert_eq!(meter.remaining(s(3)), s(2));
//! meter.progress(2048, s(4)); // 2 KiB: the window starts again
//! assert_eq!(meter.remaining(s(4)), s(5));
//! assert!(meter.remaining(s(9)).is_zero());
//! assert_eq!(
//!     meter.error().to_string(),
//!     "timed out: the registry stopped responding (no progress for 5 s)"
//! );
//! ```

use std::fmt;
use std::time::Duration;

use crate::error::{TransportError, TransportErrorKind};

/// The stall window both clients use unless told otherwise.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Bytes that count as progress: fewer than this in a window is a stall.
pub const PROGRESS_BYTES: u64 = 1024;

/// The stall accounting of one request attempt at a time (see the
/// [module documentation](self)).
#[derive(Clone, Debug)]
pub struct StallMeter {
    window: Duration,
    /// Time waited without progress before the current wait.
    quiet: Duration,
    /// When the current wait began (or last made progress).
    since: Option<Duration>,
    /// Bytes since the last progress, fewer than [`PROGRESS_BYTES`].
    pending: u64,
    /// Time granted on top of the window until the next progress.
    granted: Duration,
    /// What is being waited for (`GET https://host/v2/...`), for the error.
    what: String,
}

impl StallMeter {
    /// A meter with this window. A zero window stalls at once; a huge one
    /// ([`Duration::MAX`]) never does.
    pub fn new(window: Duration) -> StallMeter {
        StallMeter {
            window,
            quiet: Duration::ZERO,
            since: None,
            pending: 0,
            granted: Duration::ZERO,
            what: String::new(),
        }
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// A new attempt: the whole window again.
    pub fn restart(&mut self, now: Duration) {
        self.advance(now);
    }

    /// Names the request being waited for in the error: its method and
    /// URL (shown without query, as every error shows URLs).
    pub fn describe(&mut self, what: impl fmt::Display) {
        self.what = what.to_string();
    }

    /// The transport starts waiting for the network.
    pub fn begin_wait(&mut self, now: Duration) {
        if self.since.is_none() {
            self.since = Some(now);
        }
    }

    /// The wait is over (something arrived, or the transport gave up).
    pub fn end_wait(&mut self, now: Duration) {
        if let Some(since) = self.since.take() {
            self.quiet = self.quiet.saturating_add(now.saturating_sub(since));
        }
    }

    /// `bytes` were received or sent.
    pub fn progress(&mut self, bytes: u64, now: Duration) {
        self.pending = self.pending.saturating_add(bytes);
        if self.pending >= PROGRESS_BYTES {
            self.advance(now);
        }
    }

    /// Progress whatever the byte count: the response head arrived.
    pub fn advance(&mut self, now: Duration) {
        self.pending = 0;
        self.quiet = Duration::ZERO;
        self.granted = Duration::ZERO;
        if self.since.is_some() {
            self.since = Some(now);
        }
    }

    /// A request body of `bytes` goes out unseen (a browser's `fetch`
    /// tells nothing of bytes sent): until the next progress the attempt
    /// may also take the time those bytes may take without stalling, a
    /// window per [`PROGRESS_BYTES`].
    pub fn sending_unseen(&mut self, bytes: u64) {
        let pieces = u32::try_from(bytes.div_ceil(PROGRESS_BYTES)).unwrap_or(u32::MAX);
        let time = self.window.checked_mul(pieces).unwrap_or(Duration::MAX);
        self.granted = self.granted.saturating_add(time);
    }

    /// How much longer the attempt may wait without progress; zero once
    /// it is stalled.
    pub fn remaining(&self, now: Duration) -> Duration {
        let waiting = self.since.map_or(Duration::ZERO, |s| now.saturating_sub(s));
        self.window
            .saturating_add(self.granted)
            .saturating_sub(self.quiet.saturating_add(waiting))
    }

    /// The error a stalled attempt fails with: a
    /// [`TransportErrorKind::Timeout`] saying that the registry stopped
    /// responding.
    pub fn error(&self) -> TransportError {
        let mut message = format!(
            "the registry stopped responding (no progress for {})",
            Seconds(self.window)
        );
        if !self.what.is_empty() {
            message.push_str(": ");
            message.push_str(&self.what);
        }
        TransportError::new(TransportErrorKind::Timeout, message)
    }
}

/// A duration as `60 s`, `1.5 s`.
pub struct Seconds(pub Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Whole milliseconds, without the float formatter: 1.5 s, 0.05 s.
        write!(f, "{}", self.0.as_secs())?;
        let (mut millis, mut width) = (self.0.subsec_millis(), 3);
        if millis > 0 {
            while millis % 10 == 0 {
                millis /= 10;
                width -= 1;
            }
            write!(f, ".{millis:0width$}")?;
        }
        f.write_str(" s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_print_without_trailing_zeros() {
        for (millis, want) in [
            (60_000, "60 s"),
            (1_500, "1.5 s"),
            (50, "0.05 s"),
            (1_005, "1.005 s"),
            (0, "0 s"),
        ] {
            assert_eq!(Seconds(ms(millis)).to_string(), want);
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A meter for a window of `window` ms, its attempt waiting from 0.
    fn waiting(window: u64) -> StallMeter {
        let mut m = StallMeter::new(ms(window));
        m.restart(ms(0));
        m.begin_wait(ms(0));
        m
    }

    #[test]
    fn only_waiting_counts() {
        let mut m = waiting(1000);
        m.end_wait(ms(400));
        // Ten seconds writing to a disk: not the registry's time.
        m.begin_wait(ms(10_400));
        assert_eq!(m.remaining(ms(10_700)), ms(300));
        assert!(m.remaining(ms(11_000)).is_zero());
    }

    #[test]
    fn a_drip_is_a_stall_and_a_kibibyte_is_progress() {
        let mut m = waiting(5000);
        for t in 1..=4 {
            m.progress(1, ms(t * 1000));
        }
        assert_eq!(m.remaining(ms(4000)), ms(1000));
        assert!(m.remaining(ms(5000)).is_zero());

        let mut m = waiting(5000);
        // 1 KiB in pieces, the last piece four seconds in.
        for t in 1..=4 {
            m.progress(256, ms(t * 1000));
        }
        assert_eq!(m.remaining(ms(8000)), ms(1000));
    }

    #[test]
    fn a_new_attempt_and_a_response_head_start_the_window_again() {
        let mut m = waiting(1000);
        m.end_wait(ms(900));
        m.restart(ms(2000));
        m.begin_wait(ms(2000));
        assert_eq!(m.remaining(ms(2500)), ms(500));
        m.advance(ms(2800));
        assert_eq!(m.remaining(ms(2800)), ms(1000));
        m.end_wait(ms(2900));
        assert_eq!(m.remaining(ms(5000)), ms(900));
    }

    #[test]
    fn unseen_bytes_sent_buy_a_window_per_kibibyte_until_the_head() {
        let mut m = waiting(1000);
        m.sending_unseen(2500);
        assert_eq!(m.remaining(ms(3500)), ms(500));
        m.advance(ms(3600));
        assert_eq!(m.remaining(ms(4000)), ms(600));
        m.restart(ms(5000));
        m.sending_unseen(u64::MAX);
        assert!(m.remaining(ms(5000)) > ms(1 << 40));
    }

    #[test]
    fn the_error_says_the_registry_stopped_responding() {
        let mut m = StallMeter::new(ms(1500));
        m.describe("GET http://127.0.0.1:5000/v2/app/blobs/sha256:ab?X-Amz-Signature=f00d");
        let e = m.error();
        assert_eq!(e.kind(), TransportErrorKind::Timeout);
        assert_eq!(
            e.to_string(),
            "timed out: the registry stopped responding (no progress for 1.5 s): \
             GET http://127.0.0.1:5000/v2/app/blobs/sha256:ab"
        );
        assert_eq!(
            StallMeter::new(DEFAULT_STALL_TIMEOUT).error().message(),
            "the registry stopped responding (no progress for 60 s)"
        );
        assert!(StallMeter::new(Duration::MAX).remaining(ms(0)) > ms(1 << 40));
    }
}
