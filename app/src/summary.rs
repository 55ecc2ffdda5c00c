//! What the dashboard shows of one vault, read from raw accounts and valued with the program
//! crate's own math (`Vault::snapshot`, `math::health`): the same numbers a deposit or a
//! withdrawal would be priced at now.
use anyhow::{anyhow, Context, Result};
use ballast::adapters::token_swap::PoolReserves;
use ballast::math::valuation::{LendingPosition, PoolPosition, Positions, StakePoolRate};
use ballast::state::{RiskParams, Vault};
use ballast_keeper::chain::Chain;
use ballast_keeper::view::VaultView;
use serde::Serialize;
use solana_sdk::program_pack::Pack;
use solana_sdk::pubkey::Pubkey;
use spl_token_lending::math::Decimal;

#[derive(Clone, Debug, Serialize)]
pub struct Ltv {
    /// The lending market's LTV (borrowed over deposited value at its oracles' prices), bps;
    /// `None` without a lending position or while the oracles are too old to refresh.
    pub market_ltv_bps: Option<u64>,
    /// Where the market would liquidate: its unhealthy borrow value over deposited value, bps.
    pub liquidation_ltv_bps: Option<u64>,
    pub target_low_bps: u16,
    pub target_high_bps: u16,
    pub unwind_trigger_bps: u16,
    pub unwind_target_bps: u16,
    /// "no loan", "in band", "below band", "above band", "unwind due", "liquidatable".
    pub state: &'static str,
}

/// Where the vault's value sits, each at the stake-pool rate, lamports.
#[derive(Clone, Debug, Serialize)]
pub struct Allocation {
    pub sol_reserve_lamports: u64,
    pub lst_lamports: u64,
    pub lending_collateral_lamports: u64,
    pub lending_debt_lamports: u64,
    pub pool_lamports: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PositionAmounts {
    pub lst_held: u64,
    pub collateral_lst: u64,
    pub debt_lamports: u64,
    pub pool_tokens: u64,
    pub pool_lst: u64,
    pub pool_lamports: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Prices {
    /// SOL per LST at the stake-pool rate.
    pub stake_pool_rate: f64,
    /// The lending market's oracles, USD.
    pub sol_usd: Option<f64>,
    pub lst_usd: Option<f64>,
    /// SOL per LST a small sale into the pool fetches, after its fee.
    pub pool_sol_per_lst: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Pending {
    pub params: RiskParams,
    pub eta_unix: i64,
    /// Seconds until it may be executed (0: now).
    pub eta_in_secs: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct VaultSummary {
    pub vault: String,
    pub slot: u64,
    pub epoch: u64,
    pub unix_time: i64,
    pub paused: bool,
    pub admin: String,
    pub guardian: String,
    pub allocator: String,
    pub share_mint: String,
    /// Everything the vault holds net of its debt (locked profit included).
    pub tvl_lamports: u64,
    /// What backs the shares now (locked profit excluded): what withdrawals are priced at.
    pub free_assets_lamports: u64,
    pub locked_profit_lamports: u64,
    pub share_supply: u64,
    /// Lamports per whole share (10^9 units), rounded down.
    pub share_price_lamports: u64,
    /// Gross assets over equity.
    pub leverage: f64,
    pub ltv: Ltv,
    pub allocation: Allocation,
    pub positions: PositionAmounts,
    pub prices: Prices,
    pub risk_params: RiskParams,
    pub pending_risk_params: Option<Pending>,
    pub stake_pool_current: bool,
}

fn decimal(value: Decimal) -> f64 {
    value.to_scaled_val().map(|v| v as f64 / 1e18).unwrap_or(f64::NAN)
}

fn bps(numerator: Decimal, denominator: Decimal) -> Option<u64> {
    if denominator == Decimal::zero() {
        return None;
    }
    ballast::math::unwind::market_ltv_bps_ceil(numerator, denominator).ok()
}

fn token_amount(data: &[u8]) -> Result<u64> {
    Ok(spl_token::state::Account::unpack(data)?.amount)
}

/// The vault's share of its pool now, and the pool's SOL per LST.
async fn pool_position<C: Chain>(
    chain: &C,
    vault: &Vault,
    rate: &StakePoolRate,
) -> Result<(PoolPosition, Option<f64>)> {
    let Some(pool) = &vault.pool else { return Ok((PoolPosition::default(), None)) };
    let accounts = chain.accounts(&[pool.pool_mint, pool.pool_lst, pool.pool_wsol]).await?;
    let data =
        |i: usize| accounts[i].as_ref().map(|a| a.data.as_slice()).ok_or_else(|| anyhow!("pool account missing"));
    let reserves = PoolReserves {
        pool_token_supply: spl_token::state::Mint::unpack(data(0)?)?.supply,
        lst_amount: token_amount(data(1)?)?,
        lamports: token_amount(data(2)?)?,
    };
    let position =
        reserves.position(vault.accounting.pool_tokens, pool.amp, rate).map_err(|e| anyhow!("pool share: {e}"))?;
    // A sale of 1/10,000 of the LST side, quoted with the pool's own curve and fees.
    let state = spl_token_swap::state::SwapVersion::unpack(&chain.data(&pool.swap).await?)?;
    let probe = (reserves.lst_amount / 10_000).max(1);
    let price = reserves.quote_sell_lst(state.as_ref(), probe).ok().map(|out| out as f64 / probe as f64);
    Ok((position, price))
}

impl VaultSummary {
    pub async fn load<C: Chain>(chain: &C, key: &Pubkey) -> Result<(Self, VaultView)> {
        let view = VaultView::load(chain, key).await?;
        let clock = chain.clock().await?;
        let vault = &view.vault;
        let rate = StakePoolRate {
            total_lamports: view.stake_pool.total_lamports,
            pool_token_supply: view.stake_pool.pool_token_supply,
        };
        let lending = view.lending.as_ref().map(|l| LendingPosition {
            collateral_lst: l.health.collateral_lst,
            debt_lamports: l.health.debt_lamports,
        });
        let (pool, pool_price) = pool_position(chain, vault, &rate).await?;
        let positions = Positions { lending: lending.unwrap_or_default(), pool };
        let supply = spl_token::state::Mint::unpack(&chain.data(&vault.share_mint).await?)?.supply;
        let now = clock.unix_timestamp;
        let err = |e: anchor_lang::error::Error| anyhow!("valuation: {e}");
        let tvl = vault.live_assets_lamports(&rate, &positions).map_err(err)?;
        let snapshot = vault.snapshot(&rate, &positions, supply, now).map_err(err)?;
        let locked = vault.accounting.locked_profit_remaining_lamports(now).map_err(err)?;
        let value = |lst: u64| rate.lst_to_lamports_floor(lst).map_err(err);
        let debt = positions.lending.debt_lamports;
        let params = vault.risk_params;
        let market_ltv_bps = view.lending.as_ref().filter(|l| l.prices.is_some()).map(|l| l.market_ltv_bps);
        let liquidation_ltv_bps = view
            .lending
            .as_ref()
            .filter(|l| l.prices.is_some())
            .and_then(|l| bps(l.health.unhealthy_borrow_value, l.health.deposited_value));
        let liquidatable = view.lending.as_ref().is_some_and(|l| l.prices.is_some() && l.health.is_liquidatable());
        let state = match market_ltv_bps {
            _ if view.lending.is_none() || debt == 0 => "no loan",
            None => "oracles stale",
            Some(_) if liquidatable => "liquidatable",
            Some(ltv) if ltv > params.unwind_trigger_ltv_bps as u64 => "unwind due",
            Some(ltv) if ltv > params.target_ltv_high_bps as u64 => "above band",
            Some(ltv) if ltv < params.target_ltv_low_bps as u64 => "below band",
            Some(_) => "in band",
        };
        let market_prices = view.lending.as_ref().and_then(|l| l.prices);
        let summary = Self {
            vault: key.to_string(),
            slot: clock.slot,
            epoch: clock.epoch,
            unix_time: now,
            paused: vault.paused,
            admin: vault.admin.to_string(),
            guardian: vault.guardian.to_string(),
            allocator: vault.allocator.to_string(),
            share_mint: vault.share_mint.to_string(),
            tvl_lamports: tvl,
            free_assets_lamports: snapshot.free_assets_lamports,
            locked_profit_lamports: locked,
            share_supply: supply,
            share_price_lamports: snapshot.share_price_lamports,
            leverage: if tvl == 0 { 1.0 } else { (tvl as f64 + debt as f64) / tvl as f64 },
            ltv: Ltv {
                market_ltv_bps,
                liquidation_ltv_bps,
                target_low_bps: params.target_ltv_low_bps,
                target_high_bps: params.target_ltv_high_bps,
                unwind_trigger_bps: params.unwind_trigger_ltv_bps,
                unwind_target_bps: params.unwind_target_ltv_bps,
                state,
            },
            allocation: Allocation {
                sol_reserve_lamports: vault.accounting.reserve_lamports,
                lst_lamports: value(vault.accounting.lst_amount)?,
                lending_collateral_lamports: value(positions.lending.collateral_lst)?,
                lending_debt_lamports: debt,
                pool_lamports: pool.value_lamports,
            },
            positions: PositionAmounts {
                lst_held: vault.accounting.lst_amount,
                collateral_lst: positions.lending.collateral_lst,
                debt_lamports: debt,
                pool_tokens: vault.accounting.pool_tokens,
                pool_lst: pool.lst_amount,
                pool_lamports: pool.lamports,
            },
            prices: Prices {
                stake_pool_rate: rate.total_lamports as f64 / rate.pool_token_supply.max(1) as f64,
                sol_usd: market_prices.map(|p| decimal(p.sol)),
                lst_usd: market_prices.map(|p| decimal(p.lst)),
                pool_sol_per_lst: pool_price,
            },
            risk_params: params,
            pending_risk_params: vault.pending_risk_params.map(|p| Pending {
                params: p.params,
                eta_unix: p.eta_unix,
                eta_in_secs: (p.eta_unix - now).max(0),
            }),
            stake_pool_current: view.stake_pool_current(),
        };
        Ok((summary, view))
    }
}

/// The vault account alone, for building transactions.
pub async fn vault_account<C: Chain>(chain: &C, key: &Pubkey) -> Result<Vault> {
    use anchor_lang::AccountDeserialize;
    Vault::try_deserialize(&mut &chain.data(key).await?[..]).context("decoding the vault")
}
