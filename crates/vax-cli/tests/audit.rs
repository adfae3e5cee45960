//! `vaxhq staff` and `vaxhq audit`: HQ registers staff and asks who looked at a record.

use std::path::Path;
use std::process::{Command, Output};

mod support;
use support::text;

fn vaxhq(ledger: &Path, args: &[&str], pin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vaxhq"));
    command
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .env_remove("VAXHQ_STAFF_PIN");
    if let Some(pin) = pin {
        command.env("VAXHQ_STAFF_PIN", pin);
    }
    command.output().expect("vaxhq runs")
}

#[test]
fn hq_registers_staff_and_finds_its_own_lookups_in_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("city.sqlite3");
    let demo = vaxhq(
        &ledger,
        &["demo", "--residents", "300", "--start", "2021-05-17"],
        None,
    );
    assert!(demo.status.success(), "{}", text(&demo));

    let none = vaxhq(&ledger, &["audit", "--resident", "0000100001"], None);
    assert_eq!(none.status.code(), Some(3), "nothing yet: {}", text(&none));

    let added = vaxhq(
        &ledger,
        &[
            "staff",
            "add",
            "--code",
            "S01",
            "--name",
            "舞鶴 花子",
            "--venue",
            "V01",
            "--role",
            "booth",
            "--card",
        ],
        Some("4821"),
    );
    assert!(added.status.success(), "{}", text(&added));
    let card = String::from_utf8_lossy(&added.stdout);
    assert!(
        card.starts_with("VAXSTAFF1.S01."),
        "the card payload: {card}"
    );
    let list = vaxhq(&ledger, &["staff", "list"], None);
    assert!(
        text(&list).contains("S01") && text(&list).contains("PIN card"),
        "{}",
        text(&list)
    );
    let bad = vaxhq(
        &ledger,
        &[
            "staff", "add", "--code", "S02", "--name", "x", "--role", "booth",
        ],
        Some("12"),
    );
    assert_eq!(bad.status.code(), Some(4), "{}", text(&bad));
    assert!(text(&bad).contains("暗証番号"), "{}", text(&bad));

    let looked = vaxhq(&ledger, &["lookup", "--voucher", "0000100001"], None);
    assert!(looked.status.success(), "{}", text(&looked));
    let json = vaxhq(
        &ledger,
        &["--json", "audit", "--resident", "0000100001"],
        None,
    );
    assert!(json.status.success(), "{}", text(&json));
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["action"], "lookup");
    assert_eq!(rows[0]["resident"], "0000100001");
    assert_eq!(rows[0]["staff_code"], serde_json::Value::Null);

    let other_day = vaxhq(
        &ledger,
        &[
            "audit",
            "--resident",
            "0000100001",
            "--from",
            "2000-01-01",
            "--to",
            "2000-01-02",
        ],
        None,
    );
    assert_eq!(other_day.status.code(), Some(3), "{}", text(&other_day));
    let backwards = vaxhq(
        &ledger,
        &["audit", "--from", "2021-05-02", "--to", "2021-05-01"],
        None,
    );
    assert_eq!(backwards.status.code(), Some(4), "{}", text(&backwards));
}
