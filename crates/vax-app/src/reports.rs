//! The dashboards (HQ across venues, a venue manager for their venue) and the reports
//! (各種集計: doses per day and venue, coverage by age band and district, inquiries by topic),
//! each table exportable as CSV that Excel opens (UTF-8 with a BOM, or CP932).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::inquiry::InquiryTopic;
use vax_domain::product::Catalogue;
use vax_domain::report::AgeBand;
use vax_domain::resident::age_on;
use vax_domain::stock::{lot_states, LeftoverForecast};
use vax_ledger::{DayVenueCount, Ledger, LedgerError};

use crate::config::{Folders, VENUE_SILENT_MINUTES};
use crate::desk::Enrollment;

/// Why a dashboard or an export did not happen.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The role has no dashboard (reception, booth, call centre).
    #[error("the {0:?} role has no dashboard")]
    RoleMayNot(vax_domain::role::Role),
    /// The screen asked for a table the dashboard does not have.
    #[error("no dashboard table named {0:?}")]
    UnknownTable(String),
    /// The file could not be written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UserFacing for ReportError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoleMayNot(_) => ErrorCode::RoleMayNot,
            Self::UnknownTable(_) => ErrorCode::InvalidInput,
            Self::Io { .. } => ErrorCode::Internal,
            Self::Ledger(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::RoleMayNot(_) => "この端末の役割ではダッシュボードを表示できません".into(),
            Self::UnknownTable(t) => format!("表 {t} はありません"),
            Self::Io { path, source } => format!("{path} を書き込めませんでした: {source}"),
            Self::Ledger(e) => e.message_ja(),
        }
    }
}

/// The dashboard this installation's role sees at `now`: HQ every venue, a venue manager
/// their own.
pub fn dashboard_for(
    ledger: &Ledger,
    enrollment: &Enrollment,
    now: DateTime<FixedOffset>,
) -> Result<Dashboard, ReportError> {
    let role = enrollment.role;
    let venue = if role.runs_the_campaign() {
        None
    } else if role.may_record_stock() {
        Some(enrollment.venue_code.as_str())
    } else {
        return Err(ReportError::RoleMayNot(role));
    };
    Ok(dashboard(ledger, venue, now)?)
}

/// Writes one dashboard table as CSV into `reports/` beside the ledger; returns its path.
pub fn export_dashboard_table(
    ledger: &Ledger,
    enrollment: &Enrollment,
    folders: &Folders,
    now: DateTime<FixedOffset>,
    table: &str,
    encoding: CsvEncoding,
) -> Result<String, ReportError> {
    let d = dashboard_for(ledger, enrollment, now)?;
    let today = now.date_naive();
    let (header, rows) =
        dashboard_table(&d, table).ok_or_else(|| ReportError::UnknownTable(table.to_owned()))?;
    let dir = folders.reports();
    let suffix = match encoding {
        CsvEncoding::Utf8Bom => "",
        CsvEncoding::Cp932 => "-cp932",
    };
    let path = dir.join(format!("{table}-{today}{suffix}.csv"));
    let io = |source| ReportError::Io {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    std::fs::write(&path, csv_bytes(&header, &rows, encoding)).map_err(io)?;
    Ok(path.display().to_string())
}

/// Bookings, check-ins, doses and no-shows added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Totals {
    /// Bookings.
    pub booked: u32,
    /// Check-ins.
    pub checked_in: u32,
    /// Valid doses.
    pub doses: u32,
    /// Past bookings whose dose was never given.
    pub no_shows: u32,
}

impl Totals {
    fn add(&mut self, c: &DayVenueCount) {
        self.booked += c.booked;
        self.checked_in += c.checked_in;
        self.doses += c.doses;
        self.no_shows += c.no_shows;
    }
}

/// One day's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DayTotals {
    /// The day.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: NaiveDate,
    /// Its totals.
    pub totals: Totals,
}

/// One venue's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VenueTotals {
    /// 会場コード.
    pub venue_code: String,
    /// 会場名.
    pub venue_name: String,
    /// Today.
    pub today: Totals,
    /// From the first day up to today.
    pub campaign: Totals,
}

/// Coverage of one age band (or one age band in one district).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CoverageRow {
    /// The age band, on the day asked about.
    pub band: AgeBand,
    /// 地区; empty in the city-wide rows.
    pub district: String,
    /// Residents.
    pub residents: u32,
    /// With dose 1.
    pub first: u32,
    /// With dose 2.
    pub second: u32,
}

/// Inquiries about one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TopicTotals {
    /// The topic.
    pub topic: InquiryTopic,
    /// Received today.
    pub today: u32,
    /// Received over the campaign.
    pub campaign: u32,
}

/// One venue's stock on hand and how fresh the ledger's picture of it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VenueFreshness {
    /// 会場コード.
    pub venue_code: String,
    /// 会場名.
    pub venue_name: String,
    /// Sealed vials held (frozen and in the fridge), quarantined lots left out.
    pub sealed_vials: i64,
    /// Doses left in open vials whose clock still runs.
    pub open_doses: i64,
    /// Doses on hand: sealed vials at the default syringe's doses per vial, plus open doses.
    pub doses_on_hand: i64,
    /// Devices the ledger holds ops from that work at this venue.
    pub devices: u32,
    /// When the latest op from one of them was written (by its clock); `None`: never heard.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_heard: Option<DateTime<FixedOffset>>,
    /// Whole minutes since then (0 when the device's clock runs ahead).
    pub silent_minutes: Option<i64>,
    /// Never heard from, or silent longer than [`VENUE_SILENT_MINUTES`]: shown in the
    /// warning colour.
    pub silent: bool,
    /// The venue's leftover forecast, as its manager's screen shows it.
    pub forecast: LeftoverForecast,
}

/// The campaign at a glance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dashboard {
    /// The day it was counted for.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub today: NaiveDate,
    /// The venue it is limited to (a venue manager's); `None`: every venue (HQ).
    pub venue: Option<String>,
    /// Today's totals.
    pub today_totals: Totals,
    /// From the first day up to today (bookings of later days left out).
    pub campaign_totals: Totals,
    /// Per day, up to today.
    pub per_day: Vec<DayTotals>,
    /// Per venue.
    pub per_venue: Vec<VenueTotals>,
    /// Coverage by age band, city-wide (residents belong to the city, not to a venue).
    pub coverage: Vec<CoverageRow>,
    /// Calls by topic, every topic listed.
    pub calls: Vec<TopicTotals>,
    /// Per venue: stock on hand and when the ledger last heard from the venue's devices.
    pub freshness: Vec<VenueFreshness>,
    /// Minutes of silence after which a venue is shown as silent
    /// ([`VENUE_SILENT_MINUTES`]).
    pub silent_after_minutes: i64,
}

/// Counts the dashboard at `now` (its Japan-time day is "today"): every venue, or only
/// `venue`. Every count is read from the tallies the ledger keeps at write time
/// (migrations 0014 and 0017).
pub fn dashboard(
    ledger: &Ledger,
    venue: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<Dashboard, LedgerError> {
    let today = now.date_naive();
    let reader = ledger.reader();
    let names: BTreeMap<String, String> = reader
        .venues()?
        .into_iter()
        .map(|v| (v.venue.code, v.venue.name))
        .collect();
    let mut per_venue: BTreeMap<String, VenueTotals> = names
        .iter()
        .filter(|(code, _)| venue.is_none_or(|v| v == code.as_str()))
        .map(|(code, name)| {
            let row = VenueTotals {
                venue_code: code.clone(),
                venue_name: name.clone(),
                today: Totals::default(),
                campaign: Totals::default(),
            };
            (code.clone(), row)
        })
        .collect();
    let mut per_day: BTreeMap<NaiveDate, Totals> = BTreeMap::new();
    let (mut today_totals, mut campaign_totals) = (Totals::default(), Totals::default());
    for c in reader.day_venue_counts(today, venue)? {
        if c.date > today {
            continue;
        }
        let Some(v) = per_venue.get_mut(&c.venue_code) else {
            continue;
        };
        v.campaign.add(&c);
        campaign_totals.add(&c);
        per_day.entry(c.date).or_default().add(&c);
        if c.date == today {
            v.today.add(&c);
            today_totals.add(&c);
        }
    }
    let first_day = per_day.keys().next().copied().unwrap_or(today);
    let calls = topic_totals(ledger, first_day.min(today), today)?;
    Ok(Dashboard {
        today,
        venue: venue.map(str::to_owned),
        today_totals,
        campaign_totals,
        per_day: per_day
            .into_iter()
            .map(|(date, totals)| DayTotals { date, totals })
            .collect(),
        per_venue: per_venue.into_values().collect(),
        coverage: coverage(ledger, today, false)?,
        calls,
        freshness: freshness(ledger, venue, now)?,
        silent_after_minutes: VENUE_SILENT_MINUTES,
    })
}

/// Per venue (every venue, or only `venue`): the doses it holds now and when the ledger last
/// heard from its devices. Stock comes from the lots that still matter (the running balance
/// of migration 0014), the last op from the device tally of migration 0017.
pub fn freshness(
    ledger: &Ledger,
    venue: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<Vec<VenueFreshness>, LedgerError> {
    let reader = ledger.reader();
    let heard = reader.devices_heard()?;
    let (at, today) = (now.naive_local(), now.date_naive());
    let mut rows = Vec::new();
    for v in reader.venues()? {
        let code = v.venue.code;
        if venue.is_some_and(|only| only != code) {
            continue;
        }
        let stock = reader.live_venue_stock(v.id, &code, &now)?;
        let lots = lot_states(Catalogue::builtin(), &stock.records, &stock.doses, at);
        let (mut sealed_vials, mut open_doses, mut doses_on_hand) = (0, 0, 0);
        for l in lots.iter().filter(|l| l.quarantined.is_none()) {
            let open = i64::from(l.doses_in_open_vials(at));
            sealed_vials += l.sealed_vials();
            open_doses += open;
            doses_on_hand +=
                l.sealed_vials() * crate::stock::doses_per_vial(&l.product, today) + open;
        }
        let forecast = crate::stock::forecast(ledger, v.id, &lots, now)?;
        let devices: Vec<_> = heard
            .iter()
            .filter(|d| d.venue_code.as_deref() == Some(code.as_str()))
            .collect();
        let last_heard = devices
            .iter()
            .map(|d| d.last_ms)
            .max()
            .and_then(DateTime::from_timestamp_millis)
            .map(|t| t.with_timezone(now.offset()));
        let silent_minutes = last_heard.map(|t| (now - t).num_minutes().max(0));
        rows.push(VenueFreshness {
            venue_code: code,
            venue_name: v.venue.name,
            sealed_vials,
            open_doses,
            doses_on_hand,
            devices: u32::try_from(devices.len()).unwrap_or(u32::MAX),
            last_heard,
            silent: silent_minutes.is_none_or(|m| m > VENUE_SILENT_MINUTES),
            silent_minutes,
            forecast,
        });
    }
    Ok(rows)
}

fn topic_totals(
    ledger: &Ledger,
    from: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<TopicTotals>, LedgerError> {
    // Calls start before the first vaccination day (the call centre opened weeks earlier).
    let since = from.min(today) - chrono::Days::new(366);
    let counts = ledger.reader().inquiry_counts(since, today)?;
    Ok(InquiryTopic::ALL
        .into_iter()
        .map(|topic| {
            let of = counts.iter().filter(|c| c.topic == topic);
            TopicTotals {
                topic,
                today: of
                    .clone()
                    .filter(|c| c.date == today)
                    .map(|c| c.count)
                    .sum(),
                campaign: of.map(|c| c.count).sum(),
            }
        })
        .collect())
}

/// Coverage by age band on `today`; by age band and district when `by_district`. The
/// ledger sums its coverage tally into the bands (one birth-date edge per band).
pub fn coverage(
    ledger: &Ledger,
    today: NaiveDate,
    by_district: bool,
) -> Result<Vec<CoverageRow>, LedgerError> {
    let edges = band_edges(today);
    let mut rows: BTreeMap<(AgeBand, String), CoverageRow> = BTreeMap::new();
    if !by_district {
        for band in AgeBand::ALL {
            rows.insert((band, String::new()), empty_row(band, ""));
        }
    }
    for g in ledger.reader().coverage_groups(&edges, by_district)? {
        let band = AgeBand::ALL[g.group.min(AgeBand::ALL.len() - 1)];
        let row = rows
            .entry((band, g.district.clone()))
            .or_insert_with(|| empty_row(band, &g.district));
        row.residents += g.residents;
        row.first += g.first;
        row.second += g.second;
    }
    Ok(rows.into_values().collect())
}

/// [`coverage`] from the ledger's cells one birth date at a time (every resident's age
/// worked out here): the reference the grouped sum is checked against.
pub fn coverage_by_cells(
    ledger: &Ledger,
    today: NaiveDate,
    by_district: bool,
) -> Result<Vec<CoverageRow>, LedgerError> {
    let mut rows: BTreeMap<(AgeBand, String), CoverageRow> = BTreeMap::new();
    if !by_district {
        for band in AgeBand::ALL {
            rows.insert((band, String::new()), empty_row(band, ""));
        }
    }
    for cell in ledger.reader().coverage_cells_by_scan()? {
        let band = AgeBand::of(age_on(cell.birth_date, today));
        let district = if by_district {
            cell.district
        } else {
            String::new()
        };
        let row = rows
            .entry((band, district.clone()))
            .or_insert_with(|| empty_row(band, &district));
        row.residents += cell.residents;
        row.first += cell.first;
        row.second += cell.second;
    }
    Ok(rows.into_values().collect())
}

/// For each age band after the youngest, the latest birth date of someone at least the
/// band's lowest age on `today` (ages as `age_on` counts them, 29 February included).
fn band_edges(today: NaiveDate) -> Vec<NaiveDate> {
    AgeBand::ALL[1..]
        .iter()
        .map(|band| {
            let lowest = (0..200u32)
                .find(|age| AgeBand::of(*age) == *band)
                .unwrap_or(0);
            // Near the answer by the calendar, then settled by `age_on` itself.
            let mut edge = today
                .checked_sub_months(chrono::Months::new(lowest * 12))
                .unwrap_or(NaiveDate::MIN);
            while age_on(edge, today) < lowest {
                edge = edge.pred_opt().unwrap_or(NaiveDate::MIN);
            }
            while let Some(next) = edge.succ_opt().filter(|n| age_on(*n, today) >= lowest) {
                edge = next;
            }
            edge
        })
        .collect()
}

fn empty_row(band: AgeBand, district: &str) -> CoverageRow {
    CoverageRow {
        band,
        district: district.to_owned(),
        residents: 0,
        first: 0,
        second: 0,
    }
}

/// Doses per day and venue from `from` to `to` (both included), days then venues in order.
pub fn doses_by_day_and_venue(
    ledger: &Ledger,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayVenueCount>, LedgerError> {
    Ok(ledger
        .reader()
        .day_venue_counts(to.succ_opt().unwrap_or(to), None)?
        .into_iter()
        .filter(|c| c.date >= from && c.date <= to && c.doses > 0)
        .collect())
}

/// How a CSV export is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CsvEncoding {
    /// UTF-8 with a byte-order mark, which Excel needs to read UTF-8.
    #[default]
    Utf8Bom,
    /// CP932 (Shift_JIS), for older spreadsheet tools.
    Cp932,
}

/// A table as CSV bytes Excel opens: CRLF line ends, cells quoted when they need it.
pub fn csv_bytes(header: &[&str], rows: &[Vec<String>], encoding: CsvEncoding) -> Vec<u8> {
    let mut text = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, text: &mut String| {
        let quoted: Vec<String> = cells.map(quote).collect();
        text.push_str(&quoted.join(","));
        text.push_str("\r\n");
    };
    line(&mut header.iter().copied(), &mut text);
    for row in rows {
        line(&mut row.iter().map(String::as_str), &mut text);
    }
    match encoding {
        CsvEncoding::Utf8Bom => {
            let mut bytes = "\u{feff}".as_bytes().to_vec();
            bytes.extend_from_slice(text.as_bytes());
            bytes
        }
        CsvEncoding::Cp932 => encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(),
    }
}

fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

/// The doses report's table: 日付, 会場コード, 接種回数.
pub fn doses_table(rows: &[DayVenueCount]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    (
        vec!["日付", "会場コード", "接種回数"],
        rows.iter()
            .map(|r| {
                vec![
                    r.date.to_string(),
                    r.venue_code.clone(),
                    r.doses.to_string(),
                ]
            })
            .collect(),
    )
}

/// The coverage report's table: 年齢区分, 地区, 対象者数, 1回目, 2回目, and the rates in %.
pub fn coverage_table(rows: &[CoverageRow]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let rate = |n: u32, of: u32| {
        if of == 0 {
            String::new()
        } else {
            format!("{:.1}", f64::from(n) * 100.0 / f64::from(of))
        }
    };
    (
        vec![
            "年齢区分",
            "地区",
            "対象者数",
            "1回目接種済",
            "2回目接種済",
            "1回目接種率(%)",
            "2回目接種率(%)",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.band.label().to_owned(),
                    r.district.clone(),
                    r.residents.to_string(),
                    r.first.to_string(),
                    r.second.to_string(),
                    rate(r.first, r.residents),
                    rate(r.second, r.residents),
                ]
            })
            .collect(),
    )
}

/// The inquiries report's table: 日付, 内容, 件数 (topics by their Japanese label).
pub fn inquiries_table(
    ledger: &Ledger,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<&'static str>, Vec<Vec<String>>), LedgerError> {
    let rows = ledger
        .reader()
        .inquiry_counts(from, to)?
        .into_iter()
        .map(|c| {
            vec![
                c.date.to_string(),
                c.topic.label_ja().to_owned(),
                c.count.to_string(),
            ]
        })
        .collect();
    Ok((vec!["日付", "内容", "件数"], rows))
}

/// The dashboard's tables by name, for the screen's CSV buttons: `per_day`, `per_venue`,
/// `coverage`, `calls`, `freshness`.
pub fn dashboard_table(
    d: &Dashboard,
    table: &str,
) -> Option<(Vec<&'static str>, Vec<Vec<String>>)> {
    let totals = |t: &Totals| {
        [t.booked, t.checked_in, t.doses, t.no_shows]
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
    };
    Some(match table {
        "per_day" => (
            vec!["日付", "予約", "受付", "接種", "無断キャンセル"],
            d.per_day
                .iter()
                .map(|r| [vec![r.date.to_string()], totals(&r.totals)].concat())
                .collect(),
        ),
        "per_venue" => (
            vec![
                "会場コード",
                "会場名",
                "本日予約",
                "本日受付",
                "本日接種",
                "累計予約",
                "累計受付",
                "累計接種",
                "累計無断キャンセル",
            ],
            d.per_venue
                .iter()
                .map(|v| {
                    let mut row = vec![v.venue_code.clone(), v.venue_name.clone()];
                    row.extend(totals(&v.today).into_iter().take(3));
                    row.extend(totals(&v.campaign));
                    row
                })
                .collect(),
        ),
        "coverage" => coverage_table(&d.coverage),
        "calls" => (
            vec!["内容", "本日", "累計"],
            d.calls
                .iter()
                .map(|c| {
                    vec![
                        c.topic.label_ja().to_owned(),
                        c.today.to_string(),
                        c.campaign.to_string(),
                    ]
                })
                .collect(),
        ),
        "freshness" => (
            vec![
                "会場コード",
                "会場名",
                "在庫(回分)",
                "未開封バイアル",
                "開封済バイアルの残り(回分)",
                "端末数",
                "最終受信",
                "経過(分)",
                "予約の残り(人)",
                "閉場時の残り見込み(回分)",
            ],
            d.freshness
                .iter()
                .map(|f| {
                    vec![
                        f.venue_code.clone(),
                        f.venue_name.clone(),
                        f.doses_on_hand.to_string(),
                        f.sealed_vials.to_string(),
                        f.open_doses.to_string(),
                        f.devices.to_string(),
                        f.last_heard
                            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                        f.silent_minutes.map(|m| m.to_string()).unwrap_or_default(),
                        f.forecast.still_booked.to_string(),
                        f.forecast.leftover_at_close.to_string(),
                    ]
                })
                .collect(),
        ),
        _ => return None,
    })
}
