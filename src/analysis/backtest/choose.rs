//! Choosing the method by its record: [`choose_method`] backtests the default methods on the history before an
//! instant and returns the one that caught most of the next periods at 1% of the study area, with the evidence.

use super::{Backtest, BacktestParams, CoverageRecord, DEFAULT_FOLDS, MIN_FOLDS, MethodRecord, Stat, backtest};
use crate::analysis::points::WeightMode;
use crate::analysis::predict::{Period, PredictError, PredictMethod, Weights};
use crate::model::Dataset;
use crate::model::text::thousands;
use serde::{Deserialize, Serialize};

/// The coverage the choice is made at, percent of the study area.
pub const CHOICE_COVERAGE_PCT: f64 = 1.0;

/// The most incidents [`choose_method`] reads in the periods it tests (folds and their lookbacks). A county's three
/// years are a few hundred thousand, and choose in about a second; a national store's are over ten million, and
/// would take most of a minute (measured in BENCHMARKS.md), so above this the choice is [`DEFAULT_METHOD`], with a
/// sentence saying why.
pub const CHOICE_MAX_INCIDENTS: usize = 3_000_000;

/// The method used when fewer than [`MIN_FOLDS`] folds of history can be tested: the incidents per cell over the
/// last 3 periods (decayed with a 10-year half-life, which barely changes them, and breaks ties by recency) plus 10%
/// of their quartic kernel density with a 300 m bandwidth, as expected incidents per cell. The smoothing breaks the
/// many ties between cells with one or two incidents in favour of busy neighbourhoods, and fills the coverage where
/// counts alone run out of cells. Measured in `EVALUATION.md`: on the shared Dorset months and on Chicago 2017
/// (28-day and monthly periods) its mean hit rate at 0.5%, 1%, 2% and 5% of the study area was at least that of
/// every count baseline fitted on the same folds, and the highest of the blends tried (half-lives of 180 days to 10
/// years, bandwidths of 100 to 300 m, 0.1% to 20% smoothing).
pub const DEFAULT_METHOD: PredictMethod =
    PredictMethod::Blend { half_life_days: 3650, bandwidth_m: 300.0, smoothing: 0.1, periods: 3 };

/// The methods a backtest tries by default: counts over the last 1, 2, 3, 6 and 12 periods (2: police.uk's gaps
/// often leave two months, not three, before a fold); exponential decay with
/// half-lives of 60 days (over 6 periods) and 180 days (over 12); exact quartic KDE at 25 m (below the default 50 m
/// cell), 100 m and 250 m over 3 periods; prospective hotspotting with the published 400 m and 8 weeks; and the
/// blend of [`DEFAULT_METHOD`] over the same 1, 2, 3, 6 and 12 periods as the counts, so that every count baseline has
/// its smoothed twin whatever history the store holds.
pub fn default_methods() -> Vec<PredictMethod> {
    let mut v: Vec<PredictMethod> = [
        "counts:1",
        "counts:2",
        "counts:3",
        "counts:6",
        "counts:12",
        "decay:60d:6",
        "decay:180d:12",
        "kde:25:3",
        "kde:100:3",
        "kde:250:3",
        "prospective:400:8w",
    ]
    .iter()
    .filter_map(|t| t.parse().ok())
    .collect();
    for periods in [1, 2, 3, 6, 12] {
        if let PredictMethod::Blend { half_life_days, bandwidth_m, smoothing, .. } = DEFAULT_METHOD {
            v.push(PredictMethod::Blend { half_life_days, bandwidth_m, smoothing, periods });
        }
    }
    v
}

/// A method's record at the choice's coverage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The method and its parameters.
    pub method: PredictMethod,
    /// Its text form (`counts:3`).
    pub text: String,
    /// What it does, for people.
    pub description: String,
    /// Hit rate (count) or harm captured (harm) over the folds.
    pub caught: Stat,
    /// The share of the study area its places covered (mean over folds).
    pub area_share: f64,
    /// Folds it was scored on.
    pub folds: usize,
}

impl Record {
    fn of(m: &MethodRecord, c: &CoverageRecord, weight: WeightMode) -> Option<Record> {
        Some(Record {
            method: m.method,
            text: m.text.clone(),
            description: m.description.clone(),
            caught: measure(c, weight)?,
            area_share: c.area_share.map_or(0.0, |s| s.mean),
            folds: c.per_fold.len(),
        })
    }
}

fn measure(c: &CoverageRecord, weight: WeightMode) -> Option<Stat> {
    match weight {
        WeightMode::Count => c.hit_rate,
        WeightMode::Harm => c.harm_captured,
    }
}

/// Why this method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceReason {
    /// The best record in the backtest.
    Backtest,
    /// Too little history to test: [`DEFAULT_METHOD`].
    Default,
    /// More history than [`CHOICE_MAX_INCIDENTS`] to test: [`DEFAULT_METHOD`].
    TooMuchHistory,
}

/// The method chosen and the evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodChoice {
    /// The method chosen.
    pub method: PredictMethod,
    /// Its text form (`decay:60d:6`).
    pub text: String,
    /// What it does, for people.
    pub description: String,
    /// Whether the backtest chose it or it is the default for too little history.
    pub reason: ChoiceReason,
    /// What the choice measured: hit rate (count) or harm captured (harm).
    pub weight: WeightMode,
    /// The coverage the methods were compared at, percent of the study area.
    pub coverage_pct: f64,
    /// The period length of the folds.
    pub period: Period,
    /// Folds the methods were compared on (newest first).
    pub fold_labels: Vec<String>,
    /// The chosen method's record (when it could be tested).
    pub record: Option<Record>,
    /// The best count baseline's record.
    pub baseline: Option<Record>,
    /// In plain words.
    pub sentence: String,
    /// Anything else to know (periods skipped, ties...), for people.
    pub notes: Vec<String>,
}

/// The parameters [`choose_method`] backtests with.
pub fn choice_params(categories: &[String], weights: &Weights, at_s: i64, cell_m: f64) -> BacktestParams {
    BacktestParams {
        categories: categories.to_vec(),
        methods: default_methods(),
        coverages_pct: vec![CHOICE_COVERAGE_PCT],
        folds: DEFAULT_FOLDS,
        period: None,
        at_s: Some(at_s),
        cell_m,
        weights: weights.clone(),
        max_incidents: Some(CHOICE_MAX_INCIDENTS),
    }
}

/// Backtest [`default_methods`] on the history before `at_s` (natural periods, up to [`DEFAULT_FOLDS`] folds, cells
/// of `cell_m`) and return the method with the highest mean hit rate (harm captured with harm weights) at 1% of the
/// study area; ties go to the simpler method ([`PredictMethod::complexity`]). With fewer than [`MIN_FOLDS`] folds,
/// or more than [`CHOICE_MAX_INCIDENTS`] incidents in the periods to test, [`DEFAULT_METHOD`].
///
/// Every method competes, also one that scored too few cells to fill the 1%: its places then cover less area, which
/// can only lower its hit rate, so a higher hit rate on less area is a better record, not a flattered one (unlike
/// PAI, which a smaller area inflates). The area each covered is part of the evidence and of the sentence.
pub fn choose_method(
    ds: &Dataset,
    categories: &[String],
    weights: &Weights,
    at_s: i64,
    cell_m: f64,
) -> Result<MethodChoice, PredictError> {
    choose_method_within(ds, categories, weights, at_s, cell_m, CHOICE_MAX_INCIDENTS)
}

/// [`choose_method`] reading at most `max_incidents` incidents in the periods it tests ([`DEFAULT_METHOD`] with a
/// sentence saying so above that).
pub fn choose_method_within(
    ds: &Dataset,
    categories: &[String],
    weights: &Weights,
    at_s: i64,
    cell_m: f64,
    max_incidents: usize,
) -> Result<MethodChoice, PredictError> {
    let params =
        BacktestParams { max_incidents: Some(max_incidents), ..choice_params(categories, weights, at_s, cell_m) };
    match backtest(ds, &params) {
        Ok(bt) => Ok(choose_from(&bt)),
        Err(PredictError::NoData(why)) => Ok(default_choice(None, weights.mode, Period::natural(ds), vec![why])),
        Err(PredictError::TooMuchHistory { incidents, limit }) => {
            Ok(too_much_history(weights.mode, Period::natural(ds), incidents, limit))
        }
        Err(e) => Err(e),
    }
}

/// The choice from a backtest that includes [`CHOICE_COVERAGE_PCT`].
pub fn choose_from(bt: &Backtest) -> MethodChoice {
    let weight = bt.weight;
    let records: Vec<Record> =
        bt.evaluated().filter_map(|m| Record::of(m, m.at(CHOICE_COVERAGE_PCT)?, weight)).collect();
    if bt.folds.len() < MIN_FOLDS {
        let own = records.iter().find(|r| r.method == DEFAULT_METHOD).cloned();
        let mut notes = bt.notes.clone();
        notes.push(format!(
            "only {} {} of history can be tested; at least {MIN_FOLDS} are needed to choose",
            bt.folds.len(),
            plural(bt.folds.len(), &bt.period.word())
        ));
        let mut c = default_choice(own, weight, bt.period, notes);
        c.fold_labels = bt.folds.iter().map(|f| f.label.clone()).collect();
        return c;
    }
    let better = |a: &Record, b: &Record| {
        let (x, y) = (a.caught.mean, b.caught.mean);
        if (x - y).abs() > 1e-12 * x.abs().max(y.abs()) { x > y } else { a.method.complexity() < b.method.complexity() }
    };
    let mut best: Option<&Record> = None;
    for r in &records {
        if best.is_none_or(|b| better(r, b)) {
            best = Some(r);
        }
    }
    let mut baseline: Option<&Record> = None;
    for r in records.iter().filter(|r| r.method.is_counts()) {
        if baseline.is_none_or(|b| better(r, b)) {
            baseline = Some(r);
        }
    }
    let Some(best) = best.cloned() else {
        return default_choice(None, weight, bt.period, bt.notes.clone());
    };
    let fold_labels: Vec<String> = bt.folds.iter().map(|f| f.label.clone()).collect();
    let sentence = sentence(&best, baseline, bt.period, weight, &fold_labels, bt.folds_contiguous());
    MethodChoice {
        method: best.method,
        text: best.text.clone(),
        description: best.description.clone(),
        reason: ChoiceReason::Backtest,
        weight,
        coverage_pct: CHOICE_COVERAGE_PCT,
        period: bt.period,
        fold_labels,
        record: Some(best),
        baseline: baseline.cloned(),
        sentence,
        notes: bt.notes.clone(),
    }
}

impl Backtest {
    /// Whether the folds are consecutive periods.
    fn folds_contiguous(&self) -> bool {
        self.folds.windows(2).all(|w| w[0].from == w[1].to)
    }
}

fn default_choice(own: Option<Record>, weight: WeightMode, period: Period, notes: Vec<String>) -> MethodChoice {
    let m = DEFAULT_METHOD;
    let mut sentence = format!(
        "too little history to compare methods: using the default, {}, which caught at least as much as the busiest \
         cells by count in every backtest on the shared Dorset and Chicago data",
        m.describe(&period.word())
    );
    if let Some(r) = &own {
        sentence.push_str(&format!(
            "; here it caught {} of the next {}'s {} on {} of the area over {} {}",
            pct(r.caught.mean),
            period.word(),
            what(weight),
            pct(r.area_share),
            r.folds,
            plural(r.folds, &period.word())
        ));
    }
    MethodChoice {
        method: m,
        text: m.to_string(),
        description: m.describe(&period.word()),
        reason: ChoiceReason::Default,
        weight,
        coverage_pct: CHOICE_COVERAGE_PCT,
        period,
        fold_labels: Vec::new(),
        record: own,
        baseline: None,
        sentence,
        notes,
    }
}

/// [`DEFAULT_METHOD`] because the history to test holds more than `limit` incidents.
fn too_much_history(weight: WeightMode, period: Period, incidents: usize, limit: usize) -> MethodChoice {
    let m = DEFAULT_METHOD;
    let sentence = format!(
        "too much history here to compare methods quickly ({} incidents in the {}s to test, more than {}): using the \
         default, {}, which caught at least as much as the busiest cells by count in every backtest on the shared \
         Dorset and Chicago data; narrow the place or the categories to have the methods compared, or run a \
         backtest on its own",
        thousands(incidents as u64),
        period.word(),
        thousands(limit as u64),
        m.describe(&period.word())
    );
    MethodChoice { reason: ChoiceReason::TooMuchHistory, sentence, ..default_choice(None, weight, period, Vec::new()) }
}

fn what(weight: WeightMode) -> &'static str {
    match weight {
        WeightMode::Count => "incidents",
        WeightMode::Harm => "harm",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { word.to_owned() } else { format!("{word}s") }
}

/// A share as a percentage with one decimal.
fn pct(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// "over the last 6 months, places chosen this way caught 41.2% (between 38.0% and 44.9%) of the next month's
/// incidents on 1.0% of the area; the busiest cells by count alone caught 39.5%".
fn sentence(
    best: &Record,
    baseline: Option<&Record>,
    period: Period,
    weight: WeightMode,
    folds: &[String],
    contiguous: bool,
) -> String {
    let word = period.word();
    let over = if contiguous {
        format!("over the last {} {}", folds.len(), plural(folds.len(), &word))
    } else {
        format!(
            "over {} {} tested ({} to {})",
            folds.len(),
            plural(folds.len(), &word),
            folds.last().map_or("", String::as_str),
            folds.first().map_or("", String::as_str)
        )
    };
    let mut s = format!(
        "{over}, places chosen this way caught {} (between {} and {}) of the next {word}'s {} on {} of the area",
        pct(best.caught.mean),
        pct(best.caught.min),
        pct(best.caught.max),
        what(weight),
        pct(best.area_share)
    );
    match baseline {
        Some(b) if b.method == best.method => s.push_str("; this is the busiest cells by count alone"),
        Some(b) => {
            s.push_str(&format!("; the busiest cells by count alone caught {}", pct(b.caught.mean)));
            if (b.area_share - best.area_share).abs() > 0.0005 {
                s.push_str(&format!(" (on {} of the area)", pct(b.area_share)));
            }
        }
        None => {}
    }
    s
}
