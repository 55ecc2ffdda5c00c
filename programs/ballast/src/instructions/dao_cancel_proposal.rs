//! The admin drops a pending proposal of any kind before it is executed; a cancelled change
//! never applies.
use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::ProposalCancelled;
use crate::state::{ProposalKind, Vault};

#[derive(Accounts)]
pub struct CancelProposal<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<CancelProposal>, kind: ProposalKind) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    let dropped = match kind {
        ProposalKind::RiskParams => vault.pending_risk_params.take().is_some(),
        ProposalKind::Lending => vault.pending_lending.take().is_some(),
        ProposalKind::Pool => vault.pending_pool.take().is_some(),
        ProposalKind::Roles => vault.pending_roles.take().is_some(),
    };
    require!(dropped, VaultError::NoPendingProposal);
    emit!(ProposalCancelled { vault: vault.key(), kind });
    Ok(())
}
