//! The DAO's view: the transactions that propose, execute or cancel a risk-parameter change,
//! for the admin to sign, as a base64 message (what a multisig imports) and as the SPL
//! Governance instruction a Realms proposal carries; checked first against the vault's own
//! bounds, which are listed in words.
use ballast::constants::*;
use ballast::state::RiskParams;
use ballast_client::AdminTarget;
use ballast_keeper::chain::Chain;
use ballast_keeper::dao::{check_bounds, MarketLimits, ProposalTransaction};
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};
use solana_sdk::instruction::Instruction;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;

use crate::error::{ApiError, ApiResult};
use crate::server::App;
use crate::summary::VaultSummary;

/// One transaction for the admin.
#[derive(Debug, Serialize)]
pub struct AdminTransaction {
    pub label: &'static str,
    /// The legacy message (admin as fee payer, a recent blockhash), serialised, base64.
    pub message_base64: String,
    /// The instruction as SPL Governance stores it (`InstructionData`, borsh), base64.
    pub governance_instruction_base64: String,
    /// Seconds a governance proposal should hold this transaction after the vote.
    pub hold_up_secs: u32,
}

/// Each bound `RiskParams::validate` enforces, in words.
pub fn bounds() -> Vec<(&'static str, String)> {
    vec![
        ("fees", format!(
            "management ≤ {MAX_MANAGEMENT_FEE_BPS} bps a year, performance ≤ {MAX_PERFORMANCE_FEE_BPS} bps of profit, \
             withdrawal ≤ {MAX_WITHDRAWAL_FEE_BPS} bps, keeper reward ≤ {MAX_KEEPER_REWARD_BPS} bps of the repayment (FeeAboveCap)"
        )),
        ("LTV", format!(
            "target low ≤ target high < unwind trigger ≤ {MAX_LTV_BPS} bps, unwind target ≤ target high; the trigger must \
             sit below the lending market's liquidation threshold (LtvBoundsInvalid, TriggerAboveLiquidationThreshold)"
        )),
        ("leverage", format!(
            "between 1x and {}x, and no more than the trigger implies: 1 / (1 - trigger) (LeverageBoundInvalid)",
            MAX_LEVERAGE_BPS / 10_000
        )),
        ("oracles", format!(
            "price age 1..={MAX_ORACLE_AGE_SECS} s, confidence 1..={MAX_CONF_BPS} bps, depeg 1..={MAX_DEPEG_BPS} bps (OracleBoundInvalid)"
        )),
        ("slippage", format!("1..={MAX_SLIPPAGE_BPS} bps (SlippageBoundInvalid)")),
        ("allocation", "each cap ≤ 10,000 bps, and the SOL reserve floor plus the pool cap ≤ 10,000 bps (AllocationCapInvalid)".into()),
        ("timelock", format!("{MIN_TIMELOCK_SECS}..={MAX_TIMELOCK_SECS} s (TimelockInvalid); the current timelock applies to this change")),
        ("profit unlock", format!("≤ {MAX_PROFIT_UNLOCK_SECS} s (ProfitUnlockInvalid)")),
    ]
}

async fn admin_transaction(
    app: &App,
    label: &'static str,
    ix: Instruction,
    admin: &Pubkey,
    hold_up_secs: u32,
) -> ApiResult<AdminTransaction> {
    let blockhash = app.chain.latest_blockhash().await?;
    let message = Message::new_with_blockhash(std::slice::from_ref(&ix), Some(admin), &blockhash);
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(AdminTransaction {
        label,
        message_base64: b64.encode(message.serialize()),
        governance_instruction_base64: ProposalTransaction { label, hold_up_secs, instruction: ix }.base64(),
        hold_up_secs,
    })
}

fn target(vault_key: &Pubkey, vault: &ballast::state::Vault) -> AdminTarget {
    AdminTarget { vault: *vault_key, admin: vault.admin, lst_reserve: vault.lending.map(|l| l.lst_reserve) }
}

/// The DAO page's data: who signs, what is in force, what is pending and the bounds.
pub async fn overview(app: &App, vault_key: &Pubkey) -> ApiResult<Value> {
    let (summary, view) = VaultSummary::load(&app.chain, vault_key).await?;
    let admin_owner = app.chain.account(&view.vault.admin).await?.map(|a| a.owner);
    let bounds: Vec<Value> = bounds().into_iter().map(|(name, rule)| json!({ "name": name, "rule": rule })).collect();
    Ok(json!({
        "admin": summary.admin,
        "admin_is_governance": admin_owner == Some(ballast_localnet::governance::governance_program_id()),
        "risk_params": summary.risk_params,
        "pending_risk_params": summary.pending_risk_params,
        "timelock_secs": summary.risk_params.timelock_secs,
        "liquidation_threshold_pct": view.lending.as_ref().map(|l| l.state.lst.liquidation_threshold_pct),
        "bounds": bounds,
    }))
}

/// `propose_risk_params(params)` and the `execute_risk_params` that may follow after the
/// timelock, checked against the vault's bounds and the market's threshold first.
pub async fn propose(app: &App, vault_key: &Pubkey, body: &[u8]) -> ApiResult<Value> {
    let params: RiskParams = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("risk parameters not understood: {e}")))?;
    let (summary, view) = VaultSummary::load(&app.chain, vault_key).await?;
    let market = view.lending.as_ref().map(|l| MarketLimits::of(&l.state.lst));
    check_bounds(&params, market).map_err(|e| ApiError::bad_request(format!("the vault would refuse this: {e}")))?;
    let target = target(vault_key, &view.vault);
    let timelock = summary.risk_params.timelock_secs;
    let propose = ballast_client::propose_risk_params(&target, params);
    let execute = ballast_client::execute_risk_params(&target);
    let hold_up = ballast_localnet::governance::MIN_HOLD_UP_SECS;
    Ok(json!({
        "transactions": [
            admin_transaction(app, "propose_risk_params", propose, &target.admin, hold_up).await?,
            admin_transaction(app, "execute_risk_params", execute, &target.admin, hold_up + timelock).await?,
        ],
        "eta_if_proposed_now_unix": summary.unix_time + timelock as i64,
        "replaces_pending": summary.pending_risk_params.is_some(),
        "note": format!("the change applies no sooner than {timelock} s after the proposal lands; depositors see it pending until then"),
    }))
}

/// `execute_risk_params`, when a change is pending.
pub async fn execute(app: &App, vault_key: &Pubkey) -> ApiResult<Value> {
    let (summary, view) = VaultSummary::load(&app.chain, vault_key).await?;
    let pending = summary.pending_risk_params.as_ref().ok_or_else(|| ApiError::bad_request("no change is pending"))?;
    let target = target(vault_key, &view.vault);
    let ix = ballast_client::execute_risk_params(&target);
    Ok(json!({
        "transactions": [ admin_transaction(app, "execute_risk_params", ix, &target.admin, 0).await? ],
        "eta_unix": pending.eta_unix,
        "note": if pending.eta_in_secs > 0 {
            format!("not before the ETA: {} s from now the vault accepts it (TimelockNotExpired until then)", pending.eta_in_secs)
        } else {
            "the timelock has passed: executable now".to_string()
        },
    }))
}

/// `cancel_proposal(RiskParams)`, when a change is pending.
pub async fn cancel(app: &App, vault_key: &Pubkey) -> ApiResult<Value> {
    let (summary, view) = VaultSummary::load(&app.chain, vault_key).await?;
    if summary.pending_risk_params.is_none() {
        return Err(ApiError::bad_request("no change is pending"));
    }
    let ix = ballast_client::cancel_proposal(*vault_key, view.vault.admin, ballast::state::ProposalKind::RiskParams);
    Ok(json!({
        "transactions": [ admin_transaction(app, "cancel_proposal", ix, &view.vault.admin, 0).await? ],
        "note": "drops the pending change; the parameters in force stay",
    }))
}
