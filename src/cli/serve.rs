//! `hotspots serve`: the map server.

use super::CliError;
use crate::analysis::harm::HarmTable;
use crate::areas::AreaLayer;
use crate::geo::CrsDef;
use crate::server::{AppState, Context, ServerConfig};
use crate::store::Store;
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The options of `hotspots serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Serve the public map only: the products `hotspots publish` writes (whole months and quarters, 250 m cells,
    /// published groups, every count randomly rounded to a multiple of --min-count with cell keys).
    #[arg(long)]
    pub public: bool,
    /// The rounding base of --public: every public count is a multiple of it, so none shows 1 to min_count - 1.
    #[arg(long, default_value_t = 5)]
    pub min_count: u32,
    /// Require `Authorization: Bearer <token>` on every data request (an empty token is refused).
    #[arg(long, env = "HOTSPOTS_TOKEN")]
    pub token: Option<String>,
    /// Also accept the token as `?token=` in data URLs (it then lands in logs and browser histories). The page
    /// itself always sends the header.
    #[arg(long)]
    pub allow_query_token: bool,
    /// Let pages of this one origin (e.g. https://analysts.example.org) read the answers across sites (CORS).
    /// Default: none.
    #[arg(long = "cors", value_name = "ORIGIN")]
    pub cors: Option<String>,
    /// The address users reach the server at behind a proxy (https://maps.example.org): its host is accepted in
    /// the Host header and TileJSON's tile URLs are built on it. Other hosts than the bound address get 403.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Boundary layers (GeoJSON polygons) to draw and count by (repeatable); the store's layers (`hotspots areas
    /// import`) are served too.
    #[arg(long = "areas")]
    pub areas: Vec<PathBuf>,
    /// A basemap: a local PMTiles file (protomaps schema; served by this server, drawn with the style in
    /// assets/vendor/protomaps-basemaps), or a style URL or raster tile template (default: none; the page needs no
    /// internet).
    #[arg(long)]
    pub basemap: Option<String>,
    /// The web page's directory (default: assets/ of this repository).
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// Metric CRS for grids (default: the UTM zone of the data's centre).
    #[arg(long)]
    pub crs: Option<String>,
    /// Harm weights CSV instead of the built-in table.
    #[arg(long)]
    pub harm: Option<PathBuf>,
    /// Seconds between checks of the store for new imports, which are then served (the data swapped whole);
    /// 0 serves the data as it was at start.
    #[arg(long, default_value_t = 2.0)]
    pub poll_s: f64,
    /// Memory for cached analyses, and again for cached tiles, in MB.
    #[arg(long, default_value_t = 256)]
    pub cache_mb: usize,
}

/// The repository's assets/ (or ./assets).
pub(super) fn default_assets() -> PathBuf {
    let local = Path::new("assets");
    if local.join("index.html").exists() {
        local.to_owned()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
    }
}

/// The boundary layers: the --areas files, then the store's layers (`hotspots areas import`), the newest version
/// of each, served as `areas-{name}` like the --areas files; a --areas file of the same name wins.
pub(super) fn load_areas(
    store: &Store,
    files: &[PathBuf],
) -> Result<(Vec<AreaLayer>, Vec<crate::store::AreaLayerRecord>), CliError> {
    let mut areas = files
        .iter()
        .map(|p| AreaLayer::from_geojson_path(p).map_err(|e| CliError::Usage(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let stored_layers = store.newest_area_layers()?;
    for rec in &stored_layers {
        if !areas.iter().any(|a| a.name == rec.name) {
            areas.push(store.load_area_layer(rec)?);
        }
    }
    Ok((areas, stored_layers))
}

/// Build the server state from a store and the options.
pub(super) fn state(store_path: &Path, args: &ServeArgs) -> Result<AppState, CliError> {
    if !args.addr.ip().is_loopback() && args.token.is_none() {
        return Err(CliError::Usage(format!(
            "--addr {} is reachable from other machines: pass --token (or HOTSPOTS_TOKEN) so requests need it",
            args.addr
        )));
    }
    let mut config = ServerConfig::new(args.addr, args.assets.clone().unwrap_or_else(default_assets));
    config.public = args.public;
    config.min_count = args.min_count;
    config.token = args.token.clone();
    config.allow_query_token = args.allow_query_token;
    config.cors_origin = args.cors.clone();
    config.public_url = args.public_url.clone();
    match args.basemap.as_deref() {
        Some(b) if b.ends_with(".pmtiles") && !b.contains("://") => {
            let path = PathBuf::from(b);
            if !path.is_file() {
                return Err(CliError::Usage(format!("--basemap {b}: no such file")));
            }
            config.basemap_pmtiles = Some(path);
        }
        other => config.basemap = other.map(str::to_owned),
    }
    config.cache_bytes = args.cache_mb << 20;
    crate::server::access::check_config(&config).map_err(|e| {
        use crate::server::access::AccessError as A;
        let flag = match e {
            A::EmptyToken | A::SpacedToken => "--token (or HOTSPOTS_TOKEN)",
            A::BadOrigin(_) => "--cors",
            A::BadPublicUrl(_) => "--public-url",
            A::QueryTokenWithoutToken => "--allow-query-token",
        };
        CliError::Usage(format!("{flag}: {e}"))
    })?;
    // SQLite's check of the store runs in the background once the server is up (see `serve_live`).
    let store = Store::open_existing(store_path)?;
    load_state(&store, args, config)
}

/// The server state from the store's data as it is now (at start, and again on every new data version).
fn load_state(store: &Store, args: &ServeArgs, config: ServerConfig) -> Result<AppState, CliError> {
    let crs = args.crs.as_deref().map(CrsDef::parse).transpose().map_err(|e| CliError::Usage(format!("--crs: {e}")))?;
    let ds = super::load_dataset(store, crs.as_ref())?;
    let table = match &args.harm {
        Some(p) => HarmTable::from_csv_path(p).map_err(|e| CliError::Usage(e.to_string()))?,
        None => HarmTable::police_uk_default(),
    };
    let (harm, _) = table.weights_for(ds.categories().names(), 1.0);
    let (areas, stored_layers) = load_areas(store, &args.areas)?;
    let imports = store.imports()?;
    let version = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for i in &imports {
            h.update(i.content_sha256.as_bytes());
        }
        // A new version of a stored layer changes its tiles.
        for l in &stored_layers {
            h.update(l.file_sha256.as_bytes());
        }
        crate::files::hex(&h.finalize())[..8].to_owned()
    };
    Ok(AppState::new(Context::new(ds, harm, table.label().to_owned(), areas, config, version)))
}

/// Serve until Ctrl-C.
pub(super) fn serve(state: AppState, out: &mut dyn Write) -> Result<u8, CliError> {
    serve_live(state, None, out)
}

/// Serve until Ctrl-C; with `store` (its path and the options), the store is checked in the background and, unless
/// `--poll-s 0`, new imports are served within `--poll-s`.
/// `store` also gives the data version read before the state's data were loaded.
fn serve_live(
    state: AppState,
    store: Option<(&Path, &ServeArgs, Option<crate::store::DataVersion>)>,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let state = Arc::new(state);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let follow = store.as_ref().filter(|(_, a, _)| a.poll_s > 0.0);
    writeln!(
        out,
        "serving http://{}/ ({} incidents{}{}); Ctrl-C to stop",
        state.config.addr,
        crate::report::thousands(state.ds.len() as u64),
        if state.config.public { ", public mode" } else { "" },
        if follow.is_some() { ", following the store's imports" } else { "" }
    )?;
    out.flush()?;
    let live = crate::server::live::Live::new(state.clone());
    if let Some((path, _, _)) = &store {
        check_in_background(path, &state.config.store_check, &live);
    }
    if let Some((path, args, loaded)) = follow {
        let every = std::time::Duration::from_secs_f64(args.poll_s);
        let (args, config) = (ServeArgs::clone(args), state.config.clone());
        let loader: crate::server::live::Loader =
            Box::new(move |store: &Store| load_state(store, &args, config.clone()).map_err(|e| e.to_string()));
        live.follow(path.to_path_buf(), loaded.clone(), every, loader);
    }
    rt.block_on(crate::server::run_live(live)).map_err(|e| CliError::Usage(format!("cannot serve: {e}")))?;
    Ok(super::EXIT_OK)
}

/// Run SQLite's check of the store on its own thread (5 to 6 s on a 20M store, which must not delay the start):
/// the result is logged and shown by `/health`; on damage the server keeps serving the data it loaded (the snapshot
/// passed its checksum) but follows no more imports, and `/health` answers 503.
fn check_in_background(path: &Path, check: &crate::store::BackgroundCheck, live: &Arc<crate::server::live::Live>) {
    use crate::store::CheckState;
    let live = live.clone();
    check.run_in_background(path, move |state| match state {
        CheckState::Passed { seconds } => eprintln!("hotspots serve: store check passed ({seconds:.1} s)"),
        CheckState::Failed { problem } => {
            live.stop();
            eprintln!(
                "hotspots serve: the store is DAMAGED: {problem}. Still serving the data loaded at start, but \
                 following no more imports; /health answers 503 until the server is restarted on a sound store."
            );
        }
        CheckState::NotRun | CheckState::Running => {}
    });
}

pub(super) fn run(store_path: &Path, args: &ServeArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    if args.public {
        return super::publish::serve_public(store_path, args, out);
    }
    if !(args.poll_s.is_finite() && args.poll_s >= 0.0 && args.poll_s <= 3600.0) {
        return Err(CliError::Usage(format!("--poll-s {}: give seconds between 0 (off) and 3600", args.poll_s)));
    }
    // The version before the data: an import committing while they load makes the data newer than the version, so
    // the first poll loads it again rather than taking old data for current.
    let loaded = Store::open_existing(store_path)?.data_version().ok();
    serve_live(state(store_path, args)?, Some((store_path, args, loaded)), out)
}
