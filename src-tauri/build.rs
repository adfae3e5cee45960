fn main() {
    // Every command gets an allow-/deny- permission; capabilities/default.json allows
    // exactly these and nothing of Tauri's core API the UI does not use.
    println!("cargo:rerun-if-changed=src/command_names.rs");
    let manifest = tauri_build::AppManifest::new().commands(vaxledger_commands());
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step");
}

// The one list of command names, shared with the app (src/command_names.rs).
include!("src/command_names.rs");

fn vaxledger_commands() -> &'static [&'static str] {
    COMMAND_NAMES
}
