//! Fees and profit locking. Fees round up (the vault charges them), locked profit rounds up
//! (what a withdrawer may take rounds down).
use anchor_lang::prelude::*;

use super::safe_math::{bps_of_ceil, mul_div_ceil};
use crate::constants::{BPS_DENOMINATOR, SECONDS_PER_YEAR};

/// Management fee on `assets_lamports` for `elapsed_secs`, at `fee_bps` a year, rounded up.
/// The period is capped at one year so a long-neglected vault cannot be charged its whole
/// balance in one harvest.
pub fn management_fee_lamports_ceil(assets_lamports: u64, fee_bps: u16, elapsed_secs: u64) -> Result<u64> {
    let elapsed_secs = elapsed_secs.min(SECONDS_PER_YEAR);
    let numerator = (assets_lamports as u128) * (fee_bps as u128) * (elapsed_secs as u128);
    let denominator = (BPS_DENOMINATOR as u128) * (SECONDS_PER_YEAR as u128);
    u64::try_from(numerator.div_ceil(denominator)).map_err(|_| super::safe_math::overflow())
}

/// Performance fee on a gain above the high-water mark, rounded up.
pub fn performance_fee_lamports_ceil(gain_above_hwm_lamports: u64, fee_bps: u16) -> Result<u64> {
    bps_of_ceil(gain_above_hwm_lamports, fee_bps as u64)
}

/// Profit still locked `elapsed_secs` after it was booked: it unlocks linearly over
/// `unlock_secs`. Rounded up.
pub fn locked_profit_remaining_ceil(locked_lamports: u64, elapsed_secs: u64, unlock_secs: u64) -> Result<u64> {
    if elapsed_secs >= unlock_secs {
        return Ok(0);
    }
    mul_div_ceil(locked_lamports, unlock_secs - elapsed_secs, unlock_secs)
}

/// How long the combined locked profit takes to unlock when `new_lamports` of new profit join
/// `remaining_lamports` still unlocking over `remaining_secs`: the average of the two periods
/// weighted by amount, rounded up. Profit already locked keeps (on average) its own schedule, so
/// a harvest that books little new profit cannot hold back what was about to unlock.
pub fn profit_unlock_secs_weighted_ceil(
    remaining_lamports: u64,
    remaining_secs: u64,
    new_lamports: u64,
    unlock_secs: u64,
) -> Result<u64> {
    let total = remaining_lamports as u128 + new_lamports as u128;
    if total == 0 {
        return Ok(0);
    }
    let weighted = remaining_lamports as u128 * remaining_secs as u128 + new_lamports as u128 * unlock_secs as u128;
    u64::try_from(weighted.div_ceil(total)).map_err(|_| super::safe_math::overflow())
}

/// Fee shares worth exactly `fee_lamports` once minted: `fee · supply / (free_after − fee)`,
/// where `free_after_lamports` is what all shares, the new ones included, are then worth.
/// Rounded down, so the recipient never gets more than the fee; none when the fee would be
/// all that is left.
pub fn fee_shares_floor(fee_lamports: u64, total_shares: u64, free_after_lamports: u64) -> Result<u64> {
    if fee_lamports == 0 || free_after_lamports <= fee_lamports {
        return Ok(0);
    }
    super::safe_math::mul_div_floor(fee_lamports, total_shares, free_after_lamports - fee_lamports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_fee_is_per_second_and_capped_at_a_year() {
        // 2% of 1000 SOL for a full year = 20 SOL
        let assets = 1_000_000_000_000;
        assert_eq!(management_fee_lamports_ceil(assets, 200, SECONDS_PER_YEAR).unwrap(), 20_000_000_000);
        assert_eq!(management_fee_lamports_ceil(assets, 200, 10 * SECONDS_PER_YEAR).unwrap(), 20_000_000_000);
        // one second: 634.19... lamports, rounded up
        assert_eq!(management_fee_lamports_ceil(assets, 200, 1).unwrap(), 635);
        assert_eq!(management_fee_lamports_ceil(assets, 0, 1_000).unwrap(), 0);
        assert_eq!(management_fee_lamports_ceil(u64::MAX, 500, SECONDS_PER_YEAR).unwrap(), u64::MAX / 20 + 1);
    }

    #[test]
    fn new_profit_joins_the_schedule_by_weight() {
        // 1,000 with 100 s left and 1,000 new over 1,000 s: 550 s on average.
        assert_eq!(profit_unlock_secs_weighted_ceil(1_000, 100, 1_000, 1_000).unwrap(), 550);
        // A dust profit barely moves the end of a large locked amount.
        assert_eq!(profit_unlock_secs_weighted_ceil(1_000_000, 100, 1, 86_400).unwrap(), 101);
        assert_eq!(profit_unlock_secs_weighted_ceil(0, 0, 5, 86_400).unwrap(), 86_400);
        assert_eq!(profit_unlock_secs_weighted_ceil(0, 0, 0, 86_400).unwrap(), 0);
    }

    #[test]
    fn fee_shares_are_worth_the_fee_rounded_down() {
        // 1,000 shares, 10,100 lamports after a harvest whose fee is 100: 10 new shares, worth
        // 10 * 10_100 / 1_010 = 100.
        assert_eq!(fee_shares_floor(100, 1_000, 10_100).unwrap(), 10);
        assert_eq!(fee_shares_floor(101, 1_000, 10_100).unwrap(), 10); // 10.1 -> 10
        assert_eq!(fee_shares_floor(0, 1_000, 10_100).unwrap(), 0);
        assert_eq!(fee_shares_floor(10_100, 1_000, 10_100).unwrap(), 0);
    }

    #[test]
    fn profit_unlocks_linearly() {
        assert_eq!(locked_profit_remaining_ceil(1_000, 0, 100).unwrap(), 1_000);
        assert_eq!(locked_profit_remaining_ceil(1_000, 25, 100).unwrap(), 750);
        assert_eq!(locked_profit_remaining_ceil(1_000, 99, 100).unwrap(), 10);
        assert_eq!(locked_profit_remaining_ceil(1_000, 100, 100).unwrap(), 0);
        assert_eq!(locked_profit_remaining_ceil(1_000, 5, 0).unwrap(), 0);
        assert_eq!(locked_profit_remaining_ceil(3, 1, 2).unwrap(), 2); // 1.5 -> 2
    }
}
