//! `vaxhq print …`: the 予診票 reissue and the city's voucher sheets as PDFs.

use std::path::PathBuf;
use vax_domain::error::UserFacing;

use anyhow::Context;
use chrono::{DateTime, FixedOffset};
use clap::Subcommand;
use vax_app::lookup::{find, Query};
use vax_app::print::{
    mailing_details, print_vouchers, reissue_yoshinhyo, set_mailing_details, BatchOptions,
    JapaneseFont, MailingDetails, PrintJobError,
};
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::exit;
use crate::progress::Bar;

#[derive(Subcommand)]
pub enum PrintCommand {
    /// One voucher sheet (A4) per resident for mailing, in PDF files of N pages.
    Vouchers {
        /// Folder for vouchers-0001.pdf, vouchers-0002.pdf, …
        #[arg(long)]
        out: PathBuf,
        /// Pages per PDF file.
        #[arg(long, default_value_t = 500)]
        chunk: usize,
    },
    /// Shows or changes what every voucher sheet carries besides the resident: the sender
    /// (差出人) and the お問い合わせ先 lines. The app's HQ screen edits the same details.
    /// Without options it shows them; options change only what they name.
    Mailing {
        /// The sender, e.g. "舞鶴市 健康づくり課".
        #[arg(long)]
        sender: Option<String>,
        /// A contact line; repeat for each line (up to 4). Replaces the saved lines.
        #[arg(long, conflicts_with = "no_contact")]
        contact: Vec<String>,
        /// Prints no contact box.
        #[arg(long)]
        no_contact: bool,
    },
    /// A resident's 予診票 (A4), for the dose due today.
    Yoshinhyo {
        /// The 18-digit QR/OCR line or the 10-digit voucher number.
        #[arg(long)]
        voucher: String,
        /// The PDF file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(
    ledger: &mut Ledger,
    command: &PrintCommand,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<u8> {
    let today = now.date_naive();
    if let PrintCommand::Mailing {
        sender,
        contact,
        no_contact,
    } = command
    {
        return mailing(ledger, sender.as_deref(), contact, *no_contact);
    }
    let font = JapaneseFont::system_default().context("loading the Japanese font")?;
    match command {
        PrintCommand::Mailing { .. } => unreachable!("handled above"),
        PrintCommand::Vouchers { out, chunk } => {
            let mut opts = BatchOptions::new(out, today);
            opts.chunk_size = (*chunk).max(1);
            let bar = std::cell::RefCell::new(Bar::new("vouchers"));
            let report = print_vouchers(ledger, &font, &opts, &mut |done, total| {
                use vax_app::Progress;
                bar.borrow_mut()
                    .update(vax_app::Stage::Writing, done as u64, total as u64)
            });
            bar.borrow().finish();
            if let Err(e @ PrintJobError::NoSender) = &report {
                eprintln!(
                    "error: {e} (vaxhq print mailing --sender …) / {}",
                    e.message_ja()
                );
                return Ok(exit::REJECTED);
            }
            let report = report.context("printing the voucher sheets")?;
            let about = vax_app::audit::About {
                record: Some(out.display().to_string()),
                detail: format!("city-wide voucher sheets (dose 1), {} pages", report.pages),
                ..Default::default()
            };
            vax_app::audit::record_here(ledger, vax_app::audit::AuditAction::Print, &[about], now)
                .map_err(|e| anyhow::anyhow!("{e} / {}", e.message_ja()))?;
            println!(
                "{} pages in {} files under {}",
                report.pages,
                report.files.len(),
                out.display()
            );
            Ok(0)
        }
        PrintCommand::Yoshinhyo { voucher, out } => {
            let found = match find(ledger, &Query::Voucher(voucher.clone())) {
                Ok(found) => found,
                Err(e) => {
                    eprintln!("error: {e} / {}", e.message_ja());
                    return Ok(exit::REJECTED);
                }
            };
            let [resident] = found.as_slice() else {
                eprintln!("{} residents match; give the 18-digit line / 該当者が{}人います。18桁で指定してください", found.len(), found.len());
                return Ok(if found.is_empty() {
                    exit::NOT_FOUND
                } else {
                    exit::REJECTED
                });
            };
            reissue_yoshinhyo(ledger, &font, resident.id, today, out)
                .context("printing the 予診票")?;
            println!("{} ({})", out.display(), resident.resident.name);
            Ok(0)
        }
    }
}

fn mailing(
    ledger: &mut Ledger,
    sender: Option<&str>,
    contact: &[String],
    no_contact: bool,
) -> anyhow::Result<u8> {
    let saved = mailing_details(ledger).context("reading the mailing details")?;
    let changes = sender.is_some() || !contact.is_empty() || no_contact;
    let details = if changes {
        let base = saved.unwrap_or_default();
        let wanted = MailingDetails {
            sender: sender.map_or(base.sender, str::to_owned),
            contact: if no_contact {
                Vec::new()
            } else if contact.is_empty() {
                base.contact
            } else {
                contact.to_vec()
            },
        };
        let font = JapaneseFont::system_default().context("loading the Japanese font")?;
        match set_mailing_details(ledger, &font, Role::Headquarters, &wanted) {
            Ok(saved) => saved,
            Err(e @ (PrintJobError::NoSender | PrintJobError::MailingInvalid(_))) => {
                eprintln!("error: {e} / {}", e.message_ja());
                return Ok(exit::REJECTED);
            }
            Err(e) => return Err(e).context("saving the mailing details"),
        }
    } else {
        match saved {
            Some(details) => details,
            None => {
                eprintln!(
                    "no sender saved yet: vaxhq print mailing --sender … / 差出人が未設定です"
                );
                return Ok(exit::NOT_FOUND);
            }
        }
    };
    println!("差出人 / sender: {}", details.sender);
    for line in &details.contact {
        println!("お問い合わせ先 / contact: {line}");
    }
    Ok(0)
}
