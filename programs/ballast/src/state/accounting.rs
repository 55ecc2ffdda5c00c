//! The vault's internal ledger. Share prices come from these numbers, never from a raw account
//! balance, so SOL or LST sent straight to the vault changes nothing until it is accounted.
//! Every transition here is pure, so the property tests drive the same code the program runs.
use anchor_lang::prelude::*;
use fixed::types::U64F64;

use crate::math::fees::{
    fee_shares_floor, locked_profit_remaining_ceil, management_fee_lamports_ceil, performance_fee_lamports_ceil,
    profit_unlock_secs_weighted_ceil,
};
use crate::math::safe_math::{add, bps_of_ceil, overflow, sub};
use crate::math::shares::assets_per_share_floor;
use crate::math::valuation::Holdings;
use crate::state::RiskParams;

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accounting {
    /// SOL in the reserve that belongs to depositors (rent and donations excluded).
    pub reserve_lamports: u64,
    /// LST the vault holds, as accounted.
    pub lst_amount: u64,
    /// Pool tokens of the LST/SOL pool the vault holds, as accounted.
    pub pool_tokens: u64,
    /// Valuation at the last harvest, moved by every deposit and withdrawal since. Gains not yet
    /// harvested are not in it, so nobody withdraws them before they are booked and locked.
    pub last_total_assets_lamports: u64,
    /// Profit still locked at `profit_unlock_start_unix`, unlocking linearly from then until
    /// `profit_unlock_end_unix`.
    pub locked_profit_lamports: u64,
    pub profit_unlock_start_unix: i64,
    pub last_fee_accrual_unix: i64,
    /// Assets per share unit after the last fee charge (`U64F64` bits): no performance fee is
    /// charged until the price is above it again.
    pub high_water_mark_bits: u128,
    /// When the locked profit is all unlocked. A harvest that books new profit moves it to the
    /// amount-weighted average of what was left and the full unlock period; a loss leaves it.
    pub profit_unlock_end_unix: i64,
}

/// What a harvest booked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HarvestOutcome {
    pub profit_lamports: u64,
    pub loss_lamports: u64,
    pub management_fee_lamports: u64,
    pub performance_fee_lamports: u64,
    pub fee_shares: u64,
}

fn elapsed_secs(since_unix: i64, now_unix: i64) -> u64 {
    u64::try_from(now_unix.saturating_sub(since_unix)).unwrap_or(0)
}

impl Accounting {
    pub fn new(seed_lamports: u64, total_shares: u64, now_unix: i64) -> Result<Self> {
        Ok(Self {
            reserve_lamports: seed_lamports,
            lst_amount: 0,
            pool_tokens: 0,
            last_total_assets_lamports: seed_lamports,
            locked_profit_lamports: 0,
            profit_unlock_start_unix: now_unix,
            last_fee_accrual_unix: now_unix,
            high_water_mark_bits: assets_per_share_floor(seed_lamports, total_shares)?.to_bits(),
            profit_unlock_end_unix: now_unix,
        })
    }

    pub fn holdings(&self) -> Holdings {
        Holdings { reserve_lamports: self.reserve_lamports, lst_amount: self.lst_amount }
    }

    pub fn high_water_mark(&self) -> U64F64 {
        U64F64::from_bits(self.high_water_mark_bits)
    }

    /// Locked profit not yet unlocked at `now_unix`, rounded up.
    pub fn locked_profit_remaining_lamports(&self, now_unix: i64) -> Result<u64> {
        locked_profit_remaining_ceil(
            self.locked_profit_lamports,
            elapsed_secs(self.profit_unlock_start_unix, now_unix),
            elapsed_secs(self.profit_unlock_start_unix, self.profit_unlock_end_unix),
        )
    }

    /// Restarts the unlock schedule at `now_unix` from what is still locked less `loss_lamports`,
    /// keeping its end: the rest unlocks at the same pace as before, only less of it.
    fn absorb_loss_in_locked_profit(&mut self, loss_lamports: u64, now_unix: i64) -> Result<()> {
        self.locked_profit_lamports = self.locked_profit_remaining_lamports(now_unix)?.saturating_sub(loss_lamports);
        self.profit_unlock_start_unix = now_unix;
        self.profit_unlock_end_unix = self.profit_unlock_end_unix.max(now_unix);
        Ok(())
    }

    /// Assets a withdrawal is priced from, rounded down. A gain counts only once harvested and
    /// unlocked; a loss counts at once, eating locked profit first, exactly as the next harvest
    /// will book it.
    pub fn free_assets_lamports(&self, live_assets_lamports: u64, now_unix: i64) -> Result<u64> {
        let unbooked_loss_lamports = self.last_total_assets_lamports.saturating_sub(live_assets_lamports);
        let locked_lamports = self.locked_profit_remaining_lamports(now_unix)?.saturating_sub(unbooked_loss_lamports);
        let booked_lamports = live_assets_lamports.min(self.last_total_assets_lamports);
        Ok(booked_lamports.saturating_sub(locked_lamports))
    }

    /// Reserve SOL above the floor of `min_sol_reserve_bps` of the booked assets (the floor
    /// rounded up): what may repay debt without touching the reserve withdrawals count on.
    pub fn spare_reserve_lamports(&self, min_sol_reserve_bps: u16) -> Result<u64> {
        let floor_lamports = bps_of_ceil(self.last_total_assets_lamports, min_sol_reserve_bps as u64)?;
        Ok(self.reserve_lamports.saturating_sub(floor_lamports))
    }

    pub fn record_deposit(&mut self, lamports: u64) -> Result<()> {
        self.reserve_lamports = add(self.reserve_lamports, lamports)?;
        self.last_total_assets_lamports = add(self.last_total_assets_lamports, lamports)?;
        Ok(())
    }

    /// `lamports` left the reserve to a withdrawer. They were priced from free assets, which
    /// never exceed the ledger, so the ledger cannot underflow unless something is badly wrong.
    pub fn record_withdrawal(&mut self, lamports: u64) -> Result<()> {
        self.record_withdrawal_at(lamports, lamports)
    }

    /// A withdrawal whose exit cost the withdrawer bore: `paid_lamports` left the reserve, and
    /// the ledger drops by the full `booked_lamports` the shares were worth, so the cost never
    /// shows up as a loss for those who stay.
    pub fn record_withdrawal_at(&mut self, paid_lamports: u64, booked_lamports: u64) -> Result<()> {
        self.reserve_lamports = sub(self.reserve_lamports, paid_lamports)?;
        self.last_total_assets_lamports = sub(self.last_total_assets_lamports, booked_lamports)?;
        Ok(())
    }

    /// LST sold through the pool for SOL now in the reserve. The ledger total is untouched: the
    /// conversion's cost is charged to whoever caused it (see `record_withdrawal_at`).
    pub fn record_lst_sold(&mut self, lst_sold: u64, lamports_received: u64) -> Result<()> {
        self.lst_amount = sub(self.lst_amount, lst_sold)?;
        self.reserve_lamports = add(self.reserve_lamports, lamports_received)?;
        Ok(())
    }

    /// LST and SOL went into the pool for `pool_tokens`.
    pub fn record_pool_add(&mut self, lst_in: u64, lamports_in: u64, pool_tokens: u64) -> Result<()> {
        self.lst_amount = sub(self.lst_amount, lst_in)?;
        self.reserve_lamports = sub(self.reserve_lamports, lamports_in)?;
        self.pool_tokens = add(self.pool_tokens, pool_tokens)?;
        Ok(())
    }

    /// `pool_tokens` burned for LST and SOL back in the vault.
    pub fn record_pool_remove(&mut self, pool_tokens: u64, lst_out: u64, lamports_out: u64) -> Result<()> {
        self.pool_tokens = sub(self.pool_tokens, pool_tokens)?;
        self.lst_amount = add(self.lst_amount, lst_out)?;
        self.reserve_lamports = add(self.reserve_lamports, lamports_out)?;
        Ok(())
    }

    /// SOL moved from the reserve into the stake pool; the LST actually received is booked.
    /// Any value the exchange lost shows up as a loss at the next harvest.
    pub fn record_stake(&mut self, lamports: u64, lst_received: u64) -> Result<()> {
        self.reserve_lamports = sub(self.reserve_lamports, lamports)?;
        self.lst_amount = add(self.lst_amount, lst_received)?;
        Ok(())
    }

    /// An unwind converted collateral to SOL: `lamports_in` reached the reserve (what the sales
    /// brought beyond the repayment), `reward_lamports` left it for the caller, and
    /// `realized_loss_lamports` (the sales' shortfall against the stake-pool rate, plus the
    /// reward) is booked at once, eating locked profit first, so nobody deposits or withdraws
    /// against a value the vault no longer has.
    pub fn record_unwind(
        &mut self,
        lamports_in: u64,
        reward_lamports: u64,
        realized_loss_lamports: u64,
        now_unix: i64,
    ) -> Result<()> {
        self.reserve_lamports = sub(add(self.reserve_lamports, lamports_in)?, reward_lamports)?;
        self.absorb_loss_in_locked_profit(realized_loss_lamports, now_unix)?;
        self.last_total_assets_lamports = self.last_total_assets_lamports.saturating_sub(realized_loss_lamports);
        Ok(())
    }

    /// Books the gain or loss since the last harvest, charges fees as newly minted shares and
    /// locks the net profit. `total_shares` is the supply before the fee shares are minted.
    pub fn harvest(
        &mut self,
        live_assets_lamports: u64,
        total_shares: u64,
        now_unix: i64,
        params: &RiskParams,
    ) -> Result<HarvestOutcome> {
        let remaining_locked_lamports = self.locked_profit_remaining_lamports(now_unix)?;
        let remaining_unlock_secs = elapsed_secs(now_unix, self.profit_unlock_end_unix);
        let profit_lamports = live_assets_lamports.saturating_sub(self.last_total_assets_lamports);
        let loss_lamports = self.last_total_assets_lamports.saturating_sub(live_assets_lamports);

        let management_fee_lamports = management_fee_lamports_ceil(
            live_assets_lamports,
            params.management_fee_bps,
            elapsed_secs(self.last_fee_accrual_unix, now_unix),
        )?;
        // Value of all shares at the high-water mark, rounded down so the fee rounds up.
        let hwm_value_lamports: u64 =
            self.high_water_mark().checked_mul(U64F64::from_num(total_shares)).ok_or_else(overflow)?.to_num();
        let gain_above_hwm_lamports = live_assets_lamports
            .saturating_sub(management_fee_lamports)
            .saturating_sub(hwm_value_lamports)
            .min(profit_lamports);
        let performance_fee_lamports =
            performance_fee_lamports_ceil(gain_above_hwm_lamports, params.performance_fee_bps)?;
        let fee_lamports = add(management_fee_lamports, performance_fee_lamports)?;

        // A gain is locked net of the fees it paid and joins the schedule by weight; a loss eats
        // locked profit first and leaves the schedule's end where it was.
        if profit_lamports > 0 {
            let new_locked_lamports = profit_lamports.saturating_sub(fee_lamports);
            let unlock_secs = profit_unlock_secs_weighted_ceil(
                remaining_locked_lamports,
                remaining_unlock_secs,
                new_locked_lamports,
                params.profit_unlock_secs as u64,
            )?;
            self.locked_profit_lamports = add(remaining_locked_lamports, new_locked_lamports)?;
            self.profit_unlock_start_unix = now_unix;
            self.profit_unlock_end_unix = now_unix.checked_add(unlock_secs as i64).ok_or_else(overflow)?;
        } else {
            self.absorb_loss_in_locked_profit(loss_lamports, now_unix)?;
        }
        self.last_total_assets_lamports = live_assets_lamports;
        self.last_fee_accrual_unix = now_unix;
        // The fee stays in the vault; the recipient's new shares are worth exactly the fee (less
        // rounding) at the price the harvest leaves.
        let fee_shares =
            fee_shares_floor(fee_lamports, total_shares, self.free_assets_lamports(live_assets_lamports, now_unix)?)?;
        let new_total_shares = add(total_shares, fee_shares)?;
        let price_now = assets_per_share_floor(live_assets_lamports, new_total_shares)?;
        if price_now > self.high_water_mark() {
            self.high_water_mark_bits = price_now.to_bits();
        }
        Ok(HarvestOutcome {
            profit_lamports,
            loss_lamports,
            management_fee_lamports,
            performance_fee_lamports,
            fee_shares,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::shares::{lamports_for_shares_floor, shares_for_deposit_floor};
    use crate::math::valuation::{total_assets_lamports_floor, Positions, StakePoolRate};
    use crate::state::risk_params::fixtures::conservative;
    use proptest::prelude::*;

    const SEED: u64 = 1_000_000;

    #[derive(Clone, Debug)]
    enum Op {
        Deposit { user: usize, lamports: u64 },
        Withdraw { user: usize, per_mille: u64 },
        Stake { per_mille: u64 },
        Reward { bps: u64 },
        Harvest,
        Wait { secs: i64 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..3usize, 1u64..1_000_000_000_000).prop_map(|(user, lamports)| Op::Deposit { user, lamports }),
            (0..3usize, 1u64..=1000).prop_map(|(user, per_mille)| Op::Withdraw { user, per_mille }),
            (1u64..=1000).prop_map(|per_mille| Op::Stake { per_mille }),
            (1u64..500).prop_map(|bps| Op::Reward { bps }),
            Just(Op::Harvest),
            (1i64..200_000).prop_map(|secs| Op::Wait { secs }),
        ]
    }

    /// The ledger, driven exactly as the instructions drive it, against a stake pool whose rate
    /// only rises (staking rewards) and with no management fee.
    struct Model {
        acct: Accounting,
        params: RiskParams,
        rate: StakePoolRate,
        supply: u64,
        now: i64,
        shares: [u64; 3],
        deposited: [u128; 3],
        withdrawn: [u128; 3],
        /// Every real gain that happened while the user held shares. A user can end up with
        /// more than a pro-rata part of one (others who withdraw before a harvest leave their
        /// part behind), never with any part of a gain from before they held shares.
        entitled_gain: [u128; 3],
        seed_and_gains: u128,
    }

    impl Model {
        fn live(&self) -> u64 {
            total_assets_lamports_floor(&self.acct.holdings(), &Positions::default(), &self.rate).unwrap()
        }
        fn free(&self) -> u64 {
            self.acct.free_assets_lamports(self.live(), self.now).unwrap()
        }
        /// free / supply as a comparable pair.
        fn price(&self) -> (u128, u128) {
            (self.free() as u128, self.supply as u128)
        }
    }

    fn price_not_lower(before: (u128, u128), after: (u128, u128)) -> bool {
        after.0 * before.1 >= before.0 * after.1
    }

    fn no_fees() -> RiskParams {
        RiskParams { management_fee_bps: 0, performance_fee_bps: 0, ..conservative() }
    }

    #[test]
    fn a_harvest_with_dust_profit_does_not_hold_back_locked_profit() {
        let params = no_fees();
        let mut acct = Accounting::new(SEED, SEED, 0).unwrap();
        acct.harvest(SEED + 1_000_000_000, SEED, 0, &params).unwrap();
        let half_way = params.profit_unlock_secs as i64 / 2;
        assert_eq!(acct.locked_profit_remaining_lamports(half_way).unwrap(), 500_000_000);
        // Anyone may harvest: one lamport of new profit half way through.
        acct.harvest(SEED + 1_000_000_001, SEED, half_way, &params).unwrap();
        let full = params.profit_unlock_secs as i64;
        // What was locked still unlocks on time (within one second of the weighted end), where
        // restarting the clock would have left 250,000,000 locked.
        assert!(acct.locked_profit_remaining_lamports(full).unwrap() < 20_000);
        assert_eq!(acct.locked_profit_remaining_lamports(full + 2).unwrap(), 0);
    }

    #[test]
    fn a_realized_loss_is_booked_at_once_and_eats_locked_profit_first() {
        let params = no_fees();
        let mut acct = Accounting::new(SEED, SEED, 0).unwrap();
        acct.harvest(SEED + 1_000_000, SEED, 0, &params).unwrap();
        let half_way = params.profit_unlock_secs as i64 / 2;
        acct.record_unwind(0, 100, 300_000, half_way).unwrap();
        assert_eq!(acct.reserve_lamports, SEED - 100);
        assert_eq!(acct.last_total_assets_lamports, SEED + 700_000);
        // 500,000 was still locked: 200,000 now, unlocking by the same end.
        assert_eq!(acct.locked_profit_remaining_lamports(half_way).unwrap(), 200_000);
        assert_eq!(acct.locked_profit_remaining_lamports(params.profit_unlock_secs as i64).unwrap(), 0);
        // A loss larger than the locked profit leaves none.
        acct.record_unwind(0, 0, 5_000_000, half_way).unwrap();
        assert_eq!(acct.locked_profit_remaining_lamports(half_way).unwrap(), 0);
    }

    #[test]
    fn fee_shares_are_worth_the_fee() {
        let params = RiskParams { management_fee_bps: 0, performance_fee_bps: 1_000, ..conservative() };
        let mut acct = Accounting::new(SEED, SEED, 0).unwrap();
        let live = SEED + 100_000;
        let outcome = acct.harvest(live, SEED, 0, &params).unwrap();
        assert_eq!(outcome.performance_fee_lamports, 10_000);
        let free = acct.free_assets_lamports(live, 0).unwrap();
        let fee_value = lamports_for_shares_floor(outcome.fee_shares, SEED + outcome.fee_shares, free).unwrap();
        assert!(fee_value <= 10_000 && fee_value + 2 >= 10_000, "{fee_value}");
    }

    proptest! {
        // PROPTEST_CASES raises the count (the explicit field would otherwise override it).
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
            ..ProptestConfig::default()
        })]

        #[test]
        fn ledger_never_pays_more_than_deposits_plus_real_gains(ops in prop::collection::vec(op(), 1..60)) {
            let mut params = conservative();
            params.management_fee_bps = 0;
            let mut m = Model {
                acct: Accounting::new(SEED, SEED, 0).unwrap(),
                params,
                rate: StakePoolRate { total_lamports: 1_000_000_000_000, pool_token_supply: 1_000_000_000_000 },
                supply: SEED,
                now: 0,
                shares: [0; 3],
                deposited: [0; 3],
                withdrawn: [0; 3],
                entitled_gain: [0; 3],
                seed_and_gains: SEED as u128,
            };
            for op in ops {
                let before = m.price();
                match op {
                    Op::Deposit { user, lamports } => {
                        let Ok(minted) = shares_for_deposit_floor(lamports, m.supply, m.live()) else { continue };
                        if minted == 0 { continue; }
                        m.acct.record_deposit(lamports).unwrap();
                        m.supply += minted;
                        m.shares[user] += minted;
                        m.deposited[user] += lamports as u128;
                        // the depositor's rounding stays with the other holders
                        for other in (0..3).filter(|o| *o != user && m.shares[*o] > 0) {
                            m.entitled_gain[other] += 1;
                        }
                        prop_assert!(price_not_lower(before, m.price()), "deposit lowered the price");
                    }
                    Op::Withdraw { user, per_mille } => {
                        let burn = m.shares[user] * per_mille / 1000;
                        if burn == 0 { continue; }
                        let paid = lamports_for_shares_floor(burn, m.supply, m.free()).unwrap();
                        if paid == 0 || paid > m.acct.reserve_lamports { continue; }
                        // What the withdrawer leaves behind (unharvested or locked gains, and
                        // rounding) is a gain for whoever still holds shares.
                        let left_behind = lamports_for_shares_floor(burn, m.supply, m.live()).unwrap() - paid + 1;
                        for other in (0..3).filter(|o| *o != user && m.shares[*o] > 0) {
                            m.entitled_gain[other] += left_behind as u128;
                        }
                        m.acct.record_withdrawal(paid).unwrap();
                        m.supply -= burn;
                        m.shares[user] -= burn;
                        m.withdrawn[user] += paid as u128;
                        prop_assert!(price_not_lower(before, m.price()), "withdrawal lowered the price");
                    }
                    Op::Stake { per_mille } => {
                        let lamports = m.acct.reserve_lamports * per_mille / 1000;
                        let lst = m.rate.lamports_to_lst_floor(lamports).unwrap();
                        if lst == 0 { continue; }
                        m.acct.record_stake(lamports, lst).unwrap();
                        m.rate.total_lamports += lamports;
                        m.rate.pool_token_supply += lst;
                    }
                    Op::Reward { bps } => {
                        let live_before = m.live();
                        m.rate.total_lamports += m.rate.total_lamports / 10_000 * bps;
                        let gain = (m.live() - live_before) as u128;
                        for u in 0..3 {
                            if m.shares[u] > 0 {
                                m.entitled_gain[u] += gain;
                            }
                        }
                        m.seed_and_gains += gain;
                        prop_assert!(price_not_lower(before, m.price()), "an unharvested gain moved the price");
                    }
                    Op::Harvest => {
                        let outcome = m.acct.harvest(m.live(), m.supply, m.now, &m.params).unwrap();
                        m.supply += outcome.fee_shares;
                        prop_assert!(price_not_lower(before, m.price()), "harvest lowered the price");
                    }
                    Op::Wait { secs } => {
                        m.now += secs;
                        prop_assert!(price_not_lower(before, m.price()), "unlocking lowered the price");
                    }
                }
                // Everything all holders could redeem right now is backed.
                let redeemable: u128 = m.shares.iter().map(|s| lamports_for_shares_floor(*s, m.supply, m.free()).unwrap() as u128).sum();
                prop_assert!(redeemable <= m.free() as u128);
            }
            // All shares together, dead and fee shares included, are never worth more than what
            // went in plus what was really earned.
            let total_out: u128 = (0..3).map(|u| m.withdrawn[u]).sum::<u128>() + m.free() as u128;
            let total_in: u128 = m.deposited.iter().sum::<u128>() + m.seed_and_gains;
            prop_assert!(total_out <= total_in, "value created: {total_out} > {total_in}");
            // Each user, cashing out everything now, gets at most what they put in plus the
            // gains earned while they held shares.
            for u in 0..3 {
                let now_worth = lamports_for_shares_floor(m.shares[u], m.supply, m.free()).unwrap() as u128;
                prop_assert!(
                    m.withdrawn[u] + now_worth <= m.deposited[u] + m.entitled_gain[u],
                    "user {u}: out {} + {} > in {} + gains {}", m.withdrawn[u], now_worth, m.deposited[u], m.entitled_gain[u]
                );
            }
        }

        /// A loss is visible to withdrawers at once: nobody leaves at the pre-loss price.
        #[test]
        fn losses_count_before_they_are_harvested(loss_bps in 1u64..5_000, locked_secs in 0i64..200_000) {
            let params = conservative();
            let mut acct = Accounting::new(SEED, SEED, 0).unwrap();
            acct.record_deposit(1_000_000_000).unwrap();
            let supply = SEED + 1_000_000_000;
            let rate = StakePoolRate { total_lamports: 100, pool_token_supply: 100 };
            let live = total_assets_lamports_floor(&acct.holdings(), &Positions::default(), &rate).unwrap();
            // a gain, harvested and partly unlocked
            acct.harvest(live + live / 10, supply, 0, &params).unwrap();
            let live_after_gain = live + live / 10;
            let lossy_live = live_after_gain - live_after_gain / 10_000 * loss_bps;
            let free_now = acct.free_assets_lamports(lossy_live, locked_secs).unwrap();
            prop_assert!(free_now <= lossy_live);
            // and the harvest books it without moving the free price up
            let mut booked = acct;
            let fee_shares = booked.harvest(lossy_live, supply, locked_secs, &params).unwrap().fee_shares;
            let free_booked = booked.free_assets_lamports(lossy_live, locked_secs).unwrap();
            prop_assert!((free_booked as u128) * (supply as u128) <= (free_now as u128) * ((supply + fee_shares) as u128) + supply as u128);
        }
    }
}
