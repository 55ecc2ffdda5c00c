//! Scenario replay on the embedded chain. A vault is looped to the top of its band; then, step by
//! step, the `Driver` moves the world as the scenario says (the lending market's price accounts,
//! the vault's Pyth feeds, the pool pushed by an arbitrary seller, liquidity leaving it, slashing,
//! the stake pool's update, deposits and withdrawals), interest accrues as slots pass, and the
//! keeper and a liquidator act in the order the scenario's liquidator policy gives. The liquidator
//! calls the lending program's own `LiquidateObligation` whenever the position allows it.
use anyhow::{Context, Result};
use ballast::state::LendingVenue;
use std::sync::Arc;

use ballast_keeper::chain::{Chain, EmbeddedChain, Sent, Simulation};
use ballast_keeper::keeper::{Action, Keeper, KeeperConfig};
use ballast_keeper::view::PriceUpdates;
use ballast_localnet::vault::{SOL, SOL_USD};
use ballast_localnet::vault_pool::Trader;
use ballast_localnet::VaultClient;
use rand::{Rng, SeedableRng};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::VersionedTransaction;
use spl_token_lending::math::Decimal;
use tokio::sync::Mutex;

use crate::scenario::{LiquidatorPolicy, Scenario};

/// One replay step.
#[derive(Clone, Debug)]
pub struct Row {
    pub slot: u64,
    pub minute: f64,
    pub sol_usd: f64,
    pub lst_sol: f64,
    /// The lending market's LTV at the oracles' prices, bps.
    pub market_ltv_bps: u64,
    /// The market's liquidation line for this position, bps of borrowed over deposited value.
    pub liquidation_ltv_bps: u64,
    pub unwound: bool,
    pub liquidated: bool,
    pub equity_lamports: u64,
    /// What the keeper did (empty without a keeper, or in its outage).
    pub keeper: String,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub scenario: String,
    /// The lending program the vault looped on.
    pub venue: LendingVenue,
    pub with_keeper: bool,
    pub rows: Vec<Row>,
    pub liquidations: u32,
    pub unwinds: u32,
    /// Slots from the LTV first above the trigger to the unwind landing, per unwind.
    pub trigger_to_unwind_slots: Vec<u64>,
    pub worst_ltv_bps: u64,
    /// Keeper passes whose transaction failed where it landed.
    pub keeper_failures: u32,
    /// Flows of the scenario the vault refused (a withdrawal larger than its liquid SOL).
    pub flows_refused: u32,
    pub start_equity_lamports: u64,
    /// The loop's debt when the path starts.
    pub start_debt_lamports: u64,
    pub final_equity_lamports: u64,
    /// The same starting equity held as LST (valued at the stake-pool rate), and in an
    /// unlevered vault (the LST valued at the market's LST/SOL at the end).
    pub hold_lst_lamports: u64,
    pub unlevered_lamports: u64,
}

/// Runs `scenario` once on the process's default venue, with or without the keeper.
pub async fn run(scenario: &Scenario, with_keeper: bool, on_step: impl FnMut(&Row)) -> Result<Report> {
    run_on(scenario, ballast_localnet::vault::default_venue(), with_keeper, on_step).await
}

/// Runs `scenario` once with the vault's market on `venue`, with or without the keeper.
/// `on_step` sees each row (progress bars).
pub async fn run_on(
    scenario: &Scenario,
    venue: LendingVenue,
    with_keeper: bool,
    mut on_step: impl FnMut(&Row),
) -> Result<Report> {
    scenario.ensure_replayable()?;
    let (mut env, holder) = setup_with_holder(scenario, venue).await;
    let allocator = env.v.allocator.insecure_clone();
    // The keeper sends its larger transactions (leverage_up) as version 0 against a lookup table
    // of the vault's accounts, as on a cluster; the table can be read from the next slot on.
    let prices = {
        let l = env.lending();
        PriceUpdates { sol_usd: l.sol_usd_update, lst_usd: l.lst_usd_update }
    };
    let mut lookup_table = None;
    if with_keeper {
        env.chain.airdrop(&allocator.pubkey(), 10 * SOL).await;
        let chain = EmbeddedChain::new(env.chain.ctx.banks_client.clone());
        let vault = env.v.vault;
        lookup_table =
            Some(ballast_keeper::lookup_table::create_for_vault(&chain, &allocator, &vault, Some(&prices)).await?);
        env.chain.warp_slots(1).await;
    }
    let driver = Driver::new(&mut env, scenario.clone(), Some(holder)).await;
    let liquidator = env.chain.funded_keypair(1_000 * SOL).await;
    let rate0 = env.pool_rate().await;
    let (start_equity, start_position) = env.valuation().await;
    let banks = env.chain.ctx.banks_client.clone();
    let world = Arc::new(Mutex::new(World { env, driver, liquidator, liquidator_first: true, liquidated: false }));
    // The keeper is the vault's allocator too, as an operator runs it: besides unwinding, it
    // keeps the loop in its band and leaves it when carry turns negative. Its transactions land
    // `latency_slots` after it decided on them.
    let keeper = with_keeper.then(|| {
        let chain = LatentChain {
            inner: EmbeddedChain::new(banks),
            world: Arc::clone(&world),
            latency_slots: scenario.keeper.latency_slots,
        };
        Keeper::new(chain, allocator, KeeperConfig { allocator: Some(prices), lookup_table, ..KeeperConfig::default() })
    });
    let trigger = scenario.vault.unwind_trigger_ltv_bps as u64;
    let mut coin = rand::rngs::StdRng::seed_from_u64(scenario.seed);

    let mut report = Report {
        scenario: scenario.name.clone(),
        venue,
        with_keeper,
        rows: Vec::new(),
        liquidations: 0,
        unwinds: 0,
        trigger_to_unwind_slots: Vec::new(),
        worst_ltv_bps: 0,
        flows_refused: 0,
        keeper_failures: 0,
        start_equity_lamports: start_equity,
        start_debt_lamports: start_position.debt_lamports,
        final_equity_lamports: 0,
        hold_lst_lamports: 0,
        unlevered_lamports: 0,
    };
    let mut above_trigger_since: Option<u64> = None;
    let end = scenario.duration_slots();
    loop {
        let mut w = world.lock().await;
        let step_start = w.driver.elapsed;
        if step_start > end {
            break;
        }
        w.apply().await?;
        let slot = w.slot_from_start().await;
        let ltv = market_ltv_bps(&mut w.env).await;
        if ltv > trigger {
            above_trigger_since.get_or_insert(slot);
        }
        let keeper_acts = keeper.as_ref().filter(|_| !scenario.keeper_out(step_start));
        w.liquidator_first = match scenario.liquidator.policy {
            LiquidatorPolicy::First => true,
            LiquidatorPolicy::Last => false,
            LiquidatorPolicy::Race => coin.gen_bool(0.5),
        };
        w.liquidated = false;
        if w.liquidator_first || keeper_acts.is_none() {
            w.liquidate().await;
        }
        let vault = w.env.v.vault;
        drop(w);
        let mut unwound = false;
        let mut keeper_actions = Vec::new();
        if let Some(keeper) = keeper_acts {
            // A transaction that simulated well can still fail where it lands (the market moved
            // during the keeper's latency): the keeper's pass ends there, the replay goes on.
            let actions = keeper.tick(&vault).await.unwrap_or_else(|_| {
                report.keeper_failures += 1;
                keeper_actions.push("failed".into());
                Vec::new()
            });
            for action in actions {
                keeper_actions.push(describe(&action));
                if let Action::Unwound { .. } | Action::FlashUnwound { .. } = action {
                    unwound = true;
                    report.unwinds += 1;
                    let landed = world.lock().await.slot_from_start().await;
                    report.trigger_to_unwind_slots.push(landed - above_trigger_since.take().unwrap_or(landed));
                }
            }
        }
        let mut w = world.lock().await;
        if keeper_acts.is_some() && !w.liquidator_first {
            w.liquidate().await;
        }
        if w.liquidated {
            report.liquidations += 1;
        }
        let liquidated = w.liquidated;
        let World { env, driver, .. } = &mut *w;
        let (refused, moved) = driver.flows(env).await;
        report.flows_refused += refused;
        // The LTV the market shows at the step: after the keeper's or the liquidator's move when
        // either moved (or a flow), else as the market moved it.
        let ltv = if unwound || liquidated || moved { market_ltv_bps(env).await } else { ltv };
        if ltv <= trigger {
            above_trigger_since = None;
        }
        report.worst_ltv_bps = report.worst_ltv_bps.max(ltv);
        let health = env.lending_health(None).await;
        let liquidation_ltv_bps = if health.deposited_value == Decimal::zero() {
            0
        } else {
            ballast::math::unwind::market_ltv_bps_ceil(health.unhealthy_borrow_value, health.deposited_value)
                .unwrap_or(0)
        };
        let m = scenario.market(step_start);
        let row = Row {
            slot,
            minute: scenario.minute(step_start),
            sol_usd: SOL_USD * m.sol_usd,
            lst_sol: m.lst_sol,
            market_ltv_bps: ltv,
            liquidation_ltv_bps,
            unwound,
            liquidated: w.liquidated,
            equity_lamports: w.env.valuation().await.0,
            keeper: keeper_actions.join(" "),
        };
        on_step(&row);
        report.rows.push(row);
        // A keeper's latency may have taken the world past this step's end already.
        let rest = (step_start + scenario.step_slots).saturating_sub(w.driver.elapsed);
        let World { env, driver, .. } = &mut *w;
        driver.advance(env, rest).await?;
    }
    let mut w = world.lock().await;
    report.final_equity_lamports = w.env.valuation().await.0;
    let rate_end = w.env.pool_rate().await;
    let lst_held = start_equity as f64 / rate0;
    report.hold_lst_lamports = (lst_held * rate_end) as u64;
    report.unlevered_lamports = (lst_held * rate_end * scenario.market(end).lst_sol) as u64;
    Ok(report)
}

/// The chain, the driver that moves it, and the liquidator watching it.
struct World {
    env: VaultClient,
    driver: Driver,
    liquidator: Keypair,
    /// Whether the liquidator moves before the keeper in this step.
    liquidator_first: bool,
    /// Whether the liquidator liquidated in this step.
    liquidated: bool,
}

impl World {
    async fn apply(&mut self) -> Result<(f64, f64)> {
        self.driver.apply(&mut self.env).await
    }

    async fn slot_from_start(&mut self) -> u64 {
        self.env.chain.clock().await.slot - self.driver.start_slot
    }

    async fn liquidate(&mut self) {
        self.liquidated |= liquidate(&mut self.env, &self.liquidator).await;
    }
}

/// The keeper's view of the embedded chain, with its latency: a transaction it sends lands
/// `latency_slots` after it was built, the world moving on meanwhile (and a liquidator that moves
/// first acting on it).
struct LatentChain {
    inner: EmbeddedChain,
    world: Arc<Mutex<World>>,
    latency_slots: u64,
}

impl Chain for LatentChain {
    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<solana_sdk::account::Account>>> {
        self.inner.accounts(keys).await
    }

    async fn clock(&self) -> Result<solana_sdk::clock::Clock> {
        self.inner.clock().await
    }

    async fn simulate_transaction(&self, tx: &VersionedTransaction) -> Result<Simulation> {
        self.inner.simulate_transaction(tx).await
    }

    async fn latest_blockhash(&self) -> Result<solana_sdk::hash::Hash> {
        self.inner.latest_blockhash().await
    }

    async fn send_transaction(&self, tx: VersionedTransaction) -> Result<Sent> {
        if self.latency_slots > 0 {
            let mut w = self.world.lock().await;
            let World { env, driver, .. } = &mut *w;
            driver.advance(env, self.latency_slots).await?;
            w.apply().await?;
            if w.liquidator_first {
                w.liquidate().await;
            }
        }
        self.inner.send_transaction(tx).await
    }
}

/// Moves the world along a scenario: the lending market's price accounts and the vault's Pyth
/// feeds (each with its lag and outages), the pool (pushed to its price by an arbitrary seller,
/// its provider withdrawing as the depth path falls), slashing, the stake pool's update after an
/// epoch boundary, deposits and withdrawals.
pub struct Driver {
    scenario: Scenario,
    /// Slots since the path's start.
    pub elapsed: u64,
    start_slot: u64,
    start_unix: i64,
    start_sol_usd: f64,
    trader: Trader,
    provider_pool_tokens_at_start: u64,
    sol_available_at_start: u64,
    lst_available_at_start: u64,
    slashes_done: usize,
    flows_done: usize,
    /// The slot at which someone other than the keeper updates the stake pool.
    update_due: Option<u64>,
    /// The depositor whose shares the withdrawal waves redeem (its keypair, its share account).
    holder: Option<(Keypair, solana_sdk::pubkey::Pubkey)>,
}

impl Driver {
    /// A driver from the world as it is now (the vault bound to its market and pool); `holder`
    /// makes the scenario's withdrawals.
    pub async fn new(
        env: &mut VaultClient,
        scenario: Scenario,
        holder: Option<(Keypair, solana_sdk::pubkey::Pubkey)>,
    ) -> Driver {
        let pool_sol = scenario.size.pool_sol * SOL;
        let trader = env.trader(2 * pool_sol, pool_sol).await;
        let provider_tokens = env.pool_setup().provider_pool_tokens;
        let provider_pool_tokens_at_start = env.chain.token_balance(&provider_tokens).await;
        let clock = env.chain.clock().await;
        let (start_slot, start_unix) = (clock.slot, clock.unix_timestamp);
        let start_sol_usd = env.lending().market.sol.usd_price;
        let sol_available_at_start = env.reserve_available(false).await;
        let lst_available_at_start = env.reserve_available(true).await;
        Driver {
            sol_available_at_start,
            lst_available_at_start,
            scenario,
            elapsed: 0,
            start_slot,
            start_unix,
            start_sol_usd,
            trader,
            provider_pool_tokens_at_start,
            slashes_done: 0,
            flows_done: 0,
            update_due: None,
            holder,
        }
    }

    /// The world at `elapsed`: feeds, pool, liquidity, slashing. Returns (SOL/USD, LST/SOL of
    /// the lending market, against the rate).
    pub async fn apply(&mut self, env: &mut VaultClient) -> Result<(f64, f64)> {
        let s = &self.scenario;
        let t = self.elapsed;
        let minute = s.minute(t);
        while let Some(slash) = s.stake_pool.slashes.get(self.slashes_done).filter(|x| x.minute <= minute) {
            let total = env.pool.state(&mut env.chain).await.total_lamports;
            env.pool.slash(&mut env.chain, (total as f64 * slash.pct / 100.0) as u64).await;
            self.slashes_done += 1;
        }
        let rate = env.pool_rate().await;
        let m = s.market(t);
        let usd = |slot: u64| -> (f64, f64) {
            let m = s.market(slot);
            (self.start_sol_usd * m.sol_usd, self.start_sol_usd * m.sol_usd * m.lst_sol * rate)
        };
        let sol_now = usd(t).0;
        // What a feed shows now (its lag applied), and its confidence (`default` without a path).
        let shown = |lending: bool, lst: bool| {
            let (sol, lst_usd) = usd(t.saturating_sub(s.feed_lag_slots(lending, lst)));
            if lst {
                lst_usd
            } else {
                sol
            }
        };
        let confidence = |lending: bool, lst: bool, price: f64, default: f64| {
            s.feed(lending, lst).confidence_bps.as_ref().map_or(default, |p| price * p.at(minute) / 10_000.0)
        };
        let quote = |lst: bool| {
            (!s.feed_out(true, lst, t)).then(|| {
                let price = shown(true, lst);
                (price, confidence(true, lst, price, 0.0))
            })
        };
        env.lending.as_mut().expect("lending bound").market.publish(&mut env.chain, quote(false), quote(true)).await;
        let now = env.chain.clock().await.unix_timestamp;
        let harness_confidence = env.lending().conf_raw as f64 / 1e8;
        for lst in [false, true] {
            if !s.feed_out(false, lst, t) {
                let price = shown(false, lst);
                env.post_vault_feed(lst, price, confidence(false, lst, price, harness_confidence), now).await;
            }
        }
        self.set_pool_depth(env, m.pool_depth).await?;
        for (lst, share) in [(false, m.sol_available), (true, m.lst_available)] {
            let Some(share) = share else { continue };
            let start = if lst { self.lst_available_at_start } else { self.sol_available_at_start };
            let leave = (start as f64 * share) as u64;
            // Borrowed out in steps of at least 0.1% of the start, not dust.
            if env.reserve_available(lst).await > leave + start / 1_000 {
                // A borrow the market refuses now (a stale price) is tried again next step.
                let _ = if lst { env.borrow_out_lst(leave).await } else { env.borrow_out_sol(leave).await };
            }
        }
        push_pool(env, &self.trader, m.pool_lst_sol * rate).await?;
        Ok((sol_now, m.lst_sol))
    }

    /// The provider's liquidity down to `depth` of what it put in at the start.
    async fn set_pool_depth(&mut self, env: &mut VaultClient, depth: f64) -> Result<()> {
        let tokens = env.pool_setup().provider_pool_tokens;
        let held = env.chain.token_balance(&tokens).await;
        let keep = (self.provider_pool_tokens_at_start as f64 * depth) as u64;
        if held > keep {
            env.withdraw_provider_liquidity(held - keep).await.context("liquidity leaving the pool")?;
        }
        Ok(())
    }

    /// Advances `slots`: interest accrues; at an epoch boundary the stake pool earns the
    /// scenario's yield and is updated `update_delay_slots` later (unless the keeper did).
    pub async fn advance(&mut self, env: &mut VaultClient, slots: u64) -> Result<()> {
        let before = env.chain.clock().await;
        env.chain.ctx.warp_to_slot(before.slot + slots.max(1)).context("warp")?;
        let now = env.chain.clock().await;
        if now.epoch > before.epoch {
            env.chain.ctx.warp_forward_force_reward_interval_end().context("rewards")?;
            let reward = env.staking_reward_lamports(self.scenario.staking_apr_pct / 100.0).await;
            if reward > 0 {
                env.pool.add_rewards(&mut env.chain, reward * (now.epoch - before.epoch)).await;
            }
            let schedule: solana_sdk::epoch_schedule::EpochSchedule =
                env.chain.ctx.banks_client.get_sysvar().await.context("epoch schedule")?;
            let boundary = schedule.get_first_slot_in_epoch(now.epoch);
            self.update_due = Some(boundary + self.scenario.stake_pool.update_delay_slots);
        }
        let now = env.chain.clock().await;
        if self.update_due.is_some_and(|due| now.slot >= due) {
            self.update_due = None;
            let epoch = now.epoch;
            if env.pool.state(&mut env.chain).await.last_update_epoch < epoch {
                env.pool.update(&mut env.chain).await;
            }
        }
        self.elapsed += slots;
        // The bank's own unix time barely moves across a warp: keep it at the path's time (slots
        // at `slot_ms`), so oracle ages, fees and the keeper's schedules see time pass.
        let target = self.start_unix + (self.elapsed * self.scenario.slot_ms / 1_000) as i64;
        let behind = target - env.chain.clock().await.unix_timestamp;
        if behind > 0 {
            env.chain.advance_secs(behind).await;
        }
        Ok(())
    }

    /// The flows due by now; returns how many the vault refused, and whether any landed.
    async fn flows(&mut self, env: &mut VaultClient) -> (u32, bool) {
        let minute = self.scenario.minute(self.elapsed);
        let (mut refused, mut moved) = (0, false);
        while let Some(flow) = self.scenario.flows.get(self.flows_done).filter(|f| f.minute <= minute).copied() {
            self.flows_done += 1;
            let ok = match (flow.deposit_sol, flow.withdraw_pct) {
                (Some(sol), _) => {
                    let lamports = (sol * SOL as f64) as u64;
                    let (user, shares) = env.depositor(lamports + SOL).await;
                    env.deposit(&user, &shares, lamports, 0).await.is_ok()
                }
                (None, Some(pct)) => match &self.holder {
                    Some((user, shares)) => {
                        let held = env.chain.token_balance(shares).await;
                        let amount = (held as f64 * pct / 100.0) as u64;
                        env.withdraw(user, shares, amount, 0).await.is_ok()
                    }
                    None => false,
                },
                (None, None) => true,
            };
            refused += u32::from(!ok);
            moved |= ok;
        }
        (refused, moved)
    }
}

/// The action as a row's keeper column says it: its label, with the program's error code for a
/// refusal.
fn describe(action: &Action) -> String {
    match action {
        Action::UnwindRefused { custom_error, .. } => format!("refused({})", custom_error.unwrap_or(0)),
        Action::AllocatorRefused { error } => match custom_error_code(error) {
            Some(code) => format!("allocator-refused({code})"),
            None => "allocator-refused".into(),
        },
        other => other.label().replace('_', "-"),
    }
}

/// The custom program error code in a transaction error's text, when there is one.
fn custom_error_code(error: &str) -> Option<u32> {
    let marker = "custom program error: 0x";
    let at = error.find(marker)? + marker.len();
    let hex: String = error[at..].chars().take_while(char::is_ascii_hexdigit).collect();
    u32::from_str_radix(&hex, 16).ok()
}

/// A vault with the scenario's deposits (10 SOL by default), 80% staked and supplied (the lending
/// cap is 80% of assets; less when the SOL floor is higher), and looped to the top of its band.
pub async fn setup(scenario: &Scenario) -> VaultClient {
    setup_on(scenario, ballast_localnet::vault::default_venue()).await
}

/// `setup`, the market on `venue`.
pub async fn setup_on(scenario: &Scenario, venue: LendingVenue) -> VaultClient {
    setup_with_holder(scenario, venue).await.0
}

/// `setup_on`, and the depositor (keypair, share account).
async fn setup_with_holder(
    scenario: &Scenario,
    venue: LendingVenue,
) -> (VaultClient, (Keypair, solana_sdk::pubkey::Pubkey)) {
    let mut env = VaultClient::start_venue(venue, scenario.params()).await;
    let deposit = scenario.size.vault_sol * SOL;
    let (alice, shares) = env.depositor(2 * deposit).await;
    env.deposit(&alice, &shares, deposit, 0).await.expect("deposit");
    // 80% is staked and supplied (the lending cap), less where the SOL floor asks for more.
    let staked_bps = 8_000u64.min(10_000 - scenario.params().min_sol_reserve_bps as u64);
    env.stake(deposit / 10_000 * staked_bps).await.expect("stake");
    // An epoch of staking at the scenario's yield, so the loop's carry is known from the start.
    let reward = env.staking_reward_lamports(scenario.staking_apr_pct / 100.0).await;
    env.epoch_with_rewards(reward).await;
    let m = scenario.market;
    env.bind_lending_with(ballast_localnet::vault::MarketTerms {
        lst_ltv_pct: m.ltv_pct,
        lst_liquidation_threshold_pct: m.liquidation_threshold_pct,
        sol_min_borrow_rate_pct: m.sol_min_borrow_rate_pct,
        sol_optimal_borrow_rate_pct: m.sol_optimal_borrow_rate_pct,
    })
    .await;
    env.bind_pool(scenario.size.pool_sol * SOL).await;
    let allocator = env.v.allocator.pubkey();
    let lst = env.vault().await.accounting.lst_amount;
    env.as_allocator(env.lend_supply_ix(&allocator, lst)).await.expect("lend_supply");
    let top = scenario.vault.target_ltv_high_bps as f64 / 10_000.0 - 0.005;
    env.loop_to_ltv(top, m.ltv_pct).await;
    (env, (alice, shares))
}

/// The market's LTV at its oracles' prices: 0 without debt, `u64::MAX` for debt with no
/// collateral left (a position liquidated to nothing).
async fn market_ltv_bps(env: &mut VaultClient) -> u64 {
    let prices = env.oracle_prices();
    let h = env.lending_health(Some(prices)).await;
    if h.borrowed_value == Decimal::zero() {
        return 0;
    }
    ballast::math::unwind::market_ltv_bps_ceil(h.borrowed_value, h.deposited_value).unwrap_or(u64::MAX)
}

/// An arbitrary seller moves the pool until its price is `target_sol_per_lst` (within 5 bp), as
/// far as its inventory goes.
async fn push_pool(env: &mut VaultClient, trader: &Trader, target_sol_per_lst: f64) -> Result<()> {
    for _ in 0..4 {
        let (lst, sol, _) = env.pool_reserves().await;
        let price = marginal_price(lst, sol);
        if (price / target_sol_per_lst - 1.0).abs() < 0.0005 {
            return Ok(());
        }
        let sell_lst = price > target_sol_per_lst;
        // Binary search the trade size on the pool's own curve.
        let (mut lo, mut hi) = (0u64, if sell_lst { lst * 8 } else { sol / 2 });
        for _ in 0..64 {
            let mid = lo + (hi - lo) / 2;
            let (l2, s2) = after_trade(lst, sol, sell_lst, mid);
            let p = marginal_price(l2, s2);
            if (sell_lst && p > target_sol_per_lst) || (!sell_lst && p < target_sol_per_lst) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let available = env.chain.token_balance(if sell_lst { &trader.lst } else { &trader.wsol }).await;
        let amount = hi.min(available);
        if amount == 0 {
            return Ok(());
        }
        env.trade(trader, sell_lst, amount).await.context("pushing the pool")?;
    }
    Ok(())
}

fn curve() -> spl_token_swap::curve::stable::StableCurve {
    spl_token_swap::curve::stable::StableCurve { amp: ballast_localnet::vault_pool::POOL_AMP }
}

/// SOL per LST for a small sale at these reserves (fees left out).
fn marginal_price(lst: u64, sol: u64) -> f64 {
    use spl_token_swap::curve::calculator::{CurveCalculator, TradeDirection};
    let probe = (lst / 100_000).max(1_000);
    curve()
        .swap_without_fees(probe as u128, lst as u128, sol as u128, TradeDirection::AtoB)
        .map(|r| r.destination_amount_swapped as f64 / probe as f64)
        .unwrap_or(0.0)
}

fn after_trade(lst: u64, sol: u64, sell_lst: bool, amount: u64) -> (u64, u64) {
    use spl_token_swap::curve::calculator::{CurveCalculator, TradeDirection};
    let (source, destination, direction) =
        if sell_lst { (lst, sol, TradeDirection::AtoB) } else { (sol, lst, TradeDirection::BtoA) };
    let Some(r) = curve().swap_without_fees(amount as u128, source as u128, destination as u128, direction) else {
        return (lst, sol);
    };
    let (new_source, new_destination) =
        (source + r.source_amount_swapped as u64, destination - r.destination_amount_swapped as u64);
    if sell_lst {
        (new_source, new_destination)
    } else {
        (new_destination, new_source)
    }
}

/// A liquidator repays half the debt (the market's close factor) when the market allows it.
async fn liquidate(env: &mut VaultClient, liquidator: &Keypair) -> bool {
    let health = env.lending_health(None).await;
    let prices = env.oracle_prices();
    let at_prices = env.lending_health(Some(prices)).await;
    if !at_prices.is_liquidatable() || health.debt_lamports == 0 {
        return false;
    }
    env.liquidate(liquidator, at_prices.debt_lamports / 2).await.is_ok()
}
