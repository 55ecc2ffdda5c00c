//! The guardian may pause at once; only the admin (the DAO) may unpause. A pause stops deposits
//! and risk-adding actions, never withdrawals.
use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::PauseSet;
use crate::state::Vault;

#[derive(Accounts)]
pub struct SetPause<'info> {
    pub authority: Signer<'info>,
    #[account(mut)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<SetPause>, paused: bool) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    let authority = ctx.accounts.authority.key();
    let allowed = authority == vault.admin || (paused && authority == vault.guardian);
    require!(allowed, VaultError::NotPauseAuthority);
    vault.paused = paused;
    emit!(PauseSet { vault: vault.key(), paused, by: authority });
    Ok(())
}
