use super::AnalysisParams;
use super::TaskingParams;
use super::*;
use proptest::prelude::*;

fn pairs_of(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn read<P: Params>(q: &str) -> Result<P, SpecError> {
    let pairs = pairs_of(q);
    from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), |_| false)
}

/// Writing a request and reading it back gives the same request.
fn round_trips<P: Params + PartialEq + std::fmt::Debug>(p: &P) {
    let text = canonical(p);
    let back: P = read(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(&back, p, "{text}");
    assert_eq!(canonical(&back), text);
}

/// Every documented parameter is read by `set`, and `set` reads nothing undocumented.
fn docs_match_set<P: Params>(samples: &[(&str, &str)]) {
    let docs = P::docs();
    for d in &docs {
        let value = samples.iter().find(|(k, _)| *k == d.name).map_or("1", |(_, v)| *v);
        let mut p = P::default();
        assert!(p.set(d.name, value).unwrap_or_else(|e| panic!("{}={value}: {e}", d.name)), "{} not read", d.name);
    }
    let mut p = P::default();
    assert!(!p.set("colour", "red").unwrap());
    let mut names: Vec<&str> = docs.iter().map(|d| d.name).collect();
    names.sort_unstable();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n, "a parameter is documented twice");
}

const SAMPLES: &[(&str, &str)] = &[
    ("from", "2024-01"),
    ("to", "2024-04"),
    ("category", "Burglary"),
    ("kernel", "gaussian"),
    ("weight", "harm"),
    ("method", "kde"),
    ("predictor", "counts:3"),
    ("top_share", "0.02"),
    ("rank_by", "harm"),
    ("before", "2024-01..2024-02"),
    ("after", "2024-02..2024-03"),
    ("hotspot", "h50-1-2"),
    ("fdr_q", "0.1"),
    ("period", "week"),
    ("at", "2024-04"),
    ("window", "3m"),
    ("nr_days", "7"),
    ("fdr", "false"),
    ("resolution", "8"),
    ("k", "2"),
    ("cell_m", "50"),
    ("bandwidth_m", "250"),
    ("band_m", "300"),
    ("bbox", "-2.5,50.5,-1.7,51.0"),
];

#[test]
fn every_documented_parameter_is_read() {
    docs_match_set::<HotspotSpec>(SAMPLES);
    docs_match_set::<GiStarSpec>(SAMPLES);
    docs_match_set::<HexSpec>(SAMPLES);
    docs_match_set::<CompareSpec>(SAMPLES);
    docs_match_set::<EmergingSpec>(SAMPLES);
    docs_match_set::<TaskingParams>(SAMPLES);
    docs_match_set::<NearRepeatSpec>(SAMPLES);
}

#[test]
fn defaults_are_written_as_nothing() {
    assert_eq!(canonical(&HotspotSpec::default()), "");
    assert_eq!(canonical(&TaskingParams::default()), "");
    assert_eq!(canonical(&EmergingSpec::default()), "");
    assert_eq!(canonical(&NearRepeatSpec::default()), "");
    assert_eq!(canonical(&CompareSpec::default()), "");
    // Giving a default explicitly is the same request.
    let a: HotspotSpec = read("kernel=quartic&top_share=0.01&top=10&weight=count").unwrap();
    assert_eq!(a, HotspotSpec::default());
}

#[test]
fn the_same_request_in_any_order_or_spelling_is_one_request() {
    let a: HotspotSpec = read("to=2024-04&from=2024-01&category=Drugs&category=Burglary&cell_m=50").unwrap();
    let b: HotspotSpec =
        read("category=Burglary&cell_m=50.0&from=2024-01-01&to=2024-04-01T00:00:00Z&category=Drugs&category=Drugs")
            .unwrap();
    assert_eq!(a, b);
    assert_eq!(
        canonical(&a),
        "from=2024-01-01T00%3A00%3A00Z&to=2024-04-01T00%3A00%3A00Z&category=Burglary&category=Drugs&cell_m=50"
    );
}

#[test]
fn errors_name_the_parameter_and_the_value() {
    for (q, name) in [
        ("from=2024-13", "from"),
        ("from=2024-03&to=2024-02", "from"),
        ("cell_m=-5", "cell_m"),
        ("cell_m=1e-300", "cell_m"),
        ("cell_m=NaN", "cell_m"),
        ("bandwidth_m=abc", "bandwidth_m"),
        ("bandwidth_m=1e9", "bandwidth_m"),
        ("band_m=1e9", "band_m"),
        ("kernel=box", "kernel"),
        ("weight=money", "weight"),
        ("top=0", "top"),
        ("top_share=0", "top_share"),
        ("top_share=1.5", "top_share"),
        ("method=magic", "method"),
        ("rank_by=size", "rank_by"),
        ("colour=red", "colour"),
    ] {
        let e = read::<HotspotSpec>(q).expect_err(q);
        assert_eq!(e.parameter, name, "{q}: {e}");
    }
    for (q, name) in [
        ("before=2024-03..2024-01&after=2024-01..2024-02", "before"),
        ("before=2024-01..2024-02&after=2024", "after"),
        ("after=2024-01..2024-02", "before"),
        ("before=2024-01..2024-02&after=2024-02..2024-03&fdr_q=1", "fdr_q"),
        ("before=2024-01..2024-02&after=2024-02..2024-03&fdr_q=NaN", "fdr_q"),
        ("before=2024-01..2024-02&after=2024-02..2024-03&buffer_m=-1", "buffer_m"),
        ("before=2024-01..2024-02&after=2024-02..2024-03&from=2024-01", "from"),
    ] {
        let e = read::<CompareSpec>(q).expect_err(q);
        assert_eq!(e.parameter, name, "{q}: {e}");
    }
    for (q, name) in [
        ("window=3y", "window"),
        ("at=tomorrow", "at"),
        ("min_separation_m=-4", "min_separation_m"),
        ("nr_days=91", "nr_days"),
        ("nr_days=1.5", "nr_days"),
    ] {
        let e = read::<TaskingParams>(q).expect_err(q);
        assert_eq!(e.parameter, name, "{q}: {e}");
    }
    // The tasking list may leave the zones out (0); the zones' own request needs at least a day.
    assert_eq!(read::<TaskingParams>("nr_days=0").map(|p| p.nr_days), Ok(0));
    for q in ["nr_days=0", "nr_days=91", "at=soon"] {
        assert!(read::<NearRepeatSpec>(q).is_err(), "{q}");
    }
    let nr: NearRepeatSpec = read("nr_days=7&category=BURGLARY&at=2017-07-01").unwrap();
    round_trips(&nr);
    assert_eq!(nr.nr_days, 7);
    let e = read::<EmergingSpec>("period=fortnight").unwrap_err();
    assert_eq!(e.parameter, "period");
    assert!(e.to_string().starts_with("period=fortnight: "), "{e}");
}

#[test]
fn other_routes_parameters_can_be_passed_over() {
    let pairs = [("from", "2024-01"), ("method", "gistar"), ("period", "week")];
    let known = |k: &str| all_docs().iter().any(|d| d.name == k);
    let p: AnalysisParams = from_pairs(pairs, known).unwrap();
    assert_eq!(canonical(&p), "from=2024-01-01T00%3A00%3A00Z");
    assert!(from_pairs::<AnalysisParams>([("colour", "red")], known).is_err());
}

#[test]
fn rank_follows_the_weight_unless_given() {
    let harm: HotspotSpec = read("weight=harm").unwrap();
    assert_eq!(harm.rule.rank_by(harm.analysis.weight), crate::analysis::hotspots::RankBy::Harm);
    let count: HotspotSpec = read("weight=harm&rank_by=count").unwrap();
    assert_eq!(count.rule.rank_by(count.analysis.weight), crate::analysis::hotspots::RankBy::Count);
    assert_eq!(TaskingParams::default().rank_by(), crate::analysis::hotspots::RankBy::Count);
}

fn metres_strategy(lo: f64, hi: f64) -> impl Strategy<Value = Option<f64>> {
    prop_oneof![Just(None), (lo..hi).prop_map(Some), (1u32..5000).prop_map(|v| Some(f64::from(v)))]
}

proptest! {
    #[test]
    fn hotspot_requests_round_trip(
        from in proptest::option::of(0i64..2_000_000_000),
        len in 1i64..100_000_000,
        cats in proptest::collection::vec("[A-Za-z ,&]{1,12}", 0..3),
        cell in metres_strategy(1.0, 1000.0),
        bw in metres_strategy(1.0, 5000.0),
        band in metres_strategy(1.0, 5000.0),
        share in 0.0001f64..1.0,
        top in 1usize..1000,
        harm in any::<bool>(),
        gistar in any::<bool>(),
    ) {
        let mut p = HotspotSpec::default();
        p.analysis.query.from_s = from;
        p.analysis.query.to_s = from.map(|f| f + len);
        let mut cats: Vec<String> = cats.into_iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
        cats.sort();
        cats.dedup();
        p.analysis.query.categories = cats;
        p.analysis.cell_m = cell;
        p.analysis.bandwidth_m = bw;
        p.analysis.weight = if harm { crate::analysis::points::WeightMode::Harm } else { Default::default() };
        p.rule.band_m = band;
        p.rule.top_share = share;
        p.rule.method = if gistar { Method::GiStar } else { Method::Kde };
        p.top = top;
        round_trips(&p);
    }

    #[test]
    fn tasking_requests_round_trip(
        at in proptest::option::of(0i64..2_000_000_000),
        days in 1u32..3000,
        months in proptest::option::of(1u32..120),
        sep in 0.0f64..10_000.0,
        cell in metres_strategy(1.0, 1000.0),
    ) {
        let mut p = TaskingParams { at_s: at, min_separation_m: sep, cell_m: cell, ..Default::default() };
        p.window = months.map_or(crate::model::WindowLength::Days(days), crate::model::WindowLength::Months);
        round_trips(&p);
    }
}
