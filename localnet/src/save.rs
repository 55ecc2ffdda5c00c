//! A market on Save's deployed program, quoted in USD, with two reserves: the LST (collateral)
//! and SOL (borrowed), each priced by a legacy Pyth account the test rewrites as the market
//! moves, with no Switchboard feed (Save's null key).
use ballast::adapters::save::instruction::{self as save_ix, NewReserve};
use ballast::adapters::save::state::{LendingMarket, Obligation, Reserve, ReserveConfig, NULL_PUBKEY};
use ballast::adapters::save::{SAVE_PROGRAM_ID, SWITCHBOARD_V2_PROGRAM_ID};
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_sdk::signature::{Keypair, Signer};

use ballast::state::LendingVenue;

use crate::chain::Chain;
use crate::lending::{new_price_account, quote_usd, LendingFixture, NewReserveAccounts, ReserveFixture};
use crate::oracle::LEGACY_ORACLE_PROGRAM;

/// Save reads a legacy Pyth price no older than 240 slots and computes `slot - 240` first: a
/// market is only usable from this slot on.
pub const FIRST_USABLE_SLOT: u64 = 300;
/// 0.03% of a flash loan goes to the reserve's fee receiver.
pub const FLASH_LOAN_FEE_WAD: u64 = 300_000_000_000_000;

/// The LST as collateral: LTV 85%, liquidation at 90% (up to 92% for the bonus), 5% bonus (up
/// to 7%), a 1% protocol liquidation fee.
pub fn lst_reserve_config() -> ReserveConfig {
    ReserveConfig {
        optimal_utilization_pct: 80,
        max_utilization_pct_raw: 90,
        loan_to_value_pct: 85,
        liquidation_bonus_pct: 5,
        max_liquidation_bonus_pct_raw: 7,
        liquidation_threshold_pct: 90,
        max_liquidation_threshold_pct_raw: 92,
        min_borrow_rate_pct: 0,
        optimal_borrow_rate_pct: 4,
        max_borrow_rate_pct: 30,
        super_max_borrow_rate_pct_raw: 150,
        borrow_fee_wad: 0,
        flash_loan_fee_wad: u64::MAX,
        host_fee_pct: 0,
        deposit_limit: u64::MAX,
        borrow_limit: u64::MAX,
        fee_receiver: Pubkey::default(),
        protocol_liquidation_fee_deca_bps_raw: 10,
        protocol_take_rate_pct: 10,
        added_borrow_weight_bps: 0,
        reserve_type: 0,
        scaled_price_offset_bps: 0,
        extra_oracle: None,
        attributed_borrow_limit_open_raw: u64::MAX,
        attributed_borrow_limit_close_raw: u64::MAX,
    }
}

/// SOL, borrowed: its rate curve decides the carry of the loop; flash loans at 0.03%.
pub fn sol_reserve_config(min_borrow_rate_pct: u8, optimal_borrow_rate_pct: u8) -> ReserveConfig {
    ReserveConfig {
        loan_to_value_pct: 50,
        liquidation_threshold_pct: 55,
        max_liquidation_threshold_pct_raw: 60,
        min_borrow_rate_pct,
        optimal_borrow_rate_pct,
        max_borrow_rate_pct: optimal_borrow_rate_pct.max(100),
        super_max_borrow_rate_pct_raw: 300,
        flash_loan_fee_wad: FLASH_LOAN_FEE_WAD,
        ..lst_reserve_config()
    }
}

/// A Save market holding `lst_liquidity` LST (from `lst_source`, owned by `owner`) and
/// `sol_liquidity_lamports` SOL as its reserves' first deposits. Warps to `FIRST_USABLE_SLOT`
/// if the chain is younger.
#[allow(clippy::too_many_arguments)]
pub async fn create_market(
    chain: &mut Chain,
    owner: Keypair,
    lst_mint: Pubkey,
    lst_source: Pubkey,
    lst_liquidity: u64,
    sol_liquidity_lamports: u64,
    lst_usd: f64,
    sol_usd: f64,
    lst_config: ReserveConfig,
    sol_config: ReserveConfig,
) -> LendingFixture {
    if chain.clock().await.slot < FIRST_USABLE_SLOT {
        chain.ctx.warp_to_slot(FIRST_USABLE_SLOT).unwrap();
    }
    let market = Keypair::new();
    let create = chain.create_account_ix(&market.pubkey(), LendingMarket::LEN, &SAVE_PROGRAM_ID).await;
    chain
        .send_ok(
            &[
                create,
                save_ix::init_lending_market(
                    market.pubkey(),
                    owner.pubkey(),
                    quote_usd(),
                    LEGACY_ORACLE_PROGRAM,
                    SWITCHBOARD_V2_PROGRAM_ID,
                ),
            ],
            &[&market],
        )
        .await;
    let wsol = chain.wsol_account(&owner.pubkey(), sol_liquidity_lamports).await;
    let lst =
        create_reserve(chain, &market.pubkey(), &owner, lst_mint, lst_source, lst_liquidity, lst_config, lst_usd).await;
    let sol = create_reserve(
        chain,
        &market.pubkey(),
        &owner,
        spl_token::native_mint::id(),
        wsol,
        sol_liquidity_lamports,
        sol_config,
        sol_usd,
    )
    .await;
    LendingFixture {
        venue: LendingVenue::Save,
        market: market.pubkey(),
        market_authority: save_ix::market_authority(&market.pubkey()),
        owner,
        lst,
        sol,
    }
}

pub async fn market_state(chain: &mut Chain, key: &Pubkey) -> LendingMarket {
    LendingMarket::unpack(&chain.data(key).await).unwrap()
}

pub async fn reserve(chain: &mut Chain, key: &Pubkey) -> Reserve {
    Reserve::unpack(&chain.data(key).await).unwrap()
}

pub async fn obligation(chain: &mut Chain, key: &Pubkey) -> Obligation {
    Obligation::unpack(&chain.data(key).await).unwrap()
}

/// Both reserves, then `obligation` with the reserves it holds (deposits, then borrows).
pub async fn refresh_all_ixs(chain: &mut Chain, market: &LendingFixture, obligation: &Pubkey) -> Vec<Instruction> {
    let state = self::obligation(chain, obligation).await;
    let reserves: Vec<Pubkey> = state
        .deposits
        .iter()
        .map(|d| d.deposit_reserve)
        .chain(state.borrows.iter().map(|b| b.borrow_reserve))
        .collect();
    let mut ixs = market.refresh_reserves_ixs();
    ixs.push(save_ix::refresh_obligation(*obligation, &reserves));
    ixs
}

/// A new obligation in `market`, owned by `owner` (who signs).
pub async fn open_obligation(chain: &mut Chain, market: &LendingFixture, owner: &Keypair) -> Pubkey {
    let obligation = Keypair::new();
    let ixs = [
        chain.create_account_ix(&obligation.pubkey(), Obligation::LEN, &SAVE_PROGRAM_ID).await,
        save_ix::init_obligation(obligation.pubkey(), market.market, owner.pubkey()),
    ];
    chain.send_ok(&ixs, &[&obligation, owner]).await;
    obligation.pubkey()
}

#[allow(clippy::too_many_arguments)]
async fn create_reserve(
    chain: &mut Chain,
    market: &Pubkey,
    owner: &Keypair,
    liquidity_mint: Pubkey,
    source: Pubkey,
    liquidity_amount: u64,
    mut config: ReserveConfig,
    usd_price: f64,
) -> ReserveFixture {
    let NewReserveAccounts { reserve, supply, fee_receiver, collateral_mint, collateral_supply, destination } =
        NewReserveAccounts::create(chain, Reserve::LEN, &SAVE_PROGRAM_ID).await;
    let pyth_price = new_price_account(chain, usd_price).await;
    config.fee_receiver = fee_receiver;
    let new = NewReserve {
        reserve,
        liquidity_mint,
        liquidity_supply: supply,
        fee_receiver,
        collateral_mint,
        collateral_supply,
        destination_collateral: destination,
        // With no Switchboard feed Save wants a non-null product key; it reads nothing from it.
        pyth_product: pyth_price,
        pyth_price,
        switchboard_feed: NULL_PUBKEY,
    };
    chain
        .send_ok(
            &[save_ix::init_reserve(*market, owner.pubkey(), owner.pubkey(), source, liquidity_amount, &config, &new)],
            &[owner],
        )
        .await;
    ReserveFixture {
        reserve,
        liquidity_mint,
        liquidity_supply: supply,
        fee_receiver,
        collateral_mint,
        collateral_supply,
        oracle_price: pyth_price,
        oracle_product: pyth_price,
        switchboard: Some(NULL_PUBKEY),
        usd_price,
    }
}
