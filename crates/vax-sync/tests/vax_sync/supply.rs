//! HQ's deliveries per venue day (docs/sync-spec.md §12): who may write them, how they merge,
//! their wire format and what is refused as malformed.

use chrono::NaiveDate;
use vax_sync::*;

use crate::support::*;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, 1).expect("date")
}

fn vials_of(replica: &Replica, venue: &str) -> Option<Option<u32>> {
    replica
        .supply(&VenueCode::new(venue), day())
        .map(|s| s.vials)
}

#[test]
fn only_hq_enters_deliveries_and_they_name_their_venue() {
    for role in [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::CallCentre,
        Role::Hq,
        Role::Server,
        Role::Relay,
    ] {
        for kind in [supply("V01", Some(10)), supply("V01", None)] {
            assert_eq!(may_emit(role, &kind), role == Role::Hq, "{role:?}");
        }
    }
    assert_eq!(supply("V02", Some(3)).venue(), Some(&VenueCode::new("V02")));
}

#[test]
fn the_later_entry_of_a_venue_day_wins_in_any_order_and_a_removal_is_an_entry_too() {
    let first = op(1, 1, T0, supply("V01", Some(20)));
    let lowered = op(3, 1, T0 + 60_000, supply("V01", Some(5)));
    let removed = op(1, 2, T0 + 120_000, supply("V01", None));
    let other = op(1, 3, T0 + 1, supply("V02", Some(0)));
    let mut a = Replica::new();
    for o in [&first, &lowered, &other] {
        a.apply(o);
    }
    let mut b = Replica::new();
    for o in [&other, &lowered, &first, &lowered] {
        b.apply(o);
    }
    assert_eq!(a, b);
    assert_eq!(vials_of(&a, "V01"), Some(Some(5)), "HQ's later desk wins");
    assert_eq!(
        vials_of(&a, "V02"),
        Some(Some(0)),
        "nothing delivered is kept"
    );
    for o in [&removed, &first] {
        a.apply(o);
    }
    b.apply(&removed);
    assert_eq!(a, b);
    assert_eq!(vials_of(&a, "V01"), Some(None), "removed: not limited");
}

#[test]
fn a_delivery_reaches_every_venue_through_the_server() {
    let mut hq = Site::new(1, Role::Hq);
    let mut manager = Site::new(2, Role::VenueManager);
    let mut server = Site::new(9, Role::Server);
    hq.write(supply("V01", Some(12)));
    for site in [&mut hq, &mut manager] {
        sync(site, &mut server);
    }
    assert_eq!(vials_of(manager.replica(), "V01"), Some(Some(12)));
    hq.write(supply("V01", Some(4)));
    for site in [&mut hq, &mut manager] {
        sync(site, &mut server);
    }
    assert_eq!(manager.replica(), hq.replica());
    assert_eq!(vials_of(manager.replica(), "V01"), Some(Some(4)));
}

#[test]
fn a_venue_manager_cannot_enter_a_delivery_even_for_its_own_venue() {
    let mut manager = Site::new(2, Role::VenueManager);
    let err = manager
        .node
        .write(&mut manager.log, supply("V01", Some(50)), &manager.time)
        .expect_err("only HQ delivers");
    assert!(matches!(err, WriteError::NotPermitted { .. }), "{err}");
    assert!(manager.log.is_empty(), "nothing was stored");
}

#[test]
fn the_wire_format_is_stable_and_a_removal_says_so() {
    let golden = r#"{"type":"define_supply","venue":"V01","date":"2021-06-01","product":"comirnaty","vials":20}"#;
    assert_eq!(
        serde_json::to_string(&supply("V01", Some(20))).expect("json"),
        golden
    );
    assert_eq!(
        serde_json::from_str::<OpKind>(golden).expect("reads"),
        supply("V01", Some(20))
    );
    let removed = r#"{"type":"define_supply","venue":"V01","date":"2021-06-01","vials":null}"#;
    assert_eq!(
        serde_json::to_string(&supply("V01", None)).expect("json"),
        removed
    );
    assert_eq!(
        serde_json::from_str::<OpKind>(removed).expect("reads"),
        supply("V01", None)
    );
}

#[test]
fn malformed_deliveries_are_refused() {
    let too_many = op(1, 1, T0, supply("V01", Some(MAX_VIALS_PER_DAY + 1)));
    assert_eq!(
        too_many.validate(),
        Err(InvalidOp::TooManyVials(MAX_VIALS_PER_DAY + 1))
    );
    assert!(op(1, 2, T0, supply("V01", Some(MAX_VIALS_PER_DAY)))
        .validate()
        .is_ok());
    let mut no_product = op(1, 3, T0, supply("V01", Some(3)));
    if let OpKind::DefineSupply(s) = &mut no_product.kind {
        s.product = " ".into();
    }
    assert_eq!(no_product.validate(), Err(InvalidOp::EmptyText("product")));
    let mut no_venue = op(1, 4, T0, supply("V01", None));
    if let OpKind::DefineSupply(s) = &mut no_venue.kind {
        s.venue = VenueCode::new("");
    }
    assert_eq!(no_venue.validate(), Err(InvalidOp::EmptyText("venue")));
    assert!(
        op(1, 5, T0, supply("V01", None)).validate().is_ok(),
        "a removal needs no product"
    );
}
