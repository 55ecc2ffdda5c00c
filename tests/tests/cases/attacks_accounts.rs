//! Account attacks (`docs/SECURITY.md` checklist items 2, 3, 4, 6, 7, 9, 10 and 21), each performed
//! against the real program: forged owners, type cosplay, re-initialisation, another vault's
//! accounts, PDAs off their canonical bump, the same account in two roles, the transient wSOL
//! account the vault closes and reopens inside one instruction, and foreign programs in the
//! program slots. Every attack fails with its named error and leaves every vault account, the
//! share supply and the attacker's accounts unchanged; a foreign program is never invoked.
use anchor_lang::error::ErrorCode as AnchorError;
use ballast::constants::seeds;
use ballast::errors::VaultError;
use ballast::state::RiskParams;
use ballast_localnet::vault::{default_params, vault_pda, VaultFixture, SOL};
use ballast_localnet::vault_pool::price_not_lower;
use ballast_localnet::VaultClient;
use solana_program::program_pack::Pack;
use solana_program::pubkey::Pubkey;
use solana_program::system_instruction::{self, SystemError};
use solana_sdk::signature::{Keypair, Signer};
use spl_token::error::TokenError;

use super::attacks_common::{
    assert_rejected_before_invoking, forged_copy, non_canonical_pda, shareholder, substitute, vault_bytes, OtherVault,
};

#[tokio::test]
async fn item_02_accounts_forged_under_another_program_are_refused() {
    let params = default_params();
    let mut env = VaultClient::start(params).await;
    let (mallory, mallory_shares) = shareholder(&mut env, SOL).await;
    // The owner of every forgery: a program Mallory deployed, which writes whatever she likes.
    let mallory_program = Pubkey::new_unique();

    // A vault: the real one's bytes, Mallory as admin and allocator, a ledger worth 1,000x.
    let mut vault = env.vault().await;
    vault.admin = mallory.pubkey();
    vault.allocator = mallory.pubkey();
    vault.accounting.last_total_assets_lamports *= 1_000;
    let len = env.chain.data(&env.v.vault).await.len();
    let forged_vault = Pubkey::new_unique();
    env.chain.write_account(&forged_vault, &mallory_program, vault_bytes(&vault, len)).await;
    let watch = [forged_vault, mallory_shares];
    let looser = RiskParams { max_slippage_bps: 1_000, ..params };
    let ix = substitute(env.propose_ix(&mallory.pubkey(), looser), env.v.vault, forged_vault);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::AccountOwnedByWrongProgram, &watch).await;
    let withdraw = env.withdraw_ix(&mallory.pubkey(), &mallory_shares, &mallory.pubkey(), SOL, 0);
    let ix = substitute(withdraw, env.v.vault, forged_vault);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::AccountOwnedByWrongProgram, &watch).await;

    // A stake pool (the real pool's bytes) for a new vault to bind: its rate would be hers.
    let forged_pool = forged_copy(&mut env.chain, &env.pool.stake_pool.clone(), &mallory_program).await;
    let fresh = VaultFixture::new();
    let payer = env.chain.payer();
    let init = fresh.initialize_ix(&payer.pubkey(), &env.pool, fresh.init_args(params));
    let ix = substitute(init, env.pool.stake_pool, forged_pool);
    let fresh_accounts = [fresh.vault, fresh.share_mint, fresh.sol_reserve, fresh.lst_account, forged_pool];
    env.assert_rejected(&[ix], &[&fresh.create_key], VaultError::StakePoolOwnerMismatch, &fresh_accounts).await;

    // A lending market (the real market's bytes) for the vault to bind.
    let (market, obligation) = env.create_lending_market(0, 4).await;
    let forged_market = forged_copy(&mut env.chain, &market.market, &mallory_program).await;
    let admin = env.v.admin.insecure_clone();
    let propose = env.propose_lending_ix(&admin.pubkey(), &market, &market.lst.reserve, &market.sol.reserve);
    let ix = substitute(propose, market.market, forged_market);
    env.assert_rejected(&[ix], &[&admin], VaultError::LendingAccountInvalid, &[forged_market, obligation]).await;

    // A swap pool (a real stable LST/SOL pool's bytes) for the vault to bind.
    let swap_pool = env.unbound_pool(10 * SOL).await;
    let forged_swap = forged_copy(&mut env.chain, &swap_pool.swap, &mallory_program).await;
    let ix = ballast_client::propose_pool(env.v.vault, admin.pubkey(), forged_swap);
    env.assert_rejected(&[ix], &[&admin], VaultError::PoolAccountInvalid, &[forged_swap]).await;

    let vault = env.vault().await;
    assert!(vault.lending.is_none() && vault.pool.is_none(), "nothing was bound");
    assert_eq!(vault.admin, env.v.admin.pubkey());
}

#[tokio::test]
async fn item_03_a_non_vault_account_in_the_vaults_place_fails_the_type_check() {
    let mut env = VaultClient::start_supplied(default_params(), 0, 4).await;
    let (mallory, mallory_shares) = shareholder(&mut env, SOL).await;
    let vault_len = env.chain.data(&env.v.vault).await.len();
    let watch = [mallory_shares];
    let looser = RiskParams { max_slippage_bps: 1_000, ..default_params() };

    // Anyone may create an account owned by the vault program (the system program assigns any
    // owner to a new account whose key signs); its data are zeros, not a vault.
    let cosplay = Keypair::new();
    let rent = env.chain.ctx.banks_client.get_rent().await.expect("rent sysvar");
    let create = system_instruction::create_account(
        &mallory.pubkey(),
        &cosplay.pubkey(),
        rent.minimum_balance(vault_len),
        vault_len as u64,
        &ballast::ID,
    );
    env.chain.send_ok(&[create], &[&mallory, &cosplay]).await;
    let ix = substitute(env.propose_ix(&mallory.pubkey(), looser), env.v.vault, cosplay.pubkey());
    env.assert_rejected(&[ix], &[&mallory], AnchorError::AccountDiscriminatorMismatch, &watch).await;
    let withdraw = env.withdraw_ix(&mallory.pubkey(), &mallory_shares, &mallory.pubkey(), SOL, 0);
    let ix = substitute(withdraw.clone(), env.v.vault, cosplay.pubkey());
    env.assert_rejected(&[ix], &[&mallory], AnchorError::AccountDiscriminatorMismatch, &watch).await;

    // The vault's position account (its obligation) in the vault's place.
    let obligation = env.lending().obligation;
    let ix = substitute(withdraw.clone(), env.v.vault, obligation);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::AccountOwnedByWrongProgram, &watch).await;

    // The obligation's bytes in an account of the vault program, as any other account type of
    // this program would be (written by the harness: no instruction creates one).
    let position_bytes = env.chain.data(&obligation).await;
    let typed = Pubkey::new_unique();
    env.chain.write_account(&typed, &ballast::ID, position_bytes).await;
    let ix = substitute(withdraw, env.v.vault, typed);
    env.assert_rejected(&[ix], &[&mallory], AnchorError::AccountDiscriminatorMismatch, &watch).await;
}

#[tokio::test]
async fn item_04_a_vault_cannot_be_initialised_twice() {
    let mut env = VaultClient::start(default_params()).await;
    let (alice, alice_shares) = shareholder(&mut env, 10 * SOL).await;
    let mallory = env.chain.funded_keypair(SOL).await;
    let vault_before = env.vault().await;

    // The creation key signs again (it leaked, or its holder turned), with Mallory in every role
    // and paying: Anchor's `init` asks the system program to allocate the vault's address, which
    // refuses an account in use (SystemError::AccountAlreadyInUse).
    let mut args = env.v.init_args(default_params());
    (args.admin, args.guardian, args.allocator, args.fee_recipient) =
        (mallory.pubkey(), mallory.pubkey(), mallory.pubkey(), mallory.pubkey());
    let ix = env.v.initialize_ix(&mallory.pubkey(), &env.pool, args.clone());
    let create_key = env.v.create_key.insecure_clone();
    let in_use = SystemError::AccountAlreadyInUse as u32;
    env.assert_rejected(&[ix], &[&create_key, &mallory], in_use, &[alice.pubkey(), alice_shares]).await;
    // The original payer and arguments fare no better.
    let payer = env.chain.payer();
    let ix = env.v.initialize_ix(&payer.pubkey(), &env.pool, env.v.init_args(default_params()));
    env.assert_rejected(&[ix], &[&create_key], in_use, &[alice_shares]).await;

    let vault = env.vault().await;
    assert_eq!(vault.admin, vault_before.admin);
    assert_eq!(vault.accounting, vault_before.accounting);
    assert_eq!(env.share_supply().await, vault_before.accounting.last_total_assets_lamports);
}

#[tokio::test]
async fn item_06_another_vaults_accounts_are_refused() {
    let mut env = VaultClient::start_looped_in_pool().await;
    // Vault B on the same chain and stake pool, with its own lending market and pool.
    let b = OtherVault::create(&mut env, default_params(), true, true).await;
    let (alice, alice_shares) = shareholder(&mut env, 5 * SOL).await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    let (b_lending, b_swap) = (b.lending.as_ref().expect("B's market"), b.swap.as_ref().expect("B's pool"));
    let (a_lending, a_swap) = (env.lending(), env.pool_setup());
    let watch = [alice_shares, b.v.vault, b.v.sol_reserve, b.v.lst_account, b.v.share_mint, b_lending.obligation];

    let deposit = env.deposit_ix(&alice.pubkey(), &alice_shares, SOL, 0);
    let withdraw = env.withdraw_ix(&alice.pubkey(), &alice_shares, &alice.pubkey(), SOL, 0);
    let leverage = env.leverage_up_ix(&me, SOL / 2);
    let cases: Vec<(solana_program::instruction::Instruction, &Keypair, u32)> = vec![
        // Vault accounts: each must be the one the vault recorded.
        (substitute(deposit.clone(), env.v.share_mint, b.v.share_mint), &alice, AnchorError::ConstraintHasOne.into()),
        (substitute(deposit.clone(), env.v.sol_reserve, b.v.sol_reserve), &alice, AnchorError::ConstraintHasOne.into()),
        (
            substitute(withdraw.clone(), env.v.lst_account, b.v.lst_account),
            &alice,
            AnchorError::ConstraintHasOne.into(),
        ),
        (substitute(deposit.clone(), env.v.vault, b.v.vault), &alice, AnchorError::ConstraintHasOne.into()),
        // Lending accounts: the binding's, or what the bound reserves record.
        (
            substitute(leverage.clone(), a_lending.obligation, b_lending.obligation),
            &allocator,
            VaultError::LendingAccountMismatch.into(),
        ),
        (
            substitute(leverage.clone(), a_lending.collateral_account, b_lending.collateral_account),
            &allocator,
            VaultError::LendingAccountMismatch.into(),
        ),
        (
            substitute(leverage.clone(), a_lending.wsol_account, b_lending.wsol_account),
            &allocator,
            VaultError::LendingAccountMismatch.into(),
        ),
        (
            substitute(leverage.clone(), a_lending.market.lst.oracle_price, b_lending.market.lst.oracle_price),
            &allocator,
            VaultError::LendingAccountMismatch.into(),
        ),
        (
            substitute(deposit.clone(), a_lending.obligation, b_lending.obligation),
            &alice,
            VaultError::LendingAccountMismatch.into(),
        ),
        // The vault's Pyth update slot: an address does not identify a feed, its feed id does, so
        // B's LST/USD update in A's SOL/USD slot fails on the feed.
        (
            substitute(leverage, a_lending.sol_usd_update, b_lending.lst_usd_update),
            &allocator,
            VaultError::OracleFeedMismatch.into(),
        ),
        // Pool accounts.
        (
            substitute(env.pool_add_ix(&me, 1_000_000), a_swap.pool.swap, b_swap.pool.swap),
            &allocator,
            VaultError::PoolAccountMismatch.into(),
        ),
        (
            substitute(env.unwind_ix(&me, u64::MAX), a_swap.wsol_account, b_swap.wsol_account),
            &allocator,
            VaultError::PoolAccountMismatch.into(),
        ),
        (
            substitute(withdraw, a_swap.pool.token_lst, b_swap.pool.token_lst),
            &alice,
            VaultError::PoolAccountMismatch.into(),
        ),
    ];
    for (ix, signer, error) in cases {
        env.assert_rejected(&[ix], &[signer], error, &watch).await;
    }
}

#[tokio::test]
async fn item_07_pdas_off_their_canonical_bump_are_refused() {
    let mut env = VaultClient::start(default_params()).await;
    let payer = env.chain.payer();
    // The vault program signs only with the canonical bumps it recorded at creation.
    let vault = env.vault().await;
    let key = env.v.vault;
    let canonical = |seed: &[u8], vault: &Pubkey| Pubkey::find_program_address(&[seed, vault.as_ref()], &ballast::ID).1;
    let create_key = env.v.create_key.pubkey();
    assert_eq!(vault.bump, Pubkey::find_program_address(&[seeds::VAULT, create_key.as_ref()], &ballast::ID).1);
    assert_eq!(vault.share_mint_bump, canonical(seeds::SHARE_MINT, &key));
    assert_eq!(vault.sol_reserve_bump, canonical(seeds::SOL_RESERVE, &key));
    assert_eq!(vault.lst_account_bump, canonical(seeds::LST_ACCOUNT, &key));

    // A new vault at its seeds' address with a lower bump, every other account derived from it.
    let fresh = VaultFixture::new();
    let (vault_off, _) = non_canonical_pda(&[seeds::VAULT, fresh.create_key.pubkey().as_ref()], &ballast::ID);
    let mut ix = fresh.initialize_ix(&payer.pubkey(), &env.pool, fresh.init_args(default_params()));
    for seed in [seeds::SHARE_MINT, seeds::SOL_RESERVE, seeds::LST_ACCOUNT, seeds::DEAD_SHARES] {
        ix = substitute(ix, vault_pda(seed, &fresh.vault), vault_pda(seed, &vault_off));
    }
    let ix = substitute(ix, fresh.vault, vault_off);
    let watch = [fresh.vault, vault_off, fresh.share_mint, fresh.sol_reserve];
    env.assert_rejected(&[ix], &[&fresh.create_key], AnchorError::ConstraintSeeds, &watch).await;
    // The canonical vault with its share mint, SOL reserve, LST or dead-shares account at a lower
    // bump.
    for seed in [seeds::SHARE_MINT, seeds::SOL_RESERVE, seeds::LST_ACCOUNT, seeds::DEAD_SHARES] {
        let (off, _) = non_canonical_pda(&[seed, fresh.vault.as_ref()], &ballast::ID);
        let ix = fresh.initialize_ix(&payer.pubkey(), &env.pool, fresh.init_args(default_params()));
        let ix = substitute(ix, vault_pda(seed, &fresh.vault), off);
        env.assert_rejected(&[ix], &[&fresh.create_key], AnchorError::ConstraintSeeds, &[fresh.vault, off]).await;
    }

    // Binding a market with the vault's cToken or wSOL account at a lower bump.
    let (market, obligation) = env.create_lending_market(0, 4).await;
    let admin = env.v.admin.insecure_clone();
    let bind = env.bind_lending_ix(&admin.pubkey(), &market, &market.lst.reserve, &market.sol.reserve, &obligation);
    for seed in [seeds::COLLATERAL_ACCOUNT, seeds::WSOL_ACCOUNT] {
        let (off, _) = non_canonical_pda(&[seed, key.as_ref()], &ballast::ID);
        let ix = substitute(bind.clone(), vault_pda(seed, &key), off);
        env.assert_rejected(&[ix], &[&admin], AnchorError::ConstraintSeeds, &[off, obligation]).await;
    }
    // ... or a PDA of the right seeds under another vault's key.
    let other = vault_pda(seeds::COLLATERAL_ACCOUNT, &fresh.vault);
    let ix = substitute(bind, vault_pda(seeds::COLLATERAL_ACCOUNT, &key), other);
    env.assert_rejected(&[ix], &[&admin], AnchorError::ConstraintSeeds, &[other, obligation]).await;
    assert!(env.vault().await.lending.is_none());
}

#[tokio::test]
async fn item_09_one_account_in_two_roles_is_refused() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let (alice, alice_shares) = shareholder(&mut env, 5 * SOL).await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    let (lending, pool) = (env.lending(), env.pool_setup());
    let (collateral, lending_wsol, lst_reserve, sol_reserve) =
        (lending.collateral_account, lending.wsol_account, lending.market.lst.reserve, lending.market.sol.reserve);
    let (pool_lst, pool_wsol, pool_tokens, pool_wsol_account) =
        (pool.pool.token_lst, pool.pool.token_wsol, pool.pool_token_account, pool.wsol_account);
    let watch = [alice_shares];

    // The SOL reserve as its own payee.
    let ix = env.withdraw_ix(&alice.pubkey(), &alice_shares, &env.v.sol_reserve, SOL, 0);
    env.assert_rejected(&[ix], &[&alice], VaultError::DuplicateAccount, &watch).await;

    let cases: Vec<(solana_program::instruction::Instruction, &Keypair, VaultError)> = vec![
        // The vault's cToken account also as its wSOL account.
        (
            substitute(env.leverage_up_ix(&me, SOL / 2), lending_wsol, collateral),
            &allocator,
            VaultError::LendingAccountMismatch,
        ),
        // The SOL reserve of the market in both reserve slots.
        (
            substitute(env.leverage_up_ix(&me, SOL / 2), lst_reserve, sol_reserve),
            &allocator,
            VaultError::LendingAccountMismatch,
        ),
        // The LST reserve in both reserve slots of the valuation accounts.
        (
            substitute(env.deposit_ix(&alice.pubkey(), &alice_shares, SOL, 0), sol_reserve, lst_reserve),
            &alice,
            VaultError::LendingAccountMismatch,
        ),
        // The pool's wSOL reserve in both of the pool's reserve slots.
        (substitute(env.unwind_ix(&me, u64::MAX), pool_lst, pool_wsol), &allocator, VaultError::PoolAccountMismatch),
        // The vault's pool wSOL account also as its pool-token account.
        (
            substitute(env.pool_add_ix(&me, 1_000_000), pool_tokens, pool_wsol_account),
            &allocator,
            VaultError::PoolAccountMismatch,
        ),
    ];
    for (ix, signer, error) in cases {
        env.assert_rejected(&[ix], &[signer], error, &watch).await;
    }
}

#[tokio::test]
async fn item_10_the_wsol_account_closed_inside_a_step_stays_the_vaults() {
    // `unwrap_all` (leverage_up, pool_add, pool_remove, withdraw through the pool, unwind) closes
    // the vault's wSOL account into the reserve and reopens it at once; no instruction of the
    // program closes anything for good.
    let mut env = VaultClient::start_looped(default_params(), 0, 4).await;
    let allocator = env.v.allocator.insecure_clone();
    let mallory = env.chain.funded_keypair(SOL).await;
    let mallory_wsol = env.chain.wsol_account(&mallory.pubkey(), SOL / 10).await;
    let wsol = env.lending().wsol_account;
    let step = env.leverage_up_ix(&allocator.pubkey(), SOL / 2);
    let signers = [&allocator, &mallory];
    let watch = [mallory_wsol];

    // In the transaction that closed and reopened it, Mallory takes it over, closes it to
    // herself, or initialises it as her own: it is the vault's again, and the whole transaction
    // fails with the token program's TokenError::OwnerMismatch or TokenError::AlreadyInUse.
    let take_over = spl_token::instruction::set_authority(
        &spl_token::id(),
        &wsol,
        Some(&mallory.pubkey()),
        spl_token::instruction::AuthorityType::AccountOwner,
        &mallory.pubkey(),
        &[],
    )
    .expect("set_authority instruction");
    let owner_mismatch = TokenError::OwnerMismatch as u32;
    env.assert_rejected(&[step.clone(), take_over], &signers, owner_mismatch, &watch).await;
    let close =
        spl_token::instruction::close_account(&spl_token::id(), &wsol, &mallory.pubkey(), &mallory.pubkey(), &[])
            .expect("close_account instruction");
    env.assert_rejected(&[step.clone(), close], &signers, owner_mismatch, &watch).await;
    let reinit = spl_token::instruction::initialize_account3(
        &spl_token::id(),
        &wsol,
        &spl_token::native_mint::id(),
        &mallory.pubkey(),
    )
    .expect("initialize_account3 instruction");
    let already_initialized = TokenError::AlreadyInUse as u32;
    env.assert_rejected(&[step.clone(), reinit], &[&allocator], already_initialized, &[mallory_wsol, mallory.pubkey()])
        .await;

    // The step alone: afterwards the account is the vault's, empty, holding its rent and no more.
    let stepped = env.chain.send(&[step], &[&allocator]).await;
    assert!(stepped.is_ok(), "{stepped:?}");
    let account = env.chain.ctx.banks_client.get_account(wsol).await.expect("bank").expect("the wSOL account exists");
    let token = spl_token::state::Account::unpack(&account.data).expect("a token account");
    let vault = env.v.vault;
    assert_eq!((token.owner, token.mint, token.amount), (vault, spl_token::native_mint::id(), 0));
    let rent = env.chain.ctx.banks_client.get_rent().await.expect("rent sysvar");
    assert_eq!(account.lamports, rent.minimum_balance(spl_token::state::Account::LEN));
}

#[tokio::test]
async fn item_10_lamports_sent_to_the_wsol_accounts_cannot_block_the_loop_or_the_pool() {
    // The vault's wSOL accounts are empty between instructions; anyone can send lamports to
    // them. Each instruction that uses one first sweeps what is there into the reserve as an
    // untracked donation, so its exact balance checks see only its own movements.
    let mut env = VaultClient::start_looped_in_pool().await;
    let (bob, bob_shares) = env.depositor(6 * SOL).await;
    let deposited = env.deposit(&bob, &bob_shares, 5 * SOL, 0).await;
    assert!(deposited.is_ok(), "{deposited:?}");
    let allocator = env.v.allocator.pubkey();
    let mallory = env.chain.funded_keypair(SOL).await;
    let (lending_wsol, pool_wsol) = (env.lending().wsol_account, env.pool_setup().wsol_account);
    for account in [lending_wsol, pool_wsol] {
        env.chain.send_ok(&[system_instruction::transfer(&mallory.pubkey(), &account, 1)], &[&mallory]).await;
    }
    let price_before = env.share_price().await;
    let reserve_before = env.vault().await.accounting.reserve_lamports;
    let debt_before = env.lending_health(None).await.debt_lamports;
    let repaid = env.as_allocator(env.deleverage_ix(&allocator, SOL / 2)).await;
    let stepped = env.as_allocator(env.leverage_up_ix(&allocator, SOL / 2)).await;
    assert!(
        repaid.is_ok() && stepped.is_ok(),
        "after a 1-lamport donation: deleverage {repaid:?}, leverage_up {stepped:?}"
    );
    assert_eq!(env.lending_health(None).await.debt_lamports, debt_before);
    let staked = env.stake(SOL / 2).await;
    assert!(staked.is_ok(), "{staked:?}");
    let pool_tokens = env.pool_tokens_for(SOL / 8).await;
    let added = env.as_allocator(env.pool_add_ix(&allocator, pool_tokens)).await;
    assert!(added.is_ok(), "pool_add after a donation to the pool's wSOL account: {added:?}");
    // The donations went to the reserve untracked: the ledger moved only by what the steps did.
    let vault = env.vault().await;
    assert!(vault.accounting.reserve_lamports < reserve_before, "the stake and the pool took SOL");
    assert!(env.chain.lamports(&env.v.sol_reserve.clone()).await >= vault.accounting.reserve_lamports + 2);
    // The steps cost the holders at most their own bounds (rounding, and the pool's spread on
    // liquidity added near the rate, within `max_slippage_bps` of what went in): the donations
    // changed none of it.
    let pool_add_bound = (2 * SOL / 8) as u128 * 50 / 10_000 + 16;
    let (free_after, supply_after) = env.share_price().await;
    assert!(price_not_lower(price_before, (free_after + pool_add_bound, supply_after)));
    for account in [lending_wsol, pool_wsol] {
        assert_eq!(env.chain.token_balance(&account).await, 0);
    }
}

#[tokio::test]
async fn item_21_foreign_programs_in_program_slots_are_never_invoked() {
    let mut env = VaultClient::start_looped_in_pool().await;
    let (bob, bob_shares) = shareholder(&mut env, 5 * SOL).await;
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    let staked = env.stake(5 * SOL).await;
    assert!(staked.is_ok(), "loose LST for the pool exit: {staked:?}");
    // A deployed program that is not the expected one: it would accept the CPI and everything
    // the vault signs for with it.
    let evil = ballast_localnet::governance::governance_program_id();
    // Bob withdraws more than the reserve holds: the rest is LST sold through the pool, whose
    // program comes among the remaining accounts.
    let reserve = env.vault().await.accounting.reserve_lamports;
    let (free, supply) = env.share_price().await;
    let shares = ((reserve + SOL) as u128 * supply / free) as u64;
    let withdraw = env.withdraw_ix(&bob.pubkey(), &bob_shares, &bob.pubkey(), shares, 0);

    // The stake-pool program is pinned per vault (one of the three deployments): refused with
    // the vault's own error.
    let pinned: u32 = VaultError::StakePoolProgramMismatch.into();
    let program: u32 = AnchorError::InvalidProgramId.into();
    let lending = env.venue.program_id();
    let cases: Vec<(solana_program::instruction::Instruction, &Keypair, u32)> = vec![
        (substitute(env.stake_ix(&me, SOL / 10), spl_stake_pool::id(), evil), &allocator, pinned),
        (substitute(env.stake_ix(&me, SOL / 10), spl_token::id(), evil), &allocator, program),
        (substitute(env.leverage_up_ix(&me, SOL / 2), lending, evil), &allocator, program),
        (substitute(env.leverage_up_ix(&me, SOL / 2), spl_stake_pool::id(), evil), &allocator, pinned),
        (substitute(env.deleverage_ix(&me, SOL / 2), lending, evil), &allocator, program),
        (substitute(env.lend_supply_ix(&me, SOL / 2), lending, evil), &allocator, program),
        (substitute(env.pool_add_ix(&me, 1_000_000), spl_token_swap::id(), evil), &allocator, program),
        (substitute(env.unwind_ix(&me, u64::MAX), lending, evil), &allocator, program),
        (substitute(env.unwind_ix(&me, u64::MAX), spl_token_swap::id(), evil), &allocator, program),
        (substitute(withdraw.clone(), spl_token_swap::id(), evil), &bob, program),
        (substitute(withdraw.clone(), spl_token::id(), evil), &bob, program),
        (
            substitute(env.deposit_ix(&bob.pubkey(), &bob_shares, SOL, 0), solana_program::system_program::id(), evil),
            &bob,
            program,
        ),
    ];
    for (ix, signer, error) in cases {
        assert_rejected_before_invoking(&mut env, &[ix], &[signer], error, &[bob_shares], &evil).await;
    }

    // The check above is not vacuous: the real programs do show up in a call's log.
    let (result, logs) = env.chain.send_logged(&[withdraw], &[&bob]).await;
    assert!(result.is_ok(), "the honest withdrawal: {result:?}");
    let swap_invoked = format!("Program {} invoke", spl_token_swap::id());
    assert!(logs.iter().any(|line| line.starts_with(&swap_invoked)), "{logs:#?}");
}
