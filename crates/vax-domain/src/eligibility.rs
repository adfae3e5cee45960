//! Which dose a resident is due, and from which day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::product::{Catalogue, NoRulesInForce, UnknownProduct};

/// A dose already given (voided records are not passed here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenDose {
    /// 1 for the first dose, 2 for the second, …
    pub dose_number: u8,
    /// The day it was given.
    pub date: NaiveDate,
    /// The product code.
    pub product: String,
}

/// A dose record as the duplicate-dose rule sees it: its number and whether it still counts.
pub trait DoseRecord {
    /// 1 for the first dose, 2 for the second, …
    fn dose_number(&self) -> u8;
    /// Whether the record was voided (a mistaken entry, kept and marked).
    fn is_voided(&self) -> bool;
}

/// The duplicate-dose rule: a resident holds at most one valid (not voided) record per dose
/// number. These are the valid records numbered `dose_number`; a second one is a duplicate —
/// refused at the booth, an alert after a merge, a problem in the VRS export.
pub fn valid_doses_numbered<D: DoseRecord>(
    doses: &[D],
    dose_number: u8,
) -> impl Iterator<Item = &D> {
    doses
        .iter()
        .filter(move |d| !d.is_voided() && d.dose_number() == dose_number)
}

/// Where a resident stands in the primary series on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DueStatus {
    /// No dose yet: dose 1 is due.
    FirstDoseDue,
    /// The next dose may be given today.
    NextDoseDue {
        /// The dose number due.
        dose_number: u8,
        /// The standard day for it.
        standard_date: NaiveDate,
        /// The earliest permitted day.
        earliest_date: NaiveDate,
    },
    /// The next dose exists but its interval is not reached yet.
    IntervalNotReached {
        /// The dose number that will be due.
        dose_number: u8,
        /// The earliest permitted day.
        earliest_date: NaiveDate,
    },
    /// The primary series is complete.
    SeriesComplete {
        /// How many doses were given.
        doses: u8,
    },
}

/// Why the due dose cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EligibilityError {
    /// The last dose names a product the catalogue does not know.
    #[error(transparent)]
    UnknownProduct(#[from] UnknownProduct),
    /// The product has no rules for the day.
    #[error(transparent)]
    NoRules(#[from] NoRulesInForce),
}

/// Works out the due dose on `today` from the doses given so far.
///
/// The interval is measured from the latest dose, with the product's rules in force today
/// (rules change by policy, and the desk applies today's policy).
pub fn due_status(
    given: &[GivenDose],
    today: NaiveDate,
    catalogue: &Catalogue,
) -> Result<DueStatus, EligibilityError> {
    let Some(last) = given.iter().max_by_key(|d| (d.dose_number, d.date)) else {
        return Ok(DueStatus::FirstDoseDue);
    };
    let product = catalogue.product(&last.product)?;
    if last.dose_number >= product.primary_series_doses {
        return Ok(DueStatus::SeriesComplete {
            doses: last.dose_number,
        });
    }
    let rules = product.rules_on(today)?;
    let dose_number = last.dose_number + 1;
    let earliest_date = rules.earliest_next_dose(last.date);
    if today < earliest_date {
        return Ok(DueStatus::IntervalNotReached {
            dose_number,
            earliest_date,
        });
    }
    Ok(DueStatus::NextDoseDue {
        dose_number,
        standard_date: rules.standard_next_dose(last.date),
        earliest_date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn pfizer(n: u8, date: &str) -> GivenDose {
        GivenDose {
            dose_number: n,
            date: day(date),
            product: "comirnaty".into(),
        }
    }

    #[test]
    fn nobody_vaccinated_yet_is_due_dose_one() {
        assert_eq!(
            due_status(&[], day("2021-06-01"), Catalogue::builtin()),
            Ok(DueStatus::FirstDoseDue)
        );
    }

    #[test]
    fn dose_two_before_day_19_is_not_yet_due() {
        let status = due_status(
            &[pfizer(1, "2021-06-01")],
            day("2021-06-19"),
            Catalogue::builtin(),
        );
        assert_eq!(
            status,
            Ok(DueStatus::IntervalNotReached {
                dose_number: 2,
                earliest_date: day("2021-06-20")
            })
        );
    }

    #[test]
    fn dose_two_from_day_19_is_due_with_the_standard_day_at_three_weeks() {
        let status = due_status(
            &[pfizer(1, "2021-06-01")],
            day("2021-06-20"),
            Catalogue::builtin(),
        );
        assert_eq!(
            status,
            Ok(DueStatus::NextDoseDue {
                dose_number: 2,
                standard_date: day("2021-06-22"),
                earliest_date: day("2021-06-20")
            })
        );
    }

    #[test]
    fn two_doses_complete_the_series() {
        let status = due_status(
            &[pfizer(1, "2021-06-01"), pfizer(2, "2021-06-22")],
            day("2021-08-01"),
            Catalogue::builtin(),
        );
        assert_eq!(status, Ok(DueStatus::SeriesComplete { doses: 2 }));
    }
}
