//! Health of the vault's lending position, two ways:
//! - the lending program's own view, reproduced from raw account data with the program's own
//!   types and accrual code (what `RefreshReserve` + `RefreshObligation` would compute now), so
//!   the keeper and the vault agree with the market on when liquidation becomes possible;
//! - the vault's conservative LTV, with LST collateral at the lower of the stake-pool rate and
//!   the market's confidence-adjusted price.
use anchor_lang::prelude::*;
use fixed::types::U64F64;
use spl_token_lending::math::{Decimal, Rate, TryAdd, TryDiv, TryMul};
use spl_token_lending::state::{FeeCalculation, Obligation, Reserve};

use super::safe_math::{lending_math, mul_div_ceil, overflow};
use crate::constants::BPS_DENOMINATOR;

/// Quote-currency prices of one whole token, as the lending program stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReservePrices {
    pub lst: Decimal,
    pub sol: Decimal,
}

/// What the lending program would record on the obligation if refreshed now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LendingHealth {
    pub deposited_value: Decimal,
    pub borrowed_value: Decimal,
    pub allowed_borrow_value: Decimal,
    pub unhealthy_borrow_value: Decimal,
    /// What new borrows and withdrawals are checked against: the borrowed value at the higher
    /// of the market's prices (Save), or the borrowed value itself (spl-token-lending).
    pub borrowed_value_upper_bound: Decimal,
    /// LST the deposited collateral redeems for, rounded down.
    pub collateral_lst: u64,
    /// SOL owed, with interest to now, rounded up.
    pub debt_lamports: u64,
}

impl LendingHealth {
    /// The lending program's condition for `LiquidateObligation`.
    pub fn is_liquidatable(&self) -> bool {
        self.borrowed_value > Decimal::zero() && self.borrowed_value >= self.unhealthy_borrow_value
    }

    /// borrowed / unhealthy in bps (10_000 = liquidatable), rounded up.
    pub fn liquidation_proximity_bps(&self) -> Result<u64> {
        if self.borrowed_value == Decimal::zero() {
            return Ok(0);
        }
        if self.unhealthy_borrow_value == Decimal::zero() {
            return Ok(u64::MAX);
        }
        let ratio = self
            .borrowed_value
            .try_mul(BPS_DENOMINATOR)
            .and_then(|v| v.try_div(self.unhealthy_borrow_value))
            .map_err(|_| overflow())?;
        ratio.try_ceil_u64().map_err(|_| overflow())
    }
}

/// Reproduces `RefreshReserve` (interest to `slot`, prices as stored or `prices`) and
/// `RefreshObligation` for an obligation whose deposits are all in `lst_reserve` and borrows all
/// in `sol_reserve` (the obligation loader checks that against the vault's binding).
pub fn lending_health(
    obligation: &Obligation,
    lst_reserve: &Reserve,
    sol_reserve: &Reserve,
    slot: u64,
    prices: Option<ReservePrices>,
) -> Result<LendingHealth> {
    let mut lst = lst_reserve.clone();
    let mut sol = sol_reserve.clone();
    if let Some(p) = prices {
        lst.liquidity.market_price = p.lst;
        sol.liquidity.market_price = p.sol;
    }
    lending_math(lst.accrue_interest(slot))?;
    lending_math(sol.accrue_interest(slot))?;

    let mut health = LendingHealth::default();
    for deposit in &obligation.deposits {
        let decimals = 10u64.checked_pow(lst.liquidity.mint_decimals as u32).ok_or_else(overflow)?;
        let rate = lending_math(lst.collateral_exchange_rate())?;
        let market_value = lending_math(
            rate.decimal_collateral_to_liquidity(deposit.deposited_amount.into())
                .and_then(|l| l.try_mul(lst.liquidity.market_price))
                .and_then(|v| v.try_div(decimals)),
        )?;
        health.collateral_lst = health
            .collateral_lst
            .checked_add(lending_math(rate.collateral_to_liquidity(deposit.deposited_amount))?)
            .ok_or_else(overflow)?;
        health.deposited_value = lending_math(health.deposited_value.try_add(market_value))?;
        health.allowed_borrow_value = lending_math(
            market_value
                .try_mul(Rate::from_percent(lst.config.loan_to_value_ratio))
                .and_then(|v| health.allowed_borrow_value.try_add(v)),
        )?;
        health.unhealthy_borrow_value = lending_math(
            market_value
                .try_mul(Rate::from_percent(lst.config.liquidation_threshold))
                .and_then(|v| health.unhealthy_borrow_value.try_add(v)),
        )?;
    }
    for borrow in &obligation.borrows {
        let mut liquidity = borrow.clone();
        lending_math(liquidity.accrue_interest(sol.liquidity.cumulative_borrow_rate_wads))?;
        let decimals = 10u64.checked_pow(sol.liquidity.mint_decimals as u32).ok_or_else(overflow)?;
        let market_value = lending_math(
            liquidity.borrowed_amount_wads.try_mul(sol.liquidity.market_price).and_then(|v| v.try_div(decimals)),
        )?;
        health.borrowed_value = lending_math(health.borrowed_value.try_add(market_value))?;
        health.borrowed_value_upper_bound = health.borrowed_value;
        health.debt_lamports = health
            .debt_lamports
            .checked_add(lending_math(liquidity.borrowed_amount_wads.try_ceil_u64())?)
            .ok_or_else(overflow)?;
    }
    Ok(health)
}

/// The debt, in lamports rounded up, that receiving `receive_lamports` from `sol_reserve` adds
/// to an obligation: the amount and the reserve's borrow fee, and, when the borrow opens a new
/// entry, that times the reserve's cumulative borrow rate. spl-token-lending 0.2.0 starts a new
/// entry at a cumulative rate of one, so the next refresh applies the reserve's whole accrued
/// interest to it.
pub fn borrow_charge_ceil(sol_reserve: &Reserve, receive_lamports: u64, opens_entry: bool) -> Result<u64> {
    let (fee_lamports, _host_fee) = lending_math(
        sol_reserve.config.fees.calculate_borrow_fees(Decimal::from(receive_lamports), FeeCalculation::Exclusive),
    )?;
    let owed = Decimal::from(receive_lamports.checked_add(fee_lamports).ok_or_else(overflow)?);
    let owed =
        if opens_entry { lending_math(owed.try_mul(sol_reserve.liquidity.cumulative_borrow_rate_wads))? } else { owed };
    lending_math(owed.try_ceil_u64())
}

/// Debt over conservatively valued collateral, in bps, rounded up. No collateral with debt is
/// the worst possible LTV.
pub fn conservative_ltv_bps_ceil(debt_lamports: u64, collateral_lst: u64, sol_per_lst: U64F64) -> Result<u64> {
    if debt_lamports == 0 {
        return Ok(0);
    }
    let collateral_lamports: u64 =
        U64F64::from_num(collateral_lst).checked_mul(sol_per_lst).ok_or_else(overflow)?.to_num();
    if collateral_lamports == 0 {
        return Ok(u64::MAX);
    }
    mul_div_ceil(debt_lamports, BPS_DENOMINATOR, collateral_lamports)
}

/// Exposure over equity, in bps of 1x, rounded up. No equity is the worst possible leverage.
pub fn leverage_bps_ceil(exposure_lamports: u64, debt_lamports: u64) -> Result<u64> {
    match exposure_lamports.checked_sub(debt_lamports) {
        Some(equity) if equity > 0 => mul_div_ceil(exposure_lamports, BPS_DENOMINATOR, equity),
        _ => Ok(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conservative_ltv_rounds_up() {
        let one = U64F64::ONE;
        assert_eq!(conservative_ltv_bps_ceil(0, 0, one).unwrap(), 0);
        assert_eq!(conservative_ltv_bps_ceil(1, 0, one).unwrap(), u64::MAX);
        assert_eq!(conservative_ltv_bps_ceil(2, 3, one).unwrap(), 6_667);
        assert_eq!(conservative_ltv_bps_ceil(50, 100, U64F64::from_num(2)).unwrap(), 2_500);
    }

    #[test]
    fn a_new_borrow_entry_is_charged_the_cumulative_rate() {
        let mut reserve = Reserve::default();
        reserve.liquidity.cumulative_borrow_rate_wads = Decimal::one();
        assert_eq!(borrow_charge_ceil(&reserve, 1_000, true).unwrap(), 1_000);
        // 1.25, with a 1% borrow fee: 1,000 + 10 owed, times 1.25 on a new entry.
        reserve.liquidity.cumulative_borrow_rate_wads = Decimal::from_scaled_val(1_250_000_000_000_000_000);
        reserve.config.fees.borrow_fee_wad = 10_000_000_000_000_000;
        assert_eq!(borrow_charge_ceil(&reserve, 1_000, false).unwrap(), 1_010);
        assert_eq!(borrow_charge_ceil(&reserve, 1_000, true).unwrap(), 1_263);
        // The fee's floor of one lamport; three lamports is the smallest borrow a fee allows.
        assert_eq!(borrow_charge_ceil(&reserve, 3, true).unwrap(), 5);
    }

    #[test]
    fn leverage_is_exposure_over_equity() {
        assert_eq!(leverage_bps_ceil(300, 200).unwrap(), 30_000);
        assert_eq!(leverage_bps_ceil(100, 0).unwrap(), 10_000);
        assert_eq!(leverage_bps_ceil(100, 100).unwrap(), u64::MAX);
        assert_eq!(leverage_bps_ceil(100, 101).unwrap(), u64::MAX);
    }
}
