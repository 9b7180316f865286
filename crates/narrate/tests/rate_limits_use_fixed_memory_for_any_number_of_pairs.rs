//! The rate-limit table is fixed: 100 000 distinct actor/action pairs cost
//! no allocation and no memory beyond its 4 096 slots, and a pair's budget
//! holds (`burst` at once, then `per_second`). Pairs that share a slot share
//! a budget: limited more, never less.

use std::cell::Cell;
use std::time::Instant;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::MINE;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn hundred_thousand_pairs_allocate_nothing_and_budgets_hold() {
    use narrate::sampling::{RATE_LIMIT_SLOTS, allow, rate_limit_slot};
    // Names built up front, outside the counted region.
    let names: Vec<(String, String)> = (0..100_000)
        .map(|i| (format!("actor-{}", i % 977), format!("action-{i}")))
        .collect();
    // Calibrates the clock (allocates once) before counting.
    let _ = allow("warm", "up", 1, 1);

    // One pair's budget: a burst of 5, then 20 per second. (Checked
    // first: after the 100 000 pairs below every slot is in use, and a
    // shared slot is limited more.)
    let start = Instant::now();
    let mut ok = 0u64;
    for _ in 0..10_000 {
        ok += u64::from(allow("budget", "check", 20, 5));
    }
    let secs = start.elapsed().as_secs_f64();
    assert!(ok >= 5, "{ok}");
    assert!(ok as f64 <= 5.0 + 20.0 * secs + 1.0, "{ok} in {secs} s");

    let mut slots = vec![0u32; RATE_LIMIT_SLOTS];
    let before = MINE.with(Cell::get);
    let mut passed = 0u64;
    for (actor, action) in &names {
        passed += u64::from(allow(actor, action, 1, 1));
        slots[rate_limit_slot(actor, action)] += 1;
    }
    assert_eq!(MINE.with(Cell::get) - before, 0, "allocations");
    // One token per slot per second at most: the number that passed is
    // bounded by the slots, not by the pairs.
    let used = slots.iter().filter(|&&n| n > 0).count() as u64;
    assert!(
        used > RATE_LIMIT_SLOTS as u64 * 9 / 10,
        "hash spreads: {used}"
    );
    assert!(
        passed <= used + used / 10,
        "passed {passed} of {used} slots"
    );
    assert!(passed >= used / 2, "passed {passed} of {used} slots");
}
