//! The one vocabulary of error codes, and the one shape of an error a person sees.
//!
//! Every error that reaches a screen, the command line or the sync server's JSON carries an
//! [`ErrorCode`]: the desktop branches on it, the TypeScript side gets it as a generated union
//! type, and the server answers with the same spelling (SCREAMING_SNAKE_CASE). Errors of the
//! use-case crates implement [`UserFacing`] (code, English, Japanese), so an adapter needs a
//! single `From` to turn any of them into a [`UserError`].

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = $wire:literal,)*) => {
        /// A stable code a screen or a client branches on. The wire spelling is the variant in
        /// SCREAMING_SNAKE_CASE (`DuplicateDose` is `"DUPLICATE_DOSE"`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $wire)] $name,)*
            /// A code this build does not know (a newer server's): read, never written.
            #[serde(rename = "UNKNOWN")]
            Unknown,
        }

        impl ErrorCode {
            /// The wire spelling, e.g. `"DUPLICATE_DOSE"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$name => $wire,)*
                    Self::Unknown => "UNKNOWN",
                }
            }

            /// The code spelt `wire`; [`ErrorCode::Unknown`] for a spelling this build does
            /// not know.
            pub fn from_wire(wire: &str) -> Self {
                match wire {
                    $($wire => Self::$name,)*
                    _ => Self::Unknown,
                }
            }
        }

        impl<'de> Deserialize<'de> for ErrorCode {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let wire = std::borrow::Cow::<'de, str>::deserialize(d)?;
                Ok(Self::from_wire(&wire))
            }
        }

        impl ErrorCode {
            /// Every code this build writes.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];
        }
    };
}

error_codes! {
    // The installation and its ledger.
    /// The installation is not enrolled to a venue yet.
    NotEnrolled = "NOT_ENROLLED",
    /// The enrolled role may not do this.
    RoleMayNot = "ROLE_MAY_NOT",
    /// The ledger file cannot be opened.
    LedgerUnavailable = "LEDGER_UNAVAILABLE",
    /// The ledger failed; nothing was written.
    Ledger = "LEDGER",
    /// The demo city goes only into an empty ledger.
    LedgerNotEmpty = "LEDGER_NOT_EMPTY",
    /// The demo city could not be loaded.
    DemoFailed = "DEMO_FAILED",
    /// A referenced record does not exist.
    NotFound = "NOT_FOUND",
    /// A field is missing, too long or malformed.
    InvalidInput = "INVALID_INPUT",
    /// Something went wrong that the person cannot fix (a bug, a crashed task).
    Internal = "INTERNAL",
    // Reception.
    /// A malformed voucher payload.
    BadVoucher = "BAD_VOUCHER",
    /// The search text is in kanji: names are searched in kana.
    KanjiQuery = "KANJI_QUERY",
    /// The search text is neither a voucher, a birth date, a phone number nor kana.
    QueryUnrecognised = "QUERY_UNRECOGNISED",
    /// The resident is checked in already today.
    AlreadyCheckedIn = "ALREADY_CHECKED_IN",
    // The booth.
    /// Every dose of the series is given.
    SeriesComplete = "SERIES_COMPLETE",
    /// A valid dose with this number exists.
    DuplicateDose = "DUPLICATE_DOSE",
    /// The interval since the previous dose is not reached.
    IntervalNotReached = "INTERVAL_NOT_REACHED",
    /// The dose number is not the one due.
    DoseOutOfOrder = "DOSE_OUT_OF_ORDER",
    /// The resident is younger than the product is approved for on the day.
    BelowMinimumAge = "BELOW_MINIMUM_AGE",
    /// The lot is not open at this venue today.
    LotNotOpen = "LOT_NOT_OPEN",
    /// The dose history cannot be evaluated.
    Eligibility = "ELIGIBILITY",
    // Dose stock.
    /// The open vial's clock (or the thawed clock) has run out.
    VialPastClock = "VIAL_PAST_CLOCK",
    /// The lot is quarantined (a cold-chain excursion or a recall).
    LotQuarantined = "LOT_QUARANTINED",
    /// The lot is past its expiry date.
    LotExpired = "LOT_EXPIRED",
    /// No vial of the lot with doses left and none to open (a doctor may override: an extra
    /// dose drawn from a vial the ledger counts as empty).
    NoVialLeft = "NO_VIAL_LEFT",
    /// The venue's stock counts do not balance; the day cannot close.
    StockUnbalanced = "STOCK_UNBALANCED",
    /// Fewer vials or doses on hand than a stock event takes.
    NotEnoughStock = "NOT_ENOUGH_STOCK",
    /// A temperature logger file with bad lines; nothing was imported.
    LoggerFileInvalid = "LOGGER_FILE_INVALID",
    // The camera.
    /// No usable camera: the desk goes on with the USB scanner.
    NoCamera = "NO_CAMERA",
    /// The camera failed.
    CameraFailed = "CAMERA_FAILED",
    /// The camera stopped by itself.
    CameraEnded = "CAMERA_ENDED",
    /// A QR code that is not a voucher.
    NotAVoucher = "NOT_A_VOUCHER",
    // Printing.
    /// A voucher batch is running already.
    PrintBusy = "PRINT_BUSY",
    /// The voucher sheets would go out without a sender.
    NoSender = "NO_SENDER",
    /// No Japanese font is installed.
    FontMissing = "FONT_MISSING",
    /// The PDF could not be written.
    PrintFailed = "PRINT_FAILED",
    // Notices.
    /// No booking needs a notice.
    NothingPending = "NOTHING_PENDING",
    /// SMS messages over the length limit, refused as the options say.
    SmsTooLong = "SMS_TOO_LONG",
    // HQ planning.
    /// A day that has passed cannot be planned or changed.
    DayPassed = "DAY_PASSED",
    /// The bands overlap, or a band starts after it ends.
    BandsOverlap = "BANDS_OVERLAP",
    /// The ledger changed since the reshuffle was previewed: preview again.
    StalePreview = "STALE_PREVIEW",
    /// The planner found no band for anyone, or its plan failed the independent check.
    PlanFailed = "PLAN_FAILED",
    // VRS.
    /// The export found problems and wrote nothing.
    VrsInvalid = "VRS_INVALID",
    /// The export failed.
    VrsFailed = "VRS_FAILED",
    // Sync, as the device sees it.
    /// The device is not enrolled with a sync server.
    SyncNotConfigured = "SYNC_NOT_CONFIGURED",
    /// The device is enrolled with a sync server already.
    SyncAlreadyEnrolled = "SYNC_ALREADY_ENROLLED",
    /// A venue device joined with a ledger holding records made before it joined.
    SyncRecordsBeforeJoining = "SYNC_RECORDS_BEFORE_JOINING",
    /// The server cannot be reached; the device retries by itself.
    SyncOffline = "SYNC_OFFLINE",
    /// The server refused.
    SyncRefused = "SYNC_REFUSED",
    /// The session stopped half-way; it resumes next time.
    SyncStopped = "SYNC_STOPPED",
    // Sync, as the server answers.
    /// The request body is not what the endpoint takes.
    BadRequest = "BAD_REQUEST",
    /// No bearer token.
    MissingToken = "MISSING_TOKEN",
    /// A token no enrolled device holds.
    UnknownToken = "UNKNOWN_TOKEN",
    /// An endpoint for HQ devices only.
    HqOnly = "HQ_ONLY",
    /// The enrollment code is unknown, used or expired.
    EnrollmentCodeInvalid = "ENROLLMENT_CODE_INVALID",
    /// A role and venue that cannot be enrolled together.
    InvalidEnrollment = "INVALID_ENROLLMENT",
    /// A path the server does not serve.
    NoSuchEndpoint = "NO_SUCH_ENDPOINT",
    /// The request body is over the limit.
    TooLarge = "TOO_LARGE",
    /// An op names another venue than its author's.
    WrongVenue = "WRONG_VENUE",
    /// An op about a resident outside its author's municipalities (a partial replica).
    WrongScope = "WRONG_SCOPE",
    /// The server's storage failed; try again later.
    StorageUnavailable = "STORAGE_UNAVAILABLE",
    /// An op whose author the server does not know.
    UnknownAuthor = "UNKNOWN_AUTHOR",
    /// An op its author's role may not make.
    NotPermitted = "NOT_PERMITTED",
    /// A sync message that does not parse.
    MalformedMessage = "MALFORMED_MESSAGE",
    /// A protocol version the server does not speak.
    UnsupportedProtocol = "UNSUPPORTED_PROTOCOL",
    /// A message whose sender is not the token's device.
    WrongSender = "WRONG_SENDER",
    /// An op that is not valid.
    InvalidOp = "INVALID_OP",
    /// An op with a known id and different content.
    ConflictingOp = "CONFLICTING_OP",
    /// The sender's clock is too far ahead of the server's.
    ClockAhead = "CLOCK_AHEAD",
    /// A reply that is not the server's JSON (a proxy in between).
    UnexpectedReply = "UNEXPECTED_REPLY",
    /// An op whose signature its author's device key did not make (forged or altered).
    BadSignature = "BAD_SIGNATURE",
    /// HQ revoked this device (a lost laptop): its token and its new ops are refused.
    DeviceRevoked = "DEVICE_REVOKED",
    /// The device syncs more often than the server allows; it retries later by itself.
    RateLimited = "RATE_LIMITED",
    /// The request took longer than the server allows; try again later.
    RequestTimeout = "REQUEST_TIMEOUT",
    /// The server holds no record of this resident (the online lookup of a walk-in from
    /// another municipality, docs/sync-spec.md §7b).
    UnknownResident = "UNKNOWN_RESIDENT",
    /// A walk-in from another municipality whose record could not be fetched: the server
    /// cannot be reached (or refused the lookup). Nothing was written.
    WalkInOffline = "WALK_IN_OFFLINE",
    /// The server holds no snapshot of this device's scope (docs/sync-spec.md §7c): its first
    /// sync runs op by op.
    NoSnapshot = "NO_SNAPSHOT",
    // Staff sign-in (docs/audit.md).
    /// Staff are registered for this venue: a staff member must sign in first.
    StaffSignInRequired = "STAFF_SIGN_IN_REQUIRED",
    /// The staff code, PIN or card did not match an active staff member of this venue.
    StaffSignInFailed = "STAFF_SIGN_IN_FAILED",
    /// Too many failed sign-ins on this device: it waits before taking another.
    StaffSignInLocked = "STAFF_SIGN_IN_LOCKED",
    // Trust (docs/security.md).
    /// Plain HTTP to a server that is not on this machine, which HQ has not allowed: tokens
    /// and residents' data would travel in clear.
    PlainHttpRefused = "PLAIN_HTTP_REFUSED",
    /// The device sent more ops than its budget allows for now; it retries later by itself.
    OpsBudgetExceeded = "OPS_BUDGET_EXCEEDED",
    // The venue relay inside the app (issue 17, docs/venue-resilience.md).
    /// This kiosk could not start the venue relay: its port is taken, its folder or
    /// certificate is unreadable, or no LAN address was found to announce.
    RelayCannotStart = "RELAY_CANNOT_START",
}

impl ErrorCode {
    /// Whether a doctor may record the dose anyway, with a mandatory reason that is logged
    /// beside the dose. The one list of overridable refusals: the booth screen reads it from
    /// each error.
    pub fn doctor_may_override(self) -> bool {
        matches!(
            self,
            Self::DuplicateDose
                | Self::IntervalNotReached
                | Self::DoseOutOfOrder
                | Self::BelowMinimumAge
                | Self::VialPastClock
                | Self::LotQuarantined
                | Self::LotExpired
                | Self::NoVialLeft
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests and callers compare a code with its wire spelling: `code == "DUPLICATE_DOSE"`.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// An error a person may see: its code and its message in both languages. Implemented by
/// every error of the use-case layer; `Display` is the English message.
pub trait UserFacing: std::fmt::Display {
    /// The stable code.
    fn code(&self) -> ErrorCode;

    /// The message in Japanese.
    fn message_ja(&self) -> String;

    /// The message in English (the `Display` text unless an error words it otherwise).
    fn message_en(&self) -> String {
        self.to_string()
    }

    /// The error as data, ready to cross a boundary.
    fn to_user_error(&self) -> UserError {
        let code = self.code();
        UserError {
            code,
            message: self.message_en(),
            message_ja: self.message_ja(),
            overridable: code.doctor_may_override(),
        }
    }
}

/// `{code, message, message_ja, overridable}`: what crosses the IPC boundary and what the
/// command line prints. TypeScript knows it as `IpcError` (the UI's own `UserError` class
/// wraps it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "IpcError"))]
pub struct UserError {
    /// The stable code the UI branches on.
    pub code: ErrorCode,
    /// English.
    pub message: String,
    /// Japanese.
    pub message_ja: String,
    /// Whether a doctor may override this refusal ([`ErrorCode::doctor_may_override`]).
    pub overridable: bool,
}

impl UserError {
    /// An error with the given parts.
    pub fn new(code: ErrorCode, message: impl Into<String>, message_ja: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            message_ja: message_ja.into(),
            overridable: code.doctor_may_override(),
        }
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for UserError {}

impl UserFacing for UserError {
    fn code(&self) -> ErrorCode {
        self.code
    }
    fn message_ja(&self) -> String {
        self.message_ja.clone()
    }
    fn message_en(&self) -> String {
        self.message.clone()
    }
    fn to_user_error(&self) -> UserError {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_wire_spelling() {
        for &code in ErrorCode::ALL {
            let wire = code.as_str();
            assert!(
                wire.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{wire}"
            );
            let back: ErrorCode = toml::Value::String(wire.to_owned())
                .try_into()
                .expect("parses");
            assert_eq!(back, code, "{wire}");
        }
        assert_eq!(ErrorCode::DuplicateDose.as_str(), "DUPLICATE_DOSE");
    }

    #[test]
    fn a_code_from_a_newer_build_reads_as_unknown() {
        let code: ErrorCode = toml::Value::String("SOMETHING_NEW".into())
            .try_into()
            .expect("parses");
        assert_eq!(code, ErrorCode::Unknown);
    }

    #[test]
    fn only_dose_refusals_are_overridable() {
        let overridable: Vec<_> = ErrorCode::ALL
            .iter()
            .copied()
            .filter(|c| c.doctor_may_override())
            .collect();
        assert_eq!(
            overridable,
            [
                ErrorCode::DuplicateDose,
                ErrorCode::IntervalNotReached,
                ErrorCode::DoseOutOfOrder,
                ErrorCode::BelowMinimumAge,
                ErrorCode::VialPastClock,
                ErrorCode::LotQuarantined,
                ErrorCode::LotExpired,
                ErrorCode::NoVialLeft,
            ]
        );
        let e = UserError::new(ErrorCode::DuplicateDose, "dup", "重複");
        assert!(e.overridable);
        assert!(!UserError::new(ErrorCode::LotNotOpen, "x", "x").overridable);
    }
}
