//! Scenario replay on the embedded chain: a vault looped to the top of its band, a price path
//! from a scenario file replayed step by step (both oracles rewritten, the pool pushed to the
//! market's LST/SOL price by an arbitrary seller, interest accruing as slots pass), with the
//! keeper running or not, and a liquidator calling the lending program's own
//! `LiquidateObligation` whenever the position allows it.
use anyhow::{Context, Result};
use ballast::state::{LendingVenue, RiskParams};
use ballast_localnet::vault::{default_params, SOL, SOL_USD};
use ballast_localnet::vault_pool::Trader;
use ballast_localnet::VaultClient;
use serde::Deserialize;
use solana_sdk::signature::{Keypair, Signer};
use spl_token_lending::math::Decimal;

use crate::chain::EmbeddedChain;
use crate::keeper::{Action, Keeper, KeeperConfig};
use crate::view::PriceUpdates;

/// A scenario file (TOML): a price path and the vault's parameters for it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub source: String,
    /// Slots between two replay steps.
    pub step_slots: u64,
    /// Milliseconds per slot (Solana's target is 400).
    #[serde(default = "default_slot_ms")]
    pub slot_ms: u64,
    /// The LST/USD feed shows the price of this many slots ago (a lagging feed).
    #[serde(default)]
    pub lst_feed_lag_slots: u64,
    /// The stake pool's staking yield, percent a year, paid at every epoch boundary (and once
    /// before the path, so the yield shows from its start). Default 7, a typical SOL LST's.
    #[serde(default = "default_staking_apr_pct")]
    pub staking_apr_pct: f64,
    pub vault: VaultOverrides,
    /// The lending market's LST and SOL reserves (the harness's defaults when absent).
    #[serde(default)]
    pub market: MarketOverrides,
    /// The path: linear between points.
    pub points: Vec<Point>,
}

fn default_slot_ms() -> u64 {
    400
}

fn default_staking_apr_pct() -> f64 {
    7.0
}

/// The risk parameters the scenario runs with (the rest are the defaults of the harness).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultOverrides {
    pub target_ltv_high_bps: u16,
    pub unwind_trigger_ltv_bps: u16,
    pub unwind_target_ltv_bps: u16,
    pub max_slippage_bps: u16,
}

/// The lending market the scenario runs against.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketOverrides {
    /// The LST reserve's borrow limit and liquidation threshold, in percent.
    pub ltv_pct: u8,
    pub liquidation_threshold_pct: u8,
    /// The SOL reserve's borrow-rate curve, in percent a year.
    pub sol_min_borrow_rate_pct: u8,
    pub sol_optimal_borrow_rate_pct: u8,
}

impl Default for MarketOverrides {
    fn default() -> Self {
        let lst = ballast_localnet::lending::lst_reserve_config();
        let sol = ballast_localnet::lending::sol_reserve_config(0, 4);
        Self {
            ltv_pct: lst.loan_to_value_ratio,
            liquidation_threshold_pct: lst.liquidation_threshold,
            sol_min_borrow_rate_pct: sol.min_borrow_rate,
            sol_optimal_borrow_rate_pct: sol.optimal_borrow_rate,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub minute: f64,
    /// SOL/USD relative to the start.
    pub sol: f64,
    /// Market LST/SOL relative to the stake-pool rate (1.0: at the rate).
    pub lst_sol: f64,
}

impl Scenario {
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        Ok(toml::from_str(text)?)
    }

    /// The path up to `minute` (the rest dropped), for short replays in tests.
    pub fn until(mut self, minute: f64) -> Self {
        let (sol, lst_sol) = self.at_minute(minute);
        self.points.retain(|p| p.minute < minute);
        self.points.push(Point { minute, sol, lst_sol });
        self
    }

    pub fn duration_slots(&self) -> u64 {
        let minutes = self.points.last().map(|p| p.minute).unwrap_or(0.0);
        (minutes * 60_000.0 / self.slot_ms as f64) as u64
    }

    /// (SOL/USD factor, LST/SOL factor) at `slot` from the start.
    pub fn at(&self, slot: u64) -> (f64, f64) {
        self.at_minute(slot as f64 * self.slot_ms as f64 / 60_000.0)
    }

    fn at_minute(&self, minute: f64) -> (f64, f64) {
        let after = self.points.iter().position(|p| p.minute >= minute).unwrap_or(self.points.len() - 1);
        if after == 0 {
            return (self.points[0].sol, self.points[0].lst_sol);
        }
        let (a, b) = (self.points[after - 1], self.points[after]);
        let w = if b.minute > a.minute { ((minute - a.minute) / (b.minute - a.minute)).clamp(0.0, 1.0) } else { 1.0 };
        (a.sol + (b.sol - a.sol) * w, a.lst_sol + (b.lst_sol - a.lst_sol) * w)
    }

    pub fn params(&self) -> RiskParams {
        let v = self.vault;
        RiskParams {
            target_ltv_low_bps: v.target_ltv_high_bps.min(v.unwind_target_ltv_bps),
            target_ltv_high_bps: v.target_ltv_high_bps,
            unwind_trigger_ltv_bps: v.unwind_trigger_ltv_bps,
            unwind_target_ltv_bps: v.unwind_target_ltv_bps,
            max_slippage_bps: v.max_slippage_bps,
            // The leverage the band's top implies: 1 / (1 - LTV).
            max_leverage_bps: (100_000_000u64 / (10_000 - v.unwind_trigger_ltv_bps as u64)) as u32,
            ..default_params()
        }
    }
}

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
    /// What the keeper did (empty without a keeper).
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
    pub start_equity_lamports: u64,
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
    let mut env = setup_on(scenario, venue).await;
    // The keeper is the vault's allocator too, as an operator runs it: besides unwinding, it
    // keeps the loop in its band and leaves it when carry turns negative.
    let keeper = if with_keeper {
        let keypair = env.v.allocator.insecure_clone();
        env.chain.airdrop(&keypair.pubkey(), 10 * SOL).await;
        let l = env.lending();
        let config = KeeperConfig {
            allocator: Some(PriceUpdates { sol_usd: l.sol_usd_update, lst_usd: l.lst_usd_update }),
            ..KeeperConfig::default()
        };
        Some(Keeper::new(EmbeddedChain::new(env.chain.ctx.banks_client.clone()), keypair, config))
    } else {
        None
    };
    let trader = env.trader(400 * SOL, 200 * SOL).await;
    let liquidator = env.chain.funded_keypair(1_000 * SOL).await;
    let rate0 = env.pool_rate().await;
    let start_equity = env.valuation().await.0;
    let start_slot = env.chain.clock().await.slot;
    let trigger = scenario.vault.unwind_trigger_ltv_bps as u64;

    let mut report = Report {
        scenario: scenario.name.clone(),
        venue,
        with_keeper,
        rows: Vec::new(),
        liquidations: 0,
        unwinds: 0,
        trigger_to_unwind_slots: Vec::new(),
        worst_ltv_bps: 0,
        start_equity_lamports: start_equity,
        final_equity_lamports: 0,
        hold_lst_lamports: 0,
        unlevered_lamports: 0,
    };
    let mut above_trigger_since: Option<u64> = None;
    let mut elapsed = 0;
    let end = scenario.duration_slots();
    while elapsed <= end {
        let (sol_usd, lst_sol) = apply_step(&mut env, &trader, scenario, SOL_USD, elapsed).await?;

        let slot = env.chain.clock().await.slot;
        let ltv = market_ltv_bps(&mut env).await;
        if ltv > trigger {
            above_trigger_since.get_or_insert(slot);
        }
        let mut unwound = false;
        let mut keeper_actions = Vec::new();
        if let Some(keeper) = &keeper {
            for action in keeper.tick(&env.v.vault).await? {
                keeper_actions.push(describe(&action));
                if let Action::Unwound { .. } | Action::FlashUnwound { .. } = action {
                    unwound = true;
                    report.unwinds += 1;
                    let landed = env.chain.clock().await.slot;
                    report.trigger_to_unwind_slots.push(landed - above_trigger_since.take().unwrap_or(landed));
                }
            }
        }
        let liquidated = liquidate(&mut env, &liquidator).await;
        if liquidated {
            report.liquidations += 1;
        }
        let ltv = if unwound || liquidated { market_ltv_bps(&mut env).await } else { ltv };
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
        let row = Row {
            slot: slot - start_slot,
            minute: elapsed as f64 * scenario.slot_ms as f64 / 60_000.0,
            sol_usd,
            lst_sol,
            market_ltv_bps: ltv,
            liquidation_ltv_bps,
            unwound,
            liquidated,
            equity_lamports: env.valuation().await.0,
            keeper: keeper_actions.join(" "),
        };
        on_step(&row);
        report.rows.push(row);
        elapsed += scenario.step_slots;
        env.warp_slots_staking(scenario.step_slots, scenario.staking_apr_pct / 100.0).await;
    }
    report.final_equity_lamports = env.valuation().await.0;
    let rate_end = env.pool_rate().await;
    let (_, lst_sol_end) = scenario.at(end);
    let lst_held = start_equity as f64 / rate0;
    report.hold_lst_lamports = (lst_held * rate_end) as u64;
    report.unlevered_lamports = (lst_held * rate_end * lst_sol_end) as u64;
    Ok(report)
}

/// Moves the market to the scenario's point `elapsed` slots from its start: both oracles
/// (SOL/USD from `start_sol_usd`; the LST feed lagging as the scenario says) and the pool,
/// pushed by `trader` to the market's LST/SOL. Returns (SOL/USD, LST/SOL against the rate).
pub async fn apply_step(
    env: &mut VaultClient,
    trader: &Trader,
    scenario: &Scenario,
    start_sol_usd: f64,
    elapsed: u64,
) -> Result<(f64, f64)> {
    let (sol_factor, lst_sol) = scenario.at(elapsed);
    let (lagged_sol, lagged_lst_sol) = scenario.at(elapsed.saturating_sub(scenario.lst_feed_lag_slots));
    let sol_usd = start_sol_usd * sol_factor;
    let rate = env.pool_rate().await;
    env.set_prices(sol_usd, start_sol_usd * lagged_sol * lagged_lst_sol * rate).await;
    push_pool(env, trader, lst_sol * rate).await?;
    Ok((sol_usd, lst_sol))
}

fn describe(action: &Action) -> String {
    match action {
        Action::Healthy { .. } => "healthy".into(),
        Action::OraclesStale => "oracles-stale".into(),
        Action::Cranked => "cranked".into(),
        Action::Unwound { .. } => "unwound".into(),
        Action::FlashUnwound { .. } => "flash-unwound".into(),
        Action::AlreadyUnwound => "already-unwound".into(),
        Action::UnwindRefused { custom_error, .. } => format!("refused({})", custom_error.unwrap_or(0)),
        Action::Leveraged { .. } => "leveraged".into(),
        Action::Deleveraged { .. } => "deleveraged".into(),
        Action::LeftLoop { .. } => "left-loop".into(),
        Action::AllocatorRefused { .. } => "allocator-refused".into(),
        Action::Harvested { .. } => "harvested".into(),
        Action::HarvestRefused { .. } => "harvest-refused".into(),
    }
}

/// A vault with 10 SOL of deposits, 8 staked and supplied (the lending cap is 80% of assets), and
/// looped to the top of its band.
pub async fn setup(scenario: &Scenario) -> VaultClient {
    setup_on(scenario, ballast_localnet::vault::default_venue()).await
}

/// `setup`, the market on `venue`.
pub async fn setup_on(scenario: &Scenario, venue: LendingVenue) -> VaultClient {
    let mut env = VaultClient::start_venue(venue, scenario.params()).await;
    let (alice, shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &shares, 10 * SOL, 0).await.expect("deposit");
    env.stake(8 * SOL).await.expect("stake");
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
    env.bind_pool(200 * SOL).await;
    let allocator = env.v.allocator.pubkey();
    let lst = env.vault().await.accounting.lst_amount;
    env.as_allocator(env.lend_supply_ix(&allocator, lst)).await.expect("lend_supply");
    let top = scenario.vault.target_ltv_high_bps as f64 / 10_000.0 - 0.005;
    env.loop_to_ltv(top, m.ltv_pct).await;
    env
}

async fn market_ltv_bps(env: &mut VaultClient) -> u64 {
    let prices = env.oracle_prices();
    let h = env.lending_health(Some(prices)).await;
    ballast::math::unwind::market_ltv_bps_ceil(h.borrowed_value, h.deposited_value).unwrap_or(u64::MAX)
}

/// An arbitrary seller moves the pool until its price is `target_sol_per_lst` (within 5 bp).
async fn push_pool(env: &mut VaultClient, trader: &Trader, target_sol_per_lst: f64) -> Result<()> {
    for _ in 0..4 {
        let (lst, sol, _) = env.pool_reserves().await;
        let price = marginal_price(lst, sol);
        if (price / target_sol_per_lst - 1.0).abs() < 0.0005 {
            return Ok(());
        }
        let sell_lst = price > target_sol_per_lst;
        // Binary search the trade size on the pool's own curve.
        let (mut lo, mut hi) = (0u64, if sell_lst { lst } else { sol } / 2);
        for _ in 0..48 {
            let mid = lo + (hi - lo) / 2;
            let (l2, s2) = after_trade(lst, sol, sell_lst, mid);
            let p = marginal_price(l2, s2);
            if (sell_lst && p > target_sol_per_lst) || (!sell_lst && p < target_sol_per_lst) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if hi == 0 {
            return Ok(());
        }
        let available = env.chain.token_balance(if sell_lst { &trader.lst } else { &trader.wsol }).await;
        env.trade(trader, sell_lst, hi.min(available)).await.context("pushing the pool")?;
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
