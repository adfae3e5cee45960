//! `vaxhq paper back-enter` as the venue manager types in a handwritten row (issue 17): the
//! real binary on a real kiosk ledger, the clock pinned to the evening of the venue day.
//! A row back-entered at the paper's time; the same row again refused (exit 5) as a duplicate;
//! malformed fields and a lot not open refused with the field named in both languages, and
//! nothing written by any refusal.

use std::path::Path;
use std::process::{Command, Output};

mod support;
use support::{text, vaxhq_bin};

const DAY: &str = "2021-06-01";
const EVENING: &str = "2021-06-01T17:00:00+09:00";

fn vaxhq(ledger: &Path, args: &[&str]) -> Output {
    Command::new(vaxhq_bin())
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .env("VAXLEDGER_NOW", EVENING)
        .output()
        .expect("vaxhq runs")
}

fn ok(ledger: &Path, args: &[&str]) -> String {
    let out = vaxhq(ledger, args);
    assert!(out.status.success(), "vaxhq {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One row; the observation ends 15 minutes after `time` when that is a time of day.
fn back_enter(ledger: &Path, voucher: &str, time: &str, lot: &str) -> Output {
    let observed = chrono::NaiveTime::parse_from_str(time, "%H:%M")
        .map(|t| {
            (t + chrono::Duration::minutes(15))
                .format("%H:%M")
                .to_string()
        })
        .unwrap_or_default();
    vaxhq(
        ledger,
        &[
            "--json",
            "paper",
            "back-enter",
            "--voucher",
            voucher,
            "--date",
            DAY,
            "--time",
            time,
            "--lot",
            lot,
            "--vaccinator",
            "舞鶴 太郎",
            "--observed-until",
            &observed,
        ],
    )
}

#[test]
fn a_row_is_back_entered_at_the_paper_time_and_bad_or_repeated_rows_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("manager.sqlite3");
    ok(
        &ledger,
        &[
            "demo",
            "--residents",
            "800",
            "--start",
            DAY,
            "--kiosk",
            "V01",
        ],
    );
    let venue_day: serde_json::Value =
        serde_json::from_str(&ok(&ledger, &["--json", "venue-day", "V01", "--date", DAY])).unwrap();
    let first = &venue_day["bands"][0]["residents"][0];
    let voucher = first["voucher"].as_str().expect("someone is booked at V01");
    let row_qr = format!("11262021{voucher}");
    ok(
        &ledger,
        &[
            "desk",
            "open-lot",
            "--product",
            "comirnaty",
            "--lot",
            "FA5765",
        ],
    );
    let lot = "FA5765";
    // The resident's audit trail (an empty trail exits non-zero, and prints `[]`).
    let trail = |ledger: &Path| {
        let out = vaxhq(ledger, &["--json", "audit", "--resident", voucher]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = trail(&ledger);

    // Malformed fields: refused, the field named in English and Japanese, nothing written.
    for (time, field) in [("25:99", "接種時刻"), ("", "接種時刻"), ("21:00", "未来")] {
        let refused = back_enter(&ledger, &row_qr, time, lot);
        assert_eq!(
            refused.status.code(),
            Some(5),
            "{time:?}: {}",
            text(&refused)
        );
        assert!(
            text(&refused).contains(field),
            "{time:?}: {}",
            text(&refused)
        );
    }
    let refused = back_enter(&ledger, "12345", "09:12", lot);
    assert_ne!(
        refused.status.code(),
        Some(0),
        "not a voucher: {}",
        text(&refused)
    );
    let refused = back_enter(&ledger, &row_qr, "09:12", "NO-SUCH-LOT");
    assert_eq!(refused.status.code(), Some(5), "{}", text(&refused));
    assert_eq!(trail(&ledger), before, "no refusal wrote anything");

    // The row as written on paper.
    let done = back_enter(&ledger, &row_qr, "09:12", lot);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    let done: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(done["dose_number"], 1);
    assert_eq!(
        done["checked_in"], true,
        "nobody checked them in at a kiosk"
    );
    let card = ok(&ledger, &["--json", "lookup", "--voucher", &row_qr]);
    assert!(card.contains(&format!("{DAY}T09:12:00+09:00")), "{card}");
    assert!(
        trail(&ledger).contains("back-entered from the paper day sheet: given 2021-06-01 09:12"),
        "the audit trail says where it came from"
    );

    // Typed in a second time: a duplicate, refused like at the booth.
    let after = trail(&ledger);
    let twice = back_enter(&ledger, &row_qr, "09:40", lot);
    assert_eq!(twice.status.code(), Some(5), "{}", text(&twice));
    assert!(text(&twice).contains("接種済み"), "{}", text(&twice));
    assert_eq!(trail(&ledger), after, "nothing more was written");
}
