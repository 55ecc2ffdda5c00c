//! Save's instructions as the deployed program reads them: tag byte, little-endian fields, and
//! the accounts in the order its processor takes them (no clock account: Save reads the clock
//! sysvar directly). Used by the vault's CPIs, the client and the test harness.
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::sysvar;
use anchor_spl::token::spl_token;

use super::state::ReserveConfig;
use super::SAVE_PROGRAM_ID;

/// The instruction tags the vault, the client and the tests use.
pub mod tag {
    pub const INIT_LENDING_MARKET: u8 = 0;
    pub const SET_LENDING_MARKET_OWNER_AND_CONFIG: u8 = 1;
    pub const INIT_RESERVE: u8 = 2;
    pub const REFRESH_RESERVE: u8 = 3;
    pub const DEPOSIT_RESERVE_LIQUIDITY: u8 = 4;
    pub const REDEEM_RESERVE_COLLATERAL: u8 = 5;
    pub const INIT_OBLIGATION: u8 = 6;
    pub const REFRESH_OBLIGATION: u8 = 7;
    pub const DEPOSIT_OBLIGATION_COLLATERAL: u8 = 8;
    pub const WITHDRAW_OBLIGATION_COLLATERAL: u8 = 9;
    pub const BORROW_OBLIGATION_LIQUIDITY: u8 = 10;
    pub const REPAY_OBLIGATION_LIQUIDITY: u8 = 11;
    pub const DEPOSIT_RESERVE_LIQUIDITY_AND_OBLIGATION_COLLATERAL: u8 = 14;
    pub const WITHDRAW_OBLIGATION_COLLATERAL_AND_REDEEM_RESERVE_COLLATERAL: u8 = 15;
    pub const LIQUIDATE_OBLIGATION_AND_REDEEM_RESERVE_COLLATERAL: u8 = 17;
    pub const FLASH_BORROW_RESERVE_LIQUIDITY: u8 = 19;
    pub const FLASH_REPAY_RESERVE_LIQUIDITY: u8 = 20;
}

/// The market's authority PDA: seeds `[market]`.
pub fn market_authority(market: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[market.as_ref()], &SAVE_PROGRAM_ID).0
}

fn with_amount(tag: u8, amount: u64) -> Vec<u8> {
    let mut data = vec![tag];
    data.extend_from_slice(&amount.to_le_bytes());
    data
}

fn ix(accounts: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
    Instruction { program_id: SAVE_PROGRAM_ID, accounts, data }
}

/// `InitLendingMarket`: the market account exists (290 bytes, owned by Save); no signer.
pub fn init_lending_market(
    market: Pubkey,
    owner: Pubkey,
    quote_currency: [u8; 32],
    pyth_program: Pubkey,
    switchboard_program: Pubkey,
) -> Instruction {
    let mut data = vec![tag::INIT_LENDING_MARKET];
    data.extend_from_slice(owner.as_ref());
    data.extend_from_slice(&quote_currency);
    ix(
        vec![
            AccountMeta::new(market, false),
            AccountMeta::new_readonly(sysvar::rent::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
            AccountMeta::new_readonly(pyth_program, false),
            AccountMeta::new_readonly(switchboard_program, false),
        ],
        data,
    )
}

/// `SetLendingMarketOwnerAndConfig` by the owner: new owner, the market's outflow limit, the
/// only liquidator (if any) and the risk authority.
pub fn set_lending_market_owner_and_config(
    market: Pubkey,
    owner: Pubkey,
    new_owner: Pubkey,
    window_duration_slots: u64,
    max_outflow: u64,
    whitelisted_liquidator: Option<Pubkey>,
    risk_authority: Pubkey,
) -> Instruction {
    let mut data = vec![tag::SET_LENDING_MARKET_OWNER_AND_CONFIG];
    data.extend_from_slice(new_owner.as_ref());
    data.extend_from_slice(&window_duration_slots.to_le_bytes());
    data.extend_from_slice(&max_outflow.to_le_bytes());
    match whitelisted_liquidator {
        Some(key) => {
            data.push(1);
            data.extend_from_slice(key.as_ref());
        }
        None => data.push(0),
    }
    data.extend_from_slice(risk_authority.as_ref());
    ix(vec![AccountMeta::new(market, false), AccountMeta::new_readonly(owner, true)], data)
}

/// A reserve config in `InitReserve`'s order (it differs from the account's).
fn pack_config(config: &ReserveConfig, data: &mut Vec<u8>) {
    data.extend_from_slice(&[
        config.optimal_utilization_pct,
        config.max_utilization_pct_raw,
        config.loan_to_value_pct,
        config.liquidation_bonus_pct,
        config.liquidation_threshold_pct,
        config.min_borrow_rate_pct,
        config.optimal_borrow_rate_pct,
        config.max_borrow_rate_pct,
    ]);
    data.extend_from_slice(&config.super_max_borrow_rate_pct_raw.to_le_bytes());
    data.extend_from_slice(&config.borrow_fee_wad.to_le_bytes());
    data.extend_from_slice(&config.flash_loan_fee_wad.to_le_bytes());
    data.push(config.host_fee_pct);
    data.extend_from_slice(&config.deposit_limit.to_le_bytes());
    data.extend_from_slice(&config.borrow_limit.to_le_bytes());
    data.extend_from_slice(config.fee_receiver.as_ref());
    data.push(config.protocol_liquidation_fee_deca_bps_raw);
    data.push(config.protocol_take_rate_pct);
    data.extend_from_slice(&config.added_borrow_weight_bps.to_le_bytes());
    data.push(config.reserve_type);
    data.push(config.max_liquidation_bonus_pct_raw);
    data.push(config.max_liquidation_threshold_pct_raw);
    data.extend_from_slice(&config.scaled_price_offset_bps.to_le_bytes());
    match config.extra_oracle {
        Some(key) => {
            data.push(1);
            data.extend_from_slice(key.as_ref());
        }
        None => data.push(0),
    }
    data.extend_from_slice(&config.attributed_borrow_limit_open_raw.to_le_bytes());
    data.extend_from_slice(&config.attributed_borrow_limit_close_raw.to_le_bytes());
}

/// The accounts `InitReserve` initializes; all exist beforehand (reserve 619 bytes owned by
/// Save, the token accounts and the mint owned by the token program, uninitialized).
pub struct NewReserve {
    pub reserve: Pubkey,
    pub liquidity_mint: Pubkey,
    pub liquidity_supply: Pubkey,
    pub fee_receiver: Pubkey,
    pub collateral_mint: Pubkey,
    pub collateral_supply: Pubkey,
    /// Receives the cTokens of the first deposit.
    pub destination_collateral: Pubkey,
    /// Only checked to be non-null when there is no Switchboard feed.
    pub pyth_product: Pubkey,
    pub pyth_price: Pubkey,
    pub switchboard_feed: Pubkey,
}

/// `InitReserve` by the market's owner, with a first deposit of `liquidity_amount` from
/// `source_liquidity` (authority `transfer_authority`). `config.fee_receiver` must name
/// `accounts.fee_receiver`.
pub fn init_reserve(
    market: Pubkey,
    owner: Pubkey,
    transfer_authority: Pubkey,
    source_liquidity: Pubkey,
    liquidity_amount: u64,
    config: &ReserveConfig,
    accounts: &NewReserve,
) -> Instruction {
    let mut data = with_amount(tag::INIT_RESERVE, liquidity_amount);
    pack_config(config, &mut data);
    let mut metas = vec![
        AccountMeta::new(source_liquidity, false),
        AccountMeta::new(accounts.destination_collateral, false),
        AccountMeta::new(accounts.reserve, false),
        AccountMeta::new_readonly(accounts.liquidity_mint, false),
        AccountMeta::new(accounts.liquidity_supply, false),
        AccountMeta::new(accounts.fee_receiver, false),
        AccountMeta::new(accounts.collateral_mint, false),
        AccountMeta::new(accounts.collateral_supply, false),
        AccountMeta::new_readonly(accounts.pyth_product, false),
        AccountMeta::new_readonly(accounts.pyth_price, false),
        AccountMeta::new_readonly(accounts.switchboard_feed, false),
        AccountMeta::new_readonly(market, false),
        AccountMeta::new_readonly(market_authority(&market), false),
        AccountMeta::new_readonly(owner, true),
        AccountMeta::new_readonly(transfer_authority, true),
        AccountMeta::new_readonly(sysvar::rent::ID, false),
        AccountMeta::new_readonly(spl_token::ID, false),
    ];
    if let Some(extra) = config.extra_oracle {
        metas.push(AccountMeta::new_readonly(extra, false));
    }
    ix(metas, data)
}

pub fn refresh_reserve(reserve: Pubkey, pyth_price: Pubkey, switchboard_feed: Pubkey) -> Instruction {
    ix(
        vec![
            AccountMeta::new(reserve, false),
            AccountMeta::new_readonly(pyth_price, false),
            AccountMeta::new_readonly(switchboard_feed, false),
        ],
        vec![tag::REFRESH_RESERVE],
    )
}

/// `InitObligation`: the obligation exists (1,300 bytes, owned by Save); its owner signs.
pub fn init_obligation(obligation: Pubkey, market: Pubkey, owner: Pubkey) -> Instruction {
    ix(
        vec![
            AccountMeta::new(obligation, false),
            AccountMeta::new_readonly(market, false),
            AccountMeta::new_readonly(owner, true),
            AccountMeta::new_readonly(sysvar::rent::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        vec![tag::INIT_OBLIGATION],
    )
}

/// `RefreshObligation`: the deposit reserves, then the borrow reserves, in the obligation's
/// order (deposit reserves are written: Save records the borrow value attributed to them).
pub fn refresh_obligation(obligation: Pubkey, reserves: &[Pubkey]) -> Instruction {
    let mut metas = vec![AccountMeta::new(obligation, false)];
    metas.extend(reserves.iter().map(|r| AccountMeta::new(*r, false)));
    ix(metas, vec![tag::REFRESH_OBLIGATION])
}

/// The accounts of one reserve the vault's instructions name.
#[derive(Clone, Copy, Debug)]
pub struct ReserveKeys {
    pub reserve: Pubkey,
    pub liquidity_supply: Pubkey,
    pub collateral_mint: Pubkey,
    pub collateral_supply: Pubkey,
    pub fee_receiver: Pubkey,
    pub pyth_price: Pubkey,
    pub switchboard_feed: Pubkey,
}

/// `DepositReserveLiquidity`: `amount` of the reserve's token from `source`, cTokens to
/// `destination_collateral`.
pub fn deposit_reserve_liquidity(
    amount: u64,
    source: Pubkey,
    destination_collateral: Pubkey,
    reserve: &ReserveKeys,
    market: Pubkey,
    transfer_authority: Pubkey,
) -> Instruction {
    ix(
        vec![
            AccountMeta::new(source, false),
            AccountMeta::new(destination_collateral, false),
            AccountMeta::new(reserve.reserve, false),
            AccountMeta::new(reserve.liquidity_supply, false),
            AccountMeta::new(reserve.collateral_mint, false),
            AccountMeta::new_readonly(market, false),
            AccountMeta::new_readonly(market_authority(&market), false),
            AccountMeta::new_readonly(transfer_authority, true),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        with_amount(tag::DEPOSIT_RESERVE_LIQUIDITY, amount),
    )
}

/// `RedeemReserveCollateral`: `ctokens` from `source_collateral` for the reserve's token into
/// `destination` (the market is written: its outflow limit).
pub fn redeem_reserve_collateral(
    ctokens: u64,
    source_collateral: Pubkey,
    destination: Pubkey,
    reserve: &ReserveKeys,
    market: Pubkey,
    transfer_authority: Pubkey,
) -> Instruction {
    ix(
        vec![
            AccountMeta::new(source_collateral, false),
            AccountMeta::new(destination, false),
            AccountMeta::new(reserve.reserve, false),
            AccountMeta::new(reserve.collateral_mint, false),
            AccountMeta::new(reserve.liquidity_supply, false),
            AccountMeta::new(market, false),
            AccountMeta::new_readonly(market_authority(&market), false),
            AccountMeta::new_readonly(transfer_authority, true),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        with_amount(tag::REDEEM_RESERVE_COLLATERAL, ctokens),
    )
}

/// `DepositObligationCollateral`: `ctokens` from `source_collateral` into the obligation.
pub fn deposit_obligation_collateral(
    ctokens: u64,
    source_collateral: Pubkey,
    reserve: &ReserveKeys,
    obligation: Pubkey,
    market: Pubkey,
    owner: Pubkey,
) -> Instruction {
    ix(
        vec![
            AccountMeta::new(source_collateral, false),
            AccountMeta::new(reserve.collateral_supply, false),
            AccountMeta::new(reserve.reserve, false),
            AccountMeta::new(obligation, false),
            AccountMeta::new_readonly(market, false),
            AccountMeta::new_readonly(owner, true),
            AccountMeta::new_readonly(owner, true),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        with_amount(tag::DEPOSIT_OBLIGATION_COLLATERAL, ctokens),
    )
}

/// `WithdrawObligationCollateral`: `ctokens` out of the obligation into `destination_collateral`
/// (`u64::MAX`: as much as the borrow limit lets go). `deposit_reserves`: the obligation's, in
/// order.
pub fn withdraw_obligation_collateral(
    ctokens: u64,
    reserve: &ReserveKeys,
    destination_collateral: Pubkey,
    obligation: Pubkey,
    market: Pubkey,
    owner: Pubkey,
    deposit_reserves: &[Pubkey],
) -> Instruction {
    let mut metas = vec![
        AccountMeta::new(reserve.collateral_supply, false),
        AccountMeta::new(destination_collateral, false),
        AccountMeta::new_readonly(reserve.reserve, false),
        AccountMeta::new(obligation, false),
        AccountMeta::new_readonly(market, false),
        AccountMeta::new_readonly(market_authority(&market), false),
        AccountMeta::new_readonly(owner, true),
        AccountMeta::new_readonly(spl_token::ID, false),
    ];
    metas.extend(deposit_reserves.iter().map(|r| AccountMeta::new(*r, false)));
    ix(metas, with_amount(tag::WITHDRAW_OBLIGATION_COLLATERAL, ctokens))
}

/// `DepositReserveLiquidityAndObligationCollateral`: `amount` of the reserve's token from
/// `source` into the obligation as collateral (the cTokens pass through `user_collateral`).
#[allow(clippy::too_many_arguments)]
pub fn deposit_reserve_liquidity_and_obligation_collateral(
    amount: u64,
    source: Pubkey,
    user_collateral: Pubkey,
    reserve: &ReserveKeys,
    market: Pubkey,
    obligation: Pubkey,
    owner: Pubkey,
) -> Instruction {
    ix(
        vec![
            AccountMeta::new(source, false),
            AccountMeta::new(user_collateral, false),
            AccountMeta::new(reserve.reserve, false),
            AccountMeta::new(reserve.liquidity_supply, false),
            AccountMeta::new(reserve.collateral_mint, false),
            AccountMeta::new_readonly(market, false),
            AccountMeta::new_readonly(market_authority(&market), false),
            AccountMeta::new(reserve.collateral_supply, false),
            AccountMeta::new(obligation, false),
            AccountMeta::new(owner, true),
            AccountMeta::new_readonly(reserve.pyth_price, false),
            AccountMeta::new_readonly(reserve.switchboard_feed, false),
            AccountMeta::new_readonly(owner, true),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        with_amount(tag::DEPOSIT_RESERVE_LIQUIDITY_AND_OBLIGATION_COLLATERAL, amount),
    )
}

/// `WithdrawObligationCollateralAndRedeemReserveCollateral`: `ctokens` out of the obligation,
/// redeemed into `destination` (through `user_collateral`). `deposit_reserves`: the
/// obligation's, in order.
#[allow(clippy::too_many_arguments)]
pub fn withdraw_obligation_collateral_and_redeem_reserve_collateral(
    ctokens: u64,
    reserve: &ReserveKeys,
    user_collateral: Pubkey,
    destination: Pubkey,
    market: Pubkey,
    obligation: Pubkey,
    owner: Pubkey,
    deposit_reserves: &[Pubkey],
) -> Instruction {
    let mut metas = vec![
        AccountMeta::new(reserve.collateral_supply, false),
        AccountMeta::new(user_collateral, false),
        AccountMeta::new(reserve.reserve, false),
        AccountMeta::new(obligation, false),
        AccountMeta::new(market, false),
        AccountMeta::new_readonly(market_authority(&market), false),
        AccountMeta::new(destination, false),
        AccountMeta::new(reserve.collateral_mint, false),
        AccountMeta::new(reserve.liquidity_supply, false),
        AccountMeta::new_readonly(owner, true),
        AccountMeta::new_readonly(owner, true),
        AccountMeta::new_readonly(spl_token::ID, false),
    ];
    metas.extend(deposit_reserves.iter().map(|r| AccountMeta::new(*r, false)));
    ix(metas, with_amount(tag::WITHDRAW_OBLIGATION_COLLATERAL_AND_REDEEM_RESERVE_COLLATERAL, ctokens))
}

/// `BorrowObligationLiquidity`: `amount` (the fee comes on top, as debt) into `destination`.
pub fn borrow_obligation_liquidity(
    amount: u64,
    reserve: &ReserveKeys,
    destination: Pubkey,
    market: Pubkey,
    obligation: Pubkey,
    owner: Pubkey,
    deposit_reserves: &[Pubkey],
) -> Instruction {
    let mut metas = vec![
        AccountMeta::new(reserve.liquidity_supply, false),
        AccountMeta::new(destination, false),
        AccountMeta::new(reserve.reserve, false),
        AccountMeta::new(reserve.fee_receiver, false),
        AccountMeta::new(obligation, false),
        AccountMeta::new(market, false),
        AccountMeta::new_readonly(market_authority(&market), false),
        AccountMeta::new_readonly(owner, true),
        AccountMeta::new_readonly(spl_token::ID, false),
    ];
    metas.extend(deposit_reserves.iter().map(|r| AccountMeta::new(*r, false)));
    ix(metas, with_amount(tag::BORROW_OBLIGATION_LIQUIDITY, amount))
}

/// `RepayObligationLiquidity` from `source` (`u64::MAX`: the whole borrow). Anyone may repay.
pub fn repay_obligation_liquidity(
    amount: u64,
    source: Pubkey,
    reserve: &ReserveKeys,
    market: Pubkey,
    obligation: Pubkey,
    transfer_authority: Pubkey,
) -> Instruction {
    ix(
        vec![
            AccountMeta::new(source, false),
            AccountMeta::new(reserve.liquidity_supply, false),
            AccountMeta::new(reserve.reserve, false),
            AccountMeta::new(obligation, false),
            AccountMeta::new_readonly(market, false),
            AccountMeta::new_readonly(transfer_authority, true),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        with_amount(tag::REPAY_OBLIGATION_LIQUIDITY, amount),
    )
}

/// `LiquidateObligationAndRedeemReserveCollateral`: the liquidator repays up to `amount` of
/// `repay`'s liquidity and receives `withdraw`'s collateral, redeemed.
#[allow(clippy::too_many_arguments)]
pub fn liquidate_obligation_and_redeem_reserve_collateral(
    amount: u64,
    source: Pubkey,
    destination_collateral: Pubkey,
    destination_liquidity: Pubkey,
    repay: &ReserveKeys,
    withdraw: &ReserveKeys,
    market: Pubkey,
    obligation: Pubkey,
    liquidator: Pubkey,
) -> Instruction {
    ix(
        vec![
            AccountMeta::new(source, false),
            AccountMeta::new(destination_collateral, false),
            AccountMeta::new(destination_liquidity, false),
            AccountMeta::new(repay.reserve, false),
            AccountMeta::new(repay.liquidity_supply, false),
            AccountMeta::new(withdraw.reserve, false),
            AccountMeta::new(withdraw.collateral_mint, false),
            AccountMeta::new(withdraw.collateral_supply, false),
            AccountMeta::new(withdraw.liquidity_supply, false),
            AccountMeta::new(withdraw.fee_receiver, false),
            AccountMeta::new(obligation, false),
            AccountMeta::new(market, false),
            AccountMeta::new_readonly(market_authority(&market), false),
            AccountMeta::new_readonly(liquidator, true),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        with_amount(tag::LIQUIDATE_OBLIGATION_AND_REDEEM_RESERVE_COLLATERAL, amount),
    )
}

/// `FlashBorrowReserveLiquidity`: top level only (Save refuses it by CPI); the repay must
/// follow in the same transaction.
pub fn flash_borrow_reserve_liquidity(
    amount: u64,
    reserve: &ReserveKeys,
    destination: Pubkey,
    market: Pubkey,
) -> Instruction {
    ix(
        vec![
            AccountMeta::new(reserve.liquidity_supply, false),
            AccountMeta::new(destination, false),
            AccountMeta::new(reserve.reserve, false),
            AccountMeta::new_readonly(market, false),
            AccountMeta::new_readonly(market_authority(&market), false),
            AccountMeta::new_readonly(sysvar::instructions::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        with_amount(tag::FLASH_BORROW_RESERVE_LIQUIDITY, amount),
    )
}

/// `FlashRepayReserveLiquidity` of the flash borrow at `borrow_instruction_index` in this
/// transaction: the amount borrowed, plus the reserve's flash fee from `source`.
#[allow(clippy::too_many_arguments)]
pub fn flash_repay_reserve_liquidity(
    amount: u64,
    borrow_instruction_index: u8,
    source: Pubkey,
    reserve: &ReserveKeys,
    host_fee_receiver: Pubkey,
    market: Pubkey,
    transfer_authority: Pubkey,
) -> Instruction {
    let mut data = with_amount(tag::FLASH_REPAY_RESERVE_LIQUIDITY, amount);
    data.push(borrow_instruction_index);
    ix(
        vec![
            AccountMeta::new(source, false),
            AccountMeta::new(reserve.liquidity_supply, false),
            AccountMeta::new(reserve.fee_receiver, false),
            AccountMeta::new(host_fee_receiver, false),
            AccountMeta::new(reserve.reserve, false),
            AccountMeta::new_readonly(market, false),
            AccountMeta::new_readonly(transfer_authority, true),
            AccountMeta::new_readonly(sysvar::instructions::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        data,
    )
}
