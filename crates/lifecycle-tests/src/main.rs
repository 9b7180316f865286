//! A child process for the lifecycle tests: logs 100 000 events to the file
//! given as the second argument, then ends the way the first argument says.
//!
//! * `return`: returns from `main` (the guard drops)
//! * `panic`: panics on the main thread
//! * `sigterm`: prints `ready` and waits to be killed with SIGTERM
//! * `exit`: calls `narrate::shutdown()` then `std::process::exit(3)`

use std::io::Write;

const EVENTS: u64 = 100_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().expect("mode");
    let path = args.next().expect("path");
    let _guard = narrate::init(
        narrate::Config::new()
            .sink(narrate::FileSink::new(path))
            .handle_signals(mode == "sigterm"),
    )
    .expect("init");
    let workers: Vec<_> = (0..2u64)
        .map(|w| {
            std::thread::spawn(move || {
                for seq in 0..EVENTS / 2 {
                    narrate::info!("child event {seq} from {w}", seq, w);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    match mode.as_str() {
        "return" => {}
        "panic" => panic!("deliberate panic after {EVENTS} events"),
        "sigterm" => {
            println!("ready");
            std::io::stdout().flush().unwrap();
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
        "exit" => {
            narrate::shutdown();
            std::process::exit(3);
        }
        other => panic!("unknown mode {other}"),
    }
}
