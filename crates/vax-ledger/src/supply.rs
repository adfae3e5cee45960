//! HQ's deliveries per venue day (migration 0020; docs/planning.md "Dose supply
//! (deliveries)", docs/sync-spec.md §12): the vials of a product a venue receives for a day.
//! HQ writes a row with its `define_supply` op; every other replica writes it when the op
//! arrives, so a venue sees what HQ will send it.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use vax_sync::{OpKind, SupplyDef, VenueCode};

use crate::read::{corrupt, parse_day, query_rows};
use crate::{LedgerError, Reader, RowId, WriteTx};

/// One venue day's delivery as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplyRow {
    /// 会場コード.
    pub venue_code: String,
    /// The day.
    pub date: NaiveDate,
    /// The product delivered (catalogue code).
    pub product_code: String,
    /// Vials delivered (0: nothing that day).
    pub vials: u32,
}

const SELECT: &str = "SELECT v.code, s.date, s.product_code, s.vials
                      FROM venue_day_supply s JOIN venues v ON v.id = s.venue_id";

fn rows(raws: Vec<(String, String, String, u32)>) -> Result<Vec<SupplyRow>, LedgerError> {
    raws.into_iter()
        .map(|(venue_code, date, product_code, vials)| {
            Ok(SupplyRow {
                date: parse_day(&date).map_err(|e| corrupt("venue_day_supply", 0)("date", e))?,
                venue_code,
                product_code,
                vials,
            })
        })
        .collect()
}

impl Reader<'_> {
    /// Every venue day with a delivery, by venue code and day.
    pub fn supplies(&self) -> Result<Vec<SupplyRow>, LedgerError> {
        rows(query_rows(
            self.conn,
            &format!("{SELECT} ORDER BY v.code, s.date"),
            [],
            |r| <(String, String, String, u32)>::try_from(r),
        )?)
    }

    /// The delivery of one venue day, if HQ entered one.
    pub fn supply_of(
        &self,
        venue_code: &str,
        date: NaiveDate,
    ) -> Result<Option<SupplyRow>, LedgerError> {
        let raw = self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE v.code = ?1 AND s.date = ?2"))?
            .query_row(params![venue_code, date.to_string()], |r| {
                <(String, String, String, u32)>::try_from(r)
            })
            .optional()?;
        Ok(rows(raw.into_iter().collect())?.pop())
    }
}

impl WriteTx<'_> {
    /// Enters (or, when `def.vials` is `None`, removes) a venue day's delivery, with its
    /// `define_supply` op when the ledger replicates. Returns whether the ledger changed;
    /// nothing is written, op included, when it did not.
    pub fn define_supply(&mut self, def: &SupplyDef) -> Result<bool, LedgerError> {
        let venue = self.reader().venue(&def.venue.0)?;
        let delivery = def.vials.map(|n| (def.product.as_str(), n));
        if !self.write_supply_row(venue.id, def.date, delivery)? {
            return Ok(false);
        }
        self.replicate(OpKind::DefineSupply(def.clone()))?;
        Ok(true)
    }

    /// The row of a venue day's delivery as `delivery` says (`None`: no row). True when it
    /// changed.
    pub(crate) fn write_supply_row(
        &self,
        venue_id: RowId,
        date: NaiveDate,
        delivery: Option<(&str, u32)>,
    ) -> Result<bool, LedgerError> {
        let changed = match delivery {
            Some((product, vials)) => self
                .tx
                .prepare_cached(
                    "INSERT INTO venue_day_supply (venue_id, date, product_code, vials)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (venue_id, date) DO UPDATE SET product_code = excluded.product_code,
                                                               vials = excluded.vials
                     WHERE (product_code, vials) IS NOT (excluded.product_code, excluded.vials)",
                )?
                .execute(params![venue_id, date.to_string(), product, vials])?,
            None => self
                .tx
                .prepare_cached("DELETE FROM venue_day_supply WHERE venue_id = ?1 AND date = ?2")?
                .execute(params![venue_id, date.to_string()])?,
        };
        Ok(changed == 1)
    }
}

/// The `define_supply` ops of every delivery the ledger holds: what HQ publishes when it
/// starts replicating.
pub(crate) fn existing_ops(reader: &Reader<'_>) -> Result<Vec<OpKind>, LedgerError> {
    Ok(reader
        .supplies()?
        .into_iter()
        .map(|s| {
            OpKind::DefineSupply(SupplyDef {
                venue: VenueCode::new(s.venue_code),
                date: s.date,
                product: s.product_code,
                vials: Some(s.vials),
            })
        })
        .collect())
}
