//! The admin proposes the guardian, the allocator and the fee recipient; `set_roles` applies
//! them once the timelock has passed (the allocator moves assets within the risk parameters,
//! so a new one waits like a parameter change).
use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::RolesProposed;
use crate::state::{eta_from_now, require_slot_free, PendingRoles, Vault};

#[derive(Accounts)]
pub struct ProposeRoles<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<ProposeRoles>, guardian: Pubkey, allocator: Pubkey, fee_recipient: Pubkey) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    let now_unix = Clock::get()?.unix_timestamp;
    require_slot_free(vault.pending_roles.map(|p| p.eta_unix), now_unix)?;
    let pending = PendingRoles {
        guardian,
        allocator,
        fee_recipient,
        eta_unix: eta_from_now(now_unix, vault.risk_params.timelock_secs)?,
    };
    vault.pending_roles = Some(pending);
    emit!(RolesProposed { vault: vault.key(), pending });
    Ok(())
}
