//! Opening an input file: gzip detected from its magic bytes, the file's SHA-256 (to spot a file imported
//! before), the SHA-256 of its decompressed content (to spot the same content under another name or
//! compression), and a byte counter for progress.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Facts about an input file gathered before importing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceFileInfo {
    pub(crate) path: PathBuf,
    pub(crate) size_bytes: u64,
    /// SHA-256 of the file's bytes as stored (compressed, if it is).
    pub(crate) file_sha256: String,
    pub(crate) gzip: bool,
}

use crate::files::hex;

/// Hash the file and detect gzip.
pub(crate) fn inspect(path: &Path) -> std::io::Result<SourceFileInfo> {
    // Opening a FIFO blocks until a writer comes and a device never ends: both are refused before opening.
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file (a directory, pipe or device); save the data to a file and import that",
        ));
    }
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; READ_BUFFER_BYTES];
    let mut size = 0u64;
    let mut head = [0u8; 2];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if size < 2 {
            for (i, &b) in buf[..n].iter().enumerate().take(2 - size as usize) {
                head[size as usize + i] = b;
            }
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok(SourceFileInfo {
        path: path.to_owned(),
        size_bytes: size,
        file_sha256: hex(&hasher.finalize()),
        gzip: size >= 2 && head == GZIP_MAGIC,
    })
}

/// Counts bytes read from the underlying file, for progress reporting from another thread.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

enum Decoder {
    Plain(CountingReader<File>),
    Gzip(Box<flate2::read::MultiGzDecoder<BufReader<CountingReader<File>>>>),
}

impl Read for Decoder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
        }
    }
}

/// The decompressed content of a file, hashed as it is read.
pub(crate) struct ContentReader {
    inner: Decoder,
    hasher: Sha256,
    bytes: u64,
}

impl Read for ContentReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl ContentReader {
    /// Read to the end (so the hash covers everything) and return the content's SHA-256 and length.
    pub(crate) fn finish(mut self) -> std::io::Result<(String, u64)> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok((hex(&self.hasher.finalize()), self.bytes))
    }
}

/// Open the decompressed content of a file, read ahead on its own thread. `raw_bytes_read` is advanced as the
/// file's bytes are consumed.
pub(crate) fn open_content(
    info: &SourceFileInfo,
    raw_bytes_read: Arc<AtomicU64>,
) -> std::io::Result<BufReader<PrefetchReader>> {
    Ok(BufReader::with_capacity(READ_BUFFER_BYTES, PrefetchReader::spawn(open_raw_content(info, raw_bytes_read)?)))
}

/// Open the decompressed content of a file on this thread.
pub(crate) fn open_raw_content(
    info: &SourceFileInfo,
    raw_bytes_read: Arc<AtomicU64>,
) -> std::io::Result<ContentReader> {
    let file = CountingReader { inner: File::open(&info.path)?, count: raw_bytes_read };
    let inner = if info.gzip {
        Decoder::Gzip(Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(READ_BUFFER_BYTES, file))))
    } else {
        Decoder::Plain(file)
    };
    Ok(ContentReader { inner, hasher: Sha256::new(), bytes: 0 })
}

/// Reads and hashes a file's content on its own thread, a megabyte ahead of the consumer, so decompression and
/// hashing overlap with parsing.
pub(crate) struct PrefetchReader {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    pos: usize,
    finished: bool,
    handle: Option<std::thread::JoinHandle<std::io::Result<(String, u64)>>>,
}

const PREFETCH_CHUNK_BYTES: usize = 1 << 20;

impl PrefetchReader {
    /// Start reading `content` on a new thread.
    pub(crate) fn spawn(mut content: ContentReader) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let handle = std::thread::spawn(move || {
            loop {
                let mut buf = vec![0u8; PREFETCH_CHUNK_BYTES];
                let mut filled = 0;
                while filled < buf.len() {
                    match content.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let message = e.to_string();
                            let _ = tx.send(Err(e));
                            return Err(std::io::Error::other(message));
                        }
                    }
                }
                if filled == 0 {
                    break;
                }
                buf.truncate(filled);
                if tx.send(Ok(buf)).is_err() {
                    // The consumer stopped early; the hash would not cover the whole content.
                    return Err(std::io::Error::other("reading stopped before the end of the file"));
                }
            }
            content.finish()
        });
        PrefetchReader { rx, current: Vec::new(), pos: 0, finished: false, handle: Some(handle) }
    }

    /// Read to the end and return the content's SHA-256 and length.
    pub(crate) fn finish(mut self) -> std::io::Result<(String, u64)> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        match self.handle.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("the reading thread panicked")),
            None => Err(std::io::Error::other("the reading thread was already finished")),
        }
    }
}

impl Read for PrefetchReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.current.len() {
            if self.finished {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.finished = true;
                    return Err(e);
                }
                Err(_) => {
                    self.finished = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// What the first bytes of the content say about its encoding and shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentStart {
    Empty,
    /// UTF-16 or UTF-32 byte-order mark: the file must be re-saved as UTF-8.
    WideBom(&'static str),
    /// First non-blank character is `{` or `[`: JSON.
    Json,
    Text,
}

/// Peek at the start of the content without consuming it.
pub(crate) fn peek_start<R: BufRead>(r: &mut R) -> std::io::Result<ContentStart> {
    let buf = r.fill_buf()?;
    if buf.is_empty() {
        return Ok(ContentStart::Empty);
    }
    if buf.starts_with(&[0xff, 0xfe, 0, 0]) || buf.starts_with(&[0, 0, 0xfe, 0xff]) {
        return Ok(ContentStart::WideBom("UTF-32"));
    }
    if buf.starts_with(&[0xff, 0xfe]) || buf.starts_with(&[0xfe, 0xff]) {
        return Ok(ContentStart::WideBom("UTF-16"));
    }
    let body = buf.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(buf);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Ok(ContentStart::Json),
        Some(_) => Ok(ContentStart::Text),
        None if body.len() == buf.len() && body.is_empty() => Ok(ContentStart::Empty),
        None => Ok(ContentStart::Text),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_device_or_directory_is_refused_without_reading() {
        for p in ["/dev/zero", "/dev/null", "/"] {
            let e = super::inspect(std::path::Path::new(p)).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{p}: {e}");
        }
    }
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_plain_content_hash_alike() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.csv");
        let gz = dir.path().join("a.csv.gz");
        std::fs::write(&plain, b"x,y\n1,2\n").unwrap();
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(b"x,y\n1,2\n").unwrap();
        enc.finish().unwrap();

        let (pi, gi) = (inspect(&plain).unwrap(), inspect(&gz).unwrap());
        assert!(!pi.gzip && gi.gzip);
        assert_ne!(pi.file_sha256, gi.file_sha256);
        let count = Arc::new(AtomicU64::new(0));
        let hash = |i: &SourceFileInfo| open_content(i, count.clone()).unwrap().into_inner().finish().unwrap();
        assert_eq!(hash(&pi), hash(&gi));
        assert_eq!(hash(&pi).1, 8);
    }

    #[test]
    fn sha256_of_known_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            inspect(&p).unwrap().file_sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn start_detection() {
        let peek = |b: &[u8]| peek_start(&mut std::io::Cursor::new(b.to_vec())).unwrap();
        assert_eq!(peek(b""), ContentStart::Empty);
        assert_eq!(peek(b"\xef\xbb\xbf  {\"type\""), ContentStart::Json);
        assert_eq!(peek(b"\xff\xfeI\0D\0"), ContentStart::WideBom("UTF-16"));
        assert_eq!(peek(b"Crime ID,Month"), ContentStart::Text);
        assert_eq!(peek(b"\n\n"), ContentStart::Text);
    }
}
