//! The allocator supplies idle LST to the lending market as the obligation's collateral. The
//! vault's equity in the market may not exceed `max_lending_alloc_bps` of its assets.
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::adapters::positions;
use crate::adapters::stake_pool;
use crate::errors::VaultError;
use crate::events::LendingMoved;
use crate::math::safe_math::{bps_of_floor, sub};
use crate::math::valuation::LendingPosition;
use crate::state::Vault;

use super::lending_accounts::*;

#[derive(Accounts)]
pub struct LendSupply<'info> {
    pub allocator: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = lst_account, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub lst_account: Box<Account<'info, TokenAccount>>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter.
    pub stake_pool: UncheckedAccount<'info>,
    pub lending: LendingAccounts<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<LendSupply>, lst_amount: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &accounts.vault;
    vault.require_allocator(accounts.allocator.key)?;
    vault.require_not_paused()?;
    require!(lst_amount > 0, VaultError::ZeroAmount);
    require!(lst_amount <= vault.accounting.lst_amount, VaultError::InsufficientReserve);
    let binding = accounts.lending.validate(vault, &vault_key)?;
    // Adds risk: only under the market owner the DAO bound.
    crate::adapters::lending::require_market_owner(&accounts.lending.core.lending_market, &binding)?;
    let now_unix = Clock::get()?.unix_timestamp;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;

    let vault_info = vault.to_account_info();
    let token_info = accounts.token_program.to_account_info();
    let cpi = accounts.lending.cpi(&vault_info, &token_info)?;
    let vault_seeds = vault.signer_seeds();
    let collateral_before = accounts.lending.health(&binding, &vault_key)?.collateral_lst;
    accounts.lending.supply_lst(&cpi, lst_amount, &accounts.lst_account.to_account_info(), &vault_seeds)?;

    // The LST left the vault's account and the collateral grew.
    let lst_before = accounts.lst_account.amount;
    accounts.lst_account.reload()?;
    require!(sub(lst_before, accounts.lst_account.amount)? == lst_amount, VaultError::BalanceMismatch);
    let health = accounts.lending.health(&binding, &vault_key)?;
    require!(health.collateral_lst >= collateral_before, VaultError::BalanceMismatch);

    let vault = &mut accounts.vault;
    vault.accounting.lst_amount = sub(vault.accounting.lst_amount, lst_amount)?;
    let positions = positions::with_lending(
        vault,
        LendingPosition { collateral_lst: health.collateral_lst, debt_lamports: health.debt_lamports },
        ctx.remaining_accounts,
        &rate,
    )?;
    let live_assets_lamports = vault.live_assets_lamports(&rate, &positions)?;
    let lending_equity_lamports =
        rate.lst_to_lamports_floor(health.collateral_lst)?.saturating_sub(health.debt_lamports);
    require!(
        lending_equity_lamports <= bps_of_floor(live_assets_lamports, vault.risk_params.max_lending_alloc_bps as u64)?,
        VaultError::LendingAllocationExceeded
    );
    emit!(LendingMoved {
        vault: vault_key,
        action: "supply".to_string(),
        amount: lst_amount,
        collateral_lst: health.collateral_lst,
        debt_lamports: health.debt_lamports,
        conservative_ltv_bps: 0,
        snapshot: vault.snapshot(&rate, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
