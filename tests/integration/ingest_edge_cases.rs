//! Awkward files: BOM, CRLF, quoted commas and newlines, wrong field counts, bad values, encodings, empty and
//! header-only files, missing columns, unknown options.

use crate::common::{TempStore, assert_conserved};
use hotspots::ingest::{ColumnOptions, IngestError, IngestOptions};

fn cols(pairs: &[(&str, &str)]) -> IngestOptions {
    let mut c = ColumnOptions::default();
    for (k, v) in pairs {
        let v = Some((*v).to_owned());
        match *k {
            "lon" => c.lon_col = v,
            "lat" => c.lat_col = v,
            "x" => c.x_col = v,
            "y" => c.y_col = v,
            "crs" => c.crs = v,
            "time" => c.time_col = v,
            "format" => c.time_format = v,
            "tz" => c.timezone = v,
            "category" => c.category_col = v,
            "weight" => c.weight_col = v,
            other => panic!("unknown key {other}"),
        }
    }
    IngestOptions { columns: c, ..Default::default() }
}

#[test]
fn bom_crlf_and_quoting_are_read_faithfully() {
    let mut t = TempStore::new();
    let text = "\u{feff}id,when,lon,lat,category,location\r\n\
                1,2024-01-05,-1.9,50.7,\"Burglary\",\"On or near High Street, Poole\"\r\n\
                2,2024-01-06,-1.91,50.71,Drugs,\"Two\r\nlines\"\r\n\
                3,2024-01-07,-1.92,50.72,\"Say \"\"hi\"\"\",\r\n";
    let s = t.ingest_bytes("a.csv", text.as_bytes(), &cols(&[("time", "when")])).unwrap();
    assert_conserved(&s);
    assert_eq!((s.read, s.accepted, s.rejected), (3, 3, 0));
    let ds = t.store.load_dataset(None).unwrap();
    assert_eq!(ds.get(0).unwrap().location, Some("On or near High Street, Poole"));
    assert_eq!(ds.get(1).unwrap().location, Some("Two\r\nlines"));
    assert_eq!(ds.get(2).unwrap().category, "Say \"hi\"");
    assert_eq!(ds.get(2).unwrap().location, None);
    // Lines are where each row starts: the quoted newline pushes row 3 to line 5.
    assert_eq!(ds.lines(), &[2, 3, 5]);
    // The BOM did not stick to the first column name: `id` was recognised.
    assert!(s.columns.iter().any(|c| c.name == "id"));
}

#[test]
fn each_bad_value_is_rejected_with_its_line_and_reason() {
    let mut t = TempStore::new();
    let text = "time,lon,lat,category,weight\n\
                2024-01-05T10:00,-1.9,50.7,A,1\n\
                2024-01-05T10:00,,50.7,A,1\n\
                2024-01-05T10:00,abc,50.7,A,1\n\
                2024-01-05T10:00,-191,50.7,A,1\n\
                2024-01-05T10:00,0,0,A,1\n\
                2024-13-05T10:00,-1.9,50.7,A,1\n\
                ,-1.9,50.7,A,1\n\
                03/04/2024,-1.9,50.7,A,1\n\
                1850-01-01,-1.9,50.7,A,1\n\
                2024-01-05T10:00,-1.9,50.7,A,-2\n\
                2024-01-05T10:00,-1.9,50.7\n\
                2024-01-05T10:00,-1.9,50.7,,\n";
    let s = t.ingest_bytes("b.csv", text.as_bytes(), &cols(&[("weight", "weight")])).unwrap();
    assert_conserved(&s);
    assert_eq!(s.read, 12);
    assert_eq!(s.accepted, 2);
    let expect = [
        ("missing_coordinates", 1),
        ("non_numeric_coordinates", 1),
        ("out_of_range_coordinates", 1),
        ("zero_coordinates", 1),
        ("unparseable_time", 1),
        ("missing_time", 1),
        ("ambiguous_time", 1),
        ("time_out_of_range", 1),
        ("invalid_weight", 1),
        ("wrong_field_count", 1),
    ];
    for (k, n) in expect {
        assert_eq!(s.rejected_by_reason.get(k), Some(&n), "{k}: {:?}", s.rejected_by_reason);
    }
    let rejects = t.store.rejects(s.import_id.unwrap()).unwrap();
    let lines: Vec<u64> = rejects.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert!(rejects[0].detail.contains("lon is empty"), "{}", rejects[0].detail);
    assert_eq!(rejects[9].fields, vec![b"2024-01-05T10:00".to_vec(), b"-1.9".to_vec(), b"50.7".to_vec()]);
    // The accepted row with an empty category is kept as Unspecified, not dropped.
    let ds = t.store.load_dataset(None).unwrap();
    assert_eq!(ds.get(1).unwrap().category, "Unspecified");
}

#[test]
fn non_utf8_rows_are_rejected_unless_an_encoding_is_given() {
    let text = b"time,lon,lat,location\n2024-01,-1.9,50.7,Caf\xe9 Street\n2024-01,-1.9,50.7,Plain\n";
    let mut t = TempStore::new();
    let s = t.ingest_bytes("latin.csv", text, &IngestOptions::default()).unwrap();
    assert_conserved(&s);
    assert_eq!(s.rejected_by_reason.get("invalid_text"), Some(&1));
    assert!(s.notes.iter().any(|n| n.contains("--encoding windows-1252")), "{:?}", s.notes);
    // The rejected bytes are kept exactly.
    let rejects = t.store.rejects(s.import_id.unwrap()).unwrap();
    assert_eq!(rejects[0].fields[3], b"Caf\xe9 Street".to_vec());

    let mut t = TempStore::new();
    let opts = IngestOptions { encoding: Some("windows-1252".into()), ..Default::default() };
    let s = t.ingest_bytes("latin.csv", text, &opts).unwrap();
    assert_eq!((s.accepted, s.rejected), (2, 0));
    assert_eq!(t.store.load_dataset(None).unwrap().get(0).unwrap().location, Some("Café Street"));
}

#[test]
fn empty_header_only_and_utf16_files() {
    let mut t = TempStore::new();
    let e = t.ingest_bytes("empty.csv", b"", &IngestOptions::default()).unwrap_err();
    assert!(matches!(e, IngestError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("empty.csv is empty"), "{e}");

    let s = t.ingest_bytes("header.csv", b"time,lon,lat\r\n", &IngestOptions::default()).unwrap();
    assert_eq!((s.read, s.accepted, s.rejected), (0, 0, 0));
    assert!(s.notes.iter().any(|n| n.contains("no data rows")), "{:?}", s.notes);

    let utf16: Vec<u8> = [0xff, 0xfe].into_iter().chain("time,lon".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let e = t.ingest_bytes("wide.csv", &utf16, &IngestOptions::default()).unwrap_err();
    assert!(e.to_string().contains("UTF-16") && e.to_string().contains("UTF-8"), "{e}");
    assert_eq!(t.store.info().unwrap().incidents, 0);
}

#[test]
fn a_missing_column_names_itself_the_header_and_the_flag() {
    let mut t = TempStore::new();
    let text = b"Date,Longitude,Latitude\n2024-01,-1.9,50.7\n";
    let e = t.ingest_bytes("c.csv", text, &cols(&[("time", "Time")])).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("c.csv"), "{msg}");
    assert!(msg.contains("'Time'") && msg.contains("--time-col"), "{msg}");
    assert!(msg.contains("Date, Longitude, Latitude"), "{msg}");

    let e = t.ingest_bytes("d.csv", b"a,b,c\n1,2,3\n", &IngestOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("no longitude column") && msg.contains("--lon-col"), "{msg}");
    // Nothing was recorded for either file.
    assert!(t.store.imports().unwrap().is_empty());
}

#[test]
fn bad_options_are_refused_before_reading() {
    let mut t = TempStore::new();
    let text = b"time,e,n\n2024-01,400000,100000\n";
    for (opts, needle) in [
        (cols(&[("x", "e"), ("y", "n")]), "--crs"),
        (cols(&[("x", "e")]), "go together"),
        (cols(&[("crs", "EPSG:999999")]), "EPSG:999999"),
        (cols(&[("format", "%Q")]), "not a valid strftime"),
        (cols(&[("tz", "Mars/Olympus")]), "IANA time zone"),
    ] {
        let e = t.ingest_bytes("o.csv", text, &opts).unwrap_err();
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    }
    let e = t.ingest_bytes("o.csv", text, &IngestOptions { encoding: Some("klingon".into()), ..Default::default() });
    assert!(e.unwrap_err().to_string().contains("--encoding"));
}

#[test]
fn british_national_grid_eastings_and_northings() {
    let mut t = TempStore::new();
    let text = b"time,easting,northing\n2024-01-01T12:00:00Z,401000,91000\n2024-01-01T12:00:00Z,0,0\n";
    let s =
        t.ingest_bytes("bng.csv", text, &cols(&[("x", "easting"), ("y", "northing"), ("crs", "EPSG:27700")])).unwrap();
    assert_eq!((s.accepted, s.rejected), (1, 1));
    assert_eq!(s.rejected_by_reason.get("zero_coordinates"), Some(&1));
    let ds = t.store.load_dataset(Some(&hotspots::geo::CrsDef::parse("EPSG:27700").unwrap())).unwrap();
    // Round trip through WGS84 comes back to the same eastings and northings (to a millimetre).
    assert!((ds.x_m()[0] - 401_000.0).abs() < 1e-3 && (ds.y_m()[0] - 91_000.0).abs() < 1e-3);
    let inc = ds.get(0).unwrap();
    assert!((inc.lon + 1.986).abs() < 0.01 && (inc.lat - 50.715).abs() < 0.01, "{} {}", inc.lon, inc.lat);
}

#[test]
fn time_zones_and_explicit_formats() {
    let mut t = TempStore::new();
    let text = b"when,lon,lat\n15/01/2017 18:00,-87.6,41.8\n12/03/2017 02:30,-87.6,41.8\n";
    let opts = cols(&[("time", "when"), ("format", "%d/%m/%Y %H:%M"), ("tz", "America/Chicago")]);
    let s = t.ingest_bytes("tz.csv", text, &opts).unwrap();
    assert_eq!(s.accepted, 1);
    assert_eq!(s.rejected_by_reason.get("nonexistent_local_time"), Some(&1));
    let ds = t.store.load_dataset(None).unwrap();
    assert_eq!(hotspots::model::time::format_instant(ds.time_s()[0]), "2017-01-16T00:00:00Z");
    assert_eq!(ds.precision()[0], hotspots::model::TimePrecision::Minute);
}

#[test]
fn web_mercator_and_raw_proj_strings() {
    // The same point (-1.9877, 50.7127, Poole Quay) in Web Mercator metres and in UTM 30N through a raw proj
    // string, both converted by pyproj (PROJ 9) as the reference, comes back to within a millimetre's worth of
    // degrees.
    let mut t = TempStore::new();
    let merc = b"time,mx,my\n2024-01-01,-221269.75184978987,6570630.164794635\n";
    let s = t.ingest_bytes("m.csv", merc, &cols(&[("x", "mx"), ("y", "my"), ("crs", "EPSG:3857")])).unwrap();
    assert_eq!(s.accepted, 1, "{s:?}");
    let utm = b"time,ux,uy\n2024-01-01,571469.7251391807,5618365.5186853325\n";
    let proj = "+proj=utm +zone=30 +datum=WGS84 +units=m +no_defs";
    let s = t.ingest_bytes("u.csv", utm, &cols(&[("x", "ux"), ("y", "uy"), ("crs", proj)])).unwrap();
    assert_eq!(s.accepted, 1, "{s:?}");
    assert_eq!(s.crs.as_deref(), Some(proj));
    let ds = t.store.load_dataset(None).unwrap();
    for i in 0..2 {
        let inc = ds.get(i).unwrap();
        assert!((inc.lon + 1.9877).abs() < 1e-8 && (inc.lat - 50.7127).abs() < 1e-8, "{} {}", inc.lon, inc.lat);
    }
}
