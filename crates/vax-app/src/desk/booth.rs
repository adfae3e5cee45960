//! The vaccination booth: the queue of checked-in residents, recording a dose (never a
//! silent duplicate), and the observation timers.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use vax_domain::eligibility::{valid_doses_numbered, DueStatus};
use vax_domain::product::Catalogue;
use vax_domain::resident::age_on;
use vax_domain::stock::{lot_states, StockChange};
use vax_ledger::{CheckInView, Ledger, LotView, NewDose, Reader, VenueRow, WriteTx, STOCK_RULES};

use vax_sync::{AuditAction, CheckIn, DoctorOverride, Dose, OpId, OpKind, StockEvent, VenueCode};

use crate::stock::{open_change, DEFAULT_SYRINGE};

use super::{required, venue_of, DeskError, Enrollment};
use crate::audit::{self, About};
use crate::lookup::card_from;

/// A resident waiting at the booth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueEntry {
    /// Their check-in.
    pub check_in: CheckInView,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// Age today.
    pub age: u32,
    /// 30-minute observation.
    pub anaphylaxis_history: bool,
}

/// Checked-in residents at this venue today whose dose is not recorded yet, in arrival order.
pub fn booth_queue(
    ledger: &Ledger,
    enrollment: &Enrollment,
    now: DateTime<FixedOffset>,
) -> Result<Vec<QueueEntry>, DeskError> {
    let venue = venue_of(ledger, enrollment)?;
    let reader = ledger.reader();
    let today = now.date_naive();
    let mut queue = Vec::new();
    for c in reader.check_ins_on(venue.id, today, *now.offset())? {
        if c.cancelled.is_some() {
            continue;
        }
        let doses = reader.doses_of(c.resident_id)?;
        let dosed = valid_doses_numbered(&doses, c.dose_number).next().is_some();
        if dosed {
            continue;
        }
        let r = reader.resident(c.resident_id)?;
        queue.push(QueueEntry {
            name: r.resident.name,
            name_kana: r.resident.name_kana,
            age: age_on(r.resident.birth_date, today),
            anaphylaxis_history: r.survey.is_some_and(|s| s.anaphylaxis_history),
            check_in: c,
        });
    }
    Ok(queue)
}

/// A doctor's decision to record a dose against a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DoseOverride {
    /// 医師名.
    pub doctor: String,
    /// Why, in words; mandatory.
    pub reason: String,
}

/// A dose to record at the booth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordDose {
    /// The resident.
    pub resident_id: i64,
    /// Which dose.
    pub dose_number: u8,
    /// A lot open at this venue today.
    pub lot_id: i64,
    /// 医師名 / vaccinator (VRS takes 20 characters).
    pub vaccinator: String,
    /// Injection site (e.g. 左上腕).
    pub injection_site: String,
    /// A doctor's override, when a rule refuses the dose.
    #[serde(rename = "override")]
    pub override_: Option<DoseOverride>,
}

/// A recorded dose and its observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordedDose {
    /// Global id of the dose record.
    pub uid: String,
    /// Observation minutes (15, or 30 after anaphylaxis).
    pub observation_minutes: u32,
    /// End of the observation.
    pub observe_until: DateTime<FixedOffset>,
    /// Rules the doctor overrode (empty in the normal case).
    pub overridden: Vec<String>,
}

/// Records a dose given now. A second valid dose N, a dose before its interval or out of
/// order is refused with the reason; a doctor may override with a mandatory reason, and
/// the override is logged beside the dose.
pub fn record_dose(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    request: &RecordDose,
    now: DateTime<FixedOffset>,
) -> Result<RecordedDose, DeskError> {
    record_dose_at(ledger, enrollment, request, now, now, None)
}

/// What a record typed in from the paper day sheet adds to a dose (issue 17).
pub(crate) struct FromPaper {
    /// The check-in to record with the dose, at the time ticked on paper; `None` when the
    /// resident was checked in at a kiosk.
    pub check_in_at: Option<DateTime<FixedOffset>>,
    /// What the audit trail says of the back-entry (the times written on paper).
    pub detail: String,
    /// Where the record was typed from, when from a sheet file (`line 3 of sheet.csv`): both
    /// audit entries name it, so a wrong record leads back to its line.
    pub source: Option<String>,
}

/// Records a dose given at `given` (the booth: now; back-entry: the time written on paper),
/// made at `now`. The rules are the booth's whatever the path: a back-entered dose meets the
/// same duplicate, interval and stock checks. `paper` marks the records as back-entered and
/// records the paper check-in in the same transaction, so a refusal writes nothing.
pub(crate) fn record_dose_at(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    request: &RecordDose,
    given: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
    paper: Option<&FromPaper>,
) -> Result<RecordedDose, DeskError> {
    let mut tx = ledger.transaction()?;
    let recorded = record_dose_in(&mut tx, enrollment, request, given, now, paper)?;
    tx.commit()?;
    Ok(recorded)
}

/// [`record_dose_at`] inside a transaction the caller commits: the rules read what the
/// transaction has written so far, so a whole paper sheet is checked row after row in one
/// transaction ([`super::paper_sheet`]). Every refusal comes before the first write, so a
/// refused dose leaves the transaction as it found it.
pub(crate) fn record_dose_in(
    tx: &mut WriteTx<'_>,
    enrollment: &Enrollment,
    request: &RecordDose,
    given: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
    paper: Option<&FromPaper>,
) -> Result<RecordedDose, DeskError> {
    if !enrollment.role.may_record_doses() {
        return Err(DeskError::RoleMayNot {
            role: enrollment.role,
            action: "record doses",
        });
    }
    let reader = tx.reader();
    let venue = reader.venue(&enrollment.venue_code)?;
    let actor = audit::actor(&reader, enrollment, now)?;
    let today = given.date_naive();
    let lot = reader
        .lots_open(venue.id, today)?
        .into_iter()
        .find(|l| l.id == request.lot_id)
        .ok_or(DeskError::LotNotOpen)?;
    let vaccinator = required(&request.vaccinator, "vaccinator / 接種医師", 20)?;
    let site = required(&request.injection_site, "injection site / 接種部位", 20)?;
    let card = card_from(&reader, request.resident_id, today)?;

    // Every rule the dose breaks, in the order a doctor should read them.
    let mut refusals: Vec<(&'static str, DeskError)> = Vec::new();
    if let Some(existing) = valid_doses_numbered(&card.doses, request.dose_number).next() {
        refusals.push((
            "duplicate_dose",
            DeskError::DuplicateDose {
                dose_number: request.dose_number,
                existing: Box::new(existing.clone()),
            },
        ));
    } else {
        match card.due {
            DueStatus::IntervalNotReached {
                dose_number,
                earliest_date,
            } if dose_number == request.dose_number => refusals.push((
                "interval_not_reached",
                DeskError::IntervalNotReached {
                    dose_number,
                    earliest: earliest_date,
                },
            )),
            DueStatus::FirstDoseDue if request.dose_number != 1 => refusals.push((
                "dose_out_of_order",
                DeskError::DoseOutOfOrder {
                    requested: request.dose_number,
                    due: 1,
                },
            )),
            DueStatus::NextDoseDue { dose_number, .. }
            | DueStatus::IntervalNotReached { dose_number, .. }
                if dose_number != request.dose_number =>
            {
                refusals.push((
                    "dose_out_of_order",
                    DeskError::DoseOutOfOrder {
                        requested: request.dose_number,
                        due: dose_number,
                    },
                ))
            }
            _ => {}
        }
    }
    // The approved ages changed during the campaign (Comirnaty 16+ until 2021-05-31): the
    // product's age on the day of the dose.
    let product = Catalogue::builtin()
        .product(&lot.product_code)
        .map_err(|e| DeskError::Eligibility(e.into()))?;
    let age = age_on(card.resident.resident.birth_date, today);
    let min_age = product.min_age_on(today);
    if age < min_age {
        refusals.push((
            "below_minimum_age",
            DeskError::BelowMinimumAge {
                age,
                min_age,
                product: product.name_ja.clone(),
            },
        ));
    }
    let vial = pick_vial(&reader, &venue, enrollment, &lot, given)?;
    refusals.extend(vial.refusals);
    let override_ = match (&request.override_, refusals.is_empty()) {
        (_, true) => None,
        (None, false) => return Err(refusals.remove(0).1),
        (Some(o), false) => Some((
            required(&o.doctor, "doctor / 医師名", 20)?,
            required(&o.reason, "override reason / 理由", 200)?,
        )),
    };

    let anaphylaxis = card
        .resident
        .survey
        .as_ref()
        .is_some_and(|s| s.anaphylaxis_history);
    let minutes = observation_minutes(&lot, anaphylaxis, given)?;
    let voucher = &card.resident.resident.voucher;
    if let Some(check_in_at) = paper.and_then(|p| p.check_in_at) {
        let uid = tx.record_event(OpKind::CheckIn(CheckIn {
            resident: voucher.clone(),
            dose_number: request.dose_number,
            venue: VenueCode::new(&enrollment.venue_code),
            band: None,
            at: check_in_at.naive_local(),
            back_entered: true,
        }))?;
        tx.insert_check_in(
            &uid,
            request.resident_id,
            venue.id,
            request.dose_number,
            &check_in_at,
        )?;
        let from = paper
            .and_then(|p| p.source.as_deref())
            .map_or_else(String::new, |s| format!(", {s}"));
        let about = About::record(voucher, &uid).detail(format!(
            "back-entered from paper{from}: checked in {}",
            check_in_at.format("%Y-%m-%d %H:%M")
        ));
        audit::record(tx, &actor, AuditAction::CheckIn, &about, now)?;
    }
    let vial_uid = match vial.choice {
        VialChoice::Untracked => None,
        VialChoice::Existing(id) => Some(id),
        VialChoice::OpenNext(change) => Some(tx.record_stock(
            &StockEvent {
                venue: VenueCode::new(&enrollment.venue_code),
                product: lot.product_code.clone(),
                lot: lot.lot_number.clone(),
                at: given.naive_local(),
                change,
            },
            &given,
        )?),
    };
    let uid = tx.record_event(OpKind::RecordDose(Dose {
        resident: card.resident.resident.voucher.clone(),
        dose_number: request.dose_number,
        venue: VenueCode::new(&enrollment.venue_code),
        product: lot.product_code.clone(),
        lot: lot.lot_number.clone(),
        vaccinator: vaccinator.clone(),
        administered_at: given.naive_local(),
        vial: vial_uid.as_deref().and_then(|v| v.parse::<OpId>().ok()),
        overridden: override_.as_ref().map(|(doctor, reason)| DoctorOverride {
            doctor: doctor.clone(),
            reason: reason.clone(),
            rules: refusals
                .iter()
                .map(|(rule, _)| (*rule).to_owned())
                .collect(),
        }),
        injection_site: Some(site.clone()),
        back_entered: paper.is_some(),
    }))?;
    let uid = tx.insert_dose(&NewDose {
        uid: Some(uid),
        resident_id: request.resident_id,
        dose_number: request.dose_number,
        administered_at: given,
        venue_id: venue.id,
        lot_id: lot.id,
        vaccinator,
        injection_site: site,
        recorded_at: now,
    })?;
    if let Some(vial) = &vial_uid {
        tx.tie_dose_to_vial(&uid, vial)?;
    }
    let mut overridden = Vec::new();
    if let Some((doctor, reason)) = &override_ {
        for (rule, _) in &refusals {
            if STOCK_RULES.contains(rule) {
                tx.log_stock_override(&uid, rule, doctor, reason)?;
            } else {
                tx.log_dose_override(&uid, rule, doctor, reason)?;
            }
            overridden.push((*rule).to_owned());
        }
    }
    let about = match paper {
        None => About::record(voucher, &uid),
        Some(p) => About::record(voucher, &uid).detail(p.detail.clone()),
    };
    audit::record(tx, &actor, AuditAction::Dose, &about, now)?;
    if let Some((doctor, reason)) = &override_ {
        let about = About::record(voucher, &uid)
            .detail(format!("{} — {doctor}: {reason}", overridden.join(", ")));
        audit::record(tx, &actor, AuditAction::Override, &about, now)?;
    }
    Ok(RecordedDose {
        uid,
        observation_minutes: minutes,
        observe_until: given + Duration::minutes(i64::from(minutes)),
        overridden,
    })
}

/// Where the dose is drawn from.
enum VialChoice {
    /// The lot has no stock events at this venue: vials are not tracked for it.
    Untracked,
    /// An open vial (or, on a doctor's override, the vial the refusal named).
    Existing(String),
    /// The next vial, opened with the dose.
    OpenNext(StockChange),
}

struct VialPick {
    choice: VialChoice,
    refusals: Vec<(&'static str, DeskError)>,
}

/// Picks the vial a dose is drawn from: the open one with the earliest clock that has doses,
/// else the next one from the fridge. A quarantined lot (anywhere), an expired lot, a vial
/// past its clock or no vial at all are refusals a doctor may override.
fn pick_vial(
    reader: &Reader<'_>,
    venue: &VenueRow,
    enrollment: &Enrollment,
    lot: &LotView,
    now: DateTime<FixedOffset>,
) -> Result<VialPick, DeskError> {
    let mut refusals = Vec::new();
    if let Some((_, _, reason)) = reader.lot_quarantine(&lot.product_code, &lot.lot_number)? {
        refusals.push(("lot_quarantined", DeskError::LotQuarantined { reason }));
    }
    let stock = reader.venue_stock(venue.id, &enrollment.venue_code, &now)?;
    let mut records = stock.records;
    records.retain(|r| r.product == lot.product_code && r.lot == lot.lot_number);
    if records.iter().all(|r| r.voided) {
        return Ok(VialPick {
            choice: VialChoice::Untracked,
            refusals,
        });
    }
    let at = now.naive_local();
    let lots = lot_states(Catalogue::builtin(), &records, &stock.doses, at);
    let Some(state) = lots.first() else {
        return Ok(VialPick {
            choice: VialChoice::Untracked,
            refusals,
        });
    };
    if let Some(expires_on) = state.expires_on.filter(|d| *d < at.date()) {
        refusals.push(("lot_expired", DeskError::LotExpired { expires_on }));
    }
    if let Some(v) = state.vial_to_draw(at) {
        return Ok(VialPick {
            choice: VialChoice::Existing(v.id.clone()),
            refusals,
        });
    }
    let syringe = records
        .iter()
        .rev()
        .find_map(|r| match r.change {
            StockChange::Opened { syringe, .. } if !r.voided => Some(syringe),
            _ => None,
        })
        .unwrap_or(DEFAULT_SYRINGE);
    if let Ok(change) = open_change(&lots, &lot.product_code, &lot.lot_number, syringe, at) {
        return Ok(VialPick {
            choice: VialChoice::OpenNext(change),
            refusals,
        });
    }
    // Nothing usable: a vial with doses whose clock ran out, or none at all. On a doctor's
    // override the dose is tied to the vial the refusal names.
    let expired = state
        .vials
        .iter()
        .filter(|v| v.left() > 0)
        .max_by_key(|v| v.use_by);
    let (rule, refusal, vial) = match expired {
        Some(v) => (
            "vial_past_clock",
            DeskError::VialPastClock { use_by: v.use_by },
            v,
        ),
        None => match state.vials.iter().max_by_key(|v| v.opened_at) {
            Some(v) => ("no_vial_left", DeskError::NoVialLeft, v),
            None => {
                refusals.push(("no_vial_left", DeskError::NoVialLeft));
                return Ok(VialPick {
                    choice: VialChoice::Untracked,
                    refusals,
                });
            }
        },
    };
    refusals.push((rule, refusal));
    Ok(VialPick {
        choice: VialChoice::Existing(vial.id.clone()),
        refusals,
    })
}

fn observation_minutes(
    lot: &LotView,
    anaphylaxis: bool,
    now: DateTime<FixedOffset>,
) -> Result<u32, DeskError> {
    let rules = Catalogue::builtin()
        .product(&lot.product_code)
        .map_err(|e| DeskError::Eligibility(e.into()))?
        .rules_on(now.date_naive())
        .map_err(|e| DeskError::Eligibility(e.into()))?;
    Ok(rules.observation_for(anaphylaxis))
}

/// Someone under observation after their shot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Observation {
    /// The dose record.
    pub dose_uid: String,
    /// 氏名.
    pub name: String,
    /// Which dose.
    pub dose_number: u8,
    /// When the shot was given.
    pub administered_at: DateTime<FixedOffset>,
    /// 15 or 30.
    pub minutes: u32,
    /// End of the observation.
    pub until: DateTime<FixedOffset>,
    /// Whether the observation time is over.
    pub done: bool,
}

/// How long a finished observation stays on the list, so staff see it turn red.
const DONE_VISIBLE_MINUTES: i64 = 30;

/// Residents under observation at this venue now, and those finished in the last half hour.
pub fn observations(
    ledger: &Ledger,
    enrollment: &Enrollment,
    now: DateTime<FixedOffset>,
) -> Result<Vec<Observation>, DeskError> {
    let venue = venue_of(ledger, enrollment)?;
    let reader = ledger.reader();
    let mut list = Vec::new();
    for d in reader.doses_on(venue.id, now.date_naive(), *now.offset())? {
        if d.voided {
            continue;
        }
        let r = reader.resident(d.resident_id)?;
        let anaphylaxis = r.survey.is_some_and(|s| s.anaphylaxis_history);
        let lot = LotView {
            id: 0,
            product_code: d.product_code.clone(),
            lot_number: String::new(),
        };
        let minutes = observation_minutes(&lot, anaphylaxis, d.administered_at)?;
        let until = d.administered_at + Duration::minutes(i64::from(minutes));
        if until + Duration::minutes(DONE_VISIBLE_MINUTES) < now {
            continue;
        }
        list.push(Observation {
            dose_uid: d.uid,
            name: r.resident.name,
            dose_number: d.dose_number,
            administered_at: d.administered_at,
            minutes,
            until,
            done: until <= now,
        });
    }
    Ok(list)
}

/// The lots open at this venue today.
pub fn open_lots(
    ledger: &Ledger,
    enrollment: &Enrollment,
    today: NaiveDate,
) -> Result<Vec<LotView>, DeskError> {
    let venue = venue_of(ledger, enrollment)?;
    Ok(ledger.reader().lots_open(venue.id, today)?)
}

/// Opens a lot for use at this venue today, registering it on first use. Lot numbers are
/// 1–20 letters, digits or hyphens (as printed on the vial), stored upper-case.
pub fn open_lot(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    product_code: &str,
    lot_number: &str,
    now: DateTime<FixedOffset>,
) -> Result<LotView, DeskError> {
    if !enrollment.role.may_record_doses() {
        return Err(DeskError::RoleMayNot {
            role: enrollment.role,
            action: "open lots",
        });
    }
    // A write at the desk: needs a signed-in staff member once the venue has staff.
    audit::actor(&ledger.reader(), enrollment, now)?;
    Catalogue::builtin()
        .product(product_code)
        .map_err(|e| DeskError::Eligibility(e.into()))?;
    let lot_number = lot_number.trim().to_uppercase();
    let well_formed = (1..=20).contains(&lot_number.len())
        && lot_number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !well_formed {
        return Err(DeskError::Invalid {
            field: "lot / ロット番号",
            problem: "1-20 letters, digits or hyphens / 英数字とハイフン1〜20文字",
        });
    }
    let venue = venue_of(ledger, enrollment)?;
    let tx = ledger.transaction()?;
    let id = tx.lot(product_code, &lot_number, None)?;
    tx.open_lot(id, venue.id, now.date_naive())?;
    tx.commit()?;
    Ok(LotView {
        id,
        product_code: product_code.to_owned(),
        lot_number,
    })
}
