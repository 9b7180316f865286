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
//!
//! # Misbehaving sinks
//!
//! * **Panics**: every sink call runs under `catch_unwind` (free until
//!   something panics). A panic is counted ([`crate::Stats::sink_panics`])
//!   and reported in-band (`narrate/sink_panic`); the event is not written
//!   to that sink, the others get it. After
//!   [`crate::Config::sink_panic_limit`] panics (default 3) the sink is
//!   disabled (`narrate/sink_disabled`, [`crate::Stats::sinks_disabled`]).
//! * **A closed pipe** (`narrate … | head -1`): the first `BrokenPipe` error
//!   disables that sink (a closed pipe never reopens) and says so in-band on
//!   the other sinks; the process keeps running and exits normally.
//! * **A stalled sink** holds up the backend thread, and with it every
//!   sink: the rings absorb callers' events up to their size, then the
//!   full-ring policy applies (`DropNewest`: the caller drops and counts,
//!   never waits; `Block`: the caller waits until the sink returns).
//!
//! Files changed from outside (rotation, deletion, truncation, a full disk)
//! are handled by [`FileWriter`]; see its module docs.

mod capture;
pub mod daemon;
mod file;
pub(crate) mod notice;
mod stdio;
pub mod syslog;

pub use capture::{Capture, CapturedEvent};
pub use daemon::{DaemonCounters, DaemonSink, DaemonWriter};
pub use file::FileWriter;
pub(crate) use stdio::StdioWriter;
pub use syslog::{Facility, SyslogSink, SyslogStats, SyslogTransport, SyslogWriter};

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

    /// Reopens the destination: called for every sink by [`crate::reopen`]
    /// (and SIGHUP with [`crate::Config::reopen_on_sighup`]), after the
    /// backend has written everything emitted before the call. File sinks
    /// open their path again (log rotation); the default does nothing.
    fn reopen(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called on the backend thread every few milliseconds, busy or idle, for
    /// checks that must not run per event (a file sink looks for its file
    /// being moved, deleted or truncated). The default does nothing.
    fn maintain(&mut self) {}
}
