//! Staff and the audit trail: the rows of `define_staff` and `audit` ops (migration 0011).
//!
//! A local write stores its op and its row in one transaction, as every other change does; a
//! received op's row is written by the projection. The audit log is append-only in SQL
//! (triggers refuse updates and deletes).

use chrono::{DateTime, FixedOffset};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;
use uuid::Uuid;
use vax_domain::role::Role;
use vax_sync::{AuditEntry, OpKind, StaffDef};

use crate::read::{parse_instant, query_rows};
use crate::write::instant;
use crate::{LedgerError, Reader, WriteTx};

/// A staff member as this ledger knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StaffRow {
    /// Staff code.
    pub code: String,
    /// 氏名.
    pub name: String,
    /// Their venue; `None` for HQ staff.
    pub venue_code: Option<String>,
    /// Their role.
    pub role: Role,
    /// Argon2id hash of the PIN (never shown).
    #[serde(skip)]
    pub pin_hash: Option<String>,
    /// Argon2id hash of the card secret (never shown).
    #[serde(skip)]
    pub card_hash: Option<String>,
    /// Whether they have a PIN.
    pub has_pin: bool,
    /// Whether they have a staff card.
    pub has_card: bool,
    /// Whether they may sign in.
    pub active: bool,
}

/// One entry of the audit trail, with the staff member's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditRow {
    /// The op id (author:counter), or a UUID where the ledger does not replicate.
    pub uid: String,
    /// The device's replica id ('' where the ledger does not replicate).
    pub device: String,
    /// Staff code, `None` where the device was the actor.
    pub staff_code: Option<String>,
    /// Their name, when the staff member is known here.
    pub staff_name: Option<String>,
    /// Venue code.
    pub venue_code: Option<String>,
    /// `lookup`, `check_in`, `dose`, … (`vax_sync::AuditAction::code`).
    pub action: String,
    /// The resident's voucher number.
    pub resident: Option<String>,
    /// The record (op id, file name).
    pub record: Option<String>,
    /// A few words more.
    pub detail: String,
    /// When.
    pub at: DateTime<FixedOffset>,
}

/// What to search the audit trail for; every given criterion must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// The resident's voucher number.
    pub resident: Option<String>,
    /// Staff code.
    pub staff: Option<String>,
    /// From this instant on.
    pub from: Option<DateTime<FixedOffset>>,
    /// Before this instant.
    pub to: Option<DateTime<FixedOffset>>,
    /// At most this many, newest first.
    pub limit: u32,
}

const STAFF_COLUMNS: &str = "code, name, venue_code, role, pin_hash, card_hash, active";

fn staff_row(r: &Row<'_>) -> rusqlite::Result<StaffRow> {
    let role: String = r.get(3)?;
    let pin_hash: Option<String> = r.get(4)?;
    let card_hash: Option<String> = r.get(5)?;
    Ok(StaffRow {
        code: r.get(0)?,
        name: r.get(1)?,
        venue_code: r.get(2)?,
        role: Role::from_code(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                format!("unknown role {role:?}").into(),
            )
        })?,
        has_pin: pin_hash.is_some(),
        has_card: card_hash.is_some(),
        pin_hash,
        card_hash,
        active: r.get(6)?,
    })
}

impl Reader<'_> {
    /// One staff member by code.
    pub fn staff(&self, code: &str) -> Result<Option<StaffRow>, LedgerError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {STAFF_COLUMNS} FROM staff WHERE code = ?1"),
                [code],
                staff_row,
            )
            .optional()?)
    }

    /// Every staff member, by venue then code; only those of `venue` when given.
    pub fn staff_list(&self, venue: Option<&str>) -> Result<Vec<StaffRow>, LedgerError> {
        match venue {
            Some(v) => query_rows(
                self.conn,
                &format!("SELECT {STAFF_COLUMNS} FROM staff WHERE venue_code = ?1 ORDER BY code"),
                [v],
                staff_row,
            ),
            None => query_rows(
                self.conn,
                &format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY venue_code, code"),
                [],
                staff_row,
            ),
        }
    }

    /// The voucher number of the resident a dose or check-in record (by uid) is about.
    pub fn resident_of_record(
        &self,
        uid: &str,
    ) -> Result<Option<vax_domain::voucher::VoucherNumber>, LedgerError> {
        let voucher: Option<String> = self
            .conn
            .query_row(
                "SELECT r.voucher_number FROM residents r
                 WHERE r.id = (SELECT resident_id FROM dose_records WHERE uid = ?1
                               UNION ALL SELECT resident_id FROM check_ins WHERE uid = ?1
                               LIMIT 1)",
                [uid],
                |r| r.get(0),
            )
            .optional()?;
        Ok(voucher.and_then(|v| vax_domain::voucher::VoucherNumber::parse(&v).ok()))
    }

    /// Whether any active staff member is registered for the venue: from then on its desks
    /// need a signed-in staff member to act (docs/audit.md, the rollout rule).
    pub fn venue_has_staff(&self, venue: &str) -> Result<bool, LedgerError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM staff WHERE venue_code = ?1 AND active = 1)",
            [venue],
            |r| r.get(0),
        )?)
    }

    /// The audit entries matching `query`, newest first.
    pub fn audit_search(&self, query: &AuditQuery) -> Result<Vec<AuditRow>, LedgerError> {
        let raws = query_rows(
            self.conn,
            "SELECT a.uid, a.device, a.staff_code, s.name, a.venue_code, a.action, a.resident,
                    a.record, a.detail, a.at
             FROM audit_log a LEFT JOIN staff s ON s.code = a.staff_code
             WHERE (?1 IS NULL OR a.resident = ?1)
               AND (?2 IS NULL OR a.staff_code = ?2)
             ORDER BY a.at DESC, a.device DESC,
                      -- one device's entries of the same second by counter: op ids are
                      -- `author#counter`, and as text `#10` sorts before `#9`
                      CASE WHEN instr(a.uid, '#') > 0
                           THEN CAST(substr(a.uid, instr(a.uid, '#') + 1) AS INTEGER) END DESC,
                      a.uid DESC",
            params![query.resident, query.staff],
            |r| {
                Ok((
                    AuditRow {
                        uid: r.get(0)?,
                        device: r.get(1)?,
                        staff_code: r.get(2)?,
                        staff_name: r.get(3)?,
                        venue_code: r.get(4)?,
                        action: r.get(5)?,
                        resident: r.get(6)?,
                        record: r.get(7)?,
                        detail: r.get(8)?,
                        at: DateTime::UNIX_EPOCH.fixed_offset(),
                    },
                    r.get::<_, String>(9)?,
                ))
            },
        )?;
        // Instants carry their offset, so the range is compared as instants, not as text.
        let mut rows = Vec::new();
        for (mut row, at) in raws {
            row.at = parse_instant(&at).map_err(|problem| LedgerError::Corrupt {
                table: "audit_log",
                id: 0,
                field: "at",
                problem,
            })?;
            let after_from = query.from.is_none_or(|from| row.at >= from);
            let before_to = query.to.is_none_or(|to| row.at < to);
            if after_from && before_to {
                rows.push(row);
            }
            if query.limit > 0 && rows.len() >= query.limit as usize {
                break;
            }
        }
        Ok(rows)
    }
}

impl WriteTx<'_> {
    /// Removes a device setting (a staff member signing out).
    pub fn delete_setting(&self, key: &str) -> Result<(), LedgerError> {
        self.tx
            .execute("DELETE FROM device_settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Registers or changes a staff member (HQ): the `define_staff` op and the row.
    pub fn define_staff(&mut self, def: &StaffDef) -> Result<(), LedgerError> {
        self.replicate(OpKind::DefineStaff(def.clone()))?;
        self.write_staff_row(def)
    }

    pub(crate) fn write_staff_row(&self, def: &StaffDef) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "INSERT INTO staff (code, name, venue_code, role, pin_hash, card_hash, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                     venue_code = excluded.venue_code, role = excluded.role,
                     pin_hash = excluded.pin_hash, card_hash = excluded.card_hash,
                     active = excluded.active",
            )?
            .execute(params![
                def.code,
                def.name,
                def.venue.as_ref().map(|v| v.0.as_str()),
                def.role.code(),
                def.pin_hash,
                def.card_hash,
                def.active,
            ])?;
        Ok(())
    }

    /// Appends one entry to the audit trail: its op (signed by this device, when the ledger
    /// replicates) and its row. Returns the entry's id.
    pub fn record_audit(&mut self, entry: &AuditEntry) -> Result<String, LedgerError> {
        let (uid, device) = match self.replicate(OpKind::Audit(entry.clone()))? {
            Some(id) => (id.to_string(), id.replica.to_string()),
            None => (Uuid::now_v7().to_string(), String::new()),
        };
        self.write_audit_row(&uid, &device, entry)?;
        Ok(uid)
    }

    pub(crate) fn write_audit_row(
        &self,
        uid: &str,
        device: &str,
        entry: &AuditEntry,
    ) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO audit_log
                     (uid, device, staff_code, venue_code, action, resident, record, detail, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                uid,
                device,
                entry.staff,
                entry.venue.as_ref().map(|v| v.0.as_str()),
                entry.action.code(),
                entry.resident.as_ref().map(ToString::to_string),
                entry.record,
                entry.detail,
                instant(&crate::replication::local_time(entry.at)),
            ])?;
        Ok(())
    }
}
