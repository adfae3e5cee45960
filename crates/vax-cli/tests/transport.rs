//! `vaxhq transport solve` on a problem file, as a script runs it.

use std::path::Path;
use std::process::{Command, Output};

use vax_routing::{verify, Plan, TransportProblem};

fn vaxhq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaxhq"))
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .output()
        .expect("vaxhq runs")
}

fn sample() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vax-routing/tests/golden/problem-small.json");
    std::fs::read_to_string(path).expect("sample problem")
}

#[test]
fn solve_writes_a_plan_that_passes_the_checker() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("p.json"), dir.path().join("plan.json"));
    std::fs::write(&input, sample()).unwrap();
    let o = vaxhq(&[
        "transport",
        "solve",
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--seconds",
        "0.5",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("6 riders on"));
    let plan = Plan::from_json(&std::fs::read_to_string(&out).unwrap()).expect("plan file");
    let problem = TransportProblem::from_json(&sample()).unwrap();
    verify(&problem, &plan).expect("feasible");
}

#[test]
fn a_malformed_problem_exits_4_with_both_languages_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("p.json"), dir.path().join("plan.json"));
    std::fs::write(&input, sample().replace("\"seats\": 10", "\"seats\": 0")).unwrap();
    let o = vaxhq(&[
        "transport",
        "solve",
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("vehicle bus-1: seats must be at least 1"),
        "{err}"
    );
    assert!(err.contains("が不正です"), "{err}");
    assert!(!out.exists());
}

#[test]
fn an_hq_matrix_in_csv_replaces_the_straight_line_distances() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("p.json"), dir.path().join("plan.json"));
    std::fs::write(&input, sample()).unwrap();
    let ids = [
        "garage", "venue", "R001", "R002", "R003", "R004", "R005", "R006",
    ];
    let csv = |value: &str| {
        let mut text = format!(",{}\n", ids.join(","));
        for (i, id) in ids.iter().enumerate() {
            let row: Vec<&str> = (0..ids.len())
                .map(|j| if i == j { "0" } else { value })
                .collect();
            text += &format!("{id},{}\n", row.join(","));
        }
        text
    };
    let (km, minutes) = (dir.path().join("km.csv"), dir.path().join("min.csv"));
    std::fs::write(&km, csv("2")).unwrap();
    std::fs::write(&minutes, csv("3")).unwrap();
    let o = vaxhq(&[
        "transport",
        "solve",
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--seconds",
        "0.3",
        "--matrix-km",
        km.to_str().unwrap(),
        "--matrix-minutes",
        minutes.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plan = Plan::from_json(&std::fs::read_to_string(&out).unwrap()).expect("plan file");
    // Every leg is 2 km: 6 riders on n vehicles drive (6 + 2n) legs.
    let legs = 6 + 2 * plan.vehicles_used;
    assert!(
        (plan.total_km - 2.0 * legs as f64).abs() < 1e-9,
        "{}",
        plan.total_km
    );

    std::fs::write(&minutes, csv("-3")).unwrap();
    let o = vaxhq(&[
        "transport",
        "solve",
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--matrix-km",
        km.to_str().unwrap(),
        "--matrix-minutes",
        minutes.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("values must be finite and non-negative"));
}

/// `vaxhq` on a ledger, with the clock pinned before the demo's first day.
fn on_ledger(ledger: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaxhq"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .env("VAXLEDGER_NOW", "2021-05-01T09:00:00+09:00")
        .output()
        .expect("vaxhq runs")
}

#[test]
fn a_venue_day_is_planned_shown_and_printed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    ok(on_ledger(
        &ledger,
        &["demo", "--residents", "3000", "--start", "2021-05-17"],
    ));
    let fleet = dir.path().join("fleet.csv");
    std::fs::write(
        &fleet,
        "車両,座席,始業,終業,車庫緯度,車庫経度\n\
         1号車,8,07:30,18:00,35.4747,135.3859\n\
         2号車,10,07:30,18:00,35.4747,135.3859\n",
    )
    .unwrap();
    assert!(ok(on_ledger(
        &ledger,
        &["transport", "fleet", fleet.to_str().unwrap()]
    ))
    .contains("2 vehicles stored"));
    // The real planner books the demo's bus riders together at V03 that day.
    let day = ["--venue", "V03", "--date", "2021-05-17"];
    let planned = ok(on_ledger(
        &ledger,
        &[&["transport", "plan"][..], &day, &["--seconds", "1"]].concat(),
    ));
    assert!(planned.contains("rides on"), "{planned}");
    let shown: serde_json::Value = serde_json::from_str(&ok(on_ledger(
        &ledger,
        &[&["--json", "transport", "show"][..], &day].concat(),
    )))
    .unwrap();
    assert!(!shown["runs"].as_array().unwrap().is_empty(), "{shown}");
    let out = dir.path().join("out");
    let printed = ok(on_ledger(
        &ledger,
        &[
            &["transport", "manifests"][..],
            &day,
            &["--out", out.to_str().unwrap()],
        ]
        .concat(),
    ));
    assert!(printed.contains("bus runs"), "{printed}");
    assert!(out.join("transport-V03-2021-05-17-manifests.pdf").is_file());
    assert!(out.join("transport-V03-2021-05-17-reception.pdf").is_file());
}

#[test]
fn a_bad_fleet_file_exits_4_naming_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet.csv");
    std::fs::write(
        &fleet,
        "車両,座席,始業,終業,車庫緯度,車庫経度\n1号車,八,07:30,18:00,35.47,135.38\n",
    )
    .unwrap();
    let o = on_ledger(
        &dir.path().join("l.db"),
        &["transport", "fleet", fleet.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2 [座席]"), "{err}");
    assert!(err.contains("座席数"), "{err}");
}
