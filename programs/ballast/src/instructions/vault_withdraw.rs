//! A shareholder burns shares and is paid SOL from the reserve, priced from the ledger and
//! rounded down. The withdrawal fee stays in the vault for the remaining depositors.
use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token::{self, Burn, Mint, Token, TokenAccount};

use crate::adapters::{stake_pool, token_lending};
use crate::errors::VaultError;
use crate::events::Withdrawn;
use crate::math::safe_math::{bps_of_ceil, sub};
use crate::math::shares::lamports_for_shares_floor;
use crate::state::Vault;

#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub owner: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = sol_reserve, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter.
    pub stake_pool: UncheckedAccount<'info>,
    #[account(mut, token::mint = share_mint, token::authority = owner)]
    pub owner_shares: Box<Account<'info, TokenAccount>>,
    /// Receives the SOL.
    #[account(mut, constraint = recipient.key() != sol_reserve.key() @ VaultError::DuplicateAccount)]
    pub recipient: SystemAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Withdrawals are never blocked by a pause: depositors can always leave.
pub fn handler(ctx: Context<Withdraw>, shares: u64, min_lamports_out: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = &accounts.vault;
    require!(shares > 0, VaultError::ZeroAmount);

    let now_unix = Clock::get()?.unix_timestamp;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, &vault.stake_pool, &vault.lst_mint)?;
    let lending = token_lending::position(vault, &accounts.vault.key(), ctx.remaining_accounts)?;
    let free_assets_lamports = vault.free_assets_lamports(&rate, &lending, now_unix)?;
    let gross_lamports = lamports_for_shares_floor(shares, accounts.share_mint.supply, free_assets_lamports)?;
    let fee_lamports = bps_of_ceil(gross_lamports, vault.risk_params.withdrawal_fee_bps as u64)?;
    let lamports = sub(gross_lamports, fee_lamports)?;
    require!(lamports > 0, VaultError::ZeroLamportsOut);
    require!(lamports >= min_lamports_out, VaultError::MinLamportsOutNotMet);
    require!(lamports <= vault.accounting.reserve_lamports, VaultError::InsufficientReserve);

    token::burn(
        CpiContext::new(
            accounts.token_program.to_account_info(),
            Burn {
                mint: accounts.share_mint.to_account_info(),
                from: accounts.owner_shares.to_account_info(),
                authority: accounts.owner.to_account_info(),
            },
        ),
        shares,
    )?;
    let vault_key = vault.key();
    let reserve_seeds = vault.sol_reserve_seeds(&vault_key);
    system_program::transfer(
        CpiContext::new_with_signer(
            accounts.system_program.to_account_info(),
            system_program::Transfer {
                from: accounts.sol_reserve.to_account_info(),
                to: accounts.recipient.to_account_info(),
            },
            &[&reserve_seeds],
        ),
        lamports,
    )?;

    let vault = &mut accounts.vault;
    vault.accounting.record_withdrawal(lamports)?;
    accounts.share_mint.reload()?;
    emit!(Withdrawn {
        vault: vault_key,
        owner: accounts.owner.key(),
        shares,
        lamports,
        fee_lamports,
        snapshot: vault.snapshot(&rate, &lending, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
