//! Soak run (scripts/soak.sh; not in CI): 8 threads log random levels and
//! sizes for `SOAK_SECS` seconds (default 1800) into a file that is rotated
//! from outside every `SOAK_ROTATE_SECS` (default 60) the way logrotate's
//! `create` mode does it (move away, then `narrate::reopen()`). Afterwards
//! it reconciles exactly: events emitted = lines in all the files +
//! dropped per reason, and prints RSS at the start and the end.
//!
//! Info and below use `DropNewest` on a 64 KiB ring so drops happen and are
//! counted; Warn and above block.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use narrate::{Config, FileSink, FullRingPolicy, Level};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

fn env_secs(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn count_user_lines(dir: &Path) -> (u64, u64) {
    let (mut user, mut own) = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let text = std::fs::read(entry.path()).unwrap();
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let own_line: &[u8] = b"\"actor\":\"narrate\"";
            if line.windows(own_line.len()).any(|w| w == own_line) {
                own += 1;
            } else {
                user += 1;
            }
        }
    }
    (user, own)
}

fn main() {
    let secs = env_secs("SOAK_SECS", 1800);
    let rotate_every = env_secs("SOAK_ROTATE_SECS", 60);
    let dir: PathBuf = std::env::var_os("SOAK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("narrate-soak"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("soak.jsonl");

    let rss_start = rss_kib();
    let guard = narrate::init(
        Config::new()
            .level(Level::Trace)
            .env_filter(false)
            .sink(FileSink::new(&path))
            .ring_bytes(64 * 1024)
            .on_full_ring(FullRingPolicy::DropNewest)
            .on_full_ring_for(Level::Warn, FullRingPolicy::Block),
    )
    .unwrap();
    let rss_after_init = rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let emitted = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..8u64)
        .map(|t| {
            let (stop, emitted) = (stop.clone(), emitted.clone());
            std::thread::Builder::new()
                .name(format!("soak-{t}"))
                .spawn(move || {
                    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (t + 1);
                    let filler = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(32);
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let size = (x >> 8) as usize % filler.len();
                        let body = &filler[..size];
                        match x % 16 {
                            0..=4 => narrate::trace!("soak trace {n}", body),
                            5..=8 => narrate::debug!("soak debug {n}", body),
                            9..=12 => narrate::info!("soak info {n}", body),
                            13 | 14 => narrate::warn!("soak warn {n}", body),
                            _ => narrate::error!("soak error {n}", body),
                        }
                        n += 1;
                        if n.is_multiple_of(64) {
                            // Not flat out: a busy service, not a benchmark.
                            std::thread::sleep(Duration::from_micros(200));
                        }
                    }
                    emitted.fetch_add(n, Ordering::Relaxed);
                })
                .unwrap()
        })
        .collect();

    let mut rotations = 0u64;
    let mut rss_samples = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        let next = Duration::from_secs(rotate_every * (rotations + 1));
        let wait = next.saturating_sub(started.elapsed());
        std::thread::sleep(wait.min(Duration::from_secs(secs).saturating_sub(started.elapsed())));
        if started.elapsed() >= Duration::from_secs(secs) {
            break;
        }
        rotations += 1;
        std::fs::rename(&path, dir.join(format!("soak.jsonl.rotated-{rotations}"))).unwrap();
        narrate::reopen();
        rss_samples.push(rss_kib());
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    narrate::flush();
    let rss_end = rss_kib();
    let stats = narrate::stats();
    drop(guard);

    let emitted = emitted.load(Ordering::Relaxed);
    let (lines, notices) = count_user_lines(&dir);
    let dropped = stats.dropped_ring_full + stats.dropped_after_shutdown;
    let ok = emitted == lines + dropped && stats.events_written == lines;
    println!("duration_secs        {secs}");
    println!("rotations            {rotations} (every {rotate_every} s, move + narrate::reopen())");
    println!("emitted              {emitted}");
    println!("written (file lines) {lines}");
    println!("events_written stat  {}", stats.events_written);
    println!("dropped ring_full    {}", stats.dropped_ring_full);
    println!("dropped after_shutdown {}", stats.dropped_after_shutdown);
    println!("file_lines_lost      {}", stats.file_lines_lost);
    println!("sink_errors          {}", stats.sink_errors);
    println!("narrate notices      {notices} (drop reports, reopen notices)");
    println!("files_reopened       {}", stats.files_reopened);
    println!("rss_kib start        {rss_start} (after init {rss_after_init})");
    println!("rss_kib at rotations {rss_samples:?}");
    println!("rss_kib end          {rss_end}");
    println!(
        "reconciled           {} (emitted {} = written {} + dropped {})",
        if ok { "yes" } else { "NO" },
        emitted,
        lines,
        dropped
    );
    let _ = std::fs::remove_dir_all(&dir);
    if !ok {
        std::process::exit(1);
    }
}
