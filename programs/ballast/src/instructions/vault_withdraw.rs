//! A shareholder burns shares and is paid SOL, priced from the ledger and rounded down. The SOL
//! reserve pays first; when it cannot cover the whole amount, LST worth the rest at the
//! stake-pool rate is sold through the bound pool, which must pay at least that rate less
//! `max_slippage_bps`. The sale's cost against the rate comes out of the withdrawer's payout, so
//! the price of the shares that stay never moves with the pool's. The withdrawal fee stays in
//! the vault for the remaining depositors.
use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token::{self, Burn, Mint, Token, TokenAccount};

use crate::adapters::token_swap::SwapCpi;
use crate::adapters::wsol::WsolAccounts;
use crate::adapters::{positions, stake_pool};
use crate::errors::VaultError;
use crate::events::Withdrawn;
use crate::math::safe_math::{add, bps_of_ceil, sub};
use crate::math::shares::lamports_for_shares_floor;
use crate::math::valuation::StakePoolRate;
use crate::state::Vault;

#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub owner: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = sol_reserve, has_one = stake_pool, has_one = lst_account)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    /// The vault's LST, sold through the pool when the reserve cannot pay.
    #[account(mut)]
    pub lst_account: Box<Account<'info, TokenAccount>>,
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

/// What selling LST through the pool brought in.
#[derive(Default)]
struct PoolExit {
    lst_sold: u64,
    lamports_received: u64,
    /// What the exit cost the vault: the LST's value at the stake-pool rate (rounded up) and its
    /// pool share's change, less what came in.
    cost_lamports: u64,
}

/// Withdrawals are never blocked by a pause: depositors can always leave.
///
/// Remaining accounts: the valuation accounts (see `adapters::positions`; the pool's writable),
/// then, when the reserve cannot pay in full, `[swap program, swap, swap authority, pool fee
/// account, the vault's pool wSOL account, native mint]`.
pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, Withdraw<'info>>,
    shares: u64,
    min_lamports_out: u64,
) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = &accounts.vault;
    let vault_key = vault.key();
    require!(shares > 0, VaultError::ZeroAmount);

    let now_unix = Clock::get()?.unix_timestamp;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    let (positions, exit_accounts) = positions::load(vault, &vault_key, ctx.remaining_accounts, &rate)?;
    let free_assets_lamports = vault.free_assets_lamports(&rate, &positions, now_unix)?;
    let gross_lamports = lamports_for_shares_floor(shares, accounts.share_mint.supply, free_assets_lamports)?;
    let fee_lamports = bps_of_ceil(gross_lamports, vault.risk_params.withdrawal_fee_bps as u64)?;
    // What the shares are worth to the withdrawer, and what the ledger drops by.
    let owed_lamports = sub(gross_lamports, fee_lamports)?;
    require!(owed_lamports > 0, VaultError::ZeroLamportsOut);

    let reserve_lamports = vault.accounting.reserve_lamports;
    // The positions after any sale: it moved the pool the vault is in (nothing else here moves
    // a position).
    let (exit, positions) = if owed_lamports <= reserve_lamports {
        (PoolExit::default(), positions)
    } else {
        let shortfall_lamports = sub(owed_lamports, reserve_lamports)?;
        let pool_before_lamports = positions.pool.value_lamports;
        let mut exit = sell_lst_for(accounts, ctx.remaining_accounts, exit_accounts, &rate, shortfall_lamports)?;
        // The sale also moved the pool the vault is a liquidity provider in: its share gains
        // part of the price impact and loses what the swap's owner fee dilutes. The withdrawer
        // bears the net change in the vault's value (one lamport rounded in the vault's favour),
        // and at least what the reserve and the sale's proceeds cannot pay, so those who stay are
        // never charged for the exit.
        let (after, _) = positions::load(&accounts.vault, &vault_key, ctx.remaining_accounts, &rate)?;
        let pool_after_lamports = after.pool.value_lamports;
        let given_lamports = add(add(rate.lst_to_lamports_ceil(exit.lst_sold)?, pool_before_lamports)?, 1)?;
        let net_cost_lamports = given_lamports.saturating_sub(add(exit.lamports_received, pool_after_lamports)?);
        let unfunded_lamports = shortfall_lamports.saturating_sub(exit.lamports_received);
        exit.cost_lamports = net_cost_lamports.max(unfunded_lamports);
        (exit, after)
    };
    let lamports = sub(owed_lamports, exit.cost_lamports)?;
    require!(lamports > 0, VaultError::ZeroLamportsOut);
    require!(lamports >= min_lamports_out, VaultError::MinLamportsOutNotMet);

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
    let reserve_seeds = accounts.vault.sol_reserve_seeds(&vault_key);
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
    if exit.lst_sold > 0 {
        vault.accounting.record_lst_sold(exit.lst_sold, exit.lamports_received)?;
    }
    vault.accounting.record_withdrawal_at(lamports, owed_lamports)?;
    accounts.share_mint.reload()?;
    emit!(Withdrawn {
        vault: vault_key,
        owner: accounts.owner.key(),
        shares,
        lamports,
        fee_lamports,
        lst_sold: exit.lst_sold,
        exit_cost_lamports: exit.cost_lamports,
        snapshot: vault.snapshot(&rate, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}

/// Sells LST worth `shortfall_lamports` at the stake-pool rate (rounded up) through the pool into
/// the SOL reserve, for at least the shortfall less `max_slippage_bps`.
fn sell_lst_for<'info>(
    accounts: &mut Withdraw<'info>,
    remaining: &[AccountInfo<'info>],
    exit_accounts: &[AccountInfo<'info>],
    rate: &StakePoolRate,
    shortfall_lamports: u64,
) -> Result<PoolExit> {
    let vault = &accounts.vault;
    let vault_key = vault.key();
    let binding = *vault.pool.as_ref().ok_or_else(|| error!(VaultError::InsufficientReserve))?;
    let lst_in = rate.lamports_to_lst_ceil(shortfall_lamports)?;
    require!(lst_in <= vault.accounting.lst_amount, VaultError::InsufficientLiquidity);
    let min_lamports_out =
        sub(shortfall_lamports, bps_of_ceil(shortfall_lamports, vault.risk_params.max_slippage_bps as u64)?)?;

    let [swap_program, swap, swap_authority, pool_fee_account, wsol_account, native_mint, ..] = exit_accounts else {
        return err!(VaultError::PoolAccountsMissing);
    };
    let [pool_mint, pool_lst, pool_wsol] = positions::pool_accounts(vault, remaining)? else {
        return err!(VaultError::PoolAccountsMissing);
    };
    require_keys_eq!(*native_mint.key, anchor_spl::token::spl_token::native_mint::ID, VaultError::PoolAccountMismatch);
    let vault_info = vault.to_account_info();
    let token_program = accounts.token_program.to_account_info();
    let cpi = SwapCpi {
        program: swap_program.clone(),
        swap: swap.clone(),
        authority: swap_authority.clone(),
        pool_mint: pool_mint.clone(),
        pool_lst: pool_lst.clone(),
        pool_wsol: pool_wsol.clone(),
        pool_fee_account: pool_fee_account.clone(),
        token_program: token_program.clone(),
        vault: vault_info.clone(),
    };
    cpi.validate(&binding)?;
    let vault_seeds = vault.signer_seeds();
    let lamports_received = cpi.sell_lst_checked(
        &binding,
        lst_in,
        min_lamports_out,
        &accounts.lst_account.to_account_info(),
        wsol_account,
        &vault_seeds,
    )?;
    WsolAccounts {
        wsol_account,
        native_mint,
        sol_reserve: &accounts.sol_reserve.to_account_info(),
        vault: &vault_info,
        token_program: &token_program,
        system_program: &accounts.system_program.to_account_info(),
    }
    .unwrap_all(&vault_seeds, &vault.sol_reserve_seeds(&vault_key), &binding.wsol_seeds(&vault_key))?;
    accounts.lst_account.reload()?;
    Ok(PoolExit { lst_sold: lst_in, lamports_received, cost_lamports: 0 })
}
