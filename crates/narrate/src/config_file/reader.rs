//! Walking a parsed TOML document with its spans: typed getters that turn
//! every mismatch into a [`ConfigError`] naming the line, column and key.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::ConfigError;

/// The text being read and the name it is reported under.
pub(crate) struct Source<'s> {
    pub origin: &'s str,
    pub text: &'s str,
}

impl Source<'_> {
    /// An error at byte offset `span.start`, with 1-based line and column
    /// (the column counts characters, as editors do).
    pub fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        let (line, column) = line_column(self.text, span.start);
        ConfigError {
            origin: self.origin.to_string(),
            line: Some(line),
            column: Some(column),
            key: (!key.is_empty()).then(|| key.to_string()),
            message: message.into(),
            help: None,
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The closest of `candidates` to `word`, if it is close enough to be what
/// the user meant (a typo, a swapped letter, a different separator).
pub(crate) fn suggest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let normalized = word.to_ascii_lowercase().replace('-', "_");
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&normalized, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1) || (*d <= 2 && c.len() > 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A TOML table at a known key path.
pub(crate) struct Table<'a, 'i> {
    pub src: &'a Source<'a>,
    pub table: &'a DeTable<'i>,
    pub path: String,
    pub span: Range<usize>,
}

/// A value with where it came from.
pub(crate) struct At<T> {
    pub value: T,
    pub span: Range<usize>,
    pub key: String,
}

impl<'a, 'i> Table<'a, 'i> {
    pub fn root(src: &'a Source<'a>, doc: &'a Spanned<DeTable<'i>>) -> Self {
        Table {
            src,
            table: doc.get_ref(),
            path: String::new(),
            span: doc.span(),
        }
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Rejects the first key (in file order) that is not in `known`, with a
    /// suggestion when one is close.
    pub fn check_keys(&self, known: &[&str]) -> Result<(), ConfigError> {
        let unknown = self
            .table
            .iter()
            .filter(|(k, _)| !known.contains(&k.get_ref().as_ref()))
            .min_by_key(|(k, _)| k.span().start);
        let Some((key, _)) = unknown else {
            return Ok(());
        };
        let name: &str = key.get_ref();
        let where_ = if self.path.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in `{}`", self.path)
        };
        let mut err = self.src.error(
            key.span(),
            &self.key_path(name),
            format!("unknown key `{name}` {where_}"),
        );
        err.help = Some(match suggest(name, known) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("known keys here: {}", known.join(", ")),
        });
        Err(err)
    }

    fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    fn type_error(&self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) -> ConfigError {
        self.src.error(
            value.span(),
            &self.key_path(key),
            format!(
                "expected {expected}, found {}",
                article(value.get_ref().type_str())
            ),
        )
    }

    pub fn str(&self, key: &str) -> Result<Option<At<String>>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.get_ref().as_str() {
            Some(s) => Ok(Some(At {
                value: s.to_string(),
                span: v.span(),
                key: self.key_path(key),
            })),
            None => Err(self.type_error(key, v, "a string")),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        v.get_ref()
            .as_bool()
            .map(Some)
            .ok_or_else(|| self.type_error(key, v, "`true` or `false`"))
    }

    /// A non-negative integer.
    pub fn uint(&self, key: &str) -> Result<Option<At<u64>>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Some(int) = v.get_ref().as_integer() else {
            return Err(self.type_error(key, v, "a non-negative integer"));
        };
        let digits = int.as_str().replace('_', "");
        match u64::from_str_radix(&digits, int.radix()) {
            Ok(n) => Ok(Some(At {
                value: n,
                span: v.span(),
                key: self.key_path(key),
            })),
            Err(_) => Err(self.src.error(
                v.span(),
                &self.key_path(key),
                "expected a non-negative integer that fits in 64 bits",
            )),
        }
    }

    /// A number, integer or float (e.g. a sample rate).
    pub fn number(&self, key: &str) -> Result<Option<At<f64>>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let text = match (v.get_ref().as_float(), v.get_ref().as_integer()) {
            (Some(f), _) => f.as_str().replace('_', ""),
            (None, Some(i)) if i.radix() == 10 => i.as_str().replace('_', ""),
            _ => return Err(self.type_error(key, v, "a number")),
        };
        match text.parse::<f64>() {
            Ok(n) => Ok(Some(At {
                value: n,
                span: v.span(),
                key: self.key_path(key),
            })),
            Err(_) => Err(self.type_error(key, v, "a number")),
        }
    }

    /// Either an integer (bytes) or a string with a unit: `"64 MiB"`, `"512KB"`.
    pub fn size(&self, key: &str) -> Result<Option<At<u64>>, ConfigError> {
        if self.get(key).is_some_and(|v| v.get_ref().is_integer()) {
            return self.uint(key);
        }
        self.with_unit(
            key,
            "a size (bytes, or a string such as \"64 MiB\")",
            parse_size,
            "is not a size: write a number of bytes with an optional unit \
             (B, KB, MB, GB, KiB, MiB, GiB), e.g. \"64 MiB\"",
        )
    }

    /// A string with a unit: `"100us"`, `"2 ms"`, `"1s"`.
    pub fn duration(&self, key: &str) -> Result<Option<At<std::time::Duration>>, ConfigError> {
        self.with_unit(
            key,
            "a duration with its unit, as a string such as \"100us\" or \"2ms\"",
            parse_duration,
            "is not a duration: write a number and a unit (ns, us, ms, s), e.g. \"100us\"",
        )
    }

    /// A string that `parse` turns into a quantity with a unit.
    fn with_unit<T>(
        &self,
        key: &str,
        expected: &str,
        parse: fn(&str) -> Option<T>,
        unparsable: &str,
    ) -> Result<Option<At<T>>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Some(text) = v.get_ref().as_str() else {
            return Err(self.type_error(key, v, expected));
        };
        match parse(text) {
            Some(value) => Ok(Some(At {
                value,
                span: v.span(),
                key: self.key_path(key),
            })),
            None => Err(self.src.error(
                v.span(),
                &self.key_path(key),
                format!("`{text}` {unparsable}"),
            )),
        }
    }

    /// One of `choices` (case-insensitive), returned as the matching choice.
    pub fn choice(
        &self,
        key: &str,
        choices: &[&'static str],
    ) -> Result<Option<At<&'static str>>, ConfigError> {
        let Some(at) = self.str(key)? else {
            return Ok(None);
        };
        let lower = at.value.to_ascii_lowercase();
        if let Some(c) = choices.iter().find(|c| **c == lower) {
            return Ok(Some(At {
                value: c,
                span: at.span,
                key: at.key,
            }));
        }
        let mut err = self.src.error(
            at.span,
            &at.key,
            format!("`{}` is not one of: {}", at.value, choices.join(", ")),
        );
        err.help = suggest(&at.value, choices).map(|s| format!("did you mean `{s}`?"));
        Err(err)
    }

    pub fn table(&self, key: &str) -> Result<Option<Table<'a, 'i>>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.get_ref().as_table() {
            Some(t) => Ok(Some(Table {
                src: self.src,
                table: t,
                path: self.key_path(key),
                span: v.span(),
            })),
            None => Err(self.type_error(key, v, "a table")),
        }
    }

    /// An array of tables (`[[key]]`), each with its index in the path.
    pub fn tables(&self, key: &str) -> Result<Vec<Table<'a, 'i>>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(Vec::new());
        };
        let Some(items) = v.get_ref().as_array() else {
            return Err(self.type_error(key, v, "an array of tables (`[[...]]`)"));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", self.key_path(key));
            match item.get_ref().as_table() {
                Some(t) => out.push(Table {
                    src: self.src,
                    table: t,
                    path,
                    span: item.span(),
                }),
                None => {
                    return Err(self.src.error(
                        item.span(),
                        &path,
                        format!(
                            "expected a table, found {}",
                            article(item.get_ref().type_str())
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// An array of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<At<String>>>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Some(items) = v.get_ref().as_array() else {
            return Err(self.type_error(key, v, "an array of strings"));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", self.key_path(key));
            match item.get_ref().as_str() {
                Some(s) => out.push(At {
                    value: s.to_string(),
                    span: item.span(),
                    key: path,
                }),
                None => {
                    return Err(self.src.error(
                        item.span(),
                        &path,
                        format!(
                            "expected a string, found {}",
                            article(item.get_ref().type_str())
                        ),
                    ));
                }
            }
        }
        Ok(Some(out))
    }

    /// A required key: its absence is an error at the table's position.
    pub fn missing(&self, key: &str, what: &str) -> ConfigError {
        self.src.error(
            self.span.clone(),
            &self.key_path(key),
            format!("missing `{key}` ({what})"),
        )
    }
}

fn article(type_str: &str) -> String {
    match type_str.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_str}"),
        _ => format!("a {type_str}"),
    }
}

/// `"64 MiB"`, `"512KB"`, `"4096"`, `"1.5 GiB"` → bytes.
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.replace('_', "").parse().ok()?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => return None,
    };
    let bytes = number * scale as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes <= u64::MAX as f64).then_some(bytes as u64)
}

/// `"100us"`, `"2 ms"`, `"1.5s"` → a duration.
pub(crate) fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let nanos_per: f64 = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    let nanos = number * nanos_per;
    (nanos.is_finite() && (0.0..1e18).contains(&nanos))
        .then(|| std::time::Duration::from_nanos(nanos as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("64 MiB"), Some(64 << 20));
        assert_eq!(parse_size("512KB"), Some(512_000));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("1.5 GiB"), Some(3 << 29));
        assert_eq!(parse_size("12 parsecs"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(
            parse_duration("100us"),
            Some(std::time::Duration::from_micros(100))
        );
        assert_eq!(
            parse_duration("2 ms"),
            Some(std::time::Duration::from_millis(2))
        );
        assert_eq!(parse_duration("100"), None);
        assert_eq!(parse_duration("-1s"), None);
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_column(text, 6 + "bé ".len()), (2, 4));
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let known = ["level", "filter", "sinks", "ring_bytes"];
        assert_eq!(suggest("levle", &known), Some("level"));
        assert_eq!(suggest("ring-bytes", &known), Some("ring_bytes"));
        assert_eq!(suggest("sink", &known), Some("sinks"));
        assert_eq!(suggest("colour", &known), None);
    }
}
