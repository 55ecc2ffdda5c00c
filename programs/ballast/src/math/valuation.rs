//! What the vault's holdings are worth in lamports. LST is valued at the stake-pool rate
//! (`total_lamports / pool_token_supply`), never at a market price, so a manipulated pool or
//! a donation cannot move the share price.
use anchor_lang::prelude::*;

use super::safe_math::{add, mul_div_floor};

/// The stake-pool exchange rate as the pool itself accounts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StakePoolRate {
    pub total_lamports: u64,
    pub pool_token_supply: u64,
}

impl StakePoolRate {
    /// Lamports that `lst_amount` pool tokens represent, rounded down. An empty pool is valued
    /// at one lamport per token, as the stake-pool program itself mints the first deposit 1:1.
    pub fn lst_to_lamports_floor(&self, lst_amount: u64) -> Result<u64> {
        if self.pool_token_supply == 0 || self.total_lamports == 0 {
            return Ok(lst_amount);
        }
        mul_div_floor(lst_amount, self.total_lamports, self.pool_token_supply)
    }

    /// Pool tokens the stake pool mints for `lamports` before its own fees, rounded down,
    /// exactly as `StakePool::calc_pool_tokens_for_deposit`.
    pub fn lamports_to_lst_floor(&self, lamports: u64) -> Result<u64> {
        if self.pool_token_supply == 0 || self.total_lamports == 0 {
            return Ok(lamports);
        }
        mul_div_floor(lamports, self.pool_token_supply, self.total_lamports)
    }
}

/// Holdings the vault has accounted for, each in its own unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    pub reserve_lamports: u64,
    pub lst_amount: u64,
}

/// The lending position as the lending program would value it now: collateral redeemable for
/// `collateral_lst` (rounded down), `debt_lamports` owed (rounded up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LendingPosition {
    pub collateral_lst: u64,
    pub debt_lamports: u64,
}

/// Total assets in lamports: SOL reserve + (held and lent LST) x stake-pool rate - debt, rounded
/// down; zero if the debt exceeds everything.
pub fn total_assets_lamports_floor(
    holdings: &Holdings,
    lending: &LendingPosition,
    rate: &StakePoolRate,
) -> Result<u64> {
    let lst_amount = add(holdings.lst_amount, lending.collateral_lst)?;
    let gross_lamports = add(holdings.reserve_lamports, rate.lst_to_lamports_floor(lst_amount)?)?;
    Ok(gross_lamports.saturating_sub(lending.debt_lamports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lst_valued_at_pool_rate_rounded_down() {
        let rate = StakePoolRate { total_lamports: 1_050, pool_token_supply: 1_000 };
        assert_eq!(rate.lst_to_lamports_floor(10).unwrap(), 10); // 10.5 -> 10
        assert_eq!(rate.lst_to_lamports_floor(1_000).unwrap(), 1_050);
        assert_eq!(rate.lamports_to_lst_floor(1_050).unwrap(), 1_000);
        let holdings = Holdings { reserve_lamports: 7, lst_amount: 100 };
        let none = LendingPosition::default();
        assert_eq!(total_assets_lamports_floor(&holdings, &none, &rate).unwrap(), 7 + 105);
        let lent = LendingPosition { collateral_lst: 1_000, debt_lamports: 800 };
        assert_eq!(total_assets_lamports_floor(&holdings, &lent, &rate).unwrap(), 7 + 1_155 - 800);
        let underwater = LendingPosition { collateral_lst: 10, debt_lamports: 1_000 };
        assert_eq!(total_assets_lamports_floor(&holdings, &underwater, &rate).unwrap(), 0);
    }

    #[test]
    fn overflowing_holdings_error() {
        let rate = StakePoolRate { total_lamports: u64::MAX, pool_token_supply: 1 };
        assert!(rate.lst_to_lamports_floor(2).is_err());
        let holdings = Holdings { reserve_lamports: u64::MAX, lst_amount: 1 };
        assert!(total_assets_lamports_floor(&holdings, &LendingPosition::default(), &rate).is_err());
    }
}
