//! Only authentic ops (docs/sync-spec.md §3a) and bounded clocks and counters (§2, §3), tried
//! as an attacker with one enrolled device would.

use vax_sync::signing::signing_bytes;
use vax_sync::*;

use crate::support::*;

/// `from`'s first message to a peer, carrying the given ops.
fn message_with(from: &Site, ops: Vec<Op>) -> Message {
    let mut message = from
        .next_message(&mut SyncState::new())
        .expect("a first message always introduces the sender");
    message.ops = ops;
    message
}

/// A dose op in replica `author`'s name, signed by replica `signer`'s key.
fn dose_signed_by(author: u128, signer: u128, counter: u64, wall_ms: u64) -> Op {
    Op::signed(
        OpId {
            replica: rid(author),
            counter,
        },
        Hlc::new(wall_ms, 0),
        dose(7, 1, "V01", "L1", at(9, 30)),
        &key(signer),
    )
}

#[test]
fn the_canonical_encoding_and_signature_match_the_golden_vector() {
    let key = DeviceKey::from_bytes(&[7; 32]);
    let id = OpId {
        replica: ReplicaId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
        counter: 42,
    };
    let hlc = Hlc::new(1_718_000_000_000, 3);
    let kind = OpKind::DefineVenue(VenueDef {
        code: VenueCode::new("V01"),
        name: "中舞鶴公民館".into(),
        address: "舞鶴市".into(),
        location: vax_domain::venue::Coordinates {
            lat: 35.47,
            lon: 135.39,
        },
        // absent from the encoding when unset: the vector predates the venue kind
        kind: None,
    });
    let bytes = signing_bytes(&id, hlc, &kind);
    let expected_head = concat!(
        "7661786c65646765722d6f702d76310a", // "vaxledger-op-v1\n"
        "01900000000070008000000000000001", // author
        "000000000000002a",                 // counter 42
        "0000019000c79c00",                 // wall ms
        "00000003",                         // logical
    );
    assert_eq!(hex::encode(&bytes[..52]), expected_head);
    assert_eq!(
        std::str::from_utf8(&bytes[52..]).expect("the kind is JSON"),
        r#"{"type":"define_venue","code":"V01","name":"中舞鶴公民館","address":"舞鶴市","location":{"lat":35.47,"lon":135.39}}"#
    );
    let op = Op::signed(id, hlc, kind, &key);
    assert_eq!(
        key.public().to_string(),
        "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
    );
    assert_eq!(
        serde_json::to_value(op.sig).expect("a signature is JSON"),
        serde_json::json!(GOLDEN_SIGNATURE)
    );
    // The JSON round trip keeps the signature valid: the verifier re-makes the same bytes.
    let back: Op =
        serde_json::from_slice(&serde_json::to_vec(&op).expect("json")).expect("the op reads back");
    assert!(back.verifies_with(&key.public()));
}

const GOLDEN_SIGNATURE: &str = "c49613c959dfb499cb81fdaf269f084c8041e8053fff18c2895f62071c7e4a1e5a82c53c4cb554c983cb90020dde8928be2fd12fb5eababf6c0e9504be0d460f";

#[test]
fn an_op_a_booth_signs_in_hqs_name_is_refused_and_nothing_is_stored() {
    // Replica 1 is HQ, replica 2 a booth; the booth forges an HQ op with its own key.
    let booth = Site::new(2, Role::Booth);
    let mut server = Site::new(9, Role::Server);
    let forged = dose_signed_by(1, 2, 1, T0);
    let err = server
        .receive_fresh(message_with(&booth, vec![forged]))
        .expect_err("an op in HQ's name not signed by HQ's key is refused");
    assert!(
        matches!(err, SyncError::BadSignature { .. }) && err.is_permanent(),
        "{err}"
    );
    assert!(server.log.is_empty(), "nothing was stored");
    assert!(server.replica().valid_doses(&resident(7), 1).is_empty());
}

#[test]
fn an_op_altered_on_the_way_is_refused() {
    let mut booth = Site::new(2, Role::Booth);
    let mut op = booth.write(dose(7, 1, "V01", "L1", at(9, 30)));
    let OpKind::RecordDose(d) = &mut op.kind else {
        unreachable!("a dose was written")
    };
    d.lot = "OTHER".into();
    let mut server = Site::new(9, Role::Server);
    let err = server
        .receive_fresh(message_with(&booth, vec![op]))
        .expect_err("a tampered op is refused");
    assert!(matches!(err, SyncError::BadSignature { .. }), "{err}");
    assert!(server.log.is_empty());
}

#[test]
fn an_unsigned_op_is_refused() {
    let booth = Site::new(2, Role::Booth);
    let mut server = Site::new(9, Role::Server);
    let mut op = dose_signed_by(2, 2, 1, T0);
    op.sig = None;
    let err = server
        .receive_fresh(message_with(&booth, vec![op]))
        .expect_err("an op without a signature is refused");
    assert!(matches!(err, SyncError::BadSignature { .. }), "{err}");
}

#[test]
fn an_op_whose_authors_key_is_unknown_is_refused() {
    let stranger = Site::new(500, Role::Booth); // outside the keys every test site knows
    let mut server = Site::new(9, Role::Server);
    let op = Op::signed(
        OpId {
            replica: rid(500),
            counter: 1,
        },
        Hlc::new(T0, 0),
        dose(7, 1, "V01", "L1", at(9, 30)),
        &key(500),
    );
    let err = server
        .receive_fresh(message_with(&stranger, vec![op]))
        .expect_err("an unknown signer is refused");
    assert!(matches!(err, SyncError::UnknownSigner { .. }), "{err}");
}

/// A booth and a venue device that know only their own keys: the second learns the first's
/// from the server, the one peer it trusts for keys.
#[test]
fn a_relayed_op_of_another_device_verifies_with_the_key_the_server_hands_on() {
    let lone = |n: u128, role: Role| Site {
        node: SyncNode::new(rid(n), role)
            .with_signing_key(key(n))
            .expect("fresh node"),
        log: MemoryOpLog::new(),
        time: ManualClock::new(T0),
    };
    let mut booth = lone(2, Role::Booth);
    let mut server = lone(9, Role::Server);
    server
        .node
        .add_key(rid(2), key(2).public())
        .expect("register");
    let mut other = lone(3, Role::Reception);
    booth.write(dose(7, 1, "V01", "L1", at(9, 30)));
    sync(&mut booth, &mut server);

    let reply = message_with(&server, server.log.iter().cloned().collect());
    let reply = Message {
        keys: [(rid(2), key(2).public())].into_iter().collect(),
        ..reply
    };
    // Without trusting the sender for keys, the booth's op cannot be checked.
    let err = other
        .receive_fresh(reply.clone())
        .expect_err("no key for the booth");
    assert!(matches!(err, SyncError::UnknownSigner { .. }), "{err}");
    // From the server, trusted for keys, it verifies and the key is kept.
    let mut from_server = SyncState::for_peer(server.id()).trusting_peer_keys();
    let applied = other
        .receive(&mut from_server, reply)
        .expect("the relayed op verifies");
    assert_eq!(applied.new_ops, 1);
    assert_eq!(applied.learned_keys, vec![(rid(2), key(2).public())]);
    assert_eq!(other.node.keys().get(&rid(2)), Some(&key(2).public()));
    // And generate_message hands the key on with the op, to a peer that holds nothing.
    let mut to_next = SyncState::new();
    let intro = lone(4, Role::Booth)
        .next_message(&mut SyncState::new())
        .expect("hello");
    other.receive(&mut to_next, intro).expect("introduction");
    let carried = other.next_message(&mut to_next).expect("ops");
    assert_eq!(carried.ops.len(), 1);
    assert_eq!(carried.keys.get(&rid(2)), Some(&key(2).public()));
}

#[test]
fn a_trusted_peer_cannot_replace_a_known_key() {
    let server = Site::new(9, Role::Server);
    let mut booth = Site::new(2, Role::Booth);
    let mut message = message_with(&server, vec![]);
    message.keys.insert(rid(1), key(77).public());
    let err = booth
        .receive(
            &mut SyncState::for_peer(server.id()).trusting_peer_keys(),
            message,
        )
        .expect_err("a known replica's key never changes");
    assert!(
        matches!(err, SyncError::Key(KeyError::Changed { .. })),
        "{err}"
    );
}

#[test]
fn a_relayed_far_future_op_is_refused_and_not_observed() {
    // A relay whose own bound is loose took an op from a device whose clock says next hour.
    let future = T0 + 60 * 60 * 1000;
    let op = dose_signed_by(2, 2, 1, future);
    let relay = Site::new(9, Role::Server);
    let mut venue = Site::new(3, Role::Reception);
    let before = venue.node.clock().last();
    let err = venue
        .receive_fresh(message_with(&relay, vec![op.clone()]))
        .expect_err("an op an hour ahead is refused even when relayed");
    assert!(
        matches!(err, SyncError::ClockAhead { .. }) && err.is_retryable(),
        "{err}"
    );
    assert_eq!(venue.node.clock().last(), before, "the clock did not move");
    assert!(venue.log.is_empty());
    // Within the bound it is taken.
    venue.time.set(future - hlc::MAX_CLOCK_AHEAD_MS);
    venue
        .receive_fresh(message_with(&relay, vec![op]))
        .expect("at the bound the op is accepted");
}

#[test]
fn counters_outside_the_allowed_range_are_refused() {
    let booth = Site::new(2, Role::Booth);
    let mut server = Site::new(9, Role::Server);
    let too_large = dose_signed_by(2, 2, u64::MAX, T0);
    let err = server
        .receive_fresh(message_with(&booth, vec![too_large]))
        .expect_err("a counter beyond i64 is refused");
    assert!(
        matches!(
            err,
            SyncError::InvalidOp {
                source: InvalidOp::CounterTooLarge(_),
                ..
            }
        ),
        "{err}"
    );
    let jump = dose_signed_by(2, 2, MAX_COUNTER_JUMP + 1, T0);
    let err = server
        .receive_fresh(message_with(&booth, vec![jump]))
        .expect_err("a counter far beyond the author's frontier is refused");
    assert!(
        matches!(err, SyncError::CounterJump { held: 0, .. }),
        "{err}"
    );
    let within = dose_signed_by(2, 2, MAX_COUNTER_JUMP, T0);
    server
        .receive_fresh(message_with(&booth, vec![within]))
        .expect("a gap within the bound is accepted (a quarantined op leaves one)");
    assert_eq!(server.log.len(), 1);
}

#[test]
fn a_node_without_a_signing_key_writes_nothing() {
    let mut node = SyncNode::new(rid(2), Role::Booth);
    let mut log = MemoryOpLog::new();
    let err = node
        .write(
            &mut log,
            dose(7, 1, "V01", "L1", at(9, 0)),
            &ManualClock::new(T0),
        )
        .expect_err("an unsigned op would be refused everywhere");
    assert!(matches!(err, WriteError::NoSigningKey), "{err}");
    assert!(log.is_empty());
}

#[test]
fn an_op_the_peer_refused_is_not_sent_again() {
    let mut booth = Site::new(2, Role::Booth);
    let bad = booth.write(dose(7, 1, "V99", "L1", at(9, 0)));
    booth.write(dose(8, 1, "V01", "L1", at(9, 1)));
    let server = Site::new(9, Role::Server);
    let mut to_server = SyncState::for_peer(server.id());
    to_server.skip(bad.id);
    let mut from_booth = SyncState::for_peer(booth.id());
    let mut server = server;
    let hello = booth.next_message(&mut to_server).expect("hello");
    server.receive(&mut from_booth, hello).expect("hello");
    let reply = server.next_message(&mut from_booth).expect("server hello");
    booth.receive(&mut to_server, reply).expect("server hello");
    let batch = booth.next_message(&mut to_server).expect("the batch");
    let ids: Vec<u64> = batch.ops.iter().map(|o| o.id.counter).collect();
    assert_eq!(ids, vec![2], "the refused op is skipped, the next one goes");
    server
        .receive(&mut from_booth, batch)
        .expect("the good op is taken past the gap");
    assert_eq!(server.log.len(), 1);
}

/// A stateless server (a fresh state per request, as the HTTP server keeps none) and a device
/// that pulls through it.
fn pull_through_stateless(server: &mut Site, device: &mut Site) -> usize {
    let mut state = SyncState::for_peer(server.id());
    for round in 1..=50 {
        let Some(message) = device.next_message(&mut state) else {
            return round;
        };
        let mut server_state = SyncState::for_peer(device.id());
        server.receive(&mut server_state, message).expect("taken");
        let reply = server
            .next_message(&mut server_state)
            .expect("always a reply");
        let news = !reply.ops.is_empty() || reply.more;
        device.receive(&mut state, reply).expect("taken");
        if news {
            state.reset_in_flight();
        }
    }
    panic!("the pull did not settle in 50 round trips");
}

#[test]
fn an_authors_quarantined_op_leaves_a_gap_that_peers_do_not_resend_forever() {
    let mut booth = Site::new(2, Role::Booth);
    let ops: Vec<Op> = (1..=6)
        .map(|r| booth.write(dose(r, 1, "V01", "L1", at(9, 0))))
        .collect();
    // The server never got op 3 (it refused it; the booth quarantined it).
    let mut server = Site::new(9, Role::Server);
    let kept: Vec<Op> = ops.iter().filter(|o| o.id.counter != 3).cloned().collect();
    server
        .receive_fresh(message_with(&booth, kept))
        .expect("taken");
    let mut venue = Site::new(3, Role::Reception);
    let rounds = pull_through_stateless(&mut server, &mut venue);
    assert!(rounds <= 4, "settled in {rounds} round trips");
    assert_eq!(venue.log.len(), 5);
    let hello = venue
        .next_message(&mut SyncState::new())
        .expect("introduction");
    assert_eq!(hello.seen.get(&rid(2)), 2, "the frontier stops at the gap");
    assert_eq!(hello.beyond.get(&rid(2)), Some(&vec![(4, 6)]));
}

/// `covered` (partial replicas, docs/sync-spec.md §7b) is the word of the server that
/// enrolled a device, and of no one else: from a peer not trusted for keys it neither lets an
/// op jump the counter bound nor moves the receiver's frontier; from the trusted server it
/// does both, so a device of one municipality takes an op numbered far beyond the ops of the
/// author it holds.
#[test]
fn only_the_trusted_server_says_what_a_partial_replica_covers() {
    let booth = Site::new(2, Role::Booth);
    let far = MAX_COUNTER_JUMP + 500;
    let covering = |ops: Vec<Op>| {
        let mut message = message_with(&booth, ops);
        message.covered = [(rid(2), far)].into_iter().collect();
        message
    };
    let mut server = Site::new(9, Role::Server);
    let err = server
        .receive_fresh(covering(vec![dose_signed_by(2, 2, far, T0)]))
        .expect_err("an untrusted peer's `covered` lifts no bound");
    assert!(
        matches!(err, SyncError::CounterJump { held: 0, .. }),
        "{err}"
    );
    server
        .receive_fresh(covering(Vec::new()))
        .expect("an empty message is taken");
    assert_eq!(
        server.log.seen().expect("seen").get(&rid(2)),
        0,
        "frontier unmoved"
    );

    let mut device = Site::new(3, Role::Booth);
    let mut from_server = SyncState::new().trusting_peer_keys();
    device
        .receive(
            &mut from_server,
            covering(vec![dose_signed_by(2, 2, far, T0)]),
        )
        .expect("the server vouches for the counters it covers");
    assert_eq!(device.log.seen().expect("seen").get(&rid(2)), far);
}

/// The online lookup of a walk-in (docs/sync-spec.md §7b): a partial replica whose frontier
/// the server moved far past an author's ops, holding none of them, takes that author's ops
/// about the resident from the trusted server's lookup reply — one below its frontier (held by
/// the log, not by the frontier) and one far beyond everything it holds (no counter-jump
/// bound) — and its frontier does not move for them, whatever the reply says it covers.
#[test]
fn a_lookup_reply_from_the_trusted_server_is_taken_below_the_frontier_and_far_beyond_it() {
    let booth = Site::new(2, Role::Booth);
    let far = 3 * MAX_COUNTER_JUMP;
    let mut device = Site::new(3, Role::Booth);
    let mut covering = message_with(&booth, Vec::new());
    covering.covered = [(rid(2), far)].into_iter().collect();
    device
        .receive(&mut SyncState::new().trusting_peer_keys(), covering)
        .expect("covered");
    assert_eq!(device.log.seen().expect("seen").get(&rid(2)), far);

    let below = dose_signed_by(2, 2, 5, T0);
    let beyond = dose_signed_by(2, 2, far + MAX_COUNTER_JUMP + 100, T0);
    let reply = |covering: bool| {
        let mut m = message_with(&booth, vec![below.clone(), beyond.clone()]);
        if covering {
            m.covered = [(rid(2), far * 2)].into_iter().collect();
        }
        m
    };
    // A sync message (or an untrusted peer's lookup) may not jump that far.
    let err = device
        .receive(&mut SyncState::new().trusting_peer_keys(), reply(false))
        .expect_err("beyond the bound");
    assert!(matches!(err, SyncError::CounterJump { .. }), "{err}");
    let err = device
        .receive(&mut SyncState::new().taking_a_lookup(), reply(false))
        .expect_err("an untrusted peer's lookup lifts no bound");
    assert!(matches!(err, SyncError::CounterJump { .. }), "{err}");

    let applied = device
        .receive(
            &mut SyncState::new().trusting_peer_keys().taking_a_lookup(),
            reply(true),
        )
        .expect("the trusted server's lookup");
    assert_eq!(applied.new_ops, 2);
    for op in [&below, &beyond] {
        assert_eq!(device.log.get(&op.id).expect("get").as_ref(), Some(op));
    }
    assert_eq!(
        device.log.seen().expect("seen").get(&rid(2)),
        far,
        "a lookup covers nothing"
    );
}
