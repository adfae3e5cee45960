//! Partial replicas by municipality (docs/sync-spec.md §7b): which replicas each op goes to,
//! and what a device holding some municipalities may write.
//!
//! The server classifies every op as it stores it ([`OpScope`], kept in the op's row), by the
//! resident it names and the municipality HQ set for that resident; a reply to a partial
//! replica reads only the ops of its scope and says how far it covers each author.

use std::collections::HashMap;

use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_sync::{FieldName, Op, OpId, OpKind, Replica, ResidentField, VenueCode};

use crate::core::is_venue_bound;
use crate::error::ApiError;
use crate::store::{Device, OpClass, OpScope, StoreError};

/// The municipalities of residents set by ops not merged yet (earlier ops of one message).
type Pending = HashMap<VoucherNumber, MunicipalityCode>;

/// An op's scope, and what the write rule needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// Which replicas it goes to.
    pub scope: OpScope,
    /// For an op naming a resident: the resident's municipality before this op.
    pub prior: Option<MunicipalityCode>,
    /// For a void: the venue of its target when the target is a check-in or a dose (what a
    /// desk records for a walk-in from anywhere).
    pub walk_in_target_venue: Option<VenueCode>,
    /// The resident whose record the op is part of ([`record_of`]).
    pub resident: Option<VoucherNumber>,
}

/// The resident whose record, as a desk reads it, `op` is part of: the register's fields, a
/// booking, a dose, a check-in, or the void of one of those (`target`). What the online
/// lookup of a walk-in returns (docs/sync-spec.md §7b); other ops naming a resident (calls,
/// the call centre's notes, ride marks, the audit trail) are not part of it.
fn record_of(op: &Op, target: Option<&Op>) -> Option<VoucherNumber> {
    match &op.kind {
        OpKind::SetResidentFields { .. }
        | OpKind::Book(_)
        | OpKind::RecordDose(_)
        | OpKind::CheckIn(_) => op.kind.resident().cloned(),
        OpKind::Void(_) => target.and_then(|t| match t.kind {
            OpKind::Void(_) => None,
            _ => record_of(t, None),
        }),
        _ => None,
    }
}

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

/// The municipality HQ set for `resident`, as the merged replica holds it.
pub fn municipality_of_resident(
    resident: &VoucherNumber,
    replica: &Replica,
) -> Option<MunicipalityCode> {
    municipality_of(resident, replica, &Pending::new())
}

/// The scope of residents' ops: their municipality, whole replicas only when unknown.
fn scope_of_resident(resident: &VoucherNumber, replica: &Replica, pending: &Pending) -> OpScope {
    match municipality_of(resident, replica, pending) {
        Some(code) => OpScope::Municipality(code),
        None => OpScope::WholeLedgerOnly,
    }
}

/// Which replicas `op` goes to. A void goes where its target goes today (`target`: the
/// target op, from the same message or the store); a bus plan to its riders' municipality
/// (whole replicas only if they are of several or unknown); an op naming no resident
/// everywhere.
fn classify(op: &Op, replica: &Replica, pending: &Pending, target: Option<&Op>) -> OpScope {
    if let Some((_, code)) = municipality_set_by(op) {
        return OpScope::Municipality(code.clone());
    }
    match &op.kind {
        OpKind::Void(_) => match target {
            Some(target) if !matches!(target.kind, OpKind::Void(_)) => {
                classify(target, replica, pending, None)
            }
            _ => OpScope::WholeLedgerOnly,
        },
        OpKind::DefineRides(plan) => {
            let mut scopes = plan
                .trips
                .iter()
                .flat_map(|t| &t.riders)
                .map(|r| scope_of_resident(&r.resident, replica, pending));
            match scopes.next() {
                None => OpScope::Everyone,
                Some(one) if scopes.all(|s| s == one) => one,
                Some(_) => OpScope::WholeLedgerOnly,
            }
        }
        kind => match kind.resident() {
            None => OpScope::Everyone,
            Some(resident) => scope_of_resident(resident, replica, pending),
        },
    }
}

/// Classifies `ops` in order (a resident's municipality may be set by an earlier op of the
/// same batch); `stored` finds a void's target outside the batch.
pub fn classify_all(
    ops: &[Op],
    replica: &Replica,
    stored: impl Fn(&OpId) -> Result<Option<Op>, StoreError>,
) -> Result<HashMap<OpId, Classified>, StoreError> {
    let mut pending = Pending::new();
    let mut classified = HashMap::with_capacity(ops.len());
    for op in ops {
        let prior = op
            .kind
            .resident()
            .and_then(|r| municipality_of(r, replica, &pending));
        let target = match &op.kind {
            OpKind::Void(void) => match ops.iter().find(|o| o.id == void.target) {
                Some(in_batch) => Some(in_batch.clone()),
                None => stored(&void.target)?,
            },
            _ => None,
        };
        let scope = classify(op, replica, &pending, target.as_ref());
        if let Some((resident, code)) = municipality_set_by(op) {
            pending.insert(resident.clone(), code.clone());
        }
        let resident = record_of(op, target.as_ref());
        let walk_in_target_venue = target.and_then(|t| match t.kind {
            OpKind::CheckIn(c) => Some(c.venue),
            OpKind::RecordDose(d) => Some(d.venue),
            _ => None,
        });
        classified.insert(
            op.id,
            Classified {
                scope,
                prior,
                walk_in_target_venue,
                resident,
            },
        );
    }
    Ok(classified)
}

/// What the store keeps of each classification.
pub fn classes(classified: HashMap<OpId, Classified>) -> HashMap<OpId, OpClass> {
    classified
        .into_iter()
        .map(|(id, c)| {
            let class = OpClass {
                scope: c.scope,
                resident: c.resident,
            };
            (id, class)
        })
        .collect()
}

/// Who may look a resident up online (`GET /v1/residents/{municipality}/{voucher}`): a desk
/// of a venue (reception, booth, the venue manager) holding a partial replica, for a resident
/// outside its scope — a walk-in from another municipality. A whole replica, and a partial one
/// asking about its own municipalities, holds the resident already; HQ of a municipality
/// manages its own residents and checks nobody in; a relay, the call centre and the other
/// roles have no desk.
pub fn may_look_up(device: &Device, municipality: &MunicipalityCode) -> Result<(), ApiError> {
    use vax_sync::Role;
    if !matches!(
        device.role,
        Role::Reception | Role::Booth | Role::VenueManager
    ) {
        return Err(ApiError::lookup_not_permitted(
            "only a venue's reception, booth or manager looks residents up online",
            "住民の照会は会場の受付・接種ブース・会場責任者の端末のみ行えます。",
        ));
    }
    if device.scope.is_empty() || device.scope.contains(municipality) {
        return Err(ApiError::lookup_not_permitted(
            "this device holds the residents of that municipality: look them up in its ledger",
            "この端末はその市町村の住民の記録を保持しています。端末内で検索してください。",
        ));
    }
    Ok(())
}

/// A device holding a scope changes the residents of its municipalities only. Of anyone
/// else it records what a walk-in brings: a check-in, a dose, the audit of looking them up, a
/// ride mark, and the void of a check-in or dose of its own venue. A resident's municipality
/// is neither taken from another municipality nor given to one; a new resident is registered
/// in one of its own. A device with no scope (the whole ledger) may do all of it.
pub fn check_writes(op: &Op, author: &Device, classified: &Classified) -> Result<(), ApiError> {
    let scope = &author.scope;
    if scope.is_empty() {
        return Ok(());
    }
    let holds = |s: &OpScope| matches!(s, OpScope::Municipality(code) if scope.contains(code));
    let refuse = || {
        let theirs = match (&classified.prior, &classified.scope) {
            (Some(prior), _) if !scope.contains(prior) => Some(prior.as_str()),
            (_, OpScope::Municipality(code)) => Some(code.as_str()),
            _ => None,
        };
        Err(ApiError::wrong_scope(&op.id, theirs))
    };
    match &op.kind {
        OpKind::CheckIn(_) | OpKind::RecordDose(_) | OpKind::Audit(_) | OpKind::MarkRide(_) => {
            Ok(())
        }
        OpKind::Void(_) => {
            let own_venue_walk_in = is_venue_bound(author.role)
                && classified.walk_in_target_venue.is_some()
                && classified.walk_in_target_venue == author.venue;
            if holds(&classified.scope) || own_venue_walk_in {
                Ok(())
            } else {
                refuse()
            }
        }
        OpKind::DefineRides(_) => match classified.scope {
            OpScope::Everyone => Ok(()),
            ref s if holds(s) => Ok(()),
            _ => refuse(),
        },
        kind if kind.resident().is_some() => {
            let prior_ok = classified.prior.as_ref().is_none_or(|p| scope.contains(p));
            if prior_ok && holds(&classified.scope) {
                Ok(())
            } else {
                refuse()
            }
        }
        // Venues, bands, stock, staff, supplies and acknowledgements name no municipality yet
        // (docs/sync-spec.md §7b, not built).
        _ => Ok(()),
    }
}
