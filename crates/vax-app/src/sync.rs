//! Replication from the app's side: enrolling this device with the sync server, one sync
//! session, and the status people see (last sync, ops waiting, a colour when data has waited
//! too long). The ledger keeps ops and rows in step; this module moves them.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, FixedOffset};
use serde::Serialize;
use thiserror::Error;
use vax_domain::clock::Clock;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::{Ledger, LedgerError};
use vax_sync::{
    Alert, Applied, EventKind, Message, OpId, ReplicaId, Role as SyncRole, SyncState, VenueCode,
};
use vax_sync_client::{
    sync_session_with, Client, ClientError, LocalReplica, SessionError, SessionOptions, TrustPolicy,
};

use crate::desk::{self, DeskError};

pub(crate) const KEY_SERVER_URL: &str = "sync.server_url";
pub(crate) const KEY_TOKEN: &str = "sync.token";
const KEY_SERVER_ID: &str = "sync.server_replica_id";
const KEY_VENUE: &str = "sync.venue";
const KEY_MUNICIPALITY: &str = "sync.municipality";
const KEY_ENROLLED_AT: &str = "sync.enrolled_at";
const KEY_LAST_SUCCESS: &str = "sync.last_success_at";
const KEY_LAST_ATTEMPT: &str = "sync.last_attempt_at";
const KEY_LAST_ERROR: &str = "sync.last_error";
const KEY_OWN_OPS_SYNCED: &str = "sync.own_ops_at_last_success";
/// The city's private CA (PEM) the device pins, when set (docs/security.md).
const KEY_CA_PEM: &str = "sync.ca_pem";
/// `"true"` when HQ allowed plain HTTP to a server off this machine.
const KEY_ALLOW_PLAIN_HTTP: &str = "sync.allow_plain_http";

/// Ops that have waited longer than this turn the status amber.
pub const LATE_AFTER_MINUTES: i64 = 5;
/// And red after this.
pub const STALE_AFTER_MINUTES: i64 = 30;

/// Why a sync step did not happen.
#[derive(Debug, Error)]
pub enum SyncAppError {
    /// No server configured on this device.
    #[error("this device is not enrolled with a sync server")]
    NotConfigured,
    /// Already enrolled: a device enrolls once (a re-enrolled device is a new replica).
    #[error("this device is already enrolled as replica {0}")]
    AlreadyEnrolled(String),
    /// A device other than HQ joined with a ledger holding records made before it joined:
    /// only HQ publishes those (`Ledger::publish_existing`), so the ledger stays standalone.
    #[error(
        "this ledger holds records made before it joined ({}); a venue device joins with a \
         ledger that has none (back-enter them from paper after joining). The enrolment code is \
         now used: ask HQ for a new one",
        records_list(.0, false)
    )]
    RecordsBeforeJoining(Vec<(&'static str, u64)>),
    /// The server refused or could not be reached.
    #[error(transparent)]
    Server(#[from] ClientError),
    /// The session stopped; what was exchanged before is kept on both sides.
    #[error("sync stopped: {0}")]
    Session(String),
    /// The campaign's municipality code is not valid.
    #[error("municipality code: {0}")]
    Municipality(vax_domain::voucher::VoucherError),
    /// Enrolling the desk (venue and role) failed.
    #[error(transparent)]
    Desk(#[from] DeskError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UserFacing for SyncAppError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotConfigured => ErrorCode::SyncNotConfigured,
            Self::AlreadyEnrolled(_) => ErrorCode::SyncAlreadyEnrolled,
            Self::RecordsBeforeJoining(_) => ErrorCode::SyncRecordsBeforeJoining,
            Self::Server(ClientError::PlainHttpRefused { .. }) => ErrorCode::PlainHttpRefused,
            Self::Server(ClientError::Certificate(_) | ClientError::BadUrl(_)) => {
                ErrorCode::InvalidInput
            }
            Self::Server(e) if e.is_retryable() => ErrorCode::SyncOffline,
            Self::Server(_) => ErrorCode::SyncRefused,
            Self::Session(_) => ErrorCode::SyncStopped,
            Self::Municipality(_) => ErrorCode::InvalidInput,
            Self::Desk(e) => e.code(),
            Self::Ledger(_) => ErrorCode::Ledger,
        }
    }

    /// The message for the person at the desk.
    fn message_ja(&self) -> String {
        match self {
            Self::NotConfigured => "この端末は同期サーバーに登録されていません".into(),
            Self::AlreadyEnrolled(_) => {
                "この端末は既に同期サーバーに登録されています。再登録は新しい台帳で行ってください"
                    .into()
            }
            Self::RecordsBeforeJoining(held) => format!(
                "この台帳には同期に参加する前の記録があります（{}）。会場の端末は記録のない台帳で\
                 参加し、参加前の記録は紙から後入力してください。使った登録コードは無効になったため、\
                 本部に新しいコードを発行してもらってください",
                records_list(held, true)
            ),
            Self::Server(e) => e.message_ja(),
            Self::Session(_) => "同期が途中で止まりました。次回の同期で続きから再開します".into(),
            Self::Municipality(e) => format!("市町村コード: {}", e.message_ja()),
            Self::Desk(e) => e.message_ja(),
            Self::Ledger(_) => "台帳の読み書きに失敗しました".into(),
        }
    }
}

/// "doses 3, check-ins 2": the records a ledger held before it joined, in words.
fn records_list(held: &[(&'static str, u64)], japanese: bool) -> String {
    let sep = if japanese { "、" } else { ", " };
    held.iter()
        .map(|(table, n)| {
            let (ja, en) = match *table {
                "dose_records" => ("接種", "doses"),
                "check_ins" => ("受付", "check-ins"),
                "stock_events" => ("在庫の記録", "stock events"),
                "inquiries" => ("問い合わせ", "calls"),
                "standby_calls" => ("待機者への連絡", "standby calls"),
                "transport_ride_marks" => ("送迎の乗車記録", "ride marks"),
                other => (other, other),
            };
            if japanese {
                format!("{ja}{n}件")
            } else {
                format!("{en} {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// What enrollment did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Enrolled {
    /// This device's replica id.
    pub replica_id: String,
    /// Its role.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub role: SyncRole,
    /// Its venue, for venue-bound roles.
    pub venue: Option<String>,
    /// Ops HQ wrote to publish what its ledger already held (0 for other roles).
    pub published_ops: usize,
}

/// Exchanges an enrollment code for this device's identity, makes the ledger a replica, and
/// (HQ) publishes what the ledger already holds. The desk is enrolled to the server's venue and
/// role as soon as the venue is known locally (after the first sync on a new device).
pub fn enroll_device(
    ledger: &mut Ledger,
    server_url: &str,
    code: &str,
    device_name: &str,
    municipality: &str,
    now: DateTime<FixedOffset>,
) -> Result<Enrolled, SyncAppError> {
    enroll_device_trusting(
        ledger,
        server_url,
        code,
        device_name,
        municipality,
        None,
        now,
    )
}

/// [`enroll_device`] trusting the city's private CA in `ca_pem` (pinned from then on: the
/// public roots are no longer used), stored with the enrollment. `None` keeps the CA the
/// ledger already holds ([`set_private_ca`]), if any.
pub fn enroll_device_trusting(
    ledger: &mut Ledger,
    server_url: &str,
    code: &str,
    device_name: &str,
    municipality: &str,
    ca_pem: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<Enrolled, SyncAppError> {
    let mut policy = trust_policy(ledger)?;
    if let Some(pem) = ca_pem.map(str::trim).filter(|p| !p.is_empty()) {
        policy = TrustPolicy::with_private_ca(pem)?.allowing_plain_http(policy.allows_plain_http());
    }
    let municipality =
        MunicipalityCode::parse(municipality.trim()).map_err(SyncAppError::Municipality)?;
    if let Some((id, _)) = ledger.replica_identity() {
        return Err(SyncAppError::AlreadyEnrolled(id.to_string()));
    }
    let server_url = server_url.trim().trim_end_matches('/');
    // The key pair is made here, for this enrollment: the public half goes to the server,
    // the private half stays in this ledger (docs/sync-spec.md §3a).
    let key = vax_sync_client::new_device_key();
    let enrollment =
        policy
            .anonymous_client(server_url)?
            .enroll(code, device_name, key.public())?;
    // Only HQ publishes what the ledger held before: another device's records of another
    // venue, or of a kind its role may not write, would be refused by the server for ever.
    if enrollment.role != SyncRole::Hq {
        let held = ledger.unpublished_events()?;
        if !held.is_empty() {
            return Err(SyncAppError::RecordsBeforeJoining(held));
        }
    }
    {
        let tx = ledger.transaction()?;
        if let Some(pem) = policy.ca_pem() {
            tx.set_setting(KEY_CA_PEM, pem)?;
        }
        tx.set_setting(KEY_SERVER_URL, server_url)?;
        tx.set_setting(KEY_TOKEN, &enrollment.token)?;
        tx.set_setting(KEY_SERVER_ID, &enrollment.server_replica_id.to_string())?;
        tx.set_setting(KEY_MUNICIPALITY, municipality.as_str())?;
        tx.set_setting(KEY_ENROLLED_AT, &now.to_rfc3339())?;
        if let Some(v) = &enrollment.venue {
            tx.set_setting(KEY_VENUE, &v.0)?;
        }
        if !enrollment.scope.is_empty() {
            let scope: Vec<&str> = enrollment.scope.iter().map(|m| m.as_str()).collect();
            tx.set_setting(vax_ledger::KEY_SCOPE, &scope.join(" "))?;
        }
        tx.commit()?;
    }
    ledger.start_replicating(enrollment.replica_id, enrollment.role, &key)?;
    let published_ops = if enrollment.role == SyncRole::Hq {
        ledger.publish_existing()?
    } else {
        0
    };
    enroll_desk_when_possible(ledger)?;
    Ok(Enrolled {
        replica_id: enrollment.replica_id.to_string(),
        role: enrollment.role,
        venue: enrollment.venue.map(|v| v.0),
        published_ops,
    })
}

/// Enrolls the desk (venue, app role, municipality) to match the server's enrollment once
/// the venue is in the ledger. HQ and the call centre keep any venue they had, or take the
/// first one.
fn enroll_desk_when_possible(ledger: &mut Ledger) -> Result<(), SyncAppError> {
    let Some((_, role)) = ledger.replica_identity() else {
        return Ok(());
    };
    let Some(app_role) = role.app_role() else {
        return Ok(());
    };
    let reader = ledger.reader();
    let Some(municipality) = reader.setting(KEY_MUNICIPALITY)? else {
        return Ok(());
    };
    let current = desk::enrollment(ledger)?;
    let venue = match reader.setting(KEY_VENUE)? {
        Some(v) => Some(v),
        None => current
            .as_ref()
            .map(|e| e.venue_code.clone())
            .or_else(|| reader.venues().ok()?.first().map(|v| v.venue.code.clone())),
    };
    let Some(venue) = venue else {
        return Ok(());
    };
    if reader.venue(&venue).is_err() {
        return Ok(()); // not here yet: the first sync brings it
    }
    if current.is_some_and(|e| e.venue_code == venue && e.role == app_role) {
        return Ok(());
    }
    let municipality = MunicipalityCode::parse(&municipality)
        .map_err(|e| SyncAppError::Session(format!("stored municipality is invalid: {e}")))?;
    desk::enroll(ledger, &venue, app_role, &municipality)?;
    Ok(())
}

/// How a sync session reaches the ledger: directly (the CLI), or through the app's lock,
/// taken for each local step only, so that desks keep writing while bytes are on the wire.
pub trait LedgerAccess {
    /// Runs `f` on the ledger.
    fn with_ledger<R>(&mut self, f: impl FnOnce(&mut Ledger) -> R) -> R;
}

impl LedgerAccess for &mut Ledger {
    fn with_ledger<R>(&mut self, f: impl FnOnce(&mut Ledger) -> R) -> R {
        f(self)
    }
}

impl LedgerAccess for &Mutex<Ledger> {
    fn with_ledger<R>(&mut self, f: impl FnOnce(&mut Ledger) -> R) -> R {
        // A panic elsewhere while holding the lock leaves the ledger consistent (every write
        // is one transaction), so a poisoned lock is taken over.
        let mut guard = self.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

/// The ledger as the local side of a sync session, and the session's time (stamps a
/// quarantine).
pub(crate) struct LedgerReplica<A>(pub(crate) A, pub(crate) DateTime<FixedOffset>);

impl<A: LedgerAccess> LocalReplica for LedgerReplica<A> {
    type Error = LedgerError;

    fn generate(&mut self, state: &mut SyncState) -> Result<Option<Message>, LedgerError> {
        self.0.with_ledger(|l| l.sync_generate(state))
    }

    fn receive(&mut self, state: &mut SyncState, message: Message) -> Result<Applied, LedgerError> {
        self.0.with_ledger(|l| l.sync_receive(state, message))
    }

    fn receive_with_texts(
        &mut self,
        state: &mut SyncState,
        message: Message,
        texts: Vec<vax_sync::EncodedOp>,
    ) -> Result<Applied, LedgerError> {
        self.0
            .with_ledger(|l| l.sync_receive_with_texts(state, message, texts))
    }

    fn quarantined(&mut self) -> Result<Vec<vax_sync::OpId>, LedgerError> {
        self.0.with_ledger(|l| l.quarantined_op_ids())
    }

    fn quarantine(
        &mut self,
        op: vax_sync::OpId,
        code: ErrorCode,
        reason: &str,
    ) -> Result<(), LedgerError> {
        let at = self.1.to_rfc3339();
        self.0
            .with_ledger(|l| l.quarantine_op(op, code, reason, &at))
    }
}

/// What one sync run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncRun {
    /// Ops sent to the server.
    pub sent_ops: usize,
    /// Ops received.
    pub received_ops: usize,
    /// HTTP round trips.
    pub round_trips: usize,
    /// Alerts the merge raised or touched.
    pub alerts: usize,
    /// Own changes the server refused in this run, now quarantined.
    pub quarantined: usize,
    /// Ops taken as HQ's snapshot before the exchange (a new device's first sync,
    /// docs/sync-spec.md §7c); 0 when the device synced op by op.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub snapshot_ops: u64,
    /// Why the server's snapshot was not taken (a seal that does not verify, another
    /// schema), when it was not: the ops then came one by one.
    pub snapshot_refused: Option<String>,
}

pub(crate) struct Config {
    pub(crate) client: Client,
    pub(crate) server_id: ReplicaId,
}

pub(crate) fn config(ledger: &Ledger) -> Result<Config, SyncAppError> {
    let r = ledger.reader();
    let (Some(url), Some(token), Some(server)) = (
        r.setting(KEY_SERVER_URL)?,
        r.setting(KEY_TOKEN)?,
        r.setting(KEY_SERVER_ID)?,
    ) else {
        return Err(SyncAppError::NotConfigured);
    };
    let server_id = server
        .parse()
        .map(ReplicaId)
        .map_err(|e| SyncAppError::Session(format!("stored server id is invalid: {e}")))?;
    Ok(Config {
        client: trust_policy(ledger)?.client(&url, &token)?,
        server_id,
    })
}

/// What this device trusts when it talks to the sync server: the city's private CA when
/// one is set (else the public roots), and whether HQ allowed plain HTTP off this machine.
pub fn trust_policy(ledger: &Ledger) -> Result<TrustPolicy, SyncAppError> {
    let reader = ledger.reader();
    let policy = match reader.setting(KEY_CA_PEM)?.filter(|p| !p.is_empty()) {
        Some(pem) => TrustPolicy::with_private_ca(&pem)?,
        None => TrustPolicy::public_roots(),
    };
    let allowed = reader.setting(KEY_ALLOW_PLAIN_HTTP)?.as_deref() == Some("true");
    Ok(policy.allowing_plain_http(allowed))
}

/// Pins the city's private CA (`Some(pem)`, checked to hold a certificate) or goes back to
/// the public roots (`None`). Takes effect from the next call to the server.
pub fn set_private_ca(ledger: &mut Ledger, ca_pem: Option<&str>) -> Result<(), SyncAppError> {
    let pem = ca_pem.map(str::trim).filter(|p| !p.is_empty());
    if let Some(pem) = pem {
        TrustPolicy::with_private_ca(pem)?;
    }
    let tx = ledger.transaction()?;
    match pem {
        Some(pem) => tx.set_setting(KEY_CA_PEM, pem)?,
        None => tx.delete_setting(KEY_CA_PEM)?,
    }
    tx.commit()?;
    Ok(())
}

/// HQ's decision that this device may use plain HTTP to a server off this machine (a closed
/// network without TLS yet). Off by default; `vaxhq sync trust --allow-plain-http`.
pub fn set_plain_http_allowed(ledger: &mut Ledger, allowed: bool) -> Result<(), SyncAppError> {
    let tx = ledger.transaction()?;
    if allowed {
        tx.set_setting(KEY_ALLOW_PLAIN_HTTP, "true")?;
    } else {
        tx.delete_setting(KEY_ALLOW_PLAIN_HTTP)?;
    }
    tx.commit()?;
    Ok(())
}

/// Runs one sync session with the server and records how it went for the status. The
/// ledger is held only for each local step (see [`LedgerAccess`]).
pub fn sync_now<A: LedgerAccess>(
    ledger: A,
    now: DateTime<FixedOffset>,
) -> Result<SyncRun, SyncAppError> {
    sync_now_with(ledger, now, SessionOptions::default())
}

/// [`sync_now`] with the session's knobs (benchmarks compare the session without prefetch).
pub fn sync_now_with<A: LedgerAccess>(
    mut ledger: A,
    now: DateTime<FixedOffset>,
    options: SessionOptions,
) -> Result<SyncRun, SyncAppError> {
    let Config { client, server_id } = ledger.with_ledger(|l| config(l))?;
    let (snapshot_ops, snapshot_refused) = take_snapshot_when_new(&mut ledger, &client)?;
    let mut local = LedgerReplica(ledger, now);
    let result = sync_session_with(&mut local, &client, server_id, options);
    let LedgerReplica(mut ledger, _) = local;
    let mut run = ledger.with_ledger(|ledger| record_outcome(ledger, result, now))?;
    run.snapshot_ops = snapshot_ops;
    run.snapshot_refused = snapshot_refused;
    Ok(run)
}

/// A new device's first sync as HQ's snapshot of its scope (docs/sync-spec.md §7c): when the
/// ledger holds no op yet and the server has a snapshot of this device's municipalities, it
/// is fetched (outside the ledger's lock), verified and copied in; the exchange that follows
/// brings what came after it. Returns the ops taken, and why a snapshot was refused. No
/// snapshot, one that is refused (a forged seal, another schema) or a failed download leave
/// the ledger as it was, and the exchange brings everything op by op as before (a failed
/// download's cause shows in that exchange).
fn take_snapshot_when_new<A: LedgerAccess>(
    ledger: &mut A,
    client: &Client,
) -> Result<(u64, Option<String>), SyncAppError> {
    if ledger.with_ledger(|l| l.sync_log_summary())?.ops > 0 {
        return Ok((0, None));
    }
    let Ok(Some((seal, key, data))) = client.snapshot() else {
        return Ok((0, None));
    };
    let snapshot = vax_ledger::Snapshot { seal, data };
    match ledger.with_ledger(|l| l.install_snapshot(&snapshot, &key)) {
        Ok(ops) => Ok((ops, None)),
        Err(LedgerError::Snapshot(refusal)) => Ok((0, Some(refusal.to_string()))),
        Err(e) => Err(e.into()),
    }
}

/// What HQ filed with the server: the snapshot of its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SnapshotPublished {
    /// Ops the snapshot holds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ops: u64,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Its municipalities (empty: the whole ledger).
    pub scope: Vec<String>,
}

/// HQ makes the snapshot of everything it holds (its scope) and files it with the server,
/// replacing the one before (docs/sync-spec.md §7c): new devices of that scope then take it
/// in one download instead of op by op. HQ runs it after publishing the city, and again
/// whenever it likes (nightly, after a big import): a device takes the latest one and syncs
/// the rest. Only an HQ device may (the server checks the seal, the sender and the scope).
pub fn publish_snapshot(
    ledger: &mut Ledger,
    now: DateTime<FixedOffset>,
) -> Result<SnapshotPublished, SyncAppError> {
    let Config { client, .. } = config(ledger)?;
    let snapshot = ledger.make_snapshot(now)?;
    client.put_snapshot(&snapshot.seal, &snapshot.data)?;
    Ok(SnapshotPublished {
        ops: snapshot.seal.header.ops,
        bytes: snapshot.seal.header.bytes,
        scope: snapshot.seal.header.scope,
    })
}

fn record_outcome(
    ledger: &mut Ledger,
    result: Result<vax_sync_client::SessionReport, SessionError<LedgerError>>,
    now: DateTime<FixedOffset>,
) -> Result<SyncRun, SyncAppError> {
    let tx = ledger.transaction()?;
    tx.set_setting(KEY_LAST_ATTEMPT, &now.to_rfc3339())?;
    match result {
        Ok(report) => {
            tx.set_setting(KEY_LAST_SUCCESS, &now.to_rfc3339())?;
            tx.set_setting(KEY_LAST_ERROR, "")?;
            tx.commit()?;
            // Converged: the server holds every op this device wrote.
            let own = ledger.sync_log_summary()?.own_ops;
            let tx = ledger.transaction()?;
            tx.set_setting(KEY_OWN_OPS_SYNCED, &own.to_string())?;
            tx.commit()?;
            enroll_desk_when_possible(ledger)?;
            Ok(SyncRun {
                sent_ops: report.sent_ops,
                received_ops: report.received_ops,
                round_trips: report.round_trips,
                alerts: report.alerts.len(),
                quarantined: report.quarantined.len(),
                snapshot_ops: 0,
                snapshot_refused: None,
            })
        }
        Err(e) => {
            tx.set_setting(KEY_LAST_ERROR, &e.to_string())?;
            tx.commit()?;
            Err(match e {
                SessionError::Transport(c) => SyncAppError::Server(c),
                SessionError::Local(l) => SyncAppError::Ledger(l),
                other => SyncAppError::Session(other.to_string()),
            })
        }
    }
}

/// Whether this device has a sync server configured.
pub fn is_configured(ledger: &Ledger) -> Result<bool, SyncAppError> {
    Ok(ledger.reader().setting(KEY_SERVER_URL)?.is_some())
}

/// Syncs every `every` on a thread of its own whenever a server is configured, for as long as
/// the program runs. Each outcome (and any error) is recorded in the ledger for the status;
/// failures are retried next round. `on_change` is called after a round that sent or
/// received ops, so screens can refresh at once instead of waiting for their next poll.
pub fn spawn_background_sync(
    ledger: Arc<Mutex<Ledger>>,
    clock: Arc<dyn Clock>,
    every: std::time::Duration,
    on_change: impl Fn() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("vax-background-sync".to_owned())
        .spawn(move || loop {
            let configured = {
                let guard = ledger.lock().unwrap_or_else(PoisonError::into_inner);
                is_configured(&guard).unwrap_or(false)
            };
            if configured {
                if let Ok(run) = sync_now(&*ledger, clock.now()) {
                    if run.sent_ops + run.received_ops > 0 {
                        on_change();
                    }
                }
            }
            std::thread::sleep(every);
        })
}

/// How long data has waited, as a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Freshness {
    /// Nothing waiting, or only for a few minutes.
    Green,
    /// Ops have waited more than [`LATE_AFTER_MINUTES`].
    Amber,
    /// More than [`STALE_AFTER_MINUTES`]: call HQ.
    Red,
}

/// The sync status shown on every screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// Whether a server is configured.
    pub configured: bool,
    /// The server's address.
    pub server_url: Option<String>,
    /// This device's replica id.
    pub replica_id: Option<String>,
    /// Last successful sync (RFC 3339).
    pub last_success_at: Option<String>,
    /// Last attempt (RFC 3339).
    pub last_attempt_at: Option<String>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// Changes made here that the server does not hold yet.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ops_waiting: u64,
    /// Ops held, from every replica.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ops_held: u64,
    /// Received changes that could not be written into the desk's tables (yet).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unprojected: u64,
    /// Conflicts for HQ to resolve (duplicate doses, concurrent bookings, …).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub alerts: u64,
    /// Changes made here that the server refused for good: kept here, never sent again,
    /// for the venue manager and HQ to look at. One line each: kind, record and the server's
    /// code and reason.
    pub quarantined: Vec<String>,
    /// The colour.
    pub freshness: Freshness,
}

/// The status of replication on this device.
pub fn sync_status(
    ledger: &mut Ledger,
    now: DateTime<FixedOffset>,
) -> Result<SyncStatus, SyncAppError> {
    let r = ledger.reader();
    let setting = |key| -> Result<Option<String>, LedgerError> {
        Ok(r.setting(key)?.filter(|v| !v.is_empty()))
    };
    let server_url = setting(KEY_SERVER_URL)?;
    let last_success_at = setting(KEY_LAST_SUCCESS)?;
    let last_attempt_at = setting(KEY_LAST_ATTEMPT)?;
    let last_error = setting(KEY_LAST_ERROR)?;
    let enrolled_at = setting(KEY_ENROLLED_AT)?;
    let synced_own: u64 = setting(KEY_OWN_OPS_SYNCED)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let replica_id = ledger.replica_identity().map(|(id, _)| id.to_string());
    let summary = ledger.sync_log_summary()?;
    let alerts = if replica_id.is_some() {
        ledger.sync_alerts()?.len() as u64
    } else {
        0
    };
    let ops_waiting = summary.own_ops.saturating_sub(synced_own);
    let quarantined = ledger
        .quarantined_ops()?
        .into_iter()
        .map(|q| format!("{} {}: {} {}", q.kind, q.op, q.code, q.reason))
        .collect();
    let since = last_success_at
        .as_deref()
        .or(enrolled_at.as_deref())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    let freshness = match (ops_waiting, since) {
        (0, _) | (_, None) => Freshness::Green,
        (_, Some(since)) if now - since > Duration::minutes(STALE_AFTER_MINUTES) => Freshness::Red,
        (_, Some(since)) if now - since > Duration::minutes(LATE_AFTER_MINUTES) => Freshness::Amber,
        _ => Freshness::Green,
    };
    Ok(SyncStatus {
        configured: server_url.is_some(),
        server_url,
        replica_id,
        last_success_at,
        last_attempt_at,
        last_error,
        ops_waiting,
        ops_held: summary.ops,
        unprojected: summary.unprojected,
        alerts,
        quarantined,
        freshness,
    })
}

/// The open conflicts, from the merged state on this device (works offline).
pub fn alerts(ledger: &mut Ledger) -> Result<Vec<Alert>, SyncAppError> {
    if ledger.replica_identity().is_none() {
        return Err(SyncAppError::NotConfigured);
    }
    Ok(ledger.sync_alerts()?)
}

/// Asks the server for a new bearer token for this device and keeps it in the ledger; the old
/// one is refused from then on (a token that may have leaked). Should the ledger fail to keep
/// the new token after the server issued it, the device must be enrolled again: the server
/// forgets the old token at once.
pub fn rotate_token(ledger: &mut Ledger) -> Result<(), SyncAppError> {
    let Config { client, .. } = config(ledger)?;
    let token = client.rotate_token()?;
    let tx = ledger.transaction()?;
    tx.set_setting(KEY_TOKEN, &token)?;
    tx.commit()?;
    Ok(())
}

/// HQ: asks the server for a one-time enrollment code for a new device.
///
/// `scope` names the municipalities the new device will hold (a partial replica of a
/// prefecture's ledger); empty means this HQ's own scope: the whole ledger for the
/// prefecture's HQ, its municipalities for a municipality's HQ (the server refuses a code
/// beyond them with `WRONG_SCOPE`).
pub fn create_enrollment_code(
    ledger: &Ledger,
    role: Role,
    venue: Option<&str>,
    scope: &[MunicipalityCode],
    expires_in_hours: u32,
) -> Result<String, SyncAppError> {
    let Config { client, .. } = config(ledger)?;
    let venue = venue.map(VenueCode::new);
    let scope = match scope {
        [] => own_scope(ledger)?,
        named => named.to_vec(),
    };
    Ok(client.create_enrollment_code(
        SyncRole::from(role),
        venue.as_ref(),
        &scope,
        expires_in_hours,
    )?)
}

/// The municipalities this ledger holds when it is a partial replica (its enrollment's
/// scope); empty for a whole replica.
pub fn own_scope(ledger: &Ledger) -> Result<Vec<MunicipalityCode>, LedgerError> {
    let held = ledger.reader().setting(vax_ledger::KEY_SCOPE)?;
    Ok(held
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|code| MunicipalityCode::parse(code).ok())
        .collect())
}

/// An alert as people read it: what, about whom, and each record side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertView {
    /// `duplicate_dose`, `concurrent_bookings`, `band_over_capacity`, `dose_from_expired_lot`
    /// or `mismatched_void`.
    pub kind: String,
    /// The resident's voucher number, when the alert is about one.
    pub resident: Option<String>,
    /// The dose number, when the alert is about one resident's dose.
    pub dose_number: Option<u8>,
    /// One line in English.
    pub summary: String,
    /// One line in Japanese.
    pub summary_ja: String,
    /// The records involved, one line each, with the op that wrote them (to void or choose).
    pub records: Vec<String>,
    /// The uid of each record in `records` (the op id), in the same order: what
    /// [`void_dose_record`] takes.
    pub record_ids: Vec<String>,
}

fn dose_line(d: &vax_sync::Recorded<vax_sync::Dose>) -> String {
    format!(
        "{} {} {} lot {} by {} [{}]",
        d.event.administered_at.format("%Y-%m-%d %H:%M"),
        d.event.venue,
        d.event.product,
        d.event.lot,
        d.event.vaccinator,
        d.op
    )
}

fn booking_line(v: &vax_sync::BookingValue) -> String {
    let band = v
        .band
        .map_or_else(|| "cancelled".to_owned(), |b| b.to_string());
    format!("{band} ({:?}) [{}]", v.cause, v.op)
}

/// Describes an alert for the HQ screen and the CLI.
pub fn describe(alert: &Alert) -> AlertView {
    match alert {
        Alert::DuplicateDose {
            resident,
            dose_number,
            doses,
        } => AlertView {
            kind: "duplicate_dose".into(),
            resident: Some(resident.to_string()),
            dose_number: Some(*dose_number),
            summary: format!("dose {dose_number} recorded {} times", doses.len()),
            summary_ja: format!("{dose_number}回目の接種が{}件記録されています", doses.len()),
            records: doses.iter().map(dose_line).collect(),
            record_ids: doses.iter().map(|d| d.op.to_string()).collect(),
        },
        Alert::ConcurrentBookings {
            resident,
            dose_number,
            values,
        } => AlertView {
            kind: "concurrent_bookings".into(),
            resident: Some(resident.to_string()),
            dose_number: Some(*dose_number),
            summary: format!(
                "dose {dose_number} was rebooked {} ways at once",
                values.len()
            ),
            summary_ja: format!(
                "{dose_number}回目の予約が同時に{}通り変更されました",
                values.len()
            ),
            records: values.iter().map(booking_line).collect(),
            record_ids: values.iter().map(|v| v.op.to_string()).collect(),
        },
        Alert::BandOverCapacity {
            band,
            capacity,
            bookings,
        } => AlertView {
            kind: "band_over_capacity".into(),
            resident: None,
            dose_number: None,
            summary: format!(
                "band {band}: {} bookings for {capacity} places",
                bookings.len()
            ),
            summary_ja: format!("コマ {band}: 定員{capacity}名に{}件の予約", bookings.len()),
            records: bookings
                .iter()
                .map(|(key, values)| {
                    let lines: Vec<String> = values.iter().map(booking_line).collect();
                    format!(
                        "{} dose {}: {}",
                        key.resident,
                        key.dose_number,
                        lines.join("; ")
                    )
                })
                .collect(),
            record_ids: bookings
                .iter()
                .flat_map(|(_, values)| values.iter().map(|v| v.op.to_string()))
                .collect(),
        },
        Alert::DoseFromExpiredLot { dose, limit } => AlertView {
            kind: "dose_from_expired_lot".into(),
            resident: Some(dose.event.resident.to_string()),
            dose_number: Some(dose.event.dose_number),
            summary: format!("dose given from a lot past its limit ({limit:?})"),
            summary_ja: "使用期限を過ぎたロットで接種が記録されています".into(),
            records: vec![dose_line(dose)],
            record_ids: vec![dose.op.to_string()],
        },
        Alert::MismatchedVoid { void, actual } => AlertView {
            kind: "mismatched_void".into(),
            resident: None,
            dose_number: None,
            summary: format!(
                "a void names a {:?} but its target is a {actual:?}",
                void.event.target_kind
            ),
            summary_ja: "取消の対象の種類が一致しません".into(),
            records: vec![format!("void of {} [{}]", void.event.target, void.op)],
            record_ids: vec![void.op.to_string()],
        },
    }
}

/// The open alerts, described for a screen.
pub fn alert_views(ledger: &mut Ledger) -> Result<Vec<AlertView>, SyncAppError> {
    Ok(alerts(ledger)?.iter().map(describe).collect())
}

/// Resolves a duplicate dose (or corrects a mistaken record): voids the dose record `uid` with a
/// reason. The record stays, marked; the void replicates like any other change, so the alert
/// clears on every replica once it arrives. Whether this device may void doses is the roles
/// matrix's call (HQ, or the booth that recorded it).
pub fn void_dose_record(
    ledger: &mut Ledger,
    uid: &str,
    reason: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), SyncAppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(SyncAppError::Desk(DeskError::Invalid {
            field: "reason / 理由",
            problem: "is required, at most 200 characters / 必須・200文字以内です",
        }));
    }
    let actor = crate::audit::actor_here(ledger, now).map_err(DeskError::from)?;
    let mut tx = ledger.transaction()?;
    tx.void_event(EventKind::Dose, uid, reason, &now)?;
    let about = crate::audit::About {
        resident: tx.reader().resident_of_record(uid)?,
        record: Some(uid.to_owned()),
        detail: format!("dose voided: {reason}"),
    };
    crate::audit::record(&mut tx, &actor, vax_sync::AuditAction::Void, &about, now)?;
    tx.commit()?;
    Ok(())
}

/// Resolves concurrent bookings of one resident's dose: HQ keeps the value written by the op
/// `chosen` (the uid the alert lists). The choice replicates and replaces every value HQ saw.
pub fn choose_booking(
    ledger: &mut Ledger,
    voucher: &str,
    dose_number: u8,
    chosen: &str,
) -> Result<(), SyncAppError> {
    let voucher = vax_domain::voucher::VoucherNumber::parse(voucher)
        .map_err(|e| SyncAppError::Desk(DeskError::Voucher(e)))?;
    let chosen: OpId = chosen.parse().map_err(|_| {
        SyncAppError::Desk(DeskError::Invalid {
            field: "booking / 予約",
            problem:
                "is not a record id from the alert / 要確認事項に表示された記録IDではありません",
        })
    })?;
    ledger.resolve_booking(&voucher, dose_number, chosen)?;
    Ok(())
}
