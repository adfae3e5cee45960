//! Only authentic ops: every op carries an ed25519 signature by its author's device key, and
//! every replica verifies it before storing or merging (docs/sync-spec.md §3a).
//!
//! The key pair is made at enrollment (the caller brings 32 random bytes: this crate has no
//! randomness); the private key stays on the device, the public key is registered with the
//! server, which hands it on to every replica that receives the device's ops.
//!
//! # Canonical encoding
//!
//! The signature covers these bytes, in order ([`signing_bytes`]):
//!
//! | bytes | what |
//! |---|---|
//! | 16 | the ASCII tag `vaxledger-op-v1\n` (a signature made for anything else never verifies as an op) |
//! | 16 | the author's replica id (the UUID's bytes, big-endian as RFC 9562 writes them) |
//! | 8 | the counter, unsigned big-endian |
//! | 8 | the HLC wall time in ms, unsigned big-endian |
//! | 4 | the HLC logical part, unsigned big-endian |
//! | rest | the kind as compact JSON, exactly as `serde_json::to_vec(&op.kind)` writes the typed value |
//!
//! The kind's JSON is re-made from the decoded value on both sides, not taken from the bytes
//! received: fields come in declaration order, maps (a booking's clock) in key order, floats in
//! their shortest round-tripping form (`serde_json`'s `float_roundtrip`), so decoding and
//! encoding again gives the signer's bytes. A new op kind is covered without any change here.
//! `tests/vax_sync/signing.rs` pins a golden vector.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::hlc::Hlc;
use crate::ids::{OpId, ReplicaId};
use crate::op::OpKind;

/// The domain tag that starts every signed encoding.
pub const SIGNING_TAG: &[u8; 16] = b"vaxledger-op-v1\n";

/// A device's private signing key. Never leaves the device (the ledger keeps it in
/// `device_settings`); its `Debug` shows only the public half.
#[derive(Clone)]
pub struct DeviceKey(SigningKey);

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DeviceKey").field(&self.public()).finish()
    }
}

impl DeviceKey {
    /// The key made from 32 secret bytes (random ones at enrollment; fixed ones in tests).
    pub fn from_bytes(secret: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(secret))
    }

    /// The 32 secret bytes, to store on the device.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The secret as 64 hex digits (how the ledger stores it).
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Reads [`DeviceKey::to_hex`] back.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(KeyError::Malformed("a private key is 64 hex digits"))?;
        Ok(Self::from_bytes(&bytes))
    }

    /// The public half, to register with the server.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs an op's canonical encoding.
    pub fn sign(&self, id: &OpId, hlc: Hlc, kind: &OpKind) -> OpSignature {
        OpSignature(self.0.sign(&signing_bytes(id, hlc, kind)).to_bytes())
    }

    /// Signs `message`, whose first bytes are a domain tag other than [`SIGNING_TAG`].
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> OpSignature {
        OpSignature(self.0.sign(message).to_bytes())
    }
}

/// A device's public key: who may sign ops in its replica's name. JSON: 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.to_bytes()))
    }
}

impl PublicKey {
    /// The 32 bytes of the key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// A key from its 32 bytes; refused when they are not a point of the curve.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::Malformed("not an ed25519 public key"))
    }

    /// A key from 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(KeyError::Malformed("a public key is 64 hex digits"))?;
        Self::from_bytes(&bytes)
    }

    /// Whether `sig` is this key's signature of the op `(id, hlc, kind)`, under the one rule
    /// of [`crate::verification`] (weak keys and malleable signatures are refused). Many ops
    /// at once: [`crate::verification::first_unverified`].
    pub fn verifies(&self, id: &OpId, hlc: Hlc, kind: &OpKind, sig: &OpSignature) -> bool {
        crate::verification::verifies(id, hlc, kind, sig, self)
    }

    /// The key's point on the curve.
    pub(crate) fn point(&self) -> curve25519_dalek::EdwardsPoint {
        self.0.to_edwards()
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// An ed25519 signature of an op (or of a snapshot's seal). JSON: 128 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OpSignature(pub [u8; 64]);

impl fmt::Debug for OpSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpSignature({})", hex::encode(self.0))
    }
}

impl Serialize for OpSignature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for OpSignature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        hex::decode(text.as_ref())
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(Self)
            .ok_or_else(|| serde::de::Error::custom("a signature is 128 hex digits"))
    }
}

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// Not a key.
    #[error("malformed key: {0}")]
    Malformed(&'static str),
    /// A replica whose key is known arrived with another one: keys never change (a device
    /// with a new key is a new replica).
    #[error("replica {replica} already has another public key")]
    Changed {
        /// The replica.
        replica: ReplicaId,
    },
}

/// The bytes an op's signature covers: see the module documentation.
pub fn signing_bytes(id: &OpId, hlc: Hlc, kind: &OpKind) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(64 + 256);
    write_signing_bytes(&mut bytes, id, hlc, kind);
    bytes
}

/// Writes [`signing_bytes`] into `out` (a hash, when verifying: no buffer per op).
pub(crate) fn write_signing_bytes<W: std::io::Write>(
    out: &mut W,
    id: &OpId,
    hlc: Hlc,
    kind: &OpKind,
) {
    // Writing plain data into a Vec or a hash cannot fail (see Message::encode).
    let _ = out.write_all(SIGNING_TAG);
    let _ = out.write_all(id.replica.0.as_bytes());
    let _ = out.write_all(&id.counter.to_be_bytes());
    let _ = out.write_all(&hlc.wall_ms.to_be_bytes());
    let _ = out.write_all(&hlc.logical.to_be_bytes());
    let _ = serde_json::to_writer(out, kind);
}

/// The public keys a replica knows, by replica. A key, once known, never changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: BTreeMap<ReplicaId, PublicKey>,
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// The key of `replica`, if known.
    pub fn get(&self, replica: &ReplicaId) -> Option<&PublicKey> {
        self.keys.get(replica)
    }

    /// Adds a key; the same key again is fine, another one for a known replica is refused.
    pub fn insert(&mut self, replica: ReplicaId, key: PublicKey) -> Result<(), KeyError> {
        match self.keys.get(&replica) {
            Some(held) if *held != key => Err(KeyError::Changed { replica }),
            Some(_) => Ok(()),
            None => {
                self.keys.insert(replica, key);
                Ok(())
            }
        }
    }

    /// Adds a key for a replica that has none yet; a known replica keeps its key. For keys
    /// already checked against the ring (see [`crate::SyncNode::receive_message`]).
    pub fn learn(&mut self, replica: ReplicaId, key: PublicKey) {
        self.keys.entry(replica).or_insert(key);
    }

    /// How many keys are known.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is known.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every (replica, key).
    pub fn iter(&self) -> impl Iterator<Item = (&ReplicaId, &PublicKey)> {
        self.keys.iter()
    }
}
