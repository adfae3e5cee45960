//! `vaxhq notices …`: the notices of new and changed bookings (docs/notices.md).

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, FixedOffset};
use clap::{Args, Subcommand};
use vax_app::notices::{
    make_notice_batch, notice_batches, pending_notices, NoticeError, NoticeOptions, OverLimit,
    PendingSummary,
};
use vax_app::print::JapaneseFont;
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::exit;

#[derive(Subcommand)]
pub enum NoticesCommand {
    /// What a batch made now would hold: bookings by kind, letters, SMS, calls, and every
    /// SMS over the limit.
    Pending(OptionArgs),
    /// Make the batch: letters PDF, SMS list and call list in a new folder under --out, and
    /// record every notice sent.
    Make {
        /// Folder under which the batch's folder is made.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// List past batches, newest first.
    Batches {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Args)]
pub struct OptionArgs {
    /// The most characters an SMS may have (counted as UCS-2 units, as bulk-SMS services do).
    #[arg(long, default_value_t = 70)]
    sms_limit: u32,
    /// Refuse the whole batch when an SMS is over the limit (default: call those instead).
    #[arg(long)]
    refuse_over_limit: bool,
    /// The SMS of a first notice; fields {dose} {date} {time} {venue}.
    #[arg(long)]
    first_template: Option<String>,
    /// The SMS of a change notice; same fields.
    #[arg(long)]
    change_template: Option<String>,
    /// The SMS of a cancellation; also {reason} and {contact} (the call centre's number).
    #[arg(long)]
    cancel_template: Option<String>,
}

impl OptionArgs {
    fn options(&self) -> NoticeOptions {
        let defaults = NoticeOptions::default();
        NoticeOptions {
            sms_limit: self.sms_limit,
            over_limit: if self.refuse_over_limit {
                OverLimit::Refuse
            } else {
                OverLimit::CallInstead
            },
            first_template: self
                .first_template
                .clone()
                .unwrap_or(defaults.first_template),
            change_template: self
                .change_template
                .clone()
                .unwrap_or(defaults.change_template),
            cancel_template: self
                .cancel_template
                .clone()
                .unwrap_or(defaults.cancel_template),
        }
    }
}

/// The exit code of a refusal, with the message in both languages on stderr.
fn refused(e: &NoticeError) -> u8 {
    eprintln!("error: {e}\nエラー: {}", e.message_ja());
    match e {
        NoticeError::Template { .. } | NoticeError::ZeroLimit | NoticeError::SmsTooLong { .. } => {
            exit::REJECTED
        }
        NoticeError::NothingPending => exit::NOT_FOUND,
        NoticeError::RoleMayNot(_) | NoticeError::NoSender => exit::REFUSED,
        _ => exit::FAILURE,
    }
}

pub fn run(
    ledger: &mut Ledger,
    command: &NoticesCommand,
    now: DateTime<FixedOffset>,
    as_json: bool,
) -> anyhow::Result<u8> {
    match command {
        NoticesCommand::Pending(args) => {
            let summary = match pending_notices(ledger, &args.options(), now.date_naive()) {
                Ok(s) => s,
                Err(e) => return Ok(refused(&e)),
            };
            if as_json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                show_summary(&summary, args.sms_limit);
            }
            Ok(0)
        }
        NoticesCommand::Make { out, options } => {
            let font = JapaneseFont::system_default().context("loading the Japanese font")?;
            // vaxhq is the headquarters' command line, as for the VRS export.
            let made = make_notice_batch(
                ledger,
                Role::Headquarters,
                &font,
                out,
                &options.options(),
                now,
            );
            let report = match made {
                Ok(r) => r,
                Err(e) => return Ok(refused(&e)),
            };
            if as_json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "notice batch {} / お知らせ第{}回: {}",
                    report.batch_id, report.batch_id, report.folder
                );
                show_summary(&report.summary, options.sms_limit);
                for f in &report.files {
                    println!("  {f}");
                }
            }
            Ok(0)
        }
        NoticesCommand::Batches { limit } => {
            let list = notice_batches(ledger, *limit).context("reading the notice batches")?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("no notice batch yet / お知らせの作成履歴はありません");
            }
            for b in list.iter().filter(|_| !as_json) {
                println!(
                    "batch {:>4}  {}  {} letters, {} SMS, {} calls  {}",
                    b.id,
                    b.created_at.format("%Y-%m-%d %H:%M"),
                    b.letters,
                    b.sms,
                    b.calls,
                    b.folder
                );
            }
            Ok(0)
        }
    }
}

fn show_summary(s: &PendingSummary, limit: u32) {
    println!(
        "{} bookings ({} first, {} changed) / 予約{}件（新規{}件・変更{}件）",
        s.bookings, s.first, s.change, s.bookings, s.first, s.change
    );
    if s.cancel > 0 {
        println!(
            "{} cancelled bookings to tell / 取消のお知らせ {}件",
            s.cancel, s.cancel
        );
    }
    println!(
        "  letters {} (one per resident) / 郵送 {}通\n  SMS {} / SMS {}件\n  calls {} / 電話 {}件\n  letter only, no phone {} / 電話番号なし（郵送のみ） {}件",
        s.letters, s.letters, s.sms, s.sms, s.calls, s.calls, s.letter_only, s.letter_only
    );
    if s.over_limit_total > 0 {
        println!(
            "  {} SMS over {limit} characters / {limit}文字を超えるSMS {}件:",
            s.over_limit_total, s.over_limit_total
        );
        for o in &s.over_limit {
            println!("    {} ({}) {}: {}", o.name, o.voucher, o.length, o.message);
        }
    }
}
