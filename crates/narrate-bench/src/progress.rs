//! Progress of a run: an `indicatif` bar on stderr when stderr is a
//! terminal, one plain line per child otherwise (logs, CI, pipes).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub(crate) fn new(total: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} (eta {eta}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar: Some(bar) }
    }

    /// A child is starting.
    pub(crate) fn start(&self, label: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(label.trim_end().to_string()),
            None => eprint!("  {label} … "),
        }
    }

    /// A child has finished; `summary` is its result in a few words.
    pub(crate) fn done(&self, label: &str, summary: &str) {
        match &self.bar {
            Some(bar) => {
                bar.println(format!("  {label} {summary}"));
                bar.inc(1);
            }
            None => eprintln!("{summary}"),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
