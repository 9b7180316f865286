//! With `production`, trace!/debug! vanish: an argument that would panic is
//! never evaluated, even with the runtime level at Trace. Without it, the
//! same call panics, which shows the test can fail.

fn explode() -> u64 {
    panic!("a compiled-out argument was evaluated")
}

#[test]
#[cfg_attr(not(feature = "production"), should_panic(expected = "a compiled-out argument was evaluated"))]
fn panicking_argument_of_a_compiled_out_call_site() {
    let _guard = compile_out_probe::init();
    narrate::trace!("never", v = explode());
    narrate::debug!("never", v = explode());
    narrate::trace_tiny!("a", "b", explode(), "never");
}
