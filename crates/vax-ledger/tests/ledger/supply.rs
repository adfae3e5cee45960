//! HQ's deliveries per venue day reach every replica as rows (docs/sync-spec.md §12,
//! migration 0020); a delivery entered before HQ replicated is published with the city.

use chrono::NaiveDate;
use vax_ledger::{Ledger, LedgerError, SupplyRow};
use vax_sync::{OpKind, ReplicaId, Role, SupplyDef, VenueCode};

use crate::replication::{hq_with_a_small_city, key, replica, sync};

const MANAGER_V01: u128 = 21;

fn june(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, d).unwrap()
}

fn def(venue: &str, d: u32, vials: Option<u32>) -> SupplyDef {
    SupplyDef {
        venue: VenueCode::new(venue),
        date: june(d),
        product: if vials.is_some() {
            "comirnaty".into()
        } else {
            String::new()
        },
        vials,
    }
}

fn enter(ledger: &mut Ledger, d: SupplyDef) -> bool {
    let mut tx = ledger.transaction().unwrap();
    let changed = tx.define_supply(&d).unwrap();
    tx.commit().unwrap();
    changed
}

fn row(venue: &str, d: u32, vials: u32) -> SupplyRow {
    SupplyRow {
        venue_code: venue.into(),
        date: june(d),
        product_code: "comirnaty".into(),
        vials,
    }
}

#[test]
fn a_delivery_its_change_and_its_removal_reach_the_venue_as_rows() {
    let mut hq = hq_with_a_small_city();
    let mut manager = replica(MANAGER_V01, Role::VenueManager);
    assert!(enter(&mut hq, def("V01", 1, Some(3))));
    assert!(enter(&mut hq, def("V02", 2, Some(0))));
    assert!(
        !enter(&mut hq, def("V01", 1, Some(3))),
        "the same entry again changes nothing"
    );
    let sent = sync(&mut hq, &mut manager);
    let supplies = sent
        .iter()
        .filter(|o| matches!(o.kind, OpKind::DefineSupply(_)))
        .count();
    assert_eq!(supplies, 2, "one op per change, none for the repeat");
    assert_eq!(
        manager.reader().supplies().unwrap(),
        [row("V01", 1, 3), row("V02", 2, 0)]
    );

    enter(&mut hq, def("V01", 1, Some(1)));
    enter(&mut hq, def("V02", 2, None));
    sync(&mut hq, &mut manager);
    assert_eq!(manager.reader().supplies().unwrap(), [row("V01", 1, 1)]);
    assert_eq!(
        manager.reader().supply_of("V01", june(1)).unwrap(),
        Some(row("V01", 1, 1))
    );
    assert_eq!(manager.reader().supply_of("V02", june(2)).unwrap(), None);
    assert_eq!(
        manager.reader().supplies().unwrap(),
        hq.reader().supplies().unwrap()
    );
}

#[test]
fn a_delivery_for_a_venue_the_ledger_does_not_know_is_refused() {
    let mut hq = hq_with_a_small_city();
    let mut tx = hq.transaction().unwrap();
    let err = tx.define_supply(&def("V99", 1, Some(3))).unwrap_err();
    assert!(matches!(err, LedgerError::Missing { .. }), "{err}");
}

#[test]
fn deliveries_entered_before_hq_replicated_are_published_with_the_city() {
    let mut hq = Ledger::open_in_memory().unwrap();
    let tx = hq.transaction().unwrap();
    tx.insert_venue(&vax_domain::venue::Venue {
        code: "V01".into(),
        name: "会場V01".into(),
        address: "京都府舞鶴市北吸1044".into(),
        location: vax_domain::venue::Coordinates {
            lat: 35.47,
            lon: 135.39,
        },
    })
    .unwrap();
    tx.commit().unwrap();
    assert!(enter(&mut hq, def("V01", 1, Some(4))), "a row, no op yet");
    hq.start_replicating(ReplicaId::from_u128(1), Role::Hq, &key(1))
        .unwrap();
    assert_eq!(
        hq.publish_existing().unwrap(),
        1 + 1,
        "the venue and its delivery"
    );
    let mut manager = replica(MANAGER_V01, Role::VenueManager);
    sync(&mut hq, &mut manager);
    assert_eq!(manager.reader().supplies().unwrap(), [row("V01", 1, 4)]);
}
