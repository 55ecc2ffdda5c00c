//! What a share of an LST/SOL stable-swap pool is worth where no trade can move it.
//!
//! A pool's reserves `(x LST, y SOL)` valued at the stake-pool rate `r` are `r·x + y`. A trade
//! moves the reserves along the curve of the pool's invariant `D` (its fees only raise `D`), and
//! along that curve `r·x + y` is lowest exactly where the pool's own marginal price equals `r`.
//! Anywhere else, pushed either way, the same `D` is worth more at the rate: that excess is what
//! the trade back takes away again. So the vault values its pool share at that lowest point,
//! `D · φ(r)`, which depends on the invariant alone: no trade in the same transaction can raise
//! it, and it never exceeds the spot reserves valued at the rate.
//!
//! The curve is spl-token-swap's stable curve with leverage `L = 2·amp`:
//! `L·(x + y) + D = L·D + D³ / (4·x·y)`. It is homogeneous (scaling `x`, `y` and `D` together
//! keeps it), so `φ` is computed once on the unit curve (`D = 1`) and scaled by `D`.
//!
//! Written here rather than taken from a library: the swap program's own crate computes `D` (the
//! adapter uses it) but has no minimiser along the curve, and no fixed-point library ships one.
use anchor_lang::prelude::*;
use fixed::types::U64F64;

use super::safe_math::overflow;
use super::valuation::StakePoolRate;

/// Bisection steps on the unit curve: the point is found to within 2^-50, and the value there
/// is flat to first order, so the error it leaves is far below one lamport per 10^9 SOL.
const BISECTION_STEPS: u32 = 50;
/// The smallest LST side searched on the unit curve (2^-20): at the pools' amplifications a
/// price of several SOL per LST is reached well above it.
const MIN_UNIT_X: U64F64 = U64F64::from_bits(1 << 44);
/// Subtracted from φ so the fixed-point rounding inside the search can only under-value.
const ROUNDING_GUARD: U64F64 = U64F64::from_bits(1 << 24);

#[track_caller]
fn checked(value: Option<U64F64>) -> Result<U64F64> {
    value.ok_or_else(overflow)
}

/// The unit curve's SOL side `y` for an LST side `x ≤ 1/2`: the positive root of
/// `y² − m·y − c = 0` with `m = 1 − x − 1/L ≥ 0` and `c = 1/(4·x·L)`.
fn unit_sol_side(x: U64F64, leverage: U64F64) -> Result<U64F64> {
    let inverse_leverage = checked(U64F64::ONE.checked_div(leverage))?;
    let m = checked(U64F64::ONE.checked_sub(x).and_then(|v| v.checked_sub(inverse_leverage)))?;
    let four_x_l = checked(x.checked_mul(leverage).and_then(|v| v.checked_mul_int(4)))?;
    let c = checked(U64F64::ONE.checked_div(four_x_l))?;
    let discriminant = checked(m.checked_mul(m).and_then(|v| v.checked_add(c.checked_mul_int(4)?)))?;
    checked(m.checked_add(discriminant.sqrt()).map(|v| v / 2))
}

/// Whether the pool's marginal price of LST at `(x, y)` on the unit curve is above `rate`:
/// `(L + 1/(4x²y)) > rate · (L + 1/(4xy²))`.
fn price_above(x: U64F64, y: U64F64, leverage: U64F64, rate: U64F64) -> Result<bool> {
    let four_xy = checked(x.checked_mul(y).and_then(|v| v.checked_mul_int(4)))?;
    let lst_side = checked(four_xy.checked_mul(x).and_then(|v| U64F64::ONE.checked_div(v)))?;
    let sol_side = checked(four_xy.checked_mul(y).and_then(|v| U64F64::ONE.checked_div(v)))?;
    let lhs = checked(leverage.checked_add(lst_side))?;
    let rhs = checked(leverage.checked_add(sol_side).and_then(|v| v.checked_mul(rate)))?;
    Ok(lhs > rhs)
}

/// `min r·x + y` over the unit curve for `r ≥ 1` (the point has `x ≤ 1/2`), rounded down.
fn unit_fair_value_at_or_above_par(rate: U64F64, leverage: U64F64) -> Result<U64F64> {
    let half = U64F64::ONE / 2;
    let (mut low, mut high) = (MIN_UNIT_X, half);
    let low_y = unit_sol_side(low, leverage)?;
    require!(price_above(low, low_y, leverage, rate)?, crate::errors::VaultError::PoolCurveOutOfRange);
    // The price falls as x grows: keep `low` where it is above the rate, `high` where it is not.
    for _ in 0..BISECTION_STEPS {
        let mid = low + (high - low) / 2;
        if price_above(mid, unit_sol_side(mid, leverage)?, leverage, rate)? {
            low = mid;
        } else {
            high = mid;
        }
    }
    let y = unit_sol_side(high, leverage)?;
    let value = checked(rate.checked_mul(high).and_then(|v| v.checked_add(y)))?;
    Ok(value.saturating_sub(ROUNDING_GUARD))
}

/// φ: the lowest value at `rate` (lamports per LST unit) of a point on the unit curve of a
/// stable pool with amplification `amp`, rounded down. The curve is symmetric in its two sides,
/// so below par `min r·x + y = r · min(x + y/r) = r · φ(1/r)`.
pub fn unit_fair_value_floor(rate: U64F64, amp: u64) -> Result<U64F64> {
    require!(amp > 0 && rate > U64F64::ZERO, crate::errors::VaultError::PoolCurveOutOfRange);
    let leverage = checked(U64F64::checked_from_num(amp).and_then(|a| a.checked_mul_int(2)))?;
    if rate >= U64F64::ONE {
        return unit_fair_value_at_or_above_par(rate, leverage);
    }
    let inverse = checked(U64F64::ONE.checked_div(rate))?;
    let mirrored = unit_fair_value_at_or_above_par(inverse, leverage)?;
    Ok(checked(mirrored.checked_mul(rate))?.saturating_sub(ROUNDING_GUARD))
}

/// The stake-pool rate as lamports per LST base unit.
pub fn rate_fixed(rate: &StakePoolRate) -> Result<U64F64> {
    if rate.pool_token_supply == 0 || rate.total_lamports == 0 {
        return Ok(U64F64::ONE);
    }
    checked(
        U64F64::checked_from_num(rate.total_lamports).and_then(|t| t.checked_div_int(rate.pool_token_supply as u128)),
    )
}

/// The fair value in lamports of `pool_tokens` of a pool whose invariant is `invariant` (in the
/// pool's base units) over `pool_token_supply` tokens: `pool_tokens/supply · D · φ(r)`, rounded
/// down.
pub fn pool_share_fair_value_lamports_floor(
    invariant: u128,
    pool_tokens: u64,
    pool_token_supply: u64,
    amp: u64,
    rate: &StakePoolRate,
) -> Result<u64> {
    if pool_tokens == 0 || invariant == 0 {
        return Ok(0);
    }
    require!(pool_tokens <= pool_token_supply, crate::errors::VaultError::PoolAccountInvalid);
    let share = invariant.checked_mul(pool_tokens as u128).ok_or_else(overflow)? / pool_token_supply as u128;
    let share = U64F64::checked_from_num(share).ok_or_else(overflow)?;
    let value = checked(share.checked_mul(unit_fair_value_floor(rate_fixed(rate)?, amp)?))?;
    value.checked_to_num::<u64>().ok_or_else(overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spl_token_swap::curve::calculator::{CurveCalculator, TradeDirection};
    use spl_token_swap::curve::stable::StableCurve;

    fn fixed(v: f64) -> U64F64 {
        U64F64::from_num(v)
    }

    /// Reference in floating point: sample the unit curve densely and take the smallest value.
    fn brute_force_unit_min(rate: f64, amp: u64) -> f64 {
        let l = 2.0 * amp as f64;
        let y_of = |x: f64| {
            let m = 1.0 - x - 1.0 / l;
            let c = 1.0 / (4.0 * x * l);
            (m + (m * m + 4.0 * c).sqrt()) / 2.0
        };
        // y(x) by the formula holds for x <= 1/2; the curve is symmetric, so the other half is
        // the mirror image (y, x).
        (1..200_000)
            .map(|i| i as f64 / 400_000.0)
            .map(|x| {
                let y = y_of(x);
                (rate * x + y).min(rate * y + x)
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn at_par_the_fair_point_is_the_balanced_pool() {
        // r = 1: the balanced point x = y = 1/2 is on the unit curve, and x + y there is D.
        let phi = unit_fair_value_floor(U64F64::ONE, 100).unwrap();
        assert!(phi <= U64F64::ONE && U64F64::ONE - phi < fixed(1e-9), "{phi}");
    }

    #[test]
    fn matches_a_brute_force_search_of_the_curve() {
        for amp in [1u64, 10, 100, 1_000] {
            for rate in [0.8, 0.95, 1.0, 1.003, 1.05, 1.17, 1.4] {
                let phi = unit_fair_value_floor(fixed(rate), amp).unwrap().to_num::<f64>();
                let reference = brute_force_unit_min(rate, amp);
                assert!(phi <= reference + 1e-12, "amp {amp} rate {rate}: {phi} above {reference}");
                assert!(reference - phi < 1e-6, "amp {amp} rate {rate}: {phi} far below {reference}");
            }
        }
    }

    #[test]
    fn out_of_range_inputs_are_named_errors() {
        let err = unit_fair_value_floor(U64F64::ONE, 0).unwrap_err();
        assert_eq!(err, crate::errors::VaultError::PoolCurveOutOfRange.into());
        let err = unit_fair_value_floor(U64F64::ZERO, 100).unwrap_err();
        assert_eq!(err, crate::errors::VaultError::PoolCurveOutOfRange.into());
        let rate = StakePoolRate { total_lamports: 11, pool_token_supply: 10 };
        assert!(pool_share_fair_value_lamports_floor(100, 11, 10, 100, &rate).is_err());
        assert_eq!(pool_share_fair_value_lamports_floor(0, 5, 10, 100, &rate).unwrap(), 0);
    }

    fn d_of(curve: &StableCurve, lst: u64, lamports: u64) -> u128 {
        curve.normalized_value(lst as u128, lamports as u128).unwrap().to_imprecise().unwrap()
    }

    proptest! {
        /// Any trade, either way and of any size the pool can take, leaves the pool's fair value
        /// where it was (up to the swap's own rounding, which favours the pool) and never above
        /// the spot reserves valued at the rate.
        #[test]
        fn no_push_raises_the_fair_value(
            lst in 1_000_000_000u64..200_000_000_000,
            lamports in 1_000_000_000u64..200_000_000_000,
            push in 1u64..400_000_000_000,
            sell_lst in any::<bool>(),
            rate_bps in 9_000u64..13_000,
            amp in prop::sample::select(vec![10u64, 100, 500]),
        ) {
            let curve = StableCurve { amp };
            let rate = StakePoolRate { total_lamports: rate_bps * 100_000, pool_token_supply: 1_000_000_000 };
            let supply = 1_000_000_000u64;
            let before = pool_share_fair_value_lamports_floor(d_of(&curve, lst, lamports), supply, supply, amp, &rate).unwrap();
            let spot_before = lamports as u128 + (lst as u128 * rate.total_lamports as u128 / rate.pool_token_supply as u128);
            prop_assert!(before as u128 <= spot_before);

            let direction = if sell_lst { TradeDirection::AtoB } else { TradeDirection::BtoA };
            let (source, destination) = if sell_lst { (lst, lamports) } else { (lamports, lst) };
            let Some(traded) = curve.swap_without_fees(push as u128, source as u128, destination as u128, direction) else {
                return Ok(());
            };
            let new_destination = destination as u128 - traded.destination_amount_swapped;
            prop_assume!(new_destination > 0);
            let new_source = source as u128 + push as u128;
            let (lst_after, lamports_after) =
                if sell_lst { (new_source, new_destination) } else { (new_destination, new_source) };
            let (lst_after, lamports_after) = (lst_after as u64, lamports_after as u64);
            let after = pool_share_fair_value_lamports_floor(d_of(&curve, lst_after, lamports_after), supply, supply, amp, &rate).unwrap();
            let spot_after = lamports_after as u128 + (lst_after as u128 * rate.total_lamports as u128 / rate.pool_token_supply as u128);
            // The swap's own rounding (its output rounded down, its Newton steps rounded up)
            // leaves the pool a few units more of D, paid by the trader: a tenth of a basis
            // point of the push at most, far below the fee every pool charges on top. Nothing
            // like the whole percents the reserves at the rate gain when pushed this far.
            prop_assert!(
                after <= before + push / 100_000 + 16,
                "a push of {push} raised the fair value {before} -> {after}"
            );
            prop_assert!(after as u128 <= spot_after + 1, "fair {after} above spot {spot_after}");
        }
    }
}
