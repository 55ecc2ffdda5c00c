//! A Ballast vault bound to a real stake pool, and a client with one method per instruction.
use ballast::constants::seeds;
use ballast::instructions::InitializeVaultArgs;
use ballast::state::{LendingVenue, RiskParams, Vault};
use ballast_client::{PoolKeys, StakePoolKeys, VaultKeys};
use solana_program::{instruction::Instruction, pubkey::Pubkey, system_instruction};
use solana_sdk::signature::{Keypair, Signer};

use crate::chain::{Chain, TxResult};
use crate::lending::LendingFixture;
use crate::oracle::price_update;
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
        unwind_slippage_bps: 20,
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

pub use ballast_client::{vault_address, vault_pda};

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
        ballast_client::initialize_vault(*payer, self.create_key.pubkey(), pool.stake_pool, pool.pool_mint, args)
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

/// The venue `VaultClient::start` binds its lending markets on: spl-token-lending unless the
/// process chose another (a test binary that runs the suite on Save sets it before any test).
static DEFAULT_VENUE: std::sync::OnceLock<LendingVenue> = std::sync::OnceLock::new();

pub fn set_default_venue(venue: LendingVenue) {
    DEFAULT_VENUE.set(venue).expect("the default venue is set once, before any vault starts");
}

pub fn default_venue() -> LendingVenue {
    DEFAULT_VENUE.get().copied().unwrap_or(LendingVenue::SplTokenLending)
}

/// The terms of a lending market the tests and the simulator create, on either venue: the LST
/// reserve's borrow limit and liquidation threshold, and the SOL reserve's rate curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketTerms {
    pub lst_ltv_pct: u8,
    pub lst_liquidation_threshold_pct: u8,
    pub sol_min_borrow_rate_pct: u8,
    pub sol_optimal_borrow_rate_pct: u8,
}

impl MarketTerms {
    /// LTV 85%, liquidation at 90%, and the given SOL rate curve.
    pub fn new(sol_min_borrow_rate_pct: u8, sol_optimal_borrow_rate_pct: u8) -> Self {
        Self {
            lst_ltv_pct: 85,
            lst_liquidation_threshold_pct: 90,
            sol_min_borrow_rate_pct,
            sol_optimal_borrow_rate_pct,
        }
    }
}

/// A chain with a stake pool and one vault on it, and once bound, a lending market.
pub struct VaultClient {
    pub chain: Chain,
    /// The lending program markets are created on.
    pub venue: LendingVenue,
    pub pool: StakePoolFixture,
    pub v: VaultFixture,
    pub lending: Option<LendingSetup>,
    pub swap: Option<crate::vault_pool::PoolSetup>,
}

/// The vault's lending market and the Pyth receiver accounts the vault reads.
pub struct LendingSetup {
    pub market: LendingFixture,
    pub obligation: Pubkey,
    pub collateral_account: Pubkey,
    pub wsol_account: Pubkey,
    pub sol_usd_update: Pubkey,
    pub lst_usd_update: Pubkey,
    /// Confidence written into both receiver updates, in the feeds' raw units.
    pub conf_raw: u64,
}

impl VaultClient {
    /// A fresh bank, a pool holding 1,000 SOL, and a vault with `params`.
    pub async fn start(params: RiskParams) -> Self {
        Self::start_on(Chain::start().await, params).await
    }

    /// `start` on an existing chain (its clock wherever it is): many vaults, each with its own
    /// stake pool and markets, can share one bank.
    pub async fn start_on(chain: Chain, params: RiskParams) -> Self {
        Self::start_under(chain, spl_stake_pool::id(), params).await
    }

    /// `start_on`, the vault's stake pool owned by `stake_pool_program` (one of the deployments).
    pub async fn start_under(chain: Chain, stake_pool_program: Pubkey, params: RiskParams) -> Self {
        Self::start_full(chain, default_venue(), stake_pool_program, params).await
    }

    /// A fresh bank and a vault whose lending markets are on `venue`.
    pub async fn start_venue(venue: LendingVenue, params: RiskParams) -> Self {
        Self::start_full(Chain::start().await, venue, spl_stake_pool::id(), params).await
    }

    async fn start_full(mut chain: Chain, venue: LendingVenue, stake_pool_program: Pubkey, params: RiskParams) -> Self {
        // Save's price reads need 240 slots of history; start the pool after them.
        if venue == LendingVenue::Save && chain.clock().await.slot < crate::save::FIRST_USABLE_SLOT {
            chain.ctx.warp_to_slot(crate::save::FIRST_USABLE_SLOT).unwrap();
        }
        let pool = StakePoolFixture::create_under(&mut chain, stake_pool_program, 1_000 * SOL).await;
        let mut v = VaultFixture::new();
        let payer = chain.payer();
        let ix = v.initialize_ix(&payer.pubkey(), &pool, v.init_args(params));
        chain.send_ok(&[ix], &[&v.create_key]).await;
        v.fee_recipient_shares = chain.token_account(&v.share_mint, &v.fee_recipient.pubkey()).await;
        Self { chain, venue, pool, v, lending: None, swap: None }
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
        if let Some(l) = &self.lending {
            keys.extend([
                l.obligation,
                l.collateral_account,
                l.wsol_account,
                l.market.lst.reserve,
                l.market.lst.liquidity_supply,
                l.market.lst.collateral_supply,
                l.market.lst.collateral_mint,
                l.market.sol.reserve,
                l.market.sol.liquidity_supply,
            ]);
        }
        if let Some(p) = &self.swap {
            keys.extend([
                p.pool.swap,
                p.pool.token_lst,
                p.pool.token_wsol,
                p.pool.pool_mint,
                p.pool.fee_account,
                p.pool_token_account,
                p.wsol_account,
            ]);
        }
        keys.extend_from_slice(extra);
        Snapshot::take(&mut self.chain, &keys).await
    }

    /// The vault's accounts as the client names them, from the fixtures (the bindings once
    /// made).
    pub fn vault_keys(&self) -> VaultKeys {
        VaultKeys {
            vault: self.v.vault,
            share_mint: self.v.share_mint,
            sol_reserve: self.v.sol_reserve,
            lst_account: self.v.lst_account,
            stake_pool: self.pool.stake_pool,
            fee_recipient: self.v.fee_recipient.pubkey(),
            lending: self.lending.as_ref().map(|l| [l.obligation, l.market.lst.reserve, l.market.sol.reserve]),
            pool: self.swap.as_ref().map(|p| PoolKeys {
                swap: p.pool.swap,
                pool_mint: p.pool.pool_mint,
                pool_lst: p.pool.token_lst,
                pool_wsol: p.pool.token_wsol,
                pool_fee_account: p.pool.fee_account,
                pool_token_account: p.pool_token_account,
                wsol_account: p.wsol_account,
            }),
        }
    }

    /// The stake pool's accounts as the client names them.
    pub fn stake_pool_keys(&self) -> StakePoolKeys {
        StakePoolKeys {
            program: self.pool.program,
            withdraw_authority: self.pool.withdraw_authority,
            reserve_stake: self.pool.reserve_stake,
            manager_fee_account: self.pool.manager_fee_account,
            lst_mint: self.pool.pool_mint,
        }
    }

    // ---- instructions -------------------------------------------------------------------

    pub fn deposit_ix(
        &self,
        depositor: &Pubkey,
        depositor_shares: &Pubkey,
        lamports: u64,
        min_shares_out: u64,
    ) -> Instruction {
        ballast_client::deposit_into(&self.vault_keys(), *depositor, *depositor_shares, lamports, min_shares_out)
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
        ballast_client::withdraw_to(&self.vault_keys(), *owner, *owner_shares, *recipient, shares, min_lamports_out)
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
        ballast_client::stake(&self.vault_keys(), &self.stake_pool_keys(), *allocator, lamports)
    }

    pub async fn stake(&mut self, lamports: u64) -> TxResult {
        let ix = self.stake_ix(&self.v.allocator.pubkey(), lamports);
        let allocator = self.v.allocator.insecure_clone();
        self.chain.send(&[ix], &[&allocator]).await
    }

    pub fn harvest_ix(&self, harvester: &Pubkey) -> Instruction {
        ballast_client::harvest(&self.vault_keys(), *harvester, self.v.fee_recipient_shares)
    }

    pub async fn harvest(&mut self) -> TxResult {
        let ix = self.harvest_ix(&self.v.allocator.pubkey());
        let allocator = self.v.allocator.insecure_clone();
        self.chain.send(&[ix], &[&allocator]).await
    }

    /// The vault as an admin instruction targets it (with the bound market's LST reserve).
    pub fn admin_target(&self, admin: &Pubkey) -> ballast_client::AdminTarget {
        ballast_client::AdminTarget {
            vault: self.v.vault,
            admin: *admin,
            lst_reserve: self.lending.as_ref().map(|l| l.market.lst.reserve),
        }
    }

    pub fn propose_ix(&self, admin: &Pubkey, params: RiskParams) -> Instruction {
        ballast_client::propose_risk_params(&self.admin_target(admin), params)
    }

    pub fn execute_ix(&self, admin: &Pubkey) -> Instruction {
        ballast_client::execute_risk_params(&self.admin_target(admin))
    }

    pub fn cancel_ix(&self, admin: &Pubkey) -> Instruction {
        self.cancel_proposal_ix(admin, ballast::state::ProposalKind::RiskParams)
    }

    pub fn cancel_proposal_ix(&self, admin: &Pubkey, kind: ballast::state::ProposalKind) -> Instruction {
        ballast_client::cancel_proposal(self.v.vault, *admin, kind)
    }

    pub fn propose_roles_ix(
        &self,
        admin: &Pubkey,
        guardian: Pubkey,
        allocator: Pubkey,
        fee_recipient: Pubkey,
    ) -> Instruction {
        ballast_client::propose_roles(self.v.vault, *admin, guardian, allocator, fee_recipient)
    }

    pub fn set_roles_ix(&self, admin: &Pubkey) -> Instruction {
        ballast_client::set_roles(self.v.vault, *admin)
    }

    pub fn propose_lending_ix(
        &self,
        admin: &Pubkey,
        market: &LendingFixture,
        lst_reserve: &Pubkey,
        sol_reserve: &Pubkey,
    ) -> Instruction {
        ballast_client::propose_lending(self.v.vault, *admin, market.market, *lst_reserve, *sol_reserve)
    }

    /// The vault's timelock passes (unix time only; the market's and the vault's prices are
    /// rewritten at the new time).
    pub async fn pass_timelock(&mut self) {
        let secs = self.vault().await.risk_params.timelock_secs as i64;
        self.chain.advance_secs(secs).await;
        if self.lending.is_some() {
            self.sync_prices().await;
        }
    }

    pub fn transfer_admin_ix(&self, admin: &Pubkey, new_admin: Pubkey) -> Instruction {
        ballast_client::transfer_admin(self.v.vault, *admin, new_admin)
    }

    pub fn accept_admin_ix(&self, pending_admin: &Pubkey) -> Instruction {
        ballast_client::accept_admin(self.v.vault, *pending_admin)
    }

    pub fn set_pause_ix(&self, authority: &Pubkey, paused: bool) -> Instruction {
        ballast_client::set_pause(self.v.vault, *authority, paused)
    }

    /// Sends `ixs` in one transaction, expects `error`, and checks that nothing moved in the
    /// vault's accounts, the signers' or `watch`.
    pub async fn assert_rejected(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        error: impl Into<u32>,
        watch: &[Pubkey],
    ) {
        let mut keys: Vec<Pubkey> = watch.to_vec();
        keys.extend(signers.iter().map(|k| k.pubkey()));
        let before = self.snapshot(&keys).await;
        let result = self.chain.send(ixs, signers).await;
        crate::chain::assert_error(result, error);
        before.assert_same(&self.snapshot(&keys).await);
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

// ---- lending ----------------------------------------------------------------------------

/// Starting prices: SOL at $150, the LST at the stake-pool rate times that.
pub const SOL_USD: f64 = 150.0;
/// Receiver updates are written with this exponent.
pub const FEED_EXPONENT: i32 = -8;

pub fn usd_raw(usd: f64) -> i64 {
    (usd * 1e8).round() as i64
}

impl VaultClient {
    /// A lending market (LST reserve LTV 85% / threshold 90%; SOL reserve with the given borrow
    /// rate curve) holding 1,000 SOL and 100 LST of liquidity, bound to the vault.
    pub async fn bind_lending(&mut self, sol_min_borrow_rate: u8, sol_optimal_borrow_rate: u8) {
        self.bind_lending_with(MarketTerms::new(sol_min_borrow_rate, sol_optimal_borrow_rate)).await;
    }

    /// `bind_lending` on a market with the given terms.
    pub async fn bind_lending_with(&mut self, terms: MarketTerms) {
        let (market, obligation) = self.create_lending_market_with(terms).await;
        let admin = self.v.admin.insecure_clone();
        let propose = self.propose_lending_ix(&admin.pubkey(), &market, &market.lst.reserve, &market.sol.reserve);
        self.chain.send_ok(&[propose], &[&admin]).await;
        self.pass_timelock().await;
        let ix = self.bind_lending_ix(&admin.pubkey(), &market, &market.lst.reserve, &market.sol.reserve, &obligation);
        self.chain.send_ok(&[ix], &[&admin]).await;
        self.lending = Some(LendingSetup {
            market,
            obligation,
            collateral_account: vault_pda(seeds::COLLATERAL_ACCOUNT, &self.v.vault),
            wsol_account: vault_pda(seeds::WSOL_ACCOUNT, &self.v.vault),
            sol_usd_update: Pubkey::new_unique(),
            lst_usd_update: Pubkey::new_unique(),
            conf_raw: 0,
        });
        self.sync_prices().await;
    }

    /// A market with its reserves, and a fresh account (owned by the lending program) for the
    /// vault's obligation.
    pub async fn create_lending_market(
        &mut self,
        sol_min_borrow_rate: u8,
        sol_optimal_borrow_rate: u8,
    ) -> (LendingFixture, Pubkey) {
        self.create_lending_market_with(MarketTerms::new(sol_min_borrow_rate, sol_optimal_borrow_rate)).await
    }

    /// A market on the client's venue with `terms`, seeded by its owner with 100 LST and 1,000
    /// SOL, and a fresh account (owned by the lending program) for the vault's obligation.
    pub async fn create_lending_market_with(&mut self, terms: MarketTerms) -> (LendingFixture, Pubkey) {
        let owner = self.chain.funded_keypair(2_000 * SOL).await;
        // The market owner's LST for the reserve's initial liquidity, from the pool itself.
        let owner_lst = self.lst_for(&owner, 100 * SOL).await;
        let lst_liquidity = self.chain.token_balance(&owner_lst).await;
        let rate = self.pool_rate().await;
        let (mint, lst_usd) = (self.pool.pool_mint, SOL_USD * rate);
        let market = match self.venue {
            LendingVenue::SplTokenLending => {
                let lst_config = spl_token_lending::state::ReserveConfig {
                    loan_to_value_ratio: terms.lst_ltv_pct,
                    liquidation_threshold: terms.lst_liquidation_threshold_pct,
                    ..crate::lending::lst_reserve_config()
                };
                let sol_config = crate::lending::sol_reserve_config(
                    terms.sol_min_borrow_rate_pct,
                    terms.sol_optimal_borrow_rate_pct,
                );
                let chain = &mut self.chain;
                LendingFixture::create(
                    chain,
                    owner,
                    mint,
                    owner_lst,
                    lst_liquidity,
                    1_000 * SOL,
                    lst_usd,
                    SOL_USD,
                    lst_config,
                    sol_config,
                )
                .await
            }
            LendingVenue::Save => {
                let lst_config = ballast::adapters::save::state::ReserveConfig {
                    loan_to_value_pct: terms.lst_ltv_pct,
                    liquidation_threshold_pct: terms.lst_liquidation_threshold_pct,
                    max_liquidation_threshold_pct_raw: terms.lst_liquidation_threshold_pct.saturating_add(2).min(100),
                    ..crate::save::lst_reserve_config()
                };
                let sol_config =
                    crate::save::sol_reserve_config(terms.sol_min_borrow_rate_pct, terms.sol_optimal_borrow_rate_pct);
                let chain = &mut self.chain;
                crate::save::create_market(
                    chain,
                    owner,
                    mint,
                    owner_lst,
                    lst_liquidity,
                    1_000 * SOL,
                    lst_usd,
                    SOL_USD,
                    lst_config,
                    sol_config,
                )
                .await
            }
        };
        let obligation = Keypair::new();
        let ix = self.new_obligation_account_ix(&obligation.pubkey()).await;
        self.chain.send_ok(&[ix], &[&obligation]).await;
        (market, obligation.pubkey())
    }

    /// Creates `obligation` empty, sized and owned for the client's venue.
    pub async fn new_obligation_account_ix(&mut self, obligation: &Pubkey) -> Instruction {
        use solana_program::program_pack::Pack;
        let len = match self.venue {
            LendingVenue::SplTokenLending => spl_token_lending::state::Obligation::LEN,
            LendingVenue::Save => ballast::adapters::save::state::Obligation::LEN,
        };
        let program = self.venue.program_id();
        self.chain.create_account_ix(obligation, len, &program).await
    }

    pub fn bind_lending_ix(
        &self,
        admin: &Pubkey,
        market: &LendingFixture,
        lst_reserve: &Pubkey,
        sol_reserve: &Pubkey,
        obligation: &Pubkey,
    ) -> Instruction {
        ballast_client::bind_lending(&ballast_client::BindLendingTarget {
            vault: self.v.vault,
            admin: *admin,
            payer: self.chain.ctx.payer.pubkey(),
            venue: market.venue,
            market: market.market,
            lst_reserve: *lst_reserve,
            sol_reserve: *sol_reserve,
            obligation: *obligation,
            lst_collateral_mint: market.lst.collateral_mint,
        })
    }

    /// A vault with 10.01 SOL of assets, 8 SOL of it staked and supplied as collateral on a
    /// fresh market (the default caps: at most 80% of assets in the market, 10% kept as SOL).
    pub async fn start_supplied(params: RiskParams, sol_min_borrow_rate: u8, sol_optimal_borrow_rate: u8) -> Self {
        Self::start_supplied_on(Chain::start().await, params, sol_min_borrow_rate, sol_optimal_borrow_rate).await
    }

    pub async fn start_supplied_on(
        chain: Chain,
        params: RiskParams,
        sol_min_borrow_rate: u8,
        sol_optimal_borrow_rate: u8,
    ) -> Self {
        let mut env = Self::start_on(chain, params).await;
        let (alice, alice_shares) = env.depositor(20 * SOL).await;
        env.deposit(&alice, &alice_shares, 10 * SOL, 0).await.unwrap();
        env.stake(8 * SOL).await.unwrap();
        env.bind_lending(sol_min_borrow_rate, sol_optimal_borrow_rate).await;
        let allocator = env.v.allocator.pubkey();
        let lst = env.vault().await.accounting.lst_amount;
        env.as_allocator(env.lend_supply_ix(&allocator, lst)).await.unwrap();
        env
    }

    /// `start_supplied`, then three `leverage_up` steps (4, 2.5, 1.5 SOL) to 16 LST of
    /// collateral against 8 SOL of debt (LTV 50%, 1.8x).
    pub async fn start_looped(params: RiskParams, sol_min_borrow_rate: u8, sol_optimal_borrow_rate: u8) -> Self {
        Self::start_looped_on(Chain::start().await, params, sol_min_borrow_rate, sol_optimal_borrow_rate).await
    }

    pub async fn start_looped_on(
        chain: Chain,
        params: RiskParams,
        sol_min_borrow_rate: u8,
        sol_optimal_borrow_rate: u8,
    ) -> Self {
        let mut env = Self::start_supplied_on(chain, params, sol_min_borrow_rate, sol_optimal_borrow_rate).await;
        let allocator = env.v.allocator.pubkey();
        for borrow in [4 * SOL, 5 * SOL / 2, 3 * SOL / 2] {
            env.as_allocator(env.leverage_up_ix(&allocator, borrow)).await.unwrap();
        }
        env
    }

    /// `leverage_up` steps until the lending LTV is `ltv` (a fraction), each within the market's
    /// borrow limit (`market_ltv_pct`, one point of margin), at most twelve steps.
    pub async fn loop_to_ltv(&mut self, ltv: f64, market_ltv_pct: u8) {
        let allocator = self.v.allocator.pubkey();
        for _ in 0..12 {
            let (_, position) = self.valuation().await;
            let room = (ltv * position.collateral_lst as f64 - position.debt_lamports as f64) / (1.0 - ltv);
            let market_room =
                (market_ltv_pct as f64 - 1.0) / 100.0 * position.collateral_lst as f64 - position.debt_lamports as f64;
            let borrow = room.min(market_room);
            if borrow < (SOL / 20) as f64 {
                break;
            }
            self.as_allocator(self.leverage_up_ix(&allocator, borrow as u64)).await.expect("leverage_up");
        }
    }

    /// A new LST account of `owner` holding what `DepositSol` of `lamports` (from `owner`) mints.
    pub async fn lst_for(&mut self, owner: &Keypair, lamports: u64) -> Pubkey {
        let account = self.chain.token_account(&self.pool.pool_mint.clone(), &owner.pubkey()).await;
        let ix = spl_stake_pool::instruction::deposit_sol(
            &self.pool.program,
            &self.pool.stake_pool,
            &self.pool.withdraw_authority,
            &self.pool.reserve_stake,
            &owner.pubkey(),
            &account,
            &self.pool.manager_fee_account,
            &account,
            &self.pool.pool_mint,
            &spl_token::id(),
            lamports,
        );
        self.chain.send_ok(&[ix], &[owner]).await;
        account
    }

    pub fn lending(&self) -> &LendingSetup {
        self.lending.as_ref().expect("lending bound")
    }

    /// SOL per LST at the pool's current rate.
    /// One epoch's staking reward on the stake pool's SOL at `staking_apr` (a fraction a year),
    /// the epoch's length taken from the cluster's schedule at 400 ms a slot.
    pub async fn staking_reward_lamports(&mut self, staking_apr: f64) -> u64 {
        let schedule: solana_sdk::epoch_schedule::EpochSchedule =
            self.chain.ctx.banks_client.get_sysvar().await.unwrap();
        let epoch_secs = schedule.slots_per_epoch as f64 * 0.4;
        let total = self.pool.state(&mut self.chain).await.total_lamports as f64;
        (total * staking_apr * epoch_secs / (365.0 * 86_400.0)) as u64
    }

    pub async fn pool_rate(&mut self) -> f64 {
        let pool = self.pool.state(&mut self.chain).await;
        pool.total_lamports as f64 / pool.pool_token_supply as f64
    }

    /// Rewrites every price at the current slot and time: the legacy accounts the lending market
    /// reads and the receiver updates the vault reads, from each reserve's `usd_price`.
    pub async fn sync_prices(&mut self) {
        let now = self.chain.clock().await.unix_timestamp;
        let l = self.lending.as_mut().expect("lending bound");
        l.market.sync_oracles(&mut self.chain).await;
        let (sol, lst) = (l.market.sol.usd_price, l.market.lst.usd_price);
        let conf = l.conf_raw;
        let (sol_key, lst_key) = (l.sol_usd_update, l.lst_usd_update);
        let receiver = pyth_solana_receiver_sdk::ID;
        self.chain
            .write_price_update(
                &sol_key,
                &price_update(SOL_USD_FEED, usd_raw(sol), conf, FEED_EXPONENT, now),
                &receiver,
            )
            .await;
        self.chain
            .write_price_update(
                &lst_key,
                &price_update(LST_USD_FEED, usd_raw(lst), conf, FEED_EXPONENT, now),
                &receiver,
            )
            .await;
    }

    /// Posts the vault's receiver update for one feed (`lst`: LST/USD, else SOL/USD) with its own
    /// confidence and publish time; the lending market's accounts are left as they are.
    pub async fn post_vault_feed(&mut self, lst: bool, usd: f64, conf_usd: f64, publish_time: i64) {
        let l = self.lending.as_ref().expect("lending bound");
        let (key, feed) = if lst { (l.lst_usd_update, LST_USD_FEED) } else { (l.sol_usd_update, SOL_USD_FEED) };
        let update = price_update(feed, usd_raw(usd), usd_raw(conf_usd).max(0) as u64, FEED_EXPONENT, publish_time);
        self.chain.write_price_update(&key, &update, &pyth_solana_receiver_sdk::ID).await;
    }

    /// Moves the market: both feeds (legacy and receiver) at once.
    pub async fn set_prices(&mut self, sol_usd: f64, lst_usd: f64) {
        let l = self.lending.as_mut().expect("lending bound");
        l.market.sol.usd_price = sol_usd;
        l.market.lst.usd_price = lst_usd;
        self.sync_prices().await;
    }

    /// Advances `slots` (interest accrues); cranks the stake pool if an epoch passed; prices
    /// are rewritten at the new slot.
    pub async fn warp_slots(&mut self, slots: u64) {
        self.warp_slots_staking(slots, 0.0).await
    }

    /// `warp_slots`, the stake pool earning `staking_apr` (a fraction a year) on its SOL at
    /// each epoch boundary crossed, paid into its reserve before the update.
    pub async fn warp_slots_staking(&mut self, slots: u64, staking_apr: f64) {
        let clock = self.chain.clock().await;
        self.chain.ctx.warp_to_slot(clock.slot + slots).unwrap();
        let epochs = self.chain.clock().await.epoch - clock.epoch;
        if epochs > 0 {
            self.chain.ctx.warp_forward_force_reward_interval_end().unwrap();
            let reward = self.staking_reward_lamports(staking_apr).await * epochs;
            if reward > 0 {
                self.pool.add_rewards(&mut self.chain, reward).await;
            }
            self.pool.update(&mut self.chain).await;
        }
        if self.lending.is_some() {
            self.sync_prices().await;
        }
    }

    /// The bound market's accounts, from which the client writes every lending account list.
    pub fn lending_keys(&self) -> ballast_client::LendingKeys {
        let l = self.lending();
        ballast_client::LendingKeys {
            venue: l.market.venue,
            market: l.market.market,
            obligation: l.obligation,
            collateral_account: l.collateral_account,
            wsol_account: l.wsol_account,
            lst: l.market.lst.accounts(),
            sol: l.market.sol.accounts(),
        }
    }

    pub fn lending_core(&self) -> ballast_client::LendingCore {
        self.lending_keys().core()
    }

    /// The allocator's accounts for the lending instructions.
    pub fn allocator_target(&self, allocator: &Pubkey) -> ballast_client::AllocatorTarget {
        ballast_client::AllocatorTarget {
            allocator: *allocator,
            vault: self.v.vault,
            share_mint: self.v.share_mint,
            sol_reserve: self.v.sol_reserve,
            lst_account: self.v.lst_account,
            lst_mint: self.pool.pool_mint,
            stake_pool: self.pool.stake_pool,
            stake_pool_program: self.pool.program,
            stake_pool_reserve_stake: self.pool.reserve_stake,
            stake_pool_manager_fee_account: self.pool.manager_fee_account,
            pool: self.swap.as_ref().map(|p| [p.pool.pool_mint, p.pool.token_lst, p.pool.token_wsol]),
            lending: self.lending_keys(),
        }
    }

    /// The vault's receiver price updates.
    fn price_updates(&self) -> ballast_client::PriceUpdates {
        let l = self.lending();
        ballast_client::PriceUpdates { sol_usd: l.sol_usd_update, lst_usd: l.lst_usd_update }
    }

    pub fn lend_supply_ix(&self, allocator: &Pubkey, lst_amount: u64) -> Instruction {
        ballast_client::lend_supply(&self.allocator_target(allocator), lst_amount)
    }

    pub fn lend_withdraw_ix(&self, allocator: &Pubkey, ctokens: u64) -> Instruction {
        ballast_client::lend_withdraw(&self.allocator_target(allocator), &self.price_updates(), ctokens)
    }

    pub fn leverage_up_ix(&self, allocator: &Pubkey, borrow_lamports: u64) -> Instruction {
        ballast_client::leverage_up(&self.allocator_target(allocator), &self.price_updates(), borrow_lamports)
    }

    pub fn deleverage_ix(&self, allocator: &Pubkey, repay_lamports: u64) -> Instruction {
        ballast_client::deleverage(&self.allocator_target(allocator), repay_lamports)
    }

    pub async fn as_allocator(&mut self, ix: Instruction) -> TxResult {
        let allocator = self.v.allocator.insecure_clone();
        self.chain.send(&[ix], &[&allocator]).await
    }

    /// The vault's valuation exactly as the program computes it, from the chain's accounts now.
    pub async fn valuation(&mut self) -> (u64, ballast::math::valuation::LendingPosition) {
        use ballast::math::valuation::{LendingPosition, Positions, StakePoolRate};
        let vault = self.vault().await;
        let pool = self.pool.state(&mut self.chain).await;
        let rate = StakePoolRate { total_lamports: pool.total_lamports, pool_token_supply: pool.pool_token_supply };
        let position = match &self.lending {
            None => LendingPosition::default(),
            Some(_) => {
                let h = self.lending_health(None).await;
                LendingPosition { collateral_lst: h.collateral_lst, debt_lamports: h.debt_lamports }
            }
        };
        let pool = self.pool_position().await;
        (vault.live_assets_lamports(&rate, &Positions { lending: position, pool }).unwrap(), position)
    }

    /// The lending position's health from raw account bytes, as the program (and the keeper)
    /// compute it.
    pub async fn lending_health(
        &mut self,
        prices: Option<ballast::math::health::ReservePrices>,
    ) -> ballast::math::health::LendingHealth {
        let state = self.lending_state().await;
        let slot = self.chain.clock().await.slot;
        state.health_at(slot, prices).unwrap()
    }

    /// The vault's obligation and both reserves, read through the venue.
    pub async fn lending_state(&mut self) -> ballast::adapters::lending::LendingState {
        let l = self.lending.as_ref().expect("lending bound");
        l.market.state(&mut self.chain, &l.obligation).await
    }
}

impl VaultClient {
    /// A third party's `LiquidateObligation` of `repay_lamports` of the vault's debt, after
    /// refreshing both reserves and the obligation, as any liquidator bot sends it. The
    /// liquidator gets fresh wSOL and cToken accounts.
    /// Another borrower deposits SOL as collateral in the market and borrows the LST reserve's
    /// liquidity down to `leave_lst`, as a utilization spike would (the vault's collateral
    /// cannot be redeemed beyond what is left).
    pub async fn borrow_out_lst(&mut self, leave_lst: u64) -> TxResult {
        self.borrow_out(true, leave_lst).await
    }

    /// Another borrower deposits LST as collateral and borrows the SOL reserve's liquidity down
    /// to `leave_lamports`: the SOL reserve's utilization, and so its borrow rate, rises.
    pub async fn borrow_out_sol(&mut self, leave_lamports: u64) -> TxResult {
        self.borrow_out(false, leave_lamports).await
    }

    /// Liquidity the LST (`lst`) or SOL reserve can lend or pay out now.
    pub async fn reserve_available(&mut self, lst: bool) -> u64 {
        let l = &self.lending().market;
        let reserve = if lst { l.lst.reserve } else { l.sol.reserve };
        match self.venue {
            LendingVenue::SplTokenLending => {
                LendingFixture::reserve(&mut self.chain, &reserve).await.liquidity.available_amount
            }
            LendingVenue::Save => crate::save::reserve(&mut self.chain, &reserve).await.available_amount,
        }
    }

    /// Another borrower posts the other reserve's asset as collateral (worth 2.5 times the loan)
    /// and borrows the LST (`lst`) or SOL reserve's liquidity down to `leave`. The borrow fails
    /// as any borrower's would (a stale price, a reserve limit); the set-up does not.
    async fn borrow_out(&mut self, lst: bool, leave: u64) -> TxResult {
        use solana_program::program_pack::Pack;
        use spl_token_lending::instruction as lending_ix;
        let program = spl_token_lending::id();
        let (market, borrowed, collateral) = {
            let l = &self.lending().market;
            if lst {
                (l.market, l.lst.clone(), l.sol.clone())
            } else {
                (l.market, l.sol.clone(), l.lst.clone())
            }
        };
        let borrow = self.reserve_available(lst).await.saturating_sub(leave);
        if borrow == 0 {
            return Ok(());
        }
        let rate = self.pool_rate().await;
        let borrowed_lamports = if lst { borrow as f64 * rate } else { borrow as f64 };
        let collateral_lamports = (borrowed_lamports * 2.5) as u64;
        let borrower = self.chain.funded_keypair(collateral_lamports + 10 * SOL).await;
        let source = if lst {
            self.chain.wsol_account(&borrower.pubkey(), collateral_lamports).await
        } else {
            // LST comes from the stake pool, which takes no deposit before its epoch's update:
            // the borrower waits (the driver asks again at its next step).
            let epoch = self.chain.clock().await.epoch;
            if self.pool.state(&mut self.chain).await.last_update_epoch < epoch {
                return Ok(());
            }
            self.lst_for(&borrower, collateral_lamports).await
        };
        let deposit = self.chain.token_balance(&source).await;
        let ctokens = self.chain.token_account(&collateral.collateral_mint, &borrower.pubkey()).await;
        let out = self.chain.token_account(&borrowed.liquidity_mint, &borrower.pubkey()).await;
        let obligation = Keypair::new();
        let owner = borrower.pubkey();
        if self.venue == LendingVenue::Save {
            use ballast::adapters::save::instruction as save_ix;
            let create = self.new_obligation_account_ix(&obligation.pubkey()).await;
            let setup = [
                create,
                save_ix::init_obligation(obligation.pubkey(), market, owner),
                save_ix::deposit_reserve_liquidity_and_obligation_collateral(
                    deposit,
                    source,
                    ctokens,
                    &collateral.save_keys(),
                    market,
                    obligation.pubkey(),
                    owner,
                ),
            ];
            self.chain.send(&setup, &[&obligation, &borrower]).await?;
            let mut ixs = self.lending().market.refresh_reserves_ixs();
            ixs.push(save_ix::refresh_obligation(obligation.pubkey(), &[collateral.reserve]));
            ixs.push(save_ix::borrow_obligation_liquidity(
                borrow,
                &borrowed.save_keys(),
                out,
                market,
                obligation.pubkey(),
                owner,
                &[collateral.reserve],
            ));
            return self.chain.send(&ixs, &[&borrower]).await;
        }
        let rent = self.chain.ctx.banks_client.get_rent().await.unwrap();
        let len = spl_token_lending::state::Obligation::LEN;
        let payer = self.chain.payer();
        let setup = [
            system_instruction::create_account(
                &payer.pubkey(),
                &obligation.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &program,
            ),
            lending_ix::init_obligation(program, obligation.pubkey(), market, owner),
            lending_ix::refresh_reserve(program, collateral.reserve, collateral.oracle_price),
            lending_ix::deposit_reserve_liquidity(
                program,
                deposit,
                source,
                ctokens,
                collateral.reserve,
                collateral.liquidity_supply,
                collateral.collateral_mint,
                market,
                owner,
            ),
        ];
        self.chain.send(&setup, &[&obligation, &borrower]).await?;
        let ctoken_amount = self.chain.token_balance(&ctokens).await;
        let mut ixs = vec![
            lending_ix::refresh_reserve(program, collateral.reserve, collateral.oracle_price),
            lending_ix::deposit_obligation_collateral(
                program,
                ctoken_amount,
                ctokens,
                collateral.collateral_supply,
                collateral.reserve,
                obligation.pubkey(),
                market,
                owner,
                owner,
            ),
        ];
        ixs.extend(self.lending().market.refresh_reserves_ixs());
        ixs.push(lending_ix::refresh_obligation(program, obligation.pubkey(), vec![collateral.reserve]));
        ixs.push(lending_ix::borrow_obligation_liquidity(
            program,
            borrow,
            borrowed.liquidity_supply,
            out,
            borrowed.reserve,
            borrowed.fee_receiver,
            obligation.pubkey(),
            market,
            owner,
            None,
        ));
        self.chain.send(&ixs, &[&borrower]).await
    }

    /// The market's owner hands it to `new_owner` (Save's call also restates its outflow limit
    /// and risk authority: unchanged, and the new owner).
    pub async fn set_market_owner(&mut self, new_owner: Pubkey) {
        let (market, owner, venue) = {
            let m = &self.lending().market;
            (m.market, m.owner.insecure_clone(), m.venue)
        };
        let ix = match venue {
            LendingVenue::SplTokenLending => spl_token_lending::instruction::set_lending_market_owner(
                spl_token_lending::id(),
                market,
                owner.pubkey(),
                new_owner,
            ),
            LendingVenue::Save => {
                let state = crate::save::market_state(&mut self.chain, &market).await;
                ballast::adapters::save::instruction::set_lending_market_owner_and_config(
                    market,
                    owner.pubkey(),
                    new_owner,
                    state.rate_limiter.window_duration_slots,
                    state.rate_limiter.max_outflow,
                    state.whitelisted_liquidator,
                    new_owner,
                )
            }
        };
        self.chain.send_ok(&[ix], &[&owner]).await;
    }

    pub async fn liquidate(&mut self, liquidator: &Keypair, repay_lamports: u64) -> TxResult {
        if self.venue == LendingVenue::Save {
            return self.liquidate_on_save(liquidator, repay_lamports).await;
        }
        use spl_token_lending::instruction as lending_ix;
        let wsol = self.chain.wsol_account(&liquidator.pubkey(), repay_lamports + SOL).await;
        let collateral_mint = self.lending().market.lst.collateral_mint;
        let ctokens = self.chain.token_account(&collateral_mint, &liquidator.pubkey()).await;
        let l = self.lending();
        let mut ixs = l.market.refresh_reserves_ixs();
        ixs.push(lending_ix::refresh_obligation(
            spl_token_lending::id(),
            l.obligation,
            vec![l.market.lst.reserve, l.market.sol.reserve],
        ));
        ixs.push(lending_ix::liquidate_obligation(
            spl_token_lending::id(),
            repay_lamports,
            wsol,
            ctokens,
            l.market.sol.reserve,
            l.market.sol.liquidity_supply,
            l.market.lst.reserve,
            l.market.lst.collateral_supply,
            l.obligation,
            l.market.market,
            liquidator.pubkey(),
        ));
        self.chain.send(&ixs, &[liquidator]).await
    }

    /// `liquidate` on Save: its liquidation redeems the collateral for the liquidator at once.
    async fn liquidate_on_save(&mut self, liquidator: &Keypair, repay_lamports: u64) -> TxResult {
        use ballast::adapters::save::instruction as save_ix;
        let wsol = self.chain.wsol_account(&liquidator.pubkey(), repay_lamports + SOL).await;
        let (collateral_mint, lst_mint) = {
            let m = &self.lending().market;
            (m.lst.collateral_mint, m.lst.liquidity_mint)
        };
        let ctokens = self.chain.token_account(&collateral_mint, &liquidator.pubkey()).await;
        let lst_out = self.chain.token_account(&lst_mint, &liquidator.pubkey()).await;
        let l = self.lending();
        let mut ixs = l.market.refresh_reserves_ixs();
        ixs.push(save_ix::refresh_obligation(l.obligation, &[l.market.lst.reserve, l.market.sol.reserve]));
        ixs.push(save_ix::liquidate_obligation_and_redeem_reserve_collateral(
            repay_lamports,
            wsol,
            ctokens,
            lst_out,
            &l.market.sol.save_keys(),
            &l.market.lst.save_keys(),
            l.market.market,
            l.obligation,
            liquidator.pubkey(),
        ));
        self.chain.send(&ixs, &[liquidator]).await
    }
}
