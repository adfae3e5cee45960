//! How results are printed: readable text for people, JSON for scripts.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use vax_app::calendar::CalendarReport;
use vax_app::demo::DemoReport;
use vax_app::import::{ImportProblem, ImportReport};
use vax_app::lookup::ResidentCard;
use vax_app::roster::VenueDay;
use vax_demo::DemoParams;
use vax_domain::eligibility::DueStatus;
use vax_ledger::VenueRow;

/// How many problems are printed to the terminal; all go to `--errors-out`.
const PROBLEMS_SHOWN: usize = 50;

fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn demo(r: &DemoReport, p: &DemoParams, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(r);
    }
    println!(
        "demo city loaded (seed {}, from {} for {} weeks)",
        p.seed, p.start, p.weeks
    );
    println!("  residents      {:>7}", r.residents);
    println!("  venues         {:>7}   time bands {}", r.venues, r.bands);
    let plan = &r.plan;
    println!(
        "  booked         {:>7}   of {} who want the vaccine (both doses, by the planner)",
        plan.residents_booked, plan.candidates
    );
    println!(
        "  mean distance  {:>7.2} km   at a preferred venue or district: {:.1} % of those who stated one (100 % when nobody did)",
        plan.mean_km,
        plan.preferred_venue_share * 100.0
    );
    for reason in &plan.unplaced {
        println!(
            "  NOT BOOKED     {:>7}   {} / {}",
            reason.residents, reason.en, reason.ja
        );
    }
    Ok(())
}

pub fn consistency(r: &vax_ledger::ConsistencyReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(r);
    }
    println!(
        "{}: {} ops, {} event rows, {} residents checked",
        if r.is_sound() { "ok" } else { "NOT CONSISTENT" },
        r.ops,
        r.event_rows,
        r.residents
    );
    for problem in &r.problems {
        println!("  {problem}");
    }
    Ok(())
}

pub fn import(r: &ImportReport, kind: &str, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(r);
    }
    println!("{kind} imported ({}): {} rows", r.encoding, r.rows);
    if kind == "register" {
        println!(
            "  new {}   changed {}   unchanged {}   in the ledger but not in this file (kept) {}",
            r.inserted, r.updated, r.unchanged, r.not_in_file
        );
    }
    if !r.ignored_columns.is_empty() {
        println!("  ignored columns: {}", r.ignored_columns.join(", "));
    }
    Ok(())
}

pub fn calendar(r: &CalendarReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(r);
    }
    println!("calendar imported ({}): {} bands", r.encoding, r.rows);
    println!(
        "  venues: new {}   changed {}",
        r.venues_added, r.venues_changed
    );
    println!(
        "  bands: new {}   changed {}   unchanged {}",
        r.bands_added, r.bands_changed, r.bands_unchanged
    );
    if r.bands_over_capacity > 0 {
        println!(
            "  {} band(s) now hold more bookings than their capacity (nobody was moved) / 定員を超える予約のあるコマが{}件あります",
            r.bands_over_capacity, r.bands_over_capacity
        );
    }
    if r.ops > 0 {
        println!("  {} change(s) will replicate at the next sync", r.ops);
    }
    if !r.ignored_columns.is_empty() {
        println!("  ignored columns: {}", r.ignored_columns.join(", "));
    }
    Ok(())
}

pub fn problems(
    problems: &[ImportProblem],
    errors_out: Option<&Path>,
    as_json: bool,
) -> anyhow::Result<()> {
    if let Some(path) = errors_out {
        let mut w =
            csv::Writer::from_path(path).with_context(|| format!("writing {}", path.display()))?;
        w.write_record(["line", "column", "problem", "問題"])?;
        for p in problems {
            w.write_record([
                p.line.to_string().as_str(),
                p.column.as_deref().unwrap_or(""),
                &p.message_en,
                &p.message_ja,
            ])?;
        }
        w.flush()?;
    }
    if as_json {
        return json(&problems);
    }
    let mut err = std::io::stderr().lock();
    writeln!(err, "rejected: {} problem(s), nothing was imported / {}件の問題があるため、何も取り込んでいません", problems.len(), problems.len())?;
    for p in problems.iter().take(PROBLEMS_SHOWN) {
        writeln!(err, "  {p}")?;
    }
    if problems.len() > PROBLEMS_SHOWN {
        let more = problems.len() - PROBLEMS_SHOWN;
        match errors_out {
            Some(path) => writeln!(err, "  … and {more} more, all listed in {}", path.display())?,
            None => writeln!(
                err,
                "  … and {more} more (use --errors-out FILE to list them all)"
            )?,
        }
    }
    Ok(())
}

fn due_text(due: &DueStatus) -> String {
    match due {
        DueStatus::FirstDoseDue => "dose 1 due / 1回目接種対象".into(),
        DueStatus::NextDoseDue { dose_number, standard_date, .. } => {
            format!("dose {dose_number} due (standard day {standard_date}) / {dose_number}回目接種対象")
        }
        DueStatus::IntervalNotReached { dose_number, earliest_date } => format!(
            "dose {dose_number} NOT YET: earliest {earliest_date} / 接種間隔が未到達（{earliest_date}以降）"
        ),
        DueStatus::SeriesComplete { doses } => format!("series complete ({doses} doses) / 接種完了"),
    }
}

pub fn cards(cards: &[ResidentCard], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&cards);
    }
    for c in cards {
        let r = &c.resident.resident;
        println!(
            "{}  {}  ({}, {}歳 {})",
            r.name,
            r.name_kana,
            r.birth_date,
            c.age,
            r.sex.label_ja()
        );
        println!(
            "  券番号 {}-{}   {}",
            r.municipality,
            r.voucher,
            due_text(&c.due)
        );
        println!("  〒{} {}  [{}]", r.postal_code, r.address, r.district);
        if let Some(p) = &r.phone {
            println!("  TEL {}", p.display);
        }
        if let Some(s) = &c.resident.survey {
            let mut flags = vec![s.intention.label_ja()];
            if s.needs_transport {
                flags.push("送迎あり");
            }
            if s.anaphylaxis_history {
                flags.push("アナフィラキシー歴あり（30分観察）");
            }
            println!("  {}", flags.join("  "));
        }
        for b in &c.bookings {
            println!(
                "  予約 {}回目  {} {}–{}  {}",
                b.dose_number,
                b.band.date,
                b.band.start.format("%H:%M"),
                b.band.end.format("%H:%M"),
                b.venue_name
            );
        }
        for d in &c.doses {
            let void = d
                .voided
                .as_ref()
                .map(|(_, why)| format!("  [取消: {why}]"))
                .unwrap_or_default();
            println!(
                "  接種 {}回目  {}  {}  {} lot {}  {}{void}",
                d.dose_number,
                d.administered_at.format("%Y-%m-%d %H:%M"),
                d.venue_name,
                d.product_code,
                d.lot_number,
                d.vaccinator
            );
        }
        for q in &c.inquiries {
            println!(
                "  問合せ {}  {}  {}",
                q.received_at.format("%Y-%m-%d %H:%M"),
                q.topic.label_ja(),
                q.note
            );
        }
        println!();
    }
    Ok(())
}

pub fn venues(venues: &[VenueRow], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&venues);
    }
    for v in venues {
        println!("{}  {}  {}", v.venue.code, v.venue.name, v.venue.address);
    }
    Ok(())
}

pub fn venue_day(day: &VenueDay, list: bool, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(day);
    }
    println!(
        "{} {}  {}: booked {} of {} places",
        day.venue.venue.code,
        day.venue.venue.name,
        day.date,
        day.booked(),
        day.capacity()
    );
    if day.bands.is_empty() {
        println!("  no time bands on this day / この日のコマはありません");
    }
    for b in &day.bands {
        let first = b.residents.iter().filter(|r| r.dose_number == 1).count();
        println!(
            "  {}–{}  {:>3}/{:<3}  dose 1: {:>3}  dose 2: {:>3}",
            b.band.start.format("%H:%M"),
            b.band.end.format("%H:%M"),
            b.residents.len(),
            b.band.capacity,
            first,
            b.residents.len() - first
        );
        if list {
            for r in &b.residents {
                let mut flags = String::new();
                if r.needs_transport {
                    flags.push_str(" 送迎");
                }
                if r.anaphylaxis_history {
                    flags.push_str(" 30分観察");
                }
                println!(
                    "      {}回目 {} {} ({}) {}歳{}",
                    r.dose_number, r.voucher, r.name, r.name_kana, r.age, flags
                );
            }
        }
    }
    Ok(())
}
