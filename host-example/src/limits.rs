//! Guest limits a hosting platform needs: linear memory, CPU time spent in wasm.
//!
//! What the CPU budget measures: wall-clock time during which the guest executes wasm code.
//! A [`CpuMeter`] starts when the host calls into the guest or a host call returns to it,
//! and stops when the guest calls the host (a socket read, a DNS lookup, a stream read) or
//! returns; wasmtime's call hooks mark these transitions. Time blocked in the network is
//! therefore never charged. The engine's epoch ([`Host`](crate::Host) ticks it every
//! [`EPOCH_TICK`]) interrupts a guest that runs wasm for one tick: the store's epoch callback
//! then traps if the meter is over budget, and otherwise yields to tokio so that a busy guest
//! never holds a worker thread for longer than a tick. The meter pauses while yielded. What
//! remains counted beyond pure execution is the time the OS deschedules the thread while wasm
//! runs, so on an overloaded machine the budget runs out early rather than late.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use wasmtime::ResourceLimiter;

/// How often the engine's epoch advances, which bounds how long a guest runs between checks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A guest went over one of its limits; the call trapped and only its store is affected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// Linear memory would have grown past the cap.
    #[error("guest memory limit of {limit} bytes exceeded: it asked for {desired}")]
    Memory { desired: usize, limit: usize },
    /// The guest executed wasm for longer than its budget.
    #[error("guest cpu budget of {} ms exhausted", budget.as_millis())]
    Cpu { budget: Duration },
}

/// The memory cap of one store: growing past it traps with [`LimitExceeded::Memory`] (a
/// refused `memory.grow` would make the guest's allocator abort with a less useful message).
#[derive(Debug, Clone, Copy)]
pub struct MemoryLimiter {
    limit: usize,
}

impl MemoryLimiter {
    /// At most `limit` bytes of linear memory per memory.
    pub fn new(limit: usize) -> Self {
        MemoryLimiter { limit }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            return Err(LimitExceeded::Memory {
                desired,
                limit: self.limit,
            }
            .into());
        }
        Ok(maximum.is_none_or(|maximum| desired <= maximum))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(maximum.is_none_or(|maximum| desired <= maximum))
    }
}

/// The wasm execution time of one store, shared by its call hook and its epoch callback.
#[derive(Debug, Clone, Default)]
pub struct CpuMeter(Arc<Mutex<Meter>>);

#[derive(Debug, Default)]
struct Meter {
    used: Duration,
    running_since: Option<Instant>,
}

impl CpuMeter {
    /// The guest starts (or resumes) executing wasm.
    pub fn start(&self) {
        let mut meter = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        meter.running_since.get_or_insert_with(Instant::now);
    }

    /// The guest stops executing wasm: it called the host, returned, or yielded.
    pub fn stop(&self) {
        let mut meter = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(since) = meter.running_since.take() {
            meter.used += since.elapsed();
        }
    }

    /// Time spent executing wasm so far.
    pub fn used(&self) -> Duration {
        let meter = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        meter.used
            + meter
                .running_since
                .map_or(Duration::ZERO, |since| since.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_cap() {
        let mut limiter = MemoryLimiter::new(1 << 20);
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert!(!limiter.memory_growing(0, 1 << 19, Some(1 << 16)).unwrap());
        let error = limiter.memory_growing(0, 2 << 20, None).unwrap_err();
        assert_eq!(
            error.downcast_ref::<LimitExceeded>(),
            Some(&LimitExceeded::Memory {
                desired: 2 << 20,
                limit: 1 << 20
            })
        );
    }

    #[test]
    fn meter_counts_only_while_running() {
        let meter = CpuMeter::default();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(meter.used(), Duration::ZERO);
        meter.start();
        std::thread::sleep(Duration::from_millis(20));
        meter.stop();
        let used = meter.used();
        assert!(used >= Duration::from_millis(20), "{used:?}");
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(meter.used(), used);
    }
}
