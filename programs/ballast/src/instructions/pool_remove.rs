//! The allocator burns pool tokens for the vault's share of both reserves
//! (`WithdrawAllTokenTypes`). It reduces risk, so it reads no prices and works while paused;
//! what comes back must be worth the tokens' share at the stake-pool rate less
//! `max_slippage_bps`.
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::adapters::wsol::{token_amount, WsolAccounts};
use crate::adapters::{positions, stake_pool};
use crate::errors::VaultError;
use crate::events::PoolMoved;
use crate::math::safe_math::{add, bps_of_ceil, sub};
use crate::math::valuation::Positions;
use crate::state::Vault;

use super::pool_accounts::*;

#[derive(Accounts)]
pub struct PoolRemove<'info> {
    pub allocator: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = sol_reserve, has_one = lst_account, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    #[account(mut)]
    pub lst_account: Box<Account<'info, TokenAccount>>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter.
    pub stake_pool: UncheckedAccount<'info>,
    pub pool: PoolAccounts<'info>,
    #[account(address = anchor_spl::token::spl_token::native_mint::ID)]
    pub native_mint: Box<Account<'info, Mint>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Remaining accounts: `[obligation, LST reserve, SOL reserve]` once lending is bound.
pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, PoolRemove<'info>>, pool_tokens: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &accounts.vault;
    vault.require_allocator(accounts.allocator.key)?;
    require!(pool_tokens > 0, VaultError::ZeroAmount);
    require!(pool_tokens <= vault.accounting.pool_tokens, VaultError::InsufficientHoldings);
    let params = vault.risk_params;
    let now_unix = Clock::get()?.unix_timestamp;

    let vault_info = vault.to_account_info();
    let token_program = accounts.token_program.to_account_info();
    let cpi = accounts.pool.cpi(&vault_info, &token_program);
    let binding = accounts.pool.validate(vault, &cpi)?;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    let reserves = accounts.pool.reserves(&binding)?;
    let (share_lst, share_lamports) = reserves.share_of(pool_tokens)?;
    let share_value_lamports = add(share_lamports, rate.lst_to_lamports_floor(share_lst)?)?;
    let min_value_lamports =
        sub(share_value_lamports, bps_of_ceil(share_value_lamports, params.max_slippage_bps as u64)?)?;

    let vault_seeds = vault.signer_seeds();
    let lst_before = accounts.lst_account.amount;
    let pool_tokens_before = token_amount(&accounts.pool.pool_token_account)?;
    let wsol_account = accounts.pool.wsol_account.to_account_info();
    let wsol_before = token_amount(&wsol_account)?;
    // The pool's own minimums are the proportional share less the slippage bound on each side;
    // the value check below is the one that matters.
    cpi.withdraw_all(
        pool_tokens,
        sub(share_lst, bps_of_ceil(share_lst, params.max_slippage_bps as u64)?)?,
        sub(share_lamports, bps_of_ceil(share_lamports, params.max_slippage_bps as u64)?)?,
        &accounts.pool.pool_token_account.to_account_info(),
        &accounts.lst_account.to_account_info(),
        &wsol_account,
        &vault_seeds,
    )?;
    accounts.lst_account.reload()?;
    let lst_out = sub(accounts.lst_account.amount, lst_before)?;
    let lamports_out = sub(token_amount(&wsol_account)?, wsol_before)?;
    let pool_tokens_burned = sub(pool_tokens_before, token_amount(&accounts.pool.pool_token_account)?)?;
    require!(pool_tokens_burned == pool_tokens, VaultError::BalanceMismatch);
    let value_out_lamports = add(lamports_out, rate.lst_to_lamports_floor(lst_out)?)?;
    require!(value_out_lamports >= min_value_lamports, VaultError::SlippageExceeded);

    let reserve_seeds = vault.sol_reserve_seeds(&vault_key);
    WsolAccounts {
        wsol_account: &wsol_account,
        native_mint: &accounts.native_mint.to_account_info(),
        sol_reserve: &accounts.sol_reserve.to_account_info(),
        vault: &vault_info,
        token_program: &token_program,
        system_program: &accounts.system_program.to_account_info(),
    }
    .unwrap_all(&vault_seeds, &reserve_seeds, &binding.wsol_seeds(&vault_key))?;

    let vault = &mut accounts.vault;
    vault.accounting.record_pool_remove(pool_tokens, lst_out, lamports_out)?;
    let (lending, _) = positions::lending(vault, &vault_key, ctx.remaining_accounts)?;
    let pool_position = accounts.pool.reserves(&binding)?.position(vault.accounting.pool_tokens, binding.amp, &rate)?;
    let positions = Positions { lending, pool: pool_position };
    emit!(PoolMoved {
        vault: vault_key,
        action: "remove".to_string(),
        pool_tokens,
        lst_amount: lst_out,
        lamports: lamports_out,
        vault_pool_tokens: vault.accounting.pool_tokens,
        pool_value_lamports: pool_position.value_lamports,
        snapshot: vault.snapshot(&rate, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
