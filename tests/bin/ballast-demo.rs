//! Runs a vault on an embedded chain (program-test bank with Ballast and the real SPL stake pool)
//! through one reward epoch, the leverage loop on the real lending program and the LST/SOL pool
//! (spl-token-swap), then moves the market and lets the keeper unwind, and prints what a
//! depositor sees at each step.
use ballast::math::valuation::StakePoolRate;
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use solana_sdk::signature::Signer;

struct Row {
    step: &'static str,
    pool_rate: f64,
    free_assets_sol: f64,
    share_price_sol: f64,
    locked_profit_sol: f64,
}

async fn row(env: &mut VaultClient, step: &'static str) -> Row {
    let vault = env.vault().await;
    let pool = env.pool.state(&mut env.chain).await;
    let rate = StakePoolRate { total_lamports: pool.total_lamports, pool_token_supply: pool.pool_token_supply };
    let now = env.chain.clock().await.unix_timestamp;
    let supply = env.share_supply().await;
    let snapshot = vault.snapshot(&rate, &Default::default(), supply, now).expect("valuation");
    Row {
        step,
        pool_rate: pool.total_lamports as f64 / pool.pool_token_supply as f64,
        free_assets_sol: snapshot.free_assets_lamports as f64 / SOL as f64,
        share_price_sol: snapshot.share_price_lamports as f64 / SOL as f64,
        locked_profit_sol: vault.accounting.locked_profit_remaining_lamports(now).unwrap() as f64 / SOL as f64,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // The bank logs every instruction; the table below is what this run is for.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "off");
    }
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    let mut rows = vec![row(&mut env, "vault initialised (seed = dead shares)").await];

    let (alice, alice_shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.expect("deposit");
    rows.push(row(&mut env, "alice deposits 10 SOL").await);
    env.stake(8 * SOL).await.expect("stake");
    rows.push(row(&mut env, "allocator stakes 8 SOL").await);
    env.epoch_with_rewards(2 * SOL).await;
    rows.push(row(&mut env, "epoch: pool earns 2 SOL, pool updated").await);
    env.harvest().await.expect("harvest");
    rows.push(row(&mut env, "harvest: profit booked and locked").await);
    env.chain.advance_secs(params.profit_unlock_secs as i64).await;
    rows.push(row(&mut env, "one day later: profit unlocked").await);
    let (bob, bob_shares) = env.depositor(30 * SOL).await;
    env.deposit(&bob, &bob_shares, 20 * SOL, 0).await.expect("deposit");
    rows.push(row(&mut env, "bob deposits 20 SOL").await);
    let before = env.chain.lamports(&alice.pubkey()).await;
    let shares = env.chain.token_balance(&alice_shares).await;
    env.withdraw(&alice, &alice_shares, shares, 0).await.expect("withdraw");
    let paid = env.chain.lamports(&alice.pubkey()).await - before;
    rows.push(row(&mut env, "alice withdraws all her shares").await);

    println!(
        "{:<42} {:>12} {:>16} {:>16} {:>14}",
        "step", "pool rate", "free assets SOL", "share price SOL", "locked SOL"
    );
    for r in rows {
        println!(
            "{:<42} {:>12.9} {:>16.9} {:>16.9} {:>14.9}",
            r.step, r.pool_rate, r.free_assets_sol, r.share_price_sol, r.locked_profit_sol
        );
    }
    println!("\nalice put in 10.000000000 SOL and took out {:.9} SOL", paid as f64 / SOL as f64);

    // The loop: bob's SOL staked, supplied to the lending market, then borrowed against.
    env.bind_lending(0, 4).await;
    let allocator = env.v.allocator.pubkey();
    // 7 more SOL staked: about 75% of the vault's 20 SOL then sits in the lending market
    // (the cap is 80%), a quarter stays as SOL.
    env.stake(7 * SOL).await.expect("stake");
    let lst = env.vault().await.accounting.lst_amount;
    env.as_allocator(env.lend_supply_ix(&allocator, lst)).await.expect("lend_supply");
    println!(
        "\n{:<28} {:>14} {:>12} {:>10} {:>10} {:>18} {:>16}",
        "loop step", "collateral LST", "debt SOL", "LTV %", "leverage", "borrowed/unhealthy", "free assets SOL"
    );
    let mut step = 0;
    loop {
        let (assets, position) = env.valuation().await;
        let health = env.lending_health(None).await;
        let collateral = position.collateral_lst as f64 / SOL as f64;
        let debt = position.debt_lamports as f64 / SOL as f64;
        let equity = assets as f64 / SOL as f64;
        println!(
            "{:<28} {:>14.4} {:>12.4} {:>10.2} {:>9.2}x {:>17.1}% {:>16.9}",
            if step == 0 { "supplied, no debt".to_string() } else { format!("leverage_up #{step}") },
            collateral,
            debt,
            if collateral > 0.0 { 100.0 * debt / collateral } else { 0.0 },
            (equity + debt) / equity,
            health.liquidation_proximity_bps().unwrap_or(0) as f64 / 100.0,
            equity,
        );
        // Borrow what keeps the LTV at 60% after the step (the band's top is 65%), within the
        // market's own limit (85% of the collateral before the step).
        let to_target = (0.60 * position.collateral_lst as f64 - position.debt_lamports as f64) / 0.40;
        let market_limit = 0.84 * position.collateral_lst as f64 - position.debt_lamports as f64;
        let room = to_target.min(market_limit);
        if step == 4 || room < SOL as f64 / 10.0 {
            break;
        }
        step += 1;
        env.as_allocator(env.leverage_up_ix(&allocator, room as u64)).await.expect("leverage_up");
    }

    // The pool: liquidity for fees, and the exit when the SOL reserve is not enough.
    env.bind_pool(100 * SOL).await;
    env.stake(SOL).await.expect("stake");
    let pool_tokens = env.pool_tokens_for(2 * SOL / 5).await;
    env.as_allocator(env.pool_add_ix(&allocator, pool_tokens)).await.expect("pool_add");
    let price_before = env.share_price().await;
    let trader = env.trader(30 * SOL, SOL).await;
    for _ in 0..20 {
        let wsol_before = env.chain.token_balance(&trader.wsol).await;
        env.trade(&trader, true, 20 * SOL).await.expect("trade");
        let received = env.chain.token_balance(&trader.wsol).await - wsol_before;
        env.trade(&trader, false, received).await.expect("trade");
    }
    env.harvest().await.expect("harvest");
    env.chain.advance_secs(params.profit_unlock_secs as i64).await;
    let price_after = env.share_price().await;
    let per_share = |(assets, shares): (u128, u128)| assets as f64 / shares as f64;
    let position = env.pool_position().await;
    let pool_value = position.lamports + env.rate().await.lst_to_lamports_floor(position.lst_amount).unwrap();
    println!(
        "\npool: {:.4} SOL of the vault's value in the pool; 40 trades of 20 SOL; after harvest and unlock \
         the share price went from {:.9} to {:.9} SOL",
        pool_value as f64 / SOL as f64,
        per_share(price_before),
        per_share(price_after),
    );
    let reserve = env.vault().await.accounting.reserve_lamports;
    let shares = (((reserve + SOL / 4) as u128 * price_after.1) / price_after.0) as u64;
    let ix = env.withdraw_ix(&bob.pubkey(), &bob_shares, &bob.pubkey(), shares, 0);
    let (result, logs) = env.chain.send_logged(&[ix], &[&bob]).await;
    result.expect("withdraw");
    let event = ballast_localnet::chain::events::<ballast::events::Withdrawn>(&logs).pop().expect("event");
    println!(
        "bob withdraws {:.9} SOL with {:.9} SOL in the reserve: {:.9} LST sold through the pool, \
         exit cost {:.9} SOL (his), share price after {:.9} SOL",
        (event.lamports + event.exit_cost_lamports) as f64 / SOL as f64,
        reserve as f64 / SOL as f64,
        event.lst_sold as f64 / SOL as f64,
        event.exit_cost_lamports as f64 / SOL as f64,
        per_share(env.share_price().await),
    );

    // The market turns: the LST marked down 25% against SOL. The keeper, reading raw accounts,
    // unwinds in the same slot.
    let keeper_key = env.chain.funded_keypair(SOL).await;
    let keeper = ballast_keeper::keeper::Keeper::new(
        ballast_keeper::chain::EmbeddedChain::new(env.chain.ctx.banks_client.clone()),
        keeper_key,
        ballast_keeper::keeper::KeeperConfig::default(),
    );
    let (sol, lst) = (env.lending().market.sol.usd_price, env.lending().market.lst.usd_price);
    env.set_prices(sol, lst * 0.75).await;
    let before = env.market_ltv_bps().await;
    let actions = keeper.tick(&env.v.vault).await.expect("keeper pass");
    println!(
        "\nthe market marks the LST down 25%: LTV {:.2}% (trigger {:.2}%); keeper: {:?}; LTV now {:.2}%",
        before as f64 / 100.0,
        params.unwind_trigger_ltv_bps as f64 / 100.0,
        actions.iter().map(|a| format!("{a:?}").split(' ').next().unwrap_or("").to_string()).collect::<Vec<_>>(),
        env.market_ltv_bps().await as f64 / 100.0,
    );
}
