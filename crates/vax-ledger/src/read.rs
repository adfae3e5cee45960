//! Reads. A [`Reader`] borrows any connection or transaction, so a write transaction can
//! read its own uncommitted writes through [`crate::WriteTx::reader`].

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::resident::{AtenaNumber, Intention, Phone, Resident, Sex};
use vax_domain::venue::{Coordinates, Venue, VenueKind};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

use crate::{LedgerError, RowId};

/// What the intention survey recorded for a resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SurveyState {
    /// 接種意向.
    pub intention: Intention,
    /// 送迎 needed.
    pub needs_transport: bool,
    /// Anaphylaxis history: 30-minute observation.
    pub anaphylaxis_history: bool,
}

/// A resident as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResidentRow {
    /// Local row id.
    pub id: RowId,
    /// The register's data.
    pub resident: Resident,
    /// The survey's answer, once imported.
    pub survey: Option<SurveyState>,
}

/// What a planner needs to know of a resident.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanningResident {
    /// Local row id.
    pub id: RowId,
    /// Birth date (priority).
    pub birth_date: NaiveDate,
    /// Home, if geocoded.
    pub home: Option<Coordinates>,
    /// 地区.
    pub district: String,
}

/// A venue as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VenueRow {
    /// Local row id.
    pub id: RowId,
    /// The venue.
    pub venue: Venue,
    /// 集団接種会場 or 医療機関, when HQ said.
    pub kind: Option<VenueKind>,
}

/// A time band as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimeBandRow {
    /// Local row id.
    pub id: RowId,
    /// The venue's code.
    pub venue_code: String,
    /// The day.
    pub date: NaiveDate,
    /// Start.
    pub start: NaiveTime,
    /// End.
    pub end: NaiveTime,
    /// Places.
    pub capacity: u32,
}

/// A time band with how many residents are booked into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BandLoad {
    /// The band.
    pub band: TimeBandRow,
    /// Bookings in it.
    pub booked: u32,
    /// HQ closed it: it takes no new bookings (its bookings stay until reshuffled).
    pub closed: bool,
}

/// A resident's booking for one dose, with where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BookingView {
    /// Which dose.
    pub dose_number: u8,
    /// Product booked.
    pub product_code: String,
    /// The band.
    pub band: TimeBandRow,
    /// 会場名.
    pub venue_name: String,
}

/// A dose record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DoseView {
    /// Global id of the event.
    pub uid: String,
    /// Which dose.
    pub dose_number: u8,
    /// When it was given.
    pub administered_at: DateTime<FixedOffset>,
    /// Venue code.
    pub venue_code: String,
    /// 会場名.
    pub venue_name: String,
    /// Product code.
    pub product_code: String,
    /// ロット番号.
    pub lot_number: String,
    /// 医師名 / vaccinator.
    pub vaccinator: String,
    /// Injection site.
    pub injection_site: String,
    /// When and why it was voided, if it was.
    pub voided: Option<(DateTime<FixedOffset>, String)>,
}

/// A call-centre inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InquiryView {
    /// Global id.
    pub uid: String,
    /// When.
    pub received_at: DateTime<FixedOffset>,
    /// How it came in.
    pub channel: InquiryChannel,
    /// What it was about.
    pub topic: InquiryTopic,
    /// What was said.
    pub note: String,
    /// Who took it.
    pub operator: String,
    /// Someone must get back to the resident.
    pub follow_up_needed: bool,
    /// Who should; empty when anyone may.
    pub follow_up_by: String,
    /// The uid of the earlier inquiry whose follow-up this one completed.
    pub closes: Option<String>,
    /// The uid of the inquiry that completed this one's follow-up (the earliest, if several).
    pub closed_by: Option<String>,
}

impl InquiryView {
    /// Whether someone still has to get back to the resident.
    pub fn follow_up_open(&self) -> bool {
        self.follow_up_needed && self.closed_by.is_none()
    }
}

/// Read access to a ledger connection or transaction.
#[derive(Clone, Copy)]
pub struct Reader<'c> {
    pub(crate) conn: &'c Connection,
}

/// Builds the struct `$ty` from consecutive columns of a row, the first at `$at`: each
/// named field takes the next column, in the order given.
macro_rules! read_columns {
    ($row:expr, $at:expr => $ty:path { $($field:ident),+ $(,)? }) => {{
        let mut column = $at..;
        $ty {
            $($field: $row.get(column.next().expect("an open range has a next"))?),+
        }
    }};
}
pub(crate) use read_columns;

/// The error for a stored value of row `id` of `table` that does not parse: call it with
/// the column and the problem.
pub(crate) fn corrupt(
    table: &'static str,
    id: i64,
) -> impl Fn(&'static str, String) -> LedgerError {
    move |field, problem| LedgerError::Corrupt {
        table,
        id,
        field,
        problem,
    }
}

/// Every row `sql` answers for `params`, each made by `f`.
pub(crate) fn query_rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, LedgerError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, f)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub(crate) const RESIDENT_COLUMNS: &str = "id, municipality_code, voucher_number, name, name_kana, birth_date, sex, postal_code, address, district, lat, lon, phone, phone_digits, intention, needs_transport, anaphylaxis_history, atena_number";

struct RawResident {
    id: i64,
    municipality: String,
    voucher: String,
    name: String,
    name_kana: String,
    birth_date: String,
    sex: String,
    postal_code: String,
    address: String,
    district: String,
    lat: Option<f64>,
    lon: Option<f64>,
    phone: Option<String>,
    phone_digits: Option<String>,
    intention: Option<String>,
    needs_transport: bool,
    anaphylaxis_history: bool,
    atena_number: Option<String>,
}

impl RawResident {
    /// Reads the resident columns ([`RESIDENT_COLUMNS`]) starting at column `at`.
    fn from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(read_columns!(r, at => Self {
            id, municipality, voucher, name, name_kana, birth_date, sex, postal_code, address,
            district, lat, lon, phone, phone_digits, intention, needs_transport, anaphylaxis_history,
            atena_number,
        }))
    }

    fn into_row(self) -> Result<ResidentRow, LedgerError> {
        let id = self.id;
        let corrupt = corrupt("residents", id);
        let municipality = MunicipalityCode::parse(&self.municipality)
            .map_err(|e| corrupt("municipality_code", e.to_string()))?;
        let voucher = VoucherNumber::parse(&self.voucher)
            .map_err(|e| corrupt("voucher_number", e.to_string()))?;
        let birth_date = parse_day(&self.birth_date).map_err(|e| corrupt("birth_date", e))?;
        let sex = Sex::from_code(&self.sex).ok_or_else(|| corrupt("sex", self.sex.clone()))?;
        let home = match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => Some(Coordinates { lat, lon }),
            _ => None,
        };
        let phone = match (self.phone, self.phone_digits) {
            (Some(display), Some(digits)) => Some(Phone { display, digits }),
            _ => None,
        };
        let atena_number = self
            .atena_number
            .map(|a| AtenaNumber::parse(&a).map_err(|e| corrupt("atena_number", e.to_string())))
            .transpose()?;
        let survey = match self.intention {
            None => None,
            Some(code) => Some(SurveyState {
                intention: Intention::from_code(&code)
                    .ok_or_else(|| corrupt("intention", code.clone()))?,
                needs_transport: self.needs_transport,
                anaphylaxis_history: self.anaphylaxis_history,
            }),
        };
        Ok(ResidentRow {
            id,
            resident: Resident {
                municipality,
                voucher,
                name: self.name,
                name_kana: self.name_kana,
                birth_date,
                sex,
                postal_code: self.postal_code,
                address: self.address,
                district: self.district,
                home,
                phone,
                atena_number,
            },
            survey,
        })
    }
}

pub(crate) fn parse_day(s: &str) -> Result<NaiveDate, String> {
    s.parse().map_err(|e: chrono::ParseError| e.to_string())
}

fn parse_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| e.to_string())
}

pub(crate) fn parse_instant(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| e.to_string())
}

struct RawBand {
    id: i64,
    venue_code: String,
    date: String,
    start: String,
    end: String,
    capacity: u32,
}

impl RawBand {
    /// Reads the six band columns ([`BAND_COLUMNS`]) starting at `at`.
    fn from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(read_columns!(r, at => Self { id, venue_code, date, start, end, capacity }))
    }

    fn into_band(self) -> Result<TimeBandRow, LedgerError> {
        let id = self.id;
        let corrupt = corrupt("time_bands", id);
        Ok(TimeBandRow {
            id,
            venue_code: self.venue_code,
            date: parse_day(&self.date).map_err(|e| corrupt("date", e))?,
            start: parse_time(&self.start).map_err(|e| corrupt("start_time", e))?,
            end: parse_time(&self.end).map_err(|e| corrupt("end_time", e))?,
            capacity: self.capacity,
        })
    }
}

const BAND_COLUMNS: &str = "b.id, v.code, b.date, b.start_time, b.end_time, b.capacity";

/// Each time band ([`BAND_COLUMNS`]) with its bookings count.
const BAND_LOADS: &str = "SELECT b.id, v.code, b.date, b.start_time, b.end_time, b.capacity,
        (SELECT count(*) FROM bookings k WHERE k.time_band_id = b.id), b.closed
    FROM time_bands b JOIN venues v ON v.id = b.venue_id";

impl<'c> Reader<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Self { conn }
    }

    fn residents_where(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<ResidentRow>, LedgerError> {
        let sql = format!("SELECT {RESIDENT_COLUMNS} FROM residents WHERE {condition}");
        let raws = query_rows(self.conn, &sql, params, |r| RawResident::from_row(r, 0))?;
        raws.into_iter().map(RawResident::into_row).collect()
    }

    /// How many residents the ledger holds.
    pub fn resident_count(&self) -> Result<u64, LedgerError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM residents", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// The resident with this row id.
    pub fn resident(&self, id: RowId) -> Result<ResidentRow, LedgerError> {
        self.residents_where("id = ?1", [id])?
            .pop()
            .ok_or_else(|| LedgerError::Missing {
                what: "resident",
                key: id.to_string(),
            })
    }

    /// Residents by voucher number, within one municipality when it is known (18-digit
    /// line) or across all (10-digit number only).
    pub fn residents_by_voucher(
        &self,
        municipality: Option<&MunicipalityCode>,
        number: &VoucherNumber,
    ) -> Result<Vec<ResidentRow>, LedgerError> {
        match municipality {
            Some(m) => self.residents_where(
                "municipality_code = ?1 AND voucher_number = ?2",
                params![m.as_str(), number.as_str()],
            ),
            None => self.residents_where(
                "voucher_number = ?1 ORDER BY municipality_code",
                [number.as_str()],
            ),
        }
    }

    /// Residents whose kana search key starts with `key` (see
    /// [`vax_domain::kana::search_key`]), in kana order, at most `limit`.
    pub fn residents_by_kana_prefix(
        &self,
        key: &str,
        limit: u32,
    ) -> Result<Vec<ResidentRow>, LedgerError> {
        // A range on the index: every key with this prefix sorts between `key` and
        // `key` followed by the highest code point.
        let upper = format!("{key}\u{10FFFF}");
        self.residents_where(
            "kana_key >= ?1 AND kana_key < ?2 ORDER BY kana_key, birth_date LIMIT ?3",
            params![key, upper, limit],
        )
    }

    /// Up to `limit` residents in (municipality, voucher) order after the key `after`: a
    /// city-wide run pages through the register without holding it in memory.
    pub fn residents_after(
        &self,
        after: Option<(&MunicipalityCode, &VoucherNumber)>,
        limit: u32,
    ) -> Result<Vec<ResidentRow>, LedgerError> {
        let (m, v) = after.map_or(("", ""), |(m, v)| (m.as_str(), v.as_str()));
        self.residents_where(
            "(municipality_code, voucher_number) > (?1, ?2)
             ORDER BY municipality_code, voucher_number LIMIT ?3",
            params![m, v, limit],
        )
    }

    /// Residents born on `date`, at most `limit`.
    pub fn residents_by_birth_date(
        &self,
        date: NaiveDate,
        limit: u32,
    ) -> Result<Vec<ResidentRow>, LedgerError> {
        self.residents_where(
            "birth_date = ?1 ORDER BY kana_key LIMIT ?2",
            params![date.to_string(), limit],
        )
    }

    /// Residents whose phone number is `digits`, or ends with them when at least four
    /// digits are given (callers often give only the last part).
    pub fn residents_by_phone(
        &self,
        digits: &str,
        limit: u32,
    ) -> Result<Vec<ResidentRow>, LedgerError> {
        let exact = self.residents_where(
            "phone_digits = ?1 ORDER BY kana_key LIMIT ?2",
            params![digits, limit],
        )?;
        if !exact.is_empty() || digits.len() < 4 {
            return Ok(exact);
        }
        self.residents_where(
            "phone_digits LIKE '%' || ?1 ORDER BY kana_key LIMIT ?2",
            params![digits, limit],
        )
    }

    /// A resident's bookings, dose 1 first.
    pub fn bookings_of(&self, resident: RowId) -> Result<Vec<BookingView>, LedgerError> {
        let sql = format!(
            "SELECT k.dose_number, k.product_code, v.name, {BAND_COLUMNS}
             FROM bookings k JOIN time_bands b ON b.id = k.time_band_id JOIN venues v ON v.id = b.venue_id
             WHERE k.resident_id = ?1 ORDER BY k.dose_number"
        );
        let raws = query_rows(self.conn, &sql, [resident], |r| {
            let (dose_number, product_code, venue_name) = (r.get(0)?, r.get(1)?, r.get(2)?);
            Ok((
                dose_number,
                product_code,
                venue_name,
                RawBand::from_row(r, 3)?,
            ))
        })?;
        raws.into_iter()
            .map(|(dose_number, product_code, venue_name, band)| {
                Ok(BookingView {
                    dose_number,
                    product_code,
                    venue_name,
                    band: band.into_band()?,
                })
            })
            .collect()
    }

    /// A resident's dose records, voided ones included, oldest first.
    pub fn doses_of(&self, resident: RowId) -> Result<Vec<DoseView>, LedgerError> {
        // Each row is read whole, then its instants are parsed: a row that cannot be read
        // fails the query, a stored value that does not parse is reported as corrupt.
        let doses = query_rows(
            self.conn,
            "SELECT d.id, d.uid, d.dose_number, d.administered_at, v.code, v.name, l.product_code, l.lot_number,
                    d.vaccinator, d.injection_site, d.voided_at, d.void_reason
             FROM dose_records d JOIN venues v ON v.id = d.venue_id JOIN vaccine_lots l ON l.id = d.lot_id
             WHERE d.resident_id = ?1 ORDER BY d.administered_at, d.id",
            [resident],
            |r| {
                let corrupt = corrupt("dose_records", r.get(0)?);
                let at: String = r.get(3)?;
                let voided_at: Option<String> = r.get(10)?;
                let void_reason: Option<String> = r.get(11)?;
                let (uid, dose_number) = (r.get(1)?, r.get(2)?);
                let (venue_code, venue_name) = (r.get(4)?, r.get(5)?);
                let (product_code, lot_number) = (r.get(6)?, r.get(7)?);
                let (vaccinator, injection_site) = (r.get(8)?, r.get(9)?);
                let voided = match (voided_at, void_reason) {
                    (Some(at), Some(reason)) => parse_instant(&at)
                        .map(|at| Some((at, reason)))
                        .map_err(|e| corrupt("voided_at", e)),
                    _ => Ok(None),
                };
                let administered_at =
                    parse_instant(&at).map_err(|e| corrupt("administered_at", e));
                Ok(voided.and_then(|voided| {
                    Ok(DoseView {
                        uid,
                        dose_number,
                        administered_at: administered_at?,
                        venue_code,
                        venue_name,
                        product_code,
                        lot_number,
                        vaccinator,
                        injection_site,
                        voided,
                    })
                }))
            },
        )?;
        doses.into_iter().collect()
    }

    /// A resident's inquiries, newest first.
    pub fn inquiries_of(&self, resident: RowId) -> Result<Vec<InquiryView>, LedgerError> {
        crate::inquiries::inquiries_where(self.conn, "i.resident_id = ?1", [resident])
    }

    /// All venues, by code.
    pub fn venues(&self) -> Result<Vec<VenueRow>, LedgerError> {
        query_rows(
            self.conn,
            "SELECT id, code, name, address, lat, lon, kind FROM venues ORDER BY code",
            [],
            |r| {
                let kind: Option<String> = r.get(6)?;
                Ok(VenueRow {
                    kind: kind.as_deref().and_then(VenueKind::from_stored),
                    id: r.get(0)?,
                    venue: Venue {
                        code: r.get(1)?,
                        name: r.get(2)?,
                        address: r.get(3)?,
                        location: Coordinates {
                            lat: r.get(4)?,
                            lon: r.get(5)?,
                        },
                    },
                })
            },
        )
    }

    /// The venue with this code.
    pub fn venue(&self, code: &str) -> Result<VenueRow, LedgerError> {
        self.venues()?
            .into_iter()
            .find(|v| v.venue.code == code)
            .ok_or_else(|| LedgerError::Missing {
                what: "venue",
                key: code.to_owned(),
            })
    }

    /// A venue's day: each time band with its bookings count.
    pub fn venue_day(
        &self,
        venue_code: &str,
        date: NaiveDate,
    ) -> Result<Vec<BandLoad>, LedgerError> {
        self.band_loads_of(
            &format!("{BAND_LOADS} WHERE v.code = ?1 AND b.date = ?2 ORDER BY b.start_time"),
            params![venue_code, date.to_string()],
        )
    }

    /// The band loads a query starting with [`BAND_LOADS`] answers.
    fn band_loads_of(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<BandLoad>, LedgerError> {
        let raws = query_rows(self.conn, sql, params, |r| {
            Ok((
                RawBand::from_row(r, 0)?,
                r.get::<_, u32>(6)?,
                r.get::<_, bool>(7)?,
            ))
        })?;
        raws.into_iter()
            .map(|(band, booked, closed)| {
                Ok(BandLoad {
                    band: band.into_band()?,
                    booked,
                    closed,
                })
            })
            .collect()
    }

    /// The residents booked into a band, with the dose each is booked for, in kana order.
    pub fn bookings_in_band(&self, band: RowId) -> Result<Vec<(u8, ResidentRow)>, LedgerError> {
        let sql = format!(
            "SELECT k.dose_number, {} FROM bookings k JOIN residents r ON r.id = k.resident_id
             WHERE k.time_band_id = ?1 ORDER BY r.kana_key",
            RESIDENT_COLUMNS
                .split(", ")
                .map(|c| format!("r.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let raws = query_rows(self.conn, &sql, [band], |r| {
            Ok((r.get::<_, u8>(0)?, RawResident::from_row(r, 1)?))
        })?;
        raws.into_iter()
            .map(|(dose, raw)| Ok((dose, raw.into_row()?)))
            .collect()
    }

    /// Residents who want the vaccine and have no booking for `dose_number`, with what a
    /// planner needs.
    pub fn unbooked_willing(&self, dose_number: u8) -> Result<Vec<PlanningResident>, LedgerError> {
        type RawPlanning = (i64, String, Option<f64>, Option<f64>, String);
        let raws = query_rows(
            self.conn,
            "SELECT r.id, r.birth_date, r.lat, r.lon, r.district FROM residents r
             WHERE r.intention = 'wants'
               AND NOT EXISTS (SELECT 1 FROM bookings k WHERE k.resident_id = r.id AND k.dose_number = ?1)
             ORDER BY r.id",
            [dose_number],
            |r| RawPlanning::try_from(r),
        )?;
        raws.into_iter()
            .map(|(id, birth, lat, lon, district)| {
                let birth =
                    parse_day(&birth).map_err(|e| corrupt("residents", id)("birth_date", e))?;
                let home = lat.zip(lon).map(|(lat, lon)| Coordinates { lat, lon });
                Ok(PlanningResident {
                    id,
                    birth_date: birth,
                    home,
                    district,
                })
            })
            .collect()
    }

    /// Every time band with its bookings count, by venue, day and start.
    pub fn band_loads(&self) -> Result<Vec<BandLoad>, LedgerError> {
        self.band_loads_of(
            &format!("{BAND_LOADS} ORDER BY v.code, b.date, b.start_time"),
            [],
        )
    }

    /// The lot id for (product, lot number), if registered.
    pub fn lot_id(
        &self,
        product_code: &str,
        lot_number: &str,
    ) -> Result<Option<RowId>, LedgerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM vaccine_lots WHERE product_code = ?1 AND lot_number = ?2",
                params![product_code, lot_number],
                |r| r.get(0),
            )
            .optional()?)
    }
}

impl vax_domain::eligibility::DoseRecord for DoseView {
    fn dose_number(&self) -> u8 {
        self.dose_number
    }
    fn is_voided(&self) -> bool {
        self.voided.is_some()
    }
}
