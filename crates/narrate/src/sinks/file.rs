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

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::config::FileSink;
use crate::event::Event;
use crate::sinks::Sink;

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
}

impl FileWriter {
    /// Opens (creating directories as needed) for appending.
    pub fn open(cfg: FileSink) -> io::Result<FileWriter> {
        if let Some(dir) = cfg.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let file = open_append(&cfg.path)?;
        let size = file.metadata()?.len();
        let next_index = rotated_indexes(&cfg.path)?.into_iter().max().unwrap_or(0) + 1;
        Ok(FileWriter {
            buf: Vec::with_capacity(cfg.buffer_bytes + 4096),
            file,
            size,
            day: None,
            next_index,
            cfg,
        })
    }

    fn write_buf(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = self.file.write_all(&self.buf);
        self.buf.clear();
        result
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.write_buf()?;
        let rotated = rotated_path(&self.cfg.path, self.next_index);
        fs::rename(&self.cfg.path, &rotated)?;
        self.next_index += 1;
        self.file = open_append(&self.cfg.path)?;
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
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
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
