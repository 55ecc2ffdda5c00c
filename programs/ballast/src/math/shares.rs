//! Share <-> lamport conversion. The vault always has shares outstanding (dead shares from the
//! seed deposit), so the price is never undefined except when every asset is gone.
use anchor_lang::prelude::*;
use fixed::types::U64F64;

use super::safe_math::{mul_div_floor, overflow};
use crate::constants::SHARE_PRICE_SCALE;
use crate::errors::VaultError;

/// Shares minted for a deposit, rounded down.
pub fn shares_for_deposit_floor(deposit_lamports: u64, total_shares: u64, free_assets_lamports: u64) -> Result<u64> {
    require!(free_assets_lamports > 0, VaultError::VaultInsolvent);
    mul_div_floor(deposit_lamports, total_shares, free_assets_lamports)
}

/// Lamports paid for burning shares, rounded down.
pub fn lamports_for_shares_floor(shares: u64, total_shares: u64, free_assets_lamports: u64) -> Result<u64> {
    mul_div_floor(shares, free_assets_lamports, total_shares)
}

/// Lamports per whole share (10^9 units), rounded down. For events and display.
pub fn share_price_lamports_floor(free_assets_lamports: u64, total_shares: u64) -> Result<u64> {
    mul_div_floor(free_assets_lamports, SHARE_PRICE_SCALE, total_shares)
}

/// Assets per share unit as a fixed-point ratio, rounded down.
pub fn assets_per_share_floor(assets_lamports: u64, total_shares: u64) -> Result<U64F64> {
    if total_shares == 0 {
        return Err(overflow());
    }
    Ok(U64F64::from_num(assets_lamports) / U64F64::from_num(total_shares))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_share_is_one_lamport() {
        assert_eq!(shares_for_deposit_floor(5, 1_000_000, 1_000_000).unwrap(), 5);
        assert_eq!(share_price_lamports_floor(1_000_000, 1_000_000).unwrap(), SHARE_PRICE_SCALE);
    }

    #[test]
    fn insolvent_vault_refuses_deposits() {
        assert!(shares_for_deposit_floor(5, 1_000, 0).is_err());
    }

    proptest! {
        /// A deposit followed by an immediate withdrawal of the shares it minted never pays
        /// back more than went in, and never lowers the price of the other shares.
        #[test]
        fn round_trip_never_gains(
            supply in 1u64..1u64 << 60,
            assets in 1u64..1u64 << 60,
            deposit in 0u64..1u64 << 50,
        ) {
            let minted = shares_for_deposit_floor(deposit, supply, assets).unwrap();
            let new_supply = supply + minted;
            let new_assets = assets + deposit;
            let back = lamports_for_shares_floor(minted, new_supply, new_assets).unwrap();
            prop_assert!(back <= deposit);
            // price never falls: new_assets / new_supply >= assets / supply
            prop_assert!((new_assets as u128) * (supply as u128) >= (assets as u128) * (new_supply as u128));
        }
    }
}
