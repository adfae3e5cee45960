//! The command list is written once (src/command_names.rs); the places that must name the same
//! commands are checked against it: the handlers `build_app` registers, the permissions the
//! window is granted, and the UI's calls.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use vaxledger_desktop::COMMAND_NAMES;

fn read(relative: &str) -> String {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf();
    std::fs::read_to_string(root.join(relative)).expect(relative)
}

fn names() -> BTreeSet<String> {
    let set: BTreeSet<String> = COMMAND_NAMES.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(set.len(), COMMAND_NAMES.len(), "a name is listed twice");
    set
}

/// The words between `open` and `close` on every line that holds both, in order.
fn between(text: &str, open: &str, close: char) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let start = line.find(open)? + open.len();
            let rest = &line[start..];
            Some(rest[..rest.find(close)?].to_owned())
        })
        .collect()
}

#[test]
fn the_registered_handlers_are_the_listed_commands() {
    let lib = read("src-tauri/src/lib.rs");
    let handlers: BTreeSet<String> = lib
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("commands::") && l.ends_with(','))
        .filter_map(|l| l.trim_end_matches(',').rsplit("::").next())
        .map(str::to_owned)
        .collect();
    assert_eq!(handlers, names());
}

#[test]
fn the_window_is_allowed_exactly_the_listed_commands() {
    let capabilities = read("src-tauri/capabilities/default.json");
    let allowed = between(&capabilities, "\"allow-", '"');
    let expected: BTreeSet<String> = names().iter().map(|n| n.replace('_', "-")).collect();
    assert_eq!(allowed, expected);
}

#[test]
fn the_ui_calls_exactly_the_listed_commands() {
    let ipc = read("ui/src/lib/ipc/index.ts");
    let called: BTreeSet<String> = ipc
        .lines()
        .filter_map(|line| {
            let after = line.split(">('").nth(1)?;
            Some(after[..after.find('\'')?].to_owned())
        })
        .collect();
    assert_eq!(called, names());
}

#[test]
fn the_extraction_reads_what_it_should() {
    let text = "  a: () => call<X>('setup_status'),\n  b: (t: string) => call<Y[]>('reception_find', { text }),";
    let called: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split(">('").nth(1))
        .map(|a| &a[..a.find('\'').expect("quote")])
        .collect();
    assert_eq!(called, ["setup_status", "reception_find"]);
    assert_eq!(
        between(
            "\"allow-sync-run\",\n\"core:event:allow-listen\"",
            "\"allow-",
            '"'
        ),
        BTreeSet::from(["sync-run".to_owned()])
    );
}
