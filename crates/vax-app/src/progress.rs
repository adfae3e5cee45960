//! Progress of long use cases, reported to whoever shows it (a progress bar, a UI).

/// The step a long use case is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading and checking input rows.
    Checking,
    /// Writing to the ledger.
    Writing,
    /// Generating data.
    Generating,
    /// Assigning time bands.
    Planning,
}

impl Stage {
    /// A short label for a progress bar.
    pub fn label(self) -> &'static str {
        match self {
            Self::Checking => "checking / 確認中",
            Self::Writing => "writing / 書き込み中",
            Self::Generating => "generating / 生成中",
            Self::Planning => "assigning / 割り当て中",
        }
    }
}

/// Receives progress: `done` of `total` units of `stage`.
pub trait Progress {
    /// Called often; must be cheap.
    fn update(&mut self, stage: Stage, done: u64, total: u64);
}

/// Discards progress.
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&mut self, _: Stage, _: u64, _: u64) {}
}
