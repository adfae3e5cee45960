//! The verification rule and its batches (`vax_sync::verification`, docs/sync-spec.md §3a):
//! a batch says what op-by-op checks say, forged ops are found and reported in place, and the
//! edge cases of ed25519 (weak keys, malleable or non-canonical signatures, small-order parts)
//! are refused or accepted the same way alone and in any batch.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::Verifier;
use sha2::{Digest, Sha512};
use vax_sync::signing::signing_bytes;
use vax_sync::verification::{first_unverified, BATCH};
use vax_sync::*;

use crate::support::*;

/// `n` ops by five authors, each signed by its author.
fn signed_ops(n: usize) -> Vec<Op> {
    (0..n)
        .map(|i| {
            let author = 1 + (i % 5) as u128;
            Op::signed(
                OpId {
                    replica: rid(author),
                    counter: 1 + i as u64,
                },
                Hlc::new(T0 + i as u64, 0),
                dose(i as u32, 1, "V01", &format!("L{i}"), at(9, 30)),
                &key(author),
            )
        })
        .collect()
}

fn with_keys(ops: &[Op]) -> Vec<(&Op, PublicKey)> {
    ops.iter().map(|op| (op, key_of(op))).collect()
}

fn key_of(op: &Op) -> PublicKey {
    key(op.author().0.as_u128()).public()
}

/// The op's lot changed after signing.
fn tamper(op: &mut Op) {
    if let OpKind::RecordDose(d) = &mut op.kind {
        d.lot.push('X');
    }
}

#[test]
fn honest_ops_verify_alone_in_batches_and_as_ed25519_dalek_verify_strict_says() {
    let ops = signed_ops(3 * BATCH + 17);
    assert_eq!(first_unverified(&with_keys(&ops)), None);
    for op in &ops {
        assert!(op.verifies_with(&key_of(op)));
        let sig = ed25519_dalek::Signature::from_bytes(&op.sig.expect("signed").0);
        let dalek = ed25519_dalek::VerifyingKey::from_bytes(&key_of(op).to_bytes())
            .expect("a key")
            .verify_strict(&signing_bytes(&op.id, op.hlc, &op.kind), &sig);
        assert!(dalek.is_ok());
        // And ed25519's plain verification agrees too.
        assert!(
            ed25519_dalek::VerifyingKey::from_bytes(&key_of(op).to_bytes())
                .expect("a key")
                .verify(&signing_bytes(&op.id, op.hlc, &op.kind), &sig)
                .is_ok()
        );
    }
}

#[test]
fn the_first_forged_op_is_reported_wherever_it_sits_in_the_batches() {
    let n = 4 * BATCH + 5;
    for forged_at in [0, 1, BATCH - 1, BATCH, 2 * BATCH + 63, n - 1] {
        let mut ops = signed_ops(n);
        tamper(&mut ops[forged_at]);
        assert_eq!(
            first_unverified(&with_keys(&ops)),
            Some(forged_at),
            "forged at {forged_at}"
        );
        // A second forgery later on does not hide the first; one earlier takes its place.
        let mut later = ops.clone();
        later[n - 1].sig = None;
        if forged_at != n - 1 {
            assert_eq!(first_unverified(&with_keys(&later)), Some(forged_at));
        }
        if forged_at > 2 {
            let mut earlier = ops.clone();
            tamper(&mut earlier[2]);
            assert_eq!(first_unverified(&with_keys(&earlier)), Some(2));
        }
    }
}

#[test]
fn a_signature_by_another_devices_key_is_found_in_a_batch() {
    let mut ops = signed_ops(2 * BATCH);
    let target = BATCH + 3;
    let victim = ops[target].clone();
    // Replica 7's key signs an op in the victim author's name.
    ops[target] = Op::signed(victim.id, victim.hlc, victim.kind, &key(7));
    assert_eq!(first_unverified(&with_keys(&ops)), Some(target));
}

#[test]
fn a_forged_op_among_many_refuses_the_message_naming_that_op_and_stores_nothing() {
    let mut booth = Site::new(2, Role::Booth);
    for i in 0..700 {
        booth.write(dose(i, 1, "V01", "L1", at(9, 30)));
    }
    let mut ops: Vec<Op> = booth.log.iter().cloned().collect();
    tamper(&mut ops[613]);
    let forged = ops[613].id;
    let mut message = booth
        .next_message(&mut SyncState::new())
        .expect("a first message");
    message.ops = ops;
    let mut server = Site::new(9, Role::Server);
    let err = server
        .receive_fresh(message)
        .expect_err("one forged op refuses the message");
    assert!(
        matches!(err, SyncError::BadSignature { op } if op == forged),
        "{err}"
    );
    assert!(server.log.is_empty(), "nothing stored");
}

#[test]
fn a_bad_signature_before_another_fault_is_the_one_reported_and_after_it_is_not() {
    let mut booth = Site::new(2, Role::Booth);
    for i in 0..10 {
        booth.write(dose(i, 1, "V01", "L1", at(9, 30)));
    }
    let ops: Vec<Op> = booth.log.iter().cloned().collect();
    let far_future = |op: &mut Op| op.hlc = Hlc::new(T0 + 365 * 86_400_000, 0);
    let receive = |ops: Vec<Op>| {
        let mut message = booth
            .next_message(&mut SyncState::new())
            .expect("a first message");
        message.ops = ops;
        Site::new(9, Role::Server)
            .receive_fresh(message)
            .expect_err("refused")
    };
    // Forged at 3, far future (and so also a broken signature) at 6: the forgery is first.
    let mut first_forged = ops.clone();
    tamper(&mut first_forged[3]);
    far_future(&mut first_forged[6]);
    let err = receive(first_forged);
    assert!(
        matches!(err, SyncError::BadSignature { op } if op == ops[3].id),
        "{err}"
    );
    // Re-signed far-future op at 3, forged at 6: the clock is refused first.
    let mut first_ahead = ops.clone();
    far_future(&mut first_ahead[3]);
    first_ahead[3] = Op::signed(
        first_ahead[3].id,
        first_ahead[3].hlc,
        first_ahead[3].kind.clone(),
        &key(2),
    );
    tamper(&mut first_ahead[6]);
    let err = receive(first_ahead);
    assert!(
        matches!(err, SyncError::ClockAhead { op, .. } if op == ops[3].id),
        "{err}"
    );
}

/// Signs `op` with the secret scalar `a` and nonce `r`, adding `torsion` to `R`: what only the
/// key's holder can make.
fn sign_raw(op: &Op, a: Scalar, r: Scalar, torsion: usize) -> OpSignature {
    let big_a = (ED25519_BASEPOINT_POINT * a).compress();
    let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[torsion]).compress();
    let mut h = Sha512::new();
    h.update(big_r.as_bytes());
    h.update(big_a.as_bytes());
    h.update(signing_bytes(&op.id, op.hlc, &op.kind));
    let hram: [u8; 64] = h.finalize().into();
    let k = Scalar::from_bytes_mod_order_wide(&hram);
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(big_r.as_bytes());
    sig[32..].copy_from_slice(s.as_bytes());
    OpSignature(sig)
}

#[test]
fn a_signature_with_a_small_order_part_is_judged_alike_alone_and_in_every_batch() {
    let a = Scalar::from(0x1234_5678_9abc_u64);
    let public =
        PublicKey::from_bytes(&(ED25519_BASEPOINT_POINT * a).compress().to_bytes()).expect("a key");
    let mut ops = signed_ops(3 * BATCH);
    for (i, torsion) in [(5usize, 1usize), (BATCH + 9, 4), (2 * BATCH + 1, 7)] {
        let op = &mut ops[i];
        op.sig = Some(sign_raw(op, a, Scalar::from(1_000 + i as u64), torsion));
        // ed25519-dalek's cofactorless rule refuses it; the cofactored rule accepts it, alone
        // and in any batch, so no batch can decide otherwise than a single check.
        let sig = ed25519_dalek::Signature::from_bytes(&op.sig.expect("signed").0);
        assert!(ed25519_dalek::VerifyingKey::from_bytes(&public.to_bytes())
            .expect("a key")
            .verify_strict(&signing_bytes(&op.id, op.hlc, &op.kind), &sig)
            .is_err());
        assert!(op.verifies_with(&public));
    }
    let crafted = [5, BATCH + 9, 2 * BATCH + 1];
    let pairs: Vec<(&Op, PublicKey)> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            (
                op,
                if crafted.contains(&i) {
                    public
                } else {
                    key_of(op)
                },
            )
        })
        .collect();
    for shift in [0, 1, 7, BATCH / 2] {
        assert_eq!(
            first_unverified(&pairs[shift..]),
            None,
            "batches shifted by {shift}"
        );
    }
}

#[test]
fn a_malleable_twin_of_a_signature_is_refused() {
    let mut ops = signed_ops(BATCH + 1);
    let sig = ops[4].sig.expect("signed");
    let mut s = [0u8; 32];
    s.copy_from_slice(&sig.0[32..]);
    // s + ℓ: the same point equation, a different (non-canonical) encoding.
    const ELL: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut twin = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(ELL[i]) + carry;
        twin[i] = v as u8;
        carry = v >> 8;
    }
    let mut malleable = sig.0;
    malleable[32..].copy_from_slice(&twin);
    ops[4].sig = Some(OpSignature(malleable));
    assert!(!ops[4].verifies_with(&key_of(&ops[4])));
    assert_eq!(first_unverified(&with_keys(&ops)), Some(4));
}

#[test]
fn a_weak_key_verifies_nothing_and_a_non_canonical_r_is_refused() {
    // The identity as a key, with R the identity and s = 0: the equation holds for any
    // message, so the key must be refused for what it is.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = PublicKey::from_bytes(&identity).expect("the identity decodes");
    let mut ops = signed_ops(BATCH + 2);
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&identity);
    ops[7].sig = Some(OpSignature(sig));
    assert!(!ops[7].verifies_with(&weak));
    let mut pairs = with_keys(&ops);
    pairs[7].1 = weak;
    assert_eq!(first_unverified(&pairs), Some(7));

    // R written with y + p (a non-canonical encoding of a small y) never verifies.
    let mut ops = signed_ops(BATCH + 2);
    let mut y_plus_p = [0xffu8; 32];
    y_plus_p[0] = 0xee; // p + 1: the identity's y, non-canonically
    y_plus_p[31] = 0x7f;
    let mut sig = ops[9].sig.expect("signed").0;
    sig[..32].copy_from_slice(&y_plus_p);
    ops[9].sig = Some(OpSignature(sig));
    assert!(!ops[9].verifies_with(&key_of(&ops[9])));
    assert_eq!(first_unverified(&with_keys(&ops)), Some(9));
}

#[test]
fn nothing_to_verify_verifies() {
    assert_eq!(first_unverified(&[]), None);
}

#[test]
fn a_message_verified_ahead_marks_only_what_verified_and_keeps_marks_with_their_ops() {
    let booth = Site::new(2, Role::Booth);
    let mut ops = signed_ops(2 * BATCH + 3);
    tamper(&mut ops[BATCH + 1]);
    let stranger = ops.len() - 1;
    ops[stranger].id.replica = rid(500); // no key known for it
    let message = message_from(&booth, ops.clone());
    let verified = VerifiedMessage::verify(message, |r| {
        (r != rid(500)).then(|| key(r.0.as_u128()).public())
    });
    for i in 0..ops.len() {
        let expected = i != BATCH + 1 && i != stranger;
        assert_eq!(verified.is_verified(i), expected, "op {i}");
    }
    // Dropping ops keeps each mark with its op.
    let mut kept = verified.clone();
    kept.try_retain_ops(|op| Ok::<bool, ()>(op.id.counter % 2 == 0))
        .expect("no error");
    for (i, op) in kept.message().ops.iter().enumerate() {
        let original = ops.iter().position(|o| o == op).expect("an original op");
        assert_eq!(kept.is_verified(i), verified.is_verified(original));
    }
    // An error leaves the message as it was.
    let mut unchanged = verified.clone();
    assert_eq!(unchanged.try_retain_ops(|_| Err("stop")), Err("stop"));
    assert_eq!(unchanged, verified);
}

#[test]
fn receiving_a_message_verified_ahead_answers_as_receiving_it_plainly() {
    let mut booth = Site::new(2, Role::Booth);
    for i in 0..300 {
        booth.write(dose(i, 1, "V01", "L1", at(9, 30)));
    }
    let ops: Vec<Op> = booth.log.iter().cloned().collect();
    let keys = |r: ReplicaId| Some(key(r.0.as_u128()).public());

    let mut forged = ops.clone();
    tamper(&mut forged[201]);
    let mut server = Site::new(9, Role::Server);
    let verified = VerifiedMessage::verify(message_from(&booth, forged), keys);
    let err = server
        .node
        .receive_verified(
            &mut server.log,
            &mut SyncState::new(),
            verified,
            &server.time,
        )
        .expect_err("the forged op is found at the merge");
    assert!(
        matches!(err, SyncError::BadSignature { op } if op == ops[201].id),
        "{err}"
    );
    assert!(server.log.is_empty());

    let verified = VerifiedMessage::verify(message_from(&booth, ops.clone()), keys);
    let applied = server
        .node
        .receive_verified(
            &mut server.log,
            &mut SyncState::new(),
            verified,
            &server.time,
        )
        .expect("genuine ops merge");
    assert_eq!(applied.new_ops, 300);
    let mut plain = Site::new(9, Role::Server);
    plain
        .receive_fresh(message_from(&booth, ops))
        .expect("and plainly too");
    assert_eq!(server.replica(), plain.replica());
}

fn message_from(from: &Site, ops: Vec<Op>) -> Message {
    let mut message = from
        .next_message(&mut SyncState::new())
        .expect("a first message");
    message.ops = ops;
    message
}
