//! The permissionless unwind on the real lending, swap and stake-pool programs: refused on a
//! healthy vault, brings the market's LTV to the target when the market moves, pays the caller
//! exactly the capped reward and nothing else, works paused and with stale vault prices, and a
//! second keeper racing the first gets a clean error.
use ballast::errors::VaultError;
use ballast::events::Unwound;
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
    assert!(event.rounds >= 2, "the borrow limit caps each withdrawal: {event:?}");
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
    assert_eq!(
        vault.accounting.reserve_lamports,
        vault_before.accounting.reserve_lamports + (event.lamports_received - event.repaid_lamports)
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
    let ixs = [
        ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
        ComputeBudgetInstruction::set_compute_unit_price(10_000),
        env.unwind_ix(&caller.pubkey(), u64::MAX),
    ];
    let tx = Transaction::new_signed_with_payer(&ixs, Some(&caller.pubkey()), &[&caller], Default::default());
    let bytes = bincode::serialize(&tx).unwrap().len();
    let keys = tx.message.account_keys.len();
    println!("unwind transaction: {bytes} bytes, {keys} account keys");
    assert!(bytes <= 1_232, "{bytes} bytes");
}

#[tokio::test]
async fn three_rounds_short_of_the_target_keep_their_progress() {
    // The scenario vault: looped to 79% with the trigger at 81% and the market's borrow limit
    // at 85%, so each withdrawal is small and three rounds cannot reach the 73% target.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../keeper/scenarios/msol-flash-depeg-2023-12.toml");
    let scenario = ballast_keeper::sim::Scenario::load(&path).unwrap();
    let mut env = ballast_keeper::sim::setup(&scenario).await;
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
