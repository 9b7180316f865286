//! Instruction counts of the hot path, for `scripts/compare-baseline
//! --instructions` (run under `valgrind --tool=callgrind`). Each `probe_*`
//! function runs one thing `N` times; callgrind's inclusive count for it,
//! divided by `N`, is instructions per event: deterministic for a given
//! binary, unlike time on a shared machine.

use std::hint::black_box;

use narrate::profile::Stages;

const N: u64 = 10_000;

/// One call site, called for warm-up from `main` and then from the probe,
/// so the probe never pays its one-time registration. The call adds a few
/// instructions of its own to each event; the baseline includes them.
#[inline(never)]
fn one_info_event(i: u64) {
    let city = black_box("0123456789abcdef");
    narrate::info!(
        "Order {order_id} shipped at {price} to {city}",
        order_id = i,
        price = black_box(1.5),
        city
    );
}

#[inline(never)]
fn one_disabled_event(i: u64) {
    let city = black_box("0123456789abcdef");
    narrate::debug!(
        "Order {order_id} shipped at {price} to {city}",
        order_id = i,
        price = black_box(1.5),
        city
    );
}

#[inline(never)]
fn probe_info_event(n: u64) {
    for i in 0..n {
        one_info_event(black_box(i));
    }
}

#[inline(never)]
fn probe_disabled_event(n: u64) {
    for i in 0..n {
        one_disabled_event(black_box(i));
    }
}

#[inline(never)]
fn probe_stage_encode(st: &mut Stages, n: u64) {
    for i in 0..n {
        st.encode(black_box(i));
    }
}

#[inline(never)]
fn probe_stage_decode(st: &mut Stages, n: u64) {
    for _ in 0..n {
        st.decode();
    }
}

#[inline(never)]
fn probe_stage_render(st: &mut Stages, n: u64) {
    for _ in 0..n {
        black_box(st.render());
    }
}

#[inline(never)]
fn probe_stage_format_json(st: &mut Stages, n: u64) {
    for _ in 0..n {
        black_box(st.format_json());
    }
}

fn main() {
    let _guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Info)
            .sink(narrate::FileSink::new("/dev/null"))
            // Large enough that N events never wrap it: the caller's cached
            // view of the ring never needs refreshing, so counts repeat.
            .ring_bytes(16 << 20)
            .env_filter(false)
            .panic_hook(false),
    )
    .expect("init");
    // Warm-up outside the probes: lane registration, call-site registration.
    one_info_event(0);
    one_disabled_event(0);
    probe_info_event(N);
    probe_disabled_event(N);
    let dir = std::env::temp_dir().join(format!("narrate-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut st = Stages::new(&dir).expect("stages");
    probe_stage_encode(&mut st, N);
    probe_stage_decode(&mut st, N);
    probe_stage_render(&mut st, N);
    probe_stage_format_json(&mut st, N);
    narrate::flush();
    let _ = std::fs::remove_dir_all(&dir);
    println!("probes done: {N} iterations each");
}
