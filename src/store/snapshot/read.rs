//! Reading a snapshot: read its two header slots, take the header in force, then read only the bytes that header
//! covers (each column's rows and the names log, in parallel pieces, not the room left to grow into) into an 8-byte
//! aligned buffer, check every checksum, and view the columns in place as a [`Dataset`] (no per-column copy, and no
//! `unsafe`: the crate forbids it, so the file is read rather than memory-mapped; the checksums read every byte
//! anyway).

use super::format::{Col, DATA_START, Header, SLOT_BYTES, parse_names};
use crate::model::{Column, Dataset, DatasetParts, Interner, SharedBytes, SourceFile, TimePrecision};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Largest piece read at once: the pieces of every column are read in parallel.
const PIECE_BYTES: usize = 8 << 20;

/// A snapshot's bytes, 8-byte aligned so columns of any width can view them.
struct Aligned {
    words: Vec<u64>,
    len: usize,
}

impl AsRef<[u8]> for Aligned {
    fn as_ref(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.words)[..self.len]
    }
}

/// A snapshot read into memory, and its header in force.
pub(super) struct Mapped {
    map: Arc<Aligned>,
    pub header: Header,
}

/// A snapshot file opened and its header in force, its data not read yet.
pub(super) struct Opened {
    file: File,
    slots: Vec<u8>,
    pub header: Header,
    /// The slot (0 or 1) the header came from.
    pub slot: usize,
}

/// The snapshot at `path`, only its headers read (what an import appending to it, or a check of its version, needs):
/// `Ok(None)` when there is none, `Err` saying what is wrong when it cannot be used.
pub(super) fn open_header(path: &Path) -> Result<Option<Opened>, String> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open it: {e}")),
    };
    let len = file.metadata().map_err(|e| format!("cannot read its size: {e}"))?.len();
    if len < DATA_START {
        return Err(format!("it is {len} bytes long, shorter than its headers"));
    }
    let mut slots = vec![0u8; 2 * SLOT_BYTES];
    file.read_exact(&mut slots).map_err(|e| format!("cannot read its headers: {e}"))?;
    let decoded = [0usize, 1].map(|s| Header::decode(&slots[s * SLOT_BYTES..(s + 1) * SLOT_BYTES]));
    let (slot, header) = match decoded {
        [Some(a), Some(b)] => {
            if a.seq >= b.seq {
                (0, a)
            } else {
                (1, b)
            }
        }
        [Some(a), None] => (0, a),
        [None, Some(b)] => (1, b),
        [None, None] => return Err("neither header slot holds a valid header".into()),
    };
    if len < header.layout.file_len() {
        return Err(format!("it is {len} bytes long, shorter than its layout ({} bytes)", header.layout.file_len()));
    }
    Ok(Some(Opened { file, slots, header, slot }))
}

impl Opened {
    /// Read the bytes the header covers: every column's rows and the names log, each at its offset in the buffer
    /// (the room between them is never read and, allocated zeroed, never touched).
    ///
    /// Snapshot writers never change bytes a published header covers: they append past the valid rows and names and
    /// then publish a header, or write a new file and rename it over this one (this handle keeps reading the file it
    /// opened). The header was read first, after the bytes it covers were written, so those are read whole here;
    /// every byte is checked against the header's CRC-32 before use.
    pub(super) fn read(self) -> Result<Mapped, String> {
        use rayon::prelude::*;
        let h = &self.header;
        let mut regions: Vec<(u64, u64)> =
            Col::ALL.iter().map(|&c| (h.layout.column_offset(c), h.rows.saturating_mul(c.size()))).collect();
        regions.push((h.layout.names_offset(), h.names_bytes));
        let end = regions.iter().map(|&(at, n)| at.saturating_add(n)).max().unwrap_or(DATA_START).max(DATA_START);
        if end > h.layout.file_len() {
            return Err(format!("its header covers {end} bytes, beyond its layout ({} bytes)", h.layout.file_len()));
        }
        let len = usize::try_from(end).map_err(|_| format!("it is {end} bytes long, too long for this machine"))?;
        let mut words = vec![0u64; len.div_ceil(8)];
        let bytes = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..len];
        let (head, mut rest) = bytes.split_at_mut(DATA_START as usize);
        head.copy_from_slice(&self.slots);
        // Cut the buffer into (file offset, piece) pairs: regions are in file order and do not overlap.
        let mut pieces: Vec<(u64, &mut [u8])> = Vec::new();
        let mut pos = DATA_START;
        for &(at, n) in &regions {
            let gap = at.checked_sub(pos).ok_or_else(|| format!("its header's regions overlap at byte {at}"))?;
            let skip = usize::try_from(gap).map_err(|_| format!("a region at byte {at} is beyond this machine"))?;
            let (_, tail) = std::mem::take(&mut rest).split_at_mut(skip);
            let (region, tail) = tail.split_at_mut(n as usize);
            rest = tail;
            pos = at + n;
            let mut off = at;
            for piece in region.chunks_mut(PIECE_BYTES) {
                let step = piece.len() as u64;
                pieces.push((off, piece));
                off += step;
            }
        }
        let file = &self.file;
        pieces
            .into_par_iter()
            .try_for_each(|(at, piece)| read_at(file, piece, at))
            .map_err(|e| format!("cannot read it: {e}"))?;
        Ok(Mapped { map: Arc::new(Aligned { words, len }), header: self.header })
    }
}

/// Fill `buf` from `file` at byte offset `at`, without moving a shared cursor (threads read pieces side by side).
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, at)
}

/// Fill `buf` from `file` at byte offset `at` (one reader at a time where positional reads are not available).
#[cfg(not(unix))]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    static CURSOR: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = CURSOR.lock().map_err(|_| std::io::Error::other("a reader panicked"))?;
    let mut f = file;
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
}

impl Mapped {
    fn column_bytes(&self, c: Col) -> &[u8] {
        let at = self.header.layout.column_offset(c) as usize;
        &(*self.map).as_ref()[at..at + (self.header.rows * c.size()) as usize]
    }

    fn names_log(&self) -> &[u8] {
        let at = self.header.layout.names_offset() as usize;
        &(*self.map).as_ref()[at..at + self.header.names_bytes as usize]
    }

    /// Check every column's and the names log's CRC-32 (in parallel).
    pub(super) fn verify(&self) -> Result<(), String> {
        use rayon::prelude::*;
        let bad = Col::ALL
            .par_iter()
            .map(|&c| (c.name(), crc32fast::hash(self.column_bytes(c)), self.header.column_crc[c.index()]))
            .chain(rayon::iter::once(("names", crc32fast::hash(self.names_log()), self.header.names_crc)))
            .filter(|(_, got, want)| got != want)
            .map(|(name, _, _)| name)
            .collect::<Vec<_>>();
        if bad.is_empty() { Ok(()) } else { Err(format!("checksum mismatch in {}", bad.join(", "))) }
    }

    /// The dataset, its big columns viewing the map. Call [`Mapped::verify`] first.
    pub(super) fn dataset(&self) -> Result<Dataset, String> {
        let h = &self.header;
        let names = parse_names(self.names_log())?;
        let counts = [
            ("categories", names.categories.len(), h.counts.categories),
            ("areas", names.areas.len(), h.counts.areas),
            ("locations", names.locations.len(), h.counts.locations),
            ("sources", names.sources.len(), h.counts.sources),
        ];
        if let Some((what, got, want)) = counts.iter().find(|(_, got, want)| *got as u64 != *want) {
            return Err(format!("the names log holds {got} {what}, the header says {want}"));
        }
        let interner = |v: Vec<String>, what: &str| {
            Interner::from_names(v).map_err(|name| format!("the {what} '{name}' appears twice"))
        };
        let rows = h.rows as usize;
        let bytes: SharedBytes = self.map.clone();
        let at = |c: Col| h.layout.column_offset(c) as usize;
        fn shared<T: bytemuck::Pod>(bytes: &SharedBytes, at: usize, rows: usize, c: Col) -> Result<Column<T>, String> {
            Column::shared(bytes.clone(), at, rows)
                .ok_or_else(|| format!("column {} cannot be viewed in place", c.name()))
        }
        let precision = self
            .column_bytes(Col::Precision)
            .iter()
            .map(|&code| TimePrecision::from_code(code).ok_or_else(|| format!("unknown time precision code {code}")))
            .collect::<Result<Vec<_>, _>>()?;
        let parts = DatasetParts {
            x_m: shared(&bytes, at(Col::X), rows, Col::X)?,
            y_m: shared(&bytes, at(Col::Y), rows, Col::Y)?,
            lon: shared(&bytes, at(Col::Lon), rows, Col::Lon)?,
            lat: shared(&bytes, at(Col::Lat), rows, Col::Lat)?,
            time_s: shared(&bytes, at(Col::Time), rows, Col::Time)?,
            precision,
            category: shared(&bytes, at(Col::Category), rows, Col::Category)?,
            weight: shared(&bytes, at(Col::Weight), rows, Col::Weight)?,
            area: shared(&bytes, at(Col::Area), rows, Col::Area)?,
            location: shared(&bytes, at(Col::Location), rows, Col::Location)?,
            source: shared(&bytes, at(Col::Source), rows, Col::Source)?,
            line: shared(&bytes, at(Col::Line), rows, Col::Line)?,
            categories: interner(names.categories, "category")?,
            areas: interner(names.areas, "area code")?,
            locations: interner(names.locations, "location")?,
            sources: names.sources.into_iter().map(|(import_id, file)| SourceFile { import_id, file }).collect(),
        };
        Dataset::from_parts(h.crs.clone(), parts).map_err(|e| e.to_string())
    }
}
