//! Storage for the nightly VRS export (`migrations/0002_vrs_export.sql`): the one streaming
//! read of every dose record with what the files need, and the batches already written.
//!
//! The ledger knows nothing of the file layout: it stores each exported record's fields as
//! the `vax-vrs` crate formatted them ([`VrsRecord`]), the options as opaque JSON, and the
//! files' hashes. That is what lets any past batch be written again byte for byte.

use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::read::{corrupt, query_rows, read_columns};
use crate::write::instant;
use crate::{Ledger, LedgerError, RowId};

/// Where a dose record stands with respect to VRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VrsDoseState {
    /// Valid and never exported: due in the next batch.
    Pending,
    /// Valid and exported in this batch.
    Exported {
        /// The batch that exported it.
        batch: i64,
    },
    /// Exported in this batch and voided since, with no correction listed yet.
    VoidedAfterExport {
        /// The batch that exported it.
        batch: i64,
    },
}

/// A dose record with the resident, venue and lot columns an export needs, as stored (raw
/// text: the exporter validates it, so a bad value is a reported problem, not a read error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrsDoseRow {
    /// Global id of the event.
    pub uid: String,
    /// Its export state.
    pub state: VrsDoseState,
    /// The resident's local row id.
    pub resident_id: RowId,
    /// The resident's voucher municipality (自治体コード).
    pub municipality_code: String,
    /// The resident's voucher number (券番号).
    pub voucher_number: String,
    /// The resident's 宛名番号, when the register gave one.
    pub atena_number: Option<String>,
    /// Which dose.
    pub dose_number: u8,
    /// When it was given (RFC 3339).
    pub administered_at: String,
    /// When it was recorded (RFC 3339).
    pub recorded_at: String,
    /// 会場名.
    pub venue_name: String,
    /// 医師名 / vaccinator.
    pub vaccinator: String,
    /// Product code of the lot.
    pub product_code: String,
    /// ロット番号 as stored.
    pub lot_number: String,
    /// When it was voided (RFC 3339), if it was.
    pub voided_at: Option<String>,
    /// Why it was voided, if it was.
    pub void_reason: Option<String>,
}

/// One dose record as a batch wrote it: every field already formatted for the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrsRecord {
    /// The dose record's uid.
    pub dose_uid: String,
    /// 自治体コード of the voucher.
    pub municipality_code: String,
    /// 券番号.
    pub voucher_number: String,
    /// 個別宛名番号: the resident's 宛名番号, or empty.
    pub atena_number: String,
    /// 接種回数.
    pub dose_number: u8,
    /// 登録日時, `YYYYMMDDHHMMSS` JST.
    pub registered_at: String,
    /// 接種日, `YYYYMMDD` JST.
    pub administered_on: String,
    /// 接種自治体コード.
    pub site_municipality_code: String,
    /// 接種会場名.
    pub venue_name: String,
    /// 接種医師名.
    pub vaccinator: String,
    /// ワクチンメーカー.
    pub maker_label: String,
    /// ワクチンロット番号 (upper-cased).
    pub lot_number: String,
}

/// A record sent in an earlier batch and voided since, as a correction list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrsCorrection {
    /// What was exported.
    pub record: VrsRecord,
    /// The batch that exported it.
    pub exported_batch: i64,
    /// 取消日時, `YYYYMMDDHHMMSS` JST.
    pub voided_at: String,
    /// 取消理由.
    pub void_reason: String,
}

/// One file of a batch and the hash of its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VrsBatchFile {
    /// `ledger`, `doses` or `corrections`.
    pub kind: String,
    /// File name (no directory).
    pub name: String,
    /// Length in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// A batch as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VrsBatch {
    /// The batch number.
    pub id: i64,
    /// When it was made.
    pub created_at: DateTime<FixedOffset>,
    /// The layout version that wrote it.
    pub layout_version: u32,
    /// The options used, as JSON.
    pub options: String,
    /// Its files.
    pub files: Vec<VrsBatchFile>,
    /// How many records it exported.
    pub exports: u64,
    /// How many corrections it listed.
    pub corrections: u64,
}

/// Read access to the export tables, on a connection or inside a [`VrsExportTx`].
#[derive(Clone, Copy)]
pub struct VrsReader<'c> {
    conn: &'c Connection,
}

const RECORD_COLUMNS: &str = "dose_uid, municipality_code, voucher_number, dose_number, registered_at, administered_on, site_municipality_code, venue_name, vaccinator, maker_label, lot_number, atena_number";

fn record_from_row(r: &Row<'_>) -> rusqlite::Result<VrsRecord> {
    Ok(read_columns!(r, 0 => VrsRecord {
        dose_uid, municipality_code, voucher_number, dose_number, registered_at, administered_on,
        site_municipality_code, venue_name, vaccinator, maker_label, lot_number, atena_number,
    }))
}

impl<'c> VrsReader<'c> {
    /// Streams every dose record that matters to the next export, in no particular order:
    /// pending ones, exported ones still valid (a new record for the same dose would
    /// duplicate them) and exported ones voided since without a correction. Voided records
    /// never exported and records already corrected are left out. One query, one row at a
    /// time: nothing is held in memory here.
    pub fn for_each_dose(&self, mut f: impl FnMut(VrsDoseRow)) -> Result<(), LedgerError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.uid, d.resident_id, r.municipality_code, r.voucher_number, d.dose_number,
                    d.administered_at, d.recorded_at, v.name, d.vaccinator, l.product_code,
                    l.lot_number, d.voided_at, d.void_reason, e.batch_id, r.atena_number
             FROM dose_records d
             JOIN residents r ON r.id = d.resident_id
             JOIN venues v ON v.id = d.venue_id
             JOIN vaccine_lots l ON l.id = d.lot_id
             LEFT JOIN vrs_batch_records e ON e.dose_uid = d.uid AND e.kind = 'export'
             LEFT JOIN vrs_batch_records c ON c.dose_uid = d.uid AND c.kind = 'correction'
             WHERE c.batch_id IS NULL AND (d.voided_at IS NULL OR e.batch_id IS NOT NULL)",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let voided_at: Option<String> = r.get(11)?;
            let exported: Option<i64> = r.get(13)?;
            let state = match (exported, voided_at.is_some()) {
                (None, _) => VrsDoseState::Pending,
                (Some(batch), false) => VrsDoseState::Exported { batch },
                (Some(batch), true) => VrsDoseState::VoidedAfterExport { batch },
            };
            f(VrsDoseRow {
                uid: r.get(0)?,
                state,
                resident_id: r.get(1)?,
                municipality_code: r.get(2)?,
                voucher_number: r.get(3)?,
                atena_number: r.get(14)?,
                dose_number: r.get(4)?,
                administered_at: r.get(5)?,
                recorded_at: r.get(6)?,
                venue_name: r.get(7)?,
                vaccinator: r.get(8)?,
                product_code: r.get(9)?,
                lot_number: r.get(10)?,
                voided_at,
                void_reason: r.get(12)?,
            });
        }
        Ok(())
    }

    /// The record as exported, and the batch that exported it, if it was.
    pub fn exported_record(&self, dose_uid: &str) -> Result<Option<(i64, VrsRecord)>, LedgerError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS}, batch_id FROM vrs_batch_records WHERE dose_uid = ?1 AND kind = 'export'"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row([dose_uid], |r| Ok((r.get(12)?, record_from_row(r)?)))
            .optional()?)
    }

    /// Every batch, oldest first.
    pub fn batches(&self) -> Result<Vec<VrsBatch>, LedgerError> {
        let ids = query_rows(
            self.conn,
            "SELECT id FROM vrs_batches ORDER BY id",
            [],
            |r| r.get::<_, i64>(0),
        )?;
        ids.into_iter().map(|id| self.batch(id)).collect()
    }

    /// The batch with this number.
    pub fn batch(&self, id: i64) -> Result<VrsBatch, LedgerError> {
        let head = self
            .conn
            .prepare_cached(
                "SELECT created_at, layout_version, options, exports, corrections FROM vrs_batches WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?.unsigned_abs(),
                    r.get::<_, i64>(4)?.unsigned_abs(),
                ))
            })
            .optional()?;
        let Some((created_at, layout_version, options, exports, corrections)) = head else {
            return Err(LedgerError::Missing {
                what: "VRS export batch",
                key: id.to_string(),
            });
        };
        let created_at = DateTime::parse_from_rfc3339(&created_at)
            .map_err(|e| corrupt("vrs_batches", id)("created_at", e.to_string()))?;
        let files = query_rows(
            self.conn,
            "SELECT kind, name, bytes, sha256 FROM vrs_batch_files WHERE batch_id = ?1
             ORDER BY CASE kind WHEN 'ledger' THEN 0 WHEN 'doses' THEN 1 ELSE 2 END",
            [id],
            |r| {
                Ok(VrsBatchFile {
                    kind: r.get(0)?,
                    name: r.get(1)?,
                    bytes: r.get::<_, i64>(2)?.unsigned_abs(),
                    sha256: r.get(3)?,
                })
            },
        )?;
        Ok(VrsBatch {
            id,
            created_at,
            layout_version,
            options,
            files,
            exports,
            corrections,
        })
    }

    /// The records a batch exported, in file order.
    pub fn batch_exports(&self, batch: i64) -> Result<Vec<VrsRecord>, LedgerError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM vrs_batch_records WHERE batch_id = ?1 AND kind = 'export' ORDER BY seq"
        );
        query_rows(self.conn, &sql, [batch], record_from_row)
    }

    /// The corrections a batch listed, in file order.
    pub fn batch_corrections(&self, batch: i64) -> Result<Vec<VrsCorrection>, LedgerError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS}, exported_batch_id, voided_at, void_reason FROM vrs_batch_records
             WHERE batch_id = ?1 AND kind = 'correction' ORDER BY seq"
        );
        query_rows(self.conn, &sql, [batch], |r| {
            let (exported_batch, voided_at, void_reason) = (r.get(12)?, r.get(13)?, r.get(14)?);
            Ok(VrsCorrection {
                record: record_from_row(r)?,
                exported_batch,
                voided_at,
                void_reason,
            })
        })
    }
}

/// The one transaction of an export run. It takes the write lock at once (`BEGIN
/// IMMEDIATE`), so what it reads is exactly what it marks exported: a dose recorded by a
/// venue's sync meanwhile waits and goes into the next batch. Dropping it without
/// [`VrsExportTx::commit`] records nothing.
pub struct VrsExportTx<'c> {
    tx: Transaction<'c>,
}

impl Ledger {
    /// Reads the VRS export tables outside a transaction.
    pub fn vrs_reader(&self) -> VrsReader<'_> {
        VrsReader { conn: &self.conn }
    }

    /// Starts an export run's transaction.
    pub fn vrs_export(&mut self) -> Result<VrsExportTx<'_>, LedgerError> {
        Ok(VrsExportTx {
            tx: crate::begin_write(&mut self.conn)?,
        })
    }
}

impl VrsExportTx<'_> {
    /// Reads, seeing this transaction's own writes.
    pub fn reader(&self) -> VrsReader<'_> {
        VrsReader { conn: &self.tx }
    }

    /// Opens a new batch that will hold `exports` records and `corrections` corrections;
    /// returns its number.
    pub fn begin_batch(
        &self,
        created_at: &DateTime<FixedOffset>,
        layout_version: u32,
        options_json: &str,
        exports: usize,
        corrections: usize,
    ) -> Result<i64, LedgerError> {
        self.tx.execute(
            "INSERT INTO vrs_batches (created_at, layout_version, options, exports, corrections)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                instant(created_at),
                layout_version,
                options_json,
                i64::try_from(exports).unwrap_or(i64::MAX),
                i64::try_from(corrections).unwrap_or(i64::MAX)
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Marks records exported by `batch`, in file order.
    pub fn add_exports(&self, batch: i64, records: &[VrsRecord]) -> Result<(), LedgerError> {
        self.add_records(batch, "export", records.iter().map(|r| (r, None)))
    }

    /// Records the corrections listed by `batch`, in file order.
    pub fn add_corrections(
        &self,
        batch: i64,
        corrections: &[VrsCorrection],
    ) -> Result<(), LedgerError> {
        self.add_records(
            batch,
            "correction",
            corrections.iter().map(|c| (&c.record, Some(c))),
        )
    }

    /// Stores the records of `batch` of one `kind`, in file order; a correction's own
    /// columns are left empty for an export.
    fn add_records<'r>(
        &self,
        batch: i64,
        kind: &str,
        records: impl Iterator<Item = (&'r VrsRecord, Option<&'r VrsCorrection>)>,
    ) -> Result<(), LedgerError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO vrs_batch_records (batch_id, kind, seq, dose_uid, municipality_code, voucher_number,
                    dose_number, registered_at, administered_on, site_municipality_code, venue_name,
                    vaccinator, maker_label, lot_number, exported_batch_id, voided_at, void_reason,
                    atena_number)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )?;
        for (seq, (r, c)) in (0i64..).zip(records) {
            stmt.execute(params![
                batch,
                kind,
                seq,
                r.dose_uid,
                r.municipality_code,
                r.voucher_number,
                r.dose_number,
                r.registered_at,
                r.administered_on,
                r.site_municipality_code,
                r.venue_name,
                r.vaccinator,
                r.maker_label,
                r.lot_number,
                c.map(|c| c.exported_batch),
                c.map(|c| c.voided_at.as_str()),
                c.map(|c| c.void_reason.as_str()),
                r.atena_number,
            ])?;
        }
        Ok(())
    }

    /// Records one file of `batch` and its hash.
    pub fn add_file(&self, batch: i64, file: &VrsBatchFile) -> Result<(), LedgerError> {
        self.tx.execute(
            "INSERT INTO vrs_batch_files (batch_id, kind, name, bytes, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                batch,
                file.kind,
                file.name,
                i64::try_from(file.bytes).unwrap_or(i64::MAX),
                file.sha256
            ],
        )?;
        Ok(())
    }

    /// Makes the batch durable.
    pub fn commit(self) -> Result<(), LedgerError> {
        Ok(self.tx.commit()?)
    }
}
