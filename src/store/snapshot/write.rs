//! Writing a snapshot: a whole new file (written beside the live one and renamed over it), or rows appended in
//! place past the valid ones and then published by a new header.

use super::format::{
    Col, Header, Layout, NAME_AREA, NAME_CATEGORY, NAME_LOCATION, NAME_SOURCE, NameCounts, SLOT_BYTES, push_name,
    source_payload,
};
use crate::geo::{CrsDef, Projector};
use crate::model::{Dataset, project_lonlat};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes buffered per column before a write.
const BUFFER_BYTES: usize = 1 << 20;
/// Rows per chunk when copying or projecting rows already written.
const CHUNK_ROWS: u64 = 1 << 16;

/// What a header records about the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) store_uid: String,
    pub(crate) incidents_version: i64,
    pub(crate) last_import_id: i64,
}

/// A snapshot being written.
pub(super) struct Writer {
    file: File,
    /// While writing a new file: its temporary path, renamed over `live` by [`Writer::publish`].
    temp: Option<tempfile::TempPath>,
    live: PathBuf,
    layout: Layout,
    /// Rows written per column (x/y lag behind until projected).
    rows: [u64; Col::COUNT],
    crc: [crc32fast::Hasher; Col::COUNT],
    buf: [Vec<u8>; Col::COUNT],
    names_bytes: u64,
    names_crc: crc32fast::Hasher,
    names_buf: Vec<u8>,
    pub counts: NameCounts,
    /// The sequence and slot of the header in force when appending in place.
    published: Option<(u64, usize)>,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl Writer {
    /// A new, empty file beside `live` with room for `layout`.
    pub(super) fn new_file(live: &Path, layout: Layout) -> io::Result<Writer> {
        let tmp = crate::files::temp_in(crate::files::dir_of(live), ".hotspots-snapshot-")?;
        let (file, temp) = tmp.into_parts();
        file.set_len(layout.file_len())?;
        Ok(Writer {
            file,
            temp: Some(temp),
            live: live.to_owned(),
            layout,
            rows: [0; Col::COUNT],
            crc: std::array::from_fn(|_| crc32fast::Hasher::new()),
            buf: std::array::from_fn(|_| Vec::new()),
            names_bytes: 0,
            names_crc: crc32fast::Hasher::new(),
            names_buf: Vec::new(),
            counts: NameCounts::default(),
            published: None,
        })
    }

    /// Append to the live file, whose header in force (in `slot`) is `h`.
    pub(super) fn in_place(live: &Path, h: &Header, slot: usize) -> io::Result<Writer> {
        let file = std::fs::OpenOptions::new().read(true).write(true).open(live)?;
        if file.metadata()?.len() < h.layout.file_len() {
            return Err(other("the snapshot file is shorter than its layout"));
        }
        Ok(Writer {
            file,
            temp: None,
            live: live.to_owned(),
            layout: h.layout,
            rows: [h.rows; Col::COUNT],
            crc: std::array::from_fn(|c| crc32fast::Hasher::new_with_initial(h.column_crc[c])),
            buf: std::array::from_fn(|_| Vec::new()),
            names_bytes: h.names_bytes,
            names_crc: crc32fast::Hasher::new_with_initial(h.names_crc),
            names_buf: Vec::new(),
            counts: h.counts,
            published: Some((h.seq, slot)),
        })
    }

    /// Rows written to the non-x/y columns (including buffered ones).
    pub(super) fn rows(&self) -> u64 {
        self.rows[Col::Lon.index()] + (self.buf[Col::Lon.index()].len() as u64) / Col::Lon.size()
    }

    /// Queue bytes (whole values, little-endian) for a column.
    pub(super) fn push(&mut self, c: Col, bytes: &[u8]) -> io::Result<()> {
        self.buf[c.index()].extend_from_slice(bytes);
        if self.buf[c.index()].len() >= BUFFER_BYTES {
            self.flush_column(c)?;
        }
        Ok(())
    }

    /// Queue one names-log record.
    pub(super) fn push_name(&mut self, kind: u8, payload: &[u8]) -> io::Result<()> {
        push_name(&mut self.names_buf, kind, payload);
        match kind {
            NAME_CATEGORY => self.counts.categories += 1,
            NAME_AREA => self.counts.areas += 1,
            NAME_LOCATION => self.counts.locations += 1,
            NAME_SOURCE => self.counts.sources += 1,
            _ => {}
        }
        if self.names_buf.len() >= BUFFER_BYTES {
            self.flush_names()?;
        }
        Ok(())
    }

    fn flush_column(&mut self, c: Col) -> io::Result<()> {
        let i = c.index();
        if self.buf[i].is_empty() {
            return Ok(());
        }
        let n = self.buf[i].len() as u64 / c.size();
        if self.rows[i] + n > self.layout.cap_rows {
            self.grow(self.rows[i] + n, self.names_bytes + self.names_buf.len() as u64)?;
        }
        let at = self.layout.column_offset(c) + self.rows[i] * c.size();
        self.file.write_all_at(&self.buf[i], at)?;
        self.crc[i].update(&self.buf[i]);
        self.rows[i] += n;
        self.buf[i].clear();
        Ok(())
    }

    fn flush_names(&mut self) -> io::Result<()> {
        if self.names_buf.is_empty() {
            return Ok(());
        }
        let end = self.names_bytes + self.names_buf.len() as u64;
        if end > self.layout.names_cap {
            self.grow(self.rows(), end)?;
        }
        self.file.write_all_at(&self.names_buf, self.layout.names_offset() + self.names_bytes)?;
        self.names_crc.update(&self.names_buf);
        self.names_bytes = end;
        self.names_buf.clear();
        Ok(())
    }

    /// Write everything queued.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        for c in Col::ALL {
            self.flush_column(c)?;
        }
        self.flush_names()
    }

    /// Move to a new file with room for `rows` rows and `names_bytes` of names (and as much again), copying what
    /// is written so far. Readers of the live file are not disturbed: the new file replaces it only when published.
    fn grow(&mut self, rows: u64, names_bytes: u64) -> io::Result<()> {
        self.relocate(Layout::for_sizes(rows.max(self.rows()), names_bytes.max(self.names_bytes)), true)
    }

    /// Copy into a new file of `layout`; x/y too when `keep_xy` (otherwise they are to be projected again).
    fn relocate(&mut self, layout: Layout, keep_xy: bool) -> io::Result<()> {
        let tmp = crate::files::temp_in(crate::files::dir_of(&self.live), ".hotspots-snapshot-")?;
        let (file, temp) = tmp.into_parts();
        file.set_len(layout.file_len())?;
        let mut buf = Vec::new();
        for c in Col::ALL {
            let i = c.index();
            if !keep_xy && matches!(c, Col::X | Col::Y) {
                self.rows[i] = 0;
            }
            let mut crc = crc32fast::Hasher::new();
            let mut done = 0;
            while done < self.rows[i] {
                let n = CHUNK_ROWS.min(self.rows[i] - done);
                buf.resize((n * c.size()) as usize, 0);
                self.file.read_exact_at(&mut buf, self.layout.column_offset(c) + done * c.size())?;
                file.write_all_at(&buf, layout.column_offset(c) + done * c.size())?;
                crc.update(&buf);
                done += n;
            }
            self.crc[i] = crc;
        }
        let mut names = vec![0u8; self.names_bytes as usize];
        self.file.read_exact_at(&mut names, self.layout.names_offset())?;
        file.write_all_at(&names, layout.names_offset())?;
        self.names_crc = crc32fast::Hasher::new();
        self.names_crc.update(&names);
        self.file = file;
        self.temp = Some(temp);
        self.layout = layout;
        self.published = None;
        Ok(())
    }

    /// Project the rows whose x/y are not written yet into `crs`; when x/y were written in another CRS
    /// (`reproject_all`), every row, in a new file (readers keep the old one until it is published).
    pub(super) fn project(&mut self, crs: &CrsDef, reproject_all: bool) -> io::Result<()> {
        self.flush()?;
        if reproject_all {
            self.relocate(self.layout, false)?;
        }
        let projector = Projector::new_metric(crs).map_err(other)?;
        let total = self.rows();
        let (mut lon_b, mut lat_b) = (Vec::new(), Vec::new());
        while self.rows[Col::X.index()] < total {
            let from = self.rows[Col::X.index()];
            let n = CHUNK_ROWS.min(total - from);
            lon_b.resize((n * 8) as usize, 0);
            lat_b.resize((n * 8) as usize, 0);
            self.file.read_exact_at(&mut lon_b, self.layout.column_offset(Col::Lon) + from * 8)?;
            self.file.read_exact_at(&mut lat_b, self.layout.column_offset(Col::Lat) + from * 8)?;
            let f64s = |b: &[u8]| -> Vec<f64> {
                b.chunks_exact(8)
                    .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect()
            };
            let (lon, lat) = (f64s(&lon_b), f64s(&lat_b));
            let (x, y) = project_lonlat(&projector, &lon, &lat)
                .map_err(|i| other(format!("lon {} lat {} cannot be projected to {}", lon[i], lat[i], crs.label)))?;
            self.push(Col::X, bytemuck::cast_slice(&x))?;
            self.push(Col::Y, bytemuck::cast_slice(&y))?;
            self.flush_column(Col::X)?;
            self.flush_column(Col::Y)?;
        }
        Ok(())
    }

    /// The header describing what is written, to be published.
    pub(super) fn header(&mut self, stamp: &Stamp, crs: &CrsDef) -> io::Result<Header> {
        self.flush()?;
        let rows = self.rows();
        if let Some(c) = Col::ALL.iter().find(|c| self.rows[c.index()] != rows) {
            return Err(other(format!("column {} has {} rows, not {rows}", c.name(), self.rows[c.index()])));
        }
        Ok(Header {
            seq: self.published.map_or(1, |(seq, _)| seq + 1),
            layout: self.layout,
            rows,
            names_bytes: self.names_bytes,
            store_uid: stamp.store_uid.clone(),
            incidents_version: stamp.incidents_version,
            last_import_id: stamp.last_import_id,
            counts: self.counts,
            crs: crs.clone(),
            column_crc: std::array::from_fn(|c| self.crc[c].clone().finalize()),
            names_crc: self.names_crc.clone().finalize(),
        })
    }

    /// Make `header` the snapshot in force: in place, overwrite the slot not in force; a new file gets the header
    /// in slot A and is renamed over the live file.
    pub(super) fn publish(self, header: &Header) -> io::Result<()> {
        let bytes = header.encode().ok_or_else(|| other("the CRS text is too long for a snapshot header"))?;
        match (self.temp, self.published) {
            (Some(temp), _) => {
                self.file.write_all_at(&bytes, 0)?;
                temp.persist(&self.live).map_err(|e| e.error)?;
            }
            (None, Some((_, slot))) => {
                let other_slot = 1 - slot;
                self.file.write_all_at(&bytes, (other_slot * SLOT_BYTES) as u64)?;
            }
            (None, None) => return Err(other("nothing to publish")),
        }
        Ok(())
    }
}

/// Write a whole snapshot of `ds` (in its CRS) and publish it.
pub(super) fn write_dataset(live: &Path, ds: &Dataset, stamp: &Stamp) -> io::Result<Header> {
    let mut names = Vec::new();
    for n in ds.categories().names() {
        push_name(&mut names, NAME_CATEGORY, n.as_bytes());
    }
    for n in ds.areas().names() {
        push_name(&mut names, NAME_AREA, n.as_bytes());
    }
    for n in ds.locations().names() {
        push_name(&mut names, NAME_LOCATION, n.as_bytes());
    }
    for s in ds.sources() {
        push_name(&mut names, NAME_SOURCE, &source_payload(s.import_id, &s.file));
    }
    let mut w = Writer::new_file(live, Layout::for_sizes(ds.len() as u64, names.len() as u64))?;
    w.counts = NameCounts {
        categories: ds.categories().len() as u64,
        areas: ds.areas().len() as u64,
        locations: ds.locations().len() as u64,
        sources: ds.sources().len() as u64,
    };
    let precision: Vec<u8> = ds.precision().iter().map(|p| p.code()).collect();
    let columns: [(Col, &[u8]); Col::COUNT] = [
        (Col::X, bytemuck::cast_slice(ds.x_m())),
        (Col::Y, bytemuck::cast_slice(ds.y_m())),
        (Col::Lon, bytemuck::cast_slice(ds.lon())),
        (Col::Lat, bytemuck::cast_slice(ds.lat())),
        (Col::Time, bytemuck::cast_slice(ds.time_s())),
        (Col::Weight, bytemuck::cast_slice(ds.weight())),
        (Col::Area, bytemuck::cast_slice(ds.area_ids())),
        (Col::Location, bytemuck::cast_slice(ds.location_ids())),
        (Col::Line, bytemuck::cast_slice(ds.lines())),
        (Col::Category, bytemuck::cast_slice(ds.category_ids())),
        (Col::Source, bytemuck::cast_slice(ds.source_ids())),
        (Col::Precision, &precision),
    ];
    for (c, bytes) in columns {
        let at = w.layout.column_offset(c);
        w.file.write_all_at(bytes, at)?;
        w.crc[c.index()].update(bytes);
        w.rows[c.index()] = bytes.len() as u64 / c.size();
    }
    w.file.write_all_at(&names, w.layout.names_offset())?;
    w.names_crc.update(&names);
    w.names_bytes = names.len() as u64;
    let header = w.header(stamp, ds.crs())?;
    w.publish(&header)?;
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::super::format::DATA_START;
    use super::*;

    #[test]
    fn crc_continues_over_appended_bytes() {
        let (a, b) = (b"hello ".as_slice(), b"world".as_slice());
        let mut h = crc32fast::Hasher::new_with_initial(crc32fast::hash(a));
        h.update(b);
        assert_eq!(h.finalize(), crc32fast::hash(b"hello world"));
        assert_eq!(2 * SLOT_BYTES as u64, DATA_START);
    }
}
