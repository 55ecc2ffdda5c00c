//! spl-token-lending 0.2.0 (the reference lending program of the Solend/Save line): typed
//! loaders for the market's accounts; its instructions come from the crate. The vault reaches
//! it through `adapters::lending`, which matches on the venue.
use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use spl_token_lending::state::{LendingMarket, Reserve};

use crate::errors::VaultError;

fn require_lending_owned(info: &AccountInfo) -> Result<()> {
    require_keys_eq!(*info.owner, spl_token_lending::id(), VaultError::LendingAccountInvalid);
    Ok(())
}

pub fn load_reserve(info: &AccountInfo, expected: &Pubkey, market: &Pubkey) -> Result<Reserve> {
    require_keys_eq!(*info.key, *expected, VaultError::LendingAccountMismatch);
    require_lending_owned(info)?;
    let reserve = Reserve::unpack(&info.try_borrow_data()?).map_err(|_| error!(VaultError::LendingAccountInvalid))?;
    require_keys_eq!(reserve.lending_market, *market, VaultError::LendingAccountMismatch);
    Ok(reserve)
}

/// The Pyth oracle programs (mainnet's, then devnet's) a bound market must read its prices
/// from. A market whose oracle program its creator controls could print any price, so any
/// other is refused at proposal and at binding.
pub const PINNED_ORACLE_PROGRAMS: [Pubkey; 2] =
    [pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH"), pubkey!("gSbePebfvPy7tRqimPoVecS2UsBvYv46ynrzWocc92s")];

pub fn load_market(info: &AccountInfo) -> Result<LendingMarket> {
    require_lending_owned(info)?;
    LendingMarket::unpack(&info.try_borrow_data()?).map_err(|_| error!(VaultError::LendingAccountInvalid))
}

/// The price the lending program's `RefreshReserve` reads from a legacy Pyth price account at
/// `slot`, in quote currency per whole token, exactly as spl-token-lending 0.2.0 derives it;
/// `None` where the program would refuse it (not a trading price, stale by 5 slots or more,
/// negative). Off-chain readers (the keeper) use it to value a position before refreshing.
pub fn legacy_pyth_market_price(data: &[u8], slot: u64) -> Option<spl_token_lending::math::Decimal> {
    use spl_token_lending::math::{Decimal, TryDiv, TryMul};
    use spl_token_lending::pyth;
    const STALE_AFTER_SLOTS_ELAPSED: u64 = 5;
    // `pyth::load` slices and casts in place: it panics on data shorter than a price account
    // and refuses data that is not 8-byte aligned. Read a copy into an aligned buffer instead.
    let len = std::mem::size_of::<pyth::Price>();
    let mut aligned = vec![0u64; len.div_ceil(8)];
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut aligned);
    bytes[..len].copy_from_slice(data.get(..len)?);
    let price = pyth::load::<pyth::Price>(&bytes[..len]).ok()?;
    if price.ptype != pyth::PriceType::Price || price.agg.status != pyth::PriceStatus::Trading {
        return None;
    }
    if slot.checked_sub(price.valid_slot)? >= STALE_AFTER_SLOTS_ELAPSED {
        return None;
    }
    let value = Decimal::from(u64::try_from(price.agg.price).ok()?);
    let scale = 10u64.checked_pow(price.expo.unsigned_abs())?;
    if price.expo >= 0 {
        value.try_mul(scale).ok()
    } else {
        value.try_div(scale).ok()
    }
}
