//! Health of 10,000 lending positions evaluated from raw account bytes, as the keeper will do on
//! every loop: unpack the obligation and both reserves, accrue interest to the current slot,
//! value deposits and borrows. Prints a table; compare the rows of one run, not across machines.
use std::time::Instant;

use ballast::math::health::lending_health;
use solana_program::{program_pack::Pack, pubkey::Pubkey};
use spl_token_lending::math::Decimal;
use spl_token_lending::state::{
    InitObligationParams, InitReserveParams, LastUpdate, NewReserveCollateralParams, NewReserveLiquidityParams,
    Obligation, ObligationCollateral, ObligationLiquidity, Reserve, ReserveCollateral, ReserveLiquidity,
};

const POSITIONS: usize = 10_000;

fn reserve(market: Pubkey, mint_decimals: u8, usd: u64, config: spl_token_lending::state::ReserveConfig) -> Reserve {
    let mut r = Reserve::new(InitReserveParams {
        current_slot: 100,
        lending_market: market,
        liquidity: ReserveLiquidity::new(NewReserveLiquidityParams {
            mint_pubkey: Pubkey::new_unique(),
            mint_decimals,
            supply_pubkey: Pubkey::new_unique(),
            fee_receiver: Pubkey::new_unique(),
            oracle_pubkey: Pubkey::new_unique(),
            market_price: Decimal::from(usd),
        }),
        collateral: ReserveCollateral::new(NewReserveCollateralParams {
            mint_pubkey: Pubkey::new_unique(),
            supply_pubkey: Pubkey::new_unique(),
        }),
        config,
    });
    r.liquidity.available_amount = 1_000_000_000_000;
    r.collateral.mint_total_supply = 1_000_000_000_000;
    r.liquidity.borrowed_amount_wads = Decimal::from(400_000_000_000u64);
    r.last_update = LastUpdate::new(100);
    r
}

fn main() {
    let market = Pubkey::new_unique();
    let lst = reserve(market, 9, 165, ballast_localnet::lending::lst_reserve_config());
    let sol = reserve(market, 9, 150, ballast_localnet::lending::sol_reserve_config(0, 4));
    let (mut lst_bytes, mut sol_bytes) = (vec![0u8; Reserve::LEN], vec![0u8; Reserve::LEN]);
    Reserve::pack(lst.clone(), &mut lst_bytes).unwrap();
    Reserve::pack(sol.clone(), &mut sol_bytes).unwrap();

    let obligations: Vec<Vec<u8>> = (0..POSITIONS)
        .map(|i| {
            let mut o = Obligation::new(InitObligationParams {
                current_slot: 100,
                lending_market: market,
                owner: Pubkey::new_unique(),
                deposits: vec![ObligationCollateral::new(Pubkey::new_unique())],
                borrows: vec![ObligationLiquidity::new(Pubkey::new_unique())],
            });
            o.deposits[0].deposited_amount = 10_000_000_000 + i as u64 * 1_000;
            o.borrows[0].borrowed_amount_wads = Decimal::from(5_000_000_000 + i as u64 * 700);
            let mut bytes = vec![0u8; Obligation::LEN];
            Obligation::pack(o, &mut bytes).unwrap();
            bytes
        })
        .collect();

    let run = |slot: u64| {
        let start = Instant::now();
        let mut liquidatable = 0usize;
        for bytes in &obligations {
            let obligation = Obligation::unpack(bytes).unwrap();
            let lst = Reserve::unpack(&lst_bytes).unwrap();
            let sol = Reserve::unpack(&sol_bytes).unwrap();
            let health = lending_health(&obligation, &lst, &sol, slot, None).unwrap();
            liquidatable += health.is_liquidatable() as usize;
        }
        (start.elapsed(), liquidatable)
    };

    println!("{:<44} {:>12} {:>14} {:>14}", "case", "positions", "total ms", "us / position");
    for (name, slot) in
        [("same slot as the reserves (no accrual)", 100), ("10,000 slots of interest to accrue", 10_100)]
    {
        // one warm-up pass, then the measured one
        run(slot);
        let (elapsed, liquidatable) = run(slot);
        println!(
            "{:<44} {:>12} {:>14.2} {:>14.3}",
            name,
            POSITIONS,
            elapsed.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e6 / POSITIONS as f64
        );
        assert_eq!(liquidatable, 0, "every bench position is healthy");
    }
}
