//! Writing files so that a crash never leaves half a file: every file is first written in
//! full to a temporary file in the target directory and synced, then renamed over its name.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::VrsError;

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Files written in full to temporary names, not yet in place.
pub(crate) struct Staged {
    dir: PathBuf,
    files: Vec<(NamedTempFile, PathBuf)>,
}

/// Writes each `(name, bytes)` to a synced temporary file in `dir` (created if missing).
/// Dropping the result removes them.
pub(crate) fn stage(dir: &Path, files: &[(&str, &[u8])]) -> Result<Staged, VrsError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| VrsError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    let mut staged = Staged {
        dir: dir.to_owned(),
        files: Vec::with_capacity(files.len()),
    };
    for &(name, bytes) in files {
        let target = dir.join(name);
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(io(&target))?;
        tmp.write_all(bytes).map_err(io(&target))?;
        tmp.as_file().sync_all().map_err(io(&target))?;
        staged.files.push((tmp, target));
    }
    Ok(staged)
}

impl Staged {
    /// Renames every file into place and syncs the directory. On error, the path that
    /// failed.
    pub(crate) fn place(self) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
        let mut placed = Vec::with_capacity(self.files.len());
        for (tmp, target) in self.files {
            tmp.persist(&target)
                .map_err(|e| (target.clone(), e.error))?;
            placed.push(target);
        }
        sync_dir(&self.dir).map_err(|e| (self.dir.clone(), e))?;
        Ok(placed)
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
