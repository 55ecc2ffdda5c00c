//! The permissionless unwind on the real lending, swap and stake-pool programs: refused on a
//! healthy vault, brings the market's LTV to the target when the market moves, pays the caller
//! exactly the capped reward and nothing else, works paused and with stale vault prices, and a
//! second keeper racing the first gets a clean error.
use ballast::errors::VaultError;
use ballast::events::Unwound;
use ballast::instructions::loop_exit::UnwindExit;
use ballast_localnet::chain::events;
use ballast_localnet::vault::SOL;
use ballast_localnet::VaultClient;
use solana_program::instruction::AccountMeta;
use solana_sdk::signature::{Keypair, Signer};

async fn keeper(env: &mut VaultClient) -> Keypair {
    env.chain.funded_keypair(SOL).await
}

#[tokio::test]
async fn a_healthy_vault_cannot_be_unwound() {
    let mut env = VaultClient::start_looped_in_pool().await;
    assert!(env.market_ltv_bps().await <= 5_001);
    let caller = keeper(&mut env).await;
    let ix = env.unwind_ix(&caller.pubkey(), u64::MAX);
    env.assert_rejected(&[ix], &[&caller], VaultError::UnwindNotNeeded, &[]).await;
}

#[tokio::test]
async fn an_unwind_brings_the_ltv_to_the_target_and_pays_the_capped_reward() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    let ltv = env.market_ltv_bps().await;
    assert!(ltv > 7_500 && ltv < 8_500, "{ltv}");
    let vault_before = env.vault().await;
    let caller = keeper(&mut env).await;
    let caller_before = env.chain.lamports(&caller.pubkey()).await;

    let ix = env.unwind_ix(&caller.pubkey(), u64::MAX);
    let (result, logs) = env.chain.send_logged(&[ix], &[&caller]).await;
    result.unwrap();
    let event = events::<Unwound>(&logs).pop().unwrap();
    println!("{event:?}");
    assert_eq!(event.ltv_before_bps, ltv);
    assert!(event.ltv_after_bps <= 6_000 && event.ltv_after_bps >= 5_000, "{event:?}");
    assert_eq!(event.ltv_after_bps, env.market_ltv_bps().await);
    // The reserve above its floor repaid first, then collateral.
    assert!(event.from_reserve_lamports > 0 && event.rounds >= 1, "{event:?}");
    // The pool paid the stake-pool rate less at most the slippage bound.
    assert!(event.lamports_received as u128 * 10_000 >= event.lst_sold as u128 * 9_950, "{event:?}");
    // The reward is keeper_reward_bps (10) of what was repaid, and the caller gets nothing else
    // (the harness's payer pays the fees).
    assert_eq!(event.reward_lamports, event.repaid_lamports * 10 / 10_000);
    assert_eq!(env.chain.lamports(&caller.pubkey()).await, caller_before + event.reward_lamports);

    // The books: the debt fell by what was repaid, the sale's surplus and the reward went
    // through the reserve, the loose LST is untouched.
    let vault = env.vault().await;
    let health = env.lending_health(None).await;
    assert_eq!(health.debt_lamports, event.debt_lamports);
    let repaid_from_sales = event.repaid_lamports - event.from_reserve_lamports;
    assert_eq!(
        vault.accounting.reserve_lamports,
        vault_before.accounting.reserve_lamports - event.from_reserve_lamports
            + (event.lamports_received - repaid_from_sales)
            - event.reward_lamports
    );
    assert_eq!(vault.accounting.lst_amount, vault_before.accounting.lst_amount);
    let (lst_account, wsol) = (env.v.lst_account, env.pool_setup().wsol_account);
    assert_eq!(env.chain.token_balance(&lst_account).await, vault.accounting.lst_amount);
    assert_eq!(env.chain.token_balance(&wsol).await, 0);

    // A second keeper in the same slot finds nothing to do.
    let second = keeper(&mut env).await;
    let ix = env.unwind_ix(&second.pubkey(), u64::MAX);
    env.assert_rejected(&[ix], &[&second], VaultError::UnwindNotNeeded, &[]).await;
}

#[tokio::test]
async fn an_unwind_works_paused_and_with_stale_vault_prices() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    let guardian = env.v.guardian.insecure_clone();
    env.send_as(env.set_pause_ix(&guardian.pubkey(), true), &guardian).await.unwrap();
    // The vault's Pyth updates go stale; the market's own oracles are kept fresh (the lending
    // program refuses stale ones itself).
    env.chain.advance_secs(3_600).await;
    let slot = env.chain.clock().await.slot;
    env.chain.ctx.warp_to_slot(slot + 10).unwrap();
    env.lending.as_mut().unwrap().market.sync_oracles(&mut env.chain).await;
    let caller = keeper(&mut env).await;
    env.chain.send(&[env.unwind_ix(&caller.pubkey(), u64::MAX)], &[&caller]).await.unwrap();
    assert!(env.market_ltv_bps().await <= 6_000);
    assert!(env.vault().await.paused);
}

#[tokio::test]
async fn an_unwind_that_would_not_reach_the_target_changes_nothing() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    let caller = keeper(&mut env).await;
    // A cap on the repayment far below what the target needs.
    let ix = env.unwind_ix(&caller.pubkey(), SOL / 10);
    env.assert_rejected(&[ix], &[&caller], VaultError::UnwindInsufficient, &[]).await;
}

#[tokio::test]
async fn unwind_proceeds_cannot_be_sent_elsewhere() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    let thief = keeper(&mut env).await;
    let thief_wsol = env.chain.wsol_account(&thief.pubkey(), 0).await;
    let thief_lst = env.chain.token_account(&env.pool.pool_mint.clone(), &thief.pubkey()).await;
    let thief_ctokens =
        env.chain.token_account(&env.lending().market.lst.collateral_mint.clone(), &thief.pubkey()).await;

    let base = env.unwind_ix(&thief.pubkey(), u64::MAX);
    let replace = |from: solana_program::pubkey::Pubkey, to| {
        let mut ix = base.clone();
        for meta in ix.accounts.iter_mut().filter(|m| m.pubkey == from) {
            *meta = AccountMeta { pubkey: to, ..meta.clone() };
        }
        ix
    };
    let cases = [
        (replace(env.pool_setup().wsol_account, thief_wsol), u32::from(VaultError::PoolAccountMismatch)),
        (replace(env.lending().collateral_account, thief_ctokens), u32::from(VaultError::LendingAccountMismatch)),
        // has_one = lst_account
        (replace(env.v.lst_account, thief_lst), 2001),
    ];
    for (ix, error) in cases {
        env.assert_rejected(&[ix], &[&thief], error, &[thief_wsol, thief_lst, thief_ctokens]).await;
    }
}

#[tokio::test]
async fn one_unwind_fits_one_legacy_transaction_with_a_priority_fee() {
    use solana_sdk::compute_budget::ComputeBudgetInstruction;
    use solana_sdk::transaction::Transaction;
    let env = VaultClient::start_looped_in_pool().await;
    let caller = Keypair::new();
    for exit in [UnwindExit::Pool, UnwindExit::StakePool] {
        let ixs = [
            ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
            ComputeBudgetInstruction::set_compute_unit_price(10_000),
            env.unwind_ix_via(&caller.pubkey(), u64::MAX, exit),
        ];
        let tx = Transaction::new_signed_with_payer(&ixs, Some(&caller.pubkey()), &[&caller], Default::default());
        let bytes = bincode::serialize(&tx).unwrap().len();
        let keys = tx.message.account_keys.len();
        println!("unwind transaction through {exit:?}: {bytes} bytes, {keys} account keys");
        assert!(bytes <= 1_232, "{exit:?}: {bytes} bytes");
    }
}

#[tokio::test]
async fn three_rounds_short_of_the_target_keep_their_progress() {
    // The scenario vault: looped to 79% with the trigger at 81% and the market's borrow limit
    // at 85%, so each withdrawal is small and three rounds cannot reach the 73% target.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim/scenarios/msol-flash-depeg-2023-12.toml");
    let scenario = ballast_sim::scenario::Scenario::load(&path).unwrap();
    let mut env = ballast_sim::replay::setup(&scenario).await;
    // The setup's staking rewards booked first.
    env.harvest().await.unwrap();
    // No SOL above the reserve's floor, so every lamport repaid comes from collateral.
    let accounting = env.vault().await.accounting;
    let floor =
        accounting.last_total_assets_lamports as u128 * env.vault().await.risk_params.min_sol_reserve_bps as u128;
    let spare = accounting.reserve_lamports - floor.div_ceil(10_000) as u64;
    env.stake(spare).await.unwrap();
    env.mark_lst_down(0.96).await;
    let before = env.market_ltv_bps().await;
    assert!(before > 8_100 && before < 8_500, "{before}");
    let caller = keeper(&mut env).await;
    let (result, logs) = env.chain.send_logged(&[env.unwind_ix(&caller.pubkey(), u64::MAX)], &[&caller]).await;
    result.unwrap();
    let event = events::<Unwound>(&logs).pop().unwrap();
    assert_eq!(event.rounds, 3);
    assert!(event.ltv_after_bps < before && event.ltv_after_bps > 7_300, "{event:?}");
    // Still above the trigger: the next call continues from there.
    if event.ltv_after_bps > 8_100 {
        env.chain.send(&[env.unwind_ix(&caller.pubkey(), u64::MAX)], &[&caller]).await.unwrap();
        assert!(env.market_ltv_bps().await < event.ltv_after_bps);
    }
}

/// Unwinds through `exit`, expecting success; returns the event.
async fn unwind_via(env: &mut VaultClient, exit: UnwindExit) -> Unwound {
    let caller = keeper(env).await;
    let ix = env.unwind_ix_via(&caller.pubkey(), u64::MAX, exit);
    let (result, logs) = env.chain.send_logged(&[ix], &[&caller]).await;
    assert!(result.is_ok(), "{exit:?}: {result:?}");
    events::<Unwound>(&logs).pop().unwrap()
}

#[tokio::test]
async fn the_reserve_above_its_floor_repays_first_and_nothing_is_sold_when_it_suffices() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let (bob, bob_shares) = env.depositor(6 * SOL).await;
    env.deposit(&bob, &bob_shares, 5 * SOL, 0).await.unwrap();
    env.mark_lst_down(0.64).await;
    assert!(env.market_ltv_bps().await > 7_500);
    let price_before = env.share_price().await;
    let collateral_before = env.lending_health(None).await.collateral_lst;

    let event = unwind_via(&mut env, UnwindExit::Pool).await;
    assert_eq!((event.rounds, event.lst_sold, event.lamports_received), (0, 0, 0), "{event:?}");
    assert_eq!(event.from_reserve_lamports, event.repaid_lamports);
    assert!(event.ltv_after_bps <= 6_000, "{event:?}");
    // Nothing was converted: the only cost is the reward, booked at once.
    assert_eq!(event.realized_loss_lamports, event.reward_lamports);
    assert_eq!(env.lending_health(None).await.collateral_lst, collateral_before);
    let vault = env.vault().await;
    let floor = vault.accounting.last_total_assets_lamports as u128 * 1_000 / 10_000;
    assert!(vault.accounting.reserve_lamports as u128 >= floor, "the reserve went below its floor");
    // The holders lost the reward and nothing else.
    let (free_after, supply) = env.share_price().await;
    assert_eq!(supply, price_before.1);
    assert!(free_after + event.reward_lamports as u128 + 2 >= price_before.0, "{price_before:?} -> {free_after}");
}

#[tokio::test]
async fn a_pool_far_below_the_rate_is_left_alone_and_the_stake_pool_pays_the_rate() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    // Someone dumps LST into the pool: it pays far less than the rate.
    let trader = env.trader(60 * SOL, SOL).await;
    let lst = env.rate().await.lamports_to_lst_floor(50 * SOL).unwrap();
    env.trade(&trader, true, lst).await.unwrap();
    let caller = keeper(&mut env).await;
    let through_pool = env.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::Pool);
    env.assert_rejected(&[through_pool], &[&caller], VaultError::SlippageExceeded, &[]).await;

    let rate = env.rate().await;
    let event = unwind_via(&mut env, UnwindExit::StakePool).await;
    assert!(event.lst_sold > 0 && event.ltv_after_bps <= 6_000, "{event:?}");
    // The stake pool pays its own rate (the harness pool charges no SOL-withdrawal fee).
    let at_rate = rate.lst_to_lamports_floor(event.lst_sold).unwrap();
    assert!(event.lamports_received + 1 >= at_rate, "{event:?}, {at_rate} at the rate");
    assert!(event.realized_loss_lamports <= event.reward_lamports + 2, "{event:?}");
    assert_eq!(
        {
            let w = env.lending().wsol_account;
            env.chain.token_balance(&w).await
        },
        0
    );
}

#[tokio::test]
async fn a_vault_without_a_pool_unwinds_through_the_stake_pool() {
    let mut env = VaultClient::start_looped(ballast_localnet::vault::default_params(), 0, 4).await;
    env.mark_lst_down(0.64).await;
    let event = unwind_via(&mut env, UnwindExit::StakePool).await;
    assert!(event.ltv_after_bps <= 6_000, "{event:?}");
    assert_eq!(env.market_ltv_bps().await, event.ltv_after_bps);
}

#[tokio::test]
async fn after_an_epoch_boundary_the_pool_exit_uses_the_last_rate_until_the_pool_is_updated() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    env.chain.next_epoch().await;
    env.sync_prices().await;
    let stale = env.pool.state(&mut env.chain).await.last_update_epoch < env.chain.clock().await.epoch;
    assert!(stale, "the stake pool was updated");
    // The stake pool itself refuses until it is updated...
    let caller = keeper(&mut env).await;
    let unstake = env.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::StakePool);
    let result = env.chain.send(&[unstake], &[&caller]).await;
    assert!(result.is_err(), "WithdrawSol on a stale pool: {result:?}");
    // ...the pool exit goes on at the last rate, a floor.
    let event = unwind_via(&mut env, UnwindExit::Pool).await;
    assert!(event.ltv_after_bps <= 6_000, "{event:?}");
}

#[tokio::test]
async fn through_the_pool_the_vaults_share_of_pool_sol_repays_before_anything_is_sold() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let (bob, bob_shares) = env.depositor(6 * SOL).await;
    env.deposit(&bob, &bob_shares, 2 * SOL, 0).await.unwrap();
    env.stake(SOL).await.unwrap();
    // Liquidity with 1 SOL on the pool's SOL side; the reserve keeps about 0.8 SOL above its
    // floor: together less than the unwind needs.
    let allocator = env.v.allocator.pubkey();
    let tokens = env.pool_tokens_for(SOL).await;
    env.as_allocator(env.pool_add_ix(&allocator, tokens)).await.unwrap();
    env.mark_lst_down(0.64).await;
    assert!(env.market_ltv_bps().await > 7_500);
    let before = env.vault().await;
    let (_, pool_sol, supply) = env.pool_reserves().await;
    let share_sol = (before.accounting.pool_tokens as u128 * pool_sol as u128 / supply as u128) as u64;
    let (free_before, shares_before) = env.share_price().await;

    let event = unwind_via(&mut env, UnwindExit::Pool).await;
    println!("{event:?}");
    // The reserve above its floor first, then the pool's SOL, at par; collateral only for the rest.
    assert!(event.from_reserve_lamports > 0 && event.from_pool_lamports > 0, "{event:?}");
    assert!(event.from_pool_lamports <= share_sol, "{event:?}, share {share_sol}");
    assert!(event.ltv_after_bps <= 6_000, "{event:?}");
    let after = env.vault().await;
    assert!(after.accounting.pool_tokens < before.accounting.pool_tokens);
    // The LST that came out of the pool with the SOL is the vault's, booked.
    assert!(after.accounting.lst_amount > before.accounting.lst_amount);
    let lst_account = env.v.lst_account;
    assert_eq!(env.chain.token_balance(&lst_account).await, after.accounting.lst_amount);
    let pool_token_account = env.pool_setup().pool_token_account;
    assert_eq!(env.chain.token_balance(&pool_token_account).await, after.accounting.pool_tokens);
    // All of the pool's SOL went before a little collateral was sold.
    assert_eq!(event.from_pool_lamports, share_sol);
    assert!(event.lst_sold > 0 && event.lst_sold < SOL / 10, "{event:?}");
    // The holders pay the sale's shortfall and the reward, booked at once, and nothing for the
    // pool's SOL (a proportional withdrawal takes the pool's reserves at no less than the
    // share's fair value).
    let (free_after, shares_after) = env.share_price().await;
    assert_eq!(shares_after, shares_before);
    assert!(free_after + event.realized_loss_lamports as u128 + 2 >= free_before, "{free_before} -> {free_after}");
}

#[tokio::test]
async fn with_the_lst_reserve_borrowed_out_the_vaults_own_sol_repays_and_the_progress_stands() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    // Another borrower takes all the LST the reserve could pay out.
    env.borrow_out_lst(0).await.expect("borrow out");
    assert_eq!(env.lending_state().await.lst.available_amount, 0);
    let ltv_before = env.market_ltv_bps().await;
    let collateral_before = env.lending_health(None).await.collateral_lst;

    // The reserve above its floor repays; no collateral can be redeemed, and the progress stands.
    let event = unwind_via(&mut env, UnwindExit::Pool).await;
    println!("{event:?}");
    assert!(event.from_reserve_lamports > 0 && event.lst_sold == 0 && event.rounds == 0, "{event:?}");
    assert!(event.ltv_after_bps < ltv_before && event.ltv_after_bps > 6_000, "{event:?}");
    assert_eq!(env.lending_health(None).await.collateral_lst, collateral_before);
    assert_eq!(env.market_ltv_bps().await, event.ltv_after_bps);

    // The LST falls further, past the trigger again; nothing of the vault's own is left: the next
    // call names why, and changes nothing.
    env.mark_lst_down(0.9).await;
    assert!(env.market_ltv_bps().await > 7_500);
    let caller = keeper(&mut env).await;
    let ix = env.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::StakePool);
    let watch = [env.v.vault, env.v.sol_reserve, env.lending().obligation];
    env.assert_rejected(&[ix], &[&caller], VaultError::UnwindLstReserveIlliquid, &watch).await;
}

#[tokio::test]
async fn with_little_lst_liquidity_left_the_unwind_redeems_what_is_there() {
    let mut env = VaultClient::start_looped_in_pool().await;
    env.mark_lst_down(0.64).await;
    env.borrow_out_lst(SOL / 4).await.expect("borrow out");
    let ltv_before = env.market_ltv_bps().await;
    let event = unwind_via(&mut env, UnwindExit::StakePool).await;
    println!("{event:?}");
    // One round, no more LST than the reserve had, and lower than before.
    assert_eq!(event.rounds, 1, "{event:?}");
    assert!(event.lst_sold > 0 && event.lst_sold <= SOL / 4, "{event:?}");
    assert!(event.ltv_after_bps < ltv_before, "{event:?}");
    let available = env.lending_state().await.lst.available_amount;
    assert!(available < SOL / 100, "{available}");
}
