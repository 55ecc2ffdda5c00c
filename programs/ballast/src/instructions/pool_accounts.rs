//! The pool accounts shared by the instructions that move the vault's liquidity.
use anchor_lang::prelude::*;

use crate::adapters::token_swap::{load_reserves, load_swap, PoolReserves, SwapCpi, TokenSwapProgram};
use crate::errors::VaultError;
use crate::state::{PoolBinding, Vault};

/// The pool accounts every instruction that trades with the pool needs (`unwind` takes only
/// these). Keys are checked against the vault's binding and the swap state in `validate`.
#[derive(Accounts)]
pub struct PoolCore<'info> {
    pub swap_program: Program<'info, TokenSwapProgram>,
    /// CHECK: must equal the binding's swap; decoded by the adapter.
    pub swap: UncheckedAccount<'info>,
    /// CHECK: the swap's authority PDA, derived from the swap's own bump and checked.
    pub swap_authority: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's pool mint.
    #[account(mut)]
    pub pool_mint: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's pool LST reserve.
    #[account(mut)]
    pub pool_lst: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's pool wSOL reserve.
    #[account(mut)]
    pub pool_wsol: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's pool fee account.
    #[account(mut)]
    pub pool_fee_account: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's wSOL account (a token account of the vault).
    #[account(mut)]
    pub wsol_account: UncheckedAccount<'info>,
}

/// The pool accounts of `pool_add` and `pool_remove`: the core and the vault's pool tokens.
#[derive(Accounts)]
pub struct PoolAccounts<'info> {
    pub core: PoolCore<'info>,
    /// CHECK: must equal the binding's pool-token account (a token account of the vault).
    #[account(mut)]
    pub pool_token_account: UncheckedAccount<'info>,
}

impl<'info> std::ops::Deref for PoolAccounts<'info> {
    type Target = PoolCore<'info>;
    fn deref(&self) -> &Self::Target {
        &self.core
    }
}

impl<'info> PoolAccounts<'info> {
    /// The vault's binding, after checking every account against it.
    pub fn validate(&self, vault: &Vault, cpi: &SwapCpi<'info>) -> Result<PoolBinding> {
        let binding = self.core.validate(vault, cpi)?;
        require_keys_eq!(self.pool_token_account.key(), binding.pool_token_account, VaultError::PoolAccountMismatch);
        Ok(binding)
    }
}

impl<'info> PoolCore<'info> {
    pub fn cpi(&self, vault: &AccountInfo<'info>, token_program: &AccountInfo<'info>) -> SwapCpi<'info> {
        SwapCpi {
            program: self.swap_program.to_account_info(),
            swap: self.swap.to_account_info(),
            authority: self.swap_authority.to_account_info(),
            pool_mint: self.pool_mint.to_account_info(),
            pool_lst: self.pool_lst.to_account_info(),
            pool_wsol: self.pool_wsol.to_account_info(),
            pool_fee_account: self.pool_fee_account.to_account_info(),
            token_program: token_program.clone(),
            vault: vault.clone(),
        }
    }

    /// The vault's binding, after checking every account against it. Errors if the vault has no
    /// pool.
    pub fn validate(&self, vault: &Vault, cpi: &SwapCpi<'info>) -> Result<PoolBinding> {
        let binding = *vault.require_pool()?;
        cpi.validate(&binding)?;
        require_keys_eq!(self.wsol_account.key(), binding.wsol_account, VaultError::PoolAccountMismatch);
        Ok(binding)
    }

    pub fn swap_state(&self, binding: &PoolBinding) -> Result<std::sync::Arc<dyn spl_token_swap::state::SwapState>> {
        load_swap(&self.swap, &binding.swap)
    }

    pub fn reserves(&self, binding: &PoolBinding) -> Result<PoolReserves> {
        load_reserves(
            &[self.pool_mint.to_account_info(), self.pool_lst.to_account_info(), self.pool_wsol.to_account_info()],
            binding,
        )
    }
}
