//! Integration tests of the ledger: schema, durability and the write/read story.

mod at_rest;
mod audit;
mod concurrency;
mod consistency;
mod notices;
mod replication;
mod rides;
mod schema;
mod snapshot;
mod story;
mod supply;
mod tallies;

use chrono::{DateTime, FixedOffset, NaiveDate};
use vax_domain::resident::{Phone, Resident, Sex};
use vax_domain::venue::Coordinates;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

pub fn resident(voucher: &str, name: &str, kana: &str) -> Resident {
    Resident {
        municipality: MunicipalityCode::parse("262021").unwrap(),
        voucher: VoucherNumber::parse(voucher).unwrap(),
        name: name.into(),
        name_kana: kana.into(),
        birth_date: NaiveDate::from_ymd_opt(1941, 4, 1).unwrap(),
        sex: Sex::Female,
        postal_code: "6240853".into(),
        address: "京都府舞鶴市字南田辺1番地".into(),
        district: "西舞鶴".into(),
        home: Some(Coordinates {
            lat: 35.444,
            lon: 135.331,
        }),
        phone: Some(Phone::parse("0773-62-1234").unwrap()),
        atena_number: None,
    }
}
