//! The `log` bridge: a `log::Log` that routes `log` records, with their
//! key-values (`log::info!(user = 5; "…")`), into narrate.
//!
//! ```no_run
//! let _guard = narrate::init(narrate::Config::new()).unwrap();
//! narrate_tracing::log_bridge::init(log::LevelFilter::Trace).unwrap();
//! ```
//!
//! `log` has no call-site identity, so the bridge makes one narrate call site
//! per distinct (level, target, file, line, key names) and caches it (a
//! thread-local map, then a global one); past [`MAX_CALLSITES`] distinct
//! ones (a target or key built at run time), records share one call site per
//! level with the key-values as text in a `kv` field. Typed key-values
//! (integers, floats, bools, strings) stay typed; the message is copied
//! raw when it has no arguments, and formatted on the caller otherwise.
//!
//! # No double logging
//!
//! `log` has one global logger. Install either this bridge, *or*
//! `tracing-log`'s `LogTracer` with the narrate `tracing` layer, not both
//! (the second `set_logger` fails, so nothing is written twice). `tracing`'s
//! own `log` feature only emits `log` records when *no* `tracing`
//! subscriber is installed; with the layer installed, `tracing` events reach
//! narrate once, through the layer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use log::kv::{self, VisitSource};
use narrate::__private::{AsDisplay, Callsite, Kind, Level, Metadata, Piece};
use narrate::dynamic;

/// Distinct call sites the bridge creates before falling back to shared ones.
pub const MAX_CALLSITES: usize = 4096;

/// The logger; install it with [`init`].
#[derive(Debug, Default)]
pub struct NarrateLogger;

static LOGGER: NarrateLogger = NarrateLogger;

/// Installs the bridge as `log`'s logger and sets `log`'s maximum level.
/// narrate's own filter still applies per call site.
pub fn init(max_level: log::LevelFilter) -> Result<(), log::SetLoggerError> {
    log::set_logger(&LOGGER)?;
    log::set_max_level(max_level);
    Ok(())
}

fn level_of(l: log::Level) -> Level {
    match l {
        log::Level::Trace => Level::Trace,
        log::Level::Debug => Level::Debug,
        log::Level::Info => Level::Info,
        log::Level::Warn => Level::Warn,
        log::Level::Error => Level::Error,
    }
}

struct Keys<'a> {
    hasher: &'a mut std::collections::hash_map::DefaultHasher,
    names: Option<&'a mut Vec<&'static str>>,
    count: usize,
}

impl<'kvs> VisitSource<'kvs> for Keys<'_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, _value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        key.as_str().hash(self.hasher);
        if let Some(names) = self.names.as_deref_mut() {
            names.push(dynamic::leak_str(key.as_str()));
        }
        self.count += 1;
        Ok(())
    }
}

static SITES: Mutex<Option<HashMap<u64, &'static Callsite>>> = Mutex::new(None);

thread_local! {
    static LOCAL: RefCell<HashMap<u64, &'static Callsite>> = RefCell::new(HashMap::new());
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn shared_callsite(level: Level) -> &'static Callsite {
    macro_rules! shared {
        ($l:ident) => {{
            static CS: Callsite = Callsite::new(Metadata {
                level: Level::$l,
                kind: Kind::Event,
                actor: "log",
                action: "",
                template: "",
                pieces: &[Piece::Field(0)],
                fields: &["message", "target", "kv"],
                target: None,
                correlation_id: None,
                cute: None,
                story: None,
                module_path: "log",
                file: "",
                line: 0,
            });
            &CS
        }};
    }
    match level {
        Level::Trace => shared!(Trace),
        Level::Debug => shared!(Debug),
        Level::Info => shared!(Info),
        Level::Warn => shared!(Warn),
        _ => shared!(Error),
    }
}

/// The call site for `record`, or `None` when the cache is full.
fn callsite_for(record: &log::Record<'_>) -> Option<&'static Callsite> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    record.level().hash(&mut h);
    record.target().hash(&mut h);
    record.file().hash(&mut h);
    record.line().hash(&mut h);
    record.module_path().hash(&mut h);
    let _ = record.key_values().visit(&mut Keys {
        hasher: &mut h,
        names: None,
        count: 0,
    });
    let key = h.finish();
    if let Ok(Some(cs)) = LOCAL.try_with(|m| m.borrow().get(&key).copied()) {
        return Some(cs);
    }
    let mut sites = SITES.lock().unwrap_or_else(|e| e.into_inner());
    let sites = sites.get_or_insert_with(HashMap::new);
    let cs = match sites.get(&key) {
        Some(cs) => *cs,
        None if sites.len() >= MAX_CALLSITES => return None,
        None => {
            let mut names: Vec<&'static str> = vec!["message"];
            let _ = record.key_values().visit(&mut Keys {
                hasher: &mut std::collections::hash_map::DefaultHasher::new(),
                names: Some(&mut names),
                count: 0,
            });
            let cs = dynamic::leak_callsite(Metadata {
                level: level_of(record.level()),
                kind: Kind::Event,
                actor: dynamic::leak_str(record.target()),
                action: "",
                template: "",
                pieces: &[Piece::Field(0)],
                fields: dynamic::leak_names(names),
                target: None,
                correlation_id: None,
                cute: None,
                story: None,
                module_path: match record.module_path() {
                    Some(m) => dynamic::leak_str(m),
                    None => "log",
                },
                file: record.file_static().unwrap_or(""),
                line: record.line().unwrap_or(0),
            });
            sites.insert(key, cs);
            cs
        }
    };
    let _ = LOCAL.try_with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.insert(key, cs);
        }
    });
    Some(cs)
}

struct Values<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'kvs> VisitSource<'kvs> for Values<'_> {
    fn visit_pair(&mut self, _key: kv::Key<'kvs>, v: kv::Value<'kvs>) -> Result<(), kv::Error> {
        if let Some(n) = v.to_u64() {
            dynamic::append(self.buf, &n);
        } else if let Some(n) = v.to_i64() {
            dynamic::append(self.buf, &n);
        } else if let Some(f) = v.to_f64() {
            dynamic::append(self.buf, &f);
        } else if let Some(b) = v.to_bool() {
            dynamic::append(self.buf, &b);
        } else if let Some(s) = v.to_borrowed_str() {
            dynamic::append(self.buf, s);
        } else {
            dynamic::append(self.buf, &AsDisplay(&v));
        }
        Ok(())
    }
}

/// All key-values as `k=v` text, for the shared call sites.
struct KvText<'a, 'b>(&'a log::Record<'b>);

impl std::fmt::Display for KvText<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct W<'a, 'b>(&'a mut std::fmt::Formatter<'b>, bool);
        impl<'kvs> VisitSource<'kvs> for W<'_, '_> {
            fn visit_pair(
                &mut self,
                k: kv::Key<'kvs>,
                v: kv::Value<'kvs>,
            ) -> Result<(), kv::Error> {
                if self.1 {
                    self.0.write_str(" ").map_err(|_| kv::Error::msg("fmt"))?;
                }
                self.1 = true;
                write!(self.0, "{k}={v}").map_err(|_| kv::Error::msg("fmt"))
            }
        }
        let _ = self.0.key_values().visit(&mut W(f, false));
        Ok(())
    }
}

fn append_message(buf: &mut Vec<u8>, record: &log::Record<'_>) {
    match record.args().as_str() {
        Some(s) => dynamic::append(buf, s),
        None => dynamic::append(buf, &AsDisplay(record.args())),
    }
}

impl log::Log for NarrateLogger {
    fn enabled(&self, _metadata: &log::Metadata<'_>) -> bool {
        // narrate decides per call site, in `log`.
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let encode = |buf: &mut Vec<u8>| {
            buf.clear();
            match callsite_for(record) {
                Some(cs) => {
                    if !dynamic::level_enabled(cs) {
                        return;
                    }
                    append_message(buf, record);
                    let _ = record.key_values().visit(&mut Values { buf: &mut *buf });
                    dynamic::emit_encoded(cs, buf);
                }
                None => {
                    let cs = shared_callsite(level_of(record.level()));
                    if !dynamic::level_enabled(cs) {
                        return;
                    }
                    append_message(buf, record);
                    dynamic::append(buf, record.target());
                    dynamic::append(buf, &AsDisplay(&KvText(record)));
                    dynamic::emit_encoded(cs, buf);
                }
            }
        };
        let done = BUF
            .try_with(|b| b.try_borrow_mut().map(|mut b| encode(&mut b)).is_ok())
            .unwrap_or(false);
        if !done {
            encode(&mut Vec::new());
        }
    }

    fn flush(&self) {
        narrate::flush();
    }
}
