//! A thread that logs and exits at once: its ring is drained before it is freed.

#[test]
fn events_of_threads_that_exit_immediately_are_all_written() {
    let capture = narrate::Capture::new();
    let _guard = narrate::init(narrate::Config::new().sink(&capture).panic_hook(false)).unwrap();
    for t in 0..50u64 {
        std::thread::spawn(move || {
            for i in 0..100u64 {
                narrate::info!("short-lived {t} {i}", t, i);
            }
        })
        .join()
        .unwrap();
    }
    narrate::flush();
    let events = capture.events();
    assert_eq!(events.len(), 5_000);
    for t in 0..50u64 {
        let mine: Vec<_> = events
            .iter()
            .filter(|e| e.field("t") == Some(t.to_string().as_str()))
            .collect();
        assert_eq!(mine.len(), 100, "thread {t}");
        let seqs: Vec<u64> = mine
            .iter()
            .map(|e| e.field("i").unwrap().parse().unwrap())
            .collect();
        assert_eq!(seqs, (0..100).collect::<Vec<_>>());
    }
    assert_eq!(narrate::stats().lanes_registered, 50);
}
