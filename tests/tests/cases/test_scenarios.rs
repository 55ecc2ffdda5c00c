//! The scenarios of `sim/scenarios` (one per entry of `docs/SCENARIOS.md`), shortened, replayed on
//! the embedded chain at the vault's maximum leverage: with the keeper the vault is never
//! liquidated; the same path without it is (so every scenario really bites). The full replays
//! run from the CLI (`ballast-sim replay`).
use ballast_sim::replay::{run, Report};
use ballast_sim::scenario::Scenario;

fn scenario(file: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim/scenarios").join(file);
    Scenario::load(&path).unwrap()
}

/// Runs `s` with and without the keeper: with it, no liquidation and an unwind on time; without
/// it, the position crosses the trigger (the path is a real stress) and, where `liquidates`, is
/// liquidated and ends below the kept vault.
async fn bites(s: Scenario, liquidates: bool) -> [Report; 2] {
    let with = run(&s, true, |_| {}).await.unwrap();
    let without = run(&s, false, |_| {}).await.unwrap();
    assert_eq!(with.liquidations, 0, "{}: worst LTV {} with the keeper", s.name, with.worst_ltv_bps);
    // It unwinds, or, as the allocator, left the loop before the trigger was reached.
    let trigger = s.vault.unwind_trigger_ltv_bps as u64;
    assert!(with.unwinds >= 1 || (left_loop_at(&with).is_some() && with.worst_ltv_bps <= trigger), "{}", s.name);
    // The keeper acts in the step it first sees the trigger crossed, or, when the unwind would
    // fail there (the market's borrow limit reached within a step), in the next.
    let late = with.trigger_to_unwind_slots.iter().filter(|&&slots| slots > 0).count();
    assert!(late <= with.unwinds as usize / 2, "{:?}", with.trigger_to_unwind_slots);
    assert!(with.trigger_to_unwind_slots.iter().all(|&slots| slots <= s.step_slots));
    assert!(without.worst_ltv_bps > s.vault.unwind_trigger_ltv_bps as u64, "{}", s.name);
    if liquidates {
        assert!(without.liquidations >= 1, "{}: worst LTV {} without the keeper", s.name, without.worst_ltv_bps);
        assert!(with.final_equity_lamports > without.final_equity_lamports, "{}", s.name);
    }
    [with, without]
}

/// The step at which the keeper, as allocator, first repaid from idle SOL or left the loop.
fn left_loop_at(report: &Report) -> Option<usize> {
    report.rows.iter().position(|row| row.keeper.contains("deleveraged") || row.keeper.contains("left-loop"))
}

#[tokio::test]
async fn msol_flash_depeg() {
    // The fall and the bottom.
    let s = scenario("msol-flash-depeg-2023-12.toml").until(10.0);
    let reports = bites(s.clone(), true).await;
    // The chart (CI installs DejaVu Sans; elsewhere set BALLAST_CHART_FONT).
    let path = std::env::temp_dir().join(format!("ballast-chart-{}.png", std::process::id()));
    assert!(ballast_sim::report::write_chart(&s, &reports, &path).unwrap(), "no chart font");
    let png = std::fs::read(&path).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{} bytes", png.len());
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn steth_slow_discount() {
    // To just past the worst day, in six-hour steps.
    let mut s = scenario("steth-slow-discount-2022.toml").until(36.0 * 1440.0);
    s.step_slots = 54_000;
    // With Lido's 4% staking yield counted, the unkept vault comes within 0.2 points of the
    // 93% line without crossing it.
    let [with, without] = bites(s.clone(), false).await;
    assert!(without.worst_ltv_bps >= 9_200, "{}", without.worst_ltv_bps);
    // The keeper leaves the loop on the discount's trend, days before the worst of it, and never
    // has to unwind: the staking yield beats the borrow rate all along, the widening does not.
    let left = left_loop_at(&with).expect("the keeper left the loop");
    let day = with.rows[left].minute / 1440.0;
    println!("left the loop on day {day:.2}; worst LTV {} bps", with.worst_ltv_bps);
    assert!(day < 30.0, "day {day}");
    assert_eq!(with.unwinds, 0);
    assert!(with.worst_ltv_bps < s.vault.unwind_trigger_ltv_bps as u64, "{}", with.worst_ltv_bps);
}

#[tokio::test]
async fn sol_crash_with_a_lagging_lst_feed() {
    // The crash and the rebound, in minute steps.
    let mut s = scenario("sol-crash-lagging-lst-feed-2022-11.toml").until(135.0);
    s.step_slots = 150;
    bites(s, true).await;
}

#[tokio::test]
async fn negative_carry() {
    let s = scenario("negative-carry.toml");
    let with = run(&s, true, |_| {}).await.unwrap();
    let without = run(&s, false, |_| {}).await.unwrap();
    assert!(without.liquidations >= 1, "worst LTV {} without the keeper", without.worst_ltv_bps);
    // The keeper, as allocator, leaves the loop in the first steps (idle SOL first, then the
    // collateral through the stake pool): no unwind, no liquidation, and the vault loses at most
    // the carry of those steps plus the exit's cost, under 1%, where alone it would lose 66%.
    assert_eq!((with.liquidations, with.unwinds), (0, 0), "worst LTV {}", with.worst_ltv_bps);
    let left = with.rows.iter().position(|row| row.keeper.contains("left-loop"));
    assert!(left.is_some_and(|step| step <= 2), "{:?}", with.rows.iter().map(|r| &r.keeper).collect::<Vec<_>>());
    assert!(
        with.final_equity_lamports as u128 * 100 >= with.start_equity_lamports as u128 * 99,
        "{} -> {}",
        with.start_equity_lamports,
        with.final_equity_lamports
    );
}
