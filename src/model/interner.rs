//! String interning: each distinct category, area code or location text is stored once and referred to by a
//! small integer id in the dataset's columns.

use rustc_hash::FxHashMap;

/// A table of distinct strings with dense ids `0..len`.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    names: Vec<String>,
    /// FxHash: interning runs once per field per row on the ingest hot path, and the keys are local data.
    ids: FxHashMap<String, u32>,
}

impl Interner {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `name`, adding it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    /// A table of `names` in order (ids `0..len`); `Err` with the first repeated name.
    pub fn from_names(names: Vec<String>) -> Result<Self, String> {
        let mut ids = FxHashMap::with_capacity_and_hasher(names.len(), Default::default());
        for (i, name) in names.iter().enumerate() {
            if ids.insert(name.clone(), u32::try_from(i).unwrap_or(u32::MAX)).is_some() {
                return Err(name.clone());
            }
        }
        Ok(Interner { names, ids })
    }

    /// The id of `name` if it is present.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The string for an id.
    pub fn name(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str)
    }

    /// All strings in id order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the table holds no string.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Approximate heap bytes held by the strings and the lookup table.
    pub fn heap_bytes(&self) -> usize {
        let strings: usize = self.names.iter().map(|s| s.capacity()).sum();
        strings * 2
            + self.names.capacity() * std::mem::size_of::<String>()
            + self.ids.capacity() * (std::mem::size_of::<String>() + 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_dense_and_stable() {
        let mut i = Interner::new();
        assert!(i.is_empty());
        assert_eq!(i.intern("Burglary"), 0);
        assert_eq!(i.intern("Drugs"), 1);
        assert_eq!(i.intern("Burglary"), 0);
        assert_eq!(i.len(), 2);
        assert_eq!(i.name(1), Some("Drugs"));
        assert_eq!(i.get("Robbery"), None);
        assert_eq!(i.name(7), None);
        let j = Interner::from_names(vec!["Burglary".into(), "Drugs".into()]).unwrap();
        assert_eq!((j.names(), j.get("Drugs")), (i.names(), Some(1)));
        assert_eq!(Interner::from_names(vec!["a".into(), "a".into()]).unwrap_err(), "a");
    }
}
