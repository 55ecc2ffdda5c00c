//! The admin proposes new risk parameters; they take effect no sooner than the current
//! timelock from now, so a change that shortens the timelock still waits the old one.
use anchor_lang::prelude::*;

use crate::adapters::lending;
use crate::errors::VaultError;
use crate::events::RiskParamsProposed;
use crate::state::{eta_from_now, require_slot_free, PendingRiskParams, RiskParams, Vault};

#[derive(Accounts)]
pub struct ProposeRiskParams<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

/// Remaining accounts: the bound market's LST reserve, once a market is bound (the unwind
/// trigger must stay below its liquidation threshold).
pub fn handler(ctx: Context<ProposeRiskParams>, params: RiskParams) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    let now_unix = Clock::get()?.unix_timestamp;
    require_slot_free(vault.pending_risk_params.map(|p| p.eta_unix), now_unix)
        .map_err(|_| error!(VaultError::RiskParamsChangePending))?;
    params.validate()?;
    lending::check_params_for_market(vault, &params, ctx.remaining_accounts)?;
    let eta_unix = eta_from_now(now_unix, vault.risk_params.timelock_secs)?;
    vault.pending_risk_params = Some(PendingRiskParams { params, eta_unix });
    emit!(RiskParamsProposed { vault: vault.key(), params, eta_unix });
    Ok(())
}
