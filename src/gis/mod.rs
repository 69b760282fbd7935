//! GIS outputs through GDAL (the `gdal` cargo feature, linking the system libgdal): files every GIS opens.
//! (Reading boundary layers from any OGR format is `areas::ogr`.)
//!
//! - [`write`]: counts per area as a GeoPackage (EPSG:4326), and density surfaces as a GeoTIFF in the grid's CRS.

pub(crate) mod write;

pub(crate) use write::{write_area_counts_gpkg, write_density_tif, write_geojson_gpkg};

use crate::geo::CrsDef;
use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};

/// Errors writing GIS files.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GisError {
    #[error("{what}: {source}")]
    Gdal {
        what: String,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Wrap a GDAL error with what was being done.
pub(crate) fn gdal_err(what: &str) -> impl FnOnce(gdal::errors::GdalError) -> GisError + '_ {
    move |source| GisError::Gdal { what: what.to_owned(), source }
}

/// The EPSG code in a CRS label (`EPSG:27700`, `UTM 30N (EPSG:32630)`).
fn epsg_in(label: &str) -> Option<u32> {
    let rest = &label[label.find("EPSG:")? + 5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A GDAL spatial reference for a CRS: by its EPSG code when it has one, else from its proj string; axes in the
/// traditional GIS order (x = easting or longitude), as every file this crate writes holds them.
pub(crate) fn spatial_ref(def: &CrsDef) -> Result<SpatialRef, GisError> {
    let mut srs = match epsg_in(&def.label) {
        Some(code) => SpatialRef::from_epsg(code),
        None if def.is_wgs84() => SpatialRef::from_epsg(4326),
        None => SpatialRef::from_proj4(&def.proj4),
    }
    .map_err(gdal_err("setting up the CRS"))?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_codes_from_labels() {
        assert_eq!(epsg_in("EPSG:27700"), Some(27700));
        assert_eq!(epsg_in("UTM 30N (EPSG:32630)"), Some(32630));
        assert_eq!(epsg_in("+proj=tmerc"), None);
        let srs = spatial_ref(&CrsDef::utm_for(-2.0, 50.7)).unwrap();
        assert_eq!(srs.auth_code().unwrap(), 32630);
    }
}
