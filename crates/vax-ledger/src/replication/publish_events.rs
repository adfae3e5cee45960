//! The events a ledger recorded before it replicated (doses, check-ins, stock, calls, ride
//! marks, staff, the audit trail), published as ops of the replica it became.
//!
//! Without this, a city set up and run on one ledger before HQ enrolled kept its doses to
//! itself: a venue never learnt of a first dose, and the booth could not refuse a duplicate.
//! Each published row takes its op's id as uid, as if it had been recorded while
//! replicating, and every column that names the row follows (a dose's vial, an override, a
//! VRS export line, a closed follow-up, an audit entry's record), so later voids and
//! references from other replicas find it.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use rusqlite::params;
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::stock::{CallOutcome, StockChange};
use vax_domain::voucher::VoucherNumber;
use vax_sync::{
    AuditAction, AuditEntry, CheckIn, DoctorOverride, Dose, EventKind, Inquiry, OpId, OpKind,
    RideMark, RideMarkKind, RidePlan, StaffDef, StandbyCall, StockEvent, Trip, TripRider,
    VenueCode, Void,
};

use crate::read::{parse_instant, query_rows};
use crate::{LedgerError, WriteTx};

/// Rows recorded before replication have a UUID for uid; an op id has a `#`.
const LOCAL_UID: &str = "uid NOT LIKE '%#%'";

fn corrupt(
    table: &'static str,
    id: i64,
    field: &'static str,
    problem: impl ToString,
) -> LedgerError {
    LedgerError::Corrupt {
        table,
        id,
        field,
        problem: problem.to_string(),
    }
}

fn voucher(table: &'static str, id: i64, text: &str) -> Result<VoucherNumber, LedgerError> {
    VoucherNumber::parse(text).map_err(|e| corrupt(table, id, "voucher_number", e))
}

/// An instant stored with its offset, as the venue's local time the ops carry.
fn local(
    table: &'static str,
    id: i64,
    field: &'static str,
    text: &str,
) -> Result<NaiveDateTime, LedgerError> {
    parse_instant(text)
        .map(|t| t.naive_local())
        .map_err(|e| corrupt(table, id, field, e))
}

/// How many events of each kind this ledger recorded before it replicated, for the
/// enrolment of a device that may not publish them (`(table, count)`, only those > 0).
pub(crate) fn unpublished_counts(
    conn: &rusqlite::Connection,
) -> Result<Vec<(&'static str, u64)>, LedgerError> {
    let mut counts = Vec::new();
    for table in EVENT_TABLES {
        let n: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE {LOCAL_UID}"),
            [],
            |r| r.get(0),
        )?;
        if n > 0 {
            counts.push((table, n.unsigned_abs()));
        }
    }
    Ok(counts)
}

/// The tables whose rows are events a device records (the audit trail aside).
const EVENT_TABLES: [&str; 6] = [
    "dose_records",
    "check_ins",
    "stock_events",
    "inquiries",
    "standby_calls",
    "transport_ride_marks",
];

/// Publishes every event recorded before the ledger replicated, in the order the projection
/// needs them (staff, stock, doses, check-ins, calls, marks, then the audit trail), with a
/// void after each voided event. Returns the number of ops written.
pub(crate) fn publish_events(tx: &mut WriteTx<'_>) -> Result<usize, LedgerError> {
    // A dose's uid is named by `dose_stock_overrides` under a foreign key: checked at commit,
    // once every name has followed.
    tx.tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    let mut renamed = Renamed::new();
    let mut published = 0;
    published += staff(tx)?;
    published += stock_events(tx, &mut renamed)?;
    published += doses(tx, &mut renamed)?;
    published += check_ins(tx, &mut renamed)?;
    published += standby_calls(tx, &mut renamed)?;
    published += inquiries(tx, &mut renamed)?;
    published += ride_plans(tx)?;
    published += ride_marks(tx)?;
    published += audit_entries(tx, &renamed)?;
    Ok(published)
}

/// Writes `kind` as this replica's op; `None` only when the ledger does not replicate, which
/// publishing is never called for.
fn write(tx: &mut WriteTx<'_>, kind: OpKind) -> Result<OpId, LedgerError> {
    tx.replicate(kind)?.ok_or(LedgerError::NotReplicating)
}

/// Old uid → op id of every row renamed so far.
type Renamed = HashMap<String, String>;

/// The row `id` of `table` takes `new` as uid; `refs` are the `(table, column)` pairs that
/// name it by its old uid. The audit trail is append-only (a trigger refuses any change), so
/// its entries keep naming the row by its old uid here; the published entries name it by
/// its op id ([`audit_entries`]).
fn rename(
    tx: &WriteTx<'_>,
    renamed: &mut Renamed,
    table: &str,
    id: i64,
    old: &str,
    new: &OpId,
    refs: &[(&str, &str)],
) -> Result<(), LedgerError> {
    let new = new.to_string();
    tx.tx
        .prepare_cached(&format!("UPDATE {table} SET uid = ?1 WHERE id = ?2"))?
        .execute(params![new, id])?;
    for (other, column) in refs {
        tx.tx
            .prepare_cached(&format!(
                "UPDATE {other} SET {column} = ?1 WHERE {column} = ?2"
            ))?
            .execute(params![new, old])?;
    }
    renamed.insert(old.to_owned(), new);
    Ok(())
}

/// A void for an event recorded voided.
fn void(
    tx: &mut WriteTx<'_>,
    target: OpId,
    target_kind: EventKind,
    reason: Option<String>,
) -> Result<usize, LedgerError> {
    let Some(reason) = reason else {
        return Ok(0);
    };
    write(
        tx,
        OpKind::Void(Void {
            target,
            target_kind,
            reason,
        }),
    )?;
    Ok(1)
}

fn staff(tx: &mut WriteTx<'_>) -> Result<usize, LedgerError> {
    let rows = tx.reader().staff_list(None)?;
    for s in &rows {
        write(
            tx,
            OpKind::DefineStaff(StaffDef {
                code: s.code.clone(),
                name: s.name.clone(),
                venue: s.venue_code.as_deref().map(VenueCode::new),
                role: s.role,
                pin_hash: s.pin_hash.clone(),
                card_hash: s.card_hash.clone(),
                active: s.active,
            }),
        )?;
    }
    Ok(rows.len())
}

type StockRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn stock_events(tx: &mut WriteTx<'_>, renamed: &mut Renamed) -> Result<usize, LedgerError> {
    let rows: Vec<StockRow> = query_rows(
        &tx.tx,
        &format!(
            "SELECT id, uid, venue_code, product_code, lot_number, at, change, void_reason
             FROM stock_events WHERE {LOCAL_UID} ORDER BY at, id"
        ),
        [],
        |r| StockRow::try_from(r),
    )?;
    let mut n = 0;
    for (id, uid, venue, product, lot, at, change, void_reason) in rows {
        let at = NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M:%S")
            .map_err(|e| corrupt("stock_events", id, "at", e))?;
        let change: StockChange =
            serde_json::from_str(&change).map_err(|e| corrupt("stock_events", id, "change", e))?;
        let op = write(
            tx,
            OpKind::StockEvent(StockEvent {
                venue: VenueCode::new(venue),
                product,
                lot,
                at,
                change,
            }),
        )?;
        rename(
            tx,
            renamed,
            "stock_events",
            id,
            &uid,
            &op,
            &[("dose_records", "vial_uid")],
        )?;
        n += 1 + void(tx, op, EventKind::Stock, void_reason)?;
    }
    Ok(n)
}

/// The doctor's override of a dose, from both override tables (rules by the dose's row id,
/// stock rules by its uid), as the booth wrote it in one op.
fn dose_override(
    tx: &WriteTx<'_>,
    id: i64,
    uid: &str,
) -> Result<Option<DoctorOverride>, LedgerError> {
    let mut stmt = tx.tx.prepare_cached(
        "SELECT rule, doctor, reason FROM dose_overrides WHERE dose_id = ?1
         UNION ALL
         SELECT rule, doctor, reason FROM dose_stock_overrides WHERE dose_uid = ?2",
    )?;
    let rows = stmt.query_map(params![id, uid], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut found: Option<DoctorOverride> = None;
    for row in rows {
        let (rule, doctor, reason) = row?;
        match &mut found {
            Some(o) => o.rules.push(rule),
            None => {
                found = Some(DoctorOverride {
                    doctor,
                    reason,
                    rules: vec![rule],
                })
            }
        }
    }
    Ok(found)
}

type DoseRow = (
    i64,
    String,
    String,
    u8,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

fn doses(tx: &mut WriteTx<'_>, renamed: &mut Renamed) -> Result<usize, LedgerError> {
    let rows: Vec<DoseRow> = query_rows(
        &tx.tx,
        &format!(
            "SELECT d.id, d.uid, r.voucher_number, d.dose_number, v.code, l.product_code,
                    l.lot_number, d.vaccinator, d.administered_at, d.vial_uid, d.injection_site,
                    d.void_reason
             FROM dose_records d JOIN residents r ON r.id = d.resident_id
                  JOIN venues v ON v.id = d.venue_id JOIN vaccine_lots l ON l.id = d.lot_id
             WHERE d.{LOCAL_UID} ORDER BY d.administered_at, d.id"
        ),
        [],
        |r| DoseRow::try_from(r),
    )?;
    let mut n = 0;
    for (
        id,
        uid,
        resident,
        dose_number,
        venue,
        product,
        lot,
        vaccinator,
        at,
        vial,
        site,
        void_reason,
    ) in rows
    {
        let overridden = dose_override(tx, id, &uid)?;
        let kind = OpKind::RecordDose(Dose {
            resident: voucher("dose_records", id, &resident)?,
            dose_number,
            venue: VenueCode::new(venue),
            product,
            lot,
            vaccinator,
            administered_at: local("dose_records", id, "administered_at", &at)?,
            // Stock events went first, so a vial is named by its op id by now.
            vial: vial.and_then(|v| v.parse().ok()),
            overridden,
            injection_site: (!site.is_empty()).then_some(site),
            back_entered: false,
        });
        let op = write(tx, kind)?;
        rename(
            tx,
            renamed,
            "dose_records",
            id,
            &uid,
            &op,
            &[
                ("dose_stock_overrides", "dose_uid"),
                ("vrs_batch_records", "dose_uid"),
            ],
        )?;
        n += 1 + void(tx, op, EventKind::Dose, void_reason)?;
    }
    Ok(n)
}

fn check_ins(tx: &mut WriteTx<'_>, renamed: &mut Renamed) -> Result<usize, LedgerError> {
    type Row = (i64, String, String, u8, String, String, Option<String>);
    let rows: Vec<Row> = query_rows(
        &tx.tx,
        &format!(
            "SELECT c.id, c.uid, r.voucher_number, c.dose_number, v.code, c.checked_in_at,
                    c.cancel_reason
             FROM check_ins c JOIN residents r ON r.id = c.resident_id
                  JOIN venues v ON v.id = c.venue_id
             WHERE c.{LOCAL_UID} ORDER BY c.checked_in_at, c.id"
        ),
        [],
        |r| Row::try_from(r),
    )?;
    let mut n = 0;
    for (id, uid, resident, dose_number, venue, at, cancel_reason) in rows {
        let op = write(
            tx,
            OpKind::CheckIn(CheckIn {
                resident: voucher("check_ins", id, &resident)?,
                dose_number,
                venue: VenueCode::new(venue),
                band: None,
                at: local("check_ins", id, "checked_in_at", &at)?,
                back_entered: false,
            }),
        )?;
        rename(tx, renamed, "check_ins", id, &uid, &op, &[])?;
        n += 1 + void(tx, op, EventKind::CheckIn, cancel_reason)?;
    }
    Ok(n)
}

fn standby_calls(tx: &mut WriteTx<'_>, renamed: &mut Renamed) -> Result<usize, LedgerError> {
    type Row = (i64, String, String, String, String, String);
    let rows: Vec<Row> = query_rows(
        &tx.tx,
        &format!(
            "SELECT s.id, s.uid, r.voucher_number, s.venue_code, s.called_at, s.outcome
             FROM standby_calls s JOIN residents r ON r.id = s.resident_id
             WHERE s.{LOCAL_UID} ORDER BY s.called_at, s.id"
        ),
        [],
        |r| Row::try_from(r),
    )?;
    let n = rows.len();
    for (id, uid, resident, venue, at, outcome) in rows {
        let op = write(
            tx,
            OpKind::StandbyCall(StandbyCall {
                resident: voucher("standby_calls", id, &resident)?,
                venue: VenueCode::new(venue),
                at: NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M:%S")
                    .map_err(|e| corrupt("standby_calls", id, "called_at", e))?,
                outcome: CallOutcome::from_code(&outcome)
                    .ok_or_else(|| corrupt("standby_calls", id, "outcome", &outcome))?,
            }),
        )?;
        rename(tx, renamed, "standby_calls", id, &uid, &op, &[])?;
    }
    Ok(n)
}

fn inquiries(tx: &mut WriteTx<'_>, renamed: &mut Renamed) -> Result<usize, LedgerError> {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        bool,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = query_rows(
        &tx.tx,
        &format!(
            "SELECT i.id, i.uid, r.voucher_number, i.received_at, i.channel, i.topic, i.note,
                    i.operator, i.follow_up_needed, i.follow_up_by, i.closes
             FROM inquiries i JOIN residents r ON r.id = i.resident_id
             WHERE i.{LOCAL_UID} ORDER BY i.id"
        ),
        [],
        |r| Row::try_from(r),
    )?;
    // A follow-up is closed by a later inquiry, published after it (rows in id order).
    let n = rows.len();
    for (
        id,
        uid,
        resident,
        at,
        channel,
        topic,
        note,
        operator,
        follow_up_needed,
        follow_up_by,
        closes,
    ) in rows
    {
        let follow_up_done = match closes {
            Some(old) => Some(
                renamed
                    .get(&old)
                    .unwrap_or(&old)
                    .parse()
                    .map_err(|e| corrupt("inquiries", id, "closes", e))?,
            ),
            None => None,
        };
        let op = write(
            tx,
            OpKind::Inquiry(Inquiry {
                resident: voucher("inquiries", id, &resident)?,
                note,
                channel: InquiryChannel::from_code(&channel)
                    .ok_or_else(|| corrupt("inquiries", id, "channel", &channel))?,
                topic: InquiryTopic::from_code(&topic),
                operator,
                follow_up_needed,
                follow_up_by,
                follow_up_done,
                received_at: Some(local("inquiries", id, "received_at", &at)?),
            }),
        )?;
        rename(
            tx,
            renamed,
            "inquiries",
            id,
            &uid,
            &op,
            &[("inquiries", "closes")],
        )?;
    }
    Ok(n)
}

/// HQ's bus plans as the venues' rows hold them (`transport_rides`, written with every plan):
/// one `define_rides` op per venue day, trips in order, riders in stop order.
fn ride_plans(tx: &mut WriteTx<'_>) -> Result<usize, LedgerError> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        u32,
        String,
        String,
        Option<String>,
        bool,
    );
    let rows: Vec<Row> = query_rows(
        &tx.tx,
        "SELECT t.venue_code, t.date, r.voucher_number, t.direction, t.vehicle, t.driver,
                    t.band_start, t.trip_order, t.at_venue, t.at_door, t.pickup_point, t.wheelchair
             FROM transport_rides t JOIN residents r ON r.id = t.resident_id
             ORDER BY t.venue_code, t.date, t.trip_order, t.stop_order",
        [],
        |r| Row::try_from(r),
    )?;
    let hm = |field: &'static str, text: &str| {
        chrono::NaiveTime::parse_from_str(text, "%H:%M")
            .map_err(|e| corrupt("transport_rides", 0, field, e))
    };
    let mut plans: Vec<(RidePlan, u32)> = Vec::new();
    for (
        venue,
        date,
        resident,
        direction,
        vehicle,
        driver,
        band_start,
        trip_order,
        at_venue,
        at_door,
        pickup_point,
        wheelchair,
    ) in rows
    {
        let date = date
            .parse()
            .map_err(|e| corrupt("transport_rides", 0, "date", e))?;
        let same_day = plans
            .last()
            .is_some_and(|(p, _)| p.venue.0 == venue && p.date == date);
        if !same_day {
            plans.push((
                RidePlan {
                    venue: VenueCode::new(&venue),
                    date,
                    trips: Vec::new(),
                },
                0,
            ));
        }
        let Some((plan, last_trip)) = plans.last_mut() else {
            continue;
        };
        if plan.trips.is_empty() || *last_trip != trip_order {
            plan.trips.push(Trip {
                vehicle,
                driver,
                direction: crate::rides::direction_of(&direction),
                band_start: hm("band_start", &band_start)?,
                at_venue: hm("at_venue", &at_venue)?,
                riders: Vec::new(),
            });
            *last_trip = trip_order;
        }
        if let Some(trip) = plan.trips.last_mut() {
            trip.riders.push(TripRider {
                resident: voucher("transport_rides", 0, &resident)?,
                at_door: hm("at_door", &at_door)?,
                pickup_point,
                wheelchair,
            });
        }
    }
    let n = plans.len();
    for (plan, _) in plans {
        write(tx, OpKind::DefineRides(plan))?;
    }
    Ok(n)
}

fn ride_marks(tx: &mut WriteTx<'_>) -> Result<usize, LedgerError> {
    type Row = (String, String, i64, String, String, String, String, String);
    let rows: Vec<Row> = query_rows(
        &tx.tx,
        "SELECT m.venue_code, m.date, m.resident_id, r.voucher_number, m.direction, m.mark,
                    m.marked_at, m.uid
             FROM transport_ride_marks m JOIN residents r ON r.id = m.resident_id
             WHERE m.uid NOT LIKE '%#%' ORDER BY m.marked_at",
        [],
        |r| Row::try_from(r),
    )?;
    let n = rows.len();
    for (venue, date, resident_id, resident, direction, mark, at, uid) in rows {
        let op = write(
            tx,
            OpKind::MarkRide(RideMark {
                venue: VenueCode::new(&venue),
                date: date
                    .parse()
                    .map_err(|e| corrupt("transport_ride_marks", resident_id, "date", e))?,
                resident: voucher("transport_ride_marks", resident_id, &resident)?,
                direction: crate::rides::direction_of(&direction),
                mark: RideMarkKind::from_code(&mark)
                    .ok_or_else(|| corrupt("transport_ride_marks", resident_id, "mark", &mark))?,
                at: NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M:%S")
                    .map_err(|e| corrupt("transport_ride_marks", resident_id, "marked_at", e))?,
            }),
        )?;
        tx.tx
            .prepare_cached("UPDATE transport_ride_marks SET uid = ?1 WHERE uid = ?2")?
            .execute(params![op.to_string(), uid])?;
    }
    Ok(n)
}

fn audit_entries(tx: &mut WriteTx<'_>, renamed: &Renamed) -> Result<usize, LedgerError> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<Row> = query_rows(
        &tx.tx,
        "SELECT uid, staff_code, venue_code, action, resident, record, detail, at
             FROM audit_log WHERE device = '' ORDER BY at, uid",
        [],
        |r| Row::try_from(r),
    )?;
    let n = rows.len();
    for (_uid, staff, venue, action, resident, record, detail, at) in rows {
        // The record as every other replica names it.
        let record = record.map(|r| renamed.get(&r).cloned().unwrap_or(r));
        let entry = AuditEntry {
            action: AuditAction::from_code(&action)
                .ok_or_else(|| corrupt("audit_log", 0, "action", &action))?,
            staff,
            venue: venue.map(VenueCode::new),
            resident: resident.map(|v| voucher("audit_log", 0, &v)).transpose()?,
            record,
            at: local("audit_log", 0, "at", &at)?,
            detail,
        };
        // The local entry stays as it was written (the trail is append-only); the published
        // one, under this replica and its op id, is what every other replica holds.
        write(tx, OpKind::Audit(entry))?;
    }
    Ok(n)
}
