//! A venue's day: each time band with its bookings.

use chrono::NaiveDate;
use serde::Serialize;
use vax_domain::resident::age_on;
use vax_ledger::{Ledger, LedgerError, TimeBandRow, VenueRow};

/// One booked resident in a band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookedResident {
    /// Local row id.
    pub resident_id: i64,
    /// Dose booked.
    pub dose_number: u8,
    /// 券番号.
    pub voucher: String,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// Age on the day.
    pub age: u32,
    /// Needs transport.
    pub needs_transport: bool,
    /// 30-minute observation.
    pub anaphylaxis_history: bool,
}

/// One band of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BandDay {
    /// The band.
    pub band: TimeBandRow,
    /// Who is booked, in kana order.
    pub residents: Vec<BookedResident>,
}

/// The venue's day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VenueDay {
    /// The venue.
    pub venue: VenueRow,
    /// The day.
    pub date: NaiveDate,
    /// Bands in time order.
    pub bands: Vec<BandDay>,
}

impl VenueDay {
    /// Places over the day.
    pub fn capacity(&self) -> u32 {
        self.bands.iter().map(|b| b.band.capacity).sum()
    }

    /// Bookings over the day.
    pub fn booked(&self) -> usize {
        self.bands.iter().map(|b| b.residents.len()).sum()
    }
}

/// Lists a venue's day.
pub fn venue_day(
    ledger: &Ledger,
    venue_code: &str,
    date: NaiveDate,
) -> Result<VenueDay, LedgerError> {
    let reader = ledger.reader();
    let venue = reader.venue(venue_code)?;
    let bands = reader
        .venue_day(venue_code, date)?
        .into_iter()
        .map(|load| {
            let residents = reader
                .bookings_in_band(load.band.id)?
                .into_iter()
                .map(|(dose_number, r)| BookedResident {
                    resident_id: r.id,
                    dose_number,
                    voucher: r.resident.voucher.to_string(),
                    age: age_on(r.resident.birth_date, date),
                    name: r.resident.name,
                    name_kana: r.resident.name_kana,
                    needs_transport: r.survey.as_ref().is_some_and(|s| s.needs_transport),
                    anaphylaxis_history: r.survey.as_ref().is_some_and(|s| s.anaphylaxis_history),
                })
                .collect();
            Ok(BandDay {
                band: load.band,
                residents,
            })
        })
        .collect::<Result<_, LedgerError>>()?;
    Ok(VenueDay { venue, date, bands })
}
