//! Verifying op signatures fast: one rule for one op and for many, batched and on every core
//! (docs/sync-spec.md §3a, "The verification rule").
//!
//! # The rule
//!
//! A signature `(R, s)` by key `A` of the op's canonical bytes `M` ([`signing_bytes`])
//! verifies when
//!
//! 1. `s` is a canonical scalar (below the group order `ℓ`): no malleable twin `s + ℓ`;
//! 2. `R` and `A` are canonical encodings (y below 2²⁵⁵ − 19) of points that are not of small
//!    order: no weak key and no signature valid for many messages;
//! 3. `[8]([s]B − R − [k]A)` is the identity, where `k = SHA-512(R ‖ A ‖ M) mod ℓ`
//!    (the *cofactored* equation of RFC 8032 §5.1.7).
//!
//! An honest signer's signature satisfies it exactly as `ed25519-dalek`'s `verify_strict` does;
//! the rule differs from `verify_strict` only on signatures whose `R` carries a small-order
//! component, which only the key's holder can make. The cofactored equation is chosen because
//! with it a batch of signatures verifies exactly when each one does (Chalkias et al., "Taming
//! the many EdDSAs", 2020; ZIP 215): with the cofactorless equation of `verify_strict` and of
//! `ed25519-dalek`'s `verify_batch`, an author could grind a signature that passes in one batch
//! and fails alone or in another batch, so the server would store an op that a kiosk refuses.
//!
//! # Batches
//!
//! [`first_unverified`] checks the ops in chunks of [`BATCH`], one random linear combination
//! per chunk, `[8](−(Σ zᵢsᵢ)B + Σ zᵢRᵢ + Σ_A (Σ_{i by A} zᵢkᵢ)A) = 0`, with 128-bit
//! coefficients `zᵢ` drawn from SHA-512 of everything the chunk verifies (no randomness comes
//! in: this crate has none, and an attacker who cannot predict the `zᵢ` before fixing the
//! signatures gains nothing). Ops of one author share their key's term, so a chunk of ops by a
//! few devices costs about one point per op instead of two. A chunk that fails is checked op
//! by op so that the first forged op is the one reported. Chunks run on every core (rayon).

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rayon::prelude::*;
use sha2::{Digest, Sha512};

use crate::hlc::Hlc;
use crate::ids::{OpId, ReplicaId};
use crate::op::{Op, OpKind};
use crate::protocol::Message;
use crate::signing::{write_signing_bytes, OpSignature, PublicKey};

#[cfg(doc)]
use crate::signing::signing_bytes;

/// Signatures verified together in one linear combination. Large enough that the multiscalar
/// multiplication amortises (Straus, then Pippenger past ~190 points), small enough that the
/// op-by-op fallback after a forged op stays cheap and two cores get even shares of a message.
pub const BATCH: usize = 256;

/// One signature, parsed and hashed, ready for the equation.
struct Prepared {
    s: Scalar,
    r: EdwardsPoint,
    a: EdwardsPoint,
    a_bytes: [u8; 32],
    k: Scalar,
    /// What the coefficients are drawn from: `k`'s hash and `s`.
    transcript: [u8; 96],
}

/// Whether `bytes` is the canonical encoding of a field element (y < 2²⁵⁵ − 19), ignoring the
/// sign bit. Only 19 values of y are not.
fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    let top = bytes[31] & 0x7f;
    !(top == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed)
}

/// Checks rules 1 and 2 and computes `k` for an op; `None` when the signature cannot verify.
fn prepare(
    id: &OpId,
    hlc: Hlc,
    kind: &OpKind,
    sig: &OpSignature,
    key: &PublicKey,
) -> Option<Prepared> {
    // The canonical bytes go straight into the hash: no buffer per op.
    prepare_with(sig, key, |hasher| {
        write_signing_bytes(hasher, id, hlc, kind)
    })
}

/// Whether `key`'s signature `sig` of `message` verifies under the same rule as an op's: for
/// what is signed once and whole (a snapshot's seal, [`crate::snapshot`]), whose bytes start
/// with a tag of their own so that no signature verifies as both.
pub(crate) fn verifies_bytes(message: &[u8], sig: &OpSignature, key: &PublicKey) -> bool {
    prepare_with(sig, key, |hasher| hasher.0.update(message)).is_some_and(|p| equation_holds(&p))
}

/// [`prepare`] of the message `write` puts into the hash.
fn prepare_with(
    sig: &OpSignature,
    key: &PublicKey,
    write: impl FnOnce(&mut HashWriter),
) -> Option<Prepared> {
    let mut r_bytes = [0u8; 32];
    r_bytes.copy_from_slice(&sig.0[..32]);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&sig.0[32..]);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    let a_bytes = key.to_bytes();
    if !is_canonical_y(&r_bytes) || !is_canonical_y(&a_bytes) {
        return None;
    }
    let r = CompressedEdwardsY(r_bytes).decompress()?;
    let a = key.point();
    if r.is_small_order() || a.is_small_order() {
        return None;
    }
    let mut hasher = HashWriter(Sha512::new());
    hasher.0.update(r_bytes);
    hasher.0.update(a_bytes);
    write(&mut hasher);
    let hram: [u8; 64] = hasher.0.finalize().into();
    let k = Scalar::from_bytes_mod_order_wide(&hram);
    let mut transcript = [0u8; 96];
    transcript[..64].copy_from_slice(&hram);
    transcript[64..].copy_from_slice(&s_bytes);
    Some(Prepared {
        s,
        r,
        a,
        a_bytes,
        k,
        transcript,
    })
}

/// `io::Write` into a running SHA-512.
struct HashWriter(Sha512);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `key`'s signature `sig` of the op `(id, hlc, kind)` verifies under the rule above.
pub fn verifies(id: &OpId, hlc: Hlc, kind: &OpKind, sig: &OpSignature, key: &PublicKey) -> bool {
    prepare(id, hlc, kind, sig, key).is_some_and(|p| equation_holds(&p))
}

/// Rule 3 for one signature: `[8]([s]B − [k]A − R) = 0`.
fn equation_holds(p: &Prepared) -> bool {
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&(-p.k), &p.a, &p.s);
    (sb_minus_ka - p.r).mul_by_cofactor().is_identity()
}

/// Rule 3 for many signatures at once (see the module documentation).
fn batch_holds(batch: &[Prepared]) -> bool {
    // The coefficients: SHA-512 of the whole chunk, then of (seed, i) per signature.
    let mut seed = Sha512::new();
    seed.update(b"vaxledger batch verification");
    // `k`'s hash binds R, A and the op; with `s` that is everything the chunk verifies.
    for p in batch {
        seed.update(p.transcript);
    }
    let seed: [u8; 64] = seed.finalize().into();
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars: Vec<Scalar> = Vec::with_capacity(batch.len() + 8);
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(batch.len() + 8);
    // Each distinct key once, with the sum of its signatures' zᵢkᵢ.
    let mut keys: Vec<([u8; 32], EdwardsPoint, Scalar)> = Vec::new();
    for (i, p) in batch.iter().enumerate() {
        let mut h = Sha512::new();
        h.update(seed);
        h.update((i as u64).to_le_bytes());
        let wide: [u8; 64] = h.finalize().into();
        let mut z_bytes = [0u8; 32];
        z_bytes[..16].copy_from_slice(&wide[..16]);
        let z = Scalar::from_bytes_mod_order(z_bytes);
        b_coefficient += z * p.s;
        scalars.push(z);
        points.push(p.r);
        match keys.iter_mut().find(|(bytes, _, _)| *bytes == p.a_bytes) {
            Some((_, _, sum)) => *sum += z * p.k,
            None => keys.push((p.a_bytes, p.a, z * p.k)),
        }
    }
    for (_, a, sum) in keys {
        scalars.push(sum);
        points.push(a);
    }
    scalars.push(-b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

/// The position of the first op in `ops` whose signature does not verify with the key given
/// beside it (an unsigned op does not verify), or `None` when every one does. Same answer as
/// calling [`Op::verifies_with`] on each in turn, computed in batches on every core.
pub fn first_unverified(ops: &[(&Op, PublicKey)]) -> Option<usize> {
    let check_chunk = |(n, chunk): (usize, &[(&Op, PublicKey)])| -> Option<usize> {
        let prepared: Option<Vec<Prepared>> = chunk
            .iter()
            .map(|(op, key)| {
                let sig = op.sig.as_ref()?;
                prepare(&op.id, op.hlc, &op.kind, sig, key)
            })
            .collect();
        if prepared.as_deref().is_some_and(batch_holds) {
            return None;
        }
        // Something in the chunk is wrong: find which, op by op.
        chunk
            .iter()
            .position(|(op, key)| !op.verifies_with(key))
            .map(|i| n * BATCH + i)
    };
    if ops.len() <= BATCH {
        return check_chunk((0, ops));
    }
    ops.par_chunks(BATCH)
        .enumerate()
        .filter_map(check_chunk)
        .min()
}

/// A message whose ops' signatures were verified ahead of the merge, so that the work can be
/// done away from a lock: the sync server decodes and verifies each request on its own thread
/// and only merges under its mutex ([`crate::SyncNode::receive_verified`]). Marks only ever
/// say "verified": an op not marked (its key was unknown then, or its signature failed) is
/// verified again at the merge, which then reports it as [`crate::SyncNode::receive_message`]
/// would.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedMessage {
    message: Message,
    verified: Vec<bool>,
}

impl VerifiedMessage {
    /// Verifies every op of `message` whose author's key `key_of` knows (keys never change
    /// once known, so a key read before the merge is the key at the merge).
    pub fn verify(message: Message, key_of: impl Fn(ReplicaId) -> Option<PublicKey>) -> Self {
        let keyed: Vec<(usize, PublicKey)> = message
            .ops
            .iter()
            .enumerate()
            .filter_map(|(i, op)| Some((i, key_of(op.author())?)))
            .collect();
        let pairs: Vec<(&Op, PublicKey)> = keyed
            .iter()
            .map(|&(i, key)| (&message.ops[i], key))
            .collect();
        let mut verified = vec![false; message.ops.len()];
        // Every op before the first failure verified; after it (an attack: the message will
        // most likely be refused) op by op.
        let first_bad = first_unverified(&pairs).unwrap_or(pairs.len());
        for (n, &(i, key)) in keyed.iter().enumerate() {
            verified[i] = n < first_bad || (n > first_bad && message.ops[i].verifies_with(&key));
        }
        Self { message, verified }
    }

    /// A message nothing was verified of: the merge verifies everything.
    pub fn unverified(message: Message) -> Self {
        let verified = vec![false; message.ops.len()];
        Self { message, verified }
    }

    /// The message.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// Whether the op at `index` of the message's ops was verified.
    pub fn is_verified(&self, index: usize) -> bool {
        self.verified.get(index).copied().unwrap_or(false)
    }

    /// Keeps the ops for which `keep` says so (marks stay with their ops); the first error
    /// stops and is returned, with the message unchanged.
    pub fn try_retain_ops<E>(
        &mut self,
        mut keep: impl FnMut(&Op) -> Result<bool, E>,
    ) -> Result<(), E> {
        let keeps = self
            .message
            .ops
            .iter()
            .map(&mut keep)
            .collect::<Result<Vec<bool>, E>>()?;
        let ops = std::mem::take(&mut self.message.ops);
        let verified = std::mem::take(&mut self.verified);
        for ((op, mark), kept) in ops.into_iter().zip(verified).zip(keeps) {
            if kept {
                self.message.ops.push(op);
                self.verified.push(mark);
            }
        }
        Ok(())
    }

    /// The message and, per op, whether it was verified.
    pub(crate) fn into_parts(self) -> (Message, Vec<bool>) {
        (self.message, self.verified)
    }
}
