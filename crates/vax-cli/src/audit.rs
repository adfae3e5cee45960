//! `vaxhq audit` and `vaxhq staff …`: HQ's audit search and staff register (docs/audit.md).

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use vax_app::audit::{search, AuditSearch};
use vax_app::staff::{register_staff, staff_list, NewStaff};
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::exit;

/// `vaxhq audit`: who did what to whose record, newest first.
#[derive(Args)]
pub struct AuditArgs {
    /// The resident: voucher number (10 digits) or resident id.
    #[arg(long)]
    resident: Option<String>,
    /// Only this staff member's entries (staff code).
    #[arg(long)]
    staff: Option<String>,
    /// From this day (YYYY-MM-DD, Japan time).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Up to and including this day.
    #[arg(long)]
    to: Option<NaiveDate>,
}

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Register a staff member (or change one: the same code replaces them). Replicates to
    /// the venue at the next sync.
    Add(StaffAddArgs),
    /// List registered staff.
    List,
}

#[derive(Args)]
pub struct StaffAddArgs {
    /// Staff code (letters, digits, -), printed on the card.
    #[arg(long)]
    code: String,
    /// 氏名.
    #[arg(long)]
    name: String,
    /// Venue code; leave out for HQ staff.
    #[arg(long)]
    venue: Option<String>,
    /// reception, booth, venue_manager, headquarters or call_centre.
    #[arg(long, value_parser = crate::parse_role)]
    role: Role,
    /// A PIN of 4 to 8 digits (or set VAXHQ_STAFF_PIN, which stays out of the shell history).
    #[arg(long, env = "VAXHQ_STAFF_PIN", hide_env_values = true)]
    pin: Option<String>,
    /// Issue a staff card: prints its QR payload once, to print on the card.
    #[arg(long)]
    card: bool,
}

/// Runs `vaxhq audit`; returns the exit code.
pub fn audit(ledger: &Ledger, args: &AuditArgs, json: bool) -> anyhow::Result<u8> {
    let query = AuditSearch {
        resident: args.resident.clone(),
        staff: args.staff.clone(),
        from: args.from,
        to: args.to,
    };
    let rows = match search(ledger, Role::Headquarters, &query) {
        Ok(rows) => rows,
        Err(e @ vax_app::audit::AuditError::Ledger(_)) => {
            return Err(e).context("searching the audit trail")
        }
        Err(e) => {
            eprintln!("error: {e} / {}", e.message_ja());
            return Ok(exit::REJECTED);
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &rows {
            println!(
                "{}  {:<9} {:<11} {:<20} {:<6} {:<13} {} {}",
                r.at.format("%Y-%m-%d %H:%M:%S"),
                r.action,
                r.resident.as_deref().unwrap_or("-"),
                match (&r.staff_code, &r.staff_name) {
                    (Some(code), Some(name)) => format!("{code} {name}"),
                    (Some(code), None) => code.clone(),
                    _ => "(device)".to_owned(),
                },
                r.venue_code.as_deref().unwrap_or("HQ"),
                r.device.get(..13).unwrap_or(&r.device),
                r.record.as_deref().unwrap_or(""),
                r.detail,
            );
        }
        eprintln!("{} entries / 件", rows.len());
    }
    Ok(if rows.is_empty() { exit::NOT_FOUND } else { 0 })
}

/// Runs `vaxhq staff …`; returns the exit code.
pub fn staff(ledger: &mut Ledger, command: &StaffCommand, json: bool) -> anyhow::Result<u8> {
    match command {
        StaffCommand::Add(a) => {
            let new = NewStaff {
                code: a.code.clone(),
                name: a.name.clone(),
                venue_code: a.venue.clone(),
                role: a.role,
                pin: a.pin.clone(),
                card: a.card,
            };
            match register_staff(ledger, Role::Headquarters, &new) {
                Ok(done) => {
                    let where_ = done.staff.venue_code.as_deref().unwrap_or("HQ");
                    eprintln!(
                        "registered {} {} at {where_}",
                        done.staff.code, done.staff.name
                    );
                    if let Some(card) = done.card_payload {
                        println!("{card}");
                    }
                    Ok(0)
                }
                Err(e @ vax_app::staff::StaffError::Ledger(_)) => {
                    Err(e).context("registering the staff member")
                }
                Err(e) => {
                    eprintln!("error: {e} / {}", e.message_ja());
                    Ok(exit::REJECTED)
                }
            }
        }
        StaffCommand::List => {
            let rows = staff_list(ledger, None).context("reading the staff register")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for s in &rows {
                    println!(
                        "{:<10} {:<20} {:<6} {:<14} {}{}{}",
                        s.code,
                        s.name,
                        s.venue_code.as_deref().unwrap_or("HQ"),
                        s.role.code(),
                        if s.has_pin { "PIN " } else { "" },
                        if s.has_card { "card " } else { "" },
                        if s.active { "" } else { "(inactive)" },
                    );
                }
            }
            Ok(0)
        }
    }
}
