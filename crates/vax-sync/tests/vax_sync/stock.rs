//! Stock events (`docs/sync-spec.md` §10): grow-only, voidable, converging across venues, and
//! judged by the invariants (vial clocks, quarantine).

use chrono::NaiveDate;
use vax_domain::product::{Catalogue, SyringeKind};
use vax_domain::stock::{lot_states, LotState, SealedState, WasteReason};
use vax_sync::*;

use crate::support::*;

fn expiry() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 12, 31).expect("valid date")
}

fn stock_at(venue: &str, lot: &str, when: chrono::NaiveDateTime, change: StockChange) -> OpKind {
    OpKind::StockEvent(StockEvent {
        venue: VenueCode::new(venue),
        product: "comirnaty".into(),
        lot: lot.into(),
        at: when,
        change,
    })
}

fn received(venue: &str, vials: u32, from: &str) -> OpKind {
    stock_at(
        venue,
        "FA1",
        at(8, 0),
        StockChange::Received {
            vials,
            expires_on: expiry(),
            from: from.into(),
            thawed_use_by: None,
        },
    )
}

fn state(site: &Site, venue: &str) -> Vec<LotState> {
    let venue = VenueCode::new(venue);
    let replica = site.replica();
    lot_states(
        Catalogue::builtin(),
        &replica.stock_records_at(&venue),
        &replica.dose_uses_at(&venue),
        at(23, 0),
    )
}

fn dose_from(r: u32, venue: &str, vial: OpId, when: chrono::NaiveDateTime) -> OpKind {
    match dose(r, 1, venue, "FA1", when) {
        OpKind::RecordDose(d) => OpKind::RecordDose(Dose {
            vial: Some(vial),
            ..d
        }),
        _ => unreachable!("dose() builds a dose"),
    }
}

/// HQ, the server, and a manager and a booth at each of two venues.
fn two_venues() -> Vec<Site> {
    vec![
        Site::new(1, Role::Hq),
        Site::new(9, Role::Server),
        Site::new(2, Role::VenueManager), // V01
        Site::new(3, Role::Booth),        // V01
        Site::new(4, Role::VenueManager), // V02
    ]
}

fn sync_all(sites: &mut [Site]) {
    for _ in 0..2 {
        for i in [0, 2, 3, 4] {
            let (a, b) = pair_mut(sites, i, 1);
            sync(a, b);
        }
    }
}

#[test]
fn stock_at_two_venues_with_a_transfer_and_voids_converges_everywhere() {
    let mut sites = two_venues();
    // V01 receives 10 frozen vials, sends 4 to V02, thaws 3 and opens one.
    sites[2].write(received("V01", 10, "卸A"));
    sites[2].write(stock_at(
        "V01",
        "FA1",
        at(8, 30),
        StockChange::TransferredOut {
            vials: 4,
            from: SealedState::Frozen,
            to: "V02".into(),
        },
    ));
    sites[2].write(stock_at(
        "V01",
        "FA1",
        at(8, 40),
        StockChange::Thawed {
            vials: 3,
            use_by: at(8, 40) + chrono::Duration::days(30),
        },
    ));
    // The booth opens the vial (booths may) and gives two doses from it.
    let vial = sites[3].write(stock_at(
        "V01",
        "FA1",
        at(9, 0),
        StockChange::Opened {
            use_by: at(15, 0),
            doses: 6,
            syringe: SyringeKind::LowDeadSpace,
        },
    ));
    sites[3].write(dose_from(7, "V01", vial.id, at(9, 5)));
    sites[3].write(dose_from(8, "V01", vial.id, at(9, 10)));
    // A broken vial recorded by mistake, then voided, while offline.
    let broken = sites[2].write(stock_at(
        "V01",
        "FA1",
        at(10, 0),
        StockChange::VialsWasted {
            vials: 1,
            from: SealedState::Fridge,
            reason: WasteReason::Broken,
        },
    ));
    sites[2].write(void(broken.id, EventKind::Stock));
    // V02 records the 4 vials in, concurrently.
    sites[4].write(received("V02", 4, "V01"));
    sync_all(&mut sites);

    let v01 = state(&sites[0], "V01");
    let v02 = state(&sites[0], "V02");
    for site in &sites[1..] {
        assert_eq!(state(site, "V01"), v01, "replica {} on V01", site.id());
        assert_eq!(state(site, "V02"), v02, "replica {} on V02", site.id());
    }
    let lot = &v01[0];
    assert_eq!(
        (lot.frozen, lot.fridge_vials()),
        (3, 2),
        "the void put the vial back"
    );
    assert_eq!(lot.vials[0].given, 2);
    assert_eq!(lot.vials[0].left(), 4);
    assert_eq!(lot.totals.vials_transferred_out, 4);
    assert_eq!(v02[0].frozen, 4);
    assert_eq!(v02[0].totals.vials_received, 4);
    assert!(sites[0].replica().invariants().is_empty());
}

#[test]
fn a_dose_from_a_vial_past_its_own_clock_alerts_even_when_another_vial_runs_later() {
    let mut manager = Site::new(2, Role::VenueManager);
    let mut booth = Site::new(3, Role::Booth);
    let early = manager.write(stock_at(
        "V01",
        "FA1",
        at(9, 0),
        StockChange::Opened {
            use_by: at(15, 0),
            doses: 6,
            syringe: SyringeKind::LowDeadSpace,
        },
    ));
    manager.write(stock_at(
        "V01",
        "FA1",
        at(14, 0),
        StockChange::Opened {
            use_by: at(20, 0),
            doses: 6,
            syringe: SyringeKind::LowDeadSpace,
        },
    ));
    let late = booth.write(dose_from(7, "V01", early.id, at(15, 30)));
    sync(&mut manager, &mut booth);
    match booth.replica().invariants().as_slice() {
        [Alert::DoseFromExpiredLot { dose, limit }] => {
            assert_eq!(dose.op, late.id);
            assert_eq!(
                *limit,
                LotLimit::PastUseBy {
                    use_by: at(15, 0),
                    set_by: early.id
                }
            );
        }
        other => panic!("expected one alert for the expired vial, got {other:?}"),
    }
}

#[test]
fn a_quarantine_at_one_venue_flags_later_doses_of_the_lot_at_every_venue() {
    let mut sites = two_venues();
    sites[3].write(dose(7, 1, "V01", "FA1", at(9, 0)));
    let after = sites[3].write(dose(8, 1, "V01", "FA1", at(11, 0)));
    let quarantine = sites[4].write(stock_at(
        "V02",
        "FA1",
        at(10, 0),
        StockChange::Quarantined {
            reason: "logger 12 °C for 40 min".into(),
        },
    ));
    sync_all(&mut sites);
    for site in &sites {
        match site.replica().invariants().as_slice() {
            [Alert::DoseFromExpiredLot { dose, limit }] => {
                assert_eq!(
                    dose.op, after.id,
                    "the 09:00 dose came before the excursion"
                );
                assert_eq!(
                    *limit,
                    LotLimit::Quarantined {
                        since: at(10, 0),
                        set_by: quarantine.id
                    }
                );
            }
            other => panic!("replica {}: expected one alert, got {other:?}", site.id()),
        }
    }
    // A mistaken quarantine is voided by the manager: the alert clears everywhere.
    sites[4].write(void(quarantine.id, EventKind::Stock));
    sync_all(&mut sites);
    for site in &sites {
        assert!(site.replica().invariants().is_empty(), "{}", site.id());
    }
}

#[test]
fn a_booth_may_open_a_vial_but_not_record_a_delivery() {
    assert!(may_emit(
        Role::Booth,
        &stock_at(
            "V01",
            "FA1",
            at(9, 0),
            StockChange::Opened {
                use_by: at(15, 0),
                doses: 6,
                syringe: SyringeKind::LowDeadSpace,
            },
        )
    ));
    assert!(!may_emit(Role::Booth, &received("V01", 10, "卸A")));
    assert!(may_emit(Role::VenueManager, &received("V01", 10, "卸A")));
    assert!(!may_emit(Role::Reception, &received("V01", 10, "卸A")));
}

#[test]
fn malformed_stock_events_are_refused() {
    let bad = |change| op(2, 1, T0, stock_at("V01", "FA1", at(9, 0), change)).validate();
    assert_eq!(
        bad(StockChange::Thawed {
            vials: 0,
            use_by: at(15, 0)
        }),
        Err(InvalidOp::NoVials)
    );
    assert_eq!(
        bad(StockChange::DosesWasted {
            vial: "not an id".into(),
            doses: 1,
            reason: WasteReason::DrawnNotGiven
        }),
        Err(InvalidOp::NotAnOpId("not an id".into()))
    );
    assert_eq!(
        bad(StockChange::Corrected {
            vials: 0,
            state: SealedState::Frozen,
            reason: "count".into()
        }),
        Err(InvalidOp::NoVials)
    );
    assert_eq!(
        bad(StockChange::Quarantined { reason: " ".into() }),
        Err(InvalidOp::EmptyText("reason"))
    );
}

#[test]
fn a_dose_without_a_vial_reads_back_as_the_json_of_protocol_2() {
    let json = serde_json::to_string(&dose(7, 1, "V01", "FA1", at(9, 0))).expect("serialises");
    assert!(!json.contains("vial"), "{json}");
    let with_vial = dose_from(
        7,
        "V01",
        OpId {
            replica: rid(2),
            counter: 5,
        },
        at(9, 0),
    );
    let json = serde_json::to_string(&with_vial).expect("serialises");
    assert_eq!(
        serde_json::from_str::<OpKind>(&json).expect("reads back"),
        with_vial
    );
}
