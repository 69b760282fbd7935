//! Progress of an import. The terminal implementation shows an indicatif bar on stderr only when stderr is a
//! terminal and only once an import has run for more than a second, so logs and pipes get nothing of it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Receives progress of one file at a time.
pub trait ImportProgress: Sync {
    /// A file starts: its name as shown to the user and its size in bytes (compressed size for gzip).
    fn begin(&self, file: &str, total_bytes: u64);
    /// Progress so far in the current file: bytes read from disk and rows parsed.
    fn advance(&self, bytes_done: u64, rows: u64);
    /// The current file is done (imported, refused or failed).
    fn end(&self);
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn begin(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64, _: u64) {}
    fn end(&self) {}
}

/// An indicatif bar on stderr, drawn only on a terminal and only after the first second.
#[derive(Debug, Default)]
pub struct TerminalProgress {
    state: Mutex<Option<(ProgressBar, Instant, bool)>>,
}

const SHOW_AFTER: Duration = Duration::from_secs(1);

impl TerminalProgress {
    /// A bar that shows nothing until an import has run for a second on a terminal.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ImportProgress for TerminalProgress {
    fn begin(&self, file: &str, total_bytes: u64) {
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, eta {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        {
            bar.set_style(style);
        }
        let name = std::path::Path::new(file).file_name().map_or(file.into(), |n| n.to_string_lossy().into_owned());
        bar.set_message(name);
        if let Ok(mut s) = self.state.lock() {
            *s = Some((bar, Instant::now(), false));
        }
    }

    fn advance(&self, bytes_done: u64, _rows: u64) {
        if let Ok(mut s) = self.state.lock()
            && let Some((bar, started, shown)) = s.as_mut()
        {
            if !*shown && started.elapsed() >= SHOW_AFTER {
                // `stderr()` draws nothing when stderr is not a terminal.
                bar.set_draw_target(ProgressDrawTarget::stderr());
                *shown = true;
            }
            bar.set_position(bytes_done);
        }
    }

    fn end(&self) {
        if let Ok(mut s) = self.state.lock()
            && let Some((bar, _, _)) = s.take()
        {
            bar.finish_and_clear();
        }
    }
}
