//! Printing from the ledger: a resident's 予診票 reissue at the desk, and the voucher sheets
//! of the whole city for mailing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserError, UserFacing};
use vax_domain::role::Role;
use vax_domain::voucher::OcrLine;
use vax_ledger::{Ledger, LedgerError, ResidentRow, RowId};
use vax_print::{
    check_mailing_fits, write_voucher_batches, write_yoshinhyo, VoucherSheet, YoshinhyoInput,
    CONTACT_MAX_LINES,
};
pub use vax_print::{
    BatchOptions, BatchReport, FontError, JapaneseFont, MailingOverflow, PrintError,
};

use crate::config::{AppConfig, Folders};
use crate::lookup::{card, LookupError};

/// 券種 printed on our vouchers: the code values are not published (DOMAIN.md §2.1), so the
/// one value the campaign uses is kept in one place.
const VOUCHER_KIND: u8 = 1;

/// Why a document was not printed.
#[derive(Debug, Error)]
pub enum PrintJobError {
    /// The PDF could not be written (font, disk).
    #[error(transparent)]
    Print(#[from] PrintError),
    /// The resident's history could not be read.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Only headquarters prints the city's vouchers.
    #[error("the {0:?} role may not print the city's vouchers")]
    RoleMayNot(Role),
    /// A voucher batch is running already.
    #[error("a voucher batch is running already")]
    Busy,
    /// The background thread could not start.
    #[error("the print job could not start: {0}")]
    Thread(std::io::Error),
    /// The voucher sheets would go out without a sender.
    #[error("set the sender printed on the vouchers first")]
    NoSender,
    /// The sender or contact lines do not fit the sheet.
    #[error("{0}")]
    MailingInvalid(MailingProblem),
    /// Nobody is signed in where staff must be (docs/audit.md).
    #[error(transparent)]
    Staff(#[from] crate::staff::StaffError),
}

/// What is wrong with the mailing details.
#[derive(Debug, Clone, PartialEq)]
pub enum MailingProblem {
    /// The text does not fit where the sheet prints it.
    DoesNotFit(MailingOverflow),
    /// A line break or other control character inside the sender or a contact line.
    ControlCharacter,
}

impl std::fmt::Display for MailingProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DoesNotFit(o @ MailingOverflow::Sender { .. }) => write!(
                f,
                "the sender is too long for the sheet (about {} full-width characters fit)",
                o.full_width_chars_that_fit()
            ),
            Self::DoesNotFit(MailingOverflow::ContactLines { lines }) => write!(
                f,
                "{lines} contact lines: the box holds at most {CONTACT_MAX_LINES}"
            ),
            Self::DoesNotFit(o @ MailingOverflow::ContactLine { index, .. }) => write!(
                f,
                "contact line {} is too long for the box (about {} full-width characters fit)",
                index + 1,
                o.full_width_chars_that_fit()
            ),
            Self::ControlCharacter => {
                f.write_str("the sender and each contact line must be a single line of text")
            }
        }
    }
}

impl MailingProblem {
    /// The message in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            Self::DoesNotFit(o @ MailingOverflow::Sender { .. }) => format!(
                "差出人が長すぎて用紙に収まりません（全角{}文字程度まで）",
                o.full_width_chars_that_fit()
            ),
            Self::DoesNotFit(MailingOverflow::ContactLines { lines }) => format!(
                "お問い合わせ先が{lines}行あります。{CONTACT_MAX_LINES}行以内にしてください"
            ),
            Self::DoesNotFit(o @ MailingOverflow::ContactLine { index, .. }) => format!(
                "お問い合わせ先の{}行目が長すぎて枠に収まりません（全角{}文字程度まで）",
                index + 1,
                o.full_width_chars_that_fit()
            ),
            Self::ControlCharacter => {
                "差出人とお問い合わせ先の各行は、改行を含まない1行にしてください".to_owned()
            }
        }
    }
}

impl UserFacing for PrintJobError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoleMayNot(_) => ErrorCode::RoleMayNot,
            Self::Busy => ErrorCode::PrintBusy,
            Self::NoSender => ErrorCode::NoSender,
            Self::MailingInvalid(_) => ErrorCode::InvalidInput,
            Self::Staff(e) => e.code(),
            Self::Print(PrintError::Font(_)) => ErrorCode::FontMissing,
            Self::Print(_) | Self::Thread(_) | Self::Lookup(_) | Self::Ledger(_) => {
                ErrorCode::PrintFailed
            }
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::RoleMayNot(_) => "接種券の一括印刷は本部の端末でのみ行えます".to_owned(),
            Self::Busy => "接種券の一括印刷はすでに実行中です".to_owned(),
            Self::Print(PrintError::Font(e)) => format!("日本語フォントがありません: {e}"),
            Self::Print(PrintError::Io { path, source }) => {
                format!("{}に書き込めません: {source}", path.display())
            }
            Self::Lookup(e) => e.message_ja(),
            Self::Ledger(e) => format!("台帳エラー: {e}"),
            Self::Thread(e) => format!("印刷処理を開始できません: {e}"),
            Self::NoSender => "接種券に印刷する差出人を先に設定してください".to_owned(),
            Self::MailingInvalid(p) => p.message_ja(),
            Self::Staff(e) => e.message_ja(),
        }
    }
}

/// A printed document.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Printed {
    /// Where the PDF was written.
    pub path: String,
    /// Whether the system's PDF viewer was started (to print from its dialog).
    pub opened: bool,
}

/// Writes the resident's 予診票 into the `print/` folder beside the ledger and opens it in
/// the system's viewer (unless the configuration says not to), from which staff print it.
/// The print is an entry of the audit trail.
pub fn print_yoshinhyo(
    ledger: &mut Ledger,
    config: &AppConfig,
    folders: &Folders,
    resident_id: RowId,
    now: DateTime<FixedOffset>,
) -> Result<Printed, PrintJobError> {
    let actor = crate::audit::actor_here(ledger, now)?;
    let today = now.date_naive();
    let dir = folders.print();
    std::fs::create_dir_all(&dir).map_err(|source| PrintError::Io {
        path: dir.clone(),
        source,
    })?;
    let path = folders.yoshinhyo(resident_id, today);
    let font = JapaneseFont::system_default().map_err(PrintError::from)?;
    reissue_yoshinhyo(ledger, &font, resident_id, today, &path)?;
    let voucher = ledger.reader().resident(resident_id)?.resident.voucher;
    let mut tx = ledger.transaction()?;
    let about = crate::audit::About::resident(&voucher).detail("予診票 reissued");
    crate::audit::record(&mut tx, &actor, vax_sync::AuditAction::Print, &about, now)?;
    tx.commit()?;
    // The desktop's default PDF viewer; its print dialog does the printing.
    let opened = config.open_on_desktop(&path);
    Ok(Printed {
        path: path.display().to_string(),
        opened,
    })
}

/// What headquarters prints on every mailed voucher sheet besides the resident's data: the
/// sender (top right) and the お問い合わせ先 box. Kept in the HQ installation's ledger, so the
/// screen and the command line print the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MailingDetails {
    /// The sender, e.g. `舞鶴市 健康づくり課`.
    pub sender: String,
    /// Contact lines (call centre, hours), at most 4; may be empty.
    pub contact: Vec<String>,
}

const KEY_SENDER: &str = "voucher_sender";
const KEY_CONTACT: &str = "voucher_contact";

impl MailingDetails {
    /// Trimmed, blank contact lines dropped, and checked against what the sheet holds,
    /// measured with the font that prints it (`font`).
    ///
    /// # Errors
    /// [`PrintJobError::NoSender`] for a blank sender, [`PrintJobError::MailingInvalid`] for
    /// text that would not fit or holds a line break.
    pub fn normalised(&self, font: &JapaneseFont) -> Result<Self, PrintJobError> {
        let invalid = PrintJobError::MailingInvalid;
        let sender = self.sender.trim().to_owned();
        if sender.is_empty() {
            return Err(PrintJobError::NoSender);
        }
        let contact: Vec<String> = self
            .contact
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        if std::iter::once(&sender)
            .chain(&contact)
            .any(|l| l.chars().any(char::is_control))
        {
            return Err(invalid(MailingProblem::ControlCharacter));
        }
        check_mailing_fits(font, &sender, &contact)
            .map_err(|o| invalid(MailingProblem::DoesNotFit(o)))?;
        Ok(Self { sender, contact })
    }
}

/// The mailing details saved on this installation, if any.
///
/// # Errors
/// The ledger failed.
pub fn mailing_details(ledger: &Ledger) -> Result<Option<MailingDetails>, LedgerError> {
    let reader = ledger.reader();
    let Some(sender) = reader.setting(KEY_SENDER)? else {
        return Ok(None);
    };
    let contact = reader
        .setting(KEY_CONTACT)?
        .map(|c| c.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(Some(MailingDetails { sender, contact }))
}

/// Saves the mailing details (headquarters only), normalised as [`MailingDetails::normalised`].
///
/// # Errors
/// [`PrintJobError::RoleMayNot`] unless `role` is headquarters; the validation errors of
/// [`MailingDetails::normalised`]; the ledger failed. Nothing is saved on an error.
pub fn set_mailing_details(
    ledger: &mut Ledger,
    font: &JapaneseFont,
    role: Role,
    details: &MailingDetails,
) -> Result<MailingDetails, PrintJobError> {
    if !role.may_print_vouchers() {
        return Err(PrintJobError::RoleMayNot(role));
    }
    let details = details.normalised(font)?;
    let tx = ledger.transaction()?;
    save_mailing_details(&tx, &details)?;
    tx.commit()?;
    Ok(details)
}

/// Writes already normalised details in `tx`.
pub(crate) fn save_mailing_details(
    tx: &vax_ledger::WriteTx<'_>,
    details: &MailingDetails,
) -> Result<(), LedgerError> {
    tx.set_setting(KEY_SENDER, &details.sender)?;
    tx.set_setting(KEY_CONTACT, &details.contact.join("\n"))
}

/// The voucher line of resident `r` for `dose`, as every document of HQ prints it.
pub(crate) fn line_for(r: &ResidentRow, dose: u8) -> OcrLine {
    OcrLine {
        kind: VOUCHER_KIND,
        dose,
        municipality: r.resident.municipality.clone(),
        number: r.resident.voucher.clone(),
    }
}

/// Writes the 予診票 of resident `id` for the dose due on `today` to `path`.
pub fn reissue_yoshinhyo(
    ledger: &Ledger,
    font: &JapaneseFont,
    id: RowId,
    today: NaiveDate,
    path: &Path,
) -> Result<(), PrintJobError> {
    let c = card(ledger, id, today)?;
    let dose = match c.due {
        vax_domain::eligibility::DueStatus::FirstDoseDue => 1,
        vax_domain::eligibility::DueStatus::NextDoseDue { dose_number, .. }
        | vax_domain::eligibility::DueStatus::IntervalNotReached { dose_number, .. } => dose_number,
        vax_domain::eligibility::DueStatus::SeriesComplete { doses } => doses,
    };
    let r = &c.resident.resident;
    let input = YoshinhyoInput {
        postal_code: r.postal_code.clone(),
        address: r.address.clone(),
        name: r.name.clone(),
        name_kana: r.name_kana.clone(),
        birth_date: r.birth_date,
        sex: r.sex,
        phone: r
            .phone
            .as_ref()
            .map(|p| p.display.clone())
            .unwrap_or_default(),
        voucher: line_for(&c.resident, dose),
        print_date: today,
    };
    Ok(write_yoshinhyo(font, &input, path)?)
}

/// Writes the dose-1 voucher sheets of every resident, in voucher order, in chunks of
/// `opts.chunk_size` pages. Residents are streamed from the ledger, so memory does not grow
/// with the city. The sender and contact lines are the saved [`mailing_details`], whatever
/// `opts` says: sheets never go out without a sender ([`PrintJobError::NoSender`], before
/// anything is written).
pub fn print_vouchers(
    ledger: &Ledger,
    font: &JapaneseFont,
    opts: &BatchOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BatchReport, PrintJobError> {
    print_vouchers_until(ledger, font, opts, progress, &AtomicBool::new(false))
}

/// As [`print_vouchers`], stopping after the page in hand once `cancel` is set: the pages
/// printed so far are saved (the last file holds fewer pages), the rest are not printed.
fn print_vouchers_until(
    ledger: &Ledger,
    font: &JapaneseFont,
    opts: &BatchOptions,
    progress: &mut dyn FnMut(usize, usize),
    cancel: &AtomicBool,
) -> Result<BatchReport, PrintJobError> {
    let saved = mailing_details(ledger)?.ok_or(PrintJobError::NoSender)?;
    let opts = &BatchOptions {
        issuer: saved.sender,
        contact: saved.contact,
        ..opts.clone()
    };
    let total = usize::try_from(ledger.reader().resident_count()?).unwrap_or(usize::MAX);
    let mut pages = ResidentPages {
        ledger,
        buffer: Vec::new().into_iter(),
        last: None,
        error: None,
        cancel,
    };
    progress(0, total);
    let report = write_voucher_batches(font, pages.by_ref(), total, opts, progress)?;
    match pages.error {
        Some(e) => Err(e.into()),
        None => Ok(report),
    }
}

/// The register as an iterator of voucher sheets, read a page at a time.
struct ResidentPages<'l> {
    ledger: &'l Ledger,
    buffer: std::vec::IntoIter<ResidentRow>,
    last: Option<ResidentRow>,
    /// A read error ends the iteration and is reported after the writer returns.
    error: Option<LedgerError>,
    cancel: &'l AtomicBool,
}

const PAGE: u32 = 1_000;

impl Iterator for ResidentPages<'_> {
    type Item = VoucherSheet;

    fn next(&mut self) -> Option<VoucherSheet> {
        if self.cancel.load(Ordering::Relaxed) {
            return None;
        }
        let r = match self.buffer.next() {
            Some(r) => r,
            None => {
                let after = self
                    .last
                    .as_ref()
                    .map(|l| (&l.resident.municipality, &l.resident.voucher));
                match self.ledger.reader().residents_after(after, PAGE) {
                    Ok(page) => self.buffer = page.into_iter(),
                    Err(e) => {
                        self.error = Some(e);
                        return None;
                    }
                }
                self.buffer.next()?
            }
        };
        let sheet = VoucherSheet {
            postal_code: r.resident.postal_code.clone(),
            address: r.resident.address.clone(),
            name: r.resident.name.clone(),
            voucher: line_for(&r, 1),
        };
        self.last = Some(r);
        Some(sheet)
    }
}

/// Where a background voucher batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum JobState {
    /// Printing.
    Running,
    /// Every page printed.
    Done,
    /// Stopped on request; the pages printed so far are saved.
    Cancelled,
    /// Stopped by an error (see the message).
    Failed,
}

/// The progress of a background voucher batch, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VoucherJobStatus {
    /// Where it stands.
    pub state: JobState,
    /// Pages printed.
    pub done: u64,
    /// Pages to print (residents in the register).
    pub total: u64,
    /// The folder the PDFs go to.
    pub out_dir: String,
    /// Files written, once finished.
    pub files: Vec<String>,
    /// Why it failed.
    pub error: Option<UserError>,
}

#[derive(Debug, Default)]
struct JobShared {
    done: AtomicU64,
    total: AtomicU64,
    cancel: AtomicBool,
    outcome: Mutex<Option<Result<BatchReport, PrintJobError>>>,
}

/// The city's voucher sheets printed on a background thread ([`print_vouchers`] with
/// progress and cancellation), for the HQ screen. The thread reads through its own
/// connection to the ledger file, so the app's other commands are not held up.
#[derive(Debug)]
pub struct VoucherJob {
    shared: Arc<JobShared>,
    out_dir: PathBuf,
    thread: Option<JoinHandle<()>>,
}

impl VoucherJob {
    /// Starts printing every resident's dose-1 voucher sheet into `opts.out_dir` with `font`
    /// (loaded by the caller, who has usually just checked the mailing details with it).
    ///
    /// # Errors
    /// [`PrintJobError::RoleMayNot`] unless `role` is headquarters (checked before anything
    /// is written); [`PrintJobError::Thread`] when the thread cannot start. Ledger and disk
    /// errors arrive in [`VoucherJob::status`] as [`JobState::Failed`].
    pub fn start(
        ledger_path: &Path,
        role: Role,
        font: JapaneseFont,
        opts: BatchOptions,
    ) -> Result<Self, PrintJobError> {
        if !role.may_print_vouchers() {
            return Err(PrintJobError::RoleMayNot(role));
        }
        let shared = Arc::new(JobShared::default());
        let out_dir = opts.out_dir.clone();
        let path = ledger_path.to_path_buf();
        let job = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("vax-print-vouchers".to_owned())
            .spawn(move || {
                let outcome = (|| {
                    let ledger = Ledger::open(&path)?;
                    print_vouchers_until(
                        &ledger,
                        &font,
                        &opts,
                        &mut |done, total| {
                            job.done.store(done as u64, Ordering::Relaxed);
                            job.total.store(total as u64, Ordering::Relaxed);
                        },
                        &job.cancel,
                    )
                })();
                *job.outcome
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
            })
            .map_err(PrintJobError::Thread)?;
        Ok(Self {
            shared,
            out_dir,
            thread: Some(thread),
        })
    }

    /// Asks the job to stop after the page in hand.
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether the thread has finished (done, cancelled or failed).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Where the job stands.
    pub fn status(&self) -> VoucherJobStatus {
        let done = self.shared.done.load(Ordering::Relaxed);
        let mut status = VoucherJobStatus {
            state: JobState::Running,
            done,
            total: self.shared.total.load(Ordering::Relaxed).max(done),
            out_dir: self.out_dir.display().to_string(),
            files: Vec::new(),
            error: None,
        };
        let outcome = self
            .shared
            .outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match outcome.as_ref() {
            None => {}
            Some(Ok(report)) => {
                let pages = report.pages as u64;
                status.state = if self.shared.cancel.load(Ordering::Relaxed) && pages < status.total
                {
                    JobState::Cancelled
                } else {
                    status.total = pages;
                    JobState::Done
                };
                status.done = report.pages as u64;
                status.files = report
                    .files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect();
            }
            Some(Err(e)) => {
                status.state = JobState::Failed;
                status.error = Some(e.to_user_error());
            }
        }
        status
    }

    /// Waits for the thread to finish and returns the final status.
    pub fn wait(mut self) -> VoucherJobStatus {
        if let Some(t) = self.thread.take() {
            // The closure catches every error; a panic would be a bug in printpdf, and the
            // status then says Running forever, which the caller can still cancel.
            let _ = t.join();
        }
        self.status()
    }
}

impl Drop for VoucherJob {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.cancel();
            let _ = t.join();
        }
    }
}

/// The HQ screen's view of the city-wide voucher batch.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VoucherPrintStatus {
    /// Progress, files, error.
    pub job: VoucherJobStatus,
    /// Whether the folder was opened in the file manager.
    pub opened: bool,
}

/// The one voucher batch an installation runs at a time, started from the HQ screen, and
/// whether its folder was opened once it finished.
#[derive(Debug, Default)]
pub struct VoucherBatch {
    current: Option<(VoucherJob, bool)>,
}

impl VoucherBatch {
    /// Saves the sender and contact lines as typed (locking `ledger` for that write only),
    /// then starts printing every resident's voucher sheet with them into
    /// `print/vouchers-<today>` beside the ledger.
    ///
    /// # Errors
    /// [`PrintJobError::Busy`] while a batch runs; those of [`set_mailing_details`] and
    /// [`VoucherJob::start`] (headquarters only).
    pub fn start(
        &mut self,
        ledger: &Mutex<Ledger>,
        ledger_path: &Path,
        role: Role,
        mailing: &MailingDetails,
        now: DateTime<FixedOffset>,
    ) -> Result<VoucherPrintStatus, PrintJobError> {
        let today = now.date_naive();
        if self
            .current
            .as_ref()
            .is_some_and(|(job, _)| !job.is_finished())
        {
            return Err(PrintJobError::Busy);
        }
        // The font loads before the ledger is locked: the desks and the sync keep working.
        let font = JapaneseFont::system_default().map_err(PrintError::from)?;
        {
            let mut ledger = ledger
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            set_mailing_details(&mut ledger, &font, role, mailing)?;
        }
        let out_dir = Folders::beside(ledger_path).voucher_batch(today);
        {
            let mut ledger = ledger
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let actor = crate::audit::hq_actor(&ledger, now)?;
            let residents = ledger.reader().resident_count()?;
            let about = crate::audit::About {
                record: Some(out_dir.display().to_string()),
                detail: format!("city-wide voucher sheets (dose 1), {residents} residents"),
                ..Default::default()
            };
            let mut tx = ledger.transaction()?;
            crate::audit::record(&mut tx, &actor, vax_sync::AuditAction::Print, &about, now)?;
            tx.commit()?;
        }
        let job = VoucherJob::start(ledger_path, role, font, BatchOptions::new(out_dir, today))?;
        let status = job.status();
        self.current = Some((job, false));
        Ok(VoucherPrintStatus {
            job: status,
            opened: false,
        })
    }

    /// Where the batch stands (none if none was started). Once it is done, its folder is
    /// opened in the file manager, once.
    pub fn status(&mut self, config: &AppConfig) -> Option<VoucherPrintStatus> {
        let (job, opened) = self.current.as_mut()?;
        let status = job.status();
        if status.state == JobState::Done && !*opened {
            *opened = config.open_on_desktop(Path::new(&status.out_dir));
        }
        Some(VoucherPrintStatus {
            job: status,
            opened: *opened,
        })
    }

    /// Stops the batch after the page in hand; the pages printed so far are kept.
    pub fn cancel(&self) {
        if let Some((job, _)) = &self.current {
            job.cancel();
        }
    }
}
