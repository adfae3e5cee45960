//! Every validation rule: each rejects the batch with the right rule and message, names
//! the voucher and the record, and nothing is written or recorded.

use rstest::rstest;
use vax_vrs::{Encoding, ExportOptions, FileKind, OnInvalid, Rule, ValidationReport, VrsError};

use vax_ledger::RowId;

use crate::{at, text_of, Fixture};

/// One resident with one valid dose 1: the ground every case breaks in one way.
fn one_dose() -> (Fixture, String) {
    let mut f = Fixture::open();
    let (v01, lot) = (f.v01, f.pfizer_lot);
    let hanako = f.resident("0000000001", "山田 花子");
    let uid = f.dose(
        hanako,
        1,
        "2021-06-01T09:12:00+09:00",
        v01,
        lot,
        "舞鶴 太郎",
    );
    (f, uid)
}

/// A second resident, 山本 一郎, with a valid dose 1 on 2 June at `venue` from `lot`.
fn ichiros_dose(f: &mut Fixture, venue: RowId, lot: RowId) -> String {
    let ichiro = f.resident("0012345678", "山本 一郎");
    f.dose(
        ichiro,
        1,
        "2021-06-02T10:00:00+09:00",
        venue,
        lot,
        "高橋 一郎",
    )
}

fn rejected(result: Result<vax_vrs::BatchReport, VrsError>) -> ValidationReport {
    match result {
        Err(VrsError::Invalid(report)) => report,
        Err(other) => panic!("expected a validation rejection, got {other}"),
        Ok(report) => panic!("expected a validation rejection, got an export: {report:?}"),
    }
}

fn assert_nothing_written(f: &Fixture) {
    assert_eq!(
        f.files_in_out(),
        Vec::<String>::new(),
        "a rejected batch must leave no file, not even a temporary one"
    );
    assert!(
        vax_vrs::batches(&f.ledger).unwrap().is_empty(),
        "a rejected batch must not be recorded"
    );
}

#[rstest]
#[case::municipality_check_digit(
    "UPDATE residents SET municipality_code = '262022' WHERE id = 1",
    Rule::MunicipalityCode,
    "fails its check digit: the 6th digit should be 1"
)]
#[case::municipality_length(
    "UPDATE residents SET municipality_code = '26202' WHERE id = 1",
    Rule::MunicipalityCode,
    "\"26202\" is not 6 digits"
)]
#[case::voucher_not_digits(
    "UPDATE residents SET voucher_number = '00000000A1' WHERE id = 1",
    Rule::VoucherNumber,
    "\"00000000A1\" is not 10 digits"
)]
#[case::voucher_length(
    "UPDATE residents SET voucher_number = '000000001' WHERE id = 1",
    Rule::VoucherNumber,
    "\"000000001\" is not 10 digits"
)]
#[case::venue_name_too_wide(
    "UPDATE venues SET name = '舞鶴市総合文化会館舞鶴市総合文化会館舞鶴市総合文化会館ホールA' WHERE id = 1",
    Rule::VenueNameWidth,
    "is 31 characters; VRS takes at most 30"
)]
#[case::venue_name_empty(
    "UPDATE venues SET name = '' WHERE id = 1",
    Rule::VenueNameWidth,
    "venue name is empty"
)]
#[case::vaccinator_too_wide(
    "UPDATE dose_records SET vaccinator = '舞鶴太郎舞鶴太郎舞鶴太郎舞鶴太郎舞鶴太郎X' WHERE resident_id = 1",
    Rule::VaccinatorWidth,
    "is 21 characters; VRS takes at most 20"
)]
#[case::vaccinator_with_line_break(
    "UPDATE dose_records SET vaccinator = '舞鶴' || char(10) || '太郎' WHERE resident_id = 1",
    Rule::ControlCharacter,
    "contains the control character '\\n'"
)]
#[case::unknown_product(
    "UPDATE vaccine_lots SET product_code = 'sputnik' WHERE lot_number = 'FF3620'",
    Rule::MakerLabel,
    "product \"sputnik\" of lot \"FF3620\" is not in the product catalogue"
)]
#[case::lot_with_a_slash(
    "UPDATE vaccine_lots SET lot_number = 'FF/3620' WHERE lot_number = 'FF3620'",
    Rule::LotNumber,
    "contains '/'; only 0-9, A-Z, a-z and '-' are allowed"
)]
#[case::lot_full_width(
    "UPDATE vaccine_lots SET lot_number = 'ＦＦ３６２０' WHERE lot_number = 'FF3620'",
    Rule::LotNumber,
    "contains 'Ｆ'"
)]
#[case::lot_too_long(
    "UPDATE vaccine_lots SET lot_number = 'FF3620FF3620FF3620FF3' WHERE lot_number = 'FF3620'",
    Rule::LotNumber,
    "is 21 characters; VRS takes 1 to 20"
)]
#[case::unreadable_date(
    "UPDATE dose_records SET administered_at = '2021-06-01 09:12' WHERE resident_id = 1",
    Rule::Date,
    "administered_at \"2021-06-01 09:12\" is not an RFC 3339 instant"
)]
#[case::dose_in_the_future(
    "UPDATE dose_records SET administered_at = '2021-07-01T09:00:00+09:00', recorded_at = '2021-07-01T09:01:00+09:00' WHERE resident_id = 1",
    Rule::Date,
    "after the export time"
)]
#[case::recorded_before_given(
    "UPDATE dose_records SET recorded_at = '2021-06-01T09:00:00+09:00' WHERE resident_id = 1",
    Rule::Date,
    "before the dose was given"
)]
#[case::dose_without_a_group(
    "UPDATE dose_records SET dose_number = 3 WHERE resident_id = 1",
    Rule::DoseGroup,
    "dose 3 has no group in a layout of 2 dose groups"
)]
#[case::atena_number_with_a_blank(
    "UPDATE residents SET atena_number = '12 34' WHERE id = 1",
    Rule::AtenaNumber,
    "addressee number (宛名番号) \"12 34\" is not 1 to 20 of 0-9, A-Z, a-z and '-'"
)]
#[case::atena_number_full_width(
    "UPDATE residents SET atena_number = '１２３４' WHERE id = 1",
    Rule::AtenaNumber,
    "\"１２３４\" is not 1 to 20"
)]
fn each_rule_rejects_the_whole_batch_with_its_message(
    #[case] breakage: &str,
    #[case] rule: Rule,
    #[case] message: &str,
) {
    let (mut f, uid) = one_dose();
    // A second, valid resident: a rejected batch exports nobody, not just the bad record.
    let (v02, moderna) = (f.v02, f.moderna_lot);
    ichiros_dose(&mut f, v02, moderna);
    let changed = f.raw().execute(breakage, []).unwrap();
    assert_eq!(
        changed, 1,
        "the breakage must hit exactly the first record's row"
    );

    let report = rejected(f.export(&ExportOptions::default()));
    let problems: Vec<_> = report.of_rule(rule).collect();
    assert_eq!(
        problems.len(),
        1,
        "exactly one {rule:?} problem expected, got:\n{report}"
    );
    let p = problems[0];
    assert!(
        p.message.contains(message),
        "the {rule:?} message must say {message:?}, got {:?}",
        p.message
    );
    assert_eq!(p.dose_uid, uid, "the problem must name the broken record");
    assert!(
        p.to_string().contains(&uid) && p.to_string().contains(&p.voucher_number),
        "the report line must name the voucher and the record: {p}"
    );
    assert_nothing_written(&f);
}

#[test]
fn a_second_valid_record_of_the_same_dose_is_refused_as_a_duplicate() {
    let (mut f, first) = one_dose();
    let (v02, lot) = (f.v02, f.pfizer_lot);
    let second = f.dose(1, 1, "2021-06-01T11:00:00+09:00", v02, lot, "高橋 一郎");
    let report = rejected(f.export(&ExportOptions::default()));
    let dups: Vec<_> = report.of_rule(Rule::DuplicateDose).collect();
    assert_eq!(
        dups.len(),
        2,
        "both records of dose 1 are listed:\n{report}"
    );
    assert!(
        dups[0].message.contains("also recorded by")
            && (dups[0].message.contains(&first) || dups[0].message.contains(&second)),
        "the duplicate message names the other record: {}",
        dups[0].message
    );
    assert_nothing_written(&f);
}

#[test]
fn a_new_record_of_a_dose_already_exported_and_not_voided_is_refused() {
    let (mut f, first) = one_dose();
    f.export(&ExportOptions::default()).unwrap();
    let (v02, lot) = (f.v02, f.pfizer_lot);
    f.dose(1, 1, "2021-06-01T11:00:00+09:00", v02, lot, "高橋 一郎");
    let report = rejected(f.export(&ExportOptions::default()));
    let dup = report
        .of_rule(Rule::DuplicateDose)
        .next()
        .unwrap_or_else(|| panic!("a duplicate problem is expected:\n{report}"));
    assert!(
        dup.message
            .contains(&format!("{first} (exported in batch 1)")),
        "the message says which batch exported the other record: {}",
        dup.message
    );
}

#[test]
fn every_problem_of_every_record_is_listed_not_just_the_first() {
    let (mut f, first) = one_dose();
    let (v01, lot) = (f.v01, f.pfizer_lot);
    let second = ichiros_dose(&mut f, v01, lot);
    let raw = f.raw();
    raw.execute("UPDATE residents SET municipality_code = '262022'", [])
        .unwrap();
    raw.execute(
        "UPDATE dose_records SET vaccinator = '' WHERE uid = ?1",
        [&second],
    )
    .unwrap();
    let report = rejected(f.export(&ExportOptions::default()));
    let rules: Vec<(Rule, &str)> = report
        .problems
        .iter()
        .map(|p| (p.rule, p.dose_uid.as_str()))
        .collect();
    assert_eq!(
        rules,
        vec![
            (Rule::MunicipalityCode, first.as_str()),
            (Rule::MunicipalityCode, second.as_str()),
            (Rule::VaccinatorWidth, second.as_str()),
        ],
        "both records' problems, in voucher order, each once:\n{report}"
    );
    let text = VrsError::Invalid(report).to_string();
    assert!(
        text.starts_with("3 problem(s) in the batch; nothing was exported"),
        "the error says how many problems and that nothing was exported: {text}"
    );
}

#[test]
fn a_character_cp932_cannot_represent_is_refused_never_replaced() {
    let (mut f, uid) = one_dose();
    f.raw()
        .execute("UPDATE dose_records SET vaccinator = '𠮷田 太郎'", [])
        .unwrap();
    let mut cp932 = ExportOptions::default();
    cp932.layout.encoding = Encoding::Cp932;
    let report = rejected(f.export(&cp932));
    let p = report
        .of_rule(Rule::Encoding)
        .next()
        .unwrap_or_else(|| panic!("an encoding problem is expected:\n{report}"));
    assert_eq!(p.dose_uid, uid, "the problem names the record");
    assert!(
        p.message
            .contains("'𠮷' (U+20BB7), which CP932 cannot represent"),
        "the message names the character: {}",
        p.message
    );
    assert_nothing_written(&f);

    let utf8 = f.export(&ExportOptions::default()).unwrap();
    assert!(
        text_of(&utf8, FileKind::Doses).contains("𠮷田 太郎"),
        "the same record exports unchanged in UTF-8"
    );
}

#[test]
fn the_explicit_option_exports_the_valid_records_and_lists_the_rest_as_still_pending() {
    let (mut f, bad) = one_dose();
    let (v01, lot) = (f.v01, f.pfizer_lot);
    let good = ichiros_dose(&mut f, v01, lot);
    f.raw()
        .execute(
            "UPDATE dose_records SET vaccinator = '' WHERE uid = ?1",
            [&bad],
        )
        .unwrap();
    let partial = ExportOptions {
        on_invalid: OnInvalid::ExportValid,
        ..ExportOptions::default()
    };
    let report = f.export(&partial).unwrap();
    assert_eq!(report.exported, 1, "only the valid record is exported");
    assert!(
        text_of(&report, FileKind::Doses).contains("高橋 一郎"),
        "the valid record {good} is in the file"
    );
    let left: Vec<&str> = report
        .left_out
        .problems
        .iter()
        .map(|p| p.dose_uid.as_str())
        .collect();
    assert_eq!(left, vec![bad.as_str()], "the invalid record is listed");

    // Fixed the only way a dose record can be: voided and recorded again.
    f.void(&bad, "医師名の登録漏れ", "2021-06-30T09:00:00+09:00");
    let (hanako, v01) = (1, f.v01);
    let fixed = f.dose(
        hanako,
        1,
        "2021-06-01T09:12:00+09:00",
        v01,
        lot,
        "舞鶴 太郎",
    );
    let next = f
        .export_at(&partial, at("2021-07-01T23:00:00+09:00"))
        .unwrap();
    assert_eq!(
        (next.exported, next.corrections, next.left_out.problems.len()),
        (1, 0, 0),
        "the re-recorded dose {fixed} is exported; the voided one was never exported, so it needs no correction"
    );
}
