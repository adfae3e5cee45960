//! Partial replicas by municipality (docs/sync-spec.md §7b): which replicas each op goes to,
//! and what a device holding some municipalities may write.
//!
//! The server classifies every op as it stores it ([`OpScope`], kept in the op's row), by the
//! resident it names and the municipality HQ set for that resident; a reply to a partial
//! replica reads only the ops of its scope and says how far it covers each author.

use std::collections::HashMap;

use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_sync::{FieldName, Op, OpId, OpKind, Replica, ResidentField};

use crate::error::ApiError;
use crate::store::OpScope;

/// The municipalities of residents set by ops not merged yet (earlier ops of one message).
pub type Pending = HashMap<VoucherNumber, MunicipalityCode>;

/// The municipality an op sets for its resident, if it sets one.
fn municipality_set_by(op: &Op) -> Option<(&VoucherNumber, &MunicipalityCode)> {
    let OpKind::SetResidentFields { resident, fields } = &op.kind else {
        return None;
    };
    fields.iter().find_map(|f| match f {
        ResidentField::Municipality(code) => Some((resident, code)),
        _ => None,
    })
}

/// The municipality of `resident`, as `pending` or the merged replica knows it.
fn municipality_of(
    resident: &VoucherNumber,
    replica: &Replica,
    pending: &Pending,
) -> Option<MunicipalityCode> {
    if let Some(code) = pending.get(resident) {
        return Some(code.clone());
    }
    match replica.resident_field(resident, FieldName::Municipality) {
        Some(ResidentField::Municipality(code)) => Some(code.clone()),
        _ => None,
    }
}

/// Which replicas `op` goes to. A void goes where its target went (`target`: the target op,
/// from the same message or the store); an op naming no resident goes everywhere.
pub fn classify(op: &Op, replica: &Replica, pending: &Pending, target: Option<&Op>) -> OpScope {
    if let Some((_, code)) = municipality_set_by(op) {
        return OpScope::Municipality(code.clone());
    }
    if let OpKind::Void(_) = &op.kind {
        return match target {
            Some(target) if !matches!(target.kind, OpKind::Void(_)) => {
                classify(target, replica, pending, None)
            }
            _ => OpScope::WholeLedgerOnly,
        };
    }
    match op.kind.resident() {
        None => OpScope::Everyone,
        Some(resident) => match municipality_of(resident, replica, pending) {
            Some(code) => OpScope::Municipality(code),
            None => OpScope::WholeLedgerOnly,
        },
    }
}

/// The scopes of `ops` in order (each op's resident municipality may be set by an earlier op
/// of the same batch); `stored` finds a void's target outside the batch.
pub fn classify_all(
    ops: &[Op],
    replica: &Replica,
    stored: impl Fn(&OpId) -> Result<Option<Op>, crate::store::StoreError>,
) -> Result<HashMap<OpId, OpScope>, crate::store::StoreError> {
    let mut pending = Pending::new();
    let mut scopes = HashMap::with_capacity(ops.len());
    for op in ops {
        if let Some((resident, code)) = municipality_set_by(op) {
            pending.insert(resident.clone(), code.clone());
        }
        let target = match &op.kind {
            OpKind::Void(void) => match ops.iter().find(|o| o.id == void.target) {
                Some(in_batch) => Some(in_batch.clone()),
                None => stored(&void.target)?,
            },
            _ => None,
        };
        scopes.insert(op.id, classify(op, replica, &pending, target.as_ref()));
    }
    Ok(scopes)
}

/// A device holding `scope` writes about the residents of its municipalities; of anyone
/// else's only what a walk-in brings (a check-in, a dose, the audit of looking them up, a ride
/// mark, the void of one of those at its own venue). Checked for every op of the message by an author with a scope; `scopes` are the
/// ops' classifications ([`classify_all`]).
pub fn check_writes(
    op: &Op,
    author_scope: &[MunicipalityCode],
    scopes: &HashMap<OpId, OpScope>,
) -> Result<(), ApiError> {
    if author_scope.is_empty() {
        return Ok(());
    }
    let walk_in_may = matches!(
        op.kind,
        OpKind::CheckIn(_)
            | OpKind::RecordDose(_)
            | OpKind::Audit(_)
            | OpKind::MarkRide(_)
            | OpKind::Void(_)
    );
    match scopes.get(&op.id) {
        Some(OpScope::Municipality(code)) if author_scope.contains(code) => Ok(()),
        Some(OpScope::Everyone) | None => Ok(()),
        Some(_) if walk_in_may => Ok(()),
        Some(OpScope::Municipality(code)) => {
            Err(ApiError::wrong_scope(&op.id, Some(code.as_str())))
        }
        Some(OpScope::WholeLedgerOnly) => Err(ApiError::wrong_scope(&op.id, None)),
    }
}
