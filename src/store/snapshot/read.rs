//! Reading a snapshot: read its two header slots, take the header in force, then map only the bytes that header
//! covers (each column's rows and the names log, one read-only memory map each, not the room left to grow into),
//! check every checksum, and view the columns in place as a [`Dataset`]: no copy, and the pages are the page
//! cache's, shared by every process reading the store (two `serve` replicas hold one copy).
//!
//! Where a file cannot be mapped, each region is read into an 8-byte aligned buffer instead (in parallel 8 MB
//! pieces): the same bytes, checked the same way.
//!
//! **Why mapping is sound here.** Snapshot writers never change, shorten or remove bytes a published header covers:
//! an import appends past the valid rows and names (outside every map made here) and then publishes a header (the
//! header slots are read with `read`, never mapped), and a rebuild writes a new file and renames it over this one
//! (the maps keep the file they were made of). The file must not be overwritten in place by anything else while
//! commands run on the store (`cp` over `STORE.snap` would change or cut the bytes under a running server; delete
//! it instead, and the next command rebuilds it).

use super::format::{Col, DATA_START, Header, SLOT_BYTES, parse_names};
use crate::model::{Column, Dataset, DatasetParts, Interner, SharedBytes, SourceFile, TimePrecision};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Largest piece read at once when a region is read rather than mapped: the pieces are read in parallel.
const PIECE_BYTES: usize = 8 << 20;

/// A region's bytes read into memory, 8-byte aligned so columns of any width can view them.
#[derive(Debug)]
struct Aligned {
    words: Vec<u64>,
    len: usize,
}

impl AsRef<[u8]> for Aligned {
    fn as_ref(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.words)[..self.len]
    }
}

/// A read-only map of one region of the file (page-aligned at the region's start, so aligned for any column).
struct Mapped {
    map: memmap2::Mmap,
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

/// The bytes a snapshot's header covers, one buffer per region, and that header.
pub(super) struct Regions {
    /// Per column (in [`Col::ALL`] order): its valid rows' bytes.
    columns: Vec<SharedBytes>,
    /// The names log.
    names: SharedBytes,
    pub header: Header,
}

/// A snapshot file opened and its header in force, its data not read yet.
pub(super) struct Opened {
    file: File,
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
    Ok(Some(Opened { file, header, slot }))
}

impl Opened {
    /// The bytes the header covers: every column's rows and the names log, each mapped (or, where the file cannot be
    /// mapped, read), never the room between them. Every byte is checked against the header's CRC-32 before use
    /// ([`Regions::verify`]).
    pub(super) fn regions(self) -> Result<Regions, String> {
        use rayon::prelude::*;
        let h = &self.header;
        let mut spans: Vec<(u64, u64)> =
            Col::ALL.iter().map(|&c| (h.layout.column_offset(c), h.rows.saturating_mul(c.size()))).collect();
        spans.push((h.layout.names_offset(), h.names_bytes));
        if let Some(&(at, n)) =
            spans.iter().find(|&&(at, n)| at < DATA_START || at.saturating_add(n) > h.layout.file_len())
        {
            return Err(format!(
                "its header covers bytes {at} to {}, outside its layout ({} bytes)",
                at.saturating_add(n),
                h.layout.file_len()
            ));
        }
        let file = &self.file;
        let mut bytes: Vec<SharedBytes> =
            spans.par_iter().map(|&(at, n)| region(file, at, n)).collect::<Result<Vec<SharedBytes>, String>>()?;
        let names = bytes.pop().ok_or("no names region")?;
        Ok(Regions { columns: bytes, names, header: self.header })
    }
}

/// `n` bytes of `file` from byte `at`: mapped, or read when the file cannot be mapped (or `n` is 0).
fn region(file: &File, at: u64, n: u64) -> Result<SharedBytes, String> {
    let len = usize::try_from(n).map_err(|_| format!("a region of {n} bytes is too long for this machine"))?;
    if len > 0
        && let Some(map) = map_region(file, at, len)
    {
        return Ok(Arc::new(map));
    }
    Ok(Arc::new(read_region(file, at, len)?))
}

/// `len` bytes of `file` from byte `at`, read into an aligned buffer in parallel pieces.
fn read_region(file: &File, at: u64, len: usize) -> Result<Aligned, String> {
    use rayon::prelude::*;
    let mut words = vec![0u64; len.div_ceil(8)];
    let buf = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..len];
    buf.par_chunks_mut(PIECE_BYTES)
        .enumerate()
        .try_for_each(|(k, piece)| read_at(file, piece, at + (k * PIECE_BYTES) as u64))
        .map_err(|e| format!("cannot read it: {e}"))?;
    Ok(Aligned { words, len })
}

/// A read-only map of `len` bytes of `file` at `at`, its pages read in as it is made; `None` when the file cannot be
/// mapped (the caller reads it instead).
#[allow(unsafe_code)]
fn map_region(file: &File, at: u64, len: usize) -> Option<Mapped> {
    let mut options = memmap2::MmapOptions::new();
    options.offset(at).len(len).populate();
    // SAFETY: the map is read-only and covers only bytes a published header covers, which no snapshot writer of
    // this program changes, shortens or removes while the file is in use (see the module docs: appends go past
    // them, rebuilds replace the file by renaming). A file changed in place by another program is outside that
    // contract, as it is for every memory-mapped store.
    let map = unsafe { options.map(file) }.ok()?;
    Some(Mapped { map })
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

impl Regions {
    fn column_bytes(&self, c: Col) -> &[u8] {
        (*self.columns[c.index()]).as_ref()
    }

    /// Column `c` viewing its region in place, `rows` values.
    fn column<T: bytemuck::Pod>(&self, c: Col, rows: usize) -> Result<Column<T>, String> {
        Column::shared(self.columns[c.index()].clone(), 0, rows)
            .ok_or_else(|| format!("column {} cannot be viewed in place", c.name()))
    }

    fn names_log(&self) -> &[u8] {
        (*self.names).as_ref()
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

    /// The dataset, its big columns viewing the regions in place. Call [`Regions::verify`] first.
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
        let precision = self
            .column_bytes(Col::Precision)
            .iter()
            .map(|&code| TimePrecision::from_code(code).ok_or_else(|| format!("unknown time precision code {code}")))
            .collect::<Result<Vec<_>, _>>()?;
        let parts = DatasetParts {
            x_m: self.column(Col::X, rows)?,
            y_m: self.column(Col::Y, rows)?,
            lon: self.column(Col::Lon, rows)?,
            lat: self.column(Col::Lat, rows)?,
            time_s: self.column(Col::Time, rows)?,
            precision,
            category: self.column(Col::Category, rows)?,
            weight: self.column(Col::Weight, rows)?,
            area: self.column(Col::Area, rows)?,
            location: self.column(Col::Location, rows)?,
            source: self.column(Col::Source, rows)?,
            line: self.column(Col::Line, rows)?,
            categories: interner(names.categories, "category")?,
            areas: interner(names.areas, "area code")?,
            locations: interner(names.locations, "location")?,
            sources: names.sources.into_iter().map(|(import_id, file)| SourceFile { import_id, file }).collect(),
        };
        Dataset::from_parts(h.crs.clone(), parts).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_region_and_a_read_one_hold_the_same_bytes_aligned_for_any_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        // Three 4 KB pages and a piece of one, then regions starting on a page and running past piece boundaries.
        let bytes: Vec<u8> = (0..(3 * 4096 + 1000)).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let file = File::open(&path).unwrap();
        for (at, len) in [(0u64, bytes.len()), (4096, 4096 + 1000), (8192, 17)] {
            let want = &bytes[at as usize..at as usize + len];
            let mapped = map_region(&file, at, len).expect("a local file maps");
            assert_eq!((mapped.as_ref() as &[u8]), want);
            assert!((mapped.as_ref() as &[u8]).as_ptr().cast::<u64>().is_aligned());
            let read = read_region(&file, at, len).unwrap();
            assert_eq!((read.as_ref() as &[u8]), want);
            assert!((read.as_ref() as &[u8]).as_ptr().cast::<u64>().is_aligned());
        }
        // Past the end of the file: reading says so.
        assert!(read_region(&file, 3 * 4096, 2000).unwrap_err().contains("cannot read it"));
    }
}
