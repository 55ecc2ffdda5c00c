//! The simulator's output: a table on the terminal, a CSV per run, and a progress bar.
use std::io::Write;
use std::path::Path;

use anyhow::Result;
use ballast_localnet::vault::SOL;

use crate::sim::{run, Report, Scenario};

/// Runs `scenario` with and without the keeper, prints the comparison, writes the CSVs.
pub async fn simulate(scenario: &Scenario, out: &Path) -> Result<Vec<Report>> {
    std::fs::create_dir_all(out)?;
    let mut reports = Vec::new();
    for with_keeper in [true, false] {
        let steps = scenario.duration_slots() / scenario.step_slots.max(1) + 1;
        let bar = indicatif::ProgressBar::new(steps);
        bar.set_message(if with_keeper { "with keeper" } else { "without keeper" });
        bar.set_style(indicatif::ProgressStyle::with_template("{msg:>15} [{bar:40}] {pos}/{len} steps {elapsed}")?);
        let report = run(scenario, with_keeper, |_| bar.inc(1)).await?;
        bar.finish();
        let file =
            out.join(format!("{}-{}.csv", slug(&scenario.name), if with_keeper { "keeper" } else { "no-keeper" }));
        write_csv(&report, &file)?;
        reports.push(report);
    }
    print_table(scenario, &reports);
    Ok(reports)
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
    println!("\n{} ({}), step {} slots", scenario.name, scenario.source, scenario.step_slots);
    println!(
        "{:<16} {:>12} {:>8} {:>20} {:>10} {:>14} {:>14} {:>14}",
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
            "{:<16} {:>12} {:>8} {:>20} {:>9.2}% {:>14.4} {:>14.4} {:>14.4}",
            if r.with_keeper { "with keeper" } else { "without keeper" },
            r.liquidations,
            r.unwinds,
            slots,
            r.worst_ltv_bps as f64 / 100.0,
            sol(r.final_equity_lamports),
            sol(r.hold_lst_lamports),
            sol(r.unlevered_lamports),
        );
    }
}
