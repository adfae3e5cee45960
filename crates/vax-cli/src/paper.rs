//! `vaxhq paper …`: the venue's paper fallback (issue 17, docs/venue-resilience.md): the day
//! sheets printed the day before, and the back-entry of a handwritten row.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::Subcommand;
use vax_app::desk::paper::{back_enter, write_day_sheets, BackEntry};
use vax_app::desk::{enrolled, DeskError};
use vax_app::print::JapaneseFont;
use vax_domain::error::UserFacing;
use vax_ledger::Ledger;

use crate::kiosk::Refused;

#[derive(Subcommand)]
pub enum PaperCommand {
    /// The day sheets of a venue day (A4 PDF, one table per time band): every booked
    /// resident with a row QR and boxes to fill in by hand, blank rows for walk-ins.
    Sheets {
        /// The venue's code.
        #[arg(long)]
        venue: String,
        /// The day (default: tomorrow, since the sheets are printed the day before).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// The PDF file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Types in one row of a day sheet at an enrolled venue manager's kiosk: the dose at the
    /// time written on paper, marked back-entered. Refused (exit 5) like the booth refuses
    /// (a second dose, a lot not open that day, ...); nothing is written then.
    BackEnter {
        /// The row QR as scanned (18 digits) or a walk-in's voucher number.
        #[arg(long)]
        voucher: String,
        /// The day of the sheet (default: today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// 接種時刻 as written, HH:MM.
        #[arg(long)]
        time: String,
        /// ロット as written.
        #[arg(long)]
        lot: String,
        /// 接種者 as written.
        #[arg(long)]
        vaccinator: String,
        /// Injection site.
        #[arg(long, default_value = "左上腕")]
        site: String,
        /// 観察終了 as written, HH:MM.
        #[arg(long, default_value = "")]
        observed_until: String,
    },
}

fn refused(e: DeskError) -> anyhow::Error {
    anyhow::Error::new(Refused(format!("{e} / {}", e.message_ja())))
}

pub fn run(
    ledger: &mut Ledger,
    command: &PaperCommand,
    now: DateTime<FixedOffset>,
    as_json: bool,
) -> anyhow::Result<u8> {
    match command {
        PaperCommand::Sheets { venue, date, out } => {
            let date = date.unwrap_or(now.date_naive() + chrono::Days::new(1));
            let font = JapaneseFont::system_default().context("loading the Japanese font")?;
            let written = write_day_sheets(ledger, &font, venue, date, out)
                .map_err(|e| anyhow::anyhow!("{e} / {}", e.message_ja()))?;
            println!(
                "day sheets {venue} {date}: {} bands, {} residents, {} pages -> {}",
                written.bands,
                written.residents,
                written.pages,
                out.display()
            );
        }
        PaperCommand::BackEnter {
            voucher,
            date,
            time,
            lot,
            vaccinator,
            site,
            observed_until,
        } => {
            let enrollment = enrolled(ledger).map_err(refused)?;
            let entry = BackEntry {
                voucher: voucher.clone(),
                date: date.unwrap_or(now.date_naive()),
                given_at: time.clone(),
                lot_number: lot.clone(),
                vaccinator: vaccinator.clone(),
                injection_site: site.clone(),
                observed_until: observed_until.clone(),
            };
            let done = back_enter(ledger, &enrollment, &entry, now).map_err(refused)?;
            if as_json {
                println!("{}", serde_json::to_string(&done)?);
            } else {
                println!(
                    "back-entered dose {} of {} given {} ({})",
                    done.dose_number,
                    done.name,
                    done.dose.observe_until
                        - chrono::Duration::minutes(done.dose.observation_minutes.into()),
                    done.dose.uid
                );
            }
        }
    }
    Ok(0)
}
