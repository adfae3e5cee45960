//! The venue kiosk: enrollment, reception, booth and the venue's day.
//!
//! Every function takes the installation's [`Enrollment`] (which venue, which role) and
//! `now`; the rules of the desk (warnings, duplicate doses, intervals, observation) live
//! here and nowhere else, so the Tauri commands only translate.

mod booth;
pub mod camera;
mod day_progress;
pub mod paper;
pub mod paper_sheet;
mod reception;
mod setup;
mod walk_in;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use thiserror::Error;
use vax_domain::eligibility::EligibilityError;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::role::Role;
use vax_domain::voucher::{MunicipalityCode, VoucherError};
use vax_ledger::{DoseView, Ledger, LedgerError, VenueRow};

use crate::lookup::QueryError;

pub use booth::{
    booth_queue, observations, open_lot, open_lots, record_dose, DoseOverride, Observation,
    QueueEntry, RecordDose, RecordedDose,
};
pub use day_progress::{venue_day_summary, BandSummary, DaySummary};
pub use reception::{cancel_check_in, check_in, desk_find, CheckInDone, DeskCard, Warning};
pub use setup::{enroll_here, product_choices, setup_status, ProductChoice, SetupStatus};
pub use walk_in::{desk_find_online, walk_in_of, WalkInStep};

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
    /// The installation replicates: its venue and role come from its enrollment with the
    /// sync server, not from its setup screen.
    #[error("this installation is enrolled by the sync server; its venue and role are set by HQ")]
    EnrolledByServer,
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
    /// The resident is younger than the product is approved for on the day.
    #[error("{age} years old: {product} is approved from {min_age} on this day")]
    BelowMinimumAge {
        /// The resident's age on the day.
        age: u32,
        /// The youngest approved age on the day.
        min_age: u32,
        /// The product's Japanese name.
        product: String,
    },
    /// The lot is not open at this venue today.
    #[error("lot is not open at this venue today")]
    LotNotOpen,
    /// The vial the dose would come from is past its clock.
    #[error("the open vial's clock ran out at {use_by}")]
    VialPastClock {
        /// End of the clock.
        use_by: chrono::NaiveDateTime,
    },
    /// The lot is quarantined.
    #[error("the lot is quarantined: {reason}")]
    LotQuarantined {
        /// Why.
        reason: String,
    },
    /// The lot is past its expiry date.
    #[error("the lot expired on {expires_on}")]
    LotExpired {
        /// Its expiry date.
        expires_on: chrono::NaiveDate,
    },
    /// No vial of the lot has doses left and none is thawed to open.
    #[error("no vial of this lot has doses left and none is thawed to open")]
    NoVialLeft,
    /// A required reason or name is missing or too long.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The search text is not something the desk can search by.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The dose history cannot be evaluated.
    #[error(transparent)]
    Eligibility(#[from] EligibilityError),
    /// The ledger failed; nothing was written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Nobody is signed in where staff must be (docs/audit.md).
    #[error(transparent)]
    Staff(#[from] crate::staff::StaffError),
    /// A walk-in from another municipality whose record could not be fetched (no network,
    /// or the server refused the lookup): nothing was written (docs/sync-spec.md §7b). At the
    /// desk the dose may still be given and written on the paper day sheet, which back-entry
    /// records once the network is back.
    #[error("{}", walk_in_offline_en(municipality, *step, *refused_by_server, detail))]
    WalkInOffline {
        /// The voucher's 市町村コード.
        municipality: String,
        /// Where the record was needed.
        step: WalkInStep,
        /// The server answered and refused the lookup (its lookup bucket spent, a revoked
        /// token…) rather than being out of reach.
        refused_by_server: bool,
        /// What failed, for the log.
        detail: String,
    },
    /// A walk-in from another municipality whom the sync server does not know.
    #[error(
        "a resident of another municipality ({municipality}): the sync server holds no record \
         of this voucher. Check the number on the voucher and ask the issuing municipality; \
         nothing was recorded"
    )]
    WalkInUnknown {
        /// The voucher's 市町村コード.
        municipality: String,
    },
}

/// The English of [`DeskError::WalkInOffline`].
fn walk_in_offline_en(
    municipality: &str,
    step: WalkInStep,
    refused_by_server: bool,
    detail: &str,
) -> String {
    let why = if refused_by_server {
        "the sync server refused to look it up"
    } else {
        "the sync server cannot be reached"
    };
    let again = if refused_by_server {
        "later"
    } else {
        "once the network is back"
    };
    match step {
        WalkInStep::AtDesk => format!(
            "a resident of another municipality ({municipality}): their vaccination record \
             cannot be checked because {why}. Check the doses on their vaccination certificate \
             (接種済証) and ask the venue's doctor before giving one. If the dose is given, \
             write it on a blank row of the paper day sheet and keep the screening form with \
             the voucher; {again}, scan the voucher's QR at back-entry to record it. Nothing \
             was recorded now ({detail})"
        ),
        WalkInStep::BackEntry => format!(
            "a resident of another municipality ({municipality}): their vaccination record \
             cannot be fetched because {why}, so this row cannot be recorded yet. Keep the \
             sheet and the screening form and enter it again {again}. Nothing was recorded \
             ({detail})"
        ),
    }
}

/// The Japanese of [`DeskError::WalkInOffline`].
fn walk_in_offline_ja(municipality: &str, step: WalkInStep, refused_by_server: bool) -> String {
    let why = if refused_by_server {
        "サーバーが照会を受け付けなかったため"
    } else {
        "通信がつながらないため"
    };
    let again = if refused_by_server {
        "しばらくしてから"
    } else {
        "通信が戻ったら"
    };
    match step {
        WalkInStep::AtDesk => format!(
            "他の市町村（{municipality}）の方です。{why}接種履歴を確認できません。\
             接種済証で接種歴を確認し、接種の可否は会場の医師に相談してください。\
             接種する場合は記録票の空欄の行に書き、接種券を貼った予診票を保管してください。\
             {again}「紙の記録の入力」で接種券のQRを読み取ると記録されます。\
             いまは何も書き込まれていません"
        ),
        WalkInStep::BackEntry => format!(
            "他の市町村（{municipality}）の方です。{why}接種履歴を取得できず、\
             この行を記録できません。記録票と予診票はそのまま保管し、\
             {again}もう一度入力してください。何も書き込まれていません"
        ),
    }
}

impl UserFacing for DeskError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotEnrolled => ErrorCode::NotEnrolled,
            Self::EnrolledByServer => ErrorCode::RoleMayNot,
            Self::RoleMayNot { .. } => ErrorCode::RoleMayNot,
            Self::Voucher(_) => ErrorCode::BadVoucher,
            Self::AlreadyCheckedIn { .. } => ErrorCode::AlreadyCheckedIn,
            Self::SeriesComplete => ErrorCode::SeriesComplete,
            Self::DuplicateDose { .. } => ErrorCode::DuplicateDose,
            Self::IntervalNotReached { .. } => ErrorCode::IntervalNotReached,
            Self::DoseOutOfOrder { .. } => ErrorCode::DoseOutOfOrder,
            Self::BelowMinimumAge { .. } => ErrorCode::BelowMinimumAge,
            Self::LotNotOpen => ErrorCode::LotNotOpen,
            Self::VialPastClock { .. } => ErrorCode::VialPastClock,
            Self::LotQuarantined { .. } => ErrorCode::LotQuarantined,
            Self::LotExpired { .. } => ErrorCode::LotExpired,
            Self::NoVialLeft => ErrorCode::NoVialLeft,
            Self::Invalid { .. } => ErrorCode::InvalidInput,
            Self::Eligibility(_) => ErrorCode::Eligibility,
            Self::Query(e) => e.code(),
            Self::Ledger(e) => e.code(),
            Self::Staff(e) => e.code(),
            Self::WalkInOffline { .. } => ErrorCode::WalkInOffline,
            Self::WalkInUnknown { .. } => ErrorCode::UnknownResident,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::NotEnrolled => "この端末は会場に登録されていません".into(),
            Self::EnrolledByServer => {
                "この端末は同期サーバーで登録済みです。会場と役割は本部が設定します".into()
            }
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
            Self::BelowMinimumAge {
                age,
                min_age,
                product,
            } => format!("{age}歳です。{product}はこの日{min_age}歳以上が対象です"),
            Self::LotNotOpen => "このロットは本日この会場で使用登録されていません".into(),
            Self::VialPastClock { use_by } => format!(
                "開封済みバイアルの使用期限（{}）を過ぎています",
                use_by.format("%m/%d %H:%M")
            ),
            Self::LotQuarantined { reason } => {
                format!("このロットは使用停止（隔離）中です: {reason}")
            }
            Self::LotExpired { expires_on } => {
                format!("このロットは有効期限（{expires_on}）を過ぎています")
            }
            Self::NoVialLeft => {
                "このロットには残量のあるバイアルも開封できる解凍済みバイアルもありません".into()
            }
            Self::Invalid { field, problem } => format!("{field}: {problem}"),
            Self::Eligibility(e) => e.to_string(),
            Self::Query(e) => e.message_ja(),
            Self::Ledger(e) => e.message_ja(),
            Self::Staff(e) => e.message_ja(),
            Self::WalkInOffline {
                municipality,
                step,
                refused_by_server,
                ..
            } => walk_in_offline_ja(municipality, *step, *refused_by_server),
            Self::WalkInUnknown { municipality } => format!(
                "他の市町村（{municipality}）の方ですが、サーバーにこの接種券の記録がありません。\
                 接種券の番号を確かめ、発行した市町村に確認してください。\
                 記録は何も書き込まれていません"
            ),
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

/// The installation's enrollment, or [`DeskError::NotEnrolled`]: what every venue command
/// needs first.
pub fn enrolled(ledger: &Ledger) -> Result<Enrollment, DeskError> {
    enrollment(ledger)?.ok_or(DeskError::NotEnrolled)
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
