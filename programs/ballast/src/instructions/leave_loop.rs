//! The allocator leaves the loop, at any LTV, when it costs more than it earns: repays debt from
//! the reserve above its floor, then from collateral withdrawn and converted through the exit
//! it names (the stake pool's `WithdrawSol` at its rate, or the pool within
//! `unwind_slippage_bps` of the rate), down to `target_ltv_bps` (0: the loop closed). The same
//! engine and bound as `unwind` (see `loop_exit`), with no reward. Risk-reducing: it reads no
//! vault oracle and works while paused.
use anchor_lang::prelude::*;

use crate::constants::BPS_DENOMINATOR;
use crate::errors::VaultError;
use crate::events::LeftLoop;

use super::loop_exit::{self, *};

#[derive(Accounts)]
pub struct LeaveLoop<'info> {
    #[account(mut)]
    pub allocator: Signer<'info>,
    pub position: LoopAccounts<'info>,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, 'info, 'info, LeaveLoop<'info>>,
    target_ltv_bps: u16,
    max_repay_lamports: u64,
    exit: UnwindExit,
) -> Result<()> {
    let accounts = ctx.accounts;
    accounts.position.vault.require_allocator(accounts.allocator.key)?;
    require!((target_ltv_bps as u64) < BPS_DENOMINATOR, VaultError::TargetLtvInvalid);
    let request = LoopExitRequest {
        exit,
        target_ltv_bps,
        min_ltv_before_bps: target_ltv_bps,
        not_needed: VaultError::LeaveLoopNotNeeded,
        max_repay_lamports,
        reward_bps: 0,
        flash: None,
    };
    let allocator = accounts.allocator.to_account_info();
    let outcome = loop_exit::run(&mut accounts.position, ctx.remaining_accounts, &allocator, request)?;
    emit!(LeftLoop {
        vault: accounts.position.vault.key(),
        exit,
        target_ltv_bps,
        rounds: outcome.rounds,
        from_reserve_lamports: outcome.from_reserve_lamports,
        from_pool_lamports: outcome.from_pool_lamports,
        lst_converted: outcome.lst_converted,
        lamports_received: outcome.lamports_received,
        repaid_lamports: outcome.repaid_lamports,
        realized_loss_lamports: outcome.realized_loss_lamports,
        ltv_before_bps: outcome.ltv_before_bps,
        ltv_after_bps: outcome.ltv_after_bps,
        debt_lamports: outcome.debt_lamports,
        collateral_lst: outcome.collateral_lst,
    });
    Ok(())
}
