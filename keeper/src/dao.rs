//! A vault's admin instructions, and the SPL Governance proposal a DAO passes to change the
//! vault's risk parameters.
//!
//! The admin of a DAO-owned vault is a governance PDA: it signs only inside the governance
//! program's `ExecuteTransaction`. A parameter change is therefore one proposal with two
//! transactions: `propose_risk_params` (after the governance's minimum hold-up), then
//! `execute_risk_params`, whose hold-up adds the vault's current timelock so it cannot run before
//! the vault's ETA. Depositors see the pending change on chain for the whole timelock.
use anchor_lang::solana_program::instruction::Instruction;
use ballast::client::{execute_risk_params, propose_risk_params, AdminTarget};
use ballast::state::RiskParams;
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

/// The vault's own bounds (`RiskParams::validate`) and, when the market is known, the unwind
/// trigger against its liquidation threshold (in percent, as the lending reserve stores it).
pub fn check_bounds(params: &RiskParams, liquidation_threshold_pct: Option<u8>) -> Result<(), BoundsError> {
    params.validate().map_err(|error| match error {
        anchor_lang::error::Error::AnchorError(e) => BoundsError { name: e.error_name, message: e.error_msg },
        other => BoundsError { name: "Error".into(), message: other.to_string() },
    })?;
    if let Some(threshold_pct) = liquidation_threshold_pct {
        if params.unwind_trigger_ltv_bps as u32 >= threshold_pct as u32 * 100 {
            let e = ballast::errors::VaultError::TriggerAboveLiquidationThreshold;
            return Err(BoundsError { name: e.name(), message: e.to_string() });
        }
    }
    Ok(())
}

/// The proposal that changes `target`'s risk parameters to `params`, after the local bounds
/// check.
#[derive(Clone, Debug)]
pub struct ParamsProposal {
    pub transactions: Vec<ProposalTransaction>,
    /// The vault's timelock now: the new parameters apply this long after transaction 0 runs.
    pub timelock_secs: u32,
}

pub fn risk_params_proposal(
    target: &AdminTarget,
    params: RiskParams,
    current_timelock_secs: u32,
    min_hold_up_secs: u32,
    liquidation_threshold_pct: Option<u8>,
) -> Result<ParamsProposal, BoundsError> {
    check_bounds(&params, liquidation_threshold_pct)?;
    Ok(ParamsProposal {
        transactions: vec![
            ProposalTransaction {
                label: "propose_risk_params",
                hold_up_secs: min_hold_up_secs,
                instruction: propose_risk_params(target, params),
            },
            ProposalTransaction {
                label: "execute_risk_params",
                hold_up_secs: min_hold_up_secs.saturating_add(current_timelock_secs),
                instruction: execute_risk_params(target),
            },
        ],
        timelock_secs: current_timelock_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::solana_program::pubkey::Pubkey;

    /// The example file shipped for operators.
    fn params() -> RiskParams {
        serde_json::from_str(include_str!("../examples/risk-params.json")).unwrap()
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
        assert_eq!(check_bounds(&params(), Some(75)).unwrap_err().name, "TriggerAboveLiquidationThreshold");
        check_bounds(&params(), Some(76)).unwrap();
    }
}
