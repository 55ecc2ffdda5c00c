//! Save's own view of the vault's position, reproduced from the accounts: what `RefreshReserve`
//! (interest to a slot, on Save's three-segment rate curve with its protocol take) and
//! `RefreshObligation` (values at spot, the borrow limit at the lower of spot and EMA, borrows
//! weighted and, for new borrows, at the higher price) would record now. The arithmetic is
//! Save's: WAD-scaled `Decimal`/`Rate`, each product floored, in Save's order.
use anchor_lang::prelude::*;
use spl_token_lending::math::{Decimal, Rate, TryAdd, TryDiv, TryMul, TrySub};

use super::health::LendingHealth;
use super::safe_math::{lending_math, overflow};
use crate::adapters::save::state::{Obligation, Reserve};

/// Save compounds per slot over a year of 2 slots a second.
pub const SLOTS_PER_YEAR: u64 = 63_072_000;
/// `RefreshObligation` caps the borrow limit and the liquidation lines (quote currency).
pub const GLOBAL_ALLOWED_BORROW_VALUE: u64 = 65_000_000;
pub const GLOBAL_UNHEALTHY_BORROW_VALUE: u64 = 70_000_000;

fn decimal_from_pct(pct: u64) -> Result<Decimal> {
    lending_math(Decimal::from(pct).try_div(100))
}

/// Borrowed over borrowed plus available; nothing borrowed (or nothing supplied) is zero.
pub fn utilization_rate(reserve: &Reserve) -> Result<Rate> {
    let total = total_supply(reserve)?;
    if total == Decimal::zero() || reserve.borrowed_amount_wads == Decimal::zero() {
        return Ok(Rate::zero());
    }
    let denominator = lending_math(reserve.borrowed_amount_wads.try_add(Decimal::from(reserve.available_amount)))?;
    lending_math(reserve.borrowed_amount_wads.try_div(denominator).and_then(Rate::try_from))
}

/// Available plus borrowed, less the protocol's accrued fees: what cTokens redeem against.
pub fn total_supply(reserve: &Reserve) -> Result<Decimal> {
    lending_math(
        Decimal::from(reserve.available_amount)
            .try_add(reserve.borrowed_amount_wads)
            .and_then(|v| v.try_sub(reserve.accumulated_protocol_fees_wads)),
    )
}

/// The annual borrow rate: from the minimum to the optimal rate up to optimal utilization,
/// then to the max rate at max utilization, then to the super-max rate at 100%.
pub fn current_borrow_rate(reserve: &Reserve) -> Result<Rate> {
    let c = &reserve.config;
    let utilization = utilization_rate(reserve)?;
    let optimal_utilization = Rate::from_percent(c.optimal_utilization_pct);
    let max_utilization = Rate::from_percent(c.max_utilization_pct());
    if utilization <= optimal_utilization {
        let min_rate = Rate::from_percent(c.min_borrow_rate_pct);
        if optimal_utilization == Rate::zero() {
            return Ok(min_rate);
        }
        let range_pct = c.optimal_borrow_rate_pct.checked_sub(c.min_borrow_rate_pct).ok_or_else(overflow)?;
        return lending_math(
            utilization
                .try_div(optimal_utilization)
                .and_then(|w| w.try_mul(Rate::from_percent(range_pct)))
                .and_then(|v| v.try_add(min_rate)),
        );
    }
    if utilization <= max_utilization {
        let optimal_rate = Rate::from_percent(c.optimal_borrow_rate_pct);
        let range = lending_math(Rate::from_percent(c.max_borrow_rate_pct).try_sub(optimal_rate))?;
        return lending_math(
            utilization
                .try_sub(optimal_utilization)
                .and_then(|v| v.try_div(lending_math(max_utilization.try_sub(optimal_utilization))?))
                .and_then(|w| w.try_mul(range))
                .and_then(|v| v.try_add(optimal_rate)),
        );
    }
    // Above max utilization the range can exceed what a `Rate` product holds: Save computes
    // this segment in `Decimal`.
    let rest_pct = 100u8.checked_sub(c.max_utilization_pct()).ok_or_else(overflow)?;
    let weight: Decimal =
        lending_math(utilization.try_sub(max_utilization).and_then(|v| v.try_div(Rate::from_percent(rest_pct))))?
            .into();
    let max_rate: Decimal = Rate::from_percent(c.max_borrow_rate_pct).into();
    let range = lending_math(decimal_from_pct(c.super_max_borrow_rate_pct())?.try_sub(max_rate))?;
    lending_math(weight.try_mul(range).and_then(|v| v.try_add(max_rate)).and_then(Rate::try_from))
}

/// `RefreshReserve`'s interest: the reserve brought from its last update to `slot`.
pub fn accrue_interest(reserve: &mut Reserve, slot: u64) -> Result<()> {
    let slots_elapsed = slot.checked_sub(reserve.last_update.slot).ok_or_else(overflow)?;
    if slots_elapsed == 0 {
        return Ok(());
    }
    let rate = current_borrow_rate(reserve)?;
    let compounded = lending_math(
        rate.try_div(SLOTS_PER_YEAR).and_then(|r| Rate::one().try_add(r)).and_then(|r| r.try_pow(slots_elapsed)),
    )?;
    reserve.cumulative_borrow_rate_wads = lending_math(reserve.cumulative_borrow_rate_wads.try_mul(compounded))?;
    let net_new_debt = lending_math(
        reserve.borrowed_amount_wads.try_mul(compounded).and_then(|v| v.try_sub(reserve.borrowed_amount_wads)),
    )?;
    reserve.accumulated_protocol_fees_wads = lending_math(
        net_new_debt
            .try_mul(Rate::from_percent(reserve.config.protocol_take_rate_pct))
            .and_then(|v| v.try_add(reserve.accumulated_protocol_fees_wads)),
    )?;
    reserve.borrowed_amount_wads = lending_math(reserve.borrowed_amount_wads.try_add(net_new_debt))?;
    reserve.last_update.slot = slot;
    Ok(())
}

/// cTokens per token: the mint's supply over the reserve's total supply, one while either is 0.
pub fn collateral_exchange_rate(reserve: &Reserve) -> Result<Rate> {
    let total = total_supply(reserve)?;
    if reserve.collateral_mint_total_supply == 0 || total == Decimal::zero() {
        return Ok(Rate::one());
    }
    lending_math(Decimal::from(reserve.collateral_mint_total_supply).try_div(total).and_then(Rate::try_from))
}

fn value_at(price: Decimal, amount: Decimal, decimals: u8) -> Result<Decimal> {
    let scale = 10u64.checked_pow(u32::from(decimals)).ok_or_else(overflow)?;
    lending_math(price.try_mul(amount).and_then(|v| v.try_div(scale)))
}

/// The lowest of spot, EMA and the extra oracle's price.
pub fn price_lower_bound(reserve: &Reserve) -> Decimal {
    let price = reserve.market_price.min(reserve.smoothed_market_price);
    reserve.extra_market_price.map_or(price, |extra| price.min(extra))
}

/// The highest of spot, EMA and the extra oracle's price.
pub fn price_upper_bound(reserve: &Reserve) -> Decimal {
    let price = reserve.market_price.max(reserve.smoothed_market_price);
    reserve.extra_market_price.map_or(price, |extra| price.max(extra))
}

/// One plus the reserve's added borrow weight.
pub fn borrow_weight(reserve: &Reserve) -> Result<Decimal> {
    lending_math(
        Decimal::from(reserve.config.added_borrow_weight_bps).try_div(10_000).and_then(|w| w.try_add(Decimal::one())),
    )
}

/// What Save would record on the vault's obligation if both reserves and then the obligation
/// were refreshed at `slot` with the reserves' stored prices. Deposits must all be in
/// `lst_reserve` and borrows all in `sol_reserve` (the loader checks that against the binding).
pub fn lending_health(
    obligation: &Obligation,
    lst_reserve: &Reserve,
    sol_reserve: &Reserve,
    slot: u64,
) -> Result<LendingHealth> {
    let mut lst = *lst_reserve;
    let mut sol = *sol_reserve;
    accrue_interest(&mut lst, slot)?;
    accrue_interest(&mut sol, slot)?;

    let mut health = LendingHealth::default();
    let exchange_rate = collateral_exchange_rate(&lst)?;
    for deposit in &obligation.deposits {
        let liquidity = lending_math(Decimal::from(deposit.deposited_amount).try_div(exchange_rate))?;
        let market_value = value_at(lst.market_price, liquidity, lst.liquidity_mint_decimals)?;
        let lower_value = value_at(price_lower_bound(&lst), liquidity, lst.liquidity_mint_decimals)?;
        health.collateral_lst =
            health.collateral_lst.checked_add(lending_math(liquidity.try_floor_u64())?).ok_or_else(overflow)?;
        health.deposited_value = lending_math(health.deposited_value.try_add(market_value))?;
        health.allowed_borrow_value = lending_math(
            lower_value
                .try_mul(Rate::from_percent(lst.config.loan_to_value_pct))
                .and_then(|v| health.allowed_borrow_value.try_add(v)),
        )?;
        health.unhealthy_borrow_value = lending_math(
            market_value
                .try_mul(Rate::from_percent(lst.config.liquidation_threshold_pct))
                .and_then(|v| health.unhealthy_borrow_value.try_add(v)),
        )?;
    }
    let weight = borrow_weight(&sol)?;
    for borrow in &obligation.borrows {
        // An entry catches up with the reserve's cumulative rate (a lower one is Save's
        // `NegativeInterestRate`).
        require!(
            sol.cumulative_borrow_rate_wads >= borrow.cumulative_borrow_rate_wads,
            crate::errors::VaultError::LendingAccountInvalid
        );
        let ratio = lending_math(
            sol.cumulative_borrow_rate_wads.try_div(borrow.cumulative_borrow_rate_wads).and_then(Rate::try_from),
        )?;
        let borrowed = lending_math(borrow.borrowed_amount_wads.try_mul(ratio))?;
        let market_value = value_at(sol.market_price, borrowed, sol.liquidity_mint_decimals)?;
        let upper_value = value_at(price_upper_bound(&sol), borrowed, sol.liquidity_mint_decimals)?;
        health.borrowed_value =
            lending_math(market_value.try_mul(weight).and_then(|v| health.borrowed_value.try_add(v)))?;
        health.borrowed_value_upper_bound =
            lending_math(upper_value.try_mul(weight).and_then(|v| health.borrowed_value_upper_bound.try_add(v)))?;
        health.debt_lamports =
            health.debt_lamports.checked_add(lending_math(borrowed.try_ceil_u64())?).ok_or_else(overflow)?;
    }
    health.allowed_borrow_value = health.allowed_borrow_value.min(Decimal::from(GLOBAL_ALLOWED_BORROW_VALUE));
    health.unhealthy_borrow_value = health.unhealthy_borrow_value.min(Decimal::from(GLOBAL_UNHEALTHY_BORROW_VALUE));
    Ok(health)
}

/// `reserve` as `RefreshReserve` would leave its prices given an oracle at `price` (one whole
/// token in quote currency) with its EMA at the same price: both times the reserve's price
/// offset.
pub fn set_oracle_price(reserve: &mut Reserve, price: Decimal) -> Result<()> {
    let offset_bps = reserve.config.scaled_price_offset_bps.clamp(-2_000, 2_000);
    let scale = lending_math(Decimal::from((10_000 + offset_bps) as u64).try_div(10_000))?;
    reserve.market_price = lending_math(price.try_mul(scale))?;
    reserve.smoothed_market_price = reserve.market_price;
    Ok(())
}

/// The debt, in lamports rounded up, that receiving `receive_lamports` from `sol_reserve` adds:
/// the amount and the borrow fee (Save opens a new entry at the reserve's own cumulative rate).
pub fn borrow_charge_ceil(sol_reserve: &Reserve, receive_lamports: u64) -> Result<u64> {
    use spl_token_lending::state::{FeeCalculation, ReserveFees};
    // Save's fee rule is the reference program's: the fee on top, at least one token.
    let fees = ReserveFees {
        borrow_fee_wad: sol_reserve.config.borrow_fee_wad,
        flash_loan_fee_wad: sol_reserve.config.flash_loan_fee_wad,
        host_fee_percentage: sol_reserve.config.host_fee_pct,
    };
    let (fee_lamports, _host_fee) =
        lending_math(fees.calculate_borrow_fees(Decimal::from(receive_lamports), FeeCalculation::Exclusive))?;
    receive_lamports.checked_add(fee_lamports).ok_or_else(overflow)
}
