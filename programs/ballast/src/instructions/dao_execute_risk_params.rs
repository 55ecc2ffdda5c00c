//! Applies a proposed change once its ETA has passed (and until `PROPOSAL_GRACE_SECS` after), checking the bounds again (the hard caps
//! may be stricter in a later program version than when the change was proposed). A change of
//! fees applies only right after a harvest (the same transaction or second): what accrued until
//! now is charged at the old rates. Locked profit keeps the unlock schedule it was booked with.
use anchor_lang::prelude::*;

use crate::adapters::lending;
use crate::errors::VaultError;
use crate::events::RiskParamsExecuted;
use crate::state::{require_executable, Vault};

#[derive(Accounts)]
pub struct ExecuteRiskParams<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
}

/// Remaining accounts: the bound market's LST reserve, once a market is bound (the unwind
/// trigger must stay below its liquidation threshold).
pub fn handler(ctx: Context<ExecuteRiskParams>) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    let pending = vault.pending_risk_params.ok_or(VaultError::NoPendingRiskParams)?;
    let now_unix = Clock::get()?.unix_timestamp;
    require_executable(pending.eta_unix, now_unix)?;
    pending.params.validate()?;
    let (old, new) = (&vault.risk_params, &pending.params);
    let fees_change =
        old.management_fee_bps != new.management_fee_bps || old.performance_fee_bps != new.performance_fee_bps;
    require!(!fees_change || vault.accounting.last_fee_accrual_unix == now_unix, VaultError::HarvestRequired);
    lending::check_params_for_market(vault, &pending.params, ctx.remaining_accounts)?;
    vault.risk_params = pending.params;
    vault.pending_risk_params = None;
    emit!(RiskParamsExecuted { vault: vault.key(), params: pending.params });
    Ok(())
}
