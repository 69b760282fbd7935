//! A newcomer's first hour (issue 17): what goes wrong when the walk-through is followed as written.

use crate::common::{TempStore, chicago_options, cli_code, dorset_months};
use hotspots::ingest::{IngestError, IngestOptions};

/// Item 2: Chicago into a Dorset store is refused, saying how far and what to do, and the store is as it was;
/// allowed, it imports; a neighbouring month imports without a word.
#[test]
fn an_import_far_from_the_store_is_refused_unless_allowed() {
    let mut t = TempStore::new();
    let months = dorset_months();
    t.ingest(&months[0], &IngestOptions::default()).unwrap();
    let held = t.scalar("SELECT count(*) FROM incidents");
    let imports = t.scalar("SELECT count(*) FROM imports");
    let err = t.ingest(&crate::common::chicago(), &chicago_options()).unwrap_err();
    assert!(matches!(err, IngestError::FarAway { gap_km, .. } if gap_km > 5_000.0), "{err}");
    let text = err.to_string();
    assert!(text.contains("km from those the store holds") && text.contains("its own store"), "{text}");
    assert_eq!(t.scalar("SELECT count(*) FROM incidents"), held, "nothing of the refused file is kept");
    assert_eq!(t.scalar("SELECT count(*) FROM imports"), imports);
    // Another Dorset month lies within the store's extent.
    t.ingest(&months[1], &IngestOptions::default()).unwrap();
    // Told to mix, it imports.
    let allowed = IngestOptions { allow_far_away: true, ..chicago_options() };
    let s = t.ingest(&crate::common::chicago(), &allowed).unwrap();
    assert!(s.accepted > 200_000);
}

/// Item 4: the tasking list's default 28-day window on police.uk's monthly data says what would work.
#[test]
fn tasking_on_monthly_data_says_a_window_of_months_fits() {
    let mut t = TempStore::new();
    for m in dorset_months() {
        t.ingest(&m, &IngestOptions::default()).unwrap();
    }
    // The end of the data is 2024-04-01; 28 days before it start on 2024-03-04, after March's incidents (which
    // count at the start of their month).
    let err = cli_code(&t.path(), &["tasking"]).unwrap_err();
    assert!(err.contains("no incidents in the window 2024-03-04..2024-04-01"), "{err}");
    assert!(err.contains("a window of whole months fits it (window 3m)"), "{err}");
}
