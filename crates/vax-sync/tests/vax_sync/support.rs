//! Builders and a tiny in-memory "network" shared by the tests.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use crdts::VClock;
use vax_domain::inquiry::InquiryTopic;
use vax_domain::voucher::VoucherNumber;
use vax_sync::*;

/// 2021-06-01, 12:00 UTC in ms: the tests' "now".
pub const T0: u64 = 1_622_548_800_000;

pub fn rid(n: u128) -> ReplicaId {
    ReplicaId::from_u128(n)
}

pub fn band_id(n: u128) -> TimeBandId {
    TimeBandId::from_u128(n)
}

pub fn resident(n: u32) -> VoucherNumber {
    VoucherNumber::parse(&format!("{n:010}")).expect("ten digits are a voucher number")
}

pub fn at(hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2021, 6, 1)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .expect("valid test time")
}

/// An op built by hand, for tests of [`Replica`] that need exact stamps.
pub fn op(replica: u128, counter: u64, wall_ms: u64, kind: OpKind) -> Op {
    Op {
        id: OpId {
            replica: rid(replica),
            counter,
        },
        hlc: Hlc::new(wall_ms, 0),
        kind,
        sig: None,
    }
}

pub fn set_phone(r: u32, digits: &str) -> OpKind {
    OpKind::SetResidentFields {
        resident: resident(r),
        fields: vec![ResidentField::Phone(Some(
            vax_domain::resident::Phone::parse(digits).expect("valid test phone"),
        ))],
    }
}

pub fn set_name(r: u32, name: &str) -> OpKind {
    OpKind::SetResidentFields {
        resident: resident(r),
        fields: vec![ResidentField::Name(name.to_owned())],
    }
}

/// HQ's register import setting a resident's 宛名番号.
pub fn set_atena(r: u32, atena: &str) -> OpKind {
    OpKind::SetResidentFields {
        resident: resident(r),
        fields: vec![ResidentField::AtenaNumber(
            vax_domain::resident::AtenaNumber::parse(atena).expect("valid test 宛名番号"),
        )],
    }
}

/// One op setting a contact field and an identity field together.
pub fn phone_and_name(r: u32) -> OpKind {
    OpKind::SetResidentFields {
        resident: resident(r),
        fields: vec![
            ResidentField::Phone(Some(
                vax_domain::resident::Phone::parse("0773-11-1111").expect("valid test phone"),
            )),
            ResidentField::Name("佐藤華子".to_owned()),
        ],
    }
}

/// A booking; [`SyncNode::write`] fills in the clock.
pub fn book(r: u32, dose_number: u8, band: Option<u128>, cause: BookingCause) -> OpKind {
    OpKind::Book(Booking {
        resident: resident(r),
        dose_number,
        band: band.map(band_id),
        product: if band.is_some() {
            "comirnaty".into()
        } else {
            String::new()
        },
        cause,
        clock: VClock::new(),
    })
}

pub fn dose(r: u32, dose_number: u8, venue: &str, lot: &str, when: NaiveDateTime) -> OpKind {
    OpKind::RecordDose(Dose {
        resident: resident(r),
        dose_number,
        venue: VenueCode::new(venue),
        product: "comirnaty".into(),
        lot: lot.into(),
        vaccinator: "山田".into(),
        administered_at: when,
        vial: None,
        overridden: None,
        injection_site: None,
        back_entered: false,
    })
}

pub fn check_in(r: u32, venue: &str) -> OpKind {
    OpKind::CheckIn(CheckIn {
        resident: resident(r),
        dose_number: 1,
        venue: VenueCode::new(venue),
        band: None,
        at: at(9, 0),
        back_entered: false,
    })
}

pub fn inquiry(r: u32, note: &str) -> OpKind {
    OpKind::Inquiry(Inquiry::new(resident(r), InquiryTopic::Other, note))
}

pub fn stock(venue: &str, lot: &str, change: StockChange) -> OpKind {
    OpKind::StockEvent(StockEvent {
        venue: VenueCode::new(venue),
        product: "comirnaty".into(),
        lot: lot.into(),
        at: at(8, 0),
        change,
    })
}

pub fn opened(venue: &str, lot: &str, use_by: NaiveDateTime) -> OpKind {
    stock(
        venue,
        lot,
        StockChange::Opened {
            use_by,
            doses: 6,
            syringe: vax_domain::product::SyringeKind::LowDeadSpace,
        },
    )
}

pub fn void(target: OpId, target_kind: EventKind) -> OpKind {
    OpKind::Void(Void {
        target,
        target_kind,
        reason: "recorded by mistake".into(),
    })
}

pub fn band(n: u128, venue: &str, capacity: u32) -> OpKind {
    OpKind::DefineTimeBand(TimeBandDef {
        band: band_id(n),
        venue: VenueCode::new(venue),
        date: NaiveDate::from_ymd_opt(2021, 6, 1).expect("valid date"),
        start: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
        end: NaiveTime::from_hms_opt(9, 30, 0).expect("valid time"),
        capacity,
        closed: false,
    })
}

/// HQ's delivery of `vials` vials of Comirnaty to `venue` for 1 June 2021; `None` removes it.
pub fn supply(venue: &str, vials: Option<u32>) -> OpKind {
    OpKind::DefineSupply(SupplyDef {
        venue: VenueCode::new(venue),
        date: NaiveDate::from_ymd_opt(2021, 6, 1).expect("valid date"),
        product: if vials.is_some() {
            "comirnaty".into()
        } else {
            String::new()
        },
        vials,
    })
}

/// One replica with its log and its own fake clock.
pub struct Site {
    pub node: SyncNode,
    pub log: MemoryOpLog,
    pub time: ManualClock,
}

/// The test key of replica `n`: fixed bytes, so every site knows every other's public key
/// as a server would hand it on.
pub fn key(n: u128) -> DeviceKey {
    let mut secret = [0u8; 32];
    secret[..16].copy_from_slice(&n.to_be_bytes());
    secret[31] = 0x5a;
    DeviceKey::from_bytes(&secret)
}

/// The test replicas whose keys every [`Site`] knows (the tests number theirs from these).
pub const KNOWN_REPLICAS: std::ops::RangeInclusive<u128> = 1..=128;

impl Site {
    pub fn new(n: u128, role: Role) -> Self {
        let mut node = SyncNode::new(rid(n), role)
            .with_signing_key(key(n))
            .expect("a fresh node takes its key");
        for other in KNOWN_REPLICAS {
            node.add_key(rid(other), key(other).public())
                .expect("test keys are distinct");
        }
        Self {
            node,
            log: MemoryOpLog::new(),
            time: ManualClock::new(T0),
        }
    }

    pub fn id(&self) -> ReplicaId {
        self.node.id()
    }

    pub fn replica(&self) -> &Replica {
        self.node.replica()
    }

    /// A local write that must succeed; time moves on by a millisecond.
    pub fn write(&mut self, kind: OpKind) -> Op {
        self.time.advance(1);
        self.node
            .write(&mut self.log, kind, &self.time)
            .expect("test write is permitted and valid")
    }

    /// The next message to the peer `sync` is kept for, if there is anything to say.
    pub fn next_message(&self, sync: &mut SyncState) -> Option<Message> {
        self.node
            .generate_message(&self.log, sync)
            .expect("memory log never fails")
    }

    /// Takes in a message from the peer `sync` is kept for.
    pub fn receive(
        &mut self,
        sync: &mut SyncState,
        message: Message,
    ) -> Result<Applied, SyncError> {
        self.node
            .receive_message(&mut self.log, sync, message, &self.time)
    }

    /// Takes in a message as from an unknown peer (a fresh [`SyncState`]).
    pub fn receive_fresh(&mut self, message: Message) -> Result<Applied, SyncError> {
        self.receive(&mut SyncState::new(), message)
    }
}

/// A replica that applied a dose and then a void of it naming `target_kind`; and the dose.
pub fn dose_then_void(target_kind: EventKind) -> (Replica, Op) {
    let recorded = op(1, 1, T0, dose(7, 1, "V01", "L1", at(9, 30)));
    let voiding = op(1, 2, T0 + 1, void(recorded.id, target_kind));
    let mut replica = Replica::new();
    replica.apply(&recorded);
    replica.apply(&voiding);
    (replica, recorded)
}

/// One step of a link: `from` sends what it has to say to `to`, if anything. `out` is
/// `from`'s state for `to`, `back` is `to`'s for `from`. True when a message went.
fn step(from: &Site, out: &mut SyncState, to: &mut Site, back: &mut SyncState) -> bool {
    let Some(message) = from.next_message(out) else {
        return false;
    };
    to.receive(back, message)
        .expect("a well-formed message is accepted");
    true
}

/// Runs both sides' protocol over a reliable link until neither has anything to say.
pub fn sync(a: &mut Site, b: &mut Site) {
    let mut a_to_b = SyncState::for_peer(b.id());
    let mut b_to_a = SyncState::for_peer(a.id());
    for _ in 0..10_000 {
        let a_spoke = step(a, &mut a_to_b, b, &mut b_to_a);
        let b_spoke = step(b, &mut b_to_a, a, &mut a_to_b);
        if !a_spoke && !b_spoke {
            return;
        }
    }
    panic!("sync between {} and {} did not settle", a.id(), b.id());
}

/// Two distinct elements of a slice, mutably.
pub fn pair_mut<T>(items: &mut [T], i: usize, j: usize) -> (&mut T, &mut T) {
    assert_ne!(i, j, "a pair needs two different indices");
    if i < j {
        let (left, right) = items.split_at_mut(j);
        (&mut left[i], &mut right[0])
    } else {
        let (left, right) = items.split_at_mut(i);
        (&mut right[0], &mut left[j])
    }
}
