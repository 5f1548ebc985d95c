//! Progress bars on stderr, one per status sweep (users so far of Zoom's `total_records`) and one
//! for the users whose add-ons were read, with the requests made and the time Zoom's rate limits
//! held them. Shown only to a person: when stderr is a terminal,
//! logs are text and not quiet. Log lines are printed above the bars, never through them.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, OnceLock};

use extractor::http::RequestStats;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use run::Progress;

/// The bars being drawn, if any; the log writer prints around them.
static BARS: OnceLock<MultiProgress> = OnceLock::new();

/// Progress of one extract.
#[derive(Default)]
pub struct Bars {
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Bars {
    /// Starts drawing.
    pub fn start() -> Arc<dyn Progress> {
        BARS.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Arc::new(Bars::default())
    }
}

impl Progress for Bars {
    fn page(&self, label: &str, users: usize, total: Option<u64>, requests: Option<RequestStats>) {
        let Some(multi) = BARS.get() else { return };
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        let bar = bars.entry(label.to_string()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(total.unwrap_or(0)));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} users  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar
        });
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.inc(users as u64);
        if let Some(stats) = requests {
            let message = format!(
                "{} requests, {:.1} s held by Zoom's rate limits",
                stats.requests, stats.rate_limit_wait_seconds
            );
            for bar in bars.values() {
                bar.set_message(message.clone());
            }
        }
    }

    /// Clears the bars (the summary follows).
    fn finish(&self) {
        let bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        for bar in bars.values() {
            bar.finish_and_clear();
        }
        if let Some(multi) = BARS.get() {
            let _ = multi.clear();
        }
    }
}

/// stderr for log lines: printed above the bars when bars are drawn.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match BARS.get() {
            Some(multi) => multi
                .suspend(|| io::stderr().write_all(buf))
                .map(|()| buf.len()),
            None => io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
