//! The JSON bodies of the sync server's HTTP contract (`sync-server/README.md`), defined once
//! for the server that writes them and the client that reads them. Plain data, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vax_domain::error::ErrorCode;

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
