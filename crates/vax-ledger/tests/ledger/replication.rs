//! The ledger as a replica: ops stored with the rows of each change, received ops written
//! into the tables, conflicts kept for people (docs/sync-spec.md §8).

use chrono::{NaiveDate, NaiveTime};
use vax_domain::clock::{Clock, ManualClock, SystemClock};
use vax_domain::venue::{Coordinates, TimeBand, Venue};
use vax_domain::voucher::VoucherNumber;
use vax_ledger::{Ledger, LedgerError, NewDose};
use vax_sync::{
    Alert, CheckIn, Dose, EventKind, OpKind, ReplicaId, Role, SyncState, VenueCode, Void,
};

use crate::{at, resident};

const HQ: u128 = 1;
const BOOTH_V01: u128 = 2;
const BOOTH_V02: u128 = 3;

/// The signing key of test replica `n` (fixed bytes).
pub(crate) fn key(n: u128) -> vax_sync::DeviceKey {
    let mut secret = [0u8; 32];
    secret[..16].copy_from_slice(&n.to_be_bytes());
    vax_sync::DeviceKey::from_bytes(&secret)
}

pub(crate) fn replica(n: u128, role: Role) -> Ledger {
    let mut ledger = Ledger::open_in_memory().unwrap();
    ledger
        .start_replicating(ReplicaId::from_u128(n), role, &key(n))
        .unwrap();
    ledger
}

fn venue(code: &str) -> Venue {
    Venue {
        code: code.into(),
        name: format!("会場{code}"),
        address: "京都府舞鶴市北吸1044".into(),
        location: Coordinates {
            lat: 35.47,
            lon: 135.39,
        },
    }
}

fn june_first() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, 1).unwrap()
}

/// HQ with two venues, one band each, two residents and one booking, published as ops.
pub(crate) fn hq_with_a_small_city() -> Ledger {
    let mut hq = Ledger::open_in_memory().unwrap();
    let now = at("2021-05-01T09:00:00+09:00");
    let tx = hq.transaction().unwrap();
    for code in ["V01", "V02"] {
        let venue_id = tx.insert_venue(&venue(code)).unwrap();
        let band = tx
            .insert_time_band(
                venue_id,
                &TimeBand {
                    venue_code: code.into(),
                    date: june_first(),
                    start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                    end: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                    capacity: 1,
                },
            )
            .unwrap();
        if code == "V01" {
            tx.upsert_resident(&resident("0000000001", "山田 花子", "ヤマダ ハナコ"), &now)
                .unwrap();
            let id = resident_id(&tx.reader(), "0000000001");
            tx.book(id, 1, band, "comirnaty", &now).unwrap();
        }
    }
    tx.upsert_resident(
        &resident("0000000002", "山本 一郎", "ヤマモト イチロウ"),
        &now,
    )
    .unwrap();
    tx.commit().unwrap();
    hq.start_replicating(ReplicaId::from_u128(HQ), Role::Hq, &key(HQ))
        .unwrap();
    assert_eq!(hq.publish_existing().unwrap(), 2 + 2 + 2 + 1);
    hq
}

/// Both sides exchange until neither has anything to say; returns the ops `a` sent. Each
/// trusts the other for keys, as a device trusts the server that hands them on.
pub(crate) fn sync(a: &mut Ledger, b: &mut Ledger) -> Vec<vax_sync::Op> {
    let (ida, _) = a.replica_identity().unwrap();
    let (idb, _) = b.replica_identity().unwrap();
    let (mut to_b, mut to_a) = (
        SyncState::for_peer(idb).trusting_peer_keys(),
        SyncState::for_peer(ida).trusting_peer_keys(),
    );
    let mut sent = Vec::new();
    for _ in 0..100 {
        let m1 = a.sync_generate(&mut to_b).unwrap();
        if let Some(m) = &m1 {
            sent.extend(m.ops.iter().cloned());
            b.sync_receive(&mut to_a, m.clone()).unwrap();
        }
        let m2 = b.sync_generate(&mut to_a).unwrap();
        if let Some(m) = &m2 {
            a.sync_receive(&mut to_b, m.clone()).unwrap();
        }
        if m1.is_none() && m2.is_none() {
            return sent;
        }
    }
    panic!("the exchange did not end");
}

/// The row id of the (first) resident with this voucher number.
fn resident_id(reader: &vax_ledger::Reader<'_>, voucher: &str) -> vax_ledger::RowId {
    reader
        .residents_by_voucher(None, &VoucherNumber::parse(voucher).unwrap())
        .unwrap()[0]
        .id
}

pub(crate) fn record_dose(
    ledger: &mut Ledger,
    venue_code: &str,
    voucher: &str,
    hhmm: &str,
) -> String {
    let reader = ledger.reader();
    let resident_id = resident_id(&reader, voucher);
    let venue_id = reader.venue(venue_code).unwrap().id;
    let when = at(&format!("2021-06-01T{hhmm}:00+09:00"));
    let mut tx = ledger.transaction().unwrap();
    let lot_id = tx.lot("comirnaty", "FF1234", None).unwrap();
    let uid = tx
        .record_event(OpKind::RecordDose(Dose {
            resident: VoucherNumber::parse(voucher).unwrap(),
            dose_number: 1,
            venue: VenueCode::new(venue_code),
            product: "comirnaty".into(),
            lot: "FF1234".into(),
            vaccinator: "山田医師".into(),
            administered_at: when.naive_local(),
            vial: None,
            overridden: None,
            injection_site: None,
            back_entered: false,
        }))
        .unwrap();
    tx.insert_dose(&NewDose {
        uid: Some(uid.clone()),
        resident_id,
        dose_number: 1,
        administered_at: when,
        venue_id,
        lot_id,
        vaccinator: "山田医師".into(),
        injection_site: String::new(),
        recorded_at: when,
    })
    .unwrap();
    tx.commit().unwrap();
    uid
}

#[test]
fn a_standalone_ledger_writes_no_ops() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let mut tx = ledger.transaction().unwrap();
    let uid = tx
        .record_event(OpKind::Inquiry(vax_sync::Inquiry::new(
            VoucherNumber::parse("0000000001").unwrap(),
            vax_domain::inquiry::InquiryTopic::Other,
            "電話",
        )))
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(uid.len(), 36, "a plain UUID when nothing replicates: {uid}");
    assert_eq!(ledger.sync_log_summary().unwrap().ops, 0);
    assert!(matches!(
        ledger.sync_generate(&mut SyncState::new()),
        Err(LedgerError::NotReplicating)
    ));
}

#[test]
fn a_new_venue_receives_the_city_as_rows_the_desk_reads() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(BOOTH_V01, Role::Booth);
    sync(&mut hq, &mut booth);

    let reader = booth.reader();
    let hanako = &reader
        .residents_by_voucher(None, &VoucherNumber::parse("0000000001").unwrap())
        .unwrap()[0];
    assert_eq!(hanako.resident.name, "山田 花子");
    assert_eq!(
        reader
            .residents_by_kana_prefix("ヤマモト", 10)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(reader.venues().unwrap().len(), 2);
    let bookings = reader.bookings_of(hanako.id).unwrap();
    assert_eq!(bookings.len(), 1, "{bookings:?}");
    assert_eq!(bookings[0].band.venue_code, "V01");
    assert_eq!(booth.sync_log_summary().unwrap().unprojected, 0);
}

#[test]
fn ops_are_stamped_by_the_ledgers_clock_so_a_pinned_clock_pins_them() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(BOOTH_V01, Role::Booth);
    sync(&mut hq, &mut booth);
    // Two minutes ahead of the real time: ahead of every op the booth has seen (so the HLC
    // takes it as it is), and within what HQ accepts from a device's clock.
    let pinned_ms = (SystemClock.now_ms() / 1000 + 120) * 1000;
    booth
        .set_clock(std::sync::Arc::new(ManualClock::new(pinned_ms)))
        .unwrap();
    record_dose(&mut booth, "V01", "0000000001", "09:10");
    let (idb, _) = booth.replica_identity().unwrap();
    let sent = sync(&mut booth, &mut hq);
    let own: Vec<_> = sent.iter().filter(|op| op.id.replica == idb).collect();
    assert_eq!(own.len(), 1, "{sent:?}");
    assert_eq!(own[0].hlc.wall_ms, pinned_ms, "not the system clock");
}

#[test]
fn a_rolled_back_change_leaves_no_op_and_burns_no_counter() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(BOOTH_V01, Role::Booth);
    sync(&mut hq, &mut booth);
    {
        let mut tx = booth.transaction().unwrap();
        tx.record_event(OpKind::CheckIn(CheckIn {
            resident: VoucherNumber::parse("0000000001").unwrap(),
            dose_number: 1,
            venue: VenueCode::new("V01"),
            band: None,
            at: at("2021-06-01T09:00:00+09:00").naive_local(),
            back_entered: false,
        }))
        .expect_err("a booth may not check residents in");
        // dropped without commit
    }
    let uid = record_dose(&mut booth, "V01", "0000000001", "09:10");
    assert_eq!(uid, format!("{}#1", ReplicaId::from_u128(BOOTH_V01)));
    {
        let mut tx = booth.transaction().unwrap();
        tx.record_event(OpKind::Void(Void {
            target: vax_sync::OpId {
                replica: ReplicaId::from_u128(BOOTH_V01),
                counter: 1,
            },
            target_kind: EventKind::Dose,
            reason: "入力誤り".into(),
        }))
        .unwrap();
        // rolled back: the void never happened
    }
    let summary = booth.sync_log_summary().unwrap();
    assert_eq!(summary.own_ops, 1, "the rolled-back void left no op");
    let second = record_dose(&mut booth, "V01", "0000000002", "09:20");
    assert_eq!(second, format!("{}#2", ReplicaId::from_u128(BOOTH_V01)));
    assert!(
        booth.sync_alerts().unwrap().is_empty(),
        "the void was forgotten with its transaction"
    );
}

#[test]
fn the_same_dose_recorded_at_two_venues_offline_is_kept_twice_and_raises_an_alert_at_hq() {
    let mut hq = hq_with_a_small_city();
    let mut v01 = replica(BOOTH_V01, Role::Booth);
    let mut v02 = replica(BOOTH_V02, Role::Booth);
    sync(&mut hq, &mut v01);
    sync(&mut hq, &mut v02);
    // Both offline: the same resident gets dose 1 at both venues.
    record_dose(&mut v01, "V01", "0000000001", "09:10");
    record_dose(&mut v02, "V02", "0000000001", "10:40");
    sync(&mut v01, &mut hq);
    sync(&mut v02, &mut hq);
    sync(&mut hq, &mut v01);

    for ledger in [&hq, &v01] {
        let reader = ledger.reader();
        let id = resident_id(&reader, "0000000001");
        let doses = reader.doses_of(id).unwrap();
        assert_eq!(doses.len(), 2, "both records kept: {doses:?}");
    }
    let alerts = hq.sync_alerts().unwrap();
    assert!(
        matches!(alerts.as_slice(), [Alert::DuplicateDose { doses, .. }] if doses.len() == 2),
        "{alerts:?}"
    );
}

#[test]
fn a_void_that_arrives_before_its_dose_is_applied_when_the_dose_arrives() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(BOOTH_V01, Role::Booth);
    sync(&mut hq, &mut booth);
    let uid = record_dose(&mut booth, "V01", "0000000001", "09:10");
    // HQ learns of the dose, voids it; a second venue hears of the void first.
    sync(&mut booth, &mut hq);
    let target: vax_sync::OpId = uid.parse().unwrap();
    let mut tx = hq.transaction().unwrap();
    tx.record_event(OpKind::Void(Void {
        target,
        target_kind: EventKind::Dose,
        reason: "二重登録".into(),
    }))
    .unwrap();
    tx.commit().unwrap();

    let mut v02 = replica(BOOTH_V02, Role::Booth);
    sync(&mut hq, &mut v02);
    let reader = v02.reader();
    let id = resident_id(&reader, "0000000001");
    let doses = reader.doses_of(id).unwrap();
    assert_eq!(doses.len(), 1);
    assert!(doses[0].voided.is_some(), "{doses:?}");
    assert_eq!(v02.sync_log_summary().unwrap().unprojected, 0);
}

#[test]
fn hq_choosing_between_concurrent_rebookings_replaces_both_everywhere() {
    use vax_sync::{Booking, BookingCause, TimeBandId};
    let mut hq = hq_with_a_small_city();
    let mut cc1 = replica(4, Role::CallCentre);
    let mut cc2 = replica(5, Role::CallCentre);
    let mut venue = replica(BOOTH_V01, Role::Booth);
    sync(&mut hq, &mut cc1);
    sync(&mut hq, &mut cc2);
    let ichiro = VoucherNumber::parse("0000000002").unwrap();
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    // Two operators rebook 山本 一郎 at the same time, to different venues.
    for (ledger, code) in [(&mut cc1, "V01"), (&mut cc2, "V02")] {
        let mut tx = ledger.transaction().unwrap();
        tx.replicate(OpKind::Book(Booking {
            resident: ichiro.clone(),
            dose_number: 1,
            band: Some(TimeBandId::for_slot(
                &VenueCode::new(code),
                june_first(),
                nine,
            )),
            product: "comirnaty".into(),
            cause: BookingCause::Rebook,
            clock: Default::default(),
        }))
        .unwrap();
        tx.commit().unwrap();
    }
    sync(&mut cc1, &mut hq);
    sync(&mut cc2, &mut hq);
    let alerts = hq.sync_alerts().unwrap();
    // Both values are live, and V01's one-place band now holds two bookings.
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(alerts
        .iter()
        .any(|a| matches!(a, Alert::BandOverCapacity { .. })));
    let chosen = alerts
        .iter()
        .find_map(|a| match a {
            Alert::ConcurrentBookings { values, .. } => values
                .iter()
                .find(|v| {
                    v.band
                        == Some(TimeBandId::for_slot(
                            &VenueCode::new("V02"),
                            june_first(),
                            nine,
                        ))
                })
                .map(|v| v.op),
            _ => None,
        })
        .expect("a booking conflict with the V02 value");

    hq.resolve_booking(&ichiro, 1, chosen).unwrap();
    assert!(
        hq.sync_alerts().unwrap().is_empty(),
        "resolved at HQ, and V01 is no longer over capacity"
    );
    sync(&mut hq, &mut venue);
    for ledger in [&hq, &venue] {
        let reader = ledger.reader();
        let id = reader.residents_by_voucher(None, &ichiro).unwrap()[0].id;
        let bookings = reader.bookings_of(id).unwrap();
        assert_eq!(bookings.len(), 1);
        assert_eq!(bookings[0].band.venue_code, "V02", "the booking HQ chose");
    }
    assert!(
        venue.sync_alerts().unwrap().is_empty(),
        "and the conflict is gone at the venue"
    );
}

#[test]
fn a_residents_atena_number_travels_to_other_replicas_and_is_never_erased_by_one_without_it() {
    use vax_domain::resident::AtenaNumber;
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(BOOTH_V01, Role::Booth);
    let now = at("2021-05-02T09:00:00+09:00");
    let atena = |ledger: &Ledger, voucher: &str| {
        ledger
            .reader()
            .residents_by_voucher(None, &VoucherNumber::parse(voucher).unwrap())
            .unwrap()[0]
            .resident
            .atena_number
            .clone()
    };

    // HQ imports a register that carries the number for one resident.
    let mut hanako = resident("0000000001", "山田 花子", "ヤマダ ハナコ");
    hanako.atena_number = Some(AtenaNumber::parse("0001234567").unwrap());
    let mut tx = hq.transaction().unwrap();
    tx.upsert_resident(&hanako, &now).unwrap();
    tx.replicate_resident(&hanako.municipality, &hanako.voucher)
        .unwrap();
    tx.commit().unwrap();
    sync(&mut hq, &mut booth);
    assert_eq!(atena(&booth, "0000000001"), hanako.atena_number);
    assert_eq!(atena(&booth, "0000000002"), None, "none was given for him");

    // A later register without the column (a phone changed) keeps it everywhere.
    let moved = vax_domain::resident::Resident {
        atena_number: None,
        phone: None,
        ..hanako.clone()
    };
    let mut tx = hq.transaction().unwrap();
    tx.upsert_resident(&moved, &at("2021-05-03T09:00:00+09:00"))
        .unwrap();
    tx.replicate_resident(&moved.municipality, &moved.voucher)
        .unwrap();
    tx.commit().unwrap();
    sync(&mut hq, &mut booth);
    let on_booth = &booth
        .reader()
        .residents_by_voucher(None, &VoucherNumber::parse("0000000001").unwrap())
        .unwrap()[0];
    assert_eq!(on_booth.resident.phone, None, "the change arrived");
    assert_eq!(on_booth.resident.atena_number, hanako.atena_number);
    assert_eq!(atena(&hq, "0000000001"), hanako.atena_number);

    // A replica that starts later receives it with the city.
    let mut booth2 = replica(BOOTH_V02, Role::Booth);
    sync(&mut hq, &mut booth2);
    assert_eq!(atena(&booth2, "0000000001"), hanako.atena_number);
}

#[test]
fn stock_events_doses_from_a_vial_and_standby_calls_received_from_a_venue_become_rows() {
    use vax_domain::product::SyringeKind;
    use vax_domain::stock::{CallOutcome, StockChange};
    use vax_sync::{StandbyCall, StockEvent};

    let mut hq = hq_with_a_small_city();
    let mut manager = replica(BOOTH_V01, Role::VenueManager);
    sync(&mut hq, &mut manager);
    let when = at("2021-06-01T09:00:00+09:00");
    let stock = |change| StockEvent {
        venue: VenueCode::new("V01"),
        product: "comirnaty".into(),
        lot: "FF1234".into(),
        at: when.naive_local(),
        change,
    };
    let mut tx = manager.transaction().unwrap();
    tx.record_stock(
        &stock(StockChange::Received {
            vials: 10,
            expires_on: NaiveDate::from_ymd_opt(2021, 8, 31).unwrap(),
            from: "卸A".into(),
            thawed_use_by: None,
        }),
        &when,
    )
    .unwrap();
    let vial = tx
        .record_stock(
            &stock(StockChange::Opened {
                use_by: when.naive_local() + chrono::Duration::hours(6),
                doses: 6,
                syringe: SyringeKind::LowDeadSpace,
            }),
            &when,
        )
        .unwrap();
    let broken = tx
        .record_stock(
            &stock(StockChange::VialsWasted {
                vials: 1,
                from: vax_domain::stock::SealedState::Frozen,
                reason: vax_domain::stock::WasteReason::Broken,
            }),
            &when,
        )
        .unwrap();
    let dose = tx
        .record_event(OpKind::RecordDose(Dose {
            resident: VoucherNumber::parse("0000000002").unwrap(),
            dose_number: 1,
            venue: VenueCode::new("V01"),
            product: "comirnaty".into(),
            lot: "FF1234".into(),
            vaccinator: "舞鶴 太郎".into(),
            administered_at: when.naive_local(),
            vial: Some(vial.parse().unwrap()),
            overridden: None,
            injection_site: None,
            back_entered: false,
        }))
        .unwrap();
    let resident = resident_id(&tx.reader(), "0000000002");
    let venue_id = tx.reader().venue("V01").unwrap().id;
    let lot_id = tx.lot("comirnaty", "FF1234", None).unwrap();
    let dose = tx
        .insert_dose(&NewDose {
            uid: Some(dose),
            resident_id: resident,
            dose_number: 1,
            administered_at: when,
            venue_id,
            lot_id,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            recorded_at: when,
        })
        .unwrap();
    tx.tie_dose_to_vial(&dose, &vial).unwrap();
    let call = tx
        .record_event(OpKind::StandbyCall(StandbyCall {
            resident: VoucherNumber::parse("0000000002").unwrap(),
            venue: VenueCode::new("V01"),
            at: when.naive_local(),
            outcome: CallOutcome::Coming,
        }))
        .unwrap();
    tx.insert_standby_call(
        &call,
        resident,
        "V01",
        when.naive_local(),
        CallOutcome::Coming,
    )
    .unwrap();
    tx.void_event(EventKind::Stock, &broken, "入力ミス", &when)
        .unwrap();
    tx.commit().unwrap();
    sync(&mut manager, &mut hq);

    let hq_venue = hq.reader().venue("V01").unwrap().id;
    let local = manager.reader().venue("V01").unwrap().id;
    let held = |l: &Ledger, venue_id| {
        let r = l.reader();
        let mut s = r
            .venue_stock(venue_id, "V01", &at("2021-06-01T23:00:00+09:00"))
            .unwrap();
        s.records.sort_by(|a, b| a.id.cmp(&b.id));
        s
    };
    let at_hq = held(&hq, hq_venue);
    assert_eq!(
        at_hq,
        held(&manager, local),
        "HQ holds the venue's stock as the venue does"
    );
    assert_eq!(at_hq.records.len(), 3);
    assert!(
        at_hq.records.iter().any(|r| r.id == broken && r.voided),
        "the void travelled"
    );
    assert_eq!(at_hq.doses.len(), 1);
    assert_eq!(
        at_hq.doses[0].vial.as_deref(),
        Some(vial.as_str()),
        "the dose names its vial"
    );
    let calls = hq.reader().standby_calls_on("V01", june_first()).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].outcome, CallOutcome::Coming);
}

#[test]
fn a_received_op_in_hqs_name_not_signed_by_hq_is_refused_and_nothing_changes() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(BOOTH_V01, Role::Booth);
    sync(&mut hq, &mut booth);
    let residents = booth.reader().resident_count().unwrap();
    // Another replica's key signs a resident edit in HQ's name.
    let forged = vax_sync::Op::signed(
        vax_sync::OpId {
            replica: ReplicaId::from_u128(HQ),
            counter: 1_000,
        },
        vax_sync::Hlc::new(SystemClock.now_ms(), 0),
        OpKind::SetResidentFields {
            resident: VoucherNumber::parse("0000000009").unwrap(),
            fields: vec![vax_sync::ResidentField::Name("偽 太郎".into())],
        },
        &key(BOOTH_V02),
    );
    let (hq_id, _) = hq.replica_identity().unwrap();
    let mut message = hq.sync_generate(&mut SyncState::new()).unwrap().unwrap();
    message.ops = vec![forged];
    let err = booth
        .sync_receive(&mut SyncState::for_peer(hq_id), message)
        .expect_err("refused");
    assert!(
        matches!(
            err,
            LedgerError::Sync(vax_sync::SyncError::BadSignature { .. })
        ),
        "{err}"
    );
    assert_eq!(booth.reader().resident_count().unwrap(), residents);
}

#[test]
fn keys_learned_from_the_server_survive_a_restart_and_verify_later_ops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booth.sqlite3");
    let mut hq = hq_with_a_small_city();
    {
        let mut booth = Ledger::open(&path).unwrap();
        booth
            .start_replicating(
                ReplicaId::from_u128(BOOTH_V01),
                Role::Booth,
                &key(BOOTH_V01),
            )
            .unwrap();
        sync(&mut hq, &mut booth);
    }
    // HQ writes more; the reopened booth takes it from a peer it does NOT trust for keys:
    // HQ's key must come from what the booth stored.
    let mut tx = hq.transaction().unwrap();
    tx.record_event(OpKind::Inquiry(vax_sync::Inquiry::new(
        VoucherNumber::parse("0000000001").unwrap(),
        vax_domain::inquiry::InquiryTopic::Other,
        "電話あり",
    )))
    .unwrap();
    tx.commit().unwrap();
    let mut booth = Ledger::open(&path).unwrap();
    let (hq_id, _) = hq.replica_identity().unwrap();
    let (booth_id, _) = booth.replica_identity().unwrap();
    let (mut to_booth, mut to_hq) = (SyncState::for_peer(booth_id), SyncState::for_peer(hq_id));
    for _ in 0..10 {
        let a = hq.sync_generate(&mut to_booth).unwrap();
        if let Some(m) = &a {
            booth.sync_receive(&mut to_hq, m.clone()).unwrap();
        }
        let b = booth.sync_generate(&mut to_hq).unwrap();
        if let Some(m) = &b {
            hq.sync_receive(&mut to_booth, m.clone()).unwrap();
        }
        if a.is_none() && b.is_none() {
            break;
        }
    }
    assert_eq!(
        booth.sync_log_summary().unwrap().ops,
        hq.sync_log_summary().unwrap().ops
    );
}

#[test]
fn a_quarantined_op_is_kept_counted_and_never_offered_again() {
    let mut booth = replica(BOOTH_V01, Role::Booth);
    let mut tx = booth.transaction().unwrap();
    let first = tx
        .record_event(OpKind::RecordDose(Dose {
            resident: VoucherNumber::parse("0000000001").unwrap(),
            dose_number: 1,
            venue: VenueCode::new("V99"),
            product: "comirnaty".into(),
            lot: "FA5765".into(),
            vaccinator: "舞鶴 太郎".into(),
            administered_at: june_first().and_hms_opt(9, 0, 0).unwrap(),
            vial: None,
            overridden: None,
            injection_site: None,
            back_entered: false,
        }))
        .unwrap();
    tx.commit().unwrap();
    let id: vax_sync::OpId = first.parse().unwrap();
    booth
        .quarantine_op(
            id,
            vax_domain::error::ErrorCode::WrongVenue,
            "op is for venue V99",
            "2021-06-01T09:00:00+09:00",
        )
        .unwrap();
    booth
        .quarantine_op(
            id,
            vax_domain::error::ErrorCode::WrongVenue,
            "again",
            "later",
        )
        .unwrap();
    let quarantined = booth.quarantined_ops().unwrap();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].kind, "record_dose");
    assert_eq!(
        quarantined[0].code,
        vax_domain::error::ErrorCode::WrongVenue
    );
    assert_eq!(booth.quarantined_op_ids().unwrap(), vec![id]);
    assert_eq!(booth.sync_log_summary().unwrap().quarantined, 1);
    // Another replica's op is not this device's to quarantine.
    let other = vax_sync::OpId {
        replica: ReplicaId::from_u128(HQ),
        counter: 1,
    };
    assert!(booth
        .quarantine_op(other, vax_domain::error::ErrorCode::WrongVenue, "x", "y")
        .is_err());
}

/// A call-centre inquiry that asks for a follow-up, and HQ's call back that completes it
/// (issue 16): whichever order a venue receives the two in, it ends with the same open list,
/// and the inquiry rows carry what the op said.
#[test]
fn a_follow_up_and_its_completion_converge_in_either_order() {
    use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
    use vax_ledger::NewInquiry;

    let mut hq = hq_with_a_small_city();
    let mut call_centre = replica(4, Role::CallCentre);
    sync(&mut hq, &mut call_centre);
    let resident = resident_id(&call_centre.reader(), "0000000001");
    let asked = at("2021-05-20T10:00:00+09:00");
    let mut tx = call_centre.transaction().unwrap();
    let op = vax_sync::Inquiry {
        channel: InquiryChannel::Counter,
        operator: "コール 花子".into(),
        follow_up_needed: true,
        follow_up_by: "保健師".into(),
        ..vax_sync::Inquiry::new(
            VoucherNumber::parse("0000000001").unwrap(),
            InquiryTopic::SideEffects,
            "発熱の相談、折り返し",
        )
    };
    let asked_uid = tx.record_event(OpKind::Inquiry(op.clone())).unwrap();
    tx.insert_inquiry(&NewInquiry {
        uid: Some(asked_uid.clone()),
        resident_id: Some(resident),
        received_at: asked,
        channel: op.channel,
        topic: op.topic,
        note: op.note.clone(),
        operator: op.operator.clone(),
        follow_up_needed: true,
        follow_up_by: op.follow_up_by.clone(),
        closes: None,
    })
    .unwrap();
    tx.commit().unwrap();
    sync(&mut call_centre, &mut hq);
    let hq_resident = resident_id(&hq.reader(), "0000000001");
    assert_eq!(
        hq.reader().open_follow_ups(10).unwrap().len(),
        1,
        "HQ sees it open"
    );
    let received = &hq.reader().inquiries_of(hq_resident).unwrap()[0];
    assert_eq!(
        (
            received.uid.as_str(),
            received.channel,
            received.topic,
            received.operator.as_str(),
            received.follow_up_by.as_str()
        ),
        (
            asked_uid.as_str(),
            InquiryChannel::Counter,
            InquiryTopic::SideEffects,
            "コール 花子",
            "保健師"
        ),
        "the row is what the op said"
    );

    let mut tx = hq.transaction().unwrap();
    let back = vax_sync::Inquiry {
        follow_up_done: Some(asked_uid.parse().unwrap()),
        ..vax_sync::Inquiry::new(
            VoucherNumber::parse("0000000001").unwrap(),
            InquiryTopic::SideEffects,
            "折り返し済み",
        )
    };
    let back_uid = tx.record_event(OpKind::Inquiry(back)).unwrap();
    tx.insert_inquiry(&NewInquiry {
        uid: Some(back_uid.clone()),
        resident_id: Some(hq_resident),
        received_at: at("2021-05-20T11:00:00+09:00"),
        channel: InquiryChannel::Phone,
        topic: InquiryTopic::SideEffects,
        note: "折り返し済み".into(),
        operator: String::new(),
        follow_up_needed: false,
        follow_up_by: String::new(),
        closes: Some(asked_uid.clone()),
    })
    .unwrap();
    tx.commit().unwrap();
    assert!(hq.reader().open_follow_ups(10).unwrap().is_empty());

    // Everything HQ holds, in one message: once in log order, once with the call back
    // before the call.
    for (n, swap) in [(7, false), (8, true)] {
        let mut venue = replica(n, Role::Booth);
        let (mut to_venue, mut to_hq) = (
            SyncState::for_peer(ReplicaId::from_u128(n)),
            SyncState::for_peer(ReplicaId::from_u128(HQ)).trusting_peer_keys(),
        );
        let hello = venue.sync_generate(&mut to_hq).unwrap().expect("hello");
        hq.sync_receive(&mut to_venue, hello).unwrap();
        let mut message = hq
            .sync_generate(&mut to_venue)
            .unwrap()
            .expect("HQ has ops");
        while message.more {
            let next = hq
                .sync_generate(&mut to_venue)
                .unwrap()
                .expect("more was promised");
            message.ops.extend(next.ops);
            message.keys.extend(next.keys);
            message.more = next.more;
        }
        let position = |uid: &str| {
            message
                .ops
                .iter()
                .position(|o| o.id.to_string() == uid)
                .unwrap()
        };
        let (a, b) = (position(&asked_uid), position(&back_uid));
        // Messages go author by author (HQ's call back is first here): swapping the two
        // gives the other order.
        assert_ne!(a, b);
        if swap {
            message.ops.swap(a, b);
        }
        venue.sync_receive(&mut to_hq, message).unwrap();
        let id = resident_id(&venue.reader(), "0000000001");
        let inquiries = venue.reader().inquiries_of(id).unwrap();
        assert_eq!(inquiries.len(), 2, "replica {n}");
        assert!(
            venue.reader().open_follow_ups(10).unwrap().is_empty(),
            "replica {n}"
        );
        let asked = inquiries.iter().find(|i| i.uid == asked_uid).unwrap();
        assert_eq!(
            asked.closed_by.as_deref(),
            Some(back_uid.as_str()),
            "replica {n}"
        );
        assert!(!asked.follow_up_open(), "replica {n}");
    }
}

/// A received op is stored as the text that came (`sync_receive_with_texts`), not encoded
/// again: an equivalent text with other spacing is what `sync_ops` holds, and it reads back
/// as the same op.
#[test]
fn received_op_texts_are_stored_as_they_came() {
    let mut hq = hq_with_a_small_city();
    let (hq_id, _) = hq.replica_identity().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booth.sqlite3");
    let mut booth = Ledger::open(&path).unwrap();
    booth
        .start_replicating(
            ReplicaId::from_u128(BOOTH_V01),
            Role::Booth,
            &key(BOOTH_V01),
        )
        .unwrap();
    let mut to_booth = SyncState::for_peer(ReplicaId::from_u128(BOOTH_V01)).trusting_peer_keys();
    let mut to_hq = SyncState::for_peer(hq_id).trusting_peer_keys();
    let hello = booth.sync_generate(&mut to_hq).unwrap().unwrap();
    hq.sync_receive(&mut to_booth, hello).unwrap();
    let message = hq.sync_generate(&mut to_booth).unwrap().unwrap();
    assert_eq!(message.ops.len(), 7);
    // The wire bytes with a space after every op's opening brace: the same ops.
    let spaced = String::from_utf8(message.encode())
        .unwrap()
        .replace("{\"id\":", "{ \"id\":");
    let (decoded, texts) = vax_sync::Message::decode_with_texts(spaced.as_bytes()).unwrap();
    assert_eq!(decoded, message);
    let applied = booth
        .sync_receive_with_texts(&mut to_hq, decoded, texts)
        .unwrap();
    assert_eq!(applied.new_ops, 7);
    assert_eq!(
        booth.reader().resident_count().unwrap(),
        2,
        "projected as ever"
    );

    let file = rusqlite::Connection::open(&path).unwrap();
    let bodies: Vec<String> = file
        .prepare("SELECT body FROM sync_ops ORDER BY author, counter")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(bodies.len(), 7);
    for (body, op) in bodies.iter().zip(&message.ops) {
        assert!(body.starts_with("{ \"id\":"), "stored as it came: {body}");
        assert_eq!(serde_json::from_str::<vax_sync::Op>(body).unwrap(), *op);
    }
}
