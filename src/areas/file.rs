//! A boundary file on disk: its format from the extension, its SHA-256 (the identity of its content), and its
//! areas. GeoJSON is read by [`super::read_geojson`] in every build; every other vector format goes through OGR,
//! with the `gdal` feature.

use super::{AreaError, FieldChoice, SourceLayer, read_geojson};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A layer read from a file, with what identifies it.
#[derive(Debug, Clone)]
pub struct LayerFile {
    /// The areas read, with the file's CRS and the key and name fields used.
    pub layer: SourceLayer,
    /// `geojson`, or the OGR driver's short name (`ESRI Shapefile`, `GPKG`, ...).
    pub format: String,
    /// SHA-256 of the file's bytes, followed for a Shapefile by its `.shx`, `.dbf`, `.prj` and `.cpg`.
    pub sha256: String,
}

fn is_geojson(path: &Path) -> bool {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    matches!(ext.as_str(), "geojson" | "json")
}

/// The files whose bytes make up the layer's content.
fn content_files(path: &Path) -> Vec<PathBuf> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let mut files = vec![path.to_owned()];
    if ext == "shp" {
        for side in ["shx", "dbf", "prj", "cpg"] {
            let p = path.with_extension(side);
            if p.exists() {
                files.push(p);
            }
        }
    }
    files
}

/// SHA-256 (hex) of the layer's content files.
pub fn content_sha256(path: &Path) -> Result<String, AreaError> {
    let mut h = Sha256::new();
    for f in content_files(path) {
        let bytes = std::fs::read(&f).map_err(|source| AreaError::Io { path: f.display().to_string(), source })?;
        h.update(&bytes);
    }
    Ok(crate::files::hex(&h.finalize()))
}

/// Read and check a boundary file (see the module docs for formats).
pub fn read_layer_file(path: &Path, fields: &FieldChoice) -> Result<LayerFile, AreaError> {
    let origin = path.display().to_string();
    if is_geojson(path) {
        let bytes = std::fs::read(path).map_err(|source| AreaError::Io { path: origin.clone(), source })?;
        let layer = read_geojson(&bytes, &origin, fields)?;
        let sha256 = crate::files::hex(&Sha256::digest(&bytes));
        return Ok(LayerFile { layer, format: "geojson".into(), sha256 });
    }
    read_other(path, fields, &origin)
}

#[cfg(feature = "gdal")]
fn read_other(path: &Path, fields: &FieldChoice, _origin: &str) -> Result<LayerFile, AreaError> {
    let (layer, format) = super::ogr::read_layer(path, fields)?;
    Ok(LayerFile { layer, format, sha256: content_sha256(path)? })
}

#[cfg(not(feature = "gdal"))]
fn read_other(path: &Path, _fields: &FieldChoice, origin: &str) -> Result<LayerFile, AreaError> {
    if !path.exists() {
        return Err(AreaError::Io { path: origin.to_owned(), source: std::io::ErrorKind::NotFound.into() });
    }
    Err(AreaError::Gis {
        path: origin.to_owned(),
        detail: "this build reads boundary layers from GeoJSON (.geojson) only; Shapefile, GeoPackage, KML, \
                 FlatGeobuf and the other OGR formats need hotspots built with `--features gdal` (and libgdal-dev), \
                 or convert the file first: `ogr2ogr -f GeoJSON out.geojson FILE`"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapefile_content_includes_its_sidecars() {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("a.shp");
        std::fs::write(&shp, b"shp").unwrap();
        let alone = content_sha256(&shp).unwrap();
        std::fs::write(dir.path().join("a.dbf"), b"dbf").unwrap();
        assert_ne!(content_sha256(&shp).unwrap(), alone);
        assert!(content_sha256(&dir.path().join("missing.geojson")).is_err());
    }
}
