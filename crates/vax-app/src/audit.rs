//! The audit trail: who (staff, device) did what (action, resident, record), where (venue)
//! and when — an append-only log that replicates to HQ (docs/audit.md).
//!
//! Every audited action calls [`record`] in the transaction that makes its change (or
//! [`record_now`] when it changes nothing else: a lookup, a print, an export), after asking
//! [`actor`] who acts — which is also where the rollout rule of [`crate::staff`] refuses an
//! action at a venue with staff registered and nobody signed in. The device is the op's
//! author, so its signature proves which device wrote the entry.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::clock::jst;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::role::Role;
use vax_domain::voucher::VoucherNumber;
use vax_ledger::{AuditQuery, AuditRow, Ledger, LedgerError, Reader, WriteTx};
use vax_sync::{AuditEntry, VenueCode};

/// What an audited action was (`lookup`, `check_in`, `dose`, …): the op's own list.
pub use vax_sync::AuditAction;

use crate::desk::{DeskError, Enrollment};
use crate::staff::{self, StaffError};

/// Who acts: the signed-in staff member (if any) at a venue (if a venue device).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    staff: Option<String>,
    venue: Option<String>,
}

impl Actor {
    /// The device alone, with no venue: HQ's command line.
    pub fn device() -> Self {
        Self {
            staff: None,
            venue: None,
        }
    }

    pub(crate) fn staff_at(code: &str, venue: &str, role: Role) -> Self {
        Self {
            staff: Some(code.to_owned()),
            venue: (!role.runs_the_campaign()).then(|| venue.to_owned()),
        }
    }

    /// The staff code, when a staff member acts.
    pub fn staff(&self) -> Option<&str> {
        self.staff.as_deref()
    }
}

/// Whose record an action touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct About {
    /// The resident.
    pub resident: Option<VoucherNumber>,
    /// The record: a dose's or check-in's id, a file name.
    pub record: Option<String>,
    /// A few words more (the rules a doctor overrode, a void's reason); at most 200
    /// characters are kept.
    pub detail: String,
}

impl About {
    /// About one resident.
    pub fn resident(voucher: &VoucherNumber) -> Self {
        Self {
            resident: Some(voucher.clone()),
            ..Self::default()
        }
    }

    /// About one record of one resident.
    pub fn record(voucher: &VoucherNumber, record: &str) -> Self {
        Self {
            resident: Some(voucher.clone()),
            record: Some(record.to_owned()),
            ..Self::default()
        }
    }

    /// With a few words more.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// Who acts at this installation now. At a venue with staff registered, a signed-in staff
/// member is required ([`StaffError::SignInRequired`]); elsewhere the device acts, named
/// with the staff member when one is signed in.
pub fn actor(
    reader: &Reader<'_>,
    enrollment: &Enrollment,
    now: DateTime<FixedOffset>,
) -> Result<Actor, StaffError> {
    if let Some(signed) = staff::current(reader, enrollment, now)? {
        return Ok(Actor::staff_at(
            &signed.code,
            &enrollment.venue_code,
            enrollment.role,
        ));
    }
    if staff::sign_in_required(reader, enrollment)? {
        return Err(StaffError::SignInRequired {
            venue: enrollment.venue_code.clone(),
        });
    }
    Ok(Actor {
        staff: None,
        venue: (!enrollment.role.runs_the_campaign()).then(|| enrollment.venue_code.clone()),
    })
}

/// Who acts at this installation, whatever it is: [`actor`] for an enrolled installation,
/// the device alone for one that is not (HQ's command line).
pub fn actor_here(ledger: &Ledger, now: DateTime<FixedOffset>) -> Result<Actor, StaffError> {
    match crate::desk::enrollment(ledger) {
        Ok(Some(e)) => actor(&ledger.reader(), &e, now),
        Ok(None) => Ok(Actor::device()),
        Err(DeskError::Ledger(e)) => Err(e.into()),
        Err(_) => Ok(Actor::device()),
    }
}

/// The actor of an HQ-only action: HQ never needs a sign-in, so only the ledger can fail.
pub fn hq_actor(ledger: &Ledger, now: DateTime<FixedOffset>) -> Result<Actor, LedgerError> {
    match actor_here(ledger, now) {
        Ok(actor) => Ok(actor),
        Err(StaffError::Ledger(e)) => Err(e),
        Err(_) => Ok(Actor::device()),
    }
}

/// Appends one entry to the audit trail in `tx` — the one call every audited action makes —
/// and keeps the staff member's session open. Returns the entry's id.
pub fn record(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    action: AuditAction,
    about: &About,
    now: DateTime<FixedOffset>,
) -> Result<String, LedgerError> {
    let detail: String = about.detail.chars().take(200).collect();
    let uid = tx.record_audit(&AuditEntry {
        action,
        staff: actor.staff.clone(),
        venue: actor.venue.as_deref().map(VenueCode::new),
        resident: about.resident.clone(),
        record: about.record.clone(),
        at: now.naive_local(),
        detail,
    })?;
    if actor.staff.is_some() {
        staff::touch(tx, now)?;
    }
    Ok(uid)
}

/// [`actor`] then [`record`] in a transaction of its own, for an action that changes nothing
/// else (a lookup, a print, an export). One entry per resident; none when `residents` is empty.
pub fn record_now(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    action: AuditAction,
    abouts: &[About],
    now: DateTime<FixedOffset>,
) -> Result<(), StaffError> {
    let actor = actor(&ledger.reader(), enrollment, now)?;
    if abouts.is_empty() {
        return Ok(());
    }
    let mut tx = ledger.transaction()?;
    for about in abouts {
        record(&mut tx, &actor, action, about, now)?;
    }
    tx.commit()?;
    Ok(())
}

/// [`actor_here`] then [`record`] in a transaction of its own: for an action that changes
/// nothing else, on any installation (HQ's command line included). One entry per `about`.
pub fn record_here(
    ledger: &mut Ledger,
    action: AuditAction,
    abouts: &[About],
    now: DateTime<FixedOffset>,
) -> Result<(), StaffError> {
    let actor = actor_here(ledger, now)?;
    let mut tx = ledger.transaction()?;
    for about in abouts {
        record(&mut tx, &actor, action, about, now)?;
    }
    tx.commit()?;
    Ok(())
}

/// What HQ searches the trail for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditSearch {
    /// The resident: a voucher number (10 digits) or the ledger's resident id.
    pub resident: Option<String>,
    /// A staff code.
    pub staff: Option<String>,
    /// From this day on (Japan time).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub from: Option<NaiveDate>,
    /// Up to and including this day.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub to: Option<NaiveDate>,
}

/// The most entries one search returns.
pub const SEARCH_LIMIT: u32 = 1_000;

/// Why a search did not happen.
#[derive(Debug, Error)]
pub enum AuditError {
    /// Only HQ reads the trail (it is personal data itself).
    #[error("only headquarters searches the audit trail")]
    HqOnly,
    /// The resident given is neither a voucher number nor a resident id known here.
    #[error("no resident {0}")]
    UnknownResident(String),
    /// The range ends before it starts.
    #[error("the search range ends before it starts")]
    BadRange,
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UserFacing for AuditError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::HqOnly => ErrorCode::HqOnly,
            Self::UnknownResident(_) => ErrorCode::NotFound,
            Self::BadRange => ErrorCode::InvalidInput,
            Self::Ledger(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::HqOnly => "操作記録の検索は本部のみが行えます".into(),
            Self::UnknownResident(r) => format!("住民 {r} は見つかりません"),
            Self::BadRange => "検索期間の終わりが始まりより前です".into(),
            Self::Ledger(e) => e.message_ja(),
        }
    }
}

/// Searches the trail, newest first (at most [`SEARCH_LIMIT`] entries): "who looked at this
/// resident's record?" HQ only.
pub fn search(
    ledger: &Ledger,
    role: Role,
    search: &AuditSearch,
) -> Result<Vec<AuditRow>, AuditError> {
    if !role.runs_the_campaign() {
        return Err(AuditError::HqOnly);
    }
    let reader = ledger.reader();
    let resident = match search.resident.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(resident_voucher(&reader, text)?),
    };
    if let (Some(from), Some(to)) = (search.from, search.to) {
        if to < from {
            return Err(AuditError::BadRange);
        }
    }
    let day_start = |d: NaiveDate| {
        jst()
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .single()
    };
    Ok(reader.audit_search(&AuditQuery {
        resident,
        staff: search
            .staff
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        from: search.from.and_then(day_start),
        to: search.to.and_then(|d| d.succ_opt()).and_then(day_start),
        limit: SEARCH_LIMIT,
    })?)
}

fn resident_voucher(reader: &Reader<'_>, text: &str) -> Result<String, AuditError> {
    if let Ok(voucher) = VoucherNumber::parse(text) {
        return Ok(voucher.to_string());
    }
    let unknown = || AuditError::UnknownResident(text.to_owned());
    let id: i64 = text
        .trim_start_matches('#')
        .parse()
        .map_err(|_| unknown())?;
    match reader.resident(id) {
        Ok(r) => Ok(r.resident.voucher.to_string()),
        Err(LedgerError::Missing { .. }) => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}
