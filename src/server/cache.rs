//! A cache bounded by bytes, evicting the least recently used entries.
//!
//! Hits take a read lock and stamp the entry with an atomic clock, so concurrent hits never wait for each other;
//! inserts take the write lock and, when over capacity, evict the oldest eighth of the entries in one pass.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

struct Entry<V> {
    value: Arc<V>,
    bytes: usize,
    last_used: AtomicU64,
}

struct Inner<V> {
    map: HashMap<String, Entry<V>>,
    total: usize,
}

/// A thread-safe LRU cache holding at most `capacity_bytes` (as the caller sizes its values).
pub struct ByteCache<V> {
    inner: RwLock<Inner<V>>,
    clock: AtomicU64,
    capacity_bytes: usize,
}

impl<V> ByteCache<V> {
    /// An empty cache holding at most `capacity_bytes` (as the entries' sizes are declared on insert).
    pub fn new(capacity_bytes: usize) -> Self {
        ByteCache {
            inner: RwLock::new(Inner { map: HashMap::new(), total: 0 }),
            clock: AtomicU64::new(0),
            capacity_bytes,
        }
    }

    /// The entry for `key`, marked as just used; `None` when absent.
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let g = self.inner.read().ok()?;
        let e = g.map.get(key)?;
        e.last_used.store(self.clock.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
        Some(e.value.clone())
    }

    /// Insert (replacing any entry under `key`) and evict until within capacity. A value larger than the whole
    /// capacity is not kept.
    pub fn insert(&self, key: String, value: Arc<V>, bytes: usize) {
        if bytes > self.capacity_bytes {
            return;
        }
        let Ok(mut g) = self.inner.write() else { return };
        let tick = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(old) = g.map.insert(key, Entry { value, bytes, last_used: AtomicU64::new(tick) }) {
            g.total -= old.bytes;
        }
        g.total += bytes;
        self.evict(&mut g);
    }

    /// Re-count an entry's bytes (it grew: an analysis gained a per-band Gi* or hex counts) and evict as
    /// [`ByteCache::insert`] does; an entry grown past the whole capacity is dropped from the cache (its holders
    /// keep it until they finish).
    pub fn resize(&self, key: &str, bytes: usize) {
        let Ok(mut g) = self.inner.write() else { return };
        let Some(e) = g.map.get_mut(key) else { return };
        let old = std::mem::replace(&mut e.bytes, bytes);
        g.total = g.total - old + bytes;
        if bytes > self.capacity_bytes {
            if let Some(e) = g.map.remove(key) {
                g.total -= e.bytes;
            }
            return;
        }
        self.evict(&mut g);
    }

    fn evict(&self, g: &mut Inner<V>) {
        if g.total > self.capacity_bytes {
            // Evict the least recently used until under 7/8 of the capacity.
            let mut ages: Vec<(u64, String)> =
                g.map.iter().map(|(k, e)| (e.last_used.load(Ordering::Relaxed), k.clone())).collect();
            ages.sort_unstable();
            let target = self.capacity_bytes - self.capacity_bytes / 8;
            for (_, k) in ages {
                if g.total <= target {
                    break;
                }
                if let Some(e) = g.map.remove(&k) {
                    g.total -= e.bytes;
                }
            }
        }
    }

    /// Drop every entry (the data changed).
    pub fn clear(&self) {
        if let Ok(mut g) = self.inner.write() {
            g.map.clear();
            g.total = 0;
        }
    }

    /// The capacity in bytes.
    pub fn capacity_bytes(&self) -> usize {
        self.capacity_bytes
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.inner.read().map(|g| g.total).unwrap_or(0)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.inner.read().map(|g| g.map.len()).unwrap_or(0)
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_by_bytes() {
        let c = ByteCache::new(100);
        c.insert("a".into(), Arc::new(1), 40);
        c.insert("b".into(), Arc::new(2), 40);
        assert_eq!(c.get("a").as_deref(), Some(&1)); // a is now more recent than b
        c.insert("c".into(), Arc::new(3), 40);
        assert!(c.get("b").is_none());
        assert_eq!(c.get("a").as_deref(), Some(&1));
        assert_eq!(c.bytes(), 80);
        c.insert("huge".into(), Arc::new(4), 1000);
        assert!(c.get("huge").is_none());
        c.insert("a".into(), Arc::new(5), 10);
        assert_eq!((c.get("a").as_deref(), c.bytes(), c.len()), (Some(&5), 50, 2));
        // An entry that grows is counted again, and pushes out the older one.
        c.resize("a", 70);
        assert_eq!((c.get("c").is_none(), c.bytes(), c.len()), (true, 70, 1));
        c.resize("a", 1000);
        assert_eq!((c.bytes(), c.len()), (0, 0));
        c.resize("gone", 5);
        c.insert("x".into(), Arc::new(1), 5);
        c.clear();
        assert!(c.is_empty() && c.bytes() == 0);
    }
}
