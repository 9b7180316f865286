//! Proves that clean input costs zero allocations once the `Redactor` is
//! built. A separate test binary because it installs a global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;

use narrate_redact::{RedactConfig, Redactor, bench_inputs, sanitize, sanitize_bytes};

struct Counting;

thread_local! {
    // Per thread, so the test harness's own threads do not interfere.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs_during(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

#[test]
fn clean_input_allocates_nothing() {
    let r = Redactor::new(RedactConfig::default()).unwrap();
    let inputs: Vec<String> = vec![
        bench_inputs::clean(100),
        bench_inputs::clean(1000),
        bench_inputs::clean(10_000),
        "日本語 emoji 🎉 é".to_string(),
        String::new(),
    ];
    // Warm up lazily initialised state (the default redactor, CPU feature
    // detection in memchr/aho-corasick) outside the measured region.
    for s in &inputs {
        let _ = r.redact(s);
        let _ = narrate_redact::redact(s);
        let _ = sanitize(s);
    }
    let mut buf: Vec<u8> = Vec::with_capacity(20_000);
    for s in &inputs {
        let n = allocs_during(|| {
            assert!(matches!(r.redact(s), Cow::Borrowed(_)));
            assert!(matches!(narrate_redact::redact(s), Cow::Borrowed(_)));
            assert!(matches!(sanitize(s), Cow::Borrowed(_)));
            assert!(matches!(sanitize_bytes(s.as_bytes()), Cow::Borrowed(_)));
            assert!(!r.is_sensitive_field("user_name"));
            buf.clear();
            assert!(!r.redact_into(s, &mut buf));
        });
        assert_eq!(n, 0, "allocations for clean input of {} bytes", s.len());
    }
}

#[test]
fn redact_into_with_capacity_allocates_nothing_even_with_secrets() {
    let r = Redactor::new(RedactConfig::default()).unwrap();
    let s = bench_inputs::with_secrets(1000, 3);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let _ = r.redact_into(&s, &mut buf);
    buf.clear();
    let n = allocs_during(|| {
        assert!(r.redact_into(&s, &mut buf));
    });
    assert_eq!(n, 0);
}
