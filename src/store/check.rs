//! SQLite's `PRAGMA quick_check` run on its own thread, so a server starts at once and learns later whether its
//! store is damaged: [`BackgroundCheck`] holds what the check found, for `/health` and the log.

use super::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Where a background check stands.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckState {
    /// Not started (a server without a store behind it).
    NotRun,
    /// Running since the server started.
    Running,
    /// The store passed, in this many seconds.
    Passed {
        /// Wall time of the check, seconds.
        seconds: f64,
    },
    /// The store is damaged (or could not be read): the problem, as [`StoreError`] words it.
    Failed {
        /// What the check found.
        problem: String,
    },
}

impl CheckState {
    /// `not_run`, `running`, `passed` or `failed`.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            CheckState::NotRun => "not_run",
            CheckState::Running => "running",
            CheckState::Passed { .. } => "passed",
            CheckState::Failed { .. } => "failed",
        }
    }
}

/// The outcome of one store check, shared between the thread running it and whoever reports it (cloning shares
/// it).
#[derive(Debug, Clone)]
pub struct BackgroundCheck {
    state: Arc<Mutex<CheckState>>,
}

impl Default for BackgroundCheck {
    fn default() -> Self {
        BackgroundCheck { state: Arc::new(Mutex::new(CheckState::NotRun)) }
    }
}

impl BackgroundCheck {
    /// A check that was never run.
    #[must_use]
    pub fn not_run() -> Self {
        BackgroundCheck::default()
    }

    /// Check the store at `path` on a new thread (its own connection, so it never holds up readers), recording the
    /// outcome here and in every clone; `on_done` is called with the final state when it ends (to log it, or to
    /// stop following the store).
    pub fn run_in_background(
        &self,
        path: &Path,
        on_done: impl FnOnce(&CheckState) + Send + 'static,
    ) -> std::thread::JoinHandle<()> {
        self.set(CheckState::Running);
        let (shared, path): (BackgroundCheck, PathBuf) = (self.clone(), path.to_owned());
        std::thread::spawn(move || {
            let started = Instant::now();
            let state = match Store::open_existing(&path).and_then(|s| s.quick_check()) {
                Ok(()) => CheckState::Passed { seconds: started.elapsed().as_secs_f64() },
                Err(e) => CheckState::Failed { problem: e.to_string() },
            };
            shared.set(state.clone());
            on_done(&state);
        })
    }

    /// Where the check stands now.
    #[must_use]
    pub fn state(&self) -> CheckState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, state: CheckState) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = state;
    }
}

/// Run the check now, on this thread (for `hotspots info --check`).
pub fn check_now(store: &Store) -> Result<f64, StoreError> {
    let started = Instant::now();
    store.quick_check()?;
    Ok(started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store with enough pages that zeroing some in the middle breaks a table or an index.
    fn filled_store(path: &Path) {
        let s = Store::open(path).unwrap();
        s.conn.execute_batch("CREATE TABLE filler (x BLOB); CREATE INDEX filler_x ON filler (x);").unwrap();
        for i in 0..400 {
            s.conn.execute("INSERT INTO filler VALUES (?1)", [format!("{i:0>300}")]).unwrap();
        }
        s.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    }

    #[test]
    fn a_background_check_passes_a_sound_store_and_fails_a_zeroed_page() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        filled_store(&path);
        let (tx, rx) = std::sync::mpsc::channel();
        let check = BackgroundCheck::not_run();
        check.run_in_background(&path, move |s| tx.send(s.clone()).unwrap()).join().unwrap();
        let told = rx.recv().unwrap();
        assert!(matches!(told, CheckState::Passed { seconds } if seconds >= 0.0), "{told:?}");
        assert_eq!(check.state(), told);
        assert_eq!(check.clone().state().label(), "passed");

        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        let end = (mid + 16384).min(bytes.len());
        bytes[mid..end].fill(0);
        std::fs::write(&path, &bytes).unwrap();
        let check = BackgroundCheck::not_run();
        check.run_in_background(&path, |_| {}).join().unwrap();
        match check.state() {
            CheckState::Failed { problem } => assert!(problem.contains("s.db"), "{problem}"),
            other => panic!("a zeroed page passed: {other:?}"),
        }
        assert_eq!(BackgroundCheck::not_run().state(), CheckState::NotRun);
    }
}
