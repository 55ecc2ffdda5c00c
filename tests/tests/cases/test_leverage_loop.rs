//! The leverage loop on the real spl-token-lending program: supply the LST, borrow SOL, stake
//! it, supply again, guarded by Pyth prices on every risk-adding step.
use ballast::errors::VaultError;
use ballast_localnet::chain::assert_error;
use ballast_localnet::oracle::price_update;
use ballast_localnet::vault::{default_params, usd_raw, FEED_EXPONENT, LST_USD_FEED, SOL, SOL_USD, SOL_USD_FEED};
use ballast_localnet::VaultClient;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_program::instruction::AccountMeta;
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::Signer;

async fn supplied_vault(sol_min_borrow_rate: u8, sol_optimal_borrow_rate: u8) -> VaultClient {
    VaultClient::start_supplied(default_params(), sol_min_borrow_rate, sol_optimal_borrow_rate).await
}

#[tokio::test]
async fn loop_to_target_leverage_keeps_the_books_exact() {
    let mut env = supplied_vault(0, 4).await;
    let allocator = env.v.allocator.pubkey();
    let (assets_before, position) = env.valuation().await;
    assert_eq!(position.collateral_lst, 8 * SOL);
    assert_eq!(position.debt_lamports, 0);
    assert_eq!(assets_before, 10 * SOL + ballast_localnet::vault::SEED_DEPOSIT_LAMPORTS);

    // Three loop steps, two in one transaction.
    env.as_allocator(env.leverage_up_ix(&allocator, 4 * SOL)).await.unwrap();
    let allocator_kp = env.v.allocator.insecure_clone();
    let steps = [env.leverage_up_ix(&allocator, 5 * SOL / 2), env.leverage_up_ix(&allocator, 3 * SOL / 2)];
    env.chain.send(&steps, &[&allocator_kp]).await.unwrap();

    let state = env.lending_state().await;
    assert_eq!(state.deposits.len(), 1);
    assert_eq!(state.borrows.len(), 1);
    let (assets_after, position) = env.valuation().await;
    // The pool is still 1:1 and no slot passed: 16 LST of collateral, 8 SOL of debt.
    assert_eq!(position.collateral_lst, 16 * SOL);
    assert_eq!(position.debt_lamports, 8 * SOL);
    assert_eq!(assets_after, assets_before, "looping moves no value");
    let health = env.lending_health(None).await;
    assert!(!health.is_liquidatable());
    // The share price did not move.
    let vault = env.vault().await;
    assert_eq!(vault.accounting.last_total_assets_lamports, assets_before);
}

#[tokio::test]
async fn deleverage_works_without_an_oracle() {
    let mut env = supplied_vault(0, 4).await;
    let allocator = env.v.allocator.pubkey();
    env.as_allocator(env.leverage_up_ix(&allocator, 4 * SOL)).await.unwrap();
    // The vault's receiver prices go stale; the allocator can still pay debt down.
    env.chain.advance_secs(3_600).await;
    assert_error(env.as_allocator(env.leverage_up_ix(&allocator, SOL)).await, VaultError::OracleStale);
    let reserve_before = env.vault().await.accounting.reserve_lamports;
    env.as_allocator(env.deleverage_ix(&allocator, SOL / 2)).await.unwrap();
    let (_, position) = env.valuation().await;
    assert_eq!(position.debt_lamports, 4 * SOL - SOL / 2);
    assert_eq!(env.vault().await.accounting.reserve_lamports, reserve_before - SOL / 2);
}

async fn looped_vault(params: ballast::state::RiskParams) -> VaultClient {
    VaultClient::start_looped(params, 0, 4).await
}

/// `leverage_up(borrow)` fails with `error` and every vault and lending account is unchanged.
async fn leverage_rejected(env: &mut VaultClient, borrow: u64, error: impl Into<u32>) {
    let allocator = env.v.allocator.pubkey();
    let before = env.snapshot(&[]).await;
    assert_error(env.as_allocator(env.leverage_up_ix(&allocator, borrow)).await, error);
    before.assert_same(&env.snapshot(&[]).await);
}

#[tokio::test]
async fn every_oracle_guard_trips_with_its_own_error() {
    let mut env = looped_vault(default_params()).await;
    let sol_key = env.lending().sol_usd_update;
    let receiver = pyth_solana_receiver_sdk::ID;

    // Stale: older than max_oracle_age_secs (60 s).
    env.chain.advance_secs(61).await;
    leverage_rejected(&mut env, SOL, VaultError::OracleStale).await;
    env.sync_prices().await;
    let now = env.chain.clock().await.unix_timestamp;
    let good_sol = price_update(SOL_USD_FEED, usd_raw(SOL_USD), 0, FEED_EXPONENT, now);

    // A valid update for the wrong feed in the SOL slot.
    let mut wrong_feed = good_sol.clone();
    wrong_feed.price_message.feed_id = LST_USD_FEED;
    env.chain.write_price_update(&sol_key, &wrong_feed, &receiver).await;
    leverage_rejected(&mut env, SOL, VaultError::OracleFeedMismatch).await;

    // The right bytes in an account the receiver program does not own.
    env.chain.write_price_update(&sol_key, &good_sol, &Pubkey::new_unique()).await;
    leverage_rejected(&mut env, SOL, VaultError::OracleOwnerMismatch).await;

    // Partially verified.
    let mut partial = good_sol.clone();
    partial.verification_level = VerificationLevel::Partial { num_signatures: 5 };
    env.chain.write_price_update(&sol_key, &partial, &receiver).await;
    leverage_rejected(&mut env, SOL, VaultError::OracleNotFullyVerified).await;

    // Confidence 3% of the price (limit 2%).
    let mut wide = good_sol.clone();
    wide.price_message.conf = (usd_raw(SOL_USD) as u64) * 3 / 100;
    env.chain.write_price_update(&sol_key, &wide, &receiver).await;
    leverage_rejected(&mut env, SOL, VaultError::OracleConfidenceTooWide).await;

    // Zero and negative prices.
    for bad in [0, -usd_raw(SOL_USD)] {
        let mut p = good_sol.clone();
        p.price_message.price = bad;
        env.chain.write_price_update(&sol_key, &p, &receiver).await;
        leverage_rejected(&mut env, SOL, VaultError::OraclePriceNotPositive).await;
    }
    env.sync_prices().await;

    // The LST trades 5% under the stake-pool rate (limit 3%).
    env.set_prices(SOL_USD, SOL_USD * 0.95).await;
    leverage_rejected(&mut env, SOL, VaultError::OracleDepegTooLarge).await;
    env.set_prices(SOL_USD, SOL_USD).await;

    // Paused.
    let guardian = env.v.guardian.insecure_clone();
    env.send_as(env.set_pause_ix(&guardian.pubkey(), true), &guardian).await.unwrap();
    leverage_rejected(&mut env, SOL, VaultError::VaultPaused).await;
    let admin = env.v.admin.insecure_clone();
    env.send_as(env.set_pause_ix(&admin.pubkey(), false), &admin).await.unwrap();

    // And with everything in order the same step goes through.
    let allocator = env.v.allocator.pubkey();
    env.as_allocator(env.leverage_up_ix(&allocator, SOL)).await.unwrap();
}

#[tokio::test]
async fn ltv_is_capped_including_after_the_confidence_adjustment() {
    let mut env = looped_vault(default_params()).await;
    let allocator = env.v.allocator.pubkey();
    // 16 LST / 8 SOL -> 21.6 / 13.6 (63%).
    env.as_allocator(env.leverage_up_ix(&allocator, 5_600_000_000)).await.unwrap();
    // 1.5 more: 15.1 / 23.1 = 65.4% > 65% at the mid price.
    leverage_rejected(&mut env, 1_500_000_000, VaultError::LtvAboveMax).await;
    // 1.2 more: 14.8 / 22.8 = 64.9% at the mid price, but with a 1% confidence on both feeds
    // the collateral is valued at 148.5 / 151.5 SOL per LST: 66.2%.
    env.lending.as_mut().unwrap().conf_raw = (usd_raw(SOL_USD) / 100) as u64;
    env.sync_prices().await;
    leverage_rejected(&mut env, 1_200_000_000, VaultError::LtvAboveMax).await;
    env.lending.as_mut().unwrap().conf_raw = 0;
    env.sync_prices().await;
    env.as_allocator(env.leverage_up_ix(&allocator, 1_200_000_000)).await.unwrap();
}

#[tokio::test]
async fn leverage_stays_in_the_band_at_the_markets_own_prices_too() {
    let mut env = looped_vault(default_params()).await;
    let allocator = env.v.allocator.pubkey();
    // The lending market's LST oracle 10% below the vault's own feeds (a feed that lags, or is
    // sourced elsewhere): its LTV, which its liquidation and the unwind trigger read, is higher
    // than the vault's conservative one.
    let l = env.lending.as_mut().unwrap();
    l.market.lst.usd_price *= 0.9;
    l.market.sync_oracles(&mut env.chain).await;
    // 16 LST / 8 SOL -> 20 / 12: 60% at the vault's feeds, 66.7% at the market's.
    leverage_rejected(&mut env, 4 * SOL, VaultError::MarketLtvAboveBand).await;
    // 17 / 9: 52.9% and 58.8%, both in the band.
    env.as_allocator(env.leverage_up_ix(&allocator, SOL)).await.unwrap();
    assert!(env.market_ltv_bps().await <= 6_500);
}

#[tokio::test]
async fn leverage_is_capped() {
    let mut params = default_params();
    params.max_leverage_bps = 20_000;
    let mut env = looped_vault(params).await;
    // Exposure 18.01 on equity 10.01 (1.8x); 2.5 more -> 20.51 / 10.01 = 2.05x, LTV only 56.8%.
    leverage_rejected(&mut env, 5 * SOL / 2, VaultError::LeverageAboveMax).await;
    let allocator = env.v.allocator.pubkey();
    env.as_allocator(env.leverage_up_ix(&allocator, 2 * SOL)).await.unwrap();
}

#[tokio::test]
async fn foreign_lending_accounts_are_rejected() {
    let mut env = looped_vault(default_params()).await;
    let allocator = env.v.allocator.pubkey();
    // A program that is not the lending program (index: after the 11 vault/stake accounts).
    let mut ix = env.leverage_up_ix(&allocator, SOL);
    ix.accounts[11] = AccountMeta::new_readonly(spl_token::id(), false);
    let before = env.snapshot(&[]).await;
    assert_error(env.as_allocator(ix).await, anchor_lang::error::ErrorCode::InvalidProgramId);
    before.assert_same(&env.snapshot(&[]).await);

    // Another obligation, and a reserve in the wrong place.
    let fake_obligation = Pubkey::new_unique();
    let venue = env.venue;
    env.chain.write_account(&fake_obligation, &venue.program_id(), vec![0u8; 916]).await;
    let mut ix = env.leverage_up_ix(&allocator, SOL);
    ix.accounts[14] = AccountMeta::new(fake_obligation, false);
    let before = env.snapshot(&[]).await;
    assert_error(env.as_allocator(ix).await, VaultError::LendingAccountMismatch);
    before.assert_same(&env.snapshot(&[]).await);

    let mut ix = env.leverage_up_ix(&allocator, SOL);
    let sol_reserve = env.lending().market.sol.reserve;
    ix.accounts[15] = AccountMeta::new(sol_reserve, false); // SOL reserve in the LST reserve's place
    let before = env.snapshot(&[]).await;
    assert_error(env.as_allocator(ix).await, VaultError::LendingAccountMismatch);
    before.assert_same(&env.snapshot(&[]).await);
}

#[tokio::test]
async fn withdraw_works_with_a_stale_oracle_and_values_the_position() {
    let mut env = looped_vault(default_params()).await;
    env.chain.advance_secs(3_600).await; // receiver prices long stale
    let (bob, bob_shares) = env.depositor(5 * SOL).await;
    env.deposit(&bob, &bob_shares, SOL, 0).await.unwrap();
    let before = env.chain.lamports(&bob.pubkey()).await;
    let shares = env.chain.token_balance(&bob_shares).await;
    env.withdraw(&bob, &bob_shares, shares, 0).await.unwrap();
    let paid = env.chain.lamports(&bob.pubkey()).await - before;
    assert!(paid <= SOL && paid + 2 >= SOL, "paid {paid}");
}

#[tokio::test]
async fn collateral_comes_back_out() {
    let mut env = looped_vault(default_params()).await;
    let allocator = env.v.allocator.pubkey();
    // With debt, taking collateral out raises the LTV: 8 / 14 = 57% is fine, 8 / 12 = 67% is not.
    env.as_allocator(env.lend_withdraw_ix(&allocator, 2 * SOL)).await.unwrap();
    let lst_account = env.v.lst_account;
    assert_eq!(env.chain.token_balance(&lst_account).await, 2 * SOL);
    assert_eq!(env.vault().await.accounting.lst_amount, 2 * SOL);
    let before = env.snapshot(&[]).await;
    assert_error(env.as_allocator(env.lend_withdraw_ix(&allocator, 2 * SOL)).await, VaultError::LtvAboveMax);
    before.assert_same(&env.snapshot(&[]).await);
    // With debt and stale prices it waits for the oracle.
    env.chain.advance_secs(120).await;
    assert_error(env.as_allocator(env.lend_withdraw_ix(&allocator, SOL)).await, VaultError::OracleStale);
    // Debt repaid in full from the reserve, collateral comes out with no price at all.
    env.sync_prices().await;
    let (bob, bob_shares) = env.depositor(20 * SOL).await;
    env.deposit(&bob, &bob_shares, 10 * SOL, 0).await.unwrap();
    env.as_allocator(env.deleverage_ix(&allocator, u64::MAX)).await.unwrap();
    env.chain.advance_secs(3_600).await;
    let (assets_before, position) = env.valuation().await;
    assert_eq!(position.debt_lamports, 0);
    env.as_allocator(env.lend_withdraw_ix(&allocator, position.collateral_lst)).await.unwrap();
    let (assets_after, position) = env.valuation().await;
    assert_eq!(position.collateral_lst, 0);
    assert_eq!(assets_after, assets_before, "unwinding the position moves no value");
    assert_eq!(env.vault().await.accounting.lst_amount, 16 * SOL);
}

#[tokio::test]
async fn a_bound_vault_is_always_valued_with_its_position() {
    let mut env = looped_vault(default_params()).await;
    let (bob, bob_shares) = env.depositor(5 * SOL).await;
    // Leaving out the lending accounts would value the vault without its debt: refused.
    let mut ix = env.deposit_ix(&bob.pubkey(), &bob_shares, SOL, 0);
    ix.accounts.truncate(ix.accounts.len() - 3);
    let before = env.snapshot(&[bob_shares]).await;
    assert_error(env.chain.send(&[ix], &[&bob]).await, VaultError::LendingAccountsMissing);
    before.assert_same(&env.snapshot(&[bob_shares]).await);
    // Passing another account in the obligation's place is refused too.
    let mut ix = env.deposit_ix(&bob.pubkey(), &bob_shares, SOL, 0);
    let n = ix.accounts.len();
    ix.accounts[n - 3] = AccountMeta::new_readonly(env.lending().market.lst.reserve, false);
    assert_error(env.chain.send(&[ix], &[&bob]).await, VaultError::LendingAccountMismatch);
    before.assert_same(&env.snapshot(&[bob_shares]).await);
}

#[tokio::test]
async fn binding_a_lending_market_is_the_admins_and_checked() {
    let mut params = default_params();
    // A trigger at 92% would let the market liquidate (at 90%) before anyone may unwind.
    params.unwind_trigger_ltv_bps = 9_200;
    params.max_leverage_bps = 30_000;
    let mut env = VaultClient::start(params).await;
    let (market, obligation) = env.create_lending_market(0, 4).await;
    let (lst, sol) = (market.lst.reserve, market.sol.reserve);
    let admin = env.v.admin.insecure_clone();
    let stranger = env.chain.funded_keypair(SOL).await;

    let cases = [
        (env.propose_lending_ix(&stranger.pubkey(), &market, &lst, &sol), &stranger, VaultError::NotAdmin),
        (env.propose_lending_ix(&admin.pubkey(), &market, &sol, &lst), &admin, VaultError::LendingReserveMintMismatch),
        (
            env.propose_lending_ix(&admin.pubkey(), &market, &lst, &sol),
            &admin,
            VaultError::TriggerAboveLiquidationThreshold,
        ),
        (env.bind_lending_ix(&admin.pubkey(), &market, &lst, &sol, &obligation), &admin, VaultError::NoPendingProposal),
    ];
    for (ix, signer, error) in cases {
        let before = env.snapshot(&[obligation]).await;
        assert_error(env.chain.send(&[ix], &[signer]).await, error);
        before.assert_same(&env.snapshot(&[obligation]).await);
    }
    assert!(env.vault().await.lending.is_none());
}

#[tokio::test]
async fn a_vault_binds_one_lending_market_only() {
    let mut env = VaultClient::start(default_params()).await;
    env.bind_lending(0, 4).await;
    let (market, obligation) = env.create_lending_market(0, 4).await;
    let admin = env.v.admin.insecure_clone();
    let ix = env.bind_lending_ix(&admin.pubkey(), &market, &market.lst.reserve, &market.sol.reserve, &obligation);
    env.assert_rejected(&[ix], &[&admin], VaultError::LendingAlreadyBound, &[obligation]).await;
}
