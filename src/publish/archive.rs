//! The published directory: one PMTiles archive of every public tile (written by the `pmtiles` crate), the JSON
//! index, and the static page with its vendored libraries, so that any static web host serves the public map.
//! Also a small reader of the archive (tests and checks read back what was written).

use super::PublishError;
use super::index::index_json;
use super::lattice::{MAX_ZOOM, MIN_ZOOM};
use super::products::Published;
use super::tiles::{tile, tile_ids};
use rayon::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The archive's file name in the published directory.
pub const ARCHIVE: &str = "hotspots.pmtiles";
/// The index's file name.
pub const INDEX: &str = "index.json";

/// The static page's files: (source under the assets directory, name in the published directory).
pub const PAGE_FILES: [(&str, &str); 8] = [
    ("public/index.html", "index.html"),
    ("public/public.js", "public.js"),
    ("public/public.css", "public.css"),
    ("vendor/maplibre-gl/maplibre-gl.js", "vendor/maplibre-gl/maplibre-gl.js"),
    ("vendor/maplibre-gl/maplibre-gl.css", "vendor/maplibre-gl/maplibre-gl.css"),
    ("vendor/maplibre-gl/LICENSE.txt", "vendor/maplibre-gl/LICENSE.txt"),
    ("vendor/pmtiles/pmtiles.js", "vendor/pmtiles/pmtiles.js"),
    ("vendor/pmtiles/LICENSE.txt", "vendor/pmtiles/LICENSE.txt"),
];

/// What `publish` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    /// The directory written.
    pub dir: PathBuf,
    /// Tiles in the archive.
    pub tiles: usize,
    /// Size of the PMTiles archive, bytes.
    pub archive_bytes: u64,
    /// Size of the index JSON, bytes.
    pub index_bytes: u64,
    /// Periods published.
    pub periods: usize,
}

/// A built tile: `(z, x, y, bytes)`.
pub type BuiltTile = (u8, u32, u32, Vec<u8>);

/// Every public tile, in tile-id order.
pub fn all_tiles(p: &Published) -> Result<Vec<BuiltTile>, PublishError> {
    let ids = tile_ids(p);
    let mut built: Vec<(u64, u8, u32, u32, Vec<u8>)> = ids
        .par_iter()
        .map(|&t| {
            let bytes = tile(p, t).map_err(|e| PublishError::Tile(e.to_string()))?;
            let id = pmtiles::TileCoord::new(t.z, t.x, t.y).map(|c| pmtiles::TileId::from(c).value()).unwrap_or(0);
            Ok(bytes.map(|b| (id, t.z, t.x, t.y, b)))
        })
        .collect::<Result<Vec<_>, PublishError>>()?
        .into_iter()
        .flatten()
        .collect();
    built.sort_by_key(|b| b.0);
    Ok(built.into_iter().map(|(_, z, x, y, b)| (z, x, y, b)).collect())
}

/// Write the public map of `p` into `dir`: the archive, the index and the page (copied from `assets_dir`).
pub fn write(p: &Published, dir: &Path, assets_dir: &Path) -> Result<Written, PublishError> {
    let io = |path: &Path, e: std::io::Error| PublishError::Io { path: path.to_owned(), source: e };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tiles = all_tiles(p)?;
    let n_tiles = tiles.len();
    let index = index_json(p, json!({"pmtiles": ARCHIVE}));
    // The archive's metadata: TileJSON's vector_layers, and the index (so the archive alone says what it holds).
    let vector_layers: Vec<serde_json::Value> =
        super::tiles::layer_names(p).iter().map(|l| json!({"id": l, "fields": {}})).collect();
    let metadata = json!({"name": "hotspots public map", "vector_layers": vector_layers, "hotspots": index});
    let archive = dir.join(ARCHIVE);
    let tmp = dir.join(format!(".{ARCHIVE}.tmp"));
    {
        let file = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        let mut builder = pmtiles::PmTilesWriter::new(pmtiles::TileType::Mvt)
            .tile_compression(pmtiles::Compression::Gzip)
            .min_zoom(MIN_ZOOM)
            .max_zoom(MAX_ZOOM)
            .metadata(metadata.to_string());
        if let Some(b) = p.bounds_lonlat {
            builder = builder.bounds(b[0], b[1], b[2], b[3]).center((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        }
        let mut w = builder.create(file).map_err(|e| PublishError::Archive(e.to_string()))?;
        for (z, x, y, bytes) in &tiles {
            let coord = pmtiles::TileCoord::new(*z, *x, *y).map_err(|e| PublishError::Archive(e.to_string()))?;
            w.add_tile(coord, bytes).map_err(|e| PublishError::Archive(e.to_string()))?;
        }
        w.finalize().map_err(|e| PublishError::Archive(e.to_string()))?;
    }
    std::fs::rename(&tmp, &archive).map_err(|e| io(&archive, e))?;
    let index_text = serde_json::to_string_pretty(&index).map_err(|e| PublishError::Archive(e.to_string()))?;
    let index_path = dir.join(INDEX);
    crate::files::write_atomic(&index_path, index_text.as_bytes()).map_err(|e| io(&index_path, e))?;
    for (from, to) in PAGE_FILES {
        let (src, dst) = (assets_dir.join(from), dir.join(to));
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::copy(&src, &dst).map_err(|e| io(&src, e))?;
    }
    let size = |path: &Path| std::fs::metadata(path).map(|m| m.len()).map_err(|e| io(path, e));
    Ok(Written {
        dir: dir.to_owned(),
        tiles: n_tiles,
        archive_bytes: size(&archive)?,
        index_bytes: size(&index_path)?,
        periods: p.periods.len(),
    })
}

/// An archive read back: its tiles (decompressed) by `(z, x, y)` and its metadata.
pub struct ReadArchive {
    /// Every tile, decompressed, by `(z, x, y)`.
    pub tiles: BTreeMap<(u8, u32, u32), Vec<u8>>,
    /// The archive's JSON metadata.
    pub metadata: serde_json::Value,
    /// Lowest zoom level in the archive.
    pub min_zoom: u8,
    /// Highest zoom level in the archive.
    pub max_zoom: u8,
    /// `[w, s, e, n]` from the header.
    pub bounds_lonlat: [f64; 4],
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, PublishError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| PublishError::Archive(format!("gzip: {e}")))?;
    Ok(out)
}

fn varint(b: &[u8], pos: &mut usize) -> Result<u64, PublishError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos).ok_or_else(|| PublishError::Archive("directory ends inside a number".into()))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(PublishError::Archive("a directory number is too long".into()))
}

/// Read a PMTiles v3 archive written by [`write()`] (gzip directories and tiles), following leaf directories.
pub fn read(bytes: &[u8]) -> Result<ReadArchive, PublishError> {
    let bad = |m: &str| PublishError::Archive(m.to_owned());
    if bytes.len() < 127 || &bytes[..7] != b"PMTiles" || bytes[7] != 3 {
        return Err(bad("not a PMTiles v3 archive"));
    }
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap_or([0; 8]));
    let i32_at = |o: usize| i32::from_le_bytes(bytes[o..o + 4].try_into().unwrap_or([0; 4]));
    let (root_off, root_len, meta_off, meta_len) = (u64_at(8), u64_at(16), u64_at(24), u64_at(32));
    let (leaf_off, data_off) = (u64_at(40), u64_at(56));
    let slice = |off: u64, len: u64| -> Result<&[u8], PublishError> {
        bytes.get(off as usize..(off + len) as usize).ok_or_else(|| bad("a section lies past the end of the file"))
    };
    let metadata: serde_json::Value = serde_json::from_slice(&gunzip(slice(meta_off, meta_len)?)?)
        .map_err(|e| PublishError::Archive(format!("metadata: {e}")))?;
    let mut tiles = BTreeMap::new();
    let mut dirs = vec![gunzip(slice(root_off, root_len)?)?];
    while let Some(dir) = dirs.pop() {
        let mut pos = 0;
        let n = varint(&dir, &mut pos)? as usize;
        let mut ids = Vec::with_capacity(n);
        let mut last = 0u64;
        for _ in 0..n {
            last += varint(&dir, &mut pos)?;
            ids.push(last);
        }
        let runs: Vec<u64> = (0..n).map(|_| varint(&dir, &mut pos)).collect::<Result<_, _>>()?;
        let lens: Vec<u64> = (0..n).map(|_| varint(&dir, &mut pos)).collect::<Result<_, _>>()?;
        let mut offsets = Vec::with_capacity(n);
        for k in 0..n {
            let v = varint(&dir, &mut pos)?;
            let off = if v == 0 && k > 0 { offsets[k - 1] + lens[k - 1] } else { v.saturating_sub(1) };
            offsets.push(off);
        }
        for k in 0..n {
            if runs[k] == 0 {
                dirs.push(gunzip(slice(leaf_off + offsets[k], lens[k])?)?);
                continue;
            }
            let data = gunzip(slice(data_off + offsets[k], lens[k])?)?;
            for r in 0..runs[k] {
                let id = pmtiles::TileId::new(ids[k] + r).map_err(|e| PublishError::Archive(e.to_string()))?;
                let c = pmtiles::TileCoord::from(id);
                tiles.insert((c.z(), c.x(), c.y()), data.clone());
            }
        }
    }
    let e7 = |o: usize| f64::from(i32_at(o)) / 1e7;
    Ok(ReadArchive {
        tiles,
        metadata,
        min_zoom: bytes[100],
        max_zoom: bytes[101],
        bounds_lonlat: [e7(102), e7(106), e7(110), e7(114)],
    })
}
