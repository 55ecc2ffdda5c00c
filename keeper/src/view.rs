//! One vault as the keeper sees it, from raw account bytes: the vault, its stake pool, its
//! lending position valued with the program crate's own health math at the market oracles'
//! current prices, and the accounts an `unwind` needs.
use anchor_lang::AccountDeserialize;
use anyhow::{anyhow, Context, Result};
use ballast::adapters::lending::LendingState;
use ballast::instructions::loop_exit::UnwindExit;
use ballast::math::health::{LendingHealth, ReservePrices};
use ballast::math::unwind::market_ltv_bps_ceil;
use ballast::state::{LendingBinding, PoolBinding, Vault};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use spl_stake_pool::state::{StakePool, ValidatorList};

use crate::chain::Chain;

/// The lending side of a vault.
#[derive(Clone, Debug)]
pub struct LendingView {
    pub binding: LendingBinding,
    /// The obligation and both reserves, read through the bound venue.
    pub state: LendingState,
    /// The oracles' prices now, when both are fresh enough for the lending program to refresh.
    pub prices: Option<ReservePrices>,
    /// What the lending program would record if refreshed now.
    pub health: LendingHealth,
    /// Borrowed over deposited value, in bps: what `unwind` compares with its trigger.
    pub market_ltv_bps: u64,
}

#[derive(Clone, Debug)]
pub struct VaultView {
    pub key: Pubkey,
    pub vault: Vault,
    pub stake_pool: StakePool,
    pub slot: u64,
    pub epoch: u64,
    /// The cluster's clock when the view was read.
    pub unix_timestamp: i64,
    pub lending: Option<LendingView>,
}

/// A lending market's decimal as a float, for the keeper's estimates (never for money moved).
pub fn decimal_f64(value: spl_token_lending::math::Decimal) -> f64 {
    value.to_scaled_val().map(|v| v as f64 / 1e18).unwrap_or(f64::NAN)
}

fn borsh<T: borsh::BorshDeserialize>(data: &[u8]) -> Result<T> {
    Ok(solana_sdk::borsh0_10::try_from_slice_unchecked(data)?)
}

impl VaultView {
    pub async fn load<C: Chain>(chain: &C, key: &Pubkey) -> Result<Self> {
        Self::load_with(chain, key, None).await
    }

    /// The vault's market oracles, as a hint for the next `load_with`.
    pub fn oracles(&self) -> Option<[Pubkey; 2]> {
        self.lending.as_ref().map(|l| [l.state.lst.oracle, l.state.sol.oracle])
    }

    /// The view in two `getMultipleAccounts`: the vault with the clock, then the stake pool, the
    /// obligation, both reserves and the reserves' oracles, whose keys `oracles` gives (from the
    /// last pass: the reserves name them, and a third read follows only when they changed or
    /// there is no hint).
    pub async fn load_with<C: Chain>(chain: &C, key: &Pubkey, oracles: Option<[Pubkey; 2]>) -> Result<Self> {
        let clock_key = solana_sdk::sysvar::clock::id();
        let first = chain.accounts(&[*key, clock_key]).await?;
        let [vault_account, clock_account] = <[Option<_>; 2]>::try_from(first).map_err(|_| anyhow!("two accounts"))?;
        let vault_account = vault_account.ok_or_else(|| anyhow!("account {key} not found"))?;
        let clock: solana_sdk::clock::Clock =
            bincode::deserialize(&clock_account.ok_or_else(|| anyhow!("no clock sysvar"))?.data)
                .context("decoding the clock")?;
        let vault = Vault::try_deserialize(&mut &vault_account.data[..]).context("decoding the vault")?;
        let mut keys = vec![vault.stake_pool];
        if let Some(b) = &vault.lending {
            keys.extend([b.obligation, b.lst_reserve, b.sol_reserve]);
            keys.extend(oracles.into_iter().flatten());
        }
        let second = chain.accounts(&keys).await?;
        let stake_pool_data =
            second[0].as_ref().map(|a| a.data.clone()).ok_or_else(|| anyhow!("stake pool missing"))?;
        let stake_pool: StakePool = borsh(&stake_pool_data).context("decoding the stake pool")?;
        let lending = match vault.lending {
            None => None,
            Some(binding) => Some(load_lending(chain, binding, clock.slot, &second[1..], oracles).await?),
        };
        Ok(Self {
            key: *key,
            vault,
            stake_pool,
            slot: clock.slot,
            epoch: clock.epoch,
            unix_timestamp: clock.unix_timestamp,
            lending,
        })
    }

    /// The stake pool's rate is from this epoch: vault actions that need it will work.
    pub fn stake_pool_current(&self) -> bool {
        self.stake_pool.last_update_epoch >= self.epoch
    }

    /// The market's LTV is above the vault's trigger (and the oracles allow a refresh).
    pub fn needs_unwind(&self) -> bool {
        self.lending.as_ref().is_some_and(|l| {
            l.prices.is_some() && l.market_ltv_bps > self.vault.risk_params.unwind_trigger_ltv_bps as u64
        })
    }

    /// `unwind` through `exit`, called by `caller`, every account derived from the bindings, the
    /// reserves and the stake pool.
    pub fn unwind_ix(&self, caller: &Pubkey, max_repay_lamports: u64, exit: UnwindExit) -> Result<Instruction> {
        let (target, exit_accounts) = self.loop_exit_accounts(caller, exit)?;
        Ok(ballast_client::unwind(target, exit_accounts, max_repay_lamports))
    }

    /// A flash-loan unwind's three instructions through `exit` (Save's flash borrow,
    /// `unwind_flash`, Save's flash repay from `repay_account`), the borrow at `borrow_index` in
    /// its transaction.
    pub fn unwind_flash_ixs(
        &self,
        caller: &Pubkey,
        flash_lamports: u64,
        exit: UnwindExit,
        repay_account: Pubkey,
        borrow_index: u8,
    ) -> Result<[Instruction; 3]> {
        let (target, exit_accounts) = self.loop_exit_accounts(caller, exit)?;
        let lending = self.lending.as_ref().ok_or_else(|| anyhow!("vault has no lending market"))?;
        let sol_reserve = lending.state.sol.save_keys();
        Ok(ballast_client::unwind_flash_ixs(
            target,
            exit_accounts,
            flash_lamports,
            repay_account,
            &sol_reserve,
            borrow_index,
        ))
    }

    /// `leave_loop` through `exit`, signed by `allocator`, down to `target_ltv_bps`.
    pub fn leave_loop_ix(
        &self,
        allocator: &Pubkey,
        target_ltv_bps: u16,
        max_repay_lamports: u64,
        exit: UnwindExit,
    ) -> Result<Instruction> {
        let (target, exit_accounts) = self.loop_exit_accounts(allocator, exit)?;
        Ok(ballast_client::leave_loop(target, exit_accounts, target_ltv_bps, max_repay_lamports))
    }

    fn loop_exit_accounts(
        &self,
        caller: &Pubkey,
        exit: UnwindExit,
    ) -> Result<(ballast_client::UnwindTarget, ballast_client::UnwindExitAccounts)> {
        let lending = self.lending.as_ref().ok_or_else(|| anyhow!("vault has no lending market"))?;
        let target = ballast_client::UnwindTarget {
            caller: *caller,
            vault: self.key,
            sol_reserve: self.vault.sol_reserve,
            lst_account: self.vault.lst_account,
            stake_pool: self.vault.stake_pool,
            lending: lending_core(lending),
        };
        let exit_accounts = match exit {
            UnwindExit::Pool => {
                let pool = self.vault.pool.ok_or_else(|| anyhow!("vault has no pool to sell through"))?;
                ballast_client::UnwindExitAccounts::Pool {
                    core: pool_core(&pool),
                    pool_token_account: pool.pool_token_account,
                }
            }
            UnwindExit::StakePool => ballast_client::UnwindExitAccounts::StakePool {
                stake_pool_program: self.vault.stake_pool_program,
                withdraw_authority: spl_stake_pool::find_withdraw_authority_program_address(
                    &self.vault.stake_pool_program,
                    &self.vault.stake_pool,
                )
                .0,
                reserve_stake: self.stake_pool.reserve_stake,
                manager_fee_account: self.stake_pool.manager_fee_account,
                lst_mint: self.vault.lst_mint,
                lending_wsol_account: lending.binding.wsol_account,
            },
        };
        Ok((target, exit_accounts))
    }

    /// `UpdateValidatorListBalance` batches, then `UpdateStakePoolBalance` and the clean-up:
    /// what brings the stake pool's rate to this epoch (anyone may send them).
    pub async fn crank_ixs<C: Chain>(&self, chain: &C) -> Result<(Vec<Instruction>, Vec<Instruction>)> {
        let list: ValidatorList = borsh(&chain.data(&self.stake_pool.validator_list).await?)?;
        Ok(spl_stake_pool::instruction::update_stake_pool(
            &self.vault.stake_pool_program,
            &self.stake_pool,
            &list,
            &self.vault.stake_pool,
            false,
        ))
    }
}

/// The lending view from `accounts` (the obligation, both reserves, and the oracles when
/// `hinted` named them); reads the oracles when the hint is missing or stale.
async fn load_lending<C: Chain>(
    chain: &C,
    binding: LendingBinding,
    slot: u64,
    accounts: &[Option<solana_sdk::account::Account>],
    hinted: Option<[Pubkey; 2]>,
) -> Result<LendingView> {
    let data =
        |i: usize| accounts[i].as_ref().map(|a| a.data.clone()).ok_or_else(|| anyhow!("lending account missing"));
    let state = LendingState::decode(
        binding.venue,
        &data(0)?,
        (binding.lst_reserve, &data(1)?),
        (binding.sol_reserve, &data(2)?),
    )
    .map_err(|e| anyhow!("decoding the lending accounts: {e}"))?;
    let oracles = match hinted {
        Some(hint) if hint == [state.lst.oracle, state.sol.oracle] => accounts[3..5].to_vec(),
        _ => chain.accounts(&[state.lst.oracle, state.sol.oracle]).await?,
    };
    let price = |i: usize| oracles[i].as_ref().and_then(|a| LendingState::oracle_price(binding.venue, &a.data, slot));
    let prices = match (price(0), price(1)) {
        (Some(lst), Some(sol)) => Some(ReservePrices { lst, sol }),
        _ => None,
    };
    let health = state.health_at(slot, prices).map_err(|e| anyhow!("valuing the obligation: {e}"))?;
    let market_ltv_bps =
        market_ltv_bps_ceil(health.borrowed_value, health.deposited_value).map_err(|e| anyhow!("{e}"))?;
    Ok(LendingView { binding, state, prices, health, market_ltv_bps })
}

fn lending_core(l: &LendingView) -> ballast_client::LendingCore {
    ballast_client::LendingKeys::of(&l.binding, &l.state.lst, &l.state.sol).core()
}

fn pool_core(p: &PoolBinding) -> ballast_client::PoolCore {
    let program = spl_token_swap::id();
    ballast_client::PoolCore {
        swap_program: program,
        swap: p.swap,
        swap_authority: Pubkey::find_program_address(&[p.swap.as_ref()], &program).0,
        pool_mint: p.pool_mint,
        pool_lst: p.pool_lst,
        pool_wsol: p.pool_wsol,
        pool_fee_account: p.pool_fee_account,
        wsol_account: p.wsol_account,
    }
}

/// The accounts an allocator instruction needs beyond what `VaultView` holds: the vault's Pyth
/// price updates (the vault stores feed ids, not update accounts).
pub use ballast_client::PriceUpdates;

impl VaultView {
    /// The allocator's accounts, from the view.
    fn allocator_target(&self, allocator: &Pubkey) -> Result<ballast_client::AllocatorTarget> {
        let lending = self.lending.as_ref().ok_or_else(|| anyhow!("vault has no lending market"))?;
        Ok(ballast_client::AllocatorTarget::of(
            self.key,
            &self.vault,
            *allocator,
            self.stake_pool.reserve_stake,
            self.stake_pool.manager_fee_account,
            ballast_client::LendingKeys::of(&lending.binding, &lending.state.lst, &lending.state.sol),
        ))
    }

    /// `leverage_up(borrow_lamports)` by the allocator.
    pub fn leverage_up_ix(
        &self,
        allocator: &Pubkey,
        borrow_lamports: u64,
        prices: &PriceUpdates,
    ) -> Result<Instruction> {
        Ok(ballast_client::leverage_up(&self.allocator_target(allocator)?, prices, borrow_lamports))
    }

    /// `deleverage(repay_lamports)` by the allocator: repays debt from the SOL reserve.
    pub fn deleverage_ix(&self, allocator: &Pubkey, repay_lamports: u64) -> Result<Instruction> {
        Ok(ballast_client::deleverage(&self.allocator_target(allocator)?, repay_lamports))
    }

    /// Seconds since the vault last booked its gains and fees (its last harvest).
    pub fn secs_since_harvest(&self) -> i64 {
        self.unix_timestamp.saturating_sub(self.vault.accounting.last_fee_accrual_unix)
    }

    /// The LST's discount to its stake-pool rate as the lending market prices it now
    /// (1 − market LST/SOL ÷ rate), when the market's oracles are fresh.
    pub fn discount(&self) -> Option<f64> {
        let prices = self.lending.as_ref()?.prices?;
        let pool = &self.stake_pool;
        if pool.pool_token_supply == 0 {
            return None;
        }
        let rate = pool.total_lamports as f64 / pool.pool_token_supply as f64;
        Some(1.0 - decimal_f64(prices.lst) / decimal_f64(prices.sol) / rate)
    }

    /// The loop's carry, per year: the LST's staking yield over the last epoch, the SOL
    /// reserve's borrow rate now, and the discount's widening (from the keeper's
    /// [`crate::trend::DiscountTrend`]).
    pub fn carry(&self, slots_per_epoch: u64, discount_widening_apr: f64) -> Option<Carry> {
        let lending = self.lending.as_ref()?;
        let pool = &self.stake_pool;
        let now = pool.total_lamports as f64 / pool.pool_token_supply.max(1) as f64;
        let last = pool.last_epoch_total_lamports as f64 / pool.last_epoch_pool_token_supply.max(1) as f64;
        let epochs_per_year = crate::trend::SLOTS_PER_YEAR / slots_per_epoch.max(1) as f64;
        let staking = if pool.last_epoch_pool_token_supply == 0 { 0.0 } else { (now / last - 1.0) * epochs_per_year };
        let borrow = lending.state.sol_borrow_rate().ok()?.to_scaled_val() as f64 / 1e18;
        Some(Carry { staking_apr: staking, borrow_apr: borrow, discount_widening_apr })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Carry {
    pub staking_apr: f64,
    pub borrow_apr: f64,
    /// How fast the market's discount on the LST widens, per year, relative to its price.
    pub discount_widening_apr: f64,
}

impl Carry {
    /// Each SOL of debt earns less than it costs: the staking yield, less the discount's
    /// widening, is below the borrow rate (see [`crate::trend`]).
    pub fn negative(&self) -> bool {
        self.borrow_apr + self.discount_widening_apr > self.staking_apr
    }
}
