//! A scenario file (TOML): what the market, the feeds, the stake pool, the depositors, the keeper
//! and the liquidator do along a path, and the vault's parameters for it. Every field is
//! described, with an example, in `sim/scenarios/README.md`.
//!
//! Version 1 files (one `[[points]]` path of SOL/USD and LST/SOL, and `lst_feed_lag_slots`) still
//! load: their path drives every quantity that version 2 lets a file move on its own.
use anyhow::{bail, Context, Result};
use ballast::state::RiskParams;
use ballast_localnet::vault::default_params;
use serde::{Deserialize, Serialize};

/// A scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub source: String,
    /// Slots between two replay steps.
    pub step_slots: u64,
    /// Milliseconds per slot (Solana's target is 400).
    #[serde(default = "default_slot_ms")]
    pub slot_ms: u64,
    /// The stake pool's staking yield, percent a year, paid at every epoch boundary (and once
    /// before the path, so the yield shows from its start). Default 7, a typical SOL LST's.
    #[serde(default = "default_staking_apr_pct")]
    pub staking_apr_pct: f64,
    /// Seeds the liquidator's coin when it races the keeper.
    #[serde(default)]
    pub seed: u64,
    pub vault: VaultOverrides,
    /// The lending market's LST and SOL reserves (the harness's defaults when absent).
    #[serde(default)]
    pub market: MarketOverrides,
    /// The vault's deposits and the pool's depth at the start.
    #[serde(default)]
    pub size: Size,
    /// Version 1: one path of SOL/USD and LST/SOL that moves everything together.
    #[serde(default)]
    pub points: Vec<Point>,
    /// Version 1: the LST/USD feeds (the market's and the vault's) show the price of this many
    /// slots ago.
    #[serde(default)]
    pub lst_feed_lag_slots: u64,
    #[serde(default)]
    pub paths: Paths,
    #[serde(default)]
    pub feeds: Feeds,
    #[serde(default)]
    pub stake_pool: StakePool,
    #[serde(default)]
    pub keeper: KeeperActor,
    #[serde(default)]
    pub liquidator: Liquidator,
    /// Deposits and withdrawal waves along the path.
    #[serde(default)]
    pub flows: Vec<Flow>,
}

fn default_slot_ms() -> u64 {
    400
}

fn default_staking_apr_pct() -> f64 {
    7.0
}

/// The risk parameters the scenario runs with (the rest are the defaults of the harness).
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VaultOverrides {
    pub target_ltv_high_bps: u16,
    pub unwind_trigger_ltv_bps: u16,
    pub unwind_target_ltv_bps: u16,
    pub max_slippage_bps: u16,
    /// The SOL reserve's floor, bps of assets (the harness's default when left out).
    pub min_sol_reserve_bps: Option<u16>,
    /// The unwind's own bound on what it sells, bps (the harness's default when left out).
    pub unwind_slippage_bps: Option<u16>,
}

/// The lending market the scenario runs against.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketOverrides {
    /// The LST reserve's borrow limit and liquidation threshold, in percent.
    pub ltv_pct: u8,
    pub liquidation_threshold_pct: u8,
    /// The SOL reserve's borrow-rate curve, in percent a year.
    pub sol_min_borrow_rate_pct: u8,
    pub sol_optimal_borrow_rate_pct: u8,
}

impl Default for MarketOverrides {
    fn default() -> Self {
        let lst = ballast_localnet::lending::lst_reserve_config();
        let sol = ballast_localnet::lending::sol_reserve_config(0, 4);
        Self {
            ltv_pct: lst.loan_to_value_ratio,
            liquidation_threshold_pct: lst.liquidation_threshold,
            sol_min_borrow_rate_pct: sol.min_borrow_rate,
            sol_optimal_borrow_rate_pct: sol.optimal_borrow_rate,
        }
    }
}

/// The vault against the pool it exits through.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Size {
    /// SOL deposited into the vault before the path (80% of it is staked and looped).
    pub vault_sol: u64,
    /// SOL on each side of the LST/SOL pool at the start.
    pub pool_sol: u64,
}

impl Default for Size {
    fn default() -> Self {
        Self { vault_sol: 10, pool_sol: 200 }
    }
}

/// A version 1 point.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub minute: f64,
    /// SOL/USD relative to the start.
    pub sol: f64,
    /// Market LST/SOL relative to the stake-pool rate (1.0: at the rate).
    pub lst_sol: f64,
}

/// A piecewise-linear path: `[[minute, value], ...]`, minutes not decreasing. Two points at the
/// same minute are a jump inside one slot. Before its first point a path holds its first value,
/// after its last its last.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(try_from = "Vec<(f64, f64)>", into = "Vec<(f64, f64)>")]
pub struct Path(Vec<(f64, f64)>);

impl TryFrom<Vec<(f64, f64)>> for Path {
    type Error = String;

    fn try_from(points: Vec<(f64, f64)>) -> Result<Self, String> {
        if points.is_empty() {
            return Err("a path needs at least one [minute, value] point".into());
        }
        if let Some(w) = points.windows(2).find(|w| w[1].0 < w[0].0) {
            return Err(format!("minutes must not decrease (minute {} after {})", w[1].0, w[0].0));
        }
        if let Some(p) = points.iter().find(|p| !p.0.is_finite() || !p.1.is_finite() || p.0 < 0.0) {
            return Err(format!("[{}, {}]: minutes and values must be finite, minutes not negative", p.0, p.1));
        }
        Ok(Self(points))
    }
}

impl From<Path> for Vec<(f64, f64)> {
    fn from(path: Path) -> Self {
        path.0
    }
}

impl From<Window> for (f64, f64) {
    fn from(w: Window) -> Self {
        (w.from_minute, w.to_minute)
    }
}

impl Path {
    pub fn constant(value: f64) -> Self {
        Self(vec![(0.0, value)])
    }

    pub fn points(&self) -> &[(f64, f64)] {
        &self.0
    }

    /// The value at `minute`; at a jump's minute, the value after it.
    pub fn at(&self, minute: f64) -> f64 {
        let p = &self.0;
        let after = p.iter().position(|q| q.0 > minute).unwrap_or(p.len());
        if after == 0 {
            return p[0].1;
        }
        if after == p.len() {
            return p[p.len() - 1].1;
        }
        let (a, b) = (p[after - 1], p[after]);
        a.1 + (b.1 - a.1) * (minute - a.0) / (b.0 - a.0)
    }

    pub fn last_minute(&self) -> f64 {
        self.0.last().map(|p| p.0).unwrap_or(0.0)
    }

    fn min(&self) -> f64 {
        self.0.iter().map(|p| p.1).fold(f64::INFINITY, f64::min)
    }

    fn max(&self) -> f64 {
        self.0.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max)
    }

    /// The path with everything after `minute` dropped (its value there kept as the last point).
    fn until(&self, minute: f64) -> Self {
        let mut points: Vec<_> = self.0.iter().copied().filter(|p| p.0 < minute).collect();
        points.push((minute, self.at(minute)));
        Self(points)
    }
}

/// Independent paths (version 2). A path left out follows the version 1 `points`, or stays at 1.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    /// SOL/USD, relative to the start.
    pub sol_usd: Option<Path>,
    /// The lending market's LST price, as LST/SOL relative to the stake-pool rate.
    pub lst_sol: Option<Path>,
    /// The pool's price, LST/SOL relative to the stake-pool rate (an independent seller pushes
    /// it there). Follows `lst_sol` when left out.
    pub pool_lst_sol: Option<Path>,
    /// The share of the pool's starting liquidity still in it (1.0: all of it). Liquidity only
    /// leaves: the path may not rise.
    pub pool_depth: Option<Path>,
    /// The share of the lending market's SOL liquidity available at the start that is still
    /// available (another borrower takes the rest): the reserve's utilization rises, and its
    /// borrow rate with it, along the reserve's curve. Only falls; 0 is all of it borrowed.
    pub sol_available: Option<Path>,
    /// The same for the LST reserve: collateral cannot be redeemed beyond what is left.
    pub lst_available: Option<Path>,
}

/// One price feed: the lending market's (legacy price accounts, read by `RefreshReserve`) or the
/// vault's (Pyth receiver updates, read by the risk-adding instructions).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Feed {
    /// The feed shows its price of this many slots ago.
    #[serde(default)]
    pub lag_slots: u64,
    /// `[[from_minute, to_minute], ...]`: nothing is published, the account keeps its last
    /// price and publish time (the lending program then refuses to refresh the reserve; the
    /// vault refuses the feed as stale).
    #[serde(default)]
    pub outages: Vec<Window>,
    /// The confidence interval, bps of the price. Left out: 0 on the market's accounts, the
    /// harness's default on the vault's. spl-token-lending reads none; Save refuses a price whose
    /// interval is too wide, the vault one wider than `max_conf_bps`.
    pub confidence_bps: Option<Path>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Feeds {
    #[serde(default)]
    pub lending_sol_usd: Feed,
    #[serde(default)]
    pub lending_lst_usd: Feed,
    #[serde(default)]
    pub vault_sol_usd: Feed,
    #[serde(default)]
    pub vault_lst_usd: Feed,
}

/// `[from_minute, to_minute]`, from before to.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(try_from = "(f64, f64)", into = "(f64, f64)")]
pub struct Window {
    pub from_minute: f64,
    pub to_minute: f64,
}

impl TryFrom<(f64, f64)> for Window {
    type Error = String;

    fn try_from((from_minute, to_minute): (f64, f64)) -> Result<Self, String> {
        if !(from_minute >= 0.0 && to_minute > from_minute) {
            return Err(format!("window [{from_minute}, {to_minute}]: the start must be before the end"));
        }
        Ok(Self { from_minute, to_minute })
    }
}

fn inside(windows: &[Window], minute: f64) -> bool {
    windows.iter().any(|w| w.from_minute <= minute && minute < w.to_minute)
}

/// The stake pool: slashing steps, and how late after an epoch boundary it is updated.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StakePool {
    /// Someone other than the keeper updates the pool this many slots after each epoch
    /// boundary (the keeper, when it runs, updates it at its first pass).
    #[serde(default)]
    pub update_delay_slots: u64,
    #[serde(default)]
    pub slashes: Vec<Slash>,
}

/// At `minute` the pool's stake loses `pct` percent; the rate falls at its next update.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Slash {
    pub minute: f64,
    pub pct: f64,
}

/// The keeper, when the scenario runs with it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeeperActor {
    /// Slots between the market's move and the keeper's transaction landing; less than
    /// `step_slots`.
    #[serde(default)]
    pub latency_slots: u64,
    /// `[[from_minute, to_minute], ...]` in which the keeper does nothing.
    #[serde(default)]
    pub outages: Vec<Window>,
}

/// Who moves first in a slot where both the keeper and a liquidator can act.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiquidatorPolicy {
    /// The liquidator acts first in the slot (a searcher watching the oracle update).
    #[default]
    First,
    /// A coin, seeded by `seed`, decides each step.
    Race,
    /// The keeper acts first (the most the keeper can hope for).
    Last,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Liquidator {
    #[serde(default)]
    pub policy: LiquidatorPolicy,
}

/// A deposit by a new depositor (`deposit_sol`), or the first depositor withdrawing
/// `withdraw_pct` percent of its shares, at `minute`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub minute: f64,
    pub deposit_sol: Option<f64>,
    pub withdraw_pct: Option<f64>,
}

/// The world at one minute of the path, before the feeds' lags and outages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Market {
    /// SOL/USD relative to the start.
    pub sol_usd: f64,
    /// The lending market's LST/SOL, relative to the stake-pool rate.
    pub lst_sol: f64,
    pub pool_lst_sol: f64,
    pub pool_depth: f64,
    /// Shares of the reserves' starting liquidity still available; `None` where the file sets
    /// no path (nobody else borrows).
    pub sol_available: Option<f64>,
    pub lst_available: Option<f64>,
}

impl Scenario {
    /// The scenario as a file that loads back to it.
    pub fn to_toml(&self) -> Result<String> {
        Ok(toml::to_string(self)?)
    }

    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and checks a scenario. Errors name the line and the field.
    pub fn parse(text: &str) -> Result<Self> {
        let scenario: Self = toml::from_str(text)?;
        scenario.check().map_err(|(field, message)| match line_of(text, field) {
            Some(line) => anyhow::anyhow!("line {line}, `{field}`: {message}"),
            None => anyhow::anyhow!("`{field}`: {message}"),
        })?;
        Ok(scenario)
    }

    /// The checks that span fields: (the field, what is wrong).
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.step_slots == 0 {
            return Err(("step_slots", "must be at least 1".into()));
        }
        if self.keeper.latency_slots >= self.step_slots {
            return Err((
                "latency_slots",
                format!("{} is not less than step_slots ({})", self.keeper.latency_slots, self.step_slots),
            ));
        }
        if !self.points.is_empty() && (self.paths.sol_usd.is_some() || self.paths.lst_sol.is_some()) {
            return Err(("points", "a file gives SOL/USD and LST/SOL either as points or as paths, not both".into()));
        }
        if self.points.windows(2).any(|w| w[1].minute < w[0].minute) {
            return Err(("minute", "the points' minutes must not decrease".into()));
        }
        if let Some(depth) = &self.paths.pool_depth {
            if depth.points().windows(2).any(|w| w[1].1 > w[0].1) || depth.max() > 1.0 || depth.min() <= 0.0 {
                return Err(("pool_depth", "liquidity only leaves: values in (0, 1], not rising".into()));
            }
        }
        for (field, path) in
            [("sol_available", &self.paths.sol_available), ("lst_available", &self.paths.lst_available)]
        {
            if path
                .as_ref()
                .is_some_and(|p| p.points().windows(2).any(|w| w[1].1 > w[0].1) || p.max() > 1.0 || p.min() < 0.0)
            {
                return Err((field, "liquidity is only borrowed out: values in [0, 1], not rising".into()));
            }
        }
        for (field, path) in [
            ("sol_usd", &self.paths.sol_usd),
            ("lst_sol", &self.paths.lst_sol),
            ("pool_lst_sol", &self.paths.pool_lst_sol),
        ] {
            if path.as_ref().is_some_and(|p| p.min() <= 0.0) {
                return Err((field, "prices must stay above 0".into()));
            }
        }
        if let Some(s) = self.stake_pool.slashes.iter().find(|s| !(s.pct > 0.0 && s.pct < 100.0)) {
            return Err(("pct", format!("a slash of {}% is not in (0, 100)", s.pct)));
        }
        for flow in &self.flows {
            match (flow.deposit_sol, flow.withdraw_pct) {
                (Some(sol), None) if sol > 0.0 => {}
                (None, Some(pct)) if pct > 0.0 && pct <= 100.0 => {}
                _ => return Err(("flows", "each flow has either deposit_sol > 0 or withdraw_pct in (0, 100]".into())),
            }
        }
        if self.size.vault_sol < 1 || self.size.pool_sol < 1 {
            return Err(("size", "vault_sol and pool_sol are at least 1".into()));
        }
        Ok(())
    }

    /// The path up to `minute` (the rest dropped), for short replays in tests.
    pub fn until(mut self, minute: f64) -> Self {
        if !self.points.is_empty() {
            let m = self.market_at_minute(minute);
            self.points.retain(|p| p.minute < minute);
            self.points.push(Point { minute, sol: m.sol_usd, lst_sol: m.lst_sol });
        }
        for path in [
            &mut self.paths.sol_usd,
            &mut self.paths.lst_sol,
            &mut self.paths.pool_lst_sol,
            &mut self.paths.pool_depth,
            &mut self.paths.sol_available,
            &mut self.paths.lst_available,
        ]
        .into_iter()
        .flatten()
        {
            *path = path.until(minute);
        }
        self.flows.retain(|f| f.minute < minute);
        self.stake_pool.slashes.retain(|s| s.minute < minute);
        self
    }

    pub fn duration_minutes(&self) -> f64 {
        let paths = [
            &self.paths.sol_usd,
            &self.paths.lst_sol,
            &self.paths.pool_lst_sol,
            &self.paths.pool_depth,
            &self.paths.sol_available,
            &self.paths.lst_available,
        ];
        let last_path = paths.into_iter().flatten().map(Path::last_minute).fold(0.0, f64::max);
        let last_point = self.points.last().map(|p| p.minute).unwrap_or(0.0);
        last_path.max(last_point)
    }

    pub fn duration_slots(&self) -> u64 {
        self.slots(self.duration_minutes())
    }

    pub fn minute(&self, slot: u64) -> f64 {
        slot as f64 * self.slot_ms as f64 / 60_000.0
    }

    pub fn slots(&self, minutes: f64) -> u64 {
        (minutes * 60_000.0 / self.slot_ms as f64) as u64
    }

    /// The world `slot` slots from the start.
    pub fn market(&self, slot: u64) -> Market {
        self.market_at_minute(self.minute(slot))
    }

    fn market_at_minute(&self, minute: f64) -> Market {
        let (v1_sol, v1_lst_sol) = self.points_at(minute);
        let sol_usd = self.paths.sol_usd.as_ref().map_or(v1_sol, |p| p.at(minute));
        let lst_sol = self.paths.lst_sol.as_ref().map_or(v1_lst_sol, |p| p.at(minute));
        Market {
            sol_usd,
            lst_sol,
            pool_lst_sol: self.paths.pool_lst_sol.as_ref().map_or(lst_sol, |p| p.at(minute)),
            pool_depth: self.paths.pool_depth.as_ref().map_or(1.0, |p| p.at(minute)),
            sol_available: self.paths.sol_available.as_ref().map(|p| p.at(minute)),
            lst_available: self.paths.lst_available.as_ref().map(|p| p.at(minute)),
        }
    }

    /// The version 1 path at `minute`; (1, 1) when the file has none.
    fn points_at(&self, minute: f64) -> (f64, f64) {
        if self.points.is_empty() {
            return (1.0, 1.0);
        }
        let path = |f: fn(&Point) -> f64| Path(self.points.iter().map(|p| (p.minute, f(p))).collect());
        (path(|p| p.sol).at(minute), path(|p| p.lst_sol).at(minute))
    }

    /// One of the four feeds: the lending market's (`lending`) or the vault's, for the LST
    /// (`lst`) or SOL.
    pub fn feed(&self, lending: bool, lst: bool) -> &Feed {
        match (lending, lst) {
            (true, true) => &self.feeds.lending_lst_usd,
            (true, false) => &self.feeds.lending_sol_usd,
            (false, true) => &self.feeds.vault_lst_usd,
            (false, false) => &self.feeds.vault_sol_usd,
        }
    }

    /// A feed's lag: its own, plus version 1's on both LST/USD feeds.
    pub fn feed_lag_slots(&self, lending: bool, lst: bool) -> u64 {
        self.feed(lending, lst).lag_slots + if lst { self.lst_feed_lag_slots } else { 0 }
    }

    /// Whether a feed is in one of its outages at `slot`.
    pub fn feed_out(&self, lending: bool, lst: bool, slot: u64) -> bool {
        inside(&self.feed(lending, lst).outages, self.minute(slot))
    }

    pub fn keeper_out(&self, slot: u64) -> bool {
        inside(&self.keeper.outages, self.minute(slot))
    }

    pub fn params(&self) -> RiskParams {
        let v = self.vault;
        RiskParams {
            target_ltv_low_bps: v.target_ltv_high_bps.min(v.unwind_target_ltv_bps),
            target_ltv_high_bps: v.target_ltv_high_bps,
            unwind_trigger_ltv_bps: v.unwind_trigger_ltv_bps,
            unwind_target_ltv_bps: v.unwind_target_ltv_bps,
            max_slippage_bps: v.max_slippage_bps,
            // The leverage the band's top implies: 1 / (1 - LTV).
            max_leverage_bps: (100_000_000u64 / (10_000 - v.unwind_trigger_ltv_bps as u64)) as u32,
            min_sol_reserve_bps: v.min_sol_reserve_bps.unwrap_or(default_params().min_sol_reserve_bps),
            unwind_slippage_bps: v.unwind_slippage_bps.unwrap_or(default_params().unwind_slippage_bps),
            ..default_params()
        }
    }

    /// The lowest LST/SOL (against the rate) the lending market shows along the path, at the
    /// replay's steps.
    pub fn worst_lst_sol(&self) -> f64 {
        let end = self.duration_slots();
        (0..=end / self.step_slots).map(|i| self.market(i * self.step_slots).lst_sol).fold(f64::INFINITY, f64::min)
    }

    /// Fails when a path or flow is set that the replay would not use.
    pub fn ensure_replayable(&self) -> Result<()> {
        if self.duration_minutes() <= 0.0 {
            bail!("{}: the path has no length (give points or paths past minute 0)", self.name);
        }
        Ok(())
    }
}

/// The first line of `text` that sets `field` (`field = ...`), 1-based.
fn line_of(text: &str, field: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.strip_prefix(field).is_some_and(|rest| rest.trim_start().starts_with('='))
                || line.starts_with(&format!("[{field}]"))
                || line.starts_with(&format!("[[{field}]]"))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "name = \"t\"\nsource = \"test\"\nstep_slots = 25\n[vault]\ntarget_ltv_high_bps = 7900\nunwind_trigger_ltv_bps = 8100\nunwind_target_ltv_bps = 7300\nmax_slippage_bps = 400\n";

    fn parse(tail: &str) -> Result<Scenario> {
        Scenario::parse(&format!("{HEAD}{tail}"))
    }

    #[test]
    fn a_path_is_linear_between_points_and_jumps_at_a_repeated_minute() {
        let p = Path::try_from(vec![(0.0, 1.0), (10.0, 0.8), (10.0, 0.5), (20.0, 0.7)]).unwrap();
        assert_eq!(p.at(0.0), 1.0);
        assert!((p.at(5.0) - 0.9).abs() < 1e-12);
        assert!((p.at(9.999) - 0.8).abs() < 1e-3);
        assert_eq!(p.at(10.0), 0.5, "the jump has happened at its minute");
        assert!((p.at(15.0) - 0.6).abs() < 1e-12);
        assert_eq!(p.at(99.0), 0.7);
    }

    #[test]
    fn version_1_files_drive_every_path() {
        let s = parse(
            "[[points]]\nminute = 0.0\nsol = 1.0\nlst_sol = 1.0\n[[points]]\nminute = 10.0\nsol = 0.5\nlst_sol = 0.9\n",
        )
        .unwrap();
        let m = s.market(s.slots(5.0));
        assert!((m.sol_usd - 0.75).abs() < 1e-9 && (m.lst_sol - 0.95).abs() < 1e-9);
        assert_eq!(m.pool_lst_sol, m.lst_sol, "the pool follows the market");
        assert_eq!(m.pool_depth, 1.0);
        assert_eq!(s.duration_slots(), 1_500);
        assert_eq!(s.liquidator.policy, LiquidatorPolicy::First, "the liquidator moves first by default");
    }

    #[test]
    fn version_2_paths_move_on_their_own() {
        let s = parse("[paths]\nlst_sol = [[0, 1.0], [30, 0.95]]\npool_lst_sol = [[0, 1.0], [1, 0.2]]\n").unwrap();
        let m = s.market(s.slots(30.0));
        assert_eq!((m.sol_usd, m.lst_sol, m.pool_lst_sol), (1.0, 0.95, 0.2));
    }

    #[test]
    fn bad_files_name_the_line_and_the_field() {
        let cases = [
            ("[paths]\nsol_usd = [[0, 1.0], [10, 0.9], [5, 0.8]]\n", "line 10", "sol_usd", "must not decrease"),
            ("[keeper]\nlatency_slots = 30\n", "line 10", "latency_slots", "not less than step_slots"),
            ("[paths]\npool_depth = [[0, 1.0], [5, 0.5], [6, 0.8]]\n", "line 10", "pool_depth", "only leaves"),
            ("[feeds.vault_lst_usd]\noutages = [[5, 2]]\n", "line 10", "outages", "before the end"),
            ("[liquidator]\npolicy = \"never\"\n", "line 10", "policy", "unknown variant"),
            ("[paths]\nsol_usd = [[0, 1.0]]\nlst_usdc = [[0, 1.0]]\n", "line 11", "lst_usdc", "unknown field"),
            ("[[stake_pool.slashes]]\nminute = 5.0\npct = 150.0\n", "line 11", "pct", "not in (0, 100)"),
        ];
        for (tail, line, field, what) in cases {
            let error = format!("{:#}", parse(tail).unwrap_err());
            for expected in [line, field, what] {
                assert!(error.contains(expected), "{tail:?}: {error:?} lacks {expected:?}");
            }
        }
    }

    #[test]
    fn a_scenario_written_out_loads_back_the_same() {
        let s = parse("[paths]\nlst_sol = [[0, 1.0], [1, 0.9], [1, 0.8]]\n[keeper]\nlatency_slots = 5\noutages = [[1, 2]]\n[liquidator]\npolicy = \"race\"\n").unwrap();
        let back = Scenario::parse(&s.to_toml().unwrap()).unwrap();
        assert_eq!(back.to_toml().unwrap(), s.to_toml().unwrap());
        for slot in [0, 100, 150, 151, 400] {
            assert_eq!(back.market(slot), s.market(slot));
        }
        assert_eq!(back.keeper.latency_slots, 5);
    }

    #[test]
    fn every_scenario_file_loads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut loaded = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
                assert!(s.duration_slots() > 0, "{}", path.display());
                loaded += 1;
            }
        }
        assert!(loaded >= 8, "{loaded} files");
    }

    #[test]
    fn until_cuts_every_path_and_keeps_the_value_there() {
        let s = parse("[paths]\nsol_usd = [[0, 1.0], [20, 0.6]]\n[[flows]]\nminute = 15.0\ndeposit_sol = 1.0\n")
            .unwrap()
            .until(10.0);
        assert_eq!(s.duration_minutes(), 10.0);
        assert!((s.market(s.slots(10.0)).sol_usd - 0.8).abs() < 1e-9);
        assert!(s.flows.is_empty());
    }
}
