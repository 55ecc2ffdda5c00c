//! What the vault's holdings are worth in lamports. LST is valued at the stake-pool rate
//! (`total_lamports / pool_token_supply`), never at a market price, so a manipulated pool or
//! a donation cannot move the share price.
use anchor_lang::prelude::*;

use super::safe_math::{add, mul_div_ceil, mul_div_floor};

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

    /// Lamports that `lst_amount` pool tokens represent, rounded up: what the vault gives up
    /// when it parts with them.
    pub fn lst_to_lamports_ceil(&self, lst_amount: u64) -> Result<u64> {
        if self.pool_token_supply == 0 || self.total_lamports == 0 {
            return Ok(lst_amount);
        }
        mul_div_ceil(lst_amount, self.total_lamports, self.pool_token_supply)
    }

    /// Pool tokens worth at least `lamports` at the rate, rounded up.
    pub fn lamports_to_lst_ceil(&self, lamports: u64) -> Result<u64> {
        if self.pool_token_supply == 0 || self.total_lamports == 0 {
            return Ok(lamports);
        }
        mul_div_ceil(lamports, self.pool_token_supply, self.total_lamports)
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

/// The vault's share of the LST/SOL pool: what burning its pool tokens would return, each side
/// rounded down, and what they are worth, rounded down: the pool's reserves at its fair point for
/// the stake-pool rate (`math::pool_fair_value`), never more than the two sides at the rate and
/// never raised by a trade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolPosition {
    pub lst_amount: u64,
    pub lamports: u64,
    pub value_lamports: u64,
}

/// Everything the vault holds outside its own accounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Positions {
    pub lending: LendingPosition,
    pub pool: PoolPosition,
}

impl Positions {
    pub fn lending(lending: LendingPosition) -> Self {
        Self { lending, ..Default::default() }
    }
}

/// Total assets in lamports: reserve SOL + LST (held and lent) x stake-pool rate + the pool
/// share's fair value - debt, rounded down; zero if the debt exceeds everything. No LST is
/// valued at the pool's own price, and no trade can raise the pool share's value.
pub fn total_assets_lamports_floor(holdings: &Holdings, positions: &Positions, rate: &StakePoolRate) -> Result<u64> {
    let lst_amount = add(holdings.lst_amount, positions.lending.collateral_lst)?;
    let sol_lamports = add(holdings.reserve_lamports, positions.pool.value_lamports)?;
    let gross_lamports = add(sol_lamports, rate.lst_to_lamports_floor(lst_amount)?)?;
    Ok(gross_lamports.saturating_sub(positions.lending.debt_lamports))
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
        assert_eq!(rate.lst_to_lamports_ceil(10).unwrap(), 11);
        assert_eq!(rate.lamports_to_lst_ceil(11).unwrap(), 11); // 10.48 -> 11
        assert_eq!(rate.lamports_to_lst_floor(11).unwrap(), 10);
        let holdings = Holdings { reserve_lamports: 7, lst_amount: 100 };
        let none = Positions::default();
        assert_eq!(total_assets_lamports_floor(&holdings, &none, &rate).unwrap(), 7 + 105);
        let lent = Positions::lending(LendingPosition { collateral_lst: 1_000, debt_lamports: 800 });
        assert_eq!(total_assets_lamports_floor(&holdings, &lent, &rate).unwrap(), 7 + 1_155 - 800);
        let underwater = Positions::lending(LendingPosition { collateral_lst: 10, debt_lamports: 1_000 });
        assert_eq!(total_assets_lamports_floor(&holdings, &underwater, &rate).unwrap(), 0);
        // The pool share at its fair value, whatever its two sides hold now: 100 LST -> 105,
        // plus 7 + 1_200.
        let pooled = Positions {
            pool: PoolPosition { lst_amount: 900, lamports: 300, value_lamports: 1_200 },
            ..Default::default()
        };
        assert_eq!(total_assets_lamports_floor(&holdings, &pooled, &rate).unwrap(), 7 + 1_200 + 105);
    }

    #[test]
    fn overflowing_holdings_error() {
        let rate = StakePoolRate { total_lamports: u64::MAX, pool_token_supply: 1 };
        assert!(rate.lst_to_lamports_floor(2).is_err());
        let holdings = Holdings { reserve_lamports: u64::MAX, lst_amount: 1 };
        assert!(total_assets_lamports_floor(&holdings, &Positions::default(), &rate).is_err());
    }
}
