//! The rules engine: each condition and action on real JSON lines as narrate
//! writes them, first-match against all-match, the unmatched route, per-rule
//! counters, and files that do not compile.

use std::sync::atomic::Ordering;

use narrate_daemon::rules::{Mode, Rules};
use serde_json::json;

const RULES: &str = r#"
mode = "first"
unmatched = "main"

[[rule]]
name = "billing debug"
when = { level = ["debug", "trace"], actor = ["billing"] }
action = "drop"

[[rule]]
name = "health"
when = { field = "fields.path", regex = "^/health(z)?$" }
action = "sample"
every = 3

[[rule]]
name = "secrets"
when = { field = "msg", contains = ["password", "token"] }
action = "redact"
fields = ["fields.user.password", "fields.token"]

[[rule]]
name = "payments not ok"
when = { all = [ { action = ["charge"] }, { not = { field = "fields.status", equals = ["200", "201"] } } ] }
action = "route"
sink = "alerts"

[[rule]]
name = "eu or us"
when = { any = [ { field = "fields.region", equals = ["eu"] }, { target = ["us-east"] } ] }
action = "tag"
tags = { team = "geo" }
"#;

#[test]
fn each_condition_and_action_does_what_it_says() {
    let rules = Rules::compile(RULES).unwrap();
    assert_eq!(rules.mode, Mode::First);

    let mut e = json!({"level":"debug","actor":"billing","msg":"x"});
    let o = rules.apply(&mut e);
    assert!(o.dropped);
    assert_eq!(o.matched, ["billing debug"]);
    assert!(o.routes.is_empty());

    // Not billing: falls through to the unmatched route.
    let mut e = json!({"level":"debug","actor":"shop","msg":"x"});
    let o = rules.apply(&mut e);
    assert!(!o.dropped);
    assert_eq!(o.routes, ["main"]);

    // Sampling keeps 1 in 3.
    let kept = (0..9)
        .filter(|_| {
            !rules
                .apply(&mut json!({"fields":{"path":"/healthz"}}))
                .dropped
        })
        .count();
    assert_eq!(kept, 3);

    let mut e = json!({"msg":"reset password","fields":{"user":{"password":"hunter2","id":7},"token":"abc"}});
    let o = rules.apply(&mut e);
    assert!(o.modified);
    assert_eq!(e["fields"]["user"]["password"], "[redacted]");
    assert_eq!(e["fields"]["token"], "[redacted]");
    assert_eq!(e["fields"]["user"]["id"], 7);

    // Numbers compare as JSON writes them.
    let mut e = json!({"action":"charge","fields":{"status":502}});
    assert_eq!(rules.apply(&mut e).routes, ["alerts"]);
    let mut e = json!({"action":"charge","fields":{"status":200}});
    assert_eq!(rules.apply(&mut e).routes, ["main"]);

    let mut e = json!({"target":"us-east"});
    let o = rules.apply(&mut e);
    assert_eq!(e["tags"]["team"], "geo");
    assert_eq!(o.routes, ["main"], "tag alone keeps the unmatched route");

    let counts: Vec<(String, u64, u64)> = rules
        .rules
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                r.matched.load(Ordering::Relaxed),
                r.dropped.load(Ordering::Relaxed),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("billing debug".into(), 1, 1),
            ("health".into(), 9, 6),
            ("secrets".into(), 1, 0),
            ("payments not ok".into(), 1, 0),
            ("eu or us".into(), 1, 0),
        ]
    );
}

#[test]
fn all_mode_lets_every_matching_rule_act() {
    let rules = Rules::compile(
        r#"
mode = "all"
unmatched = "drop"
[[rule]]
name = "a"
when = { actor = ["api"] }
action = "tag"
tags = { seen = "a" }
[[rule]]
name = "b"
when = { actor = ["api"] }
action = "route"
sink = "api-file"
"#,
    )
    .unwrap();
    let mut e = json!({"actor":"api"});
    let o = rules.apply(&mut e);
    assert_eq!(o.matched, ["a", "b"]);
    assert_eq!(o.routes, ["api-file"]);
    assert_eq!(e["tags"]["seen"], "a");
    // unmatched = "drop"
    assert!(rules.apply(&mut json!({"actor":"other"})).dropped);
}

#[test]
fn bad_files_are_refused_with_the_reason() {
    let cases = [
        (
            "[[rule]]\nname = \"r\"\nwhen = { field = \"x\", regex = \"(\" }\naction = \"drop\"",
            "regex",
        ),
        (
            "[[rule]]\nname = \"r\"\nwhen = { field = \"x\" }\naction = \"drop\"",
            "needs one of",
        ),
        (
            "[[rule]]\nname = \"r\"\nwhen = {}\naction = \"drop\"",
            "empty `when`",
        ),
        (
            "[[rule]]\nname = \"r\"\nwhen = { actor = [\"a\"] }\naction = \"sample\"",
            "every",
        ),
        (
            "[[rule]]\nname = \"r\"\nwhen = { actor = [\"a\"] }\naction = \"explode\"",
            "explode",
        ),
        (
            "[[rule]]\nname = \"r\"\nwhen = { colour = [\"a\"] }\naction = \"drop\"",
            "colour",
        ),
        ("mode = \"some\"", "some"),
    ];
    for (text, why) in cases {
        let err = Rules::compile(text)
            .err()
            .unwrap_or_else(|| panic!("accepted: {text}"));
        assert!(err.to_string().contains(why), "{err} lacks {why:?}");
    }
}
