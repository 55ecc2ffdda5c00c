//! A Ballast vault bound to a real stake pool, and a client with one method per instruction.
use anchor_lang::{InstructionData, ToAccountMetas};
use ballast::constants::seeds;
use ballast::instructions::InitializeVaultArgs;
use ballast::state::{RiskParams, Vault};
use solana_program::{instruction::Instruction, pubkey::Pubkey, system_program};
use solana_sdk::signature::{Keypair, Signer};

use crate::chain::{Chain, TxResult};
use crate::snapshot::Snapshot;
use crate::stake_pool::StakePoolFixture;

pub const SOL: u64 = 1_000_000_000;
pub const SEED_DEPOSIT_LAMPORTS: u64 = 10_000_000;
pub const SOL_USD_FEED: [u8; 32] = [0xef; 32];
pub const LST_USD_FEED: [u8; 32] = [0x67; 32];

/// Parameters the tests start from: valid, with a performance fee so harvests charge one.
pub fn default_params() -> RiskParams {
    RiskParams {
        max_leverage_bps: 30_000,
        target_ltv_low_bps: 5_000,
        target_ltv_high_bps: 6_500,
        unwind_trigger_ltv_bps: 7_500,
        unwind_target_ltv_bps: 6_000,
        max_oracle_age_secs: 60,
        max_conf_bps: 200,
        max_depeg_bps: 300,
        max_slippage_bps: 50,
        keeper_reward_bps: 10,
        max_lending_alloc_bps: 8_000,
        max_pool_alloc_bps: 2_000,
        min_sol_reserve_bps: 1_000,
        management_fee_bps: 0,
        performance_fee_bps: 1_000,
        withdrawal_fee_bps: 0,
        profit_unlock_secs: 86_400,
        timelock_secs: 172_800,
        deposit_cap_lamports: 1_000_000 * SOL,
    }
}

pub struct VaultFixture {
    pub vault: Pubkey,
    pub create_key: Keypair,
    pub share_mint: Pubkey,
    pub sol_reserve: Pubkey,
    pub lst_account: Pubkey,
    pub dead_shares: Pubkey,
    pub admin: Keypair,
    pub guardian: Keypair,
    pub allocator: Keypair,
    pub fee_recipient: Keypair,
    pub fee_recipient_shares: Pubkey,
}

pub fn vault_address(create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::VAULT, create_key.as_ref()], &ballast::ID).0
}

pub fn vault_pda(seed: &[u8], vault: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seed, vault.as_ref()], &ballast::ID).0
}

impl VaultFixture {
    pub fn new() -> Self {
        let create_key = Keypair::new();
        let vault = vault_address(&create_key.pubkey());
        Self {
            vault,
            share_mint: vault_pda(seeds::SHARE_MINT, &vault),
            sol_reserve: vault_pda(seeds::SOL_RESERVE, &vault),
            lst_account: vault_pda(seeds::LST_ACCOUNT, &vault),
            dead_shares: vault_pda(seeds::DEAD_SHARES, &vault),
            create_key,
            admin: Keypair::new(),
            guardian: Keypair::new(),
            allocator: Keypair::new(),
            fee_recipient: Keypair::new(),
            fee_recipient_shares: Pubkey::default(),
        }
    }

    pub fn initialize_ix(&self, payer: &Pubkey, pool: &StakePoolFixture, args: InitializeVaultArgs) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: ballast::accounts::InitializeVault {
                payer: *payer,
                create_key: self.create_key.pubkey(),
                vault: self.vault,
                share_mint: self.share_mint,
                sol_reserve: self.sol_reserve,
                lst_account: self.lst_account,
                dead_shares: self.dead_shares,
                stake_pool: pool.stake_pool,
                lst_mint: pool.pool_mint,
                token_program: spl_token::id(),
                system_program: system_program::id(),
            }
            .to_account_metas(None),
            data: ballast::instruction::InitializeVault { args }.data(),
        }
    }

    pub fn init_args(&self, params: RiskParams) -> InitializeVaultArgs {
        InitializeVaultArgs {
            admin: self.admin.pubkey(),
            guardian: self.guardian.pubkey(),
            allocator: self.allocator.pubkey(),
            fee_recipient: self.fee_recipient.pubkey(),
            sol_usd_feed_id: SOL_USD_FEED,
            lst_usd_feed_id: LST_USD_FEED,
            risk_params: params,
            seed_deposit_lamports: SEED_DEPOSIT_LAMPORTS,
        }
    }
}

impl Default for VaultFixture {
    fn default() -> Self {
        Self::new()
    }
}

/// A chain with a stake pool and one vault on it.
pub struct VaultClient {
    pub chain: Chain,
    pub pool: StakePoolFixture,
    pub v: VaultFixture,
}

impl VaultClient {
    /// A fresh bank, a pool holding 1,000 SOL, and a vault with `params`.
    pub async fn start(params: RiskParams) -> Self {
        let mut chain = Chain::start().await;
        let pool = StakePoolFixture::create(&mut chain, 1_000 * SOL).await;
        let mut v = VaultFixture::new();
        let payer = chain.payer();
        let ix = v.initialize_ix(&payer.pubkey(), &pool, v.init_args(params));
        chain.send_ok(&[ix], &[&v.create_key]).await;
        v.fee_recipient_shares = chain.token_account(&v.share_mint, &v.fee_recipient.pubkey()).await;
        Self { chain, pool, v }
    }

    pub async fn vault(&mut self) -> Vault {
        let key = self.v.vault;
        self.chain.anchor::<Vault>(&key).await
    }

    pub async fn share_supply(&mut self) -> u64 {
        let key = self.v.share_mint;
        self.chain.mint_supply(&key).await
    }

    /// A depositor with SOL and an empty share account.
    pub async fn depositor(&mut self, lamports: u64) -> (Keypair, Pubkey) {
        let user = self.chain.funded_keypair(lamports).await;
        let shares = self.chain.token_account(&self.v.share_mint.clone(), &user.pubkey()).await;
        (user, shares)
    }

    /// Every account a vault instruction can change, plus `extra`.
    pub async fn snapshot(&mut self, extra: &[Pubkey]) -> Snapshot {
        let mut keys = vec![
            self.v.vault,
            self.v.share_mint,
            self.v.sol_reserve,
            self.v.lst_account,
            self.v.dead_shares,
            self.v.fee_recipient_shares,
            self.pool.stake_pool,
            self.pool.reserve_stake,
            self.pool.pool_mint,
            self.pool.manager_fee_account,
        ];
        keys.extend_from_slice(extra);
        Snapshot::take(&mut self.chain, &keys).await
    }

    // ---- instructions -------------------------------------------------------------------

    pub fn deposit_ix(
        &self,
        depositor: &Pubkey,
        depositor_shares: &Pubkey,
        lamports: u64,
        min_shares_out: u64,
    ) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: ballast::accounts::Deposit {
                depositor: *depositor,
                vault: self.v.vault,
                share_mint: self.v.share_mint,
                sol_reserve: self.v.sol_reserve,
                stake_pool: self.pool.stake_pool,
                depositor_shares: *depositor_shares,
                token_program: spl_token::id(),
                system_program: system_program::id(),
            }
            .to_account_metas(None),
            data: ballast::instruction::Deposit { lamports, min_shares_out }.data(),
        }
    }

    pub async fn deposit(&mut self, user: &Keypair, shares: &Pubkey, lamports: u64, min_shares_out: u64) -> TxResult {
        let ix = self.deposit_ix(&user.pubkey(), shares, lamports, min_shares_out);
        self.chain.send(&[ix], &[user]).await
    }

    pub fn withdraw_ix(
        &self,
        owner: &Pubkey,
        owner_shares: &Pubkey,
        recipient: &Pubkey,
        shares: u64,
        min_lamports_out: u64,
    ) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: ballast::accounts::Withdraw {
                owner: *owner,
                vault: self.v.vault,
                share_mint: self.v.share_mint,
                sol_reserve: self.v.sol_reserve,
                stake_pool: self.pool.stake_pool,
                owner_shares: *owner_shares,
                recipient: *recipient,
                token_program: spl_token::id(),
                system_program: system_program::id(),
            }
            .to_account_metas(None),
            data: ballast::instruction::Withdraw { shares, min_lamports_out }.data(),
        }
    }

    pub async fn withdraw(
        &mut self,
        user: &Keypair,
        shares_account: &Pubkey,
        shares: u64,
        min_lamports_out: u64,
    ) -> TxResult {
        let ix = self.withdraw_ix(&user.pubkey(), shares_account, &user.pubkey(), shares, min_lamports_out);
        self.chain.send(&[ix], &[user]).await
    }

    pub fn stake_ix(&self, allocator: &Pubkey, lamports: u64) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: ballast::accounts::Stake {
                allocator: *allocator,
                vault: self.v.vault,
                share_mint: self.v.share_mint,
                sol_reserve: self.v.sol_reserve,
                lst_account: self.v.lst_account,
                stake_pool: self.pool.stake_pool,
                stake_pool_withdraw_authority: self.pool.withdraw_authority,
                reserve_stake: self.pool.reserve_stake,
                manager_fee_account: self.pool.manager_fee_account,
                lst_mint: self.pool.pool_mint,
                stake_pool_program: spl_stake_pool::id(),
                token_program: spl_token::id(),
                system_program: system_program::id(),
            }
            .to_account_metas(None),
            data: ballast::instruction::Stake { lamports }.data(),
        }
    }

    pub async fn stake(&mut self, lamports: u64) -> TxResult {
        let ix = self.stake_ix(&self.v.allocator.pubkey(), lamports);
        let allocator = self.v.allocator.insecure_clone();
        self.chain.send(&[ix], &[&allocator]).await
    }

    pub fn harvest_ix(&self, harvester: &Pubkey) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: ballast::accounts::Harvest {
                harvester: *harvester,
                vault: self.v.vault,
                share_mint: self.v.share_mint,
                stake_pool: self.pool.stake_pool,
                fee_recipient_shares: self.v.fee_recipient_shares,
                token_program: spl_token::id(),
            }
            .to_account_metas(None),
            data: ballast::instruction::Harvest {}.data(),
        }
    }

    pub async fn harvest(&mut self) -> TxResult {
        let ix = self.harvest_ix(&self.v.allocator.pubkey());
        let allocator = self.v.allocator.insecure_clone();
        self.chain.send(&[ix], &[&allocator]).await
    }

    fn admin_accounts<T: ToAccountMetas>(&self, accounts: T) -> Vec<solana_program::instruction::AccountMeta> {
        accounts.to_account_metas(None)
    }

    pub fn propose_ix(&self, admin: &Pubkey, params: RiskParams) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: self.admin_accounts(ballast::accounts::ProposeRiskParams { admin: *admin, vault: self.v.vault }),
            data: ballast::instruction::ProposeRiskParams { params }.data(),
        }
    }

    pub fn execute_ix(&self, admin: &Pubkey) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: self.admin_accounts(ballast::accounts::ExecuteRiskParams { admin: *admin, vault: self.v.vault }),
            data: ballast::instruction::ExecuteRiskParams {}.data(),
        }
    }

    pub fn cancel_ix(&self, admin: &Pubkey) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: self.admin_accounts(ballast::accounts::CancelRiskParams { admin: *admin, vault: self.v.vault }),
            data: ballast::instruction::CancelRiskParams {}.data(),
        }
    }

    pub fn set_roles_ix(
        &self,
        admin: &Pubkey,
        guardian: Pubkey,
        allocator: Pubkey,
        fee_recipient: Pubkey,
    ) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: self.admin_accounts(ballast::accounts::SetRoles { admin: *admin, vault: self.v.vault }),
            data: ballast::instruction::SetRoles { guardian, allocator, fee_recipient }.data(),
        }
    }

    pub fn transfer_admin_ix(&self, admin: &Pubkey, new_admin: Pubkey) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: self.admin_accounts(ballast::accounts::TransferAdmin { admin: *admin, vault: self.v.vault }),
            data: ballast::instruction::TransferAdmin { new_admin }.data(),
        }
    }

    pub fn accept_admin_ix(&self, pending_admin: &Pubkey) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: self
                .admin_accounts(ballast::accounts::AcceptAdmin { pending_admin: *pending_admin, vault: self.v.vault }),
            data: ballast::instruction::AcceptAdmin {}.data(),
        }
    }

    pub fn set_pause_ix(&self, authority: &Pubkey, paused: bool) -> Instruction {
        Instruction {
            program_id: ballast::ID,
            accounts: self.admin_accounts(ballast::accounts::SetPause { authority: *authority, vault: self.v.vault }),
            data: ballast::instruction::SetPause { paused }.data(),
        }
    }

    /// Sends one instruction signed by `signer`.
    pub async fn send_as(&mut self, ix: Instruction, signer: &Keypair) -> TxResult {
        self.chain.send(&[ix], &[signer]).await
    }

    /// An epoch passes with `reward_lamports` of staking rewards; the pool is updated.
    pub async fn epoch_with_rewards(&mut self, reward_lamports: u64) {
        self.chain.next_epoch().await;
        self.pool.add_rewards(&mut self.chain, reward_lamports).await;
        self.pool.update(&mut self.chain).await;
    }
}
