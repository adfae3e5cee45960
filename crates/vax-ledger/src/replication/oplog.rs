//! [`SqlOpLog`]: the op log in the ledger file, bound to one connection or transaction so that
//! an op and the rows of its change commit together.

use crdts::{CmRDT, Dot, VClock};
use rayon::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

use vax_sync::{EncodedOp, Op, OpId, OpLog, ReplicaId};

use crate::LedgerError;

/// From how many ops [`OpLog::ops_after`] parses on every core.
const PARALLEL_PARSE_FROM: usize = 1_024;

/// The op log over the ledger's `sync_ops` and `sync_frontier` tables.
///
/// It remembers the ops [`OpLog::append`] stored through it, so that the ledger can write the
/// rows they imply in the same transaction once the merge has run.
pub(crate) struct SqlOpLog<'c> {
    conn: &'c Connection,
    appended: Vec<Op>,
    /// The JSON texts received for ops about to be appended: stored as they came instead of
    /// encoding the parsed op again.
    texts: HashMap<OpId, EncodedOp>,
}

impl<'c> SqlOpLog<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            appended: Vec::new(),
            texts: HashMap::new(),
        }
    }

    /// The log storing `texts` for the ops they are the text of (a received message's,
    /// [`vax_sync::Message::decode_with_texts`]).
    pub(crate) fn with_texts(conn: &'c Connection, texts: Vec<EncodedOp>) -> Self {
        Self {
            texts: texts.into_iter().map(|t| (t.id, t)).collect(),
            ..Self::new(conn)
        }
    }

    /// The ops stored through this handle, in the order they were appended.
    pub(crate) fn take_appended(&mut self) -> Vec<Op> {
        std::mem::take(&mut self.appended)
    }

    /// Moves the author's contiguous frontier over the ops held; `stored` are the counters
    /// just stored (ascending), checked in memory before the table is asked.
    fn advance_frontier(&self, author: &str, stored: &[i64]) -> Result<(), LedgerError> {
        let mut seen: i64 = self
            .conn
            .prepare_cached("SELECT seen FROM sync_frontier WHERE author = ?1")?
            .query_row([author], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let mut next = self
            .conn
            .prepare_cached("SELECT 1 FROM sync_ops WHERE author = ?1 AND counter = ?2")?;
        loop {
            if stored.binary_search(&(seen + 1)).is_ok()
                || next.exists(params![author, seen + 1])?
            {
                seen += 1;
            } else {
                break;
            }
        }
        self.conn
            .prepare_cached(
                "INSERT INTO sync_frontier (author, seen) VALUES (?1, ?2)
                 ON CONFLICT (author) DO UPDATE SET seen = excluded.seen",
            )?
            .execute(params![author, seen])?;
        Ok(())
    }
}

pub(crate) fn parse_op(body: &str) -> Result<Op, LedgerError> {
    serde_json::from_str(body).map_err(|e| LedgerError::Corrupt {
        table: "sync_ops",
        id: 0,
        field: "body",
        problem: e.to_string(),
    })
}

fn parse_replica(text: &str) -> Result<ReplicaId, LedgerError> {
    uuid::Uuid::parse_str(text)
        .map(ReplicaId)
        .map_err(|e| LedgerError::Corrupt {
            table: "sync_frontier",
            id: 0,
            field: "author",
            problem: e.to_string(),
        })
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl OpLog for SqlOpLog<'_> {
    type Error = LedgerError;

    fn get(&self, id: &OpId) -> Result<Option<Op>, LedgerError> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM sync_ops WHERE author = ?1 AND counter = ?2")?
            .query_row(params![id.replica.to_string(), count(id.counter)], |r| {
                r.get(0)
            })
            .optional()?;
        body.as_deref().map(parse_op).transpose()
    }

    fn append(&mut self, ops: &[Op]) -> Result<(), LedgerError> {
        let mut authors: Vec<(String, Vec<i64>)> = Vec::new();
        {
            let mut insert = self.conn.prepare_cached(
                "INSERT INTO sync_ops (author, counter, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (author, counter) DO NOTHING",
            )?;
            let mut held = self
                .conn
                .prepare_cached("SELECT body FROM sync_ops WHERE author = ?1 AND counter = ?2")?;
            for op in ops {
                let author = op.author().to_string();
                let encoded;
                let body = match self.texts.get(&op.id) {
                    Some(text) => text.json(),
                    None => {
                        encoded = serde_json::to_string(op).map_err(|e| LedgerError::Corrupt {
                            table: "sync_ops",
                            id: 0,
                            field: "body",
                            problem: e.to_string(),
                        })?;
                        encoded.as_str()
                    }
                };
                if insert.execute(params![author, count(op.id.counter), body])? == 1 {
                    self.appended.push(op.clone());
                } else {
                    // The same op again is a no-op; another op under its id is an error the
                    // caller's transaction rolls back, never a silent drop.
                    let existing: String =
                        held.query_row(params![author, count(op.id.counter)], |r| r.get(0))?;
                    if parse_op(&existing)? != *op {
                        return Err(LedgerError::ConflictingOp {
                            op: op.id.to_string(),
                        });
                    }
                }
                let counter = count(op.id.counter);
                match authors.iter_mut().find(|(a, _)| *a == author) {
                    Some((_, counters)) => counters.push(counter),
                    None => authors.push((author, vec![counter])),
                }
            }
        }
        for (author, counters) in &mut authors {
            counters.sort_unstable();
            self.advance_frontier(author, counters)?;
        }
        Ok(())
    }

    fn last_counter(&self, author: ReplicaId) -> Result<u64, LedgerError> {
        let last: Option<i64> = self
            .conn
            .prepare_cached("SELECT MAX(counter) FROM sync_ops WHERE author = ?1")?
            .query_row([author.to_string()], |r| r.get(0))?;
        Ok(last.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    fn seen(&self) -> Result<VClock<ReplicaId>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT author, seen FROM sync_frontier")?;
        let mut rows = stmt.query([])?;
        let mut clock = VClock::new();
        while let Some(row) = rows.next()? {
            let author = parse_replica(&row.get::<_, String>(0)?)?;
            let seen: i64 = row.get(1)?;
            if seen > 0 {
                clock.apply(Dot::new(author, seen.unsigned_abs()));
            }
        }
        Ok(clock)
    }

    fn advance_seen(&mut self, author: ReplicaId, through: u64) -> Result<(), LedgerError> {
        let name = author.to_string();
        self.conn
            .prepare_cached(
                "INSERT INTO sync_frontier (author, seen) VALUES (?1, ?2)
                 ON CONFLICT (author) DO UPDATE SET seen = MAX(seen, excluded.seen)",
            )?
            .execute(params![name, count(through)])?;
        self.advance_frontier(&name, &[])
    }

    fn authors(&self) -> Result<Vec<ReplicaId>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT author FROM sync_frontier ORDER BY author")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| parse_replica(&r?)).collect()
    }

    fn held_ranges_after(
        &self,
        author: ReplicaId,
        after: u64,
    ) -> Result<Vec<(u64, u64)>, LedgerError> {
        // Counters only, from the primary key: no op body is read.
        let mut stmt = self.conn.prepare_cached(
            "SELECT counter FROM sync_ops WHERE author = ?1 AND counter > ?2 ORDER BY counter",
        )?;
        let rows = stmt.query_map(params![author.to_string(), count(after)], |r| {
            r.get::<_, i64>(0)
        })?;
        let counters = rows
            .map(|c| c.map(i64::unsigned_abs))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(vax_sync::log::ranges_of(counters))
    }

    fn ops_after(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Op>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM sync_ops WHERE author = ?1 AND counter > ?2 ORDER BY counter LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![
                author.to_string(),
                count(after),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| r.get::<_, String>(0),
        )?;
        let bodies: Vec<String> = rows.collect::<Result<_, _>>()?;
        // Parsing is most of restoring the merged state from a whole log (a city's 179,312
        // ops at every start of the app): on every core when there are many.
        if bodies.len() < PARALLEL_PARSE_FROM {
            return bodies.iter().map(|body| parse_op(body)).collect();
        }
        bodies.par_iter().map(|body| parse_op(body)).collect()
    }
}

#[cfg(test)]
mod tests {
    use vax_sync::{DeviceKey, Hlc, Inquiry, OpKind};

    use super::*;

    fn inquiry(note: &str) -> Op {
        let id = OpId {
            replica: ReplicaId::from_u128(5),
            counter: 1,
        };
        let kind = OpKind::Inquiry(Inquiry::new(
            vax_domain::voucher::VoucherNumber::parse("0000000001").expect("voucher"),
            vax_domain::inquiry::InquiryTopic::Other,
            note,
        ));
        Op::signed(id, Hlc::new(1, 0), kind, &DeviceKey::from_bytes(&[5; 32]))
    }

    #[test]
    fn another_op_under_a_held_id_is_an_error_not_a_silent_drop() {
        let ledger = crate::Ledger::open_in_memory().expect("ledger");
        let mut log = SqlOpLog::new(&ledger.conn);
        let first = inquiry("電話あり");
        log.append(std::slice::from_ref(&first)).expect("stored");
        log.append(std::slice::from_ref(&first))
            .expect("the same op again is a no-op");
        assert_eq!(log.take_appended(), vec![first.clone()], "stored once");
        let err = log
            .append(&[inquiry("別の内容")])
            .expect_err("another op under the same id");
        assert!(
            matches!(&err, LedgerError::ConflictingOp { op } if *op == first.id.to_string()),
            "{err}"
        );
        assert_eq!(log.get(&first.id).expect("read"), Some(first));
    }
}
