//! What the command-line tests share: the binaries under test, and a process that dies with
//! the test.
#![allow(dead_code)] // each test binary uses its own part of it

use std::path::PathBuf;
use std::process::{Child, Command, Output};

/// Kills its process when dropped, so a failing test leaves nothing running.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn vaxhq_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vaxhq"))
}

/// `vaxsync` is another package's binary: built beside `vaxhq` when missing.
pub fn vaxsync_bin() -> PathBuf {
    let path = vaxhq_bin().with_file_name(format!("vaxsync{}", std::env::consts::EXE_SUFFIX));
    let built = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "vax-sync-server",
            "--bin",
            "vaxsync",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(built.success(), "vaxsync builds");
    assert!(path.exists(), "{} exists", path.display());
    path
}

/// A finished command's standard output then its standard error, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
