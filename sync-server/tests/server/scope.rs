//! Partial replicas by municipality (docs/sync-spec.md §7b, issue 18), through the real
//! server on either store: a device enrolled for one municipality receives its residents and
//! nothing of another's, however it asks, and changes no other municipality's resident.

use std::collections::HashMap;

use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_sync::{Message, Op, OpKind, ReplicaId, ResidentField, Role, PROTOCOL_VERSION};
use vax_sync_client::{enroll, new_device_key, sync_session, Client, MemoryReplica};

use crate::process::{cli, Fixture};
use crate::support::{dose, resident, rogue};

/// 舞鶴市 and 綾部市 (Kyoto), with their check digits.
pub(crate) fn maizuru() -> MunicipalityCode {
    MunicipalityCode::parse("262021").expect("code")
}
fn ayabe() -> MunicipalityCode {
    MunicipalityCode::parse("262030").expect("code")
}

/// Even residents live in Maizuru, odd ones in Ayabe.
fn municipality_of(n: u32) -> MunicipalityCode {
    if n.is_multiple_of(2) {
        maizuru()
    } else {
        ayabe()
    }
}

fn register(n: u32) -> OpKind {
    OpKind::SetResidentFields {
        resident: resident(n),
        fields: vec![
            ResidentField::Municipality(municipality_of(n)),
            ResidentField::Name(format!("住民{n}")),
        ],
    }
}

fn number(v: &VoucherNumber) -> u32 {
    v.as_str().parse().expect("digits")
}

/// The municipalities of the residents a log's ops name.
fn municipalities_named<'a>(ops: impl Iterator<Item = &'a Op>) -> HashMap<String, usize> {
    let mut named = HashMap::new();
    for op in ops {
        if let Some(r) = op.kind.resident() {
            *named
                .entry(municipality_of(number(r)).as_str().to_owned())
                .or_insert(0) += 1;
        }
    }
    named
}

/// A one-time code for a device of `role` holding `scope`, made as the city's IT would.
pub(crate) fn scoped_code(
    f: &Fixture,
    role: Role,
    venue: Option<&str>,
    scope: &[MunicipalityCode],
) -> String {
    let db = f.db();
    let mut args = vec![
        "enrollment".to_owned(),
        "create".to_owned(),
        "--db".to_owned(),
        db.to_str().expect("utf-8").to_owned(),
        "--role".to_owned(),
        match role {
            Role::Booth => "booth",
            Role::Hq => "hq",
            _ => unreachable!("the tests enroll booths and HQs"),
        }
        .to_owned(),
    ];
    if let Some(venue) = venue {
        args.extend(["--venue".to_owned(), venue.to_owned()]);
    }
    for m in scope {
        args.extend(["--municipality".to_owned(), m.as_str().to_owned()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli(&args).trim().to_owned()
}

pub(crate) fn enrolled_replica(
    f: &Fixture,
    code: &str,
    name: &str,
) -> (
    vax_sync_client::Enrolled,
    Client,
    MemoryReplica,
    vax_sync::DeviceKey,
) {
    let key = new_device_key();
    let e = enroll(&f.server.url, code, name, &key).expect("enroll");
    let client = Client::new(&f.server.url, &e.token);
    let replica = MemoryReplica::new(e.replica_id, e.role, key.clone()).expect("key");
    (e, client, replica, key)
}

/// HQ of the prefecture registers `residents` residents of both cities and a dose for each,
/// and pushes them: twice the server's reply batch of 4,000 for each city.
fn prefecture(f: &Fixture, residents: u32) -> MemoryReplica {
    let mut hq =
        MemoryReplica::new(f.hq_enrollment.replica_id, Role::Hq, f.hq_key.clone()).expect("key");
    for n in 0..residents {
        hq.write(register(n)).expect("write");
    }
    for n in 0..residents {
        hq.write(dose(n, "V01")).expect("write");
    }
    sync_session(&mut hq, &f.hq, f.hq_enrollment.server_replica_id).expect("HQ pushes");
    hq
}

#[test]
fn a_device_of_one_municipality_receives_its_residents_once_and_nothing_of_another() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    let mut hq = prefecture(&f, 8_000);

    let code = scoped_code(&f, Role::Booth, Some("V01"), &[maizuru()]);
    let (e, client, mut booth, _) = enrolled_replica(&f, &code, "舞鶴 接種1");
    assert_eq!(e.scope, vec![maizuru()], "the enrollment names its scope");
    let first = sync_session(&mut booth, &client, server_id).expect("first sync");
    // 4,000 Maizuru residents, each registered and given a dose.
    assert_eq!(first.received_ops, 8_000, "{first:?}");
    assert_eq!(booth.log.len(), 8_000);
    assert_eq!(
        municipalities_named(booth.log.iter()),
        HashMap::from([(maizuru().as_str().to_owned(), 8_000)])
    );
    // Its frontier covers HQ's whole log, the other city's counters included.
    assert_eq!(
        vax_sync::OpLog::seen(&booth.log)
            .expect("seen")
            .get(&f.hq_enrollment.replica_id),
        16_000
    );

    // Nothing again: the next session brings nothing.
    let again = sync_session(&mut booth, &client, server_id).expect("second sync");
    assert_eq!(again.received_ops, 0, "{again:?}");

    // HQ's later ops: the booth gets its city's only.
    for n in 8_000..8_010 {
        hq.write(register(n)).expect("write");
    }
    sync_session(&mut hq, &f.hq, server_id).expect("HQ pushes");
    let later = sync_session(&mut booth, &client, server_id).expect("later sync");
    assert_eq!(later.received_ops, 5, "{later:?}");

    // A walk-in from Ayabe: the Maizuru booth records the dose; it reaches an Ayabe device,
    // and the Maizuru booth's own op is not sent back to it.
    let walk_in = 1; // odd: Ayabe
    booth.write(dose(walk_in, "V01")).expect("write");
    let sent = sync_session(&mut booth, &client, server_id).expect("walk-in synced");
    assert!(
        sent.quarantined.is_empty(),
        "a walk-in's dose is accepted: {sent:?}"
    );
    let code = scoped_code(&f, Role::Booth, Some("V02"), &[ayabe()]);
    let (_, client, mut ayabe_booth, _) = enrolled_replica(&f, &code, "綾部 接種1");
    sync_session(&mut ayabe_booth, &client, server_id).expect("Ayabe's first sync");
    assert_eq!(
        municipalities_named(ayabe_booth.log.iter()),
        HashMap::from([(ayabe().as_str().to_owned(), 8_000 + 5 + 1)])
    );
}

type Seen = crdts::VClock<ReplicaId>;

/// An attacker with a Maizuru booth's token asks as it likes — an empty `seen`, claimed
/// ranges, a `seen` behind what it holds — and never receives an op about an Ayabe resident.
#[test]
fn however_a_partial_replica_asks_it_receives_no_resident_of_another_municipality() {
    let f = Fixture::new();
    prefecture(&f, 3_000);
    let hq_id = f.hq_enrollment.replica_id;
    let code = scoped_code(&f, Role::Booth, Some("V01"), &[maizuru()]);
    let (e, client, _, _) = enrolled_replica(&f, &code, "舞鶴 接種1");

    let mut received: Vec<Op> = Vec::new();
    let asks: Vec<(Seen, Vec<(u64, u64)>)> = vec![
        (Default::default(), Vec::new()),
        (Default::default(), vec![(1, 1), (3, 3)]),
        (
            [crdts::Dot::new(hq_id, 1u64)].into_iter().collect(),
            vec![(2, 2)],
        ),
        (
            [crdts::Dot::new(hq_id, 2_999u64)].into_iter().collect(),
            Vec::new(),
        ),
    ];
    for (seen, beyond) in asks {
        let mut seen = seen;
        // Each reply says `more` until the log is walked: follow it as far as it goes.
        for _ in 0..10 {
            let ask = Message {
                protocol: PROTOCOL_VERSION,
                from: e.replica_id,
                seen: seen.clone(),
                ops: Vec::new(),
                more: false,
                keys: Default::default(),
                beyond: if beyond.is_empty() {
                    Default::default()
                } else {
                    [(hq_id, beyond.clone())].into_iter().collect()
                },
                covered: Default::default(),
            };
            let reply = client.exchange(&ask).expect("exchange");
            for op in &reply.ops {
                crdts::CmRDT::apply(&mut seen, crdts::Dot::new(op.author(), op.id.counter));
            }
            for (&author, &through) in &reply.covered {
                crdts::CmRDT::apply(&mut seen, crdts::Dot::new(author, through));
            }
            received.extend(reply.ops);
            if !reply.more {
                break;
            }
        }
    }
    assert!(!received.is_empty(), "the booth's own city arrived");
    let named = municipalities_named(received.iter());
    assert_eq!(named.get(ayabe().as_str()), None, "{named:?}");
}

/// HQ of Maizuru edits and books its own residents; an edit or booking of an Ayabe resident,
/// or registering a resident in Ayabe, is refused with WRONG_SCOPE and quarantined on the
/// device, and the rest of its log still reaches the server.
#[test]
fn a_municipalitys_hq_changes_no_resident_of_another_municipality() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    prefecture(&f, 10);
    let code = scoped_code(&f, Role::Hq, None, &[maizuru()]);
    let (e, client, _, key) = enrolled_replica(&f, &code, "舞鶴市 本部");
    let mut city_hq = rogue(e.replica_id, &key);
    sync_session(&mut city_hq, &client, server_id).expect("first sync");

    let edit = |n: u32| OpKind::SetResidentFields {
        resident: resident(n),
        fields: vec![ResidentField::Name(format!("改名{n}"))],
    };
    let own_edit = city_hq.write(edit(2)).expect("write").id;
    let other_edit = city_hq.write(edit(3)).expect("write").id;
    let other_register = city_hq
        .write(OpKind::SetResidentFields {
            resident: resident(20_001),
            fields: vec![ResidentField::Municipality(ayabe())],
        })
        .expect("write")
        .id;
    let unknown_edit = city_hq.write(edit(30_000)).expect("write").id;
    // Taking an Ayabe resident over by naming Maizuru as their municipality.
    let takeover = city_hq
        .write(OpKind::SetResidentFields {
            resident: resident(5),
            fields: vec![
                ResidentField::Municipality(maizuru()),
                ResidentField::Name("乗っ取り".into()),
            ],
        })
        .expect("write")
        .id;
    // Voiding doses: Ayabe's refused, Maizuru's taken. The prefecture HQ wrote the ten
    // registrations, then the ten doses (counters 11..=20: resident n's is 11 + n).
    let void = |n: u64| {
        OpKind::Void(vax_sync::Void {
            target: vax_sync::OpId {
                replica: f.hq_enrollment.replica_id,
                counter: 11 + n,
            },
            target_kind: vax_sync::EventKind::Dose,
            reason: "誤入力".into(),
        })
    };
    let other_void = city_hq.write(void(3)).expect("write").id;
    let own_void = city_hq.write(void(2)).expect("write").id;
    let own_register = city_hq
        .write(OpKind::SetResidentFields {
            resident: resident(20_002),
            fields: vec![ResidentField::Municipality(maizuru())],
        })
        .expect("write")
        .id;
    let report = sync_session(&mut city_hq, &client, server_id).expect("sync");
    assert_eq!(
        report.quarantined,
        vec![
            other_edit,
            other_register,
            unknown_edit,
            takeover,
            other_void
        ],
        "{report:?}"
    );
    let held = |id| {
        let mut prefecture_hq =
            MemoryReplica::new(f.hq_enrollment.replica_id, Role::Hq, f.hq_key.clone())
                .expect("key");
        sync_session(&mut prefecture_hq, &f.hq, server_id).expect("sync");
        vax_sync::OpLog::get(&prefecture_hq.log, &id)
            .expect("get")
            .is_some()
    };
    assert!(
        held(own_edit) && held(own_register) && held(own_void),
        "its own city's changes arrived"
    );
    for refused in [
        other_edit,
        other_register,
        unknown_edit,
        takeover,
        other_void,
    ] {
        assert!(!held(refused), "{refused} refused");
    }

    // It makes codes for, lists and revokes devices of its own city only.
    let listed = client.devices().expect("devices");
    assert!(
        listed
            .iter()
            .all(|d| d.replica_id != f.hq_enrollment.replica_id),
        "the prefecture's HQ is not in its list"
    );
    let refused = client
        .revoke_device(f.hq_enrollment.replica_id)
        .expect_err("HQ of Maizuru may not revoke the prefecture's HQ");
    assert!(format!("{refused:?}").contains("WrongScope"), "{refused:?}");
    let refused = client
        .create_enrollment_code(Role::Booth, Some(&vax_sync::VenueCode::new("V01")), &[], 24)
        .expect_err("a whole-ledger code from a municipality's HQ");
    assert!(format!("{refused:?}").contains("WrongScope"), "{refused:?}");
}

/// HQ of Maizuru sees the alerts about Maizuru's residents only: the same dose recorded twice
/// for a resident of each city reaches the prefecture's HQ as two alerts, Maizuru's HQ as one.
#[test]
fn a_municipalitys_hq_sees_the_alerts_about_its_own_residents_only() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    let mut hq = prefecture(&f, 10); // one dose each for residents 0..10
    hq.write(dose(2, "V01")).expect("write"); // Maizuru's resident 2, twice
    hq.write(dose(3, "V01")).expect("write"); // Ayabe's resident 3, twice
    sync_session(&mut hq, &f.hq, server_id).expect("push");
    let named = |alerts: Vec<vax_sync::Alert>| -> Vec<u32> {
        let mut n: Vec<u32> = alerts
            .iter()
            .flat_map(|a| a.residents().into_iter().map(number).collect::<Vec<_>>())
            .collect();
        n.sort();
        n
    };
    assert_eq!(named(f.hq.alerts().expect("alerts")), vec![2, 3]);
    let code = scoped_code(&f, Role::Hq, None, &[maizuru()]);
    let (_, client, _, _) = enrolled_replica(&f, &code, "舞鶴市 本部");
    assert_eq!(named(client.alerts().expect("alerts")), vec![2]);
}

/// An author's refused op leaves a gap in its counters for good (the device quarantines it).
/// A partial replica of another municipality, which holds none of the author's ops before,
/// still takes the author's later op of its scope, numbered far beyond (more than the
/// counter-jump bound), and its next session brings nothing: the server's `covered` passes
/// the gap.
#[test]
fn a_partial_replica_takes_an_authors_op_far_beyond_a_refused_one() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    prefecture(&f, 10);
    let code = scoped_code(&f, Role::Hq, None, &[maizuru()]);
    let (e, client, _, key) = enrolled_replica(&f, &code, "舞鶴市 本部");
    let mut city_hq = rogue(e.replica_id, &key);
    let refused = city_hq
        .write(OpKind::SetResidentFields {
            resident: resident(3),
            fields: vec![ResidentField::Name("綾部の人".into())],
        })
        .expect("write")
        .id;
    let beyond_bound = vax_sync::MAX_COUNTER_JUMP as u32 + 50;
    for n in 0..beyond_bound {
        city_hq
            .write(OpKind::SetResidentFields {
                resident: resident(100_000 + 2 * n),
                fields: vec![ResidentField::Municipality(maizuru())],
            })
            .expect("write");
    }
    // A walk-in from Ayabe given a dose at a Maizuru venue: Ayabe's record.
    let walk_in = city_hq.write(dose(3, "V01")).expect("write").id;
    let report = sync_session(&mut city_hq, &client, server_id).expect("sync");
    assert_eq!(report.quarantined, vec![refused]);

    let code = scoped_code(&f, Role::Booth, Some("V02"), &[ayabe()]);
    let (_, client, mut ayabe_booth, _) = enrolled_replica(&f, &code, "綾部 接種1");
    let first = sync_session(&mut ayabe_booth, &client, server_id).expect("first sync");
    assert!(
        vax_sync::OpLog::get(&ayabe_booth.log, &walk_in)
            .expect("get")
            .is_some(),
        "{first:?}"
    );
    let again = sync_session(&mut ayabe_booth, &client, server_id).expect("second sync");
    assert_eq!(again.received_ops, 0, "{again:?}");
}

/// Ops stored before the store kept scopes (an upgraded server's whole ledger) are classified
/// when the server opens it, by the residents' municipalities: a device of Maizuru enrolled
/// after the upgrade gets Maizuru's residents and none of Ayabe's.
#[test]
fn ops_stored_before_scopes_existed_are_classified_when_the_server_opens_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = crate::support::store_location(dir.path());
    // HQ enrolls (the server registers its key), then its ops are stored without scopes.
    let mut store = vax_sync_server::open_store(&location).expect("store");
    let (hq_code, _) = vax_sync_server::core::create_enrollment_code(
        &mut *store,
        Role::Hq,
        None,
        24,
        chrono::Utc::now(),
    )
    .expect("code");
    let hq_key = new_device_key();
    let hq_id = vax_sync_server::Core::open(store)
        .expect("core")
        .enroll(&hq_code, "本部", hq_key.public())
        .expect("HQ enrolls")
        .replica_id;
    let mut store = vax_sync_server::open_store(&location).expect("store");
    let mut hq = MemoryReplica::new(hq_id, Role::Hq, hq_key).expect("key");
    for n in 0..50 {
        hq.write(register(n)).expect("write");
        hq.write(dose(n, "V01")).expect("write");
    }
    // Stored as the server before this change stored them: no scope staged.
    let ops: Vec<Op> = hq.log.iter().cloned().collect();
    vax_sync::OpLog::append(&mut *store, &ops).expect("stored unclassified");
    assert_eq!(store.unclassified_ops(1_000).expect("read").len(), 100);
    let (code, _) = vax_sync_server::core::create_scoped_enrollment_code(
        &mut *store,
        Role::Booth,
        Some(vax_sync::VenueCode::new("V01")),
        vec![maizuru()],
        24,
        chrono::Utc::now(),
    )
    .expect("code");

    let mut core = vax_sync_server::Core::open(store).expect("opened and classified");
    let key = new_device_key();
    let e = core
        .enroll(&code, "舞鶴 接種1", key.public())
        .expect("enroll");
    let device = core.authenticate(&e.token).expect("device");
    let mut booth = MemoryReplica::new(e.replica_id, Role::Booth, key).expect("key");
    let mut state = vax_sync::SyncState::for_peer(core.server_id()).trusting_peer_keys();
    for _ in 0..5 {
        let Some(ask) =
            vax_sync_client::LocalReplica::generate(&mut booth, &mut state).expect("generate")
        else {
            break;
        };
        let (reply, _) = core.sync(&device, &ask.encode()).expect("sync");
        let reply = Message::decode(&reply).expect("reply");
        vax_sync_client::LocalReplica::receive(&mut booth, &mut state, reply).expect("receive");
    }
    assert_eq!(
        municipalities_named(booth.log.iter()),
        HashMap::from([(maizuru().as_str().to_owned(), 50)])
    );
    // The same classification names the resident of each op of a record (how the migration
    // to `ops.resident` fills it): the online lookup of a walk-in finds Ayabe's resident 3.
    let reply = core
        .resident_record(&device, &ayabe(), &resident(3))
        .expect("found");
    let reply = Message::decode(&reply).expect("reply");
    let kinds: Vec<&str> = reply.ops.iter().map(|op| op.kind.name()).collect();
    assert_eq!(kinds, ["set_resident_fields", "record_dose"]);
}

/// The status and error code of a refused lookup.
fn refused(
    result: Result<(Message, Vec<vax_sync::EncodedOp>), vax_sync_client::ClientError>,
) -> (u16, String) {
    let e = result.expect_err("refused");
    (
        e.status().unwrap_or(0),
        e.code().map(|c| c.as_str().to_owned()).unwrap_or_default(),
    )
}

/// A walk-in from Maizuru at an Ayabe booth: the booth looks the resident up online and gets
/// the stored, signed ops of their record — their register entry, their dose, the check-in and
/// its void — and nothing of anyone else, keyed by municipality and voucher (the same number
/// in another municipality is another person). A device that holds the resident, HQ (of the
/// prefecture or of a municipality) and a revoked device are refused.
#[test]
fn a_walk_in_is_looked_up_online_by_municipality_and_voucher_and_only_their_record_comes() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    let mut hq = prefecture(&f, 10); // residents 0..10, each registered and given a dose
    let check_in = hq
        .write(crate::support::check_in(2, "V01"))
        .expect("write")
        .id;
    hq.write(OpKind::Void(vax_sync::Void {
        target: check_in,
        target_kind: vax_sync::EventKind::CheckIn,
        reason: "取り消し".into(),
    }))
    .expect("write");
    hq.write(crate::support::check_in(4, "V01")).expect("write");
    hq.write(OpKind::Inquiry(vax_sync::Inquiry::new(
        resident(2),
        vax_domain::inquiry::InquiryTopic::Other,
        "電話あり",
    )))
    .expect("write");
    sync_session(&mut hq, &f.hq, server_id).expect("push");

    let code = scoped_code(&f, Role::Booth, Some("V02"), &[ayabe()]);
    let (e, client, _, _) = enrolled_replica(&f, &code, "綾部 接種1");
    let (reply, texts) = client
        .resident_record(&maizuru(), &resident(2))
        .expect("found");
    assert_eq!(reply.from, server_id);
    assert!(reply.covered.is_empty() && !reply.more, "{reply:?}");
    let kinds: Vec<&str> = reply.ops.iter().map(|op| op.kind.name()).collect();
    assert_eq!(
        kinds,
        ["set_resident_fields", "record_dose", "check_in", "void"],
        "the record, not the call centre's note"
    );
    for op in &reply.ops {
        if let OpKind::Void(v) = &op.kind {
            assert_eq!(v.target, check_in);
        } else {
            assert_eq!(op.kind.resident(), Some(&resident(2)), "{op:?}");
        }
    }
    assert_eq!(
        texts.len(),
        reply.ops.len(),
        "the stored texts, as a sync reply's"
    );
    assert_eq!(
        reply.keys.get(&f.hq_enrollment.replica_id),
        Some(&f.hq_key.public()),
        "the authors' keys, for the device to verify every op"
    );

    // Resident 3 lives in Ayabe: under Maizuru's code nobody is known.
    assert_eq!(
        refused(client.resident_record(&maizuru(), &resident(3))),
        (404, "UNKNOWN_RESIDENT".into())
    );
    assert_eq!(
        refused(client.resident_record(&maizuru(), &resident(999))),
        (404, "UNKNOWN_RESIDENT".into())
    );
    // Its own municipality's residents it holds already.
    assert_eq!(
        refused(client.resident_record(&ayabe(), &resident(3))),
        (403, "NOT_PERMITTED".into())
    );
    // A whole replica holds everyone; HQ checks nobody in.
    let code = scoped_code(&f, Role::Booth, Some("V01"), &[]);
    let (_, whole, _, _) = enrolled_replica(&f, &code, "本部会場 接種1");
    assert_eq!(
        refused(whole.resident_record(&maizuru(), &resident(2))),
        (403, "NOT_PERMITTED".into())
    );
    assert_eq!(
        refused(f.hq.resident_record(&maizuru(), &resident(2))),
        (403, "NOT_PERMITTED".into())
    );
    let code = scoped_code(&f, Role::Hq, None, &[ayabe()]);
    let (_, ayabe_hq, _, _) = enrolled_replica(&f, &code, "綾部市 本部");
    assert_eq!(
        refused(ayabe_hq.resident_record(&maizuru(), &resident(2))),
        (403, "NOT_PERMITTED".into())
    );
    // A revoked device (a lost kiosk) is refused.
    f.hq.revoke_device(e.replica_id).expect("revoke");
    assert_eq!(
        refused(client.resident_record(&maizuru(), &resident(2))),
        (401, "DEVICE_REVOKED".into())
    );
}

/// An attacker with an Ayabe booth's token tries voucher after voucher: past the lookup
/// burst every lookup is refused with 429 for a while, found or not, and another device keeps
/// its own lookups.
#[test]
fn a_device_cannot_page_through_the_residents_with_the_lookup() {
    let f = Fixture::new();
    prefecture(&f, 4);
    let code = scoped_code(&f, Role::Booth, Some("V02"), &[ayabe()]);
    let (_, attacker, _, _) = enrolled_replica(&f, &code, "綾部 接種1");
    let burst = vax_sync_server::limits::DEFAULT_LOOKUP_BURST;
    for n in 0..burst {
        let (status, _) = refused(attacker.resident_record(&maizuru(), &resident(1_000 + 2 * n)));
        assert_eq!(status, 404, "lookup {n}");
    }
    for voucher in [resident(2_000), resident(2)] {
        let (status, code) = refused(attacker.resident_record(&maizuru(), &voucher));
        assert_eq!(
            (status, code.as_str()),
            (429, "RATE_LIMITED"),
            "{voucher:?}"
        );
    }
    let code = scoped_code(&f, Role::Booth, Some("V02"), &[ayabe()]);
    let (_, other, _, _) = enrolled_replica(&f, &code, "綾部 接種2");
    let (found, _) = other
        .resident_record(&maizuru(), &resident(2))
        .expect("another device's lookups are its own");
    assert_eq!(found.ops.len(), 2);
}

/// A municipality's HQ receives its city across a block of another city's ops longer than the
/// counter-jump bound, as its booths do: the server's `covered` carries it over.
#[test]
fn a_municipalitys_hq_receives_its_city_across_a_long_block_of_another_citys_ops() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    let mut hq =
        MemoryReplica::new(f.hq_enrollment.replica_id, Role::Hq, f.hq_key.clone()).expect("key");
    let maizuru_residents: Vec<u32> = (0..100).map(|n| n * 2).collect();
    for &n in &maizuru_residents {
        hq.write(register(n)).expect("write");
    }
    let block = vax_sync::MAX_COUNTER_JUMP as u32 + 2_000;
    for n in 0..block {
        hq.write(register(n * 2 + 1)).expect("write");
    }
    for &n in &maizuru_residents {
        hq.write(dose(n, "V01")).expect("write");
    }
    sync_session(&mut hq, &f.hq, server_id).expect("HQ pushes");

    for role in [Role::Booth, Role::Hq] {
        let venue = (role == Role::Booth).then_some("V01");
        let code = scoped_code(&f, role, venue, &[maizuru()]);
        let (_, client, mut device, _) = enrolled_replica(&f, &code, "舞鶴");
        let first = sync_session(&mut device, &client, server_id)
            .unwrap_or_else(|e| panic!("{role:?}'s first sync: {e}"));
        assert_eq!(first.received_ops, 200, "{role:?}: {first:?}");
    }
}
