//! The admin proposes the lending market `bind_lending` may bind once the timelock has passed:
//! checked now as it will be again at binding (a pinned oracle program, reserves in the market
//! that lend the vault's LST and SOL, the trigger below the borrow limit), so depositors who
//! see the proposal see what will be bound, and have the timelock to leave.
use anchor_lang::prelude::*;

use crate::adapters::lending;
use crate::errors::VaultError;
use crate::events::LendingProposed;
use crate::state::{eta_from_now, require_slot_free, PendingLending, Vault};

#[derive(Accounts)]
pub struct ProposeLending<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
    /// CHECK: decoded by the adapter (owned by a lending program the vault supports, prices from
    /// Pyth).
    pub lending_market: UncheckedAccount<'info>,
    /// CHECK: decoded by the adapter; must lend the vault's LST in this market.
    pub lst_reserve: UncheckedAccount<'info>,
    /// CHECK: decoded by the adapter; must lend SOL in this market.
    pub sol_reserve: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<ProposeLending>) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = &accounts.vault;
    require!(vault.lending.is_none(), VaultError::LendingAlreadyBound);
    let now_unix = Clock::get()?.unix_timestamp;
    require_slot_free(vault.pending_lending.map(|p| p.eta_unix), now_unix)?;
    lending::check_bindable(vault, &accounts.lending_market, &accounts.lst_reserve, &accounts.sol_reserve)?;
    let pending = PendingLending {
        market: accounts.lending_market.key(),
        lst_reserve: accounts.lst_reserve.key(),
        sol_reserve: accounts.sol_reserve.key(),
        eta_unix: eta_from_now(now_unix, vault.risk_params.timelock_secs)?,
    };
    accounts.vault.pending_lending = Some(pending);
    emit!(LendingProposed { vault: accounts.vault.key(), pending });
    Ok(())
}
