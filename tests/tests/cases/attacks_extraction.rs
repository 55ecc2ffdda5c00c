//! Value extraction (`docs/SECURITY.md` checklist items 29, 30 and 34): paths by which an outsider
//! could take value from the holders without any privileged key, performed against the real
//! program, pool and lending market. Each asserts money: what the attacker ends with against
//! what it started with, valued in SOL with LST at the stake-pool rate, and the holders' price.
use ballast::events::Unwound;
use ballast::state::RiskParams;
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::vault_pool::{price_not_lower, Trader};
use ballast_localnet::VaultClient;
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::Signer;

use super::attacks_common::shareholder;

/// A 15 SOL vault looped at 50% on a market lending SOL at 100% a year, holding half of a small
/// stable LST/SOL pool (1.5 SOL a side before the vault's 3 SOL), harvested; then 400,000 slots
/// of debt interest, which leaves a real loss that nobody has booked yet.
async fn vault_with_unbooked_loss() -> VaultClient {
    let params = RiskParams { max_pool_alloc_bps: 3_000, min_sol_reserve_bps: 500, ..default_params() };
    let mut env = VaultClient::start_looped_on(ballast_localnet::Chain::start().await, params, 100, 100).await;
    shareholder(&mut env, 5 * SOL).await;
    env.bind_pool(3 * SOL / 2).await;
    env.stake(2 * SOL).await.expect("stake for the pool");
    let allocator = env.v.allocator.pubkey();
    let pool_tokens = env.pool_tokens_for(3 * SOL / 2).await;
    env.as_allocator(env.pool_add_ix(&allocator, pool_tokens)).await.expect("pool_add");
    env.harvest().await.expect("harvest");
    let live_before = env.valuation().await.0;
    env.warp_slots(400_000).await;
    let live_after = env.valuation().await.0;
    let booked = env.vault().await.accounting.last_total_assets_lamports;
    assert!(live_after < booked && live_before > live_after, "no unbooked loss: {live_before} -> {live_after}");
    env
}

/// Everything the trader holds, in lamports: SOL, wSOL, and LST at the stake-pool rate.
async fn worth(env: &mut VaultClient, trader: &Trader) -> u64 {
    let rate = env.rate().await;
    let lst = env.chain.token_balance(&trader.lst).await;
    env.chain.lamports(&trader.keypair.pubkey()).await
        + env.chain.token_balance(&trader.wsol).await
        + rate.lst_to_lamports_floor(lst).unwrap()
}

/// Item 29: deposit, push the pool off the rate, withdraw, trade back, four times, while the
/// vault carries an unbooked loss. Pushing the pool must not raise what the vault's pool share is
/// worth, so the attacker cannot withdraw more than it deposited, and the holders lose nothing.
#[tokio::test]
async fn item_29_pool_pushed_around_a_deposit_and_withdrawal_extracts_nothing() {
    let mut env = vault_with_unbooked_loss().await;
    let trader = env.trader(10 * SOL, SOL).await;
    env.chain.airdrop(&trader.keypair.pubkey(), 100 * SOL).await;
    let share_mint = env.v.share_mint;
    let attacker_shares: Pubkey = env.chain.token_account(&share_mint, &trader.keypair.pubkey()).await;
    let attacker_start = worth(&mut env, &trader).await;
    let holders_price_start = env.share_price().await;

    for cycle in 0..4 {
        let deposit = env.deposit_ix(&trader.keypair.pubkey(), &attacker_shares, 100 * SOL, 0);
        env.chain.send(&[deposit], &[&trader.keypair]).await.expect("deposit");
        let shares = env.chain.token_balance(&attacker_shares).await;
        // The pool's SOL side bought through: LST sold until the pool has little SOL left.
        let wsol_before = env.chain.token_balance(&trader.wsol).await;
        let push = env.trade_ix(&trader, true, 8 * SOL);
        let withdraw = env.withdraw_ix(&trader.keypair.pubkey(), &attacker_shares, &trader.keypair.pubkey(), shares, 0);
        let result = env.chain.send(&[push, withdraw], &[&trader.keypair]).await;
        assert!(result.is_ok(), "cycle {cycle}: {result:?}");
        let bought = env.chain.token_balance(&trader.wsol).await - wsol_before;
        env.trade(&trader, false, bought).await.expect("trade back");
    }

    let attacker_end = worth(&mut env, &trader).await;
    let holders_price_end = env.share_price().await;
    println!(
        "pool-push cycles: attacker {} lamports, holders' free assets per share {:?} -> {:?}",
        attacker_end as i128 - attacker_start as i128,
        holders_price_start,
        holders_price_end
    );
    assert!(
        attacker_end <= attacker_start,
        "the attacker gained {} lamports over four cycles",
        attacker_end - attacker_start
    );
    assert!(
        price_not_lower(holders_price_start, holders_price_end),
        "the holders' price fell: {holders_price_start:?} -> {holders_price_end:?}"
    );
}

/// Item 30: the caller of a permissionless unwind sandwiches it in one transaction: it sells LST
/// into the pool so the unwind's sale fetches as little as the vault accepts, unwinds, and buys
/// the LST back cheap. What it can keep is bounded by the unwind's own small bound on what the
/// vault sold, plus the capped reward; a wider conversion bound (`max_slippage_bps`, 400 here as
/// in the scenarios) does not widen it.
#[tokio::test]
async fn item_30_an_unwind_sandwiched_by_its_caller_yields_at_most_its_own_bound_and_the_reward() {
    let params = RiskParams { max_slippage_bps: 400, ..default_params() };
    let mut env = VaultClient::start_looped_on(ballast_localnet::Chain::start().await, params, 0, 4).await;
    env.bind_pool(100 * SOL).await;
    env.mark_lst_down(0.64).await;
    assert!(env.market_ltv_bps().await > 7_500);
    let attacker = env.trader(80 * SOL, SOL).await;
    let attacker_start = worth(&mut env, &attacker).await;
    let vault_start = env.free_assets().await;

    // The largest push the unwind still accepts, found the way an attacker would: the first of a
    // descending ladder that lands (a refused transaction changes nothing).
    let unwind = env.unwind_ix(&attacker.keypair.pubkey(), u64::MAX);
    let mut landed = None;
    for push_lamports in [70, 60, 50, 40, 30, 20, 15, 10, 6, 3, 1].map(|sol| sol * SOL) {
        let lst_in = env.rate().await.lamports_to_lst_floor(push_lamports).unwrap();
        let wsol_before = env.chain.token_balance(&attacker.wsol).await;
        let push = env.trade_ix(&attacker, true, lst_in);
        let (result, logs) = env.chain.send_logged(&[push, unwind.clone()], &[&attacker.keypair]).await;
        if result.is_ok() {
            let bought = env.chain.token_balance(&attacker.wsol).await - wsol_before;
            landed = Some((push_lamports, bought, ballast_localnet::chain::events::<Unwound>(&logs).pop().unwrap()));
            break;
        }
    }
    let (push_lamports, bought, unwound) = landed.expect("no sandwich landed, not even a 1 SOL push");
    env.trade(&attacker, false, bought).await.expect("buy back");

    let gain = worth(&mut env, &attacker).await as i128 - attacker_start as i128;
    let rate = env.rate().await;
    let sold_value_lamports = rate.lst_to_lamports_floor(unwound.lst_sold).unwrap();
    let bound_lamports =
        sold_value_lamports as u128 * env.vault().await.risk_params.unwind_slippage_bps as u128 / 10_000;
    let vault_loss = vault_start as i128 - env.free_assets().await as i128;
    println!(
        "sandwich: push {} SOL, sold {} lamports of LST at the rate, caller gained {gain}, reward {}, bound {bound_lamports}, vault lost {vault_loss}",
        push_lamports / SOL,
        sold_value_lamports,
        unwound.reward_lamports
    );
    assert!(
        gain <= (bound_lamports + unwound.reward_lamports as u128) as i128,
        "the caller kept {gain} lamports, above the bound {bound_lamports} plus the reward {}",
        unwound.reward_lamports
    );
}

/// Item 34: a loss is booked by anyone, at once; new profit booked by anyone does not restart
/// the unlock of profit already locked, so a stranger harvesting dust cannot hold it back.
#[tokio::test]
async fn item_34_anyone_books_a_loss_and_a_dust_harvest_does_not_hold_back_locked_profit() {
    let mut env = vault_with_unbooked_loss().await;
    let stranger = env.chain.funded_keypair(SOL).await;
    let live = env.valuation().await.0;
    let result = env.chain.send(&[env.harvest_ix(&stranger.pubkey())], &[&stranger]).await;
    assert!(result.is_ok(), "a stranger's harvest: {result:?}");
    let vault = env.vault().await;
    assert_eq!(vault.accounting.last_total_assets_lamports, live, "the loss was not booked");

    // A gain, harvested and half unlocked.
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = env.depositor(11 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    env.stake(8 * SOL).await.unwrap();
    env.epoch_with_rewards(SOL).await;
    env.harvest().await.unwrap();
    let unlock_secs = env.vault().await.risk_params.profit_unlock_secs as i64;
    env.chain.advance_secs(unlock_secs / 2).await;
    // A stranger harvests again (no new profit to speak of) half way through...
    let stranger = env.chain.funded_keypair(SOL).await;
    env.chain.send(&[env.harvest_ix(&stranger.pubkey())], &[&stranger]).await.unwrap();
    // ...and what was locked still unlocks when it was due to.
    env.chain.advance_secs(unlock_secs / 2 + 2).await;
    let (free, _) = env.share_price().await;
    let live = env.valuation().await.0;
    assert!(free as u64 + 1_000 >= live, "locked profit held back: free {free}, live {live}");
}
