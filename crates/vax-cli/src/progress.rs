//! Progress bars on stderr (hidden when stderr is not a terminal).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use vax_app::{Progress, Stage};

/// One bar that follows the stages of a use case.
pub struct Bar {
    bar: ProgressBar,
    stage: Option<Stage>,
    what: &'static str,
}

impl Bar {
    pub fn new(what: &'static str) -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>12} {msg:24} [{bar:30}] {percent:>3}% {elapsed}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(what);
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            bar,
            stage: None,
            what,
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn update(&mut self, stage: Stage, done: u64, total: u64) {
        if self.stage != Some(stage) {
            self.stage = Some(stage);
            self.bar.set_message(stage.label());
            self.bar.set_prefix(self.what);
        }
        self.bar.set_length(total.max(1));
        self.bar.set_position(done);
    }
}
