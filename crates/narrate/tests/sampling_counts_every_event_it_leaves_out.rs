//! Every sampler, driven by 2 threads at once: for each call site, events
//! kept (seen by the sink) + events suppressed (by the API, and by the
//! in-band reports) == events emitted, exactly. Always-kept events (Error,
//! Fatal, named actors and actions) survive a rate of 0.0.

use std::time::Duration;

use narrate::sampling::{Sampler, Sampling, Selector};
use narrate::{Capture, Config, Level};

const PER_THREAD: u64 = 20_000;

fn path(p: &str) -> Selector {
    Selector {
        path: Some(p.into()),
        ..Selector::default()
    }
}

fn emit_all(t: u64) {
    for i in 0..PER_THREAD {
        narrate::info!(actor = "fe", "first then every {i} {t}");
        narrate::info!(actor = "prob", "probability {i} {t}");
        narrate::info!(actor = "rl", action = "poll", "rate limited {i} {t}");
        // A rate of 0.0 for everything else: only always-keep rules let
        // these through.
        narrate::info!(actor = "zero", "rate zero {i}");
        narrate::error!(actor = "zero", "an error at rate zero {i}");
        narrate::fatal!(actor = "zero", "a fatal at rate zero {i}");
        narrate::info!(actor = "keepme", "a kept actor {i}");
        narrate::info!(actor = "zero", action = "charge", "a kept action {i}");
    }
}

#[test]
fn kept_plus_suppressed_equals_emitted_for_every_sampler() {
    let capture = Capture::new();
    let sampling = Sampling::new()
        .rule(
            path("fe"),
            Sampler::first_then_every(100, 7, Duration::from_millis(3)).unwrap(),
        )
        .rule(path("prob"), Sampler::probability(0.25).unwrap())
        .rule(path("rl"), Sampler::rate_limit(2_000, 50).unwrap())
        .everything(Sampler::probability(0.0).unwrap())
        .always_keep_actor("keepme")
        .always_keep_action("charge")
        .report_interval(Duration::from_millis(20));
    let _guard = narrate::init(
        Config::new()
            .level(Level::Trace)
            .sink(&capture)
            .sampling(sampling)
            .panic_hook(false)
            .env_filter(false),
    )
    .unwrap();

    let threads: Vec<_> = (0..2)
        .map(|t| std::thread::spawn(move || emit_all(t)))
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    narrate::flush();
    // Let one more report interval pass so the in-band reports cover
    // everything, then flush them out.
    std::thread::sleep(Duration::from_millis(60));
    narrate::flush();

    let events = capture.events();
    let emitted = 2 * PER_THREAD;
    let kept = |actor: &str, action: &str| {
        events
            .iter()
            .filter(|e| e.actor == actor && e.action == action)
            .count() as u64
    };
    let api = narrate::sampling::suppressed();
    let suppressed = |actor: &str| -> u64 {
        api.iter()
            .filter(|s| s.actor == actor)
            .map(|s| s.count)
            .sum()
    };
    let reported = |actor: &str| -> u64 {
        events
            .iter()
            .filter(|e| e.actor == "narrate" && e.action == "suppressed")
            .filter(|e| e.field("like_actor") == Some(actor))
            .map(|e| e.field("suppressed").unwrap().parse::<u64>().unwrap())
            .sum()
    };

    for (actor, action) in [("fe", ""), ("prob", ""), ("rl", "poll")] {
        let (k, s) = (kept(actor, action), suppressed(actor));
        assert_eq!(k + s, emitted, "{actor}: kept {k} + suppressed {s}");
        assert!(s > 0 && k > 0, "{actor}: kept {k}, suppressed {s}");
        assert_eq!(reported(actor), s, "{actor}: in-band reports");
    }
    // first 100 per window then every 7th: far fewer than all, at least 100.
    assert!(kept("fe", "") >= 100 && kept("fe", "") < emitted / 2);
    // 0.25 of 40 000: the binomial's sd is ~87, so ±1 500 is > 15 sd.
    let p = kept("prob", "");
    assert!((8_500..=11_500).contains(&p), "probability kept {p}");

    // Rate 0.0: every plain info suppressed, every always-keep event kept.
    assert_eq!(
        events
            .iter()
            .filter(|e| e.actor == "zero" && e.level == Level::Info && e.action.is_empty())
            .count(),
        0
    );
    assert_eq!(suppressed("zero"), emitted);
    for (level, action) in [
        (Level::Error, ""),
        (Level::Fatal, ""),
        (Level::Info, "charge"),
    ] {
        let n = events
            .iter()
            .filter(|e| e.actor == "zero" && e.level == level && e.action == action)
            .count() as u64;
        assert_eq!(n, emitted, "{level:?} {action}");
    }
    assert_eq!(kept("keepme", ""), emitted);
    assert_eq!(
        narrate::sampling::suppressed_total(),
        ["fe", "prob", "rl", "zero"]
            .iter()
            .map(|a| suppressed(a))
            .sum::<u64>()
    );
}
