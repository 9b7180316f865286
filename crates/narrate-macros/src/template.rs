//! The template parser, on plain strings: no spans, so the fuzz target
//! (`fuzz/fuzz_targets/template_parse.rs`, which includes this file) runs
//! the very code the macros run. `parse_template` in `lib.rs` attaches the
//! literal's span to the error.

use syn::Ident;

/// One piece of a template: literal text (braces already unescaped) or a
/// placeholder's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TemplatePiece {
    Literal(String),
    Field(String),
}

/// Splits a template at `{name}` placeholders; `{{` and `}}` are literal braces.
pub(crate) fn split(text: &str) -> Result<Vec<TemplatePiece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => {
                            return Err(
                                "unclosed `{` in template (write `{{` for a literal brace)".into(),
                            );
                        }
                    }
                }
                let name = name.trim().to_string();
                // The name must be the identifier and nothing else: syn's
                // tokenizer skips comments, so `{a // b}` alone would parse
                // (found by fuzz/fuzz_targets/template_parse.rs).
                if !syn::parse_str::<Ident>(&name).is_ok_and(|ident| ident == name) {
                    return Err(format!(
                        "`{{{name}}}` is not a placeholder: placeholders are `{{name}}` with a field or variable name"
                    ));
                }
                if !literal.is_empty() {
                    pieces.push(TemplatePiece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(TemplatePiece::Field(name));
            }
            '}' => {
                return Err("unmatched `}` in template (write `}}` for a literal brace)".into());
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(TemplatePiece::Literal(literal));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::{TemplatePiece, split};

    /// fuzz crash b513844086d1e2b9: a comment after a placeholder's name was
    /// taken into the name (`{ri//**…{nameb'}`).
    #[test]
    fn regress_fuzz_comment_inside_a_placeholder_is_rejected() {
        let crash = "{ri//**\0qec\0psr6*n{nameb'} b";
        assert!(split(crash).unwrap_err().contains("is not a placeholder"));
        assert!(split("{a // b}").is_err());
        assert!(split("{a /* b */}").is_err());
        assert_eq!(
            split("{ a } {r#type}").unwrap(),
            [
                TemplatePiece::Field("a".into()),
                TemplatePiece::Literal(" ".into()),
                TemplatePiece::Field("r#type".into())
            ]
        );
    }
}
