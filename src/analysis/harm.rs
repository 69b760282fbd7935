//! Crime harm weights: one robbery is not one bicycle theft.
//!
//! A [`HarmTable`] gives each incident category a non-negative weight, so that analyses can sum *harm* instead of
//! counting incidents. The default table, [`HarmTable::police_uk_default`], weights police.uk's 14 street-level
//! categories with the **Cambridge Crime Harm Index** (CCHI); [`HarmTable::from_csv_path`] loads a partnership's own
//! table instead.
//!
//! # Source
//!
//! - Method: Sherman, L. W., Neyroud, P. W. and Neyroud, E. (2016), *The Cambridge Crime Harm Index: Measuring Total
//!   Harm from Crime Based on Sentencing Guidelines*, Policing: A Journal of Policy and Practice 10(3), 171–183,
//!   <https://doi.org/10.1093/police/paw003>. Each offence is weighted by the Sentencing Council starting point for
//!   a first offender at the least aggravated level, in days of custody; community orders and fines are converted to
//!   day equivalents.
//! - Values: Cambridge Centre for Evidence-Based Policing, *Cambridge Crime Harm Index, 2026 update* (values sheet,
//!   786 Home Office offence classifications), <https://www.cambridge-ebp.co.uk/crime-harm-index>.
//! - Volumes: Home Office, *Police recorded crime and outcomes open data tables*, police force area table, financial
//!   year 2024/25, 43 territorial forces (released 23 April 2026),
//!   <https://www.gov.uk/government/statistical-data-sets/police-recorded-crime-and-outcomes-open-data-tables>.
//!
//! The per-subgroup CCHI figures and the volumes were read from a public summary of those two spreadsheets (the
//! `isthisben/cbl-realcrime` repository), not from the spreadsheets themselves; `fixtures/harm/README.md` gives the
//! files and commits, and `fixtures/harm/derivation.csv` every raw figure.
//!
//! # Units
//!
//! Days of imprisonment equivalent per offence. Only ratios matter when ranking places: with the default table one
//! robbery (365) weighs as much as 182.5 bicycle thefts (2).
//!
//! # Derivation
//!
//! police.uk categories each aggregate many Home Office offence codes, so each weight is built in three steps:
//!
//! 1. each category is the set of Home Office recorded-crime offence subgroups it covers (Burglary = residential +
//!    non-residential burglary, and so on);
//! 2. a subgroup's weight is the median CCHI value over the CCHI 2026 offence rows in that subgroup (where all rows
//!    agree, as for robbery, shoplifting, bicycle theft and theft from the person, that is every offence's value);
//! 3. a category's weight is the mean of its subgroups' weights weighted by their 2024/25 national counts, rounded
//!    to two decimals. Burglary = (273.5 × 166,316 + 183.5 × 78,332) / 244,648 = 244.68.
//!
//! **Anti-social behaviour is a convention, not data**: ASB incidents are not crimes, carry no sentence and have no
//! CCHI value. The table gives them 1 day, the lowest value any offence has in the CCHI 2026 sheet, so ASB counts as
//! much as the least harmful crime. Load another table to weight it differently (0 leaves it out of harm totals).
//!
//! | category | weight (days) |
//! | --- | ---: |
//! | Anti-social behaviour | 1 (convention) |
//! | Bicycle theft | 2 |
//! | Burglary | 244.68 |
//! | Criminal damage and arson | 11.18 |
//! | Drugs | 3.66 |
//! | Other crime | 10 |
//! | Other theft | 2 |
//! | Possession of weapons | 273.75 |
//! | Public order | 7.5 |
//! | Robbery | 365 |
//! | Shoplifting | 1 |
//! | Theft from the person | 2 |
//! | Vehicle crime | 5 |
//! | Violence and sexual offences | 194.21 |
//!
//! Caveat: "Violence and sexual offences" averages homicide (5,475) down to harassment (10) over the national mix;
//! police.uk records do not say which kind of violence an incident was, so nothing finer is possible from them.
//!
//! # Matching category names
//!
//! [`HarmTable::weight`] tries the exact name first, then the name with case ignored, surrounding whitespace
//! trimmed and inner runs of whitespace collapsed (`"  ROBBERY "` finds `Robbery`). Two rows of a user's table that
//! are equal under that folding are rejected as duplicates, so a lookup never has two answers.
//!
//! # Example
//!
//! ```
//! use hotspots::analysis::harm::HarmTable;
//!
//! let table = HarmTable::police_uk_default();
//! assert_eq!(table.weight("Robbery"), Some(365.0));
//! assert_eq!(table.weight("bicycle theft"), Some(2.0));
//!
//! // Weights for a dataset's categories, in id order; unknown names get the fallback and are reported.
//! let categories = vec!["Burglary".to_string(), "Fly-tipping".to_string()];
//! let (weights, missing) = table.weights_for(&categories, 1.0);
//! assert_eq!(weights, vec![244.68, 1.0]);
//! assert_eq!(missing, vec!["Fly-tipping".to_string()]);
//! ```
//!
//! # Complexity
//!
//! Lookups are O(log n) for an exact name and O(m) to fold a name of m characters; loading a CSV of n rows is
//! O(n log n).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The label of [`HarmTable::police_uk_default`].
pub const POLICE_UK_DEFAULT_LABEL: &str =
    "Cambridge CHI 2026 update (Sherman, Neyroud & Neyroud 2016), police.uk mapping v1";

/// The default weights, days of imprisonment equivalent (see the module documentation and
/// `fixtures/harm/derivation.csv`). Kept sorted by name; `fixtures/harm/police_uk_default.csv` holds the same table.
const POLICE_UK_DEFAULT: [(&str, f64); 14] = [
    ("Anti-social behaviour", 1.0),
    ("Bicycle theft", 2.0),
    ("Burglary", 244.68),
    ("Criminal damage and arson", 11.18),
    ("Drugs", 3.66),
    ("Other crime", 10.0),
    ("Other theft", 2.0),
    ("Possession of weapons", 273.75),
    ("Public order", 7.5),
    ("Robbery", 365.0),
    ("Shoplifting", 1.0),
    ("Theft from the person", 2.0),
    ("Vehicle crime", 5.0),
    ("Violence and sexual offences", 194.21),
];

/// What is wrong with a weight in a user's harm table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightProblem {
    /// The row has fewer fields than the header, so there is no weight at all.
    Missing,
    /// The weight field is empty.
    Empty,
    /// The weight does not parse as a number.
    NotANumber,
    /// The weight is NaN.
    NaN,
    /// The weight is infinite.
    Infinite,
    /// The weight is below zero.
    Negative,
}

impl fmt::Display for WeightProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WeightProblem::Missing => "missing (the row has fewer fields than the header)",
            WeightProblem::Empty => "empty",
            WeightProblem::NotANumber => "not a number",
            WeightProblem::NaN => "NaN",
            WeightProblem::Infinite => "infinite",
            WeightProblem::Negative => "negative",
        })
    }
}

/// Errors loading a harm table. Each names the file and, where there is one, the line (the header is line 1).
#[derive(Debug, thiserror::Error)]
pub enum HarmError {
    /// The file could not be opened or read.
    #[error("cannot read harm table {}: {source}", path.display())]
    Io {
        /// The harm table's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid CSV (or not UTF-8).
    #[error("harm table {}{}: not readable as CSV: {source}", path.display(), line_suffix(*line))]
    Csv {
        /// The harm table's path.
        path: PathBuf,
        /// The line the CSV reader stopped at, when it knows (the header is line 1).
        line: Option<u64>,
        /// The CSV reader's error.
        #[source]
        source: csv::Error,
    },
    #[error(
        "harm table {} line 1: no '{column}' column (the header has: {}); the first row must name a 'category' \
         and a 'weight' column, other columns are ignored",
        path.display(),
        found.join(", ")
    )]
    /// The header lacks a required column.
    MissingColumn {
        /// The harm table's path.
        path: PathBuf,
        /// The column missing: `category` or `weight`.
        column: &'static str,
        /// The header's column names, as read.
        found: Vec<String>,
    },
    #[error(
        "harm table {} line 1: the header has more than one '{column}' column; keep one so it is clear which to read",
        path.display()
    )]
    /// The header names a required column twice.
    DuplicateColumn {
        /// The harm table's path.
        path: PathBuf,
        /// The column named twice: `category` or `weight`.
        column: &'static str,
    },
    #[error("harm table {} line {line}: the category is empty; every row needs a category name", path.display())]
    /// A row has an empty category name.
    EmptyCategory {
        /// The harm table's path.
        path: PathBuf,
        /// The row's line (the header is line 1).
        line: u64,
    },
    #[error(
        "harm table {} line {line}: weight '{value}' for category '{category}' is {problem}; weights must be \
         finite numbers >= 0 (for example days of imprisonment equivalent)",
        path.display()
    )]
    /// A row's weight is missing, not a number, not finite or negative.
    BadWeight {
        /// The harm table's path.
        path: PathBuf,
        /// The row's line (the header is line 1).
        line: u64,
        /// The row's category, as written.
        category: String,
        /// The weight as written.
        value: String,
        /// What is wrong with it.
        problem: WeightProblem,
    },
    #[error(
        "harm table {} line {line}: category '{category}' is listed twice (first at line {first_line} as \
         '{first}'); names are matched ignoring case and surrounding spaces, so keep one row per category",
        path.display()
    )]
    /// A category is listed twice (names compared ignoring case and surrounding spaces).
    Duplicate {
        /// The harm table's path.
        path: PathBuf,
        /// The second row's line.
        line: u64,
        /// The category as written on the second row.
        category: String,
        /// The category as written on the first row.
        first: String,
        /// The first row's line.
        first_line: u64,
    },
    #[error("harm table {} has a header but no categories; add one 'category,weight' row per category", path.display())]
    /// The file has a header but no category rows.
    NoRows {
        /// The harm table's path.
        path: PathBuf,
    },
}

fn line_suffix(line: Option<u64>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}

/// A harm weight per category name (finite, >= 0), with a label saying where the weights come from.
///
/// Entries are kept sorted by name. See the [module documentation](self) for the default table, its source and
/// units, and how names are matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HarmTable {
    label: String,
    weights: BTreeMap<String, f64>,
    /// Folded name (see [`fold`]) -> weight, for the case-insensitive fallback.
    #[serde(skip)]
    folded: HashMap<String, f64>,
}

/// The key for case-insensitive matching: lowercase, trimmed, inner whitespace runs collapsed to one space.
fn fold(name: &str) -> String {
    name.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

impl HarmTable {
    /// The Cambridge Crime Harm Index weights for police.uk's 14 street-level categories, in days of imprisonment
    /// equivalent, labelled [`POLICE_UK_DEFAULT_LABEL`]. Anti-social behaviour is 1 day by convention.
    pub fn police_uk_default() -> Self {
        let weights: BTreeMap<String, f64> = POLICE_UK_DEFAULT.iter().map(|&(n, w)| (n.to_owned(), w)).collect();
        let folded = weights.iter().map(|(n, &w)| (fold(n), w)).collect();
        HarmTable { label: POLICE_UK_DEFAULT_LABEL.to_owned(), weights, folded }
    }

    /// Load a user's table from a CSV file with a header naming a `category` and a `weight` column (matched
    /// ignoring case and surrounding spaces, in any order; other columns are ignored). The label is the path.
    ///
    /// Every problem is an error naming the file and line: a missing column, an empty category, a weight that is
    /// missing, empty, non-numeric, NaN, infinite or negative, a category listed twice (ignoring case), no rows.
    pub fn from_csv_path(path: &Path) -> Result<Self, HarmError> {
        let file = std::fs::File::open(path).map_err(|source| HarmError::Io { path: path.to_owned(), source })?;
        Self::from_csv_reader(file, path)
    }

    /// As [`from_csv_path`](Self::from_csv_path), from any reader; `origin` names the data in the label and in
    /// error messages.
    pub fn from_csv_reader<R: Read>(mut reader: R, origin: &Path) -> Result<Self, HarmError> {
        let path = || origin.to_owned();
        // Harm tables are a few dozen rows: read them whole, so line numbers can be counted from the bytes
        // (`csv::Position::line` is off by the blank lines before a record when lines end in CRLF).
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|source| HarmError::Io { path: path(), source })?;
        let mut lines = LineCounter::new(&bytes);
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes.as_slice());
        let headers = match rdr.headers() {
            Ok(headers) => headers.clone(),
            Err(source) => return Err(csv_error(origin, &mut lines, source)),
        };
        let column = |name: &'static str| -> Result<usize, HarmError> {
            let mut found = headers
                .iter()
                .enumerate()
                .filter(|(_, h)| h.trim_start_matches('\u{feff}').trim().eq_ignore_ascii_case(name));
            match (found.next(), found.next()) {
                (Some((i, _)), None) => Ok(i),
                (Some(_), Some(_)) => Err(HarmError::DuplicateColumn { path: path(), column: name }),
                (None, _) => Err(HarmError::MissingColumn {
                    path: path(),
                    column: name,
                    found: headers.iter().map(str::to_owned).collect(),
                }),
            }
        };
        let category_col = column("category")?;
        let weight_col = column("weight")?;

        let mut weights = BTreeMap::new();
        // Folded name -> (weight, name as written, line), to report duplicates with the first occurrence.
        let mut seen: HashMap<String, (f64, String, u64)> = HashMap::new();
        let mut record = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(source) => return Err(csv_error(origin, &mut lines, source)),
            }
            let line = record.position().map_or(0, |p| lines.line_of_record_at(p.byte()));
            if record.iter().all(|field| field.trim().is_empty()) {
                continue;
            }
            let category = record.get(category_col).unwrap_or("").trim();
            if category.is_empty() {
                return Err(HarmError::EmptyCategory { path: path(), line });
            }
            let raw = record.get(weight_col);
            let weight = parse_weight(raw).map_err(|problem| HarmError::BadWeight {
                path: path(),
                line,
                category: category.to_owned(),
                value: raw.unwrap_or("").to_owned(),
                problem,
            })?;
            let key = fold(category);
            if let Some((_, first, first_line)) = seen.get(&key) {
                return Err(HarmError::Duplicate {
                    path: path(),
                    line,
                    category: category.to_owned(),
                    first: first.clone(),
                    first_line: *first_line,
                });
            }
            seen.insert(key, (weight, category.to_owned(), line));
            weights.insert(category.to_owned(), weight);
        }
        if weights.is_empty() {
            return Err(HarmError::NoRows { path: path() });
        }
        let folded = seen.into_iter().map(|(key, (weight, _, _))| (key, weight)).collect();
        Ok(HarmTable { label: origin.display().to_string(), weights, folded })
    }

    /// The weight of a category: the exact name first, then ignoring case and surrounding/repeated whitespace.
    pub fn weight(&self, category: &str) -> Option<f64> {
        self.weights.get(category).or_else(|| self.folded.get(&fold(category))).copied()
    }

    /// Where the weights come from: [`POLICE_UK_DEFAULT_LABEL`], or the path of a loaded file.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Every (category, weight), sorted by category name.
    pub fn entries(&self) -> impl Iterator<Item = (&str, f64)> {
        self.weights.iter().map(|(name, &weight)| (name.as_str(), weight))
    }

    /// Weights for a dataset's categories in id order (`categories[i]` is category id `i`). A category the table
    /// does not know gets `missing` (used as given) and its name is reported, once, in first-seen order.
    pub fn weights_for(&self, categories: &[String], missing: f64) -> (Vec<f64>, Vec<String>) {
        let mut absent: Vec<String> = Vec::new();
        let weights = categories
            .iter()
            .map(|name| {
                self.weight(name).unwrap_or_else(|| {
                    if !absent.contains(name) {
                        absent.push(name.clone());
                    }
                    missing
                })
            })
            .collect();
        (weights, absent)
    }
}

fn parse_weight(raw: Option<&str>) -> Result<f64, WeightProblem> {
    let text = raw.ok_or(WeightProblem::Missing)?.trim();
    if text.is_empty() {
        return Err(WeightProblem::Empty);
    }
    let value: f64 = text.parse().map_err(|_| WeightProblem::NotANumber)?;
    if value.is_nan() {
        Err(WeightProblem::NaN)
    } else if value.is_infinite() {
        Err(WeightProblem::Infinite)
    } else if value < 0.0 {
        Err(WeightProblem::Negative)
    } else {
        // -0.0 passes the test above; store it as 0.0.
        Ok(value + 0.0)
    }
}

fn csv_error(origin: &Path, lines: &mut LineCounter<'_>, source: csv::Error) -> HarmError {
    let line = source.position().map(|p| lines.line_of_record_at(p.byte()));
    HarmError::Csv { path: origin.to_owned(), line, source }
}

/// 1-based line numbers of records, from the byte offsets the CSV reader reports. Offsets must not decrease.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Bytes before `pos` have been counted; `pos` never splits a CRLF pair.
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, pos: 0, line: 1 }
    }

    /// The line a record starts on, given the offset where the reader began reading it: skip the line breaks the
    /// reader consumed before the record (blank lines, the previous record's terminator), counting every CRLF, LF or
    /// lone CR as one break.
    fn line_of_record_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        while self.pos < start {
            match self.bytes[self.pos] {
                b'\n' => self.line += 1,
                b'\r' => {
                    self.line += 1;
                    if self.bytes.get(self.pos + 1) == Some(&b'\n') {
                        self.pos += 1;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const POLICE_UK_CATEGORIES: [&str; 14] = [
        "Anti-social behaviour",
        "Bicycle theft",
        "Burglary",
        "Criminal damage and arson",
        "Drugs",
        "Other crime",
        "Other theft",
        "Possession of weapons",
        "Public order",
        "Robbery",
        "Shoplifting",
        "Theft from the person",
        "Vehicle crime",
        "Violence and sexual offences",
    ];

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/harm").join(name)
    }

    /// Write `content` to a temporary CSV file; the directory lives as long as the returned guard.
    fn temp_csv(content: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("harm.csv");
        std::fs::File::create(&path).unwrap().write_all(content).unwrap();
        (dir, path)
    }

    fn load_err(content: &str) -> (HarmError, PathBuf) {
        let (_dir, path) = temp_csv(content.as_bytes());
        let err = HarmTable::from_csv_path(&path).unwrap_err();
        (err, path)
    }

    fn w(table: &HarmTable, name: &str) -> f64 {
        table.weight(name).unwrap()
    }

    // --- the default table ---

    #[test]
    fn default_covers_the_14_police_uk_categories_with_finite_positive_weights() {
        let table = HarmTable::police_uk_default();
        let names: Vec<&str> = table.entries().map(|(n, _)| n).collect();
        assert_eq!(names, POLICE_UK_CATEGORIES);
        for (name, weight) in table.entries() {
            assert!(weight.is_finite() && weight > 0.0, "{name}: {weight}");
        }
        // No two names fold to the same key, so the case-insensitive fallback is unambiguous.
        assert_eq!(table.folded.len(), 14);
    }

    #[test]
    fn default_orderings_supported_by_the_source() {
        let t = HarmTable::police_uk_default();
        // Every CCHI row for robbery is 365 days, every one for bicycle theft and theft from the person 2.
        assert!(w(&t, "Robbery") > w(&t, "Bicycle theft"));
        assert!(w(&t, "Robbery") > w(&t, "Theft from the person"));
        // Shoplifting rows are all 1 day: the least harmful crime.
        assert!(w(&t, "Theft from the person") > w(&t, "Shoplifting"));
        assert!(w(&t, "Violence and sexual offences") > w(&t, "Shoplifting"));
        assert!(w(&t, "Burglary") > w(&t, "Other theft"));
        assert!(w(&t, "Possession of weapons") > w(&t, "Public order"));
        assert!(w(&t, "Criminal damage and arson") > w(&t, "Shoplifting"));
    }

    #[test]
    fn asb_is_the_convention_floor() {
        let t = HarmTable::police_uk_default();
        let asb = w(&t, "Anti-social behaviour");
        assert_eq!(asb, 1.0);
        for (name, weight) in t.entries() {
            assert!(asb <= weight, "ASB {asb} above {name} {weight}");
        }
    }

    #[test]
    fn default_label_names_the_source() {
        let t = HarmTable::police_uk_default();
        assert_eq!(t.label(), POLICE_UK_DEFAULT_LABEL);
        assert!(t.label().contains("Cambridge") && t.label().contains("police.uk"));
    }

    #[test]
    fn default_equals_the_fixture_csv() {
        let loaded = HarmTable::from_csv_path(&fixture("police_uk_default.csv")).unwrap();
        let default = HarmTable::police_uk_default();
        assert_eq!(loaded.entries().collect::<Vec<_>>(), default.entries().collect::<Vec<_>>());
    }

    /// Recompute every category weight from the raw figures in `derivation.csv` (volume-weighted mean of subgroup
    /// weights, rounded to 2 decimals; ASB by convention) and check the default table against it.
    #[test]
    fn default_matches_the_derivation() {
        let mut rdr = csv::Reader::from_path(fixture("derivation.csv")).unwrap();
        let headers = rdr.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (cat, rule, sub_w, vol, cat_w) = (
            col("police_uk_category"),
            col("rule"),
            col("subgroup_weight_days"),
            col("national_volume_2024_25"),
            col("category_weight_days"),
        );
        let mut sums: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        let mut stated: BTreeMap<String, f64> = BTreeMap::new();
        for record in rdr.records() {
            let r = record.unwrap();
            let name = r[cat].to_owned();
            let category_weight: f64 = r[cat_w].parse().unwrap();
            if let Some(previous) = stated.insert(name.clone(), category_weight) {
                assert_eq!(previous, category_weight, "{name}: rows disagree on the category weight");
            }
            match &r[rule] {
                "volume_weighted_mean" => {
                    let volume: f64 = r[vol].parse().unwrap();
                    let weight: f64 = r[sub_w].parse().unwrap();
                    let entry = sums.entry(name).or_insert((0.0, 0.0));
                    entry.0 += weight * volume;
                    entry.1 += volume;
                }
                "convention_floor" => assert_eq!(name, "Anti-social behaviour"),
                other => panic!("unknown rule {other}"),
            }
        }
        let table = HarmTable::police_uk_default();
        assert_eq!(stated.keys().map(String::as_str).collect::<Vec<_>>(), POLICE_UK_CATEGORIES);
        for (name, (weighted, volume)) in &sums {
            let recomputed = (weighted / volume * 100.0).round() / 100.0;
            assert_eq!(recomputed, stated[name], "{name}");
            assert_eq!(w(&table, name), recomputed, "{name}");
        }
        assert_eq!(w(&table, "Anti-social behaviour"), stated["Anti-social behaviour"]);
    }

    // --- lookup ---

    #[test]
    fn lookup_is_exact_then_case_insensitive_and_trimmed() {
        let t = HarmTable::police_uk_default();
        assert_eq!(t.weight("Robbery"), Some(365.0));
        assert_eq!(t.weight("robbery"), Some(365.0));
        assert_eq!(t.weight("  ROBBERY \t"), Some(365.0));
        assert_eq!(t.weight("violence  and SEXUAL offences"), Some(194.21));
        assert_eq!(t.weight("Robber"), None);
        assert_eq!(t.weight(""), None);
    }

    #[test]
    fn weights_for_keeps_id_order_and_reports_missing_names_once() {
        let t = HarmTable::police_uk_default();
        let cats: Vec<String> = ["Shoplifting", "Domestic abuse", "burglary", "Night-time economy", "Domestic abuse"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (weights, missing) = t.weights_for(&cats, 0.5);
        assert_eq!(weights, vec![1.0, 0.5, 244.68, 0.5, 0.5]);
        assert_eq!(missing, vec!["Domestic abuse".to_string(), "Night-time economy".to_string()]);
    }

    #[test]
    fn weights_for_empty_and_all_known() {
        let t = HarmTable::police_uk_default();
        assert_eq!(t.weights_for(&[], 1.0), (vec![], vec![]));
        let all: Vec<String> = POLICE_UK_CATEGORIES.iter().map(|s| s.to_string()).collect();
        let (weights, missing) = t.weights_for(&all, f64::NAN);
        assert!(missing.is_empty());
        assert!(weights.iter().all(|w| w.is_finite()));
    }

    // --- CSV: success ---

    #[test]
    fn csv_reads_columns_in_any_order_ignoring_extras_case_bom_spaces_and_crlf() {
        let (_dir, path) = temp_csv(
            b"\xEF\xBB\xBF Weight ,notes,CATEGORY\r\n2.5,local,Night-time economy\r\n\r\n0,,Fly-tipping\r\n 10 ,x,  Domestic abuse  \r\n",
        );
        let t = HarmTable::from_csv_path(&path).unwrap();
        assert_eq!(
            t.entries().collect::<Vec<_>>(),
            vec![("Domestic abuse", 10.0), ("Fly-tipping", 0.0), ("Night-time economy", 2.5)]
        );
        assert_eq!(t.label(), path.display().to_string());
        assert_eq!(t.weight("domestic ABUSE"), Some(10.0));
    }

    #[test]
    fn csv_accepts_exponents_and_turns_negative_zero_into_zero() {
        let (_dir, path) = temp_csv(b"category,weight\nA,1e2\nB,-0\n");
        let t = HarmTable::from_csv_path(&path).unwrap();
        assert_eq!(t.weight("A"), Some(100.0));
        let zero = t.weight("B").unwrap();
        assert!(zero == 0.0 && zero.is_sign_positive());
    }

    #[test]
    fn csv_skips_rows_whose_fields_are_all_blank() {
        let (_dir, path) = temp_csv(b"category,weight\n , \nA,1\n");
        let t = HarmTable::from_csv_path(&path).unwrap();
        assert_eq!(t.entries().count(), 1);
    }

    // --- CSV: errors ---

    fn assert_bad_weight(content: &str, expect_line: u64, expect: WeightProblem) {
        let (err, path) = load_err(content);
        match &err {
            HarmError::BadWeight { path: p, line, problem, .. } => {
                assert_eq!((p, *line, *problem), (&path, expect_line, expect), "{err}");
            }
            other => panic!("expected BadWeight, got {other}"),
        }
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()) && message.contains(&format!("line {expect_line}")));
    }

    #[test]
    fn csv_rejects_negative_weights_with_the_line() {
        assert_bad_weight("category,weight\nA,1\nB,-3\n", 3, WeightProblem::Negative);
    }

    #[test]
    fn csv_rejects_nan_and_infinite_weights() {
        assert_bad_weight("category,weight\nA,NaN\n", 2, WeightProblem::NaN);
        assert_bad_weight("category,weight\nA,1\nB,2\nC,inf\n", 4, WeightProblem::Infinite);
        assert_bad_weight("category,weight\nA,-infinity\n", 2, WeightProblem::Infinite);
    }

    #[test]
    fn csv_rejects_non_numeric_empty_and_missing_weights() {
        assert_bad_weight("category,weight\nA,abc\n", 2, WeightProblem::NotANumber);
        assert_bad_weight("category,weight\nA,1\nB, 12 days\n", 3, WeightProblem::NotANumber);
        assert_bad_weight("category,weight\nA,\n", 2, WeightProblem::Empty);
        assert_bad_weight("category,weight\nA,1\nB\n", 3, WeightProblem::Missing);
    }

    #[test]
    fn csv_line_numbers_count_blank_lines_and_crlf() {
        assert_bad_weight("category,weight\r\n\r\nA,1\r\n\r\nB,x\r\n", 5, WeightProblem::NotANumber);
        assert_bad_weight("category,weight\n\nA,1\n\nB,x\n", 5, WeightProblem::NotANumber);
        assert_bad_weight("category,weight\rA,1\r\rB,x\r", 4, WeightProblem::NotANumber);
        // A quoted field spanning two lines moves the next row down a line.
        assert_bad_weight("category,weight,note\nA,1,\"two\r\nlines\"\nB,-1,\n", 4, WeightProblem::Negative);
    }

    #[test]
    fn csv_rejects_duplicates_ignoring_case_and_spaces() {
        let (err, _) = load_err("category,weight\nBurglary,1\nRobbery,2\n  burglary ,3\n");
        match &err {
            HarmError::Duplicate { line, category, first, first_line, .. } => {
                assert_eq!((*line, category.as_str(), first.as_str(), *first_line), (4, "burglary", "Burglary", 2));
            }
            other => panic!("expected Duplicate, got {other}"),
        }
        assert!(err.to_string().contains("line 4") && err.to_string().contains("first at line 2"));
    }

    #[test]
    fn csv_rejects_missing_header_columns() {
        let (err, path) = load_err("name,weight\nA,1\n");
        match &err {
            HarmError::MissingColumn { path: p, column, found } => {
                assert_eq!((p, *column, found.clone()), (&path, "category", vec!["name".to_string(), "weight".into()]));
            }
            other => panic!("expected MissingColumn, got {other}"),
        }
        assert!(err.to_string().contains("line 1"));
        let (err, _) = load_err("category,harm\nA,1\n");
        assert!(matches!(err, HarmError::MissingColumn { column: "weight", .. }), "{err}");
        let (err, _) = load_err("");
        assert!(matches!(err, HarmError::MissingColumn { column: "category", .. }), "{err}");
    }

    #[test]
    fn csv_rejects_a_repeated_header_column() {
        let (err, _) = load_err("category,weight,Weight\nA,1,2\n");
        assert!(matches!(err, HarmError::DuplicateColumn { column: "weight", .. }), "{err}");
    }

    #[test]
    fn csv_rejects_empty_categories() {
        let (err, _) = load_err("category,weight\nA,1\n  ,2\n");
        assert!(matches!(err, HarmError::EmptyCategory { line: 3, .. }), "{err}");
    }

    #[test]
    fn csv_rejects_a_header_without_rows() {
        let (err, _) = load_err("category,weight\n");
        assert!(matches!(err, HarmError::NoRows { .. }), "{err}");
    }

    #[test]
    fn csv_reports_unreadable_files_and_bad_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.csv");
        let err = HarmTable::from_csv_path(&path).unwrap_err();
        assert!(matches!(err, HarmError::Io { .. }), "{err}");
        assert!(err.to_string().contains("absent.csv"));

        let (_dir, path) = temp_csv(b"category,weight\nA,1\n\xFF\xFE,2\n");
        let err = HarmTable::from_csv_path(&path).unwrap_err();
        assert!(matches!(err, HarmError::Csv { line: Some(3), .. }), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");
    }
}
