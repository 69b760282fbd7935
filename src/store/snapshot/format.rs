//! The snapshot file's layout: two header slots, one region per column, and the log of interned names.
//!
//! ```text
//! byte 0      header slot A (4096 bytes)
//! byte 4096   header slot B (4096 bytes)
//! byte 8192   x_m   f64 x cap_rows   (each region starts on a 4096-byte boundary)
//!             y_m   f64, lon f64, lat f64, time_s i64, weight f32, area u32, location u32, line u32,
//!             category u16, source u16, precision u8   (each x cap_rows)
//!             names log, names_cap bytes
//! ```
//!
//! Everything is little-endian. A header slot holds the layout (`cap_rows`, `names_cap`), how many rows and name
//! bytes are valid, the store identity and incidents version it matches, the CRS of x/y, the counts of each kind of
//! name, a CRC-32 of each column's valid bytes and of the names log, a publish sequence number, and its own CRC-32
//! in its last four bytes. Readers take the valid slot with the higher sequence; a writer overwrites the other one,
//! so a reader never sees a half-written header, only the previous one.
//!
//! Columns have room for `cap_rows` rows and the log for `names_cap` bytes (the file is sparse beyond what is
//! written), so an import appends its rows and names past the valid ones, where no reader looks, and then publishes
//! a header with the new lengths and checksums (CRC-32 continues from the previous value over the new bytes). When
//! an import does not fit, the whole file is written anew with twice the room and renamed into place.
//!
//! The names log is a sequence of records `kind u8, length u32, bytes`: kind 1 a category, 2 an area code, 3 a
//! location text (each in store id order, so dataset id = store id - 1), 4 a source (`import_id i64` then the file
//! name as given).

use crate::geo::CrsDef;

/// First bytes of a header slot.
pub const MAGIC: &[u8; 8] = b"HSSNAP01";
/// Bumped when the layout changes; a reader refuses other versions (and the snapshot is rebuilt).
pub const FORMAT_VERSION: u32 = 1;
/// Bytes of one header slot.
pub const SLOT_BYTES: usize = 4096;
/// Where the first column starts.
pub const DATA_START: u64 = 2 * SLOT_BYTES as u64;
/// Column regions start on this boundary (page-aligned, so every column is aligned for its type when mapped).
const ALIGN: u64 = 4096;
/// Smallest row capacity of a new file.
const MIN_CAP_ROWS: u64 = 1 << 16;
/// Smallest names capacity of a new file.
const MIN_NAMES_CAP: u64 = 1 << 20;

/// The columns, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// Easting in the snapshot's CRS, metres (`f64`).
    X,
    /// Northing in the snapshot's CRS, metres (`f64`).
    Y,
    /// Longitude, WGS84 degrees (`f64`).
    Lon,
    /// Latitude, WGS84 degrees (`f64`).
    Lat,
    /// Incident start, seconds since the Unix epoch (`i64`).
    Time,
    /// Weight (`f32`).
    Weight,
    /// Area-code id, or `u32::MAX` for none (`u32`).
    Area,
    /// Location-text id, or `u32::MAX` for none (`u32`).
    Location,
    /// 1-based line in the source file (`u32`).
    Line,
    /// Category id (`u16`).
    Category,
    /// Source index (`u16`).
    Source,
    /// Time precision code (`u8`, [`crate::model::TimePrecision`] as `repr(u8)`).
    Precision,
}

impl Col {
    /// Every column, in file order.
    pub const ALL: [Col; 12] = [
        Col::X,
        Col::Y,
        Col::Lon,
        Col::Lat,
        Col::Time,
        Col::Weight,
        Col::Area,
        Col::Location,
        Col::Line,
        Col::Category,
        Col::Source,
        Col::Precision,
    ];
    /// Number of columns.
    pub const COUNT: usize = 12;

    /// Bytes per row.
    pub fn size(self) -> u64 {
        match self {
            Col::X | Col::Y | Col::Lon | Col::Lat | Col::Time => 8,
            Col::Weight | Col::Area | Col::Location | Col::Line => 4,
            Col::Category | Col::Source => 2,
            Col::Precision => 1,
        }
    }

    /// Position of the column in file order (its index in [`Col::ALL`] and in [`Header::column_crc`]).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The column's name in messages (the [`crate::model::Dataset`] field it fills).
    pub fn name(self) -> &'static str {
        match self {
            Col::X => "x_m",
            Col::Y => "y_m",
            Col::Lon => "lon",
            Col::Lat => "lat",
            Col::Time => "time_s",
            Col::Weight => "weight",
            Col::Area => "area",
            Col::Location => "location",
            Col::Line => "line",
            Col::Category => "category",
            Col::Source => "source",
            Col::Precision => "precision",
        }
    }
}

fn align_up(v: u64) -> u64 {
    v.div_ceil(ALIGN) * ALIGN
}

/// Room in a file: rows per column and bytes of names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Rows each column region has room for.
    pub cap_rows: u64,
    /// Bytes the names log has room for.
    pub names_cap: u64,
}

impl Layout {
    /// Room for `rows` rows and `names_bytes` bytes of names with as much again to grow into.
    pub fn for_sizes(rows: u64, names_bytes: u64) -> Layout {
        Layout {
            cap_rows: rows.saturating_mul(2).max(MIN_CAP_ROWS),
            names_cap: align_up(names_bytes.saturating_mul(2).max(MIN_NAMES_CAP)),
        }
    }

    /// Byte offset of a column's region.
    pub fn column_offset(&self, c: Col) -> u64 {
        DATA_START + Col::ALL[..c.index()].iter().map(|p| align_up(self.cap_rows * p.size())).sum::<u64>()
    }

    /// Byte offset of the names log (after every column region).
    pub fn names_offset(&self) -> u64 {
        DATA_START + Col::ALL.iter().map(|p| align_up(self.cap_rows * p.size())).sum::<u64>()
    }

    /// Size of the file.
    pub fn file_len(&self) -> u64 {
        self.names_offset() + self.names_cap
    }

    /// Whether `rows` rows and `names_bytes` bytes of names fit.
    pub fn fits(&self, rows: u64, names_bytes: u64) -> bool {
        rows <= self.cap_rows && names_bytes <= self.names_cap
    }
}

/// How many names of each kind the log holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameCounts {
    /// Category records in the log.
    pub categories: u64,
    /// Area-code records in the log.
    pub areas: u64,
    /// Location-text records in the log.
    pub locations: u64,
    /// Source-file records in the log.
    pub sources: u64,
}

/// Kinds of names-log records.
pub const NAME_CATEGORY: u8 = 1;
/// Names-log record kind of an area code.
pub const NAME_AREA: u8 = 2;
/// Names-log record kind of a location text.
pub const NAME_LOCATION: u8 = 3;
/// Names-log record kind of a source file (`import_id i64` then the file name).
pub const NAME_SOURCE: u8 = 4;

/// One header slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Publish sequence: the valid slot with the higher one is current.
    pub seq: u64,
    /// Room in the file (rows per column, bytes of names).
    pub layout: Layout,
    /// Valid rows in every column.
    pub rows: u64,
    /// Valid bytes of the names log.
    pub names_bytes: u64,
    /// The store this snapshot belongs to (`store_state.store_uid`).
    pub store_uid: String,
    /// The store's `incidents_version` the snapshot holds.
    pub incidents_version: i64,
    /// The newest import it holds (0 for none).
    pub last_import_id: i64,
    /// Names of each kind in the valid part of the log.
    pub counts: NameCounts,
    /// The CRS of the x/y columns.
    pub crs: CrsDef,
    /// CRC-32 of each column's valid bytes, in [`Col::ALL`] order.
    pub column_crc: [u32; Col::COUNT],
    /// CRC-32 of the valid bytes of the names log.
    pub names_crc: u32,
}

/// Longest CRS label and proj string a header holds.
const MAX_CRS_TEXT: usize = 1024;

impl Header {
    /// The slot's bytes; `None` when the CRS texts are too long for a slot.
    pub fn encode(&self) -> Option<Vec<u8>> {
        let mut b = Vec::with_capacity(SLOT_BYTES);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        for v in [self.seq, self.layout.cap_rows, self.layout.names_cap, self.rows, self.names_bytes] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for v in [self.incidents_version, self.last_import_id] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        let c = self.counts;
        for v in [c.categories, c.areas, c.locations, c.sources] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for crc in self.column_crc.iter().chain([&self.names_crc]) {
            b.extend_from_slice(&crc.to_le_bytes());
        }
        for text in [&self.store_uid, &self.crs.label, &self.crs.proj4] {
            if text.len() > MAX_CRS_TEXT {
                return None;
            }
            b.extend_from_slice(&(text.len() as u16).to_le_bytes());
            b.extend_from_slice(text.as_bytes());
        }
        if b.len() > SLOT_BYTES - 4 {
            return None;
        }
        b.resize(SLOT_BYTES - 4, 0);
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        Some(b)
    }

    /// A slot's header, or `None` when the slot is not a complete, valid header of this format.
    pub fn decode(slot: &[u8]) -> Option<Header> {
        if slot.len() != SLOT_BYTES || &slot[..8] != MAGIC {
            return None;
        }
        let (body, crc) = slot.split_at(SLOT_BYTES - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
            return None;
        }
        let mut r = Reader { b: body, at: 8 };
        if r.u32()? != FORMAT_VERSION {
            return None;
        }
        let (seq, cap_rows, names_cap, rows, names_bytes) = (r.u64()?, r.u64()?, r.u64()?, r.u64()?, r.u64()?);
        let (incidents_version, last_import_id) = (r.u64()? as i64, r.u64()? as i64);
        let counts = NameCounts { categories: r.u64()?, areas: r.u64()?, locations: r.u64()?, sources: r.u64()? };
        let mut column_crc = [0u32; Col::COUNT];
        for c in &mut column_crc {
            *c = r.u32()?;
        }
        let names_crc = r.u32()?;
        let store_uid = r.text()?;
        let label = r.text()?;
        let proj4 = r.text()?;
        let layout = Layout { cap_rows, names_cap };
        if rows > cap_rows || names_bytes > names_cap {
            return None;
        }
        Some(Header {
            seq,
            layout,
            rows,
            names_bytes,
            store_uid,
            incidents_version,
            last_import_id,
            counts,
            crs: CrsDef { label, proj4 },
            column_crc,
            names_crc,
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn text(&mut self) -> Option<String> {
        let n = usize::from(self.u16()?);
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// Appends one names-log record.
pub fn push_name(log: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    log.push(kind);
    log.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    log.extend_from_slice(payload);
}

/// The payload of a source record.
pub fn source_payload(import_id: i64, file: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + file.len());
    p.extend_from_slice(&import_id.to_le_bytes());
    p.extend_from_slice(file.as_bytes());
    p
}

/// The names of a log, by kind: categories, areas, locations, and sources as (import id, file).
#[derive(Debug, Default)]
pub struct Names {
    /// Category names, in id order.
    pub categories: Vec<String>,
    /// Area codes, in id order.
    pub areas: Vec<String>,
    /// Location texts, in id order.
    pub locations: Vec<String>,
    /// Source files as `(import id, file as given)`, in log order.
    pub sources: Vec<(i64, String)>,
}

/// Parse a names log; `Err` says what is wrong and where.
pub fn parse_names(log: &[u8]) -> Result<Names, String> {
    let mut names = Names::default();
    let mut at = 0usize;
    while at < log.len() {
        let head = log.get(at..at + 5).ok_or_else(|| format!("names log cut short at byte {at}"))?;
        let kind = head[0];
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let payload = log.get(at + 5..at + 5 + len).ok_or_else(|| format!("names log cut short at byte {at}"))?;
        let text = |p: &[u8]| String::from_utf8(p.to_vec()).map_err(|_| format!("a name at byte {at} is not UTF-8"));
        match kind {
            NAME_CATEGORY => names.categories.push(text(payload)?),
            NAME_AREA => names.areas.push(text(payload)?),
            NAME_LOCATION => names.locations.push(text(payload)?),
            NAME_SOURCE if len >= 8 => {
                let id = i64::from_le_bytes(payload[..8].try_into().map_err(|_| "source record".to_owned())?);
                names.sources.push((id, text(&payload[8..])?));
            }
            _ => return Err(format!("unknown names-log record kind {kind} at byte {at}")),
        }
        at += 5 + len;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            seq: 7,
            layout: Layout::for_sizes(1000, 10),
            rows: 1000,
            names_bytes: 10,
            store_uid: "0123456789abcdef".into(),
            incidents_version: 3,
            last_import_id: 3,
            counts: NameCounts { categories: 14, areas: 2, locations: 5, sources: 3 },
            crs: CrsDef::utm_for(-2.0, 52.0),
            column_crc: [9; Col::COUNT],
            names_crc: 11,
        }
    }

    #[test]
    fn headers_round_trip_and_any_damage_is_refused() {
        let h = header();
        let bytes = h.encode().unwrap();
        assert_eq!(bytes.len(), SLOT_BYTES);
        assert_eq!(Header::decode(&bytes), Some(h.clone()));
        for at in [0, 9, 20, 100, SLOT_BYTES - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert_eq!(Header::decode(&bad), None, "flipped byte {at}");
        }
        assert_eq!(Header::decode(&bytes[..100]), None);
        let long = Header { crs: CrsDef { label: "x".repeat(2000), proj4: String::new() }, ..h };
        assert!(long.encode().is_none());
    }

    #[test]
    fn columns_are_aligned_and_do_not_overlap() {
        let l = Layout::for_sizes(100_001, 5);
        let mut end = DATA_START;
        for c in Col::ALL {
            let off = l.column_offset(c);
            assert_eq!(off % 4096, 0);
            assert!(off >= end);
            end = off + l.cap_rows * c.size();
        }
        assert!(l.names_offset() >= end);
        assert_eq!(l.file_len(), l.names_offset() + l.names_cap);
        assert!(l.fits(200_002, 5) && !l.fits(200_003, 5));
    }

    #[test]
    fn names_log_round_trips_and_refuses_damage() {
        let mut log = Vec::new();
        push_name(&mut log, NAME_CATEGORY, "Burglary".as_bytes());
        push_name(&mut log, NAME_LOCATION, "On or near Hill Street".as_bytes());
        push_name(&mut log, NAME_SOURCE, &source_payload(42, "a.csv"));
        push_name(&mut log, NAME_AREA, "E01015301".as_bytes());
        let n = parse_names(&log).unwrap();
        assert_eq!(n.categories, ["Burglary"]);
        assert_eq!(n.areas, ["E01015301"]);
        assert_eq!(n.locations, ["On or near Hill Street"]);
        assert_eq!(n.sources, [(42, "a.csv".to_owned())]);
        assert!(parse_names(&log[..log.len() - 1]).is_err());
        let mut bad = log.clone();
        bad[0] = 9;
        assert!(parse_names(&bad).unwrap_err().contains("kind 9"));
    }
}
