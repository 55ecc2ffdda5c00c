//! Deposit -> stake -> epoch with rewards -> pool update -> harvest -> withdraw, checked to the
//! lamport against the pool's own numbers.
use ballast_localnet::vault::{default_params, SEED_DEPOSIT_LAMPORTS, SOL};
use ballast_localnet::VaultClient;
use solana_sdk::signature::Signer;

fn mul_div_floor(a: u64, b: u64, c: u64) -> u64 {
    ((a as u128 * b as u128) / c as u128) as u64
}
fn mul_div_ceil(a: u64, b: u64, c: u64) -> u64 {
    ((a as u128 * b as u128).div_ceil(c as u128)) as u64
}

#[tokio::test]
async fn staking_rewards_reach_the_depositor_exactly() {
    let params = default_params(); // 10% performance fee, no management fee, 1-day unlock
    let mut env = VaultClient::start(params).await;
    let (alice, alice_shares) = env.depositor(20 * SOL).await;

    // Deposit at 1 lamport per share: the seed minted as many dead shares as lamports.
    env.deposit(&alice, &alice_shares, 10 * SOL, 10 * SOL).await.unwrap();
    assert_eq!(env.chain.token_balance(&alice_shares).await, 10 * SOL);

    // Stake 8 SOL: the pool is 1:1, so 8 SOL of LST arrive.
    env.stake(8 * SOL).await.unwrap();
    let lst_account = env.v.lst_account;
    assert_eq!(env.chain.token_balance(&lst_account).await, 8 * SOL);

    // An epoch of rewards: 10 SOL on the pool's 1,008 SOL.
    env.epoch_with_rewards(10 * SOL).await;
    let pool = env.pool.state(&mut env.chain).await;
    assert_eq!((pool.total_lamports, pool.pool_token_supply), (1_018 * SOL, 1_008 * SOL));

    // Harvest: profit = LST value gain; 10% fee on it, minted as shares; the rest locked.
    let before = env.vault().await.accounting;
    env.harvest().await.unwrap();
    let reserve = SEED_DEPOSIT_LAMPORTS + 2 * SOL;
    let live = reserve + mul_div_floor(8 * SOL, pool.total_lamports, pool.pool_token_supply);
    let profit = live - before.last_total_assets_lamports;
    assert_eq!(profit, mul_div_floor(8 * SOL, 1_018, 1_008) - 8 * SOL);
    let fee = mul_div_ceil(profit, 1_000, 10_000);
    let supply_before = SEED_DEPOSIT_LAMPORTS + 10 * SOL;
    // Fee shares are priced like a deposit at the pre-harvest price (here exactly 1:1).
    let fee_shares = mul_div_floor(fee, supply_before, before.last_total_assets_lamports);
    let fee_recipient_shares = env.v.fee_recipient_shares;
    assert_eq!(env.chain.token_balance(&fee_recipient_shares).await, fee_shares);
    let after = env.vault().await.accounting;
    assert_eq!(after.locked_profit_lamports, profit - fee);
    assert_eq!(after.last_total_assets_lamports, live);

    // Right after the harvest the profit is locked: withdrawing now pays the pre-harvest price
    // or less. A day later it is all unlocked.
    env.chain.advance_secs(params.profit_unlock_secs as i64).await;

    // Bob's deposit refills the reserve so Alice can leave through it.
    let (bob, bob_shares) = env.depositor(30 * SOL).await;
    let supply = supply_before + fee_shares;
    let bob_minted = mul_div_floor(20 * SOL, supply, live);
    env.deposit(&bob, &bob_shares, 20 * SOL, 0).await.unwrap();
    assert_eq!(env.chain.token_balance(&bob_shares).await, bob_minted);

    let alice_before = env.chain.lamports(&alice.pubkey()).await;
    env.withdraw(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    let paid = env.chain.lamports(&alice.pubkey()).await - alice_before;
    let expected = mul_div_floor(10 * SOL, live + 20 * SOL, supply + bob_minted);
    assert_eq!(paid, expected);
    assert!(paid > 10 * SOL, "alice earned nothing: {paid}");
    // She earned her share of the rewards on 8 of the vault's 10.01 staked-or-held SOL, less fee.
    assert!(paid < 10 * SOL + profit);
}

#[tokio::test]
async fn deposit_just_before_harvest_does_not_capture_the_profit() {
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    env.stake(8 * SOL).await.unwrap();
    env.epoch_with_rewards(10 * SOL).await;

    // Mallory sees the rate rise, deposits before the harvest and withdraws right after it.
    let (mallory, mallory_shares) = env.depositor(10 * SOL).await;
    env.deposit(&mallory, &mallory_shares, 5 * SOL, 0).await.unwrap();
    env.harvest().await.unwrap();
    let before = env.chain.lamports(&mallory.pubkey()).await;
    let shares = env.chain.token_balance(&mallory_shares).await;
    env.withdraw(&mallory, &mallory_shares, shares, 0).await.unwrap();
    let paid = env.chain.lamports(&mallory.pubkey()).await - before;
    assert!(paid <= 5 * SOL, "sandwiching the harvest paid {paid}");
}

#[tokio::test]
async fn every_money_movement_emits_the_share_price() {
    use ballast::events::{Deposited, Harvested, Staked, Withdrawn};
    use ballast_localnet::chain::events;
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = env.depositor(20 * SOL).await;

    let ix = env.deposit_ix(&alice.pubkey(), &alice_shares, 10 * SOL, 0);
    let (result, logs) = env.chain.send_logged(&[ix], &[&alice]).await;
    result.unwrap();
    let [deposited] = &events::<Deposited>(&logs)[..] else { panic!("one Deposited event") };
    assert_eq!((deposited.depositor, deposited.lamports, deposited.shares), (alice.pubkey(), 10 * SOL, 10 * SOL));
    assert_eq!(deposited.snapshot.total_shares, SEED_DEPOSIT_LAMPORTS + 10 * SOL);
    assert_eq!(deposited.snapshot.share_price_lamports, SOL);

    let allocator = env.v.allocator.insecure_clone();
    let (result, logs) = env.chain.send_logged(&[env.stake_ix(&allocator.pubkey(), 8 * SOL)], &[&allocator]).await;
    result.unwrap();
    let [staked] = &events::<Staked>(&logs)[..] else { panic!("one Staked event") };
    assert_eq!((staked.lamports, staked.lst_received), (8 * SOL, 8 * SOL));

    env.epoch_with_rewards(10 * SOL).await;
    let (result, logs) = env.chain.send_logged(&[env.harvest_ix(&allocator.pubkey())], &[&allocator]).await;
    result.unwrap();
    let [harvested] = &events::<Harvested>(&logs)[..] else { panic!("one Harvested event") };
    let fee_recipient_shares = env.v.fee_recipient_shares;
    assert_eq!(harvested.fee_shares, env.chain.token_balance(&fee_recipient_shares).await);
    assert!(harvested.profit_lamports > 0 && harvested.performance_fee_lamports > 0);
    assert_eq!(harvested.locked_profit_lamports, harvested.profit_lamports - harvested.performance_fee_lamports);
    // Locked profit keeps the withdrawal price where it was.
    assert_eq!(harvested.snapshot.share_price_lamports, SOL);

    let ix = env.withdraw_ix(&alice.pubkey(), &alice_shares, &alice.pubkey(), SOL, 0);
    let (result, logs) = env.chain.send_logged(&[ix], &[&alice]).await;
    result.unwrap();
    let [withdrawn] = &events::<Withdrawn>(&logs)[..] else { panic!("one Withdrawn event") };
    assert_eq!((withdrawn.shares, withdrawn.lamports, withdrawn.fee_lamports), (SOL, SOL, 0));
    assert_eq!(withdrawn.snapshot.total_shares, env.share_supply().await);
}
