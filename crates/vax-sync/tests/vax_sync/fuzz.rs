//! Fuzzing the sync messages and op validation with proptest (issue 15): whatever bytes a peer
//! sends, decoding and receiving never panic, and a refused message changes nothing. Arbitrary
//! bytes, and real messages mutated (bytes flipped, cut, spliced), which reach much deeper
//! into the decoder and the checks than random bytes do. The cases per run are few so that
//! `cargo test` stays quick; `PROPTEST_CASES=100000` runs a long campaign
//! (docs/BENCHMARKS.md, "Fuzzing").

use proptest::prelude::*;
use vax_sync::*;

use crate::support::*;

/// A real message from an HQ device: a dose, a check-in, a void, a booking and a contact
/// edit, signed.
fn seed_message() -> Vec<u8> {
    let mut booth = Site::new(2, Role::Hq);
    let d = booth.write(dose(7, 1, "V01", "L1", at(9, 30)));
    booth.write(check_in(8, "V01"));
    booth.write(void(d.id, EventKind::Dose));
    booth.write(book(9, 2, Some(3), BookingCause::Assign));
    booth.write(phone_and_name(9));
    booth.write(band(4, "V01", 100));
    let mut message = booth
        .next_message(&mut SyncState::new())
        .expect("a first message");
    message.ops = booth.log.iter().cloned().collect();
    message.encode()
}

/// Receives `bytes` at a fresh server; panics only if the node does.
fn receive_any(bytes: &[u8]) {
    let Ok(message) = Message::decode(bytes) else {
        return;
    };
    for op in &message.ops {
        let _ = op.validate();
    }
    let mut server = Site::new(9, Role::Server);
    let before = server.replica().clone();
    if server.receive_fresh(message).is_err() {
        assert!(server.log.is_empty(), "a refused message stores nothing");
        assert_eq!(server.replica(), &before, "and changes nothing");
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Cut),
        (
            any::<usize>(),
            prop::sample::select(vec![
                b"0".to_vec(),
                b"-1".to_vec(),
                b"18446744073709551615".to_vec(),
                b"1e308".to_vec(),
                b"null".to_vec(),
                b"\"\"".to_vec(),
                b"[]".to_vec(),
                b"{}".to_vec(),
                b",".to_vec(),
                b"\"\\ud800\"".to_vec(),
                "\"全角０１２\"".as_bytes().to_vec(),
            ])
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        let n = bytes.len();
        match m {
            Mutation::Flip(i, b) => bytes[i % n] = *b,
            Mutation::Cut(i) => bytes.truncate(i % n),
            Mutation::Insert(i, s) => {
                let at = i % n;
                bytes.splice(at..at, s.iter().copied());
            }
            Mutation::Duplicate(a, b) => {
                let (from, to) = ((a % n).min(b % n), (a % n).max(b % n));
                let part = bytes[from..to].to_vec();
                bytes.splice(to..to, part);
            }
        }
    }
    bytes
}

/// Cases per property: few in `cargo test`, `PROPTEST_CASES` for a campaign.
fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases_or(64)))]

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder_or_the_node(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        receive_any(&bytes);
    }

    #[test]
    fn mutated_real_messages_never_panic_and_refusals_change_nothing(
        mutations in prop::collection::vec(mutation(), 1..6)
    ) {
        receive_any(&apply(seed_message(), &mutations));
    }
}

#[test]
fn the_unmutated_seed_is_received_whole() {
    let message = Message::decode(&seed_message()).expect("the seed decodes");
    let mut server = Site::new(9, Role::Server);
    let applied = server.receive_fresh(message).expect("the seed is valid");
    assert_eq!(
        applied.new_ops, 6,
        "the mutations start from a message that goes deep"
    );
}
