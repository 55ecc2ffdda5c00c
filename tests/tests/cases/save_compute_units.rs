//! What each vault instruction costs on Save: the compute units of Save's part of it (every
//! Save instruction it invokes, with the token transfers Save makes; metered by the VM, so
//! real figures, unlike our native program's own), and the whole instruction's account list
//! and legacy transaction size with a compute budget.
use ballast::instructions::loop_exit::UnwindExit;
use ballast::state::LendingVenue;
use ballast_localnet::vault::SOL;
use ballast_localnet::VaultClient;
use solana_program::instruction::Instruction;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;

struct Row {
    name: &'static str,
    save_compute_units: u64,
    save_invocations: usize,
    accounts: usize,
    tx_bytes: usize,
}

/// Sends `ix` signed by `signer` and reads Save's part of it from the log.
async fn measure(env: &mut VaultClient, name: &'static str, ix: Instruction, signer: &Keypair) -> Row {
    let budget = [
        ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
        ComputeBudgetInstruction::set_compute_unit_price(10_000),
        ix.clone(),
    ];
    let tx = Transaction::new_signed_with_payer(&budget, Some(&signer.pubkey()), &[signer], Default::default());
    let tx_bytes = bincode::serialize(&tx).unwrap().len();
    let (result, logs) = env.chain.send_logged(std::slice::from_ref(&ix), &[signer]).await;
    assert!(result.is_ok(), "{name}: {result:?}\n{logs:#?}");
    let save = LendingVenue::Save.program_id();
    let consumed = format!("Program {save} consumed ");
    let save_compute_units = logs
        .iter()
        .filter_map(|line| line.strip_prefix(&consumed))
        .map(|rest| rest.split_whitespace().next().unwrap().parse::<u64>().unwrap())
        .sum();
    let save_invocations = logs.iter().filter(|line| line.starts_with(&format!("Program {save} invoke"))).count();
    let mut keys: Vec<_> = ix.accounts.iter().map(|a| a.pubkey).collect();
    keys.sort();
    keys.dedup();
    Row { name, save_compute_units, save_invocations, accounts: keys.len(), tx_bytes }
}

#[tokio::test]
async fn each_vault_instruction_on_save_its_compute_units_accounts_and_size() {
    let mut env = VaultClient::start_looped_in_pool().await;
    assert_eq!(env.venue, LendingVenue::Save);
    let allocator = env.v.allocator.insecure_clone();
    let me = allocator.pubkey();
    let mut rows = Vec::new();
    // A new depositor gives the vault room in its lending allocation.
    let (bob, bob_shares) = env.depositor(12 * SOL).await;
    let ix = env.deposit_ix(&bob.pubkey(), &bob_shares, 10 * SOL, 0);
    rows.push(measure(&mut env, "deposit (values the position)", ix, &bob).await);
    env.stake(2 * SOL).await.unwrap();
    let ix = env.lend_supply_ix(&me, SOL / 2);
    rows.push(measure(&mut env, "lend_supply", ix, &allocator).await);
    let ix = env.leverage_up_ix(&me, SOL);
    rows.push(measure(&mut env, "leverage_up", ix, &allocator).await);
    let ix = env.deleverage_ix(&me, SOL / 2);
    rows.push(measure(&mut env, "deleverage", ix, &allocator).await);
    let ix = env.lend_withdraw_ix(&me, SOL / 4);
    rows.push(measure(&mut env, "lend_withdraw", ix, &allocator).await);
    let ix = env.harvest_ix(&me);
    rows.push(measure(&mut env, "harvest (values the position)", ix, &allocator).await);
    env.mark_lst_down(0.64).await;
    let caller = env.chain.funded_keypair(SOL).await;
    let ix = env.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::Pool);
    rows.push(measure(&mut env, "unwind (pool exit)", ix, &caller).await);
    env.mark_lst_down(0.75).await;
    let ix = env.unwind_ix_via(&caller.pubkey(), u64::MAX, UnwindExit::StakePool);
    rows.push(measure(&mut env, "unwind (stake-pool exit)", ix, &caller).await);
    let ix = env.leave_loop_ix(&me, 3_000, u64::MAX, UnwindExit::StakePool);
    rows.push(measure(&mut env, "leave_loop (stake-pool exit)", ix, &allocator).await);

    println!("\nVault instructions on Save (Save's compute units metered by the VM; a legacy transaction with a compute budget):");
    println!("| instruction | Save's compute units | Save instructions | accounts | transaction bytes |\n|---|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            r.name, r.save_compute_units, r.save_invocations, r.accounts, r.tx_bytes
        );
    }
    // The unwind must land when it is needed: one legacy transaction (1,232 bytes) holds it.
    for r in rows.iter().filter(|r| r.name.starts_with("unwind")) {
        assert!(r.tx_bytes <= 1_232, "{}: {} bytes", r.name, r.tx_bytes);
    }
    for r in rows.iter().filter(|r| !r.name.contains("values the position")) {
        assert!(r.save_compute_units > 0 && r.save_invocations > 0, "{} reached Save", r.name);
    }
    // Below the 1.4M a transaction may use, with room for a priority fee's budget instructions.
    assert!(rows.iter().all(|r| r.save_compute_units < 1_200_000));
}
