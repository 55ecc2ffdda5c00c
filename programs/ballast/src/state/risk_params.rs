//! The parameters a DAO governs, and the hard bounds no vote can cross. Bounds are checked when
//! a change is proposed and again when it is executed.
use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::VaultError;

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(deny_unknown_fields))]
pub struct RiskParams {
    /// Highest leverage the allocator may reach, in bps of 1x (20_000 = 2x).
    pub max_leverage_bps: u32,
    /// The band the allocator keeps the loan-to-value in.
    pub target_ltv_low_bps: u16,
    pub target_ltv_high_bps: u16,
    /// Anyone may unwind above this LTV; it must sit below the market's liquidation threshold.
    pub unwind_trigger_ltv_bps: u16,
    /// An unwind must bring the LTV down to at most this.
    pub unwind_target_ltv_bps: u16,
    pub max_oracle_age_secs: u32,
    pub max_conf_bps: u16,
    /// Largest gap between the market LST/SOL price and the stake-pool rate.
    pub max_depeg_bps: u16,
    /// Largest shortfall against the stake-pool rate a conversion may have: deposits into and
    /// withdrawals through the pool, and pool liquidity moves.
    pub max_slippage_bps: u16,
    /// Largest shortfall against the stake-pool rate an unwind's sale or unstake may have. Kept
    /// small (at most `MAX_UNWIND_SLIPPAGE_BPS`): it bounds what a caller who sandwiches the
    /// unwind can take.
    pub unwind_slippage_bps: u16,
    pub keeper_reward_bps: u16,
    pub max_lending_alloc_bps: u16,
    pub max_pool_alloc_bps: u16,
    pub min_sol_reserve_bps: u16,
    pub management_fee_bps: u16,
    pub performance_fee_bps: u16,
    pub withdrawal_fee_bps: u16,
    pub profit_unlock_secs: u32,
    pub timelock_secs: u32,
    pub deposit_cap_lamports: u64,
}

impl RiskParams {
    /// Every bound, each with its own error.
    pub fn validate(&self) -> Result<()> {
        require!(self.management_fee_bps <= MAX_MANAGEMENT_FEE_BPS, VaultError::FeeAboveCap);
        require!(self.performance_fee_bps <= MAX_PERFORMANCE_FEE_BPS, VaultError::FeeAboveCap);
        require!(self.withdrawal_fee_bps <= MAX_WITHDRAWAL_FEE_BPS, VaultError::FeeAboveCap);
        require!(self.keeper_reward_bps <= MAX_KEEPER_REWARD_BPS, VaultError::FeeAboveCap);

        require!(
            self.target_ltv_low_bps <= self.target_ltv_high_bps
                && self.target_ltv_high_bps < self.unwind_trigger_ltv_bps
                && self.unwind_target_ltv_bps <= self.target_ltv_high_bps
                && self.unwind_trigger_ltv_bps <= MAX_LTV_BPS,
            VaultError::LtvBoundsInvalid
        );
        // leverage = 1 / (1 - ltv): the cap may not allow more than the trigger LTV implies.
        let trigger_leverage_bps = (BPS_DENOMINATOR as u128 * BPS_DENOMINATOR as u128)
            / (BPS_DENOMINATOR as u128 - self.unwind_trigger_ltv_bps as u128);
        require!(
            self.max_leverage_bps >= BPS_DENOMINATOR as u32
                && self.max_leverage_bps <= MAX_LEVERAGE_BPS
                && self.max_leverage_bps as u128 <= trigger_leverage_bps,
            VaultError::LeverageBoundInvalid
        );

        require!(
            (1..=MAX_ORACLE_AGE_SECS).contains(&self.max_oracle_age_secs)
                && (1..=MAX_CONF_BPS).contains(&self.max_conf_bps)
                && (1..=MAX_DEPEG_BPS).contains(&self.max_depeg_bps),
            VaultError::OracleBoundInvalid
        );
        require!(
            (1..=MAX_SLIPPAGE_BPS).contains(&self.max_slippage_bps)
                && (1..=MAX_UNWIND_SLIPPAGE_BPS).contains(&self.unwind_slippage_bps),
            VaultError::SlippageBoundInvalid
        );

        let whole = BPS_DENOMINATOR as u16;
        require!(
            self.max_lending_alloc_bps <= whole
                && self.max_pool_alloc_bps <= whole
                && self.min_sol_reserve_bps <= whole
                && self.min_sol_reserve_bps as u32 + self.max_pool_alloc_bps as u32 <= whole as u32,
            VaultError::AllocationCapInvalid
        );
        require!((MIN_TIMELOCK_SECS..=MAX_TIMELOCK_SECS).contains(&self.timelock_secs), VaultError::TimelockInvalid);
        require!(self.profit_unlock_secs <= MAX_PROFIT_UNLOCK_SECS, VaultError::ProfitUnlockInvalid);
        Ok(())
    }
}

impl RiskParams {
    /// The unwind trigger against the lending market's LST reserve: below its liquidation
    /// threshold (else the market liquidates before anyone may unwind), and at least
    /// `MIN_TRIGGER_MARGIN_BELOW_BORROW_LIMIT_BPS` below its borrow limit (else the market refuses
    /// the unwind's first collateral withdrawal exactly when it is needed). Both in percent, as
    /// the reserve stores them.
    pub fn check_trigger_for_market(&self, borrow_limit_pct: u8, liquidation_threshold_pct: u8) -> Result<()> {
        let trigger_bps = self.unwind_trigger_ltv_bps as u32;
        require!(trigger_bps < liquidation_threshold_pct as u32 * 100, VaultError::TriggerAboveLiquidationThreshold);
        require!(
            trigger_bps + MIN_TRIGGER_MARGIN_BELOW_BORROW_LIMIT_BPS as u32 <= borrow_limit_pct as u32 * 100,
            VaultError::TriggerTooCloseToBorrowLimit
        );
        Ok(())
    }
}

/// A proposed change and the time it may take effect.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingRiskParams {
    pub params: RiskParams,
    pub eta_unix: i64,
}

#[cfg(test)]
pub mod fixtures {
    use super::*;

    /// A conservative, valid parameter set.
    pub fn conservative() -> RiskParams {
        RiskParams {
            max_leverage_bps: 30_000,
            target_ltv_low_bps: 5_000,
            target_ltv_high_bps: 6_500,
            unwind_trigger_ltv_bps: 7_500,
            unwind_target_ltv_bps: 6_000,
            max_oracle_age_secs: 60,
            max_conf_bps: 200,
            max_depeg_bps: 300,
            max_slippage_bps: 100,
            unwind_slippage_bps: 20,
            keeper_reward_bps: 10,
            max_lending_alloc_bps: 8_000,
            max_pool_alloc_bps: 2_000,
            min_sol_reserve_bps: 500,
            management_fee_bps: 100,
            performance_fee_bps: 1_000,
            withdrawal_fee_bps: 10,
            profit_unlock_secs: 86_400,
            timelock_secs: 172_800,
            deposit_cap_lamports: 1_000_000_000_000_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::conservative;
    use super::*;

    fn err_of(p: RiskParams) -> Error {
        p.validate().unwrap_err()
    }

    #[test]
    fn conservative_params_are_valid() {
        conservative().validate().unwrap();
    }

    #[test]
    fn the_trigger_sits_below_the_markets_borrow_limit_and_liquidation_threshold() {
        let p = RiskParams { unwind_trigger_ltv_bps: 8_400, ..conservative() };
        p.check_trigger_for_market(85, 90).unwrap();
        // 86% on an 85%/90% market: below the liquidation line, above the borrow limit.
        let p = RiskParams { unwind_trigger_ltv_bps: 8_600, ..conservative() };
        assert_eq!(p.check_trigger_for_market(85, 90).unwrap_err(), VaultError::TriggerTooCloseToBorrowLimit.into());
        let p = RiskParams { unwind_trigger_ltv_bps: 8_401, ..conservative() };
        assert_eq!(p.check_trigger_for_market(85, 90).unwrap_err(), VaultError::TriggerTooCloseToBorrowLimit.into());
        let p = RiskParams { unwind_trigger_ltv_bps: 9_000, ..conservative() };
        assert_eq!(
            p.check_trigger_for_market(95, 90).unwrap_err(),
            VaultError::TriggerAboveLiquidationThreshold.into()
        );
    }

    #[test]
    fn each_bound_has_its_error() {
        type Case = (fn(&mut RiskParams), VaultError);
        let cases: Vec<Case> = vec![
            (|p| p.management_fee_bps = MAX_MANAGEMENT_FEE_BPS + 1, VaultError::FeeAboveCap),
            (|p| p.performance_fee_bps = MAX_PERFORMANCE_FEE_BPS + 1, VaultError::FeeAboveCap),
            (|p| p.withdrawal_fee_bps = MAX_WITHDRAWAL_FEE_BPS + 1, VaultError::FeeAboveCap),
            (|p| p.keeper_reward_bps = MAX_KEEPER_REWARD_BPS + 1, VaultError::FeeAboveCap),
            (|p| p.unwind_trigger_ltv_bps = 6_000, VaultError::LtvBoundsInvalid),
            (|p| p.unwind_trigger_ltv_bps = MAX_LTV_BPS + 1, VaultError::LtvBoundsInvalid),
            (|p| p.target_ltv_low_bps = 7_000, VaultError::LtvBoundsInvalid),
            (|p| p.unwind_target_ltv_bps = 7_000, VaultError::LtvBoundsInvalid),
            (|p| p.max_leverage_bps = 9_999, VaultError::LeverageBoundInvalid),
            (|p| p.max_leverage_bps = 40_001, VaultError::LeverageBoundInvalid),
            (|p| p.max_oracle_age_secs = 0, VaultError::OracleBoundInvalid),
            (|p| p.max_conf_bps = 0, VaultError::OracleBoundInvalid),
            (|p| p.max_depeg_bps = MAX_DEPEG_BPS + 1, VaultError::OracleBoundInvalid),
            (|p| p.max_slippage_bps = 0, VaultError::SlippageBoundInvalid),
            (|p| p.unwind_slippage_bps = 0, VaultError::SlippageBoundInvalid),
            (|p| p.unwind_slippage_bps = MAX_UNWIND_SLIPPAGE_BPS + 1, VaultError::SlippageBoundInvalid),
            (|p| p.max_pool_alloc_bps = 10_001, VaultError::AllocationCapInvalid),
            (|p| p.min_sol_reserve_bps = 8_001, VaultError::AllocationCapInvalid),
            (|p| p.timelock_secs = MIN_TIMELOCK_SECS - 1, VaultError::TimelockInvalid),
            (|p| p.timelock_secs = MAX_TIMELOCK_SECS + 1, VaultError::TimelockInvalid),
            (|p| p.profit_unlock_secs = MAX_PROFIT_UNLOCK_SECS + 1, VaultError::ProfitUnlockInvalid),
        ];
        for (mutate, expected) in cases {
            let mut p = conservative();
            mutate(&mut p);
            assert_eq!(err_of(p), expected.into(), "{p:?}");
        }
    }
}
