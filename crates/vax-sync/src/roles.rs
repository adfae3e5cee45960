//! Who may write what: the roles matrix of `docs/sync-spec.md` §5, as pure functions.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{OpId, ReplicaId};
use crate::op::{BookingCause, EventKind, Op, OpKind, ResidentField, StockChange};

/// The role a device was enrolled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 受付: check-ins and contact edits.
    Reception,
    /// 接種: doses.
    Booth,
    /// 会場責任者: stock.
    VenueManager,
    /// コールセンター: inquiries and rebookings.
    CallCentre,
    /// 本部: everything.
    Hq,
    /// The sync server: relays, writes nothing of its own.
    Server,
    /// A venue relay (issue 17): the sync server embedded at one venue, enrolled to the
    /// central server as a device that may carry other devices' ops. It writes nothing of its
    /// own, and every op it carries is still checked against its author's signature and role.
    Relay,
}

impl From<vax_domain::role::Role> for Role {
    /// The replication role of a device enrolled for an app role: one list of roles, with the
    /// server as the one replica that is not an app installation.
    fn from(role: vax_domain::role::Role) -> Self {
        use vax_domain::role::Role as App;
        match role {
            App::Reception => Self::Reception,
            App::Booth => Self::Booth,
            App::VenueManager => Self::VenueManager,
            App::Headquarters => Self::Hq,
            App::CallCentre => Self::CallCentre,
        }
    }
}

impl Role {
    /// The app role of a device replica; `None` for the server.
    pub fn app_role(self) -> Option<vax_domain::role::Role> {
        use vax_domain::role::Role as App;
        match self {
            Self::Reception => Some(App::Reception),
            Self::Booth => Some(App::Booth),
            Self::VenueManager => Some(App::VenueManager),
            Self::Hq => Some(App::Headquarters),
            Self::CallCentre => Some(App::CallCentre),
            Self::Server | Self::Relay => None,
        }
    }
}

/// Whether an app role records events of this kind (and so may void them).
fn records(app: vax_domain::role::Role, kind: EventKind) -> bool {
    match kind {
        EventKind::CheckIn => app.may_check_in(),
        EventKind::Dose => app.may_record_doses(),
        EventKind::Stock => app.may_record_stock(),
        EventKind::Inquiry => app.may_log_inquiries(),
    }
}

/// Whether a replica enrolled as `role` may write an op of this kind.
///
/// The app asks before a local write; the server asks for every op it receives, with the role
/// of the op's author (see [`check_roles`]). Derived from the app roles' permissions
/// (`vax_domain::role::Role`), the one role authority, so what a desk may do it may also
/// replicate.
pub fn may_emit(role: Role, kind: &OpKind) -> bool {
    // The server relays and writes nothing of its own.
    let Some(app) = role.app_role() else {
        return false;
    };
    if app.runs_the_campaign() {
        return true;
    }
    match kind {
        OpKind::SetResidentFields { fields, .. } => fields.iter().all(|f| match f {
            // The standby list, and a resident's request for transport, are kept by whoever
            // takes residents' calls.
            ResidentField::Standby(_) | ResidentField::NeedsTransport(_) => app.may_log_inquiries(),
            f => app.may_edit_contact() && f.is_contact(),
        }),
        OpKind::CheckIn(_) => app.may_check_in(),
        OpKind::RecordDose(_) => app.may_record_doses(),
        OpKind::StockEvent(s) => match s.change {
            StockChange::Opened { .. } => app.may_open_vials(),
            _ => app.may_record_stock(),
        },
        OpKind::Inquiry(_) => app.may_log_inquiries(),
        OpKind::StandbyCall(_) => app.may_record_stock(),
        OpKind::Book(b) => app.may_rebook() && b.cause == BookingCause::Rebook,
        OpKind::Void(v) => records(app, v.target_kind),
        // Every device keeps the trail of what was done on it.
        OpKind::Audit(_) => true,
        OpKind::MarkRide(_) => app.may_mark_rides(),
        OpKind::DefineTimeBand(_)
        | OpKind::DefineVenue(_)
        | OpKind::DefineStaff(_)
        | OpKind::DefineRides(_)
        | OpKind::DefineSupply(_)
        | OpKind::Acknowledge { .. } => false,
    }
}

/// Why the server refused an op on roles.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RoleError {
    /// The op's author was never enrolled (or was revoked).
    #[error("op {op} is from replica {author}, which is not enrolled")]
    UnknownAuthor {
        /// The op.
        op: OpId,
        /// Its author.
        author: ReplicaId,
    },
    /// The author's role may not write this kind of op.
    #[error("op {op} ({kind}) is not permitted to a {role:?} replica")]
    NotPermitted {
        /// The op.
        op: OpId,
        /// Its kind's name.
        kind: &'static str,
        /// The author's role.
        role: Role,
    },
}

/// Checks every op against its author's enrolled role, as the server does before
/// [`crate::SyncNode::receive_message`]. `role_of` answers from the enrollment table.
///
/// Relayed ops (authored by another replica than the sender) are checked against their own
/// author, so a device that re-uploads ops after a server restore cannot smuggle in anything
/// its authors could not have written.
pub fn check_roles(
    ops: &[Op],
    role_of: impl Fn(ReplicaId) -> Option<Role>,
) -> Result<(), RoleError> {
    for op in ops {
        let author = op.author();
        let role = role_of(author).ok_or(RoleError::UnknownAuthor { op: op.id, author })?;
        if !may_emit(role, &op.kind) {
            return Err(RoleError::NotPermitted {
                op: op.id,
                kind: op.kind.name(),
                role,
            });
        }
    }
    Ok(())
}
