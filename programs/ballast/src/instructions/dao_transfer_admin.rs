//! First step of an admin hand-over: the new admin must accept, so a typo cannot orphan the vault.
use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::AdminTransferStarted;
use crate::state::Vault;

#[derive(Accounts)]
pub struct TransferAdmin<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<TransferAdmin>, new_admin: Pubkey) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    vault.pending_admin = new_admin;
    emit!(AdminTransferStarted { vault: vault.key(), pending_admin: new_admin });
    Ok(())
}
