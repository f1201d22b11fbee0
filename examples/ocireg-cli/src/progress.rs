//! Progress bars on stderr (only when it is a terminal).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use ocireg::{Direction, Progress};

/// One bar per blob transfer.
#[derive(Clone)]
pub struct Bars {
    multi: MultiProgress,
    bars: Arc<Mutex<HashMap<String, ProgressBar>>>,
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Bars {
    /// Bars drawn on stderr.
    pub fn new() -> Bars {
        Bars {
            multi: MultiProgress::new(),
            bars: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Moves the bar of `p`'s blob.
    pub fn update(&self, p: &Progress) {
        let key = format!(
            "{:?} {}",
            p.direction,
            p.digest.map(|d| d.to_string()).unwrap_or_default()
        );
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        let bar = bars.entry(key).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(p.total.unwrap_or(0)));
            let style = ProgressStyle::with_template(
                "{prefix} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            let short = p
                .digest
                .map(|d| d.hex()[..12].to_string())
                .unwrap_or_else(|| "stream".into());
            let verb = match p.direction {
                Direction::Pull => "pull",
                _ => "push",
            };
            bar.set_prefix(format!("{verb} {short}"));
            bar
        });
        bar.set_position(p.done);
        if p.total == Some(p.done) {
            bar.finish();
        }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        let _ = self.multi.clear();
    }
}
