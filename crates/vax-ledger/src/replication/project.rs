//! Writing received ops into the ledger's tables, so that desks read merged data with the
//! queries they already use. The merged [`Replica`] decides every value (last writer wins,
//! booking registers); this module only copies its verdict into rows.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use rusqlite::{params, ErrorCode, OptionalExtension};
use vax_domain::clock::{from_ms as at_ms, jst};
use vax_domain::resident::{Resident, SurveyAnswer};
use vax_domain::voucher::VoucherNumber;
use vax_sync::{
    EventKind, FieldName, Op, OpKind, OpLog, Replica, ResidentField, TimeBandId, VenueCode,
};

use super::oplog::SqlOpLog;
use crate::write::instant;
use crate::{LedgerError, RowId, WriteTx};

/// What became of one op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Its rows are written.
    Written,
    /// Something it refers to has not arrived yet; tried again later.
    Waiting(String),
    /// The tables cannot hold it (a value outside their limits). The op stays in the log.
    Refused(String),
    /// Kept in the op log only: acknowledgements have no desk table, voided inquiries stay
    /// listed (a void of an inquiry is for the audit trail); a void naming the wrong kind has
    /// no effect.
    LogOnly,
}

pub(crate) fn local(naive: NaiveDateTime) -> DateTime<FixedOffset> {
    jst()
        .from_local_datetime(&naive)
        .single()
        .unwrap_or_else(|| jst().from_utc_datetime(&naive))
}

/// Projection order within a batch: what others refer to first.
pub(crate) fn rank(op: &Op) -> u8 {
    match op.kind {
        OpKind::DefineVenue(_) => 0,
        OpKind::DefineTimeBand(_) | OpKind::DefineStaff(_) | OpKind::DefineSupply(_) => 1,
        OpKind::SetResidentFields { .. } => 2,
        OpKind::Book(_) | OpKind::DefineRides(_) => 3,
        OpKind::RecordDose(_)
        | OpKind::CheckIn(_)
        | OpKind::StockEvent(_)
        | OpKind::Inquiry(_)
        | OpKind::StandbyCall(_)
        | OpKind::MarkRide(_)
        | OpKind::Audit(_) => 4,
        OpKind::Void(_) | OpKind::Acknowledge { .. } => 5,
    }
}

/// Writes the rows one received op implies, as the merged replica now sees them.
pub(crate) fn project(
    w: &WriteTx<'_>,
    replica: &Replica,
    log: &SqlOpLog<'_>,
    op: &Op,
) -> Result<Outcome, LedgerError> {
    let result = match &op.kind {
        OpKind::DefineVenue(v) => venue(w, replica, &v.code),
        OpKind::DefineTimeBand(b) => band(w, replica, b.band),
        OpKind::SetResidentFields { resident: r, .. } => resident(w, replica, r),
        OpKind::Book(b) => booking(w, replica, log, op, &b.resident, b.dose_number),
        OpKind::RecordDose(d) => {
            let Some(resident_id) = resident_id(w, &d.resident)? else {
                return Ok(waiting_for("resident", &d.resident.to_string()));
            };
            let Some(venue_id) = venue_id(w, &d.venue)? else {
                return Ok(waiting_for("venue", &d.venue.0));
            };
            let lot_id = w.lot(&d.product, &d.lot, None)?;
            w.tx.prepare_cached(
                "INSERT OR IGNORE INTO dose_records (uid, resident_id, dose_number, administered_at, venue_id,
                                                     lot_id, vaccinator, recorded_at, injection_site)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                op.id.to_string(),
                resident_id,
                d.dose_number,
                instant(&local(d.administered_at)),
                venue_id,
                lot_id,
                d.vaccinator,
                instant(&at_ms(op.hlc.wall_ms)),
                d.injection_site.as_deref().unwrap_or(""),
            ])?;
            let uid = op.id.to_string();
            if let Some(vial) = d.vial {
                w.tie_dose_to_vial(&uid, &vial.to_string())?;
            }
            if let Some(o) = &d.overridden {
                for rule in &o.rules {
                    if crate::STOCK_RULES.contains(&rule.as_str()) {
                        w.log_stock_override(&uid, rule, &o.doctor, &o.reason)?;
                    } else {
                        w.log_dose_override(&uid, rule, &o.doctor, &o.reason)?;
                    }
                }
            }
            Ok(Outcome::Written)
        }
        OpKind::StockEvent(s) => w
            .insert_stock_row(&op.id.to_string(), s, &at_ms(op.hlc.wall_ms))
            .map(|()| Outcome::Written),
        OpKind::CheckIn(c) => {
            let Some(resident_id) = resident_id(w, &c.resident)? else {
                return Ok(waiting_for("resident", &c.resident.to_string()));
            };
            let Some(venue_id) = venue_id(w, &c.venue)? else {
                return Ok(waiting_for("venue", &c.venue.0));
            };
            w.tx.prepare_cached(
                "INSERT OR IGNORE INTO check_ins (uid, resident_id, venue_id, dose_number, checked_in_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                op.id.to_string(),
                resident_id,
                venue_id,
                c.dose_number,
                instant(&local(c.at))
            ])
            .map(|_| Outcome::Written)
            .map_err(LedgerError::from)
        }
        OpKind::Void(v) => {
            match replica.event_kind(&v.target) {
                None => return Ok(waiting_for("voided record", &v.target.to_string())),
                Some(kind) if kind != v.target_kind => return Ok(Outcome::LogOnly),
                Some(_) => {}
            }
            let (table, at_col, reason_col) = match v.target_kind {
                EventKind::Dose => ("dose_records", "voided_at", "void_reason"),
                EventKind::CheckIn => ("check_ins", "cancelled_at", "cancel_reason"),
                EventKind::Stock => ("stock_events", "voided_at", "void_reason"),
                EventKind::Inquiry => return Ok(Outcome::LogOnly),
            };
            let uid = v.target.to_string();
            let sql = format!(
                "UPDATE {table} SET {at_col} = ?2, {reason_col} = ?3 WHERE uid = ?1 AND {at_col} IS NULL"
            );
            let changed = w.tx.prepare_cached(&sql)?.execute(params![
                uid,
                instant(&at_ms(op.hlc.wall_ms)),
                v.reason
            ])?;
            let present = changed == 1
                || w.tx
                    .prepare_cached(&format!("SELECT 1 FROM {table} WHERE uid = ?1"))?
                    .exists([&uid])?;
            Ok(if present {
                Outcome::Written
            } else {
                waiting_for("voided record", &uid)
            })
        }
        OpKind::StandbyCall(c) => {
            let Some(resident_id) = resident_id(w, &c.resident)? else {
                return Ok(waiting_for("resident", &c.resident.to_string()));
            };
            w.insert_standby_call(&op.id.to_string(), resident_id, &c.venue.0, c.at, c.outcome)
                .map(|()| Outcome::Written)
        }
        OpKind::DefineStaff(s) => match replica.staff(&s.code) {
            Some(current) => w.write_staff_row(current).map(|()| Outcome::Written),
            None => Ok(Outcome::LogOnly),
        },
        OpKind::Audit(a) => audit_entry(w, replica, op, a),
        OpKind::Inquiry(i) => {
            let Some(resident_id) = resident_id(w, &i.resident)? else {
                return Ok(waiting_for("resident", &i.resident.to_string()));
            };
            w.insert_inquiry(&crate::NewInquiry {
                uid: Some(op.id.to_string()),
                resident_id: Some(resident_id),
                received_at: i.received_at.map_or_else(|| at_ms(op.hlc.wall_ms), local),
                channel: i.channel,
                topic: i.topic,
                note: i.note.clone(),
                operator: i.operator.clone(),
                follow_up_needed: i.follow_up_needed,
                follow_up_by: i.follow_up_by.clone(),
                closes: i.follow_up_done.map(|target| target.to_string()),
            })
            .map(|_| Outcome::Written)
        }
        OpKind::Acknowledge { .. } => Ok(Outcome::LogOnly),
        OpKind::DefineRides(p) => ride_plan(w, replica, &p.venue, p.date),
        OpKind::MarkRide(m) => ride_mark(w, replica, op, m),
        OpKind::DefineSupply(s) => supply(w, replica, &s.venue, s.date),
    };
    match result {
        Err(LedgerError::Sqlite(rusqlite::Error::SqliteFailure(e, message)))
            if e.code == ErrorCode::ConstraintViolation =>
        {
            Ok(Outcome::Refused(message.unwrap_or_else(|| e.to_string())))
        }
        other => other,
    }
}

/// An audit entry naming a staff member is kept only once that staff member is known here,
/// and only when they work at the entry's venue: a device may name only its own venue's staff
/// (or HQ staff, who work anywhere).
fn audit_entry(
    w: &WriteTx<'_>,
    replica: &Replica,
    op: &Op,
    a: &vax_sync::AuditEntry,
) -> Result<Outcome, LedgerError> {
    if let Some(code) = &a.staff {
        let Some(staff) = replica.staff(code) else {
            return Ok(waiting_for("staff member", code));
        };
        if staff.venue.is_some() && staff.venue != a.venue {
            return Ok(Outcome::Refused(format!(
                "staff member {code} is not registered at venue {}",
                a.venue.as_ref().map(|v| v.0.as_str()).unwrap_or("-")
            )));
        }
    }
    w.write_audit_row(&op.id.to_string(), &op.id.replica.to_string(), a)?;
    Ok(Outcome::Written)
}

/// A venue day's rides as the merged replica now sees them (the latest plan), on HQ and on
/// that venue's devices; other venues keep the op in their log only.
fn ride_plan(
    w: &WriteTx<'_>,
    replica: &Replica,
    venue: &VenueCode,
    date: chrono::NaiveDate,
) -> Result<Outcome, LedgerError> {
    match crate::rides::keeps_rows_of(w, venue)? {
        None => return Ok(waiting_for("this device's venue", &venue.0)),
        Some(false) => return Ok(Outcome::LogOnly),
        Some(true) => {}
    }
    let Some(plan) = replica.ride_plan(venue, date) else {
        return Ok(Outcome::LogOnly);
    };
    Ok(match w.write_ride_rows(plan)? {
        Ok(()) => Outcome::Written,
        Err(crate::rides::MissingResident(voucher)) => waiting_for("resident", &voucher),
    })
}

/// A ride's mark as the merged replica now sees it: the op's own mark when it is the latest of
/// that rider's ride; an older mark arriving late leaves the row as the later one wrote it.
fn ride_mark(
    w: &WriteTx<'_>,
    replica: &Replica,
    op: &Op,
    mark: &vax_sync::RideMark,
) -> Result<Outcome, LedgerError> {
    match crate::rides::keeps_rows_of(w, &mark.venue)? {
        None => return Ok(waiting_for("this device's venue", &mark.venue.0)),
        Some(false) => return Ok(Outcome::LogOnly),
        Some(true) => {}
    }
    let Some(resident_id) = resident_id(w, &mark.resident)? else {
        return Ok(waiting_for("resident", &mark.resident.to_string()));
    };
    if replica.ride_mark_stamp(&mark.key()) == Some(op.stamp()) {
        w.write_ride_mark_row(&op.id.to_string(), resident_id, mark)?;
    }
    Ok(Outcome::Written)
}

/// A venue day's delivery as the merged replica now sees it (the latest entry, whichever
/// order the ops came in): a row, or none when HQ removed it. Every replica keeps it, as it
/// keeps the venue's bands.
fn supply(
    w: &WriteTx<'_>,
    replica: &Replica,
    venue: &VenueCode,
    date: chrono::NaiveDate,
) -> Result<Outcome, LedgerError> {
    let Some(current) = replica.supply(venue, date) else {
        return Ok(Outcome::LogOnly);
    };
    let Some(venue_id) = venue_id(w, venue)? else {
        return Ok(waiting_for("venue", &venue.0));
    };
    let delivery = current.vials.map(|n| (current.product.as_str(), n));
    w.write_supply_row(venue_id, date, delivery)?;
    Ok(Outcome::Written)
}

fn waiting_for(what: &str, key: &str) -> Outcome {
    Outcome::Waiting(format!("waiting for {what} {key}"))
}

fn resident_id(w: &WriteTx<'_>, voucher: &VoucherNumber) -> Result<Option<RowId>, LedgerError> {
    Ok(w.tx
        .prepare_cached("SELECT id FROM residents WHERE voucher_number = ?1 ORDER BY id LIMIT 1")?
        .query_row([voucher.as_str()], |r| r.get(0))
        .optional()?)
}

fn venue_id(w: &WriteTx<'_>, code: &VenueCode) -> Result<Option<RowId>, LedgerError> {
    Ok(w.tx
        .prepare_cached("SELECT id FROM venues WHERE code = ?1")?
        .query_row([&code.0], |r| r.get(0))
        .optional()?)
}

fn band_row(
    w: &WriteTx<'_>,
    replica: &Replica,
    band: TimeBandId,
) -> Result<Option<RowId>, LedgerError> {
    let Some(def) = replica.time_band(&band) else {
        return Ok(None);
    };
    Ok(w.tx
        .prepare_cached(
            "SELECT tb.id FROM time_bands tb JOIN venues v ON v.id = tb.venue_id
             WHERE v.code = ?1 AND tb.date = ?2 AND tb.start_time = ?3",
        )?
        .query_row(
            params![
                def.venue.0,
                def.date.to_string(),
                def.start.format("%H:%M").to_string()
            ],
            |r| r.get(0),
        )
        .optional()?)
}

fn venue(w: &WriteTx<'_>, replica: &Replica, code: &VenueCode) -> Result<Outcome, LedgerError> {
    let Some(v) = replica.venue(code) else {
        return Ok(waiting_for("venue", &code.0));
    };
    w.tx.prepare_cached(
        "INSERT INTO venues (code, name, address, lat, lon, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, address = excluded.address,
                                          lat = excluded.lat, lon = excluded.lon, kind = excluded.kind",
    )?
    .execute(params![
        v.code.0,
        v.name,
        v.address,
        v.location.lat,
        v.location.lon,
        v.kind.map(|k| k.as_str())
    ])?;
    Ok(Outcome::Written)
}

fn band(w: &WriteTx<'_>, replica: &Replica, id: TimeBandId) -> Result<Outcome, LedgerError> {
    let Some(b) = replica.time_band(&id) else {
        return Ok(waiting_for("time band", &id.to_string()));
    };
    let Some(venue_id) = venue_id(w, &b.venue)? else {
        return Ok(waiting_for("venue", &b.venue.0));
    };
    w.tx.prepare_cached(
        "INSERT INTO time_bands (venue_id, date, start_time, end_time, capacity, closed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (venue_id, date, start_time) DO UPDATE SET end_time = excluded.end_time,
                                                              capacity = excluded.capacity,
                                                              closed = excluded.closed",
    )?
    .execute(params![
        venue_id,
        b.date.to_string(),
        b.start.format("%H:%M").to_string(),
        b.end.format("%H:%M").to_string(),
        b.capacity,
        b.closed
    ])?;
    Ok(Outcome::Written)
}

fn resident(
    w: &WriteTx<'_>,
    replica: &Replica,
    voucher: &VoucherNumber,
) -> Result<Outcome, LedgerError> {
    let field = |name| replica.resident_field(voucher, name);
    let (
        Some(ResidentField::Municipality(municipality)),
        Some(ResidentField::Name(name)),
        Some(ResidentField::NameKana(name_kana)),
        Some(ResidentField::BirthDate(birth_date)),
        Some(ResidentField::Sex(sex)),
        Some(ResidentField::Address(address)),
        Some(ResidentField::District(district)),
    ) = (
        field(FieldName::Municipality),
        field(FieldName::Name),
        field(FieldName::NameKana),
        field(FieldName::BirthDate),
        field(FieldName::Sex),
        field(FieldName::Address),
        field(FieldName::District),
    )
    else {
        return Ok(Outcome::Waiting(format!(
            "waiting for the register fields of resident {voucher}"
        )));
    };
    let postal_code = match field(FieldName::PostalCode) {
        Some(ResidentField::PostalCode(p)) => p.clone(),
        _ => String::new(),
    };
    let home = match field(FieldName::Home) {
        Some(ResidentField::Home(h)) => *h,
        _ => None,
    };
    let phone = match field(FieldName::Phone) {
        Some(ResidentField::Phone(p)) => p.clone(),
        _ => None,
    };
    let atena_number = match field(FieldName::AtenaNumber) {
        Some(ResidentField::AtenaNumber(a)) => Some(a.clone()),
        _ => None,
    };
    let resident = Resident {
        municipality: municipality.clone(),
        voucher: voucher.clone(),
        name: name.clone(),
        name_kana: name_kana.clone(),
        birth_date: *birth_date,
        sex: *sex,
        postal_code,
        address: address.clone(),
        district: district.clone(),
        home,
        phone,
        atena_number,
    };
    let now = at_ms(replica_time(replica, voucher));
    w.upsert_resident(&resident, &now)?;
    if let Some(ResidentField::Standby(on)) = field(FieldName::Standby) {
        w.set_standby(municipality, voucher, *on)?;
    }
    if let Some(ResidentField::Intention(intention)) = field(FieldName::Intention) {
        let flag = |name| {
            matches!(
                field(name),
                Some(ResidentField::NeedsTransport(true) | ResidentField::AnaphylaxisHistory(true))
            )
        };
        w.apply_survey(
            &SurveyAnswer {
                municipality: municipality.clone(),
                voucher: voucher.clone(),
                intention: *intention,
                needs_transport: flag(FieldName::NeedsTransport),
                anaphylaxis_history: flag(FieldName::AnaphylaxisHistory),
            },
            &now,
        )?;
    }
    Ok(Outcome::Written)
}

/// When the resident's data last changed, as the replica knows it.
fn replica_time(replica: &Replica, voucher: &VoucherNumber) -> u64 {
    replica
        .resident_stamp(voucher)
        .map(|s| s.hlc.wall_ms)
        .unwrap_or(0)
}

fn booking(
    w: &WriteTx<'_>,
    replica: &Replica,
    log: &SqlOpLog<'_>,
    op: &Op,
    voucher: &VoucherNumber,
    dose_number: u8,
) -> Result<Outcome, LedgerError> {
    let Some(resident_id) = resident_id(w, voucher)? else {
        return Ok(waiting_for("resident", &voucher.to_string()));
    };
    // Concurrent bookings stay in the register (and raise an alert for HQ); the desk shows
    // the newest until HQ chooses.
    let Some(newest) = replica
        .booking(voucher, dose_number)
        .into_iter()
        .max_by_key(|v| (v.hlc, v.op))
    else {
        return Ok(Outcome::LogOnly);
    };
    let Some(band) = newest.band else {
        w.tx.prepare_cached("DELETE FROM bookings WHERE resident_id = ?1 AND dose_number = ?2")?
            .execute(params![resident_id, dose_number])?;
        return Ok(Outcome::Written);
    };
    let Some(band_id) = band_row(w, replica, band)? else {
        return Ok(waiting_for("time band", &band.to_string()));
    };
    // Usually the op being written is the newest value: no need to read it back.
    let newest_op = if newest.op == op.id {
        Some(op.clone())
    } else {
        log.get(&newest.op)?
    };
    let product = match newest_op.map(|op| op.kind) {
        Some(OpKind::Book(b)) => b.product,
        _ => return Ok(waiting_for("booking", &newest.op.to_string())),
    };
    w.book(
        resident_id,
        dose_number,
        band_id,
        &product,
        &at_ms(newest.hlc.wall_ms),
    )?;
    Ok(Outcome::Written)
}
