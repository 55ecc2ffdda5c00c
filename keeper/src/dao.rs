//! A vault's admin instructions, and the SPL Governance proposals a DAO passes to change the
//! vault's risk parameters or its roles.
//!
//! The admin of a DAO-owned vault is a governance PDA: it signs only inside the governance
//! program's `ExecuteTransaction`. A parameter change is therefore one proposal with two
//! transactions: `propose_risk_params` (after the governance's minimum hold-up), then
//! `execute_risk_params`, whose hold-up adds the vault's current timelock so it cannot run before
//! the vault's ETA. Depositors see the pending change on chain for the whole timelock.
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::pubkey::Pubkey;
use ballast::state::RiskParams;
use ballast_client::{execute_risk_params, propose_risk_params, propose_roles, set_roles, AdminTarget};
use base64::Engine;

/// One transaction of a governance proposal.
#[derive(Clone, Debug)]
pub struct ProposalTransaction {
    pub label: &'static str,
    /// Seconds after the vote succeeds before the governance program lets it execute.
    pub hold_up_secs: u32,
    pub instruction: Instruction,
}

impl ProposalTransaction {
    /// The instruction as SPL Governance stores it (`InstructionData`, borsh), base64: what a
    /// governance UI's custom-instruction field takes.
    pub fn base64(&self) -> String {
        let data = spl_governance::state::proposal_transaction::InstructionData::from(self.instruction.clone());
        let bytes = borsh::BorshSerialize::try_to_vec(&data).expect("in-memory serialisation");
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// Why a proposed change would be refused by the vault.
#[derive(Debug, PartialEq, Eq)]
pub struct BoundsError {
    pub name: String,
    pub message: String,
}

impl std::fmt::Display for BoundsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for BoundsError {}

/// The lending market's limits the unwind trigger is checked against, in percent as the LST
/// reserve stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketLimits {
    /// The reserve's loan-to-value ratio: collateral cannot be withdrawn above it.
    pub borrow_limit_pct: u8,
    pub liquidation_threshold_pct: u8,
}

impl MarketLimits {
    /// The bound market's limits, read from its LST reserve.
    pub fn of(lst_reserve: &ballast::adapters::lending::ReserveView) -> Self {
        Self {
            borrow_limit_pct: lst_reserve.loan_to_value_pct,
            liquidation_threshold_pct: lst_reserve.liquidation_threshold_pct,
        }
    }
}

impl MarketLimits {
    /// The reserve floor (bps of the vault's assets) that can still start an unwind after the
    /// LST jumps so far in one step that the market's LTV goes from the vault's trigger to just
    /// under its liquidation line, past its borrow limit, with no flash loan to repay first (on
    /// spl-token-lending, which has none): `math::unwind::blocked_unwind_floor_bps`.
    pub fn floor_for_a_jump_from_the_trigger_bps(&self, params: &RiskParams) -> Result<u16, BoundsError> {
        ballast::math::unwind::blocked_unwind_floor_bps(
            params.unwind_trigger_ltv_bps,
            self.borrow_limit_pct as u16 * 100,
            self.liquidation_threshold_pct as u16 * 100,
        )
        .map_err(bounds_error)
    }
}

fn bounds_error(error: anchor_lang::error::Error) -> BoundsError {
    match error {
        anchor_lang::error::Error::AnchorError(e) => BoundsError { name: e.error_name, message: e.error_msg },
        other => BoundsError { name: "Error".into(), message: other.to_string() },
    }
}

/// The vault's own bounds (`RiskParams::validate`) and, when the market is known, the program's
/// own check of the unwind trigger against its borrow limit and liquidation threshold.
pub fn check_bounds(params: &RiskParams, market: Option<MarketLimits>) -> Result<(), BoundsError> {
    params.validate().map_err(bounds_error)?;
    if let Some(m) = market {
        params.check_trigger_for_market(m.borrow_limit_pct, m.liquidation_threshold_pct).map_err(bounds_error)?;
    }
    Ok(())
}

/// A timelocked change as one governance proposal: the vault's `propose_*` after the
/// governance's minimum hold-up, and the step that applies it with the vault's timelock added.
#[derive(Clone, Debug)]
pub struct TimelockedProposal {
    pub transactions: Vec<ProposalTransaction>,
    /// The vault's timelock now: the change may apply this long after transaction 0 runs.
    pub timelock_secs: u32,
}

fn timelocked(
    propose: (&'static str, Instruction),
    apply: (&'static str, Instruction),
    current_timelock_secs: u32,
    min_hold_up_secs: u32,
) -> TimelockedProposal {
    TimelockedProposal {
        transactions: vec![
            ProposalTransaction { label: propose.0, hold_up_secs: min_hold_up_secs, instruction: propose.1 },
            ProposalTransaction {
                label: apply.0,
                hold_up_secs: min_hold_up_secs.saturating_add(current_timelock_secs),
                instruction: apply.1,
            },
        ],
        timelock_secs: current_timelock_secs,
    }
}

/// The proposal that changes `target`'s risk parameters to `params`, after the local bounds
/// check.
pub fn risk_params_proposal(
    target: &AdminTarget,
    params: RiskParams,
    current_timelock_secs: u32,
    min_hold_up_secs: u32,
    market: Option<MarketLimits>,
) -> Result<TimelockedProposal, BoundsError> {
    check_bounds(&params, market)?;
    Ok(timelocked(
        ("propose_risk_params", propose_risk_params(target, params)),
        ("execute_risk_params", execute_risk_params(target)),
        current_timelock_secs,
        min_hold_up_secs,
    ))
}

/// The proposal that names the vault's guardian, allocator and fee recipient.
pub fn roles_proposal(
    target: &AdminTarget,
    roles: [Pubkey; 3],
    current_timelock_secs: u32,
    min_hold_up_secs: u32,
) -> TimelockedProposal {
    let [guardian, allocator, fee_recipient] = roles;
    timelocked(
        ("propose_roles", propose_roles(target.vault, target.admin, guardian, allocator, fee_recipient)),
        ("set_roles", set_roles(target.vault, target.admin)),
        current_timelock_secs,
        min_hold_up_secs,
    )
}

/// The proposal that binds the vault to a stable LST/SOL pool after the vault's timelock; the
/// vault's two new token accounts are paid by the governance's native treasury (the governance
/// program signs for it when it executes), which must hold their rent.
pub fn pool_proposal(
    target: &AdminTarget,
    swap: Pubkey,
    pool_mint: Pubkey,
    current_timelock_secs: u32,
    min_hold_up_secs: u32,
) -> TimelockedProposal {
    let treasury =
        spl_governance::state::native_treasury::get_native_treasury_address(&governance_program(), &target.admin);
    timelocked(
        ("propose_pool", ballast_client::propose_pool(target.vault, target.admin, swap)),
        ("bind_pool", ballast_client::bind_pool(target.vault, target.admin, treasury, swap, pool_mint)),
        current_timelock_secs,
        min_hold_up_secs,
    )
}

/// The SPL Governance program the DAO's realm runs on (its mainnet address).
pub fn governance_program() -> Pubkey {
    solana_sdk::pubkey!("GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example file shipped for operators.
    fn params() -> RiskParams {
        serde_json::from_str(include_str!("../examples/risk-params.json")).unwrap()
    }

    #[test]
    fn the_floor_for_a_jump_from_the_trigger_is_the_programs_formula() {
        // The example's trigger is 75%: on an 85% / 90% market a seventh of the assets.
        let m = MarketLimits { borrow_limit_pct: 85, liquidation_threshold_pct: 90 };
        assert_eq!(m.floor_for_a_jump_from_the_trigger_bps(&params()).unwrap(), 1_429);
        // No room between the limits, nothing to cover.
        let m = MarketLimits { borrow_limit_pct: 90, liquidation_threshold_pct: 90 };
        assert_eq!(m.floor_for_a_jump_from_the_trigger_bps(&params()).unwrap(), 0);
    }

    #[test]
    fn params_file_round_trips_and_refuses_unknown_or_missing_fields() {
        let json = serde_json::to_string(&params()).unwrap();
        assert_eq!(serde_json::from_str::<RiskParams>(&json).unwrap(), params());
        let unknown = json.replacen('{', "{\"max_levrage_bps\":1,", 1);
        assert!(serde_json::from_str::<RiskParams>(&unknown).is_err());
        let missing = json.replacen("\"timelock_secs\":172800,", "", 1);
        assert!(serde_json::from_str::<RiskParams>(&missing).is_err());
    }

    #[test]
    fn the_proposal_waits_the_timelock_and_refuses_what_the_vault_would() {
        let target = AdminTarget { vault: Pubkey::new_unique(), admin: Pubkey::new_unique(), lst_reserve: None };
        let proposal = risk_params_proposal(&target, params(), 172_800, 86_400, None).unwrap();
        assert_eq!(proposal.transactions[0].hold_up_secs, 86_400);
        assert_eq!(proposal.transactions[1].hold_up_secs, 86_400 + 172_800);
        // The governance PDA is the signer the program will see.
        let signer = &proposal.transactions[0].instruction.accounts[0];
        assert!(signer.is_signer && signer.pubkey == target.admin);

        let over = RiskParams { withdrawal_fee_bps: 101, ..params() };
        assert_eq!(risk_params_proposal(&target, over, 172_800, 0, None).unwrap_err().name, "FeeAboveCap");
        let market = |borrow_limit_pct, liquidation_threshold_pct| {
            Some(MarketLimits { borrow_limit_pct, liquidation_threshold_pct })
        };
        assert_eq!(check_bounds(&params(), market(80, 75)).unwrap_err().name, "TriggerAboveLiquidationThreshold");
        // Above the borrow limit less its margin (the example's trigger is 75%).
        assert_eq!(check_bounds(&params(), market(75, 80)).unwrap_err().name, "TriggerTooCloseToBorrowLimit");
        check_bounds(&params(), market(76, 80)).unwrap();

        let pool = pool_proposal(&target, Pubkey::new_unique(), Pubkey::new_unique(), 172_800, 86_400);
        assert_eq!(pool.transactions[1].label, "bind_pool");
        // The governance's native treasury pays, and the governance signs as admin.
        let bind = &pool.transactions[1].instruction;
        let treasury =
            spl_governance::state::native_treasury::get_native_treasury_address(&governance_program(), &target.admin);
        assert!(bind.accounts[0].is_signer && bind.accounts[0].pubkey == target.admin);
        assert!(bind.accounts[1].is_signer && bind.accounts[1].pubkey == treasury);

        let roles = [Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique()];
        let proposal = roles_proposal(&target, roles, 172_800, 86_400);
        assert_eq!(proposal.transactions[0].label, "propose_roles");
        assert_eq!(proposal.transactions[1].hold_up_secs, 86_400 + 172_800);
    }
}
