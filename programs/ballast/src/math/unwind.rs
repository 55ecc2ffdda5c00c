//! How much collateral an unwind sells. The lending market values collateral and debt at its own
//! oracle prices; the pool pays at least the stake-pool rate less the slippage bound. Selling
//! `q` LST and repaying what it fetches moves the market's LTV from `D / C` to
//! `(D - q * rate * (1 - s) * P_sol) / (C - q * P_lst)`; the unwind sells the smallest `q` that
//! lands it at the target even if the pool pays only its minimum.
use anchor_lang::prelude::*;
use spl_token_lending::math::{Decimal, TryDiv, TryMul, TrySub};

use super::safe_math::{lending_math, overflow};
use super::valuation::StakePoolRate;
use crate::constants::BPS_DENOMINATOR;
use crate::errors::VaultError;

fn bps(value: u16) -> Result<Decimal> {
    lending_math(Decimal::from(value as u64).try_div(BPS_DENOMINATOR))
}

/// The market's loan-to-value, borrowed over deposited value, in bps rounded up; zero without
/// debt, the maximum without collateral.
pub fn market_ltv_bps_ceil(borrowed_value: Decimal, deposited_value: Decimal) -> Result<u64> {
    if borrowed_value == Decimal::zero() {
        return Ok(0);
    }
    if deposited_value == Decimal::zero() {
        return Ok(u64::MAX);
    }
    lending_math(
        borrowed_value.try_mul(BPS_DENOMINATOR).and_then(|v| v.try_div(deposited_value)).and_then(|v| v.try_ceil_u64()),
    )
}

/// The market's view of the position and prices, and the vault's bounds.
#[derive(Clone, Copy, Debug)]
pub struct UnwindPlanInputs {
    pub borrowed_value: Decimal,
    pub deposited_value: Decimal,
    /// Quote-currency price of one whole LST and one whole SOL, as the reserves store them.
    pub lst_price: Decimal,
    pub sol_price: Decimal,
    pub lst_decimals: u8,
    pub rate: StakePoolRate,
    pub max_slippage_bps: u16,
    pub target_ltv_bps: u16,
}

/// LST (base units, rounded up) to sell so the market's LTV reaches the target when the pool
/// pays its minimum; `None` when the position is already at or below the target. Errors when
/// no sale can reach the target (the market prices LST so far above what the pool must pay
/// that selling it cannot lower the LTV enough).
pub fn lst_to_sell_ceil(inputs: &UnwindPlanInputs) -> Result<Option<u64>> {
    let target = bps(inputs.target_ltv_bps)?;
    let target_collateral_value = lending_math(inputs.deposited_value.try_mul(target))?;
    if inputs.borrowed_value <= target_collateral_value {
        return Ok(None);
    }
    let excess_value = lending_math(inputs.borrowed_value.try_sub(target_collateral_value))?;
    // Per whole LST sold: debt value repaid at the least the pool may pay, less the target's
    // share of the collateral value given up.
    let rate = lending_math(Decimal::from(inputs.rate.total_lamports).try_div(inputs.rate.pool_token_supply.max(1)))?;
    let after_slippage = lending_math(Decimal::one().try_sub(bps(inputs.max_slippage_bps)?))?;
    let repaid_value = lending_math(inputs.sol_price.try_mul(rate).and_then(|v| v.try_mul(after_slippage)))?;
    let collateral_value = lending_math(inputs.lst_price.try_mul(target))?;
    require!(repaid_value > collateral_value, VaultError::UnwindTargetUnreachable);
    let per_lst = lending_math(repaid_value.try_sub(collateral_value))?;
    let scale = 10u64.checked_pow(inputs.lst_decimals as u32).ok_or_else(overflow)?;
    let lst =
        lending_math(excess_value.try_div(per_lst).and_then(|v| v.try_mul(scale)).and_then(|v| v.try_ceil_u64()))?;
    Ok(Some(lst.max(1)))
}

/// SOL (lamports, rounded up) that, repaid from the vault's own SOL, brings the market's LTV to
/// the target: `(borrowed − target · deposited) / P_sol`; zero when it is already there.
pub fn sol_to_repay_for_target_ceil(
    borrowed_value: Decimal,
    deposited_value: Decimal,
    sol_price: Decimal,
    sol_decimals: u8,
    target_ltv_bps: u16,
) -> Result<u64> {
    let target_collateral_value = lending_math(deposited_value.try_mul(bps(target_ltv_bps)?))?;
    if borrowed_value <= target_collateral_value || sol_price == Decimal::zero() {
        return Ok(0);
    }
    let excess_value = lending_math(borrowed_value.try_sub(target_collateral_value))?;
    let scale = 10u64.checked_pow(sol_decimals as u32).ok_or_else(overflow)?;
    lending_math(excess_value.try_div(sol_price).and_then(|v| v.try_mul(scale)).and_then(|v| v.try_ceil_u64()))
}

/// The reserve floor, in bps of the vault's booked assets, that lets `unwind` start without a
/// flash loan after the market's LTV jumps from `ltv_from_bps` to `ltv_to_bps`, past the
/// market's `borrow_limit_bps`, where no collateral may leave before some debt is repaid.
/// `unwind` spends the floor too in that state; this is how large it must be (on a venue with no
/// flash loan the unwind has nothing else).
///
/// Before the jump: collateral value C, debt D = l0·C, reserve S = f·A with A = C − D + S, so
/// S = f/(1 − f)·(C − D). After it: C' = D/l1, and collateral may leave once D < B·C', which
/// takes S ≥ D·(1 − B/l1). So f/(1 − f) ≥ g = (l1 − B)/l1 · l0/(1 − l0), and f = g/(1 + g),
/// rounded up. Zero when `ltv_to_bps` is within the borrow limit.
pub fn blocked_unwind_floor_bps(ltv_from_bps: u16, borrow_limit_bps: u16, ltv_to_bps: u16) -> Result<u16> {
    let whole = BPS_DENOMINATOR as u128;
    let (l0, b, l1) = (ltv_from_bps as u128, borrow_limit_bps as u128, ltv_to_bps as u128);
    require!(l0 < whole && l1 <= whole && l0 <= l1, VaultError::LtvBoundsInvalid);
    if l1 <= b {
        return Ok(0);
    }
    // g = g_num / g_den; f = g_num / (g_den + g_num).
    let g_num = (l1 - b) * l0;
    let g_den = l1 * (whole - l0);
    let floor_bps = (g_num * whole).div_ceil(g_den + g_num);
    u16::try_from(floor_bps).map_err(|_| overflow())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocked_unwind_floor_covers_the_jump_and_no_more() {
        // From a 75% trigger to the 90% liquidation line of an 85% borrow limit: a seventh.
        assert_eq!(blocked_unwind_floor_bps(7_500, 8_500, 9_000).unwrap(), 1_429);
        assert_eq!(blocked_unwind_floor_bps(8_000, 8_500, 9_000).unwrap(), 1_819);
        assert_eq!(blocked_unwind_floor_bps(8_750, 9_000, 9_300).unwrap(), 1_843);
        // Within the borrow limit nothing is needed; a jump from nowhere needs nothing.
        assert_eq!(blocked_unwind_floor_bps(7_500, 8_500, 8_500).unwrap(), 0);
        assert_eq!(blocked_unwind_floor_bps(0, 8_500, 9_000).unwrap(), 0);
        assert!(blocked_unwind_floor_bps(10_000, 8_500, 9_000).is_err());
        assert!(blocked_unwind_floor_bps(9_100, 8_500, 9_000).is_err());
        // The floor found pays exactly what unblocks: 100 of equity at l0, the jump, then
        // S = D·(1 − B/l1) within a lamport-sized rounding.
        for (l0, b, l1) in [(7_500u16, 8_500u16, 9_000u16), (5_000, 8_500, 8_900), (8_750, 9_000, 9_300)] {
            let f = blocked_unwind_floor_bps(l0, b, l1).unwrap() as f64 / 1e4;
            let (l0, b, l1) = (l0 as f64 / 1e4, b as f64 / 1e4, l1 as f64 / 1e4);
            let c = 100.0 / (1.0 - l0);
            let debt = l0 * c;
            let reserve = f / (1.0 - f) * (c - debt);
            let needed = debt * (1.0 - b / l1);
            assert!(reserve >= needed && reserve - needed < 1e-3 * c, "{reserve} {needed}");
        }
    }

    fn inputs(borrowed: u64, deposited: u64) -> UnwindPlanInputs {
        UnwindPlanInputs {
            borrowed_value: Decimal::from(borrowed),
            deposited_value: Decimal::from(deposited),
            lst_price: Decimal::from(105u64),
            sol_price: Decimal::from(100u64),
            lst_decimals: 9,
            rate: StakePoolRate { total_lamports: 105, pool_token_supply: 100 },
            max_slippage_bps: 50,
            target_ltv_bps: 6_000,
        }
    }

    #[test]
    fn ltv_rounds_up_and_has_its_edges() {
        assert_eq!(market_ltv_bps_ceil(Decimal::from(2u64), Decimal::from(3u64)).unwrap(), 6_667);
        assert_eq!(market_ltv_bps_ceil(Decimal::zero(), Decimal::zero()).unwrap(), 0);
        assert_eq!(market_ltv_bps_ceil(Decimal::one(), Decimal::zero()).unwrap(), u64::MAX);
    }

    #[test]
    fn the_planned_sale_lands_on_the_target_at_the_minimum_price() {
        // 75% LTV on 1,000 of collateral value.
        let plan = inputs(750, 1_000);
        let lst = lst_to_sell_ceil(&plan).unwrap().unwrap();
        let whole = lst as f64 / 1e9;
        let repaid = whole * 100.0 * 1.05 * 0.995;
        let ltv_after = (750.0 - repaid) / (1_000.0 - whole * 105.0);
        assert!(ltv_after <= 0.6 && ltv_after > 0.5999, "{ltv_after}");
        assert_eq!(lst_to_sell_ceil(&inputs(600, 1_000)).unwrap(), None);
        assert_eq!(lst_to_sell_ceil(&inputs(0, 0)).unwrap(), None);
    }

    #[test]
    fn repaying_the_planned_sol_lands_on_the_target() {
        // 75% LTV on 1,000 of collateral value, SOL at 100 per whole SOL: 150 of value, 1.5 SOL.
        let lamports = sol_to_repay_for_target_ceil(
            Decimal::from(750u64),
            Decimal::from(1_000u64),
            Decimal::from(100u64),
            9,
            6_000,
        )
        .unwrap();
        assert_eq!(lamports, 1_500_000_000);
        let at_target = sol_to_repay_for_target_ceil(
            Decimal::from(600u64),
            Decimal::from(1_000u64),
            Decimal::from(100u64),
            9,
            6_000,
        );
        assert_eq!(at_target.unwrap(), 0);
    }

    #[test]
    fn a_market_price_far_above_what_the_pool_pays_cannot_be_unwound_by_selling() {
        let mut plan = inputs(950, 1_000);
        plan.lst_price = Decimal::from(200u64);
        plan.target_ltv_bps = 9_000;
        assert_eq!(lst_to_sell_ceil(&plan).unwrap_err(), VaultError::UnwindTargetUnreachable.into());
    }
}
