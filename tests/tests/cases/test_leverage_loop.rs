//! The leverage loop on the real spl-token-lending program: supply the LST, borrow SOL, stake
//! it, supply again, guarded by Pyth prices on every risk-adding step.
use ballast::errors::VaultError;
use ballast_tests::chain::assert_error;
use ballast_tests::vault::{default_params, SOL, SOL_USD};
use ballast_tests::VaultClient;
use solana_sdk::signature::Signer;

/// A vault holding 10 SOL of deposits, 8 of them staked and supplied as collateral (the
/// default caps: at most 80% of assets in the lending market, at least 10% kept as SOL).
async fn supplied_vault(sol_min_borrow_rate: u8, sol_optimal_borrow_rate: u8) -> VaultClient {
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    env.stake(8 * SOL).await.unwrap();
    env.bind_lending(sol_min_borrow_rate, sol_optimal_borrow_rate).await;
    let allocator = env.v.allocator.pubkey();
    let lst = env.vault().await.accounting.lst_amount;
    env.as_allocator(env.lend_supply_ix(&allocator, lst)).await.unwrap();
    env
}

#[tokio::test]
async fn loop_to_target_leverage_keeps_the_books_exact() {
    let mut env = supplied_vault(0, 4).await;
    let allocator = env.v.allocator.pubkey();
    let (assets_before, position) = env.valuation().await;
    assert_eq!(position.collateral_lst, 8 * SOL);
    assert_eq!(position.debt_lamports, 0);
    assert_eq!(assets_before, 10 * SOL + ballast_tests::vault::SEED_DEPOSIT_LAMPORTS);

    // Three loop steps, two in one transaction.
    env.as_allocator(env.leverage_up_ix(&allocator, 4 * SOL)).await.unwrap();
    let allocator_kp = env.v.allocator.insecure_clone();
    let steps = [env.leverage_up_ix(&allocator, 5 * SOL / 2), env.leverage_up_ix(&allocator, 3 * SOL / 2)];
    env.chain.send(&steps, &[&allocator_kp]).await.unwrap();

    let obligation_key = env.lending().obligation;
    let obligation = ballast_tests::lending::LendingFixture::obligation(&mut env.chain, &obligation_key).await;
    assert_eq!(obligation.deposits.len(), 1);
    assert_eq!(obligation.borrows.len(), 1);
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
    let _ = SOL_USD;
}
