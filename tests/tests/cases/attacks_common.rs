//! Shared pieces of the attack tests (`docs/SECURITY.md`, "Adversarial checklist"): account
//! substitution, a second vault on the same chain for cross-vault attacks, forged copies of real
//! accounts under another owner, and a rejection check that also proves a substituted program was
//! never invoked. No tests live here.
use anchor_lang::AccountSerialize;
use ballast::state::{RiskParams, Vault};
use ballast_localnet::chain::{assert_error, Chain};
use ballast_localnet::vault::{LendingSetup, VaultFixture, SOL};
use ballast_localnet::vault_pool::PoolSetup;
use ballast_localnet::VaultClient;
use solana_program::instruction::Instruction;
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// `ix` with every occurrence of `from` among its accounts replaced by `to` (flags kept).
#[track_caller]
pub fn substitute(mut ix: Instruction, from: Pubkey, to: Pubkey) -> Instruction {
    let mut hits = 0;
    for meta in ix.accounts.iter_mut().filter(|meta| meta.pubkey == from) {
        meta.pubkey = to;
        hits += 1;
    }
    assert!(hits > 0, "{from} is not among the instruction's accounts");
    ix
}

/// A copy of `source`'s data at a fresh address, owned by `owner` (a program that is not the one
/// the data belongs to): what anyone can create with their own program.
pub async fn forged_copy(chain: &mut Chain, source: &Pubkey, owner: &Pubkey) -> Pubkey {
    let data = chain.data(source).await;
    let forged = Pubkey::new_unique();
    chain.write_account(&forged, owner, data).await;
    forged
}

/// `vault` serialized as the program stores it, padded to the account's `len` bytes.
pub fn vault_bytes(vault: &Vault, len: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(len);
    vault.try_serialize(&mut data).expect("a vault serializes");
    assert!(data.len() <= len, "serialized vault longer than its account");
    data.resize(len, 0);
    data
}

/// A PDA of `program` for `seeds` with a bump below the canonical one (still off the curve).
pub fn non_canonical_pda(seeds: &[&[u8]], program: &Pubkey) -> (Pubkey, u8) {
    let (canonical, canonical_bump) = Pubkey::find_program_address(seeds, program);
    for bump in (0..canonical_bump).rev() {
        let mut with_bump: Vec<&[u8]> = seeds.to_vec();
        let bump_bytes = [bump];
        with_bump.push(&bump_bytes);
        if let Ok(address) = Pubkey::create_program_address(&with_bump, program) {
            assert_ne!(address, canonical);
            return (address, bump);
        }
    }
    panic!("no non-canonical bump below {canonical_bump}");
}

/// A depositor of the client's vault holding the shares `lamports` bought.
pub async fn shareholder(env: &mut VaultClient, lamports: u64) -> (Keypair, Pubkey) {
    let (user, shares) = env.depositor(lamports + SOL).await;
    let result = env.deposit(&user, &shares, lamports, 0).await;
    assert!(result.is_ok(), "deposit of {lamports} lamports: {result:?}");
    (user, shares)
}

/// Sends `ixs`, expects `error`, checks that no vault account, signer or `watch` changed, and
/// that `program` was never invoked: the vault refused before any CPI, so nothing it signs for
/// reached that program.
pub async fn assert_rejected_before_invoking(
    env: &mut VaultClient,
    ixs: &[Instruction],
    signers: &[&Keypair],
    error: impl Into<u32>,
    watch: &[Pubkey],
    program: &Pubkey,
) {
    let mut keys: Vec<Pubkey> = watch.to_vec();
    keys.extend(signers.iter().map(|k| k.pubkey()));
    let before = env.snapshot(&keys).await;
    let (result, logs) = env.chain.send_logged(ixs, signers).await;
    assert_error(result, error);
    let invoked = format!("Program {program} invoke");
    assert!(!logs.iter().any(|line| line.starts_with(&invoked)), "{program} was invoked: {logs:#?}");
    before.assert_same(&env.snapshot(&keys).await);
}

/// A second vault on the same chain and stake pool as the client's own, with its own keys and,
/// if asked, its own lending market and pool. The client builds its instructions while the two
/// are exchanged.
pub struct OtherVault {
    pub v: VaultFixture,
    pub lending: Option<LendingSetup>,
    pub swap: Option<PoolSetup>,
}

impl OtherVault {
    pub async fn create(env: &mut VaultClient, params: RiskParams, bind_lending: bool, bind_pool: bool) -> Self {
        let mut other = Self { v: VaultFixture::new(), lending: None, swap: None };
        other.exchange(env);
        let payer = env.chain.payer();
        let ix = env.v.initialize_ix(&payer.pubkey(), &env.pool, env.v.init_args(params));
        let create_key = env.v.create_key.insecure_clone();
        env.chain.send_ok(&[ix], &[&create_key]).await;
        let (share_mint, fee_recipient) = (env.v.share_mint, env.v.fee_recipient.pubkey());
        env.v.fee_recipient_shares = env.chain.token_account(&share_mint, &fee_recipient).await;
        if bind_lending {
            env.bind_lending(0, 4).await;
        }
        if bind_pool {
            env.bind_pool(100 * SOL).await;
        }
        other.exchange(env);
        other
    }

    /// Swaps this vault with the client's (twice restores both).
    fn exchange(&mut self, env: &mut VaultClient) {
        std::mem::swap(&mut env.v, &mut self.v);
        std::mem::swap(&mut env.lending, &mut self.lending);
        std::mem::swap(&mut env.swap, &mut self.swap);
    }

    /// An instruction for this vault, built by the client's builders.
    pub fn ix(&mut self, env: &mut VaultClient, build: impl FnOnce(&VaultClient) -> Instruction) -> Instruction {
        self.exchange(env);
        let ix = build(env);
        self.exchange(env);
        ix
    }

    /// A depositor of this vault holding the shares `lamports` bought.
    pub async fn shareholder(&mut self, env: &mut VaultClient, lamports: u64) -> (Keypair, Pubkey) {
        self.exchange(env);
        let holder = shareholder(env, lamports).await;
        self.exchange(env);
        holder
    }
}
