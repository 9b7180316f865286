//! The smallest complete program: pretty events on stdout, JSON in a file.

use narrate::{Config, FileSink, Format, Level};

#[derive(Debug)]
struct Timeout;
impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("upstream timed out")
    }
}
impl std::error::Error for Timeout {}

fn main() -> Result<(), narrate::InitError> {
    let dir = std::env::temp_dir().join("narrate-quick");
    let _guard = narrate::init(
        Config::new()
            .level(Level::Debug)
            .stdout(Format::Pretty)
            .sink(FileSink::new(dir.join("events.jsonl"))),
    )?;
    let city = "Lyon";
    narrate::info!(
        action = "ship",
        target = 42u64,
        "Order {order_id} shipped to {city}",
        order_id = 42u64,
        weight_kg = 1.5
    );
    narrate::debug!("cache warm", entries = 1200usize, hit_rate = 0.93);
    narrate::warn!(actor = "payments", action = "retry", "retrying charge", attempt = 2u8, reason = %"card declined\nnext line");
    narrate::error!(
        action = "fetch",
        "upstream call failed",
        err = narrate::error(&std::io::Error::other(Timeout))
    );
    narrate::narrate!(Level::Info, "done", ok = true, raw = b"\xff\x00ok".as_slice(), dbg = ?vec![1, 2]);
    narrate::flush();
    println!("written: {:?}", narrate::stats());
    Ok(())
}
