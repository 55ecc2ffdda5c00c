//! Anyone may unwind the loop once the lending market's own LTV (refreshed in this instruction)
//! is above `unwind_trigger_ltv_bps`: collateral is withdrawn, redeemed for LST, sold through the
//! pool for at least the stake-pool rate less `max_slippage_bps`, and the SOL repays the debt,
//! round after round (the market caps each withdrawal by its borrow limit) until the LTV is at
//! or below `unwind_target_ltv_bps` (or, when the market's limit keeps `MAX_UNWIND_ROUNDS` from
//! getting there, as far as they reach; never worse). The caller gets `keeper_reward_bps` of what was repaid, from
//! the reserve, and nothing else; everything else stays with the vault. It works while paused
//! and reads no vault oracle: it acts on the market's own valuation and the pool's output checked
//! against the stake-pool rate.
use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token::{Token, TokenAccount};
use spl_token_lending::math::{Decimal, Rate, TryDiv, TryMul, TrySub};

use crate::adapters::stake_pool;
use crate::adapters::wsol::{token_amount, WsolAccounts};
use crate::errors::VaultError;
use crate::events::Unwound;
use crate::math::safe_math::{add, bps_of_ceil, bps_of_floor, lending_math, sub};
use crate::math::unwind::{lst_to_sell_ceil, market_ltv_bps_ceil, UnwindPlanInputs};
use crate::state::Vault;

use super::lending_accounts::*;
use super::pool_accounts::*;

/// Withdraw-sell-repay rounds one unwind may take. A round is 15 CPIs, and a transaction may
/// hold 64 instructions in all (its trace, CPIs included): three rounds fit with the compute
/// budget instructions, the refreshes and the reward. When the market's borrow limit keeps three
/// rounds from reaching the target, the unwind keeps the progress made and the next call (the
/// trigger still holds) continues.
pub const MAX_UNWIND_ROUNDS: u8 = 3;

#[derive(Accounts)]
pub struct Unwind<'info> {
    /// Anyone: receives the keeper reward.
    #[account(mut)]
    pub caller: Signer<'info>,
    #[account(mut, has_one = sol_reserve, has_one = lst_account, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    #[account(mut)]
    pub lst_account: Box<Account<'info, TokenAccount>>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter.
    pub stake_pool: UncheckedAccount<'info>,
    pub lending: LendingCore<'info>,
    pub pool: PoolCore<'info>,
    /// CHECK: the native mint, for reopening the vault's wSOL account.
    #[account(address = anchor_spl::token::spl_token::native_mint::ID)]
    pub native_mint: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

#[derive(Default)]
struct Totals {
    rounds: u8,
    lst_sold: u64,
    lamports_received: u64,
    repaid_lamports: u64,
}

pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, Unwind<'info>>, max_repay_lamports: u64) -> Result<()> {
    let accounts = ctx.accounts;
    require!(max_repay_lamports > 0, VaultError::ZeroAmount);
    let vault_key = accounts.vault.key();
    let vault = &accounts.vault;
    let params = vault.risk_params;
    let binding = accounts.lending.validate(vault, &vault_key)?;
    let vault_info = vault.to_account_info();
    let token_program = accounts.token_program.to_account_info();
    let lending = accounts.lending.cpi(&vault_info, &token_program);
    let swap = accounts.pool.cpi(&vault_info, &token_program);
    let pool_binding = accounts.pool.validate(vault, &swap)?;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, &vault.stake_pool, &vault.lst_mint)?;
    let vault_seeds = vault.signer_seeds();
    let collateral_account = accounts.lending.collateral_account.to_account_info();
    let lst_account = accounts.lst_account.to_account_info();
    let wsol_account = accounts.pool.wsol_account.to_account_info();

    lending.refresh_all()?;
    // Decoded once per round and reused for the plan, the exchange rate and the health.
    let mut state = accounts.lending.state(&binding, &vault_key)?;
    let before = state.health()?;
    let ltv_before_bps = market_ltv_bps_ceil(before.borrowed_value, before.deposited_value)?;
    require!(ltv_before_bps > params.unwind_trigger_ltv_bps as u64, VaultError::UnwindNotNeeded);

    let mut totals = Totals::default();
    let mut health = before;
    while totals.rounds < MAX_UNWIND_ROUNDS && health.debt_lamports > 0 && totals.repaid_lamports < max_repay_lamports {
        let (lst_reserve, sol_reserve) = (&state.lst_reserve, &state.sol_reserve);
        let plan = UnwindPlanInputs {
            borrowed_value: health.borrowed_value,
            deposited_value: health.deposited_value,
            lst_price: lst_reserve.liquidity.market_price,
            sol_price: sol_reserve.liquidity.market_price,
            lst_decimals: lst_reserve.liquidity.mint_decimals,
            rate,
            max_slippage_bps: params.max_slippage_bps,
            target_ltv_bps: params.unwind_target_ltv_bps,
        };
        let Some(lst_needed) = lst_to_sell_ceil(&plan)? else {
            break;
        };

        // The market lets at most (allowed - borrowed) / LTV of collateral value go at a time;
        // `u64::MAX` asks it for exactly that much.
        require!(health.allowed_borrow_value > health.borrowed_value, VaultError::UnwindBlockedByBorrowLimit);
        let deposited_ctokens = state.obligation.deposits.first().map(|d| d.deposited_amount).unwrap_or(0);
        let exchange = lending_math(lst_reserve.collateral_exchange_rate())?;
        let ctokens_needed = lending_math(
            exchange.decimal_liquidity_to_collateral(Decimal::from(lst_needed)).and_then(|c| c.try_ceil_u64()),
        )?;
        let max_value = lending_math(
            health
                .allowed_borrow_value
                .try_sub(health.borrowed_value)
                .and_then(|v| v.try_div(Rate::from_percent(lst_reserve.config.loan_to_value_ratio))),
        )?;
        let needed_value = lending_math(
            health.deposited_value.try_mul(ctokens_needed).and_then(|v| v.try_div(deposited_ctokens.max(1))),
        )?;
        let ctokens =
            if ctokens_needed >= deposited_ctokens || needed_value > max_value { u64::MAX } else { ctokens_needed };

        let ctokens_before = token_amount(&collateral_account)?;
        lending.withdraw_obligation_collateral(
            ctokens,
            &accounts.lending.lst_reserve_collateral_supply.to_account_info(),
            &collateral_account,
            &vault_seeds,
        )?;
        let ctokens_withdrawn = sub(token_amount(&collateral_account)?, ctokens_before)?;
        // The withdrawal left the LST reserve fresh (only the obligation went stale).
        let lst_before = token_amount(&lst_account)?;
        lending.redeem_reserve_collateral(
            ctokens_withdrawn,
            &collateral_account,
            &lst_account,
            &accounts.lending.lst_reserve_collateral_mint.to_account_info(),
            &accounts.lending.lst_reserve_liquidity_supply.to_account_info(),
            &vault_seeds,
        )?;
        let lst_redeemed = sub(token_amount(&lst_account)?, lst_before)?;
        require!(token_amount(&collateral_account)? == ctokens_before, VaultError::BalanceMismatch);

        let value_lamports = rate.lst_to_lamports_floor(lst_redeemed)?;
        let min_lamports_out = sub(value_lamports, bps_of_ceil(value_lamports, params.max_slippage_bps as u64)?)?;
        let received = swap.sell_lst_checked(
            &pool_binding,
            lst_redeemed,
            min_lamports_out,
            &lst_account,
            &wsol_account,
            &vault_seeds,
        )?;

        // The redemption left the LST reserve stale, the withdrawal the obligation; the SOL
        // reserve is still fresh.
        lending.refresh_lst_reserve()?;
        lending.refresh_obligation()?;
        let debt_lamports = accounts.lending.health(&binding, &vault_key)?.debt_lamports;
        let available = token_amount(&wsol_account)?;
        let repay = available.min(debt_lamports).min(sub(max_repay_lamports, totals.repaid_lamports)?);
        // Repaying everything settles the fractional interest too; the lending program rounds
        // it up to the same debt this vault computed.
        let amount = if repay == debt_lamports { u64::MAX } else { repay };
        lending.repay_sol(
            amount,
            &wsol_account,
            &accounts.lending.sol_reserve_liquidity_supply.to_account_info(),
            &vault_seeds,
        )?;
        require!(sub(available, token_amount(&wsol_account)?)? == repay, VaultError::BalanceMismatch);

        totals.rounds += 1;
        totals.lst_sold = add(totals.lst_sold, lst_redeemed)?;
        totals.lamports_received = add(totals.lamports_received, received)?;
        totals.repaid_lamports = add(totals.repaid_lamports, repay)?;
        // The program's own health math values the position as a refresh would, without one.
        state = accounts.lending.state(&binding, &vault_key)?;
        health = state.health()?;
        if market_ltv_bps_ceil(health.borrowed_value, health.deposited_value)? <= params.unwind_target_ltv_bps as u64
            || totals.rounds == MAX_UNWIND_ROUNDS
        {
            break;
        }
        // The repayment left the SOL reserve and the obligation stale; the next withdrawal
        // needs both fresh.
        lending.refresh_sol_reserve()?;
        lending.refresh_obligation()?;
    }

    let ltv_after_bps = market_ltv_bps_ceil(health.borrowed_value, health.deposited_value)?;
    // Lower, and at the target, unless every round was used at the market's limit: then the
    // progress stands and the next call continues.
    let rounds_exhausted = totals.rounds == MAX_UNWIND_ROUNDS && totals.repaid_lamports < max_repay_lamports;
    require!(
        ltv_after_bps < ltv_before_bps
            && (ltv_after_bps <= params.unwind_target_ltv_bps as u64 || health.debt_lamports == 0 || rounds_exhausted),
        VaultError::UnwindInsufficient
    );

    // What the sales brought beyond the repayment goes to the reserve.
    let leftover_lamports = token_amount(&wsol_account)?;
    let reserve_seeds = accounts.vault.sol_reserve_seeds(&vault_key);
    if leftover_lamports > 0 {
        WsolAccounts {
            wsol_account: &wsol_account,
            native_mint: &accounts.native_mint.to_account_info(),
            sol_reserve: &accounts.sol_reserve.to_account_info(),
            vault: &vault_info,
            token_program: &token_program,
            system_program: &accounts.system_program.to_account_info(),
        }
        .unwrap_all(&vault_seeds, &reserve_seeds, &pool_binding.wsol_seeds(&vault_key))?;
    }
    let reserve_lamports = add(accounts.vault.accounting.reserve_lamports, leftover_lamports)?;
    let reward_lamports = bps_of_floor(totals.repaid_lamports, params.keeper_reward_bps as u64)?.min(reserve_lamports);
    if reward_lamports > 0 {
        system_program::transfer(
            CpiContext::new_with_signer(
                accounts.system_program.to_account_info(),
                system_program::Transfer {
                    from: accounts.sol_reserve.to_account_info(),
                    to: accounts.caller.to_account_info(),
                },
                &[&reserve_seeds],
            ),
            reward_lamports,
        )?;
    }
    accounts.vault.accounting.reserve_lamports = sub(reserve_lamports, reward_lamports)?;

    emit!(Unwound {
        vault: vault_key,
        caller: accounts.caller.key(),
        rounds: totals.rounds,
        lst_sold: totals.lst_sold,
        lamports_received: totals.lamports_received,
        repaid_lamports: totals.repaid_lamports,
        reward_lamports,
        ltv_before_bps,
        ltv_after_bps,
        debt_lamports: health.debt_lamports,
        collateral_lst: health.collateral_lst,
    });
    Ok(())
}
