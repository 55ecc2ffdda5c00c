//! Pyth pull-oracle prices (`PriceUpdateV2`) and the validity policy per action.
//!
//! Risk-adding actions (leverage up, adding to the pool) need every check: owner, type, full
//! Wormhole verification, feed id, age, positive price, confidence bound, supported exponent.
//! Risk-reducing actions (unwind, deleverage, withdraw) never read the oracle: they use the
//! lending market's own valuation and the stake-pool rate, so a stale or missing feed can
//! never trap depositors.
use anchor_lang::prelude::*;
use fixed::types::U64F64;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

use crate::constants::BPS_DENOMINATOR;
use crate::errors::VaultError;
use crate::math::safe_math::overflow;
use crate::state::RiskParams;

/// Exponents Pyth publishes are around -8; anything outside this range is refused rather than
/// risk losing precision or overflowing.
pub const MIN_EXPONENT: i32 = -18;
pub const MAX_EXPONENT: i32 = 6;

/// A validated price in quote units (USD per token), with its confidence half-width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OraclePrice {
    pub price: U64F64,
    pub conf: U64F64,
    pub publish_time: i64,
}

/// The checks an action demands. Risk-reducing actions have no policy: they do not read prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OraclePolicy {
    pub max_age_secs: u64,
    pub max_conf_bps: u64,
}

impl OraclePolicy {
    pub fn for_risk_adding(params: &RiskParams) -> Self {
        Self { max_age_secs: params.max_oracle_age_secs as u64, max_conf_bps: params.max_conf_bps as u64 }
    }
}

/// Decodes a `PriceUpdateV2` account after checking who owns it. The account address does not
/// identify the feed: the feed id inside does, and `validated_price` checks it.
pub fn load_price_update(info: &AccountInfo) -> Result<PriceUpdateV2> {
    require_keys_eq!(*info.owner, pyth_solana_receiver_sdk::ID, VaultError::OracleOwnerMismatch);
    let data = info.try_borrow_data()?;
    PriceUpdateV2::try_deserialize(&mut &data[..]).map_err(|_| error!(VaultError::OracleAccountInvalid))
}

/// Every check of the policy, each with its own error, then the price scaled by its exponent.
pub fn validated_price(
    update: &PriceUpdateV2,
    feed_id: &[u8; 32],
    now_unix: i64,
    policy: &OraclePolicy,
) -> Result<OraclePrice> {
    require!(matches!(update.verification_level, VerificationLevel::Full), VaultError::OracleNotFullyVerified);
    let message = &update.price_message;
    require!(message.feed_id == *feed_id, VaultError::OracleFeedMismatch);
    let age_secs = now_unix.saturating_sub(message.publish_time);
    require!(age_secs <= policy.max_age_secs as i64, VaultError::OracleStale);
    require!(message.price > 0, VaultError::OraclePriceNotPositive);
    let price_raw = message.price as u64;
    // conf / price <= max_conf_bps / 10_000, in the raw units (same exponent), in u128
    require!(
        (message.conf as u128) * (BPS_DENOMINATOR as u128) <= (price_raw as u128) * (policy.max_conf_bps as u128),
        VaultError::OracleConfidenceTooWide
    );
    require!((MIN_EXPONENT..=MAX_EXPONENT).contains(&message.exponent), VaultError::OracleExponentUnsupported);
    Ok(OraclePrice {
        price: scale(price_raw, message.exponent)?,
        conf: scale(message.conf, message.exponent)?,
        publish_time: message.publish_time,
    })
}

/// `raw * 10^exponent` as a fixed-point number (rounded down for negative exponents).
fn scale(raw: u64, exponent: i32) -> Result<U64F64> {
    let power = U64F64::from_num(10u64.checked_pow(exponent.unsigned_abs()).ok_or_else(overflow)?);
    let raw = U64F64::from_num(raw);
    if exponent >= 0 {
        raw.checked_mul(power).ok_or_else(overflow)
    } else {
        raw.checked_div(power).ok_or_else(overflow)
    }
}

/// The gate of every risk-adding action: both feeds validated, the market LST/SOL price within
/// `max_depeg_bps` of the stake-pool rate. Returns the SOL-per-LST price collateral is valued at
/// for the action's LTV check: the lower of the stake-pool rate and the market's
/// confidence-adjusted low.
pub fn risk_adding_collateral_price(
    sol_usd_info: &AccountInfo,
    lst_usd_info: &AccountInfo,
    vault: &crate::state::Vault,
    rate: &crate::math::valuation::StakePoolRate,
) -> Result<U64F64> {
    use crate::math::market::{check_depeg, conservative_sol_per_lst, lst_sol_price};
    let params = &vault.risk_params;
    let stake_rate = rate.sol_per_lst()?;
    let sol_usd = risk_adding_price(sol_usd_info, &vault.sol_usd_feed_id, params)?;
    let lst_usd = risk_adding_price(lst_usd_info, &vault.lst_usd_feed_id, params)?;
    let market = lst_sol_price(&lst_usd, &sol_usd)?;
    check_depeg(&market, stake_rate, params.max_depeg_bps)?;
    Ok(conservative_sol_per_lst(&market, stake_rate))
}

/// Loads and validates one feed for a risk-adding action.
pub fn risk_adding_price(info: &AccountInfo, feed_id: &[u8; 32], params: &RiskParams) -> Result<OraclePrice> {
    let now_unix = Clock::get()?.unix_timestamp;
    validated_price(&load_price_update(info)?, feed_id, now_unix, &OraclePolicy::for_risk_adding(params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyth_solana_receiver_sdk::price_update::PriceFeedMessage;

    const FEED: [u8; 32] = [7; 32];
    const NOW: i64 = 1_700_000_000;

    fn update(price: i64, conf: u64, exponent: i32, publish_time: i64) -> PriceUpdateV2 {
        PriceUpdateV2 {
            write_authority: Pubkey::new_unique(),
            verification_level: VerificationLevel::Full,
            price_message: PriceFeedMessage {
                feed_id: FEED,
                price,
                conf,
                exponent,
                publish_time,
                prev_publish_time: publish_time - 1,
                ema_price: price,
                ema_conf: conf,
            },
            posted_slot: 1,
        }
    }

    fn policy() -> OraclePolicy {
        OraclePolicy { max_age_secs: 60, max_conf_bps: 200 }
    }

    fn err(r: Result<OraclePrice>) -> Error {
        r.unwrap_err()
    }

    #[test]
    fn valid_price_is_scaled_by_its_exponent() {
        let p = validated_price(&update(15_012_345_678, 1_000_000, -8, NOW - 60), &FEED, NOW, &policy()).unwrap();
        assert_eq!(p.price, U64F64::from_num(15_012_345_678u64) / U64F64::from_num(100_000_000u64));
        assert!((p.price.to_num::<f64>() - 150.12345678).abs() < 1e-9);
        assert!((p.conf.to_num::<f64>() - 0.01).abs() < 1e-12);
        let p = validated_price(&update(3, 0, 2, NOW), &FEED, NOW, &policy()).unwrap();
        assert_eq!(p.price, U64F64::from_num(300));
    }

    #[test]
    fn each_check_has_its_error() {
        let ok = update(15_000_000_000, 1_000_000, -8, NOW);
        let mut partial = ok.clone();
        partial.verification_level = VerificationLevel::Partial { num_signatures: 12 };
        assert_eq!(err(validated_price(&partial, &FEED, NOW, &policy())), VaultError::OracleNotFullyVerified.into());
        assert_eq!(err(validated_price(&ok, &[8; 32], NOW, &policy())), VaultError::OracleFeedMismatch.into());
        assert_eq!(err(validated_price(&ok, &FEED, NOW + 61, &policy())), VaultError::OracleStale.into());
        for bad in [0, -5] {
            let u = update(bad, 0, -8, NOW);
            assert_eq!(err(validated_price(&u, &FEED, NOW, &policy())), VaultError::OraclePriceNotPositive.into());
        }
        // 2% allowed: 2.01% refused, exactly 2% accepted
        let wide = update(10_000, 201, -2, NOW);
        assert_eq!(err(validated_price(&wide, &FEED, NOW, &policy())), VaultError::OracleConfidenceTooWide.into());
        validated_price(&update(10_000, 200, -2, NOW), &FEED, NOW, &policy()).unwrap();
        for exponent in [MIN_EXPONENT - 1, MAX_EXPONENT + 1, i32::MIN, i32::MAX] {
            let u = update(10_000, 1, exponent, NOW);
            assert_eq!(err(validated_price(&u, &FEED, NOW, &policy())), VaultError::OracleExponentUnsupported.into());
        }
    }

    #[test]
    fn account_owner_and_type_are_checked() {
        let u = update(15_000_000_000, 1_000_000, -8, NOW);
        let mut data = Vec::new();
        u.try_serialize(&mut data).unwrap();
        let key = Pubkey::new_unique();
        let mut lamports = 1_000_000u64;
        let receiver = pyth_solana_receiver_sdk::ID;
        let good = AccountInfo::new(&key, false, false, &mut lamports, &mut data, &receiver, false, 0);
        assert_eq!(load_price_update(&good).unwrap().price_message.price, 15_000_000_000);

        let impostor = Pubkey::new_unique();
        let mut lamports = 1_000_000u64;
        let mut data2 = data.clone();
        let forged = AccountInfo::new(&key, false, false, &mut lamports, &mut data2, &impostor, false, 0);
        assert_eq!(load_price_update(&forged).err(), Some(VaultError::OracleOwnerMismatch.into()));

        let mut lamports = 1_000_000u64;
        let mut wrong_type = vec![0u8; data.len()];
        let garbage = AccountInfo::new(&key, false, false, &mut lamports, &mut wrong_type, &receiver, false, 0);
        assert_eq!(load_price_update(&garbage).err(), Some(VaultError::OracleAccountInvalid.into()));
    }
}
