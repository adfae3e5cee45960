//! The ops that describe what a ledger holds before it replicates: how HQ publishes a city it
//! imported or loaded before enrollment.

use chrono::{NaiveDate, NaiveTime};
use crdts::VClock;
use vax_domain::resident::{AtenaNumber, Intention, Phone, Sex};
use vax_domain::venue::{Coordinates, VenueKind};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_sync::{
    Booking, BookingCause, OpKind, ResidentField, TimeBandDef, TimeBandId, VenueCode, VenueDef,
};

use crate::{LedgerError, WriteTx};

fn corrupt(table: &'static str, field: &'static str, problem: impl ToString) -> LedgerError {
    LedgerError::Corrupt {
        table,
        id: 0,
        field,
        problem: problem.to_string(),
    }
}

fn date(text: &str) -> Result<NaiveDate, LedgerError> {
    text.parse().map_err(|e| corrupt("time_bands", "date", e))
}

fn time(text: &str) -> Result<NaiveTime, LedgerError> {
    NaiveTime::parse_from_str(text, "%H:%M").map_err(|e| corrupt("time_bands", "time", e))
}

/// Venues, then bands and their deliveries, then residents, then bookings: the order a new
/// replica needs them in.
pub(crate) fn existing_state(tx: &WriteTx<'_>) -> Result<Vec<OpKind>, LedgerError> {
    let mut kinds = Vec::new();
    let mut stmt = tx
        .tx
        .prepare("SELECT code, name, address, lat, lon, kind FROM venues ORDER BY code")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        kinds.push(OpKind::DefineVenue(VenueDef {
            code: VenueCode::new(r.get::<_, String>(0)?),
            name: r.get(1)?,
            address: r.get(2)?,
            location: Coordinates {
                lat: r.get(3)?,
                lon: r.get(4)?,
            },
            kind: r
                .get::<_, Option<String>>(5)?
                .as_deref()
                .and_then(VenueKind::from_stored),
        }));
    }
    drop(rows);

    let mut stmt = tx.tx.prepare(
        "SELECT v.code, tb.date, tb.start_time, tb.end_time, tb.capacity, tb.closed
         FROM time_bands tb JOIN venues v ON v.id = tb.venue_id ORDER BY v.code, tb.date, tb.start_time",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let venue = VenueCode::new(r.get::<_, String>(0)?);
        let day = date(&r.get::<_, String>(1)?)?;
        let start = time(&r.get::<_, String>(2)?)?;
        kinds.push(OpKind::DefineTimeBand(TimeBandDef {
            band: TimeBandId::for_slot(&venue, day, start),
            venue,
            date: day,
            start,
            end: time(&r.get::<_, String>(3)?)?,
            capacity: r.get(4)?,
            closed: r.get(5)?,
        }));
    }
    drop(rows);
    // Deliveries after the bands: a venue that sees its day sees how many doses come for it.
    kinds.extend(crate::supply::existing_ops(&tx.reader())?);

    kinds.extend(resident_ops(tx, "1 = 1", &[])?);
    kinds.extend(booking_ops(tx, "1 = 1", &[], BookingCause::Assign)?);
    Ok(kinds)
}

/// `set_resident_fields` ops carrying every field of the residents matching `filter`, as
/// the ledger holds them.
pub(crate) fn resident_ops(
    tx: &WriteTx<'_>,
    filter: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<OpKind>, LedgerError> {
    let mut kinds = Vec::new();
    let mut stmt = tx.tx.prepare_cached(&format!(
        "SELECT municipality_code, voucher_number, name, name_kana, birth_date, sex, postal_code, address,
                district, lat, lon, phone, intention, needs_transport, anaphylaxis_history, atena_number,
                standby
         FROM residents WHERE {filter} ORDER BY id"
    ))?;
    let mut rows = stmt.query(params)?;
    while let Some(r) = rows.next()? {
        let voucher = VoucherNumber::parse(&r.get::<_, String>(1)?)
            .map_err(|e| corrupt("residents", "voucher_number", e))?;
        let sex: String = r.get(5)?;
        let mut fields = vec![
            ResidentField::Municipality(
                MunicipalityCode::parse(&r.get::<_, String>(0)?)
                    .map_err(|e| corrupt("residents", "municipality_code", e))?,
            ),
            ResidentField::Name(r.get(2)?),
            ResidentField::NameKana(r.get(3)?),
            ResidentField::BirthDate(
                r.get::<_, String>(4)?
                    .parse()
                    .map_err(|e| corrupt("residents", "birth_date", e))?,
            ),
            ResidentField::Sex(
                Sex::from_code(&sex).ok_or_else(|| corrupt("residents", "sex", &sex))?,
            ),
            ResidentField::PostalCode(r.get(6)?),
            ResidentField::Address(r.get(7)?),
            ResidentField::District(r.get(8)?),
        ];
        let home = match (r.get::<_, Option<f64>>(9)?, r.get::<_, Option<f64>>(10)?) {
            (Some(lat), Some(lon)) => Some(Coordinates { lat, lon }),
            _ => None,
        };
        fields.push(ResidentField::Home(home));
        let phone = r
            .get::<_, Option<String>>(11)?
            .map(|p| Phone::parse(&p).map_err(|e| corrupt("residents", "phone", e)))
            .transpose()?;
        fields.push(ResidentField::Phone(phone));
        // Only a number the ledger holds travels: like the register import, a replica never
        // erases one.
        if let Some(atena) = r.get::<_, Option<String>>(15)? {
            fields.push(ResidentField::AtenaNumber(
                AtenaNumber::parse(&atena).map_err(|e| corrupt("residents", "atena_number", e))?,
            ));
        }
        if let Some(intention) = r.get::<_, Option<String>>(12)? {
            fields.push(ResidentField::Intention(
                Intention::from_code(&intention)
                    .ok_or_else(|| corrupt("residents", "intention", &intention))?,
            ));
            fields.push(ResidentField::NeedsTransport(r.get(13)?));
            fields.push(ResidentField::AnaphylaxisHistory(r.get(14)?));
        }
        // Only a resident on the standby list carries the field, so a city published before
        // the list existed publishes the same ops; taking someone off it travels as `false`.
        if r.get::<_, bool>(16)? {
            fields.push(ResidentField::Standby(true));
        }
        kinds.push(OpKind::SetResidentFields {
            resident: voucher,
            fields,
        });
    }
    Ok(kinds)
}

/// `book` ops for the bookings matching `filter` (over `b`, `r`, `tb`, `v`).
pub(crate) fn booking_ops(
    tx: &WriteTx<'_>,
    filter: &str,
    params: &[&dyn rusqlite::ToSql],
    cause: BookingCause,
) -> Result<Vec<OpKind>, LedgerError> {
    let mut kinds = Vec::new();
    let mut stmt = tx.tx.prepare_cached(&format!(
        "SELECT r.voucher_number, b.dose_number, v.code, tb.date, tb.start_time, b.product_code
         FROM bookings b JOIN residents r ON r.id = b.resident_id
              JOIN time_bands tb ON tb.id = b.time_band_id JOIN venues v ON v.id = tb.venue_id
         WHERE {filter} ORDER BY b.resident_id, b.dose_number"
    ))?;
    let mut rows = stmt.query(params)?;
    while let Some(r) = rows.next()? {
        let venue = VenueCode::new(r.get::<_, String>(2)?);
        kinds.push(OpKind::Book(Booking {
            resident: VoucherNumber::parse(&r.get::<_, String>(0)?)
                .map_err(|e| corrupt("residents", "voucher_number", e))?,
            dose_number: r.get(1)?,
            band: Some(TimeBandId::for_slot(
                &venue,
                date(&r.get::<_, String>(3)?)?,
                time(&r.get::<_, String>(4)?)?,
            )),
            product: r.get(5)?,
            cause,
            clock: VClock::new(),
        }));
    }
    Ok(kinds)
}
