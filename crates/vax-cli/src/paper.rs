//! `vaxhq paper …`: the venue's paper fallback (issue 17, docs/venue-resilience.md): the day
//! sheets printed the day before, and the back-entry of a handwritten row.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::Subcommand;
use vax_app::desk::paper::{back_enter, write_day_sheets, BackEntry};
use vax_app::desk::paper_sheet::{back_enter_sheet_file, SheetError};
use vax_app::desk::{enrolled, DeskError, Enrollment};
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
    /// Types in a whole day sheet from one CSV file (docs/venue-resilience.md, "A whole
    /// sheet from one file"), all or nothing: every row is recorded in one transaction, or,
    /// when any row is refused, nothing is and every bad line is listed (exit 4).
    BackEnterSheet {
        /// The sheet as CSV: UTF-8 (with or without BOM) or CP932, Japanese header.
        file: PathBuf,
        /// Check the file and show what it would record; write nothing.
        #[arg(long)]
        preview: bool,
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
        PaperCommand::BackEnterSheet { file, preview } => {
            let enrollment = enrolled(ledger).map_err(refused)?;
            return back_enter_sheet(ledger, &enrollment, file, *preview, now, as_json);
        }
    }
    Ok(0)
}

fn back_enter_sheet(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    file: &Path,
    preview: bool,
    now: DateTime<FixedOffset>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let outcome = match back_enter_sheet_file(ledger, enrollment, file, now, preview) {
        Ok(outcome) => outcome,
        Err(e @ SheetError::Refused { .. }) => {
            let problems = e.problems();
            if as_json {
                println!("{}", serde_json::to_string(problems)?);
            }
            eprintln!(
                "refused: {} line(s), nothing was recorded / {}行に問題があるため、何も記録していません",
                problems.len(),
                problems.len()
            );
            for p in problems {
                eprintln!("  {p}");
            }
            return Ok(crate::exit::REJECTED);
        }
        Err(SheetError::Desk(e)) => return Err(refused(e)),
        Err(e) => return Err(anyhow::anyhow!("{e} / {}", e.message_ja())),
    };
    if as_json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else {
        for row in &outcome.rows {
            println!(
                "line {}: {} dose {} given {}{}",
                row.line,
                row.entered.name,
                row.entered.dose_number,
                row.entered.given_at.format("%Y-%m-%d %H:%M"),
                if row.entered.checked_in {
                    ", checked in"
                } else {
                    ""
                }
            );
        }
        for p in &outcome.refusals {
            eprintln!("  {p}");
        }
    }
    if !outcome.refusals.is_empty() {
        eprintln!(
            "{} line(s) would be refused: nothing can be recorded / {}行が記録できません",
            outcome.refusals.len(),
            outcome.refusals.len()
        );
        return Ok(crate::exit::REJECTED);
    }
    if as_json {
        return Ok(0); // the outcome says it all
    }
    if outcome.committed {
        println!(
            "back-entered {} row(s) from {} / {}行を記録しました",
            outcome.rows.len(),
            file.display(),
            outcome.rows.len()
        );
    } else {
        println!(
            "preview: {} row(s) would be recorded; nothing written / プレビュー: {}行を記録できます（未記録）",
            outcome.rows.len(),
            outcome.rows.len()
        );
    }
    Ok(0)
}
