//! The admin proposes the LST/SOL pool `bind_pool` may bind once the timelock has passed,
//! checked now as it will be again at binding.
use anchor_lang::prelude::*;

use crate::adapters::token_swap;
use crate::errors::VaultError;
use crate::events::PoolProposed;
use crate::state::{eta_from_now, require_slot_free, PendingPool, Vault};

#[derive(Accounts)]
pub struct ProposePool<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
    /// CHECK: owned by the swap program and decoded by the adapter, which checks what it trades.
    pub swap: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<ProposePool>) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = &accounts.vault;
    require!(vault.pool.is_none(), VaultError::PoolAlreadyBound);
    let now_unix = Clock::get()?.unix_timestamp;
    require_slot_free(vault.pending_pool.map(|p| p.eta_unix), now_unix)?;
    let swap = accounts.swap.key();
    let state = token_swap::load_swap(&accounts.swap, &swap)?;
    token_swap::check_bindable(state.as_ref(), &vault.lst_mint)?;
    let pending = PendingPool { swap, eta_unix: eta_from_now(now_unix, vault.risk_params.timelock_secs)? };
    accounts.vault.pending_pool = Some(pending);
    emit!(PoolProposed { vault: accounts.vault.key(), pending });
    Ok(())
}
