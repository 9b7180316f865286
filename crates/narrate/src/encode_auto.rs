//! Choosing how to record a value whose type the macro cannot see.
//!
//! `#[trace_fn]` and `#[narrate]` record function arguments and results of
//! any type. They use autoref specialisation: `(&&&&Wrap(&v)).narrate_value()`
//! resolves, in order of preference, to
//!
//! 1. the value itself if it implements [`Encode`] (raw bytes, no formatting);
//! 2. an [`ErrorChain`] if it implements `std::error::Error`;
//! 3. its `Debug` text (formatted on the caller, into the ring);
//! 4. its type name, for types with none of the above (e.g. an unbounded
//!    generic), so the event still says what was passed.
//!
//! The choice is made at compile time per call site; there is no dispatch at
//! run time.

use std::fmt::Debug;

use crate::encode::{AsDebug, AsDisplay, Encode, ErrorChain};

pub struct Wrap<'a, T: ?Sized>(pub &'a T);

pub trait ViaEncode<'a, T: ?Sized> {
    fn narrate_value(self) -> &'a T;
}
impl<'a, T: Encode + ?Sized> ViaEncode<'a, T> for &&&&Wrap<'a, T> {
    #[inline(always)]
    fn narrate_value(self) -> &'a T {
        self.0
    }
}

pub trait ViaError<'a> {
    fn narrate_value(self) -> ErrorChain<'a>;
}
impl<'a, T: std::error::Error + 'a> ViaError<'a> for &&&Wrap<'a, T> {
    #[inline(always)]
    fn narrate_value(self) -> ErrorChain<'a> {
        ErrorChain(self.0)
    }
}

pub trait ViaDebug<'a, T: Debug + ?Sized> {
    fn narrate_value(self) -> AsDebug<'a, T>;
}
impl<'a, T: Debug + ?Sized> ViaDebug<'a, T> for &&Wrap<'a, T> {
    #[inline(always)]
    fn narrate_value(self) -> AsDebug<'a, T> {
        AsDebug(self.0)
    }
}

pub trait ViaTypeName {
    fn narrate_value(self) -> &'static str;
}
impl<T: ?Sized> ViaTypeName for &Wrap<'_, T> {
    #[inline(always)]
    fn narrate_value(self) -> &'static str {
        std::any::type_name::<T>()
    }
}

// Template arguments (`{}`, `{:?}`, positional arguments): raw when narrate
// can encode the type and render it on the backend exactly as `std::fmt`
// would, text rendered on the caller otherwise.

/// Types whose `Debug` text the backend reproduces from the raw value
/// (numbers, `bool`, strings): `{:?}` on them stays raw. `Option`, `char`
/// and byte slices are not here: their `Debug` text is not their value's.
pub trait RawDebug {}
macro_rules! raw_debug {
    ($($t:ty),*) => {$(impl RawDebug for $t {})*};
}
raw_debug!(
    u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f32, f64, bool, str, String
);
impl<T: RawDebug + ?Sized> RawDebug for &T {}

/// `{}` on a type narrate encodes raw.
pub trait FmtRawDisplay<'a, T: ?Sized> {
    fn narrate_display(self) -> &'a T;
}
impl<'a, T: Encode + ?Sized> FmtRawDisplay<'a, T> for &&Wrap<'a, T> {
    #[inline(always)]
    fn narrate_display(self) -> &'a T {
        self.0
    }
}

/// `{:?}` / `{:#?}` on a type whose `Debug` text the backend reproduces.
pub trait FmtRawDebug<'a, T: ?Sized> {
    fn narrate_debug(self) -> &'a T;
    fn narrate_debug_pretty(self) -> &'a T;
}
impl<'a, T: Encode + RawDebug + ?Sized> FmtRawDebug<'a, T> for &&Wrap<'a, T> {
    #[inline(always)]
    fn narrate_debug(self) -> &'a T {
        self.0
    }
    #[inline(always)]
    fn narrate_debug_pretty(self) -> &'a T {
        self.0
    }
}

/// `{}` on any other `Display` type: its text, rendered on the caller.
pub trait FmtDisplay<'a, T: std::fmt::Display + ?Sized> {
    fn narrate_display(self) -> AsDisplay<'a, T>;
}
impl<'a, T: std::fmt::Display + ?Sized> FmtDisplay<'a, T> for &Wrap<'a, T> {
    #[inline(always)]
    fn narrate_display(self) -> AsDisplay<'a, T> {
        AsDisplay(self.0)
    }
}

/// `{:?}` / `{:#?}` on any other `Debug` type: its text, rendered on the caller.
pub trait FmtDebug<'a, T: Debug + ?Sized> {
    fn narrate_debug(self) -> AsDebug<'a, T>;
    fn narrate_debug_pretty(self) -> DebugPretty<'a, T>;
}
impl<'a, T: Debug + ?Sized> FmtDebug<'a, T> for &Wrap<'a, T> {
    #[inline(always)]
    fn narrate_debug(self) -> AsDebug<'a, T> {
        AsDebug(self.0)
    }
    #[inline(always)]
    fn narrate_debug_pretty(self) -> DebugPretty<'a, T> {
        DebugPretty(self.0)
    }
}

/// `{:#?}`: the alternate (multi-line) `Debug` text, rendered on the caller
/// into the ring like [`AsDebug`].
pub struct DebugPretty<'a, T: Debug + ?Sized>(pub &'a T);

impl<T: Debug + ?Sized> std::fmt::Display for DebugPretty<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#?}", self.0)
    }
}

impl<T: Debug + ?Sized> Encode for DebugPretty<'_, T> {
    fn encoded_len(&self) -> usize {
        AsDisplay(self).encoded_len()
    }
    fn encode(&self, w: &mut crate::encode::Writer<'_>) {
        AsDisplay(self).encode(w)
    }
}

/// Nanoseconds since a raw clock reading taken with [`now_raw`].
#[inline]
pub fn elapsed_ns(start: u64) -> u64 {
    let anchor = crate::clock::anchor();
    anchor.clock().delta_as_nanos(start, anchor.now_raw())
}

/// A raw clock reading, for [`elapsed_ns`].
#[inline]
pub fn now_raw() -> u64 {
    crate::clock::anchor().now_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct OnlyDebug(#[allow(dead_code)] u8);
    struct Nothing;

    #[test]
    // The extra borrows are the mechanism under test.
    #[allow(clippy::needless_borrow)]
    fn picks_the_most_direct_encoding() {
        let n = 5u64;
        let e = std::io::Error::other("boom");
        let d = OnlyDebug(1);
        let x = Nothing;
        let v1: &u64 = (&&&&Wrap(&n)).narrate_value();
        let v2: ErrorChain<'_> = (&&&&Wrap(&e)).narrate_value();
        let v3: AsDebug<'_, OnlyDebug> = (&&&&Wrap(&d)).narrate_value();
        let v4: &'static str = (&&&&Wrap(&x)).narrate_value();
        assert_eq!(*v1, 5);
        assert_eq!(v2.0.to_string(), "boom");
        assert_eq!(format!("{:?}", v3.0), "OnlyDebug(1)");
        assert!(v4.ends_with("Nothing"));
    }
}
