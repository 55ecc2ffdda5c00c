//! Applies the roles proposed with `propose_roles`, once the timelock has passed and before the
//! proposal expires. None of these roles can move depositors' funds out of the vault or change
//! risk parameters.
use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::RolesSet;
use crate::state::{require_executable, Vault};

#[derive(Accounts)]
pub struct SetRoles<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<SetRoles>) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    let pending = vault.pending_roles.ok_or(VaultError::NoPendingProposal)?;
    require_executable(pending.eta_unix, Clock::get()?.unix_timestamp)?;
    vault.guardian = pending.guardian;
    vault.allocator = pending.allocator;
    vault.fee_recipient = pending.fee_recipient;
    vault.pending_roles = None;
    emit!(RolesSet {
        vault: vault.key(),
        guardian: pending.guardian,
        allocator: pending.allocator,
        fee_recipient: pending.fee_recipient
    });
    Ok(())
}
