//! The stake-pool deployments LSTs run on (SPL's program, Sanctum's single-validator and
//! multi-validator programs), each the same native spl-stake-pool code registered under its
//! deployed id: a vault pins the one that owns its pool, stakes, loops, is cranked by the
//! keeper and unwinds through that program's `WithdrawSol`, and its depositor leaves whole.
use ballast::adapters::stake_pool::STAKE_POOL_PROGRAMS;
use ballast::instructions::loop_exit::UnwindExit;
use ballast_keeper::chain::EmbeddedChain;
use ballast_keeper::keeper::{Action, Keeper, KeeperConfig};
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::{Chain, VaultClient};
use solana_sdk::signature::Signer;

#[tokio::test]
async fn every_deployment_stakes_loops_cranks_and_unwinds_under_its_own_program() {
    for program in STAKE_POOL_PROGRAMS {
        let mut env = VaultClient::start_under(Chain::start().await, program, default_params()).await;
        assert_eq!(env.vault().await.stake_pool_program, program);
        let (alice, alice_shares) = env.depositor(20 * SOL).await;
        env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
        env.stake(8 * SOL).await.unwrap();
        env.bind_lending(0, 4).await;
        let allocator = env.v.allocator.pubkey();
        let lst = env.vault().await.accounting.lst_amount;
        env.as_allocator(env.lend_supply_ix(&allocator, lst)).await.unwrap();
        // Each loop step stakes the borrowed SOL through the pinned program's `DepositSol`.
        for borrow in [4 * SOL, 5 * SOL / 2, 3 * SOL / 2] {
            env.as_allocator(env.leverage_up_ix(&allocator, borrow)).await.unwrap();
        }

        // An epoch passes: the keeper updates the pool through the same program, then unwinds
        // through its `WithdrawSol` at the rate once the LST is marked down.
        env.chain.next_epoch().await;
        env.sync_prices().await;
        env.mark_lst_down(0.64).await;
        let keypair = env.chain.funded_keypair(SOL).await;
        let config = KeeperConfig { harvest_interval_secs: None, ..KeeperConfig::default() };
        let keeper = Keeper::new(EmbeddedChain::new(env.chain.ctx.banks_client.clone()), keypair, config);
        let actions = keeper.tick(&env.v.vault).await.unwrap();
        assert!(matches!(actions[0], Action::Cranked), "{program}: {actions:?}");
        assert!(actions.iter().any(|a| matches!(a, Action::Unwound { .. })), "{program}: {actions:?}");
        assert!(env.market_ltv_bps().await <= 6_000, "{program}");

        // Once more, through the stake-pool exit explicitly: the pool's reserve pays the rate.
        env.mark_lst_down(0.78).await;
        assert!(env.market_ltv_bps().await > 7_500, "{program}");
        let rate = env.rate().await;
        let caller = env.chain.funded_keypair(SOL).await;
        let ix = env.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::StakePool);
        let (result, logs) = env.chain.send_logged(&[ix], &[&caller]).await;
        assert!(result.is_ok(), "{program}: {result:?}");
        assert!(logs.iter().any(|l| l.starts_with(&format!("Program {program} invoke"))), "{program}");
        let event = ballast_localnet::chain::events::<ballast::events::Unwound>(&logs).pop().unwrap();
        assert!(event.lamports_received + 1 >= rate.lst_to_lamports_floor(event.lst_sold).unwrap(), "{event:?}");
    }
}
