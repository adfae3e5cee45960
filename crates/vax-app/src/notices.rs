//! The notices that tell residents their booking (docs/notices.md): which bookings need one,
//! and the batch that goes out — letters (PDF), the bulk-SMS list and the call list — with
//! the record of what was sent, for the call centre.
//!
//! A booking needs a notice when none was recorded for it, or when its venue, day or band
//! differs from what the last notice told (then it is a change, and the letter shows the old
//! and the new). A booking the resident was told about and that is cancelled since (they
//! withdrew, the day was cut, a reshuffle found no place) needs a cancellation notice, once,
//! with the reason and the call centre's number. Bookings before today are left out.
//!
//! Every resident with a pending booking gets one letter (both doses on one page). Each
//! booking also goes to the SMS list when the resident has a mobile number (070/080/090) and
//! the message fits the limit, else to the call list (a landline, a malformed number, or a
//! message over the limit when [`OverLimit::CallInstead`]). A resident with no phone at all
//! gets the letter only.
//!
//! [`make_notice_batch`] writes the files into a hidden `.part` folder, renames it into place,
//! then records every notice in one transaction: a crash leaves either no record (and the
//! bookings still pending) or the whole batch recorded with its files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::notice::{
    classify_phone, format_band, Appointment, CancelReason, Channel, NoticeKind, PhoneClass,
    SmsLimit, SmsTemplate, TemplateError, DEFAULT_CANCEL_TEMPLATE, DEFAULT_CHANGE_TEMPLATE,
    DEFAULT_FIRST_TEMPLATE,
};
use vax_domain::role::Role;
use vax_ledger::{
    Ledger, LedgerError, NewCancellation, NewNotice, NewNoticeBatch, NoticeBatchRow, NoticeRow,
    Reader, ResidentRow, RowId,
};
pub use vax_print::PrintError;
use vax_print::{
    write_letter_batches, BatchOptions, JapaneseFont, Letter, LetterAppointment,
    LETTER_APPOINTMENTS,
};

use crate::config::Folders;
use crate::print::{line_for, mailing_details};

mod rides;
use rides::RideTold;

/// What happens to an SMS over the length limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OverLimit {
    /// The booking goes to the call list instead, and the report lists it.
    #[default]
    CallInstead,
    /// The whole batch is refused (nothing written), listing every message over the limit.
    Refuse,
}

/// How a batch is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoticeOptions {
    /// The most characters an SMS may have (UCS-2 units; 70 by default).
    pub sms_limit: u32,
    /// What happens to a message over it.
    pub over_limit: OverLimit,
    /// The SMS of a first notice ([`SmsTemplate`] fields `{dose}` `{date}` `{time}` `{venue}`).
    pub first_template: String,
    /// The SMS of a change.
    pub change_template: String,
    /// The SMS of a cancellation (also `{reason}` and `{contact}`, the call centre's number;
    /// `{time}` optional). Options saved before cancellations existed read as the default.
    #[serde(default = "default_cancel_template")]
    pub cancel_template: String,
}

fn default_cancel_template() -> String {
    DEFAULT_CANCEL_TEMPLATE.to_owned()
}

impl Default for NoticeOptions {
    fn default() -> Self {
        Self {
            sms_limit: SmsLimit::default().0,
            over_limit: OverLimit::default(),
            first_template: DEFAULT_FIRST_TEMPLATE.to_owned(),
            change_template: DEFAULT_CHANGE_TEMPLATE.to_owned(),
            cancel_template: default_cancel_template(),
        }
    }
}

/// Why notices could not be listed or made. Nothing is recorded on any of them.
#[derive(Debug, Error)]
pub enum NoticeError {
    /// Only headquarters sends notices.
    #[error("the {0:?} role may not send notices")]
    RoleMayNot(Role),
    /// An SMS template was refused.
    #[error("{} SMS template: {source}", kind_en(*.kind))]
    Template {
        /// Which template.
        kind: NoticeKind,
        /// Why.
        source: TemplateError,
    },
    /// The SMS limit is zero.
    #[error("the SMS limit must be at least 1 character")]
    ZeroLimit,
    /// No booking needs a notice.
    #[error("no booking needs a notice")]
    NothingPending,
    /// Messages over the limit, refused as the options say.
    #[error("{} SMS message(s) over {limit} characters; nothing was written:\n{}", .over.len(), list_over(.over))]
    SmsTooLong {
        /// The limit.
        limit: u32,
        /// Each message over it.
        over: Vec<OverLimitMessage>,
    },
    /// The letters would go out without a sender.
    #[error("set the sender printed on the letters first (the voucher sheets' mailing details)")]
    NoSender,
    /// A cancellation's SMS names the call centre, but the contact lines hold no number.
    #[error("cancellations tell the call centre's number: put it in the contact lines of the mailing details (e.g. 電話 0773-62-2300)")]
    NoContactPhone,
    /// The letters could not be written (font, disk).
    #[error(transparent)]
    Print(#[from] PrintError),
    /// A list or the batch folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

fn kind_en(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::First => "first-notice",
        NoticeKind::Change => "change",
        NoticeKind::Cancel => "cancellation",
    }
}

/// How many messages over the limit an error message lists.
const OVER_LISTED: usize = 20;

fn list_over(over: &[OverLimitMessage]) -> String {
    let mut lines: Vec<String> = over
        .iter()
        .take(OVER_LISTED)
        .map(|o| {
            format!(
                "{} ({}): {} characters: {}",
                o.name, o.voucher, o.length, o.message
            )
        })
        .collect();
    if over.len() > OVER_LISTED {
        lines.push(format!("… {} more", over.len() - OVER_LISTED));
    }
    lines.join("\n")
}

impl UserFacing for NoticeError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoleMayNot(_) => ErrorCode::RoleMayNot,
            Self::Template { .. } | Self::ZeroLimit => ErrorCode::InvalidInput,
            Self::NothingPending => ErrorCode::NothingPending,
            Self::SmsTooLong { .. } => ErrorCode::SmsTooLong,
            Self::NoSender | Self::NoContactPhone => ErrorCode::NoSender,
            Self::Print(PrintError::Font(_)) => ErrorCode::FontMissing,
            Self::Print(_) | Self::Io { .. } => ErrorCode::PrintFailed,
            Self::Ledger(_) => ErrorCode::Ledger,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::RoleMayNot(_) => "お知らせの作成は本部の端末でのみ行えます".to_owned(),
            Self::Template { kind, source } => {
                let which = match kind {
                    NoticeKind::First => "新規",
                    NoticeKind::Change => "変更",
                    NoticeKind::Cancel => "取消",
                };
                format!("{which}のSMS文面: {}", source.message_ja())
            }
            Self::ZeroLimit => "SMSの文字数上限は1文字以上にしてください".to_owned(),
            Self::NothingPending => "お知らせが必要な予約はありません".to_owned(),
            Self::SmsTooLong { limit, over } => format!(
                "{}件のSMSが{limit}文字を超えるため、何も出力していません:\n{}",
                over.len(),
                list_over(over)
            ),
            Self::NoSender => {
                "お知らせに印刷する差出人（接種券の差出人）を先に設定してください".to_owned()
            }
            Self::NoContactPhone => "取消のお知らせにはコールセンターの電話番号が必要です。差出人設定のお問い合わせ先に電話番号を入れてください（例: 電話 0773-62-2300）".to_owned(),
            Self::Print(PrintError::Font(e)) => format!("日本語フォントがありません: {e}"),
            Self::Print(PrintError::Io { path, source }) | Self::Io { path, source } => {
                format!("{}に書き込めません: {source}", path.display())
            }
            Self::Ledger(e) => format!("台帳エラー: {e}"),
        }
    }
}

/// An SMS over the limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OverLimitMessage {
    /// 氏名.
    pub name: String,
    /// 券番号.
    pub voucher: String,
    /// Its length ([`vax_domain::notice::sms_length`]).
    pub length: u32,
    /// The message.
    pub message: String,
}

/// Why a booking is on the call list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CallReason {
    /// The resident gave a landline (or another number that takes no SMS).
    Landline,
    /// The number on file cannot be read as a phone number.
    InvalidPhone,
    /// The SMS would be over the limit.
    SmsTooLong,
}

impl CallReason {
    /// As the call list writes it.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Landline => "固定電話",
            Self::InvalidPhone => "電話番号要確認",
            Self::SmsTooLong => "SMS文字数超過",
        }
    }
}

/// One line of the call list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallLine {
    /// First notice or change.
    pub kind: NoticeKind,
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// The number to call, as on file.
    pub phone: String,
    /// 券番号.
    pub voucher: String,
    /// What to tell.
    pub appointment: Appointment,
    /// Why a call rather than an SMS.
    pub reason: CallReason,
    /// For a cancellation: why the booking was cancelled (the `appointment` is the one told
    /// before).
    pub cancelled: Option<CancelReason>,
    /// For a resident who rides the bus that day: 迎え 9:20 ○○公民館前　／　帰り 11:45 会場発
    /// (or that the bus told before no longer runs).
    pub ride: Option<String>,
}

/// One line of the SMS list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SmsLine {
    /// 11 digits, no hyphens.
    pub phone: String,
    /// The message.
    pub message: String,
}

/// What a batch made now would hold: the counts on the HQ screen and `vaxhq notices pending`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingSummary {
    /// Bookings needing a notice.
    pub bookings: u32,
    /// Of which never told.
    pub first: u32,
    /// Of which changed since the last notice.
    pub change: u32,
    /// Bookings told before and cancelled since (not counted in `bookings`).
    pub cancel: u32,
    /// Letter pages (one per resident; a second page only for a third pending dose).
    pub letters: u32,
    /// SMS lines.
    pub sms: u32,
    /// Call-list lines.
    pub calls: u32,
    /// Bookings of residents with no phone on file: letter only.
    pub letter_only: u32,
    /// SMS over the limit (on the call list, or refused, as the options say).
    pub over_limit_total: u32,
    /// The first [`SUMMARY_LINES`] of them.
    pub over_limit: Vec<OverLimitMessage>,
    /// The first [`SUMMARY_LINES`] lines of the call list, for the screen (`calls.csv` holds
    /// them all; a city's first batch has tens of thousands).
    pub call_list: Vec<CallLine>,
}

/// How many call-list lines and SMS over the limit a [`PendingSummary`] carries.
pub const SUMMARY_LINES: usize = 200;

/// Everything a batch writes and records, made in memory first.
struct Plan {
    /// Every SMS over the limit (the summary carries the first few).
    over_limit: Vec<OverLimitMessage>,
    letters: Vec<Letter>,
    sms: Vec<SmsLine>,
    calls: Vec<CallLine>,
    notices: Vec<NewNotice>,
    cancellations: Vec<NewCancellation>,
    /// The ride each booking's notices tell (resident, dose, ride).
    rides: Vec<(RowId, u8, vax_domain::ride_notice::RideNotice)>,
    summary: PendingSummary,
}

/// One dose a notice tells: a booking (first or change) or a cancellation.
struct Told {
    appointment: Appointment,
    previous: Option<Appointment>,
    cancelled: Option<CancelReason>,
    /// The bus ride told with it (issue 13; [`rides`]).
    ride: RideTold,
}

impl Told {
    fn kind(&self) -> NoticeKind {
        match (&self.cancelled, &self.previous) {
            (Some(_), _) => NoticeKind::Cancel,
            (None, Some(_)) => NoticeKind::Change,
            (None, None) => NoticeKind::First,
        }
    }
}

/// The SMS templates and limit, checked.
struct Templates {
    first: SmsTemplate,
    change: SmsTemplate,
    cancel: SmsTemplate,
    limit: SmsLimit,
}

/// The call centre's number as the contact lines write it (`電話 0773-62-2300（平日…）`
/// gives `0773-62-2300`): the first run of digits and separators that reads as a phone
/// number.
pub fn contact_phone(contact: &[String]) -> Option<String> {
    let in_number =
        |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c) || "-－ー‐−()（）".contains(c);
    contact.iter().find_map(|line| {
        line.split(|c: char| !in_number(c))
            .map(|run| {
                run.trim_matches(|c: char| !(c.is_ascii_digit() || ('０'..='９').contains(&c)))
            })
            .find(|run| classify_phone(run).is_ok())
            .map(str::to_owned)
    })
}

fn templates(options: &NoticeOptions) -> Result<Templates, NoticeError> {
    let parse = |kind, text: &str| {
        let parsed = match kind {
            NoticeKind::Cancel => SmsTemplate::parse_cancel(text),
            _ => SmsTemplate::parse(text),
        };
        parsed.map_err(|source| NoticeError::Template { kind, source })
    };
    if options.sms_limit == 0 {
        return Err(NoticeError::ZeroLimit);
    }
    Ok(Templates {
        first: parse(NoticeKind::First, &options.first_template)?,
        change: parse(NoticeKind::Change, &options.change_template)?,
        cancel: parse(NoticeKind::Cancel, &options.cancel_template)?,
        limit: SmsLimit(options.sms_limit),
    })
}

/// Everything pending on `today`; `contact` is the call centre's number a cancellation
/// tells (empty when none is set: [`make_notice_batch`] refuses that before writing).
fn plan(
    reader: Reader<'_>,
    options: &NoticeOptions,
    today: NaiveDate,
    contact: &str,
) -> Result<Plan, NoticeError> {
    let templates = templates(options)?;
    let mut by_resident: BTreeMap<RowId, Vec<Told>> = BTreeMap::new();
    for p in reader.pending_notices(today)? {
        by_resident.entry(p.resident_id).or_default().push(Told {
            appointment: p.appointment,
            previous: p.previous,
            cancelled: None,
            ride: RideTold::default(),
        });
    }
    for c in reader.pending_cancellations(today)? {
        by_resident.entry(c.resident_id).or_default().push(Told {
            appointment: c.told,
            previous: None,
            cancelled: Some(c.reason),
            ride: RideTold::default(),
        });
    }
    rides::attach(&reader, today, &mut by_resident)?;
    let mut plan = Plan {
        over_limit: Vec::new(),
        letters: Vec::with_capacity(by_resident.len()),
        sms: Vec::new(),
        calls: Vec::new(),
        notices: Vec::new(),
        cancellations: Vec::new(),
        rides: Vec::new(),
        summary: PendingSummary::default(),
    };
    for (resident_id, mut told) in by_resident {
        told.sort_by_key(|t| t.appointment.dose_number);
        let row = reader.resident(resident_id)?;
        plan_resident(&mut plan, &row, &told, &templates, contact);
    }
    let s = &mut plan.summary;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    s.letters = count(plan.letters.len());
    s.sms = count(plan.sms.len());
    s.calls = count(plan.calls.len());
    s.over_limit_total = count(plan.over_limit.len());
    s.over_limit = plan
        .over_limit
        .iter()
        .take(SUMMARY_LINES)
        .cloned()
        .collect();
    s.call_list = plan.calls.iter().take(SUMMARY_LINES).cloned().collect();
    Ok(plan)
}

fn plan_resident(
    plan: &mut Plan,
    row: &ResidentRow,
    bookings: &[Told],
    templates: &Templates,
    contact: &str,
) {
    let r = &row.resident;
    // One letter: all cancelled is a cancellation; any change, or a cancellation beside a
    // booking, is a change (the page shows each dose's box); else a first notice.
    let letter_kind = if bookings.iter().all(|b| b.kind() == NoticeKind::Cancel) {
        NoticeKind::Cancel
    } else if bookings.iter().any(|b| b.kind() != NoticeKind::First) {
        NoticeKind::Change
    } else {
        NoticeKind::First
    };
    // A page holds two doses (the series); a longer series pending at once takes more pages.
    for page in bookings.chunks(LETTER_APPOINTMENTS) {
        let dose = page.first().map_or(1, |b| b.appointment.dose_number);
        plan.letters.push(Letter {
            kind: letter_kind,
            postal_code: r.postal_code.clone(),
            address: r.address.clone(),
            name: r.name.clone(),
            voucher: line_for(row, dose),
            appointments: page
                .iter()
                .map(|b| LetterAppointment {
                    appointment: b.appointment.clone(),
                    previous: b.previous.clone(),
                    cancelled: b.cancelled,
                    ride: b.ride.now.clone(),
                    ride_before: b.ride.before.clone(),
                })
                .collect(),
        });
    }
    let phone = r
        .phone
        .as_ref()
        .map(|p| (p.display.clone(), classify_phone(&p.display)));
    for b in bookings {
        let kind = b.kind();
        match kind {
            NoticeKind::First => plan.summary.first += 1,
            NoticeKind::Change => plan.summary.change += 1,
            NoticeKind::Cancel => plan.summary.cancel += 1,
        }
        if kind != NoticeKind::Cancel {
            plan.summary.bookings += 1;
        }
        if let Some(ride) = &b.ride.now {
            plan.rides
                .push((row.id, b.appointment.dose_number, ride.clone()));
        }
        let notice = |channel, phone: Option<String>, message: Option<String>| NewNotice {
            resident_id: row.id,
            kind,
            channel,
            appointment: b.appointment.clone(),
            phone,
            message,
        };
        let record = |plan: &mut Plan, notice: NewNotice| match b.cancelled {
            Some(reason) => plan.cancellations.push(NewCancellation { notice, reason }),
            None => plan.notices.push(notice),
        };
        record(plan, notice(Channel::Letter, None, None));
        let call = |reason, number: &str| CallLine {
            kind,
            name: r.name.clone(),
            name_kana: r.name_kana.clone(),
            phone: number.to_owned(),
            voucher: r.voucher.as_str().to_owned(),
            appointment: b.appointment.clone(),
            reason,
            cancelled: b.cancelled,
            ride: b.ride.call_text(),
        };
        let line = match &phone {
            None => {
                plan.summary.letter_only += 1;
                continue;
            }
            Some((display, Err(_))) => call(CallReason::InvalidPhone, display),
            Some((display, Ok(PhoneClass::Landline(_)))) => call(CallReason::Landline, display),
            Some((display, Ok(PhoneClass::Mobile(digits)))) => {
                let message = match (kind, b.cancelled) {
                    (NoticeKind::Cancel, Some(reason)) => {
                        templates
                            .cancel
                            .render_cancel(&b.appointment, reason.label_ja(), contact)
                    }
                    (NoticeKind::Change, _) => templates.change.render(&b.appointment),
                    _ => templates.first.render(&b.appointment),
                };
                // A rider's booking goes out as two messages: the booking, then the bus.
                let messages = rides::sms_messages(b, message, contact);
                let over = messages.iter().find(|m| !templates.limit.fits(m)).cloned();
                let Some(message) = over else {
                    record(
                        plan,
                        notice(
                            Channel::Sms,
                            Some(digits.clone()),
                            Some(messages.join("\n")),
                        ),
                    );
                    plan.sms.extend(messages.into_iter().map(|message| SmsLine {
                        phone: digits.clone(),
                        message,
                    }));
                    continue;
                };
                plan.over_limit.push(OverLimitMessage {
                    name: r.name.clone(),
                    voucher: r.voucher.as_str().to_owned(),
                    length: u32::try_from(vax_domain::notice::sms_length(&message))
                        .unwrap_or(u32::MAX),
                    message,
                });
                call(CallReason::SmsTooLong, display)
            }
        };
        record(plan, notice(Channel::Call, Some(line.phone.clone()), None));
        plan.calls.push(line);
    }
}

/// What a batch made now would hold, with the call list and every SMS over the limit.
///
/// # Errors
/// A template or limit the options cannot use; the ledger failed.
pub fn pending_notices(
    ledger: &Ledger,
    options: &NoticeOptions,
    today: NaiveDate,
) -> Result<PendingSummary, NoticeError> {
    let contact = mailing_details(ledger)?
        .and_then(|m| contact_phone(&m.contact))
        .unwrap_or_default();
    Ok(plan(ledger.reader(), options, today, &contact)?.summary)
}

/// What a batch wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoticeBatchReport {
    /// Its number.
    pub batch_id: i64,
    /// The folder holding its files.
    pub folder: String,
    /// The files, full paths: letters PDF(s), `sms.csv`, `calls.csv`.
    pub files: Vec<String>,
    /// What went out.
    pub summary: PendingSummary,
}

/// The SMS list's name in a batch folder.
pub const SMS_FILE: &str = "sms.csv";
/// The call list's name in a batch folder.
pub const CALLS_FILE: &str = "calls.csv";

/// Makes a notice batch of every pending booking into a new folder under `out_dir`
/// (`notices-0001-20261130-101500`), and records every notice sent. Headquarters only. The
/// letters carry the saved mailing details (sender, contact), as the voucher sheets.
///
/// # Errors
/// [`NoticeError::RoleMayNot`], a template refused, [`NoticeError::NothingPending`],
/// [`NoticeError::SmsTooLong`] (with [`OverLimit::Refuse`]), [`NoticeError::NoSender`], the
/// files or the ledger failed. On every error nothing is recorded and no batch folder is left.
pub fn make_notice_batch(
    ledger: &mut Ledger,
    role: Role,
    font: &JapaneseFont,
    out_dir: &Path,
    options: &NoticeOptions,
    now: DateTime<FixedOffset>,
) -> Result<NoticeBatchReport, NoticeError> {
    if !role.runs_the_campaign() {
        return Err(NoticeError::RoleMayNot(role));
    }
    let mailing = mailing_details(ledger)?.ok_or(NoticeError::NoSender)?;
    let contact = contact_phone(&mailing.contact);
    let tx = ledger.notice_tx()?;
    let plan = plan(
        tx.reader(),
        options,
        now.date_naive(),
        contact.as_deref().unwrap_or_default(),
    )?;
    if plan.notices.is_empty() && plan.cancellations.is_empty() {
        return Err(NoticeError::NothingPending);
    }
    if !plan.cancellations.is_empty() && contact.is_none() {
        return Err(NoticeError::NoContactPhone);
    }
    if options.over_limit == OverLimit::Refuse && !plan.over_limit.is_empty() {
        return Err(NoticeError::SmsTooLong {
            limit: options.sms_limit,
            over: plan.over_limit,
        });
    }
    let batch_id = tx.next_batch_id()?;
    let name = format!("notices-{batch_id:04}-{}", now.format("%Y%m%d-%H%M%S"));
    let folder = out_dir.join(&name);
    let part = out_dir.join(format!(".{name}.part"));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| NoticeError::Io { path, source }
    };
    if folder.exists() {
        return Err(NoticeError::Io {
            path: folder,
            source: std::io::ErrorKind::AlreadyExists.into(),
        });
    }
    remove_unfinished(out_dir)?;
    std::fs::create_dir_all(&part).map_err(io(&part))?;
    let written = write_files(&part, font, &plan, &mailing, now.date_naive());
    let names = match written {
        Ok(names) => names,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&part);
            return Err(e);
        }
    };
    std::fs::rename(&part, &folder).map_err(io(&folder))?;
    let recorded = (|| {
        let options_json = serde_json_options(options);
        tx.insert_batch(
            batch_id,
            &NewNoticeBatch {
                created_at: &now,
                folder: &folder.display().to_string(),
                files: &names,
                options_json: &options_json,
                letters: plan.letters.len(),
                sms: plan.sms.len(),
                calls: plan.calls.len(),
            },
        )?;
        tx.add_notices(batch_id, &now, &plan.notices)?;
        tx.add_cancellations(batch_id, &now, &plan.cancellations)?;
        tx.record_rides(batch_id, &plan.rides)?;
        tx.commit()
    })();
    if let Err(e) = recorded {
        // Not recorded: the bookings are still pending, so the files must not look sent.
        let _ = std::fs::remove_dir_all(&folder);
        return Err(e.into());
    }
    // The letters, SMS and call lists hold residents' names and contacts: they left the
    // ledger. (The batch's own transaction is the notice ledger's; the entry follows it.)
    let about = crate::audit::About {
        record: Some(format!("notice batch {batch_id}")),
        detail: format!(
            "notices: {} letters, {} SMS, {} calls",
            plan.letters.len(),
            plan.sms.len(),
            plan.calls.len()
        ),
        ..Default::default()
    };
    let actor = crate::audit::hq_actor(ledger, now)?;
    let mut tx = ledger.transaction()?;
    crate::audit::record(&mut tx, &actor, vax_sync::AuditAction::Export, &about, now)?;
    tx.commit()?;
    Ok(NoticeBatchReport {
        batch_id,
        files: names
            .iter()
            .map(|n| folder.join(n).display().to_string())
            .collect(),
        folder: folder.display().to_string(),
        summary: plan.summary,
    })
}

/// As [`make_notice_batch`], as the desktop's HQ screen runs it: into `notices/` beside the
/// ledger ([`Folders::notices`]), with the system's Japanese font.
///
/// # Errors
/// As [`make_notice_batch`]; no Japanese font is installed.
pub fn make_notices_beside_ledger(
    ledger: &mut Ledger,
    folders: &Folders,
    role: Role,
    options: &NoticeOptions,
    now: DateTime<FixedOffset>,
) -> Result<NoticeBatchReport, NoticeError> {
    let font = JapaneseFont::system_default().map_err(PrintError::from)?;
    make_notice_batch(ledger, role, &font, &folders.notices(), options, now)
}

/// Removes the `.notices-….part` folders of batches that did not finish (a crash while
/// writing): nothing refers to them. The batch transaction holds the ledger's write lock, so
/// no other batch of this ledger is writing one now.
fn remove_unfinished(out_dir: &Path) -> Result<(), NoticeError> {
    let Ok(entries) = std::fs::read_dir(out_dir) else {
        return Ok(()); // no folder yet: nothing unfinished
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".notices-") && name.ends_with(".part") && entry.path().is_dir() {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(|source| NoticeError::Io { path, source })?;
        }
    }
    Ok(())
}

/// The options as recorded with the batch (JSON; the fields of [`NoticeOptions`]).
fn serde_json_options(options: &NoticeOptions) -> String {
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_string(options).unwrap_or_default()
}

/// Writes the letters, the SMS list and the call list into `dir`; returns their names.
fn write_files(
    dir: &Path,
    font: &JapaneseFont,
    plan: &Plan,
    mailing: &crate::print::MailingDetails,
    print_date: NaiveDate,
) -> Result<Vec<String>, NoticeError> {
    let mut opts = BatchOptions::new(dir, print_date);
    opts.file_prefix = "letters".to_owned();
    opts.issuer = mailing.sender.clone();
    opts.contact = mailing.contact.clone();
    let report = write_letter_batches(
        font,
        plan.letters.iter().cloned(),
        plan.letters.len(),
        &opts,
        &mut |_, _| {},
    )?;
    let mut names: Vec<String> = report
        .files
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    write_atomically(&dir.join(SMS_FILE), &sms_csv(&plan.sms))?;
    write_atomically(&dir.join(CALLS_FILE), &calls_csv(&plan.calls))?;
    names.push(SMS_FILE.to_owned());
    names.push(CALLS_FILE.to_owned());
    Ok(names)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), NoticeError> {
    use std::io::Write;
    let io = |source| NoticeError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::create(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

/// The SMS list: UTF-8 without BOM, CRLF, header `phone,message` (docs/notices.md).
pub fn sms_csv(lines: &[SmsLine]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(["phone", "message"]);
    for l in lines {
        let _ = w.write_record([l.phone.as_str(), l.message.as_str()]);
    }
    w.into_inner().unwrap_or_default()
}

/// The call list's header (docs/notices.md).
pub const CALLS_HEADER: [&str; 12] = [
    "区分",
    "氏名",
    "フリガナ",
    "電話番号",
    "券番号",
    "接種回数",
    "会場",
    "接種日",
    "時間",
    "理由",
    "取消理由",
    "送迎バス",
];

/// The call list: UTF-8 with BOM (Excel opens it as UTF-8), CRLF, [`CALLS_HEADER`].
pub fn calls_csv(lines: &[CallLine]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record(CALLS_HEADER);
    for l in lines {
        let a = &l.appointment;
        let _ = w.write_record([
            l.kind.label_ja(),
            &l.name,
            &l.name_kana,
            &l.phone,
            &l.voucher,
            &format!("{}回目", a.dose_number),
            &a.venue_name,
            &a.date.to_string(),
            &format_band(a.start, a.end),
            l.reason.label_ja(),
            l.cancelled.map_or("", CancelReason::label_ja),
            l.ride.as_deref().unwrap_or_default(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// The notice batches, newest first, at most `limit`.
///
/// # Errors
/// The ledger failed.
pub fn notice_batches(ledger: &Ledger, limit: u32) -> Result<Vec<NoticeBatchRow>, NoticeError> {
    Ok(ledger.reader().notice_batches(limit)?)
}

/// What a resident was sent, newest first (for the call centre).
///
/// # Errors
/// The ledger failed.
pub fn resident_notices(ledger: &Ledger, resident: RowId) -> Result<Vec<NoticeRow>, NoticeError> {
    Ok(ledger.reader().notices_of(resident)?)
}
