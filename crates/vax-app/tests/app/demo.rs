use chrono::NaiveDate;
use vax_app::demo::{load_demo_city, DemoError};
use vax_app::progress::NoProgress;
use vax_app::roster::venue_day;
use vax_demo::DemoParams;
use vax_ledger::Ledger;

use crate::now;

fn params() -> DemoParams {
    DemoParams {
        residents: 3_000,
        start: NaiveDate::from_ymd_opt(2021, 5, 17).unwrap(),
        ..DemoParams::default()
    }
}

#[test]
fn the_demo_city_books_both_doses_of_everyone_who_wants_them_three_weeks_apart() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let report = load_demo_city(&mut ledger, &params(), now(), &mut NoProgress).unwrap();
    assert_eq!(report.residents, 3_000);
    assert!(
        report.plan.unplaced.is_empty(),
        "a small city fits in eight weeks: {:?}",
        report.plan.unplaced
    );
    assert!(
        report.plan.residents_booked > 2_400,
        "about 85 % want the vaccine: {}",
        report.plan.residents_booked
    );
    assert_eq!(
        report.plan.doses_booked,
        2 * report.plan.residents_booked,
        "both doses of each"
    );

    let reader = ledger.reader();
    let someone = reader.residents_by_kana_prefix("", 1).unwrap().remove(0);
    let bookings = reader.bookings_of(someone.id).unwrap();
    if someone
        .survey
        .as_ref()
        .is_some_and(|s| s.intention == vax_domain::resident::Intention::Wants)
    {
        assert_eq!(bookings.len(), 2, "both doses are booked");
        assert_eq!(
            (bookings[1].band.date - bookings[0].band.date).num_days(),
            21,
            "dose 2 is 21 days after dose 1"
        );
        assert_eq!(
            bookings[0].band.start, bookings[1].band.start,
            "at the same time of day"
        );
    }
    let day = venue_day(&ledger, "V01", params().start).unwrap();
    assert_eq!(day.bands.len(), 14, "fourteen half-hour bands");
    assert!(day.booked() > 0, "the first day has bookings");
    assert!(
        day.bands
            .iter()
            .all(|b| b.residents.len() as u32 <= b.band.capacity),
        "no band is overbooked"
    );
}

#[test]
fn the_oldest_residents_are_booked_into_the_earliest_bands() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    load_demo_city(&mut ledger, &params(), now(), &mut NoProgress).unwrap();
    let mean_ages: Vec<f64> = venue_day(&ledger, "V03", params().start)
        .unwrap()
        .bands
        .iter()
        .map(|b| {
            b.residents
                .iter()
                .filter(|r| r.dose_number == 1)
                .map(|r| f64::from(r.age))
                .collect::<Vec<_>>()
        })
        .filter(|ages| !ages.is_empty())
        .map(|ages| ages.iter().sum::<f64>() / ages.len() as f64)
        .collect();
    assert!(
        mean_ages.len() >= 2,
        "several bands are booked on the first day"
    );
    assert!(
        mean_ages.first() > mean_ages.last(),
        "earlier bands hold older residents: {mean_ages:?}"
    );
}

#[test]
fn the_demo_city_is_never_loaded_into_a_ledger_that_has_residents() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    load_demo_city(&mut ledger, &params(), now(), &mut NoProgress).unwrap();
    match load_demo_city(&mut ledger, &params(), now(), &mut NoProgress) {
        Err(DemoError::LedgerNotEmpty(3_000)) => {}
        other => panic!("expected LedgerNotEmpty, got {other:?}"),
    }
    assert_eq!(
        ledger.reader().resident_count().unwrap(),
        3_000,
        "nothing was added"
    );
}

#[test]
fn a_demo_city_that_started_in_the_past_is_booked_as_on_its_first_day() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let years_later = now() + chrono::Duration::days(5 * 365);
    let report = load_demo_city(&mut ledger, &params(), years_later, &mut NoProgress).unwrap();
    assert!(
        report.plan.unplaced.is_empty(),
        "{:?}",
        report.plan.unplaced
    );
    assert!(
        report.plan.residents_booked > 2_400,
        "its days count as open: {}",
        report.plan.residents_booked
    );
}
