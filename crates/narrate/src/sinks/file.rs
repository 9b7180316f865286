//! Buffered file sink with size and daily rotation and keep-N retention.
//!
//! Lines are appended to a buffer and written with one `write` when it is
//! full, when the backend goes idle, and on flush. Rotation only ever happens
//! between two lines, after the buffer is written out, so every line lands in
//! exactly one file: none is split, lost or duplicated across a rotation.
//!
//! Rotated files are named `NAME.1`, `NAME.2`, … in the order they were
//! rotated (higher is newer). Unlike logrotate's scheme no file is renamed
//! twice, so a reader following the files never sees one change its name.
//!
//! # Files touched from outside
//!
//! Operators rotate, delete and truncate log files under running processes.
//! Every [`FileSink::check_interval`] (default 1 s) the backend asks the
//! writer to compare the open file with the path (two `stat` calls; never
//! per event):
//!
//! * **Moved away or deleted** (the path is gone or names another inode):
//!   the writer reopens the path, counts it in
//!   [`crate::Stats::files_replaced`] and says so in-band
//!   (`narrate/reopen`, Warn). Lines written between the change and the check
//!   went to the old inode: kept by a move (`logrotate`'s `create` mode),
//!   lost by a delete — the notice gives how many lines that may be.
//! * **`logrotate` in `create` mode** with `postrotate kill -HUP`: with
//!   [`crate::Config::reopen_on_sighup`], or a call to [`crate::reopen`],
//!   the buffer is written to the old file and the path reopened at once
//!   ([`crate::Stats::files_reopened`], `narrate/reopen`, Info).
//! * **Truncated** (`copytruncate`: the file is shorter than what we wrote):
//!   the file is opened with `O_APPEND`, so writes already land at the new
//!   end, never after a hole; the writer resets its size (for `max_bytes`)
//!   and reports it ([`crate::Stats::files_truncated`], `narrate/truncated`).
//!   Lines written between logrotate's copy and its truncate are lost; that
//!   is inherent to `copytruncate`.
//! * **A full disk** (or any write error): the lines of the failed write are
//!   counted ([`crate::Stats::file_lines_lost`]); the first failure is
//!   reported (`narrate/write_failed`) and writing is retried with the next
//!   batch, so it resumes as soon as space frees up, with a report of how
//!   many lines were lost (`narrate/write_resumed`). A line cut in half by
//!   the failure is counted as lost and terminated with a newline before the
//!   next write, so the file stays one event per line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use crate::config::FileSink;
use crate::event::Event;
use crate::sinks::Sink;
use crate::sinks::notice::{self, NoticeKind};
use crate::stats;

/// The writer behind [`FileSink`]; usable directly, e.g. inside a custom sink.
pub struct FileWriter {
    cfg: FileSink,
    file: File,
    buf: Vec<u8>,
    /// Bytes in the active file, buffered ones included.
    size: u64,
    /// UTC day number of the active file's first event (daily rotation).
    day: Option<u64>,
    next_index: u64,
    /// `path` as text, for notices.
    name: String,
    /// (device, inode) of the open file.
    identity: Option<(u64, u64)>,
    next_check: Instant,
    /// Lines handed to the OS since the last outside-change check.
    lines_since_check: u64,
    /// Lines lost since writes started failing; `Some` while they fail.
    failing: Option<u64>,
    /// A failed write left half a line in the file.
    partial_line: bool,
}

impl FileWriter {
    /// Opens (creating directories as needed) for appending.
    pub fn open(cfg: FileSink) -> io::Result<FileWriter> {
        if let Some(dir) = cfg.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let file = open_append(&cfg.path)?;
        let meta = file.metadata()?;
        let next_index = rotated_indexes(&cfg.path)?.into_iter().max().unwrap_or(0) + 1;
        Ok(FileWriter {
            buf: Vec::with_capacity(cfg.buffer_bytes + 4096),
            file,
            size: meta.len(),
            day: None,
            next_index,
            name: cfg.path.display().to_string(),
            identity: identity(&meta),
            next_check: Instant::now() + cfg.check_interval,
            lines_since_check: 0,
            failing: None,
            partial_line: false,
            cfg,
        })
    }

    /// Writes the buffer out. On failure the buffer's lines are counted as
    /// lost and dropped (keeping them would grow it without bound behind a
    /// full disk); the next call tries again with new lines.
    fn write_buf(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.partial_line {
            // End the line a failed write cut short, so it stays one line.
            if let Err(e) = self.file.write_all(b"\n") {
                return Err(self.lose_buffer(0, e));
            }
            self.partial_line = false;
        }
        let mut done = 0;
        while done < self.buf.len() {
            match self.file.write(&self.buf[done..]) {
                Ok(0) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "write returned 0 bytes");
                    return Err(self.lose_buffer(done, e));
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.lose_buffer(done, e)),
            }
        }
        let lines = count_lines(&self.buf);
        self.lines_since_check += lines;
        self.buf.clear();
        if let Some(lost) = self.failing.take() {
            notice::post(
                NoticeKind::WriteResumed,
                &self.name,
                format!("writing resumed; {lost} lines were lost while writes failed"),
                lost,
            );
        }
        Ok(())
    }

    /// Counts the lines of `buf[written..]` as lost (a line cut at `written`
    /// included), reports the first failure of a run, clears the buffer.
    #[cold]
    fn lose_buffer(&mut self, written: usize, error: io::Error) -> io::Error {
        let lost = count_lines(&self.buf[written..]);
        self.lines_since_check += count_lines(&self.buf[..written]);
        self.partial_line = written > 0 && self.buf[written - 1] != b'\n';
        // What we counted in `size` for these bytes never reached the file.
        self.size = self.size.saturating_sub((self.buf.len() - written) as u64);
        self.buf.clear();
        stats::FILE_LINES_LOST.fetch_add(lost, Relaxed);
        match &mut self.failing {
            Some(total) => *total += lost,
            None => {
                self.failing = Some(lost);
                notice::post(
                    NoticeKind::WriteFailed,
                    &self.name,
                    format!("write failed, losing lines until writes succeed again: {error}"),
                    lost,
                );
            }
        }
        error
    }

    /// Opens the path again (after the buffer went to the old file).
    fn reopen_path(&mut self) -> io::Result<()> {
        let file = open_append(&self.cfg.path)?;
        let meta = file.metadata()?;
        self.file = file;
        self.identity = identity(&meta);
        self.size = meta.len() + self.buf.len() as u64;
        self.partial_line = false;
        self.lines_since_check = 0;
        Ok(())
    }

    /// Compares the open file with the path: deleted, moved, truncated?
    fn check_outside_changes(&mut self) {
        let on_path = match fs::metadata(&self.cfg.path) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            // Cannot tell (permissions, I/O): leave the file as it is.
            Err(_) => return,
        };
        let open = self.file.metadata().ok();
        let replaced = match (&on_path, self.identity) {
            (Some(meta), Some(id)) => identity(meta) != Some(id),
            (None, _) => true,
            (Some(_), None) => false,
        };
        if replaced {
            let deleted = open.as_ref().is_some_and(|m| nlink(m) == 0);
            let at_risk = self.lines_since_check;
            if let Err(e) = self.reopen_path() {
                notice::post(
                    NoticeKind::WriteFailed,
                    &self.name,
                    format!("the file was moved or deleted and cannot be reopened: {e}"),
                    0,
                );
                return;
            }
            stats::FILES_REPLACED.fetch_add(1, Relaxed);
            let message = if deleted {
                format!(
                    "the file was deleted; reopened it (up to {at_risk} lines written since the previous check went to the deleted file)"
                )
            } else {
                "the file was moved away; reopened it at its path".to_owned()
            };
            notice::post(NoticeKind::Replaced, &self.name, message, at_risk);
            return;
        }
        self.lines_since_check = 0;
        let on_disk = self.size.saturating_sub(self.buf.len() as u64);
        if let Some(len) = open.map(|m| m.len())
            && len < on_disk
        {
            // O_APPEND already puts our next write at the new end.
            self.size = len + self.buf.len() as u64;
            stats::FILES_TRUNCATED.fetch_add(1, Relaxed);
            notice::post(
                NoticeKind::Truncated,
                &self.name,
                format!(
                    "the file shrank from {on_disk} to {len} bytes under us (copytruncate?); appending at its new end"
                ),
                on_disk - len,
            );
        }
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.write_buf()?;
        let rotated = rotated_path(&self.cfg.path, self.next_index);
        fs::rename(&self.cfg.path, &rotated)?;
        self.next_index += 1;
        self.reopen_path()?;
        self.size = 0;
        if let Some(keep) = self.cfg.keep {
            let mut indexes = rotated_indexes(&self.cfg.path)?;
            indexes.sort_unstable();
            let excess = indexes.len().saturating_sub(keep);
            for index in &indexes[..excess] {
                fs::remove_file(rotated_path(&self.cfg.path, *index))?;
            }
        }
        Ok(())
    }
}

impl FileWriter {
    /// Appends one line (ending in `\n`) of an event at `unix_ns`, rotating first
    /// if the size or date says so.
    pub fn write_line(&mut self, line: &[u8], unix_ns: u64) -> io::Result<()> {
        let len = line.len() as u64;
        let day = unix_ns / 86_400_000_000_000;
        let too_big = self
            .cfg
            .max_bytes
            .is_some_and(|max| self.size > 0 && self.size + len > max);
        let new_day = self.cfg.daily && self.size > 0 && self.day.is_some_and(|d| d != day);
        if too_big || new_day {
            self.rotate()?;
        }
        if self.size == 0 || self.day.is_none() {
            self.day = Some(day);
        }
        self.buf.extend_from_slice(line);
        self.size += len;
        if self.buf.len() >= self.cfg.buffer_bytes {
            self.write_buf()?;
        }
        Ok(())
    }
}

impl Sink for FileWriter {
    fn write(&mut self, event: &Event<'_>, line: &[u8]) -> io::Result<()> {
        self.write_line(line, event.timestamp_nanos())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_buf()?;
        self.file.flush()
    }

    /// `logrotate` `create` mode: the buffer goes to the file that was
    /// moved away, then the path is opened afresh.
    fn reopen(&mut self) -> io::Result<()> {
        let written = self.write_buf();
        if let Err(e) = self.reopen_path() {
            notice::post(
                NoticeKind::WriteFailed,
                &self.name,
                format!("cannot reopen the file: {e}"),
                0,
            );
            return Err(e);
        }
        stats::FILES_REOPENED.fetch_add(1, Relaxed);
        notice::post(
            NoticeKind::Reopened,
            &self.name,
            "reopened on request".to_owned(),
            0,
        );
        written
    }

    fn maintain(&mut self) {
        let now = Instant::now();
        if now >= self.next_check {
            self.next_check = now + self.cfg.check_interval;
            self.check_outside_changes();
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn nlink(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn nlink(_meta: &fs::Metadata) -> u64 {
    1
}

fn rotated_path(path: &Path, index: u64) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{index}"));
    PathBuf::from(name)
}

/// Numbers `N` of the existing `NAME.N` files next to `path`.
fn rotated_indexes(path: &Path) -> io::Result<Vec<u64>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{name}.");
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(rest) = entry
            .file_name()
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            && let Ok(n) = rest.parse::<u64>()
        {
            out.push(n);
        }
    }
    Ok(out)
}
