//! Progress of long operator commands: a bar per table on a terminal (indicatif), a line
//! per step otherwise, nothing with `--json` (stdout stays machine-readable; progress goes
//! to stderr).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Bars on stderr (a terminal).
    Bars,
    /// One line per finished step on stderr (logs, CI).
    Lines,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// Bars when stderr is a terminal, lines otherwise; quiet when asked.
    pub fn detect(quiet: bool) -> Self {
        use std::io::IsTerminal;
        if quiet {
            Self::Quiet
        } else if std::io::stderr().is_terminal() {
            Self::Bars
        } else {
            Self::Lines
        }
    }
}

/// Progress of one step (e.g. one table's rows).
pub struct Step {
    bar: Option<ProgressBar>,
    mode: Mode,
    label: String,
    done: u64,
}

impl Step {
    /// Starts a step of `total` units (rows), `None` when unknown.
    pub fn start(mode: Mode, label: impl Into<String>, total: Option<u64>) -> Self {
        let label = label.into();
        let bar = (mode == Mode::Bars).then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix:>32} [{bar:30}] {pos:>9}/{len:<9} {per_sec:>12} {elapsed_precise}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.clone());
            bar
        });
        Self {
            bar,
            mode,
            label,
            done: 0,
        }
    }

    /// Adds `n` finished units.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Sets the number of units (when it grows while the step runs).
    pub fn set_total(&mut self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    /// Ends the step with a short outcome text (e.g. "1000 rows").
    pub fn finish(self, outcome: &str) {
        match (self.bar, self.mode) {
            (Some(bar), _) => bar.finish_with_message(outcome.to_owned()),
            (None, Mode::Lines) => eprintln!("  {:<32} {outcome}", self.label),
            _ => {}
        }
    }

    /// Units finished so far.
    pub fn done(&self) -> u64 {
        self.done
    }
}
