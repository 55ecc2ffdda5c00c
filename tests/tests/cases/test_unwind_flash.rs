//! Unwinding past the market's borrow limit: the LST jumps down so the market's LTV is between
//! its borrow limit (85%) and its liquidation line (90%). No
//! collateral may leave before some debt is repaid. The reserve's floor repays first then (sized
//! by `math::unwind::blocked_unwind_floor_bps`); a vault with no SOL of its own and no pool
//! cannot start a plain `unwind`, exactly when it is needed. On Save a flash loan taken at the
//! top of the transaction repays first and the collateral sold pays it back (`unwind_flash`);
//! spl-token-lending has no such loan and says so.
use ballast::errors::VaultError;
use ballast::events::{FlashUnwound, Unwound};
use ballast::instructions::loop_exit::UnwindExit;
use ballast::math::unwind::blocked_unwind_floor_bps;
use ballast::state::LendingVenue;
use ballast_localnet::chain::{assert_error, events};
use ballast_localnet::vault::SOL;
use ballast_localnet::vault_pool::PAST_THE_BORROW_LIMIT_MARK;
use ballast_localnet::VaultClient;
use solana_sdk::signature::{Keypair, Signer};

/// `VaultClient::start_past_the_borrow_limit`, its LTV checked.
async fn past_the_borrow_limit() -> VaultClient {
    let mut env = VaultClient::start_past_the_borrow_limit().await;
    let ltv = env.market_ltv_bps().await;
    assert!(ltv > 8_500 && ltv < 9_000, "{ltv}");
    env
}

/// The vault's accounts, the caller's and the lending ones a refused call must leave alone.
fn watched(env: &VaultClient, caller: &Keypair) -> Vec<solana_sdk::pubkey::Pubkey> {
    let l = env.lending();
    vec![env.v.vault, env.v.sol_reserve, env.v.lst_account, l.obligation, l.wsol_account, caller.pubkey()]
}

/// The flash unwind's size with its compute budget, as a legacy transaction and as a v0 one whose
/// lookup table holds every account but the signer.
fn transaction_sizes(caller: &Keypair, ixs: &[solana_program::instruction::Instruction]) -> (usize, usize) {
    use solana_sdk::address_lookup_table::AddressLookupTableAccount;
    use solana_sdk::compute_budget::ComputeBudgetInstruction;
    use solana_sdk::message::{v0, VersionedMessage};
    use solana_sdk::transaction::{Transaction, VersionedTransaction};
    let mut all = vec![
        ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
        ComputeBudgetInstruction::set_compute_unit_price(10_000),
    ];
    all.extend_from_slice(ixs);
    let legacy = Transaction::new_signed_with_payer(&all, Some(&caller.pubkey()), &[caller], Default::default());
    let mut addresses: Vec<_> = all.iter().flat_map(|ix| ix.accounts.iter().map(|a| a.pubkey)).collect();
    addresses.sort();
    addresses.dedup();
    addresses.retain(|k| *k != caller.pubkey());
    let table = AddressLookupTableAccount { key: solana_sdk::pubkey::Pubkey::new_unique(), addresses };
    let message = v0::Message::try_compile(&caller.pubkey(), &all, &[table], Default::default()).unwrap();
    let v0 = VersionedTransaction::try_new(VersionedMessage::V0(message), &[caller]).unwrap();
    (bincode::serialize(&legacy).unwrap().len(), bincode::serialize(&v0).unwrap().len())
}

#[tokio::test]
async fn past_the_borrow_limit_a_plain_unwind_cannot_start() {
    let mut env = past_the_borrow_limit().await;
    let caller = env.chain.funded_keypair(SOL).await;
    let watch = watched(&env, &caller);
    for exit in [UnwindExit::StakePool] {
        let ix = env.unwind_ix_via(&caller.pubkey(), u64::MAX, exit);
        env.assert_rejected(&[ix], &[&caller], VaultError::UnwindBlockedByBorrowLimit, &watch).await;
    }
}

#[tokio::test]
async fn past_the_borrow_limit_a_flash_loan_repays_first_and_the_unwind_lands() {
    let mut env = past_the_borrow_limit().await;
    let caller = env.chain.funded_keypair(SOL).await;
    let repay_account = env.chain.token_account(&spl_token::native_mint::id(), &caller.pubkey()).await;
    let flash = 3 * SOL;
    if env.venue == LendingVenue::SplTokenLending {
        // No top-level flash pair on this venue: the vault instruction alone says so.
        let [_, unwind, _] = env.unwind_flash_ixs(&caller.pubkey(), flash, UnwindExit::StakePool, repay_account, 2);
        let watch = watched(&env, &caller);
        env.assert_rejected(&[unwind], &[&caller], VaultError::FlashLoanUnsupported, &watch).await;
        return;
    }
    let ltv_before = env.market_ltv_bps().await;
    let (free_before, shares_before) = env.share_price().await;
    let fee_receiver = env.lending().market.sol.fee_receiver;
    let fee_receiver_before = env.chain.token_balance(&fee_receiver).await;
    let caller_before = env.chain.lamports(&caller.pubkey()).await;

    // Index 0 and 1 of the harness's transactions are its compute budget.
    let ixs = env.unwind_flash_ixs(&caller.pubkey(), flash, UnwindExit::StakePool, repay_account, 2);
    let (legacy_bytes, v0_bytes) = transaction_sizes(&caller, &ixs);
    println!("flash unwind: {legacy_bytes} bytes as a legacy transaction, {v0_bytes} as v0 with a lookup table");
    assert!(legacy_bytes > 1_232 && v0_bytes <= 1_232, "{legacy_bytes} / {v0_bytes}");
    let (result, logs) = env.chain.send_logged(&ixs, &[&caller]).await;
    assert!(result.is_ok(), "{result:?}\n{logs:#?}");
    let event = events::<FlashUnwound>(&logs).pop().unwrap();
    println!("{event:?}");

    // The loan repaid first; the LTV is now at the target, from past the borrow limit.
    assert_eq!(event.flash_lamports, flash);
    assert_eq!(event.ltv_before_bps, ltv_before);
    assert!(event.ltv_after_bps <= 6_000, "{event:?}");
    assert_eq!(event.ltv_after_bps, env.market_ltv_bps().await);
    // Save's 0.03% fee on 3 SOL went to its fee receiver; the caller's repayment account passed
    // the loan and the fee through and holds nothing; the caller got the reward only.
    assert_eq!(event.flash_fee_lamports, 900_000);
    assert_eq!(env.chain.token_balance(&fee_receiver).await, fee_receiver_before + 900_000);
    assert_eq!(env.chain.token_balance(&repay_account).await, 0);
    assert_eq!(event.reward_lamports, event.repaid_lamports * 10 / 10_000);
    assert_eq!(env.chain.lamports(&caller.pubkey()).await, caller_before + event.reward_lamports);
    // The stake pool paid its rate (no slippage on this exit), so the holders' cost is the
    // reward and the fee (and the conversions' rounding), booked at once; shares unchanged.
    let fixed_costs = event.reward_lamports + event.flash_fee_lamports;
    assert!(
        event.realized_loss_lamports >= fixed_costs && event.realized_loss_lamports <= fixed_costs + 3,
        "{event:?}"
    );
    let (free_after, shares_after) = env.share_price().await;
    assert_eq!(shares_after, shares_before);
    assert!(
        free_before - free_after <= event.realized_loss_lamports as u128 + 2,
        "{free_before} -> {free_after}, booked {}",
        event.realized_loss_lamports
    );
    // The vault's wSOL accounts are empty again and its books match its accounts.
    let l = env.lending();
    let wsol = l.wsol_account;
    assert_eq!(env.chain.token_balance(&wsol).await, 0);
    let vault = env.vault().await;
    assert_eq!(env.chain.token_balance(&env.v.lst_account.clone()).await, vault.accounting.lst_amount);
}

#[tokio::test]
async fn unwind_flash_without_its_loan_or_with_another_is_refused_and_changes_nothing() {
    let mut env = past_the_borrow_limit().await;
    if env.venue != LendingVenue::Save {
        // spl-token-lending has no flash loan to forge or misdirect: `unwind_flash` is refused
        // there before these checks (`FlashLoanUnsupported`, the test above).
        return;
    }
    let mallory = env.chain.funded_keypair(10 * SOL).await;
    let mallory_wsol = env.chain.wsol_account(&mallory.pubkey(), 4 * SOL).await;
    let flash = 3 * SOL;
    let watch = [watched(&env, &mallory), vec![mallory_wsol]].concat();
    let [borrow, unwind, repay] =
        env.unwind_flash_ixs(&mallory.pubkey(), flash, UnwindExit::StakePool, mallory_wsol, 2);

    // No loan: Mallory puts her own 3 wSOL in the vault's account and asks to be paid back with
    // the fee. Refused: the instruction before is not Save's flash borrow.
    let wsol = env.lending().wsol_account;
    let donate =
        spl_token::instruction::transfer(&spl_token::id(), &mallory_wsol, &wsol, &mallory.pubkey(), &[], flash)
            .unwrap();
    env.assert_rejected(&[donate, unwind.clone()], &[&mallory], VaultError::FlashLoanMissing, &watch).await;

    // A loan into her own account, then the vault's instruction: refused.
    let (_, other) = {
        let keys = env.lending().market.sol.save_keys();
        let market = env.lending().market.market;
        (keys, ballast::adapters::save::instruction::flash_borrow_reserve_liquidity(flash, &keys, mallory_wsol, market))
    };
    env.assert_rejected(&[other, unwind.clone(), repay.clone()], &[&mallory], VaultError::FlashLoanMissing, &watch)
        .await;

    // A loan of another amount: refused.
    let [smaller, _, smaller_repay] =
        env.unwind_flash_ixs(&mallory.pubkey(), flash - 1, UnwindExit::StakePool, mallory_wsol, 2);
    env.assert_rejected(&[smaller, unwind.clone(), smaller_repay], &[&mallory], VaultError::FlashLoanMissing, &watch)
        .await;

    // The loan, but something else between it and the vault's instruction: refused.
    let memo = solana_sdk::system_instruction::transfer(&mallory.pubkey(), &mallory.pubkey(), 1);
    env.assert_rejected(
        &[borrow.clone(), memo, unwind.clone(), repay.clone()],
        &[&mallory],
        VaultError::FlashLoanMissing,
        &watch,
    )
    .await;

    // A loan larger than the debt: refused.
    let debt = env.lending_health(None).await.debt_lamports;
    let [big, big_unwind, big_repay] =
        env.unwind_flash_ixs(&mallory.pubkey(), debt + SOL, UnwindExit::StakePool, mallory_wsol, 2);
    let result = env.chain.send(&[big, big_unwind, big_repay], &[&mallory]).await;
    assert_error(result, VaultError::FlashLoanTooLarge);
}

/// Without a flash loan the reserve's floor repays too: past the borrow limit it is what lets the
/// unwind start (on spl-token-lending the only thing). A floor of 15% of the assets is spent at
/// par and the collateral does the rest.
#[tokio::test]
async fn past_the_borrow_limit_the_reserve_floor_repays_first_and_the_unwind_lands() {
    let mut env = VaultClient::start_past_the_borrow_limit_with_floor(1_500).await;
    let vault = env.vault().await;
    let ltv_before = env.market_ltv_bps().await;
    assert!(ltv_before > 8_500 && ltv_before < 9_000, "{ltv_before}");
    assert_eq!(vault.accounting.spare_reserve_lamports(1_500).unwrap(), 0, "nothing above the floor");
    let reserve_before = vault.accounting.reserve_lamports;
    let (free_before, shares_before) = env.share_price().await;
    let caller = env.chain.funded_keypair(SOL).await;
    let caller_before = env.chain.lamports(&caller.pubkey()).await;

    let ix = env.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::StakePool);
    let (result, logs) = env.chain.send_logged(&[ix], &[&caller]).await;
    assert!(result.is_ok(), "{result:?}\n{logs:#?}");
    let event = events::<Unwound>(&logs).pop().unwrap();
    // The floor repaid first, then collateral took the LTV to the target.
    assert!(event.from_reserve_lamports > 0 && event.from_reserve_lamports <= reserve_before, "{event:?}");
    assert!(event.lst_sold > 0 && event.ltv_after_bps <= 6_000, "{event:?}");
    assert_eq!(env.chain.lamports(&caller.pubkey()).await, caller_before + event.reward_lamports);
    // The holders paid the reward and the conversion's rounding (the stake pool pays its rate);
    // shares unchanged.
    let (free_after, shares_after) = env.share_price().await;
    assert_eq!(shares_after, shares_before);
    assert!(event.realized_loss_lamports <= event.reward_lamports + 3, "{event:?}");
    assert!(free_before - free_after <= event.realized_loss_lamports as u128 + 2, "{free_before} -> {free_after}");
}

/// `math::unwind::blocked_unwind_floor_bps` sizes the floor for a jump past the borrow limit:
/// with the floor it gives for this vault's jump, the unwind starts; with three quarters of it,
/// it cannot (and nothing moves).
#[tokio::test]
async fn the_floor_sized_for_the_jump_starts_the_unwind_and_a_smaller_one_does_not() {
    // The vault's LTV before and after the jump.
    let mut probe = VaultClient::start_past_the_borrow_limit().await;
    let ltv_after_jump = probe.market_ltv_bps().await;
    let ltv_before_jump = (ltv_after_jump as f64 * PAST_THE_BORROW_LIMIT_MARK).floor() as u16;
    let borrow_limit_bps = 8_500;
    let floor_bps = blocked_unwind_floor_bps(ltv_before_jump, borrow_limit_bps, ltv_after_jump as u16).unwrap();
    println!("from {ltv_before_jump} to {ltv_after_jump} bps: a floor of {floor_bps} bps");
    assert!(floor_bps > 100 && floor_bps < 1_500, "{floor_bps}");

    let mut sized = VaultClient::start_past_the_borrow_limit_with_floor(floor_bps).await;
    assert_eq!(sized.market_ltv_bps().await, ltv_after_jump);
    let caller = sized.chain.funded_keypair(SOL).await;
    let ix = sized.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::StakePool);
    let (result, logs) = sized.chain.send_logged(&[ix], &[&caller]).await;
    assert!(result.is_ok(), "{result:?}\n{logs:#?}");
    // Repaid just past the borrow limit, the market lets little collateral go per round: the
    // first call ends below the limit, after its rounds; the next one reaches the target.
    let first = events::<Unwound>(&logs).pop().unwrap();
    println!("first unwind: {first:?}");
    assert!(first.from_reserve_lamports > 0 && first.ltv_after_bps < borrow_limit_bps as u64, "{first:?}");
    let ix = sized.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::StakePool);
    let (result, logs) = sized.chain.send_logged(&[ix], &[&caller]).await;
    assert!(result.is_ok(), "{result:?}\n{logs:#?}");
    let second = events::<Unwound>(&logs).pop().unwrap();
    println!("second unwind: {second:?}");
    assert!(second.ltv_after_bps <= 6_000, "{second:?}");

    let mut short = VaultClient::start_past_the_borrow_limit_with_floor(floor_bps * 3 / 4).await;
    let caller = short.chain.funded_keypair(SOL).await;
    let watch = watched(&short, &caller);
    let ix = short.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::StakePool);
    short.assert_rejected(&[ix], &[&caller], VaultError::UnwindBlockedByBorrowLimit, &watch).await;
}
