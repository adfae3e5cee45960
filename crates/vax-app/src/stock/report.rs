//! HQ's view of stock across venues (after sync): the daily stock report in the shape of the
//! national V-SYS figures — received, used, wasted, on hand, per venue, product and day — on
//! screen and as CSV (UTF-8 or CP932; `docs/import-formats.md`, "Daily stock report").

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, NaiveTime, TimeZone};
use serde::Serialize;
use vax_domain::clock::jst;
use vax_domain::product::Catalogue;
use vax_domain::stock::lot_states;
use vax_ledger::Ledger;

use super::StockError;

/// One venue, product and day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StockReportRow {
    /// The day.
    pub date: NaiveDate,
    /// The venue's code.
    pub venue: String,
    /// Product code.
    pub product: String,
    /// Vials received that day (deliveries and transfers in), less transfers out.
    pub vials_received: i64,
    /// Doses given that day.
    pub doses_used: i64,
    /// Doses thrown away that day from open vials.
    pub doses_wasted: i64,
    /// Sealed vials thrown away that day.
    pub vials_wasted: i64,
    /// Sealed vials on hand at the end of the day.
    pub vials_on_hand: i64,
    /// Doses left in open vials at the end of the day.
    pub doses_open_at_end: i64,
}

#[derive(Default, Clone, Copy)]
struct Figures {
    vials_in: i64,
    used: i64,
    doses_wasted: i64,
    vials_wasted: i64,
    on_hand: i64,
    open: i64,
}

/// The daily stock report of every venue with stock events, for the days `from..=to`, by
/// date, venue and product. A day's figures are the change of the running totals over it,
/// so a late-arriving (synced) event lands on the day it happened.
pub fn daily_stock_report(
    ledger: &Ledger,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StockReportRow>, StockError> {
    let reader = ledger.reader();
    let catalogue = Catalogue::builtin();
    let mut rows = Vec::new();
    for code in reader.stock_venues()? {
        let Ok(venue) = reader.venue(&code) else {
            continue; // a venue HQ has not defined: its stock shows once it is
        };
        let records = reader.stock_records(&code)?;
        let figures_at = |day: NaiveDate| -> Result<BTreeMap<String, Figures>, StockError> {
            let end = day.and_time(NaiveTime::MIN) + chrono::Duration::days(1)
                - chrono::Duration::seconds(1);
            let until = jst()
                .from_local_datetime(&end)
                .single()
                .ok_or(StockError::Invalid {
                    field: "date / 日付",
                    problem: "not a day in Japan time / 日本時間の日付ではありません",
                })?;
            let doses = reader.dose_uses(venue.id, &until)?;
            let mut by_product: BTreeMap<String, Figures> = BTreeMap::new();
            for l in lot_states(catalogue, &records, &doses, end) {
                let f = by_product.entry(l.product.clone()).or_default();
                let t = &l.totals;
                f.vials_in += t.vials_received - t.vials_transferred_out;
                f.used += t.doses_given;
                f.doses_wasted += t.doses_wasted;
                f.vials_wasted += t.vials_wasted;
                f.on_hand += l.sealed_vials();
                f.open += i64::from(l.doses_in_open_vials(end));
            }
            Ok(by_product)
        };
        let mut before = figures_at(from - Days::new(1))?;
        let mut day = from;
        while day <= to {
            let now = figures_at(day)?;
            for (product, f) in &now {
                let b = before.get(product).copied().unwrap_or_default();
                rows.push(StockReportRow {
                    date: day,
                    venue: code.clone(),
                    product: product.clone(),
                    vials_received: f.vials_in - b.vials_in,
                    doses_used: f.used - b.used,
                    doses_wasted: f.doses_wasted - b.doses_wasted,
                    vials_wasted: f.vials_wasted - b.vials_wasted,
                    vials_on_hand: f.on_hand,
                    doses_open_at_end: f.open,
                });
            }
            before = now;
            day = day + Days::new(1);
        }
    }
    rows.sort_by(|a, b| (a.date, &a.venue, &a.product).cmp(&(b.date, &b.venue, &b.product)));
    Ok(rows)
}

/// The CSV header, in the order of the V-SYS daily figures.
pub const REPORT_HEADER: &str =
    "日付,会場コード,ワクチン,入庫バイアル,接種回数,廃棄回数,廃棄バイアル,在庫バイアル,開封済み残回数";

/// The report as CSV text (CRLF line ends, as the national system's files).
pub fn report_csv(rows: &[StockReportRow]) -> String {
    let mut out = String::from(REPORT_HEADER);
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\r\n",
            r.date,
            r.venue,
            r.product,
            r.vials_received,
            r.doses_used,
            r.doses_wasted,
            r.vials_wasted,
            r.vials_on_hand,
            r.doses_open_at_end
        ));
    }
    out
}

/// Saves the report of `from..=to` as `stock-<from>_<to>.csv` (CP932 files end in
/// `-sjis.csv`) in `folder`, creating it; returns the file's path.
pub fn save_report(
    ledger: &Ledger,
    folder: &std::path::Path,
    from: NaiveDate,
    to: NaiveDate,
    cp932: bool,
) -> Result<std::path::PathBuf, StockError> {
    let rows = daily_stock_report(ledger, from, to)?;
    let path = folder.join(format!(
        "stock-{from}_{to}{}.csv",
        if cp932 { "-sjis" } else { "" }
    ));
    std::fs::create_dir_all(folder)
        .and_then(|()| std::fs::write(&path, report_bytes(&rows, cp932)))
        .map_err(|e| StockError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(path)
}

/// The report as bytes: UTF-8, or CP932 (Shift_JIS) for spreadsheet tools that expect it.
/// Every character of the report is in CP932 (codes, numbers, the Japanese header).
pub fn report_bytes(rows: &[StockReportRow], cp932: bool) -> Vec<u8> {
    let text = report_csv(rows);
    if cp932 {
        encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
    } else {
        text.into_bytes()
    }
}
