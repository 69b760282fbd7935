//! `hotspots demo`: ingest the shipped fixtures into a temporary store and show what the engine knows.

use super::ingest::{IngestArgs, ingest_all};
use super::{CliError, EXIT_ERROR, EXIT_OK};
use crate::report::info::{info_text, load_text};
use crate::report::ingest::{FileResult, ingest_text};
use crate::store::Store;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `hotspots demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Folder of incident files to ingest (default: the repository's fixtures/police-uk).
    #[arg(long)]
    pub fixtures: Option<PathBuf>,
    /// Keep the demo store at this path instead of a temporary file.
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Only show what the engine knows; do not start the map server.
    #[arg(long)]
    pub no_serve: bool,
    /// Address for the map server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
}

/// The shipped demo data: `fixtures/police-uk` under the current directory, else under the source tree.
fn default_fixtures() -> PathBuf {
    let local = Path::new("fixtures").join("police-uk");
    if local.is_dir() { local } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("police-uk") }
}

fn incident_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
            p.is_file() && [".csv", ".csv.gz", ".geojson", ".geojson.gz"].iter().any(|ext| name.ends_with(ext))
        })
        .collect();
    files.sort();
    Ok(files)
}

pub(super) fn run(args: &DemoArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let dir = args.fixtures.clone().unwrap_or_else(default_fixtures);
    let files = incident_files(&dir)
        .map_err(|e| CliError::Usage(format!("cannot list the demo fixtures in {}: {e}", dir.display())))?;
    if files.is_empty() {
        return Err(CliError::Usage(format!("no incident files (.csv, .geojson) in {}", dir.display())));
    }
    let tmp = tempfile::tempdir()?;
    let store_path = args.keep.clone().unwrap_or_else(|| tmp.path().join("demo.db"));
    writeln!(
        out,
        "hotspots demo: ingesting {} files from {} into {}\n",
        files.len(),
        dir.display(),
        store_path.display()
    )?;
    let mut store = Store::open(&store_path)?;
    let mut ingest = IngestArgs::for_files(files);
    if args.keep.is_none() {
        ingest.rejects_dir = Some(tmp.path().join("rejects"));
    }
    let results = ingest_all(&mut store, &ingest);
    write!(out, "{}", ingest_text(&results))?;
    writeln!(out)?;
    write!(out, "{}", info_text(&store.info()?))?;
    writeln!(out, "\n{}", load_text(&super::info::load_summary(&store, None)?))?;
    drop(store);
    writeln!(
        out,
        "\ntop hotspots for April 2024, from January to March (hotspots find --from 2024-01 --to 2024-04 --top 5; the \
         map's hotspots layer shows the same places):\n"
    )?;
    run_command(&store_path, &["find", "--from", "2024-01", "--to", "2024-04", "--top", "5"], out)?;
    demo_compare_and_tasking(&store_path, out)?;
    if args.keep.is_some() {
        writeln!(out, "store kept at {}: try `hotspots info --store {}`", store_path.display(), store_path.display())?;
    } else {
        writeln!(
            out,
            "the demo store and its rejects files are temporary; keep them with `hotspots demo --keep demo.db`, or \
             import your own files with `hotspots ingest FILE...`"
        )?;
    }
    let failed = results.iter().any(|r| matches!(r, FileResult::Failed { .. }));
    if failed {
        return Ok(EXIT_ERROR);
    }
    if args.no_serve {
        return Ok(EXIT_OK);
    }
    writeln!(out, "\nopen http://{}/ in a browser to see the map", args.addr)?;
    let serve = super::ServeArgs {
        addr: args.addr,
        public: false,
        min_count: 5,
        token: None,
        allow_query_token: false,
        cors: None,
        public_url: None,
        areas: super::demo::boundary_files(),
        basemap: None,
        assets: None,
        crs: None,
        harm: None,
        cache_mb: 256,
        poll_s: 0.0,
    };
    let state = super::serve::state(&store_path, &serve)?;
    super::serve::serve(state, out)
}

/// March against February 2024, and the tasking list for April: what a tasking meeting would see.
fn demo_compare_and_tasking(store: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(
        out,
        "\nMarch against February 2024 (hotspots compare --before 2024-02..2024-03 --after 2024-03..2024-04):\n"
    )?;
    if let Err(e) = run_command(store, &["compare", "--before", "2024-02..2024-03", "--after", "2024-03..2024-04"], out)
    {
        writeln!(out, "(compare: {e})")?;
    }
    writeln!(out, "\ntasking list for April 2024 (hotspots tasking --at 2024-04-01 --window 3m --top 3):\n")?;
    if let Err(e) =
        run_command(store, &["tasking", "--at", "2024-04-01", "--window", "3m", "--top", "3", "--weight", "harm"], out)
    {
        writeln!(out, "(tasking: {e})")?;
    }
    writeln!(
        out,
        "\n(a printable brief: hotspots tasking --at 2024-04-01 --window 3m --format html --out brief.html)\n"
    )?;
    Ok(())
}

/// Run one command as its command line would (`hotspots --store STORE ARGS...`), so what the demo prints is exactly
/// what the command it names prints.
fn run_command(store: &Path, args: &[&str], out: &mut dyn Write) -> Result<u8, CliError> {
    use clap::Parser;
    let store = store.display().to_string();
    let argv = ["hotspots", "--store", store.as_str()].into_iter().chain(args.iter().copied());
    let cli = super::Cli::try_parse_from(argv).map_err(|e| CliError::Usage(e.to_string()))?;
    super::run(cli, out)
}

/// Boundary outlines shipped with the fixtures, drawn on the demo map.
pub(super) fn boundary_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("boundaries");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
