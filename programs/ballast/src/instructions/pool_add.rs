//! The allocator adds LST and SOL to the bound pool in the pool's own proportion
//! (`DepositAllTokenTypes`) for an exact number of pool tokens. Adding risk: both price feeds
//! must pass, the pool's own price must sit within `max_slippage_bps` of the stake-pool rate, the
//! vault's value may not drop by more than `max_slippage_bps` of what went in, its pool share may
//! not exceed `max_pool_alloc_bps` of assets, and the SOL reserve may not fall below
//! `min_sol_reserve_bps`.
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::adapters::wsol::{token_amount, WsolAccounts};
use crate::adapters::{positions, stake_pool};
use crate::errors::VaultError;
use crate::events::PoolMoved;
use crate::math::safe_math::{add, bps_of_ceil, bps_of_floor, sub};
use crate::math::valuation::Positions;
use crate::oracle;
use crate::state::Vault;

use super::pool_accounts::*;

#[derive(Accounts)]
pub struct PoolAdd<'info> {
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
    /// CHECK: Pyth `PriceUpdateV2` for SOL/USD; checked by the oracle module.
    pub sol_usd_price: UncheckedAccount<'info>,
    /// CHECK: Pyth `PriceUpdateV2` for LST/USD; checked by the oracle module.
    pub lst_usd_price: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Remaining accounts: `[obligation, LST reserve, SOL reserve]` once lending is bound.
pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, PoolAdd<'info>>, pool_tokens: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault_key = accounts.vault.key();
    let vault = &accounts.vault;
    vault.require_allocator(accounts.allocator.key)?;
    vault.require_not_paused()?;
    require!(pool_tokens > 0, VaultError::ZeroAmount);
    let params = vault.risk_params;
    let now_unix = Clock::get()?.unix_timestamp;

    let vault_info = vault.to_account_info();
    let token_program = accounts.token_program.to_account_info();
    let cpi = accounts.pool.cpi(&vault_info, &token_program);
    let binding = accounts.pool.validate(vault, &cpi)?;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    oracle::risk_adding_collateral_price(&accounts.sol_usd_price, &accounts.lst_usd_price, vault, &rate)?;
    let state = accounts.pool.swap_state(&binding)?;
    let reserves = accounts.pool.reserves(&binding)?;
    // Liquidity added where the pool's price is off the rate is valued above what it is worth
    // once the price comes back (the one who pushed it takes the difference): the band is the
    // same `max_slippage_bps` the vault accepts on any conversion, not the wider depeg bound.
    reserves.check_price_near_rate(state.as_ref(), &rate, params.max_slippage_bps)?;

    let (lst_in, lamports_in) = reserves.deposit_cost(state.as_ref(), pool_tokens)?;
    require!(lst_in <= vault.accounting.lst_amount, VaultError::InsufficientHoldings);
    require!(lamports_in <= vault.accounting.reserve_lamports, VaultError::InsufficientReserve);
    let (lending, _) = positions::lending(vault, &vault_key, ctx.remaining_accounts)?;
    let before = Positions { lending, pool: reserves.position(vault.accounting.pool_tokens, binding.amp, &rate)? };
    let live_before_lamports = vault.live_assets_lamports(&rate, &before)?;

    let vault_seeds = vault.signer_seeds();
    let reserve_seeds = vault.sol_reserve_seeds(&vault_key);
    let wsol = WsolAccounts {
        wsol_account: &accounts.pool.wsol_account.to_account_info(),
        native_mint: &accounts.native_mint.to_account_info(),
        sol_reserve: &accounts.sol_reserve.to_account_info(),
        vault: &vault_info,
        token_program: &token_program,
        system_program: &accounts.system_program.to_account_info(),
    };
    let wsol_seeds = binding.wsol_seeds(&vault_key);
    wsol.sweep_donations(&vault_seeds, &reserve_seeds, &wsol_seeds)?;
    let pool_tokens_before = token_amount(&accounts.pool.pool_token_account)?;
    let lst_before = accounts.lst_account.amount;
    wsol.wrap(lamports_in, &reserve_seeds)?;
    cpi.deposit_all(
        pool_tokens,
        lst_in,
        lamports_in,
        &accounts.lst_account.to_account_info(),
        wsol.wsol_account,
        &accounts.pool.pool_token_account.to_account_info(),
        &vault_seeds,
    )?;
    // Whatever the pool did not take goes back to the reserve.
    let lamports_left = token_amount(wsol.wsol_account)?;
    if lamports_left > 0 {
        wsol.unwrap_all(&vault_seeds, &reserve_seeds, &wsol_seeds)?;
    }
    accounts.lst_account.reload()?;
    let lst_spent = sub(lst_before, accounts.lst_account.amount)?;
    let lamports_spent = sub(lamports_in, lamports_left)?;
    let pool_tokens_received = sub(token_amount(&accounts.pool.pool_token_account)?, pool_tokens_before)?;
    require!(
        pool_tokens_received == pool_tokens && lst_spent <= lst_in && lamports_spent <= lamports_in,
        VaultError::BalanceMismatch
    );

    let vault = &mut accounts.vault;
    vault.accounting.record_pool_add(lst_spent, lamports_spent, pool_tokens_received)?;
    let reserves_after = accounts.pool.reserves(&binding)?;
    let pool_position = reserves_after.position(vault.accounting.pool_tokens, binding.amp, &rate)?;
    let positions = Positions { lending, pool: pool_position };
    let live_after_lamports = vault.live_assets_lamports(&rate, &positions)?;

    // Value in at the stake-pool rate, rounded up; the vault may lose at most the slippage bound.
    let value_in_lamports = add(lamports_spent, rate.lst_to_lamports_ceil(lst_spent)?)?;
    require!(
        live_after_lamports
            >= live_before_lamports.saturating_sub(bps_of_ceil(value_in_lamports, params.max_slippage_bps as u64)?),
        VaultError::SlippageExceeded
    );
    let pool_value_lamports = pool_position.value_lamports;
    require!(
        pool_value_lamports <= bps_of_floor(live_after_lamports, params.max_pool_alloc_bps as u64)?,
        VaultError::PoolAllocationExceeded
    );
    require!(
        vault.accounting.reserve_lamports >= bps_of_ceil(live_after_lamports, params.min_sol_reserve_bps as u64)?,
        VaultError::MinReserveBreached
    );
    emit!(PoolMoved {
        vault: vault_key,
        action: "add".to_string(),
        pool_tokens,
        lst_amount: lst_spent,
        lamports: lamports_spent,
        vault_pool_tokens: vault.accounting.pool_tokens,
        pool_value_lamports,
        snapshot: vault.snapshot(&rate, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
