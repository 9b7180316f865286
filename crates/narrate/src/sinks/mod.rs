//! Sinks: where formatted events go, on the backend thread.
//!
//! A sink receives each event twice over: decoded (`&Event`, for sinks that
//! want structure) and formatted in the sink's [`crate::Format`] (a line
//! ending in `\n`). Sinks run on the backend thread only, so they need no
//! locking; a slow sink slows the backend, which the rings absorb up to their
//! size and the full-ring policy handles beyond it.
//!
//! A failing sink (disk full, closed pipe) returns `Err`; the backend counts
//! it in [`crate::Stats::sink_errors`] and keeps feeding the other sinks.

mod capture;
pub mod daemon;
mod file;
mod stdio;

pub use capture::{Capture, CapturedEvent};
pub use daemon::{DaemonCounters, DaemonSink, DaemonWriter};
pub use file::FileWriter;
pub(crate) use stdio::StdioWriter;

use std::io;

use crate::event::Event;

/// A destination for events. Implement it for custom sinks and pass it with
/// [`crate::SinkSpec::custom`].
pub trait Sink: Send {
    /// Writes one event. `line` is the event in the sink's format, `\n` included.
    fn write(&mut self, event: &Event<'_>, line: &[u8]) -> io::Result<()>;

    /// Pushes buffered bytes to their destination. Called when the backend
    /// goes idle, on `flush()` and at shutdown.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
