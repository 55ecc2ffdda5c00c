//! The valuation accounts. Every instruction that prices shares passes, after its named accounts,
//! `[obligation, LST reserve, SOL reserve]` once the vault has a lending market and then
//! `[pool mint, pool LST reserve, pool wSOL reserve]` once it has a pool. Instructions that name
//! the lending accounts already pass only the pool's.
use anchor_lang::prelude::*;

use super::{lending, token_swap};
use crate::errors::VaultError;
use crate::math::valuation::{LendingPosition, Positions, StakePoolRate};
use crate::state::Vault;

const LENDING_ACCOUNTS: usize = 3;
const POOL_ACCOUNTS: usize = 3;

fn split<'a, 'info>(
    remaining: &'a [AccountInfo<'info>],
    count: usize,
    missing: VaultError,
) -> Result<(&'a [AccountInfo<'info>], &'a [AccountInfo<'info>])> {
    if remaining.len() < count {
        return Err(missing.into());
    }
    Ok(remaining.split_at(count))
}

/// The pool's part, after whatever came before it; returns the accounts after it.
pub fn pool<'a, 'info>(
    vault: &Vault,
    remaining: &'a [AccountInfo<'info>],
    rate: &StakePoolRate,
) -> Result<(crate::math::valuation::PoolPosition, &'a [AccountInfo<'info>])> {
    if vault.pool.is_none() {
        return Ok((Default::default(), remaining));
    }
    let (infos, rest) = split(remaining, POOL_ACCOUNTS, VaultError::PoolAccountsMissing)?;
    Ok((token_swap::position(vault, infos, rate)?, rest))
}

/// The lending part, first in the remaining accounts; returns the accounts after it.
pub fn lending<'a, 'info>(
    vault: &Vault,
    vault_key: &Pubkey,
    remaining: &'a [AccountInfo<'info>],
) -> Result<(LendingPosition, &'a [AccountInfo<'info>])> {
    if vault.lending.is_none() {
        return Ok((LendingPosition::default(), remaining));
    }
    let (infos, rest) = split(remaining, LENDING_ACCOUNTS, VaultError::LendingAccountsMissing)?;
    Ok((lending::position(vault, vault_key, infos)?, rest))
}

/// Every position, from the valuation accounts; returns the accounts after them.
pub fn load<'a, 'info>(
    vault: &Vault,
    vault_key: &Pubkey,
    remaining: &'a [AccountInfo<'info>],
    rate: &StakePoolRate,
) -> Result<(Positions, &'a [AccountInfo<'info>])> {
    let (lending, rest) = lending(vault, vault_key, remaining)?;
    let (pool, rest) = pool(vault, rest, rate)?;
    Ok((Positions { lending, pool }, rest))
}

/// The lending position measured by an instruction that names the lending accounts, plus the
/// pool's part from the remaining accounts.
pub fn with_lending(
    vault: &Vault,
    lending: LendingPosition,
    remaining: &[AccountInfo],
    rate: &StakePoolRate,
) -> Result<Positions> {
    Ok(Positions { lending, pool: pool(vault, remaining, rate)?.0 })
}

/// The pool's valuation accounts within the remaining accounts (after the lending ones).
pub fn pool_accounts<'a, 'info>(
    vault: &Vault,
    remaining: &'a [AccountInfo<'info>],
) -> Result<&'a [AccountInfo<'info>]> {
    let start = if vault.lending.is_some() { LENDING_ACCOUNTS } else { 0 };
    remaining.get(start..start + POOL_ACCOUNTS).ok_or_else(|| error!(VaultError::PoolAccountsMissing))
}
