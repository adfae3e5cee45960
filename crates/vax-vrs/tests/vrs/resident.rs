//! The resident record the VRS tests and the export benchmark (`benches/export.rs`, which
//! includes this file) both build.

use chrono::NaiveDate;
use vax_domain::resident::{Resident, Sex};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

/// A resident living at 京都府舞鶴市字南田辺1番地 (西舞鶴), with no coordinates, phone or
/// 宛名番号.
pub fn at_minami_tanabe(
    municipality: MunicipalityCode,
    voucher: VoucherNumber,
    name: String,
    name_kana: &str,
    birth_date: NaiveDate,
    sex: Sex,
) -> Resident {
    Resident {
        municipality,
        voucher,
        name,
        name_kana: name_kana.into(),
        birth_date,
        sex,
        postal_code: "6240853".into(),
        address: "京都府舞鶴市字南田辺1番地".into(),
        district: "西舞鶴".into(),
        home: None,
        phone: None,
        atena_number: None,
    }
}
