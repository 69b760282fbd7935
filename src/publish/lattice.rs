//! The published lattice: the only choices a public answer is computed on.
//!
//! - **Time**: whole calendar months (UTC) the store holds completely, and rolling quarters (three consecutive
//!   such months). Never a part of a month, whatever the data's time precision.
//! - **Space**: square cells of [`CELL_M`] aligned to multiples of it in the store's metric CRS; a kernel density
//!   of the published cell counts with the quartic kernel and a [`BANDWIDTH_M`] bandwidth; H3 hexagons of
//!   resolution [`H3_RESOLUTION`] made of whole cells; and the outlines of the boundary layers served.
//! - **Categories**: the [`GROUPS`], each a fixed list of category names (police.uk's 14 types and Chicago's
//!   primary types), plus `all`; a category in no list is in `other`.
//! - **Hotspots**: one rule ([`HOT_SHARE`] of the cells with any density, the densest, joined where they share a
//!   side, ranked by their published incidents, at most [`MAX_HOTSPOTS`]).
//!
//! Harm is not published: harm weights make one robbery worth hundreds of thefts, so a harm figure can reveal a
//! single serious incident however it is rounded.

use crate::model::Window;
use crate::model::time::{format_instant, month_index, month_index_label, month_start_s};

/// Side of a published cell, metres.
pub const CELL_M: f64 = 250.0;
/// Bandwidth of the published density (quartic kernel), metres.
pub const BANDWIDTH_M: f64 = 500.0;
/// Resolution of the published hexagons.
pub const H3_RESOLUTION: u8 = 8;
/// Share of the cells with any density taken as hot.
pub const HOT_SHARE: f64 = 0.01;
/// Most hotspots published per period and group.
pub const MAX_HOTSPOTS: usize = 20;
/// Zoom range of the published tiles (maps zoom in beyond it by scaling the last level).
pub const MIN_ZOOM: u8 = 8;
/// Highest zoom level of the published tiles.
pub const MAX_ZOOM: u8 = 13;

/// The hotspot rule in words (index, answers).
pub const HOTSPOT_RULE: &str = "the densest 1% of the 250 m cells with any density (quartic kernel, 500 m \
    bandwidth, on the published cell counts), joined where they share a side, ranked by their published incidents; \
    at most 20 per period and group";

/// A published category group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Stable id used in tiles, the index and requests (`all`, ...).
    pub id: &'static str,
    /// Label shown to people.
    pub label: &'static str,
    /// The category names it holds (compared without case); empty for `all` and for `other`, which takes every
    /// category no other group lists.
    pub categories: &'static [&'static str],
}

/// Every incident.
pub const ALL: Group = Group { id: "all", label: "All crime and anti-social behaviour", categories: &[] };

/// The published groups, `all` first, `other` last.
pub const GROUPS: [Group; 6] = [
    ALL,
    Group {
        id: "violence",
        label: "Violence, robbery and weapons",
        categories: &[
            "Violence and sexual offences",
            "Robbery",
            "Possession of weapons",
            "BATTERY",
            "ASSAULT",
            "ROBBERY",
            "HOMICIDE",
            "CRIM SEXUAL ASSAULT",
            "CRIMINAL SEXUAL ASSAULT",
            "SEX OFFENSE",
            "KIDNAPPING",
            "WEAPONS VIOLATION",
            "CONCEALED CARRY LICENSE VIOLATION",
            "STALKING",
            "INTIMIDATION",
            "HUMAN TRAFFICKING",
            "OFFENSE INVOLVING CHILDREN",
        ],
    },
    Group {
        id: "theft",
        label: "Burglary, theft and vehicle crime",
        categories: &[
            "Burglary",
            "Vehicle crime",
            "Bicycle theft",
            "Shoplifting",
            "Theft from the person",
            "Other theft",
            "THEFT",
            "BURGLARY",
            "MOTOR VEHICLE THEFT",
            "DECEPTIVE PRACTICE",
        ],
    },
    Group {
        id: "damage",
        label: "Criminal damage, arson and public order",
        categories: &[
            "Criminal damage and arson",
            "Public order",
            "CRIMINAL DAMAGE",
            "ARSON",
            "PUBLIC PEACE VIOLATION",
            "CRIMINAL TRESPASS",
            "INTERFERENCE WITH PUBLIC OFFICER",
        ],
    },
    Group { id: "asb", label: "Anti-social behaviour", categories: &["Anti-social behaviour"] },
    Group { id: "other", label: "Drugs and other crime", categories: &[] },
];

/// The group (index into [`GROUPS`], never 0) of a category name.
pub fn group_of(category: &str) -> usize {
    GROUPS
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, g)| g.categories.iter().any(|c| c.eq_ignore_ascii_case(category.trim())))
        .map_or(GROUPS.len() - 1, |(k, _)| k)
}

/// The group of this id.
pub fn group_by_id(id: &str) -> Option<usize> {
    GROUPS.iter().position(|g| g.id == id)
}

/// A published period: one calendar month or three consecutive ones (months as `year * 12 + month - 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// One calendar month (`year * 12 + month - 1`).
    Month(i64),
    /// The quarter of three months starting with this one.
    Quarter(i64),
}

impl Period {
    /// `2024-01` for a month, `2024-01_2024-03` for a quarter: the id in tiles, the index and requests.
    pub fn id(self) -> String {
        match self {
            Period::Month(m) => month_index_label(m),
            Period::Quarter(m) => format!("{}_{}", month_index_label(m), month_index_label(m + 2)),
        }
    }

    /// The months it spans.
    pub fn months(self) -> std::ops::RangeInclusive<i64> {
        match self {
            Period::Month(m) => m..=m,
            Period::Quarter(m) => m..=m + 2,
        }
    }

    /// `month` or `quarter`.
    pub fn kind(self) -> &'static str {
        match self {
            Period::Month(_) => "month",
            Period::Quarter(_) => "quarter",
        }
    }

    /// The window `[first day, day after the last)` in UTC.
    pub fn window(self) -> Option<Window> {
        let r = self.months();
        Some(Window { from_s: month_start(*r.start())?, to_s: month_start(*r.end() + 1)? })
    }

    /// The period of equal length just before it.
    pub fn previous(self) -> Period {
        match self {
            Period::Month(m) => Period::Month(m - 1),
            Period::Quarter(m) => Period::Quarter(m - 3),
        }
    }

    /// Read an id written by [`Period::id`].
    pub fn parse(text: &str) -> Option<Period> {
        let t = text.trim();
        match t.split_once('_') {
            None => parse_month(t).map(Period::Month),
            Some((a, b)) => {
                let (a, b) = (parse_month(a)?, parse_month(b)?);
                (b == a + 2).then_some(Period::Quarter(a))
            }
        }
    }

    /// A plain-words label: `January 2024`, `January to March 2024`.
    pub fn label(self) -> String {
        const NAMES: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let name = |m: i64| NAMES[m.rem_euclid(12) as usize];
        let year = |m: i64| m.div_euclid(12);
        match self {
            Period::Month(m) => format!("{} {}", name(m), year(m)),
            Period::Quarter(m) if year(m) == year(m + 2) => format!("{} to {} {}", name(m), name(m + 2), year(m)),
            Period::Quarter(m) => format!("{} {} to {} {}", name(m), year(m), name(m + 2), year(m + 2)),
        }
    }
}

fn month_start(index: i64) -> Option<i64> {
    month_start_s(i32::try_from(index.div_euclid(12)).ok()?, (index.rem_euclid(12) + 1) as u32)
}

fn parse_month(t: &str) -> Option<i64> {
    let (y, m) = t.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

/// The month of an instant (UTC).
pub fn month_of(t_s: i64) -> i64 {
    month_index(t_s)
}

/// The published periods of a set of fully held months (sorted): each month, then each quarter of three
/// consecutive ones.
pub fn periods_of(months: &[i64]) -> Vec<Period> {
    let mut v: Vec<Period> = months.iter().map(|&m| Period::Month(m)).collect();
    for &m in months {
        if months.binary_search(&(m + 1)).is_ok() && months.binary_search(&(m + 2)).is_ok() {
            v.push(Period::Quarter(m));
        }
    }
    v
}

/// An instant written for people (ISO 8601).
pub fn instant_text(t_s: i64) -> String {
    format_instant(t_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_cover_police_uk_categories() {
        let names = [
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
        let ids: Vec<&str> = names.iter().map(|n| GROUPS[group_of(n)].id).collect();
        assert_eq!(ids.iter().filter(|&&g| g == "other").count(), 2, "drugs and other crime: {ids:?}");
        assert!(ids.iter().all(|&g| g != "all"));
        assert_eq!(GROUPS[group_of("burglary")].id, "theft", "case does not matter");
        assert_eq!(GROUPS[group_of("Something local")].id, "other");
    }

    #[test]
    fn periods_round_trip() {
        let m = 2024 * 12;
        for p in [Period::Month(m), Period::Quarter(m + 10)] {
            assert_eq!(Period::parse(&p.id()), Some(p));
        }
        assert_eq!(Period::Quarter(m).id(), "2024-01_2024-03");
        assert_eq!(Period::Quarter(m + 11).label(), "December 2024 to February 2025");
        assert_eq!(Period::parse("2024-01_2024-02"), None, "not three months");
        assert_eq!(Period::parse("2024-13"), None);
        assert_eq!(Period::parse("2024-01-05"), None);
        let w = Period::Quarter(m).window().unwrap();
        assert_eq!(
            (instant_text(w.from_s), instant_text(w.to_s)),
            ("2024-01-01T00:00:00Z".into(), "2024-04-01T00:00:00Z".into())
        );
    }

    #[test]
    fn quarters_need_three_held_months() {
        let p = periods_of(&[10, 11, 12, 20, 21]);
        assert_eq!(p.iter().filter(|p| matches!(p, Period::Quarter(_))).count(), 1);
        assert!(p.contains(&Period::Quarter(10)));
    }
}
