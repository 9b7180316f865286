//! `--plot PATH`: caller_latency's percentiles of every logger on a log
//! scale, as SVG or PNG (by the extension), drawn with `plotters`.
//!
//! Text needs a TrueType font: plotters is built with `ab_glyph` only (no
//! fontconfig, no system library), and the font is read at run time from
//! the usual system locations (DejaVu Sans, Liberation Sans, …); none is
//! shipped in the repository.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::{Machine, Row};

/// Where a sans-serif TrueType font is usually found on Linux and macOS.
const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
];

/// Reads the first font found and registers it as plotters' "sans-serif".
fn register_font() -> Result<(), String> {
    let from_env = std::env::var_os("NARRATE_BENCH_FONT").map(std::path::PathBuf::from);
    let candidates = from_env
        .into_iter()
        .chain(FONT_PATHS.iter().map(std::path::PathBuf::from));
    for path in candidates {
        if let Ok(bytes) = std::fs::read(&path) {
            // plotters keeps fonts for the life of the process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                return Ok(());
            }
        }
    }
    Err(format!(
        "no TrueType font found (looked for {}; set NARRATE_BENCH_FONT to a .ttf file)",
        FONT_PATHS.join(", ")
    ))
}

/// The four statistics drawn, with their colours.
const SERIES: [(&str, RGBColor); 4] = [
    ("median (batch avg)", RGBColor(31, 119, 180)),
    ("p99", RGBColor(44, 160, 44)),
    ("p99.9", RGBColor(255, 127, 14)),
    ("max", RGBColor(214, 39, 40)),
];

fn stat(row: &Row, k: usize) -> Option<f64> {
    match k {
        0 => row.median_ns,
        1 => row.p99_ns,
        2 => row.p999_ns,
        _ => row.max_ns,
    }
    .filter(|v| *v > 0.0)
}

pub(crate) fn latency_plot(rows: &[Row], path: &Path, machine: &Machine) -> Result<(), String> {
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.scenario == "caller_latency" && r.median_ns.is_some())
        .collect();
    if rows.is_empty() {
        return Err("no caller_latency rows to plot".into());
    }
    register_font()?;
    let size = (1200u32, 640u32);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("svg") => draw(
            SVGBackend::new(path, size).into_drawing_area(),
            &rows,
            machine,
        ),
        Some("png") => draw(
            BitMapBackend::new(path, size).into_drawing_area(),
            &rows,
            machine,
        ),
        _ => Err("the plot's extension must be .svg or .png".into()),
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    rows: &[&Row],
    machine: &Machine,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let values = rows.iter().flat_map(|r| (0..4).filter_map(|k| stat(r, k)));
    let lo = values.clone().fold(f64::INFINITY, f64::min).max(0.1);
    let hi = values.fold(0.0, f64::max).max(lo * 10.0);
    let (y0, y1) = (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil()),
    );
    let labels: Vec<String> = rows
        .iter()
        .map(|r| {
            if r.threads > 1 {
                format!("{} ({}t)", r.logger, r.threads)
            } else {
                r.logger.clone()
            }
        })
        .collect();
    let n = rows.len() as f64;
    let caption = format!(
        "caller latency per event, log scale ({}, {} cores, TSC step {:.0} ns)",
        machine.cpu_model, machine.logical_cores, machine.clock.step_ns
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(90)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..n - 0.5, (y0..y1).log_scale())
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(rows.len())
        .x_label_formatter(&|x| {
            let k = x.round();
            if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < labels.len() {
                labels[k as usize].clone()
            } else {
                String::new()
            }
        })
        .x_label_style(
            ("sans-serif", 14)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .y_desc("ns per call")
        .y_label_formatter(&|y| format_ns(*y))
        .draw()
        .map_err(e)?;
    for (k, (name, colour)) in SERIES.iter().enumerate() {
        let offset = (k as f64 - 1.5) * 0.12;
        let points: Vec<(f64, f64)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| stat(r, k).map(|v| (i as f64 + offset, v)))
            .collect();
        let colour = *colour;
        chart
            .draw_series(
                points.iter().map(|&(x, v)| {
                    Rectangle::new([(x - 0.05, y0), (x + 0.05, v)], colour.filled())
                }),
            )
            .map_err(e)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

fn format_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.0} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.0} µs", ns / 1e3)
    } else if ns >= 1.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{ns:.1} ns")
    }
}
