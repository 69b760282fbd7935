//! Turning one row's values into an incident, or into a reason it cannot be one. Shared by the CSV and GeoJSON
//! readers so both validate alike.

use super::reject::RejectReason;
use super::timeparse::{ParsedTime, TimeParser};
use crate::geo::Projector;
use crate::model::Interner;
use std::borrow::Cow;

pub use crate::model::record::{NewNames, ParsedIncident, UNSPECIFIED_CATEGORY};

/// The distinct categories, area codes and location texts of one import, as ids.
#[derive(Debug, Default)]
pub(super) struct Names {
    categories: Interner,
    areas: Interner,
    locations: Interner,
    sent: (usize, usize, usize),
}

impl Names {
    /// Id of a category; empty means [`UNSPECIFIED_CATEGORY`].
    pub(super) fn category(&mut self, text: Option<&str>) -> u32 {
        let t = text.map(str::trim).filter(|t| !t.is_empty()).unwrap_or(UNSPECIFIED_CATEGORY);
        self.categories.intern(t)
    }
    /// Id of an area code, `None` when empty.
    pub(super) fn area(&mut self, text: Option<&str>) -> Option<u32> {
        Self::optional(&mut self.areas, text)
    }
    /// Id of a location text, `None` when empty.
    pub(super) fn location(&mut self, text: Option<&str>) -> Option<u32> {
        Self::optional(&mut self.locations, text)
    }
    fn optional(interner: &mut Interner, text: Option<&str>) -> Option<u32> {
        let t = text?.trim();
        (!t.is_empty()).then(|| interner.intern(t))
    }
    /// The names added since the last call.
    pub(super) fn take_new(&mut self) -> NewNames {
        let (c, a, l) = self.sent;
        self.sent = (self.categories.len(), self.areas.len(), self.locations.len());
        NewNames {
            categories: self.categories.names()[c..].to_vec(),
            areas: self.areas.names()[a..].to_vec(),
            locations: self.locations.names()[l..].to_vec(),
        }
    }
}

/// A refusal: reason and a detail naming the column and value.
pub(super) type Refusal = (RejectReason, String);

/// Checks and converts the values of one row.
#[derive(Debug)]
pub(super) struct Validator {
    /// Converts the file's coordinates to WGS84; `None` when they already are lon/lat in WGS84.
    projector: Option<Projector>,
    /// Whether the file's coordinates are degrees (range-checked as lon/lat before any conversion).
    geographic: bool,
    time: TimeParser,
    encoding: Option<&'static encoding_rs::Encoding>,
}

impl Validator {
    pub(super) fn new(
        projector: Projector,
        time: TimeParser,
        encoding: Option<&'static encoding_rs::Encoding>,
    ) -> Self {
        let geographic = projector.is_geographic();
        let projector = (!projector.def().is_wgs84()).then_some(projector);
        Validator { projector, geographic, time, encoding }
    }

    /// Decode a field as text: UTF-8, or the chosen encoding when it is not.
    pub(super) fn text<'a>(&self, bytes: &'a [u8], column: &str) -> Result<Cow<'a, str>, Refusal> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Cow::Borrowed(s)),
            Err(e) => match self.encoding {
                Some(enc) => Ok(enc.decode_without_bom_handling(bytes).0),
                None => Err((
                    RejectReason::InvalidText,
                    format!(
                        "{column} is not valid UTF-8 (byte 0x{:02X} at position {}); if the file is in another \
                         encoding pass --encoding, e.g. --encoding windows-1252",
                        bytes[e.valid_up_to()],
                        e.valid_up_to()
                    ),
                )),
            },
        }
    }

    /// Coordinates given as text in the file's CRS, to WGS84 lon/lat.
    pub(super) fn coords_text(&self, a: &str, b: &str, names: (&str, &str)) -> Result<(f64, f64), Refusal> {
        let (a_t, b_t) = (a.trim(), b.trim());
        if a_t.is_empty() || b_t.is_empty() {
            let which = match (a_t.is_empty(), b_t.is_empty()) {
                (true, true) => format!("{} and {} are empty", names.0, names.1),
                (true, false) => format!("{} is empty", names.0),
                _ => format!("{} is empty", names.1),
            };
            return Err((RejectReason::MissingCoordinates, which));
        }
        let num = |t: &str, name: &str| {
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| (RejectReason::NonNumericCoordinates, format!("{name} '{t}' is not a number")))
        };
        let (x, y) = (num(a_t, names.0)?, num(b_t, names.1)?);
        self.coords(x, y, names)
    }

    /// Coordinates given as numbers in the file's CRS, to WGS84 lon/lat.
    pub(super) fn coords(&self, x: f64, y: f64, names: (&str, &str)) -> Result<(f64, f64), Refusal> {
        if !x.is_finite() || !y.is_finite() {
            return Err((
                RejectReason::NonNumericCoordinates,
                format!("{} {x} / {} {y} is not a finite number", names.0, names.1),
            ));
        }
        if x == 0.0 && y == 0.0 {
            return Err((
                RejectReason::ZeroCoordinates,
                format!("{} and {} are both 0, the usual placeholder for an ungeocoded record", names.0, names.1),
            ));
        }
        if self.geographic && !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
            return Err((
                RejectReason::OutOfRangeCoordinates,
                format!(
                    "{} {x} / {} {y} is outside longitude -180..180, latitude -90..90 (are the columns swapped, or \
                     projected? then use --x-col/--y-col with --crs)",
                    names.0, names.1
                ),
            ));
        }
        let (lon, lat) = match &self.projector {
            None => (x, y),
            Some(p) => p.to_lonlat(x, y).ok_or_else(|| {
                (
                    RejectReason::OutOfRangeCoordinates,
                    format!("{} {x} / {} {y} cannot be converted from {}", names.0, names.1, p.def().label),
                )
            })?,
        };
        if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
            return Err((
                RejectReason::OutOfRangeCoordinates,
                format!("{} {x} / {} {y} is off the globe once converted (lon {lon}, lat {lat})", names.0, names.1),
            ));
        }
        Ok((lon, lat))
    }

    pub(super) fn time(&self, value: &str, column: &str) -> Result<ParsedTime, Refusal> {
        self.time.parse(value).map_err(|e| (RejectReason::from_time_error(&e), format!("{column}: {e}")))
    }

    pub(super) fn weight(&self, value: &str, column: &str) -> Result<f64, Refusal> {
        let t = value.trim();
        if t.is_empty() {
            return Ok(1.0);
        }
        let w = t
            .parse::<f64>()
            .ok()
            .filter(|w| w.is_finite() && *w >= 0.0)
            .ok_or_else(|| (RejectReason::InvalidWeight, format!("{column} '{t}' is not a non-negative number")))?;
        if w > MAX_WEIGHT {
            return Err((
                RejectReason::InvalidWeight,
                format!("{column} '{t}' is above {MAX_WEIGHT:e}, the largest weight one incident may carry"),
            ));
        }
        Ok(w)
    }
}

/// The largest weight one incident may carry: weights are held as 32-bit floats and summed over millions of
/// incidents, so a weight of 1e308 would make every harm total infinite.
pub(super) const MAX_WEIGHT: f64 = 1e6;

/// An optional text value: `None` when empty after trimming.
pub(super) fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use crate::model::timeparse::TimeFormat;

    fn v(crs: &str) -> Validator {
        Validator::new(
            Projector::new(&CrsDef::parse(crs).unwrap()).unwrap(),
            TimeParser::new(TimeFormat::Auto, None),
            None,
        )
    }

    #[test]
    fn coordinate_ladder() {
        let w = v("EPSG:4326");
        let n = ("Longitude", "Latitude");
        assert_eq!(w.coords_text("-1.98", " 50.7 ", n), Ok((-1.98, 50.7)));
        assert_eq!(w.coords_text("", "50.7", n).unwrap_err().0, RejectReason::MissingCoordinates);
        assert_eq!(w.coords_text("abc", "50.7", n).unwrap_err().0, RejectReason::NonNumericCoordinates);
        assert_eq!(w.coords_text("NaN", "50.7", n).unwrap_err().0, RejectReason::NonNumericCoordinates);
        assert_eq!(w.coords_text("inf", "50.7", n).unwrap_err().0, RejectReason::NonNumericCoordinates);
        assert_eq!(w.coords_text("0", "0.0", n).unwrap_err().0, RejectReason::ZeroCoordinates);
        assert_eq!(w.coords_text("0", "50.7", n), Ok((0.0, 50.7)));
        let e = w.coords_text("400000", "100000", n).unwrap_err();
        assert_eq!(e.0, RejectReason::OutOfRangeCoordinates);
        assert!(e.1.contains("--x-col"), "{}", e.1);
    }

    #[test]
    fn projected_coordinates_convert() {
        let b = v("EPSG:27700");
        let (lon, lat) = b.coords_text("401000", "91000", ("E", "N")).unwrap();
        assert!((lon + 1.98).abs() < 0.02 && (lat - 50.72).abs() < 0.02, "{lon} {lat}");
        assert_eq!(b.coords(0.0, 0.0, ("E", "N")).unwrap_err().0, RejectReason::ZeroCoordinates);
        assert_eq!(b.coords(1e30, 1e30, ("E", "N")).unwrap_err().0, RejectReason::OutOfRangeCoordinates);
    }

    #[test]
    fn text_and_weight() {
        let w = v("EPSG:4326");
        assert_eq!(w.text(b"caf\xc3\xa9", "Location").unwrap(), "café");
        let e = w.text(b"caf\xe9", "Location").unwrap_err();
        assert_eq!(e.0, RejectReason::InvalidText);
        assert!(e.1.contains("0xE9") && e.1.contains("--encoding"), "{}", e.1);
        let latin = Validator::new(
            Projector::new(&CrsDef::wgs84()).unwrap(),
            TimeParser::new(TimeFormat::Auto, None),
            Some(encoding_rs::WINDOWS_1252),
        );
        assert_eq!(latin.text(b"caf\xe9", "Location").unwrap(), "café");
        assert_eq!(w.weight("", "w"), Ok(1.0));
        assert_eq!(w.weight("2.5", "w"), Ok(2.5));
        assert_eq!(w.weight("-1", "w").unwrap_err().0, RejectReason::InvalidWeight);
        assert_eq!(w.weight("1e308", "w").unwrap_err().0, RejectReason::InvalidWeight);
        assert_eq!(w.weight("1e6", "w"), Ok(1e6));
        assert_eq!(non_empty("  "), None);
        assert_eq!(non_empty(" a "), Some("a".into()));
    }
}
