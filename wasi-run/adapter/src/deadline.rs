//! Waiting with a bound: a deadline on the monotonic clock (`wasi:clocks`), and a wait for
//! one pollable that ends at the deadline at the latest (`wasi:io/poll`).

use wasi::clocks::monotonic_clock::{self, Instant};
use wasi::io::poll::{Pollable, poll};

/// A point on the monotonic clock after which an operation gives up.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// `ms` milliseconds from now.
    pub fn after_ms(ms: u32) -> Self {
        Self::after_ns(u64::from(ms) * 1_000_000)
    }

    /// `ns` nanoseconds from now.
    pub fn after_ns(ns: u64) -> Self {
        Self(monotonic_clock::now().saturating_add(ns))
    }

    /// The earlier of two deadlines.
    pub fn min(self, other: Self) -> Self {
        Self(self.0.min(other.0))
    }

    /// Whether the deadline has passed.
    pub fn passed(self) -> bool {
        monotonic_clock::now() >= self.0
    }

    /// Waits until `pollable` is ready or the deadline passes, whichever comes first;
    /// true when `pollable` is ready. A passed deadline still reports a ready pollable.
    pub fn wait(self, pollable: &Pollable) -> bool {
        let timer = monotonic_clock::subscribe_instant(self.0);
        poll(&[pollable, &timer]).contains(&0)
    }
}
