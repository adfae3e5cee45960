//! Local writes through [`SyncNode::write`] (docs/sync-spec.md §3, §5, §8).

use std::convert::Infallible;

use crdts::VClock;
use vax_sync::*;

use crate::support::*;

#[test]
fn a_replica_cannot_write_an_op_its_role_forbids() {
    let mut reception = Site::new(2, Role::Reception);
    let err = reception
        .node
        .write(
            &mut reception.log,
            dose(7, 1, "V01", "L1", at(9, 0)),
            &reception.time,
        )
        .expect_err("reception may not record doses");
    assert!(
        matches!(
            err,
            WriteError::NotPermitted {
                role: Role::Reception,
                kind: "record_dose"
            }
        ),
        "refused on role: {err}"
    );
    assert!(reception.log.is_empty(), "nothing was stored");
    assert_eq!(reception.replica(), &Replica::new(), "nothing was applied");
}

/// A log whose next append fails, like a SQLite transaction that rolls back.
struct FailingOnce {
    inner: MemoryOpLog,
    fail_next: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("disk full")]
struct DiskFull;

impl OpLog for FailingOnce {
    type Error = DiskFull;
    fn get(&self, id: &OpId) -> Result<Option<Op>, DiskFull> {
        Ok(ok(self.inner.get(id)))
    }
    fn append(&mut self, ops: &[Op]) -> Result<(), DiskFull> {
        if std::mem::take(&mut self.fail_next) {
            return Err(DiskFull);
        }
        ok(self.inner.append(ops));
        Ok(())
    }
    fn last_counter(&self, author: ReplicaId) -> Result<u64, DiskFull> {
        Ok(ok(self.inner.last_counter(author)))
    }
    fn seen(&self) -> Result<VClock<ReplicaId>, DiskFull> {
        Ok(ok(self.inner.seen()))
    }
    fn authors(&self) -> Result<Vec<ReplicaId>, DiskFull> {
        Ok(ok(self.inner.authors()))
    }
    fn advance_seen(&mut self, author: ReplicaId, through: u64) -> Result<(), DiskFull> {
        ok(self.inner.advance_seen(author, through));
        Ok(())
    }
    fn ops_after(&self, author: ReplicaId, after: u64, limit: usize) -> Result<Vec<Op>, DiskFull> {
        Ok(ok(self.inner.ops_after(author, after, limit)))
    }
}

fn ok<T>(r: Result<T, Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

#[test]
fn local_writes_number_ops_contiguously_from_the_log() {
    let time = ManualClock::new(T0);
    let mut node = SyncNode::new(rid(2), Role::Booth)
        .with_signing_key(key(2))
        .expect("a fresh node takes its key");
    let mut log = FailingOnce {
        inner: MemoryOpLog::new(),
        fail_next: false,
    };
    let first = node
        .write(&mut log, dose(7, 1, "V01", "L1", at(9, 0)), &time)
        .expect("first write");
    log.fail_next = true;
    let err = node
        .write(&mut log, dose(8, 1, "V01", "L1", at(9, 1)), &time)
        .expect_err("the log refuses the second write");
    assert!(
        matches!(err, WriteError::Storage(_)),
        "a storage failure is reported: {err}"
    );
    let third = node
        .write(&mut log, dose(8, 1, "V01", "L1", at(9, 1)), &time)
        .expect("the retry goes through");
    assert_eq!(
        (first.id.counter, third.id.counter),
        (1, 2),
        "the failed write did not burn counter 2"
    );
    assert_eq!(
        ok(log.inner.seen()).get(&rid(2)),
        2,
        "the author's ops are contiguous, so its seen frontier is at 2"
    );
    assert!(
        third.hlc > first.hlc,
        "timestamps keep increasing across the failure"
    );
}

#[test]
fn a_node_restored_from_its_log_has_the_same_state() {
    let mut hq = Site::new(1, Role::Hq);
    hq.write(band(10, "V01", 3));
    hq.write(book(7, 1, Some(10), BookingCause::Assign));
    let recorded = hq.write(dose(7, 1, "V01", "L1", at(9, 0)));
    hq.write(void(recorded.id, EventKind::Dose));
    let restored =
        SyncNode::restore(hq.id(), Role::Hq, HlcClock::default(), &hq.log).expect("memory log");
    assert_eq!(
        restored.replica(),
        hq.replica(),
        "replaying the log rebuilds the merged state"
    );
    assert!(
        restored.clock().last() >= hq.clock_last(),
        "the restored clock is not behind any op in the log"
    );
}

trait ClockLast {
    fn clock_last(&self) -> Hlc;
}

impl ClockLast for Site {
    fn clock_last(&self) -> Hlc {
        self.node.clock().last()
    }
}
