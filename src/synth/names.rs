//! Fixed vocabularies and tables of the synthetic generator: police.uk's 14 crime types with their background shares,
//! the hotspot archetypes (each with its own category mix and time-of-day profile), the time profiles, street-name
//! words, police.uk's named places and the fake area codes.
//!
//! Shares are integers per mille so that the tables are exact and easy to audit; every row sums to 1000 (checked in
//! the tests).

/// police.uk's 14 crime types, in police.uk's (alphabetical) order. Category indices everywhere refer to this table.
pub const CATEGORIES: [&str; 14] = [
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
];

/// Number of crime types.
pub const N_CATEGORIES: usize = CATEGORIES.len();

/// A category mix: per-mille shares indexed like [`CATEGORIES`], summing to 1000.
pub type MixPerMille = [u32; N_CATEGORIES];

/// The background mix, close to police.uk's national street-level shares (England and Wales, 2023-24):
///
/// | category | per mille |
/// | --- | ---: |
/// | Violence and sexual offences | 330 |
/// | Anti-social behaviour | 195 |
/// | Criminal damage and arson | 85 |
/// | Public order | 80 |
/// | Shoplifting | 75 |
/// | Other theft | 70 |
/// | Vehicle crime | 50 |
/// | Burglary | 40 |
/// | Drugs | 28 |
/// | Other crime | 17 |
/// | Bicycle theft | 10 |
/// | Theft from the person | 8 |
/// | Possession of weapons | 7 |
/// | Robbery | 5 |
pub const BACKGROUND_MIX: MixPerMille = [195, 10, 40, 85, 28, 17, 70, 7, 80, 5, 75, 8, 50, 330];

/// A time-of-day and day-of-week profile (relative integer weights).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeProfile {
    /// The background: a broad evening peak, a trough from 04:00 to 07:00, more on Fridays and Saturdays.
    AllDay,
    /// Night-time economy: peaks from 22:00 to 03:00, strongly concentrated on Friday and Saturday nights.
    Night,
    /// Shopping hours: 09:00 to 18:00, busiest on Saturdays, quiet on Sundays.
    Daytime,
}

impl TimeProfile {
    /// All profiles, in a fixed order (index = position).
    pub const ALL: [TimeProfile; 3] = [TimeProfile::AllDay, TimeProfile::Night, TimeProfile::Daytime];

    /// Position in [`TimeProfile::ALL`].
    pub fn index(self) -> usize {
        match self {
            TimeProfile::AllDay => 0,
            TimeProfile::Night => 1,
            TimeProfile::Daytime => 2,
        }
    }

    /// Name used in the ground truth.
    pub fn name(self) -> &'static str {
        match self {
            TimeProfile::AllDay => "all-day",
            TimeProfile::Night => "night",
            TimeProfile::Daytime => "daytime",
        }
    }

    /// Relative weights of the hours 00 to 23 (UTC).
    pub fn hour_weights(self) -> [u32; 24] {
        match self {
            TimeProfile::AllDay => {
                [52, 42, 34, 26, 18, 14, 14, 20, 32, 40, 44, 47, 50, 50, 51, 54, 58, 60, 60, 58, 56, 55, 56, 58]
            }
            TimeProfile::Night => {
                [90, 80, 70, 50, 25, 10, 6, 6, 8, 10, 12, 15, 18, 20, 20, 22, 25, 30, 35, 42, 52, 65, 78, 88]
            }
            TimeProfile::Daytime => {
                [8, 5, 4, 3, 3, 4, 8, 18, 35, 55, 70, 78, 80, 80, 78, 75, 72, 65, 50, 35, 25, 18, 14, 10]
            }
        }
    }

    /// Relative weights of the days of the week, Monday first.
    pub fn weekday_weights(self) -> [u32; 7] {
        match self {
            TimeProfile::AllDay => [95, 93, 95, 98, 110, 116, 100],
            TimeProfile::Night => [70, 70, 75, 85, 140, 170, 100],
            TimeProfile::Daytime => [100, 98, 98, 102, 110, 125, 80],
        }
    }
}

/// A kind of planted hotspot: what happens there and when.
#[derive(Debug, Clone, Copy)]
pub struct Archetype {
    /// Name used in the ground truth.
    pub kind: &'static str,
    /// Category mix of the hotspot's incidents.
    pub mix: MixPerMille,
    /// When its incidents happen.
    pub profile: TimeProfile,
    /// Named places (police.uk style) typical of it, given to some map points around the hotspot.
    pub places: &'static [&'static str],
}

/// Hotspot archetypes; planted hotspot `k` (0-based) has archetype `k % ARCHETYPES.len()`.
pub const ARCHETYPES: [Archetype; 5] = [
    Archetype {
        kind: "night-time economy",
        mix: [110, 5, 10, 60, 50, 15, 50, 25, 160, 20, 10, 35, 10, 440],
        profile: TimeProfile::Night,
        places: &["Nightclub", "Theatre/Concert Hall"],
    },
    Archetype {
        kind: "retail centre",
        mix: [100, 25, 15, 30, 15, 10, 90, 5, 60, 10, 450, 40, 20, 130],
        profile: TimeProfile::Daytime,
        places: &["Shopping Area", "Supermarket"],
    },
    Archetype {
        kind: "residential estate",
        mix: [220, 20, 150, 160, 20, 25, 60, 5, 40, 5, 5, 5, 120, 165],
        profile: TimeProfile::AllDay,
        places: &["Parking Area"],
    },
    Archetype {
        kind: "park and open space",
        mix: [450, 20, 5, 150, 90, 15, 40, 15, 60, 15, 0, 10, 30, 100],
        profile: TimeProfile::AllDay,
        places: &["Park/Open Space", "Sports/Recreation Area"],
    },
    Archetype {
        kind: "transport hub",
        mix: [180, 110, 5, 50, 50, 15, 130, 15, 90, 25, 30, 80, 40, 180],
        profile: TimeProfile::Daytime,
        places: &["Bus/Coach Station", "Pedestrian Subway"],
    },
];

/// police.uk's named map points with relative weights (roughly their frequency in the Dorset files).
pub const NAMED_PLACES: [(&str, u32); 13] = [
    ("Supermarket", 24),
    ("Parking Area", 20),
    ("Shopping Area", 12),
    ("Petrol Station", 7),
    ("Nightclub", 5),
    ("Sports/Recreation Area", 5),
    ("Hospital", 4),
    ("Bus/Coach Station", 4),
    ("Police Station", 2),
    ("Further/Higher Educational Building", 2),
    ("Pedestrian Subway", 2),
    ("Park/Open Space", 2),
    ("Theatre/Concert Hall", 1),
];

/// First words of street names.
const STREET_STEMS: [&str; 96] = [
    "Church",
    "High",
    "Station",
    "Mill",
    "Park",
    "Victoria",
    "Albert",
    "Kings",
    "Queens",
    "Green",
    "Chapel",
    "Manor",
    "School",
    "North",
    "West",
    "East",
    "South",
    "Oak",
    "Ash",
    "Elm",
    "Beech",
    "Cedar",
    "Willow",
    "Harbour",
    "Quay",
    "Sea",
    "Cliff",
    "Heath",
    "Castle",
    "Abbey",
    "Bridge",
    "Market",
    "Wessex",
    "Purbeck",
    "Sandbanks",
    "Canford",
    "Ashley",
    "Wimborne",
    "Ringwood",
    "Christchurch",
    "Poole",
    "Lilliput",
    "Parkstone",
    "Branksome",
    "Westbourne",
    "Boscombe",
    "Southbourne",
    "Talbot",
    "Kinson",
    "Bearwood",
    "Broadstone",
    "Oakdale",
    "Hamworthy",
    "Alder",
    "Rosemary",
    "Lavender",
    "Primrose",
    "Bluebell",
    "Hawthorn",
    "Holly",
    "Maple",
    "Rowan",
    "Hazel",
    "Orchard",
    "Meadow",
    "Fern",
    "Heather",
    "Gorse",
    "Pine",
    "Chine",
    "Bay",
    "Shore",
    "Links",
    "Windmill",
    "Springfield",
    "Fairfield",
    "Greenfield",
    "Brook",
    "Riverside",
    "Lake",
    "Pond",
    "Ridge",
    "Vale",
    "Dene",
    "Grange",
    "Priory",
    "Cranbrook",
    "Kingston",
    "Stanley",
    "Wellington",
    "Nelson",
    "Gladstone",
    "Salisbury",
    "Dorchester",
    "Exeter",
    "Richmond",
];

/// Last words of street names, repeated to weight the common ones.
const STREET_SUFFIXES: [&str; 24] = [
    "Road", "Road", "Road", "Road", "Road", "Close", "Close", "Street", "Lane", "Avenue", "Avenue", "Gardens", "Way",
    "Place", "Crescent", "Drive", "Court", "Hill", "Mews", "Grove", "Rise", "Terrace", "View", "Green",
];

/// Number of distinct names [`street_name`] can produce (before road numbers).
pub const STREET_VOCABULARY: u64 = (STREET_STEMS.len() * STREET_SUFFIXES.len()) as u64;

/// The street name with vocabulary index `index` (any `u64`; wraps around the vocabulary).
pub fn street_name(index: u64) -> String {
    let stems = STREET_STEMS.len() as u64;
    let stem = STREET_STEMS[(index % stems) as usize];
    let suffix = STREET_SUFFIXES[((index / stems) % STREET_SUFFIXES.len() as u64) as usize];
    format!("{stem} {suffix}")
}

/// A numbered road name such as `A350` or `B3064` (for long streets); `number` is any `u64`.
pub fn road_number(number: u64) -> String {
    if number.is_multiple_of(3) { format!("A3{:02}", number / 3 % 100) } else { format!("B3{:03}", number % 1000) }
}

/// The named place with cumulative weight position `pick` in `0..named_places_total()`.
pub fn named_place(pick: u32) -> &'static str {
    let mut acc = 0;
    for (name, weight) in NAMED_PLACES {
        acc += weight;
        if pick < acc {
            return name;
        }
    }
    NAMED_PLACES[0].0
}

/// Sum of the [`NAMED_PLACES`] weights.
pub fn named_places_total() -> u32 {
    NAMED_PLACES.iter().map(|(_, w)| w).sum()
}

/// A fake LSOA-like area code (`E0900` and four digits) for an area-grid cell index below 10,000.
pub fn area_code(cell: u32) -> String {
    format!("E0900{:04}", cell % 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_sum_to_one_thousand() {
        assert_eq!(BACKGROUND_MIX.iter().sum::<u32>(), 1000);
        for a in ARCHETYPES {
            assert_eq!(a.mix.iter().sum::<u32>(), 1000, "{}", a.kind);
        }
    }

    #[test]
    fn names_need_no_csv_quoting() {
        let ok = |s: &str| !s.contains([',', '"', '\n', '\r']);
        assert!(CATEGORIES.iter().all(|c| ok(c)));
        assert!(NAMED_PLACES.iter().all(|(p, _)| ok(p)));
        assert!((0..STREET_VOCABULARY).all(|i| ok(&street_name(i))));
        assert!((0..1000).all(|i| ok(&road_number(i))));
        assert_eq!(area_code(7), "E09000007");
        assert_eq!(named_place(0), "Supermarket");
        assert_eq!(named_place(named_places_total() - 1), "Theatre/Concert Hall");
    }
}
