use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::RiskParamsCancelled;
use crate::state::Vault;

#[derive(Accounts)]
pub struct CancelRiskParams<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<CancelRiskParams>) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    require!(vault.pending_risk_params.is_some(), VaultError::NoPendingRiskParams);
    vault.pending_risk_params = None;
    emit!(RiskParamsCancelled { vault: vault.key() });
    Ok(())
}
