//! Arbitrary bytes and mangled CSV never panic the ingest: always a summary with read = accepted + rejected, or
//! a clear error, and a failed file leaves the store as it was.

use crate::common::{TempStore, assert_conserved, dorset_months};
use hotspots::ingest::{ColumnOptions, IngestOptions};
use proptest::prelude::*;

fn check(t: &mut TempStore, name: &str, bytes: &[u8], opts: &IngestOptions) {
    let before = t.store.info().unwrap().incidents;
    match t.ingest_bytes(name, bytes, opts) {
        Ok(s) => {
            assert_conserved(&s);
            let after = t.store.info().unwrap().incidents;
            assert_eq!(after, before + s.accepted);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.len() > 10, "an error says something: {msg:?}");
            assert_eq!(t.store.info().unwrap().incidents, before, "a failed file changes nothing");
        }
    }
}

fn police_sample() -> Vec<u8> {
    let text = std::fs::read(&dorset_months()[0]).unwrap();
    // The header and roughly the first 40 rows.
    let cut = text.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(40).map_or(text.len(), |(i, _)| i + 1);
    text[..cut].to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut t = TempStore::new();
        check(&mut t, "any.csv", &bytes, &IngestOptions::default());
        let generic = IngestOptions {
            columns: ColumnOptions { lon_col: Some("a".into()), lat_col: Some("b".into()), time_col: Some("c".into()), ..Default::default() },
            ..Default::default()
        };
        let mut with_header = b"a,b,c\n".to_vec();
        with_header.extend(&bytes);
        check(&mut t, "generic.csv", &with_header, &generic);
        let mut json = b"{\"type\":\"FeatureCollection\",\"features\":[".to_vec();
        json.extend(&bytes);
        check(&mut t, "any.geojson", &json, &generic);
    }

    #[test]
    fn mangled_police_uk_csv_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..25)
    ) {
        let mut bytes = police_sample();
        for (at, kind, byte) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            let special = [b',', b'"', b'\n', b'\r', 0xff, b'0'][usize::from(byte) % 6];
            match kind {
                0 => { bytes.remove(i); }
                1 => bytes.insert(i, special),
                2 => bytes[i] = byte,
                _ => bytes.truncate(i),
            }
        }
        let mut t = TempStore::new();
        check(&mut t, "mangled.csv", &bytes, &IngestOptions::default());
    }
}
