//! Where `when` counts: the selection cut to one area of a boundary layer (`LAYER:KEY`), or to a circle around a
//! point. Each cut says in words where it counted, for the report's heading.

use crate::areas::AreaLayer;
use crate::geo::{CrsError, Projector};
use crate::model::{Dataset, Selection};

/// Errors naming the parameter that was wrong.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// `area` is not `LAYER:KEY` (the value given).
    #[error("area {0}: give LAYER:KEY, e.g. lsoas:E01015301")]
    AreaSyntax(String),
    /// The layer has no area with that key.
    #[error("area {layer}:{key}: layer {layer} has no area with key '{key}'")]
    NoSuchArea {
        /// The layer's name.
        layer: String,
        /// The key asked for.
        key: String,
    },
    /// `near` is not a longitude and latitude in range (the value given).
    #[error("near {0}: give LON,LAT in degrees, e.g. -87.63,41.88")]
    BadPoint(String),
    /// `radius_m` is not a positive distance (the value given).
    #[error("radius_m {0}: give a positive distance in metres")]
    BadRadius(f64),
    /// The dataset's metric CRS could not be used.
    #[error(transparent)]
    Crs(#[from] CrsError),
}

impl PlaceError {
    /// The parameter the error is about, which its message starts with (`None` for a CRS error).
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            PlaceError::AreaSyntax(_) | PlaceError::NoSuchArea { .. } => Some("area"),
            PlaceError::BadPoint(_) => Some("near"),
            PlaceError::BadRadius(_) => Some("radius_m"),
            PlaceError::Crs(_) => None,
        }
    }
}

/// `LAYER:KEY` split at its last colon (a layer name may hold one; a key, such as an ONS code, does not).
pub fn area_spec(spec: &str) -> Result<(&str, &str), PlaceError> {
    match spec.rsplit_once(':') {
        Some((layer, key)) if !layer.is_empty() && !key.is_empty() => Ok((layer, key)),
        _ => Err(PlaceError::AreaSyntax(spec.to_owned())),
    }
}

/// Keep the selected incidents inside the area `key` of `layer` (a point on a shared edge belongs to the layer's
/// first area, as everywhere); the place in words.
pub fn keep_in_area(ds: &Dataset, sel: &mut Selection, layer: &AreaLayer, key: &str) -> Result<String, PlaceError> {
    let idx = layer
        .areas
        .iter()
        .position(|a| a.key == key)
        .ok_or_else(|| PlaceError::NoSuchArea { layer: layer.name.clone(), key: key.to_owned() })?;
    let (lon, lat) = (ds.lon(), ds.lat());
    sel.indices.retain(|&i| layer.locate(lon[i as usize], lat[i as usize]) == Some(idx));
    Ok(format!("{}:{} ({})", layer.name, key, layer.areas[idx].name))
}

/// `LON,LAT` in degrees, each in range.
pub fn lonlat(value: &str) -> Result<(f64, f64), PlaceError> {
    let bad = || PlaceError::BadPoint(value.to_owned());
    let (lon, lat) = value.split_once(',').ok_or_else(bad)?;
    let (lon, lat) = (lon.trim().parse::<f64>().map_err(|_| bad())?, lat.trim().parse::<f64>().map_err(|_| bad())?);
    if !(lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
        return Err(bad());
    }
    Ok((lon, lat))
}

/// Keep the selected incidents within `radius_m` of `lon`, `lat` (distance in the dataset's metric CRS, the circle's
/// edge included); the place in words.
pub fn keep_near(
    ds: &Dataset,
    sel: &mut Selection,
    (lon, lat): (f64, f64),
    radius_m: f64,
) -> Result<String, PlaceError> {
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return Err(PlaceError::BadRadius(radius_m));
    }
    let (cx, cy) =
        Projector::new(ds.crs())?.from_lonlat(lon, lat).ok_or_else(|| PlaceError::BadPoint(format!("{lon},{lat}")))?;
    let (x, y) = (ds.x_m(), ds.y_m());
    sel.indices.retain(|&i| (x[i as usize] - cx).hypot(y[i as usize] - cy) <= radius_m);
    Ok(format!("within {radius_m} m of {lat:.5}, {lon:.5} (lat, lon)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dataset::testing::{TestRow, dataset_of};
    use crate::model::{Query, TimePrecision};

    fn ds(points: &[(f64, f64)]) -> Dataset {
        let rows: Vec<TestRow> =
            points.iter().map(|&(lon, lat)| (lon, lat, 1_700_000_000, TimePrecision::Second, "x")).collect();
        dataset_of(&rows)
    }

    #[test]
    fn a_circle_keeps_what_lies_within_its_radius() {
        // About 0, 700 and 7,000 m east of the centre (a degree of longitude is about 70 km at 50.7 N).
        let d = ds(&[(-1.9, 50.7), (-1.89, 50.7), (-1.8, 50.7)]);
        let mut sel = Query::default().select(&d).unwrap();
        let place = keep_near(&d, &mut sel, (-1.9, 50.7), 1_000.0).unwrap();
        assert_eq!(sel.indices, vec![0, 1]);
        assert!(place.starts_with("within 1000 m of 50.70000, -1.90000"), "{place}");
        let mut sel = Query::default().select(&d).unwrap();
        keep_near(&d, &mut sel, (-1.9, 50.7), 10_000.0).unwrap();
        assert_eq!(sel.indices, vec![0, 1, 2]);
    }

    #[test]
    fn bad_places_name_their_parameter() {
        let d = ds(&[(-1.9, 50.7)]);
        let mut sel = Query::default().select(&d).unwrap();
        for (value, r) in [(-1.0, "radius_m -1"), (0.0, "radius_m 0"), (f64::NAN, "radius_m NaN")] {
            let e = keep_near(&d, &mut sel, (-1.9, 50.7), value).unwrap_err();
            assert_eq!(e.parameter(), Some("radius_m"));
            assert!(e.to_string().starts_with(r), "{e}");
        }
        for bad in ["-1.9", "x,50", "-1.9,91", "200,50", "nan,50"] {
            let e = lonlat(bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("near {bad}:")), "{e}");
        }
        assert_eq!(lonlat(" -87.63 , 41.88 ").unwrap(), (-87.63, 41.88));
        assert_eq!(area_spec("my:layer:E01015301").unwrap(), ("my:layer", "E01015301"));
        for bad in ["lsoas", ":E01", "lsoas:"] {
            assert!(area_spec(bad).unwrap_err().to_string().starts_with(&format!("area {bad}:")));
        }
    }
}
