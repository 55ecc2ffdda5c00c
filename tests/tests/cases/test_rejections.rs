//! Every rejected call fails with its named error and leaves every balance, the share supply
//! and the vault's state exactly as they were.
use anchor_lang::error::ErrorCode as AnchorError;
use ballast::errors::VaultError;
use ballast_localnet::stake_pool::StakePoolFixture;
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use solana_program::instruction::{AccountMeta, Instruction};
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// Sends `ix` signed by `signers`, expects `error`, and checks nothing moved in the vault's
/// accounts or in `watch`.
async fn rejected(
    ix: Instruction,
    env: &mut VaultClient,
    signers: &[&Keypair],
    error: impl Into<u32>,
    watch: &[Pubkey],
) {
    env.assert_rejected(&[ix], signers, error, watch).await;
}

async fn funded_vault() -> (VaultClient, Keypair, Pubkey) {
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = env.depositor(50 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    (env, alice, alice_shares)
}

#[tokio::test]
async fn depositor_mistakes_change_nothing() {
    let (mut env, alice, shares) = funded_vault().await;
    let me = alice.pubkey();

    rejected(env.deposit_ix(&me, &shares, 0, 0), &mut env, &[&alice], VaultError::ZeroAmount, &[shares]).await;
    rejected(env.deposit_ix(&me, &shares, u64::MAX, 0), &mut env, &[&alice], VaultError::DepositCapExceeded, &[shares])
        .await;
    rejected(
        env.deposit_ix(&me, &shares, SOL, SOL + 1),
        &mut env,
        &[&alice],
        VaultError::MinSharesOutNotMet,
        &[shares],
    )
    .await;
    rejected(env.withdraw_ix(&me, &shares, &me, 0, 0), &mut env, &[&alice], VaultError::ZeroAmount, &[shares]).await;
    rejected(
        env.withdraw_ix(&me, &shares, &me, SOL, SOL + 1),
        &mut env,
        &[&alice],
        VaultError::MinLamportsOutNotMet,
        &[shares],
    )
    .await;
    // u64::MAX shares: priced at 1 lamport per share the reserve cannot pay it.
    rejected(
        env.withdraw_ix(&me, &shares, &me, u64::MAX, 0),
        &mut env,
        &[&alice],
        VaultError::InsufficientReserve,
        &[shares],
    )
    .await;
    // More shares than the reserve holds SOL for, after staking most of it.
    env.stake(9 * SOL).await.unwrap();
    rejected(
        env.withdraw_ix(&me, &shares, &me, 5 * SOL, 0),
        &mut env,
        &[&alice],
        VaultError::InsufficientReserve,
        &[shares],
    )
    .await;
    // Paying out into the reserve itself.
    let reserve = env.v.sol_reserve;
    rejected(
        env.withdraw_ix(&me, &shares, &reserve, SOL, 0),
        &mut env,
        &[&alice],
        VaultError::DuplicateAccount,
        &[shares],
    )
    .await;
}

#[tokio::test]
async fn someone_elses_shares_cannot_be_withdrawn() {
    let (mut env, alice, alice_shares) = funded_vault().await;
    let (mallory, mallory_shares) = env.depositor(SOL).await;
    let ix = env.withdraw_ix(&mallory.pubkey(), &alice_shares, &mallory.pubkey(), SOL, 0);
    rejected(
        ix,
        &mut env,
        &[&mallory],
        AnchorError::ConstraintTokenOwner,
        &[alice_shares, mallory_shares, alice.pubkey()],
    )
    .await;
}

#[tokio::test]
async fn substituted_accounts_are_rejected() {
    let (mut env, alice, shares) = funded_vault().await;
    let me = alice.pubkey();
    // Another stake pool, with its own mint.
    let other_pool = StakePoolFixture::create(&mut env.chain, 10 * SOL).await;
    let mut ix = env.deposit_ix(&me, &shares, SOL, 0);
    ix.accounts[4] = AccountMeta::new_readonly(other_pool.stake_pool, false);
    rejected(ix, &mut env, &[&alice], AnchorError::ConstraintHasOne, &[shares]).await;

    // Another reserve (a plain system account).
    let fake_reserve = env.chain.funded_keypair(SOL).await;
    let mut ix = env.deposit_ix(&me, &shares, SOL, 0);
    ix.accounts[3] = AccountMeta::new(fake_reserve.pubkey(), false);
    rejected(ix, &mut env, &[&alice], AnchorError::ConstraintHasOne, &[shares, fake_reserve.pubkey()]).await;

    // Another share mint (the other pool's LST mint is a real mint).
    let mut ix = env.deposit_ix(&me, &shares, SOL, 0);
    ix.accounts[2] = AccountMeta::new(other_pool.pool_mint, false);
    rejected(ix, &mut env, &[&alice], AnchorError::ConstraintHasOne, &[shares]).await;

    // Stake into another pool's mint / pool.
    let allocator = env.v.allocator.insecure_clone();
    let mut ix = env.stake_ix(&allocator.pubkey(), SOL);
    ix.accounts[9] = AccountMeta::new(other_pool.pool_mint, false);
    rejected(ix, &mut env, &[&allocator], AnchorError::ConstraintHasOne, &[]).await;
    let mut ix = env.stake_ix(&allocator.pubkey(), SOL);
    ix.accounts[5] = AccountMeta::new(other_pool.stake_pool, false);
    rejected(ix, &mut env, &[&allocator], AnchorError::ConstraintHasOne, &[other_pool.stake_pool]).await;
    // A program that is not the vault's pinned stake-pool program: another one, or another
    // stake-pool deployment (Sanctum's, running the same code).
    for program in [spl_token::id(), ballast::adapters::stake_pool::STAKE_POOL_PROGRAMS[1]] {
        let mut ix = env.stake_ix(&allocator.pubkey(), SOL);
        ix.accounts[10] = AccountMeta::new_readonly(program, false);
        rejected(ix, &mut env, &[&allocator], VaultError::StakePoolProgramMismatch, &[]).await;
    }
}

#[tokio::test]
async fn allocator_limits_hold() {
    let (mut env, _alice, _shares) = funded_vault().await;
    // Not the allocator.
    let stranger = env.chain.funded_keypair(SOL).await;
    let ix = env.stake_ix(&stranger.pubkey(), SOL);
    rejected(ix, &mut env, &[&stranger], VaultError::NotAllocator, &[]).await;
    let allocator = env.v.allocator.insecure_clone();
    // Zero, more than the reserve, below the minimum reserve (10% of assets).
    rejected(env.stake_ix(&allocator.pubkey(), 0), &mut env, &[&allocator], VaultError::ZeroAmount, &[]).await;
    rejected(
        env.stake_ix(&allocator.pubkey(), 11 * SOL),
        &mut env,
        &[&allocator],
        VaultError::InsufficientReserve,
        &[],
    )
    .await;
    rejected(
        env.stake_ix(&allocator.pubkey(), 9_500_000_000),
        &mut env,
        &[&allocator],
        VaultError::MinReserveBreached,
        &[],
    )
    .await;
    // The pool operator raises the SOL deposit fee above the vault's slippage bound (0.5%).
    env.pool.set_sol_deposit_fee(&mut env.chain, 1, 100).await.unwrap();
    rejected(env.stake_ix(&allocator.pubkey(), SOL), &mut env, &[&allocator], VaultError::StakeDepositShortfall, &[])
        .await;
    // Within the bound it goes through, booking what actually arrived.
    env.pool.set_sol_deposit_fee(&mut env.chain, 1, 1_000).await.unwrap();
    env.stake(SOL).await.unwrap();
    let lst_account = env.v.lst_account;
    let received = env.chain.token_balance(&lst_account).await;
    assert_eq!(received, SOL - SOL / 1_000);
    assert_eq!(env.vault().await.accounting.lst_amount, received);
}

#[tokio::test]
async fn stale_stake_pool_epoch_blocks_valuation_until_cranked() {
    let (mut env, alice, shares) = funded_vault().await;
    env.stake(5 * SOL).await.unwrap();
    env.chain.next_epoch().await;
    let me = alice.pubkey();
    rejected(env.deposit_ix(&me, &shares, SOL, 0), &mut env, &[&alice], VaultError::StakePoolStale, &[shares]).await;
    rejected(env.withdraw_ix(&me, &shares, &me, SOL, 0), &mut env, &[&alice], VaultError::StakePoolStale, &[shares])
        .await;
    let allocator = env.v.allocator.insecure_clone();
    rejected(env.harvest_ix(&allocator.pubkey()), &mut env, &[&allocator], VaultError::StakePoolStale, &[]).await;
    // Anyone cranks the pool; then the vault works again.
    env.pool.update(&mut env.chain).await;
    env.withdraw(&alice, &shares, SOL, 0).await.unwrap();
}

#[tokio::test]
async fn paused_vault_blocks_deposits_and_staking_not_withdrawals() {
    let (mut env, alice, shares) = funded_vault().await;
    let guardian = env.v.guardian.insecure_clone();
    env.send_as(env.set_pause_ix(&guardian.pubkey(), true), &guardian).await.unwrap();
    let me = alice.pubkey();
    rejected(env.deposit_ix(&me, &shares, SOL, 0), &mut env, &[&alice], VaultError::VaultPaused, &[shares]).await;
    let allocator = env.v.allocator.insecure_clone();
    rejected(env.stake_ix(&allocator.pubkey(), SOL), &mut env, &[&allocator], VaultError::VaultPaused, &[]).await;
    let before = env.chain.lamports(&me).await;
    env.withdraw(&alice, &shares, SOL, SOL).await.unwrap();
    assert_eq!(env.chain.lamports(&me).await - before, SOL);
}

#[tokio::test]
async fn vault_cannot_be_initialized_twice() {
    let mut env = VaultClient::start(default_params()).await;
    let payer = env.chain.payer();
    let ix = env.v.initialize_ix(&payer.pubkey(), &env.pool, env.v.init_args(default_params()));
    let create_key = env.v.create_key.insecure_clone();
    let before = env.snapshot(&[]).await;
    let result = env.chain.send(&[ix], &[&create_key]).await;
    // The system program refuses to create an account that exists (its error 0: AlreadyInUse).
    assert_eq!(ballast_localnet::chain::custom_error(&result), Some(0), "{result:?}");
    before.assert_same(&env.snapshot(&[]).await);
}
