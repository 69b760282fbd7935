//! The publisher's secret: 32 random bytes, kept in a file beside the store (`STORE.publish-key`, readable by its
//! owner only), made on first use. Record keys are drawn from it, so the same store always publishes the same
//! numbers, and nobody without the file can compute a record key. Never publish it; losing it changes every
//! published number's rounding (a new draw, as safe as the old one, but not comparable with it).

use super::PublishError;
use super::perturb::Secret;
use std::path::{Path, PathBuf};

/// The key file of a store: `STORE.publish-key`.
pub fn key_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".publish-key");
    PathBuf::from(name)
}

fn parse(text: &str, path: &Path) -> Result<Secret, PublishError> {
    let t = text.trim();
    let bad = || PublishError::Key { path: path.to_owned(), problem: "it must hold 64 hexadecimal digits".into() };
    if t.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (k, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&t[2 * k..2 * k + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// Read the key file, or make one (random, owner-only) when there is none.
pub fn load_or_create(path: &Path) -> Result<Secret, PublishError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret: Secret = rand::random();
            let text = format!("{}\n", crate::files::hex(&secret));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let io = |e| PublishError::Io { path: path.to_owned(), source: e };
            match opts.open(path) {
                Ok(mut f) => {
                    use std::io::Write;
                    f.write_all(text.as_bytes()).map_err(io)?;
                    f.sync_all().map_err(io)?;
                    Ok(secret)
                }
                // Another process made it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    parse(&std::fs::read_to_string(path).map_err(io)?, path)
                }
                Err(e) => Err(io(e)),
            }
        }
        Err(e) => Err(PublishError::Io { path: path.to_owned(), source: e }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir.path().join("s.db"));
        assert!(path.ends_with("s.db.publish-key"));
        let a = load_or_create(&path).unwrap();
        let b = load_or_create(&path).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "xyz").unwrap();
        assert!(matches!(load_or_create(&path), Err(PublishError::Key { .. })));
    }
}
