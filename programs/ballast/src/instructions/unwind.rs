//! Anyone may unwind the loop once the lending market's own LTV (refreshed in this instruction)
//! is above `unwind_trigger_ltv_bps`, down to `unwind_target_ltv_bps`, through the exit the
//! caller names (see `loop_exit` for the order of sources and the bound on every conversion).
//! The caller gets `keeper_reward_bps` of what was repaid, from the reserve, and nothing else.
use anchor_lang::prelude::*;

use crate::errors::VaultError;
use crate::events::Unwound;

use super::loop_exit::{self, *};

#[derive(Accounts)]
pub struct Unwind<'info> {
    /// Anyone: receives the keeper reward.
    #[account(mut)]
    pub caller: Signer<'info>,
    pub position: LoopAccounts<'info>,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, 'info, 'info, Unwind<'info>>,
    max_repay_lamports: u64,
    exit: UnwindExit,
) -> Result<()> {
    let accounts = ctx.accounts;
    let params = accounts.position.vault.risk_params;
    let request = LoopExitRequest {
        exit,
        target_ltv_bps: params.unwind_target_ltv_bps,
        min_ltv_before_bps: params.unwind_trigger_ltv_bps,
        not_needed: VaultError::UnwindNotNeeded,
        max_repay_lamports,
        reward_bps: params.keeper_reward_bps,
        flash: None,
    };
    let caller = accounts.caller.to_account_info();
    let outcome = loop_exit::run(&mut accounts.position, ctx.remaining_accounts, &caller, request)?;
    emit!(Unwound {
        vault: accounts.position.vault.key(),
        caller: caller.key(),
        exit,
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
