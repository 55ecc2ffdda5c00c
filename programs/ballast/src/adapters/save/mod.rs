//! Save (formerly Solend), the deployed lending program: its account layouts (`state`) and
//! instructions (`instruction`) as plain data, written from its public layout and checked
//! against the deployed binary in the tests.
use anchor_lang::prelude::*;

pub mod instruction;
pub mod state;

/// Save's program on mainnet; the tests load the deployed binary at this address.
pub const SAVE_PROGRAM_ID: Pubkey = pubkey!("So1endDq2YkqhipRh3WViPa8hdiSpxWy6z3Z6tMCpAo");
/// The oracle programs Save tells apart by owner: legacy Pyth price accounts and Switchboard v2.
pub const SWITCHBOARD_V2_PROGRAM_ID: Pubkey = pubkey!("SW1TCH7qEPTdLsDHRgPuMQjbQxKdH2aBStViMFnt64f");

use crate::errors::VaultError;
use state::{LendingMarket, Obligation, Reserve};

fn require_owned(info: &AccountInfo) -> Result<()> {
    require_keys_eq!(*info.owner, SAVE_PROGRAM_ID, VaultError::LendingAccountInvalid);
    Ok(())
}

pub fn load_market(info: &AccountInfo) -> Result<LendingMarket> {
    require_owned(info)?;
    LendingMarket::unpack(&info.try_borrow_data()?)
}

/// The reserve at `expected`, owned by Save, in `market`.
pub fn load_reserve(info: &AccountInfo, expected: &Pubkey, market: &Pubkey) -> Result<Reserve> {
    require_keys_eq!(*info.key, *expected, VaultError::LendingAccountMismatch);
    require_owned(info)?;
    let reserve = Reserve::unpack(&info.try_borrow_data()?)?;
    require_keys_eq!(reserve.lending_market, *market, VaultError::LendingAccountMismatch);
    Ok(reserve)
}

pub fn load_obligation(info: &AccountInfo) -> Result<Obligation> {
    require_owned(info)?;
    Obligation::unpack(&info.try_borrow_data()?)
}

/// Save reads a legacy Pyth price published no more than this many slots ago.
pub const PYTH_STALE_AFTER_SLOTS: u64 = 240;

/// The price Save's `RefreshReserve` reads from a legacy Pyth price account at `slot` (one
/// whole token in quote currency, before the reserve's price offset), or `None` where Save
/// would refuse it: not a v2 price account, no trading price (or previous one) within 240
/// slots, negative, or a confidence wider than a tenth of the price. Off-chain readers (the
/// keeper) value a position with it before refreshing.
pub fn legacy_pyth_price(data: &[u8], slot: u64) -> Option<spl_token_lending::math::Decimal> {
    use spl_token_lending::math::{Decimal, TryDiv, TryMul};
    let u32_at = |o: usize| Some(u32::from_le_bytes(data.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(data.get(o..o + 8)?.try_into().ok()?));
    let i64_at = |o: usize| Some(i64::from_le_bytes(data.get(o..o + 8)?.try_into().ok()?));
    if data.len() < 3312 || u32_at(0)? != 0xa1b2_c3d4 || u32_at(4)? != 2 || u32_at(8)? != 3 {
        return None;
    }
    let expo = i32::from_le_bytes(data.get(20..24)?.try_into().ok()?);
    let oldest = slot.checked_sub(PYTH_STALE_AFTER_SLOTS)?;
    // The aggregate while trading and recent enough, else the previous price if that is.
    let (price, conf) = if u32_at(224)? == 1 && u64_at(232)? >= oldest {
        (i64_at(208)?, u64_at(216)?)
    } else if u64_at(176)? >= oldest {
        (i64_at(184)?, u64_at(192)?)
    } else {
        return None;
    };
    let price = u64::try_from(price).ok()?;
    if conf.checked_mul(10)? > price {
        return None;
    }
    let scale = 10u64.checked_pow(expo.unsigned_abs())?;
    if expo >= 0 {
        Decimal::from(price).try_mul(scale).ok()
    } else {
        Decimal::from(price).try_div(scale).ok()
    }
}

/// The instruction just before the current one in this transaction is Save's
/// `FlashBorrowReserveLiquidity` of exactly `lamports` from `sol_reserve` into `destination`.
/// Save itself refuses the borrow unless its `FlashRepayReserveLiquidity` follows later in the
/// transaction, and refuses both by CPI: so the loan is real, in the vault's account, and repaid
/// at the top level once the vault instruction returns.
pub fn require_flash_borrow(
    instructions: &AccountInfo,
    sol_reserve: &Pubkey,
    destination: &Pubkey,
    lamports: u64,
) -> Result<()> {
    use anchor_lang::solana_program::sysvar::instructions::{load_current_index_checked, load_instruction_at_checked};
    let current = load_current_index_checked(instructions)?;
    let previous = current.checked_sub(1).ok_or_else(|| error!(VaultError::FlashLoanMissing))?;
    let ix = load_instruction_at_checked(usize::from(previous), instructions)?;
    let amount = ix.data.get(1..9).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_le_bytes);
    let is_borrow = ix.program_id == SAVE_PROGRAM_ID
        && ix.data.first() == Some(&instruction::tag::FLASH_BORROW_RESERVE_LIQUIDITY)
        && amount == Some(lamports)
        && ix.accounts.get(1).map(|a| a.pubkey) == Some(*destination)
        && ix.accounts.get(2).map(|a| a.pubkey) == Some(*sol_reserve);
    require!(is_borrow, VaultError::FlashLoanMissing);
    Ok(())
}

/// What repaying a flash loan of `lamports` from `reserve` costs on top (its flash fee, at
/// least one lamport, rounded as Save rounds it); `None` when the reserve lends no flash loans.
pub fn flash_loan_fee_lamports(reserve: &state::Reserve, lamports: u64) -> Result<Option<u64>> {
    use spl_token_lending::math::Decimal;
    use spl_token_lending::state::{FeeCalculation, ReserveFees};
    if reserve.config.flash_loan_fee_wad == u64::MAX {
        return Ok(None);
    }
    // Save's fee rule is the reference program's: the fee on top, at least one token.
    let fees = ReserveFees {
        borrow_fee_wad: reserve.config.flash_loan_fee_wad,
        flash_loan_fee_wad: reserve.config.flash_loan_fee_wad,
        host_fee_percentage: reserve.config.host_fee_pct,
    };
    let (fee_lamports, _host) = fees
        .calculate_borrow_fees(Decimal::from(lamports), FeeCalculation::Exclusive)
        .map_err(|_| error!(VaultError::MathOverflow))?;
    Ok(Some(fee_lamports))
}
