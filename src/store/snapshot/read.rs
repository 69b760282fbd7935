//! Reading a snapshot: read the file in one sequential read into an 8-byte-aligned buffer, take the header in force,
//! check every checksum, and view the columns in place as a [`Dataset`] (no per-column copy, and no `unsafe`: the
//! crate forbids it, so the file is read rather than memory-mapped; the checksums read every byte anyway).

use super::format::{Col, DATA_START, Header, SLOT_BYTES, parse_names};
use crate::model::{Column, Dataset, DatasetParts, Interner, SharedBytes, SourceFile, TimePrecision};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

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
    /// The slot (0 or 1) the header came from.
    pub slot: usize,
}

/// The snapshot at `path`: `Ok(None)` when there is none, `Err` saying what is wrong when it cannot be used.
pub(super) fn open(path: &Path) -> Result<Option<Mapped>, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open it: {e}")),
    };
    let mut file = file;
    let len = file.metadata().map_err(|e| format!("cannot read its size: {e}"))?.len();
    if len < DATA_START {
        return Err(format!("it is {len} bytes long, shorter than its headers"));
    }
    // Snapshot writers never change bytes a published header covers: they append past the valid rows and names and
    // then publish a header, or write a new file and rename it over this one. Reading from the start, a header read
    // here was published after the bytes it covers were written, so they are read too (if the file grew after its
    // size was taken, the header covers at most what was there then, or the layout check below says so and the
    // caller reads again). Every byte is checked against the header's CRC-32 before use.
    let len = usize::try_from(len).map_err(|_| format!("it is {len} bytes long, too long for this machine"))?;
    let mut words = vec![0u64; len.div_ceil(8)];
    file.read_exact(&mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..len])
        .map_err(|e| format!("cannot read it: {e}"))?;
    let aligned = Aligned { words, len };
    let map = aligned.as_ref();
    let slots = [0usize, 1].map(|s| Header::decode(&map[s * SLOT_BYTES..(s + 1) * SLOT_BYTES]));
    let (slot, header) = match slots {
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
    if (len as u64) < header.layout.file_len() {
        return Err(format!("it is {len} bytes long, shorter than its layout ({} bytes)", header.layout.file_len()));
    }
    Ok(Some(Mapped { map: Arc::new(aligned), header, slot }))
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
