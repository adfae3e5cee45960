//! The bus rides in the notices (issue 13; docs/notices.md "Bus riders"): a resident who
//! rides is told the pick-up time and point and when the bus home leaves, with the booking
//! (letter row, a second SMS, the call list's 送迎バス column). A booking told before whose
//! ride is new, moved by a re-plan or gone is told again on its own ("ride-only": the
//! booking is the same, `previous` is the booking itself). Each notice records the ride it
//! told (migration 0018), which is how "already told" is decided, as for the booking's
//! place and time.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use vax_domain::ride_notice::RideNotice;
use vax_ledger::{Reader, RowId};

use super::{NoticeError, Told};

/// The ride a notice tells about one booking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RideTold {
    /// The ride now (HQ's current plan); `None`: no ride that day.
    pub(super) now: Option<RideNotice>,
    /// For a ride-only notice: the ride told before.
    pub(super) before: Option<RideNotice>,
    /// Whether the notice tells the ride alone (the booking is as told).
    pub(super) only: bool,
}

impl RideTold {
    /// The call list's 送迎バス column.
    pub(super) fn call_text(&self) -> Option<String> {
        match &self.now {
            Some(ride) => Some(ride.letter_line()),
            None if self.only => Some("運行なし（取消）".to_owned()),
            None => None,
        }
    }
}

/// Gives every booking pending a notice its ride now, and adds a ride-only notice for each
/// booking told before whose ride is not the one told.
pub(super) fn attach(
    reader: &Reader<'_>,
    today: NaiveDate,
    by_resident: &mut BTreeMap<RowId, Vec<Told>>,
) -> Result<(), NoticeError> {
    let planned: HashMap<(RowId, String, NaiveDate), RideNotice> = reader
        .planned_rides_from(today)?
        .into_iter()
        .map(|p| ((p.resident_id, p.venue_code, p.date), p.ride))
        .collect();
    let ride_of = |resident: RowId, a: &vax_domain::notice::Appointment| {
        planned
            .get(&(resident, a.venue_code.clone(), a.date))
            .filter(|r| !r.is_empty())
            .cloned()
    };
    for (resident, told) in by_resident.iter_mut() {
        for t in told.iter_mut().filter(|t| t.cancelled.is_none()) {
            t.ride.now = ride_of(*resident, &t.appointment);
        }
    }
    for t in reader.told_rides_from(today)? {
        let now = ride_of(t.resident_id, &t.appointment);
        if now == t.told {
            continue;
        }
        by_resident.entry(t.resident_id).or_default().push(Told {
            previous: Some(t.appointment.clone()),
            appointment: t.appointment,
            cancelled: None,
            ride: RideTold {
                now,
                before: t.told,
                only: true,
            },
        });
    }
    Ok(())
}

/// The SMS messages of one booking: the booking's `message`, then the bus; for a ride-only
/// notice the bus alone (or that it no longer runs, with the call centre's `contact`).
pub(super) fn sms_messages(told: &Told, message: String, contact: &str) -> Vec<String> {
    let date = told.appointment.date;
    match (&told.ride.now, told.ride.only) {
        (Some(ride), true) => vec![ride.sms(date, told.ride.before.is_some())],
        (None, true) => vec![RideNotice::cancelled_sms(date, contact)],
        (Some(ride), false) => vec![message, ride.sms(date, false)],
        (None, false) => vec![message],
    }
}
