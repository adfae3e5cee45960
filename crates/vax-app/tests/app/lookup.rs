use chrono::NaiveDate;
use rstest::rstest;
use vax_app::import::{import_register, import_survey, TextEncoding};
use vax_app::lookup::{card, find, scan, LookupError, Query};
use vax_app::progress::NoProgress;
use vax_domain::eligibility::DueStatus;
use vax_domain::voucher::VoucherError;
use vax_ledger::{Ledger, NewDose};

use crate::{at, now, sample};

/// The ledger after importing the documented sample register, then its survey.
fn sample_ledger() -> Ledger {
    let mut ledger = Ledger::open_in_memory().unwrap();
    for (import, file) in [import_register, import_survey]
        .into_iter()
        .zip(["register.csv", "survey.csv"])
    {
        import(
            &mut ledger,
            &sample(file),
            TextEncoding::Auto,
            now(),
            &mut NoProgress,
        )
        .unwrap();
    }
    ledger
}

fn names(found: Vec<vax_ledger::ResidentRow>) -> Vec<String> {
    found.into_iter().map(|r| r.resident.name).collect()
}

#[rstest]
#[case::qr_line(Query::Voucher("112620210000100001".into()), "18-digit QR line")]
#[case::voucher_number(Query::Voucher("0000100001".into()), "10-digit number")]
#[case::full_width_digits(
    Query::Voucher("００００１００００１".into()),
    "full-width digits from an IME"
)]
#[case::hiragana(Query::Kana("やまだ".into()), "hiragana")]
#[case::half_width_katakana(Query::Kana("ﾔﾏﾀﾞ ﾊﾅｺ".into()), "half-width katakana")]
#[case::birth_date(
    Query::BirthDate(NaiveDate::from_ymd_opt(1941, 4, 1).unwrap()),
    "birth date"
)]
#[case::phone(Query::Phone("0773-75-0001".into()), "full phone")]
#[case::last_four_digits(Query::Phone("0001".into()), "last four digits")]
fn a_resident_is_found_by_qr_line_by_voucher_number_by_kana_birth_date_and_phone(
    #[case] query: Query,
    #[case] what: &str,
) {
    let ledger = sample_ledger();
    assert_eq!(
        names(find(&ledger, &query).unwrap()),
        vec!["山田 花子".to_string()],
        "{what}"
    );
}

#[test]
fn a_voucher_of_another_municipality_finds_nobody() {
    let ledger = sample_ledger();
    // 札幌市 011002 with the same voucher number
    assert!(find(&ledger, &Query::Voucher("110110020000100001".into()))
        .unwrap()
        .is_empty());
}

#[test]
fn malformed_queries_say_what_is_wrong() {
    let ledger = sample_ledger();
    assert!(
        matches!(
            find(&ledger, &Query::Voucher("112620220000100001".into())),
            Err(LookupError::Voucher(VoucherError::MunicipalityCheckDigit {
                expected: 1,
                found: 2,
                ..
            }))
        ),
        "a mistyped municipality digit is caught by the check digit"
    );
    assert!(matches!(
        find(&ledger, &Query::Voucher("12345".into())),
        Err(LookupError::Voucher(VoucherError::WrongLength { found: 5 }))
    ));
    assert!(matches!(
        find(&ledger, &Query::Kana("山田".into())),
        Err(LookupError::NotKana)
    ));
    assert!(matches!(
        find(&ledger, &Query::Phone("12".into())),
        Err(LookupError::PhoneTooShort)
    ));
}

#[test]
fn the_card_shows_the_due_dose_from_the_dose_history() {
    let mut ledger = sample_ledger();
    let today = NaiveDate::from_ymd_opt(2021, 6, 10).unwrap();
    let cards = scan(&ledger, "112620210000100008", today).unwrap();
    assert_eq!(cards.len(), 1);
    let kiyoshi = &cards[0];
    assert_eq!(kiyoshi.due, DueStatus::FirstDoseDue);
    assert_eq!(kiyoshi.age, 84);
    assert!(
        kiyoshi
            .resident
            .survey
            .as_ref()
            .unwrap()
            .anaphylaxis_history,
        "the card carries the 30-minute flag"
    );

    let tx = ledger.transaction().unwrap();
    let venue_id = tx
        .insert_venue(&vax_domain::venue::Venue {
            code: "V01".into(),
            name: "デモ市総合文化会館".into(),
            address: "京都府デモ市字浜2021".into(),
            location: vax_domain::venue::Coordinates {
                lat: 35.47,
                lon: 135.39,
            },
        })
        .unwrap();
    let lot_id = tx.lot("comirnaty", "FF3620", None).unwrap();
    tx.insert_dose(&NewDose {
        uid: None,
        resident_id: kiyoshi.resident.id,
        dose_number: 1,
        administered_at: at("2021-06-01T09:10:00+09:00"),
        venue_id,
        lot_id,
        vaccinator: "医師 一郎".into(),
        injection_site: "左上腕".into(),
        recorded_at: at("2021-06-01T09:10:00+09:00"),
    })
    .unwrap();
    tx.commit().unwrap();
    let c = card(&ledger, kiyoshi.resident.id, today).unwrap();
    assert_eq!(
        c.due,
        DueStatus::IntervalNotReached {
            dose_number: 2,
            earliest_date: NaiveDate::from_ymd_opt(2021, 6, 20).unwrap()
        },
        "nine days after dose 1 the interval is not reached"
    );
    assert_eq!(c.doses.len(), 1);
}
