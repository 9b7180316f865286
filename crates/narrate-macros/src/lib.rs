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
mod template;

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

pub(crate) enum Capture {
    Value,
    Display,
    Debug,
}

pub(crate) struct Field {
    pub name: Ident,
    pub capture: Capture,
    pub value: Expr,
}

pub(crate) struct EventArgs {
    pub krate: TokenStream2,
    pub level: Ident,
    pub template: Option<LitStr>,
    pub actor: Option<LitStr>,
    pub action: Option<LitStr>,
    pub cute: Option<LitStr>,
    pub story: Option<LitStr>,
    pub fields: Vec<Field>,
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

/// A level as a path (`Info`, `Level::Info`, `narrate::Level::Info`).
fn parse_level(input: ParseStream<'_>) -> syn::Result<Ident> {
    let level_path: syn::Path = input.parse()?;
    level_path
        .segments
        .last()
        .map(|s| s.ident.clone())
        .filter(|i| LEVELS.contains(&i.to_string().as_str()))
        .ok_or_else(|| {
            syn::Error::new(
                level_path.span(),
                "expected a level: Trace, Debug, Info, Warn, Error or Fatal (e.g. `Level::Info`)",
            )
        })
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
        };
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            if input.peek(LitStr) {
                let lit: LitStr = input.parse()?;
                if args.template.is_some() {
                    return Err(syn::Error::new(
                        lit.span(),
                        "only one human template is allowed per event",
                    ));
                }
                args.template = Some(lit);
                continue;
            }
            let name: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            if !input.peek(Token![=]) {
                // Shorthand: `name` records the variable `name`.
                args.fields.push(Field {
                    value: syn::parse_quote_spanned!(name.span()=> #name),
                    name,
                    capture: Capture::Value,
                });
                continue;
            }
            input.parse::<Token![=]>()?;
            let slot = match name.to_string().as_str() {
                "actor" => Some(&mut args.actor),
                "action" => Some(&mut args.action),
                "cute" => Some(&mut args.cute),
                "story" => Some(&mut args.story),
                _ => None,
            };
            if let Some(slot) = slot {
                let lit = literal_only(&name, input)?;
                if lit.value().trim().is_empty() {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!("narrate rule `empty-{name}`: `{name}` must not be empty"),
                    ));
                }
                if slot.is_some() {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("`{name}` is given twice"),
                    ));
                }
                *slot = Some(lit);
                continue;
            }
            let capture = if input.peek(Token![%]) {
                input.parse::<Token![%]>()?;
                Capture::Display
            } else if input.peek(Token![?]) {
                input.parse::<Token![?]>()?;
                Capture::Debug
            } else {
                Capture::Value
            };
            let value: Expr = input.parse()?;
            if args.fields.iter().any(|f| f.name == name) {
                return Err(syn::Error::new(
                    name.span(),
                    format!("field `{name}` is given twice"),
                ));
            }
            args.fields.push(Field {
                name,
                capture,
                value,
            });
        }
        Ok(args)
    }
}

pub(crate) use template::TemplatePiece;

/// Splits a template at `{name}` placeholders (see [`template::split`]),
/// errors pointing at the literal.
pub(crate) fn parse_template(lit: &LitStr) -> syn::Result<Vec<TemplatePiece>> {
    template::split(&lit.value()).map_err(|message| syn::Error::new(lit.span(), message))
}

pub(crate) fn expand(args: EventArgs) -> syn::Result<TokenStream2> {
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
    } = args;
    let private = quote!(#krate::__private);

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
    let template_span = template.as_ref().map_or_else(Span::call_site, LitStr::span);
    for piece in &pieces {
        if let TemplatePiece::Field(name) = piece
            && !fields.iter().any(|f| f.name == name.as_str())
        {
            let ident = Ident::new(name, template_span);
            fields.push(Field {
                value: syn::parse_quote_spanned!(template_span=> #ident),
                name: ident,
                capture: Capture::Value,
            });
        }
    }
    if fields.len() > u16::MAX as usize {
        return Err(syn::Error::new(Span::call_site(), "too many fields"));
    }

    let index_of = |name: &str| fields.iter().position(|f| f.name == name);
    let piece_tokens = pieces.iter().map(|p| match p {
        TemplatePiece::Literal(s) => quote!(#private::Piece::Literal(#s)),
        TemplatePiece::Field(name) => {
            let i = index_of(name).expect("every placeholder has a field") as u16;
            quote!(#private::Piece::Field(#i))
        }
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
    let names = fields.iter().map(|f| f.name.to_string());
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
    Ok(quote! {
        {
            static __NARRATE_CALLSITE: #private::Callsite = #private::Callsite::new(#private::Metadata {
                level: #private::Level::#level,
                kind: #private::Kind::Event,
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
                #[allow(unused_parens)]
                match (#(#values,)*) {
                    (#(#vars,)*) => {
                        let __narrate_len = 0usize #(#lens)*;
                        #private::emit(__narrate_id, #private::Level::#level, __narrate_len, |__narrate_w| {
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

/// The engine behind narrate's logging macros; use those instead.
#[proc_macro]
pub fn event(input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(input as EventArgs);
    expand(args)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `narrate!(Level::X, …)`: forwards to the level's own macro (`x!(…)`), so
/// that the level macros' compile-out applies to `narrate!` as well.
#[proc_macro]
pub fn dispatch_level(input: TokenStream) -> TokenStream {
    struct Dispatch {
        krate: TokenTree,
        level: Ident,
        rest: TokenStream2,
    }
    impl Parse for Dispatch {
        fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
            let krate: TokenTree = input.parse()?;
            input.parse::<Token![,]>()?;
            let level = parse_level(input)?;
            let rest = if input.is_empty() {
                TokenStream2::new()
            } else {
                input.parse::<Token![,]>()?;
                input.parse()?
            };
            Ok(Dispatch { krate, level, rest })
        }
    }
    let Dispatch { krate, level, rest } = syn::parse_macro_input!(input as Dispatch);
    let mac = Ident::new(&level.to_string().to_lowercase(), level.span());
    quote!(#krate::#mac!(#rest)).into()
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
