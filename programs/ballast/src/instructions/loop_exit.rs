//! Leaving the loop: the engine `unwind` (anyone, above the trigger) and `leave_loop` (the
//! allocator, at any LTV) share. The cheapest safe source pays first:
//! 1. the vault's own SOL: the reserve above its floor (`min_sol_reserve_bps` of the booked
//!    assets; past the market's borrow limit without a flash loan, the floor too) repays debt at
//!    par; with the pool exit, then the vault's share of the pool's SOL (pool tokens burned for
//!    both sides in proportion, the LST kept), at par too;
//! 2. then collateral: withdrawn, redeemed for LST and turned into SOL through the exit the
//!    caller names, either sold through the bound pool or unstaked through the stake pool's
//!    `WithdrawSol` at its own rate. Either must pay at least the stake-pool rate less
//!    `unwind_slippage_bps`, a small bound measured against a price no trade in the same
//!    transaction can move (never against the pool's own quote), so a caller who pushes the
//!    pool before the call and buys back after keeps at most that bound on what was sold.
//!
//! With a flash loan (`unwind_flash`, Save only), the loan repays first: above the market's
//! borrow limit no collateral may leave before some debt is repaid. The conversions then pay
//! the loan and its fee back before anything else, and the fee is booked with the realized cost.
//!
//! Rounds go on (the market caps each withdrawal by its borrow limit) until the market's LTV is
//! at or below the target, or as far as `MAX_UNWIND_ROUNDS` reach, or until the LST reserve has
//! no liquidity left to redeem collateral with (borrowed out: the vault's own SOL still repays);
//! never worse. The realized cost (the conversion's shortfall against the rate, and any reward)
//! is booked at once. It reads no vault oracle and works while paused; until the stake pool is updated after an epoch
//! boundary, the pool exit uses the previous epoch's rate as its floor (rewards only raise it).
use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token::{Token, TokenAccount};
use spl_token_lending::math::{Decimal, Rate, TryAdd, TryDiv, TryMul, TrySub};

use crate::adapters::stake_pool::{self, WithdrawSol};
use crate::adapters::token_swap::SwapCpi;
use crate::adapters::wsol::{token_amount, WsolAccounts};
use crate::errors::VaultError;
use crate::math::safe_math::{add, bps_of_ceil, bps_of_floor, lending_math, mul_div_ceil, sub};
use crate::math::unwind::{lst_to_sell_ceil, market_ltv_bps_ceil, sol_to_repay_for_target_ceil, UnwindPlanInputs};
use crate::math::valuation::StakePoolRate;
use crate::state::{PoolBinding, Vault};

use super::lending_accounts::*;
use super::pool_accounts::*;

/// Withdraw-convert-repay rounds one unwind may take. A round is 15 CPIs, and a transaction may
/// hold 64 instructions in all (its trace, CPIs included): three rounds fit with the compute
/// budget instructions, the refreshes and the reward. When the market's borrow limit keeps three
/// rounds from reaching the target, the unwind keeps the progress made and the next call (the
/// trigger still holds) continues.
pub const MAX_UNWIND_ROUNDS: u8 = 3;

/// How `unwind` or `leave_loop` turns collateral into SOL. The caller chooses; both are held to
/// the same bound.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnwindExit {
    /// Sold through the bound LST/SOL pool, after the vault's share of the pool's SOL repaid.
    /// Remaining accounts: `PoolAccounts`' (`PoolCore`'s, then the vault's pool-token account).
    Pool,
    /// Unstaked through the stake pool's `WithdrawSol`. Remaining accounts: `StakePoolExit`'s,
    /// in its order.
    StakePool,
}

/// The accounts `unwind` and `leave_loop` share, after their signer.
#[derive(Accounts)]
pub struct LoopAccounts<'info> {
    #[account(mut, has_one = sol_reserve, has_one = lst_account, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    #[account(mut)]
    pub lst_account: Box<Account<'info, TokenAccount>>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter (written by `WithdrawSol`).
    #[account(mut)]
    pub stake_pool: UncheckedAccount<'info>,
    pub lending: LendingCore<'info>,
    /// CHECK: the native mint, for reopening the vault's wSOL account.
    #[account(address = anchor_spl::token::spl_token::native_mint::ID)]
    pub native_mint: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// The stake-pool accounts `WithdrawSol` needs beyond the vault's own, and the vault's lending
/// wSOL account the repayment is made from. The stake-pool program checks its own accounts
/// against the pool (authority, reserve, fee account, mint); the vault pins the program, the
/// sysvars and its own wSOL account.
#[derive(Accounts)]
pub struct StakePoolExit<'info> {
    /// CHECK: must be the vault's pinned stake-pool program.
    pub stake_pool_program: UncheckedAccount<'info>,
    /// CHECK: the pool's withdraw authority, checked by the stake-pool program.
    pub withdraw_authority: UncheckedAccount<'info>,
    /// CHECK: the pool's reserve stake, checked by the stake-pool program.
    #[account(mut)]
    pub reserve_stake: UncheckedAccount<'info>,
    /// CHECK: the pool's manager fee account, checked by the stake-pool program.
    #[account(mut)]
    pub manager_fee_account: UncheckedAccount<'info>,
    /// CHECK: the vault's LST mint.
    #[account(mut)]
    pub lst_mint: UncheckedAccount<'info>,
    /// CHECK: the stake-history sysvar.
    #[account(address = anchor_lang::solana_program::sysvar::stake_history::ID)]
    pub stake_history: UncheckedAccount<'info>,
    /// CHECK: the clock sysvar, which the stake-pool program reads from its accounts.
    #[account(address = anchor_lang::solana_program::sysvar::clock::ID)]
    pub clock: UncheckedAccount<'info>,
    /// CHECK: the stake program.
    #[account(address = anchor_lang::solana_program::stake::program::ID)]
    pub stake_program: UncheckedAccount<'info>,
    /// CHECK: must equal the lending binding's wSOL account (a token account of the vault).
    #[account(mut)]
    pub wsol_account: UncheckedAccount<'info>,
}

/// The pool exit's checked accounts.
struct PoolExit<'info> {
    accounts: PoolAccounts<'info>,
    swap: SwapCpi<'info>,
    binding: PoolBinding,
}

/// An account set decoded from the remaining accounts, with its own constraints checked.
fn accounts_from<'info, T>(remaining: &'info [AccountInfo<'info>]) -> Result<T>
where
    T: Accounts<'info, T::Bumps> + anchor_lang::Bumps,
    T::Bumps: Default,
{
    let mut accounts = remaining;
    T::try_accounts(&crate::ID, &mut accounts, &[], &mut Default::default(), &mut Default::default())
}

/// The exit with its checked accounts.
enum Exit<'info> {
    Pool(Box<PoolExit<'info>>),
    StakePool(Box<StakePoolExit<'info>>),
}

impl<'info> Exit<'info> {
    fn load(
        exit: UnwindExit,
        remaining: &'info [AccountInfo<'info>],
        vault: &Vault,
        vault_info: &AccountInfo<'info>,
        token_program: &AccountInfo<'info>,
    ) -> Result<Self> {
        match exit {
            UnwindExit::Pool => {
                let pool: PoolAccounts = accounts_from(remaining)?;
                let swap = pool.cpi(vault_info, token_program);
                let binding = pool.validate(vault, &swap)?;
                Ok(Self::Pool(Box::new(PoolExit { accounts: pool, swap, binding })))
            }
            UnwindExit::StakePool => {
                let exit: StakePoolExit = accounts_from(remaining)?;
                stake_pool::require_program(&exit.stake_pool_program, vault)?;
                require_keys_eq!(exit.lst_mint.key(), vault.lst_mint, VaultError::LstMintMismatch);
                require_keys_eq!(
                    exit.wsol_account.key(),
                    vault.require_lending()?.wsol_account,
                    VaultError::LendingAccountMismatch
                );
                Ok(Self::StakePool(Box::new(exit)))
            }
        }
    }

    fn wsol_account(&self) -> AccountInfo<'info> {
        match self {
            Self::Pool(pool) => pool.accounts.wsol_account.to_account_info(),
            Self::StakePool(exit) => exit.wsol_account.to_account_info(),
        }
    }
}

#[derive(Default)]
struct Totals {
    rounds: u8,
    /// Repaid from the flash loan, before anything else.
    from_flash_lamports: u64,
    /// What the conversions still owe the flash loan (its amount and fee), kept as wSOL.
    flash_owed_lamports: u64,
    from_reserve_lamports: u64,
    /// Repaid from the vault's share of the pool's SOL (pool tokens burned for both sides in
    /// proportion: the LST stays with the vault).
    from_pool_lamports: u64,
    pool_tokens_burned: u64,
    lst_from_pool: u64,
    /// The LST reserve could not redeem all the collateral a round needed (its liquidity is
    /// borrowed out): the rounds stopped there.
    lst_reserve_illiquid: bool,
    lst_converted: u64,
    lamports_received: u64,
    repaid_lamports: u64,
    /// What the conversions brought beyond what they repaid, now in the reserve.
    kept_lamports: u64,
}

/// A flash loan of SOL the transaction took (checked by `unwind_flash`) into the exit's wSOL
/// account: it repays first, and `lamports + fee_lamports` go back to `repay_to` at the end.
pub struct FlashLoan<'info> {
    pub lamports: u64,
    pub fee_lamports: u64,
    /// A wSOL account the flash repayment is made from.
    pub repay_to: AccountInfo<'info>,
}

/// What a call asks of the engine.
pub struct LoopExitRequest<'info> {
    pub exit: UnwindExit,
    /// The market LTV to bring the position to (bps).
    pub target_ltv_bps: u16,
    /// The market LTV the position must be above before anything moves, and the error when it
    /// is not: the trigger for `unwind`, the target for `leave_loop`.
    pub min_ltv_before_bps: u16,
    pub not_needed: VaultError,
    pub max_repay_lamports: u64,
    /// Paid to the caller out of what was repaid; zero for the allocator.
    pub reward_bps: u16,
    pub flash: Option<FlashLoan<'info>>,
}

/// What the engine did, for the caller's event.
pub struct LoopExitOutcome {
    pub rounds: u8,
    pub from_flash_lamports: u64,
    pub flash_fee_lamports: u64,
    pub from_reserve_lamports: u64,
    pub from_pool_lamports: u64,
    pub lst_converted: u64,
    pub lamports_received: u64,
    pub repaid_lamports: u64,
    pub reward_lamports: u64,
    pub realized_loss_lamports: u64,
    pub ltv_before_bps: u64,
    pub ltv_after_bps: u64,
    pub debt_lamports: u64,
    pub collateral_lst: u64,
}

/// Repays the loop's debt from the reserve, then from collateral converted through the exit,
/// down to the request's target; pays the reward to `caller` and books the realized cost.
pub fn run<'info>(
    accounts: &mut LoopAccounts<'info>,
    remaining: &'info [AccountInfo<'info>],
    caller: &AccountInfo<'info>,
    request: LoopExitRequest<'info>,
) -> Result<LoopExitOutcome> {
    let LoopExitRequest { exit, target_ltv_bps, min_ltv_before_bps, not_needed, max_repay_lamports, reward_bps, flash } =
        request;
    require!(max_repay_lamports > 0, VaultError::ZeroAmount);
    let vault_key = accounts.vault.key();
    let vault = &accounts.vault;
    let params = vault.risk_params;
    let binding = accounts.lending.validate(vault, &vault_key)?;
    let vault_info = vault.to_account_info();
    let token_program = accounts.token_program.to_account_info();
    let lending = accounts.lending.cpi(&vault_info, &token_program)?;
    let route = Exit::load(exit, remaining, vault, &vault_info, &token_program)?;
    let pool_state = stake_pool::load(&accounts.stake_pool, vault)?;
    let rate =
        StakePoolRate { total_lamports: pool_state.total_lamports, pool_token_supply: pool_state.pool_token_supply };
    let vault_seeds = vault.signer_seeds();
    let reserve_seeds = vault.sol_reserve_seeds(&vault_key);
    let collateral_account = accounts.lending.collateral_account.to_account_info();
    let lst_account = accounts.lst_account.to_account_info();
    let reserve_info = accounts.sol_reserve.to_account_info();
    let wsol_account = route.wsol_account();
    let wsol = WsolAccounts {
        wsol_account: &wsol_account,
        native_mint: &accounts.native_mint.to_account_info(),
        sol_reserve: &reserve_info,
        vault: &vault_info,
        token_program: &token_program,
        system_program: &accounts.system_program.to_account_info(),
    };
    let supply = accounts.lending.sol_reserve_liquidity_supply.to_account_info();

    lending.refresh_all()?;
    // Decoded once per round and reused for the plan, the exchange rate and the health.
    let mut state = accounts.lending.state(&binding, &vault_key)?;
    let before = state.health()?;
    let ltv_before_bps = market_ltv_bps_ceil(before.borrowed_value, before.deposited_value)?;
    if ltv_before_bps <= min_ltv_before_bps as u64 {
        return Err(not_needed.into());
    }
    let mut totals = Totals::default();
    let mut health = before;

    // 0. The flash loan, in the exit's wSOL account (empty between instructions: exactly the
    //    loan), repays first; the conversions owe it back with its fee.
    if let Some(loan) = &flash {
        require!(loan.lamports > 0, VaultError::ZeroAmount);
        require!(loan.lamports <= health.debt_lamports, VaultError::FlashLoanTooLarge);
        // The account is empty between instructions; anything beyond the loan is a donation,
        // swept to the reserve with the rest at the end.
        require!(token_amount(&wsol_account)? >= loan.lamports, VaultError::FlashLoanMissing);
        repay_from_wsol(&lending, &wsol_account, &supply, loan.lamports, health.debt_lamports, &vault_seeds)?;
        totals.from_flash_lamports = loan.lamports;
        totals.repaid_lamports = loan.lamports;
        totals.flash_owed_lamports = add(loan.lamports, loan.fee_lamports)?;
        lending.refresh_sol_reserve()?;
        lending.refresh_obligation()?;
        state = accounts.lending.state(&binding, &vault_key)?;
        health = state.health()?;
    }

    // 1. The vault's own SOL, at par: the reserve above its floor; past the market's borrow
    //    limit with no flash loan, where no collateral may leave before some debt is repaid, the
    //    floor too. On a venue without a flash loan that is the only way the unwind can start
    //    there; `math::unwind::blocked_unwind_floor_bps` sizes the floor for it.
    let past_borrow_limit = health.allowed_borrow_value <= health.borrowed_value_upper_bound;
    let own_lamports = if flash.is_none() && past_borrow_limit {
        vault.accounting.reserve_lamports
    } else {
        vault.accounting.spare_reserve_lamports(params.min_sol_reserve_bps)?
    };
    let sol = &state.sol;
    let needed_lamports = sol_to_repay_for_target_ceil(
        health.borrowed_value,
        health.deposited_value,
        sol.market_price,
        sol.mint_decimals,
        target_ltv_bps,
    )?;
    let from_reserve = own_lamports.min(needed_lamports).min(health.debt_lamports).min(max_repay_lamports);
    if from_reserve > 0 {
        repay_exactly(&lending, &wsol, &supply, from_reserve, health.debt_lamports, &vault_seeds, &reserve_seeds)?;
        totals.from_reserve_lamports = from_reserve;
        totals.repaid_lamports = from_reserve;
        // The repayment left the SOL reserve and the obligation stale.
        lending.refresh_sol_reserve()?;
        lending.refresh_obligation()?;
        state = accounts.lending.state(&binding, &vault_key)?;
        health = state.health()?;
    }

    // 1b. With the pool exit, the vault's share of the pool's SOL, at par: pool tokens burned for
    //     both sides in proportion (what the pool's own rounding gives; the bound pool charges no
    //     withdrawal fee), the LST kept, the SOL repaid. A proportional withdrawal takes the
    //     reserves as they stand, which at the stake-pool rate are worth at least the share's fair
    //     value, so a pool pushed before the call costs the vault nothing here.
    if let Exit::Pool(pool) = &route {
        let room = sub(max_repay_lamports, totals.repaid_lamports)?;
        let needed_lamports = sol_to_repay_for_target_ceil(
            health.borrowed_value,
            health.deposited_value,
            state.sol.market_price,
            state.sol.mint_decimals,
            target_ltv_bps,
        )?
        .min(health.debt_lamports)
        .min(room);
        let vault_pool_tokens = vault.accounting.pool_tokens;
        let reserves = pool.accounts.reserves(&pool.binding)?;
        let (_, share_lamports) = reserves.share_of(vault_pool_tokens)?;
        if needed_lamports > 0 && share_lamports > 0 {
            let burn = if needed_lamports >= share_lamports {
                vault_pool_tokens
            } else {
                mul_div_ceil(vault_pool_tokens, needed_lamports, share_lamports)?.min(vault_pool_tokens)
            };
            let (min_lst, min_lamports) = reserves.share_of(burn)?;
            let pool_token_account = pool.accounts.pool_token_account.to_account_info();
            let (lst_before, wsol_before) = (token_amount(&lst_account)?, token_amount(&wsol_account)?);
            pool.swap.withdraw_all(
                burn,
                min_lst,
                min_lamports,
                &pool_token_account,
                &lst_account,
                &wsol_account,
                &vault_seeds,
            )?;
            let lst_out = sub(token_amount(&lst_account)?, lst_before)?;
            let lamports_out = sub(token_amount(&wsol_account)?, wsol_before)?;
            let repay = lamports_out.min(health.debt_lamports).min(room);
            repay_from_wsol(&lending, &wsol_account, &supply, repay, health.debt_lamports, &vault_seeds)?;
            totals.pool_tokens_burned = burn;
            totals.lst_from_pool = lst_out;
            totals.from_pool_lamports = repay;
            totals.repaid_lamports = add(totals.repaid_lamports, repay)?;
            totals.kept_lamports = add(totals.kept_lamports, sub(lamports_out, repay)?)?;
            lending.refresh_sol_reserve()?;
            lending.refresh_obligation()?;
            state = accounts.lending.state(&binding, &vault_key)?;
            health = state.health()?;
        }
    }

    // 2. Collateral, converted through the exit.
    while totals.rounds < MAX_UNWIND_ROUNDS
        && (totals.flash_owed_lamports > 0 || (health.debt_lamports > 0 && totals.repaid_lamports < max_repay_lamports))
    {
        let (lst_reserve, sol_reserve) = (&state.lst, &state.sol);
        // What the flash loan is still owed counts as debt: the conversions raise it first.
        let owed_value = lending_math(
            Decimal::from(totals.flash_owed_lamports)
                .try_mul(sol_reserve.market_price)
                .and_then(|v| v.try_div(10u64.pow(u32::from(sol_reserve.mint_decimals)))),
        )?;
        let plan = UnwindPlanInputs {
            borrowed_value: lending_math(health.borrowed_value.try_add(owed_value))?,
            deposited_value: health.deposited_value,
            lst_price: lst_reserve.market_price,
            sol_price: sol_reserve.market_price,
            lst_decimals: lst_reserve.mint_decimals,
            rate,
            max_slippage_bps: params.unwind_slippage_bps,
            target_ltv_bps,
        };
        let Some(lst_needed) = lst_to_sell_ceil(&plan)? else {
            break;
        };
        if totals.rounds > 0 {
            // The last round's repayment left the SOL reserve and the obligation stale; the
            // withdrawal needs both fresh.
            lending.refresh_sol_reserve()?;
            lending.refresh_obligation()?;
        }

        // The LST reserve pays out only the liquidity its borrowers left: with less than the
        // round needs, this round redeems what is there and is the last; with none, the rounds
        // stop and what the vault's own SOL repaid stands.
        let available_lst = lst_reserve.available_amount;
        if available_lst == 0 {
            totals.lst_reserve_illiquid = true;
            break;
        }
        let capped = lst_needed > available_lst;

        // The market lets at most (allowed - borrowed) / LTV of collateral value go at a time
        // (borrowed at the higher of the market's prices, where it keeps two); `u64::MAX` asks
        // it for exactly that much.
        require!(
            health.allowed_borrow_value > health.borrowed_value_upper_bound,
            VaultError::UnwindBlockedByBorrowLimit
        );
        let deposited_ctokens = state.deposited_ctokens();
        let wanted = Decimal::from(lst_needed.min(available_lst)).try_mul(lst_reserve.collateral_per_token);
        // Rounded down when capped, so the redemption stays within the liquidity.
        let ctokens_needed =
            lending_math(wanted.and_then(|c| if capped { c.try_floor_u64() } else { c.try_ceil_u64() }))?;
        let max_value = lending_math(
            health
                .allowed_borrow_value
                .try_sub(health.borrowed_value_upper_bound)
                .and_then(|v| v.try_div(Rate::from_percent(lst_reserve.loan_to_value_pct))),
        )?;
        let needed_value = lending_math(
            health.deposited_value.try_mul(ctokens_needed).and_then(|v| v.try_div(deposited_ctokens.max(1))),
        )?;
        let ctokens = match (capped, ctokens_needed >= deposited_ctokens || needed_value > max_value) {
            (false, true) => u64::MAX,
            (false, false) => ctokens_needed,
            // Within both the liquidity and the borrow limit, each rounded down.
            (true, _) => {
                let max_ctokens = lending_math(
                    max_value
                        .try_mul(deposited_ctokens)
                        .and_then(|v| v.try_div(health.deposited_value))
                        .and_then(|v| v.try_floor_u64()),
                )?;
                ctokens_needed.min(max_ctokens).min(deposited_ctokens)
            }
        };
        if ctokens == 0 {
            totals.lst_reserve_illiquid = true;
            break;
        }
        totals.lst_reserve_illiquid |= capped;

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
        let min_lamports_out = sub(value_lamports, bps_of_ceil(value_lamports, params.unwind_slippage_bps as u64)?)?;
        // The redemption left the LST reserve stale, the withdrawal the obligation; the SOL
        // reserve is still fresh.
        lending.refresh_lst_reserve()?;
        lending.refresh_obligation()?;
        let debt_lamports = accounts.lending.health(&binding, &vault_key)?.debt_lamports;
        let room = sub(max_repay_lamports, totals.repaid_lamports)?;
        let (received, to_flash, repay) = match &route {
            Exit::Pool(pool) => {
                let received = pool.swap.sell_lst_checked(
                    &pool.binding,
                    lst_redeemed,
                    min_lamports_out,
                    &lst_account,
                    &wsol_account,
                    &vault_seeds,
                )?;
                // The flash loan's share stays in the wSOL account until it is paid back.
                let to_flash = received.min(totals.flash_owed_lamports);
                let repay = sub(received, to_flash)?.min(debt_lamports).min(room);
                repay_from_wsol(&lending, &wsol_account, &supply, repay, debt_lamports, &vault_seeds)?;
                (received, to_flash, repay)
            }
            Exit::StakePool(exit) => {
                let reserve_before = reserve_info.lamports();
                WithdrawSol {
                    stake_pool_program: &exit.stake_pool_program.to_account_info(),
                    stake_pool: &accounts.stake_pool.to_account_info(),
                    withdraw_authority: &exit.withdraw_authority.to_account_info(),
                    user_transfer_authority: &vault_info,
                    pool_tokens_from: &lst_account,
                    reserve_stake: &exit.reserve_stake.to_account_info(),
                    lamports_to: &reserve_info,
                    manager_fee_account: &exit.manager_fee_account.to_account_info(),
                    pool_mint: &exit.lst_mint.to_account_info(),
                    clock: &exit.clock.to_account_info(),
                    stake_history: &exit.stake_history.to_account_info(),
                    stake_program: &exit.stake_program.to_account_info(),
                    token_program: &token_program,
                }
                .invoke(lst_redeemed, min_lamports_out, &vault_seeds)?;
                let received = sub(reserve_info.lamports(), reserve_before)?;
                require!(
                    received >= min_lamports_out && token_amount(&lst_account)? == lst_before,
                    VaultError::BalanceMismatch
                );
                // The flash loan's share is wrapped and kept until it is paid back.
                let to_flash = received.min(totals.flash_owed_lamports);
                if to_flash > 0 {
                    wsol.wrap(to_flash, &reserve_seeds)?;
                }
                let repay = sub(received, to_flash)?.min(debt_lamports).min(room);
                repay_exactly(&lending, &wsol, &supply, repay, debt_lamports, &vault_seeds, &reserve_seeds)?;
                (received, to_flash, repay)
            }
        };

        totals.rounds += 1;
        totals.lst_converted = add(totals.lst_converted, lst_redeemed)?;
        totals.lamports_received = add(totals.lamports_received, received)?;
        totals.repaid_lamports = add(totals.repaid_lamports, repay)?;
        totals.flash_owed_lamports = sub(totals.flash_owed_lamports, to_flash)?;
        totals.kept_lamports = add(totals.kept_lamports, sub(sub(received, to_flash)?, repay)?)?;
        // The program's own health math values the position as a refresh would, without one.
        state = accounts.lending.state(&binding, &vault_key)?;
        health = state.health()?;
        if totals.lst_reserve_illiquid
            || (totals.flash_owed_lamports == 0
                && market_ltv_bps_ceil(health.borrowed_value, health.deposited_value)? <= target_ltv_bps as u64)
        {
            break;
        }
    }

    let ltv_after_bps = market_ltv_bps_ceil(health.borrowed_value, health.deposited_value)?;
    // Lower, and at the target, unless every round was used at the market's limit or the LST
    // reserve ran out of liquidity: then the progress stands and the next call continues.
    let rounds_exhausted = totals.rounds == MAX_UNWIND_ROUNDS && totals.repaid_lamports < max_repay_lamports;
    if totals.lst_reserve_illiquid && ltv_after_bps >= ltv_before_bps {
        // Nothing of the vault's own to repay with, and no collateral can be redeemed.
        return Err(VaultError::UnwindLstReserveIlliquid.into());
    }
    require!(
        ltv_after_bps < ltv_before_bps
            && (ltv_after_bps <= target_ltv_bps as u64
                || health.debt_lamports == 0
                || rounds_exhausted
                || totals.lst_reserve_illiquid),
        VaultError::UnwindInsufficient
    );

    // The flash loan goes back, with its fee, to the account its repayment is made from.
    let mut flash_fee_lamports = 0;
    if let Some(loan) = &flash {
        require!(totals.flash_owed_lamports == 0, VaultError::FlashLoanUnpaid);
        let owed = add(loan.lamports, loan.fee_lamports)?;
        anchor_spl::token::transfer(
            CpiContext::new_with_signer(
                token_program.clone(),
                anchor_spl::token::Transfer {
                    from: wsol_account.clone(),
                    to: loan.repay_to.clone(),
                    authority: vault_info.clone(),
                },
                &[&vault_seeds],
            ),
            owed,
        )?;
        flash_fee_lamports = loan.fee_lamports;
    }

    // What pool sales brought beyond the repayment is wSOL: it goes to the reserve.
    if let Exit::Pool(pool) = &route {
        if token_amount(&wsol_account)? > 0 {
            wsol.unwrap_all(&vault_seeds, &reserve_seeds, &pool.binding.wsol_seeds(&vault_key))?;
        }
    }
    let reserve_after_lamports =
        add(sub(accounts.vault.accounting.reserve_lamports, totals.from_reserve_lamports)?, totals.kept_lamports)?;
    let reward_lamports = bps_of_floor(totals.repaid_lamports, reward_bps as u64)?.min(reserve_after_lamports);
    if reward_lamports > 0 {
        system_program::transfer(
            CpiContext::new_with_signer(
                accounts.system_program.to_account_info(),
                system_program::Transfer { from: reserve_info.clone(), to: caller.clone() },
                &[&reserve_seeds],
            ),
            reward_lamports,
        )?;
    }
    // The conversions' shortfall against the rate, the reward and the flash loan's fee: a loss,
    // booked now.
    let converted_value_lamports = rate.lst_to_lamports_ceil(totals.lst_converted)?;
    let realized_loss_lamports = add(
        add(converted_value_lamports.saturating_sub(totals.lamports_received), reward_lamports)?,
        flash_fee_lamports,
    )?;
    let now_unix = Clock::get()?.unix_timestamp;
    if totals.pool_tokens_burned > 0 {
        // Its SOL is counted with what the conversions kept (below).
        accounts.vault.accounting.record_pool_remove(totals.pool_tokens_burned, totals.lst_from_pool, 0)?;
    }
    accounts.vault.accounting.record_unwind(
        totals.kept_lamports,
        add(totals.from_reserve_lamports, reward_lamports)?,
        realized_loss_lamports,
        now_unix,
    )?;

    Ok(LoopExitOutcome {
        rounds: totals.rounds,
        from_flash_lamports: totals.from_flash_lamports,
        flash_fee_lamports,
        from_reserve_lamports: totals.from_reserve_lamports,
        from_pool_lamports: totals.from_pool_lamports,
        lst_converted: totals.lst_converted,
        lamports_received: totals.lamports_received,
        repaid_lamports: totals.repaid_lamports,
        reward_lamports,
        realized_loss_lamports,
        ltv_before_bps,
        ltv_after_bps,
        debt_lamports: health.debt_lamports,
        collateral_lst: health.collateral_lst,
    })
}

/// Wraps exactly `lamports` from the reserve and repays them.
fn repay_exactly<'info>(
    lending: &crate::adapters::lending::LendingCpi<'info>,
    wsol: &WsolAccounts<'_, 'info>,
    supply: &AccountInfo<'info>,
    lamports: u64,
    debt_lamports: u64,
    vault_seeds: &[&[u8]],
    reserve_seeds: &[&[u8]],
) -> Result<()> {
    if lamports == 0 {
        return Ok(());
    }
    wsol.wrap(lamports, reserve_seeds)?;
    repay_from_wsol(lending, wsol.wsol_account, supply, lamports, debt_lamports, vault_seeds)
}

/// Repays `repay` lamports of wSOL already in the account; repaying the whole debt settles the
/// fractional interest too (the lending program rounds it up to the same debt this vault
/// computed).
fn repay_from_wsol<'info>(
    lending: &crate::adapters::lending::LendingCpi<'info>,
    wsol_account: &AccountInfo<'info>,
    supply: &AccountInfo<'info>,
    repay: u64,
    debt_lamports: u64,
    vault_seeds: &[&[u8]],
) -> Result<()> {
    if repay == 0 {
        return Ok(());
    }
    let before = token_amount(wsol_account)?;
    let amount = if repay == debt_lamports { u64::MAX } else { repay };
    lending.repay_sol(amount, wsol_account, supply, vault_seeds)?;
    require!(sub(before, token_amount(wsol_account)?)? == repay, VaultError::BalanceMismatch);
    Ok(())
}
