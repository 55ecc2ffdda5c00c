//! Save's account layouts as deployed (program version 1): the lending market (290 bytes), the
//! reserve (619) and the obligation (1,300), written from Save's public layout as plain data.
//! Every field is kept as stored, so `pack(unpack(bytes))` gives the bytes back; where Save's
//! own unpack adjusts a stored value (a cap, a floor, a default), an accessor says so and
//! applies it. Tests check each layout against accounts the deployed binary wrote.
use anchor_lang::prelude::*;
use arrayref::{array_mut_ref, array_ref, array_refs, mut_array_refs};
use spl_token_lending::math::Decimal;

use crate::errors::VaultError;

/// The account version the deployed program writes and reads.
pub const PROGRAM_VERSION: u8 = 1;
/// Deposits and borrows an obligation holds together, at most.
pub const MAX_OBLIGATION_RESERVES: usize = 10;
/// Save's "no oracle" key: a reserve priced by Pyth alone names it as its Switchboard feed.
pub const NULL_PUBKEY: Pubkey = pubkey!("nu11111111111111111111111111111111111111111");

fn invalid() -> Error {
    error!(VaultError::LendingAccountInvalid)
}

fn decimal(bytes: &[u8; 16]) -> Decimal {
    Decimal::from_scaled_val(u128::from_le_bytes(*bytes))
}

fn put_decimal(value: Decimal, dst: &mut [u8; 16]) -> Result<()> {
    let scaled: u128 = value.to_scaled_val().map_err(|_| invalid())?;
    *dst = scaled.to_le_bytes();
    Ok(())
}

fn flag(byte: &[u8; 1]) -> Result<bool> {
    match byte[0] {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(invalid()),
    }
}

fn pubkey(bytes: &[u8; 32]) -> Pubkey {
    Pubkey::new_from_array(*bytes)
}

/// All zero: no key.
fn optional_pubkey(bytes: &[u8; 32]) -> Option<Pubkey> {
    (bytes != &[0u8; 32]).then(|| Pubkey::new_from_array(*bytes))
}

fn put_optional_pubkey(key: Option<Pubkey>) -> [u8; 32] {
    key.map(|k| k.to_bytes()).unwrap_or([0u8; 32])
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastUpdate {
    pub slot: u64,
    pub stale: bool,
}

/// An outflow limit over a sliding window of slots (the market's in quote currency, a
/// reserve's in tokens). A window of 0 slots disables it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimiter {
    pub max_outflow: u64,
    pub window_duration_slots: u64,
    pub prev_qty: Decimal,
    pub window_start_slot: u64,
    pub cur_qty: Decimal,
}

impl RateLimiter {
    pub const LEN: usize = 56;

    fn unpack(src: &[u8; 56]) -> Self {
        let (max_outflow, window, prev_qty, window_start, cur_qty) = array_refs![src, 8, 8, 16, 8, 16];
        Self {
            max_outflow: u64::from_le_bytes(*max_outflow),
            window_duration_slots: u64::from_le_bytes(*window),
            prev_qty: decimal(prev_qty),
            window_start_slot: u64::from_le_bytes(*window_start),
            cur_qty: decimal(cur_qty),
        }
    }

    fn pack(&self, dst: &mut [u8; 56]) -> Result<()> {
        let (max_outflow, window, prev_qty, window_start, cur_qty) = mut_array_refs![dst, 8, 8, 16, 8, 16];
        *max_outflow = self.max_outflow.to_le_bytes();
        *window = self.window_duration_slots.to_le_bytes();
        put_decimal(self.prev_qty, prev_qty)?;
        *window_start = self.window_start_slot.to_le_bytes();
        put_decimal(self.cur_qty, cur_qty)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LendingMarket {
    pub version: u8,
    pub bump_seed: u8,
    pub owner: Pubkey,
    pub quote_currency: [u8; 32],
    pub token_program_id: Pubkey,
    /// The legacy Pyth program the market's reserves read (as chosen at `InitLendingMarket`).
    pub oracle_program_id: Pubkey,
    pub switchboard_oracle_program_id: Pubkey,
    /// In quote currency.
    pub rate_limiter: RateLimiter,
    /// When set, the only key that may liquidate in this market.
    pub whitelisted_liquidator: Option<Pubkey>,
    /// As stored: all zero reads as the owner (see `risk_authority`).
    pub risk_authority_raw: Pubkey,
}

impl LendingMarket {
    pub const LEN: usize = 290;

    pub fn unpack(data: &[u8]) -> Result<Self> {
        let src: &[u8; Self::LEN] = data.try_into().map_err(|_| invalid())?;
        #[rustfmt::skip]
        let (version, bump_seed, owner, quote_currency, token_program_id, oracle_program_id,
             switchboard_oracle_program_id, rate_limiter, whitelisted_liquidator, risk_authority, _padding) =
            array_refs![src, 1, 1, 32, 32, 32, 32, 32, RateLimiter::LEN, 32, 32, 8];
        require!(version[0] == PROGRAM_VERSION, VaultError::LendingAccountInvalid);
        Ok(Self {
            version: version[0],
            bump_seed: bump_seed[0],
            owner: pubkey(owner),
            quote_currency: *quote_currency,
            token_program_id: pubkey(token_program_id),
            oracle_program_id: pubkey(oracle_program_id),
            switchboard_oracle_program_id: pubkey(switchboard_oracle_program_id),
            rate_limiter: RateLimiter::unpack(rate_limiter),
            whitelisted_liquidator: optional_pubkey(whitelisted_liquidator),
            risk_authority_raw: pubkey(risk_authority),
        })
    }

    /// Writes every field over `dst` (padding is left as it is, as the program leaves it).
    pub fn pack(&self, dst: &mut [u8]) -> Result<()> {
        let dst: &mut [u8; Self::LEN] = dst.try_into().map_err(|_| invalid())?;
        #[rustfmt::skip]
        let (version, bump_seed, owner, quote_currency, token_program_id, oracle_program_id,
             switchboard_oracle_program_id, rate_limiter, whitelisted_liquidator, risk_authority, _padding) =
            mut_array_refs![dst, 1, 1, 32, 32, 32, 32, 32, RateLimiter::LEN, 32, 32, 8];
        version[0] = self.version;
        bump_seed[0] = self.bump_seed;
        *owner = self.owner.to_bytes();
        *quote_currency = self.quote_currency;
        *token_program_id = self.token_program_id.to_bytes();
        *oracle_program_id = self.oracle_program_id.to_bytes();
        *switchboard_oracle_program_id = self.switchboard_oracle_program_id.to_bytes();
        self.rate_limiter.pack(rate_limiter)?;
        *whitelisted_liquidator = put_optional_pubkey(self.whitelisted_liquidator);
        *risk_authority = self.risk_authority_raw.to_bytes();
        Ok(())
    }

    pub fn risk_authority(&self) -> Pubkey {
        if self.risk_authority_raw == Pubkey::default() {
            self.owner
        } else {
            self.risk_authority_raw
        }
    }
}

/// A reserve's configuration, as stored. Percentages are whole percent unless named otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReserveConfig {
    pub optimal_utilization_pct: u8,
    /// As stored; Save reads it no lower than the optimal utilization (`max_utilization_pct`).
    pub max_utilization_pct_raw: u8,
    pub loan_to_value_pct: u8,
    pub liquidation_bonus_pct: u8,
    /// As stored; Save reads it no lower than the liquidation bonus.
    pub max_liquidation_bonus_pct_raw: u8,
    pub liquidation_threshold_pct: u8,
    /// As stored; Save reads it no lower than the liquidation threshold.
    pub max_liquidation_threshold_pct_raw: u8,
    pub min_borrow_rate_pct: u8,
    pub optimal_borrow_rate_pct: u8,
    pub max_borrow_rate_pct: u8,
    /// As stored; Save reads it no lower than the max borrow rate.
    pub super_max_borrow_rate_pct_raw: u64,
    /// Of the amount borrowed, scaled by 10^18.
    pub borrow_fee_wad: u64,
    pub flash_loan_fee_wad: u64,
    pub host_fee_pct: u8,
    /// In tokens.
    pub deposit_limit: u64,
    /// In tokens.
    pub borrow_limit: u64,
    pub fee_receiver: Pubkey,
    /// As stored, in tenths of a percent; Save reads it capped at 5%.
    pub protocol_liquidation_fee_deca_bps_raw: u8,
    pub protocol_take_rate_pct: u8,
    pub added_borrow_weight_bps: u64,
    /// 0: regular, 1: isolated (may only be borrowed alone, has no collateral value).
    pub reserve_type: u8,
    pub scaled_price_offset_bps: i64,
    pub extra_oracle: Option<Pubkey>,
    /// In quote currency; as stored, 0 reads as no limit.
    pub attributed_borrow_limit_open_raw: u64,
    pub attributed_borrow_limit_close_raw: u64,
}

impl ReserveConfig {
    pub fn max_utilization_pct(&self) -> u8 {
        self.max_utilization_pct_raw.max(self.optimal_utilization_pct)
    }
    pub fn max_liquidation_threshold_pct(&self) -> u8 {
        self.max_liquidation_threshold_pct_raw.max(self.liquidation_threshold_pct)
    }
    pub fn max_liquidation_bonus_pct(&self) -> u8 {
        self.max_liquidation_bonus_pct_raw.max(self.liquidation_bonus_pct)
    }
    pub fn super_max_borrow_rate_pct(&self) -> u64 {
        self.super_max_borrow_rate_pct_raw.max(u64::from(self.max_borrow_rate_pct))
    }
    pub fn protocol_liquidation_fee_deca_bps(&self) -> u8 {
        self.protocol_liquidation_fee_deca_bps_raw.min(50)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserve {
    pub version: u8,
    pub last_update: LastUpdate,
    pub lending_market: Pubkey,
    pub liquidity_mint: Pubkey,
    pub liquidity_mint_decimals: u8,
    pub liquidity_supply: Pubkey,
    pub pyth_oracle: Pubkey,
    pub switchboard_oracle: Pubkey,
    pub available_amount: u64,
    pub borrowed_amount_wads: Decimal,
    pub cumulative_borrow_rate_wads: Decimal,
    /// Spot price of one whole token in quote currency, times the price offset.
    pub market_price: Decimal,
    /// The oracle's EMA, times the price offset.
    pub smoothed_market_price: Decimal,
    pub accumulated_protocol_fees_wads: Decimal,
    pub extra_market_price: Option<Decimal>,
    pub collateral_mint: Pubkey,
    pub collateral_mint_total_supply: u64,
    pub collateral_supply: Pubkey,
    pub config: ReserveConfig,
    /// In tokens.
    pub rate_limiter: RateLimiter,
    /// In quote currency.
    pub attributed_borrow_value: Decimal,
}

impl Reserve {
    pub const LEN: usize = 619;

    pub fn unpack(data: &[u8]) -> Result<Self> {
        let src: &[u8; Self::LEN] = data.try_into().map_err(|_| invalid())?;
        #[rustfmt::skip]
        let (
            version, last_slot, stale, lending_market,
            mint, mint_decimals, supply, pyth_oracle, switchboard_oracle, available, borrowed, cumulative_rate,
            market_price,
            collateral_mint, collateral_supply_total, collateral_supply,
            optimal_util, ltv, liq_bonus, liq_threshold, min_rate, optimal_rate, max_rate,
            borrow_fee, flash_fee, host_fee, deposit_limit, borrow_limit, fee_receiver,
            protocol_liq_fee, take_rate, protocol_fees, rate_limiter, borrow_weight, smoothed_price,
            reserve_type, max_util, super_max_rate, max_liq_bonus, max_liq_threshold, price_offset,
            extra_oracle, extra_price_flag, extra_price, attributed_value, attributed_open, attributed_close,
            _padding,
        ) = array_refs![src,
            1, 8, 1, 32,
            32, 1, 32, 32, 32, 8, 16, 16,
            16,
            32, 8, 32,
            1, 1, 1, 1, 1, 1, 1,
            8, 8, 1, 8, 8, 32,
            1, 1, 16, RateLimiter::LEN, 8, 16,
            1, 1, 8, 1, 1, 8,
            32, 1, 16, 16, 8, 8,
            49
        ];
        require!(version[0] == PROGRAM_VERSION, VaultError::LendingAccountInvalid);
        Ok(Self {
            version: version[0],
            last_update: LastUpdate { slot: u64::from_le_bytes(*last_slot), stale: flag(stale)? },
            lending_market: pubkey(lending_market),
            liquidity_mint: pubkey(mint),
            liquidity_mint_decimals: mint_decimals[0],
            liquidity_supply: pubkey(supply),
            pyth_oracle: pubkey(pyth_oracle),
            switchboard_oracle: pubkey(switchboard_oracle),
            available_amount: u64::from_le_bytes(*available),
            borrowed_amount_wads: decimal(borrowed),
            cumulative_borrow_rate_wads: decimal(cumulative_rate),
            market_price: decimal(market_price),
            smoothed_market_price: decimal(smoothed_price),
            accumulated_protocol_fees_wads: decimal(protocol_fees),
            extra_market_price: flag(extra_price_flag)?.then(|| decimal(extra_price)),
            collateral_mint: pubkey(collateral_mint),
            collateral_mint_total_supply: u64::from_le_bytes(*collateral_supply_total),
            collateral_supply: pubkey(collateral_supply),
            config: ReserveConfig {
                optimal_utilization_pct: optimal_util[0],
                max_utilization_pct_raw: max_util[0],
                loan_to_value_pct: ltv[0],
                liquidation_bonus_pct: liq_bonus[0],
                max_liquidation_bonus_pct_raw: max_liq_bonus[0],
                liquidation_threshold_pct: liq_threshold[0],
                max_liquidation_threshold_pct_raw: max_liq_threshold[0],
                min_borrow_rate_pct: min_rate[0],
                optimal_borrow_rate_pct: optimal_rate[0],
                max_borrow_rate_pct: max_rate[0],
                super_max_borrow_rate_pct_raw: u64::from_le_bytes(*super_max_rate),
                borrow_fee_wad: u64::from_le_bytes(*borrow_fee),
                flash_loan_fee_wad: u64::from_le_bytes(*flash_fee),
                host_fee_pct: host_fee[0],
                deposit_limit: u64::from_le_bytes(*deposit_limit),
                borrow_limit: u64::from_le_bytes(*borrow_limit),
                fee_receiver: pubkey(fee_receiver),
                protocol_liquidation_fee_deca_bps_raw: protocol_liq_fee[0],
                protocol_take_rate_pct: take_rate[0],
                added_borrow_weight_bps: u64::from_le_bytes(*borrow_weight),
                reserve_type: reserve_type[0],
                scaled_price_offset_bps: i64::from_le_bytes(*price_offset),
                extra_oracle: optional_pubkey(extra_oracle),
                attributed_borrow_limit_open_raw: u64::from_le_bytes(*attributed_open),
                attributed_borrow_limit_close_raw: u64::from_le_bytes(*attributed_close),
            },
            rate_limiter: RateLimiter::unpack(rate_limiter),
            attributed_borrow_value: decimal(attributed_value),
        })
    }

    /// Writes every field over `dst` (padding is left as it is).
    pub fn pack(&self, dst: &mut [u8]) -> Result<()> {
        let dst: &mut [u8; Self::LEN] = dst.try_into().map_err(|_| invalid())?;
        #[rustfmt::skip]
        let (
            version, last_slot, stale, lending_market,
            mint, mint_decimals, supply, pyth_oracle, switchboard_oracle, available, borrowed, cumulative_rate,
            market_price,
            collateral_mint, collateral_supply_total, collateral_supply,
            optimal_util, ltv, liq_bonus, liq_threshold, min_rate, optimal_rate, max_rate,
            borrow_fee, flash_fee, host_fee, deposit_limit, borrow_limit, fee_receiver,
            protocol_liq_fee, take_rate, protocol_fees, rate_limiter, borrow_weight, smoothed_price,
            reserve_type, max_util, super_max_rate, max_liq_bonus, max_liq_threshold, price_offset,
            extra_oracle, extra_price_flag, extra_price, attributed_value, attributed_open, attributed_close,
            _padding,
        ) = mut_array_refs![dst,
            1, 8, 1, 32,
            32, 1, 32, 32, 32, 8, 16, 16,
            16,
            32, 8, 32,
            1, 1, 1, 1, 1, 1, 1,
            8, 8, 1, 8, 8, 32,
            1, 1, 16, RateLimiter::LEN, 8, 16,
            1, 1, 8, 1, 1, 8,
            32, 1, 16, 16, 8, 8,
            49
        ];
        let c = &self.config;
        version[0] = self.version;
        *last_slot = self.last_update.slot.to_le_bytes();
        stale[0] = u8::from(self.last_update.stale);
        *lending_market = self.lending_market.to_bytes();
        *mint = self.liquidity_mint.to_bytes();
        mint_decimals[0] = self.liquidity_mint_decimals;
        *supply = self.liquidity_supply.to_bytes();
        *pyth_oracle = self.pyth_oracle.to_bytes();
        *switchboard_oracle = self.switchboard_oracle.to_bytes();
        *available = self.available_amount.to_le_bytes();
        put_decimal(self.borrowed_amount_wads, borrowed)?;
        put_decimal(self.cumulative_borrow_rate_wads, cumulative_rate)?;
        put_decimal(self.market_price, market_price)?;
        *collateral_mint = self.collateral_mint.to_bytes();
        *collateral_supply_total = self.collateral_mint_total_supply.to_le_bytes();
        *collateral_supply = self.collateral_supply.to_bytes();
        optimal_util[0] = c.optimal_utilization_pct;
        ltv[0] = c.loan_to_value_pct;
        liq_bonus[0] = c.liquidation_bonus_pct;
        liq_threshold[0] = c.liquidation_threshold_pct;
        min_rate[0] = c.min_borrow_rate_pct;
        optimal_rate[0] = c.optimal_borrow_rate_pct;
        max_rate[0] = c.max_borrow_rate_pct;
        *borrow_fee = c.borrow_fee_wad.to_le_bytes();
        *flash_fee = c.flash_loan_fee_wad.to_le_bytes();
        host_fee[0] = c.host_fee_pct;
        *deposit_limit = c.deposit_limit.to_le_bytes();
        *borrow_limit = c.borrow_limit.to_le_bytes();
        *fee_receiver = c.fee_receiver.to_bytes();
        protocol_liq_fee[0] = c.protocol_liquidation_fee_deca_bps_raw;
        take_rate[0] = c.protocol_take_rate_pct;
        put_decimal(self.accumulated_protocol_fees_wads, protocol_fees)?;
        self.rate_limiter.pack(rate_limiter)?;
        *borrow_weight = c.added_borrow_weight_bps.to_le_bytes();
        put_decimal(self.smoothed_market_price, smoothed_price)?;
        reserve_type[0] = c.reserve_type;
        max_util[0] = c.max_utilization_pct_raw;
        *super_max_rate = c.super_max_borrow_rate_pct_raw.to_le_bytes();
        max_liq_bonus[0] = c.max_liquidation_bonus_pct_raw;
        max_liq_threshold[0] = c.max_liquidation_threshold_pct_raw;
        *price_offset = c.scaled_price_offset_bps.to_le_bytes();
        *extra_oracle = put_optional_pubkey(c.extra_oracle);
        extra_price_flag[0] = u8::from(self.extra_market_price.is_some());
        put_decimal(self.extra_market_price.unwrap_or_else(Decimal::zero), extra_price)?;
        put_decimal(self.attributed_borrow_value, attributed_value)?;
        *attributed_open = c.attributed_borrow_limit_open_raw.to_le_bytes();
        *attributed_close = c.attributed_borrow_limit_close_raw.to_le_bytes();
        Ok(())
    }
}

/// One deposit of an obligation: cTokens of a reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObligationCollateral {
    pub deposit_reserve: Pubkey,
    pub deposited_amount: u64,
    pub market_value: Decimal,
    pub attributed_borrow_value: Decimal,
}

impl ObligationCollateral {
    pub const LEN: usize = 88;
}

/// One borrow of an obligation, with the reserve's cumulative rate it was last brought to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObligationLiquidity {
    pub borrow_reserve: Pubkey,
    pub cumulative_borrow_rate_wads: Decimal,
    pub borrowed_amount_wads: Decimal,
    /// Unweighted, at the spot price.
    pub market_value: Decimal,
}

impl ObligationLiquidity {
    pub const LEN: usize = 112;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Obligation {
    pub version: u8,
    pub last_update: LastUpdate,
    pub lending_market: Pubkey,
    pub owner: Pubkey,
    pub deposited_value: Decimal,
    /// Borrow-weighted, at the spot price.
    pub borrowed_value: Decimal,
    /// The borrow limit (collateral at the lower of spot and EMA, times LTV).
    pub allowed_borrow_value: Decimal,
    /// The liquidation line (collateral at spot, times the liquidation threshold).
    pub unhealthy_borrow_value: Decimal,
    /// Borrow-weighted, at the higher of spot and EMA: what borrowing and withdrawing are
    /// checked against.
    pub borrowed_value_upper_bound: Decimal,
    pub borrowing_isolated_asset: bool,
    pub super_unhealthy_borrow_value: Decimal,
    pub unweighted_borrowed_value: Decimal,
    /// Marked by the market's risk authority: liquidatable while healthy, at no bonus.
    pub closeable: bool,
    pub deposits: Vec<ObligationCollateral>,
    pub borrows: Vec<ObligationLiquidity>,
}

impl Obligation {
    pub const LEN: usize = 1300;

    pub fn unpack(data: &[u8]) -> Result<Self> {
        let src: &[u8; Self::LEN] = data.try_into().map_err(|_| invalid())?;
        #[rustfmt::skip]
        let (
            version, last_slot, stale, lending_market, owner, deposited_value, borrowed_value, allowed,
            unhealthy, upper_bound, isolated, super_unhealthy, unweighted, closeable, _padding,
            deposits_len, borrows_len, records,
        ) = array_refs![src, 1, 8, 1, 32, 32, 16, 16, 16, 16, 16, 1, 16, 16, 1, 14, 1, 1, 1096];
        require!(version[0] == PROGRAM_VERSION, VaultError::LendingAccountInvalid);
        let (deposits_len, borrows_len) = (usize::from(deposits_len[0]), usize::from(borrows_len[0]));
        require!(deposits_len + borrows_len <= MAX_OBLIGATION_RESERVES, VaultError::LendingAccountInvalid);
        let mut offset = 0;
        let mut deposits = Vec::with_capacity(deposits_len);
        for _ in 0..deposits_len {
            let record = array_ref![records, offset, ObligationCollateral::LEN];
            let (reserve, amount, value, attributed, _padding) = array_refs![record, 32, 8, 16, 16, 16];
            deposits.push(ObligationCollateral {
                deposit_reserve: pubkey(reserve),
                deposited_amount: u64::from_le_bytes(*amount),
                market_value: decimal(value),
                attributed_borrow_value: decimal(attributed),
            });
            offset += ObligationCollateral::LEN;
        }
        let mut borrows = Vec::with_capacity(borrows_len);
        for _ in 0..borrows_len {
            let record = array_ref![records, offset, ObligationLiquidity::LEN];
            let (reserve, rate, amount, value, _padding) = array_refs![record, 32, 16, 16, 16, 32];
            borrows.push(ObligationLiquidity {
                borrow_reserve: pubkey(reserve),
                cumulative_borrow_rate_wads: decimal(rate),
                borrowed_amount_wads: decimal(amount),
                market_value: decimal(value),
            });
            offset += ObligationLiquidity::LEN;
        }
        Ok(Self {
            version: version[0],
            last_update: LastUpdate { slot: u64::from_le_bytes(*last_slot), stale: flag(stale)? },
            lending_market: pubkey(lending_market),
            owner: pubkey(owner),
            deposited_value: decimal(deposited_value),
            borrowed_value: decimal(borrowed_value),
            allowed_borrow_value: decimal(allowed),
            unhealthy_borrow_value: decimal(unhealthy),
            borrowed_value_upper_bound: decimal(upper_bound),
            borrowing_isolated_asset: flag(isolated)?,
            super_unhealthy_borrow_value: decimal(super_unhealthy),
            unweighted_borrowed_value: decimal(unweighted),
            closeable: flag(closeable)?,
            deposits,
            borrows,
        })
    }

    /// Writes every field and the used records over `dst` (padding and the bytes after the
    /// last record are left as they are, as the program leaves them).
    pub fn pack(&self, dst: &mut [u8]) -> Result<()> {
        require!(
            self.deposits.len() + self.borrows.len() <= MAX_OBLIGATION_RESERVES,
            VaultError::LendingAccountInvalid
        );
        let dst: &mut [u8; Self::LEN] = dst.try_into().map_err(|_| invalid())?;
        #[rustfmt::skip]
        let (
            version, last_slot, stale, lending_market, owner, deposited_value, borrowed_value, allowed,
            unhealthy, upper_bound, isolated, super_unhealthy, unweighted, closeable, _padding,
            deposits_len, borrows_len, records,
        ) = mut_array_refs![dst, 1, 8, 1, 32, 32, 16, 16, 16, 16, 16, 1, 16, 16, 1, 14, 1, 1, 1096];
        version[0] = self.version;
        *last_slot = self.last_update.slot.to_le_bytes();
        stale[0] = u8::from(self.last_update.stale);
        *lending_market = self.lending_market.to_bytes();
        *owner = self.owner.to_bytes();
        put_decimal(self.deposited_value, deposited_value)?;
        put_decimal(self.borrowed_value, borrowed_value)?;
        put_decimal(self.allowed_borrow_value, allowed)?;
        put_decimal(self.unhealthy_borrow_value, unhealthy)?;
        put_decimal(self.borrowed_value_upper_bound, upper_bound)?;
        isolated[0] = u8::from(self.borrowing_isolated_asset);
        put_decimal(self.super_unhealthy_borrow_value, super_unhealthy)?;
        put_decimal(self.unweighted_borrowed_value, unweighted)?;
        closeable[0] = u8::from(self.closeable);
        deposits_len[0] = self.deposits.len() as u8;
        borrows_len[0] = self.borrows.len() as u8;
        let mut offset = 0;
        for d in &self.deposits {
            let record = array_mut_ref![records, offset, ObligationCollateral::LEN];
            let (reserve, amount, value, attributed, _padding) = mut_array_refs![record, 32, 8, 16, 16, 16];
            *reserve = d.deposit_reserve.to_bytes();
            *amount = d.deposited_amount.to_le_bytes();
            put_decimal(d.market_value, value)?;
            put_decimal(d.attributed_borrow_value, attributed)?;
            offset += ObligationCollateral::LEN;
        }
        for b in &self.borrows {
            let record = array_mut_ref![records, offset, ObligationLiquidity::LEN];
            let (reserve, rate, amount, value, _padding) = mut_array_refs![record, 32, 16, 16, 16, 32];
            *reserve = b.borrow_reserve.to_bytes();
            put_decimal(b.cumulative_borrow_rate_wads, rate)?;
            put_decimal(b.borrowed_amount_wads, amount)?;
            put_decimal(b.market_value, value)?;
            offset += ObligationLiquidity::LEN;
        }
        Ok(())
    }
}
