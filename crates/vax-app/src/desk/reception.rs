//! Reception: find the resident, show the card with its warnings, check in.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::Serialize;
use vax_domain::eligibility::DueStatus;
use vax_domain::inquiry::InquiryTopic;
use vax_domain::resident::Intention;
use vax_domain::voucher::VoucherPayload;
use vax_ledger::{CheckInView, Ledger};

use vax_sync::{AuditAction, CheckIn, EventKind, OpKind, VenueCode};

use super::{required, venue_of, DeskError, Enrollment};
use crate::audit::{self, About};
use crate::lookup::{card, find, Query, ResidentCard};

/// Something the desk must notice before checking a resident in. When each applies is
/// decided here; the UI decides wording and colour by `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Warning {
    /// No booking for the due dose.
    NoBooking {
        /// The dose due.
        dose_number: u8,
    },
    /// Booked at another venue.
    WrongVenue {
        /// 会場名 of the booking.
        booked_venue: String,
        /// Day of the booking.
        booked_date: NaiveDate,
    },
    /// Booked here, on another day.
    WrongDay {
        /// Day of the booking.
        booked_date: NaiveDate,
        /// Start of the booked band.
        booked_start: NaiveTime,
    },
    /// Every dose is given.
    SeriesComplete,
    /// Too early for the next dose.
    IntervalNotReached {
        /// Earliest day.
        earliest: NaiveDate,
    },
    /// The voucher was issued by another municipality than the campaign's.
    MunicipalityDiffers {
        /// The voucher's 市町村コード.
        voucher: String,
        /// The campaign's.
        campaign: String,
    },
    /// The voucher's printed dose (回数) is not the dose due.
    PrintedDoseDiffers {
        /// Printed on the voucher.
        printed: u8,
        /// Due by the ledger.
        due: u8,
    },
    /// Checked in already today.
    AlreadyCheckedIn {
        /// When.
        at: DateTime<FixedOffset>,
    },
    /// The survey said the resident does not want the vaccine.
    SurveyDeclined,
    /// 30-minute observation.
    AnaphylaxisHistory,
    /// Came by the transport service; needs a ride home.
    NeedsTransport,
    /// The call centre promised to get back to the resident and has not yet: the desk can
    /// settle it while they are here.
    OpenFollowUp {
        /// What the call was about.
        topic: InquiryTopic,
        /// What was said.
        note: String,
        /// Who should follow up; empty when anyone may.
        follow_up_by: String,
        /// When the call came in.
        received_at: DateTime<FixedOffset>,
    },
}

/// A resident card as the desk sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeskCard {
    /// The card.
    pub card: ResidentCard,
    /// The dose due today, if any.
    pub due_dose: Option<u8>,
    /// What to notice, most important first.
    pub warnings: Vec<Warning>,
    /// Today's open check-in, if any.
    pub check_in: Option<CheckInView>,
}

pub(super) fn due_dose(due: &DueStatus) -> Option<u8> {
    match due {
        DueStatus::FirstDoseDue => Some(1),
        DueStatus::NextDoseDue { dose_number, .. }
        | DueStatus::IntervalNotReached { dose_number, .. } => Some(*dose_number),
        DueStatus::SeriesComplete { .. } => None,
    }
}

fn desk_card(
    ledger: &Ledger,
    enrollment: &Enrollment,
    resident_id: i64,
    payload: Option<&VoucherPayload>,
    now: DateTime<FixedOffset>,
) -> Result<DeskCard, DeskError> {
    let today = now.date_naive();
    let card = card(ledger, resident_id, today)?;
    let check_in = ledger
        .reader()
        .check_ins_of(resident_id, today, *now.offset())?
        .into_iter()
        .rev()
        .find(|c| c.cancelled.is_none());
    let due = due_dose(&card.due);
    let mut warnings = Vec::new();
    if let Some(c) = &check_in {
        warnings.push(Warning::AlreadyCheckedIn {
            at: c.checked_in_at,
        });
    }
    match (&card.due, due) {
        (DueStatus::SeriesComplete { .. }, _) => warnings.push(Warning::SeriesComplete),
        (DueStatus::IntervalNotReached { earliest_date, .. }, _) => {
            warnings.push(Warning::IntervalNotReached {
                earliest: *earliest_date,
            })
        }
        _ => {}
    }
    if let Some(dose_number) = due {
        match card.bookings.iter().find(|b| b.dose_number == dose_number) {
            None => warnings.push(Warning::NoBooking { dose_number }),
            Some(b) if b.band.venue_code != enrollment.venue_code => {
                warnings.push(Warning::WrongVenue {
                    booked_venue: b.venue_name.clone(),
                    booked_date: b.band.date,
                })
            }
            Some(b) if b.band.date != today => warnings.push(Warning::WrongDay {
                booked_date: b.band.date,
                booked_start: b.band.start,
            }),
            Some(_) => {}
        }
    }
    if card.resident.resident.municipality != enrollment.municipality {
        warnings.push(Warning::MunicipalityDiffers {
            voucher: card.resident.resident.municipality.to_string(),
            campaign: enrollment.municipality.to_string(),
        });
    }
    if let (Some(printed), Some(due)) = (payload.and_then(VoucherPayload::printed_dose), due) {
        if printed != due {
            warnings.push(Warning::PrintedDoseDiffers { printed, due });
        }
    }
    if let Some(s) = &card.resident.survey {
        if s.intention == Intention::Declines {
            warnings.push(Warning::SurveyDeclined);
        }
        if s.anaphylaxis_history {
            warnings.push(Warning::AnaphylaxisHistory);
        }
        if s.needs_transport {
            warnings.push(Warning::NeedsTransport);
        }
    }
    // The newest one: a card holds each kind of warning once; the call centre's page lists all.
    if let Some(i) = card.inquiries.iter().find(|i| i.follow_up_open()) {
        warnings.push(Warning::OpenFollowUp {
            topic: i.topic,
            note: i.note.clone(),
            follow_up_by: i.follow_up_by.clone(),
            received_at: i.received_at,
        });
    }
    Ok(DeskCard {
        card,
        due_dose: due,
        warnings,
        check_in,
    })
}

/// Finds residents by a scanned or typed query and builds their desk cards (with warnings
/// judged for this venue and today). An empty list means nobody was found.
pub fn desk_find(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    query: &Query,
    now: DateTime<FixedOffset>,
) -> Result<Vec<DeskCard>, DeskError> {
    let payload = match query {
        Query::Voucher(text) => Some(VoucherPayload::parse(text)?),
        _ => None,
    };
    let actor = audit::actor(&ledger.reader(), enrollment, now)?;
    let found = find(ledger, query)?;
    let cards = found
        .iter()
        .map(|r| desk_card(ledger, enrollment, r.id, payload.as_ref(), now))
        .collect::<Result<Vec<_>, _>>()?;
    // Every card shown is a look at a resident's record (APPI: who looked at whom).
    if !cards.is_empty() {
        let mut tx = ledger.transaction()?;
        for c in &cards {
            let about = About::resident(&c.card.resident.resident.voucher);
            audit::record(&mut tx, &actor, AuditAction::Lookup, &about, now)?;
        }
        tx.commit()?;
    }
    Ok(cards)
}

/// The result of a check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckInDone {
    /// Global id of the check-in.
    pub uid: String,
    /// The dose the resident came for.
    pub dose_number: u8,
    /// When.
    pub at: DateTime<FixedOffset>,
}

/// Checks a resident in for the dose due. Refused when they are checked in already today
/// or when no dose is due; every other warning is for the desk to judge.
pub fn check_in(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    resident_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<CheckInDone, DeskError> {
    if !enrollment.role.may_check_in() {
        return Err(DeskError::RoleMayNot {
            role: enrollment.role,
            action: "check residents in",
        });
    }
    let venue = venue_of(ledger, enrollment)?;
    let actor = audit::actor(&ledger.reader(), enrollment, now)?;
    let card = desk_card(ledger, enrollment, resident_id, None, now)?;
    if let Some(c) = card.check_in {
        return Err(DeskError::AlreadyCheckedIn {
            at: c.checked_in_at,
        });
    }
    let dose_number = card.due_dose.ok_or(DeskError::SeriesComplete)?;
    let mut tx = ledger.transaction()?;
    let uid = tx.record_event(OpKind::CheckIn(CheckIn {
        resident: card.card.resident.resident.voucher.clone(),
        dose_number,
        venue: VenueCode::new(&enrollment.venue_code),
        band: None,
        at: now.naive_local(),
        back_entered: false,
    }))?;
    tx.insert_check_in(&uid, resident_id, venue.id, dose_number, &now)?;
    let about = About::record(&card.card.resident.resident.voucher, &uid);
    audit::record(&mut tx, &actor, AuditAction::CheckIn, &about, now)?;
    tx.commit()?;
    Ok(CheckInDone {
        uid,
        dose_number,
        at: now,
    })
}

/// Cancels a check-in with a reason (it stays in the ledger, marked).
pub fn cancel_check_in(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    uid: &str,
    reason: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), DeskError> {
    if !enrollment.role.may_check_in() {
        return Err(DeskError::RoleMayNot {
            role: enrollment.role,
            action: "cancel check-ins",
        });
    }
    let reason = required(reason, "reason / 理由", 200)?;
    let actor = audit::actor(&ledger.reader(), enrollment, now)?;
    let mut tx = ledger.transaction()?;
    tx.void_event(EventKind::CheckIn, uid, &reason, &now)?;
    let about = About {
        resident: tx.reader().resident_of_record(uid)?,
        record: Some(uid.to_owned()),
        detail: format!("check-in cancelled: {reason}"),
    };
    audit::record(&mut tx, &actor, AuditAction::Void, &about, now)?;
    tx.commit()?;
    Ok(())
}
