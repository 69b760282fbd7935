//! Which column holds what: the user's flags, the police.uk layout recognised from its header, and a few
//! unambiguous common names recognised automatically (`Longitude`, `lat`, `Date`, ...). Every choice is
//! reported with how it was made, so the summary shows exactly what was read from where.

use serde::{Deserialize, Serialize};

/// The column (CSV) or property (GeoJSON) names and CRS the user gave on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnOptions {
    /// Column holding longitude, WGS84 degrees (or in `crs`); default: recognised from the header.
    pub lon_col: Option<String>,
    /// Column holding latitude, WGS84 degrees (or in `crs`); default: recognised from the header.
    pub lat_col: Option<String>,
    /// Column holding projected x (easting) in `crs`; given with `y_col` instead of lon/lat.
    pub x_col: Option<String>,
    /// Column holding projected y (northing) in `crs`; given with `x_col`.
    pub y_col: Option<String>,
    /// CRS of the coordinates in the file (default EPSG:4326 for lon/lat).
    pub crs: Option<String>,
    /// Column holding the incident's date or time; default: recognised from the header (`Month`, `Date`, ...).
    pub time_col: Option<String>,
    /// `auto` (default), `epoch-s`, `epoch-ms` or a strftime format.
    pub time_format: Option<String>,
    /// IANA time zone of clock times without an offset (default UTC).
    pub timezone: Option<String>,
    /// Column holding the category (crime type); default: recognised from the header, else every incident is
    /// [`crate::model::record::UNSPECIFIED_CATEGORY`].
    pub category_col: Option<String>,
    /// Column holding the source's own incident id, kept for looking rows up.
    pub id_col: Option<String>,
    /// Column holding an area code (e.g. LSOA code).
    pub area_col: Option<String>,
    /// Column holding a location text (street or place description).
    pub location_col: Option<String>,
    /// Column holding a weight per incident (a finite, non-negative number; default weight 1).
    pub weight_col: Option<String>,
}

/// What a column is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Longitude, WGS84 (or the file's CRS) degrees.
    Lon,
    /// Latitude, WGS84 (or the file's CRS) degrees.
    Lat,
    /// Projected easting, in the file's CRS.
    X,
    /// Projected northing, in the file's CRS.
    Y,
    /// Date or time of the incident.
    Time,
    /// Category (crime type).
    Category,
    /// The source's own incident id.
    Id,
    /// Area code.
    Area,
    /// Location text.
    Location,
    /// Weight per incident.
    Weight,
}

impl Role {
    /// The role in words, as summaries and messages name it (`longitude`, `time`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Role::Lon => "longitude",
            Role::Lat => "latitude",
            Role::X => "x",
            Role::Y => "y",
            Role::Time => "time",
            Role::Category => "category",
            Role::Id => "id",
            Role::Area => "area",
            Role::Location => "location",
            Role::Weight => "weight",
        }
    }

    /// The command-line flag that chooses this role's column (`--lon-col`, ...).
    pub fn flag(self) -> &'static str {
        match self {
            Role::Lon => "--lon-col",
            Role::Lat => "--lat-col",
            Role::X => "--x-col",
            Role::Y => "--y-col",
            Role::Time => "--time-col",
            Role::Category => "--category-col",
            Role::Id => "--id-col",
            Role::Area => "--area-col",
            Role::Location => "--location-col",
            Role::Weight => "--weight-col",
        }
    }

    /// Names recognised without a flag, most specific first (compared case-insensitively).
    fn auto_names(self) -> &'static [&'static str] {
        match self {
            Role::Lon => &["longitude", "lon", "lng", "long"],
            Role::Lat => &["latitude", "lat"],
            Role::X | Role::Y => &[],
            Role::Time => &["time", "datetime", "date_time", "timestamp", "date", "month", "occurred"],
            Role::Category => &["category", "crime type", "crime_type", "primary type", "offence", "offense"],
            Role::Id => &["id", "crime id", "incident id", "incident_id"],
            Role::Area => &["area", "area code", "area_code", "lsoa code"],
            Role::Location => &["location", "street", "block"],
            Role::Weight => &["weight"],
        }
    }

    fn flag_value(self, o: &ColumnOptions) -> Option<&str> {
        match self {
            Role::Lon => o.lon_col.as_deref(),
            Role::Lat => o.lat_col.as_deref(),
            Role::X => o.x_col.as_deref(),
            Role::Y => o.y_col.as_deref(),
            Role::Time => o.time_col.as_deref(),
            Role::Category => o.category_col.as_deref(),
            Role::Id => o.id_col.as_deref(),
            Role::Area => o.area_col.as_deref(),
            Role::Location => o.location_col.as_deref(),
            Role::Weight => o.weight_col.as_deref(),
        }
    }

    /// The police.uk street-level CSV column for this role.
    fn police_uk_column(self) -> Option<&'static str> {
        match self {
            Role::Lon => Some("Longitude"),
            Role::Lat => Some("Latitude"),
            Role::Time => Some("Month"),
            Role::Category => Some("Crime type"),
            Role::Id => Some("Crime ID"),
            Role::Area => Some("LSOA code"),
            Role::Location => Some("Location"),
            Role::X | Role::Y | Role::Weight => None,
        }
    }
}

/// The police.uk street-level header columns that identify the format.
pub const POLICE_UK_COLUMNS: [&str; 7] =
    ["Crime ID", "Month", "Longitude", "Latitude", "Location", "LSOA code", "Crime type"];

/// How a column was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Chosen {
    /// Named by the user (a flag or option).
    Flag,
    /// Part of the police.uk street-level layout recognised from the header.
    PoliceUk,
    /// Recognised by a common name (`Longitude`, `lat`, `Date`, ...).
    Auto,
}

/// One column in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnUse {
    /// What the column is used for.
    pub role: Role,
    /// 0-based index of the column in the header (or of the property among those found).
    pub index: usize,
    /// The column's (or property's) name as written in the file.
    pub name: String,
    /// How the column was chosen.
    pub chosen: Chosen,
}

/// A header lacking what the import needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct MissingColumn {
    /// The role no column was found for.
    pub role: Role,
    /// The name asked for with a flag, if any.
    pub wanted: Option<String>,
    /// The header (or GeoJSON property names) found.
    pub found: Vec<String>,
    /// A name in the header close to the one asked for, if any (a likely typo).
    pub suggestion: Option<String>,
    /// Whether the file is GeoJSON (names are properties rather than columns).
    pub properties: bool,
}

impl MissingColumn {
    fn message(&self) -> String {
        let what = if self.properties { "property" } else { "column" };
        let found_what = if self.properties { "properties found" } else { "header found" };
        let mut m = match &self.wanted {
            Some(w) => format!("no {what} named '{w}' (given by {}) for the {}", self.role.flag(), self.role.name()),
            None => format!("no {} {what}", self.role.name()),
        };
        m.push_str(&format!("; {found_what}: {}", self.found.join(", ")));
        if let Some(s) = &self.suggestion {
            m.push_str(&format!(". Did you mean '{s}'? Pass {} '{s}'", self.role.flag()));
        } else {
            match self.role {
                Role::Lon | Role::Lat if !self.properties => m.push_str(
                    ". Pass --lon-col NAME --lat-col NAME, or --x-col NAME --y-col NAME with --crs for projected \
                     coordinates",
                ),
                _ => m.push_str(&format!(". Pass {} NAME", self.role.flag())),
            }
        }
        m
    }
}

/// The columns resolved against a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedColumns {
    /// Whether the header is police.uk street-level data.
    pub police_uk: bool,
    /// Whether coordinates are x/y (projected, `--crs` required) rather than lon/lat.
    pub projected: bool,
    /// Every column in use, one per role found.
    pub used: Vec<ColumnUse>,
}

impl ResolvedColumns {
    /// The 0-based header index of the column used for `role`, if any.
    pub fn index(&self, role: Role) -> Option<usize> {
        self.used.iter().find(|c| c.role == role).map(|c| c.index)
    }
    /// The name of the column used for `role`, if any.
    pub fn name(&self, role: Role) -> Option<&str> {
        self.used.iter().find(|c| c.role == role).map(|c| c.name.as_str())
    }
}

/// Find a column: an exact match, else the only case-insensitive match ignoring surrounding spaces.
pub fn find_column(header: &[String], name: &str) -> Option<usize> {
    if let Some(i) = header.iter().position(|h| h == name) {
        return Some(i);
    }
    let want = name.trim().to_lowercase();
    let mut matches = header.iter().enumerate().filter(|(_, h)| h.trim().to_lowercase() == want);
    match (matches.next(), matches.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

/// The header name closest to `name` (edit distance at most a third of its length), for "did you mean".
pub fn suggest(header: &[String], name: &str) -> Option<String> {
    let want = name.trim().to_lowercase();
    header
        .iter()
        .map(|h| (edit_distance(&h.trim().to_lowercase(), &want), h))
        .filter(|(d, _)| *d <= (want.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, h)| h.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Resolve the roles against a header. `properties` marks GeoJSON (no coordinate columns needed).
pub fn resolve(header: &[String], opts: &ColumnOptions, properties: bool) -> Result<ResolvedColumns, MissingColumn> {
    let police_uk = !properties && POLICE_UK_COLUMNS.iter().all(|c| header.iter().any(|h| h == c));
    let projected = opts.x_col.is_some() || opts.y_col.is_some();
    let missing = |role: Role, wanted: Option<&str>| MissingColumn {
        role,
        wanted: wanted.map(str::to_owned),
        found: header.to_vec(),
        suggestion: suggest(header, wanted.unwrap_or(role.name())),
        properties,
    };
    let mut used = Vec::new();
    let coord_roles: &[Role] = match (properties, projected) {
        (true, _) => &[],
        (false, true) => &[Role::X, Role::Y],
        (false, false) => &[Role::Lon, Role::Lat],
    };
    let required = |role: Role| coord_roles.contains(&role) || role == Role::Time;
    let roles = coord_roles.iter().copied().chain([
        Role::Time,
        Role::Category,
        Role::Id,
        Role::Area,
        Role::Location,
        Role::Weight,
    ]);
    for role in roles {
        let choice = if let Some(name) = role.flag_value(opts) {
            let idx = find_column(header, name).ok_or_else(|| missing(role, Some(name)))?;
            Some((idx, Chosen::Flag))
        } else if let Some(col) = role.police_uk_column().filter(|_| police_uk) {
            find_column(header, col).map(|i| (i, Chosen::PoliceUk))
        } else {
            role.auto_names().iter().find_map(|n| find_column(header, n)).map(|i| (i, Chosen::Auto))
        };
        match choice {
            Some((index, chosen)) => used.push(ColumnUse { role, index, name: header[index].clone(), chosen }),
            None if required(role) => return Err(missing(role, None)),
            None => {}
        }
    }
    Ok(ResolvedColumns { police_uk, projected, used })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    const POLICE: &[&str] = &[
        "Crime ID",
        "Month",
        "Reported by",
        "Falls within",
        "Longitude",
        "Latitude",
        "Location",
        "LSOA code",
        "LSOA name",
        "Crime type",
        "Last outcome category",
        "Context",
    ];

    #[test]
    fn police_uk_is_recognised() {
        let r = resolve(&h(POLICE), &ColumnOptions::default(), false).unwrap();
        assert!(r.police_uk && !r.projected);
        assert_eq!(r.index(Role::Time), Some(1));
        assert_eq!(r.index(Role::Category), Some(9));
        assert_eq!(r.index(Role::Area), Some(7));
        assert_eq!(r.index(Role::Id), Some(0));
        assert_eq!(r.index(Role::Weight), None);
        assert!(r.used.iter().all(|c| c.chosen == Chosen::PoliceUk));
    }

    #[test]
    fn chicago_header_needs_only_names() {
        let chicago = h(&[
            "ID",
            "Case Number",
            "Date",
            "Block",
            "IUCR",
            "Primary Type",
            "Description",
            "Location Description",
            "Arrest",
            "Domestic",
            "Beat",
            "District",
            "Ward",
            "Community Area",
            "FBI Code",
            "X Coordinate",
            "Y Coordinate",
            "Updated On",
            "Latitude",
            "Longitude",
        ]);
        let r = resolve(&chicago, &ColumnOptions::default(), false).unwrap();
        assert_eq!(r.name(Role::Lon), Some("Longitude"));
        assert_eq!(r.name(Role::Time), Some("Date"));
        assert_eq!(r.name(Role::Category), Some("Primary Type"));
        assert_eq!(r.name(Role::Location), Some("Block"));
        assert_eq!(r.name(Role::Id), Some("ID"));
        let opts = ColumnOptions {
            x_col: Some("X Coordinate".into()),
            y_col: Some("y coordinate".into()),
            ..Default::default()
        };
        let r = resolve(&chicago, &opts, false).unwrap();
        assert!(r.projected);
        assert_eq!(r.name(Role::Y), Some("Y Coordinate"));
    }

    #[test]
    fn missing_columns_name_the_flag_and_header() {
        let opts = ColumnOptions { lon_col: Some("Longtitude".into()), ..Default::default() };
        let e = resolve(&h(&["Longitude", "Latitude", "Date"]), &opts, false).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("'Longtitude'") && msg.contains("--lon-col"), "{msg}");
        assert!(msg.contains("header found: Longitude, Latitude, Date"), "{msg}");
        assert!(msg.contains("Did you mean 'Longitude'?"), "{msg}");

        let e = resolve(&h(&["a", "b"]), &ColumnOptions::default(), false).unwrap_err();
        assert_eq!(e.role, Role::Lon);
        assert!(e.to_string().contains("--x-col"), "{e}");

        let e = resolve(&h(&["lat", "lon", "when"]), &ColumnOptions::default(), false).unwrap_err();
        assert_eq!(e.role, Role::Time);
        assert!(e.to_string().contains("--time-col"), "{e}");
    }

    #[test]
    fn ambiguous_case_insensitive_names_are_not_matched() {
        assert_eq!(find_column(&h(&["Date", "DATE"]), "date"), None);
        assert_eq!(find_column(&h(&["Date", "DATE"]), "DATE"), Some(1));
        assert_eq!(find_column(&h(&[" Month "]), "month"), Some(0));
    }
}
