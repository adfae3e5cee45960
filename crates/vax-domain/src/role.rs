//! The roles an installation is enrolled for.

use serde::{Deserialize, Serialize};

/// What an installation is used for; decides which screens it shows and, once replication
/// lands, which changes it may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// 受付: scan, find, check in.
    Reception,
    /// 接種: record doses, watch observation.
    Booth,
    /// 会場責任者: everything at the venue, including stock and the day's progress.
    VenueManager,
    /// 本部.
    Headquarters,
    /// コールセンター.
    CallCentre,
}

impl Role {
    /// Every role, in menu order.
    pub const ALL: [Role; 5] = [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::Headquarters,
        Role::CallCentre,
    ];

    /// The code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Self::Reception => "reception",
            Self::Booth => "booth",
            Self::VenueManager => "venue_manager",
            Self::Headquarters => "headquarters",
            Self::CallCentre => "call_centre",
        }
    }

    /// Reads the ledger code back.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether the role works at a venue's desk (check-in).
    pub fn may_check_in(self) -> bool {
        matches!(self, Self::Reception | Self::VenueManager)
    }

    /// Whether the role runs the nightly VRS export (headquarters only: it sends the
    /// city's records to the national system).
    pub fn may_export_vrs(self) -> bool {
        matches!(self, Self::Headquarters)
    }

    /// Whether the role prints the city's voucher sheets for mailing (headquarters only).
    pub fn may_print_vouchers(self) -> bool {
        matches!(self, Self::Headquarters)
    }

    /// Whether the role's kiosk may run the venue's LAN relay (issue 17): the venue
    /// manager's, which the other kiosks of the venue sync with.
    pub fn may_host_relay(self) -> bool {
        matches!(self, Self::VenueManager)
    }

    /// Whether the role records doses.
    pub fn may_record_doses(self) -> bool {
        matches!(self, Self::Booth | Self::VenueManager)
    }

    /// Whether the role records stock events (deliveries, vials, waste).
    pub fn may_record_stock(self) -> bool {
        matches!(self, Self::VenueManager | Self::Headquarters)
    }

    /// Whether the role opens vials: the booth opens the next vial when the open one runs
    /// out, besides those who record all stock.
    pub fn may_open_vials(self) -> bool {
        self.may_record_doses() || self.may_record_stock()
    }

    /// Whether the role logs calls and other inquiries.
    pub fn may_log_inquiries(self) -> bool {
        matches!(self, Self::CallCentre | Self::Headquarters)
    }

    /// Whether the role moves one resident's booking at their request.
    pub fn may_rebook(self) -> bool {
        matches!(self, Self::CallCentre | Self::Headquarters)
    }

    /// Whether the role corrects a resident's contact details (phone, address): at the desk,
    /// or on the phone when the resident calls the call centre.
    pub fn may_edit_contact(self) -> bool {
        matches!(
            self,
            Self::Reception | Self::Headquarters | Self::CallCentre
        )
    }

    /// Whether the role marks bus riders boarded or not at the pick-up: the venue's desk,
    /// which meets the buses, and HQ.
    pub fn may_mark_rides(self) -> bool {
        self.may_check_in() || self.runs_the_campaign()
    }

    /// Whether the role runs the campaign: the calendar, the register, reshuffles, any
    /// resident field, resolving conflicts. Its replicated changes are never refused on role.
    pub fn runs_the_campaign(self) -> bool {
        matches!(self, Self::Headquarters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_code_reads_back() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role), "{role:?}");
        }
        assert_eq!(Role::from_code("admin"), None);
    }

    #[test]
    fn reception_cannot_record_doses_and_the_booth_cannot_check_in() {
        assert!(!Role::Reception.may_record_doses());
        assert!(!Role::Booth.may_check_in());
        assert!(Role::VenueManager.may_check_in() && Role::VenueManager.may_record_doses());
        assert!(Role::Headquarters.may_export_vrs() && !Role::VenueManager.may_export_vrs());
    }

    #[test]
    fn the_desk_and_hq_mark_bus_riders_and_the_booth_and_call_centre_do_not() {
        let marking: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.may_mark_rides())
            .collect();
        assert_eq!(
            marking,
            [Role::Reception, Role::VenueManager, Role::Headquarters]
        );
    }
}
