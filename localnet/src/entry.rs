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

/// A bank with Ballast, spl-stake-pool, spl-token-lending, spl-token-swap and spl-governance
/// compiled natively, and Save's deployed binary in the VM; spl-token and the stake program
/// come with program-test.
pub fn program_test() -> ProgramTest {
    let mut pt = ProgramTest::new("ballast", ballast::ID, processor!(ballast_entry));
    // The same native stake-pool code under each deployed id (SPL's, then Sanctum's two).
    for (name, id) in ["spl_stake_pool", "sanctum_spl_stake_pool", "sanctum_spl_multi_stake_pool"]
        .into_iter()
        .zip(ballast::adapters::stake_pool::STAKE_POOL_PROGRAMS)
    {
        pt.add_program(name, id, processor!(spl_stake_pool::processor::Processor::process));
    }
    pt.add_program(
        "spl_token_lending",
        spl_token_lending::id(),
        processor!(spl_token_lending::processor::process_instruction),
    );
    pt.add_program("spl_token_swap", spl_token_swap::id(), processor!(spl_token_swap::processor::Processor::process));
    pt.add_program(
        "spl_governance",
        crate::governance::governance_program_id(),
        processor!(spl_governance::processor::process_instruction),
    );
    add_deployed_program(&mut pt, ballast::adapters::save::SAVE_PROGRAM_ID, SAVE_ELF);
    pt.prefer_bpf(false);
    pt
}

/// Save's deployed program (provenance: `localnet/fixtures/PROVENANCE.md`).
pub const SAVE_ELF: &[u8] = include_bytes!("../fixtures/save.so");

/// A deployed SBF binary at its mainnet address: an executable account of the BPF loader,
/// which program-test runs in its VM (metered) next to the natively registered programs.
fn add_deployed_program(pt: &mut ProgramTest, id: Pubkey, elf: &[u8]) {
    let lamports = solana_sdk::rent::Rent::default().minimum_balance(elf.len());
    pt.add_account(
        id,
        solana_sdk::account::Account {
            lamports,
            data: elf.to_vec(),
            owner: solana_sdk::bpf_loader::id(),
            executable: true,
            rent_epoch: 0,
        },
    );
}

/// Natively, `sol_log_data` (Anchor's `emit!`) prints to stdout instead of the transaction log,
/// so events would be invisible to tests. This wraps program-test's syscall stubs and routes it
/// into the log as `Program log: data: <base64>...`; everything else is delegated unchanged.
struct EventLogStubs {
    inner: Box<dyn SyscallStubs>,
}

use solana_program::instruction::Instruction;
use solana_program::program_stubs::SyscallStubs;

impl SyscallStubs for EventLogStubs {
    fn sol_log(&self, message: &str) {
        self.inner.sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        self.inner.sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        self.inner.sol_remaining_compute_units()
    }
    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        self.inner.sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_last_restart_slot(var_addr)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.inner.sol_memcpy(dst, src, n)
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.inner.sol_memmove(dst, src, n)
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        self.inner.sol_memcmp(s1, s2, n, result)
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        self.inner.sol_memset(s, c, n)
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        self.inner.sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        self.inner.sol_set_return_data(data)
    }
    fn sol_log_data(&self, fields: &[&[u8]]) {
        use base64::Engine;
        let encoded: Vec<String> = fields.iter().map(|f| base64::engine::general_purpose::STANDARD.encode(f)).collect();
        self.inner.sol_log(&format!("data: {}", encoded.join(" ")))
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        self.inner.sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        self.inner.sol_get_stack_height()
    }
}

/// Installs `EventLogStubs` over program-test's stubs. Call after the first bank has started
/// (program-test installs its own stubs then, once per process) and before any other bank
/// runs a transaction (`Chain::start` sees to both).
pub fn route_events_to_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Take program-test's stubs out, then put them back wrapped.
        let inner = solana_program::program_stubs::set_syscall_stubs(Box::new(NoStubs));
        solana_program::program_stubs::set_syscall_stubs(Box::new(EventLogStubs { inner }));
    });
}

/// Placeholder for the instant between taking program-test's stubs and wrapping them.
struct NoStubs;
impl SyscallStubs for NoStubs {}
