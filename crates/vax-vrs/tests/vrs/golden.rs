//! Golden files: the exact bytes of every file for each encoding and option. The expected
//! files are committed under `tests/golden/<case>/`; run with `VRS_UPDATE_GOLDEN=1` to
//! rewrite them after a deliberate layout change (and bump `LAYOUT_VERSION`).

use std::path::PathBuf;

use rstest::rstest;
use vax_domain::voucher::MunicipalityCode;
use vax_vrs::{BatchReport, Encoding, ExportOptions, FileKind, Layout, LineEnding};

use crate::{file_of, Fixture};

/// Three residents, four doses: two doses of one resident (a lower-case lot), one dose at
/// a venue whose name holds a comma, and one given at 00:30 JST but stored in UTC (its
/// 接種日 is the JST day).
pub fn golden_ledger() -> Fixture {
    let mut f = Fixture::open();
    let (v01, v02) = (f.v01, f.v02);
    let (lot1, lot2, moderna) = (f.pfizer_lot, f.pfizer_lot_2, f.moderna_lot);
    let hanako = f.resident("0000000001", "山田 花子");
    let ichiro = f.resident("0012345678", "山本 一郎");
    let jiro = f.resident("0099999999", "佐藤 次郎");
    let doses = [
        f.dose(
            hanako,
            1,
            "2021-06-01T09:12:00+09:00",
            v01,
            lot1,
            "舞鶴 太郎",
        ),
        f.dose(
            hanako,
            2,
            "2021-06-22T09:05:00+09:00",
            v01,
            lot2,
            "舞鶴 太郎",
        ),
        f.dose(
            ichiro,
            1,
            "2021-06-03T14:00:00+09:00",
            v02,
            moderna,
            "高橋 一郎",
        ),
        f.dose(jiro, 1, "2021-06-01T15:30:00+00:00", v01, lot1, "舞鶴 太郎"),
    ];
    for (i, uid) in doses.iter().enumerate() {
        f.set_uid(uid, &fixed_uid(i + 1));
    }
    f
}

/// The golden ledger after its first export, with record 2 voided on 23 June for `reason`.
pub fn golden_ledger_with_an_exported_record_voided(reason: &str) -> Fixture {
    let mut f = golden_ledger();
    f.export(&ExportOptions::default()).unwrap();
    f.void(&fixed_uid(2), reason, "2021-06-23T10:00:00+09:00");
    f
}

pub fn fixed_uid(n: usize) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

fn golden_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(case)
}

/// Compares a file of `report` with `tests/golden/<case>/<kind>.csv`, byte for byte.
fn assert_golden(case: &str, report: &BatchReport, kind: FileKind) {
    let actual = file_of(report, kind);
    let path = golden_dir(case).join(format!("{}.csv", kind.code()));
    if std::env::var_os("VRS_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} is missing ({e}); run with VRS_UPDATE_GOLDEN=1 and review it",
            path.display()
        )
    });
    assert!(
        actual == expected,
        "{case}/{}: the exported bytes must equal the reviewed golden file {}\n--- expected (lossy) ---\n{}\n--- actual (lossy) ---\n{}",
        kind.code(),
        path.display(),
        String::from_utf8_lossy(&expected),
        String::from_utf8_lossy(&actual)
    );
}

fn layout(change: impl FnOnce(&mut Layout)) -> ExportOptions {
    let mut options = ExportOptions::default();
    change(&mut options.layout);
    options
}

#[rstest]
#[case::utf8_crlf_header_two_groups("utf8", ExportOptions::default())]
#[case::utf8_with_bom("utf8_bom", layout(|l| l.encoding = Encoding::Utf8Bom))]
#[case::cp932("cp932", layout(|l| l.encoding = Encoding::Cp932))]
#[case::without_header("no_header", layout(|l| l.header = false))]
#[case::lf_line_ends("lf", layout(|l| l.line_ending = LineEnding::Lf))]
#[case::three_dose_groups("three_groups", layout(|l| l.dose_groups = 3))]
#[case::campaign_municipality("site_municipality", ExportOptions {
    site_municipality: Some(MunicipalityCode::parse("261009").unwrap()),
    ..ExportOptions::default()
})]
fn each_encoding_and_option_writes_the_reviewed_bytes(
    #[case] case: &str,
    #[case] options: ExportOptions,
) {
    let mut f = golden_ledger();
    let report = f.export(&options).unwrap();
    assert_eq!(report.exported, 4, "{case}: all four doses are exported");
    assert_eq!(
        report.residents, 3,
        "{case}: three vouchers, three 台帳形式 rows"
    );
    assert_eq!(
        report.files.len(),
        2,
        "{case}: a batch without voids has no correction list"
    );
    assert_golden(case, &report, FileKind::Ledger);
    assert_golden(case, &report, FileKind::Doses);
}

#[test]
fn a_correction_batch_writes_the_reviewed_correction_list_and_the_corrected_record() {
    let mut f = golden_ledger_with_an_exported_record_voided("ロット番号の誤記入, 再登録");
    let (hanako, v01, lot) = (1, f.v01, f.pfizer_lot);
    let corrected = f.dose(
        hanako,
        2,
        "2021-06-22T09:05:00+09:00",
        v01,
        lot,
        "舞鶴 太郎",
    );
    f.set_uid(&corrected, &fixed_uid(5));
    let report = f.export(&ExportOptions::default()).unwrap();
    assert_eq!(
        (report.exported, report.corrections),
        (1, 1),
        "the second batch exports the corrected record and lists the voided one"
    );
    assert_golden("correction", &report, FileKind::Ledger);
    assert_golden("correction", &report, FileKind::Doses);
    assert_golden("correction", &report, FileKind::Corrections);
}
