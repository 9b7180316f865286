//! Bridges from the `tracing` and `log` ecosystems into narrate's pipeline.
//!
//! * [`layer()`]: a `tracing_subscriber::Layer`. Every `tracing` event and
//!   span (from your code or any dependency) becomes a narrate event or span:
//!   level and target (narrate's actor) mapped, typed fields kept typed
//!   (`u64`/`i64`/`f64`/`bool`/`&str` are copied raw, never Debug-quoted),
//!   span fields attached to the events inside, outermost first.
//! * [`log_bridge`] (feature `log`, on by default): a `log::Log` that sends
//!   `log` records, with their key-values, into narrate.
//!
//! The core `narrate` crate does not depend on either ecosystem; this crate
//! does.
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt;
//! let _guard = narrate::init(narrate::Config::new()).unwrap();
//! tracing::subscriber::set_global_default(
//!     tracing_subscriber::registry().with(narrate_tracing::layer()),
//! ).unwrap();
//! ```
//!
//! # Cost
//!
//! Each `tracing` call site is translated once into a leaked narrate call
//! site (looked up afterwards in a thread-local map, no lock). Per event the
//! layer visits the fields once, encoding each into a reused thread-local
//! buffer, and copies the bytes into the ring. `Debug` values (including the
//! message, which `tracing` passes as `format_args!`) are formatted on the
//! caller, as `tracing` itself must. Measured with `narrate bench`
//! (scenario `tracing_layer`); see `docs/migrating-from-tracing.md`.

#![forbid(unsafe_code)]

mod layer;
#[cfg(feature = "log")]
pub mod log_bridge;

pub use layer::{NarrateLayer, layer};
