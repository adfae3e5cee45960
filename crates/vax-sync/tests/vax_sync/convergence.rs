//! Convergence under faults: N replicas, random op scripts, random partitions, duplicated,
//! reordered and dropped deliveries (docs/sync-spec.md §4 and §7), after cr-sqlite's
//! `test_sync_prop.py`.

use std::collections::HashMap;

use proptest::prelude::*;
use vax_sync::*;

use crate::support::*;

/// What one writer does in one step. Small domains so that writes collide often.
#[derive(Debug, Clone)]
enum Action {
    Phone {
        r: u32,
        v: u8,
    },
    Name {
        r: u32,
        v: u8,
    },
    Book {
        r: u32,
        dose: u8,
        band: Option<u8>,
        cause: u8,
    },
    Dose {
        r: u32,
        dose: u8,
        venue: u8,
        lot: u8,
        minute: u8,
    },
    CheckIn {
        r: u32,
    },
    Opened {
        venue: u8,
        lot: u8,
        minute: u8,
    },
    Inquiry {
        r: u32,
    },
    Void {
        pick: usize,
        right_kind: bool,
    },
    Band {
        band: u8,
        capacity: u8,
    },
    Supply {
        venue: u8,
        vials: Option<u8>,
    },
    AcknowledgeFirst,
}

/// What the network does to the next message of an exchange.
#[derive(Debug, Clone)]
enum Fault {
    /// Deliver the queued message at this index (reordering).
    Deliver(usize),
    /// Deliver it and keep it queued, so it arrives again later.
    Duplicate(usize),
    /// Lose it (a partition mid-exchange).
    Drop(usize),
}

#[derive(Debug, Clone)]
enum Step {
    Write {
        site: usize,
        action: Action,
        advance_ms: u64,
    },
    Exchange {
        a: usize,
        b: usize,
        faults: Vec<Fault>,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0..4u32, 0..3u8).prop_map(|(r, v)| Action::Phone { r, v }),
        (0..4u32, 0..3u8).prop_map(|(r, v)| Action::Name { r, v }),
        (0..4u32, 1..3u8, proptest::option::of(0..3u8), 0..4u8).prop_map(
            |(r, dose, band, cause)| Action::Book {
                r,
                dose,
                band,
                cause
            }
        ),
        (0..4u32, 1..3u8, 0..2u8, 0..2u8, 0..60u8).prop_map(|(r, dose, venue, lot, minute)| {
            Action::Dose {
                r,
                dose,
                venue,
                lot,
                minute,
            }
        }),
        (0..4u32).prop_map(|r| Action::CheckIn { r }),
        (0..2u8, 0..2u8, 0..60u8).prop_map(|(venue, lot, minute)| Action::Opened {
            venue,
            lot,
            minute
        }),
        (0..4u32).prop_map(|r| Action::Inquiry { r }),
        (any::<usize>(), prop::bool::weighted(0.9))
            .prop_map(|(pick, right_kind)| Action::Void { pick, right_kind }),
        (0..3u8, 0..3u8).prop_map(|(band, capacity)| Action::Band { band, capacity }),
        (0..2u8, proptest::option::of(0..3u8))
            .prop_map(|(venue, vials)| Action::Supply { venue, vials }),
        Just(Action::AcknowledgeFirst),
    ]
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => any::<usize>().prop_map(Fault::Deliver),
        2 => any::<usize>().prop_map(Fault::Duplicate),
        1 => any::<usize>().prop_map(Fault::Drop),
    ]
}

fn step(n: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1..n, action(), 0..3u64).prop_map(|(site, action, advance_ms)| Step::Write {
            site,
            action,
            advance_ms
        }),
        1 => (0..n, 1..n, prop::collection::vec(fault(), 0..16)).prop_map(move |(a, k, faults)| {
            Step::Exchange { a, b: (a + k) % n, faults }
        }),
    ]
}

/// 3–5 replicas (replica 0 is the server, the others write as HQ so every op kind occurs;
/// roles have their own tests), a script, and each replica's clock offset.
fn scenario() -> impl Strategy<Value = (usize, Vec<Step>, Vec<u64>)> {
    (3..=5usize).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec(step(n), 1..60),
            prop::collection::vec(0..3u64, n),
        )
    })
}

fn kind_for(site: &Site, action: &Action) -> Option<OpKind> {
    let venue = |v: u8| format!("V0{v}");
    let lot = |l: u8| format!("L{l}");
    Some(match action {
        Action::Phone { r, v } => set_phone(*r, &format!("0773-00-000{v}")),
        Action::Name { r, v } => set_name(*r, &format!("住民{v}")),
        Action::Book {
            r,
            dose,
            band,
            cause,
        } => book(
            *r,
            *dose,
            band.map(u128::from),
            [
                BookingCause::Assign,
                BookingCause::Rebook,
                BookingCause::Reshuffle,
                BookingCause::Resolve,
            ][usize::from(*cause)],
        ),
        Action::Dose {
            r,
            dose: d,
            venue: v,
            lot: l,
            minute,
        } => dose(*r, *d, &venue(*v), &lot(*l), at(14, u32::from(*minute))),
        Action::CheckIn { r } => check_in(*r, "V01"),
        Action::Opened {
            venue: v,
            lot: l,
            minute,
        } => opened(&venue(*v), &lot(*l), at(14, u32::from(*minute))),
        Action::Inquiry { r } => inquiry(*r, "called about the date"),
        Action::Void { pick, right_kind } => {
            let events: Vec<(OpId, EventKind)> = site
                .log
                .iter()
                .filter_map(|o| o.kind.event_kind().map(|k| (o.id, k)))
                .collect();
            let (target, kind) = *events.get(pick % events.len().max(1))?;
            let kind = if *right_kind {
                kind
            } else if kind == EventKind::Dose {
                EventKind::CheckIn
            } else {
                EventKind::Dose
            };
            void(target, kind)
        }
        Action::Band { band: b, capacity } => band(u128::from(*b), "V01", u32::from(*capacity)),
        Action::Supply { venue: v, vials } => supply(&venue(*v), vials.map(u32::from)),
        Action::AcknowledgeFirst => OpKind::Acknowledge {
            alert: site
                .replica()
                .invariants()
                .iter()
                .find_map(Alert::acknowledgement_key)?,
        },
    })
}

struct Network {
    sites: Vec<Site>,
    /// Long-lived per-direction sync states, as a kiosk keeps for the server.
    states: HashMap<(usize, usize), SyncState>,
    written: Vec<Op>,
}

impl Network {
    fn new(n: usize, offsets: &[u64]) -> Self {
        let sites = (0..n)
            .map(|i| {
                let role = if i == 0 { Role::Server } else { Role::Hq };
                let site = Site::new(100 + i as u128, role);
                site.time.advance(offsets[i]);
                site
            })
            .collect();
        Self {
            sites,
            states: HashMap::new(),
            written: Vec::new(),
        }
    }

    fn state(&mut self, from: usize, to: usize) -> SyncState {
        let peer = self.sites[to].id();
        self.states
            .remove(&(from, to))
            .unwrap_or_else(|| SyncState::for_peer(peer).with_batch_size(3))
    }

    fn run(&mut self, step: &Step) {
        match step {
            Step::Write {
                site,
                action,
                advance_ms,
            } => {
                let s = &mut self.sites[*site];
                s.time.advance(*advance_ms);
                if let Some(kind) = kind_for(s, action) {
                    let written = s
                        .node
                        .write(&mut s.log, kind, &s.time)
                        .expect("an HQ replica may write anything valid");
                    self.written.push(written);
                }
            }
            Step::Exchange { a, b, faults } => self.exchange(*a, *b, faults),
        }
    }

    /// One exchange between `a` and `b` over a link that reorders, duplicates and drops as
    /// `faults` say; without faults it delivers in order.
    fn exchange(&mut self, a: usize, b: usize, faults: &[Fault]) {
        let mut ab = self.state(a, b);
        let mut ba = self.state(b, a);
        let mut queue: Vec<(usize, Message)> = Vec::new();
        let mut dropped = false;
        let mut faults = faults.iter();
        for _ in 0..500 {
            for (from, to, state) in [(a, b, &mut ab), (b, a, &mut ba)] {
                if let Some(m) = self.sites[from].next_message(state) {
                    queue.push((to, m));
                }
            }
            if queue.is_empty() {
                break;
            }
            let (index, keep, deliver) = match faults.next() {
                Some(Fault::Deliver(i)) => (i % queue.len(), false, true),
                Some(Fault::Duplicate(i)) => (i % queue.len(), true, true),
                Some(Fault::Drop(i)) => (i % queue.len(), false, false),
                None => (0, false, true),
            };
            let (to, message) = if keep {
                queue[index].clone()
            } else {
                queue.remove(index)
            };
            if !deliver {
                dropped = true;
                continue;
            }
            let state = if to == b { &mut ba } else { &mut ab };
            let site = &mut self.sites[to];
            let applied = site
                .receive(state, message)
                .expect("messages between honest replicas are accepted");
            let all = site.replica().invariants();
            for alert in &applied.alerts {
                assert!(
                    all.contains(alert),
                    "an alert reported after a merge is not among all alerts: {alert:?}"
                );
            }
        }
        if dropped || !queue.is_empty() {
            // The transport noticed the losses (or the exchange was cut short): resend from
            // what the peer acknowledged next time.
            ab.reset_in_flight();
            ba.reset_in_flight();
        }
        self.states.insert((a, b), ab);
        self.states.insert((b, a), ba);
    }

    /// Heals every partition: reliable exchanges between every pair until all agree.
    fn heal(&mut self) {
        let n = self.sites.len();
        for _ in 0..3 {
            for a in 0..n {
                for b in (a + 1)..n {
                    self.exchange(a, b, &[]);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn replicas_converge_after_random_partitions_duplicates_and_reordering(
        (n, steps, offsets) in scenario()
    ) {
        let mut net = Network::new(n, &offsets);
        for step in &steps {
            net.run(step);
        }
        net.heal();

        let reference = net.sites[0].replica().clone();
        let alerts = reference.invariants();
        for site in &net.sites {
            prop_assert_eq!(
                site.replica(), &reference,
                "replica {} diverged from the server after full exchange", site.id()
            );
            prop_assert_eq!(
                site.replica().invariants(), alerts.clone(),
                "replica {} sees other alerts", site.id()
            );
            prop_assert_eq!(
                site.log.len(), net.written.len(),
                "replica {} holds another number of ops than were written", site.id()
            );
            for op in &net.written {
                let held = site.log.get(&op.id).unwrap_or_default();
                prop_assert_eq!(
                    held.as_ref(), Some(op),
                    "replica {} lacks op {} or holds another version of it", site.id(), op.id
                );
            }
        }
        // A replica that receives everything in one message is told every alert by the merge.
        let mut fresh = Site::new(12_345, Role::Server);
        let message = Message {
            protocol: PROTOCOL_VERSION,
            from: rid(54_321),
            seen: Default::default(),
            ops: net.written.clone(),
            more: false,
            keys: Default::default(),
            beyond: Default::default(),
            covered: Default::default(),
        };
        let applied = fresh
            .receive_fresh(message)
            .expect("a valid message is accepted");
        prop_assert_eq!(
            &applied.alerts, &alerts,
            "the alerts of a merge that touched everything are all the alerts"
        );
        // The state is a function of the op set: replaying the log backwards, twice, gives
        // the same state.
        let mut replayed = Replica::new();
        for op in net.written.iter().rev().chain(net.written.iter()) {
            replayed.apply(op);
        }
        prop_assert_eq!(&replayed, &reference, "replaying in reverse order gave another state");
    }

    #[test]
    fn applying_the_same_ops_in_any_order_gives_the_same_state(
        (n, steps, offsets) in scenario(),
        keys in prop::collection::vec(any::<u32>(), 1..64),
    ) {
        let mut net = Network::new(n, &offsets);
        for step in &steps {
            net.run(step);
        }
        let mut in_order = Replica::new();
        for op in &net.written {
            in_order.apply(op);
        }
        let mut shuffled: Vec<(u32, usize)> =
            (0..net.written.len()).map(|i| (keys[i % keys.len()], i)).collect();
        shuffled.sort();
        let mut permuted = Replica::new();
        for (_, i) in shuffled {
            permuted.apply(&net.written[i]);
        }
        prop_assert_eq!(&permuted, &in_order, "the order of application changed the state");
        prop_assert_eq!(permuted.invariants(), in_order.invariants(), "and the alerts");
    }
}
