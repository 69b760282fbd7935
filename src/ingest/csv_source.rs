//! Reading incidents from a CSV file (police.uk street-level or any CSV with named columns).

use super::columns::{ResolvedColumns, Role};
use super::csv_records::{RawRecord, RecordReader};
use super::reject::{RejectReason, RejectedRow};
use super::row::{Names, NewNames, ParsedIncident, Refusal, Validator, non_empty};
use super::{IngestError, RowOutcome};
use std::borrow::Cow;
use std::io::BufRead;

/// Column indices looked up once.
#[derive(Debug, Clone, Copy)]
struct Indices {
    a: usize,
    b: usize,
    time: usize,
    category: Option<usize>,
    id: Option<usize>,
    area: Option<usize>,
    location: Option<usize>,
    weight: Option<usize>,
}

/// Rows of a CSV file whose header has been read and resolved.
pub(super) struct CsvRows<R: BufRead> {
    reader: RecordReader<R>,
    file: String,
    header_len: usize,
    names: Vec<String>,
    idx: Indices,
    validator: Validator,
    record: RawRecord,
    names_seen: Names,
}

impl<R: BufRead> CsvRows<R> {
    /// Wrap a reader positioned after the header. `names` are the decoded header fields.
    pub(super) fn new(
        reader: RecordReader<R>,
        file: String,
        names: Vec<String>,
        cols: &ResolvedColumns,
        validator: Validator,
    ) -> Result<Self, IngestError> {
        let (ra, rb) = if cols.projected { (Role::X, Role::Y) } else { (Role::Lon, Role::Lat) };
        let need = |role: Role| {
            cols.index(role).ok_or_else(|| IngestError::Internal(format!("{} column not resolved", role.name())))
        };
        let idx = Indices {
            a: need(ra)?,
            b: need(rb)?,
            time: need(Role::Time)?,
            category: cols.index(Role::Category),
            id: cols.index(Role::Id),
            area: cols.index(Role::Area),
            location: cols.index(Role::Location),
            weight: cols.index(Role::Weight),
        };
        Ok(CsvRows {
            reader,
            file,
            header_len: names.len(),
            names,
            idx,
            validator,
            record: RawRecord::default(),
            names_seen: Names::default(),
        })
    }

    /// The categories, areas and locations first seen since the last call.
    pub(super) fn take_new_names(&mut self) -> NewNames {
        self.names_seen.take_new()
    }

    /// Read up to `max` rows into `out`. Returns `false` at the end of the file.
    pub(super) fn next_batch(&mut self, out: &mut Vec<RowOutcome>, max: usize) -> Result<bool, IngestError> {
        for _ in 0..max {
            let more = self.reader.read(&mut self.record).map_err(|e| IngestError::Read {
                file: self.file.clone(),
                line: Some(self.reader.line()),
                detail: e.to_string(),
            })?;
            if !more {
                return Ok(false);
            }
            let line = self.record.line();
            out.push(match self.parse(line) {
                Ok(inc) => RowOutcome::Accepted(inc),
                Err((reason, detail)) => RowOutcome::Rejected(RejectedRow {
                    line,
                    reason,
                    detail,
                    fields: self.record.iter().map(<[u8]>::to_vec).collect(),
                }),
            });
        }
        Ok(true)
    }

    pub(super) fn into_inner(self) -> R {
        self.reader.into_inner()
    }

    fn parse(&mut self, line: u64) -> Result<ParsedIncident, Refusal> {
        let rec = &self.record;
        if rec.len() != self.header_len {
            return Err((
                RejectReason::WrongFieldCount,
                format!("{} fields where the header has {}", rec.len(), self.header_len),
            ));
        }
        let v = &self.validator;
        let field = |i: usize| v.text(rec.field(i), &self.names[i]);
        let i = self.idx;
        let (lon, lat) = v.coords_text(&field(i.a)?, &field(i.b)?, (&self.names[i.a], &self.names[i.b]))?;
        let t = v.time(&field(i.time)?, &self.names[i.time])?;
        let text = |idx: Option<usize>| -> Result<Option<Cow<'_, str>>, Refusal> { idx.map(field).transpose() };
        let weight = match i.weight {
            Some(k) => v.weight(&field(k)?, &self.names[k])?,
            None => 1.0,
        };
        let source_id = text(i.id)?.and_then(|s| non_empty(&s));
        let (category, area, location) = (text(i.category)?, text(i.area)?, text(i.location)?);
        let names = &mut self.names_seen;
        Ok(ParsedIncident {
            line,
            lon,
            lat,
            time_s: t.time_s,
            precision: t.precision,
            category: names.category(category.as_deref()),
            weight,
            area: names.area(area.as_deref()),
            location: names.location(location.as_deref()),
            source_id,
        })
    }
}
