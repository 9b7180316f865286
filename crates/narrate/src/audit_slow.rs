//! [`audit_slow`]: audit an operation only when it is slow.

use std::time::Duration;

/// Runs `work`, and when it took longer than `threshold` emits an audit event
/// of kind `performance` (`operation`, outcome `slow`, `elapsed_ns`,
/// `threshold_ns`, principal `process`). Returns what `work` returns.
///
/// A fast call costs two clock reads and a comparison; the event's call site
/// sits in a cold function. With the `audit` feature off this is `work()`.
#[inline]
pub fn audit_slow<T>(operation: &'static str, threshold: Duration, work: impl FnOnce() -> T) -> T {
    #[cfg(feature = "audit")]
    {
        let start = crate::encode_auto::now_raw();
        let out = work();
        let elapsed = crate::encode_auto::elapsed_ns(start);
        let threshold_ns = threshold.as_nanos().min(u64::MAX as u128) as u64;
        if elapsed > threshold_ns {
            report_slow(operation, elapsed, threshold_ns);
        }
        out
    }
    #[cfg(not(feature = "audit"))]
    {
        let _ = (operation, threshold);
        work()
    }
}

#[cfg(feature = "audit")]
#[cold]
#[inline(never)]
fn report_slow(operation: &'static str, elapsed_ns: u64, threshold_ns: u64) {
    crate::audit!(
        Performance,
        principal = "process",
        operation = operation,
        outcome = "slow",
        elapsed_ns = elapsed_ns,
        threshold_ns = threshold_ns
    );
}
