//! [`AuditFile`]: the append-only, hash-chained audit sink.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::format::{self, DamageKind, HASH_LEN, HEADER, TYPE_EVENT, TYPE_NOTE};
use crate::backend::decode::Value;
use crate::event::Event;
use crate::sinks::Sink;

/// When the audit file is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// After every record: nothing reported written can be lost.
    EveryRecord,
    /// After every N records (and whenever the backend goes idle or flushes).
    EveryRecords(u32),
    /// When this many milliseconds have passed since the last fsync (checked
    /// at each record, and whenever the backend goes idle or flushes).
    EveryMillis(u64),
}

/// What the audit sink does after a failed write or fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSyncError {
    /// Report it on stderr and abort the process: nothing more is audited
    /// than can be proven durable.
    Stop,
    /// Report it on stderr and in the file, mark the file suspect, keep going.
    Continue,
}

/// Shared view of an [`AuditFile`]'s progress, readable from any thread.
#[derive(Debug, Default)]
pub struct AuditStatus {
    written: AtomicU64,
    synced: AtomicU64,
    suspect: AtomicBool,
    errors: AtomicU64,
}

impl AuditStatus {
    /// Sequence number of the last record handed to the kernel.
    pub fn written_seq(&self) -> u64 {
        self.written.load(Relaxed)
    }
    /// Sequence number of the last record known durable (fsync succeeded).
    /// Frozen for good after a failed write or fsync.
    pub fn synced_seq(&self) -> u64 {
        self.synced.load(Relaxed)
    }
    /// True once a write or fsync failed on this file.
    pub fn suspect(&self) -> bool {
        self.suspect.load(Relaxed)
    }
    /// Failed writes and fsyncs.
    pub fn errors(&self) -> u64 {
        self.errors.load(Relaxed)
    }
}

/// The audit sink: appends hash-chained records to one file.
///
/// Open it with [`AuditFile::open`] and hand it to [`crate::Config::audit`].
/// It runs on the backend thread: hashing, encoding and fsync never touch the
/// caller.
pub struct AuditFile {
    path: PathBuf,
    file: File,
    durability: Durability,
    on_error: OnSyncError,
    buf: Vec<u8>,
    body: Vec<u8>,
    prev: [u8; HASH_LEN],
    seq: u64,
    pending: u32,
    last_sync: Instant,
    status: Arc<AuditStatus>,
}

fn context(path: &Path, what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

impl AuditFile {
    /// Opens (or creates) the audit file at `path` for appending.
    ///
    /// A new file gets the header, an fsync, and an fsync of its directory.
    /// An existing file is verified first: a torn tail (a partial last
    /// record, or zero bytes after the last record, as a crash leaves) is
    /// truncated and a note saying so is appended to the chain; any other
    /// damage is an error naming the record, and nothing is written.
    pub fn open(
        path: impl AsRef<Path>,
        durability: Durability,
        on_error: OnSyncError,
    ) -> io::Result<AuditFile> {
        let path = path.as_ref().to_path_buf();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| context(&path, "cannot open the audit file", e))?;
        let meta = file
            .metadata()
            .map_err(|e| context(&path, "cannot stat", e))?;
        let mut existing = Vec::new();
        // A device (/dev/full, /dev/null) is never read: it has no tail to check.
        if meta.is_file() {
            file.read_to_end(&mut existing)
                .map_err(|e| context(&path, "cannot read", e))?;
        }
        let mut audit = AuditFile {
            path,
            file,
            durability,
            on_error,
            buf: Vec::with_capacity(64 * 1024),
            body: Vec::with_capacity(1024),
            prev: format::genesis(),
            seq: 0,
            pending: 0,
            last_sync: Instant::now(),
            status: Arc::new(AuditStatus::default()),
        };
        if existing.is_empty() {
            audit.create_header()?;
        } else {
            audit.resume(&existing)?;
        }
        Ok(audit)
    }

    /// The shared progress view (sequence numbers written and synced).
    pub fn status(&self) -> Arc<AuditStatus> {
        self.status.clone()
    }

    fn create_header(&mut self) -> io::Result<()> {
        let path = self.path.clone();
        self.file
            .write_all(HEADER)
            .map_err(|e| context(&path, "cannot write the audit header to", e))?;
        self.file
            .sync_all()
            .map_err(|e| context(&path, "cannot fsync", e))?;
        sync_parent_dir(&path)
    }

    fn resume(&mut self, existing: &[u8]) -> io::Result<()> {
        let path = self.path.clone();
        let v = format::verify(existing).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}; refusing to append to it", path.display()),
            )
        })?;
        self.prev = v.last_hash;
        self.seq = v.intact_records;
        if let Some(d) = &v.damage {
            let tail = &existing[v.intact_len as usize..];
            let torn = d.kind == DamageKind::Truncated
                || (d.kind == DamageKind::ExtraBytes && tail.iter().all(|&b| b == 0));
            if !torn {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: record {} is {} ({}); refusing to append (run `narrate verify {}`)",
                        path.display(),
                        d.record,
                        d.kind.as_str(),
                        d.detail,
                        path.display()
                    ),
                ));
            }
            self.file
                .set_len(v.intact_len)
                .map_err(|e| context(&path, "cannot truncate the torn tail of", e))?;
            self.file
                .sync_all()
                .map_err(|e| context(&path, "cannot fsync", e))?;
            eprintln!(
                "narrate audit: {}: truncated a torn tail of {} bytes after record {}",
                path.display(),
                tail.len(),
                v.intact_records
            );
            self.file
                .seek(SeekFrom::End(0))
                .map_err(|e| context(&path, "cannot seek", e))?;
            let fields = [
                ("note", Value::Str("torn_tail_truncated")),
                ("bytes", Value::U64(tail.len() as u64)),
                ("after_seq", Value::U64(v.intact_records)),
            ];
            self.append(
                TYPE_NOTE,
                now_ns(),
                "narrate.audit",
                "repair",
                fields.into_iter(),
            );
            self.sync()?;
        } else {
            self.file
                .seek(SeekFrom::End(0))
                .map_err(|e| context(&path, "cannot seek", e))?;
        }
        self.status.written.store(self.seq, Relaxed);
        self.status.synced.store(self.seq, Relaxed);
        Ok(())
    }

    fn append<'a>(
        &mut self,
        record_type: u8,
        time_ns: u64,
        actor: &str,
        action: &str,
        fields: impl ExactSizeIterator<Item = (&'a str, Value<'a>)>,
    ) {
        let seq = self.seq + 1;
        format::encode_body(
            &mut self.body,
            seq,
            time_ns,
            record_type,
            actor,
            action,
            fields,
        );
        let hash = format::chain_hash(&self.prev, &self.body);
        format::frame(&mut self.buf, &self.body, &hash);
        self.prev = hash;
        self.seq = seq;
        self.pending += 1;
    }

    fn sync_due(&self) -> bool {
        match self.durability {
            Durability::EveryRecord => true,
            Durability::EveryRecords(n) => self.pending >= n.max(1),
            Durability::EveryMillis(ms) => self.last_sync.elapsed() >= Duration::from_millis(ms),
        }
    }

    /// Writes the buffered records out and fsyncs. A failure is never
    /// retried as if nothing happened: on Linux a failed writeback marks the
    /// pages clean, so a second fsync would "succeed" over lost data.
    fn sync(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let written = self.file.write_all(&self.buf);
            self.buf.clear();
            if let Err(e) = written {
                return self.failed("write", e);
            }
            self.status.written.store(self.seq, Relaxed);
        }
        if self.pending == 0 {
            return Ok(());
        }
        if let Err(e) = self.file.sync_data() {
            return self.failed("fsync", e);
        }
        self.pending = 0;
        self.last_sync = Instant::now();
        if !self.status.suspect() {
            self.status.synced.store(self.seq, Relaxed);
        }
        Ok(())
    }

    #[cold]
    fn failed(&mut self, op: &str, e: io::Error) -> io::Result<()> {
        self.status.errors.fetch_add(1, Relaxed);
        self.pending = 0;
        let first = !self.status.suspect.swap(true, Relaxed);
        let synced = self.status.synced_seq();
        eprintln!(
            "narrate audit: {op} failed on {}: {e}; records after {synced} may be lost; the file is marked suspect",
            self.path.display()
        );
        if first {
            // Say so in the chain too, for whoever reads the file later.
            let msg = e.to_string();
            let fields = [
                ("note", Value::Str("suspect")),
                ("failed", Value::Str(op)),
                ("error", Value::Str(&msg)),
                ("last_synced_seq", Value::U64(synced)),
            ];
            self.append(
                TYPE_NOTE,
                now_ns(),
                "narrate.audit",
                "suspect",
                fields.into_iter(),
            );
            let note = std::mem::take(&mut self.buf);
            let _ = self
                .file
                .write_all(&note)
                .and_then(|()| self.file.sync_data());
            self.buf = note;
            self.buf.clear();
        }
        if self.on_error == OnSyncError::Stop {
            eprintln!("narrate audit: stopping the process (OnSyncError::Stop)");
            std::process::abort();
        }
        Err(io::Error::new(
            e.kind(),
            format!("audit {op} failed on {}: {e}", self.path.display()),
        ))
    }
}

fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| context(dir, "cannot fsync the directory", e))
}

impl Sink for AuditFile {
    fn write(&mut self, event: &Event<'_>, _line: &[u8]) -> io::Result<()> {
        let meta = event.metadata();
        let fields = event.fields();
        let names = meta.fields.iter().enumerate();
        self.append(
            TYPE_EVENT,
            event.timestamp_nanos(),
            meta.actor,
            meta.action,
            names.map(|(i, name)| (*name, fields.get(i))),
        );
        if self.sync_due() { self.sync() } else { Ok(()) }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sync()
    }
}
