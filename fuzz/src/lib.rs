//! Invariants over the program's pure math and account parsing, for coverage-guided fuzzing
//! (`cargo-fuzz/`, one target per function here) and for the seeded random test below, which
//! runs in the ordinary test suite. Every function takes raw fuzzer bytes, must never panic,
//! and asserts what `docs/SECURITY.md` asks of the math: rounding in the vault's favour, no value from
//! nothing, checked errors instead of wraparound, and parsers that refuse rather than guess.
use anchor_lang::{AccountDeserialize, AccountSerialize};
use arbitrary::{Arbitrary, Unstructured};
use ballast::math::fees::{locked_profit_remaining_ceil, management_fee_lamports_ceil, performance_fee_lamports_ceil};
use ballast::math::health::{lending_health, ReservePrices};
use ballast::math::shares::{lamports_for_shares_floor, shares_for_deposit_floor};
use ballast::math::unwind::market_ltv_bps_ceil;
use ballast::math::valuation::StakePoolRate;
use ballast::oracle::{validated_price, OraclePolicy};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use spl_token_lending::math::Decimal;
use spl_token_lending::solana_program::program_pack::Pack;
use spl_token_lending::state::{Obligation, Reserve};

/// Shares, fees and the stake-pool rate conversions.
pub fn math(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((deposit, supply, assets, shares)) = <(u64, u64, u64, u64)>::arbitrary(&mut u) else { return };

    // A deposit mints at most its value, rounded down; redeeming what it minted never pays back
    // more than was deposited.
    if let Ok(minted) = shares_for_deposit_floor(deposit, supply, assets) {
        if supply > 0 && assets > 0 {
            assert!(minted as u128 * assets as u128 <= deposit as u128 * supply as u128, "minted above value");
        }
        if let (Some(new_supply), Some(new_assets)) = (supply.checked_add(minted), assets.checked_add(deposit)) {
            if let Ok(back) = lamports_for_shares_floor(minted, new_supply, new_assets) {
                assert!(back <= deposit, "round trip gained: {deposit} -> {minted} shares -> {back}");
            }
        }
    }
    // Shares redeem for at most their pro-rata part, and never more than there is.
    if let Ok(paid) = lamports_for_shares_floor(shares, supply, assets) {
        assert!(paid as u128 * supply as u128 <= shares as u128 * assets as u128, "paid above pro rata");
        if shares <= supply {
            assert!(paid <= assets, "paid more than the assets");
        }
    }

    // Fees: bounded by what they are a fee on; locked profit only unlocks.
    let Ok((fee_bps, elapsed, unlock, locked)) = <(u16, u32, u32, u64)>::arbitrary(&mut u) else { return };
    let fee_bps = fee_bps % (ballast::constants::MAX_MANAGEMENT_FEE_BPS + 1);
    if let Ok(fee) = management_fee_lamports_ceil(assets, fee_bps, elapsed as u64) {
        if (elapsed as u64) <= 365 * 86_400 {
            assert!(fee <= assets, "management fee {fee} above assets {assets}");
        }
    }
    let perf_bps = fee_bps % (ballast::constants::MAX_PERFORMANCE_FEE_BPS + 1);
    if let Ok(fee) = performance_fee_lamports_ceil(deposit, perf_bps) {
        assert!(fee <= deposit, "performance fee above the gain");
    }
    if let (Ok(now), Ok(later)) = (
        locked_profit_remaining_ceil(locked, elapsed as u64, unlock as u64),
        locked_profit_remaining_ceil(locked, elapsed as u64 + 1, unlock as u64),
    ) {
        assert!(now <= locked && later <= now, "locked profit grew: {locked} -> {now} -> {later}");
    }

    // The stake-pool rate: floor <= ceil within one lamport-unit; round trips favour the vault.
    let rate = StakePoolRate { total_lamports: assets, pool_token_supply: supply };
    if let (Ok(floor), Ok(ceil)) = (rate.lst_to_lamports_floor(shares), rate.lst_to_lamports_ceil(shares)) {
        assert!(floor <= ceil && ceil - floor <= 1, "floor {floor} ceil {ceil}");
    }
    if let Ok(lst) = rate.lamports_to_lst_floor(deposit) {
        if let Ok(back) = rate.lst_to_lamports_floor(lst) {
            assert!(back <= deposit, "LST bought for {deposit} is worth {back}");
        }
    }
    if let Ok(lst) = rate.lamports_to_lst_ceil(deposit) {
        if let Ok(back) = rate.lst_to_lamports_ceil(lst) {
            assert!(back >= deposit, "LST sold for {deposit} covers only {back}");
        }
    }
}

/// Fields of a Pyth receiver update; the fuzzer picks them, or the raw account bytes.
#[derive(Arbitrary, Debug)]
struct Update {
    full: bool,
    feed_id: [u8; 32],
    price: i64,
    conf: u64,
    exponent: i32,
    publish_time: i64,
    now: i64,
    max_age_secs: u64,
    max_conf_bps: u16,
}

/// The vault's oracle checks on a `PriceUpdateV2`, and the lending program's legacy price read.
pub fn oracle(data: &[u8]) {
    // Raw bytes: decoding refuses or yields a value, never panics.
    if let Ok(update) = PriceUpdateV2::try_deserialize(&mut &data[..]) {
        let _ = validated_price(&update, &[0; 32], 0, &OraclePolicy { max_age_secs: 60, max_conf_bps: 200 });
    }
    let _ = ballast::adapters::token_lending::legacy_pyth_market_price(data, u64::MAX / 2);

    let Ok(f) = Update::arbitrary(&mut Unstructured::new(data)) else { return };
    let update = PriceUpdateV2 {
        write_authority: Default::default(),
        verification_level: if f.full {
            VerificationLevel::Full
        } else {
            VerificationLevel::Partial { num_signatures: 3 }
        },
        price_message: PriceFeedMessage {
            feed_id: f.feed_id,
            price: f.price,
            conf: f.conf,
            exponent: f.exponent,
            publish_time: f.publish_time,
            prev_publish_time: f.publish_time,
            ema_price: f.price,
            ema_conf: f.conf,
        },
        posted_slot: 0,
    };
    // What an account holds decodes back to the same update.
    let mut bytes = Vec::new();
    update.try_serialize(&mut bytes).expect("in-memory serialisation");
    let decoded = PriceUpdateV2::try_deserialize(&mut &bytes[..]).expect("a serialised update decodes");
    assert_eq!(decoded.price_message.price, f.price);

    let policy = OraclePolicy { max_age_secs: f.max_age_secs % 7_200, max_conf_bps: f.max_conf_bps as u64 % 1_001 };
    if let Ok(price) = validated_price(&update, &f.feed_id, f.now, &policy) {
        // Accepted only when every check holds, and scaled as the exponent says.
        assert!(f.full && f.price > 0, "accepted an unverified or non-positive price");
        assert!(f.now.saturating_sub(f.publish_time) <= policy.max_age_secs as i64, "accepted a stale price");
        assert!(f.conf as u128 * 10_000 <= f.price as u128 * policy.max_conf_bps as u128, "accepted a wide price");
        let expected = f.price as f64 * 10f64.powi(f.exponent);
        let got = price.price.to_num::<f64>();
        assert!((got - expected).abs() <= expected * 1e-9 + 1e-9, "{} e{} scaled to {got}", f.price, f.exponent);
    }
    // Another feed's update is never accepted.
    let mut other = f.feed_id;
    other[0] ^= 1;
    assert!(validated_price(&update, &other, f.now, &policy).is_err(), "accepted another feed");
}

/// Obligation and reserves decoded from raw bytes (version byte set so decoding reaches the
/// numbers), valued with the health math: checked errors only, and the verdicts agree.
pub fn lending(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut account = |len: usize| -> Option<Vec<u8>> {
        let mut bytes = u.bytes(len).ok()?.to_vec();
        bytes[0] = spl_token_lending::state::PROGRAM_VERSION;
        Some(bytes)
    };
    // The vault reads obligations only from accounts the lending program owns, which it never
    // writes with more than MAX_OBLIGATION_RESERVES entries (its own decoder would panic on such
    // bytes, and a borrow needs a deposit): keep the entry counts (offsets 138 and 139) within
    // the 10 entries the layout holds.
    let obligation_bytes = |mut bytes: Vec<u8>| {
        const MAX: u8 = spl_token_lending::state::MAX_OBLIGATION_RESERVES as u8;
        bytes[138] %= MAX + 1;
        bytes[139] %= MAX + 1 - bytes[138].max(1);
        bytes
    };
    let (Some(obligation), Some(lst), Some(sol)) =
        (account(Obligation::LEN), account(Reserve::LEN), account(Reserve::LEN))
    else {
        return;
    };
    let (Ok(obligation), Ok(lst), Ok(sol)) = (
        Obligation::unpack_unchecked(&obligation_bytes(obligation)),
        Reserve::unpack_unchecked(&lst),
        Reserve::unpack_unchecked(&sol),
    ) else {
        return;
    };
    let Ok((slot, lst_price, sol_price)) = <(u64, u64, u64)>::arbitrary(&mut u) else { return };
    let prices = ReservePrices { lst: Decimal::from(lst_price), sol: Decimal::from(sol_price) };
    for prices in [None, Some(prices)] {
        let Ok(health) = lending_health(&obligation, &lst, &sol, slot, prices) else { continue };
        let zero = Decimal::zero();
        assert_eq!(
            health.is_liquidatable(),
            health.borrowed_value > zero && health.borrowed_value >= health.unhealthy_borrow_value
        );
        if let Ok(ltv) = market_ltv_bps_ceil(health.borrowed_value, health.deposited_value) {
            if health.deposited_value > zero {
                assert_eq!(ltv >= 10_000, health.borrowed_value >= health.deposited_value, "LTV {ltv}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    fn cases() -> u32 {
        std::env::var("BALLAST_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(20_000)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

        #[test]
        fn math_holds(data in prop::collection::vec(any::<u8>(), 0..96)) {
            super::math(&data);
        }

        #[test]
        fn oracle_holds(data in prop::collection::vec(any::<u8>(), 0..200)) {
            super::oracle(&data);
        }

        #[test]
        fn lending_holds(data in prop::collection::vec(any::<u8>(), 1_700..2_100)) {
            super::lending(&data);
        }
    }
}
