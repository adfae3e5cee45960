//! Staff sign-in at the kiosk (docs/audit.md).
//!
//! HQ registers staff — name, venue, role, a short PIN and/or a staff card — as a replicated
//! `define_staff` op; the PIN and the card's secret travel only as Argon2id hashes, so a kiosk
//! checks a sign-in offline. At the kiosk one staff member is signed in at a time: with the
//! code and PIN, or by scanning the card, and the next one takes over by signing in (no
//! sign-out needed, so a busy desk switches in seconds). The session lives in the ledger's
//! device settings and ends after the configured idle minutes ([`crate::config`]).
//!
//! **Rollout rule.** A venue with no active staff registered works as before: the device is
//! the actor. Once HQ registers staff for the venue, every desk action there needs a
//! signed-in staff member ([`StaffError::SignInRequired`]). HQ's own installation never
//! requires it (its staff may still sign in, and are then named in the trail).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::role::Role;
use vax_ledger::{Ledger, LedgerError, Reader, StaffRow};
use vax_sync::{AuditAction, StaffDef, VenueCode};

use crate::audit::{self, About, Actor};
use crate::desk::Enrollment;

/// The staff card's QR payload starts with this tag: `VAXSTAFF1.<code>.<secret>`.
pub const CARD_TAG: &str = "VAXSTAFF1";
/// Failed sign-ins in a row after which the device waits ([`LOCK_SECONDS`]).
pub const MAX_FAILED_SIGN_INS: u32 = 5;
/// How long the device waits after [`MAX_FAILED_SIGN_INS`] failures.
pub const LOCK_SECONDS: i64 = 60;

const KEY_SESSION: &str = "staff.session";
const KEY_FAILURES: &str = "staff.failures";

/// A staff member for HQ to register (or change: the same code replaces them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewStaff {
    /// Staff code, printed on the card: 1–20 letters, digits or `-`.
    pub code: String,
    /// 氏名.
    pub name: String,
    /// The venue they work at; `None` for HQ staff.
    pub venue_code: Option<String>,
    /// What they do.
    pub role: Role,
    /// A PIN of 4 to 8 digits, when they sign in with one.
    pub pin: Option<String>,
    /// Whether to issue a staff card (a new one replaces the old).
    pub card: bool,
}

/// A registered staff member, with the card's QR payload when one was issued now (shown
/// once, to print; the ledger keeps only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisteredStaff {
    /// As stored.
    pub staff: StaffRow,
    /// `VAXSTAFF1.<code>.<secret>`, to print as the card's QR code.
    pub card_payload: Option<String>,
}

/// How a staff member proves who they are at the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Credential {
    /// Staff code and PIN, typed.
    Pin {
        /// Staff code.
        code: String,
        /// PIN.
        pin: String,
    },
    /// The staff card's QR code, scanned.
    Card {
        /// What the scanner read.
        payload: String,
    },
}

/// The staff member signed in at this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignedIn {
    /// Staff code.
    pub code: String,
    /// 氏名.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// When they signed in.
    pub since: DateTime<FixedOffset>,
    /// When the device signs them out unless they act before.
    pub locks_at: DateTime<FixedOffset>,
}

/// The sign-in bar's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StaffStatus {
    /// Whether actions here need a signed-in staff member (staff are registered for the
    /// venue, and this is not HQ).
    pub required: bool,
    /// Who is signed in, if anyone.
    pub signed_in: Option<SignedIn>,
    /// Minutes without an action before the device signs them out.
    pub idle_minutes: u32,
}

/// Why a staff action did not happen.
#[derive(Debug, Error)]
pub enum StaffError {
    /// Only HQ registers staff.
    #[error("only headquarters registers staff")]
    HqOnly,
    /// A field is missing or malformed.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The venue is not known here.
    #[error("no venue {0}")]
    UnknownVenue(String),
    /// The code, PIN or card matches no active staff member who may work here. One error
    /// for all, so the screen does not tell a guesser which part was right.
    #[error("staff code, PIN or card not recognised")]
    SignInFailed,
    /// Too many failures in a row.
    #[error("too many failed sign-ins; try again after {until}")]
    Locked {
        /// When the device takes sign-ins again.
        until: DateTime<FixedOffset>,
    },
    /// Staff are registered for this venue and nobody is signed in (or the session ran out).
    #[error("staff are registered for venue {venue}: sign in first")]
    SignInRequired {
        /// The venue.
        venue: String,
    },
    /// The ledger failed; nothing was written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UserFacing for StaffError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::HqOnly => ErrorCode::HqOnly,
            Self::Invalid { .. } => ErrorCode::InvalidInput,
            Self::UnknownVenue(_) => ErrorCode::NotFound,
            Self::SignInFailed => ErrorCode::StaffSignInFailed,
            Self::Locked { .. } => ErrorCode::StaffSignInLocked,
            Self::SignInRequired { .. } => ErrorCode::StaffSignInRequired,
            Self::Ledger(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::HqOnly => "職員の登録は本部のみが行えます".into(),
            Self::Invalid { field, problem } => format!("{field}: {problem}"),
            Self::UnknownVenue(v) => format!("会場 {v} は登録されていません"),
            Self::SignInFailed => "職員番号・暗証番号または職員カードが確認できません".into(),
            Self::Locked { until } => format!(
                "サインインの失敗が続いたため、{}まで受け付けません",
                until.format("%H:%M:%S")
            ),
            Self::SignInRequired { venue } => {
                format!("会場 {venue} には職員が登録されています。先にサインインしてください")
            }
            Self::Ledger(e) => e.message_ja(),
        }
    }
}

/// Registers (or replaces) a staff member: HQ only. The PIN is kept as an Argon2id hash; a
/// card, when asked for, gets a new random secret whose payload is returned once.
pub fn register_staff(
    ledger: &mut Ledger,
    role: Role,
    new: &NewStaff,
) -> Result<RegisteredStaff, StaffError> {
    if !role.runs_the_campaign() {
        return Err(StaffError::HqOnly);
    }
    let code = new.code.trim();
    if code.is_empty()
        || code.chars().count() > 20
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(StaffError::Invalid {
            field: "staff code / 職員番号",
            problem: "1 to 20 letters, digits or - / 英数字と-で20文字以内",
        });
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(StaffError::Invalid {
            field: "name / 氏名",
            problem: "required, at most 40 characters / 必須・40文字以内",
        });
    }
    let venue = match new.venue_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => {
            ledger
                .reader()
                .venue(v)
                .map_err(|_| StaffError::UnknownVenue(v.to_owned()))?;
            Some(VenueCode::new(v))
        }
    };
    let pin_hash = match new.pin.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(pin) if (4..=8).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit()) => {
            Some(hash(pin.as_bytes())?)
        }
        Some(_) => {
            return Err(StaffError::Invalid {
                field: "PIN / 暗証番号",
                problem: "4 to 8 digits / 4〜8桁の数字",
            })
        }
    };
    let (card_payload, card_hash) = if new.card {
        let mut secret = [0u8; 16];
        rand::fill(&mut secret[..]);
        let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        (
            Some(format!("{CARD_TAG}.{code}.{secret}")),
            Some(hash(secret.as_bytes())?),
        )
    } else {
        // Changing a staff member without a new card keeps the card they have.
        let held = ledger.reader().staff(code)?.and_then(|s| s.card_hash);
        (None, held)
    };
    if pin_hash.is_none() && card_hash.is_none() {
        return Err(StaffError::Invalid {
            field: "PIN / card",
            problem: "give a PIN or a card / 暗証番号か職員カードが必要です",
        });
    }
    let def = StaffDef {
        code: code.to_owned(),
        name: name.to_owned(),
        venue,
        role: new.role,
        pin_hash,
        card_hash,
        active: true,
    };
    let mut tx = ledger.transaction()?;
    tx.define_staff(&def)?;
    let staff = tx
        .reader()
        .staff(code)?
        .ok_or(LedgerError::NotReplicating)?;
    tx.commit()?;
    Ok(RegisteredStaff {
        staff,
        card_payload,
    })
}

/// Every registered staff member, or only a venue's.
pub fn staff_list(ledger: &Ledger, venue: Option<&str>) -> Result<Vec<StaffRow>, StaffError> {
    Ok(ledger.reader().staff_list(venue)?)
}

fn hash(secret: &[u8]) -> Result<String, StaffError> {
    Argon2::default()
        .hash_password(secret)
        .map(|h| h.to_string())
        .map_err(|_| StaffError::Invalid {
            field: "PIN / 暗証番号",
            problem: "cannot be hashed / ハッシュ化できません",
        })
}

fn verifies(secret: &str, phc: Option<&str>) -> bool {
    phc.and_then(|p| PasswordHash::new(p).ok())
        .is_some_and(|h| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &h)
                .is_ok()
        })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session {
    code: String,
    since: DateTime<FixedOffset>,
    last_active: DateTime<FixedOffset>,
    idle_minutes: u32,
}

impl Session {
    fn locks_at(&self) -> DateTime<FixedOffset> {
        self.last_active + Duration::minutes(i64::from(self.idle_minutes))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Failures {
    count: u32,
    last: Option<DateTime<FixedOffset>>,
}

/// Whether staff sign-in is required for actions of this installation (the rollout rule).
pub fn sign_in_required(reader: &Reader<'_>, enrollment: &Enrollment) -> Result<bool, StaffError> {
    Ok(!enrollment.role.runs_the_campaign() && reader.venue_has_staff(&enrollment.venue_code)?)
}

/// Signs a staff member in at this device (replacing whoever was signed in), and records it
/// in the audit trail. Five failures in a row make the device wait a minute.
pub fn sign_in(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    credential: &Credential,
    idle_minutes: u32,
    now: DateTime<FixedOffset>,
) -> Result<SignedIn, StaffError> {
    let failures: Failures = setting_json(&ledger.reader(), KEY_FAILURES)?.unwrap_or_default();
    if let Some(last) = failures
        .last
        .filter(|_| failures.count >= MAX_FAILED_SIGN_INS)
    {
        let until = last + Duration::seconds(LOCK_SECONDS);
        if now < until {
            return Err(StaffError::Locked { until });
        }
    }
    let staff = match recognise(&ledger.reader(), enrollment, credential)? {
        Some(staff) => staff,
        None => {
            let count = if failures.count >= MAX_FAILED_SIGN_INS {
                1
            } else {
                failures.count + 1
            };
            let tx = ledger.transaction()?;
            set_json(
                &tx,
                KEY_FAILURES,
                &Failures {
                    count,
                    last: Some(now),
                },
            )?;
            tx.commit()?;
            return Err(StaffError::SignInFailed);
        }
    };
    let session = Session {
        code: staff.code.clone(),
        since: now,
        last_active: now,
        idle_minutes,
    };
    let mut tx = ledger.transaction()?;
    set_json(&tx, KEY_FAILURES, &Failures::default())?;
    set_json(&tx, KEY_SESSION, &session)?;
    let actor = Actor::staff_at(&staff.code, &enrollment.venue_code, enrollment.role);
    audit::record(&mut tx, &actor, AuditAction::SignIn, &About::default(), now)?;
    tx.commit()?;
    Ok(SignedIn {
        code: staff.code,
        name: staff.name,
        role: staff.role,
        since: now,
        locks_at: session.locks_at(),
    })
}

/// The active staff member the credential names, if they may work at this venue.
fn recognise(
    reader: &Reader<'_>,
    enrollment: &Enrollment,
    credential: &Credential,
) -> Result<Option<StaffRow>, StaffError> {
    let (code, secret, card) = match credential {
        Credential::Pin { code, pin } => (code.trim(), pin.trim(), false),
        Credential::Card { payload } => {
            let mut parts = payload.trim().splitn(3, '.');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(CARD_TAG), Some(code), Some(secret)) => (code, secret, true),
                _ => return Ok(None),
            }
        }
    };
    let Some(staff) = reader.staff(code)? else {
        return Ok(None);
    };
    let works_here = staff
        .venue_code
        .as_deref()
        .is_none_or(|v| v == enrollment.venue_code);
    let hash = if card {
        staff.card_hash.as_deref()
    } else {
        staff.pin_hash.as_deref()
    };
    Ok((staff.active && works_here && verifies(secret, hash)).then_some(staff))
}

/// Signs the staff member out (the sign-out button, or the screen's idle lock), recording it.
pub fn sign_out(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    now: DateTime<FixedOffset>,
) -> Result<(), StaffError> {
    let Some(session) = setting_json::<Session>(&ledger.reader(), KEY_SESSION)? else {
        return Ok(());
    };
    let mut tx = ledger.transaction()?;
    tx.delete_setting(KEY_SESSION)?;
    let actor = Actor::staff_at(&session.code, &enrollment.venue_code, enrollment.role);
    audit::record(
        &mut tx,
        &actor,
        AuditAction::SignOut,
        &About::default(),
        now,
    )?;
    tx.commit()?;
    Ok(())
}

/// The sign-in bar: whether sign-in is required here and who is signed in.
pub fn staff_status(
    ledger: &Ledger,
    enrollment: &Enrollment,
    idle_minutes: u32,
    now: DateTime<FixedOffset>,
) -> Result<StaffStatus, StaffError> {
    let reader = ledger.reader();
    Ok(StaffStatus {
        required: sign_in_required(&reader, enrollment)?,
        signed_in: current(&reader, enrollment, now)?,
        idle_minutes,
    })
}

/// Who is signed in now: `None` when nobody is, the session ran out, or the staff member was
/// switched off or moved to another venue since.
pub(crate) fn current(
    reader: &Reader<'_>,
    enrollment: &Enrollment,
    now: DateTime<FixedOffset>,
) -> Result<Option<SignedIn>, StaffError> {
    let Some(session) = setting_json::<Session>(reader, KEY_SESSION)? else {
        return Ok(None);
    };
    if now >= session.locks_at() {
        return Ok(None);
    }
    let Some(staff) = reader.staff(&session.code)? else {
        return Ok(None);
    };
    let works_here = staff
        .venue_code
        .as_deref()
        .is_none_or(|v| v == enrollment.venue_code);
    Ok((staff.active && works_here).then(|| SignedIn {
        locks_at: session.locks_at(),
        code: staff.code,
        name: staff.name,
        role: staff.role,
        since: session.since,
    }))
}

/// Notes an action of the signed-in staff member, which keeps the session open.
pub(crate) fn touch(
    tx: &vax_ledger::WriteTx<'_>,
    now: DateTime<FixedOffset>,
) -> Result<(), LedgerError> {
    let held = tx.reader().setting(KEY_SESSION)?;
    // A session that does not read is no session: the next action asks for a sign-in.
    if let Some(mut session) = held.and_then(|json| serde_json::from_str::<Session>(&json).ok()) {
        session.last_active = session.last_active.max(now);
        let json = serde_json::to_string(&session).map_err(|e| LedgerError::Corrupt {
            table: "device_settings",
            id: 0,
            field: KEY_SESSION,
            problem: e.to_string(),
        })?;
        tx.set_setting(KEY_SESSION, &json)?;
    }
    Ok(())
}

fn setting_json<T: for<'de> Deserialize<'de>>(
    reader: &Reader<'_>,
    key: &'static str,
) -> Result<Option<T>, StaffError> {
    reader
        .setting(key)?
        .map(|json| {
            serde_json::from_str(&json).map_err(|e| {
                StaffError::Ledger(LedgerError::Corrupt {
                    table: "device_settings",
                    id: 0,
                    field: key,
                    problem: e.to_string(),
                })
            })
        })
        .transpose()
}

fn set_json<T: Serialize>(
    tx: &vax_ledger::WriteTx<'_>,
    key: &str,
    value: &T,
) -> Result<(), StaffError> {
    let json = serde_json::to_string(value).map_err(|e| {
        StaffError::Ledger(LedgerError::Corrupt {
            table: "device_settings",
            id: 0,
            field: "staff",
            problem: e.to_string(),
        })
    })?;
    Ok(tx.set_setting(key, &json)?)
}
