//! Reading a temperature logger's CSV export (docs/stock.md, "Cold chain: logger files").
//!
//! Data loggers for vaccine fridges and freezers (T&D TR-7 series through T&D Graph or
//! their web storage, Elitech RC-5 through ElitechLog, and most others) export a table of a
//! timestamp column and a temperature column, often after a few lines about the device. The
//! reader finds the header row by its column names — a time column (`Date/Time`, `Time`,
//! `日時`, `記録日時`, …, or separate date and time columns) and a temperature column (one
//! naming °C/℃, `Temperature`, `温度`, or a channel such as `No.1`/`CH1`) — ignores the lines
//! above it and a unit row right below it, and reads every row after it. Commas, tabs or
//! semicolons; quoted fields; UTF-8 (with or without BOM) or CP932. All or nothing: a row
//! that does not read rejects the file, every problem listed with its line.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;
use vax_domain::stock::cold_chain::Reading;

use crate::import::{decode, problem, rejected_all, ImportError, ImportProblem, TextEncoding};

/// Lines above the header a file may have (device name, serial number, interval, …).
const MAX_PREAMBLE_LINES: usize = 60;

/// A logger file read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoggerLog {
    /// The readings, in file order.
    pub readings: Vec<Reading>,
    /// The header's line (1-based).
    pub header_line: u64,
    /// The time column's name as the file writes it (both, joined by `+`, when date and
    /// time are separate columns).
    pub time_column: String,
    /// The temperature column's name as the file writes it.
    pub temperature_column: String,
    /// The encoding the file was read in.
    pub encoding: String,
}

fn normalise(name: &str) -> String {
    name.trim()
        .trim_matches('"')
        .trim()
        .to_lowercase()
        .replace([' ', '_'], "")
}

/// A column naming a full timestamp.
fn is_timestamp_column(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "date/time",
        "datetime",
        "date-time",
        "timestamp",
        "time",
        "recordtime",
        "日時",
        "日付時刻",
        "記録日時",
        "測定日時",
        "年月日時刻",
    ];
    let n = normalise(name);
    let n = n.split('(').next().unwrap_or(&n).trim();
    NAMES.contains(&n)
}

fn is_date_column(name: &str) -> bool {
    matches!(normalise(name).as_str(), "date" | "日付" | "年月日")
}

fn is_time_only_column(name: &str) -> bool {
    matches!(normalise(name).as_str(), "time" | "時刻" | "時間")
}

fn is_utc(name: &str) -> bool {
    normalise(name).contains("utc")
}

fn is_fahrenheit(name: &str) -> bool {
    let n = normalise(name);
    n.contains("°f") || n.contains('℉') || n.ends_with("(f)") || n.contains("[f]")
}

/// A column holding temperatures in °C.
fn is_temperature_column(name: &str) -> bool {
    let n = normalise(name);
    n.contains("°c")
        || n.contains('℃')
        || n.contains("(c)")
        || n.contains("[c]")
        || n.starts_with("temp")
        || n.contains("温度")
        || n.starts_with("no.1")
        || n.starts_with("ch1")
        || n == "ch.1"
        || n.starts_with("channel1")
}

/// Splits one line into fields: `delimiter`-separated, double quotes around a field allowed
/// (`""` inside is a quote).
fn split(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields.into_iter().map(|f| f.trim().to_owned()).collect()
}

fn delimiter_of(line: &str) -> char {
    [',', '\t', ';']
        .into_iter()
        .max_by_key(|d| line.matches(*d).count())
        .unwrap_or(',')
}

/// Where the values are.
enum TimeColumns {
    One(usize),
    DateAndTime(usize, usize),
}

struct Header {
    line: usize,
    delimiter: char,
    time: TimeColumns,
    utc: bool,
    temperature: usize,
    time_name: String,
    temperature_name: String,
}

fn find_header(lines: &[&str]) -> Result<Header, ImportProblem> {
    for (i, line) in lines.iter().enumerate().take(MAX_PREAMBLE_LINES + 1) {
        let delimiter = delimiter_of(line);
        let fields = split(line, delimiter);
        if let Some(f) = fields.iter().find(|f| is_fahrenheit(f)) {
            return Err(problem(
                i as u64 + 1,
                Some(f.as_str()),
                "the logger writes °F: set it to °C and export again",
                "ロガーが華氏（°F）で記録しています。摂氏（°C）に設定して出力し直してください",
            ));
        }
        let temperature = fields.iter().position(|f| is_temperature_column(f));
        // A local-time column if there is one, else a UTC one.
        let stamp = fields
            .iter()
            .position(|f| is_timestamp_column(f) && !is_utc(f) && !is_time_only_column(f))
            .or_else(|| fields.iter().position(|f| is_timestamp_column(f)));
        let date = fields.iter().position(|f| is_date_column(f));
        let time_only = fields.iter().position(|f| is_time_only_column(f));
        let time = match (date, time_only, stamp) {
            (Some(d), Some(t), _) if d != t => Some(TimeColumns::DateAndTime(d, t)),
            (_, _, Some(s)) => Some(TimeColumns::One(s)),
            _ => None,
        };
        if let (Some(time), Some(temperature)) = (time, temperature) {
            let (time_name, utc) = match time {
                TimeColumns::One(s) => (fields[s].clone(), is_utc(&fields[s])),
                TimeColumns::DateAndTime(d, t) => (format!("{}+{}", fields[d], fields[t]), false),
            };
            return Ok(Header {
                line: i,
                delimiter,
                time,
                utc,
                temperature,
                time_name,
                temperature_name: fields[temperature].clone(),
            });
        }
    }
    Err(problem(
        1,
        None,
        "no header row with a time column (Date/Time, 日時, …) and a temperature column (°C, 温度, No.1, …) in the first 60 lines",
        "先頭60行に、日時の列（Date/Time・日時など）と温度の列（°C・温度・No.1など）を持つ見出し行がありません",
    ))
}

const STAMP_FORMATS: &[&str] = &[
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
];

fn parse_stamp(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim().trim_end_matches('Z');
    // Fractions of a second, when a logger writes them, are dropped.
    let text = match text.rfind('.') {
        Some(dot) if dot > 16 => &text[..dot],
        _ => text,
    };
    STAMP_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

fn parse_date_and_time(date: &str, time: &str) -> Option<NaiveDateTime> {
    let day = ["%Y/%m/%d", "%Y-%m-%d", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(date.trim(), f).ok())?;
    let at = ["%H:%M:%S", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(time.trim(), f).ok())?;
    Some(day.and_time(at))
}

fn parse_celsius(text: &str) -> Option<f64> {
    let t = text
        .trim()
        .trim_end_matches("°C")
        .trim_end_matches('℃')
        .trim()
        .replace('−', "-");
    let v: f64 = t.parse().ok()?;
    // No vaccine fridge or freezer logger reads outside this; anything else is a misread.
    (-100.0..=60.0).contains(&v).then_some(v)
}

/// Reads a logger's CSV export (see the module documentation for what is accepted).
/// Timestamps are the logger's clock in Japan time; a column marked UTC is moved to it.
pub fn parse_logger_csv(bytes: &[u8], encoding: TextEncoding) -> Result<LoggerLog, ImportError> {
    let (text, encoding) = decode(bytes, encoding)?;
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let header = find_header(&lines).map_err(|p| rejected_all(vec![p]))?;
    let mut readings = Vec::new();
    let mut problems = Vec::new();
    let mut first_data = true;
    for (i, line) in lines.iter().enumerate().skip(header.line + 1) {
        let number = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields = split(line, header.delimiter);
        let get = |c: usize| fields.get(c).map_or("", String::as_str);
        let at = match header.time {
            TimeColumns::One(c) => parse_stamp(get(c)),
            TimeColumns::DateAndTime(d, t) => parse_date_and_time(get(d), get(t)),
        };
        // A unit row right below the header ("", "°C") is part of the header.
        if first_data && at.is_none() && fields.iter().any(|f| is_temperature_column(f)) {
            first_data = false;
            continue;
        }
        first_data = false;
        let at = at.map(|t| {
            if header.utc {
                t + Duration::hours(9)
            } else {
                t
            }
        });
        let celsius = parse_celsius(get(header.temperature));
        match (at, celsius) {
            (Some(at), Some(celsius)) => readings.push(Reading {
                at,
                celsius,
                line: number,
            }),
            (at, celsius) => {
                if at.is_none() {
                    problems.push(problem(
                        number,
                        Some(header.time_name.as_str()),
                        format!(
                            "{:?} is not a date and time such as 2021/05/17 09:00:00",
                            get_time(&fields, &header)
                        ),
                        format!(
                            "「{}」は日時（例 2021/05/17 09:00:00）ではありません",
                            get_time(&fields, &header)
                        ),
                    ));
                }
                if celsius.is_none() {
                    problems.push(problem(
                        number,
                        Some(header.temperature_name.as_str()),
                        format!(
                            "{:?} is not a temperature in °C between -100 and 60",
                            get(header.temperature)
                        ),
                        format!(
                            "「{}」は摂氏温度（-100〜60）ではありません",
                            get(header.temperature)
                        ),
                    ));
                }
            }
        }
    }
    if problems.is_empty() && readings.is_empty() {
        problems.push(problem(
            header.line as u64 + 1,
            None,
            "the file has a header but no readings",
            "見出し行の後に記録がありません",
        ));
    }
    if !problems.is_empty() {
        return Err(rejected_all(problems));
    }
    Ok(LoggerLog {
        readings,
        header_line: header.line as u64 + 1,
        time_column: header.time_name,
        temperature_column: header.temperature_name,
        encoding: encoding.to_owned(),
    })
}

fn get_time(fields: &[String], header: &Header) -> String {
    let get = |c: usize| fields.get(c).map_or("", String::as_str);
    match header.time {
        TimeColumns::One(c) => get(c).to_owned(),
        TimeColumns::DateAndTime(d, t) => format!("{} {}", get(d), get(t)),
    }
}
