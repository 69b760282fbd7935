//! The tasking list's near-repeat zones ([`crate::analysis::nearrepeat::alert`]): as of the list's `at`, for its
//! categories (the categories named like burglary when it names none), the incidents of the last `nr_days`.

use super::{TaskingList, TaskingParams};
use crate::analysis::nearrepeat::alert::{AlertError, NearRepeatAlert, near_repeat_alert};
use crate::analysis::spec::NearRepeatSpec;
use crate::model::Dataset;

impl TaskingList {
    /// The near-repeat request of this list: its `at`, categories and `nr_days` (`None` when `nr_days` is 0).
    pub fn near_repeat_spec(&self, p: &TaskingParams) -> Option<NearRepeatSpec> {
        (p.nr_days > 0).then(|| NearRepeatSpec {
            at_s: crate::model::Window::parse_instant(&self.at).ok().or(p.at_s),
            categories: p.categories.clone(),
            nr_days: p.nr_days,
        })
    }

    /// Attach near-repeat zones, linking each to the candidate whose outline holds its centre.
    pub fn set_near_repeat(&mut self, mut alert: NearRepeatAlert) {
        alert.link_candidates(self.candidates.iter().map(|c| (c.rank, c.outline_lonlat.as_slice())));
        self.near_repeat = Some(alert);
    }
}

/// Compute and attach the list's near-repeat zones (nothing when `nr_days` is 0).
pub fn add_near_repeat(list: &mut TaskingList, ds: &Dataset, p: &TaskingParams) -> Result<(), AlertError> {
    if let Some(spec) = list.near_repeat_spec(p) {
        let alert = near_repeat_alert(ds, &spec.categories, spec.at_s, spec.nr_days)?;
        list.set_near_repeat(alert);
    }
    Ok(())
}
