//! Inline SVG charts, written by maud templates: horizontal bars and a line chart. Each chart is
//! drawn from the same numbers the page also gives as a table beside it.

use maud::{Markup, html};

/// The width of every chart, in SVG units.
const WIDTH: f64 = 640.0;
/// Room on the left for the labels of a bar chart.
const LABEL: f64 = 190.0;
/// One bar's row.
const ROW: f64 = 26.0;

/// One bar per `(label, value, colour)`, scaled to the largest; `title` is the chart's accessible
/// name. A category keeps its colour (an index) from chart to chart.
pub fn bars(title: &str, bars: &[(String, u64, usize)]) -> Markup {
    let most = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let span = WIDTH - LABEL - 70.0;
    let height = ROW * bars.len() as f64 + 4.0;
    html! {
        svg class="chart" role="img" viewBox=(format!("0 0 {WIDTH} {height}"))
            width=(WIDTH) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (i, (label, value, colour)) in bars.iter().enumerate() {
                @let y = ROW * i as f64 + 2.0;
                @let w = (*value as f64 / most * span).max(if *value > 0 { 1.0 } else { 0.0 });
                text x=(LABEL - 8.0) y=(y + 16.0) text-anchor="end" { (label) }
                rect x=(LABEL) y=(y + 3.0) width=(format!("{w:.1}")) height="18" class=(bar_class(*colour)) {}
                text x=(LABEL + w + 6.0) y=(y + 16.0) { (value) }
            }
        }
    }
}

/// The fill class of the bar in position `i`.
fn bar_class(i: usize) -> &'static str {
    ["bar0", "bar1", "bar2", "bar3", "bar4", "bar5"][i % 6]
}

/// One line per series over `labels` (the x axis, in order); `series` are `(name, values)` with one
/// value per label, `None` where a series has no value.
pub fn lines(title: &str, labels: &[String], series: &[(&str, Vec<Option<u64>>)]) -> Markup {
    let height = 240.0;
    let (left, right, top, bottom) = (50.0, WIDTH - 20.0, 14.0, height - 40.0);
    let most = series
        .iter()
        .flat_map(|(_, values)| values.iter().flatten())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let step = match labels.len() {
        0 | 1 => 0.0,
        n => (right - left) / (n - 1) as f64,
    };
    let x = |i: usize| left + step * i as f64;
    let y = |v: u64| bottom - (v as f64 / most) * (bottom - top);
    html! {
        svg class="chart" role="img" viewBox=(format!("0 0 {WIDTH} {height}"))
            width=(WIDTH) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            line x1=(left) y1=(bottom) x2=(right) y2=(bottom) class="axis" {}
            line x1=(left) y1=(top) x2=(left) y2=(bottom) class="axis" {}
            text x=(left - 6.0) y=(top + 4.0) text-anchor="end" { (most as u64) }
            text x=(left - 6.0) y=(bottom) text-anchor="end" { "0" }
            @if let (Some(first), Some(last)) = (labels.first(), labels.last()) {
                text x=(left) y=(bottom + 16.0) text-anchor="start" { (first) }
                @if labels.len() > 1 {
                    text x=(right) y=(bottom + 16.0) text-anchor="end" { (last) }
                }
            }
            @for (k, (name, values)) in series.iter().enumerate() {
                // A missing value breaks the line: nothing is drawn across it.
                @for run in values.iter().enumerate().collect::<Vec<_>>().split(|(_, v)| v.is_none()) {
                    @let points: Vec<String> = run.iter()
                        .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(*i), y(v))))
                        .collect();
                    @if points.len() > 1 {
                        polyline points=(points.join(" ")) class=(format!("line {}", bar_class(k))) {}
                    }
                }
                @for (i, v) in values.iter().enumerate() {
                    @if let Some(v) = v {
                        circle cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*v))) r="3"
                            class=(bar_class(k)) {}
                    }
                }
                rect x=(left + 130.0 * k as f64) y=(bottom + 24.0) width="12" height="10"
                    class=(bar_class(k)) {}
                text x=(left + 16.0 + 130.0 * k as f64) y=(bottom + 33.0) { (name) }
            }
        }
    }
}
