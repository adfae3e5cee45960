//! The city's voucher batch as the HQ screen runs it: in the background, with progress,
//! cancellable, headquarters only.

use std::time::{Duration, Instant};

use vax_app::demo::load_demo_city;
use vax_app::print::{BatchOptions, JobState, PrintJobError, VoucherJob};
use vax_app::progress::NoProgress;
use vax_demo::DemoParams;
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::{at, now};

/// A small demo city in a ledger file.
fn city(dir: &std::path::Path, residents: usize) -> std::path::PathBuf {
    let path = dir.join("hq.sqlite3");
    let mut ledger = Ledger::open(&path).unwrap();
    let params = DemoParams {
        residents,
        start: "2021-05-17".parse().unwrap(),
        ..DemoParams::default()
    };
    load_demo_city(
        &mut ledger,
        &params,
        at("2021-05-01T07:00:00+09:00"),
        &mut NoProgress,
    )
    .unwrap();
    path
}

fn opts(dir: &std::path::Path, chunk: usize) -> BatchOptions {
    let mut opts = BatchOptions::new(dir.join("vouchers"), now().date_naive());
    opts.chunk_size = chunk;
    opts
}

#[test]
fn headquarters_prints_the_whole_city_in_the_background_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = city(dir.path(), 60);
    let job = VoucherJob::start(&ledger, Role::Headquarters, opts(dir.path(), 25)).unwrap();
    let first = job.status();
    assert!(
        matches!(first.state, JobState::Running | JobState::Done),
        "{first:?}"
    );
    assert!(first.out_dir.ends_with("vouchers"));
    let status = job.wait();
    assert_eq!(status.state, JobState::Done, "{status:?}");
    assert_eq!((status.done, status.total), (60, 60));
    assert_eq!(status.files.len(), 3, "60 pages in files of 25: {status:?}");
    for f in &status.files {
        assert!(std::path::Path::new(f).exists(), "{f}");
    }
}

#[test]
fn a_running_batch_can_be_cancelled_and_keeps_what_it_printed() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = city(dir.path(), 400);
    let job = VoucherJob::start(&ledger, Role::Headquarters, opts(dir.path(), 20)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while job.status().done < 5 && !job.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    job.cancel();
    let status = job.wait();
    assert_eq!(status.state, JobState::Cancelled, "{status:?}");
    assert!(status.done < 400, "stopped early: {status:?}");
    assert_eq!(status.total, 400);
    assert!(
        !status.files.is_empty(),
        "the pages printed so far are saved"
    );
}

#[test]
fn only_headquarters_may_print_the_city_and_nothing_is_written_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = city(dir.path(), 10);
    for role in [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::CallCentre,
    ] {
        let err = VoucherJob::start(&ledger, role, opts(dir.path(), 5)).expect_err("refused");
        assert!(
            matches!(err, PrintJobError::RoleMayNot(r) if r == role),
            "{err:?}"
        );
        assert_eq!(err.code(), "ROLE_MAY_NOT");
        assert!(err.message_ja().contains("本部"), "{}", err.message_ja());
    }
    assert!(
        !dir.path().join("vouchers").exists(),
        "no folder was created"
    );
}

#[test]
fn a_missing_ledger_folder_fails_in_the_status_not_in_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let job = VoucherJob::start(
        &dir.path().join("no/such/dir/ledger.sqlite3"),
        Role::Headquarters,
        opts(dir.path(), 5),
    )
    .unwrap();
    let status = job.wait();
    assert_eq!(status.state, JobState::Failed, "{status:?}");
    let error = status.error.expect("an error");
    assert_eq!(error.code, "PRINT_FAILED");
    assert!(error.message_ja.contains("台帳"), "{}", error.message_ja);
}
