//! The same loop with no logging at all: the baseline.
use std::hint::black_box;

#[inline(never)]
fn probe_loop(n: u64) {
    for i in 0..n {
        black_box(i);
    }
}

fn main() {
    let _guard = compile_out_probe::init();
    probe_loop(black_box(compile_out_probe::ITERATIONS));
}
