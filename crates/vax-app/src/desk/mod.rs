//! The venue kiosk: enrollment, reception, booth and the venue's day.
//!
//! Every function takes the installation's [`Enrollment`] (which venue, which role) and
//! `now`; the rules of the desk (warnings, duplicate doses, intervals, observation) live
//! here and nowhere else, so the Tauri commands only translate.

mod booth;
pub mod camera;
mod day;
mod reception;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use thiserror::Error;
use vax_domain::eligibility::EligibilityError;
use vax_domain::role::Role;
use vax_domain::voucher::{MunicipalityCode, VoucherError};
use vax_ledger::{DoseView, Ledger, LedgerError, VenueRow};

pub use booth::{
    booth_queue, observations, open_lot, record_dose, DoseOverride, Observation, QueueEntry,
    RecordDose, RecordedDose,
};
pub use day::{venue_day_summary, BandSummary, DaySummary};
pub use reception::{cancel_check_in, check_in, desk_find, CheckInDone, DeskCard, Warning};

/// Which venue and role this installation serves, and the municipality running the campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Enrollment {
    /// The venue's code.
    pub venue_code: String,
    /// The role.
    pub role: Role,
    /// The campaign's municipality: vouchers of others are flagged.
    pub municipality: MunicipalityCode,
}

const KEY_VENUE: &str = "enrollment.venue";
const KEY_ROLE: &str = "enrollment.role";
const KEY_MUNICIPALITY: &str = "enrollment.municipality";

/// Why a desk action did not happen. [`DeskError::code`] is what the UI branches on.
#[derive(Debug, Error)]
pub enum DeskError {
    /// The installation is not enrolled to a venue yet.
    #[error("this installation is not enrolled to a venue")]
    NotEnrolled,
    /// The enrolled role may not do this.
    #[error("the {role:?} role may not {action}")]
    RoleMayNot {
        /// The role.
        role: Role,
        /// What was attempted.
        action: &'static str,
    },
    /// A malformed voucher.
    #[error("voucher: {0}")]
    Voucher(#[from] VoucherError),
    /// The resident is checked in already today.
    #[error("already checked in today at {at}")]
    AlreadyCheckedIn {
        /// When.
        at: DateTime<FixedOffset>,
    },
    /// Every dose of the series is given.
    #[error("the series is complete: no further dose is due")]
    SeriesComplete,
    /// A valid dose with this number exists.
    #[error("dose {dose_number} was already given on {}", existing.administered_at.format("%Y-%m-%d %H:%M"))]
    DuplicateDose {
        /// The dose number.
        dose_number: u8,
        /// The existing record.
        existing: Box<DoseView>,
    },
    /// The interval since the previous dose is not reached.
    #[error("dose {dose_number} may not be given before {earliest}")]
    IntervalNotReached {
        /// The dose number.
        dose_number: u8,
        /// The earliest day.
        earliest: chrono::NaiveDate,
    },
    /// The dose number is not the one due.
    #[error("dose {requested} requested but dose {due} is due")]
    DoseOutOfOrder {
        /// What was requested.
        requested: u8,
        /// What is due.
        due: u8,
    },
    /// The lot is not open at this venue today.
    #[error("lot is not open at this venue today")]
    LotNotOpen,
    /// A required reason or name is missing or too long.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The dose history cannot be evaluated.
    #[error(transparent)]
    Eligibility(#[from] EligibilityError),
    /// The ledger failed; nothing was written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl DeskError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotEnrolled => "NOT_ENROLLED",
            Self::RoleMayNot { .. } => "ROLE_MAY_NOT",
            Self::Voucher(_) => "BAD_VOUCHER",
            Self::AlreadyCheckedIn { .. } => "ALREADY_CHECKED_IN",
            Self::SeriesComplete => "SERIES_COMPLETE",
            Self::DuplicateDose { .. } => "DUPLICATE_DOSE",
            Self::IntervalNotReached { .. } => "INTERVAL_NOT_REACHED",
            Self::DoseOutOfOrder { .. } => "DOSE_OUT_OF_ORDER",
            Self::LotNotOpen => "LOT_NOT_OPEN",
            Self::Invalid { .. } => "INVALID_INPUT",
            Self::Eligibility(_) => "ELIGIBILITY",
            Self::Ledger(LedgerError::Missing { .. }) => "NOT_FOUND",
            Self::Ledger(_) => "LEDGER",
        }
    }

    /// The message in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            Self::NotEnrolled => "この端末は会場に登録されていません".into(),
            Self::RoleMayNot { .. } => "この端末の役割ではこの操作はできません".into(),
            Self::Voucher(e) => e.message_ja(),
            Self::AlreadyCheckedIn { at } => format!("本日{}に受付済みです", at.format("%H:%M")),
            Self::SeriesComplete => "接種はすべて完了しています".into(),
            Self::DuplicateDose {
                dose_number,
                existing,
            } => format!(
                "{dose_number}回目は{}に接種済みです（{}）",
                existing.administered_at.format("%Y-%m-%d %H:%M"),
                existing.venue_name
            ),
            Self::IntervalNotReached {
                dose_number,
                earliest,
            } => {
                format!("{dose_number}回目は{earliest}より前には接種できません")
            }
            Self::DoseOutOfOrder { requested, due } => {
                format!("{requested}回目を記録しようとしていますが、接種対象は{due}回目です")
            }
            Self::LotNotOpen => "このロットは本日この会場で使用登録されていません".into(),
            Self::Invalid { field, problem } => format!("{field}: {problem}"),
            Self::Eligibility(e) => e.to_string(),
            Self::Ledger(LedgerError::Missing { .. }) => "対象が見つかりません".into(),
            Self::Ledger(e) => format!("台帳エラー: {e}"),
        }
    }
}

impl From<crate::lookup::LookupError> for DeskError {
    fn from(e: crate::lookup::LookupError) -> Self {
        use crate::lookup::LookupError;
        match e {
            LookupError::Voucher(e) => Self::Voucher(e),
            LookupError::NotKana => Self::Invalid {
                field: "kana",
                problem: "needs kana / カナで入力してください",
            },
            LookupError::PhoneTooShort => Self::Invalid {
                field: "phone",
                problem: "needs 4 digits or more / 4桁以上入力してください",
            },
            LookupError::Eligibility(e) => Self::Eligibility(e),
            LookupError::Ledger(e) => Self::Ledger(e),
        }
    }
}

/// The installation's enrollment, if it has one.
pub fn enrollment(ledger: &Ledger) -> Result<Option<Enrollment>, DeskError> {
    let r = ledger.reader();
    let (Some(venue_code), Some(role), Some(muni)) = (
        r.setting(KEY_VENUE)?,
        r.setting(KEY_ROLE)?,
        r.setting(KEY_MUNICIPALITY)?,
    ) else {
        return Ok(None);
    };
    let corrupt = |field: &'static str, problem: String| LedgerError::Corrupt {
        table: "device_settings",
        id: 0,
        field,
        problem,
    };
    Ok(Some(Enrollment {
        role: Role::from_code(&role).ok_or_else(|| corrupt("enrollment.role", role.clone()))?,
        municipality: MunicipalityCode::parse(&muni)
            .map_err(|e| corrupt("enrollment.municipality", e.to_string()))?,
        venue_code,
    }))
}

/// Enrolls the installation to a venue and a role.
pub fn enroll(
    ledger: &mut Ledger,
    venue_code: &str,
    role: Role,
    municipality: &MunicipalityCode,
) -> Result<Enrollment, DeskError> {
    ledger.reader().venue(venue_code)?;
    let tx = ledger.transaction()?;
    tx.set_setting(KEY_VENUE, venue_code)?;
    tx.set_setting(KEY_ROLE, role.code())?;
    tx.set_setting(KEY_MUNICIPALITY, municipality.as_str())?;
    tx.commit()?;
    Ok(Enrollment {
        venue_code: venue_code.to_owned(),
        role,
        municipality: municipality.clone(),
    })
}

/// The enrolled venue's row, or `NotEnrolled`.
fn venue_of(ledger: &Ledger, enrollment: &Enrollment) -> Result<VenueRow, DeskError> {
    Ok(ledger.reader().venue(&enrollment.venue_code)?)
}

/// Trims a required free-text field and checks its length in characters.
fn required(value: &str, field: &'static str, max: usize) -> Result<String, DeskError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DeskError::Invalid {
            field,
            problem: "is required / 必須です",
        });
    }
    if v.chars().count() > max {
        return Err(DeskError::Invalid {
            field,
            problem: "is too long / 長すぎます",
        });
    }
    Ok(v.to_owned())
}
