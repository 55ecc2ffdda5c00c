//! Every state change emits one event carrying the share price after it, so an indexer can chart
//! the vault from events alone.
use anchor_lang::prelude::*;

use crate::state::RiskParams;

/// The vault's headline numbers after an instruction.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultSnapshot {
    /// Assets behind the shares right now (locked profit excluded).
    pub free_assets_lamports: u64,
    /// Share mint supply, dead shares included.
    pub total_shares: u64,
    /// Lamports per whole share (10^9 units), rounded down.
    pub share_price_lamports: u64,
}

#[event]
#[derive(Debug)]
pub struct VaultInitialized {
    pub vault: Pubkey,
    pub admin: Pubkey,
    pub stake_pool: Pubkey,
    pub seed_deposit_lamports: u64,
    pub snapshot: VaultSnapshot,
}

#[event]
#[derive(Debug)]
pub struct Deposited {
    pub vault: Pubkey,
    pub depositor: Pubkey,
    pub lamports: u64,
    pub shares: u64,
    pub snapshot: VaultSnapshot,
}

#[event]
#[derive(Debug)]
pub struct Withdrawn {
    pub vault: Pubkey,
    pub owner: Pubkey,
    pub shares: u64,
    /// Lamports paid out.
    pub lamports: u64,
    pub fee_lamports: u64,
    /// LST sold through the pool to pay, and what that sale cost against the stake-pool rate
    /// (already taken from `lamports`: the withdrawer bears it).
    pub lst_sold: u64,
    pub exit_cost_lamports: u64,
    pub snapshot: VaultSnapshot,
}

#[event]
#[derive(Debug)]
pub struct Staked {
    pub vault: Pubkey,
    pub lamports: u64,
    pub lst_received: u64,
    pub snapshot: VaultSnapshot,
}

#[event]
#[derive(Debug)]
pub struct Harvested {
    pub vault: Pubkey,
    pub profit_lamports: u64,
    pub loss_lamports: u64,
    pub management_fee_lamports: u64,
    pub performance_fee_lamports: u64,
    pub fee_shares: u64,
    pub locked_profit_lamports: u64,
    pub snapshot: VaultSnapshot,
}

#[event]
#[derive(Debug)]
pub struct RiskParamsProposed {
    pub vault: Pubkey,
    pub params: RiskParams,
    pub eta_unix: i64,
}

#[event]
#[derive(Debug)]
pub struct RiskParamsExecuted {
    pub vault: Pubkey,
    pub params: RiskParams,
}

#[event]
#[derive(Debug)]
pub struct ProposalCancelled {
    pub vault: Pubkey,
    pub kind: crate::state::ProposalKind,
}

#[event]
#[derive(Debug)]
pub struct RolesSet {
    pub vault: Pubkey,
    pub guardian: Pubkey,
    pub allocator: Pubkey,
    pub fee_recipient: Pubkey,
}

#[event]
#[derive(Debug)]
pub struct AdminTransferStarted {
    pub vault: Pubkey,
    pub pending_admin: Pubkey,
}

#[event]
#[derive(Debug)]
pub struct AdminAccepted {
    pub vault: Pubkey,
    pub admin: Pubkey,
}

#[event]
#[derive(Debug)]
pub struct PauseSet {
    pub vault: Pubkey,
    pub paused: bool,
    pub by: Pubkey,
}

#[event]
#[derive(Debug)]
pub struct LendingBound {
    pub vault: Pubkey,
    pub binding: crate::state::LendingBinding,
}

#[event]
#[derive(Debug)]
pub struct LendingMoved {
    pub vault: Pubkey,
    /// What moved: "supply", "withdraw", "leverage_up", "deleverage".
    pub action: String,
    /// LST supplied or redeemed, SOL borrowed or repaid.
    pub amount: u64,
    pub collateral_lst: u64,
    pub debt_lamports: u64,
    /// Debt over conservatively valued collateral, in bps (0 when the action read no prices).
    pub conservative_ltv_bps: u64,
    pub snapshot: VaultSnapshot,
}

#[event]
#[derive(Debug)]
pub struct PoolBound {
    pub vault: Pubkey,
    pub binding: crate::state::PoolBinding,
}

#[event]
#[derive(Debug)]
pub struct PoolMoved {
    pub vault: Pubkey,
    /// "add" or "remove".
    pub action: String,
    pub pool_tokens: u64,
    pub lst_amount: u64,
    pub lamports: u64,
    /// The vault's pool tokens after the action, and their value at the stake-pool rate.
    pub vault_pool_tokens: u64,
    pub pool_value_lamports: u64,
    pub snapshot: VaultSnapshot,
}

#[event]
#[derive(Debug)]
pub struct Unwound {
    pub vault: Pubkey,
    pub caller: Pubkey,
    /// How collateral was turned into SOL.
    pub exit: crate::instructions::loop_exit::UnwindExit,
    /// Withdraw-convert-repay rounds (the market caps each withdrawal by its borrow limit).
    pub rounds: u8,
    /// Repaid from the vault's own SOL above the reserve's floor, before any collateral moved.
    pub from_reserve_lamports: u64,
    /// Repaid from the vault's share of the pool's SOL (pool exit), before any collateral moved.
    pub from_pool_lamports: u64,
    /// LST converted (sold through the pool or unstaked), and the SOL it brought.
    pub lst_sold: u64,
    pub lamports_received: u64,
    pub repaid_lamports: u64,
    pub reward_lamports: u64,
    /// The conversions' shortfall against the stake-pool rate plus the reward, booked at once.
    pub realized_loss_lamports: u64,
    /// The market's LTV (borrowed over deposited value), refreshed, before and after.
    pub ltv_before_bps: u64,
    pub ltv_after_bps: u64,
    pub debt_lamports: u64,
    pub collateral_lst: u64,
}

/// The allocator left the loop (`leave_loop`): what it repaid from the reserve and from
/// collateral converted through `exit`, and the market's LTV before and after.
#[event]
#[derive(Debug)]
pub struct LeftLoop {
    pub vault: Pubkey,
    pub exit: crate::instructions::loop_exit::UnwindExit,
    pub target_ltv_bps: u16,
    pub rounds: u8,
    pub from_reserve_lamports: u64,
    pub from_pool_lamports: u64,
    /// LST converted (sold through the pool or unstaked), and the SOL it brought.
    pub lst_converted: u64,
    pub lamports_received: u64,
    pub repaid_lamports: u64,
    /// The conversions' shortfall against the stake-pool rate, booked at once.
    pub realized_loss_lamports: u64,
    pub ltv_before_bps: u64,
    pub ltv_after_bps: u64,
    pub debt_lamports: u64,
    pub collateral_lst: u64,
}

#[event]
#[derive(Debug)]
pub struct LendingProposed {
    pub vault: Pubkey,
    pub pending: crate::state::PendingLending,
}

#[event]
#[derive(Debug)]
pub struct PoolProposed {
    pub vault: Pubkey,
    pub pending: crate::state::PendingPool,
}

#[event]
#[derive(Debug)]
pub struct RolesProposed {
    pub vault: Pubkey,
    pub pending: crate::state::PendingRoles,
}

/// Anyone unwound with a flash loan (`unwind_flash`): the loan repaid first, the conversions paid
/// it back with its fee, then as `Unwound`.
#[event]
#[derive(Debug)]
pub struct FlashUnwound {
    pub vault: Pubkey,
    pub caller: Pubkey,
    pub exit: crate::instructions::loop_exit::UnwindExit,
    /// The flash loan, repaid first, and its fee (paid back with it, booked as a loss).
    pub flash_lamports: u64,
    pub flash_fee_lamports: u64,
    pub rounds: u8,
    pub from_reserve_lamports: u64,
    pub from_pool_lamports: u64,
    pub lst_sold: u64,
    pub lamports_received: u64,
    /// Repaid in all: the flash loan, the reserve and pool SOL, the conversions beyond the loan.
    pub repaid_lamports: u64,
    pub reward_lamports: u64,
    /// The conversions' shortfall against the stake-pool rate, the reward and the flash fee.
    pub realized_loss_lamports: u64,
    pub ltv_before_bps: u64,
    pub ltv_after_bps: u64,
    pub debt_lamports: u64,
    pub collateral_lst: u64,
}
