//! Lower layers never import upper ones, in the order ARCHITECTURE.md writes down: every `crate::` and `super::`
//! path in `src/` (test modules left out) is checked against it, so the rule is checked rather than claimed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The names of a line of ARCHITECTURE.md starting with `prefix`: `a` < `b` < ...
fn order(prefix: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let line = text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line '{prefix}'"));
    line[prefix.len()..].split('<').map(|n| n.trim().trim_matches('`').to_owned()).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// A file's code without its test modules (`#[cfg(test)] mod tests { ... }` to the end of the file, as they are
/// written here) and without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    if name == "tests.rs" || name == "test_support.rs" {
        return String::new();
    }
    let cut = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..cut].lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The first name of every path starting with `prefix::` (and of every item of a `prefix::{a, b::c}` group).
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let pat = format!("{prefix}::");
    let mut rest = code;
    while let Some(i) = rest.find(&pat) {
        let before = rest[..i].chars().last();
        rest = &rest[i + pat.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        at_start = true;
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if at_start && depth == 1 && (c.is_alphanumeric() || c == '_') {
                    item.push(c);
                } else if at_start && !item.is_empty() {
                    out.insert(std::mem::take(&mut item));
                    at_start = false;
                }
            }
            if !item.is_empty() {
                out.insert(item);
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn rank(order: &[String], name: &str) -> Option<usize> {
    order.iter().position(|n| n == name)
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let top = order("Top level: ");
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if first == "lib" || first == "main" {
            continue;
        }
        let me = rank(&top, &first).unwrap_or_else(|| panic!("src/{first} is not in ARCHITECTURE.md's order"));
        for name in names_after(&code(f), "crate") {
            let Some(r) = rank(&top, &name) else { continue };
            if r > me {
                wrong.push(format!("{} imports crate::{name}, a layer above {first}", rel.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_server_module_imports_one_above_it() {
    let inner = order("Inside `server`: ");
    let dir = root().join("src").join("server");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&dir).unwrap();
        let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let unit = parts[0].trim_end_matches(".rs").to_owned();
        let me = rank(&inner, &unit).unwrap_or_else(|| panic!("src/server/{unit} is not in ARCHITECTURE.md's order"));
        let code = code(f);
        // `super::x` from a file directly in server/ (or server/x/mod.rs) names a server module; from deeper it
        // names a sibling in the same folder, and `super::super::x` a server module.
        let direct = parts.len() == 1 || parts.last().is_some_and(|p| p == "mod.rs") && parts.len() == 2;
        let mut used = names_after(&code, "crate::server");
        if direct {
            used.extend(names_after(&code, "super"));
        } else {
            used.extend(names_after(&code, "super::super"));
        }
        for name in used {
            let Some(r) = rank(&inner, &name) else { continue };
            if r > me {
                wrong.push(format!("server/{} uses {name}, a module above {unit}", rel.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_requests_sit_below_the_analyses_that_run_them() {
    let dir = root().join("src").join("analysis").join("spec");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    for f in &files {
        let code = code(f);
        for above in ["pipeline", "compare", "accuracy", "tasking"] {
            assert!(
                !names_after(&code, "crate::analysis").contains(above),
                "{} imports analysis::{above}",
                f.display()
            );
        }
        assert!(!code.contains("emerging::cube"), "{} imports emerging::cube", f.display());
    }
}

#[test]
fn the_path_reader_sees_groups_and_plain_paths() {
    let names = names_after("use crate::{model::Query, geo::{A, B}, files};\nlet x = crate::store::open();", "crate");
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["files", "geo", "model", "store"]);
    assert!(names_after("my_crate::store", "crate").is_empty());
}
