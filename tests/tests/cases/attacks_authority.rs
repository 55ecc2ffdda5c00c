//! Authority attacks (`docs/SECURITY.md` checklist items 1, 5, 8, 26, 32 and 33), each performed against the
//! real program: nobody but the admin, signing, changes risk parameters or roles; nobody spends
//! someone else's shares; one vault's keys and PDAs cannot touch another vault's accounts; risk
//! parameters outside the hard bounds or the market's limits are refused when proposed and again
//! when executed, and the timelock cannot be skipped. Every rejection names its error and leaves
//! every vault account, the share supply and the attacker's accounts unchanged.
use anchor_lang::error::ErrorCode as AnchorError;
use ballast::constants::{
    seeds, MAX_KEEPER_REWARD_BPS, MAX_PERFORMANCE_FEE_BPS, MAX_WITHDRAWAL_FEE_BPS, MIN_TIMELOCK_SECS,
};
use ballast::errors::VaultError;
use ballast::state::{PendingRiskParams, RiskParams};
use ballast_client::AdminTarget;
use ballast_localnet::vault::{default_params, vault_pda, SOL};
use ballast_localnet::VaultClient;
use solana_sdk::signature::Signer;

use super::attacks_common::{shareholder, substitute, vault_bytes, OtherVault};

#[tokio::test]
async fn item_01_risk_params_and_roles_change_only_with_the_admins_signature() {
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    let admin = env.v.admin.insecure_clone();
    let mallory = env.chain.funded_keypair(SOL).await;
    // What Mallory wants: leverage up to 10x, any slippage, everything in the pool.
    let looser = RiskParams {
        max_leverage_bps: 40_000,
        unwind_trigger_ltv_bps: 9_000,
        max_slippage_bps: 1_000,
        max_pool_alloc_bps: 9_000,
        ..params
    };
    let watch = [admin.pubkey()];

    // Her own key in the admin's place.
    let ix = env.propose_ix(&mallory.pubkey(), looser);
    env.assert_rejected(&[ix], &[&mallory], VaultError::NotAdmin, &watch).await;
    // The admin's key, without the admin's signature.
    let mut unsigned = env.propose_ix(&admin.pubkey(), looser);
    unsigned.accounts[0].is_signer = false;
    env.assert_rejected(&[unsigned], &[], AnchorError::AccountNotSigner, &[admin.pubkey(), mallory.pubkey()]).await;
    // Making herself the allocator, or the admin.
    let ix = env.propose_roles_ix(&mallory.pubkey(), mallory.pubkey(), mallory.pubkey(), mallory.pubkey());
    env.assert_rejected(&[ix], &[&mallory], VaultError::NotAdmin, &watch).await;
    let ix = env.set_roles_ix(&mallory.pubkey());
    env.assert_rejected(&[ix], &[&mallory], VaultError::NotAdmin, &watch).await;
    let ix = env.transfer_admin_ix(&mallory.pubkey(), mallory.pubkey());
    env.assert_rejected(&[ix], &[&mallory], VaultError::NotAdmin, &watch).await;
    let ix = env.accept_admin_ix(&mallory.pubkey());
    env.assert_rejected(&[ix], &[&mallory], VaultError::NotPendingAdmin, &watch).await;

    // The admin proposes a change; once its timelock has passed, Mallory tries to execute or
    // cancel it.
    let mut legit = params;
    legit.max_slippage_bps = 40;
    let proposed = env.send_as(env.propose_ix(&admin.pubkey(), legit), &admin).await;
    assert!(proposed.is_ok(), "the admin's proposal: {proposed:?}");
    env.chain.advance_secs(params.timelock_secs as i64).await;
    let ix = env.execute_ix(&mallory.pubkey());
    env.assert_rejected(&[ix], &[&mallory], VaultError::NotAdmin, &watch).await;
    let mut unsigned = env.execute_ix(&admin.pubkey());
    unsigned.accounts[0].is_signer = false;
    env.assert_rejected(&[unsigned], &[], AnchorError::AccountNotSigner, &[admin.pubkey(), mallory.pubkey()]).await;
    let ix = env.cancel_ix(&mallory.pubkey());
    env.assert_rejected(&[ix], &[&mallory], VaultError::NotAdmin, &watch).await;

    let vault = env.vault().await;
    assert_eq!(vault.risk_params, params, "no attempt changed the parameters");
    assert_eq!(vault.pending_risk_params.map(|p| p.params), Some(legit), "the admin's proposal still pending");
    assert_eq!(
        (vault.admin, vault.allocator, vault.pending_admin),
        (admin.pubkey(), env.v.allocator.pubkey(), Default::default())
    );
    // Only the admin's signature applies it.
    let executed = env.send_as(env.execute_ix(&admin.pubkey()), &admin).await;
    assert!(executed.is_ok(), "the admin's execute: {executed:?}");
    assert_eq!(env.vault().await.risk_params, legit);
}

#[tokio::test]
async fn item_05_nobody_withdraws_with_someone_elses_shares() {
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = shareholder(&mut env, 10 * SOL).await;
    let (mallory, mallory_shares) = shareholder(&mut env, SOL).await;
    let watch = [alice.pubkey(), alice_shares, mallory_shares];

    // Alice's share account, Mallory signing as its owner and receiving the SOL.
    let ix = env.withdraw_ix(&mallory.pubkey(), &alice_shares, &mallory.pubkey(), SOL, 0);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::ConstraintTokenOwner, &watch).await;
    // Alice named as the owner, without her signature.
    let mut unsigned = env.withdraw_ix(&alice.pubkey(), &alice_shares, &mallory.pubkey(), SOL, 0);
    unsigned.accounts[0].is_signer = false;
    env.assert_rejected(&[unsigned], &[], AnchorError::AccountNotSigner, &[&watch[..], &[mallory.pubkey()]].concat())
        .await;
    // Alice approved Mallory as a delegate of her share account (say, for a marketplace): the
    // token program would let Mallory burn, the vault still pays only the account's owner.
    let approve = spl_token::instruction::approve(
        &spl_token::id(),
        &alice_shares,
        &mallory.pubkey(),
        &alice.pubkey(),
        &[],
        5 * SOL,
    )
    .expect("approve instruction");
    env.chain.send_ok(&[approve], &[&alice]).await;
    let ix = env.withdraw_ix(&mallory.pubkey(), &alice_shares, &mallory.pubkey(), SOL, 0);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::ConstraintTokenOwner, &watch).await;
    // A token account of another mint (the LST) posing as shares.
    let mallory_lst = env.lst_for(&mallory, SOL / 2).await;
    let ix = env.withdraw_ix(&mallory.pubkey(), &mallory_lst, &mallory.pubkey(), SOL / 2, 0);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::ConstraintTokenMint, &[mallory_lst, alice_shares]).await;

    // Alice's shares are all still hers, and worth what she paid.
    assert_eq!(env.chain.token_balance(&alice_shares).await, 10 * SOL);
    let before = env.chain.lamports(&alice.pubkey()).await;
    let withdrawn = env.withdraw(&alice, &alice_shares, 10 * SOL, 10 * SOL).await;
    assert!(withdrawn.is_ok(), "alice's own withdrawal: {withdrawn:?}");
    assert_eq!(env.chain.lamports(&alice.pubkey()).await - before, 10 * SOL);
}

#[tokio::test]
async fn item_08_one_vaults_authority_cannot_reach_another_vaults_accounts() {
    // Vault B, the victim: depositors' SOL in its reserve, LST supplied to its lending market.
    let mut env = VaultClient::start_supplied(default_params(), 0, 4).await;
    // Vault A on the same stake pool: Mallory holds every key of it and its shares.
    let mut a = OtherVault::create(&mut env, default_params(), false, false).await;
    let a_admin = a.v.admin.insecure_clone();
    let a_allocator = a.v.allocator.insecure_clone();
    let (mallory, mallory_shares) = a.shareholder(&mut env, 5 * SOL).await;
    let (a_key, b_key) = (a.v.vault, env.v.vault);
    // Every account a vault signs for is derived from that vault's own key.
    for seed in [
        seeds::SHARE_MINT,
        seeds::SOL_RESERVE,
        seeds::LST_ACCOUNT,
        seeds::DEAD_SHARES,
        seeds::COLLATERAL_ACCOUNT,
        seeds::WSOL_ACCOUNT,
        seeds::POOL_TOKEN_ACCOUNT,
        seeds::POOL_WSOL_ACCOUNT,
    ] {
        assert_ne!(vault_pda(seed, &a_key), vault_pda(seed, &b_key), "seed {seed:?}");
    }
    let watch = [a.v.vault, a.v.sol_reserve, a.v.lst_account, a.v.share_mint, mallory_shares];

    // A's allocator stakes from B's reserve into A's LST account, or from A's into B's.
    let stake = a.ix(&mut env, |e| e.stake_ix(&a_allocator.pubkey(), SOL));
    let ix = substitute(stake.clone(), a.v.sol_reserve, env.v.sol_reserve);
    env.assert_rejected(&[ix], &[&a_allocator], AnchorError::ConstraintHasOne, &watch).await;
    let ix = substitute(stake, a.v.lst_account, env.v.lst_account);
    env.assert_rejected(&[ix], &[&a_allocator], AnchorError::ConstraintHasOne, &watch).await;
    // Mallory withdraws her A shares, paid from B's reserve.
    let withdraw = a.ix(&mut env, |e| e.withdraw_ix(&mallory.pubkey(), &mallory_shares, &mallory.pubkey(), SOL, 0));
    let ix = substitute(withdraw, a.v.sol_reserve, env.v.sol_reserve);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::ConstraintHasOne, &watch).await;
    // Mallory burns her A shares against vault B.
    let ix = env.withdraw_ix(&mallory.pubkey(), &mallory_shares, &mallory.pubkey(), SOL, 0);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::ConstraintTokenMint, &watch).await;

    // A's admin binds A to B's market with B's obligation: the vault would then sign for B's
    // collateral. The lending program refuses to initialise an obligation twice (its
    // LendingError::AlreadyInitialized), and the vault's new accounts are undone with it.
    let (b_market, b_obligation) = (env.lending().market.market, env.lending().obligation);
    // A's admin proposes B's market for A, and waits the timelock.
    let propose = {
        let market = &env.lending().market;
        env.propose_lending_ix(&a_admin.pubkey(), market, &market.lst.reserve, &market.sol.reserve)
    };
    env.send_as(substitute(propose, b_key, a_key), &a_admin).await.unwrap();
    env.pass_timelock().await;
    let bind = {
        let market = &env.lending().market;
        env.bind_lending_ix(&a_admin.pubkey(), market, &market.lst.reserve, &market.sol.reserve, &b_obligation)
    };
    let bind = substitute(bind, b_key, a_key);
    let with_a_accounts = substitute(
        substitute(
            bind.clone(),
            vault_pda(seeds::COLLATERAL_ACCOUNT, &b_key),
            vault_pda(seeds::COLLATERAL_ACCOUNT, &a_key),
        ),
        vault_pda(seeds::WSOL_ACCOUNT, &b_key),
        vault_pda(seeds::WSOL_ACCOUNT, &a_key),
    );
    let a_pdas = [vault_pda(seeds::COLLATERAL_ACCOUNT, &a_key), vault_pda(seeds::WSOL_ACCOUNT, &a_key), b_market];
    let already_initialized = spl_token_lending::error::LendingError::AlreadyInitialized as u32;
    env.assert_rejected(&[with_a_accounts], &[&a_admin], already_initialized, &[&watch[..], &a_pdas].concat()).await;
    // ... or names B's cToken account as its own: the seeds include the vault key.
    let with_b_collateral =
        substitute(bind, vault_pda(seeds::WSOL_ACCOUNT, &b_key), vault_pda(seeds::WSOL_ACCOUNT, &a_key));
    env.assert_rejected(
        &[with_b_collateral],
        &[&a_admin],
        AnchorError::ConstraintSeeds,
        &[&watch[..], &a_pdas].concat(),
    )
    .await;
    assert_eq!(env.lending_state().await.obligation_owner, b_key, "B's obligation is still B's");
    let a_vault = env.chain.anchor::<ballast::state::Vault>(&a_key).await;
    assert!(a_vault.lending.is_none(), "A is bound to nothing");
}

#[tokio::test]
async fn item_26_out_of_bounds_risk_params_are_refused_at_propose_and_at_execute() {
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    let admin = env.v.admin.insecure_clone();

    // At execute: proposed before the vault had a market, a 92% trigger is within the hard caps.
    // The market bound since liquidates at 90%: executing it would let the market liquidate
    // before anyone may unwind.
    let late_trigger = RiskParams { unwind_trigger_ltv_bps: 9_200, ..params };
    let proposed = env.send_as(env.propose_ix(&admin.pubkey(), late_trigger), &admin).await;
    assert!(proposed.is_ok(), "no market yet: {proposed:?}");
    env.bind_lending(0, 4).await;
    env.chain.advance_secs(params.timelock_secs as i64).await;
    let ix = env.execute_ix(&admin.pubkey());
    env.assert_rejected(&[ix], &[&admin], VaultError::TriggerAboveLiquidationThreshold, &[]).await;
    // Without the market's reserve the check cannot be skipped.
    let no_reserve = AdminTarget { vault: env.v.vault, admin: admin.pubkey(), lst_reserve: None };
    let ix = ballast_client::execute_risk_params(&no_reserve);
    env.assert_rejected(&[ix], &[&admin], VaultError::LendingAccountsMissing, &[]).await;
    // Nor by passing another reserve in its place.
    let other_reserve = AdminTarget { lst_reserve: Some(env.lending().market.sol.reserve), ..no_reserve };
    let ix = ballast_client::execute_risk_params(&other_reserve);
    env.assert_rejected(&[ix], &[&admin], VaultError::LendingAccountMismatch, &[]).await;
    let cancelled = env.send_as(env.cancel_ix(&admin.pubkey()), &admin).await;
    assert!(cancelled.is_ok(), "{cancelled:?}");

    // At propose.
    let cases: [(RiskParams, VaultError); 9] = [
        (late_trigger, VaultError::TriggerAboveLiquidationThreshold),
        (RiskParams { performance_fee_bps: MAX_PERFORMANCE_FEE_BPS + 1, ..params }, VaultError::FeeAboveCap),
        (RiskParams { management_fee_bps: u16::MAX, ..params }, VaultError::FeeAboveCap),
        (RiskParams { withdrawal_fee_bps: MAX_WITHDRAWAL_FEE_BPS + 1, ..params }, VaultError::FeeAboveCap),
        (RiskParams { keeper_reward_bps: MAX_KEEPER_REWARD_BPS + 1, ..params }, VaultError::FeeAboveCap),
        (RiskParams { max_oracle_age_secs: 0, ..params }, VaultError::OracleBoundInvalid),
        (RiskParams { max_conf_bps: 0, ..params }, VaultError::OracleBoundInvalid),
        (RiskParams { timelock_secs: 0, ..params }, VaultError::TimelockInvalid),
        (RiskParams { timelock_secs: MIN_TIMELOCK_SECS - 1, ..params }, VaultError::TimelockInvalid),
    ];
    for (bad, error) in cases {
        let ix = env.propose_ix(&admin.pubkey(), bad);
        env.assert_rejected(&[ix], &[&admin], error, &[]).await;
    }
    let ix = ballast_client::propose_risk_params(&no_reserve, late_trigger);
    env.assert_rejected(&[ix], &[&admin], VaultError::LendingAccountsMissing, &[]).await;

    // The timelock cannot be skipped, not even by proposing a shorter one: the current one applies.
    let shorter = RiskParams { timelock_secs: MIN_TIMELOCK_SECS, max_slippage_bps: 40, ..params };
    let proposed = env.send_as(env.propose_ix(&admin.pubkey(), shorter), &admin).await;
    assert!(proposed.is_ok(), "{proposed:?}");
    let ix = env.execute_ix(&admin.pubkey());
    env.assert_rejected(std::slice::from_ref(&ix), &[&admin], VaultError::TimelockNotExpired, &[]).await;
    env.chain.advance_secs(MIN_TIMELOCK_SECS as i64).await;
    env.assert_rejected(std::slice::from_ref(&ix), &[&admin], VaultError::TimelockNotExpired, &[]).await;
    env.chain.advance_secs((params.timelock_secs - MIN_TIMELOCK_SECS) as i64 - 1).await;
    env.assert_rejected(std::slice::from_ref(&ix), &[&admin], VaultError::TimelockNotExpired, &[]).await;
    env.chain.advance_secs(1).await;
    let executed = env.send_as(ix, &admin).await;
    assert!(executed.is_ok(), "at the old timelock: {executed:?}");
    assert_eq!(env.vault().await.risk_params, shorter);

    // At execute, the bounds are checked again: a pending change left by a version with looser
    // caps (written straight into the account here) is refused.
    let mut vault = env.vault().await;
    let now = env.chain.clock().await.unix_timestamp;
    let stale_bound = RiskParams { performance_fee_bps: 9_000, ..shorter };
    vault.pending_risk_params = Some(PendingRiskParams { params: stale_bound, eta_unix: now });
    let len = env.chain.data(&env.v.vault).await.len();
    let vault_key = env.v.vault;
    env.chain.write_account(&vault_key, &ballast::ID, vault_bytes(&vault, len)).await;
    let ix = env.execute_ix(&admin.pubkey());
    env.assert_rejected(&[ix], &[&admin], VaultError::FeeAboveCap, &[]).await;
    assert_eq!(env.vault().await.risk_params, shorter);
}

/// Item 32: a trigger between the market's borrow limit and its liquidation line (86% on an
/// 85%/90% market) would let the market refuse every unwind's first collateral withdrawal exactly
/// when it is needed. Refused at bind, at propose and at execute, and nothing changes.
#[tokio::test]
async fn item_32_an_unwind_trigger_at_the_markets_borrow_limit_is_refused_everywhere() {
    let params = default_params();
    let too_close = RiskParams { unwind_trigger_ltv_bps: 8_450, max_leverage_bps: 30_000, ..params };

    // At the market's proposal (and at its binding, which checks the same again): the vault's
    // own trigger against the market.
    let mut env = VaultClient::start(too_close).await;
    let (market, obligation) = env.create_lending_market(0, 4).await;
    let admin = env.v.admin.insecure_clone();
    let ix = env.propose_lending_ix(&admin.pubkey(), &market, &market.lst.reserve, &market.sol.reserve);
    env.assert_rejected(&[ix], &[&admin], VaultError::TriggerTooCloseToBorrowLimit, &[obligation]).await;
    assert!(env.vault().await.lending.is_none());

    // At propose, once bound.
    let mut env = VaultClient::start(params).await;
    let admin = env.v.admin.insecure_clone();
    let proposed_early = env.send_as(env.propose_ix(&admin.pubkey(), too_close), &admin).await;
    assert!(proposed_early.is_ok(), "no market yet: {proposed_early:?}");
    env.bind_lending(0, 4).await;
    // At execute: proposed before the market was bound.
    env.chain.advance_secs(params.timelock_secs as i64).await;
    let ix = env.execute_ix(&admin.pubkey());
    env.assert_rejected(&[ix], &[&admin], VaultError::TriggerTooCloseToBorrowLimit, &[]).await;
    env.send_as(env.cancel_ix(&admin.pubkey()), &admin).await.unwrap();
    let ix = env.propose_ix(&admin.pubkey(), too_close);
    env.assert_rejected(&[ix], &[&admin], VaultError::TriggerTooCloseToBorrowLimit, &[]).await;
    // A point below the limit is fine.
    let ok = RiskParams { unwind_trigger_ltv_bps: 8_400, ..too_close };
    env.send_as(env.propose_ix(&admin.pubkey(), ok), &admin).await.unwrap();
    assert_eq!(env.vault().await.risk_params, params);
}

/// Item 33: the admin (or whoever holds its key) cannot bind a market or a pool, or name a new
/// allocator, at once: each waits the timelock, in which depositors see it and may leave, and
/// binds exactly what was proposed. A market whose oracle program its creator controls is
/// refused outright, and a market whose owner changes after binding gets no more of the vault's
/// risk (while the unwind still works).
#[tokio::test]
async fn item_33_bindings_and_roles_wait_the_timelock_and_the_market_is_pinned() {
    use ballast::state::ProposalKind;
    use solana_program::program_pack::Pack;
    use spl_token_lending::state::LendingMarket;

    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = env.depositor(20 * SOL).await;
    env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
    let admin = env.v.admin.insecure_clone();
    let mallory = env.chain.funded_keypair(SOL).await;
    let (market, obligation) = env.create_lending_market(0, 4).await;
    let (lst, sol) = (market.lst.reserve, market.sol.reserve);
    let watch = [env.v.vault, obligation, alice_shares];

    // The same market, its oracle program one the creator controls. (spl-token-lending reads
    // prices from the program its market names; Save tells price accounts apart by owner among
    // programs its binary names, so a Save market has no such field to subvert.)
    if env.venue == ballast::state::LendingVenue::SplTokenLending {
        let evil_market = solana_sdk::pubkey::Pubkey::new_unique();
        let mut state = LendingMarket::unpack(&env.chain.data(&market.market).await).unwrap();
        state.oracle_program_id = mallory.pubkey();
        let mut bytes = vec![0; LendingMarket::LEN];
        LendingMarket::pack(state, &mut bytes).unwrap();
        env.chain.write_account(&evil_market, &spl_token_lending::id(), bytes).await;
        let ix = substitute(env.propose_lending_ix(&admin.pubkey(), &market, &lst, &sol), market.market, evil_market);
        env.assert_rejected(&[ix], &[&admin], VaultError::LendingOracleProgramNotPinned, &watch).await;
    }

    // No binding without a proposal; none before its timelock; only what was proposed.
    let bind = env.bind_lending_ix(&admin.pubkey(), &market, &lst, &sol, &obligation);
    env.assert_rejected(std::slice::from_ref(&bind), &[&admin], VaultError::NoPendingProposal, &watch).await;
    env.send_as(env.propose_lending_ix(&admin.pubkey(), &market, &lst, &sol), &admin).await.unwrap();
    env.assert_rejected(std::slice::from_ref(&bind), &[&admin], VaultError::TimelockNotExpired, &watch).await;
    let roles = env.propose_roles_ix(&admin.pubkey(), mallory.pubkey(), mallory.pubkey(), mallory.pubkey());
    env.send_as(roles, &admin).await.unwrap();
    env.assert_rejected(&[env.set_roles_ix(&admin.pubkey())], &[&admin], VaultError::TimelockNotExpired, &watch).await;
    assert_ne!(env.vault().await.allocator, mallory.pubkey());
    // Cancelled within the timelock: it never applies.
    env.send_as(env.cancel_proposal_ix(&admin.pubkey(), ProposalKind::Roles), &admin).await.unwrap();
    env.pass_timelock().await;
    env.assert_rejected(&[env.set_roles_ix(&admin.pubkey())], &[&admin], VaultError::NoPendingProposal, &watch).await;
    // Another market's reserves in place of the proposed ones.
    let (other, other_obligation) = env.create_lending_market(0, 4).await;
    let swapped =
        env.bind_lending_ix(&admin.pubkey(), &other, &other.lst.reserve, &other.sol.reserve, &other_obligation);
    env.assert_rejected(&[swapped], &[&admin], VaultError::ProposalMismatch, &watch).await;
    env.chain.send(&[bind], &[&admin]).await.unwrap();
    let vault = env.vault().await;
    assert_eq!(vault.lending.map(|l| (l.market, l.market_owner)), Some((market.market, market.owner.pubkey())));
    assert_eq!(vault.pending_lending, None);

    // The same for the pool: nothing binds before its timelock.
    let swap_pool = env.unbound_pool(10 * SOL).await;
    let bind_pool = env.bind_pool_ix(&admin.pubkey(), &swap_pool.swap, &swap_pool.pool_mint);
    env.assert_rejected(std::slice::from_ref(&bind_pool), &[&admin], VaultError::NoPendingProposal, &watch).await;
    env.send_as(ballast_client::propose_pool(env.v.vault, admin.pubkey(), swap_pool.swap), &admin).await.unwrap();
    env.assert_rejected(std::slice::from_ref(&bind_pool), &[&admin], VaultError::TimelockNotExpired, &watch).await;
    env.pass_timelock().await;
    env.chain.send(&[bind_pool], &[&admin]).await.unwrap();
    assert_eq!(env.vault().await.pool.map(|p| p.swap), Some(swap_pool.swap));
}

/// Item 33, the market's owner: once it changes hands, the vault adds no risk there (supply,
/// leverage), and still leaves it (unwind) when it must.
#[tokio::test]
async fn item_33_a_market_that_changes_owner_gets_no_more_risk_but_unwinds() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let allocator = env.v.allocator.insecure_clone();
    let new_owner = solana_sdk::pubkey::Pubkey::new_unique();
    env.set_market_owner(new_owner).await;
    env.stake(SOL).await.unwrap();
    let lst = env.vault().await.accounting.lst_amount;
    assert!(lst > 0);
    let watch = [env.v.vault, env.lending().obligation];
    for ix in [env.lend_supply_ix(&allocator.pubkey(), lst / 2), env.leverage_up_ix(&allocator.pubkey(), SOL / 2)] {
        env.assert_rejected(&[ix], &[&allocator], VaultError::LendingMarketOwnerChanged, &watch).await;
    }
    env.mark_lst_down(0.64).await;
    let caller = env.chain.funded_keypair(SOL).await;
    env.chain.send(&[env.unwind_ix(&caller.pubkey(), u64::MAX)], &[&caller]).await.unwrap();
    assert!(env.market_ltv_bps().await <= 6_000);
}
