//! One read per card presentation.
//!
//! A card held in front of the camera is decoded in many consecutive frames (and missed in a
//! few, when a hand covers it or the frame is blurred). The desk must beep once, not 30 times a
//! second, yet must beep again when the same card is shown a second time later, e.g. after the
//! staff cancelled the first check-in. So a payload is reported when it appears, and again only
//! after it has been absent for at least the configured gap.

use std::collections::HashMap;
use std::time::Duration;

/// Collapses repeated reads of the same payload into one per presentation.
///
/// Time comes in with every call (frame timestamps), so the logic is deterministic and the
/// tests need no clock.
#[derive(Debug, Clone)]
pub struct Debouncer {
    gap: Duration,
    last_seen: HashMap<String, Duration>,
}

impl Debouncer {
    /// Default absence gap. Long enough to bridge a few missed frames while the card is moved,
    /// short enough that re-presenting a card a moment later is reported.
    pub const DEFAULT_GAP: Duration = Duration::from_millis(1500);

    /// A debouncer that reports a payload again after it was absent for `gap`.
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            last_seen: HashMap::new(),
        }
    }

    /// The configured absence gap.
    pub fn gap(&self) -> Duration {
        self.gap
    }

    /// Records the payloads decoded from the frame taken at `now` and returns those that start
    /// a new presentation, in the order given, each at most once.
    ///
    /// Timestamps should not go backwards; if they do (a source restarted its clock), a payload
    /// whose last sighting lies in the "future" is treated as still present rather than new.
    pub fn observe<'a, I>(&mut self, now: Duration, payloads: I) -> Vec<String>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut fresh = Vec::new();
        for payload in payloads {
            let is_new = match self.last_seen.get(payload) {
                None => true,
                Some(&seen) => now.saturating_sub(seen) >= self.gap,
            };
            if is_new && !fresh.iter().any(|f: &String| f == payload) {
                fresh.push(payload.to_owned());
            }
            self.last_seen.insert(payload.to_owned(), now);
        }
        self.forget_absent(now);
        fresh
    }

    /// Drops payloads absent for longer than the gap, so a desk running all day keeps a small
    /// map; forgetting them changes nothing because they would be reported as new anyway.
    fn forget_absent(&mut self, now: Duration) {
        let gap = self.gap;
        self.last_seen
            .retain(|_, seen| now.saturating_sub(*seen) < gap);
    }

    /// Number of payloads currently considered present.
    pub fn tracked(&self) -> usize {
        self.last_seen.len()
    }
}

impl Default for Debouncer {
    fn default() -> Self {
        Self::new(Self::DEFAULT_GAP)
    }
}
