//! Batches: idempotent re-runs, correction lists, regeneration byte for byte.

use vax_domain::product::Catalogue;
use vax_vrs::{export_batch, regenerate_batch, Encoding, ExportOptions, FileKind, VrsError};

use crate::golden::{fixed_uid, golden_ledger, golden_ledger_with_an_exported_record_voided};
use crate::{at, file_of, files_in, text_of};

#[test]
fn a_second_run_with_nothing_new_exports_nothing_and_records_no_batch() {
    let mut f = golden_ledger();
    let first = f.export(&ExportOptions::default()).unwrap();
    assert_eq!(first.batch, Some(1), "the first run makes batch 1");
    let files_after_first = f.files_in_out();
    assert_eq!(
        files_after_first,
        vec![
            "vrs-000001-20210630-doses.csv".to_owned(),
            "vrs-000001-20210630-ledger.csv".to_owned()
        ],
        "batch 1 writes its two files under their final names, and no temporary file"
    );

    let second = f
        .export_at(&ExportOptions::default(), at("2021-07-01T23:00:00+09:00"))
        .unwrap();
    assert_eq!(second.batch, None, "nothing new: no batch");
    assert_eq!(
        (second.exported, second.corrections, second.files.len()),
        (0, 0, 0),
        "the second run exports nothing and writes no file"
    );
    assert_eq!(
        f.files_in_out(),
        files_after_first,
        "the output directory is untouched"
    );
    assert_eq!(
        vax_vrs::batches(&f.ledger).unwrap().len(),
        1,
        "only the first batch is recorded"
    );
}

#[test]
fn a_run_after_new_doses_exports_only_the_new_ones_and_reports_progress() {
    let mut f = golden_ledger();
    f.export(&ExportOptions::default()).unwrap();
    let (v01, lot) = (f.v01, f.pfizer_lot);
    let ichiro = 2;
    let dose2 = f.dose(
        ichiro,
        2,
        "2021-07-01T10:00:00+09:00",
        v01,
        lot,
        "舞鶴 太郎",
    );
    let mut calls = Vec::new();
    let out = f.out();
    let report = export_batch(
        &mut f.ledger,
        Catalogue::builtin(),
        &ExportOptions::default(),
        &out,
        at("2021-07-01T23:00:00+09:00"),
        &mut |done, total| calls.push((done, total)),
    )
    .unwrap();
    assert_eq!(
        (report.batch, report.exported),
        (Some(2), 1),
        "batch 2 holds only the new dose"
    );
    let doses = text_of(&report, FileKind::Doses);
    assert_eq!(
        doses.lines().count(),
        2,
        "header plus the one new dose: {doses}"
    );
    assert!(
        doses.contains("262021,0012345678,2,20210701"),
        "the new record {dose2} is the one exported: {doses}"
    );
    let ledger = text_of(&report, FileKind::Ledger);
    assert!(
        ledger
            .lines()
            .nth(1)
            .unwrap()
            .starts_with(",,,,,,,,,20210701"),
        "a dose 2 alone fills the second group, the first left blank: {ledger}"
    );
    assert_eq!(
        calls.first(),
        Some(&(0, 1)),
        "progress starts at 0 of the records to check"
    );
    assert_eq!(calls.last(), Some(&(1, 1)), "progress ends at total");
}

#[test]
fn a_record_voided_after_export_is_listed_once_and_its_replacement_goes_in_the_next_batch() {
    let mut f = golden_ledger_with_an_exported_record_voided("ロット番号の誤記入");
    let (v01, lot) = (f.v01, f.pfizer_lot);
    let replacement = f.dose(1, 2, "2021-06-22T09:05:00+09:00", v01, lot, "舞鶴 太郎");

    let second = f
        .export_at(&ExportOptions::default(), at("2021-07-01T23:00:00+09:00"))
        .unwrap();
    assert_eq!(
        (second.batch, second.exported, second.corrections),
        (Some(2), 1, 1),
        "batch 2 exports the replacement and lists the voided record"
    );
    let corrections = text_of(&second, FileKind::Corrections);
    let line = corrections
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("one correction row expected: {corrections}"));
    assert_eq!(
        line,
        format!(
            "262021,0000000001,2,20210622,ファイザー,FA5765,舞鶴市総合文化会館,舞鶴 太郎,20210622090530,262021,{},1,20210623100000,ロット番号の誤記入",
            fixed_uid(2)
        ),
        "the correction shows what batch 1 exported, the batch, and the void"
    );
    let doses = text_of(&second, FileKind::Doses);
    assert!(
        doses.contains("262021,0000000001,2,20210622,ファイザー,FF3620"),
        "the replacement {replacement} carries the corrected lot: {doses}"
    );

    let third = f
        .export_at(&ExportOptions::default(), at("2021-07-02T23:00:00+09:00"))
        .unwrap();
    assert_eq!(
        third.batch, None,
        "a correction is listed once: the third run has nothing to do"
    );
}

#[test]
fn a_void_before_export_needs_no_correction_and_the_record_is_never_exported() {
    let mut f = golden_ledger();
    f.void(&fixed_uid(4), "誤登録", "2021-06-01T16:00:00+09:00");
    let report = f.export(&ExportOptions::default()).unwrap();
    assert_eq!(
        (report.exported, report.corrections),
        (3, 0),
        "a record voided before any export is neither exported nor corrected"
    );
}

#[test]
fn any_past_batch_is_regenerated_byte_for_byte_even_after_the_ledger_changed() {
    let mut f = golden_ledger();
    let mut cp932 = ExportOptions::default();
    cp932.layout.encoding = Encoding::Cp932;
    cp932.layout.header = false;
    let first = f.export(&cp932).unwrap();
    let originals: Vec<(String, Vec<u8>)> = first
        .files
        .iter()
        .map(|w| {
            (
                w.path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&w.path).unwrap(),
            )
        })
        .collect();

    // The world moves on: a venue is renamed, a record is voided, a second batch is made
    // with other options.
    f.raw()
        .execute("UPDATE venues SET name = '改称後の会館' WHERE id = 1", [])
        .unwrap();
    f.void(&fixed_uid(1), "誤登録", "2021-07-01T09:00:00+09:00");
    let (v02, lot) = (f.v02, f.pfizer_lot);
    f.dose(1, 1, "2021-06-01T09:12:00+09:00", v02, lot, "舞鶴 太郎");
    let second = f
        .export_at(&ExportOptions::default(), at("2021-07-01T23:00:00+09:00"))
        .unwrap();
    assert_eq!(second.batch, Some(2), "a second batch exists");
    assert!(
        !file_of(&second, FileKind::Corrections).is_empty(),
        "the second batch has a correction list"
    );

    let again = f.dir.path().join("again");
    let written = regenerate_batch(&f.ledger, 1, &again).unwrap();
    assert_eq!(
        written.len(),
        originals.len(),
        "every file of batch 1 is written again"
    );
    for (name, bytes) in &originals {
        let regenerated = std::fs::read(again.join(name))
            .unwrap_or_else(|e| panic!("{name} must be regenerated under its name: {e}"));
        assert!(
            regenerated == *bytes,
            "{name} must be regenerated byte for byte (CP932, no header, old venue name)"
        );
    }
    let second_again = regenerate_batch(&f.ledger, 2, &again).unwrap();
    for w in &second.files {
        let name = w.path.file_name().unwrap();
        assert_eq!(
            std::fs::read(again.join(name)).unwrap(),
            std::fs::read(&w.path).unwrap(),
            "batch 2's {name:?} is regenerated byte for byte too"
        );
    }
    assert_eq!(
        second_again.len(),
        3,
        "batch 2 had a 台帳形式, a dose and a correction file"
    );
}

#[test]
fn a_tampered_batch_record_fails_regeneration_and_writes_nothing() {
    let mut f = golden_ledger();
    f.export(&ExportOptions::default()).unwrap();
    f.raw()
        .execute(
            "UPDATE vrs_batch_records SET venue_name = '別の会館' WHERE seq = 0",
            [],
        )
        .unwrap();
    let target = f.dir.path().join("again");
    match regenerate_batch(&f.ledger, 1, &target) {
        Err(VrsError::RegenerationMismatch { batch: 1, .. }) => {}
        other => panic!("a changed stored record must fail the hash check, got {other:?}"),
    }
    assert!(
        files_in(&target).is_empty(),
        "a failed regeneration writes nothing"
    );
}

#[test]
fn regenerating_a_batch_that_does_not_exist_says_so() {
    let f = golden_ledger();
    let err = regenerate_batch(&f.ledger, 7, &f.out()).unwrap_err();
    assert!(
        err.to_string().contains("ledger error") && format!("{err:?}").contains("Missing"),
        "an unknown batch is a missing-row error: {err:?}"
    );
}

#[test]
fn dose_groups_outside_one_to_nine_are_refused_before_reading_anything() {
    let mut f = golden_ledger();
    let mut options = ExportOptions::default();
    options.layout.dose_groups = 0;
    match f.export(&options) {
        Err(VrsError::Options(m)) => assert!(
            m.contains("dose_groups is 0"),
            "the message names the option: {m}"
        ),
        other => panic!("0 dose groups must be refused, got {other:?}"),
    }
}

/// The first field of each data row of a 台帳形式 file with a header.
fn atena_column(ledger_csv: &str) -> Vec<String> {
    ledger_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_ledger_file_carries_each_residents_atena_number_and_a_regeneration_what_it_wrote() {
    let mut f = golden_ledger();
    let set = |f: &crate::Fixture, voucher: &str, atena: &str| {
        let changed = f
            .raw()
            .execute(
                "UPDATE residents SET atena_number = ?2 WHERE voucher_number = ?1",
                [voucher, atena],
            )
            .unwrap();
        assert_eq!(changed, 1);
    };
    set(&f, "0000000001", "000012345");
    set(&f, "0012345678", "A-77");
    let first = f.export(&ExportOptions::default()).unwrap();
    let ledger_csv = text_of(&first, FileKind::Ledger);
    assert!(
        ledger_csv.starts_with("個別宛名番号,1回目接種履歴登録日時,"),
        "{ledger_csv}"
    );
    assert_eq!(
        atena_column(&ledger_csv),
        ["000012345", "A-77", ""],
        "each voucher's row starts with its resident's 宛名番号, leading zeros kept; blank without one:\n{ledger_csv}"
    );
    assert!(
        !text_of(&first, FileKind::Doses).contains("000012345"),
        "the one-row-per-dose file has no such column"
    );
    let written = std::fs::read(
        first
            .files
            .iter()
            .find(|w| w.kind == FileKind::Ledger)
            .unwrap()
            .path
            .clone(),
    )
    .unwrap();

    // A later register gives her another number; her dose 2 is recorded again after a void.
    set(&f, "0000000001", "000099999");
    f.void(&fixed_uid(2), "誤登録", "2021-07-01T09:00:00+09:00");
    let (v01, lot) = (f.v01, f.pfizer_lot_2);
    f.dose(1, 2, "2021-06-22T09:05:00+09:00", v01, lot, "舞鶴 太郎");
    let second = f
        .export_at(&ExportOptions::default(), at("2021-07-01T23:00:00+09:00"))
        .unwrap();
    assert_eq!(
        atena_column(&text_of(&second, FileKind::Ledger)),
        ["000099999"],
        "a new batch writes the number the ledger holds now"
    );

    let again = f.dir.path().join("again");
    regenerate_batch(&f.ledger, 1, &again).unwrap();
    let name = first
        .files
        .iter()
        .find(|w| w.kind == FileKind::Ledger)
        .unwrap()
        .path
        .file_name()
        .unwrap()
        .to_owned();
    assert_eq!(
        std::fs::read(again.join(name)).unwrap(),
        written,
        "batch 1 is regenerated with the number it wrote, not today's"
    );
}
