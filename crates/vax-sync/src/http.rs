//! The JSON bodies of the sync server's HTTP contract (`sync-server/README.md`), defined once
//! for the server that writes them and the client that reads them. Plain data, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vax_domain::error::ErrorCode;
use vax_domain::voucher::MunicipalityCode;

use crate::ids::{OpId, ReplicaId, VenueCode};
use crate::roles::Role;
use crate::signing::PublicKey;

/// `POST /v1/enroll` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time code.
    pub code: String,
    /// A name for the device (`受付1`).
    pub device_name: String,
    /// The public half of the key pair the device made for this enrollment: the server
    /// accepts ops in the new replica's name only when this key signed them.
    pub public_key: PublicKey,
}

/// `POST /v1/token` reply: the device's new bearer token. The old one is refused from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedToken {
    /// The new bearer token (shown once; the server keeps only its hash).
    pub token: String,
}

/// One enrolled device, as `GET /v1/devices` lists it for HQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Its replica id.
    pub replica_id: ReplicaId,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its venue.
    pub venue: Option<VenueCode>,
    /// When it enrolled (RFC 3339).
    pub enrolled_at: String,
    /// When HQ revoked it (RFC 3339), if it did.
    pub revoked_at: Option<String>,
}

/// `POST /v1/enroll` reply: what a device gets for its enrollment code. Store it: the token
/// is shown once, and the server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    /// The device's own replica id.
    pub replica_id: ReplicaId,
    /// Its bearer token.
    pub token: String,
    /// Its role.
    pub role: Role,
    /// Its venue (venue-bound roles).
    pub venue: Option<VenueCode>,
    /// The server's replica id: the peer of every sync session.
    pub server_replica_id: ReplicaId,
    /// The municipalities whose residents it holds (a partial replica, docs/sync-spec.md
    /// §7b); empty: the whole ledger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<MunicipalityCode>,
}

/// `POST /v1/enrollments` body (HQ devices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateEnrollmentRequest {
    /// The role of the device to enroll.
    pub role: Role,
    /// Its venue (venue-bound roles only).
    #[serde(default)]
    pub venue: Option<VenueCode>,
    /// Hours until the code expires (the server's default when absent).
    #[serde(default)]
    pub expires_in_hours: Option<u32>,
    /// The municipalities the device will hold (a partial replica); empty: the whole ledger.
    /// HQ of a municipality must name some of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<MunicipalityCode>,
}

/// `POST /v1/enrollments` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateEnrollmentResponse {
    /// The code to type on the new device.
    pub code: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
}

/// `GET /v1/health` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The server's replica id.
    pub server_replica_id: ReplicaId,
    /// The sync protocol version the server speaks.
    pub protocol: u16,
}

/// `GET /v1/status` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The server's replica id.
    pub server_replica_id: ReplicaId,
    /// Ops the server holds.
    pub ops: u64,
    /// Devices enrolled.
    pub devices: u64,
    /// Per author, the counter up to which the server holds every op.
    pub seen: BTreeMap<ReplicaId, u64>,
}

/// The body of every error reply, with a fitting HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code for programs, from the one vocabulary of error codes.
    pub code: ErrorCode,
    /// English, for logs and HQ.
    pub message: String,
    /// Japanese, for the person at the venue.
    pub message_ja: String,
    /// Whether sending the same request again later may succeed.
    pub retryable: bool,
    /// The one op a refused sync message was refused for, when one is to blame: the device
    /// quarantines it and syncs the rest of its log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<OpId>,
}

/// One device as the central server describes it to a venue relay (`GET /v1/relay/registry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryDevice {
    /// Its replica id.
    pub replica_id: ReplicaId,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its venue.
    pub venue: Option<VenueCode>,
    /// The key its ops are signed with (none for a device enrolled before protocol 3).
    pub public_key: Option<PublicKey>,
    /// When HQ revoked it (RFC 3339), if it did: the relay refuses it too.
    pub revoked_at: Option<String>,
    /// Its scope ([`Enrolled::scope`]): a relay answers a kiosk of a partial replica with the
    /// ops of its scope only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<MunicipalityCode>,
    /// SHA-256 of its bearer token (64 hex digits), for the devices of the relay's own venue
    /// only: they sync with the relay with the token they got from the centre. The hash does
    /// not let anyone present the token to the centre.
    pub token_hash: Option<String>,
}

/// `GET /v1/relay/registry` reply (relay devices only): every enrolled device, so the relay
/// can check roles and signatures of every op it carries and authenticate its venue's kiosks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayRegistry {
    /// The central server's replica id.
    pub server_replica_id: ReplicaId,
    /// The relay's venue.
    pub venue: VenueCode,
    /// Every device, the relay included.
    pub devices: Vec<RegistryDevice>,
}

/// One device of the venue as its relay last heard from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueDeviceContact {
    /// Its replica id.
    pub replica_id: ReplicaId,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// When it last synced with the relay (RFC 3339), none since the relay started.
    pub last_contact_at: Option<String>,
}

/// `GET /v1/relay/status` reply (a venue relay, any device of its venue): the second light of
/// every kiosk (does the relay reach the centre?) and the manager's list of kiosks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayStatus {
    /// The relay's replica id.
    pub relay_replica_id: ReplicaId,
    /// Its venue.
    pub venue: Option<VenueCode>,
    /// When the relay last finished a sync with the centre (RFC 3339).
    pub centre_last_success_at: Option<String>,
    /// Why its last attempt failed, when it did.
    pub centre_last_error: Option<String>,
    /// The venue's devices, with their last contact.
    pub devices: Vec<VenueDeviceContact>,
}

/// `PUT` (HQ) and `GET` (any enrolled device) of a scope's snapshot (docs/sync-spec.md §7c):
/// the body is the ledger file, the seal travels in [`SNAPSHOT_SEAL_HEADER`].
pub const SNAPSHOT_PATH: &str = "/v1/snapshot";
/// The header carrying a snapshot's seal ([`crate::SnapshotSeal`] as JSON: ASCII only).
pub const SNAPSHOT_SEAL_HEADER: &str = "x-vax-snapshot-seal";
/// The header of a `GET` reply carrying the public key of the seal's author, as the server
/// registered it (64 hex digits): trusted as keys in sync messages are.
pub const SNAPSHOT_KEY_HEADER: &str = "x-vax-snapshot-key";
/// The largest snapshot the server takes: 2 GiB (a city of 65,000 is about 190 MB).
pub const MAX_SNAPSHOT_BYTES: usize = 2 << 30;

/// A snapshot's scope as the server files it: the codes sorted, separated by spaces, empty
/// for the whole ledger. A device gets the snapshot filed under its own scope only.
pub fn snapshot_scope_key<S: AsRef<str>>(codes: &[S]) -> String {
    let mut codes: Vec<&str> = codes.iter().map(AsRef::as_ref).collect();
    codes.sort_unstable();
    codes.dedup();
    codes.join(" ")
}
