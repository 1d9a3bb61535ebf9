//! In-memory stores: the reference implementation the conformance suite holds the others to,
//! and the crash-simulating backend of the durability tests.
//!
//! Both can share a [`PowerSupply`]: every durable step (a metadata write, a blob write,
//! commit or removal) draws on it, and once its budget is spent every later step fails as if
//! the machine had lost power at that point. [`MemoryBlobs::after_crash`] is then what a
//! restart would find on disk: committed blobs only, uncommitted bytes gone. Metadata
//! writes are atomic and durable once applied, as SQLite's are.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

mod blobs;
mod meta;

pub use blobs::MemoryBlobs;
pub use meta::MemoryMeta;

/// A budget of durable steps shared by the stores of one simulated machine.
#[derive(Debug, Default)]
pub struct PowerSupply {
    /// `u64::MAX`: unlimited.
    budget: AtomicU64,
    spent: AtomicU64,
    off: AtomicBool,
}

impl PowerSupply {
    /// Power that never fails.
    pub fn unlimited() -> Arc<Self> {
        Arc::new(Self {
            budget: AtomicU64::new(u64::MAX),
            ..Self::default()
        })
    }

    /// Power that fails at the `steps + 1`-th durable step.
    pub fn failing_after(steps: u64) -> Arc<Self> {
        Arc::new(Self {
            budget: AtomicU64::new(steps),
            ..Self::default()
        })
    }

    /// Durable steps taken so far (run a workload on unlimited power to count them).
    pub fn steps(&self) -> u64 {
        self.spent.load(Ordering::SeqCst)
    }

    /// Whether the power has gone (a step was refused).
    pub fn is_off(&self) -> bool {
        self.off.load(Ordering::SeqCst)
    }

    fn step(&self) -> io::Result<()> {
        let budget = self.budget.load(Ordering::SeqCst);
        if self.is_off() || (budget != u64::MAX && self.spent.load(Ordering::SeqCst) >= budget) {
            self.off.store(true, Ordering::SeqCst);
            return Err(io::Error::other("simulated power loss"));
        }
        self.spent.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}
