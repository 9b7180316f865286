//! Entry points for the fuzz targets in `fuzz/` (hidden; not an API). They
//! run the backend's own code on arbitrary bytes, so what the fuzzer checks
//! is what the backend does with a corrupt record.

use crate::backend::decode::{Fields, decode_slots};
use crate::callsite::{Kind, Metadata, Piece};
use crate::event::Event;
use crate::format::{Formatter, Style};
use crate::level::Level;

static FUZZ_META: Metadata = Metadata {
    level: Level::Info,
    kind: Kind::Event,
    actor: "fuzz",
    action: "decode",
    template: "{a} {b} {c} {d} {e} {f} {g} {h}",
    pieces: &[
        Piece::Field(0),
        Piece::Literal(" "),
        Piece::Field(1),
        Piece::Literal(" "),
        Piece::Field(2),
        Piece::Literal(" "),
        Piece::Field(3),
        Piece::Literal(" "),
        Piece::Field(4),
        Piece::Literal(" "),
        Piece::Field(5),
        Piece::Literal(" "),
        Piece::Field(6),
        Piece::Literal(" "),
        Piece::Field(7),
    ],
    fields: &["a", "b", "c", "d", "e", "f", "g", "h"],
    target: Some(0),
    correlation_id: Some(1),
    cute: None,
    story: None,
    module_path: "narrate::fuzz",
    file: file!(),
    line: line!(),
};

/// Decodes `payload` (a record without its header) as the eight values of
/// a call site, exactly as the backend does, and formats the event in every
/// style. Returns the lines: JSON, logfmt, pretty, pretty with colour.
pub fn decode_and_format(payload: &[u8], timestamp_ns: u64) -> [Vec<u8>; 4] {
    let mut slots = Vec::new();
    decode_slots(&FUZZ_META, payload, &mut slots);
    let event = Event {
        meta: &FUZZ_META,
        callsite_id: 1,
        timestamp_ns,
        thread_name: "fuzz",
        thread_id: 1,
        fields: Fields::new(payload, &slots),
        scope: crate::span::ScopeView::EMPTY,
    };
    let mut formatter = Formatter::default();
    [
        Style::Json,
        Style::Logfmt,
        Style::Pretty,
        Style::PrettyColor,
    ]
    .map(|style| {
        let mut out = Vec::new();
        formatter.format(style, &event, &mut out);
        out
    })
}
