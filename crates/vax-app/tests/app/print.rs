//! The city's voucher batch as the HQ screen runs it: in the background, with progress,
//! cancellable, headquarters only.

use std::time::{Duration, Instant};
use vax_domain::error::UserFacing;

use vax_app::demo::load_demo_city;
use vax_app::print::{
    mailing_details, set_mailing_details, BatchOptions, JapaneseFont, JobState, MailingDetails,
    MailingOverflow, MailingProblem, PrintJobError, VoucherJob,
};
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
    let job = VoucherJob::start(&ledger, Role::Headquarters, font(), opts(dir.path(), 25)).unwrap();
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
    let job = VoucherJob::start(&ledger, Role::Headquarters, font(), opts(dir.path(), 20)).unwrap();
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
        let err =
            VoucherJob::start(&ledger, role, font(), opts(dir.path(), 5)).expect_err("refused");
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
        font(),
        opts(dir.path(), 5),
    )
    .unwrap();
    let status = job.wait();
    assert_eq!(status.state, JobState::Failed, "{status:?}");
    let error = status.error.expect("an error");
    assert_eq!(error.code, "PRINT_FAILED");
    assert!(error.message_ja.contains("台帳"), "{}", error.message_ja);
}

/// The text of a PDF, as `pdftotext` extracts it.
fn pdf_text(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-l", "1"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/setup.sh");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        path.display()
    );
    String::from_utf8(out.stdout).expect("pdftotext writes UTF-8")
}

fn font() -> JapaneseFont {
    JapaneseFont::system_default().expect("the Japanese font is installed by scripts/setup.sh")
}

fn mailing(sender: &str, contact: &[&str]) -> MailingDetails {
    MailingDetails {
        sender: sender.to_owned(),
        contact: contact.iter().map(|l| (*l).to_owned()).collect(),
    }
}

#[test]
fn the_saved_sender_and_contact_lines_are_printed_on_every_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = city(dir.path(), 3);
    let mut ledger = Ledger::open(&path).unwrap();
    let saved = set_mailing_details(
        &mut ledger,
        &font(),
        Role::Headquarters,
        &mailing(
            "  舞鶴市 健康づくり課 ",
            &[
                "舞鶴市コロナワクチン接種コールセンター\r",
                "",
                "電話 0773-00-0000（平日9時〜17時）",
            ],
        ),
    )
    .unwrap();
    assert_eq!(
        saved,
        mailing(
            "舞鶴市 健康づくり課",
            &[
                "舞鶴市コロナワクチン接種コールセンター",
                "電話 0773-00-0000（平日9時〜17時）"
            ]
        ),
        "trimmed, blank lines dropped"
    );
    assert_eq!(mailing_details(&ledger).unwrap(), Some(saved));
    drop(ledger);

    let status = VoucherJob::start(&path, Role::Headquarters, font(), opts(dir.path(), 5))
        .unwrap()
        .wait();
    assert_eq!(status.state, JobState::Done, "{status:?}");
    let text = pdf_text(std::path::Path::new(&status.files[0]));
    for expected in [
        "舞鶴市 健康づくり課",
        "舞鶴市コロナワクチン接種コールセンター",
        "電話 0773-00-0000",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} on the sheet:\n{text}"
        );
    }
}

#[test]
fn vouchers_never_go_out_without_a_sender() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.sqlite3");
    let mut ledger = Ledger::open(&path).unwrap();
    let err = set_mailing_details(
        &mut ledger,
        &font(),
        Role::Headquarters,
        &mailing("  ", &[]),
    )
    .expect_err("a blank sender is refused");
    assert!(matches!(err, PrintJobError::NoSender), "{err:?}");
    assert_eq!(err.code(), "NO_SENDER");
    assert!(err.message_ja().contains("差出人"), "{}", err.message_ja());
    assert_eq!(mailing_details(&ledger).unwrap(), None, "nothing saved");
    drop(ledger);

    // A ledger without saved details (an imported register, not the demo city).
    let status = VoucherJob::start(&path, Role::Headquarters, font(), opts(dir.path(), 5))
        .unwrap()
        .wait();
    assert_eq!(status.state, JobState::Failed, "{status:?}");
    assert_eq!(status.error.expect("an error").code, "NO_SENDER");
    assert!(!dir.path().join("vouchers").exists(), "nothing was written");
}

#[test]
fn mailing_details_that_do_not_fit_the_sheet_are_refused_and_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("hq.sqlite3")).unwrap();
    let font = font();
    // What fits is measured with the font: 20 full-width characters fit beside the address
    // block, 30 do not; 40 fit in the contact box, 45 do not; digits are narrower.
    let fits = mailing(&"健".repeat(20), &[&"話".repeat(40), &"0".repeat(60)]);
    set_mailing_details(&mut ledger, &font, Role::Headquarters, &fits).expect("fits");
    for (details, expected) in [
        (mailing(&"健".repeat(30), &[]), "Sender"),
        (
            mailing("舞鶴市", &["1", "2", "3", "4", "5"]),
            "ContactLines",
        ),
        (
            mailing("舞鶴市", &["短い行", &"話".repeat(45)]),
            "ContactLine 1",
        ),
        (mailing("舞鶴市\n健康づくり課", &[]), "ControlCharacter"),
        (mailing("舞鶴市", &["電話\t0773"]), "ControlCharacter"),
    ] {
        let err = set_mailing_details(&mut ledger, &font, Role::Headquarters, &details)
            .expect_err("refused");
        let got = match &err {
            PrintJobError::MailingInvalid(MailingProblem::DoesNotFit(o)) => match o {
                MailingOverflow::Sender { .. } => "Sender".to_owned(),
                MailingOverflow::ContactLines { .. } => "ContactLines".to_owned(),
                MailingOverflow::ContactLine { index, .. } => format!("ContactLine {index}"),
            },
            PrintJobError::MailingInvalid(MailingProblem::ControlCharacter) => {
                "ControlCharacter".to_owned()
            }
            other => format!("{other:?}"),
        };
        assert_eq!(got, expected, "{details:?}");
        assert_eq!(err.code(), "INVALID_INPUT");
        assert!(!err.message_ja().is_empty());
    }
    assert_eq!(
        mailing_details(&ledger).unwrap(),
        Some(fits),
        "a refused change leaves the saved details as they were"
    );
}

#[test]
fn only_headquarters_sets_what_the_vouchers_say() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("hq.sqlite3")).unwrap();
    for role in [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::CallCentre,
    ] {
        let err = set_mailing_details(&mut ledger, &font(), role, &mailing("舞鶴市", &[]))
            .expect_err("refused");
        assert!(
            matches!(err, PrintJobError::RoleMayNot(r) if r == role),
            "{err:?}"
        );
    }
    assert_eq!(mailing_details(&ledger).unwrap(), None);
}
