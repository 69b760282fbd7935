//! Statistics an analyst can defend (issue 12), on the real Dorset months.

use crate::common::{TempStore, cli, dorset_months};
use hotspots::ingest::IngestOptions;

fn dorset_store() -> TempStore {
    let mut t = TempStore::new();
    for m in dorset_months() {
        t.ingest(&m, &IngestOptions::default()).unwrap();
    }
    t
}

/// The number after `label` in `text` (thousands separators allowed).
fn count_after(text: &str, label: &str) -> u64 {
    let at = text.find(label).unwrap_or_else(|| panic!("{label:?} not in {text}")) + label.len();
    let digits: String = text[at..].trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == ',').collect();
    digits.replace(',', "").parse().unwrap_or_else(|_| panic!("no number after {label:?} in {text}"))
}

/// Item 3: with the false discovery rate over ~190,000 cells, 99 permutations (smallest pseudo p 0.02) could never
/// make a cell significant; the bins now come from the analytic p-values, and a warning says why and how many
/// permutations the pseudo p-values would need. Before: 0 hot cells at 99 and at 999 permutations.
#[test]
fn gistar_with_permutations_still_finds_hot_cells_and_says_why() {
    let t = dorset_store();
    let args = ["gistar", "--from", "2024-01", "--to", "2024-04", "--cell-m", "100", "--band-m", "300"];
    let analytic = cli(&t.path(), &args);
    let mut with_perm = args.to_vec();
    with_perm.extend(["--permutations", "99"]);
    let permuted = cli(&t.path(), &with_perm);
    let hot95 = count_after(&permuted, "95%");
    assert!(hot95 > 1_000, "{permuted}");
    assert_eq!(hot95, count_after(&analytic, "95%"), "the bins are the analytic ones: {analytic}\n{permuted}");
    assert!(permuted.contains("bins from the analytic p-values"), "{permuted}");
    assert!(permuted.contains("99 permutations give pseudo p-values no smaller than 2.00e-2"), "{permuted}");
    // The cells analysed are the study area's, not the whole grid's.
    let analysed = count_after(&permuted, "Gi* over");
    assert!(analysed > 10_000 && analysed < 1_000_000, "{permuted}");
}
