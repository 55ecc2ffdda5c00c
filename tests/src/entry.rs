//! Entry points for `processor!`. Kept apart from anything that glob-imports Anchor's prelude:
//! `processor!` expands to a bare `Result<u64, Box<dyn Error>>`, which Anchor's `Result` shadows.
use solana_program::account_info::AccountInfo;
use solana_program::entrypoint::ProgramResult;
use solana_program::pubkey::Pubkey;
use solana_program_test::{processor, ProgramTest};

/// Anchor's `entry` wants the slice and the accounts in it to share one lifetime, which the
/// `processor!` signature does not promise. Shortening the accounts' lifetime `'b` to the
/// slice's `'a` is sound: `'b: 'a` holds (the slice borrows the accounts), and the program
/// cannot keep a reference past this call, which ends before the runtime's borrow does. Nothing
/// is leaked, so a long-running embedded chain does not grow with every instruction.
fn ballast_entry<'a, 'b>(program_id: &Pubkey, accounts: &'a [AccountInfo<'b>], data: &[u8]) -> ProgramResult {
    let accounts: &'a [AccountInfo<'a>] = unsafe { std::mem::transmute(accounts) };
    ballast::entry(program_id, accounts, data)
}

/// A bank with Ballast and spl-stake-pool compiled natively; spl-token and the stake program
/// come with program-test.
pub fn program_test() -> ProgramTest {
    let mut pt = ProgramTest::new("ballast", ballast::ID, processor!(ballast_entry));
    pt.add_program("spl_stake_pool", spl_stake_pool::id(), processor!(spl_stake_pool::processor::Processor::process));
    pt.prefer_bpf(false);
    pt
}
