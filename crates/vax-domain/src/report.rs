//! Report definitions: the age bands coverage is counted in.

use serde::{Deserialize, Serialize};

/// An age band of the coverage report (the campaign's priority groups split by decade).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AgeBand {
    /// Under 12: not eligible in the 2021 campaign, counted so the totals add up.
    Under12,
    /// 12–19.
    Teens,
    /// 20–29.
    Twenties,
    /// 30–39.
    Thirties,
    /// 40–49.
    Forties,
    /// 50–59.
    Fifties,
    /// 60–64.
    SixtyToSixtyFour,
    /// 65–74: the first priority group.
    SixtyFiveToSeventyFour,
    /// 75 and over.
    SeventyFivePlus,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 9] = [
        Self::Under12,
        Self::Teens,
        Self::Twenties,
        Self::Thirties,
        Self::Forties,
        Self::Fifties,
        Self::SixtyToSixtyFour,
        Self::SixtyFiveToSeventyFour,
        Self::SeventyFivePlus,
    ];

    /// The band of an age in whole years.
    pub fn of(age: u32) -> Self {
        match age {
            0..=11 => Self::Under12,
            12..=19 => Self::Teens,
            20..=29 => Self::Twenties,
            30..=39 => Self::Thirties,
            40..=49 => Self::Forties,
            50..=59 => Self::Fifties,
            60..=64 => Self::SixtyToSixtyFour,
            65..=74 => Self::SixtyFiveToSeventyFour,
            _ => Self::SeventyFivePlus,
        }
    }

    /// The label reports print (`65-74`, `75+`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Under12 => "0-11",
            Self::Teens => "12-19",
            Self::Twenties => "20-29",
            Self::Thirties => "30-39",
            Self::Forties => "40-49",
            Self::Fifties => "50-59",
            Self::SixtyToSixtyFour => "60-64",
            Self::SixtyFiveToSeventyFour => "65-74",
            Self::SeventyFivePlus => "75+",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AgeBand;

    #[test]
    fn band_edges_fall_where_the_labels_say() {
        for band in AgeBand::ALL {
            let (lo, hi) = band.label().split_once(['-', '+']).unwrap();
            let lo: u32 = lo.parse().unwrap();
            assert_eq!(AgeBand::of(lo), band, "{}", band.label());
            if let Ok(hi) = hi.parse::<u32>() {
                assert_eq!(AgeBand::of(hi), band);
                assert_ne!(AgeBand::of(hi + 1), band);
            }
        }
        assert_eq!(AgeBand::of(120), AgeBand::SeventyFivePlus);
    }
}
