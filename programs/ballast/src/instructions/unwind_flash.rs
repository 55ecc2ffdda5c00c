//! `unwind` for the state where it cannot start: the market's LTV is past its borrow limit, so no
//! collateral may leave until some debt is repaid, and the vault's own SOL is not enough. The
//! transaction takes a flash loan of SOL from the bound SOL reserve into the exit's wSOL account
//! just before this instruction and repays it just after (Save: `FlashBorrowReserveLiquidity`
//! and `FlashRepayReserveLiquidity`, both at the top level; Save refuses them by CPI). The loan
//! repays first; the conversions pay it back with its fee into `flash_repay_account`, the
//! account the repayment is made from; then as `unwind`, down to the target, with the same
//! bound on every conversion and the same reward. The fee is booked with the realized cost.
use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;

use crate::adapters::save;
use crate::errors::VaultError;
use crate::events::FlashUnwound;
use crate::state::LendingVenue;

use super::loop_exit::{self, *};

#[derive(Accounts)]
pub struct UnwindFlash<'info> {
    /// Anyone: receives the keeper reward.
    #[account(mut)]
    pub caller: Signer<'info>,
    pub position: LoopAccounts<'info>,
    /// CHECK: the instructions sysvar, read for the flash borrow before this instruction.
    #[account(address = anchor_lang::solana_program::sysvar::instructions::ID)]
    pub instructions: UncheckedAccount<'info>,
    /// The wSOL account the flash repayment is made from: receives the loan and its fee.
    #[account(mut, token::mint = anchor_spl::token::spl_token::native_mint::ID)]
    pub flash_repay_account: Box<Account<'info, TokenAccount>>,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, 'info, 'info, UnwindFlash<'info>>,
    flash_lamports: u64,
    exit: UnwindExit,
) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = &accounts.position.vault;
    let params = vault.risk_params;
    let binding = *vault.require_lending()?;
    require!(binding.venue == LendingVenue::Save, VaultError::FlashLoanUnsupported);
    // The loan lands where the exit repays from: the pool's wSOL account or the lending one.
    let destination = match exit {
        UnwindExit::Pool => vault.require_pool()?.wsol_account,
        UnwindExit::StakePool => binding.wsol_account,
    };
    save::require_flash_borrow(&accounts.instructions, &binding.sol_reserve, &destination, flash_lamports)?;
    let sol_reserve =
        save::load_reserve(&accounts.position.lending.sol_reserve, &binding.sol_reserve, &binding.market)?;
    let fee_lamports =
        save::flash_loan_fee_lamports(&sol_reserve, flash_lamports)?.ok_or(VaultError::FlashLoanUnsupported)?;
    let request = LoopExitRequest {
        exit,
        target_ltv_bps: params.unwind_target_ltv_bps,
        min_ltv_before_bps: params.unwind_trigger_ltv_bps,
        not_needed: VaultError::UnwindNotNeeded,
        max_repay_lamports: u64::MAX,
        reward_bps: params.keeper_reward_bps,
        flash: Some(FlashLoan {
            lamports: flash_lamports,
            fee_lamports,
            repay_to: accounts.flash_repay_account.to_account_info(),
        }),
    };
    let caller = accounts.caller.to_account_info();
    let outcome = loop_exit::run(&mut accounts.position, ctx.remaining_accounts, &caller, request)?;
    emit!(FlashUnwound {
        vault: accounts.position.vault.key(),
        caller: caller.key(),
        exit,
        flash_lamports: outcome.from_flash_lamports,
        flash_fee_lamports: outcome.flash_fee_lamports,
        rounds: outcome.rounds,
        from_reserve_lamports: outcome.from_reserve_lamports,
        from_pool_lamports: outcome.from_pool_lamports,
        lst_sold: outcome.lst_converted,
        lamports_received: outcome.lamports_received,
        repaid_lamports: outcome.repaid_lamports,
        reward_lamports: outcome.reward_lamports,
        realized_loss_lamports: outcome.realized_loss_lamports,
        ltv_before_bps: outcome.ltv_before_bps,
        ltv_after_bps: outcome.ltv_after_bps,
        debt_lamports: outcome.debt_lamports,
        collateral_lst: outcome.collateral_lst,
    });
    Ok(())
}
