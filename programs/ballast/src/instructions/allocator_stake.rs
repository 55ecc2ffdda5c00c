//! The allocator turns reserve SOL into LST through the stake pool's `DepositSol`. The LST
//! booked is what actually arrived, and it must be worth what the pool's own rate promises
//! less at most `max_slippage_bps` (the pool's deposit fee included).
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::adapters::positions;
use crate::adapters::stake_pool;
use crate::errors::VaultError;
use crate::events::Staked;
use crate::math::safe_math::{bps_of_floor, sub};
use crate::state::Vault;

#[derive(Accounts)]
pub struct Stake<'info> {
    pub allocator: Signer<'info>,
    #[account(mut, has_one = sol_reserve, has_one = lst_account, has_one = stake_pool, has_one = lst_mint, has_one = share_mint)]
    pub vault: Box<Account<'info, Vault>>,
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    #[account(mut)]
    pub lst_account: Box<Account<'info, TokenAccount>>,
    /// CHECK: the vault's bound stake pool; decoded by the adapter, validated again by the pool.
    #[account(mut)]
    pub stake_pool: UncheckedAccount<'info>,
    /// CHECK: the pool's withdraw authority; the stake-pool program checks it against the pool.
    pub stake_pool_withdraw_authority: UncheckedAccount<'info>,
    /// CHECK: the pool's reserve stake; the stake-pool program checks it against the pool.
    #[account(mut)]
    pub reserve_stake: UncheckedAccount<'info>,
    /// CHECK: the pool's manager fee account; the stake-pool program checks it against the pool.
    #[account(mut)]
    pub manager_fee_account: UncheckedAccount<'info>,
    #[account(mut)]
    pub lst_mint: Box<Account<'info, Mint>>,
    /// CHECK: the vault's pinned stake-pool program.
    #[account(address = vault.stake_pool_program @ VaultError::StakePoolProgramMismatch)]
    pub stake_pool_program: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<Stake>, lamports: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = &accounts.vault;
    vault.require_allocator(accounts.allocator.key)?;
    vault.require_not_paused()?;
    require!(lamports > 0, VaultError::ZeroAmount);
    require!(lamports <= vault.accounting.reserve_lamports, VaultError::InsufficientReserve);

    let now_unix = Clock::get()?.unix_timestamp;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    let (positions, _) = positions::load(vault, &accounts.vault.key(), ctx.remaining_accounts, &rate)?;
    let live_assets_lamports = vault.live_assets_lamports(&rate, &positions)?;
    let min_reserve_lamports = bps_of_floor(live_assets_lamports, vault.risk_params.min_sol_reserve_bps as u64)?;
    require!(sub(vault.accounting.reserve_lamports, lamports)? >= min_reserve_lamports, VaultError::MinReserveBreached);
    let expected_lst = rate.lamports_to_lst_floor(lamports)?;
    let min_lst = sub(expected_lst, bps_of_floor(expected_lst, vault.risk_params.max_slippage_bps as u64)?)?;

    let lst_before = accounts.lst_account.amount;
    let vault_key = vault.key();
    let reserve_seeds = vault.sol_reserve_seeds(&vault_key);
    stake_pool::DepositSol {
        stake_pool_program: &accounts.stake_pool_program.to_account_info(),
        stake_pool: &accounts.stake_pool.to_account_info(),
        withdraw_authority: &accounts.stake_pool_withdraw_authority.to_account_info(),
        reserve_stake: &accounts.reserve_stake.to_account_info(),
        lamports_from: &accounts.sol_reserve.to_account_info(),
        pool_tokens_to: &accounts.lst_account.to_account_info(),
        manager_fee_account: &accounts.manager_fee_account.to_account_info(),
        pool_mint: &accounts.lst_mint.to_account_info(),
        system_program: &accounts.system_program.to_account_info(),
        token_program: &accounts.token_program.to_account_info(),
    }
    .invoke(lamports, &reserve_seeds)?;

    accounts.lst_account.reload()?;
    let lst_received = sub(accounts.lst_account.amount, lst_before)?;
    require!(lst_received >= min_lst && lst_received > 0, VaultError::StakeDepositShortfall);

    let vault = &mut accounts.vault;
    vault.accounting.record_stake(lamports, lst_received)?;
    // Value the holdings at the rate after the deposit, which the pool has just moved.
    let rate_after = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    emit!(Staked {
        vault: vault_key,
        lamports,
        lst_received,
        snapshot: vault.snapshot(&rate_after, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
