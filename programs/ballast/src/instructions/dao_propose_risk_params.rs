//! The admin proposes new risk parameters; they take effect no sooner than the current
//! timelock from now, so a change that shortens the timelock still waits the old one.
use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::RiskParamsProposed;
use crate::state::{PendingRiskParams, RiskParams, Vault};

#[derive(Accounts)]
pub struct ProposeRiskParams<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

pub fn handler(ctx: Context<ProposeRiskParams>, params: RiskParams) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    require!(vault.pending_risk_params.is_none(), VaultError::RiskParamsChangePending);
    params.validate()?;
    let eta_unix = Clock::get()?
        .unix_timestamp
        .checked_add(vault.risk_params.timelock_secs as i64)
        .ok_or(VaultError::MathOverflow)?;
    vault.pending_risk_params = Some(PendingRiskParams { params, eta_unix });
    emit!(RiskParamsProposed { vault: vault.key(), params, eta_unix });
    Ok(())
}
