//! Every malformed `narrate.toml` gets one clear error naming the line,
//! column and key — never a panic, never a silent default.

use narrate::config_file::FileConfig;

struct Case {
    name: &'static str,
    text: &'static str,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<&'static str>,
    /// Substrings the message (with its help) must contain.
    says: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "unknown top-level key with a suggestion",
        text: "level = \"info\"\nlevle = \"debug\"\n",
        line: Some(2),
        column: Some(1),
        key: Some("levle"),
        says: &["unknown key `levle`", "did you mean `level`?"],
    },
    Case {
        name: "unknown key inside a sink",
        text: "[[sinks]]\nkind = \"file\"\npath = \"x.jsonl\"\nfromat = \"json\"\n",
        line: Some(4),
        column: Some(1),
        key: Some("sinks[0].fromat"),
        says: &["did you mean `format`?"],
    },
    Case {
        name: "wrong type: level as a number",
        text: "level = 3\n",
        line: Some(1),
        column: Some(9),
        key: Some("level"),
        says: &["expected a string", "found an integer"],
    },
    Case {
        name: "bad enum value with a suggestion",
        text: "\n\nlevel = \"warnn\"\n",
        line: Some(3),
        column: Some(9),
        key: Some("level"),
        says: &["`warnn` is not one of", "did you mean `warn`?"],
    },
    Case {
        name: "bad format for a sink",
        text: "[[sinks]]\nkind = \"stdout\"\nformat = \"jsn\"\n",
        line: Some(3),
        column: Some(10),
        key: Some("sinks[0].format"),
        says: &["did you mean `json`?"],
    },
    Case {
        name: "bad regex in a custom pattern",
        text: "[redaction]\n[[redaction.patterns]]\nname = \"ticket\"\nregex = \"TCK-(\"\n",
        line: Some(4),
        column: Some(9),
        key: Some("redaction.patterns[0].regex"),
        says: &["custom pattern \"ticket\"", "rejected"],
    },
    Case {
        name: "a pattern that matches the empty string",
        text: "[[redaction.patterns]]\nname = \"anything\"\nregex = \"a*\"\n",
        line: Some(3),
        column: Some(9),
        key: Some("redaction.patterns[0].regex"),
        says: &["empty"],
    },
    Case {
        name: "duplicate sink names",
        text: "[[sinks]]\nname = \"out\"\nkind = \"stdout\"\n\n[[sinks]]\nname = \"out\"\nkind = \"stderr\"\n",
        line: Some(6),
        column: Some(8),
        key: Some("sinks[1].name"),
        says: &["duplicate sink name `out`", "first used on line 2"],
    },
    Case {
        name: "a file sink whose directory is a file",
        text: "[[sinks]]\nkind = \"file\"\npath = \"/etc/hostname/app.jsonl\"\n",
        line: Some(3),
        column: Some(8),
        key: Some("sinks[0].path"),
        says: &["is not a directory"],
    },
    Case {
        name: "a file sink path that is a directory",
        text: "[[sinks]]\nkind = \"file\"\npath = \"/tmp\"\n",
        line: Some(3),
        column: Some(8),
        key: Some("sinks[0].path"),
        says: &["is a directory"],
    },
    Case {
        name: "a file sink on a read-only file system",
        text: "[[sinks]]\nkind = \"file\"\npath = \"/proc/narrate/app.jsonl\"\n",
        line: Some(3),
        column: Some(8),
        key: Some("sinks[0].path"),
        says: &["cannot create"],
    },
    Case {
        name: "a file sink without a path",
        text: "[[sinks]]\nname = \"main\"\nkind = \"file\"\n",
        line: Some(1),
        column: Some(1),
        key: Some("sinks[0].path"),
        says: &["missing `path`"],
    },
    Case {
        name: "file-only keys on stdout",
        text: "[[sinks]]\nkind = \"stdout\"\nmax_bytes = 10\n",
        line: Some(3),
        column: Some(1),
        key: Some("sinks[0].max_bytes"),
        says: &["applies to `kind = \"file\"` sinks only"],
    },
    Case {
        name: "a syslog address that is not host:port",
        text: "[[sinks]]\nkind = \"syslog\"\naddress = \"localhost\"\n",
        line: Some(3),
        column: Some(11),
        key: Some("sinks[0].address"),
        says: &["is not an IP address and port"],
    },
    Case {
        name: "an unknown syslog facility with a suggestion",
        text: "[[sinks]]\nkind = \"syslog\"\naddress = \"127.0.0.1:514\"\nfacility = \"locl0\"\n",
        line: Some(4),
        column: Some(12),
        key: Some("sinks[0].facility"),
        says: &["did you mean `local0`?"],
    },
    Case {
        name: "a daemon key on a file sink",
        text: "[[sinks]]\nkind = \"file\"\npath = \"x.jsonl\"\nsocket = \"/tmp/s\"\n",
        line: Some(4),
        column: Some(1),
        key: Some("sinks[0].socket"),
        says: &["applies to `kind = \"daemon\"` sinks only"],
    },
    Case {
        name: "a daemon sink without a socket",
        text: "[[sinks]]\nkind = \"daemon\"\n",
        line: Some(1),
        column: Some(1),
        key: Some("sinks[0].socket"),
        says: &["missing `socket`"],
    },
    Case {
        name: "an empty file",
        text: "",
        line: None,
        column: None,
        key: None,
        says: &["is empty", "narrate config example"],
    },
    Case {
        name: "a file that is not TOML (JSON)",
        text: "{\"level\": \"info\"}\n",
        line: Some(1),
        column: Some(1),
        key: None,
        says: &["not valid TOML"],
    },
    Case {
        name: "unterminated string",
        text: "level = \"info\nfilter = \"x\"\n",
        line: Some(1),
        column: Some(14),
        key: None,
        says: &["not valid TOML"],
    },
    Case {
        name: "a malformed filter directive",
        text: "filter = \"my_crate=loud\"\n",
        line: Some(1),
        column: Some(10),
        key: Some("filter"),
        says: &["invalid filter directive `my_crate=loud`"],
    },
    Case {
        name: "a rule without path or action",
        text: "[[rules]]\nlevel = \"debug\"\n",
        line: Some(1),
        column: Some(1),
        key: Some("rules[0]"),
        says: &["needs a `path`"],
    },
    Case {
        name: "a rule without a level",
        text: "[[rules]]\npath = \"svc::db\"\n",
        line: Some(1),
        column: Some(1),
        key: Some("rules[0].level"),
        says: &["missing `level`"],
    },
    Case {
        name: "a rule with a bad module path",
        text: "[[rules]]\npath = \"svc db\"\nlevel = \"debug\"\n",
        line: Some(2),
        column: Some(8),
        key: Some("rules[0].path"),
        says: &["is not a module path"],
    },
    Case {
        name: "ring size out of range",
        text: "ring_bytes = 12\n",
        line: Some(1),
        column: Some(14),
        key: Some("ring_bytes"),
        says: &["out of range"],
    },
    Case {
        name: "a size with an unknown unit",
        text: "ring_bytes = \"4 parsecs\"\n",
        line: Some(1),
        column: Some(14),
        key: Some("ring_bytes"),
        says: &["is not a size"],
    },
    Case {
        name: "a duration without a unit",
        text: "merge_window = 100\n",
        line: Some(1),
        column: Some(16),
        key: Some("merge_window"),
        says: &["a duration with its unit"],
    },
    Case {
        name: "a zero idle sleep",
        text: "idle_sleep = \"0us\"\n",
        line: Some(1),
        column: Some(14),
        key: Some("idle_sleep"),
        says: &["above zero"],
    },
    Case {
        name: "a bad full-ring policy",
        text: "[full_ring]\nerror = \"drop\"\n",
        line: Some(2),
        column: Some(9),
        key: Some("full_ring.error"),
        says: &["`drop` is not one of: block, drop_newest"],
    },
    Case {
        name: "a detector that does not exist",
        text: "[redaction.detectors]\nssn = true\n",
        line: Some(2),
        column: Some(1),
        key: Some("redaction.detectors.ssn"),
        says: &["unknown key `ssn`", "known keys here"],
    },
    Case {
        name: "a hash key that is not 32 hex digits",
        text: "[redaction]\nhash_key = \"xyz\"\n",
        line: Some(2),
        column: Some(12),
        key: Some("redaction.hash_key"),
        says: &["32 hexadecimal digits"],
    },
    Case {
        name: "sinks as a table instead of an array of tables",
        text: "[sinks]\nkind = \"stdout\"\n",
        line: Some(1),
        column: Some(1),
        key: Some("sinks"),
        says: &["an array of tables"],
    },
    Case {
        name: "a negative integer",
        text: "backend_core = -1\n",
        line: Some(1),
        column: Some(16),
        key: Some("backend_core"),
        says: &["non-negative integer"],
    },
    Case {
        name: "a sample rate above 1",
        text: "[sampling]\n[[sampling.rules]]\npath = \"svc\"\nrate = 1.5\n",
        line: Some(4),
        column: Some(8),
        key: Some("sampling.rules[0].rate"),
        says: &["sample rate 1.5 is outside [0, 1]"],
    },
    Case {
        name: "a negative sample rate",
        text: "[[sampling.rules]]\nrate = -0.1\n",
        line: Some(2),
        column: Some(8),
        key: Some("sampling.rules[0].rate"),
        says: &["outside [0, 1]"],
    },
    Case {
        name: "first N of 0",
        text: "[[sampling.rules]]\nfirst = 0\nevery = 10\n",
        line: Some(2),
        column: Some(9),
        key: Some("sampling.rules[0].first"),
        says: &["`first` must be at least 1"],
    },
    Case {
        name: "every M of 0",
        text: "[[sampling.rules]]\nfirst = 5\nevery = 0\n",
        line: Some(3),
        column: Some(9),
        key: Some("sampling.rules[0].every"),
        says: &["`every` must be at least 1"],
    },
    Case {
        name: "a rate limit of 0",
        text: "[[sampling.rules]]\naction = \"poll\"\nper_second = 0\n",
        line: Some(3),
        column: Some(14),
        key: Some("sampling.rules[0].per_second"),
        says: &["rate limit of 0 events per second"],
    },
    Case {
        name: "two samplers in one rule",
        text: "[[sampling.rules]]\nrate = 0.5\nper_second = 10\n",
        line: Some(1),
        column: Some(1),
        key: Some("sampling.rules[0]"),
        says: &["exactly one sampler"],
    },
    Case {
        name: "an adaptive fill outside [0, 1]",
        text: "[sampling.adaptive]\nhigh_fill = 2\n",
        line: Some(2),
        column: Some(13),
        key: Some("sampling.adaptive.high_fill"),
        says: &["outside [0, 1]"],
    },
    Case {
        name: "a metrics address that is not an address",
        text: "[metrics]\naddress = \"localhost\"\n",
        line: Some(2),
        column: Some(11),
        key: Some("metrics.address"),
        says: &["cannot listen there"],
    },
];

#[test]
fn a_metrics_address_already_in_use_is_named_with_its_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let text = format!(
        "level = \"info\"\n[metrics]\naddress = \"{}\"\n",
        taken.local_addr().unwrap()
    );
    let err = FileConfig::parse(&text, "narrate.toml").unwrap_err();
    assert_eq!((err.line, err.column), (Some(3), Some(11)));
    assert_eq!(err.key.as_deref(), Some("metrics.address"));
    assert!(err.to_string().contains("address already in use"), "{err}");
    drop(taken);
}

#[test]
fn every_malformed_file_names_line_column_and_key() {
    assert!(CASES.len() >= 15);
    let mut failures = Vec::new();
    for case in CASES {
        let err = match FileConfig::parse(case.text, "narrate.toml") {
            Ok(cfg) => {
                failures.push(format!("{}: accepted, got {cfg:?}", case.name));
                continue;
            }
            Err(e) => e,
        };
        let shown = err.to_string();
        let ok = err.line == case.line
            && err.column == case.column
            && err.key.as_deref() == case.key
            && case.says.iter().all(|s| shown.contains(s))
            && shown.starts_with("narrate.toml");
        if !ok {
            failures.push(format!(
                "{}: got line {:?} column {:?} key {:?}: {shown}",
                case.name, err.line, err.column, err.key
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn files_that_are_not_configuration_are_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();

    let big = dir.path().join("big.toml");
    std::fs::write(&big, "# x\n".repeat(10 << 18)).unwrap(); // 10 MiB
    let err = FileConfig::read(&big).unwrap_err().to_string();
    assert!(err.contains("may be at most 1048576 bytes"), "{err}");

    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, b"level = \"info\"\n\xff\xfe\x00garbage").unwrap();
    let err = FileConfig::read(&binary).unwrap_err();
    assert_eq!((err.line, err.column), (Some(2), Some(1)));
    assert!(err.message.contains("not UTF-8"), "{err}");

    let missing = dir.path().join("missing.toml");
    let err = FileConfig::read(&missing).unwrap_err().to_string();
    assert!(err.contains("missing.toml: cannot read"), "{err}");

    let err = FileConfig::read(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is a directory"), "{err}");

    let only_comments = dir.path().join("comments.toml");
    std::fs::write(&only_comments, "# defaults on purpose\n").unwrap();
    assert_eq!(
        FileConfig::read(&only_comments).unwrap(),
        FileConfig::default()
    );
}

#[test]
fn a_full_file_reads_into_the_values_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs/app.jsonl");
    let text = format!(
        r#"
level = "debug"
filter = "hyper=warn"
ring_bytes = "256 KiB"
merge_window = "50us"
[[rules]]
path = "svc::db"
level = "trace"
[[rules]]
action = "heartbeat"
level = "mute"
[full_ring]
default = "drop_newest"
[redaction.detectors]
email = true
[[sinks]]
name = "main"
kind = "file"
path = "{}"
max_bytes = "64 MiB"
keep = 3
min_level = "info"
"#,
        log.display()
    );
    let cfg = FileConfig::parse(&text, "t.toml").unwrap();
    assert_eq!(cfg.level, narrate::Level::Debug);
    assert_eq!(cfg.ring_bytes, 256 << 10);
    assert_eq!(cfg.merge_window, std::time::Duration::from_micros(50));
    assert_eq!(
        cfg.full_ring[narrate::Level::Info as usize],
        narrate::FullRingPolicy::DropNewest
    );
    assert_eq!(
        cfg.full_ring[narrate::Level::Error as usize],
        narrate::FullRingPolicy::Block
    );
    assert!(
        cfg.redaction
            .detectors
            .contains(narrate::redaction::Detector::Email)
    );
    let filter = cfg.filter();
    assert_eq!(filter.default, narrate::Level::Debug);
    assert_eq!(filter.directives.len(), 3);
    assert_eq!(cfg.sinks[0].name, "main");
    assert_eq!(cfg.sinks[0].min_level, narrate::Level::Info);
    // Checking the path created nothing.
    assert!(!log.parent().unwrap().exists());
}
