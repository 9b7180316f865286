//! Compile-time errors of the macros, pinned as trybuild snapshots: each one
//! names the rule and points at the offending span.

#[test]
fn macro_errors_are_clear_and_well_placed() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
