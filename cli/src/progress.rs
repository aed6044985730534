//! Progress reporting: an indicatif bar per epoch (batches, loss, samples/s)
//! when stderr is a terminal, one plain line per epoch when it is not, nothing
//! with `--quiet`. The library reports through `deepinit::train::Observer`.

use deepinit::train::{BatchProgress, EpochMetrics, Observer};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// How to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing.
    Quiet,
    /// One line per epoch on stderr.
    Plain,
    /// A live bar on stderr.
    Bar,
}

impl Mode {
    /// `Quiet` if asked, else `Bar` on a terminal and `Plain` otherwise.
    pub fn detect(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Plain
        }
    }
}

/// An observer that shows progress and records when each epoch ended.
pub struct Progress {
    mode: Mode,
    label: String,
    epochs: usize,
    batch_size: usize,
    bar: Option<ProgressBar>,
    /// Bars of runs shown at the same time, when this is one of them.
    bars: Option<MultiProgress>,
    epoch_start: Instant,
    run_start: Instant,
    /// Seconds from the start of the run to the end of each epoch's evaluation.
    pub elapsed: Vec<f64>,
}

impl Progress {
    /// Progress of a run of `epochs` epochs labelled `label`.
    pub fn new(mode: Mode, label: String, epochs: usize, batch_size: usize) -> Self {
        let now = Instant::now();
        Self {
            mode,
            label,
            epochs,
            batch_size,
            bar: None,
            bars: None,
            epoch_start: now,
            run_start: now,
            elapsed: Vec::new(),
        }
    }

    /// Seconds since the run started.
    pub fn seconds(&self) -> f64 {
        self.run_start.elapsed().as_secs_f64()
    }

    /// Shows this run's bars among `bars` (other runs' bars stay on screen
    /// beside it) instead of alone.
    pub fn share(&mut self, bars: Option<&MultiProgress>) {
        self.bars = bars.cloned();
    }

    /// Prints a line in the progress stream (above the bars if any are shown).
    pub fn line(&self, text: &str) {
        match (&self.bar, &self.bars, self.mode) {
            (_, _, Mode::Quiet) => {}
            (_, Some(bars), Mode::Bar) => {
                let _ = bars.println(text);
            }
            (Some(bar), _, _) => bar.println(text),
            (None, _, _) => {
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "{text}");
            }
        }
    }

    fn start_bar(&mut self, p: &BatchProgress) {
        self.epoch_start = Instant::now();
        if self.mode != Mode::Bar {
            return;
        }
        let bar = ProgressBar::new(p.batches as u64);
        let bar = match &self.bars {
            Some(bars) => bars.add(bar),
            None => bar,
        };
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        let sep = if self.label.is_empty() { "" } else { ", " };
        bar.set_prefix(format!(
            "{}{sep}epoch {}/{}",
            self.label, p.epoch, self.epochs
        ));
        self.bar = Some(bar);
    }
}

impl Observer for Progress {
    fn on_batch(&mut self, p: &BatchProgress) {
        if p.batch == 1 {
            self.start_bar(p);
        }
        if let Some(bar) = &self.bar
            && (p.batch.is_multiple_of(10) || p.batch == p.batches)
        {
            let secs = self.epoch_start.elapsed().as_secs_f64().max(1e-9);
            let rate = (p.batch * self.batch_size) as f64 / secs;
            bar.set_position(p.batch as u64);
            bar.set_message(format!("loss {:.4}  {:.0} samples/s", p.loss, rate));
        }
    }

    fn on_epoch(&mut self, m: &EpochMetrics) {
        self.elapsed.push(self.run_start.elapsed().as_secs_f64());
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let sep = if self.label.is_empty() { "" } else { ", " };
        self.line(&format!(
            "{}{sep}epoch {}/{}: train loss {:.4}, test loss {:.4}, test accuracy {:.2} %, {:.2} s ({:.0} samples/s)",
            self.label,
            m.epoch,
            self.epochs,
            m.train_loss,
            m.test_loss,
            m.test_accuracy * 100.0,
            m.seconds,
            m.samples_per_second
        ));
    }
}
