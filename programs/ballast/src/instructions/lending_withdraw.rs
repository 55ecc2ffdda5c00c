//! The allocator takes LST collateral back out of the lending market (withdraw the cTokens from
//! the obligation, redeem them for LST). With no debt this reduces risk and reads no price; with
//! debt it raises the LTV, so it is risk-adding: fresh prices, the depeg guard and the LTV band
//! apply, as for `leverage_up`.
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::adapters::positions;
use crate::adapters::stake_pool;
use crate::adapters::wsol::token_amount;
use crate::errors::VaultError;
use crate::events::LendingMoved;
use crate::math::health::conservative_ltv_bps_ceil;
use crate::math::safe_math::{add, sub};
use crate::math::unwind::market_ltv_bps_ceil;
use crate::math::valuation::LendingPosition;
use crate::oracle;
use crate::state::Vault;

use super::lending_accounts::*;

#[derive(Accounts)]
pub struct LendWithdraw<'info> {
    pub allocator: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = lst_account, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub lst_account: Box<Account<'info, TokenAccount>>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter.
    pub stake_pool: UncheckedAccount<'info>,
    pub lending: LendingAccounts<'info>,
    /// CHECK: Pyth `PriceUpdateV2` for SOL/USD; read only when the vault has debt.
    pub sol_usd_price: UncheckedAccount<'info>,
    /// CHECK: Pyth `PriceUpdateV2` for LST/USD; read only when the vault has debt.
    pub lst_usd_price: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<LendWithdraw>, ctokens: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &accounts.vault;
    vault.require_allocator(accounts.allocator.key)?;
    require!(ctokens > 0, VaultError::ZeroAmount);
    let binding = accounts.lending.validate(vault, &vault_key)?;
    let params = vault.risk_params;
    let now_unix = Clock::get()?.unix_timestamp;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;

    let vault_info = vault.to_account_info();
    let token_info = accounts.token_program.to_account_info();
    let cpi = accounts.lending.cpi(&vault_info, &token_info)?;
    let vault_seeds = vault.signer_seeds();

    cpi.refresh_all()?;
    let has_debt = accounts.lending.health(&binding, &vault_key)?.debt_lamports > 0;
    // With debt, withdrawing collateral adds risk: prices are needed before anything moves.
    let collateral_sol_per_lst = if has_debt {
        vault.require_not_paused()?;
        Some(oracle::risk_adding_collateral_price(&accounts.sol_usd_price, &accounts.lst_usd_price, vault, &rate)?)
    } else {
        None
    };

    let ctokens_before = token_amount(&accounts.lending.collateral_account)?;
    cpi.withdraw_obligation_collateral(
        ctokens,
        &accounts.lending.lst_reserve_collateral_supply.to_account_info(),
        &accounts.lending.collateral_account.to_account_info(),
        &vault_seeds,
    )?;
    require!(
        sub(token_amount(&accounts.lending.collateral_account)?, ctokens_before)? == ctokens,
        VaultError::BalanceMismatch
    );
    let lst_before = accounts.lst_account.amount;
    cpi.refresh_lst_reserve()?;
    cpi.redeem_reserve_collateral(
        ctokens,
        &accounts.lending.collateral_account.to_account_info(),
        &accounts.lst_account.to_account_info(),
        &accounts.lending.lst_reserve_collateral_mint.to_account_info(),
        &accounts.lending.lst_reserve_liquidity_supply.to_account_info(),
        &vault_seeds,
    )?;
    accounts.lst_account.reload()?;
    let lst_received = sub(accounts.lst_account.amount, lst_before)?;
    require!(token_amount(&accounts.lending.collateral_account)? == ctokens_before, VaultError::BalanceMismatch);

    let health = accounts.lending.health(&binding, &vault_key)?;
    let ltv_bps = match collateral_sol_per_lst {
        Some(price) => {
            let ltv_bps = conservative_ltv_bps_ceil(health.debt_lamports, health.collateral_lst, price)?;
            require!(ltv_bps <= params.target_ltv_high_bps as u64, VaultError::LtvAboveMax);
            let market_ltv_bps = market_ltv_bps_ceil(health.borrowed_value, health.deposited_value)?;
            require!(market_ltv_bps <= params.target_ltv_high_bps as u64, VaultError::MarketLtvAboveBand);
            ltv_bps
        }
        None => 0,
    };

    let vault = &mut accounts.vault;
    vault.accounting.lst_amount = add(vault.accounting.lst_amount, lst_received)?;
    let positions = positions::with_lending(
        vault,
        LendingPosition { collateral_lst: health.collateral_lst, debt_lamports: health.debt_lamports },
        ctx.remaining_accounts,
        &rate,
    )?;
    emit!(LendingMoved {
        vault: vault_key,
        action: "withdraw".to_string(),
        amount: lst_received,
        collateral_lst: health.collateral_lst,
        debt_lamports: health.debt_lamports,
        conservative_ltv_bps: ltv_bps,
        snapshot: vault.snapshot(&rate, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
