//! The scenarios of `keeper/scenarios`, shortened, replayed on the embedded chain at the vault's
//! maximum leverage: the keeper keeps the vault from being liquidated, and the same path without
//! it liquidates (so the scenario really bites). The full replays run from the CLI
//! (`ballast-keeper simulate`).
use ballast_keeper::sim::{run, Scenario};

fn scenario(file: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../keeper/scenarios").join(file);
    Scenario::load(&path).unwrap()
}

#[tokio::test]
async fn msol_flash_depeg_liquidates_without_the_keeper_and_not_with_it() {
    // The fall and the bottom: the first ten minutes.
    let s = scenario("msol-flash-depeg-2023-12.toml").until(10.0);
    let with = run(&s, true, |_| {}).await.unwrap();
    let without = run(&s, false, |_| {}).await.unwrap();
    assert_eq!(with.liquidations, 0, "worst LTV {}", with.worst_ltv_bps);
    assert!(with.unwinds >= 1);
    assert!(with.trigger_to_unwind_slots.iter().all(|&slots| slots <= 1), "{:?}", with.trigger_to_unwind_slots);
    assert!(without.liquidations >= 1, "worst LTV {}", without.worst_ltv_bps);
    assert!(with.final_equity_lamports > without.final_equity_lamports);
}
