//! The server's memory agrees with its store: an error after a commit does not leave the
//! merged replica behind the stored ops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use vax_sync::{Message, Op, OpId, OpLog, ReplicaId, Role, VenueCode};
use vax_sync_client::{new_device_key, MemoryReplica};
use vax_sync_server::core::create_enrollment_code;
use vax_sync_server::store::{Device, DeviceRecord, EnrollmentCodeRecord, OpClass};
use vax_sync_server::{Core, ServerStore, SqliteStore, StoreError};

use crate::support::{dose, resident};

/// A store whose next append commits and then reports a failure (a disk error on the fsync
/// after the commit, a lost connection reading the reply).
struct FailsAfterCommit {
    inner: SqliteStore,
    fail: Arc<AtomicBool>,
}

impl OpLog for FailsAfterCommit {
    type Error = StoreError;
    fn get(&self, id: &OpId) -> Result<Option<Op>, StoreError> {
        self.inner.get(id)
    }
    fn append(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        self.inner.append(ops)?;
        if self.fail.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Corrupt("failed after the commit".into()));
        }
        Ok(())
    }
    fn last_counter(&self, author: ReplicaId) -> Result<u64, StoreError> {
        self.inner.last_counter(author)
    }
    fn seen(&self) -> Result<crdts::VClock<ReplicaId>, StoreError> {
        self.inner.seen()
    }
    fn authors(&self) -> Result<Vec<ReplicaId>, StoreError> {
        self.inner.authors()
    }
    fn advance_seen(&mut self, author: ReplicaId, through: u64) -> Result<(), StoreError> {
        self.inner.advance_seen(author, through)
    }
    fn ops_after(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Op>, StoreError> {
        self.inner.ops_after(author, after, limit)
    }
}

impl ServerStore for FailsAfterCommit {
    fn server_replica_id(&self) -> Result<ReplicaId, StoreError> {
        self.inner.server_replica_id()
    }
    fn add_enrollment_code(&mut self, code: &EnrollmentCodeRecord) -> Result<(), StoreError> {
        self.inner.add_enrollment_code(code)
    }
    fn redeem_enrollment_code(
        &mut self,
        code_hash: &[u8; 32],
        now: DateTime<Utc>,
        device: Device,
        token_hash: &[u8; 32],
    ) -> Result<Option<Device>, StoreError> {
        self.inner
            .redeem_enrollment_code(code_hash, now, device, token_hash)
    }
    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        self.inner.devices()
    }
    fn revoke_device(&mut self, r: ReplicaId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.inner.revoke_device(r, now)
    }
    fn revoked_at(&self, r: ReplicaId) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.revoked_at(r)
    }
    fn replace_token(&mut self, r: ReplicaId, hash: &[u8; 32]) -> Result<bool, StoreError> {
        self.inner.replace_token(r, hash)
    }
    fn op_count(&self) -> Result<u64, StoreError> {
        self.inner.op_count()
    }
    fn stage_op_scopes(&mut self, scopes: std::collections::HashMap<OpId, OpClass>) {
        self.inner.stage_op_scopes(scopes)
    }
    fn unclassified_ops(&self, limit: usize) -> Result<Vec<Op>, StoreError> {
        self.inner.unclassified_ops(limit)
    }
    fn set_op_scopes(&mut self, scopes: &[(OpId, OpClass)]) -> Result<(), StoreError> {
        self.inner.set_op_scopes(scopes)
    }
    fn put_snapshot(&mut self, scope: &str, seal: &str, data: &[u8]) -> Result<(), StoreError> {
        self.inner.put_snapshot(scope, seal, data)
    }
    fn snapshot(&self, scope: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        self.inner.snapshot(scope)
    }
    fn snapshot_seal(&self, scope: &str) -> Result<Option<String>, StoreError> {
        self.inner.snapshot_seal(scope)
    }
    fn encoded_ops_of_resident(
        &self,
        municipality: &vax_domain::voucher::MunicipalityCode,
        voucher: &vax_domain::voucher::VoucherNumber,
        limit: usize,
    ) -> Result<Vec<vax_sync::EncodedOp>, StoreError> {
        self.inner
            .encoded_ops_of_resident(municipality, voucher, limit)
    }
    fn encoded_ops_in_scope(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
        scope: &[vax_domain::voucher::MunicipalityCode],
    ) -> Result<Vec<vax_sync::EncodedOp>, StoreError> {
        self.inner.encoded_ops_in_scope(author, after, limit, scope)
    }
}

#[test]
fn an_error_after_the_commit_does_not_leave_the_merged_replica_behind_the_store() {
    let mut inner = SqliteStore::open_in_memory().expect("store");
    let (code, _) = create_enrollment_code(
        &mut inner,
        Role::Booth,
        Some(VenueCode::new("V01")),
        24,
        Utc::now(),
    )
    .expect("code");
    let fail = Arc::new(AtomicBool::new(false));
    let mut core = Core::open(Box::new(FailsAfterCommit {
        inner,
        fail: Arc::clone(&fail),
    }))
    .expect("core");
    let key = new_device_key();
    let enrolled = core.enroll(&code, "接種1", key.public()).expect("enrolled");
    let device = core.authenticate(&enrolled.token).expect("device");
    let mut booth = MemoryReplica::new(enrolled.replica_id, Role::Booth, key).expect("key");
    booth.write(dose(1, "V01")).expect("write");
    booth.write(dose(2, "V01")).expect("write");
    booth.write(dose(2, "V01")).expect("write"); // the same dose twice: an alert
    let message = Message {
        protocol: vax_sync::PROTOCOL_VERSION,
        from: enrolled.replica_id,
        seen: Default::default(),
        ops: booth.log.iter().cloned().collect(),
        more: false,
        keys: Default::default(),
        beyond: Default::default(),
        covered: Default::default(),
    };

    fail.store(true, Ordering::SeqCst);
    let err = core
        .sync(&device, &message.encode())
        .expect_err("the store reported a failure");
    assert!(err.body.retryable, "{err}");
    assert_eq!(
        core.status().expect("status").ops,
        3,
        "the ops were committed"
    );
    assert_eq!(
        core.node().replica().valid_doses(&resident(2), 1).len(),
        2,
        "the merged replica holds what the store holds"
    );
    assert_eq!(
        core.alerts().len(),
        1,
        "the duplicate dose is alerted at once"
    );
    // The device resends (it got no reply): duplicates, nothing doubled.
    core.sync(&device, &message.encode()).expect("resent");
    assert_eq!(core.status().expect("status").ops, 3);
}
