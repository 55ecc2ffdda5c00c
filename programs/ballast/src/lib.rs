//! Ballast: a SOL vault that stakes into a liquid staking token, loops it on a lending market
//! and keeps part in an LST/SOL pool, with every risk-adding step guarded by prices and bounds
//! a DAO sets behind a timelock. This file only dispatches: each instruction lives in its own
//! file under `instructions/`.
use anchor_lang::prelude::*;

pub mod adapters;
#[cfg(feature = "client")]
pub mod client_accounts;
pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod oracle;
pub mod state;

use instructions::*;
use state::RiskParams;

declare_id!("DXLSyeM3WerAoQZYxnZaynUn1CQdcJrNfLPoTJJJmB36");

#[program]
pub mod ballast {
    use super::*;

    // Admin / DAO
    pub fn initialize_vault(ctx: Context<InitializeVault>, args: InitializeVaultArgs) -> Result<()> {
        vault_initialize::handler(ctx, args)
    }

    pub fn propose_risk_params(ctx: Context<ProposeRiskParams>, params: RiskParams) -> Result<()> {
        dao_propose_risk_params::handler(ctx, params)
    }

    pub fn execute_risk_params(ctx: Context<ExecuteRiskParams>) -> Result<()> {
        dao_execute_risk_params::handler(ctx)
    }

    pub fn cancel_proposal(ctx: Context<CancelProposal>, kind: state::ProposalKind) -> Result<()> {
        dao_cancel_proposal::handler(ctx, kind)
    }

    pub fn propose_roles(
        ctx: Context<ProposeRoles>,
        guardian: Pubkey,
        allocator: Pubkey,
        fee_recipient: Pubkey,
    ) -> Result<()> {
        dao_propose_roles::handler(ctx, guardian, allocator, fee_recipient)
    }

    pub fn set_roles(ctx: Context<SetRoles>) -> Result<()> {
        dao_set_roles::handler(ctx)
    }

    pub fn transfer_admin(ctx: Context<TransferAdmin>, new_admin: Pubkey) -> Result<()> {
        dao_transfer_admin::handler(ctx, new_admin)
    }

    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        dao_accept_admin::handler(ctx)
    }

    pub fn set_pause(ctx: Context<SetPause>, paused: bool) -> Result<()> {
        dao_set_pause::handler(ctx, paused)
    }

    // Depositor
    pub fn deposit(ctx: Context<Deposit>, lamports: u64, min_shares_out: u64) -> Result<()> {
        vault_deposit::handler(ctx, lamports, min_shares_out)
    }

    pub fn withdraw<'info>(
        ctx: Context<'_, '_, '_, 'info, Withdraw<'info>>,
        shares: u64,
        min_lamports_out: u64,
    ) -> Result<()> {
        vault_withdraw::handler(ctx, shares, min_lamports_out)
    }

    // Allocator
    pub fn stake(ctx: Context<Stake>, lamports: u64) -> Result<()> {
        allocator_stake::handler(ctx, lamports)
    }

    pub fn harvest(ctx: Context<Harvest>) -> Result<()> {
        vault_harvest::handler(ctx)
    }

    // Lending loop
    pub fn propose_lending(ctx: Context<ProposeLending>) -> Result<()> {
        lending_propose::handler(ctx)
    }

    pub fn bind_lending(ctx: Context<BindLending>) -> Result<()> {
        lending_bind::handler(ctx)
    }

    pub fn lend_supply(ctx: Context<LendSupply>, lst_amount: u64) -> Result<()> {
        lending_supply::handler(ctx, lst_amount)
    }

    pub fn lend_withdraw(ctx: Context<LendWithdraw>, ctokens: u64) -> Result<()> {
        lending_withdraw::handler(ctx, ctokens)
    }

    pub fn leverage_up(ctx: Context<LeverageUp>, borrow_lamports: u64) -> Result<()> {
        leverage_up::handler(ctx, borrow_lamports)
    }

    pub fn deleverage(ctx: Context<Deleverage>, repay_lamports: u64) -> Result<()> {
        leverage_down::handler(ctx, repay_lamports)
    }

    // Pool

    pub fn propose_pool(ctx: Context<ProposePool>) -> Result<()> {
        pool_propose::handler(ctx)
    }

    pub fn bind_pool(ctx: Context<BindPool>) -> Result<()> {
        pool_bind::handler(ctx)
    }

    pub fn pool_add<'info>(ctx: Context<'_, '_, '_, 'info, PoolAdd<'info>>, pool_tokens: u64) -> Result<()> {
        pool_add::handler(ctx, pool_tokens)
    }

    pub fn pool_remove<'info>(ctx: Context<'_, '_, '_, 'info, PoolRemove<'info>>, pool_tokens: u64) -> Result<()> {
        pool_remove::handler(ctx, pool_tokens)
    }

    // Anyone

    pub fn unwind<'info>(
        ctx: Context<'_, '_, 'info, 'info, Unwind<'info>>,
        max_repay_lamports: u64,
        exit: UnwindExit,
    ) -> Result<()> {
        unwind::handler(ctx, max_repay_lamports, exit)
    }

    /// `unwind` past the market's borrow limit, paid from a flash loan the transaction takes
    /// just before it (Save only).
    pub fn unwind_flash<'info>(
        ctx: Context<'_, '_, 'info, 'info, UnwindFlash<'info>>,
        flash_lamports: u64,
        exit: UnwindExit,
    ) -> Result<()> {
        unwind_flash::handler(ctx, flash_lamports, exit)
    }

    // Allocator, at any LTV

    pub fn leave_loop<'info>(
        ctx: Context<'_, '_, 'info, 'info, LeaveLoop<'info>>,
        target_ltv_bps: u16,
        max_repay_lamports: u64,
        exit: UnwindExit,
    ) -> Result<()> {
        leave_loop::handler(ctx, target_ltv_bps, max_repay_lamports, exit)
    }
}
