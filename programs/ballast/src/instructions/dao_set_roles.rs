//! The admin names the guardian, the allocator and the fee recipient. None of these roles can
//! move depositors' funds out of the vault or change risk parameters.
use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::RolesSet;
use crate::state::Vault;

#[derive(Accounts)]
pub struct SetRoles<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<SetRoles>, guardian: Pubkey, allocator: Pubkey, fee_recipient: Pubkey) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    vault.guardian = guardian;
    vault.allocator = allocator;
    vault.fee_recipient = fee_recipient;
    emit!(RolesSet { vault: vault.key(), guardian, allocator, fee_recipient });
    Ok(())
}
