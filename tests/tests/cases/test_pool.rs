//! The vault in a real spl-token-swap stable LST/SOL pool: liquidity in and out within the
//! allocation caps, withdrawals larger than the SOL reserve paid by selling LST through the pool
//! at no cost to those who stay, a manipulated pool that cannot reach the share price, and fee
//! income that can.
use ballast::errors::VaultError;
use ballast::events::{Harvested, PoolMoved, Withdrawn};
use ballast::math::shares::lamports_for_shares_floor;
use ballast::state::RiskParams;
use ballast_localnet::chain::events;
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::vault_pool::{price_not_lower, Trader};
use ballast_localnet::VaultClient;
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// Alice's 10 SOL in a vault bound to a lending market (whose price feeds gate risk-adding
/// actions) and to a pool seeded with 100 SOL a side; 8 SOL staked.
async fn pooled_vault(params: RiskParams) -> (VaultClient, Keypair, Pubkey) {
    let mut env = VaultClient::start(params).await;
    let (alice, alice_shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    env.stake(8 * SOL).await.unwrap();
    env.bind_lending(0, 4).await;
    env.bind_pool(100 * SOL).await;
    (env, alice, alice_shares)
}

/// `pooled_vault` with about 1 SOL of the vault's value in the pool (0.5 SOL and 0.5 LST).
async fn vault_in_pool() -> (VaultClient, Keypair, Pubkey) {
    let (mut env, alice, shares) = pooled_vault(default_params()).await;
    let pool_tokens = env.pool_tokens_for(SOL / 2).await;
    let allocator = env.v.allocator.pubkey();
    env.as_allocator(env.pool_add_ix(&allocator, pool_tokens)).await.unwrap();
    (env, alice, shares)
}

/// The vault's own accounts hold exactly what its ledger says (the pool wSOL account empty).
async fn assert_ledger_matches_accounts(env: &mut VaultClient) {
    let vault = env.vault().await;
    let (lst_account, pool_tokens, wsol) =
        (env.v.lst_account, env.pool_setup().pool_token_account, env.pool_setup().wsol_account);
    assert_eq!(env.chain.token_balance(&lst_account).await, vault.accounting.lst_amount);
    assert_eq!(env.chain.token_balance(&pool_tokens).await, vault.accounting.pool_tokens);
    assert_eq!(env.chain.token_balance(&wsol).await, 0);
    let reserve = env.v.sol_reserve;
    assert!(env.chain.lamports(&reserve).await >= vault.accounting.reserve_lamports);
}

/// Alice withdraws `shares` alone; returns the event.
async fn withdraw_logged(env: &mut VaultClient, alice: &Keypair, shares_account: &Pubkey, shares: u64) -> Withdrawn {
    let ix = env.withdraw_ix(&alice.pubkey(), shares_account, &alice.pubkey(), shares, 0);
    let (result, logs) = env.chain.send_logged(&[ix], &[alice]).await;
    result.unwrap();
    events::<Withdrawn>(&logs).pop().expect("Withdrawn event")
}

async fn shares_worth(env: &mut VaultClient, lamports: u64) -> u64 {
    let (free, supply) = env.share_price().await;
    (lamports as u128 * supply / free) as u64
}

#[tokio::test]
async fn pool_add_and_remove_move_value_not_price() {
    let (mut env, _, _) = pooled_vault(default_params()).await;
    let allocator = env.v.allocator.pubkey();
    let price_before = env.share_price().await;
    let pool_tokens = env.pool_tokens_for(SOL / 2).await;

    let (result, logs) =
        env.chain.send_logged(&[env.pool_add_ix(&allocator, pool_tokens)], &[&env.v.allocator.insecure_clone()]).await;
    result.unwrap();
    let added = events::<PoolMoved>(&logs).pop().unwrap();
    assert_eq!(added.pool_tokens, pool_tokens);
    assert!(added.lamports.abs_diff(SOL / 2) <= 1, "{added:?}");
    assert!(added.pool_value_lamports.abs_diff(SOL) <= 2, "{added:?}");
    assert_ledger_matches_accounts(&mut env).await;
    // Proportional liquidity at the stake-pool rate: the share price does not move (rounding
    // of at most a few lamports goes to the pool, which the vault now partly owns).
    let after_add = env.share_price().await;
    assert!(after_add.0 + 3 >= price_before.0 && after_add.1 == price_before.1, "{price_before:?} -> {after_add:?}");

    let (result, logs) = env
        .chain
        .send_logged(&[env.pool_remove_ix(&allocator, pool_tokens)], &[&env.v.allocator.insecure_clone()])
        .await;
    result.unwrap();
    let removed = events::<PoolMoved>(&logs).pop().unwrap();
    assert_eq!(removed.vault_pool_tokens, 0);
    assert!(removed.lamports + 2 >= added.lamports && removed.lst_amount + 2 >= added.lst_amount, "{removed:?}");
    assert_ledger_matches_accounts(&mut env).await;
    let after_remove = env.share_price().await;
    assert!(after_remove.0 + 6 >= price_before.0, "{price_before:?} -> {after_remove:?}");
}

#[tokio::test]
async fn withdrawal_larger_than_the_reserve_is_paid_through_the_pool() {
    let (mut env, alice, shares_account) = vault_in_pool().await;
    let reserve = env.vault().await.accounting.reserve_lamports;
    let price_before = env.share_price().await;
    let supply = env.share_supply().await;
    let shares = shares_worth(&mut env, reserve + 3 * SOL).await;
    let owed = lamports_for_shares_floor(shares, supply, price_before.0 as u64).unwrap();
    let alice_before = env.chain.lamports(&alice.pubkey()).await;

    let event = withdraw_logged(&mut env, &alice, &shares_account, shares).await;
    assert!(event.lst_sold > 0, "{event:?}");
    // The withdrawer bears the sale's cost: the 5 bp trading fee and a little price impact,
    // within the 50 bp bound on the part that was sold.
    assert_eq!(event.lamports + event.exit_cost_lamports, owed);
    assert!(event.exit_cost_lamports > 0 && event.exit_cost_lamports <= (owed - reserve) * 50 / 10_000, "{event:?}");
    assert_eq!(env.chain.lamports(&alice.pubkey()).await, alice_before + event.lamports);

    // Those who stay are no worse off (the dead shares here, and anyone else).
    assert!(price_not_lower(price_before, env.share_price().await));
    assert_ledger_matches_accounts(&mut env).await;
}

#[tokio::test]
async fn a_pool_pushed_before_a_withdrawal_costs_the_withdrawer_or_fails() {
    let (mut env, alice, shares_account) = vault_in_pool().await;
    let trader: Trader = env.trader(60 * SOL, SOL).await;
    let reserve = env.vault().await.accounting.reserve_lamports;
    let shares = shares_worth(&mut env, reserve + 3 * SOL).await;
    let withdraw = env.withdraw_ix(&alice.pubkey(), &shares_account, &alice.pubkey(), shares, 0);

    // A large dump of LST in the same transaction: the pool cannot pay the rate less 50 bp, so
    // the withdrawal fails with the named error and the whole transaction, dump included, is
    // undone.
    let dump = env.trade_ix(&trader, true, 50 * SOL);
    let watch = [shares_account, trader.lst, trader.wsol];
    env.assert_rejected(&[dump, withdraw.clone()], &[&trader.keypair, &alice], VaultError::SlippageExceeded, &watch)
        .await;

    // A small push in the same transaction stays within the bound: the withdrawal goes
    // through, the withdrawer pays for the worse price, the share price does not follow.
    let price_before = env.share_price().await;
    let supply = env.share_supply().await;
    let owed = lamports_for_shares_floor(shares, supply, price_before.0 as u64).unwrap();
    let push = env.trade_ix(&trader, true, 5 * SOL);
    let (result, logs) = env.chain.send_logged(&[push, withdraw], &[&trader.keypair, &alice]).await;
    result.unwrap();
    let event = events::<Withdrawn>(&logs).pop().unwrap();
    // The push paid the pool its fee first, a little of which is the vault's: a lamport or two
    // more for every share, the withdrawer's included.
    let valued = event.lamports + event.exit_cost_lamports;
    assert!(valued >= owed && valued <= owed + 2, "{valued} for {owed} owed before the push");
    assert!(event.exit_cost_lamports > 0);
    assert!(price_not_lower(price_before, env.share_price().await));
    assert_ledger_matches_accounts(&mut env).await;
}

#[tokio::test]
async fn the_share_price_does_not_follow_the_pool_price() {
    let (mut env, _, _) = vault_in_pool().await;
    let trader = env.trader(60 * SOL, 60 * SOL).await;
    let price_before = env.share_price().await;
    let (live_before, _) = env.valuation().await;

    // Dumping LST makes the pool pay far less than the rate; pumping makes it charge far more.
    // The vault values its pool tokens at the stake-pool rate, which a trade can only raise
    // (the pool's value at a fixed price is lowest where its own price equals it), and the
    // withdrawal price never counts a raise until it is harvested.
    for (sell_lst, amount) in [(true, 50 * SOL), (false, 50 * SOL), (false, 50 * SOL)] {
        env.trade(&trader, sell_lst, amount).await.unwrap();
        let (live, _) = env.valuation().await;
        assert!(live >= live_before, "{live} < {live_before}");
        let price = env.share_price().await;
        assert!(price_not_lower(price_before, price), "{price_before:?} -> {price:?}");
        assert!(price.0 <= env.vault().await.accounting.last_total_assets_lamports as u128);
    }
}

#[tokio::test]
async fn caps_and_bounds_trip_with_named_errors_and_change_nothing() {
    let (mut env, alice, shares_account) = vault_in_pool().await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();

    // 20% of 10 SOL may sit in the pool; 1 SOL already does.
    let too_much = env.pool_tokens_for(SOL).await;
    env.assert_rejected(&[env.pool_add_ix(&me, too_much)], &[&allocator], VaultError::PoolAllocationExceeded, &[])
        .await;
    let held = env.vault().await.accounting.pool_tokens;
    env.assert_rejected(&[env.pool_remove_ix(&me, held + 1)], &[&allocator], VaultError::InsufficientHoldings, &[])
        .await;
    env.assert_rejected(&[env.pool_add_ix(&me, 0)], &[&allocator], VaultError::ZeroAmount, &[]).await;
    let stranger = env.chain.funded_keypair(SOL).await;
    env.assert_rejected(&[env.pool_add_ix(&stranger.pubkey(), 1_000)], &[&stranger], VaultError::NotAllocator, &[])
        .await;

    // All of Alice's shares: more than the reserve and every loose LST can pay.
    let all = env.chain.token_balance(&shares_account).await;
    let withdraw_all = env.withdraw_ix(&alice.pubkey(), &shares_account, &alice.pubkey(), all, 0);
    env.assert_rejected(&[withdraw_all], &[&alice], VaultError::InsufficientLiquidity, &[shares_account]).await;
    // A minimum the pool-paid amount cannot meet: the sale is undone with the rest.
    let reserve = env.vault().await.accounting.reserve_lamports;
    let shares = shares_worth(&mut env, reserve + 2 * SOL).await;
    let greedy = env.withdraw_ix(&alice.pubkey(), &shares_account, &alice.pubkey(), shares, reserve + 2 * SOL);
    env.assert_rejected(&[greedy], &[&alice], VaultError::MinLamportsOutNotMet, &[shares_account]).await;

    // A pool pushed off the stake-pool rate takes no new liquidity from the vault.
    let trader = env.trader(150 * SOL, SOL).await;
    env.trade(&trader, true, 140 * SOL).await.unwrap();
    env.assert_rejected(&[env.pool_add_ix(&me, 1_000_000)], &[&allocator], VaultError::PoolPriceOffRate, &[]).await;

    // Paused: no new liquidity, but the allocator can still take it out.
    let guardian = env.v.guardian.insecure_clone();
    env.send_as(env.set_pause_ix(&guardian.pubkey(), true), &guardian).await.unwrap();
    env.assert_rejected(&[env.pool_add_ix(&me, 1_000)], &[&allocator], VaultError::VaultPaused, &[]).await;
    env.as_allocator(env.pool_remove_ix(&me, held)).await.unwrap();
    assert_ledger_matches_accounts(&mut env).await;
}

#[tokio::test]
async fn the_minimum_sol_reserve_holds_against_pool_adds() {
    let params = RiskParams { max_pool_alloc_bps: 5_000, ..default_params() };
    let (mut env, _, _) = pooled_vault(params).await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    // 2.01 SOL in reserve; a 1.2 SOL side leaves 0.81, below 10% of 10 SOL.
    let pool_tokens = env.pool_tokens_for(6 * SOL / 5).await;
    env.assert_rejected(&[env.pool_add_ix(&me, pool_tokens)], &[&allocator], VaultError::MinReserveBreached, &[]).await;
    let pool_tokens = env.pool_tokens_for(3 * SOL).await;
    env.assert_rejected(&[env.pool_add_ix(&me, pool_tokens)], &[&allocator], VaultError::InsufficientReserve, &[])
        .await;
}

#[tokio::test]
async fn the_pool_binds_once_and_only_to_an_lst_sol_stable_pool() {
    let (mut env, _, _) = pooled_vault(default_params()).await;
    let admin = env.v.admin.insecure_clone();
    let (swap, pool_mint) = (env.pool_setup().pool.swap, env.pool_setup().pool.pool_mint);
    let again = env.bind_pool_ix(&admin.pubkey(), &swap, &pool_mint);
    env.assert_rejected(&[again], &[&admin], VaultError::PoolAlreadyBound, &[]).await;
    // A stranger may not bind.
    let stranger = env.chain.funded_keypair(SOL).await;
    let ix = env.bind_pool_ix(&stranger.pubkey(), &swap, &pool_mint);
    env.assert_rejected(&[ix], &[&stranger], VaultError::NotAdmin, &[]).await;
}

#[tokio::test]
async fn trading_fees_earned_in_the_pool_raise_the_share_price_after_harvest() {
    let (mut env, _, _) = vault_in_pool().await;
    env.harvest().await.unwrap();
    env.chain.advance_secs(86_400).await;
    env.sync_prices().await;
    let price_before = env.share_price().await;

    // A trader goes back and forth: every trade leaves 4 bp with the liquidity providers.
    let trader = env.trader(30 * SOL, SOL).await;
    for _ in 0..10 {
        let wsol_before = env.chain.token_balance(&trader.wsol).await;
        env.trade(&trader, true, 20 * SOL).await.unwrap();
        let received = env.chain.token_balance(&trader.wsol).await - wsol_before;
        env.trade(&trader, false, received).await.unwrap();
    }
    // Not counted before it is harvested...
    assert_eq!(env.share_price().await, price_before);
    let harvester = env.v.allocator.insecure_clone();
    let (result, logs) = env.chain.send_logged(&[env.harvest_ix(&harvester.pubkey())], &[&harvester]).await;
    result.unwrap();
    let harvested = events::<Harvested>(&logs).pop().unwrap();
    assert!(harvested.profit_lamports > 0, "{harvested:?}");
    // ...and counted once it unlocks.
    env.chain.advance_secs(86_400).await;
    let price_after = env.share_price().await;
    assert!(!price_not_lower(price_after, price_before), "not higher: {price_before:?} -> {price_after:?}");
}

#[tokio::test]
async fn a_looped_vault_in_the_pool_values_both_and_pays_exits_through_the_pool() {
    let (mut env, alice, shares_account) = vault_in_pool().await;
    let allocator = env.v.allocator.pubkey();
    // Lending instructions take the pool's valuation accounts after their own.
    env.as_allocator(env.lend_supply_ix(&allocator, 4 * SOL)).await.unwrap();
    env.as_allocator(env.leverage_up_ix(&allocator, SOL)).await.unwrap();
    let (live, lending) = env.valuation().await;
    let pool = env.pool_position().await;
    assert!(lending.debt_lamports >= SOL && pool.lamports > 0, "{lending:?} {pool:?}");
    let vault = env.vault().await;
    assert!(live.abs_diff(vault.accounting.last_total_assets_lamports) < SOL / 100, "{live} vs the ledger");

    let price_before = env.share_price().await;
    let reserve = vault.accounting.reserve_lamports;
    let shares = shares_worth(&mut env, reserve + SOL).await;
    let event = withdraw_logged(&mut env, &alice, &shares_account, shares).await;
    assert!(event.lst_sold > 0);
    assert!(price_not_lower(price_before, env.share_price().await));
    assert_ledger_matches_accounts(&mut env).await;
}

#[tokio::test]
async fn no_harvest_books_a_gain_from_a_pushed_pool() {
    let (mut env, _, _) = vault_in_pool().await;
    env.harvest().await.unwrap();
    let booked = env.vault().await.accounting.last_total_assets_lamports;
    let trader = env.trader(60 * SOL, 60 * SOL).await;
    // Pushed far: the pool's reserves at the rate look richer, but a trade back would take that
    // away again. The pool share is valued at its fair point, which the push does not raise, so
    // anyone may harvest now and books only the trading fees the push paid the pool.
    let (_, sol_before, _) = env.pool_reserves().await;
    env.trade(&trader, false, 50 * SOL).await.unwrap();
    let (_, sol_after, _) = env.pool_reserves().await;
    let stranger = env.chain.funded_keypair(SOL).await;
    let (result, logs) = env.chain.send_logged(&[env.harvest_ix(&stranger.pubkey())], &[&stranger]).await;
    result.unwrap();
    let harvested = events::<Harvested>(&logs).pop().unwrap();
    // The vault holds a fraction of the pool; the whole pool's fee on the trade is 5 bp of it.
    let whole_pool_fee = (sol_after - sol_before) * 5 / 10_000 + 1;
    assert!(harvested.profit_lamports <= whole_pool_fee, "{harvested:?}, fee {whole_pool_fee}");
    assert!(env.vault().await.accounting.last_total_assets_lamports <= booked + whole_pool_fee);
}
