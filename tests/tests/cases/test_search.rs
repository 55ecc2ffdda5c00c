//! The search and the advisor on the embedded chain, at small budgets.
use ballast::state::{LendingVenue, RiskParams};
use ballast_sim::runner::InProcess;
use ballast_sim::scenario::{MarketOverrides, Path, Scenario};
use ballast_sim::search::{path, search, Family, SearchSpec, TODAY};

#[tokio::test]
async fn the_search_finds_the_one_slot_lst_gap_that_liquidates() {
    // One boundary: the plain case (one slot, no lag, no latency). From the band's top (78.5%)
    // a gap liquidates once it takes the market's LTV past 90%: 1 - 78.5/90 = 12.8%.
    let base = Scenario::parse(TODAY).unwrap();
    let venue = ballast_localnet::vault::default_venue();
    let spec =
        SearchSpec { base: &base, family: Family::LstGap, venue, with_keeper: true, budget: 9, seed: 1, jobs: 1 };
    let result = search(&InProcess, spec, |_| {}).await.unwrap();
    let plain = result.plain();
    let liquidated = plain.liquidated.expect("a 40% gap liquidates");
    println!("survives under {:.2}%, liquidated at {liquidated:.2}%", plain.survived);
    assert!(liquidated - plain.survived <= 0.2);
    assert!(plain.survived > 12.0 && liquidated < 13.6, "{} {liquidated}", plain.survived);
    // The boundary replays as it was found: the worst path written out liquidates, just under
    // it survives.
    let worst = path(&base, Family::LstGap, liquidated, plain.dims);
    let back = Scenario::parse(&worst.to_toml().unwrap()).unwrap();
    let report = ballast_sim::replay::run_on(&back, venue, true, |_| {}).await.unwrap();
    assert!(report.liquidations >= 1);
    let under = path(&base, Family::LstGap, plain.survived, plain.dims);
    assert_eq!(ballast_sim::replay::run_on(&under, venue, true, |_| {}).await.unwrap().liquidations, 0);
}

#[tokio::test]
async fn the_advisor_lowers_the_trigger_until_every_scenario_passes() {
    // A fall of the market's LST price to 0.80 of the rate in a minute: at the highest candidate
    // (trigger 84%) the unwind cannot keep up, at a low enough trigger it does.
    let text = format!("{TODAY}\n[paths]\nlst_sol = [[0, 1.0], [0.2, 1.0], [1.2, 0.80], [2, 0.80]]\n");
    let scenario = Scenario::parse(&text).unwrap();
    let venue = LendingVenue::SplTokenLending;
    let advice =
        ballast_sim::advise::advise(&InProcess, &[scenario], MarketOverrides::default(), venue, |_| {}).await.unwrap();
    let params = advice.params.expect("a low trigger passes");
    for t in &advice.trials {
        println!(
            "{} {} {} {} {}",
            t.trigger_bps, t.unwind_bound_bps, t.liquidations, t.loss_vs_hold_lamports, t.exit_cost_lamports
        );
    }
    let highest = advice.trials.iter().map(|t| t.trigger_bps).max().unwrap();
    assert!(advice.trials.iter().any(|t| t.trigger_bps == highest && !t.passes()), "the top fails");
    assert!(params.unwind_trigger_ltv_bps < highest);
    let advised = |t: &&ballast_sim::advise::Trial| {
        t.trigger_bps == params.unwind_trigger_ltv_bps && t.unwind_bound_bps == params.unwind_slippage_bps
    };
    assert!(advice.trials.iter().filter(advised).count() >= 1);
    assert!(advice.trials.iter().filter(advised).all(|t| t.passes()));
    // One trigger up, every looser unwind bound was tried and failed.
    let above: Vec<_> = advice.trials.iter().filter(|t| t.trigger_bps == params.unwind_trigger_ltv_bps + 100).collect();
    assert!(above.iter().all(|t| !t.passes()));
    let loosest = ballast::constants::MAX_UNWIND_SLIPPAGE_BPS;
    assert!(above.iter().any(|t| t.unwind_bound_bps == loosest), "{above:?}");
    // The advice is what the DAO command takes, and a valid parameter set.
    let json = serde_json::to_string(&params).unwrap();
    let back: RiskParams = serde_json::from_str(&json).unwrap();
    back.validate().unwrap();
    assert_eq!(back.target_ltv_high_bps, back.unwind_trigger_ltv_bps - 200);
}

#[tokio::test]
async fn an_unwind_that_grows_between_its_simulation_and_its_slot_still_has_the_units_to_land() {
    // A deep depeg with the pool at 28% of its depth and the keeper's transactions landing four
    // slots after it simulated them (the first liquidation `search --family depeg --seed 3`
    // reported). Each unwind sent asked for what its simulation used plus a margin; by the slot
    // it landed in the position had moved, the unwind had more to repay and more to sell, ran
    // out of compute units, and the market liquidated the vault between the keeper's retries.
    let mut s = Scenario::parse(TODAY).unwrap();
    let path = |points: Vec<(f64, f64)>| Some(Path::try_from(points).unwrap());
    s.paths.lst_sol = path(vec![(0.0, 1.0), (0.33, 1.0), (8.08, 0.325), (10.0, 0.325)]);
    s.paths.pool_depth = path(vec![(0.0, 1.0), (0.33, 1.0), (0.33, 0.28)]);
    s.keeper.latency_slots = 4;
    let venue = ballast_localnet::vault::default_venue();
    let report = ballast_sim::replay::run_on(&s, venue, true, |_| {}).await.unwrap();
    println!(
        "{} liquidations, {} unwinds, {} keeper failures, worst LTV {}",
        report.liquidations, report.unwinds, report.keeper_failures, report.worst_ltv_bps
    );
    assert_eq!(report.keeper_failures, 0);
    assert_eq!(report.liquidations, 0);
    assert!(report.unwinds >= 1);
}
