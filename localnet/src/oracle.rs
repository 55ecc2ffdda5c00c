//! Price accounts as the two consumers read them: legacy Pyth v2 price/product accounts (read by
//! spl-token-lending, written by byte offset because the lending program reads its own layout
//! with 4-byte enums) and Pyth receiver `PriceUpdateV2` accounts (read by the vault).
use anchor_lang::AccountSerialize;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use solana_program::pubkey::Pubkey;
use solana_sdk::account::AccountSharedData;

use crate::chain::Chain;

/// The owner the lending market expects of its Pyth accounts (chosen at `InitLendingMarket`):
/// the Pyth oracle program the vault pins.
pub const LEGACY_ORACLE_PROGRAM: Pubkey = ballast::adapters::token_lending::PINNED_ORACLE_PROGRAMS[0];
pub const LEGACY_PRICE_LEN: usize = 3312;
pub const LEGACY_PRODUCT_LEN: usize = 512;
/// Legacy prices are written with this exponent.
pub const LEGACY_EXPONENT: i32 = -8;

fn put<const N: usize>(data: &mut [u8], offset: usize, bytes: [u8; N]) {
    data[offset..offset + N].copy_from_slice(&bytes);
}

/// A legacy v2 price account: trading, price type Price, `valid_slot` as given.
pub fn legacy_price_bytes(price: i64, conf: u64, valid_slot: u64) -> Vec<u8> {
    let mut d = vec![0u8; LEGACY_PRICE_LEN];
    put(&mut d, 0, 0xa1b2c3d4u32.to_le_bytes()); // magic
    put(&mut d, 4, 2u32.to_le_bytes()); // version
    put(&mut d, 8, 3u32.to_le_bytes()); // account type: price
    put(&mut d, 12, (LEGACY_PRICE_LEN as u32).to_le_bytes());
    put(&mut d, 16, 1u32.to_le_bytes()); // price type: Price
    put(&mut d, 20, LEGACY_EXPONENT.to_le_bytes());
    put(&mut d, 40, valid_slot.to_le_bytes());
    put(&mut d, 48, price.to_le_bytes()); // EMA price (Save's smoothed price), equal to the spot
    put(&mut d, 72, conf.to_le_bytes()); // EMA confidence
    put(&mut d, 208, price.to_le_bytes());
    put(&mut d, 216, conf.to_le_bytes());
    put(&mut d, 224, 1u32.to_le_bytes()); // status: Trading
    put(&mut d, 232, valid_slot.to_le_bytes()); // publish slot
    d
}

/// A legacy v2 product account pointing at `price`, quoted in USD.
pub fn legacy_product_bytes(price: &Pubkey) -> Vec<u8> {
    let mut d = vec![0u8; LEGACY_PRODUCT_LEN];
    put(&mut d, 0, 0xa1b2c3d4u32.to_le_bytes());
    put(&mut d, 4, 2u32.to_le_bytes());
    put(&mut d, 8, 2u32.to_le_bytes()); // account type: product
    put(&mut d, 12, (LEGACY_PRODUCT_LEN as u32).to_le_bytes());
    d[16..48].copy_from_slice(price.as_ref());
    let attr = [&[14u8][..], b"quote_currency", &[3u8], b"USD"].concat();
    d[48..48 + attr.len()].copy_from_slice(&attr);
    d
}

/// Whole-unit USD price to the legacy representation.
pub fn legacy_units(usd: f64) -> i64 {
    (usd * 10f64.powi(-LEGACY_EXPONENT)).round() as i64
}

/// A `PriceUpdateV2` as the Pyth receiver program posts it.
pub fn price_update(feed_id: [u8; 32], price: i64, conf: u64, exponent: i32, publish_time: i64) -> PriceUpdateV2 {
    PriceUpdateV2 {
        write_authority: Pubkey::new_from_array([1; 32]),
        verification_level: VerificationLevel::Full,
        price_message: PriceFeedMessage {
            feed_id,
            price,
            conf,
            exponent,
            publish_time,
            prev_publish_time: publish_time - 1,
            ema_price: price,
            ema_conf: conf,
        },
        posted_slot: 0,
    }
}

impl Chain {
    /// Writes an account's owner and data directly, keeping the bank's total lamports unchanged
    /// (a new account is first funded by a transfer from the payer): warping checks the
    /// capitalization, and lamports made out of nothing would fail that check.
    pub async fn write_account(&mut self, key: &Pubkey, owner: &Pubkey, data: Vec<u8>) {
        let lamports = match self.ctx.banks_client.get_account(*key).await.unwrap() {
            Some(existing) => existing.lamports,
            None => {
                let rent = self.ctx.banks_client.get_rent().await.unwrap();
                let lamports = rent.minimum_balance(data.len());
                self.airdrop(key, lamports).await;
                lamports
            }
        };
        let mut account = AccountSharedData::new(lamports, data.len(), owner);
        account.set_data_from_slice(&data);
        self.ctx.set_account(key, &account);
    }

    pub async fn write_price_update(&mut self, key: &Pubkey, update: &PriceUpdateV2, owner: &Pubkey) {
        let mut data = Vec::new();
        update.try_serialize(&mut data).unwrap();
        self.write_account(key, owner, data).await;
    }
}

/// The price the lending program reads from a legacy account written for `usd`, as a `Decimal`.
pub fn legacy_decimal(usd: f64) -> spl_token_lending::math::Decimal {
    use spl_token_lending::math::{Decimal, TryDiv};
    Decimal::from(legacy_units(usd) as u64).try_div(10u64.pow((-LEGACY_EXPONENT) as u32)).unwrap()
}
