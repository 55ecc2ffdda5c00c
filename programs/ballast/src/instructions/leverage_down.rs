//! The allocator repays SOL debt from the reserve. Risk-reducing: it reads no price, so it works
//! with a stale or missing oracle and while paused.
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};

use crate::adapters::positions;
use crate::adapters::stake_pool;
use crate::adapters::wsol::{token_amount, WsolAccounts};
use crate::constants::seeds;
use crate::errors::VaultError;
use crate::events::LendingMoved;
use crate::math::safe_math::sub;
use crate::math::valuation::LendingPosition;
use crate::state::Vault;

use super::lending_accounts::*;

#[derive(Accounts)]
pub struct Deleverage<'info> {
    pub allocator: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = sol_reserve, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter.
    pub stake_pool: UncheckedAccount<'info>,
    pub lending: LendingAccounts<'info>,
    #[account(address = anchor_spl::token::spl_token::native_mint::ID)]
    pub native_mint: Box<Account<'info, Mint>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<Deleverage>, repay_lamports: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &accounts.vault;
    vault.require_allocator(accounts.allocator.key)?;
    require!(repay_lamports > 0, VaultError::ZeroAmount);
    let binding = accounts.lending.validate(vault, &vault_key)?;
    let now_unix = Clock::get()?.unix_timestamp;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;

    let vault_info = vault.to_account_info();
    let token_info = accounts.token_program.to_account_info();
    let cpi = accounts.lending.cpi(&vault_info, &token_info)?;
    let vault_seeds = vault.signer_seeds();
    let reserve_seeds = vault.sol_reserve_seeds(&vault_key);

    cpi.refresh_all()?;
    let debt_before = accounts.lending.health(&binding, &vault_key)?.debt_lamports;
    let repay = repay_lamports.min(debt_before);
    require!(repay > 0, VaultError::ZeroAmount);
    require!(repay <= vault.accounting.reserve_lamports, VaultError::InsufficientReserve);

    let wsol_bump = Pubkey::find_program_address(&[seeds::WSOL_ACCOUNT, vault_key.as_ref()], &crate::ID).1;
    let wsol_seeds: [&[u8]; 3] = [seeds::WSOL_ACCOUNT, vault_key.as_ref(), &[wsol_bump]];
    let wsol = WsolAccounts {
        wsol_account: &accounts.lending.wsol_account.to_account_info(),
        native_mint: &accounts.native_mint.to_account_info(),
        sol_reserve: &accounts.sol_reserve.to_account_info(),
        vault: &vault_info,
        token_program: &token_info,
        system_program: &accounts.system_program.to_account_info(),
    };
    wsol.sweep_donations(&vault_seeds, &reserve_seeds, &wsol_seeds)?;
    wsol.wrap(repay, &reserve_seeds)?;
    // Repaying everything settles the fractional interest too; the lending program rounds that up
    // to the same `debt_before` this vault computed.
    let amount = if repay == debt_before { u64::MAX } else { repay };
    cpi.repay_sol(
        amount,
        &accounts.lending.wsol_account.to_account_info(),
        &accounts.lending.sol_reserve_liquidity_supply.to_account_info(),
        &vault_seeds,
    )?;
    require!(token_amount(&accounts.lending.wsol_account)? == 0, VaultError::BalanceMismatch);

    let health = accounts.lending.health(&binding, &vault_key)?;
    require!(sub(debt_before, health.debt_lamports)? == repay, VaultError::BalanceMismatch);
    let vault = &mut accounts.vault;
    vault.accounting.reserve_lamports = sub(vault.accounting.reserve_lamports, repay)?;

    let positions = positions::with_lending(
        vault,
        LendingPosition { collateral_lst: health.collateral_lst, debt_lamports: health.debt_lamports },
        ctx.remaining_accounts,
        &rate,
    )?;
    emit!(LendingMoved {
        vault: vault_key,
        action: "deleverage".to_string(),
        amount: repay,
        collateral_lst: health.collateral_lst,
        debt_lamports: health.debt_lamports,
        conservative_ltv_bps: 0,
        snapshot: vault.snapshot(&rate, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
