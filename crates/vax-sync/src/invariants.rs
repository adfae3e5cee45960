//! The invariants checked after every merge, and the alerts that report their violations.
//!
//! Nothing here repairs anything: which of two doses is real, or which booking stands, is for a
//! person at HQ to decide. Their decision is an ordinary op (a void, a `resolve` booking, an
//! acknowledgement) that replicates like any other and clears the alert everywhere.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use vax_domain::voucher::VoucherNumber;

use crate::ids::{OpId, TimeBandId};
use crate::op::{Dose, EventKind, Void};
use crate::replica::{live_values, BookingKey, BookingValue, LotClock, LotKey, Recorded, Replica};

/// A violated invariant, with the records involved side by side.
// A dose (with its vial and override) makes one variant larger than the others; alerts are
// few and short-lived, so boxing it would only change every pattern that reads them.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "alert", rename_all = "snake_case")]
pub enum Alert {
    /// More than one valid dose for one (resident, dose number): typically the same dose
    /// recorded at two venues while offline.
    DuplicateDose {
        /// The resident.
        resident: VoucherNumber,
        /// Which dose.
        dose_number: u8,
        /// Every valid dose, in op order.
        doses: Vec<Recorded<Dose>>,
    },
    /// A booking register holds more than one live value: concurrent rebookings.
    ConcurrentBookings {
        /// The resident.
        resident: VoucherNumber,
        /// Which dose.
        dose_number: u8,
        /// Every live value.
        values: Vec<BookingValue>,
    },
    /// More live bookings in a band than its capacity.
    BandOverCapacity {
        /// The band.
        band: TimeBandId,
        /// Its capacity.
        capacity: u32,
        /// Every (resident, dose) booked into it, with the value(s) that put it there.
        bookings: Vec<(BookingKey, Vec<BookingValue>)>,
    },
    /// A valid dose given after its lot's clock at that venue ran out.
    DoseFromExpiredLot {
        /// The dose.
        dose: Recorded<Dose>,
        /// What ran out.
        limit: LotLimit,
    },
    /// A void that names a target of another kind than the target is. It has no effect.
    MismatchedVoid {
        /// The void.
        void: Recorded<Void>,
        /// What the target really is.
        actual: EventKind,
    },
}

/// The limit a dose broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "limit", rename_all = "snake_case")]
pub enum LotLimit {
    /// Given on a day after the lot's expiry date.
    Expired {
        /// The expiry date.
        expires_on: NaiveDate,
        /// The `received` stock event that carries it.
        set_by: OpId,
    },
    /// Given from a lot after it was quarantined (at any venue: a cold-chain excursion or a
    /// recall stops the whole lot).
    Quarantined {
        /// When the quarantine was recorded.
        since: NaiveDateTime,
        /// The `quarantined` stock event.
        set_by: OpId,
    },
    /// Given after the clock ran out: the clock of the dose's own vial when it names one,
    /// else the latest thawed/opened clock of the lot at that venue.
    PastUseBy {
        /// The end of the clock.
        use_by: NaiveDateTime,
        /// The stock event that set it.
        set_by: OpId,
    },
}

/// The alerts HQ may acknowledge: the facts no data change can undo.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "alert", rename_all = "snake_case")]
pub enum AlertKey {
    /// A [`Alert::DoseFromExpiredLot`], by the dose's op.
    DoseFromExpiredLot {
        /// The dose.
        dose: OpId,
    },
    /// A [`Alert::MismatchedVoid`], by the void's op.
    MismatchedVoid {
        /// The void.
        void: OpId,
    },
}

impl Alert {
    /// The residents the alert names, each once (none for a mismatched void, which names a
    /// record): HQ of a municipality is shown only the alerts about its own residents.
    pub fn residents(&self) -> Vec<&VoucherNumber> {
        let mut residents: Vec<&VoucherNumber> = match self {
            Self::DuplicateDose { resident, .. } | Self::ConcurrentBookings { resident, .. } => {
                vec![resident]
            }
            Self::BandOverCapacity { bookings, .. } => {
                bookings.iter().map(|(key, _)| &key.resident).collect()
            }
            Self::DoseFromExpiredLot { dose, .. } => vec![&dose.event.resident],
            Self::MismatchedVoid { .. } => Vec::new(),
        };
        residents.sort();
        residents.dedup();
        residents
    }

    /// The key an `acknowledge` op uses to clear this alert, for the alerts that can only be
    /// acknowledged. Conflicts that data can resolve have none, so they cannot be waved away.
    pub fn acknowledgement_key(&self) -> Option<AlertKey> {
        match self {
            Self::DoseFromExpiredLot { dose, .. } => {
                Some(AlertKey::DoseFromExpiredLot { dose: dose.op })
            }
            Self::MismatchedVoid { void, .. } => Some(AlertKey::MismatchedVoid { void: void.op }),
            Self::DuplicateDose { .. }
            | Self::ConcurrentBookings { .. }
            | Self::BandOverCapacity { .. } => None,
        }
    }
}

/// What a merge may have changed, for checking only the invariants it could have broken.
///
/// Each field lists keys whose check must run again; the full check is the same code with
/// every key listed, so the scoped and the full check cannot drift apart.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    /// (resident, dose) pairs whose valid doses may have changed.
    pub(crate) dose_keys: BTreeSet<BookingKey>,
    /// Booking registers written.
    pub(crate) bookings: BTreeSet<BookingKey>,
    /// Bands whose occupancy or capacity changed.
    pub(crate) bands: BTreeSet<TimeBandId>,
    /// Lots whose clock may have changed: every dose of the lot is checked.
    pub(crate) lots: BTreeSet<LotKey>,
    /// Single doses to check against their lot's clock.
    pub(crate) doses: BTreeSet<OpId>,
    /// Voids whose target kind must be checked.
    pub(crate) voids: BTreeSet<OpId>,
}

impl Touched {
    pub(crate) fn is_empty(&self) -> bool {
        self.dose_keys.is_empty()
            && self.bookings.is_empty()
            && self.bands.is_empty()
            && self.lots.is_empty()
            && self.doses.is_empty()
            && self.voids.is_empty()
    }
}

impl Replica {
    /// Every violated invariant, in a stable order. See `docs/sync-spec.md` §6.
    pub fn invariants(&self) -> Vec<Alert> {
        let everything = Touched {
            dose_keys: self
                .doses_by_key
                .iter()
                .filter(|(_, ids)| ids.len() > 1)
                .map(|(key, _)| key.clone())
                .collect(),
            bookings: self.contested.clone(),
            bands: self.band_members.keys().copied().collect(),
            // Every lot a dose was given from: its clock, or a quarantine of the lot at another
            // venue, may judge it.
            lots: self
                .doses_by_lot
                .keys()
                .filter(|lot| {
                    self.stock_by_lot.contains_key(*lot)
                        || self
                            .quarantines
                            .contains_key(&(lot.product.clone(), lot.lot.clone()))
                })
                .cloned()
                .collect(),
            doses: BTreeSet::new(),
            voids: self.voids.keys().copied().collect(),
        };
        self.invariants_in(&everything)
    }

    /// The violated invariants among the records in `scope`, in a stable order.
    pub(crate) fn invariants_in(&self, scope: &Touched) -> Vec<Alert> {
        let mut alerts = Vec::new();
        self.duplicate_doses(scope, &mut alerts);
        self.concurrent_bookings(scope, &mut alerts);
        self.bands_over_capacity(scope, &mut alerts);
        self.doses_from_expired_lots(scope, &mut alerts);
        self.mismatched_voids(scope, &mut alerts);
        alerts.retain(|a| {
            a.acknowledgement_key()
                .is_none_or(|key| !self.acknowledged.contains(&key))
        });
        alerts.sort();
        alerts.dedup();
        alerts
    }

    fn duplicate_doses(&self, scope: &Touched, alerts: &mut Vec<Alert>) {
        for key in &scope.dose_keys {
            let doses = self.valid_doses(&key.resident, key.dose_number);
            if doses.len() > 1 {
                alerts.push(Alert::DuplicateDose {
                    resident: key.resident.clone(),
                    dose_number: key.dose_number,
                    doses: doses.into_iter().cloned().collect(),
                });
            }
        }
    }

    fn concurrent_bookings(&self, scope: &Touched, alerts: &mut Vec<Alert>) {
        for key in scope.bookings.intersection(&self.contested) {
            if let Some(register) = self.bookings.get(key) {
                alerts.push(Alert::ConcurrentBookings {
                    resident: key.resident.clone(),
                    dose_number: key.dose_number,
                    values: live_values(register),
                });
            }
        }
    }

    fn bands_over_capacity(&self, scope: &Touched, alerts: &mut Vec<Alert>) {
        for band in &scope.bands {
            let Some(members) = self.band_members.get(band) else {
                continue;
            };
            // A booking into a band HQ has not defined (or whose definition has not arrived
            // yet) has no capacity to break.
            let Some(def) = self.time_band(band) else {
                continue;
            };
            if members.len() <= def.capacity as usize {
                continue;
            }
            let bookings = members
                .iter()
                .map(|key| {
                    let values = self
                        .bookings
                        .get(key)
                        .map(live_values)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|v| v.band == Some(*band))
                        .collect();
                    (key.clone(), values)
                })
                .collect();
            alerts.push(Alert::BandOverCapacity {
                band: *band,
                capacity: def.capacity,
                bookings,
            });
        }
    }

    fn doses_from_expired_lots(&self, scope: &Touched, alerts: &mut Vec<Alert>) {
        let mut clocks: HashMap<LotKey, LotClock> = HashMap::new();
        let whole_lots = scope
            .lots
            .iter()
            .filter_map(|lot| self.doses_by_lot.get(lot))
            .flatten();
        for id in whole_lots.chain(&scope.doses) {
            if self.is_voided(id) {
                continue;
            }
            let Some(dose) = self.doses.get(id) else {
                continue;
            };
            let lot = LotKey {
                venue: dose.event.venue.clone(),
                product: dose.event.product.clone(),
                lot: dose.event.lot.clone(),
            };
            let at = dose.event.administered_at;
            let quarantine = self.quarantine_of(&lot.product, &lot.lot, at);
            let vial = dose.event.vial.and_then(|v| self.vial_clock(&v));
            let clock = *clocks
                .entry(lot)
                .or_insert_with_key(|lot| self.lot_clock(lot));
            let limit = match (quarantine, clock.expires_on, vial, clock.use_by) {
                (Some((since, set_by)), ..) => Some(LotLimit::Quarantined { since, set_by }),
                (_, Some((expires_on, set_by)), ..) if at.date() > expires_on => {
                    Some(LotLimit::Expired { expires_on, set_by })
                }
                // A dose from a known vial is judged by that vial's clock alone.
                (_, _, Some((use_by, set_by)), _) => {
                    (at > use_by).then_some(LotLimit::PastUseBy { use_by, set_by })
                }
                (_, _, None, Some((use_by, set_by))) if at > use_by => {
                    Some(LotLimit::PastUseBy { use_by, set_by })
                }
                _ => None,
            };
            if let Some(limit) = limit {
                alerts.push(Alert::DoseFromExpiredLot {
                    dose: dose.clone(),
                    limit,
                });
            }
        }
    }

    fn mismatched_voids(&self, scope: &Touched, alerts: &mut Vec<Alert>) {
        for void in scope.voids.iter().filter_map(|id| self.voids.get(id)) {
            // A target we do not hold yet may still arrive with the right kind.
            if let Some(actual) = self.event_kind(&void.event.target) {
                if actual != void.event.target_kind {
                    alerts.push(Alert::MismatchedVoid {
                        void: void.clone(),
                        actual,
                    });
                }
            }
        }
    }
}
