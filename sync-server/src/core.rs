//! The server's state and the work behind each endpoint, free of HTTP: the router calls it
//! under one mutex (requests serialise), and the CLI calls it directly on the database.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use vax_domain::error::ErrorCode;
use vax_domain::voucher::MunicipalityCode;
use vax_sync::http::{
    snapshot_scope_key, CreateEnrollmentRequest, CreateEnrollmentResponse, DeviceInfo, Enrolled,
    RotatedToken, Status,
};
use vax_sync::{
    check_roles, Alert, Clock, HlcClock, Message, Op, OpId, OpKind, PublicKey, ReplicaId, Role,
    SnapshotSeal, SyncError, SyncNode, SyncState, SystemClock, VenueCode, VerifiedMessage,
    PROTOCOL_VERSION,
};

use crate::codes;
use crate::error::ApiError;
use crate::store::{Device, EnrollmentCodeRecord, OpClass, ServerStore, StoreError};

/// Ops per reply. Four times the protocol's default: a new venue's first sync of a 65,000-
/// resident city then takes 47 round trips instead of 183, and each costs the device one
/// transaction and fsync (docs/BENCHMARKS.md: 10.5 s -> 9.2 s). About 1 MB of JSON per reply,
/// and the device holds its ledger for one reply's projection, under 0.2 s.
const REPLY_BATCH_SIZE: usize = 4_000;

/// Default lifetime of an enrollment code.
pub const DEFAULT_CODE_HOURS: u32 = 24;
/// Longest lifetime of an enrollment code (30 days).
pub const MAX_CODE_HOURS: u32 = 24 * 30;

/// Whether a role is bound to one venue (and so must be enrolled with one).
pub fn is_venue_bound(role: Role) -> bool {
    matches!(
        role,
        Role::Reception | Role::Booth | Role::VenueManager | Role::Relay
    )
}

/// Checks a (role, venue) pair for a new enrollment code.
pub fn check_role_and_venue(role: Role, venue: Option<&VenueCode>) -> Result<(), ApiError> {
    let invalid =
        |en: String, ja: &str| ApiError::new(ErrorCode::InvalidEnrollment, en, ja.to_owned());
    if role == Role::Server {
        return Err(invalid(
            "a device cannot be enrolled with the server role".into(),
            "端末をサーバーの役割で登録することはできません。",
        ));
    }
    match (is_venue_bound(role), venue) {
        (true, None) => Err(invalid(
            format!(
                "a {} device must be enrolled to a venue",
                crate::sqlite::role_name(role)
            ),
            "この役割の端末には会場の指定が必要です。",
        )),
        (false, Some(_)) => Err(invalid(
            format!(
                "a {} device is not bound to a venue",
                crate::sqlite::role_name(role)
            ),
            "本部・コールセンターの端末には会場を指定できません。",
        )),
        (_, Some(v))
            if v.0.is_empty()
                || v.0.len() > 32
                || !v
                    .0
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Err(invalid(
                format!(
                    "venue code {:?} is not valid (1–32 letters, digits, - or _)",
                    v.0
                ),
                "会場コードが正しくありません。",
            ))
        }
        _ => Ok(()),
    }
}

/// Creates a one-time enrollment code and returns it with its expiry. Works on the store
/// alone, so `vaxsync enrollment create` can bootstrap the first HQ device without a server.
pub fn create_enrollment_code(
    store: &mut dyn ServerStore,
    role: Role,
    venue: Option<VenueCode>,
    expires_in_hours: u32,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ApiError> {
    create_scoped_enrollment_code(store, role, venue, Vec::new(), expires_in_hours, now)
}

/// [`create_enrollment_code`] for a partial replica: the device will hold the residents of
/// the municipalities of `scope` only (docs/sync-spec.md §7b); empty: the whole ledger.
pub fn create_scoped_enrollment_code(
    store: &mut dyn ServerStore,
    role: Role,
    venue: Option<VenueCode>,
    scope: Vec<MunicipalityCode>,
    expires_in_hours: u32,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ApiError> {
    check_role_and_venue(role, venue.as_ref())?;
    if expires_in_hours == 0 || expires_in_hours > MAX_CODE_HOURS {
        return Err(ApiError::new(
            ErrorCode::InvalidEnrollment,
            format!("expires_in_hours must be 1..={MAX_CODE_HOURS}"),
            "有効期限の時間数が正しくありません。",
        ));
    }
    let expires_at = now + Duration::hours(expires_in_hours.into());
    add_code(store, role, venue, scope, now, expires_at)
}

/// [`create_enrollment_code`] with an explicit expiry instant (tests make expired codes).
pub fn create_code_expiring(
    store: &mut dyn ServerStore,
    role: Role,
    venue: Option<VenueCode>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ApiError> {
    check_role_and_venue(role, venue.as_ref())?;
    add_code(store, role, venue, Vec::new(), now, expires_at)
}

fn add_code(
    store: &mut dyn ServerStore,
    role: Role,
    venue: Option<VenueCode>,
    mut scope: Vec<MunicipalityCode>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ApiError> {
    scope.sort();
    scope.dedup();
    let code = codes::new_code();
    let normalized = codes::normalize_code(&code).unwrap_or_default();
    store.add_enrollment_code(&EnrollmentCodeRecord {
        code_hash: codes::hash_code(&normalized),
        role,
        venue,
        created_at: now,
        expires_at,
        scope,
    })?;
    Ok((code, expires_at))
}

/// One author of a message's ops as the server knows it ([`Core::authors_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorRecord {
    /// The author.
    pub replica: ReplicaId,
    /// Its registered public key, when it is an enrolled device.
    pub key: Option<PublicKey>,
    /// Whether its ops are exempt from the ops budget: HQ's and the server's.
    pub exempt_from_budget: bool,
    /// The counter of its last op the server holds (0 for none).
    pub held_up_to: u64,
}

/// What one sync request did, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Ops received that were new.
    pub new_ops: usize,
    /// Ops received that were already held.
    pub duplicates: usize,
    /// Ops sent back.
    pub sent_ops: usize,
}

/// The server: its store, its replica (rebuilt from the log at start) and the enrolled
/// devices (cached from the store).
pub struct Core {
    store: Box<dyn ServerStore>,
    node: SyncNode,
    devices: HashMap<ReplicaId, Device>,
    tokens: HashMap<[u8; 32], ReplicaId>,
    time: Box<dyn Clock>,
    /// Whether this core serves a venue as its relay (`crate::relay`): then every device may
    /// hand back other devices' ops, so a kiosk can bring a new relay what the dead one held.
    venue_relay: bool,
    /// When each device last synced here (in memory: the manager's list of kiosks).
    contacts: HashMap<ReplicaId, DateTime<Utc>>,
    /// A venue relay's last sync with the centre: when it last succeeded, and the last error.
    centre_link: (Option<DateTime<Utc>>, Option<String>),
    /// Ops of one budgeted author per reply (`limits::paced`; 0: not paced).
    reply_pace: usize,
    /// The snapshots this process filed or served, by scope, with their seals: a new device
    /// gets the file without the store reading it again (189 MB for the 65,000-resident city)
    /// while the seal the store holds is the same (another process may have filed a newer one).
    snapshots: HashMap<String, (String, Arc<Vec<u8>>)>,
}

/// The scope a device's snapshot is filed under ([`snapshot_scope_key`] of its codes).
fn snapshot_scope_of(device: &Device) -> String {
    let codes: Vec<&str> = device.scope.iter().map(MunicipalityCode::as_str).collect();
    snapshot_scope_key(&codes)
}

/// A snapshot as `GET /v1/snapshot` serves it: its seal (JSON), the key of the HQ device that
/// sealed it, and the file (shared with the copy the core keeps).
pub type ServedSnapshot = (String, PublicKey, Arc<Vec<u8>>);

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("server", &self.node.id())
            .field("devices", &self.devices.len())
            .finish_non_exhaustive()
    }
}

impl Core {
    /// Loads the devices and rebuilds the server's replica from the stored log.
    pub fn open(store: Box<dyn ServerStore>) -> Result<Self, StoreError> {
        let id = store.server_replica_id()?;
        let mut node = SyncNode::restore(id, Role::Server, HlcClock::default(), &*store)?;
        let mut devices = HashMap::new();
        let mut tokens = HashMap::new();
        for record in store.devices()? {
            if let Some(key) = record.device.public_key {
                // Replica ids are unique in the table, so a key is never registered twice.
                node.add_key(record.device.replica_id, key)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            }
            tokens.insert(record.token_hash, record.device.replica_id);
            devices.insert(record.device.replica_id, record.device);
        }
        let mut core = Self {
            store,
            node,
            devices,
            tokens,
            time: Box::new(SystemClock),
            venue_relay: false,
            contacts: HashMap::new(),
            centre_link: (None, None),
            reply_pace: crate::limits::PACED_OPS_PER_AUTHOR,
            snapshots: HashMap::new(),
        };
        core.classify_stored_ops()?;
        Ok(core)
    }

    /// Classifies the ops stored without a scope (before the store kept scopes, or by a
    /// relay's upstream sync), by the merged replica rebuilt from the whole log: until then no
    /// partial replica receives them.
    fn classify_stored_ops(&mut self) -> Result<(), StoreError> {
        loop {
            let ops = self.store.unclassified_ops(10_000)?;
            if ops.is_empty() {
                return Ok(());
            }
            let store = &*self.store;
            let mut classes = crate::scope::classes(crate::scope::classify_all(
                &ops,
                self.node.replica(),
                |id| store.get(id),
            )?);
            let list: Vec<(OpId, OpClass)> = ops
                .iter()
                .filter_map(|op| Some((op.id, classes.remove(&op.id)?)))
                .collect();
            self.store.set_op_scopes(&list)?;
        }
    }

    /// The same server on another time source (tests pin it; the binaries keep the system's).
    pub fn with_clock(mut self, clock: Box<dyn Clock>) -> Self {
        self.time = clock;
        self
    }

    /// Carries at most `per_author` ops of any one budgeted device per reply (0: no bound;
    /// `limits::paced`).
    pub fn set_reply_pace(&mut self, per_author: usize) {
        self.reply_pace = per_author;
    }

    /// The server's replica id.
    pub fn server_id(&self) -> ReplicaId {
        self.node.id()
    }

    /// The server's merged replica.
    pub fn node(&self) -> &SyncNode {
        &self.node
    }

    /// Every enrolled device.
    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.devices.values()
    }

    /// The device holding this bearer token; refused once HQ revoked it.
    pub fn authenticate(&mut self, token: &str) -> Result<Device, ApiError> {
        let hash = codes::hash_token(token);
        let cached = |core: &Self| {
            core.tokens
                .get(&hash)
                .and_then(|id| core.devices.get(id))
                .cloned()
        };
        // Another server process sharing the store may have enrolled the device or rotated
        // its token: the cache is refreshed from the store before a token is refused.
        // The store is asked too, in one read: `vaxsync devices revoke` writes there while the
        // server runs.
        let (device, revoked) = match cached(self) {
            Some(d) => match self.store.token_standing(d.replica_id, &hash)? {
                (true, revoked) => (d, revoked),
                (false, _) => self.reloaded_device(&hash)?,
            },
            None => self.reloaded_device(&hash)?,
        };
        if device.revoked_at.is_some() || revoked.is_some() {
            return Err(ApiError::device_revoked());
        }
        Ok(device)
    }

    /// The device holding the token of `hash` once the devices are read again from the store,
    /// with when it was revoked.
    fn reloaded_device(
        &mut self,
        hash: &[u8; 32],
    ) -> Result<(Device, Option<DateTime<Utc>>), ApiError> {
        self.reload_devices()?;
        let device = self
            .tokens
            .get(hash)
            .and_then(|id| self.devices.get(id))
            .cloned()
            .ok_or_else(ApiError::unknown_token)?;
        let revoked = device.revoked_at;
        Ok((device, revoked))
    }

    /// Exchanges a one-time code for a device's own credentials, registering the public key
    /// the device made: ops in the new replica's name must be signed with it.
    pub fn enroll(
        &mut self,
        code: &str,
        device_name: &str,
        public_key: PublicKey,
    ) -> Result<Enrolled, ApiError> {
        let name = device_name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::bad_request(
                "device_name must be 1–100 characters",
            ));
        }
        let Some(normalized) = codes::normalize_code(code) else {
            return Err(ApiError::enrollment_code_invalid());
        };
        let token = codes::new_token();
        let token_hash = codes::hash_token(&token);
        let now = self.time.now_utc();
        let candidate = Device {
            replica_id: ReplicaId(Uuid::now_v7()),
            name: name.to_owned(),
            role: Role::Server, // replaced by the code's role
            venue: None,
            enrolled_at: now,
            public_key: Some(public_key),
            revoked_at: None,
            scope: Vec::new(), // replaced by the code's scope
        };
        let device = self
            .store
            .redeem_enrollment_code(&codes::hash_code(&normalized), now, candidate, &token_hash)?
            .ok_or_else(ApiError::enrollment_code_invalid)?;
        tracing::info!(replica = %device.replica_id, name = %device.name, role = ?device.role,
            venue = ?device.venue, "device enrolled");
        // A fresh UUIDv7 has no key yet.
        self.node
            .add_key(device.replica_id, public_key)
            .map_err(|e| ApiError::storage(&StoreError::Corrupt(e.to_string())))?;
        self.tokens.insert(token_hash, device.replica_id);
        self.devices.insert(device.replica_id, device.clone());
        Ok(Enrolled {
            replica_id: device.replica_id,
            token,
            role: device.role,
            venue: device.venue,
            server_replica_id: self.server_id(),
            scope: device.scope,
        })
    }

    /// Creates an enrollment code (HQ only at the HTTP layer).
    pub fn create_enrollment_code(
        &mut self,
        role: Role,
        venue: Option<VenueCode>,
        scope: Vec<MunicipalityCode>,
        expires_in_hours: u32,
    ) -> Result<(String, DateTime<Utc>), ApiError> {
        let now = self.time.now_utc();
        create_scoped_enrollment_code(&mut *self.store, role, venue, scope, expires_in_hours, now)
    }

    /// `POST /v1/sync` for the device holding `token`: one exchange, logged.
    pub fn sync_with_token(&mut self, token: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
        let message = Message::decode(body).map_err(ApiError::from);
        let message = message.map(VerifiedMessage::unverified);
        self.sync_verified_with_token(token, message)
    }

    /// [`Core::sync_with_token`] of a message decoded (or refused) and verified before the
    /// lock (the HTTP handler does that work on its own thread).
    pub fn sync_verified_with_token(
        &mut self,
        token: &str,
        message: Result<VerifiedMessage, ApiError>,
    ) -> Result<Vec<u8>, ApiError> {
        let device = self.authenticate(token)?;
        self.sync_verified_from(&device, message)
    }

    /// [`Core::sync_verified_with_token`] for a device authenticated already, moments ago (the
    /// HTTP intake authenticates before it reads the body): one exchange, logged.
    pub fn sync_verified_from(
        &mut self,
        device: &Device,
        message: Result<VerifiedMessage, ApiError>,
    ) -> Result<Vec<u8>, ApiError> {
        let started = std::time::Instant::now();
        self.contacts.insert(device.replica_id, self.time.now_utc());
        match message.and_then(|m| self.sync_verified(device, m)) {
            Ok((reply, outcome)) => {
                tracing::debug!(replica = %device.replica_id, new = outcome.new_ops,
                    duplicates = outcome.duplicates, sent = outcome.sent_ops,
                    ms = started.elapsed().as_millis() as u64, "sync");
                Ok(reply)
            }
            Err(e) => {
                // The code and the op, never the message: a decoding error quotes the input,
                // and an op's input may be a resident's name or phone (APPI).
                let op = e.body.op.map(|op| op.to_string()).unwrap_or_default();
                tracing::warn!(replica = %device.replica_id, name = %device.name,
                    code = %e.code(), op = %op, "sync refused");
                Err(e)
            }
        }
    }

    /// `POST /v1/enrollments` for the device holding `token` (HQ only).
    pub fn create_enrollment_with_token(
        &mut self,
        token: &str,
        request: CreateEnrollmentRequest,
    ) -> Result<CreateEnrollmentResponse, ApiError> {
        let hq = self.require_hq(token)?;
        // HQ of a municipality enrolls devices of its own municipalities only.
        if !within(&request.scope, &hq.scope) {
            return Err(ApiError::wrong_scope_enrollment(&hq.scope));
        }
        let (code, expires_at) = self.create_enrollment_code(
            request.role,
            request.venue,
            request.scope,
            request.expires_in_hours.unwrap_or(DEFAULT_CODE_HOURS),
        )?;
        Ok(CreateEnrollmentResponse {
            code,
            expires_at: expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    /// `POST /v1/token`: a new token for the device holding `token`; the old one is refused
    /// from now on (stored first, then forgotten in memory, so a failed store changes nothing).
    pub fn rotate_token_with_token(&mut self, token: &str) -> Result<RotatedToken, ApiError> {
        let device = self.authenticate(token)?;
        let new_token = codes::new_token();
        let new_hash = codes::hash_token(&new_token);
        if !self.store.replace_token(device.replica_id, &new_hash)? {
            return Err(ApiError::unknown_token());
        }
        self.tokens.remove(&codes::hash_token(token));
        self.tokens.insert(new_hash, device.replica_id);
        tracing::info!(replica = %device.replica_id, name = %device.name, "token rotated");
        Ok(RotatedToken { token: new_token })
    }

    /// Revokes a device (a lost laptop): its token is refused at once and so are its new ops.
    /// Its earlier ops stay, and its public key too, so they still verify everywhere.
    /// For `vaxsync devices revoke` and HQ's `POST /v1/devices/{id}/revoke`.
    pub fn revoke(&mut self, replica: ReplicaId) -> Result<DeviceInfo, ApiError> {
        let now = self.time.now_utc();
        if !self.store.revoke_device(replica, now)? {
            return Err(ApiError::no_such_device(&replica));
        }
        let device = self
            .devices
            .get_mut(&replica)
            .ok_or_else(|| ApiError::no_such_device(&replica))?;
        device.revoked_at.get_or_insert(now);
        tracing::warn!(replica = %replica, name = %device.name, "device revoked");
        Ok(device_info(device))
    }

    /// `POST /v1/devices/{id}/revoke` for the device holding `token` (HQ only).
    pub fn revoke_with_token(
        &mut self,
        token: &str,
        replica: ReplicaId,
    ) -> Result<DeviceInfo, ApiError> {
        let hq = self.require_hq(token)?;
        if let Some(target) = self.devices.get(&replica) {
            if !within(&target.scope, &hq.scope) {
                return Err(ApiError::wrong_scope_enrollment(&hq.scope));
            }
        }
        self.revoke(replica)
    }

    /// `GET /v1/devices` for the device holding `token` (HQ only).
    pub fn devices_with_token(&mut self, token: &str) -> Result<Vec<DeviceInfo>, ApiError> {
        let hq = self.require_hq(token)?;
        self.reload_devices()?;
        // HQ of some municipalities sees the devices of its own.
        let mut list: Vec<DeviceInfo> = self
            .devices
            .values()
            .filter(|d| within(&d.scope, &hq.scope))
            .map(device_info)
            .collect();
        list.sort_by(|a, b| (&a.enrolled_at, a.replica_id).cmp(&(&b.enrolled_at, b.replica_id)));
        Ok(list)
    }

    /// `GET /v1/alerts` for the device holding `token` (HQ only).
    pub fn alerts_with_token(&mut self, token: &str) -> Result<Vec<Alert>, ApiError> {
        let hq = self.require_hq(token)?;
        self.catch_up()?;
        let mut alerts = self.alerts();
        if !hq.scope.is_empty() {
            // HQ of some municipalities: the alerts all of whose residents are its own (a band
            // over capacity with another municipality's residents in it, and a mismatched
            // void, which names no resident, are the prefecture's HQ's).
            let replica = self.node.replica();
            alerts.retain(|alert| {
                let residents = alert.residents();
                !residents.is_empty()
                    && residents.iter().all(|r| {
                        crate::scope::municipality_of_resident(r, replica)
                            .is_some_and(|m| hq.scope.contains(&m))
                    })
            });
        }
        Ok(alerts)
    }

    /// `GET /v1/status` for the device holding `token`.
    pub fn status_with_token(&mut self, token: &str) -> Result<Status, ApiError> {
        self.authenticate(token)?;
        self.catch_up()?;
        self.status()
    }

    fn require_hq(&mut self, token: &str) -> Result<Device, ApiError> {
        let device = self.authenticate(token)?;
        if device.role == Role::Hq {
            Ok(device)
        } else {
            Err(ApiError::hq_only())
        }
    }

    /// One stateless sync exchange with `device`: checks the message (sender, roles of every
    /// author, venues), merges it, and answers with the server's next message.
    /// A refused message changes nothing.
    pub fn sync(
        &mut self,
        device: &Device,
        body: &[u8],
    ) -> Result<(Vec<u8>, SyncOutcome), ApiError> {
        let message = Message::decode(body)?;
        self.sync_verified(device, VerifiedMessage::unverified(message))
    }

    /// The public keys of the authors of `message`'s ops that the server knows, to verify the
    /// message away from the lock (keys never change once registered).
    pub fn keys_for(&self, message: &Message) -> Vec<(ReplicaId, PublicKey)> {
        let mut keys: Vec<(ReplicaId, PublicKey)> = Vec::new();
        for op in &message.ops {
            let author = op.author();
            if !keys.iter().any(|(r, _)| *r == author) {
                if let Some(key) = self.node.keys().get(&author) {
                    keys.push((author, *key));
                }
            }
        }
        keys
    }

    /// What the intake needs to know of the authors of `message`'s ops, read in one lock
    /// acquisition: each one's public key (to verify the message away from the lock; keys
    /// never change once registered), whether its ops are exempt from the ops budget (HQ and
    /// the server), and the last of its ops the server holds (ops up to it are not new, so
    /// handing them back costs their author nothing).
    pub fn authors_of(&self, message: &Message) -> Result<Vec<AuthorRecord>, ApiError> {
        let mut authors: Vec<AuthorRecord> = Vec::new();
        for op in &message.ops {
            let replica = op.author();
            if authors.iter().any(|a| a.replica == replica) {
                continue;
            }
            authors.push(AuthorRecord {
                replica,
                key: self.node.keys().get(&replica).copied(),
                exempt_from_budget: self
                    .devices
                    .get(&replica)
                    .is_some_and(|d| crate::limits::is_unlimited(d.role)),
                held_up_to: self.store.last_counter(replica)?,
            });
        }
        Ok(authors)
    }

    /// [`Core::sync`] of a message decoded and verified already ([`VerifiedMessage`]).
    pub fn sync_verified(
        &mut self,
        device: &Device,
        verified: VerifiedMessage,
    ) -> Result<(Vec<u8>, SyncOutcome), ApiError> {
        let message = verified.message();
        if message.protocol != PROTOCOL_VERSION {
            return Err(SyncError::UnsupportedProtocol {
                got: message.protocol,
                supported: PROTOCOL_VERSION,
            }
            .into());
        }
        if message.from != device.replica_id {
            return Err(SyncError::WrongPeer {
                expected: device.replica_id,
                got: message.from,
            }
            .into());
        }
        self.catch_up()?;
        if message
            .ops
            .iter()
            .any(|op| !self.devices.contains_key(&op.author()))
        {
            // An author enrolled through another server process sharing the store.
            self.reload_devices()?;
        }
        check_roles(&message.ops, |author| {
            self.devices.get(&author).map(|d| d.role)
        })?;
        self.check_other_authors_signatures(device, &verified)?;
        let mut verified = verified;
        self.keep_own_or_held_ops(device, &mut verified)?;
        let message = verified.message();
        for op in &message.ops {
            let Some(author) = self.devices.get(&op.author()) else {
                continue; // unreachable: check_roles refused unknown authors
            };
            if is_venue_bound(author.role) {
                if let Some(venue) = op.kind.venue() {
                    if author.venue.as_ref() != Some(venue) {
                        let enrolled = author.venue.as_ref().map(|v| v.0.as_str()).unwrap_or("-");
                        return Err(ApiError::wrong_venue(&op.id, &venue.0, enrolled));
                    }
                }
            }
        }

        self.check_void_venues(&message.ops)?;
        let classified =
            crate::scope::classify_all(&message.ops, self.node.replica(), |id| self.store.get(id))?;
        for op in &message.ops {
            let (Some(author), Some(c)) = (self.devices.get(&op.author()), classified.get(&op.id))
            else {
                continue;
            };
            // An op held already was checked when it was stored (a resend after a lost
            // reply); its resident may have moved since.
            if !author.scope.is_empty() && !self.holds(op)? {
                crate::scope::check_writes(op, author, c)?;
            }
        }
        self.store
            .stage_op_scopes(crate::scope::classes(classified));

        let mut state = crate::limits::paced(
            SyncState::for_peer(device.replica_id).with_batch_size(REPLY_BATCH_SIZE),
            self.devices.values(),
            self.reply_pace,
        );
        if !device.scope.is_empty() {
            state = state.reporting_covered();
        }
        let applied =
            match self
                .node
                .receive_verified(&mut *self.store, &mut state, verified, &*self.time)
            {
                Ok(applied) => applied,
                Err(e @ SyncError::Storage(_)) => {
                    // The store may have committed before it failed (an error after the commit):
                    // the replica in memory is rebuilt from it, so it never stays behind the
                    // stored ops (alerts missed until a restart).
                    self.reload_node()?;
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            };
        // Ops other processes stored meanwhile are in the reply: merge them (and learn their
        // authors' keys, which travel with them) first.
        self.catch_up()?;
        // The stored op texts go out as they are (same bytes as encoding the parsed ops); a
        // partial replica gets those of its scope.
        let store = &*self.store;
        let reply = if device.scope.is_empty() {
            self.node.generate_encoded(store, &mut state)?
        } else {
            self.node
                .generate_encoded_from(store, &mut state, |author, after, limit| {
                    store.encoded_ops_in_scope(author, after, limit, &device.scope)
                })?
        };
        let reply = reply.ok_or_else(|| {
            // A fresh state has told the peer nothing, so there is always a reply.
            ApiError::storage(&StoreError::Corrupt("no reply generated".into()))
        })?;
        let outcome = SyncOutcome {
            new_ops: applied.new_ops,
            duplicates: applied.duplicates,
            sent_ops: reply.ops.len(),
        };
        Ok((reply.encode(), outcome))
    }

    /// Keeps HQ's snapshot of its own scope (docs/sync-spec.md §7c): only from an HQ device,
    /// sealed by that device's registered key, of exactly the municipalities it holds (a whole
    /// HQ: the whole ledger). It replaces the scope's snapshot before.
    pub fn store_snapshot(
        &mut self,
        token: &str,
        seal_text: &str,
        data: &[u8],
    ) -> Result<(), ApiError> {
        let device = self.require_hq(token)?;
        let seal: SnapshotSeal = serde_json::from_str(seal_text)
            .map_err(|e| ApiError::bad_request(format!("snapshot seal: {e}")))?;
        if seal.header.author != device.replica_id {
            return Err(ApiError::snapshot_refused(
                "the snapshot's seal names another author than the device sending it",
            ));
        }
        let key = device.public_key.ok_or_else(|| {
            ApiError::snapshot_refused("this device enrolled without a key: it cannot seal")
        })?;
        seal.verify(&key, data)
            .map_err(|e| ApiError::snapshot_refused(&e.to_string()))?;
        let scope = snapshot_scope_of(&device);
        if snapshot_scope_key(&seal.header.scope) != scope {
            return Err(ApiError::snapshot_wrong_scope(&scope));
        }
        self.store.put_snapshot(&scope, seal_text, data)?;
        tracing::info!(replica = %device.replica_id, scope = %scope, bytes = data.len(),
            ops = seal.header.ops, "snapshot stored");
        self.snapshots
            .insert(scope, (seal_text.to_owned(), Arc::new(data.to_vec())));
        Ok(())
    }

    /// The snapshot of the scope `token`'s device holds, with the key of the HQ device that
    /// sealed it; `None` when there is none, or its author has been revoked since (its key
    /// vouches for nothing any more).
    pub fn snapshot_for(&mut self, token: &str) -> Result<Option<ServedSnapshot>, ApiError> {
        let device = self.authenticate(token)?;
        let scope = snapshot_scope_of(&device);
        let Some(seal_text) = self.store.snapshot_seal(&scope)? else {
            return Ok(None);
        };
        let data = match self.snapshots.get(&scope) {
            Some((cached, data)) if *cached == seal_text => Arc::clone(data),
            _ => {
                let Some((seal_text, data)) = self.store.snapshot(&scope)? else {
                    return Ok(None);
                };
                let data = Arc::new(data);
                self.snapshots
                    .insert(scope.clone(), (seal_text, Arc::clone(&data)));
                data
            }
        };
        let seal: SnapshotSeal = serde_json::from_str(&seal_text)
            .map_err(|e| ApiError::storage(&StoreError::Corrupt(format!("snapshot seal: {e}"))))?;
        let author = seal.header.author;
        if !self.devices.contains_key(&author) {
            self.reload_devices()?;
        }
        let key = self.devices.get(&author).and_then(|d| d.public_key);
        let Some(key) = key else { return Ok(None) };
        if self.store.revoked_at(author)?.is_some() {
            return Ok(None);
        }
        tracing::info!(replica = %device.replica_id, scope = %scope, bytes = data.len(),
            "snapshot served");
        Ok(Some((seal_text, key, data)))
    }

    /// One resident's record for the online lookup of a walk-in (`crate::lookup`, after
    /// `scope::may_look_up` and the device's lookup rate), as a sync reply from this server:
    /// the stored texts of the ops of their record ([`ServerStore::encoded_ops_of_resident`])
    /// with their authors' keys, covering nothing and acknowledging nothing. The device
    /// verifies every signature as always. 404 `UNKNOWN_RESIDENT` when none is held. The
    /// server logs who asked, for which municipality and how much it sent (not the voucher:
    /// the device's audit trail names the resident it looked at).
    pub fn resident_record(
        &mut self,
        device: &Device,
        municipality: &MunicipalityCode,
        voucher: &vax_domain::voucher::VoucherNumber,
    ) -> Result<Vec<u8>, ApiError> {
        self.catch_up()?;
        let ops = self.store.encoded_ops_of_resident(
            municipality,
            voucher,
            vax_sync::MAX_OPS_PER_MESSAGE,
        )?;
        tracing::info!(replica = %device.replica_id, name = %device.name,
            municipality = %municipality, ops = ops.len(), "resident lookup");
        if ops.is_empty() {
            return Err(ApiError::unknown_resident(municipality.as_str()));
        }
        let keys = ops
            .iter()
            .filter_map(|op| {
                let author = op.id.replica;
                self.node.keys().get(&author).map(|key| (author, *key))
            })
            .collect();
        let reply = vax_sync::EncodedMessage {
            protocol: PROTOCOL_VERSION,
            from: self.server_id(),
            seen: crdts::VClock::new(),
            ops,
            more: false,
            keys,
            beyond: Default::default(),
            covered: Default::default(),
        };
        Ok(reply.encode())
    }

    /// Whether the store holds `op` (the same op: other content is refused later).
    fn holds(&self, op: &Op) -> Result<bool, ApiError> {
        if op.id.counter > self.store.last_counter(op.author())? {
            return Ok(false);
        }
        Ok(self.store.get(&op.id)?.is_some())
    }

    /// An op in another device's name must carry that device's signature, or the message is
    /// refused (403 BAD_SIGNATURE): a forgery is an attack, not a lost op to drop quietly.
    /// The sender's own ops are verified by [`SyncNode::receive_message`] like every op.
    fn check_other_authors_signatures(
        &self,
        device: &Device,
        verified: &VerifiedMessage,
    ) -> Result<(), ApiError> {
        let ops = verified.message().ops.iter().enumerate();
        for (i, op) in ops.filter(|(_, op)| op.author() != device.replica_id) {
            if verified.is_verified(i) {
                continue;
            }
            let key = self
                .node
                .keys()
                .get(&op.author())
                .ok_or(SyncError::UnknownSigner { op: op.id })?;
            if !op.verifies_with(key) {
                return Err(SyncError::BadSignature { op: op.id }.into());
            }
        }
        Ok(())
    }

    /// A device's token proves who sends, not who wrote: the server takes from a device the
    /// ops it wrote itself, and from a venue relay (or, at a relay, from any kiosk) every op
    /// whose author's signature verified (checked before). Another author's op from anyone
    /// else is a device handing back what it received: one the server holds unchanged is a
    /// duplicate; one it holds with other content is a conflict (refused); one it does not
    /// hold (an op lost in a server restore) is dropped — never stored nor relayed — and
    /// logged, so a device that resends after a restore is not stuck.
    fn keep_own_or_held_ops(
        &self,
        device: &Device,
        verified: &mut VerifiedMessage,
    ) -> Result<(), ApiError> {
        let carries_others = self.venue_relay || device.role == Role::Relay;
        verified.try_retain_ops(|op| {
            if op.author() == device.replica_id || carries_others {
                return Ok(true);
            }
            match self.store.get(&op.id)? {
                Some(held) if held == *op => Ok(true),
                Some(_) => Err(SyncError::ConflictingOp { op: op.id }.into()),
                None => {
                    tracing::warn!(sender = %device.replica_id, op = %op.id,
                        "dropped an op in another device's name that the server does not hold");
                    Ok(false)
                }
            }
        })
    }

    /// A venue's device voids only its own venue's records: a void names no venue, so its
    /// target's is checked (the target travels in the same message or the server holds it;
    /// a venue device only voids records it has seen, and those came through the server).
    fn check_void_venues(&self, ops: &[Op]) -> Result<(), ApiError> {
        for op in ops {
            let OpKind::Void(void) = &op.kind else {
                continue;
            };
            let Some(author) = self.devices.get(&op.author()) else {
                continue; // unreachable: check_roles refused unknown authors
            };
            let Some(enrolled) = author
                .venue
                .as_ref()
                .filter(|_| is_venue_bound(author.role))
            else {
                continue;
            };
            let target = match ops.iter().find(|o| o.id == void.target) {
                Some(in_message) => Some(in_message.clone()),
                None => self.store.get(&void.target)?,
            };
            match target.as_ref().map(|t| t.kind.venue()) {
                None => return Err(ApiError::void_of_unknown_record(&op.id, &void.target)),
                Some(Some(venue)) if venue != enrolled => {
                    return Err(ApiError::wrong_venue(&op.id, &venue.0, &enrolled.0))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Merges the ops other server processes stored since this one last looked (none for a
    /// store only this process uses), so that replies and alerts are the same from every
    /// process in front of one database.
    fn catch_up(&mut self) -> Result<(), ApiError> {
        let foreign = self.store.take_foreign_ops()?;
        for op in &foreign {
            self.node.absorb_stored(op);
        }
        if self.store.has_unclassified_foreign_ops() {
            // A process of an earlier version, during an upgrade, stores ops without scopes:
            // classified before any reply, or a partial replica's `covered` would pass them.
            self.classify_stored_ops()?;
        }
        // Their authors' keys travel in replies: learn the ones enrolled through another process.
        if foreign
            .iter()
            .any(|op| self.node.keys().get(&op.author()).is_none())
        {
            self.reload_devices()?;
        }
        Ok(())
    }

    /// Re-reads the enrolled devices (tokens, revocations, keys) from the store.
    fn reload_devices(&mut self) -> Result<(), ApiError> {
        let mut devices = HashMap::new();
        let mut tokens = HashMap::new();
        for record in self.store.devices()? {
            if let Some(key) = record.device.public_key {
                if self.node.keys().get(&record.device.replica_id).is_none() {
                    self.node
                        .add_key(record.device.replica_id, key)
                        .map_err(|e| ApiError::storage(&StoreError::Corrupt(e.to_string())))?;
                }
            }
            tokens.insert(record.token_hash, record.device.replica_id);
            devices.insert(record.device.replica_id, record.device);
        }
        self.devices = devices;
        self.tokens = tokens;
        Ok(())
    }

    /// Rebuilds the merged replica and its keys from the store.
    fn reload_node(&mut self) -> Result<(), ApiError> {
        let mut node = SyncNode::restore(
            self.node.id(),
            Role::Server,
            HlcClock::default(),
            &*self.store,
        )?;
        for device in self.devices.values() {
            if let Some(key) = device.public_key {
                node.add_key(device.replica_id, key)
                    .map_err(|e| ApiError::storage(&StoreError::Corrupt(e.to_string())))?;
            }
        }
        self.node = node;
        Ok(())
    }

    /// Every open alert on the server's merged replica.
    pub fn alerts(&self) -> Vec<Alert> {
        self.node.replica().invariants()
    }

    /// Counts and the frontier.
    pub fn status(&self) -> Result<Status, ApiError> {
        let seen = self.store.seen()?;
        Ok(Status {
            server_replica_id: self.server_id(),
            ops: self.store.op_count()?,
            devices: self.devices.len() as u64,
            seen: seen.dots.into_iter().collect(),
        })
    }
}

/// Whether a device of `scope` is within `of` (a partial replica's municipalities, or the
/// whole ledger when `of` is empty).
fn within(scope: &[MunicipalityCode], of: &[MunicipalityCode]) -> bool {
    of.is_empty() || (!scope.is_empty() && scope.iter().all(|m| of.contains(m)))
}

/// A device as HQ's list shows it.
fn device_info(d: &Device) -> DeviceInfo {
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    DeviceInfo {
        replica_id: d.replica_id,
        name: d.name.clone(),
        role: d.role,
        venue: d.venue.clone(),
        enrolled_at: rfc(d.enrolled_at),
        revoked_at: d.revoked_at.map(rfc),
    }
}

/// The venue relay's side of the core (issue 17, `crate::relay`): the registry the centre
/// hands a relay, and the relay's own sync with the centre.
impl Core {
    /// This core serves a venue as its relay: every kiosk may hand back other devices' ops
    /// (each still verified against its author's signature and role).
    pub fn into_venue_relay(mut self) -> Self {
        self.venue_relay = true;
        self
    }

    /// Whether this core serves a venue as its relay.
    pub fn is_venue_relay(&self) -> bool {
        self.venue_relay
    }

    /// When each device last synced with this server (since it started).
    pub fn last_contacts(&self) -> &HashMap<ReplicaId, DateTime<Utc>> {
        &self.contacts
    }

    /// The time source.
    pub fn now_utc(&self) -> DateTime<Utc> {
        self.time.now_utc()
    }

    /// Notes how the relay's last sync with the centre went (`Ok` stamps it now).
    pub fn note_centre_sync(&mut self, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.centre_link = (Some(self.time.now_utc()), None),
            Err(e) => self.centre_link.1 = Some(e),
        }
    }

    /// `GET /v1/relay/status` for the device holding `token` (a venue relay only).
    pub fn relay_status_with_token(
        &mut self,
        token: &str,
    ) -> Result<vax_sync::http::RelayStatus, ApiError> {
        self.authenticate(token)?;
        if !self.venue_relay {
            return Err(ApiError::relay_only());
        }
        Ok(self.relay_status())
    }

    /// The relay's view of its venue: its link to the centre and each device's last contact.
    pub fn relay_status(&self) -> vax_sync::http::RelayStatus {
        let rfc = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut devices: Vec<_> = self
            .tokens
            .values()
            .filter_map(|id| self.devices.get(id))
            .map(|d| vax_sync::http::VenueDeviceContact {
                replica_id: d.replica_id,
                name: d.name.clone(),
                role: d.role,
                last_contact_at: self.contacts.get(&d.replica_id).map(rfc),
            })
            .collect();
        devices.sort_by(|a, b| (&a.name, a.replica_id).cmp(&(&b.name, b.replica_id)));
        vax_sync::http::RelayStatus {
            relay_replica_id: self.server_id(),
            venue: self
                .devices
                .get(&self.server_id())
                .and_then(|d| d.venue.clone()),
            centre_last_success_at: self.centre_link.0.as_ref().map(rfc),
            centre_last_error: self.centre_link.1.clone(),
            devices,
        }
    }

    /// `GET /v1/relay/registry` for the device holding `token` (relay devices only).
    pub fn relay_registry_with_token(
        &mut self,
        token: &str,
    ) -> Result<vax_sync::http::RelayRegistry, ApiError> {
        let relay = self.authenticate(token)?;
        let venue = match (relay.role, relay.venue.clone()) {
            (Role::Relay, Some(venue)) => venue,
            _ => return Err(ApiError::relay_only()),
        };
        let hashes: HashMap<ReplicaId, [u8; 32]> = self
            .store
            .devices()?
            .into_iter()
            .map(|r| (r.device.replica_id, r.token_hash))
            .collect();
        let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut devices: Vec<_> = self
            .devices
            .values()
            .map(|d| vax_sync::http::RegistryDevice {
                replica_id: d.replica_id,
                name: d.name.clone(),
                role: d.role,
                venue: d.venue.clone(),
                public_key: d.public_key,
                revoked_at: d.revoked_at.map(rfc),
                scope: d.scope.clone(),
                token_hash: if is_venue_bound(d.role) && d.venue.as_ref() == Some(&venue) {
                    hashes.get(&d.replica_id).map(|h| hex(&h[..]))
                } else {
                    None
                },
            })
            .collect();
        devices.sort_by_key(|d| d.replica_id);
        Ok(vax_sync::http::RelayRegistry {
            server_replica_id: self.server_id(),
            venue,
            devices,
        })
    }

    /// Takes the centre's registry as this relay's device list: who may sync here (the
    /// venue's devices, by their token hash), every author's role and key. Keys are only
    /// added, never replaced.
    pub fn adopt_registry(
        &mut self,
        registry: &vax_sync::http::RelayRegistry,
    ) -> Result<(), StoreError> {
        let parse_time = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| StoreError::Corrupt(format!("registry time {s:?}: {e}")))
        };
        let mut devices = HashMap::new();
        let mut tokens = HashMap::new();
        for d in &registry.devices {
            if let Some(key) = d.public_key {
                if self.node.keys().get(&d.replica_id).is_none() {
                    self.node
                        .add_key(d.replica_id, key)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                }
            }
            if let Some(hash) = d.token_hash.as_deref() {
                tokens.insert(unhex(hash)?, d.replica_id);
            }
            devices.insert(
                d.replica_id,
                Device {
                    replica_id: d.replica_id,
                    name: d.name.clone(),
                    role: d.role,
                    venue: d.venue.clone(),
                    enrolled_at: DateTime::<Utc>::UNIX_EPOCH,
                    public_key: d.public_key,
                    revoked_at: d.revoked_at.as_deref().map(parse_time).transpose()?,
                    scope: d.scope.clone(),
                },
            );
        }
        self.devices = devices;
        self.tokens = tokens;
        Ok(())
    }

    /// The relay's next message to the centre (the relay is the device here).
    pub fn upstream_generate(
        &mut self,
        state: &mut SyncState,
    ) -> Result<Option<Message>, SyncError> {
        self.node.generate_message(&*self.store, state)
    }

    /// Merges the centre's reply into the relay's log.
    pub fn upstream_receive(
        &mut self,
        state: &mut SyncState,
        message: Message,
    ) -> Result<vax_sync::Applied, SyncError> {
        // Classified as the centre did, so that a kiosk of a partial replica syncing here
        // gets its scope only.
        let store = &*self.store;
        let classified =
            crate::scope::classify_all(&message.ops, self.node.replica(), |id| store.get(id))
                .map_err(|e| SyncError::Storage(Box::new(e)))?;
        self.store
            .stage_op_scopes(crate::scope::classes(classified));
        let result = self
            .node
            .receive_message(&mut *self.store, state, message, &*self.time);
        if let Err(SyncError::Storage(_)) = &result {
            // As in `sync`: the store may have committed before it failed.
            if let Err(e) = self.reload_node() {
                tracing::error!(error = %e.body.message, "relay could not reload its log");
            }
        }
        result
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<[u8; 32], StoreError> {
    let bad = || StoreError::Corrupt(format!("token hash {s:?} is not 64 hex digits"));
    if s.len() != 64 || !s.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}
