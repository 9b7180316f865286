//! Procedural macros for narrate.
//!
//! `event!` is the engine behind `info!` & co.: it parses the arguments,
//! checks the human template at compile time, and expands to a `static`
//! call-site record plus the encoding of the arguments, in place, with no
//! formatting. Users call it through the `macro_rules!` wrappers in `narrate`,
//! which pass `$crate` as the first token so paths resolve wherever the macro
//! is used.
//!
//! Expansion of `info!("Order {id} shipped", id = order.id, weight = 1.5)`:
//!
//! ```text
//! {
//!     static __NARRATE_CALLSITE: Callsite = Callsite::new(Metadata { level: Info, pieces: &[…], fields: &["id", "weight"], … });
//!     if let Some(id) = __NARRATE_CALLSITE.enabled_id() {    // one relaxed load
//!         match (&(order.id), &(1.5)) {                      // arguments evaluated once, only when enabled
//!             (v0, v1) => emit(id, Info, v0.encoded_len() + v1.encoded_len(), |w| { v0.encode(w); v1.encode(w); }),
//!         }
//!     }
//! }
//! ```

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Token};

mod attrs;

/// Longest literal human text accepted by default (the editorial limit).
/// Projects change it with the `NARRATE_HUMAN_LIMIT` environment variable at
/// build time, e.g. in `.cargo/config.toml` under `[env]`.
const DEFAULT_HUMAN_LIMIT: usize = 100;

fn human_limit() -> usize {
    std::env::var("NARRATE_HUMAN_LIMIT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_HUMAN_LIMIT)
}

/// The editorial rule on literal human text.
pub(crate) fn check_human_length(lit: &LitStr) -> syn::Result<()> {
    let len = lit.value().chars().count();
    let limit = human_limit();
    if len > limit {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "narrate rule `human-too-long`: human text is {len} characters; the editorial limit is {limit}"
            ),
        ));
    }
    Ok(())
}

const LEVELS: [&str; 6] = ["Trace", "Debug", "Info", "Warn", "Error", "Fatal"];

/// `tracing`'s level constants (`Level::INFO`), accepted as aliases.
const TRACING_LEVELS: [&str; 5] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

pub(crate) enum Capture {
    /// Raw value; the type must implement `Encode`.
    Value,
    /// `%x`: `Display` text rendered on the caller.
    Display,
    /// `?x`: `Debug` text rendered on the caller.
    Debug,
    /// A template argument whose type the macro cannot see, chosen at
    /// compile time by autoref specialisation (`narrate::encode_auto`): raw
    /// when narrate can encode it, otherwise text through the trait the
    /// placeholder's format spec asks for.
    Auto(AutoKind),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum AutoKind {
    Display,
    Debug,
    DebugPretty,
}

pub(crate) struct Field {
    /// The recorded name; may be dotted (`user.id`).
    pub name: String,
    pub span: Span,
    pub capture: Capture,
    pub value: Expr,
}

impl Field {
    pub(crate) fn new(name: impl Into<String>, span: Span, capture: Capture, value: Expr) -> Field {
        Field {
            name: name.into(),
            span,
            capture,
            value,
        }
    }
}

pub(crate) struct EventArgs {
    pub krate: TokenStream2,
    pub level: Ident,
    pub template: Option<LitStr>,
    /// `target: "…"` (the `tracing` spelling) or `actor = "…"`.
    pub actor: Option<Expr>,
    pub action: Option<LitStr>,
    pub cute: Option<LitStr>,
    pub story: Option<LitStr>,
    pub fields: Vec<Field>,
    /// `parent: span`: the event is emitted inside that span.
    pub parent: Option<Expr>,
    /// Arguments after the template that fill its positional `{}`s.
    pub positional: Vec<Expr>,
    /// When set, the expansion is an expression: `Some(value)` when the
    /// event was enabled (and emitted), `None` otherwise.
    pub enabled_value: Option<TokenStream2>,
}

fn literal_only(name: &Ident, input: ParseStream<'_>) -> syn::Result<LitStr> {
    input.parse::<LitStr>().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!(
                "`{name}` must be a string literal: it is stored in the static call-site record"
            ),
        )
    })
}

/// A level as a path (`Info`, `Level::Info`, `narrate::Level::Info`, or
/// `tracing`'s `Level::INFO`).
pub(crate) fn parse_level(input: ParseStream<'_>) -> syn::Result<Ident> {
    let level_path: syn::Path = input.parse()?;
    level_path
        .segments
        .last()
        .and_then(|s| {
            let name = s.ident.to_string();
            if LEVELS.contains(&name.as_str()) {
                Some(s.ident.clone())
            } else if TRACING_LEVELS.contains(&name.as_str()) {
                let mut c = name.to_lowercase();
                c[..1].make_ascii_uppercase();
                Some(Ident::new(&c, s.ident.span()))
            } else {
                None
            }
        })
        .ok_or_else(|| {
            syn::Error::new(
                level_path.span(),
                "expected a level: Trace, Debug, Info, Warn, Error or Fatal (e.g. `Level::Info`)",
            )
        })
}

/// `a`, `a.b.c`, `r#type`: a field name as `tracing` writes it, with the
/// expression it stands for when used as a shorthand.
fn parse_dotted(input: ParseStream<'_>) -> syn::Result<(String, Span, Expr)> {
    let first: Ident = input.call(syn::ext::IdentExt::parse_any)?;
    let span = first.span();
    let mut name = unraw(&first);
    let mut expr: Expr = syn::parse_quote_spanned!(span=> #first);
    while input.peek(Token![.]) && !input.peek(Token![..]) {
        input.parse::<Token![.]>()?;
        let next: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        name.push('.');
        name.push_str(&unraw(&next));
        expr = syn::parse_quote_spanned!(span=> #expr.#next);
    }
    Ok((name, span, expr))
}

fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// True when the next tokens are a dotted name followed by `=` (not `==`),
/// a `,` or the end: a field, not an expression.
fn peek_field(input: ParseStream<'_>) -> Option<bool> {
    let fork = input.fork();
    parse_dotted(&fork).ok()?;
    if fork.peek(Token![=]) && !fork.peek(Token![==]) && !fork.peek(Token![=>]) {
        Some(true)
    } else if fork.is_empty() || fork.peek(Token![,]) {
        Some(false)
    } else {
        None
    }
}

impl Parse for EventArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate: TokenTree = input.parse()?;
        input.parse::<Token![,]>()?;
        let level = parse_level(input)?;
        let mut args = EventArgs {
            krate: krate.into(),
            enabled_value: None,
            level,
            template: None,
            actor: None,
            action: None,
            cute: None,
            story: None,
            fields: Vec::new(),
            parent: None,
            positional: Vec::new(),
        };
        let mut positional_slots = 0usize;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let wants_positional = args.positional.len() < positional_slots;
            // `target: "…"`, `parent: span` (the `tracing` spellings).
            if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
                let key: Ident = input.parse()?;
                input.parse::<Token![:]>()?;
                match key.to_string().as_str() {
                    "target" => {
                        let value: Expr = input.parse()?;
                        if let Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }) = &value
                            && s.value().trim().is_empty()
                        {
                            return Err(syn::Error::new(
                                s.span(),
                                "narrate rule `empty-actor`: `target:` must not be empty",
                            ));
                        }
                        if args.actor.is_some() {
                            return Err(syn::Error::new(
                                key.span(),
                                "`target:` and `actor =` both name the component; give one",
                            ));
                        }
                        args.actor = Some(value);
                    }
                    "parent" => {
                        if args.parent.is_some() {
                            return Err(syn::Error::new(key.span(), "`parent:` is given twice"));
                        }
                        args.parent = Some(input.parse()?);
                    }
                    other => {
                        return Err(syn::Error::new(
                            key.span(),
                            format!(
                                "`{other}:` is not an argument: only `target:` and `parent:` take a colon; fields are `{other} = value`"
                            ),
                        ));
                    }
                }
                continue;
            }
            if input.peek(LitStr) {
                if input.peek2(Token![=]) && !input.peek2(Token![==]) {
                    // `"user.id" = 5`: a field with a literal name.
                    let name: LitStr = input.parse()?;
                    input.parse::<Token![=]>()?;
                    let (capture, value) = parse_captured(input)?;
                    push_field(
                        &mut args.fields,
                        Field::new(name.value(), name.span(), capture, value),
                    )?;
                    continue;
                }
                if args.template.is_none() {
                    let lit: LitStr = input.parse()?;
                    positional_slots = count_positional(&lit)?;
                    args.template = Some(lit);
                    continue;
                }
                if !wants_positional {
                    let lit: LitStr = input.parse()?;
                    return Err(syn::Error::new(
                        lit.span(),
                        "only one human template is allowed per event",
                    ));
                }
            }
            // `?x` / `%x` / `?a.b`: shorthand fields formatted on the caller.
            if (input.peek(Token![?]) || input.peek(Token![%])) && !wants_positional {
                let capture = if input.peek(Token![?]) {
                    input.parse::<Token![?]>()?;
                    Capture::Debug
                } else {
                    input.parse::<Token![%]>()?;
                    Capture::Display
                };
                let (name, span, value) = parse_dotted(input)?;
                push_field(&mut args.fields, Field::new(name, span, capture, value))?;
                continue;
            }
            match peek_field(input) {
                Some(true) => {
                    let (name, span, _) = parse_dotted(input)?;
                    input.parse::<Token![=]>()?;
                    let slot = match name.as_str() {
                        "actor" => {
                            let lit = literal_only(&Ident::new("actor", span), input)?;
                            check_not_empty("actor", &lit)?;
                            if args.actor.is_some() {
                                return Err(syn::Error::new(
                                    span,
                                    "`actor` is given twice (or with `target:`)",
                                ));
                            }
                            args.actor = Some(syn::parse_quote!(#lit));
                            continue;
                        }
                        "action" => Some(&mut args.action),
                        "cute" => Some(&mut args.cute),
                        "story" => Some(&mut args.story),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        let lit = literal_only(&Ident::new(&name, span), input)?;
                        check_not_empty(&name, &lit)?;
                        if slot.is_some() {
                            return Err(syn::Error::new(span, format!("`{name}` is given twice")));
                        }
                        *slot = Some(lit);
                        continue;
                    }
                    let (capture, value) = parse_captured(input)?;
                    push_field(&mut args.fields, Field::new(name, span, capture, value))?;
                    continue;
                }
                Some(false) if !wants_positional => {
                    // Shorthand: `name` records the variable `name`.
                    let (name, span, value) = parse_dotted(input)?;
                    push_field(
                        &mut args.fields,
                        Field::new(name, span, Capture::Value, value),
                    )?;
                    continue;
                }
                _ => {}
            }
            let value: Expr = input.parse()?;
            if !wants_positional {
                return Err(syn::Error::new(
                    value.span(),
                    if args.template.is_none() {
                        "unexpected expression: fields are `name = value`, `?name`, `%name` or `name`; positional arguments follow a template with `{}`".to_string()
                    } else {
                        format!(
                            "argument never used: the template has {positional_slots} positional placeholder(s) (`{{}}`)"
                        )
                    },
                ));
            }
            args.positional.push(value);
        }
        if args.positional.len() < positional_slots
            && let Some(t) = &args.template
        {
            return Err(syn::Error::new(
                t.span(),
                format!(
                    "the template has {positional_slots} positional placeholder(s) (`{{}}`) but {} argument(s) follow it",
                    args.positional.len()
                ),
            ));
        }
        Ok(args)
    }
}

fn check_not_empty(name: &str, lit: &LitStr) -> syn::Result<()> {
    if lit.value().trim().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            format!("narrate rule `empty-{name}`: `{name}` must not be empty"),
        ));
    }
    Ok(())
}

fn parse_captured(input: ParseStream<'_>) -> syn::Result<(Capture, Expr)> {
    let capture = if input.peek(Token![%]) {
        input.parse::<Token![%]>()?;
        Capture::Display
    } else if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        Capture::Debug
    } else {
        Capture::Value
    };
    Ok((capture, input.parse()?))
}

fn push_field(fields: &mut Vec<Field>, field: Field) -> syn::Result<()> {
    if fields.iter().any(|f| f.name == field.name) {
        return Err(syn::Error::new(
            field.span,
            format!("field `{}` is given twice", field.name),
        ));
    }
    fields.push(field);
    Ok(())
}

/// How many positional arguments the template takes (`{}` count, or one
/// past the highest `{N}`).
fn count_positional(lit: &LitStr) -> syn::Result<usize> {
    let mut next = 0usize;
    let mut max = 0usize;
    for piece in parse_template(lit)? {
        if let TemplatePiece::Formatted { arg, .. } = piece {
            match arg {
                ArgRef::Next => {
                    next += 1;
                    max = max.max(next);
                }
                ArgRef::Index(i) => max = max.max(i + 1),
                ArgRef::Name(_) => {}
            }
        }
    }
    Ok(max)
}

/// Where a placeholder's value comes from.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum ArgRef {
    /// `{}`: the next positional argument.
    Next,
    /// `{0}`: positional argument N.
    Index(usize),
    /// `{name:spec}`: a field or variable.
    Name(String),
}

/// A parsed format spec, `[[fill]align][+]['#']['0'][width]['.' precision][type]`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    fill: char,
    align: &'static str,
    plus: bool,
    alternate: bool,
    zero: bool,
    width: Option<u16>,
    precision: Option<u16>,
    kind: &'static str,
}

impl Spec {
    fn auto_kind(&self) -> Option<AutoKind> {
        match self.kind {
            "Display" => Some(AutoKind::Display),
            "Debug" if self.alternate => Some(AutoKind::DebugPretty),
            "Debug" => Some(AutoKind::Debug),
            // Hex, octal, binary, exponent: numbers only, always raw.
            _ => None,
        }
    }

    fn tokens(&self, private: &TokenStream2) -> TokenStream2 {
        let Spec {
            fill,
            align,
            plus,
            alternate,
            zero,
            width,
            precision,
            kind,
        } = self;
        let align = Ident::new(align, Span::call_site());
        let kind = Ident::new(kind, Span::call_site());
        let opt = |v: &Option<u16>| match v {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let (width, precision) = (opt(width), opt(precision));
        quote!(&#private::FormatSpec {
            fill: #fill,
            align: #private::Align::#align,
            plus: #plus,
            alternate: #alternate,
            zero: #zero,
            width: #width,
            precision: #precision,
            kind: #private::SpecKind::#kind,
        })
    }
}

fn parse_spec(spec: &str, lit: &LitStr) -> syn::Result<Spec> {
    let err = |msg: String| syn::Error::new(lit.span(), msg);
    if spec.contains('$') || spec.contains('*') {
        return Err(err(format!(
            "format spec `{spec}`: width and precision arguments (`name$`, `.*`) are not supported; write the number"
        )));
    }
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let align_of = |c: char| match c {
        '<' => Some("Left"),
        '>' => Some("Right"),
        '^' => Some("Center"),
        _ => None,
    };
    let mut s = Spec {
        fill: ' ',
        align: "Unset",
        plus: false,
        alternate: false,
        zero: false,
        width: None,
        precision: None,
        kind: "Display",
    };
    if chars.len() >= 2
        && let Some(a) = align_of(chars[1])
    {
        s.fill = chars[0];
        s.align = a;
        i = 2;
    } else if let Some(a) = chars.first().copied().and_then(align_of) {
        s.align = a;
        i = 1;
    }
    if chars.get(i) == Some(&'+') {
        s.plus = true;
        i += 1;
    } else if chars.get(i) == Some(&'-') {
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        s.alternate = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        s.zero = true;
        i += 1;
    }
    let number = |i: &mut usize| -> Option<u16> {
        let start = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        (start < *i).then(|| chars[start..*i].iter().collect::<String>().parse().ok())?
    };
    s.width = number(&mut i);
    if chars.get(i) == Some(&'.') {
        i += 1;
        s.precision = number(&mut i);
        if s.precision.is_none() {
            return Err(err(format!(
                "format spec `{spec}`: precision must be a number (`.*` and `.name$` are not supported)"
            )));
        }
    }
    if chars.get(i) == Some(&'$') {
        return Err(err(format!(
            "format spec `{spec}`: width and precision arguments (`name$`) are not supported; write the number"
        )));
    }
    let rest: String = chars[i..].iter().collect();
    s.kind = match rest.as_str() {
        "" => "Display",
        "?" => "Debug",
        "x" => "LowerHex",
        "X" => "UpperHex",
        "o" => "Octal",
        "b" => "Binary",
        "e" => "LowerExp",
        "E" => "UpperExp",
        other => {
            return Err(err(format!(
                "format spec `{spec}`: unknown or unsupported type `{other}` (use one of ?, x, X, o, b, e, E)"
            )));
        }
    };
    Ok(s)
}

pub(crate) enum TemplatePiece {
    Literal(String),
    /// `{name}`: a field or variable, no format spec.
    Field(String),
    /// `{}`, `{0}`, `{:spec}`, `{name:spec}`.
    Formatted {
        arg: ArgRef,
        spec: Option<Spec>,
    },
}

/// Splits a template at its placeholders; `{{` and `}}` are literal braces.
pub(crate) fn parse_template(lit: &LitStr) -> syn::Result<Vec<TemplatePiece>> {
    let text = lit.value();
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
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => inner.push(c),
                        None => {
                            return Err(syn::Error::new(
                                lit.span(),
                                "unclosed `{` in template (write `{{` for a literal brace)",
                            ));
                        }
                    }
                }
                let (name, spec) = match inner.split_once(':') {
                    Some((n, s)) => (n.trim().to_string(), Some(parse_spec(s, lit)?)),
                    None => (inner.trim().to_string(), None),
                };
                let arg = if name.is_empty() {
                    ArgRef::Next
                } else if let Ok(i) = name.parse::<usize>() {
                    ArgRef::Index(i)
                } else if syn::parse_str::<Ident>(&name).is_ok() {
                    ArgRef::Name(name.strip_prefix("r#").unwrap_or(&name).to_string())
                } else {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!(
                            "`{{{inner}}}` is not a placeholder: placeholders are `{{}}`, `{{0}}`, `{{name}}`, optionally with a format spec (`{{name:>8}}`)"
                        ),
                    ));
                };
                if !literal.is_empty() {
                    pieces.push(TemplatePiece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(match (arg, spec) {
                    (ArgRef::Name(n), None) => TemplatePiece::Field(n),
                    (arg, spec) => TemplatePiece::Formatted { arg, spec },
                });
            }
            '}' => {
                return Err(syn::Error::new(
                    lit.span(),
                    "unmatched `}` in template (write `}}` for a literal brace)",
                ));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(TemplatePiece::Literal(literal));
    }
    Ok(pieces)
}

/// A name for a positional argument's field: the variable or dotted path it
/// names (`{}` with `user.id` records `user.id`), else `argN`.
fn positional_name(expr: &Expr, index: usize, taken: &[Field]) -> String {
    fn path_of(e: &Expr) -> Option<String> {
        match e {
            Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                Some(unraw(&p.path.segments[0].ident))
            }
            Expr::Field(f) => match &f.member {
                syn::Member::Named(n) => Some(format!("{}.{}", path_of(&f.base)?, unraw(n))),
                syn::Member::Unnamed(i) => Some(format!("{}.{}", path_of(&f.base)?, i.index)),
            },
            Expr::Reference(r) => path_of(&r.expr),
            Expr::Paren(p) => path_of(&p.expr),
            _ => None,
        }
    }
    match path_of(expr) {
        Some(name) if !taken.iter().any(|f| f.name == name) => name,
        _ => format!("arg{index}"),
    }
}

fn capture_for(spec: Option<&Spec>) -> Capture {
    match spec {
        None => Capture::Auto(AutoKind::Display),
        Some(s) => s.auto_kind().map_or(Capture::Value, Capture::Auto),
    }
}

pub(crate) fn expand(args: EventArgs) -> syn::Result<TokenStream2> {
    expand_as(args, false)
}

/// `audit` selects `Kind::Audit` and the always-blocking `emit_audit`.
pub(crate) fn expand_as(args: EventArgs, audit: bool) -> syn::Result<TokenStream2> {
    let EventArgs {
        krate,
        enabled_value,
        level,
        template,
        actor,
        action,
        cute,
        story,
        mut fields,
        parent,
        positional,
    } = args;
    let private = quote!(#krate::__private);
    let (kind, emit, level_arg) = if audit {
        (quote!(Audit), quote!(emit_audit), quote!())
    } else {
        (
            quote!(Event),
            quote!(emit),
            quote!(#private::Level::#level,),
        )
    };

    let template_text = template.as_ref().map(LitStr::value).unwrap_or_default();
    if let Some(lit) = &template {
        check_human_length(lit)?;
    }
    let pieces = match &template {
        Some(lit) => parse_template(lit)?,
        None => Vec::new(),
    };
    // Placeholders that name no field capture the variable of that name,
    // spanned at the template so an unknown name is reported there.
    // Positional arguments become fields when first referenced.
    let template_span = template.as_ref().map_or_else(Span::call_site, LitStr::span);
    let mut positional_field: Vec<Option<usize>> = vec![None; positional.len()];
    let mut next_positional = 0usize;
    // (field index, spec) per piece; `None` for literals.
    let mut resolved: Vec<Option<(usize, Option<Spec>)>> = Vec::with_capacity(pieces.len());
    for piece in &pieces {
        let (arg, spec) = match piece {
            TemplatePiece::Literal(_) => {
                resolved.push(None);
                continue;
            }
            TemplatePiece::Field(name) => (ArgRef::Name(name.clone()), None),
            TemplatePiece::Formatted { arg, spec } => (arg.clone(), spec.clone()),
        };
        let index = match arg {
            ArgRef::Name(name) => match fields.iter().position(|f| f.name == name) {
                Some(i) => i,
                None => {
                    let ident = Ident::new(&name, template_span);
                    fields.push(Field::new(
                        name,
                        template_span,
                        capture_for(spec.as_ref()),
                        syn::parse_quote_spanned!(template_span=> #ident),
                    ));
                    fields.len() - 1
                }
            },
            ArgRef::Next | ArgRef::Index(_) => {
                let p = match arg {
                    ArgRef::Index(i) => i,
                    _ => {
                        next_positional += 1;
                        next_positional - 1
                    }
                };
                let Some(expr) = positional.get(p) else {
                    return Err(syn::Error::new(
                        template_span,
                        format!(
                            "placeholder {{{p}}} has no argument: {} positional argument(s) follow the template",
                            positional.len()
                        ),
                    ));
                };
                match positional_field[p] {
                    Some(i) => i,
                    None => {
                        let name = positional_name(expr, p, &fields);
                        fields.push(Field::new(
                            name,
                            expr.span(),
                            capture_for(spec.as_ref()),
                            expr.clone(),
                        ));
                        positional_field[p] = Some(fields.len() - 1);
                        fields.len() - 1
                    }
                }
            }
        };
        resolved.push(Some((index, spec)));
    }
    if let Some(p) = positional_field.iter().position(Option::is_none) {
        return Err(syn::Error::new(
            positional[p].span(),
            "argument never used: no placeholder of the template refers to it",
        ));
    }
    if fields.len() > u16::MAX as usize {
        return Err(syn::Error::new(Span::call_site(), "too many fields"));
    }

    let index_of = |name: &str| fields.iter().position(|f| f.name == name);
    let piece_tokens = pieces.iter().zip(&resolved).map(|(p, r)| match (p, r) {
        (TemplatePiece::Literal(s), _) => quote!(#private::Piece::Literal(#s)),
        (_, Some((i, None))) => {
            let i = *i as u16;
            quote!(#private::Piece::Field(#i))
        }
        (_, Some((i, Some(spec)))) => {
            let i = *i as u16;
            let spec = spec.tokens(&private);
            quote!(#private::Piece::Formatted(#i, #spec))
        }
        (_, None) => unreachable!("every placeholder is resolved"),
    });
    let optional_index = |name: &str| match index_of(name) {
        Some(i) => {
            let i = i as u16;
            quote!(::core::option::Option::Some(#i))
        }
        None => quote!(::core::option::Option::None),
    };
    let target = optional_index("target");
    let correlation = optional_index("correlation_id");
    let names = fields.iter().map(|f| f.name.clone());
    let actor = match actor {
        Some(a) => quote!(#a),
        None => quote!(::core::module_path!()),
    };
    let action = action.map_or_else(|| quote!(""), |a| quote!(#a));
    let cute_or_story = |t: Option<LitStr>| match t {
        Some(t) => {
            quote!(if #private::CUTE_MODE { ::core::option::Option::Some(#t) } else { ::core::option::Option::None })
        }
        None => quote!(::core::option::Option::None),
    };
    let cute = cute_or_story(cute);
    let story = cute_or_story(story);

    let vars: Vec<Ident> = (0..fields.len())
        .map(|i| format_ident!("__narrate_v{}", i))
        .collect();
    let values = fields.iter().map(|f| {
        let v = &f.value;
        match f.capture {
            Capture::Value => quote_spanned!(v.span()=> &(#v)),
            Capture::Display => quote_spanned!(v.span()=> &#private::AsDisplay(&(#v))),
            Capture::Debug => quote_spanned!(v.span()=> &#private::AsDebug(&(#v))),
            Capture::Auto(AutoKind::Display) => {
                quote_spanned!(v.span()=> &(&&#private::Wrap(&(#v))).narrate_display())
            }
            Capture::Auto(AutoKind::Debug) => {
                quote_spanned!(v.span()=> &(&&#private::Wrap(&(#v))).narrate_debug())
            }
            Capture::Auto(AutoKind::DebugPretty) => {
                quote_spanned!(v.span()=> &(&&#private::Wrap(&(#v))).narrate_debug_pretty())
            }
        }
    });
    let lens = vars
        .iter()
        .map(|v| quote!(+ #private::Encode::encoded_len(#v)));
    let encodes = vars
        .iter()
        .map(|v| quote!(#private::Encode::encode(#v, __narrate_w);));

    let (on_tail, off_branch) = match &enabled_value {
        Some(v) => (
            quote!(::core::option::Option::Some(#v)),
            quote!(else { ::core::option::Option::None }),
        ),
        None => (quote!(), quote!()),
    };
    let parent_scope = parent
        .map(|p| quote_spanned!(p.span()=> let __narrate_parent = #private::enter_parent(&(#p));));
    Ok(quote! {
        {
            #[allow(unused_imports)]
            use #private::{FmtRawDisplay as _, FmtDisplay as _, FmtRawDebug as _, FmtDebug as _};
            static __NARRATE_CALLSITE: #private::Callsite = #private::Callsite::new(#private::Metadata {
                level: #private::Level::#level,
                kind: #private::Kind::#kind,
                actor: #actor,
                action: #action,
                template: #template_text,
                pieces: &[#(#piece_tokens),*],
                fields: &[#(#names),*],
                target: #target,
                correlation_id: #correlation,
                cute: #cute,
                story: #story,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
            });
            if let ::core::option::Option::Some(__narrate_id) = __NARRATE_CALLSITE.enabled_id() {
                #parent_scope
                #[allow(unused_parens)]
                match (#(#values,)*) {
                    (#(#vars,)*) => {
                        let __narrate_len = 0usize #(#lens)*;
                        #private::#emit(__narrate_id, #level_arg __narrate_len, |__narrate_w| {
                            let _ = &__narrate_w;
                            #(#encodes)*
                        });
                    }
                }
                #on_tail
            } #off_branch
        }
    })
}

/// `event!` with `Kind::Audit`: the engine behind `audit!` (hidden).
#[doc(hidden)]
#[proc_macro]
pub fn audit_event(input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(input as EventArgs);
    expand_as(args, true)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The engine behind narrate's logging macros; use those instead.
#[proc_macro]
pub fn event(input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(input as EventArgs);
    expand(args)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `[target: …, parent: …,] Level, rest` as the dispatching macros take it.
struct Dispatch {
    krate: TokenTree,
    leading: TokenStream2,
    level: Ident,
    rest: TokenStream2,
}

impl Parse for Dispatch {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate: TokenTree = input.parse()?;
        input.parse::<Token![,]>()?;
        // `tracing` allows `target:` and `parent:` before the level.
        let mut leading = TokenStream2::new();
        while input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let key: Ident = input.parse()?;
            let colon: Token![:] = input.parse()?;
            let value: Expr = input.parse()?;
            input.parse::<Token![,]>()?;
            leading.extend(quote!(#key #colon #value,));
        }
        let level = parse_level(input)?;
        let rest = if input.is_empty() {
            TokenStream2::new()
        } else {
            input.parse::<Token![,]>()?;
            input.parse()?
        };
        Ok(Dispatch {
            krate,
            leading,
            level,
            rest,
        })
    }
}

/// `narrate!(Level::X, …)`: forwards to the level's own macro (`x!(…)`), so
/// that the level macros' compile-out applies to `narrate!` as well.
#[proc_macro]
pub fn dispatch_level(input: TokenStream) -> TokenStream {
    let Dispatch {
        krate,
        leading,
        level,
        rest,
    } = syn::parse_macro_input!(input as Dispatch);
    let mac = Ident::new(&level.to_string().to_lowercase(), level.span());
    quote!(#krate::#mac!(#leading #rest)).into()
}

/// `#[trace_fn]`: Trace events on entry (with the arguments) and exit (with
/// the elapsed time and the result). Options: `skip(a, b)`, `skip_all`,
/// `no_result`.
#[proc_macro_attribute]
pub fn trace_fn(attr: TokenStream, item: TokenStream) -> TokenStream {
    attrs::trace_fn(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `#[narrate(actor = "…", action = "…", human = "…{arg}…")]`: one narration
/// event per call, its template checked against the function's arguments,
/// `{elapsed_ms}` and `{result}`. Options: `level = "info"` (default),
/// `cute = "…"`, `story = "…"`.
#[proc_macro_attribute]
pub fn narrate(attr: TokenStream, item: TokenStream) -> TokenStream {
    attrs::narrate(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The engine behind `span!`, `info_span!` & co.: `span!(krate, Level, "name", fields…)`.
///
/// Expands to a `static` call site of kind `Span` whose fields are
/// `span_id`, `parent_id` and the span's own, and to
/// `Span::new_recorded(…)` when the call site is enabled, `Span::none()`
/// otherwise (the fields are then not evaluated).
#[proc_macro]
pub fn span(input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(input as EventArgs);
    expand_span(args)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

pub(crate) fn expand_span(args: EventArgs) -> syn::Result<TokenStream2> {
    let EventArgs {
        krate,
        level,
        template,
        actor,
        action,
        cute,
        story,
        fields,
        parent,
        positional,
        enabled_value: _,
    } = args;
    let private = quote!(#krate::__private);
    let Some(name) = template else {
        return Err(syn::Error::new(
            Span::call_site(),
            "a span needs a name: `info_span!(\"name\", field = value, …)`",
        ));
    };
    if name.value().is_empty() {
        return Err(syn::Error::new(
            name.span(),
            "a span name must not be empty",
        ));
    }
    if let Some(p) = positional.first() {
        return Err(syn::Error::new(
            p.span(),
            "span names are not templates: positional arguments are not allowed",
        ));
    }
    if let Some(extra) = action.or(cute).or(story) {
        return Err(syn::Error::new(
            extra.span(),
            "spans take a name and fields; `action`, `cute` and `story` are for events",
        ));
    }
    let actor = match actor {
        Some(a) => quote!(#a),
        None => quote!(::core::module_path!()),
    };
    let names = fields.iter().map(|f| f.name.clone());
    let vars: Vec<Ident> = (0..fields.len())
        .map(|i| format_ident!("__narrate_v{}", i))
        .collect();
    let values = fields.iter().map(|f| {
        let v = &f.value;
        match f.capture {
            Capture::Value => quote_spanned!(v.span()=> &(#v)),
            Capture::Display => quote_spanned!(v.span()=> &#private::AsDisplay(&(#v))),
            Capture::Debug => quote_spanned!(v.span()=> &#private::AsDebug(&(#v))),
            Capture::Auto(_) => {
                quote_spanned!(v.span()=> &(&&#private::Wrap(&(#v))).narrate_display())
            }
        }
    });
    let lens = vars
        .iter()
        .map(|v| quote!(+ #private::Encode::encoded_len(#v)));
    let encodes = vars
        .iter()
        .map(|v| quote!(#private::Encode::encode(#v, __narrate_w);));
    let parent = match parent {
        Some(p) => {
            quote_spanned!(p.span()=> ::core::option::Option::Some(#private::AsParent::parent_id(&(#p))))
        }
        None => quote!(::core::option::Option::None),
    };
    Ok(quote! {
        {
            #[allow(unused_imports)]
            use #private::{FmtRawDisplay as _, FmtDisplay as _};
            static __NARRATE_CALLSITE: #private::Callsite = #private::Callsite::new(#private::Metadata {
                level: #private::Level::#level,
                kind: #private::Kind::Span,
                actor: #actor,
                action: #name,
                template: "",
                pieces: &[],
                fields: &["span_id", "parent_id", #(#names),*],
                target: ::core::option::Option::None,
                correlation_id: ::core::option::Option::None,
                cute: ::core::option::Option::None,
                story: ::core::option::Option::None,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
            });
            match __NARRATE_CALLSITE.enabled_id() {
                ::core::option::Option::Some(__narrate_id) => {
                    let __narrate_parent = #parent;
                    #[allow(unused_parens)]
                    match (#(#values,)*) {
                        (#(#vars,)*) => {
                            let __narrate_len = 0usize #(#lens)*;
                            #private::Span::new_recorded(__narrate_id, #private::Level::#level, __narrate_parent, __narrate_len, |__narrate_w| {
                                let _ = &__narrate_w;
                                #(#encodes)*
                            })
                        }
                    }
                }
                ::core::option::Option::None => #private::Span::none(),
            }
        }
    })
}

/// `span!(Level::X, "name", …)`: forwards to `x_span!(…)`, so compile-out
/// applies.
#[proc_macro]
pub fn dispatch_span(input: TokenStream) -> TokenStream {
    let Dispatch {
        krate,
        leading,
        level,
        rest,
    } = syn::parse_macro_input!(input as Dispatch);
    let mac = format_ident!(
        "{}_span",
        level.to_string().to_lowercase(),
        span = level.span()
    );
    quote!(#krate::#mac!(#leading #rest)).into()
}
