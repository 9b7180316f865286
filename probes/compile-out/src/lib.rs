//! Shared set-up of the two probe binaries: narrate at Trace level, writing
//! to /dev/null, so enabled call sites do their full work.

pub fn init() -> narrate::Guard {
    narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Trace)
            .sink(narrate::FileSink::new("/dev/null"))
            .env_filter(false),
    )
    .expect("init narrate")
}

pub const ITERATIONS: u64 = 1_000_000;
