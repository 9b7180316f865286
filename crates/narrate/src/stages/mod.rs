//! Backend stages between decoding and formatting.
//!
//! An event's values are decoded into slots that point into its record;
//! a stage that changes a value writes the new bytes into a buffer of its
//! own and re-points the slot there (`Slot::rewritten`). Nothing is copied
//! for values a stage leaves alone, and the buffers are reused, so a stage
//! allocates nothing per event once they have grown.
//!
//! * [`redact`]: secrets out of every string value, sensitive fields masked.
//! * [`sample`]: the backend's half of sampling (suppressed reports, the
//!   adaptive controller, the samplers' clock).
//!
//! Sanitization (control characters, invalid UTF-8, bidi and zero-width
//! characters) is not a separate pass here: the formats' escaper
//! ([`crate::format::escape`]) applies the same rules while it writes, so
//! every sink gets sanitized text in the one pass that formats it.
//! `narrate::sanitize` is the same policy as a function, for users.

pub mod redact;
pub(crate) mod sample;
