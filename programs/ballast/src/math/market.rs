//! Combining the two USD feeds into an LST/SOL price, the depeg guard against the stake-pool
//! rate, and the conservative price that risk checks value collateral at.
use anchor_lang::prelude::*;
use fixed::types::U64F64;

use super::safe_math::overflow;
use super::valuation::StakePoolRate;
use crate::constants::BPS_DENOMINATOR;
use crate::errors::VaultError;
use crate::oracle::OraclePrice;

/// SOL per LST as the market prices it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LstSolPrice {
    /// lst_usd / sol_usd
    pub mid: U64F64,
    /// (lst_usd - conf) / (sol_usd + conf): the lowest the market price plausibly is.
    pub low: U64F64,
}

pub fn lst_sol_price(lst_usd: &OraclePrice, sol_usd: &OraclePrice) -> Result<LstSolPrice> {
    let mid = lst_usd.price.checked_div(sol_usd.price).ok_or_else(overflow)?;
    let sol_high = sol_usd.price.checked_add(sol_usd.conf).ok_or_else(overflow)?;
    let low = lst_usd.price.saturating_sub(lst_usd.conf).checked_div(sol_high).ok_or_else(overflow)?;
    Ok(LstSolPrice { mid, low })
}

impl StakePoolRate {
    /// SOL per LST as the stake pool accounts it.
    pub fn sol_per_lst(&self) -> Result<U64F64> {
        if self.pool_token_supply == 0 || self.total_lamports == 0 {
            return Ok(U64F64::ONE);
        }
        U64F64::from_num(self.total_lamports).checked_div(U64F64::from_num(self.pool_token_supply)).ok_or_else(overflow)
    }
}

/// The market price may sit at most `max_depeg_bps` away from the stake-pool rate, either way:
/// below, the LST is depegging; above, one of the feeds is wrong.
pub fn check_depeg(market: &LstSolPrice, stake_rate_sol_per_lst: U64F64, max_depeg_bps: u16) -> Result<()> {
    let gap = if market.mid > stake_rate_sol_per_lst {
        market.mid - stake_rate_sol_per_lst
    } else {
        stake_rate_sol_per_lst - market.mid
    };
    let limit = stake_rate_sol_per_lst
        .checked_mul(U64F64::from_num(max_depeg_bps))
        .and_then(|x| x.checked_div(U64F64::from_num(BPS_DENOMINATOR)))
        .ok_or_else(overflow)?;
    require!(gap <= limit, VaultError::OracleDepegTooLarge);
    Ok(())
}

/// The price risk checks value LST collateral at: the lower of the stake-pool rate and the
/// market's confidence-adjusted low.
pub fn conservative_sol_per_lst(market: &LstSolPrice, stake_rate_sol_per_lst: U64F64) -> U64F64 {
    market.low.min(stake_rate_sol_per_lst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(price: f64, conf: f64) -> OraclePrice {
        OraclePrice { price: U64F64::from_num(price), conf: U64F64::from_num(conf), publish_time: 0 }
    }

    #[test]
    fn market_price_and_its_low() {
        let p = lst_sol_price(&usd(165.0, 0.5), &usd(150.0, 0.5)).unwrap();
        assert!((p.mid.to_num::<f64>() - 1.1).abs() < 1e-12);
        assert!((p.low.to_num::<f64>() - 164.5 / 150.5).abs() < 1e-12);
    }

    #[test]
    fn depeg_is_bounded_both_ways() {
        let rate = U64F64::from_num(1.1);
        let near = lst_sol_price(&usd(164.0, 0.0), &usd(150.0, 0.0)).unwrap(); // 1.0933: -0.6%
        check_depeg(&near, rate, 100).unwrap();
        assert_eq!(check_depeg(&near, rate, 50).unwrap_err(), VaultError::OracleDepegTooLarge.into());
        let above = lst_sol_price(&usd(170.0, 0.0), &usd(150.0, 0.0)).unwrap(); // 1.1333: +3%
        assert_eq!(check_depeg(&above, rate, 200).unwrap_err(), VaultError::OracleDepegTooLarge.into());
    }

    #[test]
    fn conservative_price_is_the_lower_one() {
        let rate = U64F64::from_num(1.1);
        let depegged = lst_sol_price(&usd(150.0, 1.0), &usd(150.0, 1.0)).unwrap();
        assert_eq!(conservative_sol_per_lst(&depegged, rate), depegged.low);
        let premium = lst_sol_price(&usd(180.0, 0.0), &usd(150.0, 0.0)).unwrap();
        assert_eq!(conservative_sol_per_lst(&premium, rate), rate);
    }
}
