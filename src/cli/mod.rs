//! The command-line interface: argument definitions (clap) and one function per command. `main.rs` only parses
//! and dispatches here, so tests can run commands in-process.

mod analysis;
mod areas;
mod backtest;
mod compare;
mod demo;
mod info;
mod ingest;
mod nearrepeat;
pub mod params;
mod publish;
mod serve;
mod synth;
mod tasking;
mod when;

pub use analysis::{DataArgs, DensityArgs, FindArgs, GiStarArgs, HexArgs};
pub use areas::{AreasArgs, AreasCommand, AreasCountsArgs, AreasImportArgs, AreasListArgs};
pub use backtest::BacktestArgs;
pub use compare::{AccuracyArgs, CompareArgs};
pub use demo::DemoArgs;
pub use info::InfoArgs;
pub use ingest::{IngestArgs, error_chain};
pub use nearrepeat::NearRepeatArgs;
pub use publish::PublishArgs;
pub use serve::ServeArgs;
pub use synth::SynthArgs;
pub use tasking::{EmergingArgs, TaskingArgs};
pub use when::WhenArgs;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;

/// Exit code: everything asked for was done (rejected rows are reported, not failures).
pub const EXIT_OK: u8 = 0;
/// Exit code: an error stopped the command.
pub const EXIT_ERROR: u8 = 1;
/// Exit code: bad command-line usage (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: some input files failed while others were imported.
pub const EXIT_PARTIAL: u8 = 3;

/// The `hotspots` command line: the store and the command to run.
#[derive(Debug, Parser)]
#[command(name = "hotspots", version, about = "Hotspot analysis of geocoded incidents", long_about = None)]
pub struct Cli {
    /// The store file (SQLite).
    #[arg(
        long,
        global = true,
        env = "HOTSPOTS_STORE",
        default_value = crate::store::DEFAULT_STORE_PATH,
        help_heading = "Store",
        display_order = 1000
    )]
    pub store: PathBuf,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import incident files (police.uk CSV, any CSV, GeoJSON points; .gz read transparently) into the store.
    Ingest(Box<IngestArgs>),
    /// Show what the store holds: incidents, time range, categories, months, extent, imports.
    Info(InfoArgs),
    /// Write realistic synthetic incidents with planted hotspots, and their ground truth.
    Synth(SynthArgs),
    /// Kernel density on a grid: summary, or the surface as GeoJSON, CSV or a PNG heatmap.
    Density(Box<DensityArgs>),
    /// Ranked hotspots with their facts: a table, --json/--geojson, or --csv.
    Find(Box<FindArgs>),
    /// Getis-Ord Gi* on grid cells with a distance band.
    Gistar(Box<GiStarArgs>),
    /// Incidents per H3 hexagon, optionally with Gi* over k rings.
    Hex(Box<HexArgs>),
    /// Compare two windows: totals, categories, a target with its buffer and control, WDQ and WDD, a change map.
    Compare(Box<CompareArgs>),
    /// How well hotspots chosen on one window predict another: hit rate, PAI, RRI.
    Accuracy(Box<AccuracyArgs>),
    /// Rolling-origin backtest of prediction methods: what each one's places caught of the next period, at equal
    /// area (hit rate, PAI, PEI, harm captured), and the method the record favours.
    Backtest(Box<BacktestArgs>),
    /// Emerging hot spots: Gi* per week or month and each place's trend (new, intensifying, persistent, ...).
    Emerging(Box<EmergingArgs>),
    /// Ranked candidate places for the period after a date, with the facts to choose between them; --format html
    /// writes a printable brief.
    Tasking(Box<TaskingArgs>),
    /// Serve the web map, vector tiles and JSON summaries.
    Serve(Box<ServeArgs>),
    /// Write the public map (whole months, 250 m cells, rounded counts) as one PMTiles archive, a JSON index and a
    /// static page, for any static web host.
    Publish(Box<PublishArgs>),
    /// Boundary layers: import (GeoJSON; any OGR format with the gdal feature), list, counts per area.
    Areas(Box<AreasArgs>),
    /// Ingest the shipped fixtures into a temporary store and show what the engine knows (--keep PATH keeps the
    /// store; --store is not used).
    Demo(DemoArgs),
    /// Near repeats: the Knox test (space-time bands, Monte Carlo p-values); --zones-at for near-repeat zones.
    Nearrepeat(Box<NearRepeatArgs>),
    /// When incidents happen: counts by hour of day x day of week (aoristic for time ranges), and the sentence
    /// "most incidents here happen ..." when the concentration is real.
    When(Box<WhenArgs>),
}

/// Errors of the command layer.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Opening, reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Importing a file failed.
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    /// Generating synthetic data failed.
    #[error(transparent)]
    Synth(#[from] crate::synth::SynthError),
    /// An analysis failed.
    #[error(transparent)]
    Analysis(#[from] crate::analysis::pipeline::AnalysisError),
    /// Importing or reading a boundary layer failed.
    #[error(transparent)]
    Areas(#[from] crate::areas::AreaError),
    /// Writing to the terminal or an output file failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    /// Formatting or writing a report failed.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// The arguments do not make sense together (what is wrong, in the command line's words).
    #[error("{0}")]
    Usage(String),
}

impl From<csv::Error> for CliError {
    fn from(e: csv::Error) -> Self {
        CliError::Report(crate::report::ReportError::Csv(e))
    }
}

impl CliError {
    /// Whether the output was closed by the reader (`hotspots info | head`): not worth an error message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Load the store's dataset (from its snapshot when that matches the store). Notes about the snapshot (rebuilt, or
/// not used) go to stderr, so they never mix with a command's output, which may be JSON or CSV.
pub(crate) fn load_dataset(
    store: &crate::store::Store,
    crs: Option<&crate::geo::CrsDef>,
) -> Result<crate::model::Dataset, CliError> {
    let (ds, notes) = store.load_dataset_noted(crs)?;
    for n in notes {
        eprintln!("note: {n}");
    }
    Ok(ds)
}

/// Run a parsed command, writing its report to `out`. Returns the process exit code.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<u8, CliError> {
    match cli.command {
        Command::Ingest(args) => ingest::run(&cli.store, &args, out),
        Command::Info(args) => info::run(&cli.store, &args, out),
        Command::Synth(args) => synth::run(&args, out),
        Command::Density(args) => analysis::run_density(&cli.store, &args, out),
        Command::Find(args) => analysis::run_find(&cli.store, &args, out),
        Command::Gistar(args) => analysis::run_gistar(&cli.store, &args, out),
        Command::Hex(args) => analysis::run_hex(&cli.store, &args, out),
        Command::Serve(args) => serve::run(&cli.store, &args, out),
        Command::Publish(args) => publish::run(&cli.store, &args, out),
        Command::Areas(args) => areas::run(&cli.store, &args, out),
        Command::Compare(args) => compare::run_compare(&cli.store, &args, out),
        Command::Accuracy(args) => compare::run_accuracy(&cli.store, &args, out),
        Command::Backtest(args) => backtest::run(&cli.store, &args, out),
        Command::Emerging(args) => tasking::run_emerging(&cli.store, &args, out),
        Command::Tasking(args) => tasking::run_tasking(&cli.store, &args, out),
        Command::Demo(args) => {
            if cli.store != std::path::Path::new(crate::store::DEFAULT_STORE_PATH) {
                return Err(CliError::Usage(format!(
                    "demo builds its own store from the fixtures and does not use --store {} (or HOTSPOTS_STORE); give \
                     --keep PATH to keep the demo's store",
                    cli.store.display()
                )));
            }
            demo::run(&args, out)
        }
        Command::Nearrepeat(args) => nearrepeat::run(&cli.store, &args, out),
        Command::When(args) => when::run(&cli.store, &args, out),
    }
}
