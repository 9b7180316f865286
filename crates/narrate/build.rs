//! Decides at build time which levels exist at all, from Cargo features, and
//! tells the macros through `cfg`s: `narrate_static_trace`, `…_debug`, … for
//! each level compiled in, and `narrate_cute` for cute/story texts.
//!
//! * `trace-enabled`, `debug-enabled`, `cute-mode`: default on.
//! * `production`: turns all three off, whatever else is on.
//! * `max-level-{off,fatal,error,warn,info,debug,trace}` and
//!   `release-max-level-*` (the latter only without debug assertions), as in
//!   the `log` crate; when several are on, the most restrictive wins.

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "fatal"];

fn feature(name: &str) -> bool {
    let var = format!("CARGO_FEATURE_{}", name.to_uppercase().replace('-', "_"));
    std::env::var_os(var).is_some()
}

/// Index into LEVELS of the least severe level allowed by `prefix`-max-level-*
/// features (6 = nothing allowed), or 0 when none is set.
fn max_level_floor(prefix: &str) -> usize {
    let mut floor = 0;
    if feature(&format!("{prefix}max-level-off")) {
        floor = 6;
    }
    for (i, level) in LEVELS.iter().enumerate() {
        if feature(&format!("{prefix}max-level-{level}")) {
            floor = floor.max(i);
        }
    }
    floor
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for level in LEVELS {
        println!("cargo::rustc-check-cfg=cfg(narrate_static_{level})");
    }
    println!("cargo::rustc-check-cfg=cfg(narrate_cute)");

    let production = feature("production");
    let release = std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_none();
    let mut floor = max_level_floor("");
    if release {
        floor = floor.max(max_level_floor("release-"));
    }
    for (i, level) in LEVELS.iter().enumerate() {
        let on = i >= floor
            && match *level {
                "trace" => feature("trace-enabled") && !production,
                "debug" => feature("debug-enabled") && !production,
                _ => true,
            };
        if on {
            println!("cargo::rustc-cfg=narrate_static_{level}");
        }
    }
    if feature("cute-mode") && !production {
        println!("cargo::rustc-cfg=narrate_cute");
    }
}
