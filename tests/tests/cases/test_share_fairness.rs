//! Shares are priced from the vault's ledger: entry timing, first-depositor tricks and
//! donations cannot shift value between depositors (`docs/SECURITY.md` items 11-14).
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use solana_program::system_instruction;
use solana_sdk::signature::Signer;

/// Lamports per 10^9 shares, from the vault's own ledger and the pool's current rate.
async fn share_price(env: &mut VaultClient) -> (u64, u64) {
    let vault = env.vault().await;
    let pool = env.pool.state(&mut env.chain).await;
    let rate = ballast::math::valuation::StakePoolRate {
        total_lamports: pool.total_lamports,
        pool_token_supply: pool.pool_token_supply,
    };
    let now = env.chain.clock().await.unix_timestamp;
    let supply = env.share_supply().await;
    let free = vault.free_assets_lamports(&rate, &Default::default(), now).unwrap();
    let live = vault.live_assets_lamports(&rate, &Default::default()).unwrap();
    ((free as u128 * SOL as u128 / supply as u128) as u64, (live as u128 * SOL as u128 / supply as u128) as u64)
}

#[tokio::test]
async fn later_depositor_pays_the_value_at_entry() {
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    let (alice, alice_shares) = env.depositor(10 * SOL).await;
    env.deposit(&alice, &alice_shares, 5 * SOL, 0).await.unwrap();
    env.stake(4 * SOL).await.unwrap();
    env.epoch_with_rewards(50 * SOL).await;
    env.harvest().await.unwrap();
    env.chain.advance_secs(params.profit_unlock_secs as i64).await;

    let (price_before, live_price) = share_price(&mut env).await;
    assert_eq!(price_before, live_price, "all profit unlocked");
    assert!(price_before > SOL, "the price rose with the pool rate");

    let (bob, bob_shares) = env.depositor(10 * SOL).await;
    env.deposit(&bob, &bob_shares, 5 * SOL, 0).await.unwrap();
    let a = env.chain.token_balance(&alice_shares).await;
    let b = env.chain.token_balance(&bob_shares).await;
    // Same lamports in, shares in inverse proportion to the price each paid.
    assert_eq!(a, 5 * SOL);
    let vault = env.vault().await;
    let supply_before_bob = env.share_supply().await - b;
    let live_before_bob = vault.accounting.last_total_assets_lamports - 5 * SOL;
    assert_eq!(b as u128, 5 * SOL as u128 * supply_before_bob as u128 / live_before_bob as u128);
    assert!(b < a);
    let (price_after, _) = share_price(&mut env).await;
    assert!(price_after >= price_before, "bob's entry diluted alice");
    // Bob's shares are worth what he paid, less at most a lamport of rounding.
    let supply = env.share_supply().await;
    let vault = env.vault().await;
    let bob_value = (b as u128 * vault.accounting.last_total_assets_lamports as u128 / supply as u128) as u64;
    assert!(bob_value <= 5 * SOL && bob_value + 1 >= 5 * SOL, "bob's value {bob_value}");
}

#[tokio::test]
async fn first_depositor_donation_attack_fails() {
    let mut env = VaultClient::start(default_params()).await;
    let (mallory, mallory_shares) = env.depositor(200 * SOL).await;
    let (victim, victim_shares) = env.depositor(20 * SOL).await;

    // 1 lamport in, then a large donation straight to the reserve and LST to the LST account.
    env.deposit(&mallory, &mallory_shares, 1, 0).await.unwrap();
    assert_eq!(env.chain.token_balance(&mallory_shares).await, 1);
    let reserve = env.v.sol_reserve;
    env.chain.send_ok(&[system_instruction::transfer(&mallory.pubkey(), &reserve, 100 * SOL)], &[&mallory]).await;
    let (price_before, _) = share_price(&mut env).await;
    assert_eq!(price_before, SOL, "the donation did not move the price");

    // The victim gets fair shares; their value is what they paid.
    env.deposit(&victim, &victim_shares, 10 * SOL, 10 * SOL).await.unwrap();
    assert_eq!(env.chain.token_balance(&victim_shares).await, 10 * SOL);

    // Mallory's one share redeems one lamport: the 100 SOL are gone for her.
    let before = env.chain.lamports(&mallory.pubkey()).await;
    env.withdraw(&mallory, &mallory_shares, 1, 0).await.unwrap();
    assert_eq!(env.chain.lamports(&mallory.pubkey()).await - before, 1);

    // The victim can leave with everything they put in.
    let before = env.chain.lamports(&victim.pubkey()).await;
    env.withdraw(&victim, &victim_shares, 10 * SOL, 10 * SOL).await.unwrap();
    assert_eq!(env.chain.lamports(&victim.pubkey()).await - before, 10 * SOL);
}

#[tokio::test]
async fn donated_sol_and_lst_do_not_move_the_price() {
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    env.stake(5 * SOL).await.unwrap();
    let before_vault = env.vault().await.accounting;
    let (price_before, live_before) = share_price(&mut env).await;

    // SOL to the reserve, LST to the vault's LST account.
    let reserve = env.v.sol_reserve;
    env.chain.airdrop(&reserve, 50 * SOL).await;
    let donor_lst = env.chain.token_account(&env.pool.pool_mint.clone(), &alice.pubkey()).await;
    let lst_account = env.v.lst_account;
    // Alice gets LST from the pool herself (DepositSol) and sends it to the vault.
    let ix = spl_stake_pool::instruction::deposit_sol(
        &spl_stake_pool::id(),
        &env.pool.stake_pool,
        &env.pool.withdraw_authority,
        &env.pool.reserve_stake,
        &alice.pubkey(),
        &donor_lst,
        &env.pool.manager_fee_account,
        &donor_lst,
        &env.pool.pool_mint,
        &spl_token::id(),
        3 * SOL,
    );
    env.chain.send_ok(&[ix], &[&alice]).await;
    let donated = env.chain.token_balance(&donor_lst).await;
    let ix =
        spl_token::instruction::transfer(&spl_token::id(), &donor_lst, &lst_account, &alice.pubkey(), &[], donated)
            .unwrap();
    env.chain.send_ok(&[ix], &[&alice]).await;

    assert_eq!(env.vault().await.accounting, before_vault);
    assert_eq!(share_price(&mut env).await, (price_before, live_before));
    // Nor does a harvest turn the donation into profit.
    env.harvest().await.unwrap();
    let after = env.vault().await.accounting;
    assert_eq!(after.reserve_lamports, before_vault.reserve_lamports);
    assert_eq!(after.lst_amount, before_vault.lst_amount);
    assert_eq!(after.locked_profit_lamports, 0);
}

#[tokio::test]
async fn dust_below_one_share_is_rejected() {
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    env.stake(9 * SOL).await.unwrap();
    env.epoch_with_rewards(100 * SOL).await; // price now above 1 lamport per share unit
    let snap = env.snapshot(&[alice_shares]).await;
    ballast_localnet::chain::assert_error(
        env.deposit(&alice, &alice_shares, 1, 0).await,
        ballast::errors::VaultError::ZeroSharesMinted,
    );
    snap.assert_same(&env.snapshot(&[alice_shares]).await);
}
