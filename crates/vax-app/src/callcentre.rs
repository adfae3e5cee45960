//! The call centre: one resident's whole story on one page, calls logged against the resident
//! (replicated, so the next person who answers — or the reception desk — knows), the open
//! follow-ups as a work list, and what the operator can do during the call: offer the
//! nearest free bands for a rebooking (applied through the planner's move request), ask for
//! transport, put the resident on the standby list, correct the phone or address.
//!
//! Every function that reads a resident's data is a plain function of (ledger, resident): the
//! audit trail hooks them with one call each.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::eligibility::DueStatus;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::product::Catalogue;
use vax_domain::resident::{parse_postal_code, FieldError, Phone};
use vax_domain::role::Role;
use vax_ledger::{
    CheckInView, FollowUpRow, InquiryView, Ledger, LedgerError, NewInquiry, NoticeRow, RowId,
    StandbyCallHistoryRow,
};
use vax_sync::{Inquiry, OpId, OpKind, ResidentField};

use crate::audit::{About, AuditAction};
use crate::lookup::{card, LookupError, ResidentCard};

/// How many free bands a rebooking offers.
pub const REBOOK_OFFERS: usize = 6;
/// How many open follow-ups the work list shows at most.
pub const FOLLOW_UP_LIMIT: u32 = 200;

/// Why a call-centre action did not happen.
#[derive(Debug, Error)]
pub enum CallCentreError {
    /// The role may not do this.
    #[error("the {role:?} role may not {action}")]
    RoleMayNot {
        /// The role.
        role: Role,
        /// What was attempted.
        action: &'static str,
    },
    /// The note is empty or too long.
    #[error("the call note must be 1 to {max} characters")]
    BadNote {
        /// The limit.
        max: usize,
    },
    /// A contact field was refused.
    #[error("{field}: {source}")]
    Field {
        /// Which field.
        field: &'static str,
        /// Why.
        source: FieldError,
    },
    /// The inquiry whose follow-up is to be completed does not exist or needs none.
    #[error("inquiry {0} has no open follow-up")]
    NoOpenFollowUp(String),
    /// Transport is a survey answer: without one there is nothing to set it on.
    #[error("the resident has no survey answer yet; HQ records the survey first")]
    NoSurvey,
    /// The resident's card failed.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Who acts could not be said (staff registered at the venue, nobody signed in).
    #[error(transparent)]
    Staff(#[from] crate::staff::StaffError),
}

impl UserFacing for CallCentreError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoleMayNot { .. } => ErrorCode::RoleMayNot,
            Self::BadNote { .. } | Self::Field { .. } | Self::NoSurvey => ErrorCode::InvalidInput,
            Self::NoOpenFollowUp(_) => ErrorCode::NotFound,
            Self::Lookup(e) => e.code(),
            Self::Ledger(e) => e.code(),
            Self::Staff(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::RoleMayNot { .. } => "この端末の役割ではこの操作はできません".into(),
            Self::BadNote { max } => format!("通話メモは1〜{max}文字で入力してください"),
            Self::Field { field, source } => {
                let name = match *field {
                    "phone" => "電話番号",
                    "postal_code" => "郵便番号",
                    _ => "住所",
                };
                format!("{name}: {}", source.message_ja())
            }
            Self::NoOpenFollowUp(_) => {
                "この問い合わせには未対応のフォローアップがありません".into()
            }
            Self::NoSurvey => {
                "意向調査の回答がまだありません。先に本部で意向調査を登録してください".into()
            }
            Self::Lookup(e) => e.message_ja(),
            Self::Ledger(e) => e.message_ja(),
            Self::Staff(e) => e.message_ja(),
        }
    }
}

fn allowed(role: Role, ok: bool, action: &'static str) -> Result<(), CallCentreError> {
    if ok {
        Ok(())
    } else {
        Err(CallCentreError::RoleMayNot { role, action })
    }
}

/// One bus ride of the resident (transport, issue 13): when and where the bus comes, which
/// bus, and whether the reception marked them boarded — "what time does the bus come?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BusRide {
    /// 会場コード.
    pub venue_code: String,
    /// The day.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: NaiveDate,
    /// `to_venue` (the pick-up) or `from_venue` (the ride home).
    #[cfg_attr(feature = "ts", ts(type = "'to_venue' | 'from_venue'"))]
    pub direction: String,
    /// Pick-up (to the venue) or drop-off (home) at the door, HH:MM.
    pub at_door: String,
    /// Arrival at (to) or departure from (home) the venue, HH:MM.
    pub at_venue: String,
    /// The named pick-up point; `None`: fetched at home.
    pub pickup_point: Option<String>,
    /// The vehicle.
    pub vehicle: String,
    /// Its driver, when HQ named one.
    pub driver: String,
    /// Rides in a wheelchair.
    pub wheelchair: bool,
    /// The reception's mark: `boarded` or `no_show`; `None`: not marked.
    #[cfg_attr(feature = "ts", ts(type = "'boarded' | 'no_show' | null"))]
    pub mark: Option<String>,
    /// When the mark was made (venue time).
    pub marked_at: Option<String>,
}

/// Everything about one resident, for the call centre's one page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResidentHistory {
    /// Register data, survey answers, both bookings, doses, every inquiry newest first, and
    /// the dose due (the desk's card).
    pub card: ResidentCard,
    /// Every check-in, on any day, cancelled ones included, oldest first.
    pub check_ins: Vec<CheckInView>,
    /// Notices sent (letters, SMS, calls), oldest first.
    pub notices: Vec<NoticeRow>,
    /// On the standby list.
    pub standby: bool,
    /// Calls made to them from the standby list, oldest first.
    pub standby_calls: Vec<StandbyCallHistoryRow>,
    /// Their inquiries whose follow-up is still open, newest first.
    pub open_follow_ups: Vec<InquiryView>,
    /// Their bus rides, by day, the pick-up before the ride home.
    pub rides: Vec<BusRide>,
}

/// The resident's whole story, as of `today`.
pub fn history(
    ledger: &Ledger,
    resident: RowId,
    today: NaiveDate,
) -> Result<ResidentHistory, CallCentreError> {
    let card = card(ledger, resident, today)?;
    let reader = ledger.reader();
    let open_follow_ups = card
        .inquiries
        .iter()
        .filter(|i| i.follow_up_open())
        .cloned()
        .collect();
    Ok(ResidentHistory {
        check_ins: reader.all_check_ins_of(resident)?,
        notices: reader.notices_of(resident)?,
        standby: reader.on_standby(resident)?,
        standby_calls: reader.standby_calls_of(resident)?,
        open_follow_ups,
        rides: reader
            .rides_of_resident(resident)?
            .into_iter()
            .map(|r| BusRide {
                venue_code: r.venue_code,
                date: r.date,
                direction: match r.ride.direction {
                    vax_sync::RideDirection::ToVenue => "to_venue",
                    vax_sync::RideDirection::FromVenue => "from_venue",
                }
                .to_owned(),
                at_door: r.ride.at_door,
                at_venue: r.ride.at_venue,
                pickup_point: r.ride.pickup_point,
                vehicle: r.ride.vehicle,
                driver: r.ride.driver,
                wheelchair: r.ride.wheelchair,
                mark: r.ride.mark.map(|m| m.code().to_owned()),
                marked_at: r.ride.marked_at,
            })
            .collect(),
        card,
    })
}

/// [`history`] as an operator opens it: the view is a lookup of the resident's record, so
/// it is recorded in the audit trail (who looked at this resident's record?).
pub fn view_history(
    ledger: &mut Ledger,
    resident: RowId,
    now: DateTime<FixedOffset>,
) -> Result<ResidentHistory, CallCentreError> {
    let shown = history(ledger, resident, now.date_naive())?;
    let about =
        About::resident(&shown.card.resident.resident.voucher).detail("call centre history");
    crate::audit::record_here(ledger, AuditAction::Lookup, &[about], now)?;
    Ok(shown)
}

/// A call as the operator logs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewCall {
    /// How it came in.
    pub channel: InquiryChannel,
    /// What it was about.
    pub topic: InquiryTopic,
    /// What was said and done.
    pub note: String,
    /// The staff member taking it.
    pub operator: String,
    /// Someone must get back to the resident.
    pub follow_up_needed: bool,
    /// Who should; empty when anyone may.
    pub follow_up_by: String,
}

fn check_note(note: &str) -> Result<(), CallCentreError> {
    let max = vax_sync::MAX_LONG_TEXT;
    let chars = note.trim().chars().count();
    if chars == 0 || note.chars().count() > max {
        return Err(CallCentreError::BadNote { max });
    }
    Ok(())
}

fn short(field: &'static str, value: &str) -> Result<(), CallCentreError> {
    let max = vax_sync::MAX_SHORT_TEXT;
    if value.chars().count() > max {
        return Err(CallCentreError::Field {
            field,
            source: FieldError::TooLong { max },
        });
    }
    Ok(())
}

/// Logs a call about resident `resident` (replicated); returns its uid.
pub fn log_call(
    ledger: &mut Ledger,
    role: Role,
    resident: RowId,
    call: &NewCall,
    now: DateTime<FixedOffset>,
) -> Result<String, CallCentreError> {
    allowed(role, role.may_log_inquiries(), "log calls")?;
    check_note(&call.note)?;
    short("operator", &call.operator)?;
    short("follow_up_by", &call.follow_up_by)?;
    let voucher = ledger.reader().resident(resident)?.resident.voucher;
    let follow_up_by = if call.follow_up_needed {
        call.follow_up_by.trim().to_owned()
    } else {
        String::new()
    };
    let op = Inquiry {
        channel: call.channel,
        operator: call.operator.trim().to_owned(),
        follow_up_needed: call.follow_up_needed,
        follow_up_by,
        ..Inquiry::new(voucher, call.topic, call.note.trim())
    };
    write_inquiry(ledger, resident, op, None, now)
}

fn write_inquiry(
    ledger: &mut Ledger,
    resident: RowId,
    op: Inquiry,
    closes: Option<String>,
    now: DateTime<FixedOffset>,
) -> Result<String, CallCentreError> {
    let row = NewInquiry {
        uid: None,
        resident_id: Some(resident),
        received_at: now,
        channel: op.channel,
        topic: op.topic,
        note: op.note.clone(),
        operator: op.operator.clone(),
        follow_up_needed: op.follow_up_needed,
        follow_up_by: op.follow_up_by.clone(),
        closes,
    };
    let mut tx = ledger.transaction()?;
    let uid = tx.record_event(OpKind::Inquiry(op))?;
    tx.insert_inquiry(&NewInquiry {
        uid: Some(uid.clone()),
        ..row
    })?;
    tx.commit()?;
    Ok(uid)
}

/// Records that the follow-up of inquiry `inquiry` is done, as a new inquiry about the same
/// resident (the call back) that names it; returns the new inquiry's uid.
pub fn complete_follow_up(
    ledger: &mut Ledger,
    role: Role,
    inquiry: &str,
    note: &str,
    operator: &str,
    now: DateTime<FixedOffset>,
) -> Result<String, CallCentreError> {
    allowed(role, role.may_log_inquiries(), "complete follow-ups")?;
    check_note(note)?;
    short("operator", operator)?;
    let open = ledger
        .reader()
        .open_follow_ups(u32::MAX)?
        .into_iter()
        .find(|f| f.inquiry.uid == inquiry)
        .ok_or_else(|| CallCentreError::NoOpenFollowUp(inquiry.to_owned()))?;
    let voucher = ledger.reader().resident(open.resident_id)?.resident.voucher;
    let op = Inquiry {
        channel: InquiryChannel::Phone,
        operator: operator.trim().to_owned(),
        // A standalone ledger names its inquiries by UUID, not by op: there is no op to name.
        follow_up_done: inquiry.parse::<OpId>().ok(),
        ..Inquiry::new(voucher, open.inquiry.topic, note.trim())
    };
    write_inquiry(ledger, open.resident_id, op, Some(inquiry.to_owned()), now)
}

/// The open follow-ups, oldest first: the call centre's work list.
pub fn follow_ups(ledger: &Ledger) -> Result<Vec<FollowUpRow>, CallCentreError> {
    Ok(ledger.reader().open_follow_ups(FOLLOW_UP_LIMIT)?)
}

/// A free band the operator can offer for a rebooking.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RebookOffer {
    /// The dose it is for.
    pub dose: u8,
    /// The band's row id.
    pub band_id: RowId,
    /// 会場コード.
    pub venue_code: String,
    /// 会場名.
    pub venue_name: String,
    /// The day.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: NaiveDate,
    /// 開始 (`HH:MM`).
    pub start: String,
    /// Free places.
    pub free: u32,
    /// Straight-line distance from the resident's home, when geocoded.
    pub distance_km: Option<f64>,
}

/// The nearest free bands (soonest day first, then nearest venue) for the dose the resident
/// is due, from the first day the dose interval allows and never before tomorrow, and only on
/// days the resident is old enough for the product (its dated minimum age). Empty when
/// the series is complete. Each offer is applied as the planner's move request
/// ([`crate::planning::ReshuffleRequest::MoveRequest`] for its venue and day), which moves
/// dose 2 along when the interval demands.
pub fn rebook_offers(
    ledger: &Ledger,
    resident: RowId,
    today: NaiveDate,
) -> Result<Vec<RebookOffer>, CallCentreError> {
    let card = card(ledger, resident, today)?;
    let tomorrow = today.succ_opt().unwrap_or(today);
    let (dose, earliest) = match card.due {
        DueStatus::FirstDoseDue => (1, tomorrow),
        DueStatus::NextDoseDue {
            dose_number,
            earliest_date,
            ..
        }
        | DueStatus::IntervalNotReached {
            dose_number,
            earliest_date,
        } => (dose_number, earliest_date.max(tomorrow)),
        DueStatus::SeriesComplete { .. } => return Ok(Vec::new()),
    };
    let current = card
        .bookings
        .iter()
        .find(|b| b.dose_number == dose)
        .map(|b| b.band.id);
    let home = card.resident.resident.home;
    // The booth refuses a resident younger than the product's minimum age on the day of the
    // dose: no such day is offered (a 13-year-old in May 2021 is offered days from 1 June).
    let ages = Catalogue::builtin()
        .product(&series_product(ledger, &card, dose)?)
        .map_err(|e| LookupError::Eligibility(e.into()))?
        .minimum_ages();
    let birth = card.resident.resident.birth_date;
    let reader = ledger.reader();
    let venues = reader.venues()?;
    let mut offers: Vec<RebookOffer> = reader
        .band_loads()?
        .into_iter()
        .filter(|l| {
            !l.closed
                && l.booked < l.band.capacity
                && l.band.date >= earliest
                && Some(l.band.id) != current
                && ages.admits(birth, l.band.date)
        })
        .filter_map(|l| {
            let venue = venues.iter().find(|v| v.venue.code == l.band.venue_code)?;
            Some(RebookOffer {
                dose,
                band_id: l.band.id,
                venue_code: l.band.venue_code.clone(),
                venue_name: venue.venue.name.clone(),
                date: l.band.date,
                start: l.band.start.format("%H:%M").to_string(),
                free: l.band.capacity - l.booked,
                distance_km: home.map(|h| venue.venue.location.distance_km(h)),
            })
        })
        .collect();
    offers.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then(
                a.distance_km
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.distance_km.unwrap_or(f64::INFINITY)),
            )
            .then(a.start.cmp(&b.start))
    });
    // One offer per venue and day: the move request picks the band within it.
    offers.dedup_by(|later, earlier| {
        later.date == earlier.date && later.venue_code == earlier.venue_code
    });
    offers.truncate(REBOOK_OFFERS);
    Ok(offers)
}

/// The product of the series `dose` belongs to: the dose's booking, else a dose already
/// given, else the product the campaign books (HQ's planning setting).
fn series_product(
    ledger: &Ledger,
    card: &ResidentCard,
    dose: u8,
) -> Result<String, CallCentreError> {
    if let Some(b) = card.bookings.iter().find(|b| b.dose_number == dose) {
        return Ok(b.product_code.clone());
    }
    if let Some(d) = card.doses.iter().rev().find(|d| d.voided.is_none()) {
        return Ok(d.product_code.clone());
    }
    Ok(ledger
        .reader()
        .setting(crate::planning::SETTING_PRODUCT)?
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| crate::planning::DEFAULT_PRODUCT.to_owned()))
}

/// Asks for transport (the survey's 送迎 flag), replicated.
pub fn request_transport(
    ledger: &mut Ledger,
    role: Role,
    resident: RowId,
    needed: bool,
    now: DateTime<FixedOffset>,
) -> Result<(), CallCentreError> {
    allowed(role, role.may_log_inquiries(), "ask for transport")?;
    let row = ledger.reader().resident(resident)?;
    let Some(survey) = row.survey else {
        return Err(CallCentreError::NoSurvey);
    };
    let r = row.resident;
    let mut tx = ledger.transaction()?;
    tx.apply_survey(
        &vax_domain::resident::SurveyAnswer {
            municipality: r.municipality.clone(),
            voucher: r.voucher.clone(),
            intention: survey.intention,
            needs_transport: needed,
            anaphylaxis_history: survey.anaphylaxis_history,
        },
        &now,
    )?;
    tx.replicate(OpKind::SetResidentFields {
        resident: r.voucher,
        fields: vec![ResidentField::NeedsTransport(needed)],
    })?;
    tx.commit()?;
    Ok(())
}

/// Puts the resident on the standby list (or takes them off), replicated.
pub fn set_standby(
    ledger: &mut Ledger,
    role: Role,
    resident: RowId,
    on: bool,
) -> Result<(), CallCentreError> {
    allowed(role, role.may_log_inquiries(), "keep the standby list")?;
    let r = ledger.reader().resident(resident)?.resident;
    let mut tx = ledger.transaction()?;
    tx.set_standby(&r.municipality, &r.voucher, on)?;
    tx.replicate(OpKind::SetResidentFields {
        resident: r.voucher,
        fields: vec![ResidentField::Standby(on)],
    })?;
    tx.commit()?;
    Ok(())
}

/// A corrected phone number and address, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactEdit {
    /// 電話番号; empty removes it.
    pub phone: String,
    /// 郵便番号; may be empty.
    pub postal_code: String,
    /// 住所.
    pub address: String,
}

/// Corrects the resident's phone, postal code and address: the last-writer-wins field edit,
/// replicated as one `set_resident_fields` op.
pub fn correct_contact(
    ledger: &mut Ledger,
    role: Role,
    resident: RowId,
    edit: &ContactEdit,
    now: DateTime<FixedOffset>,
) -> Result<(), CallCentreError> {
    allowed(role, role.may_edit_contact(), "correct contact details")?;
    let field = |field| move |source| CallCentreError::Field { field, source };
    let phone = match edit.phone.trim() {
        "" => None,
        p => Some(Phone::parse(p).map_err(field("phone"))?),
    };
    let postal_code = match edit.postal_code.trim() {
        "" => String::new(),
        p => parse_postal_code(p).map_err(field("postal_code"))?,
    };
    let address = edit.address.trim().to_owned();
    if address.is_empty() {
        return Err(field("address")(FieldError::Empty));
    }
    short("address", &address)?;
    let r = ledger.reader().resident(resident)?.resident;
    let actor = crate::audit::actor_here(ledger, now)?;
    let about = About::resident(&r.voucher).detail("contact details corrected");
    let mut tx = ledger.transaction()?;
    tx.correct_contact(resident, phone.as_ref(), &postal_code, &address, &now)?;
    crate::audit::record(&mut tx, &actor, AuditAction::Correct, &about, now)?;
    tx.replicate(OpKind::SetResidentFields {
        resident: r.voucher,
        fields: vec![
            ResidentField::Phone(phone),
            ResidentField::PostalCode(postal_code),
            ResidentField::Address(address),
        ],
    })?;
    tx.commit()?;
    Ok(())
}
