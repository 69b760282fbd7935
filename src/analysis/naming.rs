//! Names people can steer by: a place's street (the location text without police.uk's "On or near "), whether a
//! location is one of police.uk's generic map-point labels ("Parking Area", "Supermarket", ...), area names from a
//! boundary layer whose keys are the incidents' area codes, and a hotspot's name: its area's name and its first
//! specific street ("Poole 015C, High Street").
//!
//! police.uk snaps every incident to an anonymous map point; a point on a street is labelled "On or near High
//! Street", a point at a public place only by its kind ("On or near Supermarket"). Those kind labels say nothing
//! about where a place is, so a name prefers the first street that is not one of them. The list
//! ([`GENERIC_LOCATIONS`]) is every such label in the eight Dorset months of `fixtures/police-uk/` (checked by a
//! test that reads them), plus "Train Station" and "No Location".

use crate::areas::AreaLayer;
use crate::model::Interner;
use std::collections::HashMap;

/// police.uk's generic map-point labels (after "On or near "): the kind of place, not where it is.
pub const GENERIC_LOCATIONS: &[&str] = &[
    "Airport/Airfield",
    "Bus/Coach Station",
    "Conference/Exhibition Centre",
    "Ferry Terminal",
    "Further/Higher Educational Building",
    "Hospital",
    "Motorway Service Area",
    "Nightclub",
    "No Location",
    "Park/Open Space",
    "Parking Area",
    "Pedestrian Subway",
    "Petrol Station",
    "Police Station",
    "Prison",
    "Shopping Area",
    "Sports/Recreation Area",
    "Supermarket",
    "Theatre/Concert Hall",
    "Theme/Adventure Park",
    "Train Station",
];

/// The street or place of a location text: police.uk's "On or near " left out, spaces trimmed.
pub fn street_of(location: &str) -> &str {
    let t = location.trim();
    if t.eq_ignore_ascii_case("on or near") {
        return "";
    }
    t.strip_prefix("On or near ").map_or(t, str::trim)
}

/// Whether a location text (with or without "On or near ") is a generic map-point label or empty.
pub fn is_generic(location: &str) -> bool {
    let s = street_of(location);
    s.is_empty() || GENERIC_LOCATIONS.iter().any(|g| g.eq_ignore_ascii_case(s))
}

/// The first specific street of a list ordered most frequent first (generic labels skipped), else the first label
/// of the list; `None` for an empty list.
pub fn first_street<'a>(locations: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut first = None;
    for l in locations {
        let s = street_of(l);
        if s.is_empty() {
            continue;
        }
        if !is_generic(s) {
            return Some(s);
        }
        first.get_or_insert(s);
    }
    first
}

/// A place's name: `area, street`, or whichever of the two is known.
pub fn place_name(area: Option<&str>, street: Option<&str>) -> String {
    match (area.filter(|a| !a.is_empty()), street.filter(|s| !s.is_empty())) {
        (Some(a), Some(s)) => format!("{a}, {s}"),
        (Some(a), None) => a.to_owned(),
        (None, Some(s)) => s.to_owned(),
        (None, None) => String::new(),
    }
}

/// Area names by area code, from the boundary layer whose keys match most of the incidents' area codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaNames {
    /// The layer the names came from (empty: none matched).
    pub layer: String,
    by_code: HashMap<String, String>,
}

impl AreaNames {
    /// Names from the layer (of `layers`) with the most keys among the dataset's area codes (`codes`); ties go to the
    /// earlier layer. A layer matching no code, or whose names are its keys, gives nothing.
    pub fn from_layers<'a>(layers: impl IntoIterator<Item = &'a AreaLayer>, codes: &Interner) -> AreaNames {
        let mut best: Option<(usize, &AreaLayer)> = None;
        for l in layers {
            let hits = l.areas.iter().filter(|a| a.name != a.key && codes.get(&a.key).is_some()).count();
            if hits > 0 && best.is_none_or(|(n, _)| hits > n) {
                best = Some((hits, l));
            }
        }
        let Some((_, layer)) = best else { return AreaNames::default() };
        AreaNames {
            layer: layer.name.clone(),
            by_code: layer.areas.iter().filter(|a| a.name != a.key).map(|a| (a.key.clone(), a.name.clone())).collect(),
        }
    }

    /// The name of an area code, or `None`.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.by_code.get(code).map(String::as_str)
    }

    /// The name of an area code, or the code itself.
    pub fn name_or_code<'a>(&'a self, code: &'a str) -> &'a str {
        self.name(code).unwrap_or(code)
    }

    /// Whether no area has a name of its own (every code would be shown as itself).
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::areas::Area;
    use geo_types::MultiPolygon;

    #[test]
    fn street_drops_on_or_near() {
        assert_eq!(street_of("On or near High Street"), "High Street");
        assert_eq!(street_of("  High Street "), "High Street");
        assert_eq!(street_of("On or near "), "");
        assert_eq!(street_of(""), "");
    }

    #[test]
    fn generic_labels_are_recognised_with_or_without_the_prefix() {
        assert!(is_generic("On or near Parking Area"));
        assert!(is_generic("Supermarket"));
        assert!(is_generic("on or near")); // nothing left
        assert!(is_generic(""));
        assert!(!is_generic("On or near Parking Area Road"));
        assert!(!is_generic("On or near High Street"));
    }

    #[test]
    fn first_street_skips_generic_labels_when_a_specific_one_exists() {
        let l =
            ["On or near Parking Area", "On or near Supermarket", "On or near High Street", "On or near Kings Road"];
        assert_eq!(first_street(l), Some("High Street"));
        assert_eq!(first_street(["On or near Parking Area", "On or near Nightclub"]), Some("Parking Area"));
        assert_eq!(first_street(["", "On or near "]), None);
        assert_eq!(first_street(Vec::<&str>::new()), None);
    }

    #[test]
    fn place_names_join_what_is_known() {
        assert_eq!(place_name(Some("Poole 015C"), Some("High Street")), "Poole 015C, High Street");
        assert_eq!(place_name(Some("Poole 015C"), None), "Poole 015C");
        assert_eq!(place_name(None, Some("High Street")), "High Street");
        assert_eq!(place_name(Some(""), Some("")), "");
    }

    fn area(key: &str, name: &str) -> Area {
        Area { key: key.into(), name: name.into(), outline_lonlat: MultiPolygon(vec![]) }
    }

    #[test]
    fn area_names_come_from_the_layer_matching_most_codes() {
        let mut codes = Interner::default();
        for c in ["E01000001", "E01000002", "E01000003"] {
            codes.intern(c);
        }
        let towns = AreaLayer::new("towns", vec![area("Poole", "Poole")]);
        let msoas = AreaLayer::new("msoas", vec![area("E01000001", "Somewhere 001")]);
        let lsoas = AreaLayer::new("lsoas", vec![area("E01000001", "Poole 001A"), area("E01000002", "Poole 001B")]);
        let names = AreaNames::from_layers(&[towns, msoas, lsoas], &codes);
        assert_eq!(names.layer, "lsoas");
        assert_eq!(names.name("E01000002"), Some("Poole 001B"));
        assert_eq!(names.name_or_code("E01000003"), "E01000003");
        let none = AreaNames::from_layers(&[AreaLayer::new("towns", vec![area("Poole", "Poole")])], &codes);
        assert!(none.is_empty() && none.layer.is_empty());
    }
}
