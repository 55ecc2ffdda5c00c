//! One pass over one vault: crank the stake pool after an epoch boundary, and when the lending
//! market's LTV is above the vault's trigger, simulate and send `unwind` with a priority fee,
//! retrying with backoff. A pass is idempotent: it reloads everything and acts on what it
//! finds, so a restart, or another keeper that was first, leads to no double action.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Result;
use ballast::errors::VaultError;
use ballast::instructions::loop_exit::UnwindExit;
use ballast::state::LendingVenue;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};

use crate::chain::Chain;
use crate::trend::{DiscountTrend, TrendConfig};
use crate::view::{decimal_f64, PriceUpdates, VaultView};

#[derive(Clone, Debug)]
pub struct KeeperConfig {
    /// The least priority fee, micro-lamports per compute unit.
    pub priority_fee_micro_lamports: u64,
    /// The fee paid: this percentile of the recent fees paid by transactions that wrote the
    /// accounts this one writes (`getRecentPrioritizationFees`), within the floor above and
    /// the cap below.
    pub priority_fee_percentile: u8,
    pub priority_fee_cap_micro_lamports: u64,
    /// The compute-unit limit simulations run with; the transaction sent asks for what its
    /// simulation used plus `compute_unit_margin_pct`, at most this.
    pub compute_unit_limit: u32,
    pub compute_unit_margin_pct: u32,
    /// The most an unwind may repay (`u64::MAX`: whatever the target needs).
    pub max_repay_lamports: u64,
    pub send_attempts: u32,
    pub backoff: Duration,
    /// When set, and the keeper's key is a vault's allocator, it also keeps the loop in its
    /// band: leverage up to the band's middle when carry is positive and the LTV is below the
    /// band; when carry turns negative (the borrow rate above the staking yield, or the LST's
    /// discount widening faster than the difference), repay debt from idle reserve SOL, and
    /// leave the loop (`leave_loop` to no debt, converting collateral within the unwind's
    /// bound) when the reserve cannot.
    pub allocator: Option<PriceUpdates>,
    /// What counts as a widening discount.
    pub discount_trend: TrendConfig,
    /// The cluster's epoch length, for the staking yield per year.
    pub slots_per_epoch: u64,
    /// Harvest (book gains, losses and fees; permissionless) once this many seconds have passed
    /// since the vault's last harvest; `None`: not on a schedule.
    pub harvest_interval_secs: Option<u64>,
    /// Harvest in the pass after an unwind or leaving the loop lands, so the rest of what moved
    /// (interest, the pool) is booked at once too.
    pub harvest_after_unwind: bool,
    /// The address lookup table a transaction too large for a legacy one is compiled against
    /// (`ballast-keeper lookup-table` makes one).
    pub lookup_table: Option<Pubkey>,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        Self {
            priority_fee_micro_lamports: 10_000,
            priority_fee_percentile: 75,
            priority_fee_cap_micro_lamports: 200_000,
            compute_unit_limit: 1_400_000,
            compute_unit_margin_pct: 20,
            max_repay_lamports: u64::MAX,
            send_attempts: 4,
            backoff: Duration::from_millis(200),
            allocator: None,
            discount_trend: TrendConfig::default(),
            slots_per_epoch: 432_000,
            lookup_table: None,
            harvest_interval_secs: Some(6 * 3_600),
            harvest_after_unwind: true,
        }
    }
}

/// What a pass did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing to do; the market's LTV (bps) when the vault has a lending position.
    Healthy { market_ltv_bps: Option<u64> },
    /// The market's oracles are too old for the lending program to refresh: no unwind can land.
    OraclesStale,
    /// The stake pool was brought to this epoch (before anything else).
    Cranked,
    /// Unwound: the LTV before, and the transaction.
    Unwound { market_ltv_bps: u64, signature: Signature },
    /// Unwound past the market's borrow limit with a flash loan of `flash_lamports` (Save).
    FlashUnwound { market_ltv_bps: u64, flash_lamports: u64, signature: Signature },
    /// Someone else unwound between our read and our simulation.
    AlreadyUnwound,
    /// The unwind would fail (the simulation's error): nothing was sent.
    UnwindRefused { error: String, custom_error: Option<u32> },
    /// As allocator: borrowed and looped to bring the LTV back into the band.
    Leveraged { borrow_lamports: u64 },
    /// As allocator: repaid debt from idle reserve SOL because the loop's carry turned negative.
    Deleveraged { repay_lamports: u64 },
    /// As allocator: left the loop (repaid its debt from converted collateral) because its carry
    /// turned negative; the LTV before.
    LeftLoop { market_ltv_bps: u64, signature: Signature },
    /// As allocator: the step would fail (the simulation's error): nothing was sent.
    AllocatorRefused { error: String },
    /// Harvested, on the schedule or after an unwind.
    Harvested { reason: HarvestReason, signature: Signature },
    /// The harvest would fail (the simulation's error): nothing was sent.
    HarvestRefused { error: String },
}

/// Why the keeper harvested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HarvestReason {
    /// `harvest_interval_secs` passed since the vault's last harvest.
    Schedule,
    /// An unwind or leaving the loop landed in this pass.
    AfterUnwind,
}

impl HarvestReason {
    pub fn label(self) -> &'static str {
        match self {
            HarvestReason::Schedule => "schedule",
            HarvestReason::AfterUnwind => "after_unwind",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |bps: u64| bps as f64 / 100.0;
        let sol = |lamports: u64| lamports as f64 / 1e9;
        match self {
            Action::Healthy { market_ltv_bps: Some(ltv) } => write!(f, "healthy at LTV {:.2}%", pct(*ltv)),
            Action::Healthy { market_ltv_bps: None } => write!(f, "healthy, no loan"),
            Action::OraclesStale => write!(f, "market oracles too old to refresh; no unwind can land"),
            Action::Cranked => write!(f, "stake pool updated to this epoch"),
            Action::Unwound { market_ltv_bps, signature } => {
                write!(f, "unwound from LTV {:.2}% ({signature})", pct(*market_ltv_bps))
            }
            Action::FlashUnwound { market_ltv_bps, flash_lamports, signature } => write!(
                f,
                "unwound from LTV {:.2}% with a flash loan of {:.4} SOL ({signature})",
                pct(*market_ltv_bps),
                sol(*flash_lamports)
            ),
            Action::AlreadyUnwound => write!(f, "another keeper unwound first"),
            Action::UnwindRefused { error, .. } => write!(f, "unwind would fail, not sent: {error}"),
            Action::Leveraged { borrow_lamports } => write!(f, "levered up: borrowed {:.4} SOL", sol(*borrow_lamports)),
            Action::Deleveraged { repay_lamports } => write!(f, "delevered: repaid {:.4} SOL", sol(*repay_lamports)),
            Action::LeftLoop { market_ltv_bps, signature } => {
                write!(f, "left the loop from LTV {:.2}% ({signature})", pct(*market_ltv_bps))
            }
            Action::AllocatorRefused { error } => write!(f, "allocator step would fail, not sent: {error}"),
            Action::Harvested { reason, signature } => write!(f, "harvested ({}) ({signature})", reason.label()),
            Action::HarvestRefused { error } => write!(f, "harvest would fail, not sent: {error}"),
        }
    }
}

/// Allocator steps smaller than this are not worth a transaction.
const MIN_ALLOCATOR_STEP_LAMPORTS: u64 = 10_000_000;

impl Action {
    /// The action's kind, as metrics label it.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Healthy { .. } => "healthy",
            Action::OraclesStale => "oracles_stale",
            Action::Cranked => "cranked",
            Action::Unwound { .. } => "unwound",
            Action::FlashUnwound { .. } => "flash_unwound",
            Action::AlreadyUnwound => "already_unwound",
            Action::UnwindRefused { .. } => "unwind_refused",
            Action::Leveraged { .. } => "leveraged",
            Action::Deleveraged { .. } => "deleveraged",
            Action::LeftLoop { .. } => "left_loop",
            Action::AllocatorRefused { .. } => "allocator_refused",
            Action::Harvested { .. } => "harvested",
            Action::HarvestRefused { .. } => "harvest_refused",
        }
    }
}

/// The fee of one signature.
const BASE_FEE_LAMPORTS: u64 = 5_000;

/// What simulating an exit found.
/// The compute units a transaction asks for.
#[derive(Clone, Copy, Debug)]
enum Units {
    /// What its simulation used plus the margin: a transaction that can wait for the next pass.
    Simulated(Option<u64>),
    /// The whole limit, for a transaction that lowers the risk (an unwind, repaying, leaving the
    /// loop). Its work grows with the position: when the market moves between its simulation
    /// and the slot it lands in, it repays more and sells more collateral, in more
    /// instructions. Running out of units there costs a liquidation; the units asked for
    /// beyond what it uses cost only their priority fee.
    Whole,
}

enum ExitSimulation {
    /// This transaction lands.
    Lands(Vec<solana_sdk::instruction::Instruction>),
    /// The position is already at or below the target (someone else acted first).
    NotNeeded,
    /// Every exit fails; the last error.
    Refused { error: String, custom_error: Option<u32> },
}

pub struct Keeper<C: Chain> {
    pub chain: C,
    pub keypair: Keypair,
    pub config: KeeperConfig,
    /// Each vault's LST discount over the trend's window, from this keeper's own passes (a
    /// restarted keeper waits half a window before it sees a trend again).
    trends: Mutex<HashMap<Pubkey, DiscountTrend>>,
    /// Fees of every transaction this keeper sent that landed, lamports.
    pub fees_paid_lamports: std::sync::atomic::AtomicU64,
    /// Each vault's market oracles from its last pass, so a pass reads in two requests.
    oracles: Mutex<HashMap<Pubkey, [Pubkey; 2]>>,
    /// The lookup table, read the first time a transaction needs it.
    table: tokio::sync::OnceCell<solana_sdk::address_lookup_table::AddressLookupTableAccount>,
}

impl<C: Chain> Keeper<C> {
    pub fn new(chain: C, keypair: Keypair, config: KeeperConfig) -> Self {
        Self {
            chain,
            keypair,
            config,
            trends: Mutex::default(),
            fees_paid_lamports: Default::default(),
            oracles: Mutex::default(),
            table: tokio::sync::OnceCell::new(),
        }
    }

    /// The tables a transaction may look its accounts up in: the configured one, if any.
    async fn tables(&self) -> Result<Vec<solana_sdk::address_lookup_table::AddressLookupTableAccount>> {
        let Some(key) = self.config.lookup_table else { return Ok(Vec::new()) };
        let table = self.table.get_or_try_init(|| crate::lookup_table::load(&self.chain, &key)).await?;
        Ok(vec![table.clone()])
    }

    /// Simulates `ixs` as they would be sent.
    async fn simulate(&self, ixs: &[solana_sdk::instruction::Instruction]) -> Result<crate::chain::Simulation> {
        self.chain.simulate_with(ixs, &self.keypair, &self.tables().await?).await
    }

    /// Records the vault's discount now; returns its widening per year (0 without a trend).
    fn discount_widening_apr(&self, view: &VaultView) -> f64 {
        let mut trends = self.trends.lock().expect("no pass panics while holding the trends");
        let trend = trends.entry(view.key).or_default();
        if let Some(discount) = view.discount() {
            trend.observe(&self.config.discount_trend, view.slot, discount);
        }
        trend.widening_per_year(&self.config.discount_trend)
    }

    /// One pass over `vault`. Returns every action taken, in order. A pass that finds nothing to
    /// do reads the chain twice (`VaultView::load_with`).
    pub async fn tick(&self, vault: &Pubkey) -> Result<Vec<Action>> {
        let (mut actions, view) = self.act(vault).await?;
        if let Some(reason) = self.harvest_due(vault, &actions, &view).await? {
            actions.push(self.harvest(vault, reason).await?);
        }
        Ok(actions)
    }

    /// The vault as it is now, read with the oracle keys of its last pass.
    async fn view(&self, vault: &Pubkey) -> Result<VaultView> {
        let hint = self.oracles.lock().expect("no pass panics while holding the oracles").get(vault).copied();
        let view = VaultView::load_with(&self.chain, vault, hint).await?;
        if let Some(oracles) = view.oracles() {
            self.oracles.lock().expect("no pass panics while holding the oracles").insert(*vault, oracles);
        }
        Ok(view)
    }

    /// The pass's risk work: crank, unwind, or the allocator's step. Returns the actions and the
    /// view read first.
    async fn act(&self, vault: &Pubkey) -> Result<(Vec<Action>, VaultView)> {
        let mut actions = Vec::new();
        let mut view = self.view(vault).await?;
        if !view.stake_pool_current() {
            let (list_ixs, final_ixs) = view.crank_ixs(&self.chain).await?;
            for ix in list_ixs {
                self.send_with_retries(&[ix]).await?;
                self.fees_paid_lamports.fetch_add(BASE_FEE_LAMPORTS, std::sync::atomic::Ordering::Relaxed);
            }
            self.send_with_retries(&final_ixs).await?;
            self.fees_paid_lamports.fetch_add(BASE_FEE_LAMPORTS, std::sync::atomic::Ordering::Relaxed);
            actions.push(Action::Cranked);
            view = self.view(vault).await?;
        }
        let Some(lending) = &view.lending else {
            actions.push(Action::Healthy { market_ltv_bps: None });
            return Ok((actions, view));
        };
        if lending.prices.is_none() {
            actions.push(Action::OraclesStale);
            return Ok((actions, view));
        }
        if !view.needs_unwind() {
            actions.push(Action::Healthy { market_ltv_bps: Some(lending.market_ltv_bps) });
            if let Some(action) = self.allocate(&view).await? {
                actions.push(action);
            }
            return Ok((actions, view));
        }
        // An unwind is urgent: the pool first (it holds SOL now, in any amount), the stake
        // pool's own withdrawal when the pool cannot pay the rate less the unwind's bound.
        let caller = self.keypair.pubkey();
        let order = [UnwindExit::Pool, UnwindExit::StakePool];
        let landed = self
            .first_exit_that_lands(&view, order, |exit| view.unwind_ix(&caller, self.config.max_repay_lamports, exit))
            .await?;
        match landed {
            ExitSimulation::Lands(ixs) => {
                let signature = self.send_simulated(ixs, Units::Whole).await?;
                actions.push(Action::Unwound { market_ltv_bps: lending.market_ltv_bps, signature });
            }
            ExitSimulation::NotNeeded => actions.push(Action::AlreadyUnwound),
            ExitSimulation::Refused { error, custom_error } => {
                // Past the borrow limit no collateral may leave first: on Save, a flash loan
                // repays first and the collateral sold pays it back.
                let blocked = custom_error == Some(VaultError::UnwindBlockedByBorrowLimit.into());
                let flashed = if blocked && lending.binding.venue == LendingVenue::Save {
                    self.flash_unwind(&view).await?
                } else {
                    None
                };
                match flashed {
                    Some((flash_lamports, signature)) => actions.push(Action::FlashUnwound {
                        market_ltv_bps: lending.market_ltv_bps,
                        flash_lamports,
                        signature,
                    }),
                    None => actions.push(Action::UnwindRefused { error, custom_error }),
                }
            }
        }
        Ok((actions, view))
    }

    /// A flash-loan unwind (Save): the loan into the exit's wSOL account, `unwind_flash`, the
    /// repayment from this keeper's wSOL account (created if missing), which the vault fills with
    /// the loan and its fee. Tries a quarter, a half and three quarters of the debt through each
    /// exit and sends the first that simulates; `None` if none would land.
    async fn flash_unwind(&self, view: &VaultView) -> Result<Option<(u64, Signature)>> {
        let Some(lending) = &view.lending else { return Ok(None) };
        let caller = self.keypair.pubkey();
        let (repay_account, create) = ballast_client::wsol_account_of(caller);
        let debt = lending.health.debt_lamports;
        for flash_lamports in [debt / 4, debt / 2, debt / 4 * 3] {
            for exit in [UnwindExit::StakePool, UnwindExit::Pool] {
                if flash_lamports == 0 || (exit == UnwindExit::Pool && view.vault.pool.is_none()) {
                    continue;
                }
                let mut ixs = self.compute_budget().to_vec();
                ixs.push(create.clone());
                let borrow_index = ixs.len() as u8;
                ixs.extend(view.unwind_flash_ixs(&caller, flash_lamports, exit, repay_account, borrow_index)?);
                let simulation = self.simulate(&ixs).await?;
                if simulation.error.is_none() {
                    let signature = self.send_simulated(ixs, Units::Whole).await?;
                    return Ok(Some((flash_lamports, signature)));
                }
                tracing::warn!(vault = %view.key, ?exit, flash_lamports, error = ?simulation.error, "flash unwind would fail");
            }
        }
        Ok(None)
    }

    /// Whether this pass should harvest: after an unwind or leaving the loop landed, or when the
    /// schedule says so. Reads the vault again (the pass's actions changed it).
    async fn harvest_due(&self, vault: &Pubkey, actions: &[Action], read: &VaultView) -> Result<Option<HarvestReason>> {
        let exited = actions
            .iter()
            .any(|a| matches!(a, Action::Unwound { .. } | Action::FlashUnwound { .. } | Action::LeftLoop { .. }));
        if exited && self.config.harvest_after_unwind {
            return Ok(Some(HarvestReason::AfterUnwind));
        }
        let Some(interval) = self.config.harvest_interval_secs else { return Ok(None) };
        // The pass's own read still holds when it changed nothing.
        let unchanged = actions.iter().all(|a| matches!(a, Action::Healthy { .. } | Action::OraclesStale));
        let fresh;
        let view = if unchanged {
            read
        } else {
            fresh = self.view(vault).await?;
            &fresh
        };
        let due = view.secs_since_harvest() >= interval as i64 && view.stake_pool_current();
        Ok(due.then_some(HarvestReason::Schedule))
    }

    async fn harvest(&self, vault: &Pubkey, reason: HarvestReason) -> Result<Action> {
        let view = self.view(vault).await?;
        let mut ixs = self.compute_budget().to_vec();
        ixs.extend(ballast_client::harvest_to_fee_recipient(
            &ballast_client::VaultKeys::of(view.key, &view.vault),
            self.keypair.pubkey(),
        ));
        let simulation = self.simulate(&ixs).await?;
        if let Some(error) = simulation.error {
            tracing::warn!(%vault, %error, "harvest would fail");
            return Ok(Action::HarvestRefused { error });
        }
        let signature = self.send_simulated(ixs, Units::Simulated(simulation.units_consumed)).await?;
        Ok(Action::Harvested { reason, signature })
    }

    /// Simulates the exit instruction `build` makes through each of `order` the vault has (no
    /// pool exit without a pool). The first that lands is returned with its compute-budget
    /// instructions.
    async fn first_exit_that_lands(
        &self,
        view: &VaultView,
        order: [UnwindExit; 2],
        build: impl Fn(UnwindExit) -> Result<solana_sdk::instruction::Instruction>,
    ) -> Result<ExitSimulation> {
        let exits: Vec<UnwindExit> =
            order.into_iter().filter(|exit| *exit != UnwindExit::Pool || view.vault.pool.is_some()).collect();
        let not_needed =
            [ballast::errors::VaultError::UnwindNotNeeded, ballast::errors::VaultError::LeaveLoopNotNeeded]
                .map(u32::from);
        let mut refused = None;
        for exit in &exits {
            let mut ixs = self.compute_budget().to_vec();
            ixs.push(build(*exit)?);
            let simulation = self.simulate(&ixs).await?;
            if simulation.custom_error.is_some_and(|code| not_needed.contains(&code)) {
                return Ok(ExitSimulation::NotNeeded);
            }
            match simulation.error {
                None => return Ok(ExitSimulation::Lands(ixs)),
                Some(error) => {
                    tracing::warn!(vault = %view.key, ?exit, %error, logs = %simulation.logs.join("\n"), "exit would fail");
                    refused = Some(ExitSimulation::Refused { error, custom_error: simulation.custom_error });
                }
            }
        }
        Ok(refused.expect("one exit at least"))
    }

    /// The allocator's step, when this keeper is the vault's allocator and one is due.
    async fn allocate(&self, view: &VaultView) -> Result<Option<Action>> {
        let (Some(prices), Some(lending)) = (&self.config.allocator, &view.lending) else { return Ok(None) };
        if view.vault.allocator != self.keypair.pubkey() || view.vault.paused {
            return Ok(None);
        }
        let widening = self.discount_widening_apr(view);
        let Some(carry) = view.carry(self.config.slots_per_epoch, widening) else { return Ok(None) };
        let params = view.vault.risk_params;
        let (ix, action) = if carry.negative() {
            tracing::info!(vault = %view.key, ?carry, "the loop's carry is negative");
            let spare = view
                .vault
                .accounting
                .spare_reserve_lamports(params.min_sol_reserve_bps)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let repay = spare.min(lending.health.debt_lamports);
            if repay >= MIN_ALLOCATOR_STEP_LAMPORTS || repay == lending.health.debt_lamports {
                if repay == 0 {
                    return Ok(None);
                }
                (view.deleverage_ix(&self.keypair.pubkey(), repay)?, Action::Deleveraged { repay_lamports: repay })
            } else {
                // The reserve cannot repay it: the collateral must. Not urgent, so the stake
                // pool first (its rate, less its own withdrawal fee, with no curve to cross),
                // the pool within the unwind's bound when the stake pool's reserve cannot pay.
                let allocator = self.keypair.pubkey();
                let order = [UnwindExit::StakePool, UnwindExit::Pool];
                let landed = self
                    .first_exit_that_lands(view, order, |exit| view.leave_loop_ix(&allocator, 0, u64::MAX, exit))
                    .await?;
                return Ok(match landed {
                    ExitSimulation::Lands(ixs) => {
                        let signature = self.send_simulated(ixs, Units::Whole).await?;
                        Some(Action::LeftLoop { market_ltv_bps: lending.market_ltv_bps, signature })
                    }
                    ExitSimulation::NotNeeded => None,
                    ExitSimulation::Refused { error, .. } => Some(Action::AllocatorRefused { error }),
                });
            }
        } else {
            let Some(market) = lending.prices else { return Ok(None) };
            if lending.market_ltv_bps >= params.target_ltv_low_bps as u64 {
                return Ok(None);
            }
            // Borrow b and loop it: (D + b) / (C + b) = the band's middle.
            let middle = (params.target_ltv_low_bps as f64 + params.target_ltv_high_bps as f64) / 2.0 / 10_000.0;
            let collateral_sol =
                lending.health.collateral_lst as f64 * decimal_f64(market.lst) / decimal_f64(market.sol);
            let debt = lending.health.debt_lamports as f64;
            let to_middle = ((middle * collateral_sol - debt) / (1.0 - middle)).max(0.0);
            // One step borrows at most what the market lends against the collateral it holds now
            // (the loop's LST is supplied after the borrow), less 2% for its fee and interest:
            // the band's middle may take several passes.
            let h = &lending.health;
            let room_value = decimal_f64(h.allowed_borrow_value) - decimal_f64(h.borrowed_value_upper_bound);
            let room = (room_value / decimal_f64(market.sol) * 1e9 * 0.98).max(0.0);
            let borrow = to_middle.min(room) as u64;
            if borrow < MIN_ALLOCATOR_STEP_LAMPORTS {
                return Ok(None);
            }
            (
                view.leverage_up_ix(&self.keypair.pubkey(), borrow, prices)?,
                Action::Leveraged { borrow_lamports: borrow },
            )
        };
        let [limit, price] = self.compute_budget();
        let ixs = vec![limit, price, ix];
        let simulation = self.simulate(&ixs).await?;
        if let Some(error) = simulation.error {
            tracing::warn!(vault = %view.key, %error, "allocator step would fail");
            return Ok(Some(Action::AllocatorRefused { error }));
        }
        // Repaying lowers the risk: it gets the whole budget, as an unwind does.
        let budget = match action {
            Action::Leveraged { .. } => Units::Simulated(simulation.units_consumed),
            _ => Units::Whole,
        };
        self.send_simulated(ixs, budget).await?;
        Ok(Some(action))
    }

    /// The compute-unit limit and price every transaction of the keeper names: a vault
    /// instruction on Save runs several of Save's metered instructions, more than the default
    /// 200,000 units.
    fn compute_budget(&self) -> [solana_sdk::instruction::Instruction; 2] {
        [
            ComputeBudgetInstruction::set_compute_unit_limit(self.config.compute_unit_limit),
            ComputeBudgetInstruction::set_compute_unit_price(self.config.priority_fee_micro_lamports),
        ]
    }

    /// Sends `ixs`, simulated with the compute-budget pair `compute_budget` wrote first, with
    /// that pair set for the send: the units `budget` asks for, and the priority fee the recent
    /// fees on the accounts it writes call for.
    async fn send_simulated(
        &self,
        mut ixs: Vec<solana_sdk::instruction::Instruction>,
        budget: Units,
    ) -> Result<Signature> {
        let c = &self.config;
        let limit = match budget {
            Units::Simulated(Some(units)) => (units.saturating_mul(100 + c.compute_unit_margin_pct as u64) / 100)
                .min(c.compute_unit_limit as u64) as u32,
            Units::Simulated(None) | Units::Whole => c.compute_unit_limit,
        };
        let mut writable = vec![self.keypair.pubkey()];
        for meta in ixs.iter().skip(2).flat_map(|ix| &ix.accounts) {
            if meta.is_writable && !writable.contains(&meta.pubkey) {
                writable.push(meta.pubkey);
            }
        }
        let recent = match self.chain.recent_prioritization_fees(&writable).await {
            Ok(fees) => fees,
            Err(error) => {
                tracing::warn!(%error, "no recent priority fees: paying the floor");
                Vec::new()
            }
        };
        let fee = priority_fee(
            &recent,
            c.priority_fee_percentile,
            c.priority_fee_micro_lamports,
            c.priority_fee_cap_micro_lamports,
        );
        ixs[0] = ComputeBudgetInstruction::set_compute_unit_limit(limit);
        ixs[1] = ComputeBudgetInstruction::set_compute_unit_price(fee);
        let signature = self.send_with_retries(&ixs).await?;
        // The base fee of its one signature and the priority fee on the units asked for.
        let priority = (limit as u128 * fee as u128).div_ceil(1_000_000) as u64;
        self.fees_paid_lamports.fetch_add(BASE_FEE_LAMPORTS + priority, std::sync::atomic::Ordering::Relaxed);
        Ok(signature)
    }

    async fn send_with_retries(&self, ixs: &[solana_sdk::instruction::Instruction]) -> Result<Signature> {
        let tables = self.tables().await?;
        crate::chain::send_landed(
            &self.chain,
            ixs,
            &self.keypair,
            &tables,
            self.config.send_attempts,
            self.config.backoff,
        )
        .await
    }
}

/// The `percentile` (0-100) of `recent` fees, nearest rank, within `floor` and `cap`; the floor
/// when there are none.
pub fn priority_fee(recent: &[u64], percentile: u8, floor: u64, cap: u64) -> u64 {
    if recent.is_empty() {
        return floor.min(cap);
    }
    let mut sorted = recent.to_vec();
    sorted.sort_unstable();
    let rank = (percentile.min(100) as usize * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1].clamp(floor.min(cap), cap)
}

#[cfg(test)]
mod fee_tests {
    use super::priority_fee;

    #[test]
    fn the_fee_is_a_percentile_of_recent_fees_within_floor_and_cap() {
        let recent = [0, 0, 0, 100, 200, 300, 400, 500, 10_000, 50_000];
        assert_eq!(priority_fee(&recent, 75, 0, u64::MAX), 500);
        assert_eq!(priority_fee(&recent, 50, 0, u64::MAX), 200);
        assert_eq!(priority_fee(&recent, 100, 0, u64::MAX), 50_000);
        assert_eq!(priority_fee(&recent, 75, 1_000, u64::MAX), 1_000, "the floor");
        assert_eq!(priority_fee(&recent, 100, 0, 20_000), 20_000, "the cap");
        assert_eq!(priority_fee(&[], 75, 1_000, 20_000), 1_000, "no market: the floor");
        assert_eq!(priority_fee(&[7], 1, 0, 100), 7);
    }
}
