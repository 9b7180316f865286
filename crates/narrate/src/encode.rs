//! Binary encoding of event arguments, on the caller thread.
//!
//! The caller never formats: it copies each argument's raw bytes into its
//! ring behind a one-byte tag, and the backend decodes them (see
//! [`crate::backend::decode`]). A record is
//!
//! ```text
//! | callsite id: u32 | record len: u32 | tsc: u64 | value | value | … |
//! ```
//!
//! with one value per field of the call site, in order:
//!
//! | tag | payload |
//! | --- | --- |
//! | `U64`, `I64`, `F64` | 8 bytes, little endian |
//! | `BOOL` | 1 byte |
//! | `STR`, `BYTES` | `u32` length, bytes |
//! | `DISPLAY`, `DEBUG`, `ERROR` | `u32` reserved, `u32` used, `reserved` bytes |
//! | `NONE` | nothing (an `Option` that was `None`) |
//!
//! # The formatting exception
//!
//! Values that are only `Display`/`Debug` (`%x`, `?x` in the macros) and error
//! chains cannot be copied as raw bytes, because they borrow data that is gone
//! by the time the backend runs. They are formatted on the caller, straight
//! into the ring with no allocation: a first pass counts the bytes, a second
//! writes them. Typed fields (integers, floats, bools, strings, bytes) never
//! take this path; use them on hot paths. An error's `source()` chain is
//! stored as one text per link.

use std::fmt::{self, Write as _};

/// Bytes before the first value of a record.
pub const HEADER_LEN: usize = 16;

pub(crate) mod tag {
    pub const U64: u8 = 1;
    pub const I64: u8 = 2;
    pub const F64: u8 = 3;
    pub const BOOL: u8 = 4;
    pub const STR: u8 = 5;
    pub const BYTES: u8 = 6;
    pub const DISPLAY: u8 = 7;
    pub const DEBUG: u8 = 8;
    pub const ERROR: u8 = 9;
    pub const NONE: u8 = 10;
}

/// Writes one record into ring space that may wrap around the end of the
/// ring: `first` is the part before the wrap, `second` the part after it
/// (empty when the record fits contiguously, which is almost always).
pub struct Writer<'a> {
    first: &'a mut [u8],
    second: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(first: &'a mut [u8], second: &'a mut [u8]) -> Writer<'a> {
        Writer {
            first,
            second,
            pos: 0,
        }
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline(always)]
    pub fn put(&mut self, bytes: &[u8]) {
        let end = self.pos + bytes.len();
        if end <= self.first.len() {
            self.first[self.pos..end].copy_from_slice(bytes);
        } else {
            self.put_at_slow(self.pos, bytes);
        }
        self.pos = end;
    }

    #[inline(always)]
    pub fn put_u8(&mut self, v: u8) {
        self.put(&[v]);
    }

    #[inline(always)]
    pub fn put_u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }

    #[inline(always)]
    pub fn put_u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }

    /// The record header: call-site id, total record length, raw timestamp.
    #[inline(always)]
    pub fn put_header(&mut self, id: u32, total: usize, tsc: u64) {
        self.put_u32(id);
        self.put_u32(total as u32);
        self.put_u64(tsc);
    }

    /// Overwrites bytes already written (used to patch lengths).
    fn put_at(&mut self, at: usize, bytes: &[u8]) {
        let end = at + bytes.len();
        if end <= self.first.len() {
            self.first[at..end].copy_from_slice(bytes);
        } else {
            self.put_at_slow(at, bytes);
        }
    }

    #[cold]
    fn put_at_slow(&mut self, at: usize, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            let p = at + i;
            if p < self.first.len() {
                self.first[p] = b;
            } else {
                self.second[p - self.first.len()] = b;
            }
        }
    }

    /// Writes `tag`, a reserved length of `reserved`, and up to `reserved`
    /// bytes produced by `f`; pads the rest so the record length stays
    /// exactly what [`text_len`] promised.
    fn put_text(&mut self, tag: u8, reserved: usize, f: impl FnOnce(&mut Bounded<'_, 'a>)) {
        self.put_u8(tag);
        self.put_u32(reserved as u32);
        let used_at = self.pos;
        self.put_u32(0);
        let start = self.pos;
        let mut bounded = Bounded {
            w: self,
            left: reserved,
        };
        f(&mut bounded);
        let used = self.pos - start;
        self.put_at(used_at, &(used as u32).to_le_bytes());
        for _ in used..reserved {
            self.put_u8(0);
        }
    }
}

/// A `fmt::Write` into a [`Writer`] that stops at a byte budget, cutting at a
/// character boundary. The budget comes from a counting pass over the same
/// value, so it is only hit by a `Display` impl that prints differently the
/// second time.
struct Bounded<'w, 'a> {
    w: &'w mut Writer<'a>,
    left: usize,
}

impl fmt::Write for Bounded<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut n = s.len().min(self.left);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.w.put(&s.as_bytes()[..n]);
        self.left -= n;
        Ok(())
    }
}

/// Counts the bytes a value formats to, without writing them anywhere.
struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

fn display_len(v: &dyn fmt::Display) -> usize {
    let mut c = Counter(0);
    let _ = write!(c, "{v}");
    c.0
}

fn debug_len(v: &dyn fmt::Debug) -> usize {
    let mut c = Counter(0);
    let _ = write!(c, "{v:?}");
    c.0
}

/// Size of a text value (tag, reserved, used, bytes).
const fn text_len(n: usize) -> usize {
    1 + 4 + 4 + n
}

/// A value that can be written into a record. Implemented for integers,
/// floats, `bool`, strings, byte slices, `Option`s of those, error trait
/// objects, and the [`AsDisplay`] / [`AsDebug`] / [`ErrorChain`] wrappers.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as a raw value",
    label = "narrate records integers, floats, bool, strings, bytes, Options of those and errors raw",
    note = "record its text instead: `name = %value` (Display) or `name = ?value` (Debug); `{{:x}}`, `{{:b}}`, `{{:o}}`, `{{:e}}` take numbers only"
)]
pub trait Encode {
    /// Exact number of bytes [`Encode::encode`] will write.
    fn encoded_len(&self) -> usize;
    fn encode(&self, w: &mut Writer<'_>);
}

impl<T: Encode + ?Sized> Encode for &T {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        (**self).encode(w)
    }
}

macro_rules! encode_as {
    ($tag:expr, $wide:ty, $($t:ty),*) => {$(
        impl Encode for $t {
            #[inline(always)]
            fn encoded_len(&self) -> usize { 9 }
            #[inline(always)]
            fn encode(&self, w: &mut Writer<'_>) {
                w.put_u8($tag);
                w.put(&(*self as $wide).to_le_bytes());
            }
        }
    )*};
}
encode_as!(tag::U64, u64, u8, u16, u32, u64, usize);
encode_as!(tag::I64, i64, i8, i16, i32, i64, isize);
encode_as!(tag::F64, f64, f32, f64);

impl Encode for bool {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        2
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        w.put(&[tag::BOOL, *self as u8]);
    }
}

impl Encode for str {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        5 + self.len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        w.put_u8(tag::STR);
        w.put_u32(self.len() as u32);
        w.put(self.as_bytes());
    }
}

impl Encode for String {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.as_str().encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        self.as_str().encode(w)
    }
}

impl Encode for std::borrow::Cow<'_, str> {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.as_ref().encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        self.as_ref().encode(w)
    }
}

impl Encode for char {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        5 + self.len_utf8()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        self.encode_utf8(&mut [0; 4]).encode(w)
    }
}

impl Encode for [u8] {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        5 + self.len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        w.put_u8(tag::BYTES);
        w.put_u32(self.len() as u32);
        w.put(self);
    }
}

impl Encode for Vec<u8> {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.as_slice().encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        self.as_slice().encode(w)
    }
}

impl<const N: usize> Encode for [u8; N] {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.as_slice().encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        self.as_slice().encode(w)
    }
}

impl<T: Encode> Encode for Option<T> {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        match self {
            Some(v) => v.encoded_len(),
            None => 1,
        }
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        match self {
            Some(v) => v.encode(w),
            None => w.put_u8(tag::NONE),
        }
    }
}

/// Records a value through its `Display` impl (`key = %value` in the macros).
pub struct AsDisplay<'a, T: fmt::Display + ?Sized>(pub &'a T);

/// Records a value through its `Debug` impl (`key = ?value` in the macros).
pub struct AsDebug<'a, T: fmt::Debug + ?Sized>(pub &'a T);

impl<T: fmt::Display + ?Sized> Encode for AsDisplay<'_, T> {
    fn encoded_len(&self) -> usize {
        text_len(display_len(&self.0))
    }
    fn encode(&self, w: &mut Writer<'_>) {
        let n = display_len(&self.0);
        w.put_text(tag::DISPLAY, n, |b| {
            let _ = write!(b, "{}", self.0);
        });
    }
}

impl<T: fmt::Debug + ?Sized> Encode for AsDebug<'_, T> {
    fn encoded_len(&self) -> usize {
        text_len(debug_len(&self.0))
    }
    fn encode(&self, w: &mut Writer<'_>) {
        let n = debug_len(&self.0);
        w.put_text(tag::DEBUG, n, |b| {
            let _ = write!(b, "{:?}", self.0);
        });
    }
}

/// Records an error with its whole `source()` chain.
///
/// Build it with [`crate::error`]: `err = narrate::error(&e)`. A
/// `&dyn Error` can also be passed directly.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'a));

fn chain_len(e: &dyn std::error::Error) -> usize {
    let mut n = 0;
    let mut link: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = link {
        n += 4 + display_len(&err);
        link = err.source();
    }
    n
}

fn encode_chain(e: &dyn std::error::Error, w: &mut Writer<'_>) {
    let n = chain_len(e);
    w.put_text(tag::ERROR, n, |b| {
        let mut link: Option<&dyn std::error::Error> = Some(e);
        while let Some(err) = link {
            // Each link is `u32 len, text`; the length is patched after the
            // text so that a link cut short by the budget stays parseable.
            if b.left < 4 {
                break;
            }
            let len_at = b.w.pos;
            b.w.put_u32(0);
            b.left -= 4;
            let start = b.w.pos;
            let _ = write!(b, "{err}");
            let len = (b.w.pos - start) as u32;
            b.w.put_at(len_at, &len.to_le_bytes());
            link = err.source();
        }
    });
}

impl Encode for ErrorChain<'_> {
    fn encoded_len(&self) -> usize {
        text_len(chain_len(self.0))
    }
    fn encode(&self, w: &mut Writer<'_>) {
        encode_chain(self.0, w)
    }
}

impl Encode for dyn std::error::Error + '_ {
    fn encoded_len(&self) -> usize {
        text_len(chain_len(self))
    }
    fn encode(&self, w: &mut Writer<'_>) {
        encode_chain(self, w)
    }
}

impl Encode for dyn std::error::Error + Send + Sync + '_ {
    fn encoded_len(&self) -> usize {
        text_len(chain_len(self))
    }
    fn encode(&self, w: &mut Writer<'_>) {
        encode_chain(self, w)
    }
}

/// Encodes `values` into a fresh buffer (the header left zeroed). For tests
/// and for the rare paths that cannot use a ring.
pub(crate) fn encode_to_vec(len: usize, f: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let mut w = Writer::new(&mut buf, &mut []);
    f(&mut w);
    debug_assert_eq!(w.pos, len);
    buf
}
