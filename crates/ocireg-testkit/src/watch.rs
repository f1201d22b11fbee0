//! Runs a program (the real `ocireg` binary, say) under watch: its wall
//! time, its peak resident memory, its output, with limits that kill it.
//!
//! The limits are correctness bounds, not benchmarks: a program that hangs
//! is killed at the wall limit, one that takes gigabytes is killed at the
//! memory limit, and the test says so instead of hanging or swapping the
//! machine. The peak memory is `VmHWM` from `/proc/<pid>/status`, read
//! every few milliseconds while the child runs (Linux only; the last
//! reading before the child exits counts, so a peak in its very last
//! milliseconds can be missed: keep the bounds generous).
//!
//! ```no_run
//! use std::process::Command;
//! use std::time::Duration;
//! use ocireg_testkit::Watch;
//!
//! let run = Watch::new(Command::new("true"))
//!     .wall_limit(Duration::from_secs(10))
//!     .rss_limit_mib(256)
//!     .run()?;
//! assert_eq!(run.code(), Some(0));
//! assert!(run.peak_rss_mib() < 64.0);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How much of the child's standard output a [`Watched`] keeps.
pub const STDOUT_KEPT: usize = 1 << 20;

/// How often the child is looked at.
const POLL: Duration = Duration::from_millis(5);

/// A command to run under watch (see the module documentation).
#[must_use]
pub struct Watch {
    command: Command,
    wall: Duration,
    rss_kib: u64,
    on_poll: Option<Box<dyn FnMut()>>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("command", &self.command)
            .field("wall", &self.wall)
            .field("rss_kib", &self.rss_kib)
            .finish_non_exhaustive()
    }
}

/// How a watched run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited with this code.
    Exited(i32),
    /// A signal it did not expect ended it (a crash: `SIGSEGV`, `SIGABRT`).
    Signal(i32),
    /// It ran past the wall limit and was killed.
    KilledAtWallLimit,
    /// Its resident memory passed the limit and it was killed.
    KilledAtRssLimit,
}

/// What a watched run did.
#[derive(Debug, Clone)]
pub struct Watched {
    /// How it ended.
    pub ending: Ending,
    /// From start to end (or to the kill).
    pub elapsed: Duration,
    /// The highest `VmHWM` seen, in KiB.
    pub peak_rss_kib: u64,
    /// The first [`STDOUT_KEPT`] bytes of its standard output.
    pub stdout: Vec<u8>,
    /// How many bytes it wrote to standard output in all.
    pub stdout_len: u64,
    /// Its standard error (the first [`STDOUT_KEPT`] bytes).
    pub stderr: String,
}

impl Watched {
    /// The exit code, if it exited by itself.
    pub fn code(&self) -> Option<i32> {
        match self.ending {
            Ending::Exited(code) => Some(code),
            _ => None,
        }
    }

    /// The peak resident memory in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }

    /// Standard output as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

impl Watch {
    /// Watches `command` with a 60 s wall limit and a 1 GiB memory limit;
    /// its stdin is closed, stdout and stderr are captured.
    pub fn new(command: Command) -> Watch {
        Watch {
            command,
            wall: Duration::from_secs(60),
            rss_kib: 1 << 20,
            on_poll: None,
        }
    }

    /// Kills the child once it has run this long.
    pub fn wall_limit(mut self, limit: Duration) -> Watch {
        self.wall = limit;
        self
    }

    /// Kills the child once its resident memory passes `mib` MiB.
    pub fn rss_limit_mib(mut self, mib: u64) -> Watch {
        self.rss_kib = mib.saturating_mul(1024);
        self
    }

    /// Calls `f` at every look at the running child (to sample the size
    /// of a file it writes, say), and once more after it ended.
    pub fn on_poll(mut self, f: impl FnMut() + 'static) -> Watch {
        self.on_poll = Some(Box::new(f));
        self
    }

    /// Runs the command to its end (or its kill).
    pub fn run(mut self) -> io::Result<Watched> {
        let started = Instant::now();
        let mut child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let mut poll = self.on_poll.take();
        let mut peak = 0;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Ok(status);
            }
            peak = peak.max(vm_hwm_kib(child.id()).unwrap_or(0));
            if let Some(f) = poll.as_mut() {
                f();
            }
            if peak > self.rss_kib {
                break Err(kill(&mut child, Ending::KilledAtRssLimit)?);
            }
            if started.elapsed() > self.wall {
                break Err(kill(&mut child, Ending::KilledAtWallLimit)?);
            }
            std::thread::sleep(POLL);
        };
        let elapsed = started.elapsed();
        if let Some(f) = poll.as_mut() {
            f();
        }
        let ending = match status {
            Ok(status) => ending_of(status),
            Err(killed) => killed,
        };
        let (stdout, stdout_len) = stdout.join().unwrap_or_default();
        let (stderr, _) = stderr.join().unwrap_or_default();
        Ok(Watched {
            ending,
            elapsed,
            peak_rss_kib: peak,
            stdout,
            stdout_len,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
}

fn ending_of(status: ExitStatus) -> Ending {
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(signal)) => Ending::Signal(signal),
        (None, None) => Ending::Signal(0),
    }
}

fn kill(child: &mut Child, why: Ending) -> io::Result<Ending> {
    child.kill()?;
    child.wait()?;
    Ok(why)
}

/// Reads a pipe to its end on a thread, keeping the first
/// [`STDOUT_KEPT`] bytes and counting all of them.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<(Vec<u8>, u64)> {
    std::thread::spawn(move || {
        let (mut kept, mut total) = (Vec::new(), 0u64);
        let Some(mut pipe) = pipe else {
            return (kept, total);
        };
        let mut buf = vec![0u8; 64 << 10];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            total = total.saturating_add(n as u64);
            let room = STDOUT_KEPT.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        (kept, total)
    })
}

/// `VmHWM` (peak resident set) of a process, in KiB.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_output_and_memory() {
        let mut c = Command::new("sh");
        c.args(["-c", "printf hello; echo oops >&2; exit 3"]);
        let run = Watch::new(c).run().unwrap();
        assert_eq!(run.ending, Ending::Exited(3));
        assert_eq!(run.stdout, b"hello");
        assert_eq!(run.stdout_len, 5);
        assert_eq!(run.stderr, "oops\n");
        assert!(vm_hwm_kib(std::process::id()).unwrap() > 0);
    }

    #[test]
    fn a_hang_is_killed_at_the_wall_limit() {
        let mut c = Command::new("sleep");
        c.arg("30");
        let run = Watch::new(c)
            .wall_limit(Duration::from_millis(200))
            .run()
            .unwrap();
        assert_eq!(run.ending, Ending::KilledAtWallLimit);
        assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    }

    #[test]
    fn a_memory_hog_is_killed_at_the_rss_limit() {
        // Holds 64 MiB of touched memory in a shell variable.
        let mut c = Command::new("sh");
        c.args([
            "-c",
            "x=$(head -c 67108864 /dev/zero | tr '\\0' a); sleep 30",
        ]);
        let run = Watch::new(c).rss_limit_mib(16).run().unwrap();
        assert_eq!(run.ending, Ending::KilledAtRssLimit);
        assert!(run.peak_rss_mib() > 16.0);
    }

    #[test]
    fn output_past_the_kept_part_is_counted() {
        let mut c = Command::new("head");
        c.args(["-c", "3000000", "/dev/zero"]);
        let run = Watch::new(c).run().unwrap();
        assert_eq!(run.code(), Some(0));
        assert_eq!(run.stdout.len(), STDOUT_KEPT);
        assert_eq!(run.stdout_len, 3_000_000);
    }
}
