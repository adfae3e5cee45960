//! Reads of the call centre's inquiries: a resident's calls, the open follow-ups that form
//! the call centre's work list, and the call volume the dashboards and reports count.

use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};

use crate::read::{corrupt, parse_day, parse_instant, query_rows};
use crate::{InquiryView, LedgerError, Reader, RowId};

/// An inquiry whose follow-up no later inquiry has completed, with whom it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FollowUpRow {
    /// The inquiry.
    pub inquiry: InquiryView,
    /// The resident's local row id.
    pub resident_id: RowId,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// 電話番号, as written.
    pub phone: Option<String>,
}

/// How many inquiries about one topic were received on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InquiryCount {
    /// The day (Japan time).
    pub date: NaiveDate,
    /// The topic.
    pub topic: InquiryTopic,
    /// How many.
    pub count: u32,
}

const INQUIRY_COLUMNS: &str = "i.id, i.uid, i.received_at, i.channel, i.topic, i.note, i.operator,
     i.follow_up_needed, i.follow_up_by, i.closes,
     (SELECT c.uid FROM inquiries c WHERE c.closes = i.uid ORDER BY c.received_at, c.uid LIMIT 1)";

type RawInquiry = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    String,
    Option<String>,
    Option<String>,
);

fn raw(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<RawInquiry> {
    Ok((
        r.get(at)?,
        r.get(at + 1)?,
        r.get(at + 2)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        r.get(at + 5)?,
        r.get(at + 6)?,
        r.get(at + 7)?,
        r.get(at + 8)?,
        r.get(at + 9)?,
        r.get(at + 10)?,
    ))
}

fn view(raw: RawInquiry) -> Result<InquiryView, LedgerError> {
    let (id, uid, at, channel, topic, note, operator, needed, by, closes, closed_by) = raw;
    let corrupt = corrupt("inquiries", id);
    Ok(InquiryView {
        uid,
        received_at: parse_instant(&at).map_err(|e| corrupt("received_at", e))?,
        channel: InquiryChannel::from_code(&channel).ok_or_else(|| corrupt("channel", channel))?,
        topic: InquiryTopic::from_code(&topic),
        note,
        operator,
        follow_up_needed: needed,
        follow_up_by: by,
        closes,
        closed_by,
    })
}

/// The inquiries (aliased `i`) matching `filter`, newest first.
pub(crate) fn inquiries_where(
    conn: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<InquiryView>, LedgerError> {
    let sql = format!(
        "SELECT {INQUIRY_COLUMNS} FROM inquiries i WHERE {filter}
         ORDER BY i.received_at DESC, i.id DESC"
    );
    query_rows(conn, &sql, params, |r| raw(r, 0))?
        .into_iter()
        .map(view)
        .collect()
}

impl Reader<'_> {
    /// Inquiries whose follow-up is still open, oldest first (the work list's order), at
    /// most `limit`.
    pub fn open_follow_ups(&self, limit: u32) -> Result<Vec<FollowUpRow>, LedgerError> {
        let sql = format!(
            "SELECT {INQUIRY_COLUMNS}, r.id, r.name, r.name_kana, r.phone
             FROM inquiries i JOIN residents r ON r.id = i.resident_id
             WHERE i.follow_up_needed = 1
               AND NOT EXISTS (SELECT 1 FROM inquiries c WHERE c.closes = i.uid)
             ORDER BY i.received_at, i.id LIMIT ?1"
        );
        let rows = query_rows(self.conn, &sql, params![limit], |r| {
            Ok((
                raw(r, 0)?,
                r.get::<_, RowId>(11)?,
                r.get::<_, String>(12)?,
                r.get::<_, String>(13)?,
                r.get::<_, Option<String>>(14)?,
            ))
        })?;
        rows.into_iter()
            .map(|(raw, resident_id, name, name_kana, phone)| {
                Ok(FollowUpRow {
                    inquiry: view(raw)?,
                    resident_id,
                    name,
                    name_kana,
                    phone,
                })
            })
            .collect()
    }

    /// Inquiries received from `from` to `to` (both included, Japan time), counted by day
    /// and topic — a call back that completes a follow-up is a call too; days and topics
    /// without any are left out. Read from the tally of migration 0017.
    pub fn inquiry_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<InquiryCount>, LedgerError> {
        self.inquiry_counts_from(
            "SELECT day, topic, calls FROM dash_inquiry_day
             WHERE day BETWEEN ?1 AND ?2 AND calls != 0 ORDER BY day, topic",
            from,
            to,
        )
    }

    /// [`Self::inquiry_counts`] counted from the rows themselves (the query before migration
    /// 0017): the bench's baseline and the tests' reference.
    pub fn inquiry_counts_by_scan(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<InquiryCount>, LedgerError> {
        // received_at is RFC 3339 in Japan time, so its first ten characters are the local day.
        self.inquiry_counts_from(
            "SELECT substr(received_at, 1, 10) AS day, topic, COUNT(*) FROM inquiries
             WHERE day BETWEEN ?1 AND ?2
             GROUP BY day, topic ORDER BY day, topic",
            from,
            to,
        )
    }

    fn inquiry_counts_from(
        &self,
        sql: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<InquiryCount>, LedgerError> {
        let rows = query_rows(
            self.conn,
            sql,
            params![from.to_string(), to.to_string()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            },
        )?;
        let mut counts = Vec::with_capacity(rows.len());
        for (day, topic, count) in rows {
            counts.push(InquiryCount {
                date: parse_day(&day).map_err(|e| corrupt("inquiries", 0)("received_at", e))?,
                topic: InquiryTopic::from_code(&topic),
                count,
            });
        }
        // Free-text topics of old rows all read as その他: merge them into one count.
        counts.sort_by_key(|c| (c.date, c.topic));
        counts.dedup_by(|later, earlier| {
            let same = later.date == earlier.date && later.topic == earlier.topic;
            if same {
                earlier.count += later.count;
            }
            same
        });
        Ok(counts)
    }
}
