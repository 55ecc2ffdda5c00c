//! The vault's LST/SOL pool: a real spl-token-swap stable pool seeded at the stake-pool rate,
//! bound to the vault, the client's pool instructions, and a trader who moves the price.
use ballast::adapters::token_swap::PoolReserves;
use ballast::constants::seeds;
use ballast::instructions::loop_exit::UnwindExit;
use ballast::math::valuation::{PoolPosition, StakePoolRate};
use ballast::state::RiskParams;
use solana_program::instruction::Instruction;
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

use crate::chain::TxResult;
use crate::swap::SwapPoolFixture;
use crate::vault::{vault_pda, VaultClient, SOL};

/// What the LST is marked down to (against SOL) to put a 50% loop past an 85% borrow limit,
/// just below a 90% liquidation line.
pub const PAST_THE_BORROW_LIMIT_MARK: f64 = 0.5587;

/// The bound pool and the vault's own accounts for it.
pub struct PoolSetup {
    pub pool: SwapPoolFixture,
    pub pool_token_account: Pubkey,
    pub wsol_account: Pubkey,
    /// The liquidity provider who seeded the pool, its pool tokens and the accounts its
    /// withdrawals are paid to.
    pub provider: Keypair,
    pub provider_pool_tokens: Pubkey,
    pub provider_lst: Pubkey,
    pub provider_wsol: Pubkey,
}

/// A trader with LST and wSOL accounts who can push the pool either way.
pub struct Trader {
    pub keypair: Keypair,
    pub lst: Pubkey,
    pub wsol: Pubkey,
}

/// Amplification of the harness pool: the stable curve of LST/SOL pools.
pub const POOL_AMP: u64 = 100;

impl VaultClient {
    /// `start_looped` (LTV 50%, SOL borrowed at 0-4%) with a pool of 100 SOL a side.
    pub async fn start_looped_in_pool() -> Self {
        Self::start_looped_in_pool_on(crate::Chain::start().await).await
    }

    pub async fn start_looped_in_pool_on(chain: crate::Chain) -> Self {
        let mut env = Self::start_looped_on(chain, crate::vault::default_params(), 0, 4).await;
        env.bind_pool(100 * SOL).await;
        env
    }

    /// A looped vault (50% LTV, 16 LST against 8 SOL) with a reserve floor of 3% of its assets
    /// and nothing above it; then the LST is marked down so the market's LTV (89.5%) is past the
    /// borrow limit (85%), just below the liquidation line (90%), and further than the floor can
    /// repay back under the limit (`blocked_unwind_floor_bps` asks 4.79%).
    pub async fn start_past_the_borrow_limit() -> Self {
        Self::start_past_the_borrow_limit_with_floor(300).await
    }

    /// The same with a reserve floor of `min_sol_reserve_bps`, the reserve staked down to it.
    pub async fn start_past_the_borrow_limit_with_floor(min_sol_reserve_bps: u16) -> Self {
        let params = RiskParams { min_sol_reserve_bps, ..crate::vault::default_params() };
        let mut env = Self::start_looped(params, 0, 4).await;
        let vault = env.vault().await;
        env.stake(vault.accounting.spare_reserve_lamports(min_sol_reserve_bps).unwrap()).await.unwrap();
        env.mark_lst_down(PAST_THE_BORROW_LIMIT_MARK).await;
        env
    }

    /// The market marks the LST down by `factor` against SOL (both oracles, as a depeg would).
    pub async fn mark_lst_down(&mut self, factor: f64) {
        let (sol, lst) = (self.lending().market.sol.usd_price, self.lending().market.lst.usd_price);
        self.set_prices(sol, lst * factor).await;
    }

    /// The prices the lending market's oracles show now.
    pub fn oracle_prices(&self) -> ballast::math::health::ReservePrices {
        let m = &self.lending().market;
        ballast::math::health::ReservePrices {
            lst: crate::oracle::legacy_decimal(m.lst.usd_price),
            sol: crate::oracle::legacy_decimal(m.sol.usd_price),
        }
    }

    /// A stable LST/SOL pool (not bound) seeded by a fresh provider with the LST that
    /// `lst_lamports` buy from the stake pool, and as many lamports as LST.
    pub async fn unbound_pool(&mut self, lst_lamports: u64) -> SwapPoolFixture {
        let provider = self.chain.funded_keypair(lst_lamports * 3).await;
        let provider_lst = self.lst_for(&provider, lst_lamports).await;
        let lst_amount = self.chain.token_balance(&provider_lst).await;
        let lst_mint = self.pool.pool_mint;
        SwapPoolFixture::create(&mut self.chain, &provider, &provider_lst, lst_mint, lst_amount, lst_amount, POOL_AMP)
            .await
            .0
    }

    /// A stable pool seeded with `lst_lamports` worth of LST and as many lamports, at the
    /// stake-pool rate, bound to the vault.
    pub async fn bind_pool(&mut self, lst_lamports: u64) {
        let provider = self.chain.funded_keypair(lst_lamports * 2 + 10 * SOL).await;
        let provider_lst = self.lst_for(&provider, lst_lamports).await;
        let lst_amount = self.chain.token_balance(&provider_lst).await;
        let lamports = self.rate().await.lst_to_lamports_floor(lst_amount).unwrap();
        let lst_mint = self.pool.pool_mint;
        let (pool, provider_pool_tokens) = SwapPoolFixture::create(
            &mut self.chain,
            &provider,
            &provider_lst,
            lst_mint,
            lst_amount,
            lamports,
            POOL_AMP,
        )
        .await;
        let admin = self.v.admin.insecure_clone();
        let propose = ballast_client::propose_pool(self.v.vault, admin.pubkey(), pool.swap);
        self.chain.send_ok(&[propose], &[&admin]).await;
        self.pass_timelock().await;
        let ix = self.bind_pool_ix(&admin.pubkey(), &pool.swap, &pool.pool_mint);
        self.chain.send_ok(&[ix], &[&admin]).await;
        let provider_wsol = self.chain.wsol_account(&provider.pubkey(), 0).await;
        self.swap = Some(PoolSetup {
            pool,
            pool_token_account: vault_pda(seeds::POOL_TOKEN_ACCOUNT, &self.v.vault),
            wsol_account: vault_pda(seeds::POOL_WSOL_ACCOUNT, &self.v.vault),
            provider,
            provider_pool_tokens,
            provider_lst,
            provider_wsol,
        });
    }

    pub fn bind_pool_ix(&self, admin: &Pubkey, swap: &Pubkey, pool_mint: &Pubkey) -> Instruction {
        ballast_client::bind_pool(self.v.vault, *admin, self.chain.ctx.payer.pubkey(), *swap, *pool_mint)
    }

    pub fn pool_setup(&self) -> &PoolSetup {
        self.swap.as_ref().expect("pool bound")
    }

    pub fn pool_core(&self) -> ballast_client::PoolCore {
        self.vault_keys().pool.expect("pool bound").core()
    }

    pub fn pool_add_ix(&self, allocator: &Pubkey, pool_tokens: u64) -> Instruction {
        let l = self.lending();
        let prices = ballast_client::PriceUpdates { sol_usd: l.sol_usd_update, lst_usd: l.lst_usd_update };
        ballast_client::pool_add(&self.vault_keys(), &prices, *allocator, pool_tokens).expect("pool bound")
    }

    pub fn pool_remove_ix(&self, allocator: &Pubkey, pool_tokens: u64) -> Instruction {
        ballast_client::pool_remove(&self.vault_keys(), *allocator, pool_tokens).expect("pool bound")
    }

    /// The stake pool's rate now.
    pub async fn rate(&mut self) -> StakePoolRate {
        let pool = self.pool.state(&mut self.chain).await;
        StakePoolRate { total_lamports: pool.total_lamports, pool_token_supply: pool.pool_token_supply }
    }

    /// (LST, SOL, pool-token supply) of the bound pool.
    pub async fn pool_reserves(&mut self) -> (u64, u64, u64) {
        let (mint, lst, wsol) = {
            let p = self.pool_setup();
            (p.pool.pool_mint, p.pool.token_lst, p.pool.token_wsol)
        };
        let supply = self.chain.mint_supply(&mint).await;
        (self.chain.token_balance(&lst).await, self.chain.token_balance(&wsol).await, supply)
    }

    /// Pool tokens whose SOL side is about `lamports`.
    pub async fn pool_tokens_for(&mut self, lamports: u64) -> u64 {
        let (_, sol, supply) = self.pool_reserves().await;
        (lamports as u128 * supply as u128 / sol as u128) as u64
    }

    /// The vault's position in the pool, valued as the program values it (at the pool's fair
    /// point for the stake-pool rate).
    pub async fn pool_position(&mut self) -> PoolPosition {
        let vault = self.vault().await;
        let Some(amp) = vault.pool.map(|p| p.amp) else {
            return PoolPosition::default();
        };
        let pool_tokens = vault.accounting.pool_tokens;
        let (lst_amount, lamports, pool_token_supply) = self.pool_reserves().await;
        let rate = self.rate().await;
        PoolReserves { lst_amount, lamports, pool_token_supply }.position(pool_tokens, amp, &rate).unwrap()
    }

    /// The seeding provider withdraws `pool_tokens` of its liquidity (both sides, in the pool's
    /// proportions), as liquidity leaves a pool in a crisis.
    pub async fn withdraw_provider_liquidity(&mut self, pool_tokens: u64) -> TxResult {
        let p = self.pool_setup();
        let ix = spl_token_swap::instruction::withdraw_all_token_types(
            &spl_token_swap::id(),
            &spl_token::id(),
            &p.pool.swap,
            &p.pool.authority,
            &p.provider.pubkey(),
            &p.pool.pool_mint,
            &p.pool.fee_account,
            &p.provider_pool_tokens,
            &p.pool.token_lst,
            &p.pool.token_wsol,
            &p.provider_lst,
            &p.provider_wsol,
            spl_token_swap::instruction::WithdrawAllTokenTypes {
                pool_token_amount: pool_tokens,
                minimum_token_a_amount: 0,
                minimum_token_b_amount: 0,
            },
        )
        .expect("withdraw instruction");
        let provider = p.provider.insecure_clone();
        self.chain.send(&[ix], &[&provider]).await
    }

    /// A trader holding LST bought with `lst_lamports` and `wsol_lamports` of wSOL.
    pub async fn trader(&mut self, lst_lamports: u64, wsol_lamports: u64) -> Trader {
        let keypair = self.chain.funded_keypair(lst_lamports + wsol_lamports + SOL).await;
        let lst = self.lst_for(&keypair, lst_lamports).await;
        let wsol = self.chain.wsol_account(&keypair.pubkey(), wsol_lamports).await;
        Trader { keypair, lst, wsol }
    }

    /// The trader sells `amount_in` LST (`sell_lst`) or wSOL into the pool.
    pub fn trade_ix(&self, trader: &Trader, sell_lst: bool, amount_in: u64) -> Instruction {
        let (source, destination) = if sell_lst { (trader.lst, trader.wsol) } else { (trader.wsol, trader.lst) };
        self.pool_setup().pool.swap_ix(&trader.keypair.pubkey(), &source, &destination, sell_lst, amount_in, 0)
    }

    pub async fn trade(&mut self, trader: &Trader, sell_lst: bool, amount_in: u64) -> TxResult {
        let ix = self.trade_ix(trader, sell_lst, amount_in);
        self.chain.send(&[ix], &[&trader.keypair]).await
    }
}

impl VaultClient {
    /// Assets backing the shares now, exactly as a withdrawal prices them.
    pub async fn free_assets(&mut self) -> u64 {
        let (live, _) = self.valuation().await;
        let vault = self.vault().await;
        let now = self.chain.clock().await.unix_timestamp;
        vault.accounting.free_assets_lamports(live, now).unwrap()
    }

    /// (free assets, share supply): compare two with `price_not_lower`.
    pub async fn share_price(&mut self) -> (u128, u128) {
        (self.free_assets().await as u128, self.share_supply().await as u128)
    }
}

/// `after` is at least `before`, both (assets, shares) pairs.
pub fn price_not_lower(before: (u128, u128), after: (u128, u128)) -> bool {
    after.0 * before.1 >= before.0 * after.1
}

impl VaultClient {
    /// `unwind`, called by `caller`, selling through the bound pool.
    pub fn unwind_ix(&self, caller: &Pubkey, max_repay_lamports: u64) -> Instruction {
        self.unwind_ix_via(caller, max_repay_lamports, UnwindExit::Pool)
    }

    /// `unwind`, called by `caller`, through `exit`.
    pub fn unwind_ix_via(&self, caller: &Pubkey, max_repay_lamports: u64, exit: UnwindExit) -> Instruction {
        let (target, exit_accounts) = self.loop_exit_accounts(caller, exit);
        ballast_client::unwind(target, exit_accounts, max_repay_lamports)
    }

    /// A flash-loan unwind's three instructions (Save's flash borrow, `unwind_flash`, Save's
    /// flash repay from `repay_account`, a wSOL account of `caller`), the borrow at
    /// `borrow_index` in its transaction.
    pub fn unwind_flash_ixs(
        &self,
        caller: &Pubkey,
        flash_lamports: u64,
        exit: UnwindExit,
        repay_account: Pubkey,
        borrow_index: u8,
    ) -> [Instruction; 3] {
        let (target, exit_accounts) = self.loop_exit_accounts(caller, exit);
        let sol_reserve = self.lending().market.sol.save_keys();
        ballast_client::unwind_flash_ixs(
            target,
            exit_accounts,
            flash_lamports,
            repay_account,
            &sol_reserve,
            borrow_index,
        )
    }

    /// `leave_loop`, signed by `allocator`, down to `target_ltv_bps` through `exit`.
    pub fn leave_loop_ix(
        &self,
        allocator: &Pubkey,
        target_ltv_bps: u16,
        max_repay_lamports: u64,
        exit: UnwindExit,
    ) -> Instruction {
        let (target, exit_accounts) = self.loop_exit_accounts(allocator, exit);
        ballast_client::leave_loop(target, exit_accounts, target_ltv_bps, max_repay_lamports)
    }

    fn loop_exit_accounts(
        &self,
        caller: &Pubkey,
        exit: UnwindExit,
    ) -> (ballast_client::UnwindTarget, ballast_client::UnwindExitAccounts) {
        let target = ballast_client::UnwindTarget {
            caller: *caller,
            vault: self.v.vault,
            sol_reserve: self.v.sol_reserve,
            lst_account: self.v.lst_account,
            stake_pool: self.pool.stake_pool,
            lending: self.lending_core(),
        };
        let exit_accounts = match exit {
            UnwindExit::Pool => ballast_client::UnwindExitAccounts::Pool {
                core: self.pool_core(),
                pool_token_account: self.pool_setup().pool_token_account,
            },
            UnwindExit::StakePool => ballast_client::UnwindExitAccounts::StakePool {
                stake_pool_program: self.pool.program,
                withdraw_authority: self.pool.withdraw_authority,
                reserve_stake: self.pool.reserve_stake,
                manager_fee_account: self.pool.manager_fee_account,
                lst_mint: self.pool.pool_mint,
                lending_wsol_account: self.lending().wsol_account,
            },
        };
        (target, exit_accounts)
    }

    /// The lending market's own LTV now, its reserves refreshed at the oracles' prices (what
    /// `unwind` compares with its trigger), in bps.
    pub async fn market_ltv_bps(&mut self) -> u64 {
        let refresh = self.lending().market.refresh_reserves_ixs();
        self.chain.send_ok(&refresh, &[]).await;
        let h = self.lending_health(None).await;
        ballast::math::unwind::market_ltv_bps_ceil(h.borrowed_value, h.deposited_value).unwrap()
    }
}
