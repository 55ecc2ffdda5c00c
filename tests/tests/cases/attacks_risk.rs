//! Risk attacks (`docs/SECURITY.md` checklist items 16, 17, 18, 19, 20, 23, 24, 27 and 28), each
//! performed against the real program: stale, foreign, unverified, imprecise or oddly scaled
//! prices; a stake-pool rate from a past epoch; unwinds that are not needed, would leave the
//! position worse or pay someone else; leverage past its bounds; and a paused vault. Risk-adding
//! actions fail with the named error and change nothing; withdrawals, deleveraging and unwinds
//! keep working whenever they safely can, with the amounts checked.
use anchor_lang::error::ErrorCode as AnchorError;
use ballast::errors::VaultError;
use ballast::events::{LendingMoved, Unwound, Withdrawn};
use ballast::state::RiskParams;
use ballast_keeper::chain::EmbeddedChain;
use ballast_keeper::keeper::{Action, Keeper, KeeperConfig};
use ballast_localnet::chain::{assert_error, events};
use ballast_localnet::oracle::price_update;
use ballast_localnet::vault::{default_params, usd_raw, FEED_EXPONENT, LST_USD_FEED, SOL, SOL_USD, SOL_USD_FEED};
use ballast_localnet::VaultClient;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};
use solana_program::instruction::Instruction;
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

use super::attacks_common::{shareholder, substitute};

/// What a withdrawal of `shares` pays now (no fee), exactly as the program prices it.
async fn owed_for(env: &mut VaultClient, shares: u64) -> u64 {
    let (free, supply) = env.share_price().await;
    ballast::math::shares::lamports_for_shares_floor(shares, supply as u64, free as u64).expect("in range")
}

/// Withdraws all of `holder`'s shares: paid exactly what they are worth, less only the cost of
/// selling LST through the pool for what the reserve cannot pay (at most 50 bp of that part).
async fn withdraw_all_exactly(env: &mut VaultClient, holder: &Keypair, shares_account: &Pubkey, step: &str) -> u64 {
    let shares = env.chain.token_balance(shares_account).await;
    let owed = owed_for(env, shares).await;
    let reserve = env.vault().await.accounting.reserve_lamports;
    let before = env.chain.lamports(&holder.pubkey()).await;
    let ix = env.withdraw_ix(&holder.pubkey(), shares_account, &holder.pubkey(), shares, 0);
    let (result, logs) = env.chain.send_logged(&[ix], &[holder]).await;
    assert!(result.is_ok(), "{step}: withdrawal: {result:?}");
    let withdrawn = events::<Withdrawn>(&logs).pop().expect("Withdrawn event");
    let paid = env.chain.lamports(&holder.pubkey()).await - before;
    assert_eq!(paid, withdrawn.lamports, "{step}");
    assert_eq!(withdrawn.lamports + withdrawn.exit_cost_lamports, owed, "{step}");
    let sold_lamports = owed.saturating_sub(reserve);
    assert!(withdrawn.exit_cost_lamports <= sold_lamports * 50 / 10_000 + 1, "{step}: {withdrawn:?}");
    assert_eq!(env.chain.token_balance(shares_account).await, 0);
    paid
}

/// A leverage step the allocator signs.
fn leverage(env: &VaultClient, borrow_lamports: u64) -> Instruction {
    env.leverage_up_ix(&env.v.allocator.pubkey(), borrow_lamports)
}

/// Writes `update` into the vault's SOL/USD (`sol`) or LST/USD receiver account.
async fn write_update(env: &mut VaultClient, sol: bool, update: &PriceUpdateV2, owner: &Pubkey) {
    let key = if sol { env.lending().sol_usd_update } else { env.lending().lst_usd_update };
    env.chain.write_price_update(&key, update, owner).await;
}

/// A valid update of `feed` at `usd`, published now.
async fn fresh(env: &mut VaultClient, feed: [u8; 32], usd: f64) -> PriceUpdateV2 {
    let now = env.chain.clock().await.unix_timestamp;
    price_update(feed, usd_raw(usd), 0, FEED_EXPONENT, now)
}

/// The risk-adding instructions that read the vault's prices on a looped vault: a leverage step
/// and a collateral withdrawal (which adds risk while there is debt).
fn risk_adding(env: &VaultClient) -> [Instruction; 2] {
    let allocator = env.v.allocator.pubkey();
    [env.leverage_up_ix(&allocator, SOL), env.lend_withdraw_ix(&allocator, SOL / 2)]
}

/// Each risk-adding instruction fails with `error` and changes nothing.
async fn risk_adding_rejected(env: &mut VaultClient, error: VaultError) {
    let allocator = env.v.allocator.insecure_clone();
    for ix in risk_adding(env) {
        env.assert_rejected(&[ix], &[&allocator], error, &[]).await;
    }
}

#[tokio::test]
async fn item_16_stale_prices_block_leverage_but_not_withdraw_deleverage_or_unwind() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let (bob, bob_shares) = shareholder(&mut env, SOL).await;
    env.mark_lst_down(0.64).await;
    // An hour passes without a receiver update (the limit is 60 s); the lending market's own
    // oracles stay fresh, as it requires for any refresh.
    env.chain.advance_secs(3_600).await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    risk_adding_rejected(&mut env, VaultError::OracleStale).await;
    let pool_tokens = env.pool_tokens_for(SOL / 4).await;
    env.assert_rejected(&[env.pool_add_ix(&me, pool_tokens)], &[&allocator], VaultError::OracleStale, &[]).await;

    // Bob leaves with exactly what his shares are worth.
    let paid = withdraw_all_exactly(&mut env, &bob, &bob_shares, "stale prices").await;
    assert!(paid <= SOL && paid + 2 >= SOL, "{paid}");
    // The allocator repays debt.
    let debt_before = env.lending_health(None).await.debt_lamports;
    let repaid = env.as_allocator(env.deleverage_ix(&me, SOL / 4)).await;
    assert!(repaid.is_ok(), "{repaid:?}");
    assert_eq!(env.lending_health(None).await.debt_lamports, debt_before - SOL / 4);
    // Anyone unwinds.
    let ltv_before = env.market_ltv_bps().await;
    assert!(ltv_before > 7_500, "{ltv_before}");
    let caller = env.chain.funded_keypair(SOL).await;
    let unwound = env.chain.send(&[env.unwind_ix(&caller.pubkey(), u64::MAX)], &[&caller]).await;
    assert!(unwound.is_ok(), "{unwound:?}");
    let ltv_after = env.market_ltv_bps().await;
    assert!(ltv_after <= 6_000, "{ltv_before} -> {ltv_after}");
}

#[tokio::test]
async fn item_17_a_valid_update_for_another_feed_is_refused() {
    let mut env = VaultClient::start_looped(default_params(), 0, 4).await;
    let receiver = pyth_solana_receiver_sdk::ID;
    let allocator = env.v.allocator.insecure_clone();

    // The LST/USD account passed in the SOL/USD slot (both valid, fresh, fully verified).
    let (sol_key, lst_key) = (env.lending().sol_usd_update, env.lending().lst_usd_update);
    for ix in risk_adding(&env) {
        let ix = substitute(ix, sol_key, lst_key);
        env.assert_rejected(&[ix], &[&allocator], VaultError::OracleFeedMismatch, &[]).await;
    }
    // The SOL/USD account passed in both slots.
    for ix in risk_adding(&env) {
        let ix = substitute(ix, lst_key, sol_key);
        env.assert_rejected(&[ix], &[&allocator], VaultError::OracleFeedMismatch, &[]).await;
    }
    // A third feed at the same price, written where the vault's SOL/USD update lives, then where
    // its LST/USD update lives.
    let other_feed = [0x11; 32];
    let update = fresh(&mut env, other_feed, SOL_USD).await;
    write_update(&mut env, true, &update, &receiver).await;
    risk_adding_rejected(&mut env, VaultError::OracleFeedMismatch).await;
    env.sync_prices().await;
    write_update(&mut env, false, &update, &receiver).await;
    risk_adding_rejected(&mut env, VaultError::OracleFeedMismatch).await;
    // The two feeds swapped inside the accounts.
    let sol_update = fresh(&mut env, SOL_USD_FEED, SOL_USD).await;
    let lst_update = fresh(&mut env, LST_USD_FEED, SOL_USD).await;
    write_update(&mut env, true, &lst_update, &receiver).await;
    write_update(&mut env, false, &sol_update, &receiver).await;
    risk_adding_rejected(&mut env, VaultError::OracleFeedMismatch).await;

    env.sync_prices().await;
    let stepped = env.as_allocator(leverage(&env, SOL)).await;
    assert!(stepped.is_ok(), "with the right feeds: {stepped:?}");
}

#[tokio::test]
async fn item_18_unverified_or_foreign_owned_price_accounts_are_refused() {
    let mut env = VaultClient::start_looped(default_params(), 0, 4).await;
    let receiver = pyth_solana_receiver_sdk::ID;
    for sol in [true, false] {
        let feed = if sol { SOL_USD_FEED } else { LST_USD_FEED };
        let good = fresh(&mut env, feed, SOL_USD).await;
        // Partially verified: fewer guardian signatures than a full verification.
        let mut partial = good.clone();
        partial.verification_level = VerificationLevel::Partial { num_signatures: 5 };
        write_update(&mut env, sol, &partial, &receiver).await;
        risk_adding_rejected(&mut env, VaultError::OracleNotFullyVerified).await;
        // The right bytes, in an account of another program.
        write_update(&mut env, sol, &good, &Pubkey::new_unique()).await;
        risk_adding_rejected(&mut env, VaultError::OracleOwnerMismatch).await;
        // ... or of the system program (a plain wallet).
        write_update(&mut env, sol, &good, &solana_program::system_program::id()).await;
        risk_adding_rejected(&mut env, VaultError::OracleOwnerMismatch).await;
        // The receiver's account, but not a price update.
        let key = if sol { env.lending().sol_usd_update } else { env.lending().lst_usd_update };
        let len = env.chain.data(&key).await.len();
        env.chain.write_account(&key, &receiver, vec![7u8; len]).await;
        risk_adding_rejected(&mut env, VaultError::OracleAccountInvalid).await;
        env.sync_prices().await;
    }
    let stepped = env.as_allocator(leverage(&env, SOL)).await;
    assert!(stepped.is_ok(), "with verified receiver accounts: {stepped:?}");
}

#[tokio::test]
async fn item_19_wide_non_positive_or_oddly_scaled_prices() {
    let mut env = VaultClient::start_looped(default_params(), 0, 4).await;
    let receiver = pyth_solana_receiver_sdk::ID;
    let now = env.chain.clock().await.unix_timestamp;
    let raw = usd_raw(SOL_USD);
    for sol in [true, false] {
        let feed = if sol { SOL_USD_FEED } else { LST_USD_FEED };
        let rejected: [(PriceUpdateV2, VaultError); 6] = [
            // 3% confidence (the limit is 2%).
            (price_update(feed, raw, raw as u64 * 3 / 100, FEED_EXPONENT, now), VaultError::OracleConfidenceTooWide),
            (price_update(feed, 0, 0, FEED_EXPONENT, now), VaultError::OraclePriceNotPositive),
            (price_update(feed, -raw, 0, FEED_EXPONENT, now), VaultError::OraclePriceNotPositive),
            (price_update(feed, i64::MIN, 0, FEED_EXPONENT, now), VaultError::OraclePriceNotPositive),
            // Exponents outside -18..=6 (the first still reads $150).
            (price_update(feed, raw * 1_000, 0, -19, now), VaultError::OracleExponentUnsupported),
            (price_update(feed, 1, 0, 7, now), VaultError::OracleExponentUnsupported),
        ];
        for (update, error) in rejected {
            write_update(&mut env, sol, &update, &receiver).await;
            risk_adding_rejected(&mut env, error).await;
        }
        env.sync_prices().await;
    }

    // The same $150 on both feeds, written with unusual exponents on each side: a misread
    // exponent would put the LST/SOL price 10^n off the stake-pool rate (and trip the depeg
    // guard); read right, the step goes through and values the collateral at exactly 1 SOL.
    for (sol_raw, sol_exponent, lst_raw, lst_exponent) in
        [(15, 1, 150_000, -3), (150, 0, 1_500_000_000_000_000_000i64, -16), (15_000, -2, 15, 1)]
    {
        let now = env.chain.clock().await.unix_timestamp;
        let sol_update = price_update(SOL_USD_FEED, sol_raw, 0, sol_exponent, now);
        let lst_update = price_update(LST_USD_FEED, lst_raw, 0, lst_exponent, now);
        write_update(&mut env, true, &sol_update, &receiver).await;
        write_update(&mut env, false, &lst_update, &receiver).await;
        let allocator = env.v.allocator.insecure_clone();
        let (result, logs) = env.chain.send_logged(&[leverage(&env, SOL / 2)], &[&allocator]).await;
        assert!(result.is_ok(), "exponents {sol_exponent}/{lst_exponent}: {result:?}");
        let moved = events::<LendingMoved>(&logs).pop().expect("LendingMoved event");
        let expected_ltv_bps = (moved.debt_lamports as u128 * 10_000).div_ceil(moved.collateral_lst as u128) as u64;
        assert_eq!(moved.conservative_ltv_bps, expected_ltv_bps, "{moved:?}");
    }
}

/// `ix` fails with `StakePoolStale`, its message tells the caller to crank the pool, and
/// nothing changed.
async fn stale_rate_rejected(env: &mut VaultClient, ix: Instruction, signer: &Keypair, watch: &[Pubkey]) {
    let mut keys = watch.to_vec();
    keys.push(signer.pubkey());
    let before = env.snapshot(&keys).await;
    let (result, logs) = env.chain.send_logged(&[ix], &[signer]).await;
    assert_error(result, VaultError::StakePoolStale);
    let clear =
        "Stake pool was not updated this epoch: run UpdateValidatorListBalance and UpdateStakePoolBalance first";
    assert!(logs.iter().any(|line| line.contains(clear)), "{logs:#?}");
    before.assert_same(&env.snapshot(&keys).await);
}

#[tokio::test]
async fn item_20_a_rate_from_a_past_epoch_is_refused_with_a_clear_error() {
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = shareholder(&mut env, 10 * SOL).await;
    let staked = env.stake(8 * SOL).await;
    assert!(staked.is_ok(), "{staked:?}");
    // Rewards arrive and the epoch turns; nobody has run the pool's update yet, so its rate
    // still misses them (a slashing would be missed the same way).
    env.chain.next_epoch().await;
    env.pool.add_rewards(&mut env.chain, 20 * SOL).await;
    let allocator = env.v.allocator.insecure_clone();
    let (me, alloc) = (alice.pubkey(), allocator.pubkey());
    let cases = [
        (env.deposit_ix(&me, &alice_shares, SOL, 0), &alice),
        (env.withdraw_ix(&me, &alice_shares, &me, SOL, 0), &alice),
        (env.stake_ix(&alloc, SOL / 2), &allocator),
        (env.harvest_ix(&alloc), &allocator),
    ];
    for (ix, signer) in cases {
        stale_rate_rejected(&mut env, ix, signer, &[alice_shares]).await;
    }

    // Anyone cranks the pool; the vault then values its LST at the new rate.
    env.pool.update(&mut env.chain).await;
    let rate = env.rate().await;
    assert!(rate.total_lamports > rate.pool_token_supply, "the rewards are booked: {rate:?}");
    let (bob, bob_shares) = env.depositor(2 * SOL).await;
    let (live, _) = env.valuation().await;
    let supply = env.share_supply().await;
    let deposited = env.deposit(&bob, &bob_shares, SOL, 0).await;
    assert!(deposited.is_ok(), "{deposited:?}");
    assert_eq!(env.chain.token_balance(&bob_shares).await, (SOL as u128 * supply as u128 / live as u128) as u64);
    assert!(live > 10 * SOL + ballast_localnet::vault::SEED_DEPOSIT_LAMPORTS, "valued at the new rate: {live}");
}

#[tokio::test]
async fn item_23_unwinds_that_are_not_needed_worsen_health_overpay_or_pay_elsewhere_are_refused() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let caller = env.chain.funded_keypair(SOL).await;
    // Healthy: nothing to unwind.
    assert!(env.market_ltv_bps().await <= 7_500);
    env.assert_rejected(&[env.unwind_ix(&caller.pubkey(), u64::MAX)], &[&caller], VaultError::UnwindNotNeeded, &[])
        .await;

    env.mark_lst_down(0.64).await;
    let ltv_before = env.market_ltv_bps().await;
    assert!(ltv_before > 7_500, "{ltv_before}");
    // Capped at one lamport of repayment: collateral would leave for a lamport of debt, a worse
    // LTV than before.
    env.assert_rejected(&[env.unwind_ix(&caller.pubkey(), 1)], &[&caller], VaultError::UnwindInsufficient, &[]).await;
    // Capped below what the target needs: better, but not at the target.
    let ix = env.unwind_ix(&caller.pubkey(), SOL / 10);
    env.assert_rejected(&[ix], &[&caller], VaultError::UnwindInsufficient, &[]).await;

    // The proceeds to the caller's own accounts instead of the vault's.
    let thief_wsol = env.chain.wsol_account(&caller.pubkey(), 0).await;
    let thief_lst = env.chain.token_account(&env.pool.pool_mint.clone(), &caller.pubkey()).await;
    let collateral_mint = env.lending().market.lst.collateral_mint;
    let thief_ctokens = env.chain.token_account(&collateral_mint, &caller.pubkey()).await;
    let thief_reserve = env.chain.funded_keypair(SOL).await.pubkey();
    let unwind = env.unwind_ix(&caller.pubkey(), u64::MAX);
    let (pool_wsol, collateral) = (env.pool_setup().wsol_account, env.lending().collateral_account);
    let cases: [(Instruction, u32); 4] = [
        (substitute(unwind.clone(), pool_wsol, thief_wsol), VaultError::PoolAccountMismatch.into()),
        (substitute(unwind.clone(), collateral, thief_ctokens), VaultError::LendingAccountMismatch.into()),
        (substitute(unwind.clone(), env.v.lst_account, thief_lst), AnchorError::ConstraintHasOne.into()),
        (substitute(unwind.clone(), env.v.sol_reserve, thief_reserve), AnchorError::ConstraintHasOne.into()),
    ];
    let watch = [thief_wsol, thief_lst, thief_ctokens, thief_reserve];
    for (ix, error) in cases {
        env.assert_rejected(&[ix], &[&caller], error, &watch).await;
    }

    // A reward above the hard cap (1%) cannot be voted in.
    let admin = env.v.admin.insecure_clone();
    let greedy = RiskParams { keeper_reward_bps: ballast::constants::MAX_KEEPER_REWARD_BPS + 1, ..default_params() };
    env.assert_rejected(&[env.propose_ix(&admin.pubkey(), greedy)], &[&admin], VaultError::FeeAboveCap, &[]).await;

    // The honest unwind pays the caller exactly keeper_reward_bps (10) of what it repaid, and
    // nothing else reaches the caller.
    let caller_before = env.chain.lamports(&caller.pubkey()).await;
    let (result, logs) = env.chain.send_logged(&[unwind], &[&caller]).await;
    assert!(result.is_ok(), "{result:?}");
    let unwound = events::<Unwound>(&logs).pop().expect("Unwound event");
    assert_eq!(unwound.reward_lamports, unwound.repaid_lamports * 10 / 10_000);
    assert_eq!(env.chain.lamports(&caller.pubkey()).await - caller_before, unwound.reward_lamports);
    for (account, what) in [(thief_wsol, "wSOL"), (thief_lst, "LST"), (thief_ctokens, "cTokens")] {
        assert_eq!(env.chain.token_balance(&account).await, 0, "the caller's {what}");
    }
    assert!(unwound.ltv_after_bps < ltv_before && unwound.ltv_after_bps <= 6_000, "{unwound:?}");
}

#[tokio::test]
async fn item_24_leverage_past_max_ltv_or_max_leverage_is_refused() {
    let mut env = VaultClient::start_looped(default_params(), 0, 4).await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    // 16 LST / 8 SOL -> 21.6 / 13.6 (63%).
    let stepped = env.as_allocator(env.leverage_up_ix(&me, 5_600_000_000)).await;
    assert!(stepped.is_ok(), "{stepped:?}");
    // 1.5 more: 15.1 / 23.1 = 65.4%, above the 65% cap at the mid price.
    env.assert_rejected(&[env.leverage_up_ix(&me, 1_500_000_000)], &[&allocator], VaultError::LtvAboveMax, &[]).await;
    // 1.2 more: 14.8 / 22.8 = 64.9% at the mid price, but with a 1% confidence on both feeds the
    // collateral is valued at 148.5 / 151.5 SOL per LST: 66.2%.
    env.lending.as_mut().expect("lending bound").conf_raw = (usd_raw(SOL_USD) / 100) as u64;
    env.sync_prices().await;
    env.assert_rejected(&[env.leverage_up_ix(&me, 1_200_000_000)], &[&allocator], VaultError::LtvAboveMax, &[]).await;
    // Taking collateral out raises the LTV the same way: 13.6 / 19.6 = 69%.
    env.assert_rejected(&[env.lend_withdraw_ix(&me, 2 * SOL)], &[&allocator], VaultError::LtvAboveMax, &[]).await;
    env.lending.as_mut().expect("lending bound").conf_raw = 0;
    env.sync_prices().await;
    let stepped = env.as_allocator(env.leverage_up_ix(&me, 1_200_000_000)).await;
    assert!(stepped.is_ok(), "at the mid price and 64.9%: {stepped:?}");

    // Leverage capped at 2x: exposure 18.01 on equity 10.01 (1.8x); 2.5 more is 2.05x at an LTV
    // of only 56.8%.
    let params = RiskParams { max_leverage_bps: 20_000, ..default_params() };
    let mut env = VaultClient::start_looped(params, 0, 4).await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    env.assert_rejected(&[env.leverage_up_ix(&me, 5 * SOL / 2)], &[&allocator], VaultError::LeverageAboveMax, &[])
        .await;
    let stepped = env.as_allocator(env.leverage_up_ix(&me, 2 * SOL)).await;
    assert!(stepped.is_ok(), "2.0x: {stepped:?}");
}

#[tokio::test]
async fn item_27_a_paused_vault_blocks_risk_but_lets_depositors_and_unwinds_out() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let (bob, bob_shares) = shareholder(&mut env, 5 * SOL).await;
    let staked = env.stake(3 * SOL).await;
    assert!(staked.is_ok(), "{staked:?}");
    let guardian = env.v.guardian.insecure_clone();
    let paused = env.send_as(env.set_pause_ix(&guardian.pubkey(), true), &guardian).await;
    assert!(paused.is_ok(), "{paused:?}");

    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    let pool_tokens = env.pool_tokens_for(SOL / 4).await;
    let (carol, carol_shares) = env.depositor(2 * SOL).await;
    let cases: [(Instruction, &Keypair); 6] = [
        (env.deposit_ix(&carol.pubkey(), &carol_shares, SOL, 0), &carol),
        (env.stake_ix(&me, SOL / 2), &allocator),
        (env.leverage_up_ix(&me, SOL / 2), &allocator),
        (env.lend_supply_ix(&me, SOL / 2), &allocator),
        (env.lend_withdraw_ix(&me, SOL / 2), &allocator),
        (env.pool_add_ix(&me, pool_tokens), &allocator),
    ];
    for (ix, signer) in cases {
        env.assert_rejected(&[ix], &[signer], VaultError::VaultPaused, &[bob_shares, carol_shares]).await;
    }
    // Only the admin unpauses.
    let ix = env.set_pause_ix(&guardian.pubkey(), false);
    env.assert_rejected(&[ix], &[&guardian], VaultError::NotPauseAuthority, &[]).await;

    // Bob withdraws part of his shares at exactly their value.
    let shares = env.chain.token_balance(&bob_shares).await / 5;
    let owed = owed_for(&mut env, shares).await;
    let before = env.chain.lamports(&bob.pubkey()).await;
    let withdrawn = env.withdraw(&bob, &bob_shares, shares, owed).await;
    assert!(withdrawn.is_ok(), "paused withdrawal: {withdrawn:?}");
    assert_eq!(env.chain.lamports(&bob.pubkey()).await - before, owed);
    assert!(owed + 2 >= SOL && owed <= SOL, "{owed}");
    // The allocator repays debt.
    let debt_before = env.lending_health(None).await.debt_lamports;
    let repaid = env.as_allocator(env.deleverage_ix(&me, SOL / 4)).await;
    assert!(repaid.is_ok(), "paused deleverage: {repaid:?}");
    assert_eq!(env.lending_health(None).await.debt_lamports, debt_before - SOL / 4);
    // The market moves; anyone unwinds.
    env.mark_lst_down(0.64).await;
    let caller = env.chain.funded_keypair(SOL).await;
    let unwound = env.chain.send(&[env.unwind_ix(&caller.pubkey(), u64::MAX)], &[&caller]).await;
    assert!(unwound.is_ok(), "paused unwind: {unwound:?}");
    assert!(env.market_ltv_bps().await <= 6_000);
    // Bob takes the rest.
    withdraw_all_exactly(&mut env, &bob, &bob_shares, "paused, after the unwind").await;
    assert!(env.vault().await.paused);
}

#[tokio::test]
async fn item_28_after_an_epoch_boundary_the_rate_fails_clearly_until_the_keeper_cranks_the_pool() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let (bob, bob_shares) = shareholder(&mut env, SOL).await;
    env.chain.next_epoch().await;
    env.mark_lst_down(0.64).await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    // Every action that needs the current rate names the fix. (The unwind does not wait for
    // it: its pool exit takes the last rate as a floor, `test_unwind` shows it.)
    let cases: [(Instruction, &Keypair); 3] = [
        (env.leverage_up_ix(&me, SOL / 2), &allocator),
        (env.deleverage_ix(&me, SOL / 4), &allocator),
        (env.withdraw_ix(&bob.pubkey(), &bob_shares, &bob.pubkey(), SOL / 2, 0), &bob),
    ];
    for (ix, signer) in cases {
        stale_rate_rejected(&mut env, ix, signer, &[bob_shares]).await;
    }

    // The keeper cranks the pool first, then unwinds.
    let keypair = env.chain.funded_keypair(SOL).await;
    let keeper = Keeper::new(EmbeddedChain::new(env.chain.ctx.banks_client.clone()), keypair, KeeperConfig::default());
    let actions = keeper.tick(&env.v.vault).await.expect("keeper pass");
    assert!(matches!(actions[..], [Action::Cranked, Action::Unwound { .. }, Action::Harvested { .. }]), "{actions:?}");
    assert!(env.market_ltv_bps().await <= 6_000);
    withdraw_all_exactly(&mut env, &bob, &bob_shares, "after the crank").await;
}
