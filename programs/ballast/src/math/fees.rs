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
    fn profit_unlocks_linearly() {
        assert_eq!(locked_profit_remaining_ceil(1_000, 0, 100).unwrap(), 1_000);
        assert_eq!(locked_profit_remaining_ceil(1_000, 25, 100).unwrap(), 750);
        assert_eq!(locked_profit_remaining_ceil(1_000, 99, 100).unwrap(), 10);
        assert_eq!(locked_profit_remaining_ceil(1_000, 100, 100).unwrap(), 0);
        assert_eq!(locked_profit_remaining_ceil(1_000, 5, 0).unwrap(), 0);
        assert_eq!(locked_profit_remaining_ceil(3, 1, 2).unwrap(), 2); // 1.5 -> 2
    }
}
