//! Each field of the scenario language that can hurt the vault, shown to bite: the same short
//! path is replayed with the field and without it, and only the field makes the difference in
//! liquidations (or, for the fields that only refuse risk-adding steps, in what the keeper could
//! do). The vault is at the top of its band (78.5% against a market lending up to 85% and
//! liquidating at 90%).
use ballast::state::LendingVenue;
use ballast_sim::replay::{run, Report};
use ballast_sim::scenario::Scenario;

/// A scenario file: the vault's parameters (`vault` adds lines to its table), then `rest`.
fn file(step_slots: u64, vault: &str, rest: &str) -> Scenario {
    let text = format!(
        "name = \"field test\"\nsource = \"test\"\nstep_slots = {step_slots}\n{rest}\n[vault]\ntarget_ltv_high_bps = 7900\nunwind_trigger_ltv_bps = 8100\nunwind_target_ltv_bps = 7300\nmax_slippage_bps = 400\n{vault}\n"
    );
    Scenario::parse(&text).unwrap_or_else(|e| panic!("{e:#}\n{text}"))
}

async fn replay(s: &Scenario, with_keeper: bool) -> Report {
    let report = run(s, with_keeper, |_| {}).await.unwrap();
    let keeper: Vec<_> =
        report.rows.iter().map(|r| format!("{:.2}:{}:{}", r.minute, r.market_ltv_bps, r.keeper)).collect();
    println!(
        "{} liquidations, {} unwinds, worst {}: {keeper:?}",
        report.liquidations, report.unwinds, report.worst_ltv_bps
    );
    report
}

/// A fall of the lending market's LST price from the rate to `to` over `minutes`, then flat.
fn fall(to: f64, minutes: f64) -> String {
    format!("[paths]\nlst_sol = [[0, 1.0], [{minutes}, {to}], [{}, {to}]]\n", minutes + 1.0)
}

#[tokio::test]
async fn the_liquidator_moving_first_takes_a_one_slot_gap_the_keeper_would_have_met() {
    // LTV 78.5% -> 91% in one slot: past the liquidation line. A floor of 25% lets the keeper's
    // unwind repay first even there, when it moves first.
    let gap = "[paths]\nlst_sol = [[0, 1.0], [0.5, 1.0], [0.5, 0.865], [1.5, 0.865]]\n";
    let vault = "min_sol_reserve_bps = 2500";
    let keeper_first = replay(&file(25, vault, &format!("{gap}[liquidator]\npolicy = \"last\"\n")), true).await;
    let liquidator_first = replay(&file(25, vault, gap), true).await;
    assert_eq!(keeper_first.liquidations, 0);
    assert!(keeper_first.unwinds >= 1);
    assert!(liquidator_first.liquidations >= 1);
    assert!(liquidator_first.final_equity_lamports < keeper_first.final_equity_lamports);
}

#[tokio::test]
async fn keeper_latency_lets_the_market_cross_the_liquidation_line_before_the_unwind_lands() {
    // The LST falls 0.112% of the rate a slot; the keeper sees the trigger crossed at a step,
    // and its transaction lands 55 slots later.
    let path = fall(0.85, 134.0 * 0.4 / 60.0);
    let on_time = replay(&file(60, "", &path), true).await;
    let late = replay(&file(60, "", &format!("{path}[keeper]\nlatency_slots = 55\n")), true).await;
    assert_eq!(on_time.liquidations, 0);
    assert!(on_time.unwinds >= 1);
    assert!(late.liquidations >= 1, "worst LTV {}", late.worst_ltv_bps);
}

#[tokio::test]
async fn a_keeper_outage_over_the_fall_is_a_liquidation() {
    let path = fall(0.86, 4.0);
    let watched = replay(&file(25, "", &path), true).await;
    let out = replay(&file(25, "", &format!("{path}[keeper]\noutages = [[0.5, 5.0]]\n")), true).await;
    assert_eq!(watched.liquidations, 0);
    assert!(out.liquidations >= 1, "worst LTV {}", out.worst_ltv_bps);
    assert!(out.rows.iter().filter(|r| r.minute >= 0.5 && r.minute < 5.0).all(|r| r.keeper.is_empty()));
}

#[tokio::test]
async fn a_frozen_lending_feed_hides_the_fall_until_it_lands_in_one_slot() {
    // While the market's LST feed is out, the reserve cannot be refreshed: neither the keeper
    // nor a liquidator can act. When it returns, the whole fall lands at once.
    let path = fall(0.86, 4.0);
    let live = replay(&file(25, "", &path), true).await;
    let frozen = replay(&file(25, "", &format!("{path}[feeds.lending_lst_usd]\noutages = [[0.5, 4.5]]\n")), true).await;
    assert_eq!(live.liquidations, 0);
    assert!(frozen.liquidations >= 1, "worst LTV {}", frozen.worst_ltv_bps);
    assert!(frozen.rows.iter().any(|r| r.keeper.contains("oracles-stale")));
}

#[tokio::test]
async fn a_lagging_lending_feed_lifts_the_debt_before_the_collateral() {
    // SOL/USD rebounds 25% in one slot; the LST/USD feed shows it five minutes late, so for five
    // minutes the debt is worth more against the collateral.
    let path = "[paths]\nsol_usd = [[0, 1.0], [1, 1.0], [1, 1.25], [8, 1.25]]\n";
    let in_step = replay(&file(25, "", path), true).await;
    let lagging = replay(&file(25, "", &format!("{path}[feeds.lending_lst_usd]\nlag_slots = 750\n")), false).await;
    let lagging_kept = replay(&file(25, "", &format!("{path}[feeds.lending_lst_usd]\nlag_slots = 750\n")), true).await;
    assert_eq!(in_step.liquidations, 0);
    assert!(in_step.worst_ltv_bps < 8_100, "both feeds move together: {}", in_step.worst_ltv_bps);
    assert!(lagging.liquidations >= 1, "worst LTV {}", lagging.worst_ltv_bps);
    assert!(lagging_kept.liquidations >= 1, "a one-slot gap past the line is beyond any keeper");
}

#[tokio::test]
async fn a_slash_lowers_the_rate_and_the_collateral_with_it() {
    // 13% of the pool's stake is lost; the market prices the LST at the rate, which falls at the
    // pool's next update (the next epoch boundary here, 432,000 slots in: six-hour steps).
    let path = "[paths]\nlst_sol = [[0, 1.0], [7200, 1.0]]\n";
    let clean = replay(&file(54_000, "", path), false).await;
    let slashed =
        replay(&file(54_000, "", &format!("{path}[[stake_pool.slashes]]\nminute = 60.0\npct = 14.0\n")), false).await;
    assert_eq!(clean.liquidations, 0);
    assert!(slashed.liquidations >= 1, "worst LTV {}", slashed.worst_ltv_bps);
}

#[tokio::test]
async fn the_stake_pool_update_comes_as_late_as_the_file_says() {
    // Without the keeper, the rate steps up with the epoch's rewards only `update_delay_slots`
    // after the boundary.
    let path = "[paths]\nlst_sol = [[0, 1.0], [4800, 1.0]]\n";
    let prompt = replay(&file(54_000, "", path), false).await;
    let late = replay(&file(54_000, "", &format!("{path}[stake_pool]\nupdate_delay_slots = 200000\n")), false).await;
    let first_rise =
        |r: &Report| r.rows.windows(2).position(|w| w[1].equity_lamports > w[0].equity_lamports + 1_000_000);
    let (prompt_at, late_at) = (first_rise(&prompt).unwrap(), first_rise(&late).unwrap());
    assert!(late_at > prompt_at, "{prompt_at} {late_at}");
}

#[tokio::test]
async fn liquidity_leaving_the_pool_and_a_pushed_pool_do_not_reach_the_vault() {
    // The pool is pushed to 0.2 of the rate and 90% of its liquidity leaves, while the lending
    // market's price moves enough to trigger an unwind. The unwind does not sell into such a
    // pool (its bound is measured against prices no trade moves): it leaves through the stake
    // pool instead, and the vault is never liquidated.
    let path = "[paths]\nlst_sol = [[0, 1.0], [3, 0.95], [6, 0.95]]\npool_lst_sol = [[0, 1.0], [1, 0.2], [6, 0.2]]\npool_depth = [[0, 1.0], [1, 0.1], [6, 0.1]]\n";
    let kept = replay(&file(25, "", path), true).await;
    assert_eq!(kept.liquidations, 0);
    assert!(kept.unwinds >= 1);
    assert!(kept.worst_ltv_bps < 9_000);
}

#[tokio::test]
async fn collateral_borrowed_out_of_the_lst_reserve_leaves_the_unwind_only_the_vaults_own_sol() {
    // Another borrower takes all of the LST reserve's liquidity before the fall: the vault's
    // collateral cannot be redeemed, so the unwind can repay only from the vault's own SOL.
    let path = fall(0.80, 4.0);
    let liquid = replay(&file(25, "", &path), true).await;
    let borrowed_out =
        replay(&file(25, "", &path.replace("[paths]\n", "[paths]\nlst_available = [[0, 1.0], [0.2, 0.0]]\n")), true)
            .await;
    assert_eq!(liquid.liquidations, 0);
    assert!(borrowed_out.liquidations >= 1, "worst LTV {}", borrowed_out.worst_ltv_bps);
}

#[tokio::test]
async fn sol_borrowed_out_of_its_reserve_raises_the_borrow_rate_until_the_debt_outgrows_the_collateral() {
    // Fifty days, no price move: with the SOL reserve borrowed out, its rate goes to the top of
    // its curve (100% a year) and the unkept loop's debt grows past the liquidation line.
    let path = "staking_apr_pct = 0.0\n[paths]\nlst_sol = [[0, 1.0], [72000, 1.0]]\n";
    let calm = replay(&file(54_000, "", path), false).await;
    let spike = replay(&file(54_000, "", &format!("{path}sol_available = [[0, 1.0], [60, 0.0]]\n")), false).await;
    assert_eq!(calm.liquidations, 0, "worst LTV {}", calm.worst_ltv_bps);
    assert!(spike.liquidations >= 1, "worst LTV {}", spike.worst_ltv_bps);
}

/// The LST dips 5% below its rate (the keeper unwinds to its target), then recovers: the
/// keeper levers back up to the band once the vault's feeds show the recovery.
const DIP_AND_RECOVERY: &str = "[paths]\nlst_sol = [[0, 1.0], [1, 0.95], [2, 0.95], [3, 1.0], [12, 1.0]]\n";

fn first_leverage_minute(report: &Report) -> Option<f64> {
    report.rows.iter().find(|r| r.keeper.contains("leveraged")).map(|r| r.minute)
}

#[tokio::test]
async fn the_vaults_own_feeds_gate_every_step_that_adds_risk() {
    // The vault's Pyth feeds guard only the risk-adding steps (the unwind reads the market's own
    // prices), so they decide when the keeper may lever back up. Live: once the discount is back
    // within the vault's 3% depeg bound. SOL/USD confidence at 5% (the vault allows 2%), or the
    // feed frozen for the rest of the path: never. The LST/USD feed nine minutes late still shows
    // the price before the dip: the depeg guard sees none, and the keeper levers a step early,
    // into a market still more than 3% below the rate.
    let live = replay(&file(25, "", DIP_AND_RECOVERY), true).await;
    let wide =
        replay(&file(25, "", &format!("{DIP_AND_RECOVERY}[feeds.vault_sol_usd]\nconfidence_bps = [[0, 500]]\n")), true)
            .await;
    let frozen =
        replay(&file(25, "", &format!("{DIP_AND_RECOVERY}[feeds.vault_sol_usd]\noutages = [[0.5, 13]]\n")), true).await;
    let late =
        replay(&file(25, "", &format!("{DIP_AND_RECOVERY}[feeds.vault_lst_usd]\nlag_slots = 1350\n")), true).await;
    for report in [&live, &wide, &frozen, &late] {
        assert_eq!((report.liquidations, report.unwinds), (0, 1), "worst LTV {}", report.worst_ltv_bps);
    }
    let refused_with =
        |r: &Report, code: &str| r.rows.iter().any(|row| row.keeper.contains(&format!("allocator-refused({code})")));
    let relevered = first_leverage_minute(&live).expect("the keeper levers back up");
    assert!(relevered < 5.0, "{relevered}");
    assert!(refused_with(&live, "6043"), "the depeg guard held it first");
    assert_eq!(first_leverage_minute(&wide), None);
    assert!(refused_with(&wide, "6041"), "OracleConfidenceTooWide");
    assert_eq!(first_leverage_minute(&frozen), None);
    assert!(refused_with(&frozen, "6039"), "the frozen feed is too old");
    let early = first_leverage_minute(&late).expect("the keeper levers on the stale feed");
    assert!(early < relevered, "{early} {relevered}");
    let market_then = late.rows.iter().find(|r| r.minute >= early).unwrap().lst_sol;
    assert!(market_then < 0.97, "the market was {market_then} of the rate");
    assert!(!refused_with(&late, "6043"));
}

#[tokio::test]
async fn flows_change_the_vaults_size_along_the_path() {
    let path = "[paths]\nlst_sol = [[0, 1.0], [3, 1.0]]\n";
    let still = replay(&file(25, "", path), true).await;
    let wave = |flows: &str| file(25, "", &format!("{path}{flows}"));
    // A 10 SOL deposit lands; then the first depositor leaves in full, paid from the SOL the
    // deposit brought.
    let moved = replay(
        &wave("[[flows]]\nminute = 1.0\ndeposit_sol = 10.0\n[[flows]]\nminute = 2.0\nwithdraw_pct = 100.0\n"),
        true,
    )
    .await;
    // Alone, the same withdrawal is more than the looped vault's liquid SOL: refused.
    let refused = replay(&wave("[[flows]]\nminute = 1.0\nwithdraw_pct = 100.0\n"), true).await;
    let at = |r: &Report, minute: f64| r.rows.iter().find(|row| row.minute >= minute).unwrap().equity_lamports as i128;
    let sol = 1_000_000_000i128;
    assert!(
        (at(&moved, 1.0) - at(&still, 1.0) - 10 * sol).abs() < sol / 100,
        "{} {}",
        at(&moved, 1.0),
        at(&still, 1.0)
    );
    assert_eq!(moved.flows_refused, 0);
    assert!((at(&moved, 2.0) - at(&still, 2.0)).abs() < sol / 10, "{} {}", at(&moved, 2.0), at(&still, 2.0));
    assert_eq!(refused.flows_refused, 1);
    assert_eq!(at(&refused, 1.0), at(&still, 1.0));
}

#[tokio::test]
async fn a_wide_confidence_on_the_markets_feed_keeps_save_from_pricing_a_bad_print() {
    // A one-slot print of the LST at 0.13 of its rate on the market's price account. Without a
    // confidence interval on it Save liquidates the loop to nothing, as spl-token-lending does
    // with one (it reads none); with the interval at four times the price, as Pyth published
    // its bad print, Save refuses the price, and nobody can liquidate on it.
    let print = "[paths]\nlst_sol = [[0, 1.0], [0.05, 1.0], [0.05, 0.13], [0.0567, 0.13], [0.0567, 1.0], [0.2, 1.0]]\npool_lst_sol = [[0, 1.0], [0.2, 1.0]]\n";
    let wide = format!("{print}[feeds.lending_lst_usd]\nconfidence_bps = [[0, 20], [0.05, 20], [0.05, 40000], [0.1, 40000], [0.1, 20]]\n");
    let on = |s: Scenario, venue| async move { ballast_sim::replay::run_on(&s, venue, true, |_| {}).await.unwrap() };
    let save_bare = on(file(1, "", print), LendingVenue::Save).await;
    let save_wide = on(file(1, "", &wide), LendingVenue::Save).await;
    let spl_wide = on(file(1, "", &wide), LendingVenue::SplTokenLending).await;
    assert!(save_bare.liquidations >= 1);
    assert_eq!(save_wide.liquidations, 0);
    assert!(save_wide.final_equity_lamports as u128 * 1_000 >= save_wide.start_equity_lamports as u128 * 999);
    assert!(spl_wide.liquidations >= 1, "spl-token-lending reads no confidence");
}
