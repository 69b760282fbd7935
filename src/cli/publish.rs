//! `hotspots publish --out DIR` (the public map as one PMTiles archive, a JSON index and a static page) and
//! `serve --public` (the same products served), both from [`crate::publish`].

use super::CliError;
use super::serve::{ServeArgs, default_assets, load_areas};
use crate::geo::CrsDef;
use crate::publish::Published;
use crate::publish::archive::write;
use crate::publish::secret::{key_path, load_or_create};
use crate::server::ServerConfig;
use crate::server::public::{PublicServer, public_app};
use crate::store::Store;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Options of `hotspots publish`.
#[derive(Debug, Clone, Args)]
pub struct PublishArgs {
    /// The directory to write (created if missing): hotspots.pmtiles, index.json, index.html and the page's files.
    #[arg(long)]
    pub out: PathBuf,
    /// The rounding base: every published count is a multiple of it, so none shows 1 to min_count - 1.
    #[arg(long, default_value_t = 5)]
    pub min_count: u32,
    /// Boundary layers (GeoJSON polygons) to publish counts by (repeatable); the store's layers are published too.
    #[arg(long = "areas")]
    pub areas: Vec<PathBuf>,
    /// Metric CRS of the published cells (default: the UTM zone of the data's centre).
    #[arg(long)]
    pub crs: Option<String>,
    /// The page's assets directory (default: assets/ of this repository).
    #[arg(long)]
    pub assets: Option<PathBuf>,
}

fn map_err(e: crate::publish::PublishError) -> CliError {
    CliError::Usage(e.to_string())
}

/// The public products of a store: its data, its boundary layers and the publishing key beside it
/// (`STORE.publish-key`, made on first use).
pub(super) fn published(
    store_path: &Path,
    areas: &[PathBuf],
    crs: Option<&str>,
    min_count: u32,
) -> Result<Published, CliError> {
    let store = Store::open_existing(store_path)?;
    let crs = crs.map(CrsDef::parse).transpose().map_err(|e| CliError::Usage(format!("--crs: {e}")))?;
    let ds = super::load_dataset(&store, crs.as_ref())?;
    let (areas, _) = load_areas(&store, areas)?;
    let secret = load_or_create(&key_path(store_path)).map_err(map_err)?;
    Published::build(&ds, &areas, &secret, min_count).map_err(|e| match e {
        crate::publish::PublishError::Base(n) => {
            CliError::Usage(format!("--min-count {n}: public counts are rounded to a base of 2 or more"))
        }
        e => map_err(e),
    })
}

fn describe(p: &Published, out: &mut dyn Write) -> Result<(), CliError> {
    let lo = &p.tables.left_out;
    writeln!(
        out,
        "{} published periods ({} months), counts rounded to multiples of {}",
        p.periods.len(),
        p.tables.months.len(),
        p.tables.base
    )?;
    if lo.year_only + lo.month_not_held > 0 {
        writeln!(
            out,
            "left out: {} incidents known only to the year, {} in months the store does not hold completely",
            lo.year_only, lo.month_not_held
        )?;
    }
    Ok(())
}

pub(super) fn run(store_path: &Path, args: &PublishArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let started = std::time::Instant::now();
    let p = published(store_path, &args.areas, args.crs.as_deref(), args.min_count)?;
    describe(&p, out)?;
    let assets = args.assets.clone().unwrap_or_else(default_assets);
    let w = write(&p, &args.out, &assets).map_err(map_err)?;
    writeln!(
        out,
        "wrote {}: {} tiles, hotspots.pmtiles {} bytes, index.json {} bytes, in {:.1} s",
        w.dir.display(),
        w.tiles,
        w.archive_bytes,
        w.index_bytes,
        started.elapsed().as_secs_f64()
    )?;
    Ok(super::EXIT_OK)
}

/// `serve --public`: the published products over HTTP.
pub(super) fn serve_public(store_path: &Path, args: &ServeArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    if !args.addr.ip().is_loopback() && args.token.is_none() {
        return Err(CliError::Usage(format!(
            "--addr {} is reachable from other machines: pass --token (or HOTSPOTS_TOKEN), or publish the map \
             with `hotspots publish --out DIR` for any static web host",
            args.addr
        )));
    }
    let p = published(store_path, &args.areas, args.crs.as_deref(), args.min_count)?;
    describe(&p, out)?;
    let mut config = ServerConfig::new(args.addr, args.assets.clone().unwrap_or_else(default_assets));
    config.public = true;
    config.min_count = args.min_count;
    config.token = args.token.clone();
    let state = Arc::new(PublicServer::new(p, config));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    writeln!(out, "serving the public map at http://{}/; Ctrl-C to stop", args.addr)?;
    out.flush()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        axum::serve(listener, public_app(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
    .map_err(|e| CliError::Usage(format!("cannot serve: {e}")))?;
    Ok(super::EXIT_OK)
}
