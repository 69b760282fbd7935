//! The tasking list as text and CSV (the HTML brief is [`super::brief`]).

use super::analysis::params_text;
use super::table::thousands;
use crate::analysis::change::format_grouped;
use crate::analysis::hotspots::{Named, RankBy};
use crate::analysis::tasking::{Candidate, TaskingList};

/// `Violence and sexual offences 41%, Anti-social behaviour 22%, ...` (the first `n`).
pub(crate) fn mix_text(categories: &[Named], n: usize) -> String {
    let total: u64 = categories.iter().map(|c| c.count).sum();
    categories
        .iter()
        .take(n)
        .map(|c| format!("{} {:.0}%", c.name, 100.0 * c.count as f64 / total.max(1) as f64))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `On or near High Street (41); Shopping Area (12)`.
pub(crate) fn streets_text(streets: &[Named]) -> String {
    if streets.is_empty() {
        return "(no location text)".into();
    }
    streets.iter().map(|s| format!("{} ({})", s.name, s.count)).collect::<Vec<_>>().join("; ")
}

/// The previous window's figures, or why there are none.
pub(crate) fn change_text(list: &TaskingList, c: &Candidate) -> String {
    match (&c.change, &list.previous_note) {
        (Some(ch), _) => format!("{} -> {}: {}", thousands(ch.before as u64), thousands(c.incidents), ch.text),
        (None, Some(_)) => "no earlier data (see the note above), so no change is given".into(),
        (None, None) => "no change given".into(),
    }
}

pub(crate) fn date(t: &str) -> &str {
    t.strip_suffix("T00:00:00Z").unwrap_or(t)
}

/// The parameters used, one per line.
pub(crate) fn parameters_text(list: &TaskingList) -> String {
    let mut s = format!(
        "tasking list for the period after {} (window: the {} before it, {} to {})\n",
        date(&list.at),
        list.window_text,
        date(&crate::model::time::format_instant(list.window.from_s)),
        date(&crate::model::time::format_instant(list.window.to_s)),
    );
    s.push_str(&params_text(&list.params));
    s.push_str(&format!(
        "places: {}, ranked by {}; candidates closer than {} m merged; top {}\n",
        list.places_rule,
        match list.rank_by {
            RankBy::Count => "incidents",
            RankBy::Harm => "harm",
        },
        list.min_separation_m,
        list.top
    ));
    if let Some(c) = &list.method_choice {
        s.push_str(&format!("record: {}\n", c.sentence));
    }
    match &list.emerging_period {
        Some(p) => s.push_str(&format!("emerging classes: {} {p} steps\n", list.emerging_steps.len())),
        None => s.push_str("emerging classes: none\n"),
    }
    for note in list.previous_note.iter().chain(&list.emerging_note) {
        s.push_str(&format!("note: {note}\n"));
    }
    for w in &list.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}

/// Where a candidate is: lon/lat and BNG.
pub(crate) fn where_text(c: &Candidate) -> String {
    let mut s = format!("{:.5}, {:.5}", c.centroid_lonlat[1], c.centroid_lonlat[0]);
    if let Some([e, n]) = c.centroid_bng_m {
        s.push_str(&format!(" (BNG {:.0} E, {:.0} N)", e, n));
    }
    s
}

/// `Poole 001A (120); Poole 002B (14)`: the candidate's incidents per area of the `--by-area` layer.
pub(crate) fn by_area_text(c: &Candidate) -> String {
    c.by_area
        .iter()
        .map(|a| format!("{} ({})", if a.name.is_empty() { &a.key } else { &a.name }, a.incidents))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The list as readable text.
pub(crate) fn tasking_text(list: &TaskingList) -> String {
    let mut s = parameters_text(list);
    s.push_str(&format!(
        "\n{} candidates from {} incidents in the window\n",
        list.candidates.len(),
        thousands(list.selected_incidents)
    ));
    for c in &list.candidates {
        s.push_str(&format!(
            "\n{}. {}{}{}\n",
            c.rank,
            c.id,
            if c.merged.is_empty() { String::new() } else { format!(" (merged with {})", c.merged.join(", ")) },
            c.emerging_name.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
        ));
        if !c.name.is_empty() {
            s.push_str(&format!("   name:      {}\n", c.name));
        }
        s.push_str(&format!("   where:     {} (lat, lon)\n", where_text(c)));
        s.push_str(&format!("   streets:   {}\n", streets_text(&c.streets)));
        if !c.by_area.is_empty() {
            s.push_str(&format!("   in:        {}\n", by_area_text(c)));
        } else if !c.area_codes.is_empty() {
            s.push_str(&format!("   areas:     {}\n", c.area_codes.join(", ")));
        }
        s.push_str(&format!("   incidents: {}, harm {}\n", thousands(c.incidents), format_grouped(c.harm)));
        s.push_str(&format!("   previous:  {}\n", change_text(list, c)));
        s.push_str(&format!("   mix:       {}\n", mix_text(&c.categories, 4)));
        s.push_str(&format!(
            "   Gi* z {}; PAI in the window (in-sample) {:.1} ({:.1}% of its incidents on {:.2}% of the area, {} m2)\n",
            c.gistar_z.map_or("undefined".into(), |z| format!("{z:.2}")),
            c.pai,
            100.0 * c.hit_rate,
            100.0 * c.area_share,
            thousands(c.area_m2.round() as u64)
        ));
    }
    if let Some(nr) = &list.near_repeat {
        s.push_str(&super::tasking_nearrepeat::near_repeat_text(nr));
    }
    s
}

/// One CSV row per candidate.
pub(crate) fn tasking_csv(list: &TaskingList) -> Result<Vec<u8>, crate::report::ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "rank",
        "id",
        "name",
        "merged",
        "lon",
        "lat",
        "bng_e",
        "bng_n",
        "streets",
        "area_codes",
        "incidents",
        "harm",
        "previous_incidents",
        "change",
        "mix",
        "emerging_class",
        "gistar_z",
        "pai",
        "hit_rate",
        "area_m2",
        "by_area",
    ])?;
    for c in &list.candidates {
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        w.write_record([
            c.rank.to_string(),
            c.id.clone(),
            c.name.clone(),
            c.merged.join(" "),
            c.centroid_lonlat[0].to_string(),
            c.centroid_lonlat[1].to_string(),
            opt(c.centroid_bng_m.map(|b| b[0].round())),
            opt(c.centroid_bng_m.map(|b| b[1].round())),
            streets_text(&c.streets),
            c.area_codes.join(" "),
            c.incidents.to_string(),
            c.harm.to_string(),
            c.previous_incidents.map(|n| n.to_string()).unwrap_or_default(),
            c.change.as_ref().map(|ch| ch.text.clone()).unwrap_or_else(|| "no data for the previous window".into()),
            mix_text(&c.categories, usize::MAX),
            c.emerging_class.clone().unwrap_or_default(),
            opt(c.gistar_z),
            c.pai.to_string(),
            c.hit_rate.to_string(),
            c.area_m2.to_string(),
            by_area_text(c),
        ])?;
    }
    crate::report::csv_bytes(w)
}
