//! The allocator leaves a healthy loop (`leave_loop`) on the real lending, swap and stake-pool
//! programs: through the stake pool at its rate, or through the pool within the unwind's bound;
//! all the way (no debt) or to a lower LTV; only the allocator, only downwards, and a refused
//! call changes nothing.
use ballast::errors::VaultError;
use ballast::events::LeftLoop;
use ballast::instructions::loop_exit::UnwindExit;
use ballast_localnet::chain::events;
use ballast_localnet::vault::SOL;
use ballast_localnet::VaultClient;
use solana_sdk::signature::Signer;

/// Leaves through `exit` down to `target_ltv_bps` as the allocator; returns the event.
async fn leave(env: &mut VaultClient, target_ltv_bps: u16, exit: UnwindExit) -> LeftLoop {
    let allocator = env.v.allocator.insecure_clone();
    let ix = env.leave_loop_ix(&allocator.pubkey(), target_ltv_bps, u64::MAX, exit);
    let (result, logs) = env.chain.send_logged(&[ix], &[&allocator]).await;
    assert!(result.is_ok(), "{exit:?}: {result:?}");
    events::<LeftLoop>(&logs).pop().unwrap()
}

#[tokio::test]
async fn the_allocator_leaves_a_healthy_loop_through_the_stake_pool_at_its_rate() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let ltv = env.market_ltv_bps().await;
    assert!(ltv > 4_000 && ltv < 7_500, "healthy, below the trigger: {ltv}");
    let debt_before = env.lending_health(None).await.debt_lamports;
    let (free_before, supply) = env.share_price().await;
    let vault_before = env.vault().await;
    let allocator = env.v.allocator.pubkey();
    let allocator_before = env.chain.lamports(&allocator).await;
    let rate = env.rate().await;

    let event = leave(&mut env, 0, UnwindExit::StakePool).await;
    println!("{event:?}");
    assert_eq!((event.ltv_before_bps, event.ltv_after_bps, event.debt_lamports), (ltv, 0, 0), "{event:?}");
    assert_eq!(env.lending_health(None).await.debt_lamports, 0);
    assert_eq!(event.repaid_lamports, debt_before);
    // The stake pool paid its rate (the harness pool charges no SOL-withdrawal fee): the only
    // cost is rounding, and it is booked at once.
    let at_rate = rate.lst_to_lamports_floor(event.lst_converted).unwrap();
    assert!(event.lst_converted > 0 && event.lamports_received + 1 >= at_rate, "{event:?}, {at_rate} at the rate");
    assert!(event.realized_loss_lamports <= 2, "{event:?}");
    // The holders lost at most that; the allocator gained nothing.
    let (free_after, supply_after) = env.share_price().await;
    assert_eq!(supply_after, supply);
    assert!(free_after + event.realized_loss_lamports as u128 + 2 >= free_before, "{free_before} -> {free_after}");
    assert_eq!(env.chain.lamports(&allocator).await, allocator_before);
    // The books: what the conversions brought beyond the repayment reached the reserve.
    let vault = env.vault().await;
    let from_sales = event.repaid_lamports - event.from_reserve_lamports;
    assert_eq!(
        vault.accounting.reserve_lamports,
        vault_before.accounting.reserve_lamports - event.from_reserve_lamports + (event.lamports_received - from_sales)
    );
    // Nothing left to leave.
    let again = env.leave_loop_ix(&allocator, 0, u64::MAX, UnwindExit::StakePool);
    let signer = env.v.allocator.insecure_clone();
    env.assert_rejected(&[again], &[&signer], VaultError::LeaveLoopNotNeeded, &[]).await;
}

#[tokio::test]
async fn through_the_pool_it_pays_at_least_the_rate_less_the_bound_and_stops_at_the_target() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let ltv = env.market_ltv_bps().await;
    let (free_before, _) = env.share_price().await;
    let rate = env.rate().await;
    let bound_bps = env.vault().await.risk_params.unwind_slippage_bps as u128;

    let event = leave(&mut env, 2_000, UnwindExit::Pool).await;
    println!("{event:?}");
    assert!(event.ltv_before_bps == ltv && event.ltv_after_bps <= 2_000 && event.ltv_after_bps > 0, "{event:?}");
    assert_eq!(env.market_ltv_bps().await, event.ltv_after_bps);
    let at_rate = rate.lst_to_lamports_floor(event.lst_converted).unwrap() as u128;
    assert!(event.lamports_received as u128 * 10_000 >= at_rate * (10_000 - bound_bps), "{event:?}");
    // The realized cost is the sale's shortfall against the rate, no more, and the holders
    // carry exactly that.
    let at_rate_ceil = rate.lst_to_lamports_ceil(event.lst_converted).unwrap();
    assert_eq!(event.realized_loss_lamports, at_rate_ceil.saturating_sub(event.lamports_received));
    let (free_after, _) = env.share_price().await;
    assert!(free_after + event.realized_loss_lamports as u128 + 2 >= free_before, "{free_before} -> {free_after}");
    assert!(free_before >= free_after, "{free_before} -> {free_after}");
    let wsol = env.pool_setup().wsol_account;
    assert_eq!(env.chain.token_balance(&wsol).await, 0);
}

#[tokio::test]
async fn it_works_paused() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let guardian = env.v.guardian.insecure_clone();
    env.send_as(env.set_pause_ix(&guardian.pubkey(), true), &guardian).await.unwrap();
    let event = leave(&mut env, 0, UnwindExit::StakePool).await;
    assert_eq!(event.debt_lamports, 0);
    assert!(env.vault().await.paused);
}

#[tokio::test]
async fn only_the_allocator_only_downwards_and_a_refusal_changes_nothing() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let ltv = env.market_ltv_bps().await as u16;
    let watch = [env.v.vault, env.v.sol_reserve, env.v.lst_account, env.lending().collateral_account];
    let stranger = env.chain.funded_keypair(SOL).await;
    let ix = env.leave_loop_ix(&stranger.pubkey(), 0, u64::MAX, UnwindExit::StakePool);
    env.assert_rejected(&[ix], &[&stranger], VaultError::NotAllocator, &watch).await;

    let allocator = env.v.allocator.insecure_clone();
    let cases = [
        (ltv, VaultError::LeaveLoopNotNeeded),
        (ltv + 100, VaultError::LeaveLoopNotNeeded),
        (10_000, VaultError::TargetLtvInvalid),
    ];
    for (target, error) in cases {
        let ix = env.leave_loop_ix(&allocator.pubkey(), target, u64::MAX, UnwindExit::Pool);
        env.assert_rejected(&[ix], &[&allocator], error, &watch).await;
    }
    // A repayment cap too small to reach the target.
    let ix = env.leave_loop_ix(&allocator.pubkey(), 0, SOL / 10, UnwindExit::StakePool);
    env.assert_rejected(&[ix], &[&allocator], VaultError::UnwindInsufficient, &watch).await;
}
