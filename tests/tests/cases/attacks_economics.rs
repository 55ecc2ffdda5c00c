//! Economic attacks (`docs/SECURITY.md` checklist items 11, 12, 13, 14, 15, 22 and 25), each performed
//! against the real program: the first-depositor inflation trick, donations, dust round trips,
//! zero-share and zero-payout calls, u64::MAX amounts and extreme parameters, the ledger against
//! the real balances after every CPI-making instruction, and a pool manipulated in the same
//! transaction. Each asserts the outcome in lamports: attackers lose, nobody else does, the share
//! price never falls, and every refused call names its error and changes nothing.
use ballast::errors::VaultError;
use ballast::events::{Deposited, Harvested, LendingMoved, PoolMoved, Staked, Unwound, Withdrawn};
use ballast::math::shares::lamports_for_shares_floor;
use ballast::state::RiskParams;
use ballast_localnet::chain::{assert_error, events};
use ballast_localnet::vault::{default_params, SEED_DEPOSIT_LAMPORTS, SOL};
use ballast_localnet::vault_pool::price_not_lower;
use ballast_localnet::VaultClient;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use solana_program::instruction::Instruction;
use solana_program::system_instruction;
use solana_sdk::signature::{Keypair, Signer};

use super::attacks_common::shareholder;

/// Shares a deposit of `lamports` mints now: at the vault's live value, rounded down.
async fn shares_for(env: &mut VaultClient, lamports: u64) -> u64 {
    let (live, _) = env.valuation().await;
    let supply = env.share_supply().await;
    (lamports as u128 * supply as u128 / live as u128) as u64
}

/// Lamports a withdrawal of `shares` pays now (no fee): at the vault's free assets, rounded down.
async fn lamports_for(env: &mut VaultClient, shares: u64) -> u64 {
    let (free, supply) = env.share_price().await;
    lamports_for_shares_floor(shares, supply as u64, free as u64).expect("in range")
}

/// A vault with 10.01 SOL of assets, 8 of them staked, after an epoch whose rewards raised the
/// pool's rate; harvested and unlocked, so one share is worth a non-round number of lamports and
/// deposits and withdrawals are priced alike.
async fn vault_above_par() -> VaultClient {
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    shareholder(&mut env, 10 * SOL).await;
    let staked = env.stake(8 * SOL).await;
    assert!(staked.is_ok(), "{staked:?}");
    env.epoch_with_rewards(37 * SOL).await;
    let harvested = env.harvest().await;
    assert!(harvested.is_ok(), "{harvested:?}");
    env.chain.advance_secs(params.profit_unlock_secs as i64).await;
    let (free, supply) = env.share_price().await;
    assert!(free > supply && free % supply != 0, "price {free}/{supply} should be above par and not whole");
    env
}

#[tokio::test]
async fn item_11_first_depositor_inflation_costs_the_attacker_not_the_victim() {
    let mut env = VaultClient::start(default_params()).await;
    let (mallory, mallory_shares) = env.depositor(200 * SOL).await;
    let (victim, victim_shares) = env.depositor(20 * SOL).await;
    let mallory_start_lamports = env.chain.lamports(&mallory.pubkey()).await;

    // The vault's first real deposit: 1 lamport for 1 share (the seed's dead shares came first).
    let deposited = env.deposit(&mallory, &mallory_shares, 1, 1).await;
    assert!(deposited.is_ok(), "{deposited:?}");
    assert_eq!(env.chain.token_balance(&mallory_shares).await, 1);
    // The donation: 100 SOL to the reserve and 10 SOL worth of LST to the LST account.
    let reserve = env.v.sol_reserve;
    env.chain.send_ok(&[system_instruction::transfer(&mallory.pubkey(), &reserve, 100 * SOL)], &[&mallory]).await;
    let mallory_lst = env.lst_for(&mallory, 10 * SOL).await;
    let lst_account = env.v.lst_account;
    let transfer = spl_token::instruction::transfer(
        &spl_token::id(),
        &mallory_lst,
        &lst_account,
        &mallory.pubkey(),
        &[],
        10 * SOL,
    )
    .expect("transfer instruction");
    env.chain.send_ok(&[transfer], &[&mallory]).await;
    // The price did not move: the ledger holds the seed and the one lamport.
    assert_eq!(env.share_price().await, ((SEED_DEPOSIT_LAMPORTS + 1) as u128, (SEED_DEPOSIT_LAMPORTS + 1) as u128));

    // The victim demands exactly the fair number of shares, and gets it; one share more than
    // fair would have been refused.
    let fair_shares = 10 * SOL;
    let greedy = env.deposit_ix(&victim.pubkey(), &victim_shares, 10 * SOL, fair_shares + 1);
    env.assert_rejected(&[greedy], &[&victim], VaultError::MinSharesOutNotMet, &[victim_shares]).await;
    let deposited = env.deposit(&victim, &victim_shares, 10 * SOL, fair_shares).await;
    assert!(deposited.is_ok(), "the victim's deposit at the fair price: {deposited:?}");
    assert_eq!(env.chain.token_balance(&victim_shares).await, fair_shares);

    // Mallory's one share redeems one lamport: she is 110 SOL poorer.
    let withdrawn = env.withdraw(&mallory, &mallory_shares, 1, 0).await;
    assert!(withdrawn.is_ok(), "{withdrawn:?}");
    let mallory_loss_lamports = mallory_start_lamports - env.chain.lamports(&mallory.pubkey()).await;
    assert_eq!(mallory_loss_lamports, 110 * SOL);
    // The victim leaves with all of it.
    let before = env.chain.lamports(&victim.pubkey()).await;
    let withdrawn = env.withdraw(&victim, &victim_shares, fair_shares, 10 * SOL).await;
    assert!(withdrawn.is_ok(), "{withdrawn:?}");
    assert_eq!(env.chain.lamports(&victim.pubkey()).await - before, 10 * SOL);
}

#[tokio::test]
async fn item_12_donations_do_not_move_the_share_price() {
    let mut env = vault_above_par().await;
    let accounting_before = env.vault().await.accounting;
    let price_before = env.share_price().await;
    let (live_before, _) = env.valuation().await;
    let mallory = env.chain.funded_keypair(60 * SOL).await;

    // 50 SOL to the reserve, 5 SOL worth of LST to the LST account.
    let reserve = env.v.sol_reserve;
    env.chain.send_ok(&[system_instruction::transfer(&mallory.pubkey(), &reserve, 50 * SOL)], &[&mallory]).await;
    let mallory_lst = env.lst_for(&mallory, 5 * SOL).await;
    let donated_lst = env.chain.token_balance(&mallory_lst).await;
    let lst_account = env.v.lst_account;
    let transfer = spl_token::instruction::transfer(
        &spl_token::id(),
        &mallory_lst,
        &lst_account,
        &mallory.pubkey(),
        &[],
        donated_lst,
    )
    .expect("transfer instruction");
    env.chain.send_ok(&[transfer], &[&mallory]).await;

    assert_eq!(env.vault().await.accounting, accounting_before, "the ledger did not book the donation");
    assert_eq!(env.share_price().await, price_before);
    assert_eq!(env.valuation().await.0, live_before);
    // A harvest books no profit from it either.
    let allocator = env.v.allocator.insecure_clone();
    let (result, logs) = env.chain.send_logged(&[env.harvest_ix(&allocator.pubkey())], &[&allocator]).await;
    assert!(result.is_ok(), "{result:?}");
    let harvested = events::<Harvested>(&logs).pop().expect("Harvested event");
    assert_eq!((harvested.profit_lamports, harvested.fee_shares), (0, 0), "{harvested:?}");
    assert_eq!(env.share_price().await, price_before);
    // A new depositor pays the pre-donation price, and a withdrawal is paid at it.
    let expected_shares = (3 * SOL as u128 * price_before.1 / price_before.0) as u64;
    let (bob, bob_shares) = shareholder(&mut env, 3 * SOL).await;
    assert_eq!(env.chain.token_balance(&bob_shares).await, expected_shares);
    let expected_lamports = lamports_for(&mut env, expected_shares).await;
    let before = env.chain.lamports(&bob.pubkey()).await;
    let withdrawn = env.withdraw(&bob, &bob_shares, expected_shares, 0).await;
    assert!(withdrawn.is_ok(), "{withdrawn:?}");
    let paid_lamports = env.chain.lamports(&bob.pubkey()).await - before;
    assert_eq!(paid_lamports, expected_lamports);
    assert!(paid_lamports <= 3 * SOL && paid_lamports + 2 >= 3 * SOL, "{paid_lamports}");
}

#[tokio::test]
async fn item_13_dust_round_trips_never_gain_and_never_lower_the_price() {
    let mut env = vault_above_par().await;
    let (user, user_shares) = env.depositor(10 * SOL).await;
    let start_lamports = env.chain.lamports(&user.pubkey()).await;
    // Amounts drawn by proptest's deterministic runner: dust, small and large.
    let mut runner = TestRunner::deterministic();
    let amounts =
        proptest::collection::vec(prop_oneof![1u64..5, 5u64..1_000, 1_000u64..10_000_000, 10_000_000u64..2 * SOL], 24)
            .new_tree(&mut runner)
            .expect("a sample")
            .current();

    for (round, lamports) in amounts.into_iter().enumerate() {
        let user_before = env.chain.lamports(&user.pubkey()).await;
        let price_before = env.share_price().await;
        let minted = shares_for(&mut env, lamports).await;
        let result = env.deposit(&user, &user_shares, lamports, 0).await;
        if minted == 0 {
            assert_error(result, VaultError::ZeroSharesMinted);
            assert_eq!(env.chain.lamports(&user.pubkey()).await, user_before, "round {round}: dust refused");
            continue;
        }
        assert!(result.is_ok(), "round {round}: deposit of {lamports}: {result:?}");
        assert_eq!(env.chain.token_balance(&user_shares).await, minted, "round {round}");
        assert!(price_not_lower(price_before, env.share_price().await), "round {round}: the deposit lowered the price");

        // Back out: at once, or in two halves, or one share at a time for the first few.
        let parts: Vec<u64> = match round % 3 {
            0 => vec![minted],
            1 if minted >= 2 => vec![minted / 2, minted - minted / 2],
            _ => {
                let singles = minted.min(3);
                let mut parts = vec![1; singles as usize];
                if minted > singles {
                    parts.push(minted - singles);
                }
                parts
            }
        };
        for shares in parts {
            let price = env.share_price().await;
            let owed = lamports_for(&mut env, shares).await;
            let result = env.withdraw(&user, &user_shares, shares, 0).await;
            if owed == 0 {
                assert_error(result, VaultError::ZeroLamportsOut);
                continue;
            }
            assert!(result.is_ok(), "round {round}: withdrawal of {shares} shares: {result:?}");
            assert!(price_not_lower(price, env.share_price().await), "round {round}: the withdrawal lowered the price");
        }
        let user_after = env.chain.lamports(&user.pubkey()).await;
        assert!(user_after <= user_before, "round {round}: {lamports} lamports in, {user_after} > {user_before}");
        assert!(price_not_lower(price_before, env.share_price().await), "round {round}");
    }
    assert!(env.chain.lamports(&user.pubkey()).await <= start_lamports);
}

#[tokio::test]
async fn item_14_zero_share_deposits_and_zero_lamport_withdrawals_are_refused() {
    // A 0.1% withdrawal fee: one share's lamport goes entirely to the fee.
    let params = RiskParams { withdrawal_fee_bps: 10, ..default_params() };
    let mut env = VaultClient::start(params).await;
    let (alice, alice_shares) = shareholder(&mut env, 10 * SOL).await;
    let me = alice.pubkey();
    let watch = [alice_shares];
    let staked = env.stake(8 * SOL).await;
    assert!(staked.is_ok(), "{staked:?}");
    env.epoch_with_rewards(100 * SOL).await;
    // Deposits buy at the live value, now above one lamport per share: one lamport buys nothing.
    assert_eq!(shares_for(&mut env, 1).await, 0);
    env.assert_rejected(&[env.deposit_ix(&me, &alice_shares, 1, 0)], &[&alice], VaultError::ZeroSharesMinted, &watch)
        .await;
    env.assert_rejected(&[env.deposit_ix(&me, &alice_shares, 0, 0)], &[&alice], VaultError::ZeroAmount, &watch).await;
    // Withdrawals are paid from the harvested ledger, still one lamport per share: one share
    // pays one lamport, all of it fee.
    assert_eq!(lamports_for(&mut env, 1).await, 1);
    let ix = env.withdraw_ix(&me, &alice_shares, &me, 1, 0);
    env.assert_rejected(&[ix], &[&alice], VaultError::ZeroLamportsOut, &watch).await;
    let ix = env.withdraw_ix(&me, &alice_shares, &me, 0, 0);
    env.assert_rejected(&[ix], &[&alice], VaultError::ZeroAmount, &watch).await;
    // Many single-share withdrawals in one transaction fare no better.
    let ixs: Vec<Instruction> = (0..8).map(|_| env.withdraw_ix(&me, &alice_shares, &me, 1, 0)).collect();
    env.assert_rejected(&ixs, &[&alice], VaultError::ZeroLamportsOut, &watch).await;
}

#[tokio::test]
async fn item_15_u64_max_amounts_and_extreme_params_fail_with_checked_errors() {
    // A vault above par: u64::MAX shares are worth more than u64::MAX lamports.
    let mut env = vault_above_par().await;
    let (alice, alice_shares) = shareholder(&mut env, SOL).await;
    let me = alice.pubkey();
    let allocator = env.v.allocator.insecure_clone();
    let admin = env.v.admin.insecure_clone();
    let watch = [alice_shares];
    let max = u64::MAX;
    env.assert_rejected(
        &[env.deposit_ix(&me, &alice_shares, max, 0)],
        &[&alice],
        VaultError::DepositCapExceeded,
        &watch,
    )
    .await;
    let ix = env.withdraw_ix(&me, &alice_shares, &me, max, 0);
    env.assert_rejected(&[ix], &[&alice], VaultError::MathOverflow, &watch).await;
    let ix = env.withdraw_ix(&me, &alice_shares, &me, SOL / 2, max);
    env.assert_rejected(&[ix], &[&alice], VaultError::MinLamportsOutNotMet, &watch).await;
    let ix = env.deposit_ix(&me, &alice_shares, SOL / 2, max);
    env.assert_rejected(&[ix], &[&alice], VaultError::MinSharesOutNotMet, &watch).await;
    let ix = env.stake_ix(&allocator.pubkey(), max);
    env.assert_rejected(&[ix], &[&allocator], VaultError::InsufficientReserve, &[]).await;

    // Extreme parameters: each bound checked before any arithmetic could divide by zero or wrap.
    let params = default_params();
    let extremes: [(RiskParams, VaultError); 8] = [
        (
            RiskParams {
                max_leverage_bps: u32::MAX,
                target_ltv_low_bps: u16::MAX,
                target_ltv_high_bps: u16::MAX,
                unwind_trigger_ltv_bps: u16::MAX,
                unwind_target_ltv_bps: u16::MAX,
                max_oracle_age_secs: u32::MAX,
                max_conf_bps: u16::MAX,
                max_depeg_bps: u16::MAX,
                max_slippage_bps: u16::MAX,
                unwind_slippage_bps: u16::MAX,
                keeper_reward_bps: u16::MAX,
                max_lending_alloc_bps: u16::MAX,
                max_pool_alloc_bps: u16::MAX,
                min_sol_reserve_bps: u16::MAX,
                management_fee_bps: u16::MAX,
                performance_fee_bps: u16::MAX,
                withdrawal_fee_bps: u16::MAX,
                profit_unlock_secs: u32::MAX,
                timelock_secs: u32::MAX,
                deposit_cap_lamports: u64::MAX,
            },
            VaultError::FeeAboveCap,
        ),
        // A 100% trigger would make 1 / (1 - LTV) divide by zero.
        (RiskParams { unwind_trigger_ltv_bps: 10_000, ..params }, VaultError::LtvBoundsInvalid),
        (RiskParams { unwind_trigger_ltv_bps: u16::MAX, ..params }, VaultError::LtvBoundsInvalid),
        (RiskParams { max_leverage_bps: u32::MAX, ..params }, VaultError::LeverageBoundInvalid),
        (RiskParams { max_oracle_age_secs: u32::MAX, ..params }, VaultError::OracleBoundInvalid),
        (RiskParams { max_slippage_bps: u16::MAX, ..params }, VaultError::SlippageBoundInvalid),
        (RiskParams { min_sol_reserve_bps: u16::MAX, ..params }, VaultError::AllocationCapInvalid),
        (RiskParams { profit_unlock_secs: u32::MAX, ..params }, VaultError::ProfitUnlockInvalid),
    ];
    for (bad, error) in extremes {
        env.assert_rejected(&[env.propose_ix(&admin.pubkey(), bad)], &[&admin], error, &[]).await;
    }
    let ix = env.propose_ix(&admin.pubkey(), RiskParams { timelock_secs: u32::MAX, ..params });
    env.assert_rejected(&[ix], &[&admin], VaultError::TimelockInvalid, &[]).await;

    // The looped vault in its pool: every amount-taking allocator instruction at u64::MAX.
    let mut env = VaultClient::start_looped_in_pool().await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    let caller = env.chain.funded_keypair(SOL).await;
    let cases: [(Instruction, &Keypair, u32); 7] = [
        (env.lend_supply_ix(&me, max), &allocator, VaultError::InsufficientReserve.into()),
        // The lending program reads u64::MAX as "as much as allowed"; the vault asked for an exact
        // amount and refuses what came.
        (env.leverage_up_ix(&me, max), &allocator, VaultError::BalanceMismatch.into()),
        (env.lend_withdraw_ix(&me, max), &allocator, VaultError::BalanceMismatch.into()),
        // All the debt (8 SOL) from a 2.01 SOL reserve.
        (env.deleverage_ix(&me, max), &allocator, VaultError::InsufficientReserve.into()),
        // The pool's deposit cost of u64::MAX pool tokens does not fit in a u64.
        (env.pool_add_ix(&me, max), &allocator, VaultError::MathOverflow.into()),
        (env.pool_remove_ix(&me, max), &allocator, VaultError::InsufficientHoldings.into()),
        (env.unwind_ix(&caller.pubkey(), max), &caller, VaultError::UnwindNotNeeded.into()),
    ];
    for (ix, signer, error) in cases {
        env.assert_rejected(&[ix], &[signer], error, &[]).await;
    }
}

/// The vault's accounts against its ledger at one moment.
#[derive(Clone, Copy, Debug)]
struct Books {
    reserve_lamports: u64,
    ledger_reserve_lamports: u64,
    lst: u64,
    ledger_lst: u64,
    pool_tokens: u64,
    ledger_pool_tokens: u64,
    debt_lamports: u64,
    collateral_lst: u64,
    share_supply: u64,
}

/// Reads the books and checks the ledger is the balances: the reserve holds its rent and the
/// ledger's lamports, the LST and pool-token accounts what the ledger says, the transient wSOL
/// and cToken accounts nothing.
async fn books(env: &mut VaultClient, step: &str) -> Books {
    let vault = env.vault().await;
    let (reserve, lst_account) = (env.v.sol_reserve, env.v.lst_account);
    let (collateral, lending_wsol) = (env.lending().collateral_account, env.lending().wsol_account);
    let (pool_token_account, pool_wsol) = (env.pool_setup().pool_token_account, env.pool_setup().wsol_account);
    let health = env.lending_health(None).await;
    let rent = env.chain.ctx.banks_client.get_rent().await.expect("rent sysvar");
    let b = Books {
        reserve_lamports: env.chain.lamports(&reserve).await - rent.minimum_balance(0),
        ledger_reserve_lamports: vault.accounting.reserve_lamports,
        lst: env.chain.token_balance(&lst_account).await,
        ledger_lst: vault.accounting.lst_amount,
        pool_tokens: env.chain.token_balance(&pool_token_account).await,
        ledger_pool_tokens: vault.accounting.pool_tokens,
        debt_lamports: health.debt_lamports,
        collateral_lst: health.collateral_lst,
        share_supply: env.share_supply().await,
    };
    assert_eq!(b.reserve_lamports, b.ledger_reserve_lamports, "{step}: SOL reserve vs ledger");
    assert_eq!(b.lst, b.ledger_lst, "{step}: LST account vs ledger");
    assert_eq!(b.pool_tokens, b.ledger_pool_tokens, "{step}: pool tokens vs ledger");
    assert_eq!(env.chain.token_balance(&collateral).await, 0, "{step}: cTokens left outside the obligation");
    assert_eq!(env.chain.token_balance(&lending_wsol).await, 0, "{step}: lending wSOL left");
    assert_eq!(env.chain.token_balance(&pool_wsol).await, 0, "{step}: pool wSOL left");
    b
}

/// Sends the instruction `build` makes, signed by `signer`, and returns its log.
async fn run(
    env: &mut VaultClient,
    build: impl FnOnce(&VaultClient) -> Instruction,
    signer: &Keypair,
    step: &str,
) -> Vec<String> {
    let ix = build(env);
    let (result, logs) = env.chain.send_logged(&[ix], &[signer]).await;
    assert!(result.is_ok(), "{step}: {result:?}");
    logs
}

#[tokio::test]
async fn item_22_every_accounted_change_is_the_real_balance_change() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    let mut before = books(&mut env, "start").await;

    // Deposit: SOL in, shares out, both exactly the event's.
    let (bob, bob_shares) = env.depositor(10 * SOL).await;
    let logs = run(&mut env, |e| e.deposit_ix(&bob.pubkey(), &bob_shares, 5 * SOL, 0), &bob, "deposit").await;
    let deposited = events::<Deposited>(&logs).pop().expect("Deposited event");
    let after = books(&mut env, "deposit").await;
    assert_eq!(after.reserve_lamports, before.reserve_lamports + 5 * SOL);
    assert_eq!(after.share_supply, before.share_supply + deposited.shares);
    assert_eq!(env.chain.token_balance(&bob_shares).await, deposited.shares);
    assert_eq!(deposited.snapshot.total_shares, after.share_supply, "the mint was reloaded after the CPI");
    before = after;

    // Stake: SOL out of the reserve, the LST the pool actually minted booked.
    let logs = run(&mut env, |e| e.stake_ix(&me, 4 * SOL), &allocator, "stake").await;
    let staked = events::<Staked>(&logs).pop().expect("Staked event");
    let after = books(&mut env, "stake").await;
    assert_eq!(after.reserve_lamports, before.reserve_lamports - 4 * SOL);
    assert_eq!(after.lst, before.lst + staked.lst_received);
    before = after;

    // Supply LST as collateral.
    run(&mut env, |e| e.lend_supply_ix(&me, SOL), &allocator, "lend_supply").await;
    let after = books(&mut env, "lend_supply").await;
    assert_eq!(after.lst, before.lst - SOL);
    assert_eq!(after.collateral_lst, before.collateral_lst + SOL);
    before = after;

    // One loop step: the debt grows by exactly the borrow, the collateral by the LST it bought.
    let logs = run(&mut env, |e| e.leverage_up_ix(&me, SOL), &allocator, "leverage_up").await;
    let moved = events::<LendingMoved>(&logs).pop().expect("LendingMoved event");
    let after = books(&mut env, "leverage_up").await;
    assert_eq!(after.debt_lamports, before.debt_lamports + SOL);
    assert_eq!((after.debt_lamports, after.collateral_lst), (moved.debt_lamports, moved.collateral_lst));
    assert_eq!(after.collateral_lst, before.collateral_lst + SOL, "at the pool's 1:1 rate");
    assert_eq!((after.reserve_lamports, after.lst), (before.reserve_lamports, before.lst));
    before = after;

    // Repay from the reserve.
    run(&mut env, |e| e.deleverage_ix(&me, SOL / 2), &allocator, "deleverage").await;
    let after = books(&mut env, "deleverage").await;
    assert_eq!(after.debt_lamports, before.debt_lamports - SOL / 2);
    assert_eq!(after.reserve_lamports, before.reserve_lamports - SOL / 2);
    before = after;

    // Liquidity in and out of the pool.
    let pool_tokens = env.pool_tokens_for(SOL / 2).await;
    let logs = run(&mut env, |e| e.pool_add_ix(&me, pool_tokens), &allocator, "pool_add").await;
    let added = events::<PoolMoved>(&logs).pop().expect("PoolMoved event");
    let after = books(&mut env, "pool_add").await;
    assert_eq!(after.pool_tokens, before.pool_tokens + pool_tokens);
    assert_eq!(after.lst, before.lst - added.lst_amount);
    assert_eq!(after.reserve_lamports, before.reserve_lamports - added.lamports);
    before = after;
    let logs = run(&mut env, |e| e.pool_remove_ix(&me, pool_tokens), &allocator, "pool_remove").await;
    let removed = events::<PoolMoved>(&logs).pop().expect("PoolMoved event");
    let after = books(&mut env, "pool_remove").await;
    assert_eq!(after.pool_tokens, before.pool_tokens - pool_tokens);
    assert_eq!(after.lst, before.lst + removed.lst_amount);
    assert_eq!(after.reserve_lamports, before.reserve_lamports + removed.lamports);
    before = after;

    // A withdrawal larger than the reserve: LST sold through the pool, the rest paid out.
    let shares = {
        let (free, supply) = env.share_price().await;
        ((before.ledger_reserve_lamports + SOL) as u128 * supply / free) as u64
    };
    let bob_before = env.chain.lamports(&bob.pubkey()).await;
    let logs =
        run(&mut env, |e| e.withdraw_ix(&bob.pubkey(), &bob_shares, &bob.pubkey(), shares, 0), &bob, "withdraw").await;
    let withdrawn = events::<Withdrawn>(&logs).pop().expect("Withdrawn event");
    let after = books(&mut env, "withdraw").await;
    assert!(withdrawn.lst_sold > 0, "{withdrawn:?}");
    assert_eq!(env.chain.lamports(&bob.pubkey()).await - bob_before, withdrawn.lamports);
    assert_eq!(after.lst, before.lst - withdrawn.lst_sold);
    assert_eq!(after.share_supply, before.share_supply - shares);
    before = after;

    // A harvest mints exactly the fee shares it reports.
    let logs = run(&mut env, |e| e.harvest_ix(&me), &allocator, "harvest").await;
    let harvested = events::<Harvested>(&logs).pop().expect("Harvested event");
    let after = books(&mut env, "harvest").await;
    assert_eq!(after.share_supply, before.share_supply + harvested.fee_shares);
    before = after;

    // An unwind: the debt falls by what it repaid, the reserve gains the surplus less the reward.
    env.mark_lst_down(0.6).await;
    let caller = env.chain.funded_keypair(SOL).await;
    let caller_before = env.chain.lamports(&caller.pubkey()).await;
    let logs = run(&mut env, |e| e.unwind_ix(&caller.pubkey(), u64::MAX), &caller, "unwind").await;
    let unwound = events::<Unwound>(&logs).pop().expect("Unwound event");
    let after = books(&mut env, "unwind").await;
    assert_eq!(after.debt_lamports, before.debt_lamports - unwound.repaid_lamports);
    assert_eq!(
        after.reserve_lamports,
        before.reserve_lamports + unwound.lamports_received - unwound.repaid_lamports - unwound.reward_lamports
    );
    assert_eq!(after.lst, before.lst, "the loose LST is untouched");
    assert_eq!(env.chain.lamports(&caller.pubkey()).await - caller_before, unwound.reward_lamports);
}

#[tokio::test]
async fn item_25_a_pool_pushed_in_the_same_transaction_cannot_reach_the_vaults_value() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let (bob, bob_shares) = shareholder(&mut env, 5 * SOL).await;
    let staked = env.stake(5 * SOL).await;
    assert!(staked.is_ok(), "loose LST for the pool exit: {staked:?}");
    let allocator = env.v.allocator.insecure_clone();
    let trader = env.trader(60 * SOL, 60 * SOL).await;
    let signers = [&trader.keypair, &bob];
    let watch = [bob_shares, trader.lst, trader.wsol];
    let reserve = env.vault().await.accounting.reserve_lamports;
    let shares = {
        let (free, supply) = env.share_price().await;
        ((reserve + SOL) as u128 * supply / free) as u64
    };
    let withdraw = env.withdraw_ix(&bob.pubkey(), &bob_shares, &bob.pubkey(), shares, 0);

    // LST pumped, then liquidity added at the pumped price: refused before anything moves.
    let pump = env.trade_ix(&trader, false, 50 * SOL);
    let pool_tokens = env.pool_tokens_for(SOL / 4).await;
    let add = env.pool_add_ix(&allocator.pubkey(), pool_tokens);
    env.assert_rejected(&[pump, add], &[&trader.keypair, &allocator], VaultError::PoolPriceOffRate, &watch).await;
    // LST dumped, then a withdrawal that sells LST: the pool cannot pay the rate less 50 bp.
    let dump = env.trade_ix(&trader, true, 50 * SOL);
    env.assert_rejected(&[dump.clone(), withdraw.clone()], &signers, VaultError::SlippageExceeded, &watch).await;

    // A small push stays within the bound: the withdrawer bears the worse price, not the vault.
    let price_before = env.share_price().await;
    let owed = lamports_for(&mut env, shares).await;
    let wsol_before = env.chain.token_balance(&trader.wsol).await;
    let push = env.trade_ix(&trader, true, 5 * SOL);
    let (result, logs) = env.chain.send_logged(&[push, withdraw], &signers).await;
    assert!(result.is_ok(), "{result:?}");
    let withdrawn = events::<Withdrawn>(&logs).pop().expect("Withdrawn event");
    assert_eq!(withdrawn.lamports + withdrawn.exit_cost_lamports, owed);
    let sold_value_lamports = owed - reserve;
    assert!(
        withdrawn.exit_cost_lamports > 0 && withdrawn.exit_cost_lamports <= sold_value_lamports * 50 / 10_000 + 1,
        "{withdrawn:?}"
    );
    assert!(price_not_lower(price_before, env.share_price().await), "those who stay paid for the push");
    // The trader takes the push back.
    let received = env.chain.token_balance(&trader.wsol).await - wsol_before;
    let back = env.trade(&trader, false, received).await;
    assert!(back.is_ok(), "{back:?}");

    // The market marks the LST down past the trigger; LST dumped before the unwind in the same
    // transaction: the unwind's sale would fetch less than the rate less 50 bp.
    env.mark_lst_down(0.64).await;
    let caller = env.chain.funded_keypair(SOL).await;
    let unwind = env.unwind_ix(&caller.pubkey(), u64::MAX);
    let watch = [trader.lst, trader.wsol];
    env.assert_rejected(&[dump, unwind.clone()], &[&trader.keypair, &caller], VaultError::SlippageExceeded, &watch)
        .await;
    // Unpushed, the same unwind goes through at the rate less at most 50 bp.
    let (result, logs) = env.chain.send_logged(&[unwind], &[&caller]).await;
    assert!(result.is_ok(), "{result:?}");
    let unwound = events::<Unwound>(&logs).pop().expect("Unwound event");
    let rate = env.rate().await;
    let rate_value_lamports = rate.lst_to_lamports_floor(unwound.lst_sold).expect("in range");
    assert!(unwound.lamports_received as u128 * 10_000 >= rate_value_lamports as u128 * 9_950, "{unwound:?}");
}
