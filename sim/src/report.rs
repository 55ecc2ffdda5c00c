//! The simulator's output: a table on the terminal, a CSV per run, a PNG chart, and a progress
//! bar.
use std::io::Write;
use std::path::Path;

use anyhow::Result;
use ballast::state::LendingVenue;
use ballast_localnet::vault::SOL;

use crate::replay::{run_on, Report};
use crate::scenario::Scenario;
use crate::search::{Boundary, SearchResult};

/// Runs `scenario` with and without the keeper, prints the comparison, writes the CSVs.
pub async fn simulate(scenario: &Scenario, venues: &[LendingVenue], out: &Path) -> Result<Vec<Report>> {
    std::fs::create_dir_all(out)?;
    let mut reports = Vec::new();
    for venue in venues {
        let mut runs = Vec::new();
        for with_keeper in [true, false] {
            let steps = scenario.duration_slots() / scenario.step_slots.max(1) + 1;
            let bar = indicatif::ProgressBar::new(steps);
            let keeper = if with_keeper { "with keeper" } else { "without keeper" };
            bar.set_message(format!("{}, {keeper}", venue.name()));
            bar.set_style(indicatif::ProgressStyle::with_template("{msg:>34} [{bar:40}] {pos}/{len} steps {elapsed}")?);
            let report = run_on(scenario, *venue, with_keeper, |_| bar.inc(1)).await?;
            bar.finish();
            let file = out.join(format!(
                "{}-{}-{}.csv",
                slug(&scenario.name),
                venue.name(),
                if with_keeper { "keeper" } else { "no-keeper" }
            ));
            write_csv(&report, &file)?;
            runs.push(report);
        }
        let chart = out.join(format!("{}-{}.png", slug(&scenario.name), venue.name()));
        if write_chart(scenario, &runs, &chart)? {
            println!("chart: {}", chart.display());
        } else {
            println!("chart: no font found (set BALLAST_CHART_FONT to a .ttf); CSVs written");
        }
        reports.extend(runs);
    }
    print_table(scenario, &reports);
    Ok(reports)
}

/// Runs the search with a progress bar; prints the boundaries; writes the worst path as a
/// scenario file, the survival region as a PNG and every replay as CSV.
pub async fn search(spec: crate::search::SearchSpec<'_>, out: &Path) -> Result<SearchResult> {
    let crate::search::SearchSpec { base, family, venue, with_keeper, budget, seed, .. } = spec;
    std::fs::create_dir_all(out)?;
    let bar = indicatif::ProgressBar::new(budget as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{msg} [{bar:40}] {pos}/{len} replays {elapsed} (eta {eta})",
    )?);
    bar.set_message(format!("{} on {}", family.name(), venue.name()));
    let started = std::time::Instant::now();
    let result = crate::search::search(&crate::runner::Subprocess::current()?, spec, |_| bar.inc(1)).await?;
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    let name = family.name();
    let what = family.severity_name();
    let keeper = if with_keeper { "with the keeper" } else { "without the keeper" };
    println!(
        "\n{name} on {}, {keeper}, liquidator {:?}: {} replays in {secs:.0} s, seed {seed}, {} at once",
        venue.name(),
        base.liquidator.policy,
        result.probes.len(),
        spec.jobs
    );
    let line = |b: &Boundary| match b.liquidated {
        Some(at) => format!("survives any {what} under {:.1}%; liquidated at {at:.1}%", b.survived),
        None => format!("survives every {what} up to {:.1}%", b.survived),
    };
    println!("plain case ({}): {}", result.plain().dims, line(result.plain()));
    let mut csv = std::fs::File::create(out.join(format!("{name}-replays.csv")))?;
    writeln!(
        csv,
        "severity_pct,liquidated,speed_slots,held_min,lag_slots,outage_slots,latency_slots,pool_depth,sol_available"
    )?;
    for p in &result.probes {
        let d = p.dims;
        writeln!(
            csv,
            "{:.3},{},{},{:.1},{},{},{},{:.3},{:.3}",
            p.severity,
            p.liquidated,
            d.speed_slots,
            d.duration_min,
            d.lag_slots,
            d.outage_slots,
            d.latency_slots,
            d.pool_depth,
            d.sol_available
        )?;
    }
    println!(
        "\n{:<10} {:<10} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>9}",
        "survived", "liquidated", "speed", "held min", "lag", "out", "latency", "depth", "SOL avail"
    );
    for b in &result.boundaries {
        let d = b.dims;
        println!(
            "{:<10} {:<10} {:>8} {:>8.0} {:>8} {:>8} {:>9} {:>6.0}% {:>8.0}%",
            format!("{:.1}%", b.survived),
            b.liquidated.map(|x| format!("{x:.1}%")).unwrap_or_else(|| "-".into()),
            d.speed_slots,
            d.duration_min,
            d.lag_slots,
            d.outage_slots,
            d.latency_slots,
            d.pool_depth * 100.0,
            d.sol_available * 100.0
        );
    }
    if let Some(worst) = result.cheapest() {
        println!("\ncheapest liquidation found ({}): {}", worst.dims, line(worst));
        let scenario = crate::search::path(base, family, worst.liquidated.unwrap_or(0.0), worst.dims);
        let file = out.join(format!("{name}-worst.toml"));
        std::fs::write(&file, format!("# Found by ballast-sim search --family {name} --seed {seed}: replay it with\n# ballast-sim replay {}\n{}", file.display(), scenario.to_toml()?))?;
        println!("worst path: {}", file.display());
    }
    let chart = out.join(format!("{name}.png"));
    if crate::search::write_chart(&result, &chart)? {
        println!("survival region: {}", chart.display());
    }
    Ok(result)
}

/// Runs the advisor, printing each trial as it lands; writes and prints the RiskParams JSON.
pub async fn advise(
    scenarios: &[Scenario],
    market: crate::scenario::MarketOverrides,
    venue: LendingVenue,
    out: &Path,
) -> Result<crate::advise::Advice> {
    let sol = |l: i64| l as f64 / SOL as f64;
    println!(
        "market: borrow limit {}%, liquidation at {}%, on {}; {} scenarios, each with the keeper",
        market.ltv_pct,
        market.liquidation_threshold_pct,
        venue.name(),
        scenarios.len()
    );
    println!(
        "{:>8} {:>6} {:<52} {:>6} {:>16} {:>12} {:>6}",
        "trigger", "bound", "scenario", "liq.", "loss vs hold SOL", "exit cost SOL", "pass"
    );
    let advice = crate::advise::advise(&crate::runner::Subprocess::current()?, scenarios, market, venue, |t| {
        println!(
            "{:>7.2}% {:>6} {:<52} {:>6} {:>16.4} {:>12.4} {:>6}",
            t.trigger_bps as f64 / 100.0,
            format!("{}bp", t.unwind_bound_bps),
            t.scenario.chars().take(52).collect::<String>(),
            t.liquidations,
            sol(t.loss_vs_hold_lamports),
            sol(t.exit_cost_lamports as i64),
            if t.passes() { "yes" } else { "no" }
        )
    })
    .await?;
    match &advice.params {
        Some(params) => {
            let json = serde_json::to_string_pretty(params)?;
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(out, format!("{json}\n"))?;
            println!(
                "\nhighest passing: trigger {:.2}%, band top {:.2}%, unwind target {:.2}%, leverage up to {:.2}x, unwind bound {} bps",
                params.unwind_trigger_ltv_bps as f64 / 100.0,
                params.target_ltv_high_bps as f64 / 100.0,
                params.unwind_target_ltv_bps as f64 / 100.0,
                params.max_leverage_bps as f64 / 10_000.0,
                params.unwind_slippage_bps
            );
            println!(
                "{json}\nwritten to {} (ballast-keeper dao propose-risk-params --params {})",
                out.display(),
                out.display()
            );
        }
        None => println!("\nno candidate down to a 50% trigger passes every scenario"),
    }
    Ok(advice)
}

fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

fn write_csv(report: &Report, path: &Path) -> Result<()> {
    let mut f = std::fs::File::create(path)?;
    writeln!(
        f,
        "slot,minute,sol_usd,lst_sol,market_ltv_bps,liquidation_ltv_bps,unwound,liquidated,equity_lamports,keeper"
    )?;
    for r in &report.rows {
        writeln!(
            f,
            "{},{:.2},{:.4},{:.4},{},{},{},{},{},{}",
            r.slot,
            r.minute,
            r.sol_usd,
            r.lst_sol,
            r.market_ltv_bps,
            r.liquidation_ltv_bps,
            r.unwound,
            r.liquidated,
            r.equity_lamports,
            r.keeper
        )?;
    }
    Ok(())
}

pub fn print_table(scenario: &Scenario, reports: &[Report]) {
    let sol = |l: u64| l as f64 / SOL as f64;
    println!(
        "\n{} ({}), step {} slots, liquidator {:?}",
        scenario.name, scenario.source, scenario.step_slots, scenario.liquidator.policy
    );
    println!(
        "{:<18} {:<16} {:>12} {:>8} {:>20} {:>10} {:>14} {:>14} {:>14}",
        "venue",
        "run",
        "liquidations",
        "unwinds",
        "trigger->unwind slots",
        "worst LTV",
        "final SOL",
        "hold LST SOL",
        "unlevered SOL"
    );
    for r in reports {
        let slots = match (r.trigger_to_unwind_slots.iter().min(), r.trigger_to_unwind_slots.iter().max()) {
            (Some(lo), Some(hi)) => format!("{lo}..{hi}"),
            _ => "-".to_string(),
        };
        println!(
            "{:<18} {:<16} {:>12} {:>8} {:>20} {:>10} {:>14.4} {:>14.4} {:>14.4}",
            r.venue.name(),
            if r.with_keeper { "with keeper" } else { "without keeper" },
            r.liquidations,
            r.unwinds,
            slots,
            ltv_text(r.worst_ltv_bps),
            sol(r.final_equity_lamports),
            sol(r.hold_lst_lamports),
            sol(r.unlevered_lamports),
        );
    }
}

/// An LTV for the table: a percentage, or "no collateral" once liquidations took all of it.
fn ltv_text(bps: u64) -> String {
    if bps == u64::MAX {
        "no collat.".into()
    } else {
        format!("{:.2}%", bps as f64 / 100.0)
    }
}

/// A font for the chart's text: `BALLAST_CHART_FONT`, or DejaVu Sans where distributions put
/// it. plotters draws text with a font it is given (`ab_glyph`, no system libraries).
fn chart_font() -> Option<&'static [u8]> {
    let candidates = std::env::var("BALLAST_CHART_FONT").into_iter().chain(
        [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        ]
        .map(String::from),
    );
    candidates.filter_map(|path| std::fs::read(path).ok()).next().map(|bytes| &*Box::leak(bytes.into_boxed_slice()))
}

/// Registers the chart font with plotters as "sans-serif", once; false when none is found.
pub fn register_chart_font() -> bool {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REGISTERED.get_or_init(|| {
        chart_font().is_some_and(|font| {
            plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, font).is_ok()
        })
    })
}

/// LTV over time, with the keeper and without, against the trigger and the liquidation line;
/// unwinds and liquidations marked. Returns false (and writes nothing) when no font is found.
pub fn write_chart(scenario: &Scenario, reports: &[Report], path: &Path) -> Result<bool> {
    use plotters::prelude::*;
    if !register_chart_font() {
        return Ok(false);
    }

    let root = BitMapBackend::new(path, (1200, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let end_minute = reports.iter().flat_map(|r| r.rows.last()).map(|r| r.minute).fold(1.0, f64::max);
    // LTVs past 150% (a position liquidated to little or nothing) are drawn at the top.
    const CAP_BPS: u64 = 15_000;
    let ltv = |bps: u64| bps.min(CAP_BPS) as f64 / 100.0;
    let top = ltv(reports.iter().map(|r| r.worst_ltv_bps).max().unwrap_or(10_000).max(9_500)) + 2.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(&scenario.name, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..end_minute, 50.0..top)?;
    chart.configure_mesh().x_desc("minutes").y_desc("lending market LTV, %").draw()?;

    let trigger = scenario.vault.unwind_trigger_ltv_bps as f64 / 100.0;
    let target = scenario.vault.unwind_target_ltv_bps as f64 / 100.0;
    let liquidation =
        reports.iter().flat_map(|r| r.rows.iter()).map(|r| r.liquidation_ltv_bps).find(|&bps| bps > 0).unwrap_or(9_000)
            as f64
            / 100.0;
    for (level, color, label) in [
        (liquidation, BLACK, "liquidation"),
        (trigger, RGBColor(230, 120, 0), "unwind trigger"),
        (target, RGBColor(120, 120, 120), "unwind target"),
    ] {
        chart
            .draw_series(LineSeries::new([(0.0, level), (end_minute, level)], color.stroke_width(1)))?
            .label(format!("{label} {level:.1}%"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
    }
    for report in reports {
        let color = if report.with_keeper { RGBColor(30, 90, 200) } else { RGBColor(200, 40, 40) };
        let name = if report.with_keeper { "with keeper" } else { "without keeper" };
        chart
            .draw_series(LineSeries::new(
                report.rows.iter().map(|r| (r.minute, ltv(r.market_ltv_bps))),
                color.stroke_width(2),
            ))?
            .label(format!("{name}: {} liquidations, {} unwinds", report.liquidations, report.unwinds))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(
            report
                .rows
                .iter()
                .filter(|r| r.unwound)
                .map(|r| Circle::new((r.minute, ltv(r.market_ltv_bps)), 5, color.filled())),
        )?;
        chart.draw_series(
            report
                .rows
                .iter()
                .filter(|r| r.liquidated)
                .map(|r| Cross::new((r.minute, ltv(r.market_ltv_bps)), 8, color.stroke_width(3))),
        )?;
    }
    finish_chart(&mut chart, &root)
}

/// A chart of `f64` against `f64` on a bitmap.
pub(crate) type Chart<'a, 'b> = plotters::chart::ChartContext<
    'a,
    plotters::backend::BitMapBackend<'b>,
    plotters::coord::cartesian::Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// The legend in the upper right, and the file written.
pub(crate) fn finish_chart<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    root: &plotters::drawing::DrawingArea<plotters::backend::BitMapBackend<'b>, plotters::coord::Shift>,
) -> Result<bool> {
    use plotters::prelude::*;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(true)
}
