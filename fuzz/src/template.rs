//! The macros' template parser (`{name}` placeholders, `{{`/`}}` escapes):
//! never panics; what it accepts is well formed and survives a round trip
//! (rendered back with its braces escaped, it parses to the same pieces).

use crate::template_parser::{TemplatePiece, split};

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pieces = match split(text) {
        Ok(pieces) => pieces,
        Err(message) => {
            assert!(!message.is_empty());
            return;
        }
    };
    let mut rendered = String::new();
    let mut previous_literal = false;
    for piece in &pieces {
        match piece {
            TemplatePiece::Literal(s) => {
                assert!(!s.is_empty(), "empty literal in {text:?}");
                assert!(!previous_literal, "two literals in a row in {text:?}");
                previous_literal = true;
                rendered.push_str(&s.replace('{', "{{").replace('}', "}}"));
            }
            TemplatePiece::Field(name) => {
                previous_literal = false;
                assert!(!name.is_empty() && name.trim() == name, "{name:?}");
                assert!(!name.contains(['{', '}']), "{name:?}");
                rendered.push('{');
                rendered.push_str(name);
                rendered.push('}');
            }
        }
    }
    assert_eq!(
        split(&rendered).as_ref(),
        Ok(&pieces),
        "{text:?} rendered as {rendered:?} parses differently"
    );
}
