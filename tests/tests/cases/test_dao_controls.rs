//! Risk parameters change only through the admin and the timelock; roles and the pause follow
//! their own rules.
use anchor_lang::error::ErrorCode as AnchorError;
use ballast::errors::VaultError;
use ballast_localnet::chain::assert_error;
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use solana_sdk::signature::{Keypair, Signer};

async fn rejected(
    ix: solana_program::instruction::Instruction,
    env: &mut VaultClient,
    signer: &Keypair,
    error: impl Into<u32>,
) {
    let before = env.snapshot(&[]).await;
    assert_error(env.send_as(ix, signer).await, error);
    before.assert_same(&env.snapshot(&[]).await);
}

#[tokio::test]
async fn risk_params_change_only_after_the_timelock() {
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    let admin = env.v.admin.insecure_clone();
    let mut next = params;
    next.max_slippage_bps = 80;
    next.timelock_secs = 86_400;

    // Not the admin; the admin's key without its signature; out of bounds.
    let stranger = env.chain.funded_keypair(SOL).await;
    rejected(env.propose_ix(&stranger.pubkey(), next), &mut env, &stranger, VaultError::NotAdmin).await;
    let mut unsigned = env.propose_ix(&admin.pubkey(), next);
    unsigned.accounts[0].is_signer = false;
    let payer = env.chain.payer();
    rejected(unsigned, &mut env, &payer, AnchorError::AccountNotSigner).await;
    let mut bad = next;
    bad.performance_fee_bps = 9_000;
    rejected(env.propose_ix(&admin.pubkey(), bad), &mut env, &admin, VaultError::FeeAboveCap).await;
    let mut bad = next;
    bad.max_oracle_age_secs = 0;
    rejected(env.propose_ix(&admin.pubkey(), bad), &mut env, &admin, VaultError::OracleBoundInvalid).await;
    rejected(env.execute_ix(&admin.pubkey()), &mut env, &admin, VaultError::NoPendingRiskParams).await;

    env.send_as(env.propose_ix(&admin.pubkey(), next), &admin).await.unwrap();
    let vault = env.vault().await;
    let now = env.chain.clock().await.unix_timestamp;
    let pending = vault.pending_risk_params.unwrap();
    assert_eq!(pending.params, next);
    assert_eq!(
        pending.eta_unix,
        now + params.timelock_secs as i64,
        "the current timelock applies, not the proposed one"
    );
    assert_eq!(vault.risk_params, params);

    rejected(env.propose_ix(&admin.pubkey(), next), &mut env, &admin, VaultError::RiskParamsChangePending).await;
    rejected(env.execute_ix(&admin.pubkey()), &mut env, &admin, VaultError::TimelockNotExpired).await;
    env.chain.advance_secs(params.timelock_secs as i64 - 1).await;
    rejected(env.execute_ix(&admin.pubkey()), &mut env, &admin, VaultError::TimelockNotExpired).await;
    rejected(env.execute_ix(&stranger.pubkey()), &mut env, &stranger, VaultError::NotAdmin).await;
    env.chain.advance_secs(1).await;
    env.send_as(env.execute_ix(&admin.pubkey()), &admin).await.unwrap();
    let vault = env.vault().await;
    assert_eq!(vault.risk_params, next);
    assert!(vault.pending_risk_params.is_none());
}

#[tokio::test]
async fn cancelled_change_never_applies() {
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    let admin = env.v.admin.insecure_clone();
    let mut next = params;
    next.withdrawal_fee_bps = 50;
    env.send_as(env.propose_ix(&admin.pubkey(), next), &admin).await.unwrap();
    let stranger = env.chain.funded_keypair(SOL).await;
    rejected(env.cancel_ix(&stranger.pubkey()), &mut env, &stranger, VaultError::NotAdmin).await;
    env.send_as(env.cancel_ix(&admin.pubkey()), &admin).await.unwrap();
    env.chain.advance_secs(params.timelock_secs as i64).await;
    rejected(env.execute_ix(&admin.pubkey()), &mut env, &admin, VaultError::NoPendingRiskParams).await;
    rejected(env.cancel_ix(&admin.pubkey()), &mut env, &admin, VaultError::NoPendingProposal).await;
    assert_eq!(env.vault().await.risk_params, params);
}

#[tokio::test]
async fn roles_and_admin_transfer() {
    let mut env = VaultClient::start(default_params()).await;
    let admin = env.v.admin.insecure_clone();
    let stranger = env.chain.funded_keypair(SOL).await;
    let (g, a, f) = (Keypair::new().pubkey(), Keypair::new().pubkey(), Keypair::new().pubkey());
    rejected(env.propose_roles_ix(&stranger.pubkey(), g, a, f), &mut env, &stranger, VaultError::NotAdmin).await;
    env.send_as(env.propose_roles_ix(&admin.pubkey(), g, a, f), &admin).await.unwrap();
    // The roles wait the timelock like a parameter change.
    rejected(env.set_roles_ix(&admin.pubkey()), &mut env, &admin, VaultError::TimelockNotExpired).await;
    env.pass_timelock().await;
    rejected(env.set_roles_ix(&stranger.pubkey()), &mut env, &stranger, VaultError::NotAdmin).await;
    env.send_as(env.set_roles_ix(&admin.pubkey()), &admin).await.unwrap();
    let vault = env.vault().await;
    assert_eq!((vault.guardian, vault.allocator, vault.fee_recipient), (g, a, f));
    assert_eq!(vault.pending_roles, None);

    // Two-step transfer: only the named key can accept; the old admin loses its powers.
    let dao = env.chain.funded_keypair(SOL).await;
    rejected(env.transfer_admin_ix(&stranger.pubkey(), stranger.pubkey()), &mut env, &stranger, VaultError::NotAdmin)
        .await;
    env.send_as(env.transfer_admin_ix(&admin.pubkey(), dao.pubkey()), &admin).await.unwrap();
    rejected(env.accept_admin_ix(&stranger.pubkey()), &mut env, &stranger, VaultError::NotPendingAdmin).await;
    env.send_as(env.accept_admin_ix(&dao.pubkey()), &dao).await.unwrap();
    let vault = env.vault().await;
    assert_eq!(vault.admin, dao.pubkey());
    rejected(env.propose_roles_ix(&admin.pubkey(), g, a, f), &mut env, &admin, VaultError::NotAdmin).await;
}

#[tokio::test]
async fn proposals_expire_and_cancelled_ones_never_apply() {
    use ballast::state::{ProposalKind, PROPOSAL_GRACE_SECS};
    let mut env = VaultClient::start(default_params()).await;
    let admin = env.v.admin.insecure_clone();
    let before = env.vault().await;
    let (g, a, f) = (Keypair::new().pubkey(), Keypair::new().pubkey(), Keypair::new().pubkey());

    // Cancelled: never applies, even after the timelock.
    env.send_as(env.propose_roles_ix(&admin.pubkey(), g, a, f), &admin).await.unwrap();
    rejected(env.propose_roles_ix(&admin.pubkey(), g, a, f), &mut env, &admin, VaultError::ChangePending).await;
    env.send_as(env.cancel_proposal_ix(&admin.pubkey(), ProposalKind::Roles), &admin).await.unwrap();
    env.pass_timelock().await;
    rejected(env.set_roles_ix(&admin.pubkey()), &mut env, &admin, VaultError::NoPendingProposal).await;
    rejected(
        env.cancel_proposal_ix(&admin.pubkey(), ProposalKind::Roles),
        &mut env,
        &admin,
        VaultError::NoPendingProposal,
    )
    .await;

    // Not executed within the grace period after its ETA: void, and a new proposal may replace it.
    env.send_as(env.propose_roles_ix(&admin.pubkey(), g, a, f), &admin).await.unwrap();
    env.pass_timelock().await;
    env.chain.advance_secs(PROPOSAL_GRACE_SECS + 1).await;
    rejected(env.set_roles_ix(&admin.pubkey()), &mut env, &admin, VaultError::ProposalExpired).await;
    let params = ballast::state::RiskParams { max_slippage_bps: 40, ..default_params() };
    env.send_as(env.propose_ix(&admin.pubkey(), params), &admin).await.unwrap();
    env.pass_timelock().await;
    env.chain.advance_secs(PROPOSAL_GRACE_SECS + 1).await;
    rejected(env.execute_ix(&admin.pubkey()), &mut env, &admin, VaultError::ProposalExpired).await;
    let vault = env.vault().await;
    assert_eq!(
        (vault.guardian, vault.allocator, vault.fee_recipient),
        (before.guardian, before.allocator, before.fee_recipient)
    );
    assert_eq!(vault.risk_params, before.risk_params);
    // Replacing the expired ones.
    env.send_as(env.propose_roles_ix(&admin.pubkey(), g, a, f), &admin).await.unwrap();
    env.send_as(env.propose_ix(&admin.pubkey(), params), &admin).await.unwrap();
    env.pass_timelock().await;
    env.send_as(env.set_roles_ix(&admin.pubkey()), &admin).await.unwrap();
    env.send_as(env.execute_ix(&admin.pubkey()), &admin).await.unwrap();
    let vault = env.vault().await;
    assert_eq!((vault.allocator, vault.risk_params.max_slippage_bps), (a, 40));
}

#[tokio::test]
async fn guardian_pauses_only_admin_unpauses() {
    let mut env = VaultClient::start(default_params()).await;
    let (admin, guardian) = (env.v.admin.insecure_clone(), env.v.guardian.insecure_clone());
    let stranger = env.chain.funded_keypair(SOL).await;
    rejected(env.set_pause_ix(&stranger.pubkey(), true), &mut env, &stranger, VaultError::NotPauseAuthority).await;
    env.send_as(env.set_pause_ix(&guardian.pubkey(), true), &guardian).await.unwrap();
    assert!(env.vault().await.paused);
    rejected(env.set_pause_ix(&guardian.pubkey(), false), &mut env, &guardian, VaultError::NotPauseAuthority).await;
    env.send_as(env.set_pause_ix(&admin.pubkey(), false), &admin).await.unwrap();
    assert!(!env.vault().await.paused);
}

#[tokio::test]
async fn a_fee_change_applies_only_after_fees_so_far_are_charged_at_the_old_rate() {
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    let (alice, alice_shares) = env.depositor(11 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    env.harvest().await.unwrap();
    let admin = env.v.admin.insecure_clone();
    let next = ballast::state::RiskParams { management_fee_bps: 200, ..params };
    env.send_as(env.propose_ix(&admin.pubkey(), next), &admin).await.unwrap();
    env.chain.advance_secs(params.timelock_secs as i64).await;

    // Alone, the change would charge the whole wait at the new rate: refused, nothing moves.
    rejected(env.execute_ix(&admin.pubkey()), &mut env, &admin, VaultError::HarvestRequired).await;
    // With a harvest first in the same transaction, the wait is charged at the old rate (none).
    let fee_shares_before = env.chain.token_balance(&env.v.fee_recipient_shares.clone()).await;
    let ixs = [env.harvest_ix(&admin.pubkey()), env.execute_ix(&admin.pubkey())];
    env.chain.send(&ixs, &[&admin]).await.unwrap();
    assert_eq!(env.vault().await.risk_params, next);
    assert_eq!(env.chain.token_balance(&env.v.fee_recipient_shares.clone()).await, fee_shares_before);
    // From now on the new rate applies: a year later, 2% of the assets.
    env.chain.advance_secs(365 * 24 * 60 * 60).await;
    env.harvest().await.unwrap();
    let fee_shares = env.chain.token_balance(&env.v.fee_recipient_shares.clone()).await - fee_shares_before;
    let (free, supply) = env.share_price().await;
    let fee_value = (fee_shares as u128 * free / supply) as u64;
    let expected = 10_010_000_000u64 * 2 / 100;
    assert!(fee_value.abs_diff(expected) <= expected / 1_000, "fee worth {fee_value}, expected {expected}");
}
