//! The search for the cheapest path that liquidates the vault. A family of paths has one
//! severity (the size of the move that hurts) and other dimensions (how fast, how late the feed,
//! how slow the keeper, how deep the pool, how dear the SOL). For each draw of the other
//! dimensions the search bisects the severity between a survived and a liquidated replay; the
//! boundary found is "survives anything under x, liquidated at y". The first draw is the family's
//! plain case (one slot, no lag, no latency, a full pool); the rest are drawn from a seed.
use anyhow::{bail, Result};
use ballast::state::LendingVenue;
use rand::{Rng, SeedableRng};

use crate::runner::Runner;
use crate::scenario::{Path, Scenario};

/// The families of paths the search walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Family {
    /// The LST gaps down against SOL (the market's price and the pool together) over `speed`
    /// slots and stays there. Severity: the gap, percent of the rate.
    LstGap,
    /// The LST falls below its rate (the market's price and the pool together) over `speed`
    /// slots, stays down for `duration_min` minutes, then recovers; the market's LST/USD feed
    /// may be out for `outage_slots` from the start of the fall. Severity: the depth, percent.
    Depeg,
    /// SOL/USD falls 30% over ten minutes, then rebounds within `speed` slots while the market's
    /// LST/USD feed lags. Severity: the rebound, percent.
    SolRebound,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::LstGap => "lst-gap",
            Family::Depeg => "depeg",
            Family::SolRebound => "sol-rebound",
        }
    }

    /// The severity range searched, percent.
    fn range(self) -> (f64, f64) {
        match self {
            Family::LstGap => (0.0, 40.0),
            Family::Depeg => (0.0, 90.0),
            Family::SolRebound => (0.0, 60.0),
        }
    }

    pub fn severity_name(self) -> &'static str {
        match self {
            Family::LstGap => "LST gap",
            Family::Depeg => "depeg",
            Family::SolRebound => "SOL rebound",
        }
    }

    /// The family's plain case.
    fn plain(self) -> Dims {
        match self {
            Family::LstGap => Dims::default(),
            Family::Depeg => Dims { speed_slots: 1_500, duration_min: 30.0, ..Dims::default() },
            Family::SolRebound => Dims { lag_slots: 750, ..Dims::default() },
        }
    }

    /// A draw of the other dimensions.
    fn draw(self, rng: &mut impl Rng, step_slots: u64) -> Dims {
        let latency_slots = if rng.gen_bool(0.5) { rng.gen_range(0..step_slots) } else { 0 };
        let pool_depth = if rng.gen_bool(0.5) { rng.gen_range(0.05..1.0) } else { 1.0 };
        let sol_available = if rng.gen_bool(0.25) { rng.gen_range(0.0..1.0) } else { 1.0 };
        match self {
            Family::LstGap => Dims {
                speed_slots: if rng.gen_bool(0.3) { 0 } else { rng.gen_range(1..900) },
                lag_slots: if rng.gen_bool(0.5) { rng.gen_range(0..750) } else { 0 },
                latency_slots,
                pool_depth,
                sol_available,
                ..Dims::default()
            },
            Family::Depeg => Dims {
                speed_slots: rng.gen_range(150..3_000),
                duration_min: rng.gen_range(1.0..30.0),
                outage_slots: if rng.gen_bool(0.3) { rng.gen_range(25..1_500) } else { 0 },
                latency_slots,
                pool_depth,
                sol_available,
                ..Dims::default()
            },
            Family::SolRebound => Dims {
                speed_slots: if rng.gen_bool(0.3) { 0 } else { rng.gen_range(1..750) },
                lag_slots: rng.gen_range(0..2_250),
                latency_slots,
                pool_depth,
                sol_available,
                ..Dims::default()
            },
        }
    }
}

/// The dimensions of a path other than its severity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dims {
    /// Slots the move takes (0: one slot).
    pub speed_slots: u64,
    /// Lag of the market's LST/USD feed.
    pub lag_slots: u64,
    /// The keeper's latency.
    pub latency_slots: u64,
    /// The share of the pool's liquidity left when the move starts.
    pub pool_depth: f64,
    /// The share of the SOL reserve's liquidity left (the rest borrowed out: a dearer loan).
    pub sol_available: f64,
    /// How long a depeg stays at its depth, minutes.
    pub duration_min: f64,
    /// Slots the market's LST/USD feed is out from the start of the move.
    pub outage_slots: u64,
}

impl Default for Dims {
    fn default() -> Self {
        Self {
            speed_slots: 0,
            lag_slots: 0,
            latency_slots: 0,
            pool_depth: 1.0,
            sol_available: 1.0,
            duration_min: 0.0,
            outage_slots: 0,
        }
    }
}

impl std::fmt::Display for Dims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "over {} slots, held {:.0} min, feed lag {} slots, feed out {} slots, keeper latency {} slots, pool depth {:.0}%, SOL reserve {:.0}% available",
            self.speed_slots,
            self.duration_min,
            self.lag_slots,
            self.outage_slots,
            self.latency_slots,
            self.pool_depth * 100.0,
            self.sol_available * 100.0
        )
    }
}

/// Today's parameters, as the search's base when no scenario is given: the vault at the top of
/// its default band on the default market (borrow limit 85%, liquidation at 90%), steps of 25
/// slots (10 seconds).
pub const TODAY: &str = r#"
name = "today's parameters"
source = "ballast-sim search"
step_slots = 25

[vault]
target_ltv_high_bps = 7900
unwind_trigger_ltv_bps = 8100
unwind_target_ltv_bps = 7300
max_slippage_bps = 400
"#;

/// The slots of settling after the move before the replay ends.
const SETTLE_SLOTS: u64 = 300;
/// The move starts this many slots in, after a quiet step or two.
const START_SLOTS: u64 = 50;

/// The path of `family` at `severity` (percent) with `dims`, on `base`'s vault and market.
pub fn path(base: &Scenario, family: Family, severity: f64, dims: Dims) -> Scenario {
    let mut s = base.clone();
    let minute = |slots: u64| base.minute(slots);
    let start = minute(START_SLOTS);
    let end_move = minute(START_SLOTS + dims.speed_slots);
    s.points.clear();
    s.lst_feed_lag_slots = 0;
    s.flows.clear();
    s.stake_pool.slashes.clear();
    s.name = format!("{} of {severity:.2}%, {dims}", family.severity_name());
    s.source = format!("ballast-sim search, family {}", family.name());
    match family {
        Family::LstGap => {
            // The replay runs until the lagging or frozen feed has shown the whole move.
            let end = minute(START_SLOTS + dims.speed_slots + SETTLE_SLOTS + dims.lag_slots + dims.outage_slots);
            let low = 1.0 - severity / 100.0;
            s.paths.lst_sol = Some(path_of(&[(0.0, 1.0), (start, 1.0), (end_move, low), (end, low)]));
            s.paths.sol_usd = Some(path_of(&[(0.0, 1.0), (end, 1.0)]));
            s.paths.pool_lst_sol = None;
        }
        Family::Depeg => {
            let low = 1.0 - severity / 100.0;
            let held = end_move + dims.duration_min;
            let recovered = held + minute(dims.speed_slots);
            let end = recovered + minute(SETTLE_SLOTS + dims.lag_slots + dims.outage_slots);
            s.paths.lst_sol =
                Some(path_of(&[(0.0, 1.0), (start, 1.0), (end_move, low), (held, low), (recovered, 1.0), (end, 1.0)]));
            s.paths.sol_usd = Some(path_of(&[(0.0, 1.0), (end, 1.0)]));
            s.paths.pool_lst_sol = None;
        }
        Family::SolRebound => {
            // A fall of 30% over ten minutes first (the lagging feed shows it late, which only
            // helps the loop), then the rebound, which the debt feels before the collateral.
            let fall_end = start + 10.0;
            let rebound_end = fall_end + minute(dims.speed_slots);
            let end = rebound_end + minute(SETTLE_SLOTS + dims.lag_slots);
            let high = 0.7 * (1.0 + severity / 100.0);
            s.paths.sol_usd =
                Some(path_of(&[(0.0, 1.0), (start, 1.0), (fall_end, 0.7), (rebound_end, high), (end, high)]));
            s.paths.lst_sol = Some(path_of(&[(0.0, 1.0), (end, 1.0)]));
            s.paths.pool_lst_sol = None;
        }
    }
    s.paths.pool_depth =
        (dims.pool_depth < 1.0).then(|| path_of(&[(0.0, 1.0), (start, 1.0), (start, dims.pool_depth)]));
    s.paths.sol_available =
        (dims.sol_available < 1.0).then(|| path_of(&[(0.0, 1.0), (start, 1.0), (start, dims.sol_available)]));
    s.feeds.lending_lst_usd.outages = if dims.outage_slots > 0 {
        let to = minute(START_SLOTS + dims.outage_slots);
        vec![crate::scenario::Window::try_from((start, to)).expect("a window")]
    } else {
        Vec::new()
    };
    s.feeds.lending_lst_usd.lag_slots = dims.lag_slots;
    s.feeds.vault_lst_usd.lag_slots = dims.lag_slots;
    s.keeper.latency_slots = dims.latency_slots;
    s
}

fn path_of(points: &[(f64, f64)]) -> Path {
    Path::try_from(points.to_vec()).expect("a search path is well formed")
}

/// One replay of the search.
#[derive(Clone, Debug)]
pub struct Probe {
    pub dims: Dims,
    pub severity: f64,
    pub liquidated: bool,
}

/// The boundary for one draw of the dimensions.
#[derive(Clone, Debug)]
pub struct Boundary {
    pub dims: Dims,
    /// The largest severity seen survived.
    pub survived: f64,
    /// The smallest severity seen liquidated; `None` when even the range's top survived.
    pub liquidated: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct SearchResult {
    pub family: Family,
    pub with_keeper: bool,
    pub seed: u64,
    pub probes: Vec<Probe>,
    pub boundaries: Vec<Boundary>,
}

impl SearchResult {
    /// The plain case's boundary (the first draw).
    pub fn plain(&self) -> &Boundary {
        &self.boundaries[0]
    }

    /// The cheapest liquidation found: the draw whose boundary is lowest.
    pub fn cheapest(&self) -> Option<&Boundary> {
        self.boundaries
            .iter()
            .filter(|b| b.liquidated.is_some())
            .min_by(|a, b| a.liquidated.unwrap().total_cmp(&b.liquidated.unwrap()))
    }
}

/// What a search is asked: the family on `base`'s vault and market, with or without the keeper,
/// `budget` replays, draws from `seed`, `jobs` draws replayed at once.
#[derive(Clone, Copy)]
pub struct SearchSpec<'a> {
    pub base: &'a Scenario,
    pub family: Family,
    pub venue: LendingVenue,
    pub with_keeper: bool,
    pub budget: usize,
    pub seed: u64,
    pub jobs: usize,
}

/// Replays one boundary takes at most: the range's top, then the bisections.
const BISECTIONS: usize = 8;

/// Searches as `spec` says: for each draw, one replay at the range's top (does anything
/// liquidate?), then bisection; `on_probe` sees each. `jobs` draws run at once, in waves; the
/// result is the one a single job finds (the draws come from the seed in the same order, and
/// those past the budget are dropped).
pub async fn search(
    runner: &impl Runner,
    spec: SearchSpec<'_>,
    mut on_probe: impl FnMut(&Probe),
) -> Result<SearchResult> {
    let SearchSpec { family, with_keeper, budget, seed, .. } = spec;
    if budget < BISECTIONS + 1 {
        bail!("a budget of {budget} replays is less than one boundary's {}", BISECTIONS + 1);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut result = SearchResult { family, with_keeper, seed, probes: Vec::new(), boundaries: Vec::new() };
    let mut drawn = 0usize;
    'waves: while result.probes.len() + BISECTIONS < budget {
        let wave: Vec<Dims> = (0..spec.jobs.max(1))
            .map(|_| {
                drawn += 1;
                if drawn == 1 {
                    family.plain()
                } else {
                    family.draw(&mut rng, spec.base.step_slots)
                }
            })
            .collect();
        let found = futures::future::join_all(wave.into_iter().map(|dims| boundary(runner, spec, dims))).await;
        for draw in found {
            if result.probes.len() + BISECTIONS >= budget {
                break 'waves;
            }
            let (probes, boundary) = draw?;
            probes.iter().for_each(&mut on_probe);
            result.probes.extend(probes);
            result.boundaries.push(boundary);
        }
    }
    Ok(result)
}

/// One draw's boundary and the replays it took.
async fn boundary(runner: &impl Runner, spec: SearchSpec<'_>, dims: Dims) -> Result<(Vec<Probe>, Boundary)> {
    let (lo0, hi0) = spec.family.range();
    let probe = |severity: f64| {
        let scenario = path(spec.base, spec.family, severity, dims);
        async move {
            let summary = runner.run(&scenario, spec.venue, spec.with_keeper).await?;
            anyhow::Ok(Probe { dims, severity, liquidated: summary.liquidations > 0 })
        }
    };
    let top = probe(hi0).await?;
    let mut probes = vec![top.clone()];
    if !top.liquidated {
        return Ok((probes, Boundary { dims, survived: hi0, liquidated: None }));
    }
    let (mut lo, mut hi) = (lo0, hi0);
    for _ in 0..BISECTIONS {
        let mid = (lo + hi) / 2.0;
        let p = probe(mid).await?;
        if p.liquidated {
            hi = mid;
        } else {
            lo = mid;
        }
        probes.push(p);
    }
    Ok((probes, Boundary { dims, survived: lo, liquidated: Some(hi) }))
}

/// The survival region: every replay as a point (the move's speed across, its severity up),
/// green where the vault survived and red where it was liquidated, over the boundaries.
pub fn write_chart(result: &SearchResult, path: &std::path::Path) -> Result<bool> {
    use plotters::prelude::*;
    if !crate::report::register_chart_font() {
        return Ok(false);
    }
    let root = BitMapBackend::new(path, (1100, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let (_, top) = result.family.range();
    let right = result.probes.iter().map(|p| p.dims.speed_slots).max().unwrap_or(1).max(1) as f64 * 1.05;
    let keeper = if result.with_keeper { "with the keeper" } else { "without the keeper" };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: survival region, {keeper} (seed {})", result.family.name(), result.seed),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-right * 0.02..right, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("slots the move takes (0: one slot)")
        .y_desc(format!("{}, %", result.family.severity_name()))
        .draw()?;
    let green = RGBColor(40, 150, 60);
    let red = RGBColor(200, 40, 40);
    chart
        .draw_series(
            result
                .probes
                .iter()
                .filter(|p| !p.liquidated)
                .map(|p| Circle::new((p.dims.speed_slots as f64, p.severity), 4, green.filled())),
        )?
        .label("survived")
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, green.filled()));
    chart
        .draw_series(
            result
                .probes
                .iter()
                .filter(|p| p.liquidated)
                .map(|p| Cross::new((p.dims.speed_slots as f64, p.severity), 5, red.stroke_width(2))),
        )?
        .label("liquidated")
        .legend(move |(x, y)| Cross::new((x + 10, y), 5, red.stroke_width(2)));
    crate::report::finish_chart(&mut chart, &root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Summary;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A stand-in for the chain that decides as a function of the path alone: a gap liquidates
    /// when it is deeper than 10% plus a tenth of a point per slot of keeper latency. It counts
    /// how many replays it had in flight at once.
    #[derive(Default)]
    struct Rule {
        in_flight: AtomicUsize,
        most: AtomicUsize,
    }

    impl Runner for Rule {
        async fn run(&self, s: &Scenario, _: LendingVenue, _: bool) -> Result<Summary> {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let gap_pct = (1.0 - s.worst_lst_sol()) * 100.0;
            let liquidated = gap_pct > 10.0 + s.keeper.latency_slots as f64 / 10.0;
            Ok(Summary {
                liquidations: liquidated as u32,
                unwinds: 0,
                worst_ltv_bps: 0,
                start_debt_lamports: 0,
                final_equity_lamports: 0,
                hold_lst_lamports: 0,
            })
        }
    }

    #[tokio::test]
    async fn draws_replayed_at_once_find_what_one_at_a_time_finds() {
        let base = Scenario::parse(TODAY).unwrap();
        let spec = |jobs| SearchSpec {
            base: &base,
            family: Family::LstGap,
            venue: LendingVenue::SplTokenLending,
            with_keeper: true,
            budget: 100,
            seed: 7,
            jobs,
        };
        let one = Rule::default();
        let alone = search(&one, spec(1), |_| {}).await.unwrap();
        let three = Rule::default();
        let together = search(&three, spec(3), |_| {}).await.unwrap();
        assert_eq!(one.most.load(Ordering::SeqCst), 1);
        assert_eq!(three.most.load(Ordering::SeqCst), 3);
        let key = |r: &SearchResult| {
            r.probes.iter().map(|p| (p.dims.latency_slots, p.severity.to_bits(), p.liquidated)).collect::<Vec<_>>()
        };
        assert_eq!(key(&alone), key(&together));
        assert_eq!(alone.boundaries.len(), together.boundaries.len());
        assert!(alone.probes.len() <= 100 && alone.probes.len() > 100 - 9);
        // The plain case (no latency) liquidates past 10%: the bisection ends within 40/2^8.
        let plain = alone.plain();
        assert!(plain.survived <= 10.0 && plain.liquidated.unwrap() > 10.0);
        assert!(plain.liquidated.unwrap() - plain.survived < 0.2);
    }
}
