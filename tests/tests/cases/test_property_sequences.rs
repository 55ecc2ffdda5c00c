//! Random sequences of deposits, withdrawals, stakes, reward epochs, harvests and waits on the
//! real programs. After every step: the withdrawal price per share never falls (beyond the
//! stake pool's own rounding on a stake), and every
//! user's cash-out stays within what they put in plus the gains earned while they held shares.
//! Cases: `PROPTEST_CASES` (default 8 here; the pure ledger test runs hundreds).
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use proptest::prelude::*;
use solana_sdk::signature::{Keypair, Signer};

#[derive(Clone, Debug)]
enum Step {
    Deposit { user: usize, lamports: u64 },
    Withdraw { user: usize, per_mille: u64 },
    Stake { per_mille: u64 },
    RewardEpoch { lamports: u64 },
    Harvest,
    Wait { secs: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..2usize, 1u64..20 * SOL).prop_map(|(user, lamports)| Step::Deposit { user, lamports }),
        (0..2usize, 1u64..=1000).prop_map(|(user, per_mille)| Step::Withdraw { user, per_mille }),
        (1u64..=800).prop_map(|per_mille| Step::Stake { per_mille }),
        (0u64..20 * SOL).prop_map(|lamports| Step::RewardEpoch { lamports }),
        Just(Step::Harvest),
        (1i64..100_000).prop_map(|secs| Step::Wait { secs }),
    ]
}

/// Withdrawal price as (free assets, supply), from the vault's ledger and the pool's rate.
async fn price(env: &mut VaultClient) -> (u128, u128) {
    let vault = env.vault().await;
    let pool = env.pool.state(&mut env.chain).await;
    let rate = ballast::math::valuation::StakePoolRate {
        total_lamports: pool.total_lamports,
        pool_token_supply: pool.pool_token_supply,
    };
    let now = env.chain.clock().await.unix_timestamp;
    (vault.free_assets_lamports(&rate, &Default::default(), now).unwrap() as u128, env.share_supply().await as u128)
}

async fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut env = VaultClient::start(default_params()).await;
    let mut users: Vec<(Keypair, solana_program::pubkey::Pubkey)> = Vec::new();
    for _ in 0..2 {
        users.push(env.depositor(100 * SOL).await);
    }
    let mut deposited = [0u128; 2];
    let mut withdrawn = [0u128; 2];
    let mut gains_while_holding = [0u128; 2];
    for step in steps {
        let before = price(&mut env).await;
        // The stake pool rounds its mint down and the vault values LST rounded down: a stake
        // may cost the vault up to 2 lamports of rounding, no more.
        let rounding_allowance = if matches!(step, Step::Stake { .. }) { 2 } else { 0 };
        match step {
            Step::Deposit { user, lamports } => {
                let (kp, shares) = (&users[user].0.insecure_clone(), users[user].1);
                if env.deposit(kp, &shares, lamports, 0).await.is_ok() {
                    deposited[user] += lamports as u128;
                    // rounding left to the other holder
                    gains_while_holding[1 - user] += 1;
                }
            }
            Step::Withdraw { user, per_mille } => {
                let (kp, shares) = (&users[user].0.insecure_clone(), users[user].1);
                let burn = env.chain.token_balance(&shares).await * per_mille / 1000;
                let before_lamports = env.chain.lamports(&kp.pubkey()).await;
                if env.withdraw(kp, &shares, burn, 0).await.is_ok() {
                    let paid = env.chain.lamports(&kp.pubkey()).await - before_lamports;
                    withdrawn[user] += paid as u128;
                    // whatever the leaver did not take (unbooked gains, locked profit) stays
                    // with the other holder: bound it by the whole gain pool below.
                }
            }
            Step::Stake { per_mille } => {
                let reserve = env.vault().await.accounting.reserve_lamports;
                let _ = env.stake(reserve * per_mille / 1000).await;
            }
            Step::RewardEpoch { lamports } => {
                // Every lamport the pool earns, at most all of it could reach a holder.
                for (u, g) in gains_while_holding.iter_mut().enumerate() {
                    if env.chain.token_balance(&users[u].1).await > 0 {
                        *g += lamports as u128;
                    }
                }
                env.epoch_with_rewards(lamports).await;
            }
            Step::Harvest => {
                env.harvest().await.unwrap();
            }
            Step::Wait { secs } => env.chain.advance_secs(secs).await,
        }
        let after = price(&mut env).await;
        prop_assert!(
            (after.0 + rounding_allowance) * before.1 >= before.0 * after.1,
            "price fell: {before:?} -> {after:?}"
        );
    }
    let (free, supply) = price(&mut env).await;
    for u in 0..2 {
        let shares = env.chain.token_balance(&users[u].1).await as u128;
        let worth = shares * free / supply;
        prop_assert!(
            withdrawn[u] + worth <= deposited[u] + gains_while_holding[u],
            "user {u}: out {} + {worth} > in {} + gains {}",
            withdrawn[u],
            deposited[u],
            gains_while_holding[u]
        );
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn user_sequences_on_the_real_programs(steps in prop::collection::vec(step(), 1..12)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(steps))?;
    }
}

/// Steps on a vault with a lending market and a pool bound.
#[derive(Clone, Debug)]
enum PoolStep {
    Deposit { user: usize, lamports: u64 },
    Withdraw { user: usize, per_mille: u64 },
    Stake { per_mille: u64 },
    PoolAdd { per_mille: u64 },
    PoolRemove { per_mille: u64 },
    Trade { sell_lst: bool, lamports: u64 },
    Harvest,
    Wait { secs: i64 },
}

fn pool_step() -> impl Strategy<Value = PoolStep> {
    prop_oneof![
        (0..2usize, 1u64..20 * SOL).prop_map(|(user, lamports)| PoolStep::Deposit { user, lamports }),
        (0..2usize, 1u64..=1000).prop_map(|(user, per_mille)| PoolStep::Withdraw { user, per_mille }),
        (1u64..=800).prop_map(|per_mille| PoolStep::Stake { per_mille }),
        (1u64..=1000).prop_map(|per_mille| PoolStep::PoolAdd { per_mille }),
        (1u64..=1000).prop_map(|per_mille| PoolStep::PoolRemove { per_mille }),
        (any::<bool>(), 1u64..60 * SOL).prop_map(|(sell_lst, lamports)| PoolStep::Trade { sell_lst, lamports }),
        Just(PoolStep::Harvest),
        (1i64..100_000).prop_map(|secs| PoolStep::Wait { secs }),
    ]
}

/// After every step: the withdrawal price never falls (beyond a few lamports of rounding on a
/// stake or a proportional pool deposit or withdrawal), whatever the pool's price did, and the
/// vault's token accounts hold exactly what its ledger says.
async fn run_pool(steps: Vec<PoolStep>) -> Result<(), TestCaseError> {
    let mut env = VaultClient::start(default_params()).await;
    env.bind_lending(0, 4).await;
    env.bind_pool(100 * SOL).await;
    let trader = env.trader(80 * SOL, 80 * SOL).await;
    let mut users: Vec<(Keypair, solana_program::pubkey::Pubkey)> = Vec::new();
    for _ in 0..2 {
        users.push(env.depositor(100 * SOL).await);
    }
    let allocator = env.v.allocator.pubkey();
    // Both users in, most of it staked: the pool has LST and SOL to work with from step one.
    for (user, shares) in &users {
        env.deposit(user, shares, 10 * SOL, 0).await.unwrap();
    }
    env.stake(12 * SOL).await.unwrap();
    for step in steps {
        let before = env.share_price().await;
        let rate = env.rate().await;
        let position = env.pool_position().await;
        let pool_value = position.lamports + rate.lst_to_lamports_floor(position.lst_amount).unwrap();
        let allowance = match step {
            PoolStep::Stake { .. } => 2,
            // Liquidity added near the rate is worth its fair value, at most the band below the
            // two sides at the rate (5% of the value a side at most per step).
            PoolStep::PoolAdd { per_mille } => {
                let (live, _) = env.valuation().await;
                (live as u128 / 10 * per_mille as u128 / 1000 * 50).div_ceil(10_000) + 4
            }
            PoolStep::PoolRemove { .. } => 4,
            // Liquidity added while the pool's price was up to `max_slippage_bps` off the rate
            // is worth less when a trade brings the price back: at most that band on the
            // vault's pool value (a trade away from the rate only raises it).
            PoolStep::Trade { .. } => (pool_value as u128 * 50).div_ceil(10_000),
            _ => 0,
        };
        match step {
            PoolStep::Deposit { user, lamports } => {
                let (kp, shares) = (&users[user].0.insecure_clone(), users[user].1);
                let _ = env.deposit(kp, &shares, lamports, 0).await;
            }
            PoolStep::Withdraw { user, per_mille } => {
                let (kp, shares) = (&users[user].0.insecure_clone(), users[user].1);
                let burn = env.chain.token_balance(&shares).await * per_mille / 1000;
                let _ = env.withdraw(kp, &shares, burn, 0).await;
            }
            PoolStep::Stake { per_mille } => {
                let reserve = env.vault().await.accounting.reserve_lamports;
                let _ = env.stake(reserve * per_mille / 1000).await;
            }
            PoolStep::PoolAdd { per_mille } => {
                // Up to 10% of the vault's value per step (5% a side); the cap is 20%.
                let (live, _) = env.valuation().await;
                let pool_tokens = env.pool_tokens_for(live / 20 * per_mille / 1000).await;
                env.sync_prices().await;
                let _ = env.as_allocator(env.pool_add_ix(&allocator, pool_tokens)).await;
            }
            PoolStep::PoolRemove { per_mille } => {
                let held = env.vault().await.accounting.pool_tokens;
                let _ = env.as_allocator(env.pool_remove_ix(&allocator, held * per_mille / 1000)).await;
            }
            PoolStep::Trade { sell_lst, lamports } => {
                let _ = env.trade(&trader, sell_lst, lamports).await;
            }
            PoolStep::Harvest => {
                // Never refused for the pool's price: a pushed pool books no gain.
                let result = env.harvest().await;
                prop_assert!(result.is_ok(), "{result:?}");
            }
            PoolStep::Wait { secs } => env.chain.advance_secs(secs).await,
        }
        let after = env.share_price().await;
        prop_assert!((after.0 + allowance) * before.1 >= before.0 * after.1, "price fell: {before:?} -> {after:?}");
        let vault = env.vault().await;
        let (lst_account, pool_tokens, wsol) =
            (env.v.lst_account, env.pool_setup().pool_token_account, env.pool_setup().wsol_account);
        prop_assert_eq!(env.chain.token_balance(&lst_account).await, vault.accounting.lst_amount);
        prop_assert_eq!(env.chain.token_balance(&pool_tokens).await, vault.accounting.pool_tokens);
        prop_assert_eq!(env.chain.token_balance(&wsol).await, 0);
        let reserve = env.v.sol_reserve;
        prop_assert!(env.chain.lamports(&reserve).await >= vault.accounting.reserve_lamports);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn pool_sequences_on_the_real_programs(steps in prop::collection::vec(pool_step(), 1..16)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run_pool(steps))?;
    }
}
