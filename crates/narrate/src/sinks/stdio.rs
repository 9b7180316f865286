//! stdout and stderr, buffered by the backend.

use std::io::{self, Write};

use crate::event::Event;
use crate::sinks::Sink;

/// Buffers lines and writes them with one `write` per batch (stdout's own
/// `LineWriter` would make one syscall per line).
pub(crate) struct StdioWriter {
    stderr: bool,
    buf: Vec<u8>,
}

const BATCH_BYTES: usize = 32 * 1024;

impl StdioWriter {
    pub fn new(stderr: bool) -> StdioWriter {
        StdioWriter {
            stderr,
            buf: Vec::with_capacity(BATCH_BYTES * 2),
        }
    }
}

impl Sink for StdioWriter {
    fn write(&mut self, _event: &Event<'_>, line: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(line);
        if self.buf.len() >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = if self.stderr {
            io::stderr().lock().write_all(&self.buf)
        } else {
            let mut out = io::stdout().lock();
            out.write_all(&self.buf).and_then(|_| out.flush())
        };
        // Written or failed, the batch is done: keeping it would grow the
        // buffer without bound behind a broken pipe.
        self.buf.clear();
        result
    }
}
