//! History charts as SVG, drawn by plotters on the server: the page needs no script library.
use anyhow::{anyhow, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::history::History;
use crate::summary::VaultSummary;

const SIZE: (u32, u32) = (640, 260);

fn days(unix: i64, origin: i64) -> f64 {
    (unix - origin) as f64 / 86_400.0
}

fn no_font() -> anyhow::Error {
    anyhow!("no chart font: install DejaVu Sans (Debian fonts-dejavu-core) or set BALLAST_CHART_FONT")
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One chart over days: white background, caption, mesh (y labels by `y_labels` if given),
/// then `draw`.
fn svg(
    caption: &str,
    x_days: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    y_label_area: u32,
    y_labels: Option<&dyn Fn(&f64) -> String>,
    draw: impl FnOnce(&mut Chart) -> Result<()>,
) -> Result<String> {
    if !ballast_sim::report::register_chart_font() {
        return Err(no_font());
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(y_label_area)
            .build_cartesian_2d(x_days, y)?;
        let mut mesh = chart.configure_mesh();
        mesh.x_desc("days");
        if let Some(y_labels) = y_labels {
            mesh.y_label_formatter(y_labels);
        }
        mesh.draw()?;
        draw(&mut chart)?;
        root.present()?;
    }
    Ok(svg)
}

const LINE: RGBColor = RGBColor(30, 90, 200);

/// Share price (SOL per share) over days, from the events' snapshots to now.
pub fn share_price_svg(history: &History, now: &VaultSummary) -> Result<String> {
    let mut points: Vec<(i64, f64)> =
        history.points.iter().map(|p| (p.unix_time, p.share_price_lamports as f64 / 1e9)).collect();
    points.push((now.unix_time, now.share_price_lamports as f64 / 1e9));
    let origin = points[0].0;
    let (low, high) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let pad = ((high - low) * 0.1).max(1e-6);
    let end = days(now.unix_time, origin).max(1.0 / 24.0);
    svg("share price, SOL", 0.0..end, (low - pad)..(high + pad), 80, Some(&|v| format!("{v:.6}")), |chart| {
        chart.draw_series(LineSeries::new(points.iter().map(|&(t, p)| (days(t, origin), p)), LINE.stroke_width(2)))?;
        chart.draw_series(points.iter().map(|&(t, p)| Circle::new((days(t, origin), p), 3, LINE.filled())))?;
        Ok(())
    })
}

/// The market LTV over days (keeper passes and unwinds) against the band, trigger and
/// liquidation line.
pub fn ltv_svg(history: &History, now: &VaultSummary) -> Result<String> {
    let mut points: Vec<(i64, f64)> = history.ltv.iter().map(|p| (p.unix_time, p.ltv_bps as f64 / 100.0)).collect();
    if let Some(ltv) = now.ltv.market_ltv_bps {
        points.push((now.unix_time, ltv as f64 / 100.0));
    }
    let origin = points.first().map(|p| p.0).unwrap_or(now.unix_time);
    let end = days(now.unix_time, origin).max(1.0 / 24.0);
    let liquidation = now.ltv.liquidation_ltv_bps.map(|b| b as f64 / 100.0);
    let top =
        points.iter().map(|p| p.1).chain(liquidation).fold(now.ltv.unwind_trigger_bps as f64 / 100.0, f64::max) + 5.0;
    svg("lending market LTV, %", 0.0..end, 0.0..top.min(100.0), 50, None, |chart| {
        let band = (now.ltv.target_low_bps as f64 / 100.0, now.ltv.target_high_bps as f64 / 100.0);
        chart.draw_series([Rectangle::new([(0.0, band.0), (end, band.1)], RGBColor(200, 230, 200).filled())])?;
        let levels = [(Some(now.ltv.unwind_trigger_bps as f64 / 100.0), RGBColor(230, 120, 0)), (liquidation, BLACK)];
        for (level, color) in levels {
            if let Some(level) = level {
                chart.draw_series(LineSeries::new([(0.0, level), (end, level)], color.stroke_width(1)))?;
            }
        }
        chart.draw_series(LineSeries::new(points.iter().map(|&(t, v)| (days(t, origin), v)), LINE.stroke_width(2)))?;
        Ok(())
    })
}
