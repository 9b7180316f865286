//! Rules: what the daemon does to each event, compiled once from TOML.
//!
//! ```toml
//! mode = "first"          # "first": the first matching rule acts; "all": every one does
//! unmatched = "default"   # route of events no rule matched ("drop" drops them)
//!
//! [[rule]]
//! name = "no debug from billing"
//! when = { level = ["debug", "trace"], actor = ["billing"] }   # keys are ANDed
//! action = "drop"
//!
//! [[rule]]
//! name = "health checks"
//! when = { any = [ { field = "fields.path", regex = "^/health" },
//!                  { not = { field = "fields.status", equals = ["500"] } } ] }
//! action = "sample"
//! every = 100              # keep 1 event in 100
//! ```
//!
//! Conditions: `level`, `actor`, `action`, `target` (sets of exact values),
//! `field` (a dotted path into the event's JSON, e.g. `fields.user.id`) with
//! `equals` (exact set), `contains` (any of the substrings, one
//! `aho-corasick` automaton) or `regex` (`regex-automata`'s meta regex);
//! `all`, `any`, `not` nest. Actions: `drop`, `sample` (`every = N`),
//! `redact` (`fields = [paths]`), `tag` (`tags = { k = "v" }`), `route`
//! (`sink = "name"`). Each rule counts its matches and its drops.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::AhoCorasick;
use regex_automata::meta::Regex;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    mode: Mode,
    #[serde(default = "default_route")]
    unmatched: String,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

fn default_route() -> String {
    "default".into()
}

/// Whether the first matching rule acts, or all matching rules do.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    First,
    All,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: String,
    when: CondSpec,
    action: ActionKind,
    every: Option<u64>,
    fields: Option<Vec<String>>,
    tags: Option<BTreeMap<String, String>>,
    sink: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ActionKind {
    Drop,
    Sample,
    Redact,
    Tag,
    Route,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CondSpec {
    level: Option<Vec<String>>,
    actor: Option<Vec<String>>,
    action: Option<Vec<String>>,
    target: Option<Vec<String>>,
    field: Option<String>,
    equals: Option<Vec<String>>,
    contains: Option<Vec<String>>,
    regex: Option<String>,
    all: Option<Vec<CondSpec>>,
    any: Option<Vec<CondSpec>>,
    not: Option<Box<CondSpec>>,
}

enum Cond {
    Exact(Vec<String>, HashSet<String>),
    Contains(Vec<String>, AhoCorasick),
    Regex(Vec<String>, Box<Regex>),
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
}

enum Action {
    Drop,
    Sample { every: u64, seen: AtomicU64 },
    Redact(Vec<Vec<String>>),
    Tag(BTreeMap<String, String>),
    Route(String),
}

/// One compiled rule and its counters.
pub struct Rule {
    pub name: String,
    when: Cond,
    action: Action,
    pub matched: AtomicU64,
    pub dropped: AtomicU64,
}

/// A compiled rule set.
pub struct Rules {
    pub mode: Mode,
    pub unmatched: String,
    pub rules: Vec<Rule>,
}

/// What the rules did to one event.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Names of the rules that matched, in order.
    pub matched: Vec<String>,
    pub dropped: bool,
    /// Routes the event goes to (the `unmatched` route when no rule matched).
    pub routes: Vec<String>,
    /// Whether redact or tag changed the event.
    pub modified: bool,
}

/// A rules file that does not compile, and why.
#[derive(Debug)]
pub struct RulesError(pub String);

impl std::fmt::Display for RulesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RulesError {}

fn path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_owned).collect()
}

fn compile_cond(spec: &CondSpec, rule: &str) -> Result<Cond, RulesError> {
    let mut parts = Vec::new();
    for (key, set) in [
        ("level", &spec.level),
        ("actor", &spec.actor),
        ("action", &spec.action),
        ("target", &spec.target),
    ] {
        if let Some(set) = set {
            parts.push(Cond::Exact(
                vec![key.to_owned()],
                set.iter().cloned().collect(),
            ));
        }
    }
    let tests = [
        spec.equals.is_some(),
        spec.contains.is_some(),
        spec.regex.is_some(),
    ];
    match (&spec.field, tests.iter().filter(|t| **t).count()) {
        (None, 0) => {}
        (None, _) => {
            return Err(RulesError(format!(
                "rule {rule:?}: equals/contains/regex need a `field`"
            )));
        }
        (Some(f), 0) => {
            return Err(RulesError(format!(
                "rule {rule:?}: field {f:?} needs one of equals, contains, regex"
            )));
        }
        (Some(f), 1) => {
            let p = path(f);
            if let Some(set) = &spec.equals {
                parts.push(Cond::Exact(p, set.iter().cloned().collect()));
            } else if let Some(words) = &spec.contains {
                let ac = AhoCorasick::new(words)
                    .map_err(|e| RulesError(format!("rule {rule:?}: contains: {e}")))?;
                parts.push(Cond::Contains(p, ac));
            } else if let Some(re) = &spec.regex {
                let re = Regex::new(re)
                    .map_err(|e| RulesError(format!("rule {rule:?}: regex {re:?}: {e}")))?;
                parts.push(Cond::Regex(p, Box::new(re)));
            }
        }
        (Some(f), _) => {
            return Err(RulesError(format!(
                "rule {rule:?}: field {f:?} has more than one of equals, contains, regex"
            )));
        }
    }
    if let Some(all) = &spec.all {
        let c = all
            .iter()
            .map(|c| compile_cond(c, rule))
            .collect::<Result<_, _>>()?;
        parts.push(Cond::All(c));
    }
    if let Some(any) = &spec.any {
        let c = any
            .iter()
            .map(|c| compile_cond(c, rule))
            .collect::<Result<_, _>>()?;
        parts.push(Cond::Any(c));
    }
    if let Some(not) = &spec.not {
        parts.push(Cond::Not(Box::new(compile_cond(not, rule)?)));
    }
    if parts.is_empty() {
        return Err(RulesError(format!("rule {rule:?}: empty `when`")));
    }
    Ok(if parts.len() == 1 {
        parts.pop().expect("one")
    } else {
        Cond::All(parts)
    })
}

impl Rules {
    /// Parses and compiles a rules file; every error names its rule.
    pub fn compile(toml_text: &str) -> Result<Rules, RulesError> {
        let file: RulesFile =
            toml::from_str(toml_text).map_err(|e| RulesError(format!("rules file: {e}")))?;
        let mut rules = Vec::with_capacity(file.rules.len());
        for spec in &file.rules {
            let name = &spec.name;
            let need =
                |what: &str| RulesError(format!("rule {name:?}: this action needs `{what}`"));
            let action = match spec.action {
                ActionKind::Drop => Action::Drop,
                ActionKind::Sample => Action::Sample {
                    every: spec
                        .every
                        .filter(|n| *n > 0)
                        .ok_or_else(|| need("every = N (N > 0)"))?,
                    seen: AtomicU64::new(0),
                },
                ActionKind::Redact => Action::Redact(
                    spec.fields
                        .as_ref()
                        .ok_or_else(|| need("fields"))?
                        .iter()
                        .map(|f| path(f))
                        .collect(),
                ),
                ActionKind::Tag => Action::Tag(spec.tags.clone().ok_or_else(|| need("tags"))?),
                ActionKind::Route => Action::Route(spec.sink.clone().ok_or_else(|| need("sink"))?),
            };
            rules.push(Rule {
                name: name.clone(),
                when: compile_cond(&spec.when, name)?,
                action,
                matched: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
            });
        }
        Ok(Rules {
            mode: file.mode,
            unmatched: file.unmatched,
            rules,
        })
    }

    /// Applies the rules to one event (a parsed JSON line), changing it in
    /// place for `redact` and `tag`.
    pub fn apply(&self, event: &mut Value) -> Outcome {
        let mut out = Outcome::default();
        for rule in &self.rules {
            if !eval(&rule.when, event) {
                continue;
            }
            rule.matched.fetch_add(1, Ordering::Relaxed);
            out.matched.push(rule.name.clone());
            match &rule.action {
                Action::Drop => out.dropped = true,
                Action::Sample { every, seen } => {
                    if seen.fetch_add(1, Ordering::Relaxed) % every != 0 {
                        out.dropped = true;
                    }
                }
                Action::Redact(paths) => {
                    for p in paths {
                        if let Some(v) = lookup_mut(event, p) {
                            *v = Value::String("[redacted]".into());
                            out.modified = true;
                        }
                    }
                }
                Action::Tag(tags) => {
                    if let Some(obj) = event.as_object_mut() {
                        let t = obj
                            .entry("tags")
                            .or_insert_with(|| Value::Object(Default::default()));
                        if let Some(t) = t.as_object_mut() {
                            for (k, v) in tags {
                                t.insert(k.clone(), Value::String(v.clone()));
                            }
                            out.modified = true;
                        }
                    }
                }
                Action::Route(sink) => out.routes.push(sink.clone()),
            }
            if out.dropped {
                rule.dropped.fetch_add(1, Ordering::Relaxed);
                break;
            }
            if self.mode == Mode::First {
                break;
            }
        }
        if out.dropped {
            out.routes.clear();
        } else if out.routes.is_empty() {
            if out.matched.is_empty() && self.unmatched == "drop" {
                out.dropped = true;
            } else {
                out.routes.push(self.unmatched.clone());
            }
        }
        out
    }
}

fn lookup<'v>(event: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(event, |v, k| v.get(k.as_str()))
}

fn lookup_mut<'v>(event: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(event, |v, k| v.get_mut(k.as_str()))
}

/// The value as text for matching: strings as they are, numbers and bools
/// as JSON writes them.
fn text(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(s.as_str().into()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string().into()),
        _ => None,
    }
}

fn eval(cond: &Cond, event: &Value) -> bool {
    match cond {
        Cond::Exact(p, set) => lookup(event, p)
            .and_then(text)
            .is_some_and(|t| set.contains(t.as_ref())),
        Cond::Contains(p, ac) => lookup(event, p)
            .and_then(text)
            .is_some_and(|t| ac.is_match(t.as_ref())),
        Cond::Regex(p, re) => lookup(event, p)
            .and_then(text)
            .is_some_and(|t| re.is_match(t.as_ref())),
        Cond::All(cs) => cs.iter().all(|c| eval(c, event)),
        Cond::Any(cs) => cs.iter().any(|c| eval(c, event)),
        Cond::Not(c) => !eval(c, event),
    }
}
