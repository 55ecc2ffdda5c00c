//! A thin driver over `ProgramTestContext`: send, read, move time.
use anchor_lang::AccountDeserialize;
use solana_program::{clock::Clock, instruction::Instruction, program_pack::Pack, pubkey::Pubkey};
use solana_program_test::ProgramTestContext;
use solana_sdk::{
    compute_budget::ComputeBudgetInstruction,
    signature::{Keypair, Signer},
    system_instruction,
    transaction::{Transaction, TransactionError},
};

pub type TxResult = Result<(), TransactionError>;

pub struct Chain {
    pub ctx: ProgramTestContext,
    /// Makes every transaction unique so a repeated call is not deduplicated as already processed.
    nonce: u64,
}

impl Chain {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// `start`, with more programs or accounts added to the bank first (an attacker's program).
    pub async fn start_with(add: impl FnOnce(&mut solana_program_test::ProgramTest)) -> Self {
        // Before any bank of this process runs a transaction: start one so program-test
        // installs its syscall stubs, then wrap them (no transaction can run in between).
        static STUBS: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
        STUBS
            .get_or_init(|| async {
                drop(crate::entry::program_test().start_with_context().await);
                crate::entry::route_events_to_log();
            })
            .await;
        let mut program_test = crate::entry::program_test();
        add(&mut program_test);
        Self { ctx: program_test.start_with_context().await, nonce: 0 }
    }

    pub fn payer(&self) -> Keypair {
        self.ctx.payer.insecure_clone()
    }

    /// Sends with the context's payer paying fees, so the signers' balances only move by what
    /// the instructions move. Always through `process_transaction_with_metadata`.
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        self.send_logged(ixs, signers).await.0
    }

    /// Like `send`, also returning the program log lines.
    pub async fn send_logged(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> (TxResult, Vec<String>) {
        self.nonce += 1;
        // The most a transaction may use: Save's instructions run metered in the VM, and a vault
        // instruction that CPIs into several of them needs more than the default 200,000.
        let mut all = vec![
            ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
            ComputeBudgetInstruction::set_compute_unit_price(self.nonce),
        ];
        all.extend_from_slice(ixs);
        let payer = self.payer();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend(signers.iter().copied().filter(|k| k.pubkey() != payer.pubkey()));
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let tx = Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, blockhash);
        let out = self.ctx.banks_client.process_transaction_with_metadata(tx).await.unwrap();
        (out.result, out.metadata.map(|m| m.log_messages).unwrap_or_default())
    }

    pub async fn send_ok(&mut self, ixs: &[Instruction], signers: &[&Keypair]) {
        self.send(ixs, signers).await.unwrap();
    }

    pub async fn lamports(&mut self, key: &Pubkey) -> u64 {
        self.ctx.banks_client.get_balance(*key).await.unwrap()
    }

    pub async fn data(&mut self, key: &Pubkey) -> Vec<u8> {
        self.ctx.banks_client.get_account(*key).await.unwrap().expect("account exists").data
    }

    pub async fn anchor<T: AccountDeserialize>(&mut self, key: &Pubkey) -> T {
        let data = self.data(key).await;
        T::try_deserialize(&mut data.as_slice()).unwrap()
    }

    pub async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        spl_token::state::Account::unpack(&self.data(key).await).unwrap().amount
    }

    pub async fn mint_supply(&mut self, key: &Pubkey) -> u64 {
        spl_token::state::Mint::unpack(&self.data(key).await).unwrap().supply
    }

    pub async fn clock(&mut self) -> Clock {
        self.ctx.banks_client.get_sysvar::<Clock>().await.unwrap()
    }

    /// Moves the clock's unix time forward without changing the slot.
    pub async fn advance_secs(&mut self, secs: i64) {
        let mut clock = self.clock().await;
        clock.unix_timestamp += secs;
        self.ctx.set_sysvar(&clock);
    }

    /// Warps `slots` slots ahead (the clock's unix time moves with them).
    pub async fn warp_slots(&mut self, slots: u64) {
        let slot = self.clock().await.slot;
        self.ctx.warp_to_slot(slot + slots).unwrap();
    }

    /// Warps to the first slot of the next epoch (unix time moves with it).
    pub async fn next_epoch(&mut self) -> u64 {
        let clock = self.clock().await;
        let next = clock.epoch + 1;
        self.ctx.warp_to_epoch(next).unwrap();
        // Stake accounts are write-locked while epoch rewards are being paid out; end that
        // interval so the stake pool can be updated, as it would be a few blocks later.
        self.ctx.warp_forward_force_reward_interval_end().unwrap();
        next
    }

    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) {
        let payer = self.payer();
        self.send_ok(&[system_instruction::transfer(&payer.pubkey(), to, lamports)], &[]).await;
    }

    pub async fn funded_keypair(&mut self, lamports: u64) -> Keypair {
        let k = Keypair::new();
        self.airdrop(&k.pubkey(), lamports).await;
        k
    }

    /// An empty, rent-exempt account of `len` bytes at `key`, owned by `owner`, paid by the payer.
    pub async fn create_account_ix(&mut self, key: &Pubkey, len: usize, owner: &Pubkey) -> Instruction {
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        system_instruction::create_account(&self.ctx.payer.pubkey(), key, rent.minimum_balance(len), len as u64, owner)
    }

    /// Creates an spl-token account for `mint` owned by `owner`.
    pub async fn token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        let account = Keypair::new();
        let payer = self.payer();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let ixs = [
            system_instruction::create_account(
                &payer.pubkey(),
                &account.pubkey(),
                rent.minimum_balance(spl_token::state::Account::LEN),
                spl_token::state::Account::LEN as u64,
                &spl_token::id(),
            ),
            spl_token::instruction::initialize_account3(&spl_token::id(), &account.pubkey(), mint, owner).unwrap(),
        ];
        self.send_ok(&ixs, &[&account]).await;
        account.pubkey()
    }
}

impl Chain {
    /// Creates an spl-token mint with no freeze authority.
    pub async fn mint(&mut self, authority: &Pubkey, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.payer();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let len = spl_token::state::Mint::LEN;
        let ixs = [
            system_instruction::create_account(
                &payer.pubkey(),
                &mint.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &spl_token::id(),
            ),
            spl_token::instruction::initialize_mint2(&spl_token::id(), &mint.pubkey(), authority, None, decimals)
                .unwrap(),
        ];
        self.send_ok(&ixs, &[&mint]).await;
        mint.pubkey()
    }

    /// A wrapped-SOL account of `owner` holding `lamports` (funded by the payer).
    pub async fn wsol_account(&mut self, owner: &Pubkey, lamports: u64) -> Pubkey {
        let account = self.token_account(&spl_token::native_mint::id(), owner).await;
        self.airdrop(&account, lamports).await;
        self.send_ok(&[spl_token::instruction::sync_native(&spl_token::id(), &account).unwrap()], &[]).await;
        account
    }
}

/// The Anchor error code a failed transaction carries, if it is a custom program error.
pub fn custom_error(result: &TxResult) -> Option<u32> {
    use solana_program::instruction::InstructionError;
    match result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(code))) => Some(*code),
        _ => None,
    }
}

/// Asserts a transaction failed with exactly this program error.
#[track_caller]
pub fn assert_error(result: TxResult, expected: impl Into<u32>) {
    let expected = expected.into();
    assert_eq!(custom_error(&result), Some(expected), "expected custom error {expected}, got {result:?}");
}

/// The Anchor events of type `T` that Ballast itself logged in a transaction (see
/// `ballast_client::events`; `Program log: data:` lines here, see
/// `entry::route_events_to_log`).
pub fn events<T: anchor_lang::Event + anchor_lang::AnchorDeserialize>(logs: &[String]) -> Vec<T> {
    ballast_client::events(logs)
}
