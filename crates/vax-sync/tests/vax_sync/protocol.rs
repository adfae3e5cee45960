//! The sans-IO protocol (docs/sync-spec.md §3 and §7).

use vax_sync::*;

use crate::support::*;

fn booth_with_doses(n: u32) -> Site {
    let mut booth = Site::new(2, Role::Booth);
    for r in 0..n {
        booth.write(dose(r, 1, "V01", "L1", at(9, 0)));
    }
    booth
}

/// The first message a fresh peer sends: only its `seen`.
fn hello(from: &Site, to: ReplicaId) -> Message {
    from.next_message(&mut SyncState::for_peer(to))
        .expect("a first message always introduces the sender")
}

/// `from`'s first message to `to`, carrying every op of its log.
fn hello_with_all_ops(from: &Site, to: ReplicaId) -> Message {
    let mut message = hello(from, to);
    message.ops = from.log.iter().cloned().collect();
    message
}

#[test]
fn two_replicas_exchange_until_neither_has_anything_to_send() {
    let mut booth = booth_with_doses(3);
    let mut server = Site::new(9, Role::Server);
    sync(&mut booth, &mut server);
    assert_eq!(
        booth.replica(),
        server.replica(),
        "both hold the same state after the exchange"
    );
    assert_eq!(server.log.len(), 3, "every op arrived once");
    // A second exchange has nothing to carry beyond the introductions.
    let mut to_server = SyncState::for_peer(server.id());
    let first = booth.next_message(&mut to_server).expect("introduction");
    assert!(
        first.ops.is_empty(),
        "no ops are sent before the peer says what it has"
    );
    assert!(
        booth.next_message(&mut to_server).is_none(),
        "nothing new to say twice"
    );
}

#[test]
fn batches_are_bounded_by_the_configured_size() {
    let mut booth = booth_with_doses(25);
    let mut server = Site::new(9, Role::Server);
    let mut to_server = SyncState::for_peer(server.id()).with_batch_size(10);
    let mut from_booth = SyncState::for_peer(booth.id());
    let booth_hello = hello(&booth, server.id());
    let server_hello = hello(&server, booth.id());
    server.receive(&mut from_booth, booth_hello).unwrap();
    booth.receive(&mut to_server, server_hello).unwrap();
    let mut sizes = Vec::new();
    while let Some(m) = booth.next_message(&mut to_server) {
        sizes.push((m.ops.len(), m.more));
    }
    assert_eq!(
        sizes,
        vec![(10, true), (10, true), (5, false)],
        "25 ops go as 10 + 10 + 5, flagged while more remain"
    );
}

#[test]
fn a_paced_state_carries_a_page_of_each_paced_author_and_says_more() {
    // The server holds a flooding booth's 25 ops, another booth's 3 and HQ's 30.
    let mut server = Site::new(9, Role::Server);
    let mut flooder = booth_with_doses(25);
    let mut other = Site::new(3, Role::Booth);
    for r in 100..103 {
        other.write(dose(r, 1, "V02", "L1", at(9, 0)));
    }
    let mut hq = Site::new(1, Role::Hq);
    for r in 200..230 {
        hq.write(check_in(r, "V01"));
    }
    for site in [&mut flooder, &mut other, &mut hq] {
        sync(site, &mut server);
    }
    let mut device = Site::new(4, Role::Reception);
    let mut to_device = SyncState::for_peer(device.id()).pacing_authors(10, [hq.id()]);
    let mut from_server = SyncState::for_peer(server.id());
    let device_hello = hello(&device, server.id());
    server.receive(&mut to_device, device_hello).unwrap();
    let mut pages = Vec::new();
    while let Some(m) = server.next_message(&mut to_device) {
        let of = |site: &Site| m.ops.iter().filter(|op| op.author() == site.id()).count();
        pages.push((of(&flooder), of(&other), of(&hq), m.more));
        device.receive(&mut from_server, m).unwrap();
    }
    assert_eq!(
        pages,
        vec![(10, 3, 30, true), (10, 0, 0, true), (5, 0, 0, false)],
        "at most 10 of a paced author per message, HQ's all at once, `more` while any is cut short"
    );
    assert_eq!(device.replica(), server.replica(), "everything arrived");
}

#[test]
fn a_lost_batch_is_resent_after_reset_in_flight() {
    let mut booth = booth_with_doses(3);
    let mut server = Site::new(9, Role::Server);
    let mut to_server = SyncState::for_peer(server.id());
    let mut from_booth = SyncState::for_peer(booth.id());
    let server_hello = hello(&server, booth.id());
    booth.receive(&mut to_server, server_hello).unwrap();
    let lost = booth.next_message(&mut to_server).expect("a batch");
    assert_eq!(lost.ops.len(), 3, "the batch carries all three ops");
    assert!(
        booth.next_message(&mut to_server).is_none(),
        "without a reset the batch counts as in flight"
    );
    to_server.reset_in_flight();
    let again = booth
        .next_message(&mut to_server)
        .expect("a resend after the reset");
    assert_eq!(again.ops, lost.ops, "the same ops are sent again");
    let applied = server.receive(&mut from_booth, again).unwrap();
    assert_eq!(applied.new_ops, 3, "the server gets them once");
}

#[test]
fn a_message_larger_than_the_byte_limit_is_refused_and_changes_nothing() {
    let bytes = vec![b' '; MAX_MESSAGE_BYTES + 1];
    let err = Message::decode(&bytes).expect_err("oversized input is refused");
    assert!(
        matches!(err, SyncError::TooLarge { .. }) && err.is_permanent(),
        "oversize is a permanent error: {err}"
    );

    let booth = booth_with_doses(1);
    let mut server = Site::new(9, Role::Server);
    let mut message = hello(&booth, server.id());
    let template = booth.log.iter().next().unwrap().clone();
    message.ops = (1..=MAX_OPS_PER_MESSAGE as u64 + 1)
        .map(|counter| Op {
            id: OpId {
                replica: booth.id(),
                counter,
            },
            ..template.clone()
        })
        .collect();
    let err = server
        .receive_fresh(message)
        .expect_err("too many ops are refused");
    assert!(
        matches!(err, SyncError::TooManyOps { .. }),
        "refused as too many ops: {err}"
    );
    assert!(server.log.is_empty(), "nothing was stored");
}

#[test]
fn malformed_bytes_are_a_permanent_error() {
    for bytes in [&b"not json"[..], br#"{"protocol":1}"#] {
        let err = Message::decode(bytes).expect_err("malformed input is refused");
        assert!(
            matches!(err, SyncError::Malformed(_)) && err.is_permanent(),
            "malformed input is permanent: {err}"
        );
    }
    let booth = booth_with_doses(1);
    let message = hello_with_all_ops(&booth, rid(9));
    let json = String::from_utf8(message.encode()).unwrap();
    let bad_voucher = json.replace("0000000000", "00000X0000");
    assert!(
        matches!(
            Message::decode(bad_voucher.as_bytes()),
            Err(SyncError::Malformed(_))
        ),
        "a bad voucher number inside an op is malformed"
    );
    let mut hq = Site::new(1, Role::Hq);
    hq.write(set_atena(7, "0001234567"));
    let mut message = hello(&hq, rid(9));
    message.ops = hq.log.iter().cloned().collect();
    let json = String::from_utf8(message.encode()).unwrap();
    assert!(
        json.contains(r#"{"field":"atena_number","value":"0001234567"}"#),
        "{json}"
    );
    let bad_atena = json.replace("0001234567", "00012 4567");
    assert!(
        matches!(
            Message::decode(bad_atena.as_bytes()),
            Err(SyncError::Malformed(_))
        ),
        "a 宛名番号 the register import would refuse is malformed inside an op"
    );
}

#[test]
fn a_message_from_an_unsupported_protocol_version_is_refused() {
    let booth = booth_with_doses(1);
    let mut server = Site::new(9, Role::Server);
    let mut message = hello(&booth, server.id());
    message.protocol = PROTOCOL_VERSION + 1;
    let err = server
        .receive_fresh(message)
        .expect_err("another version is refused");
    assert!(
        matches!(err, SyncError::UnsupportedProtocol { .. }) && err.is_permanent(),
        "wrong version is permanent: {err}"
    );
}

#[test]
fn a_message_from_another_replica_than_the_peer_is_refused() {
    let booth = booth_with_doses(1);
    let mut server = Site::new(9, Role::Server);
    let mut sync = SyncState::for_peer(rid(5));
    let message = hello(&booth, server.id());
    let err = server
        .receive(&mut sync, message)
        .expect_err("a stranger is refused");
    assert!(
        matches!(err, SyncError::WrongPeer { .. }),
        "refused as the wrong peer: {err}"
    );
}

#[test]
fn an_op_reusing_an_id_with_different_content_is_refused() {
    let mut booth = booth_with_doses(1);
    let mut server = Site::new(9, Role::Server);
    sync(&mut booth, &mut server);
    let mut forged = booth.log.iter().next().unwrap().clone();
    forged.kind = dose(1234, 1, "V01", "L1", at(9, 0));
    let mut message = hello(&booth, server.id());
    message.ops = vec![forged];
    let before = server.replica().clone();
    let err = server
        .receive_fresh(message)
        .expect_err("a conflicting op is refused");
    assert!(
        matches!(err, SyncError::ConflictingOp { .. }) && err.is_permanent(),
        "refused as conflicting: {err}"
    );
    assert_eq!(server.replica(), &before, "nothing changed");
}

#[test]
fn an_invalid_op_refuses_the_whole_message() {
    let booth = booth_with_doses(2);
    let mut server = Site::new(9, Role::Server);
    let mut message = hello_with_all_ops(&booth, server.id());
    if let OpKind::RecordDose(d) = &mut message.ops[1].kind {
        d.dose_number = 0;
    }
    let err = server
        .receive_fresh(message)
        .expect_err("an invalid op is refused");
    assert!(
        matches!(
            err,
            SyncError::InvalidOp {
                source: InvalidOp::DoseNumber(0),
                ..
            }
        ),
        "refused for the dose number: {err}"
    );
    assert!(
        server.log.is_empty(),
        "the valid op in the same message was not stored either"
    );
}

#[test]
fn an_op_from_a_peer_whose_clock_is_too_far_ahead_is_refused_as_retryable() {
    let mut booth = Site::new(2, Role::Booth);
    booth.time.advance(DEFAULT_DRIFT + 60_000);
    booth.write(dose(7, 1, "V01", "L1", at(9, 0)));
    let mut server = Site::new(9, Role::Server);
    let message = hello_with_all_ops(&booth, server.id());
    let err = server
        .receive_fresh(message.clone())
        .expect_err("an op from the future is refused");
    assert!(
        matches!(err, SyncError::ClockAhead { .. }) && err.is_retryable(),
        "clock drift is retryable: {err}"
    );
    assert!(server.log.is_empty(), "nothing was stored");
    server.time.advance(DEFAULT_DRIFT);
    let applied = server
        .receive_fresh(message)
        .expect("accepted once the server's clock is within the bound");
    assert_eq!(applied.new_ops, 1, "the same message goes through on retry");
}

const DEFAULT_DRIFT: u64 = vax_sync::hlc::DEFAULT_MAX_DRIFT_MS;

#[test]
fn every_op_kind_round_trips_through_json() {
    let mut hq = Site::new(1, Role::Hq);
    let recorded = hq.write(dose(7, 1, "V01", "L1", at(9, 30)));
    let kinds = vec![
        set_phone(7, "0773-11-1111"),
        set_name(7, "佐藤花子"),
        set_atena(7, "0001234567"),
        book(7, 1, Some(10), BookingCause::Assign),
        book(7, 2, None, BookingCause::Reshuffle),
        check_in(7, "V01"),
        stock(
            "V01",
            "L1",
            StockChange::Received {
                vials: 5,
                expires_on: at(0, 0).date(),
                from: "卸A".into(),
                thawed_use_by: None,
            },
        ),
        opened("V01", "L1", at(15, 0)),
        inquiry(7, "wants a later day"),
        void(recorded.id, EventKind::Dose),
        band(10, "V01", 20),
        supply("V01", Some(20)),
        supply("V01", Some(0)),
        supply("V01", None),
        OpKind::DefineVenue(VenueDef {
            code: VenueCode::new("V01"),
            name: "中舞鶴公民館".into(),
            address: "舞鶴市".into(),
            location: vax_domain::venue::Coordinates {
                lat: 35.47,
                lon: 135.39,
            },
            kind: Some(vax_domain::venue::VenueKind::MassSite),
        }),
        OpKind::Acknowledge {
            alert: AlertKey::DoseFromExpiredLot { dose: recorded.id },
        },
    ];
    for kind in kinds {
        let written = hq.write(kind);
        let json = serde_json::to_string(&written).expect("ops serialise");
        let back: Op = serde_json::from_str(&json).expect("ops deserialise");
        assert_eq!(
            back,
            written,
            "{} survives a JSON round trip",
            written.kind.name()
        );
    }
}

#[test]
fn batches_of_long_notes_stay_under_the_byte_limit() {
    let mut call_centre = Site::new(4, Role::CallCentre);
    let note = "電話で日程変更の相談。".repeat(MAX_LONG_TEXT_CHARS / 11);
    for r in 0..1_000 {
        call_centre.write(inquiry(r, &note));
    }
    let mut server = Site::new(9, Role::Server);
    let mut to_server = SyncState::for_peer(server.id());
    let mut from_centre = SyncState::for_peer(call_centre.id());
    let server_hello = hello(&server, call_centre.id());
    call_centre.receive(&mut to_server, server_hello).unwrap();
    let mut messages = 0;
    while let Some(m) = call_centre.next_message(&mut to_server) {
        let bytes = m.encode();
        assert!(
            bytes.len() <= MAX_MESSAGE_BYTES,
            "message {messages} is {} bytes, over the limit",
            bytes.len()
        );
        let decoded = Message::decode(&bytes).expect("every message decodes on the other side");
        server.receive(&mut from_centre, decoded).unwrap();
        messages += 1;
    }
    assert!(
        messages > 1,
        "1,000 long notes do not fit one message: {messages}"
    );
    assert_eq!(server.log.len(), 1_000, "every note arrived");
}

const MAX_LONG_TEXT_CHARS: usize = vax_sync::op::MAX_LONG_TEXT;

/// A reply built from the stored op texts (what a server sends) is the very message the parsed
/// ops make, byte for byte, batch after batch: receivers read both the same way.
#[test]
fn a_message_of_stored_op_texts_encodes_to_the_same_bytes_as_the_parsed_ops() {
    // HQ writes every kind; text JSON escapes, and text it does not.
    let mut booth = Site::new(2, Role::Hq);
    for r in 0..25 {
        booth.write(dose(r, 1, "V01", "L1", at(9, 0)));
    }
    booth.write(inquiry(3, "「至急」折り返し \"電話\"\n\t"));
    booth.write(set_name(4, "山田 太郎"));
    let peer = Site::new(9, Role::Server);
    let peer_hello = hello(&peer, booth.id());
    let mut parsed_state = SyncState::for_peer(peer.id()).with_batch_size(10);
    let mut encoded_state = SyncState::for_peer(peer.id()).with_batch_size(10);
    for state in [&mut parsed_state, &mut encoded_state] {
        booth
            .receive(state, peer_hello.clone())
            .expect("the peer's introduction");
    }
    let mut batches = 0;
    loop {
        let parsed = booth
            .node
            .generate_message(&booth.log, &mut parsed_state)
            .unwrap();
        let encoded = booth
            .node
            .generate_encoded(&booth.log, &mut encoded_state)
            .unwrap();
        match (parsed, encoded) {
            (None, None) => break,
            (Some(parsed), Some(encoded)) => {
                assert_eq!(encoded.encode(), parsed.encode(), "batch {batches}");
                assert_eq!(Message::decode(&encoded.encode()).unwrap(), parsed);
                batches += 1;
            }
            (parsed, encoded) => panic!("one side ended first: {parsed:?} / {encoded:?}"),
        }
    }
    assert_eq!(batches, 3, "27 ops in batches of 10");
}

#[test]
fn an_op_text_from_a_store_must_be_one_json_value() {
    let op = booth_with_doses(1).log.iter().next().cloned().unwrap();
    let text = serde_json::to_string(&op).unwrap();
    let stored = EncodedOp::from_stored(op.id, text.clone()).unwrap();
    assert_eq!(stored.json(), text);
    assert_eq!(stored.decode().unwrap(), op);
    assert_eq!(EncodedOp::of(&op).json(), text);
    assert!(EncodedOp::from_stored(op.id, text[..text.len() - 1].to_owned()).is_err());
    assert!(EncodedOp::from_stored(op.id, format!("{text} {text}")).is_err());
}

#[test]
fn decoding_with_texts_gives_the_same_message_and_each_ops_text_as_it_came() {
    let mut hq = Site::new(2, Role::Hq);
    hq.write(dose(1, 1, "V01", "L1", at(9, 0)));
    hq.write(inquiry(3, "「至急」\"折り返し\"\n"));
    let mut message = hello(&hq, rid(9));
    message.ops = hq.log.iter().cloned().collect();
    let bytes = message.encode();

    let (decoded, texts) = Message::decode_with_texts(&bytes).expect("decodes");
    assert_eq!(decoded, Message::decode(&bytes).expect("decodes"));
    let expected: Vec<String> = message
        .ops
        .iter()
        .map(|op| serde_json::to_string(op).unwrap())
        .collect();
    assert_eq!(
        texts.iter().map(EncodedOp::json).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        texts.iter().map(|t| t.id).collect::<Vec<_>>(),
        message.ops.iter().map(|op| op.id).collect::<Vec<_>>()
    );

    // Refused as decode refuses: an op that is not an op, a missing field, too many bytes.
    let text = String::from_utf8(bytes).unwrap();
    let broken = text.replacen("\"counter\":1", "\"counter\":\"one\"", 1);
    assert_ne!(broken, text);
    assert!(matches!(
        Message::decode_with_texts(broken.as_bytes()),
        Err(SyncError::Malformed(_))
    ));
    let no_more = text.replacen("\"more\":false", "\"other\":false", 1);
    assert_ne!(no_more, text);
    assert!(Message::decode(no_more.as_bytes()).is_err());
    assert!(Message::decode_with_texts(no_more.as_bytes()).is_err());
    let huge = vec![b' '; MAX_MESSAGE_BYTES + 1];
    assert!(matches!(
        Message::decode_with_texts(&huge),
        Err(SyncError::TooLarge { .. })
    ));
}
