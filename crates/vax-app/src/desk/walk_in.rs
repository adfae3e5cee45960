//! A walk-in from another municipality at a kiosk holding a partial replica
//! (docs/sync-spec.md §7b): the kiosk does not hold their record (or holds an earlier lookup's
//! snapshot), so the desk looks the resident up online
//! (`GET /v1/residents/{municipality}/{voucher}`), merges the signed record the server
//! returns, and then finds the card as for anyone else — the check-in and dose rules
//! (duplicate, interval, order) apply to the record brought. Without the network, or when the
//! server knows nobody by that voucher, the desk gets a clear refusal and nothing is written.

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use vax_domain::error::ErrorCode;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber, VoucherPayload};
use vax_ledger::Ledger;
use vax_sync::OpKind;
use vax_sync_client::ClientError;

use super::{desk_find, DeskCard, DeskError, Enrollment};
use crate::lookup::Query;
use crate::sync::{config, LedgerAccess};

/// How long the desk waits for the server before it says the network is down: a resident is
/// standing at the desk.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// [`desk_find`], except for a scanned or typed 18-digit voucher of a municipality this
/// kiosk's partial replica does not hold ([`walk_in_of`]): that resident is looked up online
/// first — every time, for the record the kiosk may hold from an earlier lookup is a snapshot
/// that their own municipality's later doses do not reach — and the record the server returns
/// is merged before `desk_find` runs (which writes the same audit entry, `lookup`, for the
/// card shown as for any resident looked at). A shared ledger is held only for each local
/// step, not while the server answers (the camera's poll holds it throughout: the call's
/// timeouts bound that).
pub fn desk_find_online<A: LedgerAccess>(
    mut ledger: A,
    enrollment: &Enrollment,
    query: &Query,
    now: DateTime<FixedOffset>,
) -> Result<Vec<DeskCard>, DeskError> {
    if let Some((municipality, voucher)) = ledger.with_ledger(|l| walk_in_of(l, query))? {
        fetch_walk_in(&mut ledger, &municipality, &voucher, WalkInStep::AtDesk)?;
    }
    ledger.with_ledger(|l| desk_find(l, enrollment, query, now))
}

/// Where a walk-in's record was needed when it could not be fetched: the desk's message says
/// what to do next, which differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkInStep {
    /// At reception or the camera, the resident at the desk: give the dose on paper.
    AtDesk,
    /// At back-entry of a paper row: enter it again once the network is back.
    BackEntry,
}

/// Looks `voucher` of `municipality` up on the sync server and merges the signed record it
/// returns into the ledger (the lookup of docs/sync-spec.md §7b). A shared ledger is held only
/// to read the setup and to merge, not while the server answers (the call's timeouts bound a
/// caller that holds it throughout).
///
/// # Errors
/// [`DeskError::WalkInUnknown`] when the server knows nobody by that voucher,
/// [`DeskError::WalkInOffline`] when it cannot be reached or refuses (or its reply holds an op
/// about someone else); a ledger failure.
pub(crate) fn fetch_walk_in<A: LedgerAccess>(
    ledger: &mut A,
    municipality: &MunicipalityCode,
    voucher: &VoucherNumber,
    step: WalkInStep,
) -> Result<(), DeskError> {
    let offline = |detail: String, refused_by_server: bool| DeskError::WalkInOffline {
        municipality: municipality.to_string(),
        step,
        refused_by_server,
        detail,
    };
    let setup = ledger.with_ledger(|l| config(l));
    let setup = setup.map_err(|e| offline(e.to_string(), false))?;
    let client = setup.client.with_timeouts(CONNECT_TIMEOUT, CALL_TIMEOUT);
    let (message, texts) = match client.resident_record(municipality, voucher) {
        Ok(reply) => reply,
        Err(e) if e.code() == Some(ErrorCode::UnknownResident) => {
            return Err(DeskError::WalkInUnknown {
                municipality: municipality.to_string(),
            })
        }
        // A status from the server (the lookup bucket spent, a revoked token…) is a refusal;
        // none is the network.
        Err(e) => return Err(offline(describe(&e), e.code().is_some())),
    };
    // The server is trusted for nothing but keys: a record of anyone else is refused whole.
    if let Some(op) = message.ops.iter().find(|op| !is_about(&op.kind, voucher)) {
        return Err(offline(
            format!("the server's reply holds op {} about someone else", op.id),
            true,
        ));
    }
    ledger.with_ledger(|l| l.merge_lookup(setup.server_id, message, texts))?;
    Ok(())
}

/// The walk-in a query names, whom the kiosk does not hold: an 18-digit voucher (its
/// municipality is printed in it) of a municipality outside this kiosk's partial replica. A
/// whole replica holds everyone, a standalone kiosk has no server to ask, and a bare 10-digit
/// number does not say which municipality issued it (numbers are unique within one only):
/// none of those is looked up. The one place this is decided.
pub fn walk_in_of(
    ledger: &Ledger,
    query: &Query,
) -> Result<Option<(MunicipalityCode, VoucherNumber)>, DeskError> {
    let Query::Voucher(text) = query else {
        return Ok(None);
    };
    walk_in_of_voucher(ledger, text)
}

/// [`walk_in_of`] for a voucher as scanned or typed (18 digits, or a bare 10-digit number,
/// which is never a walk-in to look up).
pub(crate) fn walk_in_of_voucher(
    ledger: &Ledger,
    text: &str,
) -> Result<Option<(MunicipalityCode, VoucherNumber)>, DeskError> {
    let payload = VoucherPayload::parse(text)?;
    let Some(municipality) = payload.municipality() else {
        return Ok(None);
    };
    let scope = crate::sync::own_scope(ledger)?;
    if scope.is_empty() || scope.contains(municipality) {
        return Ok(None);
    }
    Ok(Some((municipality.clone(), payload.number().clone())))
}

/// Whether an op of a lookup's reply is part of `voucher`'s record (a void names its target
/// only, which the ledger then finds among the ops it holds, or keeps waiting).
fn is_about(kind: &OpKind, voucher: &VoucherNumber) -> bool {
    match kind {
        OpKind::Void(_) => true,
        kind => kind.resident() == Some(voucher),
    }
}

/// The client's error in a line for the log and the desk's detail.
fn describe(e: &ClientError) -> String {
    match e.code() {
        Some(code) => format!("{code}: {e}"),
        None => e.to_string(),
    }
}
