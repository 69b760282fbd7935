//! One column of a [`Dataset`](super::Dataset): either owned in memory or a view into shared bytes (the store's
//! memory-mapped snapshot), read the same way as a slice.
//!
//! A mapped column costs no copy: a 20M-incident store's columns are ready as soon as the snapshot is mapped and its
//! checksums verified. The bytes are little-endian and aligned for `T` (checked when the column is made).

use bytemuck::Pod;
use std::sync::Arc;

/// Shared, immutable bytes a column can view (a memory map, or any buffer in tests).
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// A column of `T`: a `Vec<T>`, or `len` values at byte `offset` of shared bytes.
#[derive(Clone)]
pub enum Column<T: Pod> {
    /// Values owned in memory.
    Owned(Vec<T>),
    /// `len` values of `T` starting at byte `offset` of `bytes` (little-endian, aligned for `T`).
    Shared {
        /// The shared bytes (a memory map, or any buffer).
        bytes: SharedBytes,
        /// Byte offset of the first value.
        offset: usize,
        /// Number of values (not bytes).
        len: usize,
    },
}

impl<T: Pod> Column<T> {
    /// A view of `len` values of `T` at byte `offset` of `bytes`; `None` if they do not fit, are misaligned for `T`,
    /// or the host is big-endian (the bytes are little-endian).
    pub fn shared(bytes: SharedBytes, offset: usize, len: usize) -> Option<Self> {
        let size = len.checked_mul(std::mem::size_of::<T>())?;
        let end = offset.checked_add(size)?;
        let all: &[u8] = (*bytes).as_ref();
        let slice = all.get(offset..end)?;
        if cfg!(target_endian = "big") || bytemuck::try_cast_slice::<u8, T>(slice).is_err() {
            return None;
        }
        Some(Column::Shared { bytes, offset, len })
    }

    /// Bytes held: the capacity of an owned column, the length of a shared one.
    pub fn bytes(&self) -> usize {
        match self {
            Column::Owned(v) => v.capacity() * std::mem::size_of::<T>(),
            Column::Shared { len, .. } => len * std::mem::size_of::<T>(),
        }
    }

    /// Whether the column views shared bytes rather than owning them.
    pub fn is_shared(&self) -> bool {
        matches!(self, Column::Shared { .. })
    }
}

impl<T: Pod> Default for Column<T> {
    fn default() -> Self {
        Column::Owned(Vec::new())
    }
}

impl<T: Pod> From<Vec<T>> for Column<T> {
    fn from(v: Vec<T>) -> Self {
        Column::Owned(v)
    }
}

impl<T: Pod> std::ops::Deref for Column<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Column::Owned(v) => v,
            Column::Shared { bytes, offset, len } => {
                let all: &[u8] = (**bytes).as_ref();
                // Bounds and alignment were checked in `Column::shared`, and the bytes never change.
                bytemuck::cast_slice(&all[*offset..*offset + len * std::mem::size_of::<T>()])
            }
        }
    }
}

impl<T: Pod + std::fmt::Debug> std::fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Column::Owned(v) => write!(f, "Owned({} values)", v.len()),
            Column::Shared { offset, len, .. } => write!(f, "Shared({len} values at byte {offset})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_views_read_like_slices_and_refuse_bad_ranges() {
        let mut raw = [0u8; 64];
        for (i, v) in [1.5f64, -2.0, 3.25].iter().enumerate() {
            raw[8 + i * 8..16 + i * 8].copy_from_slice(&v.to_le_bytes());
        }
        // A Vec<u64> backing store keeps the bytes 8-aligned.
        let words: Vec<u64> = raw.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
        let bytes: SharedBytes = Arc::new(bytemuck::cast_slice::<u64, u8>(&words).to_vec());
        let aligned = ((*bytes).as_ref().as_ptr() as usize).is_multiple_of(8);
        if aligned {
            let c = Column::<f64>::shared(bytes.clone(), 8, 3).unwrap();
            assert_eq!(&*c, &[1.5, -2.0, 3.25]);
            assert_eq!(c.bytes(), 24);
            assert!(c.is_shared());
            assert!(Column::<f64>::shared(bytes.clone(), 4, 1).is_none(), "misaligned");
        }
        assert!(Column::<f64>::shared(bytes.clone(), 48, 3).is_none(), "past the end");
        assert!(Column::<f64>::shared(bytes, usize::MAX, 1).is_none(), "overflow");
        let owned: Column<u32> = vec![1, 2, 3].into();
        assert_eq!(owned.iter().sum::<u32>(), 6);
        assert!(!owned.is_shared());
    }
}
