//! The adapters stay adapters: no Tauri command and no HTTP handler has a body of more than
//! ten lines (blank lines and comments not counted). Logic goes into vax-app (or the sync
//! server's core), where the command line and the tests call it too.

use std::path::{Path, PathBuf};

const MAX_BODY_LINES: usize = 10;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// `(name, body lines)` of every function in `source` whose first line `starts` accepts
/// (given that line and the trimmed line before it).
fn function_bodies(
    source: &str,
    starts: impl Fn(&str, Option<&str>) -> bool,
) -> Vec<(String, usize)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let previous = i.checked_sub(1).map(|p| lines[p].trim());
        if !starts(lines[i], previous) {
            i += 1;
            continue;
        }
        let name = lines[i]
            .split("fn ")
            .nth(1)
            .and_then(|rest| rest.split(['(', '<']).next())
            .unwrap_or("?")
            .to_owned();
        // The body opens at the first line ending with `{` (the end of the signature).
        while i < lines.len() && !lines[i].trim_end().ends_with('{') {
            i += 1;
        }
        let mut depth = 0i32;
        let mut body = 0;
        let mut first = true;
        while i < lines.len() {
            let line = lines[i].trim();
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if !first && depth > 0 && !line.is_empty() && !line.starts_with("//") {
                body += 1;
            }
            first = false;
            i += 1;
            if depth <= 0 {
                break;
            }
        }
        found.push((name, body));
    }
    found
}

fn check(files: &[PathBuf], starts: impl Fn(&str, Option<&str>) -> bool + Copy) -> usize {
    let mut counted = 0;
    let mut too_long = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(file).expect("readable source");
        for (name, lines) in function_bodies(&source, starts) {
            counted += 1;
            if lines > MAX_BODY_LINES {
                too_long.push(format!("{} {name}: {lines} lines", file.display()));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "adapters longer than {MAX_BODY_LINES} lines (move the logic into vax-app):\n{}",
        too_long.join("\n")
    );
    counted
}

#[test]
fn no_tauri_command_body_is_over_ten_lines() {
    let dir = root().join("src-tauri/src/commands");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the commands folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    let counted = check(&files, |line, previous| {
        previous == Some("#[tauri::command]") && line.contains("fn ")
    });
    assert_eq!(
        counted,
        vaxledger_desktop::COMMAND_NAMES.len(),
        "every command was measured"
    );
}

#[test]
fn no_http_handler_body_is_over_ten_lines() {
    let api = root().join("sync-server/src/api.rs");
    // The handlers are the module's top-level async functions.
    let counted = check(&[api], |line, _| line.starts_with("async fn "));
    assert!(
        counted >= 6,
        "the six endpoints' handlers were measured: {counted}"
    );
}

#[test]
fn the_measure_counts_a_long_body() {
    let source = "#[tauri::command]\npub async fn long() -> u8 {\n".to_owned()
        + &"    let x = 1;\n".repeat(11)
        + "    x\n}\n";
    let bodies = function_bodies(&source, |line, previous| {
        previous == Some("#[tauri::command]") && line.contains("fn ")
    });
    assert_eq!(bodies, vec![("long".to_owned(), 12)]);
}
