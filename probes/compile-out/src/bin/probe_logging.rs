//! The loop with a `trace!` and a `debug!` per iteration.
use std::hint::black_box;

#[inline(never)]
fn probe_loop(n: u64) {
    for i in 0..n {
        black_box(i);
        narrate::trace!("tick {i}", i);
        narrate::debug!("tock", i, half = i / 2);
    }
}

fn main() {
    let _guard = compile_out_probe::init();
    probe_loop(black_box(compile_out_probe::ITERATIONS));
}
