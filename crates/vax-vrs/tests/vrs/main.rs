//! Integration tests of the VRS export: golden files, validation rules, batches
//! (idempotency, corrections, regeneration) and encodings.

mod batches;
mod golden;
mod resident;
mod validation;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use tempfile::TempDir;
use vax_domain::product::Catalogue;
use vax_domain::resident::Sex;
use vax_domain::venue::{Coordinates, Venue};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::{EventKind, Ledger, NewDose, RowId};
use vax_vrs::{export_batch, BatchReport, ExportOptions, VrsError};

pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// The time every test exports at, unless it says otherwise.
pub fn tonight() -> DateTime<FixedOffset> {
    at("2021-06-30T23:00:00+09:00")
}

/// A ledger file in a temporary directory, with two venues and three lots, plus an output
/// directory, and a raw SQLite connection to break rows the ledger API would refuse.
pub struct Fixture {
    pub dir: TempDir,
    pub ledger: Ledger,
    pub v01: RowId,
    pub v02: RowId,
    pub pfizer_lot: RowId,
    pub pfizer_lot_2: RowId,
    pub moderna_lot: RowId,
}

impl Fixture {
    pub fn open() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
        let tx = ledger.transaction().unwrap();
        let venue = |code: &str, name: &str| Venue {
            code: code.into(),
            name: name.into(),
            address: "京都府舞鶴市字浜2021".into(),
            location: Coordinates {
                lat: 35.47,
                lon: 135.39,
            },
        };
        let v01 = tx
            .insert_venue(&venue("V01", "舞鶴市総合文化会館"))
            .unwrap();
        // A comma in the name: the files must quote it.
        let v02 = tx
            .insert_venue(&venue("V02", "中総合会館,第2会場"))
            .unwrap();
        let pfizer_lot = tx.lot("comirnaty", "FF3620", None).unwrap();
        // Lower case in the ledger: written upper-cased.
        let pfizer_lot_2 = tx.lot("comirnaty", "fa5765", None).unwrap();
        let moderna_lot = tx.lot("spikevax", "3003528", None).unwrap();
        tx.commit().unwrap();
        Self {
            dir,
            ledger,
            v01,
            v02,
            pfizer_lot,
            pfizer_lot_2,
            moderna_lot,
        }
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// A raw connection to the ledger file, with CHECK constraints off, to store rows the
    /// ledger API refuses (the export must still catch them).
    pub fn raw(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.dir.path().join("ledger.sqlite3")).unwrap();
        conn.pragma_update(None, "ignore_check_constraints", true)
            .unwrap();
        conn
    }

    pub fn resident(&mut self, voucher: &str, name: &str) -> RowId {
        let r = resident::at_minami_tanabe(
            MunicipalityCode::parse("262021").unwrap(),
            VoucherNumber::parse(voucher).unwrap(),
            name.into(),
            "ヤマダ ハナコ",
            NaiveDate::from_ymd_opt(1941, 4, 1).unwrap(),
            Sex::Female,
        );
        let tx = self.ledger.transaction().unwrap();
        tx.upsert_resident(&r, &at("2021-05-01T09:00:00+09:00"))
            .unwrap();
        let id = tx
            .reader()
            .residents_by_voucher(Some(&r.municipality), &r.voucher)
            .unwrap()[0]
            .id;
        tx.commit().unwrap();
        id
    }

    /// Records a dose given at `given` and recorded 30 s later.
    pub fn dose(
        &mut self,
        resident_id: RowId,
        dose_number: u8,
        given: &str,
        venue_id: RowId,
        lot_id: RowId,
        vaccinator: &str,
    ) -> String {
        let given = at(given);
        let tx = self.ledger.transaction().unwrap();
        let uid = tx
            .insert_dose(&NewDose {
                uid: None,
                resident_id,
                dose_number,
                administered_at: given,
                venue_id,
                lot_id,
                vaccinator: vaccinator.into(),
                injection_site: "左上腕".into(),
                recorded_at: given + chrono::Duration::seconds(30),
            })
            .unwrap();
        tx.commit().unwrap();
        uid
    }

    pub fn void(&mut self, uid: &str, reason: &str, when: &str) {
        let mut tx = self.ledger.transaction().unwrap();
        tx.void_event(EventKind::Dose, uid, reason, &at(when))
            .unwrap();
        tx.commit().unwrap();
    }

    /// Gives a dose record a fixed uid (the ledger makes time-based ones), so files that
    /// show uids can be compared with golden files.
    pub fn set_uid(&self, uid: &str, fixed: &str) {
        let changed = self
            .raw()
            .execute(
                "UPDATE dose_records SET uid = ?2 WHERE uid = ?1",
                [uid, fixed],
            )
            .unwrap();
        assert_eq!(changed, 1, "the dose {uid} must exist to be renamed");
    }

    pub fn export(&mut self, options: &ExportOptions) -> Result<BatchReport, VrsError> {
        self.export_at(options, tonight())
    }

    pub fn export_at(
        &mut self,
        options: &ExportOptions,
        now: DateTime<FixedOffset>,
    ) -> Result<BatchReport, VrsError> {
        let out = self.out();
        export_batch(
            &mut self.ledger,
            Catalogue::builtin(),
            options,
            &out,
            now,
            &mut |_, _| {},
        )
    }

    /// The names of the files in the output directory, sorted (temporary files included).
    pub fn files_in_out(&self) -> Vec<String> {
        files_in(&self.out())
    }
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The file of `kind` in a report, read whole.
pub fn file_of(report: &BatchReport, kind: vax_vrs::FileKind) -> Vec<u8> {
    let file = report
        .files
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("the batch must have a {kind:?} file: {report:?}"));
    std::fs::read(&file.path).unwrap()
}

/// A UTF-8 file's text.
pub fn text_of(report: &BatchReport, kind: vax_vrs::FileKind) -> String {
    String::from_utf8(file_of(report, kind)).unwrap()
}
