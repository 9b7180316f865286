//! Runtime filtering: which enabled-at-compile-time call sites may log.
//!
//! A [`Filter`] is a default level plus directives in `RUST_LOG` syntax,
//! extended with actions:
//!
//! ```text
//! warn,my_crate::db=debug,[dispatch]=trace,payments[refund]=info,noisy=off
//! ```
//!
//! * `LEVEL`: the default for everything no directive names.
//! * `PATH=LEVEL`: call sites whose module path (or actor) is `PATH` or lies
//!   under it (`PATH::…`).
//! * `[ACTION]=LEVEL`: call sites with that action, anywhere.
//! * `PATH[ACTION]=LEVEL`: both.
//! * `PATH` or `[ACTION]` alone: everything there (`trace`).
//!
//! The most specific matching directive wins: one naming an action beats one
//! that does not; then the longest path. Filters are never evaluated per
//! event: a change re-computes every call site's cached interest once
//! (see [`crate::callsite`]), so a filtered-out event still costs one relaxed
//! load.

use std::fmt;

use crate::callsite::Metadata;
use crate::level::Level;

/// One `PATH[ACTION]=LEVEL` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub path: Option<String>,
    pub action: Option<String>,
    pub level: Level,
}

impl Directive {
    fn matches(&self, meta: &Metadata) -> bool {
        let path_ok = self
            .path
            .as_deref()
            .is_none_or(|p| under(meta.module_path, p) || under(meta.actor, p));
        let action_ok = self.action.as_deref().is_none_or(|a| a == meta.action);
        path_ok && action_ok
    }

    fn specificity(&self) -> (bool, usize) {
        (
            self.action.is_some(),
            self.path.as_ref().map_or(0, String::len),
        )
    }
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix || (path.starts_with(prefix) && path[prefix.len()..].starts_with("::"))
}

/// A malformed filter string; names the directive at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub directive: String,
    pub reason: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid filter directive `{}`: {}",
            self.directive, self.reason
        )
    }
}

impl std::error::Error for FilterError {}

/// A default level and directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub default: Level,
    /// Sorted most specific first.
    pub directives: Vec<Directive>,
}

impl Filter {
    /// Everything at `level` and above, no directives.
    pub const fn level(level: Level) -> Filter {
        Filter {
            default: level,
            directives: Vec::new(),
        }
    }

    /// Parses `RUST_LOG`-style directives (see the module docs). A string
    /// with no bare level keeps `default` as the default.
    pub fn parse(spec: &str, default: Level) -> Result<Filter, FilterError> {
        let mut filter = Filter::level(default);
        for raw in spec.split(',') {
            let part = raw.trim();
            if part.is_empty() {
                continue;
            }
            let err = |reason: String| FilterError {
                directive: part.to_string(),
                reason,
            };
            let (lhs, level) = match part.split_once('=') {
                Some((lhs, level)) => {
                    let level = level.parse::<Level>().map_err(|e| err(e.to_string()))?;
                    (lhs.trim(), Some(level))
                }
                None => match part.parse::<Level>() {
                    Ok(level) => {
                        filter.default = level;
                        continue;
                    }
                    Err(_) => (part, None),
                },
            };
            let (path, action) = match lhs.find('[') {
                Some(open) => {
                    let Some(inner) = lhs[open + 1..].strip_suffix(']') else {
                        return Err(err(
                            "an action must be written `[action]`, closed by `]` at the end".into(),
                        ));
                    };
                    if inner.is_empty() || inner.contains(['[', ']']) {
                        return Err(err(
                            "the action between `[` and `]` must be one non-empty name".into(),
                        ));
                    }
                    (&lhs[..open], Some(inner.to_string()))
                }
                None => (lhs, None),
            };
            let path = path.trim();
            if path.is_empty() && action.is_none() {
                return Err(err(
                    "nothing before `=`: expected a module path or `[action]`".into(),
                ));
            }
            if !path.is_empty() {
                let valid = path.split("::").all(|seg| {
                    !seg.is_empty()
                        && seg
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                });
                if !valid {
                    return Err(err(format!(
                        "`{path}` is not a module path (letters, digits, `_`, `-`, separated by `::`)"
                    )));
                }
            }
            filter.directives.push(Directive {
                path: (!path.is_empty()).then(|| path.to_string()),
                action,
                level: level.unwrap_or(Level::Trace),
            });
        }
        filter
            .directives
            .sort_by_key(|d| std::cmp::Reverse(d.specificity()));
        Ok(filter)
    }

    /// The least severe level `meta`'s call site may log at.
    pub fn level_for(&self, meta: &Metadata) -> Level {
        self.directives
            .iter()
            .find(|d| d.matches(meta))
            .map_or(self.default, |d| d.level)
    }

    pub fn enabled(&self, meta: &Metadata) -> bool {
        let level = self.level_for(meta);
        level != Level::Mute && meta.level >= level
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callsite::Piece;

    const fn meta(
        level: Level,
        module_path: &'static str,
        actor: &'static str,
        action: &'static str,
    ) -> Metadata {
        Metadata {
            level,
            kind: crate::callsite::Kind::Event,
            actor,
            action,
            template: "",
            pieces: &[] as &[Piece],
            fields: &[],
            target: None,
            correlation_id: None,
            cute: None,
            story: None,
            module_path,
            file: "f.rs",
            line: 1,
        }
    }

    #[test]
    fn directives_table() {
        let spec = "warn,my_crate::db=debug,[dispatch]=trace,payments[refund]=info,noisy=off";
        let f = Filter::parse(spec, Level::Info).unwrap();
        let cases = [
            (meta(Level::Info, "my_crate", "my_crate", ""), false),
            (meta(Level::Warn, "my_crate", "my_crate", ""), true),
            (meta(Level::Debug, "my_crate::db", "my_crate::db", ""), true),
            (
                meta(Level::Debug, "my_crate::db::pool", "my_crate::db::pool", ""),
                true,
            ),
            (
                meta(Level::Debug, "my_crate::dbx", "my_crate::dbx", ""),
                false,
            ),
            (
                meta(Level::Trace, "my_crate::db", "my_crate::db", ""),
                false,
            ),
            (meta(Level::Trace, "anything", "x", "dispatch"), true),
            (meta(Level::Info, "svc", "payments", "refund"), true),
            (meta(Level::Debug, "svc", "payments", "refund"), false),
            (meta(Level::Info, "svc", "payments", "charge"), false),
            (
                meta(Level::Fatal, "noisy::inner", "noisy::inner", ""),
                false,
            ),
        ];
        for (m, want) in &cases {
            assert_eq!(f.enabled(m), *want, "{m:?}");
        }
    }

    #[test]
    fn bare_paths_and_levels() {
        let f = Filter::parse("error, chatty ,[tick]", Level::Info).unwrap();
        assert_eq!(f.default, Level::Error);
        assert!(f.enabled(&meta(Level::Trace, "chatty", "chatty", "")));
        assert!(f.enabled(&meta(Level::Trace, "x", "x", "tick")));
        assert!(!f.enabled(&meta(Level::Warn, "x", "x", "")));
        assert_eq!(
            Filter::parse("", Level::Warn).unwrap(),
            Filter::level(Level::Warn)
        );
    }

    #[test]
    fn malformed_directives_name_the_culprit() {
        let cases = [
            ("warn,db=loud", "db=loud", "unknown level `loud`"),
            ("=info", "=info", "nothing before `=`"),
            ("a[b=info", "a[b=info", "closed by `]`"),
            ("a[]=info", "a[]=info", "non-empty"),
            ("my crate=info", "my crate=info", "not a module path"),
            ("a::::b=info", "a::::b=info", "not a module path"),
        ];
        for (spec, directive, reason) in cases {
            let e = Filter::parse(spec, Level::Info).unwrap_err();
            assert_eq!(e.directive, directive, "{spec}");
            assert!(e.to_string().contains(reason), "{spec}: {e}");
        }
    }
}
