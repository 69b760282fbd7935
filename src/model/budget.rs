//! How long a computation may run, and a flag to stop it: the long loops (KDE rows, Gi* rows, emerging steps, hex
//! cells) call [`Budget::check`] now and then and stop with [`Stopped`] when the deadline has passed or the flag is
//! set (a server's client went away). [`Budget::unlimited`] never stops, for callers that do not need it.
//!
//! Also the cost estimate made before starting: [`MAX_WORK`] elementary steps (cells x neighbours, points x kernel
//! stencil, cells x steps) is what an analysis may cost; more cannot finish in reasonable time on any machine this
//! runs on, and is refused naming the parameter that makes it so ([`TooCostly`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a computation stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    /// The deadline passed before the computation ended.
    #[error("the computation ran past its time limit and was stopped")]
    Deadline,
    /// The cancellation flag was set (the requester went away).
    #[error("the computation was cancelled (its requester went away)")]
    Cancelled,
}

/// A deadline and a cancellation flag, cheap to clone and to check from many threads.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
}

impl Budget {
    /// Never stops.
    pub fn unlimited() -> Self {
        Budget::default()
    }

    /// Stops `limit` from now.
    pub fn with_timeout(limit: Duration) -> Self {
        Budget { deadline: Instant::now().checked_add(limit), cancel: None }
    }

    /// The same deadline, stopping also when `flag` is set.
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// A flag that cancels this budget when set (created if there was none).
    pub fn cancel_flag(&mut self) -> Arc<AtomicBool> {
        self.cancel.get_or_insert_with(|| Arc::new(AtomicBool::new(false))).clone()
    }

    /// `Err` once the deadline has passed or the flag is set.
    pub fn check(&self) -> Result<(), Stopped> {
        if self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Stopped::Cancelled);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Stopped::Deadline);
        }
        Ok(())
    }

    /// Whether [`Budget::check`] fails (for loops that only skip work and report at the end).
    pub fn stopped(&self) -> bool {
        self.check().is_err()
    }

    /// Whether this budget can ever stop.
    pub fn is_unlimited(&self) -> bool {
        self.deadline.is_none() && self.cancel.is_none()
    }
}

thread_local! {
    static CURRENT: std::cell::RefCell<Budget> = std::cell::RefCell::new(Budget::unlimited());
}

impl Budget {
    /// The budget of the work running on this thread ([`Budget::scope`]), unlimited outside one. Read it before
    /// handing work to other threads (rayon), and pass it on.
    pub fn current() -> Budget {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// Run `f` with this budget as the thread's current one (a server's computation thread).
    pub fn scope<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Restore(Budget);
        impl Drop for Restore {
            fn drop(&mut self) {
                let old = std::mem::take(&mut self.0);
                CURRENT.with(|c| *c.borrow_mut() = old);
            }
        }
        let previous = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), self.clone()));
        let _restore = Restore(previous);
        f()
    }
}

/// The most elementary steps (cells x neighbours, points x stencil cells, cells x steps) an analysis may take:
/// about a minute of one core.
pub const MAX_WORK: f64 = 3e10;

/// An analysis refused before starting: its estimated cost is beyond [`MAX_WORK`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{parameter}={value} would cost about {work:.1e} steps ({what}), more than the limit of {max:.0e}: {advice}")]
pub struct TooCostly {
    /// The parameter that makes it so (`band_m`, `bandwidth_m`, `cell_m`, `period`).
    pub parameter: &'static str,
    /// The parameter's value as the user gave it.
    pub value: String,
    /// Estimated elementary steps (cells x neighbours, points x stencil, cells x steps).
    pub work: f64,
    /// The limit the estimate exceeds ([`MAX_WORK`]).
    pub max: f64,
    /// What the steps count, in words (e.g. `cells x neighbours`).
    pub what: String,
    /// What the user can change to bring the cost down.
    pub advice: &'static str,
}

/// Refuse `work` above [`MAX_WORK`], naming `parameter`.
pub fn check_work(
    work: f64,
    parameter: &'static str,
    value: f64,
    what: impl FnOnce() -> String,
    advice: &'static str,
) -> Result<(), TooCostly> {
    if work.is_finite() && work <= MAX_WORK {
        return Ok(());
    }
    Err(TooCostly { parameter, value: format!("{value}"), work, max: MAX_WORK, what: what(), advice })
}

/// Cells of a square neighbourhood of radius `radius_m` on cells of `cell_m`, clipped to a grid of `rows` x `cols`:
/// what a stencil loop visits per cell.
pub fn stencil_cells(radius_m: f64, cell_m: f64, rows: usize, cols: usize) -> f64 {
    let side = 2.0 * (radius_m / cell_m).ceil() + 1.0;
    let side = if side.is_finite() { side } else { f64::MAX };
    side.min(rows as f64) * side.min(cols as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_deadline_or_when_cancelled() {
        assert!(Budget::unlimited().check().is_ok() && Budget::unlimited().is_unlimited());
        assert_eq!(Budget::with_timeout(Duration::ZERO).check(), Err(Stopped::Deadline));
        let mut b = Budget::with_timeout(Duration::from_secs(3600));
        assert!(b.check().is_ok());
        let flag = b.cancel_flag();
        let clone = b.clone();
        flag.store(true, Ordering::Relaxed);
        assert_eq!(clone.check(), Err(Stopped::Cancelled));
    }

    #[test]
    fn the_current_budget_is_scoped_to_the_thread() {
        let b = Budget::with_timeout(Duration::ZERO);
        assert!(Budget::current().check().is_ok());
        b.scope(|| assert_eq!(Budget::current().check(), Err(Stopped::Deadline)));
        assert!(Budget::current().check().is_ok());
        std::thread::spawn(|| assert!(Budget::current().is_unlimited())).join().unwrap();
    }

    #[test]
    fn work_beyond_the_limit_names_the_parameter() {
        assert!(check_work(1e9, "band_m", 300.0, String::new, "").is_ok());
        let e = check_work(f64::INFINITY, "band_m", 1e9, || "cells x neighbours".into(), "use a smaller band_m")
            .unwrap_err();
        assert_eq!(e.parameter, "band_m");
        assert!(e.to_string().starts_with("band_m=1000000000 would cost"), "{e}");
        assert_eq!(stencil_cells(1e9, 100.0, 10, 20), 200.0);
        assert_eq!(stencil_cells(100.0, 100.0, 1000, 1000), 9.0);
        assert_eq!(stencil_cells(1.0, 1e-300, 5, 5), 25.0);
    }
}
