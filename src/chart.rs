//! Charts of spend, drawn by plotters: SVG for the UI (with a `<title>` and a `<desc>` for screen readers) and
//! PNG for export. The data model ([`DailySpend`]) is built from the reports' day buckets, so a chart always
//! shows the same money as the reports; floats are used only to place pixels, never to add money.
//!
//! PNG text needs a font file: plotters' `ab_glyph` backend draws with DejaVu Sans, which is bundled
//! (`data/fonts/`, Bitstream Vera licence) and registered once, so export works on a machine without fontconfig
//! or any installed font. SVG text is left to the web view's own fonts.

use std::collections::BTreeMap;
use std::sync::Once;

use chrono::{Duration, NaiveDate};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::Money;
use crate::report::DayBucket;

/// What the bars are stacked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Breakdown {
    Provider,
    Model,
}

impl Breakdown {
    pub fn parse(text: &str) -> Result<Breakdown> {
        match text.trim().to_ascii_lowercase().as_str() {
            "provider" | "providers" => Ok(Breakdown::Provider),
            "model" | "models" => Ok(Breakdown::Model),
            other => Err(Error::InvalidInput(format!(
                "unknown breakdown {other:?} (use provider or model)"
            ))),
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Breakdown::Provider => "provider",
            Breakdown::Model => "model",
        }
    }
}

/// Series beyond this many (by total spend) are summed into one "other" series, so colours stay distinct.
pub const MAX_SERIES: usize = 7;
pub const OTHER_SERIES: &str = "other";

/// One stacked series: its spend on each day of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<Money>,
    pub total: Money,
}

/// Daily spend over consecutive local days, stacked by provider or model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailySpend {
    pub by: Breakdown,
    /// Every day from the first to the last, inclusive.
    pub dates: Vec<NaiveDate>,
    /// Largest total first; at most [`MAX_SERIES`] + 1.
    pub series: Vec<Series>,
    /// Each day's total.
    pub totals: Vec<Money>,
    pub total: Money,
    /// Requests without a price in the period: not in the bars, told apart.
    pub unpriced_requests: i64,
}

impl DailySpend {
    /// Sums `buckets` over the local days [from, to] (inclusive) by provider or model.
    pub fn from_buckets(
        buckets: &[DayBucket],
        from: NaiveDate,
        to: NaiveDate,
        by: Breakdown,
    ) -> DailySpend {
        let dates: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
        let mut per_key: BTreeMap<&str, Vec<Money>> = BTreeMap::new();
        let mut unpriced_requests = 0;
        for b in buckets {
            if b.date < from || b.date > to {
                continue;
            }
            unpriced_requests += b.amounts.unpriced_requests;
            if b.amounts.cost == Money::ZERO {
                continue;
            }
            let key = match by {
                Breakdown::Provider => b.provider.as_str(),
                Breakdown::Model => b.model.as_str(),
            };
            let index = (b.date - from).num_days() as usize;
            per_key
                .entry(key)
                .or_insert_with(|| vec![Money::ZERO; dates.len()])[index] += b.amounts.cost;
        }
        let mut series: Vec<Series> = per_key
            .into_iter()
            .map(|(name, values)| Series {
                name: name.to_string(),
                total: values.iter().copied().sum(),
                values,
            })
            .collect();
        series.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
        if series.len() > MAX_SERIES + 1 {
            let rest = series.split_off(MAX_SERIES);
            let mut values = vec![Money::ZERO; dates.len()];
            for s in &rest {
                for (slot, v) in values.iter_mut().zip(&s.values) {
                    *slot += *v;
                }
            }
            series.push(Series {
                name: OTHER_SERIES.into(),
                total: values.iter().copied().sum(),
                values,
            });
        }
        let totals: Vec<Money> = (0..dates.len())
            .map(|i| series.iter().map(|s| s.values[i]).sum())
            .collect();
        DailySpend {
            by,
            total: totals.iter().copied().sum(),
            dates,
            series,
            totals,
            unpriced_requests,
        }
    }

    /// The chart's title.
    pub fn title(&self) -> String {
        match (self.dates.first(), self.dates.last()) {
            (Some(a), Some(b)) => format!("Daily spend by {}, {a} to {b}", self.by.noun()),
            _ => format!("Daily spend by {}", self.by.noun()),
        }
    }

    /// What the chart shows, in words: totals per series, the busiest day, what is left out.
    pub fn description(&self) -> String {
        let mut text = format!(
            "Stacked bars of spend per local day over {} days, one colour per {}. Total {}.",
            self.dates.len(),
            self.by.noun(),
            self.total
        );
        if self.series.is_empty() {
            text.push_str(" No priced spend in this period.");
        } else {
            let parts: Vec<String> = self
                .series
                .iter()
                .map(|s| format!("{} {}", s.name, s.total))
                .collect();
            text.push_str(&format!(" By {}: {}.", self.by.noun(), parts.join("; ")));
            if let Some((i, top)) = self.totals.iter().enumerate().max_by_key(|(_, m)| **m) {
                text.push_str(&format!(" Highest day {} with {top}.", self.dates[i]));
            }
        }
        if self.unpriced_requests > 0 {
            text.push_str(&format!(
                " {} unpriced requests are not in the bars.",
                self.unpriced_requests
            ));
        }
        text
    }
}

/// Light or dark colours, to match the UI's theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn parse(text: &str) -> Result<Theme> {
        match text.trim().to_ascii_lowercase().as_str() {
            "light" => Ok(Theme::Light),
            "dark" => Ok(Theme::Dark),
            other => Err(Error::InvalidInput(format!(
                "unknown theme {other:?} (use light or dark)"
            ))),
        }
    }
}

struct Colours {
    background: RGBColor,
    text: RGBColor,
    grid: RGBColor,
    palette: [RGBColor; MAX_SERIES + 1],
}

/// Colour-blind-safe hues (Okabe-Ito order) with the last one, grey, kept for "other".
fn colours(theme: Theme) -> Colours {
    match theme {
        Theme::Light => Colours {
            background: RGBColor(255, 255, 255),
            text: RGBColor(20, 32, 31),
            grid: RGBColor(211, 220, 219),
            palette: [
                RGBColor(0, 114, 178),
                RGBColor(230, 159, 0),
                RGBColor(0, 158, 115),
                RGBColor(204, 121, 167),
                RGBColor(86, 180, 233),
                RGBColor(213, 94, 0),
                RGBColor(161, 143, 0),
                RGBColor(110, 110, 110),
            ],
        },
        Theme::Dark => Colours {
            background: RGBColor(23, 33, 31),
            text: RGBColor(230, 239, 237),
            grid: RGBColor(45, 59, 57),
            palette: [
                RGBColor(86, 180, 233),
                RGBColor(240, 180, 40),
                RGBColor(40, 200, 150),
                RGBColor(224, 150, 190),
                RGBColor(150, 210, 245),
                RGBColor(240, 130, 50),
                RGBColor(220, 200, 60),
                RGBColor(170, 170, 170),
            ],
        },
    }
}

/// The fill colour of series `index` (hex), as the SVG writes it.
pub fn series_colour(theme: Theme, index: usize, name: &str) -> String {
    let c = colour_of(&colours(theme), index, name);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn colour_of(c: &Colours, index: usize, name: &str) -> RGBColor {
    if name == OTHER_SERIES {
        c.palette[MAX_SERIES]
    } else {
        c.palette[index.min(MAX_SERIES - 1)]
    }
}

const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../data/fonts/DejaVuSans.ttf");
static REGISTER_FONT: Once = Once::new();

fn ensure_font() {
    REGISTER_FONT.call_once(|| {
        // The bundled file is a valid TrueType font; were it ever not, text would be left out of the chart
        // (plotters then reports the missing font as a drawing error, which we return).
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Chart(e.to_string())
}

fn short_money(dollars: f64) -> String {
    if dollars >= 1000.0 {
        format!("${:.1}k", dollars / 1000.0)
    } else if dollars >= 10.0 {
        format!("${dollars:.0}")
    } else {
        format!("${dollars:.2}")
    }
}

/// Pixel sizes: the smallest drawable chart, and the largest we agree to draw.
const MIN_SIZE: (u32, u32) = (240, 160);
const MAX_SIZE: (u32, u32) = (4000, 3000);

fn check_size(size: (u32, u32)) -> Result<()> {
    if size.0 < MIN_SIZE.0 || size.1 < MIN_SIZE.1 || size.0 > MAX_SIZE.0 || size.1 > MAX_SIZE.1 {
        return Err(Error::InvalidInput(format!(
            "a chart must be between {}x{} and {}x{} pixels",
            MIN_SIZE.0, MIN_SIZE.1, MAX_SIZE.0, MAX_SIZE.1
        )));
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    data: &DailySpend,
    theme: Theme,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let c = colours(theme);
    root.fill(&c.background).map_err(chart_error)?;
    let n = data.dates.len().max(1) as i32;
    let max = data
        .totals
        .iter()
        .map(|m| m.as_f64())
        .fold(0.0_f64, f64::max);
    let top = if max > 0.0 { max * 1.15 } else { 1.0 };
    let text = |size: u32| (FONT, size).into_font().color(&c.text);
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .caption(data.title(), text(20))
        .x_label_area_size(32)
        .y_label_area_size(60)
        .build_cartesian_2d((0..n).into_segmented(), 0.0..top)
        .map_err(chart_error)?;
    let dates = &data.dates;
    let label_every = (dates.len() / 8).max(1);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(dates.len().min(40))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                let i = *i as usize;
                match dates.get(i) {
                    Some(d) if i % label_every == 0 => d.format("%b %d").to_string(),
                    _ => String::new(),
                }
            }
            SegmentValue::Last => String::new(),
        })
        .y_labels(6)
        .y_label_formatter(&|y| short_money(*y))
        .label_style(text(15))
        .axis_style(c.grid)
        .bold_line_style(c.grid)
        .light_line_style(c.background)
        .draw()
        .map_err(chart_error)?;
    // Each series' segment sits on the ones below it: remember each day's running height in exact money.
    let mut base = vec![Money::ZERO; dates.len()];
    let gap = if dates.len() > 60 { 0 } else { 2 };
    for (index, series) in data.series.iter().enumerate() {
        let colour = colour_of(&c, index, &series.name);
        let bars: Vec<Rectangle<(SegmentValue<i32>, f64)>> = series
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > Money::ZERO)
            .map(|(day, v)| {
                let low = base[day];
                base[day] = low + *v;
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(day as i32), low.as_f64()),
                        (SegmentValue::Exact(day as i32 + 1), base[day].as_f64()),
                    ],
                    colour.filled(),
                );
                bar.set_margin(0, 0, gap, gap);
                bar
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(chart_error)?
            .label(series.name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    if data.series.is_empty() {
        root.draw(&Text::new(
            "No priced spend in this period",
            (
                root.dim_in_pixel().0 as i32 / 2 - 110,
                root.dim_in_pixel().1 as i32 / 2,
            ),
            text(14),
        ))
        .map_err(chart_error)?;
    } else {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(c.background.mix(0.85))
            .border_style(c.grid)
            .label_font(text(15))
            .draw()
            .map_err(chart_error)?;
    }
    root.present().map_err(chart_error)?;
    Ok(())
}

/// Runs plotters, turning a panic inside it (its axis arithmetic has overflowed on some settings) into an
/// error: a chart must never take the app down.
fn guarded<T>(draw: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(draw))
        .unwrap_or_else(|_| Err(Error::Chart("plotters failed to draw this chart".into())))
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Ids of the SVG's title and description, which its `aria-labelledby` names.
pub const TITLE_ID: &str = "tallyvault-chart-title";
pub const DESC_ID: &str = "tallyvault-chart-desc";

/// The chart as an SVG document that names itself to screen readers (`role="img"`, `<title>`, `<desc>`).
pub fn render_svg(data: &DailySpend, theme: Theme, size: (u32, u32)) -> Result<String> {
    check_size(size)?;
    ensure_font();
    let mut svg = String::new();
    guarded(|| {
        draw(
            SVGBackend::with_string(&mut svg, size).into_drawing_area(),
            data,
            theme,
        )
    })?;
    let open_end = svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| start + end))
        .ok_or_else(|| Error::Chart("plotters wrote no <svg> element".into()))?;
    let labelled = format!(
        " role=\"img\" aria-labelledby=\"{TITLE_ID} {DESC_ID}\">\n<title id=\"{TITLE_ID}\">{}</title>\n<desc id=\"{DESC_ID}\">{}</desc>",
        escape_xml(&data.title()),
        escape_xml(&data.description())
    );
    svg.replace_range(open_end..=open_end, &labelled);
    Ok(svg)
}

/// The chart as a PNG image.
pub fn render_png(data: &DailySpend, theme: Theme, size: (u32, u32)) -> Result<Vec<u8>> {
    check_size(size)?;
    ensure_font();
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    guarded(|| {
        draw(
            BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area(),
            data,
            theme,
        )
    })?;
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, size.0, size.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(chart_error)?;
        writer.write_image_data(&rgb).map_err(chart_error)?;
        writer.finish().map_err(chart_error)?;
    }
    Ok(png_bytes)
}

/// The local days [to - days + 1, to].
pub fn last_days(to: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    (to - Duration::days(i64::from(days.max(1)) - 1), to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Amounts;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    fn bucket(day: u32, provider: &str, model: &str, cents: i64) -> DayBucket {
        DayBucket {
            date: d(day),
            source: "claude-code".into(),
            provider: provider.into(),
            model: model.into(),
            project: "p".into(),
            amounts: Amounts {
                cost: Money::from_nanos(cents * 10_000_000),
                requests: 1,
                ..Amounts::default()
            },
        }
    }

    #[test]
    fn series_are_summed_exactly_and_ordered_by_total() {
        let data = DailySpend::from_buckets(
            &[
                bucket(1, "anthropic", "opus", 150),
                bucket(1, "anthropic", "sonnet", 25),
                bucket(3, "openai", "gpt-5", 400),
                bucket(9, "openai", "gpt-5", 999),
            ],
            d(1),
            d(4),
            Breakdown::Provider,
        );
        assert_eq!(
            data.dates.len(),
            4,
            "every day of the range, empty ones too"
        );
        assert_eq!(data.series[0].name, "openai");
        assert_eq!(
            data.series[0].total,
            Money::from_nanos(4_000_000_000),
            "a day outside the range is left out"
        );
        assert_eq!(data.series[1].values[0], Money::from_nanos(1_750_000_000));
        assert_eq!(data.total, Money::from_nanos(5_750_000_000));
    }

    #[test]
    fn many_models_fold_into_other() {
        let buckets: Vec<DayBucket> = (0..12)
            .map(|i| bucket(1, "x", &format!("m{i:02}"), 100 + i))
            .collect();
        let data = DailySpend::from_buckets(&buckets, d(1), d(1), Breakdown::Model);
        assert_eq!(data.series.len(), MAX_SERIES + 1);
        assert_eq!(
            data.series.last().map(|s| s.name.as_str()),
            Some(OTHER_SERIES)
        );
        assert_eq!(
            data.total,
            Money::from_nanos((0..12).map(|i| (100 + i) * 10_000_000).sum()),
            "folding keeps every cent"
        );
    }

    #[test]
    fn every_period_the_dashboard_offers_draws_without_panicking() {
        // plotters computes axis key points with integer arithmetic that can overflow on some settings: draw
        // every length from one day to a year, empty and with data, in both backends' sizes.
        let buckets: Vec<DayBucket> = (1..=28)
            .map(|day| bucket(day, "x", "m", i64::from(day)))
            .collect();
        for days in 1..=366 {
            let to = d(28);
            let from = to - Duration::days(days - 1);
            let data = DailySpend::from_buckets(&buckets, from, to, Breakdown::Model);
            render_svg(&data, Theme::Light, (960, 340))
                .unwrap_or_else(|e| panic!("{days} days: {e}"));
        }
        let empty = DailySpend::from_buckets(&[], d(1), d(1), Breakdown::Model);
        assert!(render_svg(&empty, Theme::Dark, MIN_SIZE).is_ok());
        assert!(render_png(&empty, Theme::Dark, MIN_SIZE).is_ok());
    }

    #[test]
    fn unknown_breakdowns_and_sizes_are_refused() {
        assert!(Breakdown::parse("project").is_err());
        let data = DailySpend::from_buckets(&[], d(1), d(2), Breakdown::Model);
        assert!(render_svg(&data, Theme::Light, (10, 10)).is_err());
        assert!(render_png(&data, Theme::Light, (100_000, 600)).is_err());
    }
}
