//! Single flight: identical requests in flight share one computation. The first caller for a key computes (and
//! caches); the others wait for it and then find the result in the cache, rather than computing the same thing in
//! parallel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One lock per key in flight.
#[derive(Default)]
pub struct SingleFlight {
    inflight: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl SingleFlight {
    /// No key in flight.
    pub fn new() -> Self {
        SingleFlight::default()
    }

    /// Run `f` for `key` once at a time: callers with the same key wait for the one running (which should leave
    /// its result in a cache that `f` reads first). Call on a blocking thread.
    pub fn run<T>(&self, key: &str, f: impl FnOnce() -> T) -> T {
        let lock = match self.inflight.lock() {
            Ok(mut m) => m.entry(key.to_owned()).or_default().clone(),
            Err(_) => return f(),
        };
        let out = {
            let _turn = lock.lock().unwrap_or_else(|p| p.into_inner());
            f()
        };
        if let Ok(mut m) = self.inflight.lock()
            && Arc::strong_count(&lock) == 2
        {
            // Only the map and this caller hold it: nobody is waiting.
            m.remove(key);
        }
        out
    }

    /// Keys in flight (for tests).
    pub fn len(&self) -> usize {
        self.inflight.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no key is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn identical_keys_compute_once() {
        let flights = Arc::new(SingleFlight::new());
        let cache = Arc::new(Mutex::new(HashMap::<String, u32>::new()));
        let computed = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (flights, cache, computed) = (flights.clone(), cache.clone(), computed.clone());
                std::thread::spawn(move || {
                    let key = if i < 6 { "a" } else { "b" };
                    flights.run(key, || {
                        if let Some(v) = cache.lock().unwrap().get(key) {
                            return *v;
                        }
                        computed.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        cache.lock().unwrap().insert(key.to_owned(), 7);
                        7
                    })
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), 7);
        }
        assert_eq!(computed.load(Ordering::SeqCst), 2);
        assert!(flights.is_empty());
    }
}
