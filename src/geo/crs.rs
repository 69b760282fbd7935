//! CRS definitions and lon/lat <-> projected conversion, on top of `proj4rs` (pure Rust).
//!
//! Accepted spellings: `EPSG:4326` (and the `urn:ogc:def:crs:EPSG::4326` URN), `CRS84`/`WGS84`, `EPSG:3857`,
//! `EPSG:27700` (or `BNG`), UTM zones as `UTM30N`/`UTM 30S`/`EPSG:32630`, any other EPSG code known to the
//! `crs-definitions` table, and raw proj strings (`+proj=tmerc ...`).

use proj4rs::Proj;
use serde::Serialize;

/// Errors in CRS definitions and conversions.
#[derive(Debug, thiserror::Error)]
pub enum CrsError {
    #[error(
        "unknown CRS '{given}': {reason}. Use EPSG:4326, EPSG:3857, EPSG:27700, a UTM zone such as UTM30N, or a proj \
         string starting with '+proj='"
    )]
    /// The CRS text is not one of the known names nor a proj string that parses.
    Unknown {
        /// The text the user gave.
        given: String,
        /// Why it was not understood.
        reason: String,
    },
    /// proj4rs could not set the CRS up from its proj string.
    #[error("CRS '{label}' could not be set up: {source}")]
    Setup {
        /// The CRS as the user named it.
        label: String,
        /// proj4rs's error.
        #[source]
        source: proj4rs::errors::Error,
    },
    /// The CRS is valid but its units are not metres (e.g. degrees), where distances need metres.
    #[error("CRS '{label}' is not in metres (it is {units}); distances and cell sizes need a metric CRS")]
    NotMetric {
        /// The CRS as the user named it.
        label: String,
        /// Its units in words (`degrees`, `0.3048 m per unit`).
        units: String,
    },
}

/// A CRS as the user named it (`label`) and the proj string that implements it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrsDef {
    /// The CRS as the user named it or as it is shown (`EPSG:27700`, `UTM30N`, a proj string).
    pub label: String,
    /// The proj string that implements it.
    pub proj4: String,
}

const WGS84_PROJ4: &str = "+proj=longlat +datum=WGS84 +no_defs";

impl CrsDef {
    /// WGS84 longitude/latitude in degrees (EPSG:4326 with lon/lat axis order, as CSV and GeoJSON use).
    pub fn wgs84() -> Self {
        CrsDef { label: "EPSG:4326".into(), proj4: WGS84_PROJ4.into() }
    }

    /// The WGS84 UTM zone (`+proj=utm`) that contains a lon/lat point.
    pub fn utm_for(lon: f64, lat: f64) -> Self {
        let zone = (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) + 1;
        Self::utm(zone as u8, lat >= 0.0)
    }

    fn utm(zone: u8, north: bool) -> Self {
        let epsg = if north { 32600 } else { 32700 } + u32::from(zone);
        CrsDef {
            label: format!("UTM {zone}{} (EPSG:{epsg})", if north { 'N' } else { 'S' }),
            proj4: format!(
                "+proj=utm +zone={zone}{} +datum=WGS84 +units=m +no_defs",
                if north { "" } else { " +south" }
            ),
        }
    }

    /// Whether this is plain WGS84 lon/lat, so conversions are the identity.
    pub fn is_wgs84(&self) -> bool {
        self.proj4 == WGS84_PROJ4
    }

    /// Parse a user's CRS text.
    pub fn parse(given: &str) -> Result<Self, CrsError> {
        let text = given.trim();
        let unknown = |reason: &str| CrsError::Unknown { given: given.to_owned(), reason: reason.to_owned() };
        if text.is_empty() {
            return Err(unknown("it is empty"));
        }
        if text.starts_with('+') {
            Proj::from_proj_string(text).map_err(|e| CrsError::Unknown {
                given: given.to_owned(),
                reason: format!("proj string rejected: {e}"),
            })?;
            return Ok(CrsDef { label: text.to_owned(), proj4: text.to_owned() });
        }
        let upper = text.to_ascii_uppercase();
        let compact: String = upper.chars().filter(|c| !c.is_whitespace()).collect();
        if matches!(
            compact.as_str(),
            "WGS84" | "CRS84" | "URN:OGC:DEF:CRS:OGC:1.3:CRS84" | "URN:OGC:DEF:CRS:OGC::CRS84" | "OGC:CRS84"
        ) {
            return Ok(Self::wgs84());
        }
        if compact == "BNG" {
            return Self::epsg(27700, given);
        }
        if let Some(rest) = compact.strip_prefix("UTM") {
            let (digits, hemi) = rest.split_at(rest.char_indices().last().map_or(0, |(i, _)| i));
            let zone: u8 = digits.parse().map_err(|_| unknown("a UTM zone is written like UTM30N or UTM 33S"))?;
            if !(1..=60).contains(&zone) {
                return Err(unknown("UTM zones run from 1 to 60"));
            }
            return match hemi {
                "N" => Ok(Self::utm(zone, true)),
                "S" => Ok(Self::utm(zone, false)),
                _ => Err(unknown("a UTM zone ends with N or S, like UTM30N")),
            };
        }
        let code_text = compact
            .strip_prefix("EPSG:")
            .or_else(|| compact.strip_prefix("URN:OGC:DEF:CRS:EPSG::"))
            .or_else(|| compact.rsplit_once("EPSG::").map(|(_, c)| c));
        match code_text {
            Some(code) => {
                let code: u32 = code.parse().map_err(|_| unknown("an EPSG code is a number, like EPSG:27700"))?;
                Self::epsg(code, given)
            }
            None => Err(unknown("not a recognised CRS name")),
        }
    }

    fn epsg(code: u32, given: &str) -> Result<Self, CrsError> {
        if code == 4326 {
            return Ok(Self::wgs84());
        }
        if let Some(zone) = code.checked_sub(32600).filter(|z| (1..=60).contains(z)) {
            return Ok(Self::utm(zone as u8, true));
        }
        if let Some(zone) = code.checked_sub(32700).filter(|z| (1..=60).contains(z)) {
            return Ok(Self::utm(zone as u8, false));
        }
        let def = u16::try_from(code).ok().and_then(crs_definitions::from_code).ok_or_else(|| CrsError::Unknown {
            given: given.to_owned(),
            reason: format!("EPSG:{code} is not in the built-in table; pass its proj string instead"),
        })?;
        Ok(CrsDef { label: format!("EPSG:{code}"), proj4: def.proj4.to_owned() })
    }
}

impl std::fmt::Display for CrsDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

/// Converts between one CRS and WGS84 lon/lat in degrees.
#[derive(Debug)]
pub struct Projector {
    def: CrsDef,
    /// `None` for WGS84 itself (conversions are the identity).
    proj: Option<Proj>,
    wgs84: Proj,
}

impl Projector {
    /// A projector between WGS84 and `def`, in any units (see [`Projector::new_metric`] for metric ones).
    pub fn new(def: &CrsDef) -> Result<Self, CrsError> {
        let setup =
            |s: &str| Proj::from_proj_string(s).map_err(|source| CrsError::Setup { label: def.label.clone(), source });
        let wgs84 = setup(WGS84_PROJ4)?;
        let proj = if def.is_wgs84() { None } else { Some(setup(&def.proj4)?) };
        Ok(Projector { def: def.clone(), proj, wgs84 })
    }

    /// A projector for a CRS that must be in metres (for distances, grids and bandwidths).
    pub fn new_metric(def: &CrsDef) -> Result<Self, CrsError> {
        let p = Self::new(def)?;
        match &p.proj {
            Some(proj) if !proj.is_latlong() && (proj.to_meter() - 1.0).abs() < 1e-12 => Ok(p),
            Some(proj) if !proj.is_latlong() => {
                Err(CrsError::NotMetric { label: def.label.clone(), units: format!("{} m per unit", proj.to_meter()) })
            }
            _ => Err(CrsError::NotMetric { label: def.label.clone(), units: "degrees".into() }),
        }
    }

    /// The CRS this projector converts to and from.
    pub fn def(&self) -> &CrsDef {
        &self.def
    }

    /// Whether coordinates in this CRS are geographic degrees.
    pub fn is_geographic(&self) -> bool {
        self.proj.as_ref().is_none_or(Proj::is_latlong)
    }

    /// Coordinates in this CRS to WGS84 lon/lat degrees; `None` if the point cannot be converted.
    pub fn to_lonlat(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let Some(proj) = &self.proj else {
            return Some((x, y));
        };
        let mut p = if proj.is_latlong() { (x.to_radians(), y.to_radians(), 0.0) } else { (x, y, 0.0) };
        proj4rs::transform::transform(proj, &self.wgs84, &mut p).ok()?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
    }

    /// WGS84 lon/lat degrees to coordinates in this CRS; `None` if the point cannot be converted.
    pub fn from_lonlat(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let Some(proj) = &self.proj else {
            return Some((lon, lat));
        };
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.wgs84, proj, &mut p).ok()?;
        let (x, y) = if proj.is_latlong() { (p.0.to_degrees(), p.1.to_degrees()) } else { (p.0, p.1) };
        (x.is_finite() && y.is_finite()).then_some((x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64), tol: f64) -> bool {
        (a.0 - b.0).abs() <= tol && (a.1 - b.1).abs() <= tol
    }

    #[test]
    fn parses_the_documented_spellings() {
        assert!(CrsDef::parse("EPSG:4326").unwrap().is_wgs84());
        assert!(CrsDef::parse("urn:ogc:def:crs:OGC:1.3:CRS84").unwrap().is_wgs84());
        assert_eq!(CrsDef::parse("urn:ogc:def:crs:EPSG::27700").unwrap().label, "EPSG:27700");
        assert_eq!(CrsDef::parse("bng").unwrap().label, "EPSG:27700");
        assert_eq!(CrsDef::parse("UTM 30N").unwrap(), CrsDef::parse("EPSG:32630").unwrap());
        assert!(CrsDef::parse("utm33s").unwrap().proj4.contains("+south"));
        assert!(CrsDef::parse("+proj=utm +zone=16 +datum=WGS84").is_ok());
        for bad in ["", "EPSG:abc", "UTM61N", "UTM30X", "UTM30\u{1bc80}", "EPSG:1", "mercator", "+proj=nonsense"] {
            let err = CrsDef::parse(bad).unwrap_err().to_string();
            assert!(err.contains("unknown CRS"), "{bad}: {err}");
        }
    }

    #[test]
    fn british_national_grid_matches_ordnance_survey() {
        // Caister water tower, the Ordnance Survey worked example: E 651409.903, N 313177.270 is ETRS89
        // 52°39'28.8282"N 1°42'57.7870"E. The 7-parameter Helmert shift is good to about 5 m (5e-5 degrees).
        let bng = Projector::new(&CrsDef::parse("EPSG:27700").unwrap()).unwrap();
        let (lon, lat) = bng.to_lonlat(651_409.903, 313_177.270).unwrap();
        assert!(close((lon, lat), (1.716_051_9, 52.658_007_8), 5e-5), "{lon} {lat}");
        let (e, n) = bng.from_lonlat(lon, lat).unwrap();
        assert!(close((e, n), (651_409.903, 313_177.270), 1e-3));
    }

    #[test]
    fn utm_and_web_mercator_round_trip() {
        let poole = (-1.987, 50.715);
        let utm = Projector::new_metric(&CrsDef::utm_for(poole.0, poole.1)).unwrap();
        assert_eq!(utm.def().label, "UTM 30N (EPSG:32630)");
        let xy = utm.from_lonlat(poole.0, poole.1).unwrap();
        assert!(xy.0 > 500_000.0 && xy.0 < 650_000.0 && xy.1 > 5_600_000.0, "{xy:?}");
        assert!(close(utm.to_lonlat(xy.0, xy.1).unwrap(), poole, 1e-9));

        let merc = Projector::new_metric(&CrsDef::parse("EPSG:3857").unwrap()).unwrap();
        let (x, y) = merc.from_lonlat(180.0, 0.0).unwrap();
        assert!((x - 20_037_508.342_789_244).abs() < 1e-3 && y.abs() < 1e-6);
        assert!(close(merc.to_lonlat(x, 1_000_000.0).map(|(a, _)| (a, 0.0)).unwrap(), (180.0, 0.0), 1e-9));
    }

    #[test]
    fn degrees_are_not_metric() {
        let err = Projector::new_metric(&CrsDef::wgs84()).unwrap_err();
        assert!(err.to_string().contains("not in metres"));
        let wgs = Projector::new(&CrsDef::wgs84()).unwrap();
        assert!(wgs.is_geographic());
        assert_eq!(wgs.to_lonlat(1.5, 2.5), Some((1.5, 2.5)));
    }

    #[test]
    fn nan_does_not_convert() {
        let utm = Projector::new(&CrsDef::utm_for(0.0, 0.0)).unwrap();
        assert_eq!(utm.from_lonlat(f64::NAN, 1.0), None);
        assert_eq!(utm.to_lonlat(f64::NAN, 1.0), None);
    }
}
