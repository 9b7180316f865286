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
    // One y range for both panels, so that they compare at a glance.
    let values = rows.iter().flat_map(|r| (0..4).filter_map(|k| stat(r, k)));
    let lo = values.clone().fold(f64::INFINITY, f64::min).max(0.1);
    let hi = values.fold(0.0, f64::max).max(lo * 10.0);
    // A decade of room below the smallest value (so that a bar just above
    // a power of ten still shows) and above the largest (for the legend).
    let y = (
        10f64.powf((lo / 2.0).log10().floor()),
        10f64.powf(hi.log10().ceil() + 1.0),
    );
    let caption = format!(
        "caller_latency per event, log scale: {} ({} cores), TSC step {:.0} ns",
        machine.cpu_model, machine.logical_cores, machine.clock.step_ns
    );
    let root = root.titled(&caption, ("sans-serif", 20)).map_err(e)?;
    let mut threads: Vec<u32> = rows.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let panels = root.split_evenly((1, threads.len()));
    for (p, (area, &t)) in panels.iter().zip(&threads).enumerate() {
        let panel: Vec<&Row> = rows.iter().copied().filter(|r| r.threads == t).collect();
        let title = if t == 1 {
            "1 thread".to_string()
        } else {
            format!("{t} threads at once")
        };
        draw_panel(area, &panel, &title, y, p == 0).map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    rows: &[&Row],
    title: &str,
    (y0, y1): (f64, f64),
    legend: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let labels: Vec<String> = rows.iter().map(|r| r.logger.clone()).collect();
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(80)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..n - 0.5, (y0..y1).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        // Logger names are drawn below, rotated: plotters centres rotated
        // axis labels on the axis line.
        .x_labels(rows.len())
        .x_label_formatter(&|_| String::new())
        .y_desc("ns per call")
        .y_label_formatter(&|y| format_ns(*y))
        .draw()?;
    for (k, (name, colour)) in SERIES.iter().enumerate() {
        let offset = (k as f64 - 1.5) * 0.18;
        let colour = *colour;
        let bars = rows.iter().enumerate().filter_map(|(i, r)| {
            let x = i as f64 + offset;
            stat(r, k).map(|v| Rectangle::new([(x - 0.08, y0), (x + 0.08, v)], colour.filled()))
        });
        let series = chart.draw_series(bars)?;
        if legend {
            series.label(*name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
            });
        }
    }
    let base = area.get_base_pixel();
    let style = TextStyle::from(
        ("sans-serif", 13)
            .into_font()
            .transform(FontTransform::Rotate90),
    );
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64, y0));
        area.draw(&Text::new(
            label.clone(),
            (px - base.0 + 6, py - base.1 + 12),
            style.clone(),
        ))?;
    }
    if legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()?;
    }
    Ok(())
}

fn format_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.0} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.0} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.0} µs", ns / 1e3)
    } else if ns >= 1.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{ns:.1} ns")
    }
}
