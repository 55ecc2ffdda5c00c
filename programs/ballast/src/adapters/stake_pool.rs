//! spl-stake-pool 1.0 (the program behind JitoSOL, and the one Sanctum's deployments run): reading
//! the pool's exchange rate, `DepositSol` and `WithdrawSol`, under the program the vault pinned.
#![allow(deprecated)] // stake-pool 1.0 state is decoded with the borsh 0.10 helpers it was written with

use anchor_lang::prelude::*;
use anchor_lang::solana_program::borsh0_10::try_from_slice_unchecked;
use anchor_lang::solana_program::program::invoke_signed;
use spl_stake_pool::state::{AccountType, StakePool};

use crate::errors::VaultError;
use crate::math::valuation::StakePoolRate;
use crate::state::Vault;

/// The stake-pool deployments LSTs run on: the SPL program (JitoSOL, bSOL and more), then
/// Sanctum's single-validator and multi-validator programs (the same instruction set and
/// layouts). A vault pins the one that owns its pool at initialisation.
pub const STAKE_POOL_PROGRAMS: [Pubkey; 3] = [
    pubkey!("SPoo1Ku8WFXoNDMHPsrGSTSG1Y47rzgn41SLUNakuHy"),
    pubkey!("SP12tWFxD9oJsVWNavTTBZvMbA6gkAmxtVgxdqvyvhY"),
    pubkey!("SPMBzsVUuoHA4Jm6KunbsotaahvVikZs1JyTW6iJvbn"),
];

fn decode(info: &AccountInfo, lst_mint: &Pubkey) -> Result<StakePool> {
    let pool = try_from_slice_unchecked::<StakePool>(&info.try_borrow_data()?)
        .map_err(|_| error!(VaultError::StakePoolInvalid))?;
    require!(pool.account_type == AccountType::StakePool, VaultError::StakePoolInvalid);
    require_keys_eq!(pool.pool_mint, *lst_mint, VaultError::LstMintMismatch);
    Ok(pool)
}

/// The pool a new vault binds: owned by one of `STAKE_POOL_PROGRAMS`, the right type and mint.
/// Returns the pool and the program the vault pins.
pub fn load_for_binding(info: &AccountInfo, lst_mint: &Pubkey) -> Result<(StakePool, Pubkey)> {
    require!(STAKE_POOL_PROGRAMS.contains(info.owner), VaultError::StakePoolOwnerMismatch);
    Ok((decode(info, lst_mint)?, *info.owner))
}

/// Decodes the vault's bound stake pool: right address, owned by the pinned program, right type,
/// right mint.
pub fn load(info: &AccountInfo, vault: &Vault) -> Result<StakePool> {
    require_keys_eq!(*info.key, vault.stake_pool, VaultError::StakePoolMismatch);
    require_keys_eq!(*info.owner, vault.stake_pool_program, VaultError::StakePoolOwnerMismatch);
    decode(info, &vault.lst_mint)
}

/// The vault's pinned stake-pool program, passed to a CPI.
pub fn require_program(info: &AccountInfo, vault: &Vault) -> Result<()> {
    require_keys_eq!(*info.key, vault.stake_pool_program, VaultError::StakePoolProgramMismatch);
    Ok(())
}

/// The pool's rate, only if the pool has been updated in the current epoch: a rate from a past
/// epoch misses that epoch's rewards or slashing.
pub fn current_rate(pool: &StakePool, current_epoch: u64) -> Result<StakePoolRate> {
    require!(pool.last_update_epoch == current_epoch, VaultError::StakePoolStale);
    Ok(StakePoolRate { total_lamports: pool.total_lamports, pool_token_supply: pool.pool_token_supply })
}

/// Loads the bound pool and returns its current-epoch rate.
pub fn load_current_rate(info: &AccountInfo, vault: &Vault) -> Result<StakePoolRate> {
    current_rate(&load(info, vault)?, Clock::get()?.epoch)
}

pub struct DepositSol<'a, 'info> {
    pub stake_pool_program: &'a AccountInfo<'info>,
    pub stake_pool: &'a AccountInfo<'info>,
    pub withdraw_authority: &'a AccountInfo<'info>,
    pub reserve_stake: &'a AccountInfo<'info>,
    /// System-owned, data-less account the lamports come from (it signs).
    pub lamports_from: &'a AccountInfo<'info>,
    pub pool_tokens_to: &'a AccountInfo<'info>,
    pub manager_fee_account: &'a AccountInfo<'info>,
    pub pool_mint: &'a AccountInfo<'info>,
    pub system_program: &'a AccountInfo<'info>,
    pub token_program: &'a AccountInfo<'info>,
}

impl DepositSol<'_, '_> {
    /// `DepositSol` with the vault's own LST account as referrer, so any referral fee comes back.
    pub fn invoke(&self, lamports: u64, lamports_from_seeds: &[&[u8]]) -> Result<()> {
        let ix = spl_stake_pool::instruction::deposit_sol(
            self.stake_pool_program.key,
            self.stake_pool.key,
            self.withdraw_authority.key,
            self.reserve_stake.key,
            self.lamports_from.key,
            self.pool_tokens_to.key,
            self.manager_fee_account.key,
            self.pool_tokens_to.key,
            self.pool_mint.key,
            self.token_program.key,
            lamports,
        );
        invoke_signed(
            &ix,
            &[
                self.stake_pool.clone(),
                self.withdraw_authority.clone(),
                self.reserve_stake.clone(),
                self.lamports_from.clone(),
                self.pool_tokens_to.clone(),
                self.manager_fee_account.clone(),
                self.pool_mint.clone(),
                self.system_program.clone(),
                self.token_program.clone(),
                self.stake_pool_program.clone(),
            ],
            &[lamports_from_seeds],
        )?;
        Ok(())
    }
}

/// `WithdrawSol`: burns the vault's LST for SOL from the pool's reserve stake at the pool's own
/// rate, less its SOL-withdrawal fee. The pool must be updated for this epoch, and pays only
/// what its reserve holds above its minimum.
pub struct WithdrawSol<'a, 'info> {
    pub stake_pool_program: &'a AccountInfo<'info>,
    pub stake_pool: &'a AccountInfo<'info>,
    pub withdraw_authority: &'a AccountInfo<'info>,
    /// Owner of `pool_tokens_from` (the vault PDA; it signs).
    pub user_transfer_authority: &'a AccountInfo<'info>,
    pub pool_tokens_from: &'a AccountInfo<'info>,
    pub reserve_stake: &'a AccountInfo<'info>,
    pub lamports_to: &'a AccountInfo<'info>,
    pub manager_fee_account: &'a AccountInfo<'info>,
    pub pool_mint: &'a AccountInfo<'info>,
    pub clock: &'a AccountInfo<'info>,
    pub stake_history: &'a AccountInfo<'info>,
    pub stake_program: &'a AccountInfo<'info>,
    pub token_program: &'a AccountInfo<'info>,
}

impl WithdrawSol<'_, '_> {
    /// Burns `lst_amount` for at least `min_lamports_out` (the stake-pool program enforces it).
    pub fn invoke(&self, lst_amount: u64, min_lamports_out: u64, authority_seeds: &[&[u8]]) -> Result<()> {
        let ix = spl_stake_pool::instruction::withdraw_sol_with_slippage(
            self.stake_pool_program.key,
            self.stake_pool.key,
            self.withdraw_authority.key,
            self.user_transfer_authority.key,
            self.pool_tokens_from.key,
            self.reserve_stake.key,
            self.lamports_to.key,
            self.manager_fee_account.key,
            self.pool_mint.key,
            self.token_program.key,
            lst_amount,
            min_lamports_out,
        );
        invoke_signed(
            &ix,
            &[
                self.stake_pool.clone(),
                self.withdraw_authority.clone(),
                self.user_transfer_authority.clone(),
                self.pool_tokens_from.clone(),
                self.reserve_stake.clone(),
                self.lamports_to.clone(),
                self.manager_fee_account.clone(),
                self.pool_mint.clone(),
                self.clock.clone(),
                self.stake_history.clone(),
                self.stake_program.clone(),
                self.token_program.clone(),
                self.stake_pool_program.clone(),
            ],
            &[authority_seeds],
        )?;
        Ok(())
    }
}
