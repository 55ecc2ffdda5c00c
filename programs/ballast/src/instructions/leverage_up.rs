//! One loop step: borrow SOL against the LST collateral, stake it into LST through the stake
//! pool, supply that LST as more collateral. Risk-adding, so it needs fresh, confident prices
//! for the right feeds, a market LST/SOL price near the stake-pool rate, and afterwards a
//! conservative LTV within the band, leverage within its cap and a borrow inside the market's
//! own limit. Several steps may share one transaction.
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::adapters::positions;
use crate::adapters::stake_pool;
use crate::adapters::wsol::{token_amount, WsolAccounts};
use crate::constants::seeds;
use crate::errors::VaultError;
use crate::events::LendingMoved;
use crate::math::health::{conservative_ltv_bps_ceil, leverage_bps_ceil};
use crate::math::safe_math::{add, bps_of_floor, sub};
use crate::math::unwind::market_ltv_bps_ceil;
use crate::math::valuation::LendingPosition;
use crate::oracle;
use crate::state::Vault;

use super::lending_accounts::*;

#[derive(Accounts)]
pub struct LeverageUp<'info> {
    pub allocator: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = sol_reserve, has_one = lst_account, has_one = stake_pool, has_one = lst_mint)]
    pub vault: Box<Account<'info, Vault>>,
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    #[account(mut)]
    pub lst_account: Box<Account<'info, TokenAccount>>,
    /// CHECK: the vault's bound stake pool; decoded by the adapter, validated again by the pool.
    #[account(mut)]
    pub stake_pool: UncheckedAccount<'info>,
    /// CHECK: checked by the stake-pool program against the pool.
    pub stake_pool_withdraw_authority: UncheckedAccount<'info>,
    /// CHECK: checked by the stake-pool program against the pool.
    #[account(mut)]
    pub stake_pool_reserve_stake: UncheckedAccount<'info>,
    /// CHECK: checked by the stake-pool program against the pool.
    #[account(mut)]
    pub stake_pool_manager_fee_account: UncheckedAccount<'info>,
    #[account(mut)]
    pub lst_mint: Box<Account<'info, Mint>>,
    /// CHECK: the vault's pinned stake-pool program.
    #[account(address = vault.stake_pool_program @ VaultError::StakePoolProgramMismatch)]
    pub stake_pool_program: UncheckedAccount<'info>,
    pub lending: LendingAccounts<'info>,
    #[account(address = anchor_spl::token::spl_token::native_mint::ID)]
    pub native_mint: Box<Account<'info, Mint>>,
    /// CHECK: Pyth `PriceUpdateV2` for SOL/USD; checked by the oracle module.
    pub sol_usd_price: UncheckedAccount<'info>,
    /// CHECK: Pyth `PriceUpdateV2` for LST/USD; checked by the oracle module.
    pub lst_usd_price: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<LeverageUp>, borrow_lamports: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &accounts.vault;
    vault.require_allocator(accounts.allocator.key)?;
    vault.require_not_paused()?;
    require!(borrow_lamports > 0, VaultError::ZeroAmount);
    let binding = accounts.lending.validate(vault, &vault_key)?;
    // Adds risk: only under the market owner the DAO bound.
    crate::adapters::lending::require_market_owner(&accounts.lending.core.lending_market, &binding)?;
    let params = vault.risk_params;
    let now_unix = Clock::get()?.unix_timestamp;

    // Prices first: nothing moves unless both feeds pass every check.
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    let collateral_sol_per_lst =
        oracle::risk_adding_collateral_price(&accounts.sol_usd_price, &accounts.lst_usd_price, vault, &rate)?;

    let vault_info = vault.to_account_info();
    let token_info = accounts.token_program.to_account_info();
    let cpi = accounts.lending.cpi(&vault_info, &token_info)?;
    let vault_seeds = vault.signer_seeds();
    let reserve_seeds = vault.sol_reserve_seeds(&vault_key);
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

    // 1. Borrow SOL (as wSOL), at par, then unwrap it into the reserve.
    cpi.refresh_all()?;
    accounts.lending.borrow_sol_at_par(&cpi, &binding, &vault_key, borrow_lamports, &vault_seeds)?;
    require!(token_amount(&accounts.lending.wsol_account)? == borrow_lamports, VaultError::BalanceMismatch);
    let reserve_before = accounts.sol_reserve.lamports();
    wsol.unwrap_all(&vault_seeds, &reserve_seeds, &wsol_seeds)?;
    require!(sub(accounts.sol_reserve.lamports(), reserve_before)? == borrow_lamports, VaultError::BalanceMismatch);

    // 2. Stake it.
    let min_lst = {
        let expected = rate.lamports_to_lst_floor(borrow_lamports)?;
        sub(expected, bps_of_floor(expected, params.max_slippage_bps as u64)?)?
    };
    let lst_before = accounts.lst_account.amount;
    stake_pool::DepositSol {
        stake_pool_program: &accounts.stake_pool_program.to_account_info(),
        stake_pool: &accounts.stake_pool.to_account_info(),
        withdraw_authority: &accounts.stake_pool_withdraw_authority.to_account_info(),
        reserve_stake: &accounts.stake_pool_reserve_stake.to_account_info(),
        lamports_from: &accounts.sol_reserve.to_account_info(),
        pool_tokens_to: &accounts.lst_account.to_account_info(),
        manager_fee_account: &accounts.stake_pool_manager_fee_account.to_account_info(),
        pool_mint: &accounts.lst_mint.to_account_info(),
        system_program: &accounts.system_program.to_account_info(),
        token_program: &token_info,
    }
    .invoke(borrow_lamports, &reserve_seeds)?;
    accounts.lst_account.reload()?;
    let lst_received = sub(accounts.lst_account.amount, lst_before)?;
    require!(lst_received >= min_lst && lst_received > 0, VaultError::StakeDepositShortfall);

    // 3. Supply it as collateral.
    accounts.lending.supply_lst(&cpi, lst_received, &accounts.lst_account.to_account_info(), &vault_seeds)?;
    accounts.lst_account.reload()?;
    require!(accounts.lst_account.amount == lst_before, VaultError::BalanceMismatch);

    // 4. Health after: the market's own limit, then the vault's stricter ones.
    let health = accounts.lending.health(&binding, &vault_key)?;
    require!(health.borrowed_value <= health.allowed_borrow_value, VaultError::BorrowLimitExceeded);
    let ltv_bps = conservative_ltv_bps_ceil(health.debt_lamports, health.collateral_lst, collateral_sol_per_lst)?;
    require!(ltv_bps <= params.target_ltv_high_bps as u64, VaultError::LtvAboveMax);
    // The market's own LTV (its oracles, which may lag or differ from the vault's feeds) is what
    // its liquidation and the unwind trigger read: it too stays within the band.
    require!(
        market_ltv_bps_ceil(health.borrowed_value, health.deposited_value)? <= params.target_ltv_high_bps as u64,
        VaultError::MarketLtvAboveBand
    );
    let vault = &accounts.vault;
    let held_lst = add(vault.accounting.lst_amount, health.collateral_lst)?;
    let exposure_lamports: u64 = add(
        vault.accounting.reserve_lamports,
        fixed::types::U64F64::from_num(held_lst)
            .checked_mul(collateral_sol_per_lst)
            .ok_or_else(crate::math::safe_math::overflow)?
            .to_num(),
    )?;
    require!(
        leverage_bps_ceil(exposure_lamports, health.debt_lamports)? <= params.max_leverage_bps as u64,
        VaultError::LeverageAboveMax
    );

    let positions = positions::with_lending(
        vault,
        LendingPosition { collateral_lst: health.collateral_lst, debt_lamports: health.debt_lamports },
        ctx.remaining_accounts,
        &rate,
    )?;
    let rate_after = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    emit!(LendingMoved {
        vault: vault_key,
        action: "leverage_up".to_string(),
        amount: borrow_lamports,
        collateral_lst: health.collateral_lst,
        debt_lamports: health.debt_lamports,
        conservative_ltv_bps: ltv_bps,
        snapshot: vault.snapshot(&rate_after, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
