//! Integration tests on the real data shipped in `fixtures/` and generated edge cases. One test
//! binary with modules, so the crate is linked once.

#[path = "integration/common.rs"]
mod common;

#[path = "integration/analysis_reference.rs"]
mod analysis_reference;
#[path = "integration/analysis_synth.rs"]
mod analysis_synth;
#[path = "integration/areas_assign.rs"]
mod areas_assign;
#[path = "integration/areas_cli.rs"]
mod areas_cli;
#[cfg(feature = "gdal")]
#[path = "integration/areas_gdal.rs"]
mod areas_gdal;
#[path = "integration/backtest.rs"]
mod backtest;
#[path = "integration/cli.rs"]
mod cli;
#[path = "integration/cli_server_agree.rs"]
mod cli_server_agree;
#[path = "integration/compare_synth.rs"]
mod compare_synth;
#[path = "integration/coverage.rs"]
mod coverage;
/// Statistics an analyst can defend: permutations, strays, one study area (issue 12).
#[path = "integration/defensible.rs"]
mod defensible;
#[path = "integration/fuzz.rs"]
mod fuzz;
#[path = "integration/ingest_chicago.rs"]
mod ingest_chicago;
#[path = "integration/ingest_edge_cases.rs"]
mod ingest_edge_cases;
#[path = "integration/ingest_geojson.rs"]
mod ingest_geojson;
#[path = "integration/ingest_police_uk.rs"]
mod ingest_police_uk;
#[path = "integration/ingest_property.rs"]
mod ingest_property;
#[path = "integration/layering.rs"]
mod layering;
#[path = "integration/nearrepeat.rs"]
mod nearrepeat;
/// A newcomer's first hour: far-away imports, errors that say what works (issue 17).
#[path = "integration/newcomer.rs"]
mod newcomer;
#[path = "integration/public_attack.rs"]
mod public_attack;
/// The README's console examples run as written (issue 17).
#[path = "integration/readme.rs"]
mod readme;
#[path = "integration/server.rs"]
mod server;
#[path = "integration/server_limits.rs"]
mod server_limits;
#[path = "integration/server_live.rs"]
mod server_live;
#[path = "integration/server_nearrepeat.rs"]
mod server_nearrepeat;
#[path = "integration/server_page.rs"]
mod server_page;
#[path = "integration/server_when.rs"]
mod server_when;
#[path = "integration/snapshot.rs"]
mod snapshot;
#[path = "integration/store_atomicity.rs"]
mod store_atomicity;
#[path = "integration/tasking.rs"]
mod tasking;
/// Near-repeat zones in the tasking list (issue 19 item 3).
#[path = "integration/tasking_nearrepeat.rs"]
mod tasking_nearrepeat;
#[path = "integration/when.rs"]
mod when;
