//! What a detected secret is replaced with.
//!
//! Two modes:
//!
//! * [`Replacement::Fixed`]: a constant text, `[REDACTED]` by default. Nothing
//!   about the secret leaks, not even whether two secrets were equal.
//! * [`Replacement::KeyedHash`]: `[REDACTED:1a2b3c4d]`, where the eight hex
//!   digits are the first 32 bits of SipHash-1-3 of the secret under a 128-bit
//!   key. Equal secrets give equal tokens, so an operator can see "the same
//!   token was used by both requests" without learning the token. The key
//!   must stay secret: with the key, short secrets (PINs, weak passwords)
//!   can be brute-forced from their tag. 32 bits is enough to correlate a
//!   handful of values and too little to be useful as a fingerprint database.
//!
//! Both modes produce tokens that the redactor itself recognises and passes
//! through untouched, which is what makes `redact(redact(x)) == redact(x)`
//! hold in the hashed mode too (hashing an existing tag would change it).

use std::hash::Hasher;

use siphasher::sip::SipHasher13;

/// Default fixed replacement text.
pub const DEFAULT_REPLACEMENT: &str = "[REDACTED]";
/// Default label used inside keyed-hash tokens: `[REDACTED:xxxxxxxx]`.
pub const DEFAULT_HASH_LABEL: &str = "REDACTED";

/// Number of hex digits in a keyed-hash tag.
const TAG_HEX: usize = 8;
/// Longest replacement text or label accepted by the configuration.
pub(crate) const MAX_REPLACEMENT_LEN: usize = 64;

/// How a secret is written in the output.
#[derive(Clone, PartialEq, Eq)]
pub enum Replacement {
    /// Replace every secret with this text.
    Fixed(String),
    /// Replace every secret with `[<label>:<8 hex digits>]`, the digits being
    /// a SipHash-1-3 of the secret under `key`.
    KeyedHash {
        /// 128-bit secret key. Keep it out of the logs.
        key: [u8; 16],
        /// Text before the colon, `REDACTED` by default.
        label: String,
    },
}

impl std::fmt::Debug for Replacement {
    // The key must never end up in a log line, even via `{:?}` of a config.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Replacement::Fixed(t) => f.debug_tuple("Fixed").field(t).finish(),
            Replacement::KeyedHash { label, .. } => f
                .debug_struct("KeyedHash")
                .field("key", &"<hidden>")
                .field("label", label)
                .finish(),
        }
    }
}

impl Default for Replacement {
    fn default() -> Self {
        Replacement::Fixed(DEFAULT_REPLACEMENT.to_owned())
    }
}

impl Replacement {
    /// A keyed-hash replacement with the default label.
    pub fn keyed_hash(key: [u8; 16]) -> Self {
        Replacement::KeyedHash {
            key,
            label: DEFAULT_HASH_LABEL.to_owned(),
        }
    }

    /// Checks the text that will appear in the output. The characters are
    /// restricted so that a replacement can never look like the start or
    /// the end of a secret to any detector (no whitespace, quotes or
    /// key/value separators): that is half of the idempotence argument, the
    /// other half is the build-time self-check in `Redactor::new`.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let text = match self {
            Replacement::Fixed(t) => t,
            Replacement::KeyedHash { label, .. } => label,
        };
        if text.is_empty() {
            return Err("replacement text must not be empty".into());
        }
        if text.len() > MAX_REPLACEMENT_LEN {
            return Err(format!(
                "replacement text is {} bytes, the limit is {MAX_REPLACEMENT_LEN}",
                text.len()
            ));
        }
        if let Some(c) = text.chars().find(|&c| !allowed_char(c)) {
            return Err(format!(
                "replacement text {text:?} contains {c:?}; allowed are printable ASCII \
                 characters except whitespace, quotes, '=', ':', ',', ';', '&', '@', '/'"
            ));
        }
        Ok(())
    }

    /// The literal every token starts with; the redactor searches for it so
    /// that existing tokens are skipped rather than re-redacted.
    pub(crate) fn marker(&self) -> String {
        match self {
            Replacement::Fixed(t) => t.clone(),
            Replacement::KeyedHash { label, .. } => format!("[{label}:"),
        }
    }

    /// If a complete replacement token starts at `hay[pos..]`, its length.
    pub(crate) fn token_len_at(&self, hay: &[u8], pos: usize) -> Option<usize> {
        let rest = hay.get(pos..)?;
        match self {
            Replacement::Fixed(t) => rest.starts_with(t.as_bytes()).then_some(t.len()),
            Replacement::KeyedHash { label, .. } => {
                let l = label.len();
                let len = l + 3 + TAG_HEX;
                let tok = rest.get(..len)?;
                let ok = tok[0] == b'['
                    && &tok[1..1 + l] == label.as_bytes()
                    && tok[1 + l] == b':'
                    && tok[2 + l..2 + l + TAG_HEX]
                        .iter()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                    && tok[len - 1] == b']';
                ok.then_some(len)
            }
        }
    }

    /// First byte of every token (cheap pre-check for `token_len_at`).
    #[inline]
    pub(crate) fn first_byte(&self) -> u8 {
        match self {
            Replacement::Fixed(t) => t.as_bytes()[0],
            Replacement::KeyedHash { .. } => b'[',
        }
    }

    /// Whether a complete replacement token ends exactly at `hay[..end]`.
    pub(crate) fn token_ends_at(&self, hay: &[u8], end: usize) -> bool {
        let len = match self {
            Replacement::Fixed(t) => t.len(),
            Replacement::KeyedHash { label, .. } => label.len() + 3 + TAG_HEX,
        };
        end >= len && self.token_len_at(hay, end - len) == Some(len)
    }

    /// Appends the token for `secret` to `out`. Never allocates beyond
    /// growing `out`.
    pub(crate) fn write<S: Sink + ?Sized>(&self, secret: &[u8], out: &mut S) {
        match self {
            Replacement::Fixed(t) => out.push_str(t),
            Replacement::KeyedHash { key, label } => {
                let (k0, k1) = key.split_at(8);
                let k0 = u64::from_le_bytes(k0.try_into().expect("8 bytes"));
                let k1 = u64::from_le_bytes(k1.try_into().expect("8 bytes"));
                let mut h = SipHasher13::new_with_keys(k0, k1);
                h.write(secret);
                let tag = (h.finish() >> 32) as u32;
                let mut hex = [0u8; TAG_HEX];
                for (i, d) in hex.iter_mut().enumerate() {
                    let nibble = (tag >> (28 - 4 * i)) & 0xf;
                    *d = b"0123456789abcdef"[nibble as usize];
                }
                out.push_str("[");
                out.push_str(label);
                out.push_str(":");
                out.push_str(std::str::from_utf8(&hex).expect("hex is ASCII"));
                out.push_str("]");
            }
        }
    }
}

fn allowed_char(c: char) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            '"' | '\'' | '`' | '=' | ':' | ',' | ';' | '&' | '@' | '/'
        )
}

/// Where redacted text is written: a `String` or a byte buffer. Only whole
/// `&str`s are pushed, so a `Vec<u8>` sink stays valid UTF-8.
pub trait Sink {
    /// Appends `s`.
    fn push_str(&mut self, s: &str);
}

impl Sink for String {
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
}

impl Sink for Vec<u8> {
    fn push_str(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_token_is_recognised_and_stable() {
        let r = Replacement::keyed_hash(*b"0123456789abcdef");
        let mut a = String::new();
        let mut b = String::new();
        r.write(b"hunter2", &mut a);
        r.write(b"hunter2", &mut b);
        assert_eq!(a, b);
        assert!(a.starts_with("[REDACTED:") && a.len() == 19, "{a}");
        assert_eq!(r.token_len_at(a.as_bytes(), 0), Some(a.len()));
        let mut c = String::new();
        r.write(b"hunter3", &mut c);
        assert_ne!(a, c);
    }

    #[test]
    fn validation_rejects_separators() {
        for bad in ["", "a b", "x=y", "p:q", "\"q\"", "é"] {
            assert!(
                Replacement::Fixed(bad.into()).validate().is_err(),
                "{bad:?}"
            );
        }
        assert!(Replacement::Fixed("***".into()).validate().is_ok());
        assert!(Replacement::default().validate().is_ok());
    }

    #[test]
    fn debug_hides_key() {
        let r = Replacement::keyed_hash([7; 16]);
        assert!(!format!("{r:?}").contains('7'));
    }
}
