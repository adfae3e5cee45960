//! One more new device's first sync from HQ's snapshot, step by step: the download, the
//! seal's check (its SHA-256 is most of it), and the install (the copy, with the merged state
//! rebuilt beside it). Shared by the `initial_replica` and `prefecture` benches.

use std::path::Path;
use std::time::{Duration, Instant};

use vax_domain::voucher::MunicipalityCode;
use vax_ledger::{Ledger, Snapshot};
use vax_sync::PublicKey;

/// The snapshot taken and the time of each step.
pub struct Steps {
    /// What was downloaded, with the key of HQ that sealed it.
    pub snapshot: Snapshot,
    /// HQ's key.
    pub author_key: PublicKey,
    /// Ops the snapshot holds.
    pub ops: u64,
    /// The download.
    pub download: Duration,
    /// The seal's check.
    pub check: Duration,
    /// The install into a plain ledger at `path` (its own check included).
    pub install: Duration,
}

/// Enrolls a new booth with `code` at `url`, downloads the snapshot of its scope, checks it,
/// and installs it into a new plain ledger at `path` — each step timed. `scope` is what the
/// enrollment names (a partial replica), set as enrollment sets it.
pub fn timed_steps(
    url: &str,
    code: &str,
    scope: Option<&MunicipalityCode>,
    path: &Path,
) -> Result<Steps, Box<dyn std::error::Error>> {
    let key = vax_sync_client::new_device_key();
    let enrolled = vax_sync_client::enroll(url, code, "V03 接種", &key)?;
    let client = vax_sync_client::Client::new(url, &enrolled.token);
    let t = Instant::now();
    let (seal, author_key, data) = client.snapshot()?.ok_or("a snapshot is filed")?;
    let download = t.elapsed();
    let t = Instant::now();
    seal.verify(&author_key, &data)?;
    let check = t.elapsed();
    let mut booth = Ledger::open(path)?;
    booth.start_replicating(enrolled.replica_id, enrolled.role, &key)?;
    if let Some(scope) = scope {
        let tx = booth.transaction()?;
        tx.set_setting(vax_ledger::KEY_SCOPE, scope.as_str())?;
        tx.commit()?;
    }
    let snapshot = Snapshot { seal, data };
    let t = Instant::now();
    let ops = booth.install_snapshot(&snapshot, &author_key)?;
    Ok(Steps {
        snapshot,
        author_key,
        ops,
        download,
        check,
        install: t.elapsed(),
    })
}
