//! The embedded chain the app runs by default: a program-test bank with Ballast and the real
//! stake pool, lending market and LST/SOL pool, a vault seeded with depositors, looped inside its
//! band and holding pool liquidity, a demo wallet that signs what the Actions endpoints build,
//! the keeper passing over the vault, and a market a person can move.
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::Duration;

use anyhow::{anyhow, Result};
use ballast_keeper::chain::{Chain, EmbeddedChain, Sent};
use ballast_keeper::keeper::{Action, Keeper, KeeperConfig};
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use serde::{Deserialize, Serialize};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;
use tokio::sync::Mutex;

use crate::error::{ApiError, ApiResult};
use crate::history::{Recording, SharedHistory};

/// What the dashboard shows of the keeper.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KeeperStatus {
    pub running: bool,
    pub keeper: String,
    pub passes: u64,
    pub last_pass_slot: u64,
    pub last_actions: Vec<String>,
    pub last_error: Option<String>,
    pub unwinds: u32,
    /// The last unwind: the market LTV it started from, in bps, and its transaction.
    pub last_unwind: Option<String>,
}

/// A scenario replay's progress.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReplayStatus {
    pub scenario: Option<String>,
    pub running: bool,
    pub step: u64,
    pub steps: u64,
    pub minute: f64,
    pub sol_usd: f64,
    /// The market's LST/SOL against the stake-pool rate.
    pub lst_sol: f64,
    pub error: Option<String>,
}

/// The market histories of `sim/scenarios`, replayable from the market panel.
pub const SCENARIOS: [(&str, &str); 4] = [
    ("msol-flash-depeg-2023-12", include_str!("../../sim/scenarios/msol-flash-depeg-2023-12.toml")),
    ("steth-slow-discount-2022", include_str!("../../sim/scenarios/steth-slow-discount-2022.toml")),
    ("sol-crash-lagging-lst-feed-2022-11", include_str!("../../sim/scenarios/sol-crash-lagging-lst-feed-2022-11.toml")),
    ("negative-carry", include_str!("../../sim/scenarios/negative-carry.toml")),
];

/// The starting market, kept so "restore" can return to it.
struct Market {
    sol_usd: f64,
}

pub struct World {
    pub env: VaultClient,
    market: Market,
}

pub struct Embedded {
    /// Held by everything that changes the chain (market moves, demo sends, keeper passes), so
    /// a keeper pass never sees a market half moved.
    pub world: Mutex<World>,
    pub chain: Recording<EmbeddedChain>,
    pub keeper: Keeper<Recording<EmbeddedChain>>,
    pub status: SyncMutex<KeeperStatus>,
    pub replay: SyncMutex<ReplayStatus>,
    pub vault: Pubkey,
    pub demo: Keypair,
    /// The bank's genesis hash: its chain id for Solana Actions.
    pub genesis_hash: solana_sdk::hash::Hash,
}

/// A move of the embedded market, from the page's market panel.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "move", rename_all = "snake_case", deny_unknown_fields)]
pub enum MarketMove {
    /// The lending market's oracles (and the vault's feeds) mark the LST by `pct` percent
    /// against SOL.
    Lst { pct: f64 },
    /// SOL/USD moves by `pct` percent, the LST with it.
    Sol { pct: f64 },
    /// Back to the starting prices (the LST at the stake-pool rate).
    Restore,
    /// An epoch passes, standing for a day: staking rewards of about 7% a year, the stake pool
    /// is updated and the vault harvests.
    Epoch,
    /// `hours` pass: interest accrues, feeds are republished.
    Hours { hours: f64 },
    /// Replays one of `SCENARIOS` in the background (prices and the pool follow its path, the
    /// keeper passes after every step); progress in `Embedded::replay`.
    Scenario { name: String },
}

/// SOL the demo wallet starts with.
pub const DEMO_WALLET_LAMPORTS: u64 = 100 * SOL;

impl Embedded {
    /// Seeds the chain and the vault. Takes a few seconds (three reward epochs).
    pub async fn start(history: SharedHistory) -> Result<Arc<Self>> {
        let params = default_params();
        let mut env = VaultClient::start(params).await;
        for lamports in [40 * SOL, 25 * SOL, 15 * SOL] {
            let (user, shares) = env.depositor(lamports + SOL).await;
            env.deposit(&user, &shares, lamports, 0).await.map_err(|e| anyhow!("seed deposit: {e}"))?;
        }
        // 80% staked and supplied (the lending cap), looped to the middle of the band.
        env.stake(64 * SOL).await.map_err(|e| anyhow!("stake: {e}"))?;
        env.bind_lending(0, 4).await;
        let allocator = env.v.allocator.pubkey();
        let lst = env.vault().await.accounting.lst_amount;
        env.as_allocator(env.lend_supply_ix(&allocator, lst)).await.map_err(|e| anyhow!("lend_supply: {e}"))?;
        let middle = (params.target_ltv_low_bps as f64 + params.target_ltv_high_bps as f64) / 20_000.0;
        env.loop_to_ltv(middle, ballast_localnet::lending::lst_reserve_config().loan_to_value_ratio).await;
        // Pool liquidity: 2 SOL staked, about 1.5 SOL a side added.
        env.bind_pool(200 * SOL).await;
        env.stake(2 * SOL).await.map_err(|e| anyhow!("stake: {e}"))?;
        let pool_tokens = env.pool_tokens_for(3 * SOL / 2).await;
        env.as_allocator(env.pool_add_ix(&allocator, pool_tokens)).await.map_err(|e| anyhow!("pool_add: {e}"))?;
        // The roles pay their own fees.
        env.chain.airdrop(&allocator, SOL).await;
        let admin = env.v.admin.pubkey();
        env.chain.airdrop(&admin, SOL).await;

        let vault = env.v.vault;
        let genesis_hash = env.chain.ctx.genesis_config().hash();
        let banks = EmbeddedChain::new(env.chain.ctx.banks_client.clone());
        let chain = Recording { inner: banks, vault, history };
        let keeper_key = env.chain.funded_keypair(10 * SOL).await;
        // A lookup table of the vault's accounts, for the keeper's larger transactions (the
        // flash unwind), as an operator makes one; usable from the next slot.
        let table = ballast_keeper::lookup_table::create_for_vault(&chain.inner, &keeper_key, &vault, None).await?;
        env.chain.warp_slots(1).await;
        let config =
            KeeperConfig { backoff: Duration::from_millis(50), lookup_table: Some(table), ..KeeperConfig::default() };
        let keeper = Keeper::new(chain.clone(), keeper_key, config);
        let demo = env.chain.funded_keypair(DEMO_WALLET_LAMPORTS).await;
        let sol_usd = env.lending().market.sol.usd_price;
        let status = KeeperStatus { keeper: keeper.keypair.pubkey().to_string(), ..KeeperStatus::default() };
        let embedded = Arc::new(Self {
            world: Mutex::new(World { env, market: Market { sol_usd } }),
            chain,
            keeper,
            status: SyncMutex::new(status),
            replay: SyncMutex::new(ReplayStatus::default()),
            vault,
            demo,
            genesis_hash,
        });
        // A week of history: three epochs with rewards, each harvested.
        for _ in 0..3 {
            embedded.market(MarketMove::Epoch).await.map_err(|e| anyhow!(e.message))?;
        }
        Ok(embedded)
    }

    /// Signs `tx` with the demo wallet and sends it as `send_checked` does.
    pub async fn demo_send(&self, mut tx: Transaction) -> ApiResult<Sent> {
        let blockhash = tx.message.recent_blockhash;
        tx.try_sign(&[&self.demo], blockhash).map_err(|e| ApiError::bad_request(format!("signing: {e}")))?;
        self.send_checked(tx).await
    }

    /// Simulates a signed `tx` (a failure is named and nothing is sent), then sends it, the
    /// market held still between the two.
    pub async fn send_checked(&self, tx: Transaction) -> ApiResult<Sent> {
        let _world = self.world.lock().await;
        crate::actions::send_checked(&self.chain, tx.into()).await
    }

    /// The embedded bank makes no slots of its own, and a transaction built twice from the same
    /// inputs on the same blockhash would be the same transaction (refused as already
    /// processed): before building one, the chain moves on a slot, as a cluster would have.
    pub async fn next_slot(&self) {
        self.world.lock().await.env.warp_slots(1).await;
    }

    /// One keeper pass, recorded in the status.
    pub async fn keeper_pass(&self) {
        let _world = self.world.lock().await;
        let result = self.keeper.tick(&self.vault).await;
        let clock = self.chain.clock().await.ok();
        let mut status = self.status.lock().expect("status lock");
        status.running = true;
        status.passes += 1;
        status.last_pass_slot = clock.as_ref().map(|c| c.slot).unwrap_or_default();
        match result {
            Ok(actions) => {
                status.last_error = None;
                for action in &actions {
                    if let Action::Unwound { market_ltv_bps, signature } = action {
                        status.unwinds += 1;
                        status.last_unwind =
                            Some(format!("unwound at LTV {:.2}% ({signature})", *market_ltv_bps as f64 / 100.0));
                    }
                    if let (Action::Healthy { market_ltv_bps: Some(ltv) }, Some(clock)) = (action, &clock) {
                        self.chain.history.lock().expect("history lock").note_ltv(
                            clock.slot,
                            clock.unix_timestamp,
                            *ltv,
                        );
                    }
                }
                status.last_actions = actions.iter().map(ToString::to_string).collect();
            }
            Err(error) => status.last_error = Some(format!("{error:#}")),
        }
    }

    /// Passes every `every` until the process ends.
    pub fn spawn_keeper(self: &Arc<Self>, every: Duration) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                this.keeper_pass().await;
            }
        });
    }

    /// Moves the market; returns what happened, in words.
    pub async fn market(self: &Arc<Self>, movement: MarketMove) -> ApiResult<String> {
        let mut world = self.world.lock().await;
        let World { env, market } = &mut *world;
        let percent = |pct: f64| {
            if pct.is_finite() && pct > -90.0 && pct <= 100.0 && pct != 0.0 {
                Ok(1.0 + pct / 100.0)
            } else {
                Err(ApiError::bad_request(format!(
                    "a price move must be between -90% and +100% and not zero, not {pct}"
                )))
            }
        };
        let text = match movement {
            MarketMove::Lst { pct } => {
                env.mark_lst_down(percent(pct)?).await;
                format!("lending oracles mark the LST {pct:+}% against SOL")
            }
            MarketMove::Sol { pct } => {
                let factor = percent(pct)?;
                let (sol, lst) = (env.lending().market.sol.usd_price, env.lending().market.lst.usd_price);
                env.set_prices(sol * factor, lst * factor).await;
                format!("SOL/USD {pct:+}%")
            }
            MarketMove::Restore => {
                let rate = env.pool_rate().await;
                env.set_prices(market.sol_usd, market.sol_usd * rate).await;
                "prices restored: SOL at the start, the LST at the stake-pool rate".to_string()
            }
            MarketMove::Epoch => {
                let pool = env.pool.state(&mut env.chain).await;
                let (sol, lst) = (env.lending().market.sol.usd_price, env.lending().market.lst.usd_price);
                let lst_sol = lst / sol / env.pool_rate().await;
                // The bank's epochs are short; each stands for a day of staking rewards at about 7% a
                // year, and the clock moves a day with it.
                let before = env.chain.clock().await.unix_timestamp;
                env.chain.next_epoch().await;
                let elapsed = env.chain.clock().await.unix_timestamp - before;
                env.chain.advance_secs((86_400 - elapsed).max(0)).await;
                let reward = (pool.total_lamports as u128 * 7 / 100 / 365) as u64;
                env.pool.add_rewards(&mut env.chain, reward).await;
                env.pool.update(&mut env.chain).await;
                // The LST's price follows its rate; feeds are republished at the new time.
                let rate = env.pool_rate().await;
                env.set_prices(sol, sol * rate * lst_sol).await;
                let allocator = env.v.allocator.insecure_clone();
                let harvest = env.harvest_ix(&allocator.pubkey());
                self.chain.send(&[harvest], &allocator).await?;
                format!(
                    "an epoch passed (a day); the stake pool earned {} SOL; the vault harvested",
                    crate::amount::format_sol(reward)
                )
            }
            MarketMove::Hours { hours } => {
                if !(hours.is_finite() && hours > 0.0 && hours <= 240.0) {
                    return Err(ApiError::bad_request(format!("hours must be between 0 and 240, not {hours}")));
                }
                let slots = (hours * 3_600.0 / 0.4) as u64;
                env.warp_slots(slots).await;
                format!("{hours} hours passed ({slots} slots)")
            }
            // Runs in the background once this move releases the world.
            MarketMove::Scenario { name } => return self.start_replay(&name),
        };
        let clock = self.chain.clock().await?;
        self.chain.history.lock().expect("history lock").note_market(clock.slot, clock.unix_timestamp, &text);
        Ok(text)
    }
}

/// The scenario's step, coarsened to at most `MAX_REPLAY_STEPS` steps: every step is a new bank.
fn replay_step_slots(scenario: &ballast_sim::scenario::Scenario) -> u64 {
    scenario.step_slots.max(scenario.duration_slots() / MAX_REPLAY_STEPS).max(1)
}

const MAX_REPLAY_STEPS: u64 = 300;

impl Embedded {
    fn start_replay(self: &Arc<Self>, name: &str) -> ApiResult<String> {
        let text = SCENARIOS.iter().find(|(n, _)| *n == name).map(|(_, text)| *text).ok_or_else(|| {
            let names: Vec<&str> = SCENARIOS.iter().map(|(n, _)| *n).collect();
            ApiError::bad_request(format!("no scenario '{name}': one of {}", names.join(", ")))
        })?;
        let scenario = ballast_sim::scenario::Scenario::parse(text)?;
        {
            let mut replay = self.replay.lock().expect("replay lock");
            if replay.running {
                return Err(ApiError::unprocessable("a replay is running"));
            }
            *replay = ReplayStatus {
                scenario: Some(scenario.name.clone()),
                running: true,
                steps: scenario.duration_slots() / replay_step_slots(&scenario) + 1,
                ..ReplayStatus::default()
            };
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let error = this.replay(&scenario).await.err().map(|e| format!("{e:#}"));
            let mut replay = this.replay.lock().expect("replay lock");
            replay.running = false;
            replay.error = error;
        });
        Ok(format!("replaying {name}"))
    }

    /// Each step: the market to the path's point, a keeper pass, then the step's slots.
    async fn replay(&self, scenario: &ballast_sim::scenario::Scenario) -> Result<()> {
        let mut driver = {
            let mut world = self.world.lock().await;
            ballast_sim::replay::Driver::new(&mut world.env, scenario.clone(), None).await
        };
        let end = scenario.duration_slots();
        let step_slots = replay_step_slots(scenario);
        while driver.elapsed <= end {
            let elapsed = driver.elapsed;
            let (sol_usd, lst_sol) = driver.apply(&mut self.world.lock().await.env).await?;
            self.keeper_pass().await;
            driver.advance(&mut self.world.lock().await.env, step_slots).await?;
            {
                let mut replay = self.replay.lock().expect("replay lock");
                replay.step += 1;
                replay.minute = scenario.minute(elapsed);
                replay.sol_usd = sol_usd;
                replay.lst_sol = lst_sol;
            }
        }
        let clock = self.chain.clock().await?;
        let text = format!("replayed {}: {} steps", scenario.name, end / step_slots + 1);
        self.chain.history.lock().expect("history lock").note_market(clock.slot, clock.unix_timestamp, &text);
        Ok(())
    }
}
