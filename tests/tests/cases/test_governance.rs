//! A DAO on the real spl-governance program owns a vault: its risk parameters change only
//! through a passed proposal and then the vault's own timelock; the guardian still pauses at
//! once; nothing a vote passes can cross the vault's hard bounds.
use ballast::errors::VaultError;
use ballast::state::RiskParams;
use ballast_keeper::dao::{check_bounds, risk_params_proposal, MarketLimits};
use ballast_localnet::chain::assert_error;
use ballast_localnet::governance::{Dao, ProposalTx, MIN_HOLD_UP_SECS, VOTING_BASE_SECS};
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use base64::Engine;
use solana_program::instruction::Instruction;
use solana_sdk::signature::Signer;
use spl_governance::state::enums::ProposalState;

/// Voter 0 holds 60% of the community tokens, voter 1 holds 40%; a proposal passes with more
/// than half.
const WEIGHTS: [u64; 2] = [600_000, 400_000];

/// A vault bound to a lending market, with a depositor, whose admin has handed the vault to
/// the DAO's governance through the two-step transfer (the acceptance is itself a proposal).
async fn dao_owned_vault() -> (VaultClient, Dao) {
    let mut env = VaultClient::start(default_params()).await;
    env.bind_lending(0, 4).await;
    let (alice, shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &shares, 10 * SOL, 0).await.unwrap();
    let dao = Dao::create(&mut env.chain, "ballast-dao", &WEIGHTS).await;

    let admin = env.v.admin.insecure_clone();
    env.send_as(env.transfer_admin_ix(&admin.pubkey(), dao.governance), &admin).await.unwrap();
    let accept = env.accept_admin_ix(&dao.governance);
    let proposal = passed(&mut env, &dao, "Accept the vault", vec![(accept.clone(), MIN_HOLD_UP_SECS)]).await;
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    dao.execute(&mut env.chain, &proposal, 0, &accept).await.unwrap();
    assert_eq!(env.vault().await.admin, dao.governance);
    (env, dao)
}

/// A proposal by voter 1 holding `txs`, voted through by voter 0.
async fn passed(
    env: &mut VaultClient,
    dao: &Dao,
    name: &str,
    txs: Vec<(Instruction, u32)>,
) -> solana_program::pubkey::Pubkey {
    let txs = txs.into_iter().map(|(ix, hold_up_secs)| ProposalTx { instructions: vec![ix], hold_up_secs }).collect();
    let proposal = dao.propose(&mut env.chain, 1, name, txs).await;
    dao.vote(&mut env.chain, &proposal, 1, 0, true).await.unwrap();
    assert_eq!(dao.proposal_state(&mut env.chain, &proposal).await, ProposalState::Succeeded);
    proposal
}

/// The harness market's LST reserve: borrow limit 85%, liquidation at 90%.
const MARKET: MarketLimits = MarketLimits { borrow_limit_pct: 85, liquidation_threshold_pct: 90 };

fn new_params() -> RiskParams {
    RiskParams { max_leverage_bps: 25_000, max_slippage_bps: 40, ..default_params() }
}

#[tokio::test]
async fn a_passed_proposal_changes_params_only_after_the_vault_timelock() {
    let (mut env, dao) = dao_owned_vault().await;
    let governance = dao.governance;
    let propose = env.propose_ix(&governance, new_params());
    // Both transactions may run right after the hold-up: only the vault's timelock holds the
    // second back.
    let execute = env.execute_ix(&governance);
    let proposal = passed(
        &mut env,
        &dao,
        "Lower leverage",
        vec![(propose.clone(), MIN_HOLD_UP_SECS), (execute.clone(), MIN_HOLD_UP_SECS)],
    )
    .await;

    // The governance program holds both until the hold-up has passed.
    assert!(dao.execute(&mut env.chain, &proposal, 0, &propose).await.is_err());
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    dao.execute(&mut env.chain, &proposal, 0, &propose).await.unwrap();
    let pending = env.vault().await.pending_risk_params.expect("pending");
    assert_eq!(pending.params, new_params());
    let now = env.chain.clock().await.unix_timestamp;
    assert_eq!(pending.eta_unix, now + default_params().timelock_secs as i64);

    // Before the ETA the vault refuses, with its own error, and nothing changes.
    let before = env.snapshot(&[]).await;
    assert_error(dao.execute(&mut env.chain, &proposal, 1, &execute).await, VaultError::TimelockNotExpired);
    before.assert_same(&env.snapshot(&[]).await);

    env.chain.advance_secs(default_params().timelock_secs as i64).await;
    dao.execute(&mut env.chain, &proposal, 1, &execute).await.unwrap();
    let vault = env.vault().await;
    assert_eq!(vault.risk_params, new_params());
    assert!(vault.pending_risk_params.is_none());
    assert_eq!(dao.proposal_state(&mut env.chain, &proposal).await, ProposalState::Completed);
}

#[tokio::test]
async fn the_printed_proposal_is_what_the_governance_executes() {
    let (mut env, dao) = dao_owned_vault().await;
    let target = env.admin_target(&dao.governance);
    let timelock = default_params().timelock_secs;
    let printed = risk_params_proposal(&target, new_params(), timelock, MIN_HOLD_UP_SECS, Some(MARKET)).unwrap();
    // What a member pastes into a governance UI: the base64 strings, decoded back.
    let txs: Vec<(Instruction, u32)> = printed
        .transactions
        .iter()
        .map(|tx| {
            let bytes = base64::engine::general_purpose::STANDARD.decode(tx.base64()).unwrap();
            let data: spl_governance::state::proposal_transaction::InstructionData =
                borsh::BorshDeserialize::try_from_slice(&bytes).unwrap();
            (Instruction::from(&data), tx.hold_up_secs)
        })
        .collect();
    assert_eq!(txs[0].0, printed.transactions[0].instruction);
    assert_eq!(txs[1].1, MIN_HOLD_UP_SECS + timelock);
    let proposal = passed(&mut env, &dao, "Printed change", txs.clone()).await;

    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    dao.execute(&mut env.chain, &proposal, 0, &txs[0].0).await.unwrap();
    // The second transaction's hold-up covers the vault's timelock.
    assert!(dao.execute(&mut env.chain, &proposal, 1, &txs[1].0).await.is_err());
    env.chain.advance_secs(timelock as i64).await;
    dao.execute(&mut env.chain, &proposal, 1, &txs[1].0).await.unwrap();
    assert_eq!(env.vault().await.risk_params, new_params());

    // The local check refuses what the vault would, by the vault's own error name.
    let greedy = RiskParams { performance_fee_bps: 9_000, ..new_params() };
    assert_eq!(check_bounds(&greedy, None).unwrap_err().name, "FeeAboveCap");
    let late = RiskParams { unwind_trigger_ltv_bps: 9_200, max_leverage_bps: 30_000, ..new_params() };
    assert_eq!(check_bounds(&late, Some(MARKET)).unwrap_err().name, "TriggerAboveLiquidationThreshold");
}

#[tokio::test]
async fn defeated_and_cancelled_proposals_and_direct_calls_change_nothing() {
    let (mut env, dao) = dao_owned_vault().await;
    let governance = dao.governance;
    let propose = env.propose_ix(&governance, new_params());
    let before = env.snapshot(&[]).await;

    // Defeated: the 60% holder votes no.
    let txs = vec![ProposalTx { instructions: vec![propose.clone()], hold_up_secs: MIN_HOLD_UP_SECS }];
    let defeated = dao.propose(&mut env.chain, 1, "Defeated", txs).await;
    dao.vote(&mut env.chain, &defeated, 1, 0, false).await.unwrap();
    assert_eq!(dao.proposal_state(&mut env.chain, &defeated).await, ProposalState::Defeated);
    env.chain.advance_secs((VOTING_BASE_SECS + MIN_HOLD_UP_SECS) as i64).await;
    assert!(dao.execute(&mut env.chain, &defeated, 0, &propose).await.is_err());

    // Cancelled by its owner before the vote ends.
    let txs = vec![ProposalTx { instructions: vec![propose.clone()], hold_up_secs: MIN_HOLD_UP_SECS }];
    let cancelled = dao.propose(&mut env.chain, 1, "Cancelled", txs).await;
    dao.cancel(&mut env.chain, &cancelled, 1).await.unwrap();
    assert_eq!(dao.proposal_state(&mut env.chain, &cancelled).await, ProposalState::Cancelled);
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    assert!(dao.execute(&mut env.chain, &cancelled, 0, &propose).await.is_err());

    // A token holder calling the vault directly is not its admin.
    let holder = dao.voters[0].keypair.insecure_clone();
    let direct = env.propose_ix(&holder.pubkey(), new_params());
    assert_error(env.send_as(direct, &holder).await, VaultError::NotAdmin);

    before.assert_same(&env.snapshot(&[]).await);
    assert_eq!(env.vault().await.risk_params, default_params());
}

#[tokio::test]
async fn out_of_bounds_parameters_fail_even_when_voted_for() {
    let (mut env, dao) = dao_owned_vault().await;
    let governance = dao.governance;
    let cases = [
        (RiskParams { performance_fee_bps: 9_000, ..default_params() }, VaultError::FeeAboveCap),
        (RiskParams { max_oracle_age_secs: 0, ..default_params() }, VaultError::OracleBoundInvalid),
        (RiskParams { timelock_secs: 60, ..default_params() }, VaultError::TimelockInvalid),
        // Valid on its own, but the market liquidates at 90%: the trigger must sit below it.
        (
            RiskParams { unwind_trigger_ltv_bps: 9_200, ..default_params() },
            VaultError::TriggerAboveLiquidationThreshold,
        ),
    ];
    for (params, error) in cases {
        let propose = env.propose_ix(&governance, params);
        let proposal = passed(&mut env, &dao, "Out of bounds", vec![(propose.clone(), MIN_HOLD_UP_SECS)]).await;
        env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
        let before = env.snapshot(&[]).await;
        assert_error(dao.execute(&mut env.chain, &proposal, 0, &propose).await, error);
        before.assert_same(&env.snapshot(&[]).await);
    }
    assert!(env.vault().await.pending_risk_params.is_none());
}

#[tokio::test]
async fn the_guardian_pauses_at_once_and_only_the_dao_unpauses() {
    let (mut env, dao) = dao_owned_vault().await;
    let guardian = env.v.guardian.insecure_clone();
    env.send_as(env.set_pause_ix(&guardian.pubkey(), true), &guardian).await.unwrap();
    assert!(env.vault().await.paused);
    assert_error(
        env.send_as(env.set_pause_ix(&guardian.pubkey(), false), &guardian).await,
        VaultError::NotPauseAuthority,
    );
    let holder = dao.voters[0].keypair.insecure_clone();
    assert_error(env.send_as(env.set_pause_ix(&holder.pubkey(), false), &holder).await, VaultError::NotPauseAuthority);

    let unpause = env.set_pause_ix(&dao.governance, false);
    let proposal = passed(&mut env, &dao, "Unpause", vec![(unpause.clone(), MIN_HOLD_UP_SECS)]).await;
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    dao.execute(&mut env.chain, &proposal, 0, &unpause).await.unwrap();
    assert!(!env.vault().await.paused);
}

#[tokio::test]
async fn roles_and_a_pool_change_through_the_realm_only_after_the_vault_timelock_and_a_cancel_sticks() {
    let (mut env, dao) = dao_owned_vault().await;
    let governance = dao.governance;
    let new_allocator = solana_sdk::pubkey::Pubkey::new_unique();
    let vault = env.vault().await;
    let propose_roles = env.propose_roles_ix(&governance, vault.guardian, new_allocator, vault.fee_recipient);
    let set_roles = env.set_roles_ix(&governance);
    let proposal = passed(
        &mut env,
        &dao,
        "New allocator",
        vec![(propose_roles.clone(), MIN_HOLD_UP_SECS), (set_roles.clone(), MIN_HOLD_UP_SECS)],
    )
    .await;
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    dao.execute(&mut env.chain, &proposal, 0, &propose_roles).await.unwrap();
    // The realm may run the second transaction now; the vault holds it back, changing nothing.
    let before = env.snapshot(&[]).await;
    assert_error(dao.execute(&mut env.chain, &proposal, 1, &set_roles).await, VaultError::TimelockNotExpired);
    before.assert_same(&env.snapshot(&[]).await);
    env.pass_timelock().await;
    dao.execute(&mut env.chain, &proposal, 1, &set_roles).await.unwrap();
    assert_eq!(env.vault().await.allocator, new_allocator);

    // A pool proposed and then cancelled by a second vote never binds.
    let swap_pool = env.unbound_pool(10 * SOL).await;
    let propose_pool = ballast_client::propose_pool(env.v.vault, governance, swap_pool.swap);
    let proposal = passed(&mut env, &dao, "Bind a pool", vec![(propose_pool.clone(), MIN_HOLD_UP_SECS)]).await;
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    dao.execute(&mut env.chain, &proposal, 0, &propose_pool).await.unwrap();
    assert!(env.vault().await.pending_pool.is_some());
    let cancel = env.cancel_proposal_ix(&governance, ballast::state::ProposalKind::Pool);
    let proposal = passed(&mut env, &dao, "Do not bind it", vec![(cancel.clone(), MIN_HOLD_UP_SECS)]).await;
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    dao.execute(&mut env.chain, &proposal, 0, &cancel).await.unwrap();
    env.pass_timelock().await;
    let bind = env.bind_pool_ix(&governance, &swap_pool.swap, &swap_pool.pool_mint);
    let proposal = passed(&mut env, &dao, "Bind it anyway", vec![(bind.clone(), MIN_HOLD_UP_SECS)]).await;
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    assert_error(dao.execute(&mut env.chain, &proposal, 0, &bind).await, VaultError::NoPendingProposal);
    assert!(env.vault().await.pool.is_none());

    // The printed pool proposal, paid by the governance's native treasury, binds after the
    // vault's timelock.
    let target = env.admin_target(&governance);
    let printed = ballast_keeper::dao::pool_proposal(
        &target,
        swap_pool.swap,
        swap_pool.pool_mint,
        default_params().timelock_secs,
        MIN_HOLD_UP_SECS,
    );
    let treasury = spl_governance::state::native_treasury::get_native_treasury_address(
        &ballast_keeper::dao::governance_program(),
        &governance,
    );
    env.chain.airdrop(&treasury, SOL).await;
    let txs: Vec<(Instruction, u32)> =
        printed.transactions.iter().map(|tx| (tx.instruction.clone(), tx.hold_up_secs)).collect();
    let proposal = passed(&mut env, &dao, "Bind the pool", txs.clone()).await;
    env.chain.advance_secs(MIN_HOLD_UP_SECS as i64 + 1).await;
    dao.execute(&mut env.chain, &proposal, 0, &txs[0].0).await.unwrap();
    assert!(dao.execute(&mut env.chain, &proposal, 1, &txs[1].0).await.is_err());
    env.pass_timelock().await;
    dao.execute(&mut env.chain, &proposal, 1, &txs[1].0).await.unwrap();
    assert_eq!(env.vault().await.pool.map(|p| p.swap), Some(swap_pool.swap));
}
