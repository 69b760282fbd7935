//! GeoPackage and GeoTIFF outputs. Each is written to a temporary file beside the target and renamed into place,
//! so a reader never sees half a file and a failed write leaves the old one.

use super::{GisError, gdal_err, spatial_ref};
use crate::analysis::area_tally::AreaTally;
use crate::analysis::kde::DensitySurface;
use crate::areas::AreaLayer;
use crate::geo::CrsDef;
use gdal::raster::Buffer;
use gdal::vector::{Feature, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal};
use gdal::{DriverManager, Metadata};
use std::path::{Path, PathBuf};

/// A path beside `path` that does not exist yet (GDAL refuses to create over a file), removed on drop unless
/// renamed into place.
struct Staged {
    tmp: PathBuf,
    done: bool,
}

impl Staged {
    fn new(path: &Path) -> Result<Staged, GisError> {
        let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
        let file =
            tempfile::Builder::new().prefix(".hotspots-").suffix(&ext).tempfile_in(crate::files::dir_of(path))?;
        let tmp = file.path().to_owned();
        drop(file);
        Ok(Staged { tmp, done: false })
    }

    fn finish(mut self, path: &Path) -> Result<(), GisError> {
        std::fs::rename(&self.tmp, path)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Counts per area as a GeoPackage layer named after the area layer: one MultiPolygon feature per area (EPSG:4326,
/// file order) with `key`, `name`, `count`, `harm`, `area_km2`, `density_per_km2` and one count field per category.
/// Incidents outside every area have no outline, so they are not a feature (the CSV and JSON outputs carry them).
pub(crate) fn write_area_counts_gpkg(path: &Path, t: &AreaTally, layer: &AreaLayer) -> Result<(), GisError> {
    let staged = Staged::new(path)?;
    {
        let driver = DriverManager::get_driver_by_name("GPKG").map_err(gdal_err("finding the GeoPackage driver"))?;
        let mut ds = driver.create_vector_only(&staged.tmp).map_err(gdal_err("creating the GeoPackage"))?;
        let srs = spatial_ref(&CrsDef::wgs84())?;
        let out = ds
            .create_layer(LayerOptions {
                name: &t.layer,
                srs: Some(&srs),
                ty: OGRwkbGeometryType::wkbMultiPolygon,
                options: None,
            })
            .map_err(gdal_err("creating the layer"))?;
        let mut fields: Vec<(&str, OGRFieldType::Type)> = vec![
            ("key", OGRFieldType::OFTString),
            ("name", OGRFieldType::OFTString),
            ("count", OGRFieldType::OFTInteger64),
            ("harm", OGRFieldType::OFTReal),
            ("area_km2", OGRFieldType::OFTReal),
            ("density_per_km2", OGRFieldType::OFTReal),
        ];
        fields.extend(t.categories.iter().map(|c| (c.as_str(), OGRFieldType::OFTInteger64)));
        out.create_defn_fields(&fields).map_err(gdal_err("creating the fields"))?;
        for (row, area) in t.rows.iter().zip(&layer.areas) {
            let what = format!("writing area '{}'", row.key);
            let mut f = Feature::new(out.defn()).map_err(gdal_err(&what))?;
            f.set_geometry(area.outline_lonlat.to_gdal().map_err(gdal_err(&what))?).map_err(gdal_err(&what))?;
            f.set_field_string(0, &row.key).map_err(gdal_err(&what))?;
            f.set_field_string(1, &row.name).map_err(gdal_err(&what))?;
            f.set_field_integer64(2, row.count as i64).map_err(gdal_err(&what))?;
            f.set_field_double(3, row.harm).map_err(gdal_err(&what))?;
            for (i, v) in [(4, row.area_km2), (5, row.density_per_km2)] {
                match v {
                    Some(v) => f.set_field_double(i, v),
                    None => f.set_field_null(i),
                }
                .map_err(gdal_err(&what))?;
            }
            for (k, n) in row.by_category.iter().enumerate() {
                f.set_field_integer64(6 + k, *n as i64).map_err(gdal_err(&what))?;
            }
            f.create(&out).map_err(gdal_err(&what))?;
        }
        // Closing the dataset writes the file.
    }
    staged.finish(path)
}

/// A density surface as a single-band Float64 GeoTIFF in the grid's CRS: density per km², north-up (the first
/// raster row is the grid's northern row), the geotransform from the grid's origin and cell size.
pub(crate) fn write_density_tif(path: &Path, s: &DensitySurface) -> Result<(), GisError> {
    let g = &s.grid;
    let staged = Staged::new(path)?;
    {
        let driver = DriverManager::get_driver_by_name("GTiff").map_err(gdal_err("finding the GeoTIFF driver"))?;
        let mut ds = driver
            .create_with_band_type::<f64, _>(&staged.tmp, g.cols, g.rows, 1)
            .map_err(gdal_err("creating the GeoTIFF"))?;
        let north = g.origin_y_m + g.rows as f64 * g.cell_m;
        ds.set_geo_transform(&[g.origin_x_m, g.cell_m, 0.0, north, 0.0, -g.cell_m])
            .map_err(gdal_err("setting the geotransform"))?;
        ds.set_spatial_ref(&spatial_ref(&g.crs)?).map_err(gdal_err("setting the CRS"))?;
        // The grid's row 0 is its southern row; a GeoTIFF's first row is its northern one.
        let mut north_up = Vec::with_capacity(g.rows * g.cols);
        for row in (0..g.rows).rev() {
            north_up.extend_from_slice(&s.density_per_km2[row * g.cols..(row + 1) * g.cols]);
        }
        let mut band = ds.rasterband(1).map_err(gdal_err("opening the band"))?;
        band.set_description("density_per_km2").map_err(gdal_err("naming the band"))?;
        let mut buffer = Buffer::new((g.cols, g.rows), north_up);
        band.write((0, 0), (g.cols, g.rows), &mut buffer).map_err(gdal_err("writing the density"))?;
    }
    staged.finish(path)
}

/// The type of a GeoJSON property across features: integers, reals, or text (anything else, arrays and objects as
/// JSON text).
fn field_type(values: &[&serde_json::Value]) -> OGRFieldType::Type {
    let present: Vec<&&serde_json::Value> = values.iter().filter(|v| !v.is_null()).collect();
    if !present.is_empty() && present.iter().all(|v| v.is_i64() || v.is_u64() || v.is_boolean()) {
        OGRFieldType::OFTInteger64
    } else if !present.is_empty() && present.iter().all(|v| v.is_number()) {
        OGRFieldType::OFTReal
    } else {
        OGRFieldType::OFTString
    }
}

/// A GeoJSON FeatureCollection (lon/lat, as every GeoJSON this crate writes) as one GeoPackage layer in EPSG:4326:
/// the geometries as they are, and one field per property name (the union over the features, in order of first
/// appearance; integers, reals, or text).
pub(crate) fn write_geojson_gpkg(path: &Path, doc: &serde_json::Value, layer_name: &str) -> Result<(), GisError> {
    let features: &[serde_json::Value] = doc.get("features").and_then(|f| f.as_array()).map_or(&[], |v| v);
    let mut names: Vec<String> = Vec::new();
    for f in features {
        if let Some(props) = f.get("properties").and_then(|p| p.as_object()) {
            for k in props.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    }
    let types: Vec<OGRFieldType::Type> = names
        .iter()
        .map(|n| {
            let values: Vec<&serde_json::Value> =
                features.iter().filter_map(|f| f.get("properties").and_then(|p| p.get(n))).collect();
            field_type(&values)
        })
        .collect();
    let staged = Staged::new(path)?;
    {
        let driver = DriverManager::get_driver_by_name("GPKG").map_err(gdal_err("finding the GeoPackage driver"))?;
        let mut ds = driver.create_vector_only(&staged.tmp).map_err(gdal_err("creating the GeoPackage"))?;
        let srs = spatial_ref(&CrsDef::wgs84())?;
        let out = ds
            .create_layer(LayerOptions {
                name: layer_name,
                srs: Some(&srs),
                ty: OGRwkbGeometryType::wkbUnknown,
                options: None,
            })
            .map_err(gdal_err("creating the layer"))?;
        let defs: Vec<(&str, OGRFieldType::Type)> =
            names.iter().map(String::as_str).zip(types.iter().copied()).collect();
        out.create_defn_fields(&defs).map_err(gdal_err("creating the fields"))?;
        for (k, feature) in features.iter().enumerate() {
            let what = format!("writing feature {}", k + 1);
            let mut f = Feature::new(out.defn()).map_err(gdal_err(&what))?;
            if let Some(g) = feature.get("geometry").filter(|g| !g.is_null()) {
                let geometry = gdal::vector::Geometry::from_geojson(&g.to_string()).map_err(gdal_err(&what))?;
                f.set_geometry(geometry).map_err(gdal_err(&what))?;
            }
            for (i, (name, ty)) in names.iter().zip(&types).enumerate() {
                let v = feature.get("properties").and_then(|p| p.get(name)).unwrap_or(&serde_json::Value::Null);
                match (v, *ty) {
                    (serde_json::Value::Null, _) => f.set_field_null(i),
                    (serde_json::Value::Bool(b), OGRFieldType::OFTInteger64) => f.set_field_integer64(i, i64::from(*b)),
                    (v, OGRFieldType::OFTInteger64) => f.set_field_integer64(i, v.as_i64().unwrap_or(i64::MAX)),
                    (v, OGRFieldType::OFTReal) => f.set_field_double(i, v.as_f64().unwrap_or(f64::NAN)),
                    (serde_json::Value::String(s), _) => f.set_field_string(i, s),
                    (v, _) => f.set_field_string(i, &v.to_string()),
                }
                .map_err(gdal_err(&what))?;
            }
            f.create(&out).map_err(gdal_err(&what))?;
        }
    }
    staged.finish(path)
}
