//! The command line: JSON shapes, exit codes, and the demo.

use crate::common::{bin, dorset_months, fixtures};
use std::process::Command;

fn hotspots(args: &[&str], store: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(bin()).args(args).arg("--store").arg(store).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ingest_and_info_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let month = dorset_months()[7].display().to_string();
    let (code, out, err) = hotspots(&["ingest", "--json", &month], &store);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["files"][0];
    for key in ["file", "read", "accepted", "rejected", "rejected_by_reason", "already_imported"] {
        assert!(f.get(key).is_some(), "missing {key} in {f}");
    }
    assert_eq!(f["already_imported"], false);
    assert_eq!(f["read"].as_u64().unwrap(), f["accepted"].as_u64().unwrap() + f["rejected"].as_u64().unwrap());

    let (code, out, _) = hotspots(&["ingest", "--json", &month], &store);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"][0]["already_imported"], true);

    let (code, out, err) = hotspots(&["info", "--json"], &store);
    assert_eq!(code, 0, "{err}");
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["incidents"], f["accepted"]);
    assert_eq!(info["time"]["from"], "2024-03-01T00:00:00Z");
    assert_eq!(info["time"]["to"], "2024-04-01T00:00:00Z");
    assert!(info["categories"]["Anti-social behaviour"].as_u64().unwrap() > 0);
    let imp = &info["imports"][0];
    for key in ["file", "read", "accepted", "rejected"] {
        assert_eq!(imp[key], f[key], "{key}");
    }

    let (code, out, _) = hotspots(&["info"], &store);
    assert_eq!(code, 0);
    assert!(out.contains("Violence and sexual offences") && out.contains("2024-03"), "{out}");
}

#[test]
fn exit_codes_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let month = dorset_months()[7].display().to_string();
    let missing = dir.path().join("nope.csv").display().to_string();

    let (code, out, _) = hotspots(&["ingest", &missing], &store);
    assert_eq!(code, 1);
    assert!(out.contains("FAILED") && out.contains("nope.csv"), "{out}");

    let (code, out, _) = hotspots(&["ingest", "--json", &month, &missing], &store);
    assert_eq!(code, 3, "partial success");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["files"][1]["error"].as_str().unwrap().contains("nope.csv"));

    let (code, _, err) = hotspots(&["info"], &dir.path().join("absent.db"));
    assert_eq!(code, 1);
    assert!(err.contains("no store at") && err.contains("hotspots ingest"), "{err}");

    let (code, _, err) = hotspots(&["ingest", "--lon-col"], &store);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn demo_ingests_the_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("demo.db");
    let out = Command::new(bin())
        .args(["demo", "--no-serve", "--fixtures"])
        .arg(fixtures().join("police-uk"))
        .arg("--keep")
        .arg(&keep)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("police-uk") && text.contains("incidents:"), "{text}");
    assert!(keep.exists());
}

#[test]
fn synth_is_reproducible_and_ingests_whole() {
    let dir = tempfile::tempdir().unwrap();
    let synth = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let st = Command::new(bin())
            .args(["synth", "--n", "20000", "--seed", seed, "--hotspots", "5", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
        out
    };
    let (a, b, c) = (synth("a.csv", "3"), synth("b.csv", "3"), synth("c.csv", "4"));
    let read = |p: &std::path::Path| std::fs::read(p).unwrap();
    assert_eq!(read(&a), read(&b), "same seed, same bytes");
    assert_ne!(read(&a), read(&c));
    let truth = |p: &std::path::Path| {
        let t: serde_json::Value = serde_json::from_slice(&read(&hotspots::synth::truth_path(p))).unwrap();
        t
    };
    assert_eq!(truth(&a), truth(&b));
    let t = truth(&a);
    let planted: u64 = t["hotspots"].as_array().unwrap().iter().map(|h| h["planted_count"].as_u64().unwrap()).sum();
    assert_eq!(t["hotspots"].as_array().unwrap().len(), 5);
    assert_eq!(planted + t["background"]["count"].as_u64().unwrap(), 20_000);

    // Ingested with no flags, through the HOTSPOTS_STORE variable: every row accepted, second precision,
    // police.uk-like coincidence of points.
    let store = dir.path().join("env.db");
    let out = Command::new(bin()).args(["ingest", "--json"]).arg(&a).env("HOTSPOTS_STORE", &store).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["accepted"], 20_000);
    assert!(store.exists());
    let s = hotspots::store::Store::open_existing(&store).unwrap();
    let info = s.info().unwrap();
    assert_eq!(info.precision.keys().collect::<Vec<_>>(), vec!["second"]);
    let ds = s.load_dataset(None).unwrap();
    let mut pts: Vec<(u64, u64)> = ds.lon().iter().zip(ds.lat()).map(|(x, y)| (x.to_bits(), y.to_bits())).collect();
    pts.sort_unstable();
    pts.dedup();
    assert!(pts.len() < 10_000, "{} distinct points for 20,000 incidents", pts.len());
}

/// Run the binary with a thread count and return its stdout.
fn with_threads(threads: &str, args: &[&str], store: &std::path::Path) -> Vec<u8> {
    let out =
        Command::new(bin()).args(args).arg("--store").arg(store).env("RAYON_NUM_THREADS", threads).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn analyses_are_byte_identical_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("s.csv");
    let st = Command::new(bin())
        .args(["synth", "--n", "8000", "--seed", "5", "--extent-m", "6000", "--out"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(st.status.success());
    let store = dir.path().join("s.db");
    assert!(Command::new(bin()).arg("ingest").arg(&csv).arg("--store").arg(&store).output().unwrap().status.success());
    let common = ["--cell-m", "50", "--bandwidth-m", "250"];
    let runs: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec!["find", "--geojson", "--top", "50"], None),
        (vec!["find", "--json", "--method", "gistar", "--weight", "harm", "--rank-by", "harm"], None),
        (vec!["density", "--kernel", "gaussian", "--out"], Some("d.csv")),
        (vec!["gistar", "--band-m", "300", "--permutations", "99", "--out"], Some("g.csv")),
        (vec!["hex", "--resolution", "10", "--k", "1", "--out"], Some("h.csv")),
    ];
    for (args, file) in runs {
        let mut outputs = Vec::new();
        for threads in ["1", "2"] {
            let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            if let Some(f) = file {
                a.push(dir.path().join(format!("{threads}-{f}")).display().to_string());
            }
            a.extend(common.iter().map(|s| s.to_string()));
            let refs: Vec<&str> = a.iter().map(String::as_str).collect();
            let stdout = with_threads(threads, &refs, &store);
            let bytes = match file {
                Some(f) => std::fs::read(dir.path().join(format!("{threads}-{f}"))).unwrap(),
                None => stdout,
            };
            assert!(bytes.len() > 100, "{args:?} wrote almost nothing");
            outputs.push(bytes);
        }
        assert!(outputs[0] == outputs[1], "{args:?} differs between 1 and 2 threads");
    }
}

#[test]
fn analyses_run_on_the_dorset_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let months: Vec<String> = dorset_months()[5..].iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["ingest"];
    args.extend(months.iter().map(String::as_str));
    let (code, _, err) = hotspots(&args, &store);
    assert_eq!(code, 0, "{err}");
    let window = ["--from", "2024-01", "--to", "2024-04", "--cell-m", "100", "--bandwidth-m", "300"];
    let mut find = vec!["find", "--json", "--top", "5"];
    find.extend(window);
    let (code, out, err) = hotspots(&find, &store);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let feats = v["features"].as_array().unwrap();
    assert_eq!(feats.len(), 5);
    let first = &feats[0]["properties"];
    assert_eq!(first["rank"], 1);
    assert!(first["pai"].as_f64().unwrap() > 5.0, "{first}");
    assert!(first["top_locations"].as_array().unwrap().len() <= 5);
    assert!(v["parameters"]["bandwidth_m"] == 300.0 && v["parameters"]["cell_m"] == 100.0);
    // The outline is a closed, counter-clockwise lon/lat ring in Dorset.
    let ring = feats[0]["geometry"]["coordinates"][0][0].as_array().unwrap();
    assert_eq!(ring.first(), ring.last());
    let lon = ring[0][0].as_f64().unwrap();
    assert!((-3.0..-1.5).contains(&lon), "{lon}");

    // Automatic parameters are printed with the result.
    let (code, out, err) = hotspots(&["find", "--from", "2024-03", "--to", "2024-04"], &store);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("automatic: ArcGIS") && out.contains("cell:") && out.contains("(automatic:"), "{out}");

    // Harm weighting is one flag away.
    let mut harm = find.clone();
    harm.extend(["--weight", "harm", "--rank-by", "harm"]);
    let (code, out, _) = hotspots(&harm, &store);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["parameters"]["harm_table"].as_str().unwrap().contains("Cambridge"));

    // Errors name the bad parameter.
    let (code, _, err) = hotspots(&["find", "--category", "Arson"], &store);
    assert_eq!(code, 1);
    assert!(err.contains("unknown category 'Arson'") && err.contains("Burglary"), "{err}");
    let (code, _, err) = hotspots(&["find", "--from", "2024-13"], &store);
    assert!(code != 0 && err.contains("--from"), "{err}");
    let (code, _, err) = hotspots(&["find", "--from", "2024-03", "--to", "2024-02"], &store);
    assert!(code != 0 && err.contains("--from") && err.contains("must start before it ends"), "{err}");
}

#[test]
fn serving_beyond_loopback_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let month = dorset_months()[7].display().to_string();
    assert_eq!(hotspots(&["ingest", &month], &store).0, 0);
    let (code, _, err) = hotspots(&["serve", "--addr", "0.0.0.0:0"], &store);
    assert_eq!(code, 1);
    assert!(err.contains("--token"), "{err}");
}

#[test]
fn empty_tokens_and_bad_access_settings_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let month = dorset_months()[7].display().to_string();
    assert_eq!(hotspots(&["ingest", &month], &store).0, 0);
    for token in ["", " ", "\t"] {
        let (code, _, err) = hotspots(&["serve", "--addr", "0.0.0.0:0", "--token", token], &store);
        assert_eq!(code, 1, "{token:?}");
        assert!(err.contains("--token") && err.contains("empty"), "{err}");
    }
    let out = Command::new(bin())
        .args(["serve", "--addr", "0.0.0.0:0", "--store"])
        .arg(&store)
        .env("HOTSPOTS_TOKEN", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let (code, _, err) = hotspots(&["serve", "--cors", "*"], &store);
    assert_eq!(code, 1);
    assert!(err.contains("--cors"), "{err}");
    let (code, _, err) = hotspots(&["serve", "--allow-query-token"], &store);
    assert_eq!(code, 1);
    assert!(err.contains("--allow-query-token"), "{err}");
}

#[test]
fn a_damaged_store_is_refused_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let month = dorset_months()[7].display().to_string();
    for args in [&["info"][..], &["find"][..], &["ingest", &month][..]] {
        let (code, _, err) = hotspots(args, &empty);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains("damaged") && err.contains("0 bytes"), "{args:?}: {err}");
        assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0, "{args:?} wrote to the empty store");
    }
    // A store with a page of zeros in the middle: `info --check` runs SQLite's check and says so.
    let store = dir.path().join("s.db");
    assert_eq!(hotspots(&["ingest", &month], &store).0, 0);
    let mut bytes = std::fs::read(&store).unwrap();
    let mid = (bytes.len() / 2) & !4095;
    let end = (mid + 65536).min(bytes.len());
    bytes[mid..end].fill(0);
    std::fs::write(&store, &bytes).unwrap();
    let (code, _, err) = hotspots(&["info", "--check"], &store);
    assert_ne!(code, 0);
    assert!(err.contains("damaged") || err.contains("malformed"), "{err}");
}

#[test]
fn impossible_analyses_fail_fast_naming_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    for month in &dorset_months()[6..] {
        assert_eq!(hotspots(&["ingest", &month.display().to_string()], &store).0, 0);
    }
    let started = std::time::Instant::now();
    for (args, parameter) in [
        (&["find", "--method", "gistar", "--band-m", "1e9", "--cell-m", "50"][..], "band"),
        (&["find", "--cell-m", "1e-300"][..], "cell"),
        (&["emerging", "--cell-m", "1e-300"][..], "cell"),
        // Within each parameter's range, but beyond what can finish: the cost estimate refuses them.
        (&["find", "--method", "gistar", "--band-m", "50000", "--cell-m", "100"][..], "band_m=50000 would cost"),
        (&["density", "--bandwidth-m", "100000", "--cell-m", "25"][..], "bandwidth_m=100000"),
        (&["emerging", "--band-m", "50000", "--cell-m", "100"][..], "band_m=50000 would cost"),
    ] {
        let (code, _, err) = hotspots(args, &store);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains(parameter), "{args:?}: {err}");
    }
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}
