//! Risk parameters from scenarios: the highest leverage at which every scenario ends with no
//! liquidation and the vault's loss against holding the LST stays within the scenario's exit
//! cost. The exit cost of a scenario is what leaving the whole loop at the worst price its path
//! reaches would cost: the starting debt times (the market's worst discount to the rate plus the
//! unwind's own bound).
//!
//! Candidates keep the shape of today's defaults: a trigger T, the band's top 2 points under it,
//! the unwind's target 8 points under it, leverage at most 1 / (1 - T). The search walks T down
//! from a point under the market's borrow limit by bisection (a lower trigger is assumed to be no
//! less safe), with the scenarios' own unwind bound (`unwind_slippage_bps`, what an unwind may
//! give up to the pool against the stake-pool rate). Then the bound: at the next trigger up, each
//! looser bound is tried, tightest first; where one passes every scenario, the advice moves up to
//! it and tries again. A looser bound lets an unwind sell into a thinner pool, and costs what it
//! gives up; the exit cost a trial is held to stays at the scenarios' own bound, so loosening
//! buys no allowance.
use anyhow::Result;
use ballast::state::{LendingVenue, RiskParams};

use crate::runner::{Runner, Summary};
use crate::scenario::{MarketOverrides, Scenario};

/// One candidate's result on one scenario.
#[derive(Clone, Debug)]
pub struct Trial {
    pub trigger_bps: u16,
    pub unwind_bound_bps: u16,
    pub scenario: String,
    pub liquidations: u32,
    /// Holding the LST less the vault's final equity (negative: the vault did better).
    pub loss_vs_hold_lamports: i64,
    pub exit_cost_lamports: u64,
}

impl Trial {
    pub fn passes(&self) -> bool {
        self.liquidations == 0 && self.loss_vs_hold_lamports <= self.exit_cost_lamports as i64
    }
}

#[derive(Clone, Debug)]
pub struct Advice {
    /// The highest passing trigger's parameters; `None` when even the lowest candidate fails.
    pub params: Option<RiskParams>,
    pub trials: Vec<Trial>,
}

/// The lowest trigger tried.
const LOWEST_TRIGGER_BPS: u16 = 5_000;
/// Candidates are this far apart.
const STEP_BPS: u16 = 100;
/// Looser unwind bounds tried above the advised trigger, tightest first, up to the most the
/// program allows.
const LOOSER_BOUNDS_BPS: [u16; 2] = [50, ballast::constants::MAX_UNWIND_SLIPPAGE_BPS];

/// A candidate: the unwind's trigger and its bound.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Candidate {
    trigger_bps: u16,
    /// `None`: the scenario's own.
    unwind_bound_bps: Option<u16>,
}

/// `scenario` with the candidate's band on `market`.
pub fn candidate(scenario: &Scenario, market: MarketOverrides, trigger_bps: u16) -> Scenario {
    with_candidate(scenario, market, Candidate { trigger_bps, unwind_bound_bps: None })
}

fn with_candidate(scenario: &Scenario, market: MarketOverrides, c: Candidate) -> Scenario {
    let mut s = scenario.clone();
    s.market = market;
    s.vault.unwind_trigger_ltv_bps = c.trigger_bps;
    s.vault.target_ltv_high_bps = c.trigger_bps - 200;
    s.vault.unwind_target_ltv_bps = c.trigger_bps - 800;
    if let Some(bound) = c.unwind_bound_bps {
        s.vault.unwind_slippage_bps = Some(bound);
    }
    s
}

/// One trial; the exit cost is held at `base`'s bound (the scenario's own).
fn trial(base: &Scenario, s: &Scenario, trigger_bps: u16, report: &Summary) -> Trial {
    let bound = base.params().unwind_slippage_bps as f64 / 10_000.0;
    let discount = (1.0 - s.worst_lst_sol()).max(0.0);
    Trial {
        trigger_bps,
        unwind_bound_bps: s.params().unwind_slippage_bps,
        scenario: s.name.clone(),
        liquidations: report.liquidations,
        loss_vs_hold_lamports: report.hold_lst_lamports as i64 - report.final_equity_lamports as i64,
        exit_cost_lamports: (report.start_debt_lamports as f64 * (discount + bound)) as u64,
    }
}

/// Replays every scenario with candidate `c`, stopping at the first that fails; true when all
/// pass.
async fn passes_with(
    runner: &impl Runner,
    scenarios: &[Scenario],
    market: MarketOverrides,
    venue: LendingVenue,
    c: Candidate,
    trials: &mut Vec<Trial>,
) -> Result<bool> {
    for base in scenarios {
        let s = with_candidate(base, market, c);
        let report = runner.run(&s, venue, true).await?;
        let t = trial(base, &s, c.trigger_bps, &report);
        let passed = t.passes();
        trials.push(t);
        if !passed {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Every scenario at `trigger_bps` with its own bound; true when all pass.
async fn passes(
    runner: &impl Runner,
    scenarios: &[Scenario],
    market: MarketOverrides,
    venue: LendingVenue,
    trigger_bps: u16,
    trials: &mut Vec<Trial>,
) -> Result<bool> {
    passes_with(runner, scenarios, market, venue, Candidate { trigger_bps, unwind_bound_bps: None }, trials).await
}

/// Finds the highest passing trigger for `scenarios` on `market`, each replayed with the keeper.
/// `on_trial` sees each result.
pub async fn advise(
    runner: &impl Runner,
    scenarios: &[Scenario],
    market: MarketOverrides,
    venue: LendingVenue,
    mut on_trial: impl FnMut(&Trial),
) -> Result<Advice> {
    let mut trials = Vec::new();
    // Highest: a point under the borrow limit (the band's top must leave the market room).
    let highest = (market.ltv_pct as u16 * 100).saturating_sub(STEP_BPS);
    let pass_at = |t: u16| candidate(&scenarios[0], market, t).params();
    let top = passes(runner, scenarios, market, venue, highest, &mut trials).await?;
    trials.iter().for_each(&mut on_trial);
    // The top passing with the scenarios' own bound needs no looser one.
    if top {
        return Ok(Advice { params: Some(pass_at(highest)), trials });
    }
    let seen = trials.len();
    let bottom = passes(runner, scenarios, market, venue, LOWEST_TRIGGER_BPS, &mut trials).await?;
    trials[seen..].iter().for_each(&mut on_trial);
    if !bottom {
        return Ok(Advice { params: None, trials });
    }
    // Bisect over the candidates between a passing `lo` and a failing `hi`.
    let (mut lo, mut hi) = (LOWEST_TRIGGER_BPS, highest);
    while hi - lo > STEP_BPS {
        let mid = lo + (hi - lo) / 2 / STEP_BPS * STEP_BPS;
        let mid = if mid == lo { lo + STEP_BPS } else { mid };
        let seen = trials.len();
        let ok = passes(runner, scenarios, market, venue, mid, &mut trials).await?;
        trials[seen..].iter().for_each(&mut on_trial);
        if ok {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // Then the bound: a looser one may let the next trigger up pass.
    let own_bound = scenarios[0].params().unwind_slippage_bps;
    let mut best = Candidate { trigger_bps: lo, unwind_bound_bps: None };
    'up: while best.trigger_bps + STEP_BPS <= highest {
        let trigger_bps = best.trigger_bps + STEP_BPS;
        for bound in LOOSER_BOUNDS_BPS.into_iter().filter(|b| *b > best.unwind_bound_bps.unwrap_or(own_bound)) {
            let c = Candidate { trigger_bps, unwind_bound_bps: Some(bound) };
            let seen = trials.len();
            let ok = passes_with(runner, scenarios, market, venue, c, &mut trials).await?;
            trials[seen..].iter().for_each(&mut on_trial);
            if ok {
                best = c;
                continue 'up;
            }
        }
        break;
    }
    Ok(Advice { params: Some(with_candidate(&scenarios[0], market, best).params()), trials })
}
