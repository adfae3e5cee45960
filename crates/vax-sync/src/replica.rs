//! The merged state: what a replica knows after applying every op it holds.
//!
//! [`Replica`] is a pure function of the *set* of ops applied to it: [`Replica::apply`] is
//! idempotent and commutative, so replicas holding the same ops hold equal states whatever
//! the order of delivery. That property is what the convergence tests check.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use crdts::mvreg::Op as PutOp;
use crdts::{CmRDT, GSet, LWWReg, MVReg, VClock};
use serde::{Deserialize, Serialize};
use vax_domain::eligibility::{valid_doses_numbered, DoseRecord};
use vax_domain::stock::{DoseUse, StockRecord};
use vax_domain::voucher::VoucherNumber;

use crate::hlc::Hlc;
use crate::ids::{OpId, ReplicaId, TimeBandId, VenueCode};
use crate::invariants::{AlertKey, Touched};
use crate::op::{AuditEntry, StaffDef};
use crate::op::{
    BookingCause, CheckIn, Dose, EventKind, FieldName, Inquiry, Op, OpKind, ResidentField, Stamp,
    StandbyCall, StockChange, StockEvent, SupplyDef, TimeBandDef, VenueDef, Void,
};
use crate::rides::{RideMark, RideMarkKey, RidePlan};

/// The booking register's key: one resident's one dose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BookingKey {
    /// The resident.
    pub resident: VoucherNumber,
    /// Which dose.
    pub dose_number: u8,
}

/// One live value of a booking register.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BookingValue {
    /// The band, or `None` for a cancellation.
    pub band: Option<TimeBandId>,
    /// Why it was written.
    pub cause: BookingCause,
    /// The op that wrote it (author and counter).
    pub op: OpId,
    /// When.
    pub hlc: Hlc,
}

/// One lot at one venue: the unit that carries a vial clock.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LotKey {
    /// Where.
    pub venue: VenueCode,
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
}

/// An event with the op that recorded it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Recorded<T> {
    /// The op that recorded it: the event's identity.
    pub op: OpId,
    /// When.
    pub hlc: Hlc,
    /// The event.
    pub event: T,
}

/// A dose record with its void status, as the domain's duplicate-dose rule reads it.
struct DoseState<'a> {
    dose: &'a Recorded<Dose>,
    voided: bool,
}

impl DoseRecord for DoseState<'_> {
    fn dose_number(&self) -> u8 {
        self.dose.event.dose_number
    }
    fn is_voided(&self) -> bool {
        self.voided
    }
}

type Lww<T> = LWWReg<T, Stamp>;

/// The merged state of one replica.
///
/// The event maps are grow-only sets keyed by op id. We keep them as maps rather than
/// `crdts::GSet<Event>` because voids and alerts look events up by id; nothing is ever removed
/// from them, which is all a G-Set promises. The `*_by_*` fields are indexes derived from the
/// rest, kept up to date by `apply` so that [`Replica::invariants`] does not rescan everything
/// after each merge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replica {
    pub(crate) residents: HashMap<VoucherNumber, HashMap<FieldName, Lww<ResidentField>>>,
    pub(crate) bookings: HashMap<BookingKey, MVReg<BookingValue, ReplicaId>>,
    pub(crate) doses: HashMap<OpId, Recorded<Dose>>,
    pub(crate) check_ins: HashMap<OpId, Recorded<CheckIn>>,
    pub(crate) stock: HashMap<OpId, Recorded<StockEvent>>,
    pub(crate) inquiries: HashMap<OpId, Recorded<Inquiry>>,
    pub(crate) standby_calls: HashMap<OpId, Recorded<StandbyCall>>,
    pub(crate) voids: HashMap<OpId, Recorded<Void>>,
    pub(crate) bands: HashMap<TimeBandId, Lww<TimeBandDef>>,
    pub(crate) venues: HashMap<VenueCode, Lww<VenueDef>>,
    pub(crate) acknowledged: GSet<AlertKey>,
    pub(crate) staff: HashMap<String, Lww<StaffDef>>,
    pub(crate) audit: HashMap<OpId, Recorded<AuditEntry>>,
    pub(crate) ride_plans: HashMap<(VenueCode, NaiveDate), Lww<RidePlan>>,
    pub(crate) ride_marks: HashMap<RideMarkKey, Lww<RideMark>>,
    pub(crate) supply: HashMap<(VenueCode, NaiveDate), Lww<SupplyDef>>,

    // Derived indexes.
    pub(crate) voided_by: HashMap<OpId, BTreeSet<OpId>>,
    pub(crate) doses_by_key: HashMap<BookingKey, BTreeSet<OpId>>,
    pub(crate) doses_by_lot: HashMap<LotKey, BTreeSet<OpId>>,
    pub(crate) stock_by_lot: HashMap<LotKey, BTreeSet<OpId>>,
    /// Quarantine events by (product, lot), whatever the venue.
    pub(crate) quarantines: HashMap<(String, String), BTreeSet<OpId>>,
    pub(crate) booking_bands: HashMap<BookingKey, BTreeSet<TimeBandId>>,
    pub(crate) band_members: HashMap<TimeBandId, BTreeSet<BookingKey>>,
    pub(crate) contested: BTreeSet<BookingKey>,
}

impl Replica {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one op. Applying an op already applied changes nothing, and the result does not
    /// depend on the order ops arrive in.
    ///
    /// The op is assumed valid ([`Op::validate`]); the protocol checks that before storing it.
    pub fn apply(&mut self, op: &Op) {
        self.apply_noting(op, None);
    }

    /// [`Replica::apply`], noting in `touched` what the invariants must look at again.
    pub(crate) fn apply_noting(&mut self, op: &Op, mut touched: Option<&mut Touched>) {
        match &op.kind {
            OpKind::SetResidentFields { resident, fields } => {
                let registers = self.residents.entry(resident.clone()).or_default();
                for field in fields {
                    lww_write(registers.entry(field.name()), field, op.stamp());
                }
            }
            OpKind::Book(b) => {
                let key = BookingKey {
                    resident: b.resident.clone(),
                    dose_number: b.dose_number,
                };
                let register = self.bookings.entry(key.clone()).or_default();
                register.apply(PutOp::Put {
                    clock: b.clock.clone(),
                    val: BookingValue {
                        band: b.band,
                        cause: b.cause,
                        op: op.id,
                        hlc: op.hlc,
                    },
                });
                let live = register.read().val;
                let moved = self.reindex_booking(key.clone(), &live);
                if let Some(t) = touched {
                    t.bands.extend(moved);
                    t.bookings.insert(key);
                }
            }
            OpKind::RecordDose(d) => {
                if insert_event(&mut self.doses, op, d) {
                    let key = BookingKey {
                        resident: d.resident.clone(),
                        dose_number: d.dose_number,
                    };
                    self.doses_by_key
                        .entry(key.clone())
                        .or_default()
                        .insert(op.id);
                    let lot = LotKey {
                        venue: d.venue.clone(),
                        product: d.product.clone(),
                        lot: d.lot.clone(),
                    };
                    self.doses_by_lot.entry(lot).or_default().insert(op.id);
                    if let Some(t) = touched.as_deref_mut() {
                        t.dose_keys.insert(key);
                        t.doses.insert(op.id);
                    }
                    self.touch_voids_of(op.id, touched);
                }
            }
            OpKind::CheckIn(c) => {
                if insert_event(&mut self.check_ins, op, c) {
                    self.touch_voids_of(op.id, touched);
                }
            }
            OpKind::StockEvent(s) => {
                if insert_event(&mut self.stock, op, s) {
                    let lot = LotKey {
                        venue: s.venue.clone(),
                        product: s.product.clone(),
                        lot: s.lot.clone(),
                    };
                    self.stock_by_lot
                        .entry(lot.clone())
                        .or_default()
                        .insert(op.id);
                    let quarantine = matches!(s.change, StockChange::Quarantined { .. });
                    if quarantine {
                        self.quarantines
                            .entry((s.product.clone(), s.lot.clone()))
                            .or_default()
                            .insert(op.id);
                    }
                    if let Some(t) = touched.as_deref_mut() {
                        if quarantine {
                            // A quarantine stops the lot at every venue.
                            t.lots.extend(
                                self.doses_by_lot
                                    .keys()
                                    .filter(|k| k.product == s.product && k.lot == s.lot)
                                    .cloned(),
                            );
                        }
                        t.lots.insert(lot);
                    }
                    self.touch_voids_of(op.id, touched);
                }
            }
            OpKind::Inquiry(i) => {
                if insert_event(&mut self.inquiries, op, i) {
                    self.touch_voids_of(op.id, touched);
                }
            }
            OpKind::Void(v) => {
                if insert_event(&mut self.voids, op, v) {
                    self.voided_by.entry(v.target).or_default().insert(op.id);
                    if let Some(t) = touched {
                        t.voids.insert(op.id);
                        // A void changes what counts, so the target's checks run again.
                        if let Some(d) = self.doses.get(&v.target) {
                            t.dose_keys.insert(BookingKey {
                                resident: d.event.resident.clone(),
                                dose_number: d.event.dose_number,
                            });
                            t.doses.insert(v.target);
                        }
                        if let Some(s) = self.stock.get(&v.target) {
                            t.lots.insert(LotKey {
                                venue: s.event.venue.clone(),
                                product: s.event.product.clone(),
                                lot: s.event.lot.clone(),
                            });
                            if matches!(s.event.change, StockChange::Quarantined { .. }) {
                                let (product, lot) = (&s.event.product, &s.event.lot);
                                t.lots.extend(
                                    self.doses_by_lot
                                        .keys()
                                        .filter(|k| &k.product == product && &k.lot == lot)
                                        .cloned(),
                                );
                            }
                        }
                    }
                }
            }
            OpKind::DefineTimeBand(b) => {
                lww_write(self.bands.entry(b.band), b, op.stamp());
                if let Some(t) = touched {
                    t.bands.insert(b.band);
                }
            }
            OpKind::DefineVenue(v) => {
                lww_write(self.venues.entry(v.code.clone()), v, op.stamp());
            }
            OpKind::StandbyCall(c) => {
                insert_event(&mut self.standby_calls, op, c);
            }
            // An acknowledgement only ever removes an alert.
            OpKind::Acknowledge { alert } => self.acknowledged.insert(alert.clone()),
            OpKind::DefineStaff(s) => {
                lww_write(self.staff.entry(s.code.clone()), s, op.stamp());
            }
            OpKind::Audit(a) => {
                insert_event(&mut self.audit, op, a);
            }
            OpKind::DefineRides(p) => {
                lww_write(
                    self.ride_plans.entry((p.venue.clone(), p.date)),
                    p,
                    op.stamp(),
                );
            }
            OpKind::MarkRide(m) => {
                lww_write(self.ride_marks.entry(m.key()), m, op.stamp());
            }
            OpKind::DefineSupply(s) => {
                lww_write(self.supply.entry((s.venue.clone(), s.date)), s, op.stamp());
            }
        }
    }

    /// A newly arrived event may be the target of voids that came first: check those again.
    fn touch_voids_of(&self, event: OpId, touched: Option<&mut Touched>) {
        if let (Some(t), Some(voids)) = (touched, self.voided_by.get(&event)) {
            t.voids.extend(voids.iter().copied());
        }
    }

    /// Keeps the band occupancy and contested-booking indexes in step with a register's live
    /// values. Returns the bands whose occupancy changed.
    fn reindex_booking(&mut self, key: BookingKey, live: &[BookingValue]) -> Vec<TimeBandId> {
        let now: BTreeSet<TimeBandId> = live.iter().filter_map(|v| v.band).collect();
        let before = self.booking_bands.remove(&key).unwrap_or_default();
        let moved: Vec<TimeBandId> = before.symmetric_difference(&now).copied().collect();
        for band in before.difference(&now) {
            if let Some(members) = self.band_members.get_mut(band) {
                members.remove(&key);
                if members.is_empty() {
                    self.band_members.remove(band);
                }
            }
        }
        for band in now.difference(&before) {
            self.band_members
                .entry(*band)
                .or_default()
                .insert(key.clone());
        }
        if live.len() > 1 {
            self.contested.insert(key.clone());
        } else {
            self.contested.remove(&key);
        }
        if !now.is_empty() {
            self.booking_bands.insert(key, now);
        }
        moved
    }

    /// HQ's current bus plan of a venue day (the latest `define_rides`).
    pub fn ride_plan(&self, venue: &VenueCode, date: NaiveDate) -> Option<&RidePlan> {
        self.ride_plans.get(&(venue.clone(), date)).map(|r| &r.val)
    }

    /// HQ's current delivery entry of a venue day (the latest `define_supply`; its `vials`
    /// is `None` when HQ removed it).
    pub fn supply(&self, venue: &VenueCode, date: NaiveDate) -> Option<&SupplyDef> {
        self.supply.get(&(venue.clone(), date)).map(|r| &r.val)
    }

    /// The current mark of one rider's ride (the latest `mark_ride`).
    pub fn ride_mark(&self, key: &RideMarkKey) -> Option<&RideMark> {
        self.ride_marks.get(key).map(|r| &r.val)
    }

    /// The stamp of the op whose mark is current for a rider's ride.
    pub fn ride_mark_stamp(&self, key: &RideMarkKey) -> Option<Stamp> {
        self.ride_marks.get(key).map(|r| r.marker)
    }

    /// The current value of one resident field.
    pub fn resident_field(
        &self,
        resident: &VoucherNumber,
        field: FieldName,
    ) -> Option<&ResidentField> {
        self.residents.get(resident)?.get(&field).map(|r| &r.val)
    }

    /// The stamp of the newest write to any field of a resident: when its data last changed.
    pub fn resident_stamp(&self, resident: &VoucherNumber) -> Option<Stamp> {
        self.residents
            .get(resident)?
            .values()
            .map(|r| r.marker)
            .max()
    }

    /// How many residents have at least one field set.
    pub fn resident_count(&self) -> usize {
        self.residents.len()
    }

    /// The live values of a booking register, oldest first. More than one means concurrent
    /// writes nobody has resolved yet.
    pub fn booking(&self, resident: &VoucherNumber, dose_number: u8) -> Vec<BookingValue> {
        let key = BookingKey {
            resident: resident.clone(),
            dose_number,
        };
        self.bookings.get(&key).map(live_values).unwrap_or_default()
    }

    /// The causal context for a new write to a booking register by `author`: everything the
    /// register holds now, plus one tick of the author's.
    pub fn booking_write_clock(
        &self,
        resident: &VoucherNumber,
        dose_number: u8,
        author: ReplicaId,
    ) -> VClock<ReplicaId> {
        let key = BookingKey {
            resident: resident.clone(),
            dose_number,
        };
        match self.bookings.get(&key) {
            Some(register) => register.read_ctx().derive_add_ctx(author).clock,
            None => {
                MVReg::<BookingValue, ReplicaId>::new()
                    .read_ctx()
                    .derive_add_ctx(author)
                    .clock
            }
        }
    }

    /// A dose by the op that recorded it, voided or not.
    pub fn dose(&self, id: &OpId) -> Option<&Recorded<Dose>> {
        self.doses.get(id)
    }

    /// The valid (not voided) doses for one resident's one dose number, in op order.
    pub fn valid_doses(&self, resident: &VoucherNumber, dose_number: u8) -> Vec<&Recorded<Dose>> {
        let key = BookingKey {
            resident: resident.clone(),
            dose_number,
        };
        let recorded: Vec<DoseState<'_>> = self
            .doses_by_key
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|id| {
                let dose = self.doses.get(id)?;
                Some(DoseState {
                    dose,
                    voided: self.is_voided(id),
                })
            })
            .collect();
        // The domain's one duplicate-dose rule decides which records count.
        valid_doses_numbered(&recorded, dose_number)
            .map(|s| s.dose)
            .collect()
    }

    /// A check-in by its op.
    pub fn check_in(&self, id: &OpId) -> Option<&Recorded<CheckIn>> {
        self.check_ins.get(id)
    }

    /// A stock event by its op.
    pub fn stock_event(&self, id: &OpId) -> Option<&Recorded<StockEvent>> {
        self.stock.get(id)
    }

    /// A standby call by its op.
    pub fn standby_call(&self, id: &OpId) -> Option<&Recorded<StandbyCall>> {
        self.standby_calls.get(id)
    }

    /// An inquiry by its op.
    pub fn inquiry(&self, id: &OpId) -> Option<&Recorded<Inquiry>> {
        self.inquiries.get(id)
    }

    /// How many events (doses, check-ins, stock events, inquiries, voids) are held, voided or
    /// not: the grow-only sets never shrink.
    pub fn event_count(&self) -> usize {
        self.doses.len()
            + self.check_ins.len()
            + self.stock.len()
            + self.inquiries.len()
            + self.voids.len()
    }

    /// The kind of the event recorded by `id`, if we hold it.
    pub fn event_kind(&self, id: &OpId) -> Option<EventKind> {
        if self.doses.contains_key(id) {
            Some(EventKind::Dose)
        } else if self.check_ins.contains_key(id) {
            Some(EventKind::CheckIn)
        } else if self.stock.contains_key(id) {
            Some(EventKind::Stock)
        } else if self.inquiries.contains_key(id) {
            Some(EventKind::Inquiry)
        } else {
            None
        }
    }

    /// Whether the event recorded by `id` is voided: some void names it with its right kind.
    pub fn is_voided(&self, id: &OpId) -> bool {
        let Some(kind) = self.event_kind(id) else {
            return false;
        };
        self.voided_by.get(id).is_some_and(|voids| {
            voids
                .iter()
                .filter_map(|v| self.voids.get(v))
                .any(|v| v.event.target_kind == kind)
        })
    }

    /// A time band as last defined.
    pub fn time_band(&self, band: &TimeBandId) -> Option<&TimeBandDef> {
        self.bands.get(band).map(|r| &r.val)
    }

    /// How many (resident, dose) pairs have a live booking in the band.
    pub fn band_occupancy(&self, band: &TimeBandId) -> usize {
        self.band_members.get(band).map_or(0, BTreeSet::len)
    }

    /// A venue as last defined.
    pub fn venue(&self, code: &VenueCode) -> Option<&VenueDef> {
        self.venues.get(code).map(|r| &r.val)
    }

    /// A staff member as HQ last defined them.
    pub fn staff(&self, code: &str) -> Option<&StaffDef> {
        self.staff.get(code).map(|r| &r.val)
    }

    /// The audit entries, by the op that wrote them (grow-only).
    pub fn audit_entries(&self) -> impl Iterator<Item = &Recorded<AuditEntry>> {
        self.audit.values()
    }

    /// The earliest valid quarantine of (product, lot) recorded at or before `at`, at any
    /// venue.
    pub(crate) fn quarantine_of(
        &self,
        product: &str,
        lot: &str,
        at: NaiveDateTime,
    ) -> Option<(NaiveDateTime, OpId)> {
        self.quarantines
            .get(&(product.to_owned(), lot.to_owned()))?
            .iter()
            .filter(|id| !self.is_voided(id))
            .filter_map(|id| self.stock.get(id))
            .map(|s| (s.event.at, s.op))
            .filter(|(since, _)| *since <= at)
            .min()
    }

    /// The clock of one opened vial (its `opened` event), unless that event is voided.
    pub(crate) fn vial_clock(&self, vial: &OpId) -> Option<(NaiveDateTime, OpId)> {
        if self.is_voided(vial) {
            return None;
        }
        match self.stock.get(vial)?.event.change {
            StockChange::Opened { use_by, .. } => Some((use_by, *vial)),
            _ => None,
        }
    }

    /// Every stock event recorded at `venue`, voided ones marked, as the domain's stock fold
    /// reads them ([`vax_domain::stock::lot_states`]).
    pub fn stock_records_at(&self, venue: &VenueCode) -> Vec<StockRecord> {
        let mut records: Vec<StockRecord> = self
            .stock
            .values()
            .filter(|s| &s.event.venue == venue)
            .map(|s| StockRecord {
                id: s.op.to_string(),
                at: s.event.at,
                product: s.event.product.clone(),
                lot: s.event.lot.clone(),
                change: s.event.change.clone(),
                voided: self.is_voided(&s.op),
            })
            .collect();
        records.sort_by(|a, b| a.id.cmp(&b.id));
        records
    }

    /// Every valid dose given at `venue`, with its vial, as the stock fold reads them.
    pub fn dose_uses_at(&self, venue: &VenueCode) -> Vec<DoseUse> {
        let mut doses: Vec<(OpId, DoseUse)> = self
            .doses
            .values()
            .filter(|d| &d.event.venue == venue && !self.is_voided(&d.op))
            .map(|d| {
                (
                    d.op,
                    DoseUse {
                        product: d.event.product.clone(),
                        lot: d.event.lot.clone(),
                        vial: d.event.vial.map(|v| v.to_string()),
                        at: d.event.administered_at,
                        count: 1,
                    },
                )
            })
            .collect();
        doses.sort_by_key(|(id, _)| *id);
        doses.into_iter().map(|(_, d)| d).collect()
    }

    /// The lot's clock at a venue: the latest thawed/opened `use_by`, and the earliest expiry
    /// date, each with the stock event that set it. Voided stock events do not count.
    pub(crate) fn lot_clock(&self, lot: &LotKey) -> LotClock {
        let mut clock = LotClock::default();
        for id in self.stock_by_lot.get(lot).into_iter().flatten() {
            if self.is_voided(id) {
                continue;
            }
            let Some(event) = self.stock.get(id) else {
                continue;
            };
            use vax_domain::stock::StockChange::{Opened, Received, Thawed};
            match &event.event.change {
                Received { expires_on, .. }
                    if clock
                        .expires_on
                        .is_none_or(|(d, by)| (*expires_on, *id) < (d, by)) =>
                {
                    clock.expires_on = Some((*expires_on, *id));
                }
                Thawed { use_by, .. } | Opened { use_by, .. }
                    if clock.use_by.is_none_or(|(t, by)| (*use_by, *id) > (t, by)) =>
                {
                    clock.use_by = Some((*use_by, *id));
                }
                // Later clocks than held, waste, transfers, counts, quarantine and close-out
                // change no clock.
                _ => {}
            }
        }
        clock
    }
}

/// What limits a lot's use at a venue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LotClock {
    pub(crate) expires_on: Option<(chrono::NaiveDate, OpId)>,
    pub(crate) use_by: Option<(NaiveDateTime, OpId)>,
}

/// The register's values in a stable order (the register keeps them in arrival order).
pub(crate) fn live_values(register: &MVReg<BookingValue, ReplicaId>) -> Vec<BookingValue> {
    let mut values = register.read().val;
    values.sort();
    values
}

fn lww_write<K, T: Clone + PartialEq>(entry: Entry<'_, K, Lww<T>>, value: &T, stamp: Stamp) {
    match entry {
        Entry::Occupied(mut e) => e.get_mut().update(value.clone(), stamp),
        Entry::Vacant(e) => {
            e.insert(LWWReg {
                val: value.clone(),
                marker: stamp,
            });
        }
    }
}

/// Inserts an event into its grow-only set; false if it was already there.
fn insert_event<T: Clone>(set: &mut HashMap<OpId, Recorded<T>>, op: &Op, event: &T) -> bool {
    match set.entry(op.id) {
        Entry::Occupied(_) => false,
        Entry::Vacant(e) => {
            e.insert(Recorded {
                op: op.id,
                hlc: op.hlc,
                event: event.clone(),
            });
            true
        }
    }
}
