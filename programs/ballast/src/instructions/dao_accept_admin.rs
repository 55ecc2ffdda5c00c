use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::AdminAccepted;
use crate::state::Vault;

#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    pub pending_admin: Signer<'info>,
    #[account(mut, has_one = pending_admin @ VaultError::NotPendingAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<AcceptAdmin>) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    // The default key is "no transfer pending"; nobody can sign for it, but say so explicitly.
    require_keys_neq!(vault.pending_admin, Pubkey::default(), VaultError::NotPendingAdmin);
    vault.admin = vault.pending_admin;
    vault.pending_admin = Pubkey::default();
    emit!(AdminAccepted { vault: vault.key(), admin: vault.admin });
    Ok(())
}
