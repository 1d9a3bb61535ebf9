//! The server's one clock. Every domain decision that depends on the date — Object Lock
//! retention, `aws:CurrentTime`, session and key expiry, scheduled key deletion, rotation,
//! lifecycle — reads it from the [`Clock`] it was handed at start, so a test can move time
//! for all of them at once ([`MovableClock`]).
//!
//! Not on this clock: the windows that compare a request with the *client's* clock
//! (SigV4/SigV2 skew, presigned URL expiry), which must follow the wall clock the client
//! signs with, and timeouts, which use `Instant`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Source of the current time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// Any `Fn() -> i64` is a clock (tests: a fixed or scripted time).
impl<F: Fn() -> i64 + Send + Sync + 'static> Clock for F {
    fn now_ms(&self) -> i64 {
        self()
    }
}

/// The clock every part of one server shares.
pub type SharedClock = Arc<dyn Clock>;

/// Wall-clock time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        wall_ms()
    }
}

/// Wall-clock time plus an offset that can be moved forward or back while the server runs:
/// the test clock (`coffer server --test-clock`), so a test sees retention end or a key's
/// deletion come without waiting days.
#[derive(Debug, Default)]
pub struct MovableClock {
    offset_ms: AtomicI64,
}

impl MovableClock {
    /// Moves this clock to `offset_ms` from the wall clock.
    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

impl Clock for MovableClock {
    fn now_ms(&self) -> i64 {
        wall_ms().saturating_add(self.offset_ms())
    }
}

/// `ms` as an ISO 8601 / RFC 3339 UTC time to the second (`2026-12-03T15:04:05Z`), the form
/// of `aws:CurrentTime`.
pub fn rfc3339_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_796_310_245_999), "2026-12-03T15:04:05Z");
        assert_eq!(rfc3339_utc(4_102_444_799_000), "2099-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(-1000), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn a_moved_clock_moves_by_its_offset() {
        let c = MovableClock::default();
        let before = SystemClock.now_ms();
        c.set_offset_ms(86_400_000);
        let moved = c.now_ms();
        assert!(moved >= before + 86_400_000 && moved < SystemClock.now_ms() + 86_400_000 + 1000);
        c.set_offset_ms(0);
        assert!((c.now_ms() - SystemClock.now_ms()).abs() < 1000);
    }
}
