//! The seal of a scope's snapshot: what HQ signs so that a new device may take a whole
//! municipality as rows in one download instead of op by op (docs/sync-spec.md §7c).
//!
//! A snapshot is a ledger file made by HQ: every op of its scope received into a fresh ledger
//! and projected there exactly as a device's first sync would, without the device's own
//! identity. What it holds is for the ledger to say; this module only says who vouches for
//! which bytes. The seal names the data by its SHA-256 and length, the ledger schema it was
//! written with, the municipalities it holds and the op count, and carries HQ's ed25519
//! signature of those fields under the tag `vaxledger-snapshot-v1\n`, verified under the one
//! rule of [`crate::verification`]. The tag differs from an op's (`vaxledger-op-v1\n`), so a
//! signature made for one never verifies as the other.
//!
//! The receiver trusts the author's key as it trusts keys in messages: from the server that
//! enrolled it (docs/sync-spec.md §3a). A seal that does not verify, data whose hash or length
//! differs, or a format this build does not know are refused, and the device syncs op by op.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::ids::ReplicaId;
use crate::signing::{DeviceKey, OpSignature, PublicKey};

/// The domain tag that starts the bytes a seal's signature covers.
pub const SNAPSHOT_TAG: &[u8; 22] = b"vaxledger-snapshot-v1\n";

/// The snapshot format this build makes and takes.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// What a seal says of a snapshot. Its signed bytes are [`SNAPSHOT_TAG`] then this value as
/// compact JSON, fields in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotHeader {
    /// [`SNAPSHOT_FORMAT`] when made.
    pub format: u32,
    /// The ledger schema version the data was written with (its migrations).
    pub schema: u32,
    /// The replica (HQ) that made the snapshot and signs it.
    pub author: ReplicaId,
    /// The municipality codes it holds, sorted; empty for the whole ledger.
    pub scope: Vec<String>,
    /// When it was made (RFC 3339).
    pub made_at: String,
    /// How many ops its log holds.
    pub ops: u64,
    /// The data's length in bytes.
    pub bytes: u64,
    /// The data's SHA-256, 64 lowercase hex digits.
    pub sha256: String,
}

/// A snapshot's header and its author's signature of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSeal {
    /// What is vouched for.
    pub header: SnapshotHeader,
    /// The author's signature of [`SnapshotHeader::signing_bytes`].
    pub sig: OpSignature,
}

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotError {
    /// Made in a format this build does not read.
    #[error("snapshot format {0} is not supported (this build reads {SNAPSHOT_FORMAT})")]
    UnsupportedFormat(u32),
    /// The signature is not the author's signature of this header.
    #[error("the snapshot's seal is not signed by its author's key")]
    BadSignature,
    /// The data is not the data the seal names.
    #[error("the snapshot's data does not match its seal (length or SHA-256)")]
    WrongData,
}

/// The SHA-256 of `data` as 64 lowercase hex digits.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

impl SnapshotHeader {
    /// The header of `data`, made by `author` for `scope` (sorted here).
    pub fn describe(
        author: ReplicaId,
        schema: u32,
        mut scope: Vec<String>,
        made_at: String,
        ops: u64,
        data: &[u8],
    ) -> Self {
        scope.sort();
        scope.dedup();
        Self {
            format: SNAPSHOT_FORMAT,
            schema,
            author,
            scope,
            made_at,
            ops,
            bytes: data.len() as u64,
            sha256: sha256_hex(data),
        }
    }

    /// The bytes the signature covers: the tag, then the header as compact JSON.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut bytes = SNAPSHOT_TAG.to_vec();
        // Plain data into a Vec cannot fail (see Message::encode).
        let _ = serde_json::to_writer(&mut bytes, self);
        bytes
    }

    /// Signs this header with the author's key.
    pub fn seal(self, key: &DeviceKey) -> SnapshotSeal {
        let sig = key.sign_bytes(&self.signing_bytes());
        SnapshotSeal { header: self, sig }
    }
}

impl SnapshotSeal {
    /// Checks that `key` (the author's) signed this header and that `data` is what it names.
    pub fn verify(&self, key: &PublicKey, data: &[u8]) -> Result<(), SnapshotError> {
        if self.header.format != SNAPSHOT_FORMAT {
            return Err(SnapshotError::UnsupportedFormat(self.header.format));
        }
        if !crate::verification::verifies_bytes(&self.header.signing_bytes(), &self.sig, key) {
            return Err(SnapshotError::BadSignature);
        }
        if self.header.bytes != data.len() as u64 || self.header.sha256 != sha256_hex(data) {
            return Err(SnapshotError::WrongData);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OpId;
    use crate::op::{Inquiry, OpKind};
    use crate::Hlc;
    use vax_domain::voucher::VoucherNumber;

    fn key(n: u8) -> DeviceKey {
        DeviceKey::from_bytes(&[n; 32])
    }

    fn sealed(data: &[u8]) -> SnapshotSeal {
        SnapshotHeader::describe(
            ReplicaId::from_u128(1),
            21,
            vec!["262021".into()],
            "2021-05-01T09:00:00+09:00".into(),
            3,
            data,
        )
        .seal(&key(1))
    }

    #[test]
    fn a_seal_verifies_with_its_authors_key_and_the_data_it_names() {
        let seal = sealed(b"ledger bytes");
        assert_eq!(seal.verify(&key(1).public(), b"ledger bytes"), Ok(()));
        // The JSON a server stores and hands on reads back to the same seal.
        let text = serde_json::to_string(&seal).unwrap();
        let back: SnapshotSeal = serde_json::from_str(&text).unwrap();
        assert_eq!(back.verify(&key(1).public(), b"ledger bytes"), Ok(()));
    }

    #[test]
    fn altered_data_another_key_or_an_altered_header_are_refused() {
        let seal = sealed(b"ledger bytes");
        assert_eq!(
            seal.verify(&key(1).public(), b"ledger bytez"),
            Err(SnapshotError::WrongData)
        );
        assert_eq!(
            seal.verify(&key(1).public(), b"ledger bytes and more"),
            Err(SnapshotError::WrongData)
        );
        assert_eq!(
            seal.verify(&key(2).public(), b"ledger bytes"),
            Err(SnapshotError::BadSignature)
        );
        // A server widening the scope, or pointing the seal at other data, breaks the signature.
        let mut wider = seal.clone();
        wider.header.scope.push("262030".into());
        assert_eq!(
            wider.verify(&key(1).public(), b"ledger bytes"),
            Err(SnapshotError::BadSignature)
        );
        let mut other = seal.clone();
        other.header.sha256 = sha256_hex(b"forged");
        other.header.bytes = 6;
        assert_eq!(
            other.verify(&key(1).public(), b"forged"),
            Err(SnapshotError::BadSignature)
        );
        let mut newer = seal;
        newer.header.format = 2;
        assert_eq!(
            newer.verify(&key(1).public(), b"ledger bytes"),
            Err(SnapshotError::UnsupportedFormat(2))
        );
    }

    #[test]
    fn an_ops_signature_never_verifies_as_a_seal() {
        // The same key signs ops and seals; the tags keep the two apart.
        let id = OpId {
            replica: ReplicaId::from_u128(1),
            counter: 1,
        };
        let hlc = Hlc {
            wall_ms: 1,
            logical: 0,
        };
        let kind = OpKind::Inquiry(Inquiry::new(
            VoucherNumber::parse("0000000001").unwrap(),
            vax_domain::inquiry::InquiryTopic::Other,
            "電話",
        ));
        let op_sig = key(1).sign(&id, hlc, &kind);
        let mut seal = sealed(b"ledger bytes");
        seal.sig = op_sig;
        assert_eq!(
            seal.verify(&key(1).public(), b"ledger bytes"),
            Err(SnapshotError::BadSignature)
        );
    }
}
