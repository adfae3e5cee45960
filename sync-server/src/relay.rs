//! The venue relay (issue 17): this server's code run at one venue, on its LAN, so that the
//! venue's kiosks keep seeing each other's work when the venue's internet is gone.
//!
//! - The relay is enrolled to the central server as a device of role [`Role::Relay`] for one
//!   venue ([`enroll`]). The centre takes from it other devices' ops, each still verified
//!   against its author's signature, role and venue: a relay carries, it cannot forge.
//! - Its replica id is the one the centre minted, and its log a [`SqliteStore`] in its own
//!   directory; its device list is the centre's registry (`GET /v1/relay/registry`), kept in
//!   the directory too so that a relay restarted without internet still knows its kiosks.
//! - The venue's kiosks sync with it with the token they got from the centre
//!   ([`Core::into_venue_relay`]); the relay syncs with the centre whenever it can
//!   ([`upstream_round`], every few seconds).
//! - It serves TLS with a certificate it made itself ([`ensure_certificate`]); kiosks pin its
//!   fingerprint, read from the join code the manager shows as a QR
//!   ([`vax_sync_client::lan::JoinCode`]).
//!
//! - Its link to the centre is under the same [`TrustPolicy`] as a kiosk's (docs/security.md):
//!   the city's private CA pinned when one is given, plain HTTP to a centre off this machine
//!   refused unless allowed explicitly. `vaxsync relay enroll` keeps the policy it enrolled
//!   under in the directory ([`enroll_trusting`]); `vaxsync relay serve` calls the centre under
//!   it ([`centre_client`]). The in-app relay uses its kiosk's policy instead.
//!
//! - Its log holds the venue's ops (residents' names, doses): it is encrypted at rest as the
//!   server's store is (docs/encryption.md), under a key file given to `vaxsync relay encrypt`
//!   and `relay serve` (`--key-file`, `VAXSYNC_KEY_FILE`), or, for the app's relay, a key
//!   derived from the unlocked ledger's ([`RelayOptions::key`]).
//!
//! - When its log is encrypted, its two secrets are sealed under the same key
//!   ([`seal_secrets`], `DataKey::seal`): the bearer token at the centre (`token_sealed` in
//!   `identity.json`, whose other fields stay readable) and its TLS private key
//!   (`key.pem.sealed` instead of `key.pem`, given to the TLS server from memory). A stolen
//!   machine without the key gives neither the venue's residents nor a token to pull them
//!   from the centre.
//!
//! Directory layout: `identity.json` (centre URL, token or sealed token, ids), `trust.json`
//! (the pinned CA, whether plain HTTP is allowed), `registry.json`, `refused.json` (ops the
//! centre refused for good: never sent again), `relay.db` (the log, [`log_path`]), `cert.pem`
//! and `key.pem` (or `key.pem.sealed`).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::ErrorCode;
use vax_sync::http::RelayRegistry;
use vax_sync::{Applied, Message, OpId, ReplicaId, Role, SyncError, SyncState, VenueCode};
use vax_sync_client::lan::{fingerprint, JoinCode};
use vax_sync_client::{sync_session, Client, ClientError, LocalReplica, SessionError, TrustPolicy};

use crate::api::AppState;
use crate::at_rest::{KeyError, StoreKey};
use crate::core::Core;
use crate::sqlite::SqliteStore;
use crate::store::StoreError;

/// Why the relay could not do something.
#[derive(Debug, Error)]
pub enum RelayError {
    /// Its directory's files.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A file of its directory does not read back.
    #[error("{path}: {message}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Not enrolled yet (`vaxsync relay enroll`).
    #[error("{0} holds no relay identity: run `vaxsync relay enroll` first")]
    NotEnrolled(PathBuf),
    /// The code was not a relay's.
    #[error("the enrollment code is for a {0:?} device, not a venue relay")]
    NotARelayCode(Role),
    /// The centre could not be reached or refused.
    #[error(transparent)]
    Centre(#[from] ClientError),
    /// The relay's own store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A session with the centre stopped.
    #[error("sync with the centre stopped: {0}")]
    Session(String),
    /// The certificate could not be made.
    #[error("making the relay certificate: {0}")]
    Certificate(String),
    /// The listening address is taken or not this machine's.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The certificate and key do not make a TLS configuration.
    #[error(transparent)]
    Tls(#[from] crate::serve::TlsError),
    /// Plain HTTP asked for off loopback: kiosks' tokens would travel in clear.
    #[error("plain HTTP is for loopback tests only ({0} is not loopback): kiosks' tokens would travel in clear")]
    PlainHttpOffLoopback(SocketAddr),
    /// The server's threads could not start.
    #[error("starting the relay: {0}")]
    Start(String),
}

/// Who the relay is at the centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayIdentity {
    /// The central server's base URL.
    pub centre_url: String,
    /// The relay's bearer token at the centre.
    pub token: String,
    /// The relay's replica id (minted by the centre).
    pub relay_id: ReplicaId,
    /// The centre's replica id.
    pub centre_id: ReplicaId,
    /// The relay's venue.
    pub venue: VenueCode,
    /// The name it enrolled with.
    pub name: String,
}

/// `identity.json` as kept: the token in the clear (a relay whose log is plain), or sealed
/// under the log's key (`token_sealed`, hex; the plain `token` absent).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdentityFile {
    centre_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_sealed: Option<String>,
    relay_id: ReplicaId,
    centre_id: ReplicaId,
    venue: VenueCode,
    name: String,
}

/// What the relay's token is sealed for (the AEAD's associated data).
const TOKEN_LABEL: &str = "vax venue relay: centre token v1";
/// What the relay's TLS private key is sealed for.
const TLS_KEY_LABEL: &str = "vax venue relay: TLS private key v1";
/// The sealed TLS private key's file.
const SEALED_KEY_PEM: &str = "key.pem.sealed";

/// Who is enrolled in a relay directory, read without its key (the token left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolledRelay {
    /// The central server's base URL.
    pub centre_url: String,
    /// The relay's replica id.
    pub relay_id: ReplicaId,
    /// The centre's replica id.
    pub centre_id: ReplicaId,
    /// The relay's venue.
    pub venue: VenueCode,
    /// The name it enrolled with.
    pub name: String,
    /// Whether its token (and TLS key) are sealed under its log's key.
    pub sealed: bool,
}

fn key_refusal(e: KeyError) -> RelayError {
    RelayError::Store(StoreError::Key(e))
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, RelayError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| RelayError::BadFile {
                path: path.to_owned(),
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(RelayError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes through a temporary file and a rename, so a crash never leaves half a file.
/// Writes a file of the relay's directory whole or not at all, synced (a crash leaves the old
/// file or the new one).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), RelayError> {
    vax_at_rest::replace_file(path, bytes).map_err(|source| RelayError::Io {
        path: path.to_owned(),
        source,
    })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), RelayError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| RelayError::BadFile {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    write_file(path, &bytes)
}

/// Enrolls a relay at the centre with a code HQ made for role `relay` and a venue, and keeps
/// its identity in `dir` (created). The key pair it registers is never used to sign: a relay
/// writes nothing of its own.
pub fn enroll(
    dir: &Path,
    centre: &Client,
    code: &str,
    name: &str,
) -> Result<RelayIdentity, RelayError> {
    std::fs::create_dir_all(dir).map_err(|source| RelayError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let path = file(dir, "identity.json");
    if read_json::<IdentityFile>(&path)?.is_some() {
        return Err(RelayError::BadFile {
            path,
            message: "already holds a relay identity (a re-enrolled relay is a new replica: use a new directory)".into(),
        });
    }
    let key = vax_sync_client::new_device_key();
    let enrolled = centre.enroll(code, name, key.public())?;
    let venue = match (enrolled.role, enrolled.venue) {
        (Role::Relay, Some(venue)) => venue,
        (role, _) => return Err(RelayError::NotARelayCode(role)),
    };
    let identity = RelayIdentity {
        centre_url: centre.base_url().to_owned(),
        token: enrolled.token,
        relay_id: enrolled.replica_id,
        centre_id: enrolled.server_replica_id,
        venue,
        name: name.to_owned(),
    };
    write_json(
        &path,
        &identity_file(&identity, Some(identity.token.clone()), None),
    )?;
    Ok(identity)
}

/// What a relay trusts when it calls the centre, as kept in `trust.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct TrustFile {
    /// The city's private CA (PEM), pinned: the public roots are then not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ca_pem: Option<String>,
    /// Plain HTTP to a centre off this machine, allowed explicitly.
    #[serde(default)]
    allow_plain_http: bool,
}

/// Enrolls a relay at the centre at `centre_url` under `policy` (the URL checked and the
/// city's CA pinned before anything is sent), and keeps the policy in `dir` so that
/// `vaxsync relay serve` calls the centre under it too ([`centre_client`]).
pub fn enroll_trusting(
    dir: &Path,
    policy: &TrustPolicy,
    centre_url: &str,
    code: &str,
    name: &str,
) -> Result<RelayIdentity, RelayError> {
    let centre = policy.anonymous_client(centre_url)?;
    // Kept only once enrolled: a refused enrollment (or a directory that already holds a
    // relay) leaves the directory as it was.
    let identity = enroll(dir, &centre, code, name)?;
    keep_trust_policy(dir, policy)?;
    Ok(identity)
}

/// Replaces the trust policy kept in `dir` (the city renewed its CA, say).
pub fn keep_trust_policy(dir: &Path, policy: &TrustPolicy) -> Result<(), RelayError> {
    let kept = TrustFile {
        ca_pem: policy.ca_pem().map(str::to_owned),
        allow_plain_http: policy.allows_plain_http(),
    };
    write_json(&file(dir, "trust.json"), &kept)
}

/// The trust policy kept in `dir`: the public roots, plain HTTP off loopback refused, when
/// none was kept (a relay enrolled before policies were kept).
pub fn trust_policy(dir: &Path) -> Result<TrustPolicy, RelayError> {
    let path = file(dir, "trust.json");
    let kept: TrustFile = read_json(&path)?.unwrap_or_default();
    let policy = match &kept.ca_pem {
        Some(pem) => TrustPolicy::with_private_ca(pem).map_err(|e| RelayError::BadFile {
            path,
            message: e.to_string(),
        })?,
        None => TrustPolicy::public_roots(),
    };
    Ok(policy.allowing_plain_http(kept.allow_plain_http))
}

/// The centre's client for the relay `identity` under `policy` (usually [`trust_policy`]): a
/// plain-HTTP centre off this machine is refused here, before any connection, unless the
/// policy allows it.
pub fn centre_client(identity: &RelayIdentity, policy: &TrustPolicy) -> Result<Client, RelayError> {
    Ok(policy.client(&identity.centre_url, &identity.token)?)
}

fn identity_file(
    identity: &RelayIdentity,
    token: Option<String>,
    token_sealed: Option<String>,
) -> IdentityFile {
    IdentityFile {
        centre_url: identity.centre_url.clone(),
        token,
        token_sealed,
        relay_id: identity.relay_id,
        centre_id: identity.centre_id,
        venue: identity.venue.clone(),
        name: identity.name.clone(),
    }
}

fn read_identity_file(dir: &Path) -> Result<IdentityFile, RelayError> {
    read_json(&file(dir, "identity.json"))?.ok_or_else(|| RelayError::NotEnrolled(dir.to_owned()))
}

/// Who is enrolled in `dir`, without its key: enough to tell an enrolled directory and show
/// it, not to call the centre.
pub fn enrolled(dir: &Path) -> Result<EnrolledRelay, RelayError> {
    let f = read_identity_file(dir)?;
    Ok(EnrolledRelay {
        sealed: f.token.is_none() && f.token_sealed.is_some(),
        centre_url: f.centre_url,
        relay_id: f.relay_id,
        centre_id: f.centre_id,
        venue: f.venue,
        name: f.name,
    })
}

/// The relay's identity in `dir`, its token in the clear (a relay whose log is plain); a
/// sealed token is refused ([`identity_keyed`] opens it).
pub fn identity(dir: &Path) -> Result<RelayIdentity, RelayError> {
    identity_keyed(dir, None)
}

/// Whether the relay's log in `dir` is encrypted.
fn log_encrypted(dir: &Path) -> bool {
    let log = log_path(dir);
    crate::at_rest::has_content(&log) && !vax_at_rest::is_plain(&log)
}

/// The refusal of a sealed file of `dir` that `key` (or no key) does not open: the log's own
/// refusal when the key does not open the log either (the usual case: no key, another
/// relay's key), the sealed file named otherwise. Reads only.
fn sealed_refusal(dir: &Path, key: Option<&StoreKey>, sealed: &Path) -> RelayError {
    let log = log_path(dir);
    key_refusal(match key {
        None if log_encrypted(dir) => KeyError::Locked { path: log },
        None => KeyError::Sealed {
            path: dir.to_owned(),
        },
        Some(key) if log_encrypted(dir) && vax_at_rest::keyed_connection(&log, key).is_err() => {
            KeyError::WrongKey { path: log }
        }
        Some(_) => KeyError::SealedWrongKey {
            path: sealed.to_owned(),
        },
    })
}

/// The relay's identity in `dir`, its token unsealed with `key` (its log's) when sealed.
/// A sealed token without the key, or with a key that does not open it, is refused as its
/// log would be (`KeyError`), with nothing changed.
pub fn identity_keyed(dir: &Path, key: Option<&StoreKey>) -> Result<RelayIdentity, RelayError> {
    let path = file(dir, "identity.json");
    let f = read_identity_file(dir)?;
    let token = match (&f.token, &f.token_sealed) {
        (Some(token), _) => token.clone(),
        (None, Some(sealed)) => {
            let opened = key.and_then(|key| {
                let bytes = hex::decode(sealed).ok()?;
                let plain = key.open_sealed(TOKEN_LABEL, &bytes).ok()?;
                String::from_utf8(plain).ok()
            });
            opened.ok_or_else(|| sealed_refusal(dir, key, &path))?
        }
        (None, None) => {
            return Err(RelayError::BadFile {
                path,
                message: "holds no token".into(),
            })
        }
    };
    Ok(RelayIdentity {
        centre_url: f.centre_url,
        token,
        relay_id: f.relay_id,
        centre_id: f.centre_id,
        venue: f.venue,
        name: f.name,
    })
}

/// Seals the token and the TLS private key of the relay in `dir` under `key` (its log's key,
/// which the caller has checked opens the log), in place: `identity.json` rewritten with
/// `token_sealed` instead of `token` (a synced temporary file renamed over it), then
/// `key.pem.sealed` written and synced before `key.pem` is removed. Each step is whole or not
/// done; a run cut short is finished by the next (`relay encrypt`, `relay serve` with the key,
/// the app's relay at its start). Already sealed under `key`: nothing is written. Sealed
/// under `previous` (a change of key): sealed again under `key`. Sealed under neither:
/// refused ([`KeyError::SealedWrongKey`]).
pub fn seal_secrets(
    dir: &Path,
    key: &StoreKey,
    previous: Option<&StoreKey>,
) -> Result<(), RelayError> {
    let at_rest = |e: vax_at_rest::AtRestError| key_refusal(KeyError::AtRest(e));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| RelayError::Io { path, source }
    };
    // The token.
    let path = file(dir, "identity.json");
    let mut f = read_identity_file(dir)?;
    let token = match (f.token.take(), f.token_sealed.as_deref()) {
        (Some(token), _) => Some(token),
        (None, Some(sealed)) => {
            let bytes = hex::decode(sealed).unwrap_or_default();
            if key.open_sealed(TOKEN_LABEL, &bytes).is_ok() {
                None
            } else {
                let plain = previous
                    .and_then(|old| old.open_sealed(TOKEN_LABEL, &bytes).ok())
                    .and_then(|plain| String::from_utf8(plain).ok())
                    .ok_or_else(|| sealed_refusal(dir, Some(key), &path))?;
                Some(plain)
            }
        }
        (None, None) => {
            return Err(RelayError::BadFile {
                path,
                message: "holds no token".into(),
            })
        }
    };
    if let Some(token) = token {
        f.token_sealed = Some(hex::encode(
            key.seal(TOKEN_LABEL, token.as_bytes()).map_err(at_rest)?,
        ));
        write_json(&path, &f)?;
    }
    // The TLS private key.
    let (plain, sealed) = (file(dir, "key.pem"), file(dir, SEALED_KEY_PEM));
    let kept = match std::fs::read(&sealed) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&sealed)(e)),
    };
    let pem = match kept {
        Some(bytes) if key.open_sealed(TLS_KEY_LABEL, &bytes).is_ok() => None,
        Some(bytes) => match previous.and_then(|old| old.open_sealed(TLS_KEY_LABEL, &bytes).ok()) {
            Some(pem) => Some(pem),
            // Left by a run under a key that is not this log's: the plain key is the one.
            None if plain.exists() => Some(std::fs::read(&plain).map_err(io(&plain))?),
            None => return Err(sealed_refusal(dir, Some(key), &sealed)),
        },
        None if plain.exists() => Some(std::fs::read(&plain).map_err(io(&plain))?),
        None => None, // no certificate made yet: made sealed at the first TLS start
    };
    if let Some(pem) = pem {
        write_file(&sealed, &key.seal(TLS_KEY_LABEL, &pem).map_err(at_rest)?)?;
    }
    if plain.exists() {
        std::fs::remove_file(&plain)
            .and_then(|()| vax_at_rest::sync_dir(&plain))
            .map_err(io(&plain))?;
    }
    Ok(())
}

/// The relay's log in `dir`: a server store (SQLite, encrypted at rest or not).
pub fn log_path(dir: &Path) -> PathBuf {
    file(dir, "relay.db")
}

/// Opens the relay's log (its replica id is the one the centre minted) and its last known
/// registry, ready to serve.
pub fn open(dir: &Path) -> Result<(RelayIdentity, AppState), RelayError> {
    open_keyed(dir, None)
}

/// [`open`] with the log's key when it is encrypted at rest: refused, with nothing changed,
/// as the server's store is ([`SqliteStore::open_keyed`]).
pub fn open_keyed(
    dir: &Path,
    key: Option<&StoreKey>,
) -> Result<(RelayIdentity, AppState), RelayError> {
    // The log first: without its key, or with another, the log's own refusal.
    let enrolled = enrolled(dir)?;
    let store = SqliteStore::open_as_keyed(&log_path(dir), enrolled.relay_id, key)?;
    let identity = identity_keyed(dir, key)?;
    let mut core = Core::open(Box::new(store))?.into_venue_relay();
    if let Some(registry) = read_json::<RelayRegistry>(&file(dir, "registry.json"))? {
        core.adopt_registry(&registry)?;
    }
    Ok((identity, AppState::new(core)))
}

/// Encrypts the log of the relay enrolled in `dir` in place under `key` (a key its host keeps:
/// the app's, derived from its unlocked ledger's), as `vaxsync relay encrypt` does under a key
/// file; a log encrypted under `key` already is left as it is.
/// Its token and TLS key are sealed under `key` too ([`seal_secrets`]), also when the log was
/// encrypted already (a relay encrypted before they were sealed, a run cut short).
pub fn encrypt_log(dir: &Path, key: &StoreKey) -> Result<crate::at_rest::Encrypted, RelayError> {
    enrolled(dir)?;
    let done = crate::at_rest::encrypt_store_under(&log_path(dir), key)?;
    seal_secrets(dir, key, None)?;
    Ok(done)
}

/// The relay's TLS certificate and key in `dir`, made on first use for these names (the
/// addresses kiosks reach it at); returns their paths and the fingerprint kiosks pin. For a
/// relay whose key is in the clear only: a sealed key is refused ([`certificate`] opens it).
pub fn ensure_certificate(
    dir: &Path,
    names: &[String],
) -> Result<(PathBuf, PathBuf, String), RelayError> {
    let (_, _, fingerprint) = certificate(dir, names, None)?;
    Ok((file(dir, "cert.pem"), file(dir, "key.pem"), fingerprint))
}

/// The relay's TLS certificate and private key (PEM) and the fingerprint kiosks pin, made on
/// first use for `names`. Under `key` (an encrypted relay) the private key is kept sealed
/// (`key.pem.sealed`) and only ever in memory in the clear; without a key it is `key.pem`,
/// and a sealed one is refused rather than replaced.
pub fn certificate(
    dir: &Path,
    names: &[String],
    key: Option<&StoreKey>,
) -> Result<(Vec<u8>, Zeroized, String), RelayError> {
    let (cert, plain, sealed) = (
        file(dir, "cert.pem"),
        file(dir, "key.pem"),
        file(dir, SEALED_KEY_PEM),
    );
    if key.is_none() && sealed.exists() && !plain.exists() {
        return Err(sealed_refusal(dir, None, &sealed));
    }
    let has_key = if key.is_some() {
        sealed.exists()
    } else {
        plain.exists()
    };
    if !cert.exists() || !has_key {
        let made = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| RelayError::Certificate(e.to_string()))?;
        let pem = made.signing_key.serialize_pem();
        match key {
            Some(key) => {
                let bytes = key
                    .seal(TLS_KEY_LABEL, pem.as_bytes())
                    .map_err(|e| key_refusal(KeyError::AtRest(e)))?;
                write_file(&sealed, &bytes)?;
            }
            None => write_file(&plain, pem.as_bytes())?,
        }
        write_file(&cert, made.cert.pem().as_bytes())?;
    }
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| RelayError::Io {
            path: path.to_owned(),
            source,
        })
    };
    let cert_pem = read(&cert)?;
    let key_pem = match key {
        Some(key) => key
            .open_sealed(TLS_KEY_LABEL, &read(&sealed)?)
            .map_err(|_| sealed_refusal(dir, Some(key), &sealed))?,
        None => read(&plain)?,
    };
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(&cert_pem).map_err(|e| {
        RelayError::BadFile {
            path: cert.clone(),
            message: e.to_string(),
        }
    })?;
    let fingerprint = fingerprint(&der);
    Ok((cert_pem, Zeroized(key_pem), fingerprint))
}

/// Secret bytes (a private key in PEM), overwritten with zeros when dropped and never printed.
pub struct Zeroized(Vec<u8>);

impl Zeroized {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Zeroized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Zeroized(…)")
    }
}

impl Drop for Zeroized {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// The join code for kiosks: the relay's address, id and certificate fingerprint.
pub fn join_code(identity: &RelayIdentity, url: &str, fingerprint: Option<String>) -> JoinCode {
    JoinCode {
        url: url.trim_end_matches('/').to_owned(),
        relay_id: identity.relay_id,
        fingerprint,
    }
}

/// The relay's log as the local side of a session with the centre, locked one step at a
/// time so that kiosks keep syncing while bytes travel to the centre.
struct Upstream<'a> {
    core: Arc<Mutex<Core>>,
    refused: &'a [OpId],
}

impl Upstream<'_> {
    fn with_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        f(&mut self.core.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl LocalReplica for Upstream<'_> {
    type Error = SyncError;

    fn generate(&mut self, state: &mut SyncState) -> Result<Option<Message>, SyncError> {
        self.with_core(|core| core.upstream_generate(state))
    }

    fn receive(&mut self, state: &mut SyncState, message: Message) -> Result<Applied, SyncError> {
        self.with_core(|core| core.upstream_receive(state, message))
    }

    fn quarantined(&mut self) -> Result<Vec<OpId>, SyncError> {
        Ok(self.refused.to_vec())
    }

    fn quarantine(&mut self, _op: OpId, _code: ErrorCode, _reason: &str) -> Result<(), SyncError> {
        Ok(()) // a relay writes no op of its own, so the centre never names one
    }
}

/// What one round with the centre did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamReport {
    /// Ops sent to the centre.
    pub sent_ops: usize,
    /// Ops received from it.
    pub received_ops: usize,
    /// Ops the centre refused for good in this round (another device's: the relay stops
    /// carrying them; their author's kiosk quarantines them at its next sync with the centre).
    pub refused: Vec<OpId>,
}

/// One round with the centre: fetch the registry (who may sync here, every author's role and
/// key), then one sync session. The outcome is noted for `GET /v1/relay/status`.
pub fn upstream_round(
    dir: &Path,
    state: &AppState,
    centre: &Client,
    identity: &RelayIdentity,
) -> Result<UpstreamReport, RelayError> {
    let core = state.core();
    let result = upstream_round_inner(dir, &core, centre, identity);
    let note = match &result {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    core.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .note_centre_sync(note);
    result
}

fn upstream_round_inner(
    dir: &Path,
    core: &Arc<Mutex<Core>>,
    centre: &Client,
    identity: &RelayIdentity,
) -> Result<UpstreamReport, RelayError> {
    let registry = centre.relay_registry()?;
    write_json(&file(dir, "registry.json"), &registry)?;
    core.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .adopt_registry(&registry)?;
    let refused_path = file(dir, "refused.json");
    let mut refused: Vec<OpId> = read_json(&refused_path)?.unwrap_or_default();
    let mut report = UpstreamReport::default();
    // Each refusal names one op; a few rounds at most in practice, bounded anyway.
    for _ in 0..100 {
        let mut local = Upstream {
            core: Arc::clone(core),
            refused: &refused,
        };
        match sync_session(&mut local, centre, identity.centre_id) {
            Ok(done) => {
                report.sent_ops += done.sent_ops;
                report.received_ops += done.received_ops;
                return Ok(report);
            }
            Err(SessionError::Transport(ClientError::Server {
                op: Some(op),
                retryable: false,
                code,
                message,
                ..
            })) => {
                tracing::warn!(%op, ?code, %message, "the centre refused an op the relay carried; not carried again");
                refused.push(op);
                report.refused.push(op);
                write_json(&refused_path, &refused)?;
            }
            Err(SessionError::Transport(e)) => return Err(e.into()),
            Err(e) => return Err(RelayError::Session(e.to_string())),
        }
    }
    Err(RelayError::Session("the centre refused op after op".into()))
}

/// How a relay listens and how often it syncs with the centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayOptions {
    /// Where it listens (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The address kiosks reach it at, in its certificate and join code (defaults to the
    /// listen address).
    pub advertise: Option<String>,
    /// The pause between two rounds with the centre.
    pub every: Duration,
    /// Plain HTTP instead of TLS (loopback tests only: refused on another address).
    pub plain_http: bool,
    /// The key of its log when the log is encrypted at rest (never printed).
    pub key: Option<StoreKey>,
}

/// A relay serving on its own threads ([`start`]): the HTTP server (a Tokio runtime of its
/// own) and the rounds with the centre. [`RunningRelay::stop`] ends both and frees the port;
/// so does dropping it.
pub struct RunningRelay {
    identity: RelayIdentity,
    addr: SocketAddr,
    join: JoinCode,
    stop_server: Option<tokio::sync::oneshot::Sender<()>>,
    stop_upstream: Option<mpsc::Sender<()>>,
    server: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for RunningRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningRelay")
            .field("relay_id", &self.identity.relay_id)
            .field("addr", &self.addr)
            .field("url", &self.join.url)
            .finish_non_exhaustive()
    }
}

impl RunningRelay {
    /// Who the relay is at the centre.
    pub fn identity(&self) -> &RelayIdentity {
        &self.identity
    }

    /// The address it listens on (the port chosen when port 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The join code kiosks scan: its URL, id and certificate fingerprint.
    pub fn join_code(&self) -> &JoinCode {
        &self.join
    }

    /// Serves until `shutdown` resolves (ctrl-c for `vaxsync relay serve`), then stops.
    pub fn serve_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), RelayError> {
        let stop = self.stop_server.take();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RelayError::Start(e.to_string()))?;
        runtime.block_on(shutdown);
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        self.stop()
    }

    /// Stops serving (requests in flight finish, at most 10 s) and the rounds with the
    /// centre (a round under way finishes on its own; it only writes what it received); the
    /// port is free when this returns.
    pub fn stop(mut self) -> Result<(), RelayError> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<(), RelayError> {
        if let Some(stop) = self.stop_server.take() {
            let _ = stop.send(());
        }
        drop(self.stop_upstream.take());
        let served = match self.server.take() {
            Some(server) => server
                .join()
                .map_err(|_| RelayError::Start("the relay's server thread panicked".into()))?,
            None => Ok(()),
        };
        served.map_err(|source| RelayError::Listen {
            addr: self.addr,
            source,
        })
    }
}

impl Drop for RunningRelay {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

/// Starts the relay enrolled in `dir`: listens (TLS with its own certificate, made on first
/// use for the advertised address), serves the venue's kiosks on a thread of its own, and
/// syncs with `centre` every `options.every` on another. The caller builds the centre's
/// client (its trust policy, its timeouts).
pub fn start(
    dir: &Path,
    options: &RelayOptions,
    centre: Client,
) -> Result<RunningRelay, RelayError> {
    let (identity, state) = open_keyed(dir, options.key.as_ref())?;
    // The key opens the log: a token or TLS key still in the clear beside it (a relay
    // encrypted before they were sealed, an encryption cut short) is sealed now.
    if let Some(key) = &options.key {
        seal_secrets(dir, key, None)?;
    }
    let listen_error = |source| RelayError::Listen {
        addr: options.listen,
        source,
    };
    let listener = TcpListener::bind(options.listen).map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    let host = options
        .advertise
        .clone()
        .unwrap_or_else(|| addr.ip().to_string());
    let (tls, url, fingerprint) = if options.plain_http {
        if !addr.ip().is_loopback() {
            return Err(RelayError::PlainHttpOffLoopback(addr));
        }
        (None, format!("http://{host}:{}", addr.port()), None)
    } else {
        let (cert, key, fingerprint) =
            certificate(dir, std::slice::from_ref(&host), options.key.as_ref())?;
        (
            Some(crate::serve::tls_config_pem(
                &cert,
                key.bytes(),
                &format!("the relay's certificate in {}", dir.display()),
            )?),
            format!("https://{host}:{}", addr.port()),
            Some(fingerprint),
        )
    };
    let join = join_code(&identity, &url, fingerprint);
    tracing::info!(relay = %identity.relay_id, venue = %identity.venue.0, centre = %identity.centre_url, %addr, "venue relay started");

    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let served_state = state.clone();
    let server = std::thread::Builder::new()
        .name("vax-relay-serve".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(crate::serve::serve(listener, served_state, tls, async {
                let _ = stopped.await;
            }))
        })
        .map_err(|e| RelayError::Start(e.to_string()))?;

    let (stop_upstream, upstream_stopped) = mpsc::channel::<()>();
    let (upstream_dir, upstream_identity, every) =
        (dir.to_owned(), identity.clone(), options.every);
    std::thread::Builder::new()
        .name("vax-relay-centre".into())
        .spawn(move || loop {
            match upstream_round(&upstream_dir, &state, &centre, &upstream_identity) {
                Ok(r) if r.sent_ops + r.received_ops > 0 => tracing::info!(
                    sent = r.sent_ops,
                    received = r.received_ops,
                    "synced with the centre"
                ),
                Ok(_) => {}
                // A certificate not signed by the pinned CA or a refused address will not
                // mend by itself: said at warn, where the person running the relay sees it.
                Err(RelayError::Centre(e)) if e.is_permanent() => {
                    tracing::warn!(error = %e, "the centre was refused")
                }
                Err(e) => tracing::debug!(error = %e, "centre not reached"),
            }
            // A message or a dropped sender both mean stop; a timeout is the next round.
            if upstream_stopped.recv_timeout(every) != Err(mpsc::RecvTimeoutError::Timeout) {
                return;
            }
        })
        .map_err(|e| RelayError::Start(e.to_string()))?;

    Ok(RunningRelay {
        identity,
        addr,
        join,
        stop_server: Some(stop_server),
        stop_upstream: Some(stop_upstream),
        server: Some(server),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "relay-token-do-not-leak-0123456789";

    fn rand_id() -> u128 {
        u128::from_le_bytes(vax_at_rest::random_bytes().unwrap())
    }

    /// A relay directory as `enroll` leaves it (no centre needed), with its certificate made.
    fn enrolled_dir() -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let identity = RelayIdentity {
            centre_url: "https://centre.example".into(),
            token: TOKEN.into(),
            relay_id: ReplicaId(uuid::Uuid::from_u128(rand_id())),
            centre_id: ReplicaId(uuid::Uuid::from_u128(rand_id())),
            venue: VenueCode::new("V01"),
            name: "V01 relay".into(),
        };
        write_json(
            &file(dir.path(), "identity.json"),
            &identity_file(&identity, Some(TOKEN.into()), None),
        )
        .unwrap();
        let (_, pem, _) = certificate(dir.path(), &["127.0.0.1".into()], None).unwrap();
        (dir, pem.bytes().to_vec())
    }

    fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut all: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect();
        all.sort();
        all
    }

    fn holds(files: &[(PathBuf, Vec<u8>)], text: &str) -> bool {
        files
            .iter()
            .any(|(_, b)| b.windows(text.len()).any(|w| w == text.as_bytes()))
    }

    fn key_error(e: RelayError) -> KeyError {
        match e {
            RelayError::Store(StoreError::Key(e)) => e,
            e => panic!("not a key refusal: {e}"),
        }
    }

    #[test]
    fn sealed_secrets_leave_nothing_in_the_clear_and_open_with_their_key_only() {
        let (dir, pem) = enrolled_dir();
        let dir = dir.path();
        let names = ["127.0.0.1".to_owned()];
        assert!(holds(&files(dir), TOKEN) && holds(&files(dir), "PRIVATE KEY"));
        let (k1, k2) = (StoreKey::random().unwrap(), StoreKey::random().unwrap());

        seal_secrets(dir, &k1, None).unwrap();
        let sealed = files(dir);
        assert!(!holds(&sealed, TOKEN), "the token sealed");
        assert!(!holds(&sealed, "PRIVATE KEY"), "the TLS key sealed");
        assert!(!file(dir, "key.pem").exists());
        assert_eq!(identity_keyed(dir, Some(&k1)).unwrap().token, TOKEN);
        assert_eq!(enrolled(dir).unwrap().name, "V01 relay");
        assert!(enrolled(dir).unwrap().sealed);
        let (_, opened, _) = certificate(dir, &names, Some(&k1)).unwrap();
        assert_eq!(opened.bytes(), pem, "the same TLS key, from memory");

        // Without the key, or with another: refused, nothing written (no new key.pem made).
        assert!(matches!(
            key_error(identity(dir).unwrap_err()),
            KeyError::Sealed { .. }
        ));
        assert!(matches!(
            key_error(identity_keyed(dir, Some(&k2)).unwrap_err()),
            KeyError::SealedWrongKey { .. }
        ));
        assert!(matches!(
            key_error(certificate(dir, &names, None).unwrap_err()),
            KeyError::Sealed { .. }
        ));
        assert!(matches!(
            key_error(certificate(dir, &names, Some(&k2)).unwrap_err()),
            KeyError::SealedWrongKey { .. }
        ));
        assert!(matches!(
            key_error(seal_secrets(dir, &k2, None).unwrap_err()),
            KeyError::SealedWrongKey { .. }
        ));
        assert_eq!(files(dir), sealed, "nothing changed");

        // A second run changes nothing.
        seal_secrets(dir, &k1, None).unwrap();
        assert_eq!(files(dir), sealed);
    }

    #[test]
    fn a_sealing_cut_short_is_finished_and_a_change_of_key_seals_again() {
        let (dir, pem) = enrolled_dir();
        let dir = dir.path();
        let names = ["127.0.0.1".to_owned()];
        let (k1, k2) = (StoreKey::random().unwrap(), StoreKey::random().unwrap());
        seal_secrets(dir, &k1, None).unwrap();
        // Cut short after the sealed key file was written, before the plain one went.
        std::fs::write(file(dir, "key.pem"), &pem).unwrap();
        seal_secrets(dir, &k1, None).unwrap();
        assert!(!file(dir, "key.pem").exists());
        assert!(!holds(&files(dir), "PRIVATE KEY"));
        let (_, opened, _) = certificate(dir, &names, Some(&k1)).unwrap();
        assert_eq!(opened.bytes(), pem);

        // A change of key: sealed again under the new one, the old one refused.
        seal_secrets(dir, &k2, Some(&k1)).unwrap();
        assert_eq!(identity_keyed(dir, Some(&k2)).unwrap().token, TOKEN);
        assert!(identity_keyed(dir, Some(&k1)).is_err());
        let (_, opened, _) = certificate(dir, &names, Some(&k2)).unwrap();
        assert_eq!(opened.bytes(), pem);
        assert!(certificate(dir, &names, Some(&k1)).is_err());
        let once = files(dir);
        seal_secrets(dir, &k2, Some(&k1)).unwrap();
        assert_eq!(files(dir), once, "a second run changes nothing");
        assert!(!holds(&once, TOKEN) && !holds(&once, "PRIVATE KEY"));
    }

    #[test]
    fn a_plain_relay_keeps_its_token_and_key_as_before() {
        let (dir, pem) = enrolled_dir();
        let dir = dir.path();
        assert_eq!(identity(dir).unwrap().token, TOKEN);
        assert!(!enrolled(dir).unwrap().sealed);
        let (cert, key, _) = ensure_certificate(dir, &["127.0.0.1".into()]).unwrap();
        assert!(cert.exists());
        assert_eq!(std::fs::read(key).unwrap(), pem);
        let kept: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file(dir, "identity.json")).unwrap()).unwrap();
        assert_eq!(kept["token"], TOKEN);
        assert!(kept.get("token_sealed").is_none());
    }
}
