//! The README's console examples, run in the order written from a directory holding only the repository's
//! `fixtures/` (issue 17): every `$ hotspots ...` command must succeed, and every output line the README shows
//! under a command (other than `...`) must be among the lines it prints, with timings ("in 0.14 s") free. So the
//! walk-through cannot drift from what the program does.

use std::path::Path;
use std::process::Command;

/// Commands that do not finish (the server), are too heavy for a test (twenty million rows), or read a placeholder
/// for the reader's own file (`YOUR-FILE.csv`).
fn skipped(command: &str) -> bool {
    command.contains(" serve") || command.contains(" demo") || command.contains("20000000") || command.contains("YOUR-")
}

/// `(command, the output lines shown under it)` for every `$ hotspots` line of the README's console blocks.
fn examples(readme: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_console = false;
    let mut continuing = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_console = line.trim() == "```console";
            continuing = false;
            continue;
        }
        if !in_console {
            continue;
        }
        if continuing {
            if let Some(last) = out.last_mut() {
                last.0.push(' ');
                last.0.push_str(line.trim().trim_end_matches('\\'));
            }
            continuing = line.trim_end().ends_with('\\');
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            continuing = cmd.trim_end().ends_with('\\');
            out.push((cmd.trim_end().trim_end_matches('\\').to_owned(), Vec::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push(line.to_owned());
        }
    }
    out.retain(|(c, _)| c.starts_with("hotspots ") && !skipped(c));
    out
}

/// Whitespace collapsed and timings blanked, so a line compares by what it says.
fn normal(line: &str) -> String {
    let words: Vec<String> =
        line.split_whitespace()
            .map(|w| {
                if w.chars().all(|c| c.is_ascii_digit() || c == '.') && w.contains('.') { "#".into() } else { w.into() }
            })
            .collect();
    words.join(" ")
}

#[test]
fn the_readme_walks_through_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let steps = examples(&readme);
    assert!(steps.len() > 30, "{} examples found", steps.len());
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_hotspots"), bin_dir.join("hotspots")).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::os::unix::fs::symlink(root.join("fixtures"), work.join("fixtures")).unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut failures = Vec::new();
    for (command, shown) in &steps {
        let run = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(&work)
            .env("PATH", &path)
            .env_remove("HOTSPOTS_STORE")
            .env_remove("HOTSPOTS_TOKEN")
            .output()
            .unwrap();
        let printed = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
        if !run.status.success() {
            failures.push(format!("$ {command}\nexit {:?}\n{printed}", run.status.code()));
            continue;
        }
        let lines: Vec<String> = printed.lines().map(normal).collect();
        for want in shown.iter().filter(|l| !l.trim().is_empty() && l.trim() != "...") {
            // A line the README shortens with "..." must match its start.
            let want_n = normal(want.trim_end_matches("...").trim_end_matches("; "));
            if !lines.iter().any(|l| l.starts_with(&want_n)) {
                failures.push(format!("$ {command}\nshows a line it does not print: {want}\nprinted:\n{printed}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} examples differ:\n\n{}", failures.len(), steps.len(), failures.join("\n\n"));
}
