//! What the command-line tests share: the binaries under test, and a process that dies with
//! the test.
#![allow(dead_code)] // each test binary uses its own part of it

use std::path::PathBuf;
use std::process::{Child, Command, Output};
use std::sync::OnceLock;

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

/// `vaxsync` is another package's binary, so cargo does not build it for these tests: it is
/// built once per test binary, as the test command builds it (`cargo test --workspace
/// --all-targets`: the sync server's suite brings it along; nothing to do when that ran).
/// Any narrower selection (`--test server`, `-p vax-sync-server`) resolves another feature
/// set, rebuilds half the workspace and replaces `vaxhq` and `vaxsync` under the tests
/// running them (a 1,000-kill crash campaign died on it).
pub fn vaxsync_bin() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let path =
                vaxhq_bin().with_file_name(format!("vaxsync{}", std::env::consts::EXE_SUFFIX));
            let built = Command::new(env!("CARGO"))
                .args([
                    "test",
                    "--quiet",
                    "--locked",
                    "--workspace",
                    "--no-run",
                    "--all-targets",
                ])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo runs");
            assert!(built.success(), "vaxsync builds");
            assert!(path.exists(), "{} exists", path.display());
            path
        })
        .clone()
}

/// A finished command's standard output then its standard error, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
