//! The keeper's numbers on the embedded chain, printed as a table (compare rows of one run, not
//! across machines; compute units of natively compiled programs are not their on-chain cost and
//! are not reported):
//! - size of the unwind transaction as the keeper sends it (legacy, with compute-unit limit and
//!   price): must fit 1,232 bytes;
//! - slots from the market crossing the trigger to the keeper's unwind landing;
//! - one keeper pass over a healthy vault (reads, health from raw bytes).
//!
//! Replay speed is `ballast-sim`'s own bench (`sim/benches/replay.rs`).
use std::time::Instant;

use ballast_keeper::chain::EmbeddedChain;
use ballast_keeper::keeper::{Action, Keeper, KeeperConfig};
use ballast_keeper::view::VaultView;
use ballast_localnet::vault::SOL;
use ballast_localnet::VaultClient;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;

fn row(case: &str, value: String, goal: &str) {
    println!("{case:<52} {value:>16}   {goal}");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "off");
    }
    println!("{:<52} {:>16}   goal", "case", "value");

    let mut env = VaultClient::start_looped_in_pool().await;
    let keypair = env.chain.funded_keypair(10 * SOL).await;
    let keeper = Keeper::new(EmbeddedChain::new(env.chain.ctx.banks_client.clone()), keypair, KeeperConfig::default());

    let view = VaultView::load(&keeper.chain, &env.v.vault).await.unwrap();
    let caller = Keypair::new();
    let ixs = [
        ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
        ComputeBudgetInstruction::set_compute_unit_price(10_000),
        view.unwind_ix(&caller.pubkey(), u64::MAX, ballast::instructions::loop_exit::UnwindExit::Pool).unwrap(),
    ];
    let tx = Transaction::new_signed_with_payer(&ixs, Some(&caller.pubkey()), &[&caller], Default::default());
    let bytes = bincode::serialize(&tx).unwrap().len();
    row("unwind transaction size (bytes)", bytes.to_string(), "<= 1232");
    row("unwind transaction account keys", tx.message.account_keys.len().to_string(), "");

    let passes = 50;
    let started = Instant::now();
    for _ in 0..passes {
        assert!(matches!(keeper.tick(&env.v.vault).await.unwrap()[..], [Action::Healthy { .. }]));
    }
    row(
        "keeper pass over a healthy vault (ms)",
        format!("{:.2}", started.elapsed().as_secs_f64() * 1e3 / passes as f64),
        "",
    );

    env.mark_lst_down(0.64).await;
    let crossed = env.chain.clock().await.slot;
    let started = Instant::now();
    let actions = keeper.tick(&env.v.vault).await.unwrap();
    let elapsed = started.elapsed();
    assert!(matches!(actions[..], [Action::Unwound { .. }]), "{actions:?}");
    let landed = env.chain.clock().await.slot;
    row("slots from the trigger crossing to the unwind landing", (landed - crossed).to_string(), "<= 1");
    row("keeper pass that unwinds (ms)", format!("{:.2}", elapsed.as_secs_f64() * 1e3), "");
}
