//! The LST's discount to its stake-pool rate, as the lending market prices it, followed over a
//! window of slots: a discount that keeps widening makes the loop a loss even while the staking
//! yield beats the borrow rate.
//!
//! Why: with equity E, debt D and the LST's market price p (in SOL), the loop's equity moves by
//! C·dp − D·borrow·dt against (E/p)·dp for the same equity held unlevered, so the loop earns
//! D·(staking − borrow − widening/(1 − discount)) more per unit of time, where `widening` is the
//! discount's rise per unit of time. When that is negative the loop costs the holders more than
//! holding, and the allocator leaves it (through the stake pool, at the rate, which the discount
//! does not touch).
//!
//! A discount wanders by a few basis points with every oracle update, and any wander extrapolated
//! to a year dwarfs a staking yield; so a trend counts only when the line fitted through the
//! window's samples (Theil-Sen) rises by at least `exit_bps` across the window.
use std::collections::VecDeque;

/// Slots in a year at 400 ms a slot (the same clock as the staking yield per year).
pub const SLOTS_PER_YEAR: f64 = 365.0 * 86_400.0 / 0.4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrendConfig {
    /// The window the trend is fitted over.
    pub window_slots: u64,
    /// The least widening across the window that counts as a trend.
    pub exit_bps: u64,
}

impl Default for TrendConfig {
    fn default() -> Self {
        // Three days; half a percent. stETH's discount grew about 0.2% a day from May to June
        // 2022; a market maker's wander stays well inside half a percent.
        Self { window_slots: 3 * 216_000, exit_bps: 50 }
    }
}

/// The discount samples of one vault's LST, at most one per 1/256 of the window.
#[derive(Clone, Debug, Default)]
pub struct DiscountTrend {
    samples: VecDeque<(u64, f64)>,
}

/// Samples kept per window (the rest are skipped), so a keeper polling every 400 ms holds a few
/// kilobytes per vault.
const SAMPLES_PER_WINDOW: u64 = 256;

impl DiscountTrend {
    /// Records `discount` (1 − market price / rate) seen at `slot`, and forgets what the window
    /// no longer covers.
    pub fn observe(&mut self, config: &TrendConfig, slot: u64, discount: f64) {
        let spacing = (config.window_slots / SAMPLES_PER_WINDOW).max(1);
        match self.samples.back() {
            Some(&(last, _)) if slot < last => self.samples.clear(),
            Some(&(last, _)) if slot - last < spacing => return,
            _ => {}
        }
        self.samples.push_back((slot, discount));
        let oldest = slot.saturating_sub(config.window_slots);
        while self.samples.front().is_some_and(|&(s, _)| s < oldest) {
            self.samples.pop_front();
        }
    }

    /// The discount's widening per year, when the samples span at least half the window and
    /// their fitted line rises by at least `exit_bps` across the whole window; otherwise 0.
    pub fn widening_per_year(&self, config: &TrendConfig) -> f64 {
        let (Some(&(first, _)), Some(&(last, latest))) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        if self.samples.len() < 3 || (last - first) * 2 < config.window_slots {
            return 0.0;
        }
        let points: Vec<(f64, f64)> = self.samples.iter().map(|&(s, d)| ((s - first) as f64, d)).collect();
        let slope_per_slot = theil_sen_slope(&points);
        if slope_per_slot * config.window_slots as f64 * 10_000.0 < config.exit_bps as f64 {
            return 0.0;
        }
        // Relative to the price, not the rate: the loop's collateral moves by dp/p.
        slope_per_slot * SLOTS_PER_YEAR / (1.0 - latest).max(f64::EPSILON)
    }
}

/// The Theil-Sen slope of `points`: the median of the slopes between every pair. Unlike a
/// least-squares line it reads a single gap followed by a plateau (a crash, which is the unwind's
/// business, not a trend) as flat, and one stray oracle print moves it little. A few hundred
/// points make some 30,000 pairs: a sort per pass, no dependency needed for it.
fn theil_sen_slope(points: &[(f64, f64)]) -> f64 {
    let mut slopes: Vec<f64> = points
        .iter()
        .enumerate()
        .flat_map(|(i, &(x0, y0))| points[i + 1..].iter().map(move |&(x1, y1)| (y1 - y0) / (x1 - x0)))
        .filter(|slope| slope.is_finite())
        .collect();
    if slopes.is_empty() {
        return 0.0;
    }
    slopes.sort_by(f64::total_cmp);
    let mid = slopes.len() / 2;
    if slopes.len() % 2 == 1 {
        slopes[mid]
    } else {
        (slopes[mid - 1] + slopes[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: TrendConfig = TrendConfig { window_slots: 25_600, exit_bps: 50 };

    fn trend(points: impl IntoIterator<Item = (u64, f64)>) -> DiscountTrend {
        let mut trend = DiscountTrend::default();
        for (slot, discount) in points {
            trend.observe(&CONFIG, slot, discount);
        }
        trend
    }

    #[test]
    fn a_steady_widening_is_measured_per_year_relative_to_the_price() {
        // 1% more discount over the window, ending at 2%.
        let t = trend((0..=100).map(|i| (i * 256, 0.01 + 0.01 * i as f64 / 100.0)));
        let per_slot = 0.01 / 25_600.0;
        let expected = per_slot * SLOTS_PER_YEAR / 0.98;
        assert!((t.widening_per_year(&CONFIG) - expected).abs() < expected * 1e-9, "{}", t.widening_per_year(&CONFIG));
    }

    #[test]
    fn less_than_the_threshold_across_the_window_is_no_trend() {
        // 0.4% across the window: under the 0.5% that counts.
        let t = trend((0..=100).map(|i| (i * 256, 0.004 * i as f64 / 100.0)));
        assert_eq!(t.widening_per_year(&CONFIG), 0.0);
        // 0.6%: counts.
        let t = trend((0..=100).map(|i| (i * 256, 0.006 * i as f64 / 100.0)));
        assert!(t.widening_per_year(&CONFIG) > 0.0);
    }

    #[test]
    fn a_narrowing_discount_or_a_jump_then_a_plateau_is_not_widening() {
        let narrowing = trend((0..=100).map(|i| (i * 256, 0.05 - 0.02 * i as f64 / 100.0)));
        assert_eq!(narrowing.widening_per_year(&CONFIG), 0.0);
        // A 3% gap a third of the way into the window, flat before and after.
        let t = trend((0..=100).map(|i| (i * 256, if i < 33 { 0.0 } else { 0.03 })));
        assert_eq!(t.widening_per_year(&CONFIG), 0.0);
        // One stray print in a steady widening moves the slope by little.
        let steady = |i: u64| 0.01 * i as f64 / 100.0;
        let clean = trend((0..=100).map(|i| (i * 256, steady(i)))).widening_per_year(&CONFIG);
        let stray =
            trend((0..=100).map(|i| (i * 256, if i == 90 { 0.2 } else { steady(i) }))).widening_per_year(&CONFIG);
        assert!((stray - clean).abs() < clean * 0.05, "{clean} {stray}");
    }

    #[test]
    fn too_short_a_history_is_no_trend() {
        // A 5% gap within a tenth of the window: a crash, not a trend (the unwind's business).
        let t = trend((0..=10).map(|i| (i * 256, 0.005 * i as f64)));
        assert_eq!(t.widening_per_year(&CONFIG), 0.0);
    }

    #[test]
    fn samples_are_thinned_to_the_spacing_and_forgotten_past_the_window() {
        let t = trend((0..=100_000).map(|slot| (slot, 0.0)));
        assert!(t.samples.len() <= SAMPLES_PER_WINDOW as usize + 1, "{}", t.samples.len());
        assert!(t.samples.front().unwrap().0 >= 100_000 - CONFIG.window_slots);
        // A clock that goes back (another cluster, a restarted test chain) starts afresh.
        let mut t = t;
        t.observe(&CONFIG, 5, 0.01);
        assert_eq!(t.samples.len(), 1);
    }
}
