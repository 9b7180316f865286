//! Severity levels.
//!
//! `Mute < Trace < Debug < Info < Warn < Error < Fatal`. `Mute` is a filter
//! setting, not an event level: a filter at `Mute` lets nothing through.

use std::fmt;
use std::str::FromStr;

/// The severity of an event, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Emits nothing; as a filter, disables everything.
    Mute = 0,
    Trace = 1,
    Debug = 2,
    Info = 3,
    Warn = 4,
    Error = 5,
    Fatal = 6,
}

impl Level {
    /// Every level, in order; indexable by `level as usize`.
    pub const ALL: [Level; 7] = [
        Level::Mute,
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ];

    /// Lower-case name, as written in JSON and logfmt.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Mute => "mute",
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// Fixed-width upper-case name, for the pretty format.
    pub const fn as_padded_upper(self) -> &'static str {
        match self {
            Level::Mute => " MUTE",
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => " INFO",
            Level::Warn => " WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when a string names no level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError(pub String);

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level `{}` (expected one of mute, off, trace, debug, info, warn, error, fatal)",
            self.0
        )
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for Level {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let level = match s.trim().to_ascii_lowercase().as_str() {
            "mute" | "off" | "none" => Level::Mute,
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" => Level::Error,
            "fatal" | "critical" => Level::Fatal,
            _ => return Err(ParseLevelError(s.to_string())),
        };
        Ok(level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_parse_back() {
        for pair in Level::ALL.windows(2) {
            assert!(pair[0] < pair[1]);
        }
        for level in Level::ALL {
            assert_eq!(level.as_str().parse::<Level>().unwrap(), level);
        }
        assert_eq!("WARNING".parse::<Level>().unwrap(), Level::Warn);
        let err = "loud".parse::<Level>().unwrap_err();
        assert!(err.to_string().contains("unknown level `loud`"));
    }
}
