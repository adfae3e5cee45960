//! The op: one immutable, idempotent change, as it is stored in the log and sent on the wire.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use crdts::VClock;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::resident::{AtenaNumber, Intention, Phone, Sex};
use vax_domain::stock::StockChange as Change;
pub use vax_domain::stock::{CallOutcome, StockChange};
use vax_domain::venue::{Coordinates, TimeBand, Venue, VenueKind};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

use crate::hlc::Hlc;
use crate::ids::{OpId, ReplicaId, TimeBandId, VenueCode};
use crate::rides::{RideMark, RidePlan};
use crate::signing::{DeviceKey, OpSignature, PublicKey};

/// The highest dose number an op may carry (primary series plus boosters).
pub const MAX_DOSE_NUMBER: u8 = 10;
/// Longest short text (names, lots, vaccinator, reasons) in characters.
pub const MAX_SHORT_TEXT: usize = 200;
/// Longest free text (an inquiry note) in characters.
pub const MAX_LONG_TEXT: usize = 4_000;
/// Most vials HQ may deliver to one venue for one day: far above what a venue gives in a day
/// (fourteen bands of at most 500 places), and small enough that its doses fit any count.
pub const MAX_VIALS_PER_DAY: u32 = 10_000;

/// One change, stamped by its author. Immutable once written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// Author and per-author counter.
    pub id: OpId,
    /// The author's hybrid logical clock when it wrote the op.
    pub hlc: Hlc,
    /// What changed.
    pub kind: OpKind,
    /// The author's signature of the op's canonical encoding ([`crate::signing`]). Absent
    /// only on ops built by hand for merge tests and on logs written before protocol 3: a
    /// replica never stores nor merges a received op without a signature that verifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<OpSignature>,
}

impl Op {
    /// An op signed by its author's key.
    pub fn signed(id: OpId, hlc: Hlc, kind: OpKind, key: &DeviceKey) -> Self {
        let sig = Some(key.sign(&id, hlc, &kind));
        Self { id, hlc, kind, sig }
    }

    /// Whether the op carries a signature that `key` made of exactly this op.
    pub fn verifies_with(&self, key: &PublicKey) -> bool {
        self.sig
            .as_ref()
            .is_some_and(|sig| key.verifies(&self.id, self.hlc, &self.kind, sig))
    }

    /// The author.
    pub fn author(&self) -> ReplicaId {
        self.id.replica
    }

    /// The `(hlc, replica)` pair that orders last-writer-wins registers.
    pub fn stamp(&self) -> Stamp {
        Stamp {
            hlc: self.hlc,
            replica: self.id.replica,
        }
    }

    /// Checks the op is well formed. A replica refuses a message holding any invalid op.
    pub fn validate(&self) -> Result<(), InvalidOp> {
        counter(self.id.counter)?;
        self.kind.validate(self.id.replica)
    }
}

/// The order of last-writer-wins registers: HLC first, the replica id breaks exact ties.
///
/// Unique per op because one replica never issues the same HLC twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    /// When.
    pub hlc: Hlc,
    /// Who, for ties.
    pub replica: ReplicaId,
}

/// Every kind of change a replica can make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OpKind {
    /// Sets fields of a resident (last writer wins, per field). One op carries every field
    /// one change touched: a register import writes all of a resident's fields at once, so
    /// the first replica of a city is one op per resident, not one per field.
    SetResidentFields {
        /// The resident, by voucher number.
        resident: VoucherNumber,
        /// The fields and their new values; at least one, each field at most once.
        fields: Vec<ResidentField>,
    },
    /// Writes the booking of one (resident, dose number) (multi-value register).
    Book(Booking),
    /// A dose was given.
    RecordDose(Dose),
    /// A resident checked in at reception.
    CheckIn(CheckIn),
    /// Vials of a lot changed state at a venue.
    StockEvent(StockEvent),
    /// A call or visit about a resident was logged.
    Inquiry(Inquiry),
    /// Marks an earlier event as mistaken. The event stays; it no longer counts.
    Void(Void),
    /// Creates or edits a time band (HQ only, last writer wins per band).
    DefineTimeBand(TimeBandDef),
    /// Creates or edits a venue (HQ only, last writer wins per venue).
    DefineVenue(VenueDef),
    /// The venue manager called a standby resident about a leftover dose.
    StandbyCall(StandbyCall),
    /// HQ notes that an alert that cannot be repaired by data has been followed up.
    Acknowledge {
        /// Which alert.
        alert: crate::invariants::AlertKey,
    },
    /// HQ registers or changes a staff member (HQ only, last writer wins per staff code).
    DefineStaff(StaffDef),
    /// Who did what to whose record, where and when: one entry of the append-only audit
    /// trail, written by the device where it happened (docs/audit.md).
    Audit(AuditEntry),
    /// HQ's bus plan of one venue day (HQ only, last writer wins per venue and day).
    DefineRides(RidePlan),
    /// The reception marked a rider boarded or not at the pick-up (last writer wins per
    /// venue, day, rider and direction).
    MarkRide(RideMark),
    /// HQ's delivery of vials to a venue for one day, or its removal (HQ only, last writer
    /// wins per venue and day).
    DefineSupply(SupplyDef),
}

impl OpKind {
    /// A short stable name for logs and errors (`record_dose`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::SetResidentFields { .. } => "set_resident_fields",
            Self::Book(_) => "book",
            Self::RecordDose(_) => "record_dose",
            Self::CheckIn(_) => "check_in",
            Self::StockEvent(_) => "stock_event",
            Self::Inquiry(_) => "inquiry",
            Self::Void(_) => "void",
            Self::DefineTimeBand(_) => "define_time_band",
            Self::DefineVenue(_) => "define_venue",
            Self::StandbyCall(_) => "standby_call",
            Self::Acknowledge { .. } => "acknowledge",
            Self::DefineStaff(_) => "define_staff",
            Self::Audit(_) => "audit",
            Self::DefineRides(_) => "define_rides",
            Self::MarkRide(_) => "mark_ride",
            Self::DefineSupply(_) => "define_supply",
        }
    }

    /// The venue the op is about, for the server's check that a venue-bound device only
    /// writes for its own venue.
    pub fn venue(&self) -> Option<&VenueCode> {
        match self {
            Self::RecordDose(d) => Some(&d.venue),
            Self::CheckIn(c) => Some(&c.venue),
            Self::StockEvent(s) => Some(&s.venue),
            Self::StandbyCall(c) => Some(&c.venue),
            Self::DefineTimeBand(b) => Some(&b.venue),
            Self::DefineVenue(v) => Some(&v.code),
            Self::Audit(a) => a.venue.as_ref(),
            Self::DefineStaff(s) => s.venue.as_ref(),
            Self::DefineRides(p) => Some(&p.venue),
            Self::MarkRide(m) => Some(&m.venue),
            Self::DefineSupply(s) => Some(&s.venue),
            Self::SetResidentFields { .. }
            | Self::Book(_)
            | Self::Inquiry(_)
            | Self::Void(_)
            | Self::Acknowledge { .. } => None,
        }
    }

    /// The resident the op is about: a partial replica (docs/sync-spec.md §7b) receives it
    /// only if its scope holds the resident's municipality. Venue definitions, bands, stock,
    /// staff, bus plans, supplies, voids and acknowledgements name no resident.
    pub fn resident(&self) -> Option<&VoucherNumber> {
        match self {
            Self::SetResidentFields { resident, .. } => Some(resident),
            Self::Book(b) => Some(&b.resident),
            Self::RecordDose(d) => Some(&d.resident),
            Self::CheckIn(c) => Some(&c.resident),
            Self::Inquiry(i) => Some(&i.resident),
            Self::StandbyCall(c) => Some(&c.resident),
            Self::MarkRide(m) => Some(&m.resident),
            Self::Audit(a) => a.resident.as_ref(),
            Self::StockEvent(_)
            | Self::Void(_)
            | Self::DefineTimeBand(_)
            | Self::DefineVenue(_)
            | Self::Acknowledge { .. }
            | Self::DefineStaff(_)
            | Self::DefineRides(_)
            | Self::DefineSupply(_) => None,
        }
    }

    /// The kind of event this op records, if it records one (voids can target those).
    pub fn event_kind(&self) -> Option<EventKind> {
        match self {
            Self::RecordDose(_) => Some(EventKind::Dose),
            Self::CheckIn(_) => Some(EventKind::CheckIn),
            Self::StockEvent(_) => Some(EventKind::Stock),
            Self::Inquiry(_) => Some(EventKind::Inquiry),
            _ => None,
        }
    }

    fn validate(&self, author: ReplicaId) -> Result<(), InvalidOp> {
        match self {
            Self::SetResidentFields { fields, .. } => {
                if fields.is_empty() {
                    return Err(InvalidOp::NoFields);
                }
                let mut names: Vec<FieldName> = fields.iter().map(ResidentField::name).collect();
                names.sort_unstable();
                if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
                    return Err(InvalidOp::RepeatedField(pair[0]));
                }
                fields.iter().try_for_each(ResidentField::validate)
            }
            Self::Book(b) => {
                dose_number(b.dose_number)?;
                // A cancellation names no band and so needs no product.
                if b.band.is_some() {
                    short_text("product", &b.product)?;
                }
                // The register's clock must carry a tick of the author's own, or two writers
                // could produce the same clock for different values and break commutativity.
                if b.clock.get(&author) == 0 {
                    return Err(InvalidOp::BookingClockWithoutAuthor);
                }
                Ok(())
            }
            Self::RecordDose(d) => {
                dose_number(d.dose_number)?;
                short_text("venue", &d.venue.0)?;
                short_text("product", &d.product)?;
                short_text("lot", &d.lot)?;
                short_text("vaccinator", &d.vaccinator)?;
                if let Some(site) = &d.injection_site {
                    short_text("injection site", site)?;
                }
                match &d.overridden {
                    Some(o) => {
                        short_text("doctor", &o.doctor)?;
                        short_text("override reason", &o.reason)?;
                        if o.rules.is_empty() {
                            return Err(InvalidOp::EmptyText("overridden rules"));
                        }
                        o.rules.iter().try_for_each(|r| short_text("rule", r))
                    }
                    None => Ok(()),
                }
            }
            Self::CheckIn(c) => {
                dose_number(c.dose_number)?;
                short_text("venue", &c.venue.0)
            }
            Self::StockEvent(s) => {
                short_text("venue", &s.venue.0)?;
                short_text("product", &s.product)?;
                short_text("lot", &s.lot)?;
                stock_change(&s.change)
            }
            Self::Inquiry(i) => {
                text("note", &i.note, MAX_LONG_TEXT, true)?;
                text("operator", &i.operator, MAX_SHORT_TEXT, false)?;
                text("follow-up by", &i.follow_up_by, MAX_SHORT_TEXT, false)?;
                match &i.follow_up_done {
                    Some(target) => counter(target.counter),
                    None => Ok(()),
                }
            }
            Self::Void(v) => {
                counter(v.target.counter)?;
                short_text("reason", &v.reason)
            }
            Self::DefineTimeBand(b) => {
                short_text("venue", &b.venue.0)?;
                if b.start >= b.end {
                    return Err(InvalidOp::BandEndsBeforeItStarts);
                }
                Ok(())
            }
            Self::DefineVenue(v) => {
                short_text("venue", &v.code.0)?;
                short_text("name", &v.name)?;
                text("address", &v.address, MAX_SHORT_TEXT, false)
            }
            Self::StandbyCall(c) => short_text("venue", &c.venue.0),
            Self::Acknowledge { .. } => Ok(()),
            Self::DefineStaff(s) => {
                short_text("staff code", &s.code)?;
                short_text("staff name", &s.name)?;
                if let Some(v) = &s.venue {
                    short_text("venue", &v.0)?;
                }
                text(
                    "PIN hash",
                    s.pin_hash.as_deref().unwrap_or(""),
                    MAX_SHORT_TEXT,
                    false,
                )?;
                text(
                    "card hash",
                    s.card_hash.as_deref().unwrap_or(""),
                    MAX_SHORT_TEXT,
                    false,
                )
            }
            Self::Audit(a) => {
                if let Some(staff) = &a.staff {
                    short_text("staff code", staff)?;
                }
                if let Some(v) = &a.venue {
                    short_text("venue", &v.0)?;
                }
                if let Some(r) = &a.record {
                    short_text("record", r)?;
                }
                text("detail", &a.detail, MAX_SHORT_TEXT, false)
            }
            Self::DefineRides(p) => crate::rides::validate_plan(p, short_text),
            Self::MarkRide(m) => short_text("venue", &m.venue.0),
            Self::DefineSupply(s) => {
                short_text("venue", &s.venue.0)?;
                // A removed entry delivers nothing, so it needs no product.
                match s.vials {
                    Some(n) if n > MAX_VIALS_PER_DAY => Err(InvalidOp::TooManyVials(n)),
                    Some(_) => short_text("product", &s.product),
                    None => Ok(()),
                }
            }
        }
    }
}

fn stock_change(change: &Change) -> Result<(), InvalidOp> {
    let vials = |n: u32| {
        if n == 0 {
            Err(InvalidOp::NoVials)
        } else {
            Ok(())
        }
    };
    match change {
        Change::Received { vials: n, from, .. } => {
            vials(*n)?;
            short_text("from", from)
        }
        Change::Thawed { vials: n, .. } | Change::VialsWasted { vials: n, .. } => vials(*n),
        Change::TransferredOut { vials: n, to, .. } => {
            vials(*n)?;
            short_text("to", to)
        }
        Change::Opened { doses, .. } => vials(*doses),
        Change::DosesWasted { vial, doses, .. } => {
            vials(*doses)?;
            vial.parse::<OpId>()
                .map(|_| ())
                .map_err(|_| InvalidOp::NotAnOpId(vial.clone()))
        }
        Change::Corrected {
            vials: n, reason, ..
        } => {
            if *n == 0 {
                return Err(InvalidOp::NoVials);
            }
            short_text("reason", reason)
        }
        Change::Quarantined { reason } => short_text("reason", reason),
        Change::DayClosed { .. } => Ok(()),
    }
}

/// The highest counter an op may carry: the op logs store counters as SQLite's signed
/// 64-bit integers, and a larger one would be stored as another op's.
pub const MAX_COUNTER: u64 = i64::MAX as u64;

fn counter(n: u64) -> Result<(), InvalidOp> {
    match n {
        0 => Err(InvalidOp::ZeroCounter),
        n if n > MAX_COUNTER => Err(InvalidOp::CounterTooLarge(n)),
        _ => Ok(()),
    }
}

fn dose_number(n: u8) -> Result<(), InvalidOp> {
    if (1..=MAX_DOSE_NUMBER).contains(&n) {
        Ok(())
    } else {
        Err(InvalidOp::DoseNumber(n))
    }
}

fn short_text(field: &'static str, value: &str) -> Result<(), InvalidOp> {
    text(field, value, MAX_SHORT_TEXT, true)
}

fn text(field: &'static str, value: &str, max: usize, required: bool) -> Result<(), InvalidOp> {
    if required && value.trim().is_empty() {
        return Err(InvalidOp::EmptyText(field));
    }
    if value.chars().count() > max {
        return Err(InvalidOp::TextTooLong { field, max });
    }
    Ok(())
}

/// Why an op was refused as malformed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidOp {
    /// Counters start at 1.
    #[error("op counter is 0")]
    ZeroCounter,
    /// A counter beyond [`MAX_COUNTER`].
    #[error("op counter {0} is beyond {MAX_COUNTER}")]
    CounterTooLarge(u64),
    /// A dose number outside 1..=10.
    #[error("dose number {0} is outside 1..={MAX_DOSE_NUMBER}")]
    DoseNumber(u8),
    /// A required text is empty.
    #[error("{0} is empty")]
    EmptyText(&'static str),
    /// A text is longer than the ledger keeps.
    #[error("{field} is longer than {max} characters")]
    TextTooLong {
        /// Which text.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// A booking whose causal context lacks its own author.
    #[error("booking clock does not contain its author")]
    BookingClockWithoutAuthor,
    /// A time band must start before it ends.
    #[error("time band ends before it starts")]
    BandEndsBeforeItStarts,
    /// A resident op that sets no field.
    #[error("resident op sets no field")]
    NoFields,
    /// A resident op that sets one field twice.
    #[error("resident op sets {0:?} twice")]
    RepeatedField(FieldName),
    /// A stock event that moves no vial or dose.
    #[error("stock event moves no vial or dose")]
    NoVials,
    /// A stock event naming a vial by something that is not an op id.
    #[error("{0:?} is not an op id")]
    NotAnOpId(String),
    /// A bus plan naming one rider twice in one direction.
    #[error("bus plan names rider {0} twice in one direction")]
    RiderTwiceInPlan(String),
    /// A bus plan beyond the limits of one op.
    #[error(
        "bus plan has more than {} trips or {} rides",
        crate::rides::MAX_TRIPS,
        crate::rides::MAX_RIDES
    )]
    TooManyRides,
    /// A delivery of more vials than one venue day may receive.
    #[error("a delivery of {0} vials is beyond {MAX_VIALS_PER_DAY} for one venue day")]
    TooManyVials(u32),
}

/// One field of a resident, with its value. Contact fields are the ones reception may edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum ResidentField {
    /// The municipality that issued the resident's voucher (set once, by HQ).
    Municipality(MunicipalityCode),
    /// 氏名.
    Name(String),
    /// 氏名 in katakana.
    NameKana(String),
    /// 生年月日.
    BirthDate(NaiveDate),
    /// 性別.
    Sex(Sex),
    /// 郵便番号 (contact).
    PostalCode(String),
    /// 住所 (contact).
    Address(String),
    /// 地区.
    District(String),
    /// 電話番号 (contact).
    Phone(Option<Phone>),
    /// Home coordinates.
    Home(Option<Coordinates>),
    /// 接種意向.
    Intention(Intention),
    /// 送迎 needed.
    NeedsTransport(bool),
    /// History of anaphylaxis.
    AnaphylaxisHistory(bool),
    /// 宛名番号, the municipality's own number for the resident (set by HQ's register
    /// import). There is no op that clears it: a register without it leaves it as it is.
    AtenaNumber(AtenaNumber),
    /// Agreed to come at short notice to use a leftover dose (survey or call centre).
    Standby(bool),
}

/// The name of a [`ResidentField`], without its value: the key of its LWW register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // the variants mirror ResidentField one to one
pub enum FieldName {
    Municipality,
    Name,
    NameKana,
    BirthDate,
    Sex,
    PostalCode,
    Address,
    District,
    Phone,
    Home,
    Intention,
    NeedsTransport,
    AnaphylaxisHistory,
    AtenaNumber,
    Standby,
}

impl ResidentField {
    /// The field's name.
    pub fn name(&self) -> FieldName {
        match self {
            Self::Municipality(_) => FieldName::Municipality,
            Self::Name(_) => FieldName::Name,
            Self::NameKana(_) => FieldName::NameKana,
            Self::BirthDate(_) => FieldName::BirthDate,
            Self::Sex(_) => FieldName::Sex,
            Self::PostalCode(_) => FieldName::PostalCode,
            Self::Address(_) => FieldName::Address,
            Self::District(_) => FieldName::District,
            Self::Phone(_) => FieldName::Phone,
            Self::Home(_) => FieldName::Home,
            Self::Intention(_) => FieldName::Intention,
            Self::NeedsTransport(_) => FieldName::NeedsTransport,
            Self::AnaphylaxisHistory(_) => FieldName::AnaphylaxisHistory,
            Self::AtenaNumber(_) => FieldName::AtenaNumber,
            Self::Standby(_) => FieldName::Standby,
        }
    }

    /// Whether reception may edit it: how to reach the resident, not who they are.
    pub fn is_contact(&self) -> bool {
        matches!(
            self,
            Self::PostalCode(_) | Self::Address(_) | Self::Phone(_)
        )
    }

    fn validate(&self) -> Result<(), InvalidOp> {
        match self {
            Self::Name(s) => short_text("name", s),
            Self::NameKana(s) => short_text("name_kana", s),
            Self::PostalCode(s) => text("postal_code", s, 8, false),
            Self::Address(s) => text("address", s, MAX_SHORT_TEXT, false),
            Self::District(s) => text("district", s, MAX_SHORT_TEXT, false),
            Self::Municipality(_)
            | Self::BirthDate(_)
            | Self::Sex(_)
            | Self::Phone(_)
            | Self::Home(_)
            | Self::Intention(_)
            | Self::NeedsTransport(_)
            | Self::AnaphylaxisHistory(_)
            | Self::Standby(_)
            // checked by its type when the op is read
            | Self::AtenaNumber(_) => Ok(()),
        }
    }
}

/// Why a booking was written. Only matters for who may write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingCause {
    /// HQ's first assignment.
    Assign,
    /// One resident moved at their request (call centre or HQ).
    Rebook,
    /// HQ moved many residents because a venue day changed.
    Reshuffle,
    /// HQ chose between concurrent bookings.
    Resolve,
}

/// A write to the booking register of one (resident, dose number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    /// The resident.
    pub resident: VoucherNumber,
    /// Which dose.
    pub dose_number: u8,
    /// The band booked, or `None` for a cancellation.
    pub band: Option<TimeBandId>,
    /// The product the dose will be given with (catalogue code); empty for a cancellation.
    pub product: String,
    /// Why.
    pub cause: BookingCause,
    /// The causal context: the register's clock as the author saw it, plus one tick of the
    /// author. [`crate::SyncNode::write`] fills it in; whatever the caller put here is replaced.
    pub clock: VClock<ReplicaId>,
}

/// A dose given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dose {
    /// The resident.
    pub resident: VoucherNumber,
    /// Which dose of the series.
    pub dose_number: u8,
    /// Where.
    pub venue: VenueCode,
    /// Product code from the catalogue.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// Who gave it.
    pub vaccinator: String,
    /// When, in local venue time, as the booth recorded it.
    pub administered_at: NaiveDateTime,
    /// The vial it was drawn from (the op that opened it). Absent in doses recorded before
    /// vials were tracked, and then left out of the JSON so those ops read back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vial: Option<OpId>,
    /// A doctor's decision to give the dose although rules refused it (left out when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overridden: Option<DoctorOverride>,
    /// Injection site (左上腕…). Absent in doses recorded before it travelled with the op, and
    /// then left out of the JSON so those ops read back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injection_site: Option<String>,
    /// Typed in afterwards from the paper day sheet (issue 17): `administered_at` is the time
    /// written on paper, not when the record was made. Left out of the JSON when false, so
    /// every dose recorded at a kiosk re-serialises byte for byte.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub back_entered: bool,
}

/// A doctor's decision to give a dose against the rules the booth named.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DoctorOverride {
    /// 医師名.
    pub doctor: String,
    /// Why, in words.
    pub reason: String,
    /// The rules overridden (`duplicate_dose`, `vial_past_clock`, …), at least one.
    pub rules: Vec<String>,
}

/// A check-in at reception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    /// The resident.
    pub resident: VoucherNumber,
    /// Which dose the resident came for.
    pub dose_number: u8,
    /// Where.
    pub venue: VenueCode,
    /// The band the resident came for, if any.
    pub band: Option<TimeBandId>,
    /// When, in local venue time.
    pub at: NaiveDateTime,
    /// Typed in afterwards from the paper day sheet (issue 17): `at` is the time written on
    /// paper. Left out of the JSON when false, so every kiosk check-in re-serialises byte for
    /// byte.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub back_entered: bool,
}

/// A change of vial state for one lot at one venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockEvent {
    /// Where.
    pub venue: VenueCode,
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// When, in local venue time (a back-entered event carries the time it happened).
    pub at: NaiveDateTime,
    /// What happened.
    pub change: StockChange,
}

/// A call to a standby resident, logged (grow-only; a wrong entry is corrected by logging
/// the call again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandbyCall {
    /// Who was called.
    pub resident: VoucherNumber,
    /// From which venue.
    pub venue: VenueCode,
    /// When, in local venue time.
    pub at: NaiveDateTime,
    /// What came of it.
    pub outcome: CallOutcome,
}

/// A logged call or visit (grow-only). Every field after `note` is absent on the wire when it
/// holds its default, so inquiries written before the fields existed read, and re-serialise,
/// unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inquiry {
    /// Who it was about.
    pub resident: VoucherNumber,
    /// What was said and done.
    pub note: String,
    /// How it came in (phone by default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub channel: InquiryChannel,
    /// What it was about (その他 by default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub topic: InquiryTopic,
    /// The staff member who took it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
    /// Someone must get back to the resident.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_up_needed: bool,
    /// Who should (a name or a desk); empty when anyone may.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub follow_up_by: String,
    /// The earlier inquiry whose follow-up this one completes. A follow-up is open while no
    /// inquiry names it here: a grow-only set, so replicas agree whatever order they see the
    /// two in (docs/sync-spec.md §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_done: Option<OpId>,
    /// When the call was taken, in local time, for an inquiry logged before its ledger
    /// replicated and published at enrolment. Absent (and left out of the JSON) for one
    /// published as it is logged: the op's own clock says when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<NaiveDateTime>,
}

impl Inquiry {
    /// A phone inquiry about `topic`, with no follow-up.
    pub fn new(resident: VoucherNumber, topic: InquiryTopic, note: impl Into<String>) -> Self {
        Self {
            resident,
            note: note.into(),
            channel: InquiryChannel::default(),
            topic,
            operator: String::new(),
            follow_up_needed: false,
            follow_up_by: String::new(),
            follow_up_done: None,
            received_at: None,
        }
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// The kinds of event a void can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A dose.
    Dose,
    /// A check-in.
    CheckIn,
    /// A stock event.
    Stock,
    /// An inquiry.
    Inquiry,
}

/// Marks an event as mistaken.
///
/// The void names the kind of its target so that the role check can be made on the op alone
/// (a booth may void doses, not stock events); a void whose named kind does not match its
/// target has no effect and raises an alert.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Void {
    /// The op that recorded the event.
    pub target: OpId,
    /// What kind of event the target is.
    pub target_kind: EventKind,
    /// Why, for the audit trail.
    pub reason: String,
}

/// A time band as HQ defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeBandDef {
    /// Its id.
    pub band: TimeBandId,
    /// The venue.
    pub venue: VenueCode,
    /// The day.
    pub date: NaiveDate,
    /// Start.
    pub start: NaiveTime,
    /// End.
    pub end: NaiveTime,
    /// How many (resident, dose) bookings it can take.
    pub capacity: u32,
    /// HQ closed the band (or cut its whole venue day): it takes no new bookings, and the
    /// bookings it holds stay until HQ reshuffles them. Absent on the wire when open, so ops
    /// written before the field existed read, and re-serialise, unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
}

/// HQ's delivery of one venue day (docs/sync-spec.md §12): the vials of a product the venue
/// receives for that day (Maizuru kept the vaccine frozen centrally and delivered each venue
/// per day). Last writer wins per `(venue, date)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplyDef {
    /// The venue.
    pub venue: VenueCode,
    /// The day.
    pub date: NaiveDate,
    /// The product delivered (catalogue code; its doses per vial turn vials into doses).
    /// Empty, and left out of the JSON, when the entry is removed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub product: String,
    /// Vials delivered; `Some(0)`: nothing that day, so nobody can be booked. `None`: HQ
    /// removed the entry, and the day is not limited. Carried as `null` on the wire, so a
    /// removal says so explicitly.
    pub vials: Option<u32>,
}

/// A venue as HQ defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueDef {
    /// Its code.
    pub code: VenueCode,
    /// 会場名.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Where it is.
    pub location: Coordinates,
    /// 集団接種会場 or 医療機関, when HQ said. Absent on the wire when not known, so ops written
    /// before the field existed read, and re-serialise, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<VenueKind>,
}

impl From<&Venue> for VenueDef {
    /// The op that defines a venue as the ledger holds it.
    fn from(v: &Venue) -> Self {
        Self {
            code: VenueCode::new(v.code.clone()),
            name: v.name.clone(),
            address: v.address.clone(),
            location: v.location,
            kind: None,
        }
    }
}

impl From<&TimeBand> for TimeBandDef {
    /// The op that defines a band: its id is its slot (venue, day, start).
    fn from(b: &TimeBand) -> Self {
        let venue = VenueCode::new(b.venue_code.clone());
        Self {
            band: TimeBandId::for_slot(&venue, b.date, b.start),
            venue,
            date: b.date,
            start: b.start,
            end: b.end,
            capacity: b.capacity,
            closed: false,
        }
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;

    fn op(kind: OpKind) -> Op {
        Op {
            id: OpId {
                replica: ReplicaId::from_u128(1),
                counter: 1,
            },
            hlc: Hlc::new(1, 0),
            kind,
            sig: None,
        }
    }

    fn voucher() -> VoucherNumber {
        VoucherNumber::parse("0000000007").expect("valid voucher")
    }

    fn booking(band: Option<TimeBandId>, product: &str) -> OpKind {
        let mut clock = VClock::new();
        crdts::CmRDT::apply(&mut clock, crdts::Dot::new(ReplicaId::from_u128(1), 1));
        OpKind::Book(Booking {
            resident: voucher(),
            dose_number: 1,
            band,
            product: product.into(),
            cause: BookingCause::Assign,
            clock,
        })
    }

    #[test]
    fn a_resident_op_must_set_at_least_one_field_and_each_only_once() {
        let empty = OpKind::SetResidentFields {
            resident: voucher(),
            fields: vec![],
        };
        assert_eq!(op(empty).validate(), Err(InvalidOp::NoFields));
        let twice = OpKind::SetResidentFields {
            resident: voucher(),
            fields: vec![
                ResidentField::Name("甲".into()),
                ResidentField::Name("乙".into()),
            ],
        };
        assert_eq!(
            op(twice).validate(),
            Err(InvalidOp::RepeatedField(FieldName::Name))
        );
    }

    #[test]
    fn a_booking_names_its_product_unless_it_cancels() {
        let band = Some(TimeBandId::from_u128(3));
        assert_eq!(
            op(booking(band, "")).validate(),
            Err(InvalidOp::EmptyText("product"))
        );
        assert_eq!(op(booking(band, "comirnaty")).validate(), Ok(()));
        assert_eq!(op(booking(None, "")).validate(), Ok(()));
    }

    #[test]
    fn band_and_venue_ops_written_before_closed_and_kind_read_and_reserialise_unchanged() {
        let old_band = r#"{"type":"define_time_band","band":"00000000-0000-0000-0000-000000000003","venue":"V01","date":"2021-06-01","start":"09:00:00","end":"09:30:00","capacity":20}"#;
        let kind: OpKind = serde_json::from_str(old_band).expect("an old band op reads");
        let OpKind::DefineTimeBand(def) = &kind else {
            panic!("not a band: {kind:?}");
        };
        assert!(!def.closed, "a band op without the field is open");
        assert_eq!(serde_json::to_string(&kind).expect("serialises"), old_band);

        let closed = OpKind::DefineTimeBand(TimeBandDef {
            closed: true,
            ..def.clone()
        });
        let text = serde_json::to_string(&closed).expect("serialises");
        assert!(text.ends_with(r#""capacity":20,"closed":true}"#), "{text}");
        assert_eq!(
            serde_json::from_str::<OpKind>(&text).expect("reads"),
            closed
        );

        let old_venue = r#"{"type":"define_venue","code":"V01","name":"会館","address":"市","location":{"lat":35.4,"lon":135.3}}"#;
        let kind: OpKind = serde_json::from_str(old_venue).expect("an old venue op reads");
        assert!(matches!(&kind, OpKind::DefineVenue(v) if v.kind.is_none()));
        assert_eq!(serde_json::to_string(&kind).expect("serialises"), old_venue);
    }

    #[test]
    fn inquiry_ops_written_before_the_call_centre_fields_read_and_reserialise_unchanged() {
        let old = r#"{"type":"inquiry","resident":"0000000001","note":"電話あり"}"#;
        let kind: OpKind = serde_json::from_str(old).expect("an old inquiry op reads");
        let OpKind::Inquiry(i) = &kind else {
            panic!("not an inquiry: {kind:?}");
        };
        assert_eq!(
            (i.channel, i.topic, i.follow_up_needed, i.follow_up_done),
            (InquiryChannel::Phone, InquiryTopic::Other, false, None),
            "absent fields read as their defaults"
        );
        assert_eq!(serde_json::to_string(&kind).expect("serialises"), old);

        let full = OpKind::Inquiry(Inquiry {
            channel: InquiryChannel::Counter,
            operator: "コール 花子".into(),
            follow_up_needed: true,
            follow_up_by: "保健師".into(),
            follow_up_done: Some(OpId {
                replica: ReplicaId::from_u128(4),
                counter: 2,
            }),
            ..Inquiry::new(voucher(), InquiryTopic::SideEffects, "発熱")
        });
        let text = serde_json::to_string(&full).expect("serialises");
        assert!(
            text.contains(r#""channel":"counter","topic":"side_effects","operator":"コール 花子","follow_up_needed":true,"follow_up_by":"保健師","follow_up_done":"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<OpKind>(&text).expect("reads"), full);
        assert!(full.validate(ReplicaId::from_u128(4)).is_ok());
        let long_operator = OpKind::Inquiry(Inquiry {
            operator: "x".repeat(MAX_SHORT_TEXT + 1),
            ..Inquiry::new(voucher(), InquiryTopic::Other, "n")
        });
        assert!(long_operator.validate(ReplicaId::from_u128(4)).is_err());
    }

    #[test]
    fn a_check_in_names_a_dose_number_in_range() {
        let check_in = |dose_number| {
            OpKind::CheckIn(CheckIn {
                resident: voucher(),
                dose_number,
                venue: VenueCode::new("V01"),
                band: None,
                at: NaiveDate::from_ymd_opt(2021, 6, 1)
                    .and_then(|d| d.and_hms_opt(9, 0, 0))
                    .expect("valid time"),
                back_entered: false,
            })
        };
        assert_eq!(op(check_in(0)).validate(), Err(InvalidOp::DoseNumber(0)));
        assert_eq!(op(check_in(2)).validate(), Ok(()));
    }
}

/// A staff member as HQ registers them. The PIN and the card secret travel only as Argon2id
/// hashes (PHC strings), so a kiosk can check a sign-in offline without holding either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDef {
    /// The staff code HQ gives (printed on the card), unique in the city.
    pub code: String,
    /// 氏名.
    pub name: String,
    /// The venue they work at; `None` for HQ staff.
    pub venue: Option<VenueCode>,
    /// What they do there.
    pub role: vax_domain::role::Role,
    /// Argon2id hash of the PIN, when they sign in with one.
    pub pin_hash: Option<String>,
    /// Argon2id hash of the secret on their staff card, when they have one.
    pub card_hash: Option<String>,
    /// Whether they may sign in (HQ switches it off when someone leaves).
    pub active: bool,
}

/// What an audited action was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A resident's record was shown (search result, card).
    Lookup,
    /// A check-in.
    CheckIn,
    /// A dose was recorded.
    Dose,
    /// A doctor overrode a rule to record a dose.
    Override,
    /// A record was voided (a dose, a check-in cancelled, a stock event).
    Void,
    /// A booking was moved or cancelled.
    Rebook,
    /// Records left the ledger in a file (VRS export, CSV, lists).
    Export,
    /// A document about a resident was printed.
    Print,
    /// A staff member signed in at a device.
    SignIn,
    /// A staff member signed out (or the device locked itself).
    SignOut,
    /// A stock movement: delivery, thaw, vial opened, waste, transfer, correction, close-out,
    /// a logger's import, a quarantine (the detail names which).
    Stock,
    /// A resident's contact details were corrected (the call centre).
    Correct,
}

impl AuditAction {
    /// Every action, in the order the search screen lists them.
    pub const ALL: [AuditAction; 12] = [
        Self::Lookup,
        Self::CheckIn,
        Self::Dose,
        Self::Override,
        Self::Void,
        Self::Rebook,
        Self::Export,
        Self::Print,
        Self::SignIn,
        Self::SignOut,
        Self::Stock,
        Self::Correct,
    ];

    /// The code stored in the ledger (`check_in`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Lookup => "lookup",
            Self::CheckIn => "check_in",
            Self::Dose => "dose",
            Self::Override => "override",
            Self::Void => "void",
            Self::Rebook => "rebook",
            Self::Export => "export",
            Self::Print => "print",
            Self::SignIn => "sign_in",
            Self::SignOut => "sign_out",
            Self::Stock => "stock",
            Self::Correct => "correct",
        }
    }

    /// Reads [`AuditAction::code`] back.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// One entry of the audit trail. The device is the op's author (its signature proves it);
/// the staff member is the one signed in there, or `None` where no staff are registered yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// What was done.
    pub action: AuditAction,
    /// Who, by staff code.
    pub staff: Option<String>,
    /// Where.
    pub venue: Option<VenueCode>,
    /// Whose record.
    pub resident: Option<VoucherNumber>,
    /// Which record (the op id of a dose or check-in, a file name), when there is one.
    pub record: Option<String>,
    /// When, in local time, as the device recorded it.
    pub at: NaiveDateTime,
    /// A few words more (the rules a doctor overrode, a void's reason); may be empty.
    pub detail: String,
}
