//! A cache bounded by bytes, evicting the least recently used entries.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

struct Entry<V> {
    value: Arc<V>,
    bytes: usize,
    tick: u64,
}

struct Inner<V> {
    map: HashMap<String, Entry<V>>,
    by_tick: BTreeMap<u64, String>,
    total: usize,
    tick: u64,
}

/// A thread-safe LRU cache holding at most `capacity_bytes` (as the caller sizes its values).
pub struct ByteCache<V> {
    inner: Mutex<Inner<V>>,
    capacity_bytes: usize,
}

impl<V> ByteCache<V> {
    pub fn new(capacity_bytes: usize) -> Self {
        ByteCache {
            inner: Mutex::new(Inner { map: HashMap::new(), by_tick: BTreeMap::new(), total: 0, tick: 0 }),
            capacity_bytes,
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let mut g = self.inner.lock().ok()?;
        let inner = &mut *g;
        inner.tick += 1;
        let tick = inner.tick;
        let e = inner.map.get_mut(key)?;
        inner.by_tick.remove(&e.tick);
        e.tick = tick;
        inner.by_tick.insert(tick, key.to_owned());
        Some(e.value.clone())
    }

    /// Insert (replacing any entry under `key`) and evict until within capacity. A value larger than the whole
    /// capacity is not kept.
    pub fn insert(&self, key: String, value: Arc<V>, bytes: usize) {
        if bytes > self.capacity_bytes {
            return;
        }
        let Ok(mut g) = self.inner.lock() else { return };
        let inner = &mut *g;
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner.map.remove(&key) {
            inner.by_tick.remove(&old.tick);
            inner.total -= old.bytes;
        }
        inner.by_tick.insert(tick, key.clone());
        inner.map.insert(key, Entry { value, bytes, tick });
        inner.total += bytes;
        while inner.total > self.capacity_bytes {
            let Some((_, oldest)) = inner.by_tick.pop_first() else { break };
            if let Some(e) = inner.map.remove(&oldest) {
                inner.total -= e.bytes;
            }
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.inner.lock().map(|g| g.total).unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.map.len()).unwrap_or(0)
    }

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
    }
}
