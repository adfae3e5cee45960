//! `vaxhq vrs …`: the nightly VRS export, its batches and their regeneration.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, FixedOffset};
use clap::{Args, Subcommand, ValueEnum};
use vax_app::vrs::{
    export_vrs, regenerate_vrs, vrs_batches, HqError, VrsEncoding, VrsError, VrsExportRequest,
};
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::exit;
use crate::progress::Bar;

/// How many problems are printed to the terminal.
const PROBLEMS_SHOWN: usize = 50;

#[derive(Subcommand)]
pub enum VrsCommand {
    /// Export every dose not exported yet (and corrections of voided ones) as a new batch.
    Export(ExportArgs),
    /// List past batches.
    Batches,
    /// Write a past batch's files again, byte for byte.
    Regenerate {
        /// The batch number (see `vaxhq vrs batches`).
        batch: i64,
        /// Folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with BOM (for Excel).
    Utf8Bom,
    /// CP932 / Shift_JIS.
    Cp932,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Folder to write the files into.
    #[arg(long)]
    out: PathBuf,
    /// Text encoding.
    #[arg(long, value_enum, default_value_t = EncodingArg::Utf8)]
    encoding: EncodingArg,
    /// Leave out the header row of Japanese item names.
    #[arg(long)]
    no_header: bool,
    /// End lines with LF instead of CRLF.
    #[arg(long)]
    lf: bool,
    /// Dose groups per row of the 台帳形式 file.
    #[arg(long, default_value_t = 2)]
    dose_groups: u8,
    /// 接種自治体コード to write (default: each resident's voucher municipality).
    #[arg(long)]
    site_municipality: Option<String>,
    /// Export the valid records and list the invalid ones, instead of exporting nothing.
    #[arg(long)]
    export_valid: bool,
}

pub fn run(
    ledger: &mut Ledger,
    command: &VrsCommand,
    now: DateTime<FixedOffset>,
    as_json: bool,
) -> anyhow::Result<u8> {
    match command {
        VrsCommand::Export(args) => export(ledger, args, now, as_json),
        VrsCommand::Batches => {
            let list = vrs_batches(ledger).context("reading the VRS batches")?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("no VRS batch yet / VRS出力の履歴はありません");
            }
            for b in list.iter().filter(|_| !as_json) {
                println!(
                    "batch {:>4}  {}  {} records, {} corrections",
                    b.id,
                    b.created_at.format("%Y-%m-%d %H:%M"),
                    b.exports,
                    b.corrections
                );
                for f in &b.files {
                    println!("      {}  {} bytes  sha256 {}", f.name, f.bytes, f.sha256);
                }
            }
            Ok(0)
        }
        VrsCommand::Regenerate { batch, out } => {
            let files = regenerate_vrs(ledger, *batch, out)
                .with_context(|| format!("regenerating VRS batch {batch}"))?;
            for f in files {
                println!(
                    "{}  {} bytes  sha256 {}",
                    f.path.display(),
                    f.bytes,
                    f.sha256
                );
            }
            Ok(0)
        }
    }
}

fn export(
    ledger: &mut Ledger,
    args: &ExportArgs,
    now: DateTime<FixedOffset>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let request = VrsExportRequest {
        out_dir: args.out.display().to_string(),
        encoding: match args.encoding {
            EncodingArg::Utf8 => VrsEncoding::Utf8,
            EncodingArg::Utf8Bom => VrsEncoding::Utf8Bom,
            EncodingArg::Cp932 => VrsEncoding::Cp932,
        },
        header: !args.no_header,
        crlf: !args.lf,
        export_valid: args.export_valid,
        site_municipality: args.site_municipality.clone(),
        dose_groups: Some(args.dose_groups),
    };
    let options = request
        .options()
        .map_err(|e| anyhow::anyhow!("--site-municipality: {e} / {}", e.message_ja()))?;
    let bar = std::cell::RefCell::new(Bar::new("VRS export"));
    // The command line is headquarters' own tool.
    let result = export_vrs(
        ledger,
        Role::Headquarters,
        &options,
        &args.out,
        now,
        &mut |done, total| {
            use vax_app::Progress;
            bar.borrow_mut()
                .update(vax_app::Stage::Checking, done, total)
        },
    );
    bar.borrow().finish();
    let report = match result {
        Ok(report) => report,
        Err(HqError::Vrs(VrsError::Invalid(report))) => {
            eprintln!(
                "rejected: {} problem(s), nothing was exported / {}件の問題があるため、何も出力していません",
                report.problems.len(),
                report.problems.len()
            );
            for p in report.problems.iter().take(PROBLEMS_SHOWN) {
                eprintln!("  {p}");
            }
            if report.problems.len() > PROBLEMS_SHOWN {
                eprintln!("  … and {} more", report.problems.len() - PROBLEMS_SHOWN);
            }
            return Ok(exit::REJECTED);
        }
        Err(e) => return Err(e).context("exporting to VRS"),
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(0);
    }
    match report.batch {
        None => println!("nothing new to export / 新しい接種記録はありません"),
        Some(batch) => {
            println!(
                "batch {batch}: {} records of {} residents, {} corrections",
                report.exported, report.residents, report.corrections
            );
            for f in &report.files {
                println!("  {}  {} bytes", f.path.display(), f.bytes);
            }
        }
    }
    if !report.left_out.problems.is_empty() {
        eprintln!(
            "left out ({} record(s), exported next time once fixed):",
            report.left_out.problems.len()
        );
        for p in report.left_out.problems.iter().take(PROBLEMS_SHOWN) {
            eprintln!("  {p}");
        }
    }
    Ok(0)
}
