//! CSV records with the exact line each one starts on, read with `csv-core`.
//!
//! `csv::Reader` reports where it *began reading* a record, which (depending on whether the file ends lines with
//! LF or CRLF, and on blank lines) is the previous record's line or this one's. Rejected rows must name their own
//! line, so this reader drives `csv-core` itself and counts line breaks in exactly the bytes each record consumed:
//! line breaks before the record's first byte (the previous terminator, blank lines) belong before it. LF, CRLF
//! and a lone CR each end one line.

use csv_core::{ReadRecordResult, Reader};
use std::io::BufRead;

/// One record: field bytes and where each field ends, plus the 1-based line it starts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RawRecord {
    /// Field bytes; only the first `ends[nfields - 1]` are this record's (the buffer is reused).
    bytes: Vec<u8>,
    ends: Vec<usize>,
    nfields: usize,
    line: u64,
}

impl RawRecord {
    pub(super) fn len(&self) -> usize {
        self.nfields
    }
    /// The 1-based line where the record starts.
    pub(super) fn line(&self) -> u64 {
        self.line
    }
    /// Field `i` (unquoted), or an empty slice past the last field.
    pub(super) fn field(&self, i: usize) -> &[u8] {
        let Some(&end) = self.ends[..self.nfields].get(i) else { return &[] };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..end]
    }
    pub(super) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.field(i))
    }
}

/// Reads records from a buffered reader (RFC 4180: comma, double quotes, any of CR, LF, CRLF; blank lines
/// skipped; a leading UTF-8 BOM dropped).
pub(super) struct RecordReader<R: BufRead> {
    input: R,
    core: Reader,
    /// Line breaks consumed so far (LF, CRLF or a lone CR each count once).
    newlines: u64,
    /// Whether the last byte consumed was CR (so a following LF completes a CRLF).
    after_cr: bool,
    /// Whether anything has been read (a BOM is looked for only at the very start).
    started: bool,
}

impl<R: BufRead> RecordReader<R> {
    pub(super) fn new(input: R) -> Self {
        RecordReader { input, core: Reader::new(), newlines: 0, after_cr: false, started: false }
    }

    /// The 1-based line the reader has reached (for I/O error messages).
    pub(super) fn line(&self) -> u64 {
        self.newlines + 1
    }

    pub(super) fn into_inner(self) -> R {
        self.input
    }

    /// Read the next record into `rec`. Returns `false` at the end of the input.
    pub(super) fn read(&mut self, rec: &mut RawRecord) -> std::io::Result<bool> {
        if rec.bytes.is_empty() {
            rec.bytes.resize(4096, 0);
        }
        if rec.ends.is_empty() {
            rec.ends.resize(64, 0);
        }
        rec.nfields = 0;
        if !self.started {
            self.started = true;
            // Drop a UTF-8 BOM here: `csv-core` strips one only if its first input holds all three bytes.
            if self.input.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
                self.input.consume(3);
            }
        }
        let (mut out_len, mut ends_len) = (0, 0);
        let mut started = false;
        loop {
            let input = self.input.fill_buf()?;
            let (res, nin, nout, nend) =
                self.core.read_record(input, &mut rec.bytes[out_len..], &mut rec.ends[ends_len..]);
            let consumed = &input[..nin];
            let mut i = 0;
            if !started {
                // Line breaks before the record's first byte end earlier lines.
                while i < consumed.len() && matches!(consumed[i], b'\n' | b'\r') {
                    count_line_breaks(&mut self.newlines, &mut self.after_cr, &consumed[i..=i]);
                    i += 1;
                }
                if i < consumed.len() {
                    started = true;
                    rec.line = self.newlines + 1;
                }
            }
            count_line_breaks(&mut self.newlines, &mut self.after_cr, &consumed[i..]);
            self.input.consume(nin);
            out_len += nout;
            ends_len += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let n = rec.bytes.len() * 2;
                    rec.bytes.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = rec.ends.len() * 2;
                    rec.ends.resize(n, 0);
                }
                ReadRecordResult::Record => {
                    rec.nfields = ends_len;
                    if !started {
                        rec.line = self.newlines + 1;
                    }
                    return Ok(true);
                }
                ReadRecordResult::End => {
                    return Ok(false);
                }
            }
        }
    }
}

/// Count the line breaks in `bytes` into `newlines` (LF, CR, and CRLF once), continuing a CRLF split across
/// calls through `after_cr`. Line breaks are sparse, so `memchr` jumps between them: this runs over every byte of
/// the file.
fn count_line_breaks(newlines: &mut u64, after_cr: &mut bool, bytes: &[u8]) {
    let Some(&last) = bytes.last() else { return };
    for p in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        let lf_after_cr = bytes[p] == b'\n' && if p == 0 { *after_cr } else { bytes[p - 1] == b'\r' };
        *newlines += u64::from(!lf_after_cr);
    }
    *after_cr = last == b'\r';
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut r = RecordReader::new(std::io::BufReader::with_capacity(3, text));
        let mut rec = RawRecord::default();
        let mut out = Vec::new();
        while r.read(&mut rec).unwrap() {
            out.push((rec.line(), rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()));
        }
        out
    }

    #[test]
    fn lines_are_exact_for_lf_crlf_cr_and_blank_lines() {
        let expect = |v: &[(u64, &[&str])]| -> Vec<(u64, Vec<String>)> {
            v.iter().map(|(l, f)| (*l, f.iter().map(|s| s.to_string()).collect())).collect()
        };
        let want = expect(&[(1, &["h", "k"]), (2, &["a", "1"]), (4, &["b", "2"])]);
        assert_eq!(read_all(b"h,k\na,1\n\nb,2\n"), want);
        assert_eq!(read_all(b"h,k\r\na,1\r\n\r\nb,2\r\n"), want);
        assert_eq!(read_all(b"h,k\ra,1\r\rb,2"), want);
        assert_eq!(read_all(b"\xef\xbb\xbfh,k\na,1\n\nb,2"), want);
    }

    #[test]
    fn quoted_line_breaks_stay_in_their_field() {
        let got = read_all(b"h,k\n\"two\r\nlines\",x\n\"q \"\"x\"\"\",\ny,z");
        assert_eq!(got[1], (2, vec!["two\r\nlines".to_string(), "x".to_string()]));
        assert_eq!(got[2], (4, vec!["q \"x\"".to_string(), String::new()]));
        assert_eq!(got[3].0, 5);
    }

    #[test]
    fn long_fields_and_many_fields_grow_the_buffers() {
        let long = "x".repeat(5000);
        let many = vec!["f"; 100].join(",");
        let text = format!("{long}\n{many}\n");
        let got = read_all(text.as_bytes());
        assert_eq!(got[0].1[0].len(), 5000);
        assert_eq!(got[1].1.len(), 100);
        assert_eq!(got[1].0, 2);
    }

    #[test]
    fn empty_and_blank_inputs_have_no_records() {
        assert!(read_all(b"").is_empty());
        assert!(read_all(b"\n\r\n\n").is_empty());
    }
}
