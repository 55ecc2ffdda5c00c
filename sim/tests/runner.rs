//! A replay in a child process (`ballast-sim run-one`, as the CLI's search and advisor run
//! them) gives the same result as the same replay in this process.
use ballast::state::LendingVenue;
use ballast_sim::runner::{InProcess, Runner, Subprocess};
use ballast_sim::scenario::Scenario;

#[tokio::test]
async fn a_replay_in_a_child_process_matches_one_in_place() {
    let text =
        format!("{}\n[paths]\nlst_sol = [[0, 1.0], [0.2, 1.0], [0.2, 0.86], [1, 0.86]]\n", ballast_sim::search::TODAY);
    let scenario = Scenario::parse(&text).unwrap();
    let child = Subprocess { exe: env!("CARGO_BIN_EXE_ballast-sim").into() };
    let there = child.run(&scenario, LendingVenue::SplTokenLending, true).await.unwrap();
    let here = InProcess.run(&scenario, LendingVenue::SplTokenLending, true).await.unwrap();
    assert_eq!((there.liquidations, there.unwinds), (here.liquidations, here.unwinds));
    assert_eq!(there.worst_ltv_bps, here.worst_ltv_bps);
    let (a, b) = (there.final_equity_lamports as f64, here.final_equity_lamports as f64);
    assert!((a - b).abs() <= b * 1e-6, "{a} {b}");
    // A 14% gap in one slot from the band's top (78.5% to 91%) is a liquidation, keeper or not.
    assert!(here.liquidations >= 1);
}
