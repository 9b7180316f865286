//! `#[trace_fn]` and `#[narrate(…)]`: function attributes built on the same
//! event expansion as the macros, so their events take the same hot path.
//!
//! The function body runs inside a closure (an `async` block for `async fn`)
//! so that its result, including early `return`s and `?`, can be recorded
//! before it is returned. Arguments and results are recorded through
//! autoref specialisation (see `narrate::encode_auto`): raw bytes when the
//! type implements `Encode`, the error chain for errors, `Debug` text
//! otherwise, and the type name as a last resort. The whole instrumentation
//! sits behind `__level_gate!`, so a compiled-out level leaves the original
//! function untouched.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, LitStr, Meta, Pat, ReturnType, Token, Type};

use crate::{Capture, EventArgs, Field, TemplatePiece, check_human_length, expand, parse_template};

/// The identifiers of the plain `name: Type` arguments, in order.
fn arg_idents(func: &ItemFn) -> Vec<Ident> {
    func.sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(pi) => Some(pi.ident.clone()),
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect()
}

fn auto_value(expr: TokenStream) -> Expr {
    syn::parse_quote!((&&&&::narrate::__private::Wrap(&#expr)).narrate_value())
}

fn field(name: &str, value: Expr) -> Field {
    Field::new(name, Span::call_site(), Capture::Value, value)
}

fn lit(text: &str) -> LitStr {
    LitStr::new(text, Span::call_site())
}

fn event(
    level: &str,
    action: &str,
    human: &str,
    fields: Vec<Field>,
    enabled_value: Option<TokenStream>,
) -> syn::Result<TokenStream> {
    expand(EventArgs {
        krate: quote!(::narrate),
        level: Ident::new(level, Span::call_site()),
        template: Some(lit(human)),
        actor: None,
        action: Some(lit(action)),
        cute: None,
        story: None,
        fields,
        parent: None,
        positional: Vec::new(),
        enabled_value,
    })
}

/// How the return type is recorded.
enum Output {
    Unit,
    Result,
    Other,
}

fn output_kind(output: &ReturnType) -> Output {
    match output {
        ReturnType::Default => Output::Unit,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => Output::Unit,
            Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Result") => {
                Output::Result
            }
            _ => Output::Other,
        },
    }
}

/// `: T` for the result binding when `T` can be named (not `impl Trait`),
/// which lets `?` in the body infer its error type.
fn result_annotation(output: &ReturnType) -> (TokenStream, TokenStream) {
    match output {
        ReturnType::Type(_, ty) if !ty.to_token_stream().to_string().contains("impl ") => {
            (quote!(: #ty), quote!(-> #ty))
        }
        ReturnType::Default => (quote!(: ()), quote!(-> ())),
        _ => (quote!(), quote!()),
    }
}

/// Runs the original body, capturing its result in `__narrate_result`.
fn run_body(func: &ItemFn, moving: bool) -> TokenStream {
    let body = &func.block;
    let (annotation, closure_ret) = result_annotation(&func.sig.output);
    let mv = if moving { quote!(move) } else { quote!() };
    if func.sig.asyncness.is_some() {
        quote!(let __narrate_result #annotation = async #mv #body.await;)
    } else {
        quote! {
            #[allow(clippy::redundant_closure_call)]
            let __narrate_result #annotation = (|| #closure_ret #body)();
        }
    }
}

fn gate(level: &str, instrumented: TokenStream, func: &ItemFn) -> TokenStream {
    let level = Ident::new(&level.to_lowercase(), Span::call_site());
    let original = &func.block;
    quote!({
        ::narrate::__level_gate!(#level, {
            #[allow(unused_imports)]
            use ::narrate::__private::{ViaDebug as _, ViaEncode as _, ViaError as _, ViaTypeName as _};
            #instrumented
        }, { #original })
    })
}

struct TraceFnOptions {
    skip: Vec<Ident>,
    skip_all: bool,
    no_result: bool,
}

fn trace_fn_options(attr: TokenStream) -> syn::Result<TraceFnOptions> {
    let mut opts = TraceFnOptions {
        skip: Vec::new(),
        skip_all: false,
        no_result: false,
    };
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr)?;
    for meta in metas {
        match &meta {
            Meta::Path(p) if p.is_ident("skip_all") => opts.skip_all = true,
            Meta::Path(p) if p.is_ident("no_result") => opts.no_result = true,
            Meta::List(list) if list.path.is_ident("skip") => {
                let names =
                    list.parse_args_with(Punctuated::<Ident, Token![,]>::parse_terminated)?;
                opts.skip.extend(names);
            }
            _ => {
                return Err(syn::Error::new(
                    meta.span(),
                    "unknown #[trace_fn] option; expected `skip(arg, …)`, `skip_all` or `no_result`",
                ));
            }
        }
    }
    Ok(opts)
}

pub fn trace_fn(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let opts = trace_fn_options(attr)?;
    let mut func: ItemFn = syn::parse2(item)?;
    let name = func.sig.ident.to_string();
    let args = arg_idents(&func);
    for skipped in &opts.skip {
        if !args.contains(skipped) {
            return Err(syn::Error::new(
                skipped.span(),
                format!("`{skipped}` in skip(…) is not an argument of `{name}`"),
            ));
        }
    }
    let recorded = args
        .iter()
        .filter(|a| !opts.skip_all && !opts.skip.contains(a))
        .map(|a| {
            Field::new(
                a.to_string(),
                a.span(),
                Capture::Value,
                auto_value(a.to_token_stream()),
            )
        })
        .collect();
    let enter = event(
        "Trace",
        "enter",
        &format!("enter {name}"),
        recorded,
        Some(quote!(::narrate::__private::now_raw())),
    )?;
    let elapsed = || field("elapsed_ns", syn::parse_quote!(__narrate_elapsed));
    let exit_human = format!("exit {name}");
    let exit = match (opts.no_result, output_kind(&func.sig.output)) {
        (true, _) | (_, Output::Unit) => {
            event("Trace", "exit", &exit_human, vec![elapsed()], None)?
        }
        (false, Output::Result) => {
            let ok = event(
                "Trace",
                "exit",
                &exit_human,
                vec![
                    elapsed(),
                    field("outcome", syn::parse_quote!("ok")),
                    field("result", auto_value(quote!(*__narrate_ok))),
                ],
                None,
            )?;
            let err = event(
                "Trace",
                "exit",
                &exit_human,
                vec![
                    elapsed(),
                    field("outcome", syn::parse_quote!("err")),
                    field("error", auto_value(quote!(*__narrate_err))),
                ],
                None,
            )?;
            quote! {
                match &__narrate_result {
                    ::core::result::Result::Ok(__narrate_ok) => #ok,
                    ::core::result::Result::Err(__narrate_err) => #err,
                }
            }
        }
        (false, Output::Other) => event(
            "Trace",
            "exit",
            &exit_human,
            vec![
                elapsed(),
                field("result", auto_value(quote!(__narrate_result))),
            ],
            None,
        )?,
    };
    // The call runs inside a Trace span named after the function, with the
    // recorded arguments as its fields, so events logged by the body carry
    // them. Sync bodies enter it with a guard; async bodies are instrumented
    // (entered on every poll, never held across an `.await`).
    let span_fields = args
        .iter()
        .filter(|a| !opts.skip_all && !opts.skip.contains(a))
        .map(|a| {
            Field::new(
                a.to_string(),
                a.span(),
                Capture::Value,
                auto_value(a.to_token_stream()),
            )
        })
        .collect();
    let span = crate::expand_span(EventArgs {
        krate: quote!(::narrate),
        level: Ident::new("Trace", Span::call_site()),
        template: Some(lit(&name)),
        actor: None,
        action: None,
        cute: None,
        story: None,
        fields: span_fields,
        parent: None,
        positional: Vec::new(),
        enabled_value: None,
    })?;
    let run = if func.sig.asyncness.is_some() {
        let body = &func.block;
        let (annotation, _) = result_annotation(&func.sig.output);
        quote! {
            let __narrate_result #annotation =
                ::narrate::Instrument::instrument(async move #body, __narrate_span).await;
        }
    } else {
        let run = run_body(&func, true);
        quote! {
            let __narrate_entered = __narrate_span.enter();
            #run
            drop(__narrate_entered);
        }
    };
    let instrumented = quote! {
        let __narrate_span: ::narrate::Span = #span;
        let __narrate_start: ::core::option::Option<u64> = #enter;
        #run
        if let ::core::option::Option::Some(__narrate_t0) = __narrate_start {
            let __narrate_elapsed: u64 = ::narrate::__private::elapsed_ns(__narrate_t0);
            #exit
        }
        __narrate_result
    };
    let block = gate("Trace", instrumented, &func);
    *func.block = syn::parse2(block)?;
    Ok(func.into_token_stream())
}

#[derive(Default)]
struct NarrateOptions {
    actor: Option<LitStr>,
    action: Option<LitStr>,
    human: Option<LitStr>,
    cute: Option<LitStr>,
    story: Option<LitStr>,
    level: Option<LitStr>,
}

fn narrate_options(attr: TokenStream) -> syn::Result<NarrateOptions> {
    let mut opts = NarrateOptions::default();
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr)?;
    for meta in metas {
        let Meta::NameValue(nv) = &meta else {
            return Err(syn::Error::new(
                meta.span(),
                "expected `key = \"…\"`; keys: actor, action, human, cute, story, level",
            ));
        };
        let key = nv
            .path
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        let value = match &nv.value {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => s.clone(),
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    format!("`{key}` must be a string literal"),
                ));
            }
        };
        let slot = match key.as_str() {
            "actor" => &mut opts.actor,
            "action" => &mut opts.action,
            "human" => &mut opts.human,
            "cute" => &mut opts.cute,
            "story" => &mut opts.story,
            "level" => &mut opts.level,
            _ => {
                return Err(syn::Error::new(
                    nv.path.span(),
                    format!(
                        "unknown #[narrate] key `{key}`; keys: actor, action, human, cute, story, level"
                    ),
                ));
            }
        };
        if slot.is_some() {
            return Err(syn::Error::new(
                nv.path.span(),
                format!("`{key}` is given twice"),
            ));
        }
        if matches!(key.as_str(), "actor" | "action") && value.value().trim().is_empty() {
            return Err(syn::Error::new(
                value.span(),
                format!("narrate rule `empty-{key}`: `{key}` must not be empty"),
            ));
        }
        *slot = Some(value);
    }
    Ok(opts)
}

pub fn narrate(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let opts = narrate_options(attr)?;
    let mut func: ItemFn = syn::parse2(item)?;
    let name = func.sig.ident.to_string();
    let Some(human) = opts.human.clone() else {
        return Err(syn::Error::new(
            Span::call_site(),
            "#[narrate] needs `human = \"…\"`: the template of the event",
        ));
    };
    check_human_length(&human)?;
    let level = match &opts.level {
        None => "Info".to_string(),
        Some(l) => {
            let v = l.value().to_lowercase();
            match v.as_str() {
                "trace" | "debug" | "info" | "warn" | "error" | "fatal" => {
                    let mut c = v.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                }
                _ => {
                    return Err(syn::Error::new(
                        l.span(),
                        "level must be one of trace, debug, info, warn, error, fatal",
                    ));
                }
            }
        }
    };
    let args = arg_idents(&func);
    let mut placeholders: Vec<String> = Vec::new();
    for piece in parse_template(&human)? {
        if let TemplatePiece::Field(p) = piece
            && !placeholders.contains(&p)
        {
            placeholders.push(p);
        }
    }
    let mut fields = Vec::new();
    let mut at_exit = false;
    let mut timed = false;
    for p in &placeholders {
        let value = match p.as_str() {
            "elapsed_ms" => {
                at_exit = true;
                timed = true;
                syn::parse_quote!(__narrate_elapsed_ms)
            }
            "result" => {
                at_exit = true;
                auto_value(quote!(__narrate_result))
            }
            _ => match args.iter().find(|a| *a == p.as_str()) {
                Some(arg) => auto_value(arg.to_token_stream()),
                None => {
                    let mut known: Vec<String> = args.iter().map(Ident::to_string).collect();
                    known.extend(["elapsed_ms".into(), "result".into()]);
                    return Err(syn::Error::new(
                        human.span(),
                        format!(
                            "placeholder `{{{p}}}` is not an argument of `{name}`; available: {}",
                            known.join(", ")
                        ),
                    ));
                }
            },
        };
        fields.push(Field::new(p.clone(), human.span(), Capture::Value, value));
    }
    let emit = expand(EventArgs {
        krate: quote!(::narrate),
        level: Ident::new(&level, Span::call_site()),
        template: Some(human),
        actor: opts.actor.map(|a| syn::parse_quote!(#a)),
        action: opts.action,
        cute: opts.cute,
        story: opts.story,
        fields,
        parent: None,
        positional: Vec::new(),
        enabled_value: None,
    })?;
    let instrumented = if at_exit {
        // Arguments named in the template are read after the body ran, so
        // the body runs in a non-`move` closure: it must not consume them.
        let run = run_body(&func, false);
        let start = if timed {
            quote!(let __narrate_t0 = ::narrate::__private::now_raw();)
        } else {
            quote!()
        };
        let elapsed = if timed {
            quote!(let __narrate_elapsed_ms: f64 = ::narrate::__private::elapsed_ns(__narrate_t0) as f64 / 1e6;)
        } else {
            quote!()
        };
        quote! {
            #start
            #run
            #elapsed
            #emit;
            __narrate_result
        }
    } else {
        let body = &func.block;
        quote! {
            #emit;
            #body
        }
    };
    let block = gate(&level, instrumented, &func);
    *func.block = syn::parse2(block)?;
    Ok(func.into_token_stream())
}
