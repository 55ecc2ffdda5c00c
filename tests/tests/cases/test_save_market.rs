//! Save's deployed program, driven directly: our account layouts against accounts the binary
//! wrote (every field read back to the same bytes, and each read value the one we set or
//! moved), our reproduction of its health against what it records after its own refresh, a
//! real liquidation landing exactly when we say it may, a top-level flash loan, and the
//! compute units Save's instructions cost (metered by the VM: real figures).
use std::collections::BTreeMap;

use ballast::adapters::save::instruction as save_ix;
use ballast::adapters::save::state::{LendingMarket, Obligation, Reserve};
use ballast::adapters::save::SAVE_PROGRAM_ID;
use ballast::math::save_health::lending_health;
use ballast_localnet::chain::custom_error;
use ballast_localnet::lending::LendingFixture;
use ballast_localnet::oracle::{legacy_decimal, LEGACY_ORACLE_PROGRAM};
use ballast_localnet::save::{self, lst_reserve_config, sol_reserve_config, FLASH_LOAN_FEE_WAD};
use ballast_localnet::vault::{SOL, SOL_USD};
use ballast_localnet::Chain;
use proptest::prelude::*;
use solana_program::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const LST: u64 = 1_000_000_000;
/// Save's `ObligationHealthy`.
const SAVE_OBLIGATION_HEALTHY: u32 = 29;

struct Market {
    chain: Chain,
    save: LendingFixture,
    lst_mint: Pubkey,
    user: Keypair,
    user_lst: Pubkey,
    user_ctokens: Pubkey,
    user_wsol: Pubkey,
    obligation: Pubkey,
    /// Compute units of each Save instruction seen, by its log name (the last one seen).
    compute_units: BTreeMap<String, u64>,
}

impl Market {
    /// A market with 100 LST and 100 SOL of first deposits, the LST at 1.1 SOL, and a user
    /// holding 20 LST with an empty obligation.
    async fn open() -> Self {
        let mut chain = Chain::start().await;
        let owner = chain.funded_keypair(200 * SOL).await;
        let mint_authority = Keypair::new();
        let lst_mint = chain.mint(&mint_authority.pubkey(), 9).await;
        let owner_lst = chain.token_account(&lst_mint, &owner.pubkey()).await;
        mint_lst(&mut chain, &lst_mint, &mint_authority, &owner_lst, 100 * LST).await;
        let save = save::create_market(
            &mut chain,
            owner,
            lst_mint,
            owner_lst,
            100 * LST,
            100 * SOL,
            SOL_USD * 1.1,
            SOL_USD,
            lst_reserve_config(),
            sol_reserve_config(2, 8),
        )
        .await;
        let user = chain.funded_keypair(10 * SOL).await;
        let user_lst = chain.token_account(&lst_mint, &user.pubkey()).await;
        mint_lst(&mut chain, &lst_mint, &mint_authority, &user_lst, 20 * LST).await;
        let user_ctokens = chain.token_account(&save.lst.collateral_mint, &user.pubkey()).await;
        let user_wsol = chain.wsol_account(&user.pubkey(), SOL).await;
        let obligation = save::open_obligation(&mut chain, &save, &user).await;
        Self {
            chain,
            save,
            lst_mint,
            user,
            user_lst,
            user_ctokens,
            user_wsol,
            obligation,
            compute_units: BTreeMap::new(),
        }
    }

    /// Sends, recording the compute units of every Save instruction in the transaction.
    async fn send(
        &mut self,
        ixs: &[solana_program::instruction::Instruction],
        signers: &[&Keypair],
    ) -> ballast_localnet::TxResult {
        let (result, logs) = self.chain.send_logged(ixs, signers).await;
        let invoke = format!("Program {SAVE_PROGRAM_ID} invoke");
        let consumed = format!("Program {SAVE_PROGRAM_ID} consumed ");
        let mut name = None;
        for line in &logs {
            if line.starts_with(&invoke) {
                name = None;
            } else if let Some(n) = line.strip_prefix("Program log: Instruction: ") {
                name.get_or_insert_with(|| n.to_string());
            } else if let Some(rest) = line.strip_prefix(&consumed) {
                let units: u64 = rest.split_whitespace().next().unwrap().parse().unwrap();
                if let Some(n) = name.take() {
                    self.compute_units.insert(n, units);
                }
            }
        }
        result
    }

    async fn deposit_lst(&mut self, amount: u64) {
        let ix = save_ix::deposit_reserve_liquidity_and_obligation_collateral(
            amount,
            self.user_lst,
            self.user_ctokens,
            &self.save.lst.save_keys(),
            self.save.market,
            self.obligation,
            self.user.pubkey(),
        );
        let user = self.user.insecure_clone();
        self.send(&[ix], &[&user]).await.unwrap();
    }

    async fn borrow_sol(&mut self, lamports: u64) {
        let mut ixs = save::refresh_all_ixs(&mut self.chain, &self.save, &self.obligation).await;
        ixs.push(save_ix::borrow_obligation_liquidity(
            lamports,
            &self.save.sol.save_keys(),
            self.user_wsol,
            self.save.market,
            self.obligation,
            self.user.pubkey(),
            &[self.save.lst.reserve],
        ));
        let user = self.user.insecure_clone();
        self.send(&ixs, &[&user]).await.unwrap();
    }

    async fn refresh(&mut self) {
        let ixs = save::refresh_all_ixs(&mut self.chain, &self.save, &self.obligation).await;
        self.send(&ixs, &[]).await.unwrap();
    }

    fn print_compute_units(&self) {
        println!("\nSave's compute units per instruction (deployed binary, metered by the VM):");
        println!("| instruction | compute units |\n|---|---:|");
        for (name, units) in &self.compute_units {
            println!("| {name} | {units} |");
        }
    }

    /// Our reading of the accounts as they are now, with the oracles' current prices in place
    /// of the reserves' stored ones (what the next refresh will read).
    async fn predicted_health(&mut self) -> ballast::math::health::LendingHealth {
        let slot = self.chain.clock().await.slot;
        let obligation = save::obligation(&mut self.chain, &self.obligation).await;
        let mut lst = save::reserve(&mut self.chain, &self.save.lst.reserve).await;
        let mut sol = save::reserve(&mut self.chain, &self.save.sol.reserve).await;
        for (reserve, usd) in [(&mut lst, self.save.lst.usd_price), (&mut sol, self.save.sol.usd_price)] {
            reserve.market_price = legacy_decimal(usd);
            reserve.smoothed_market_price = legacy_decimal(usd);
        }
        lending_health(&obligation, &lst, &sol, slot).unwrap()
    }
}

async fn mint_lst(chain: &mut Chain, mint: &Pubkey, authority: &Keypair, to: &Pubkey, amount: u64) {
    let ix = spl_token::instruction::mint_to(&spl_token::id(), mint, to, &authority.pubkey(), &[], amount).unwrap();
    chain.send_ok(&[ix], &[authority]).await;
}

/// `pack(unpack(bytes))` over a zeroed buffer gives the bytes back: every stored byte is a
/// field we read (the padding Save never writes stays zero).
fn assert_round_trip(data: &[u8], pack: impl Fn(&mut [u8])) {
    let mut packed = vec![0u8; data.len()];
    pack(&mut packed);
    assert_eq!(packed, data, "layout round trip");
}

#[tokio::test]
async fn layouts_read_what_the_deployed_program_wrote() {
    let mut m = Market::open().await;
    m.deposit_lst(16 * LST).await;
    m.borrow_sol(12 * SOL).await;
    m.chain.warp_slots(1_000).await;
    m.save.sync_oracles(&mut m.chain).await;
    m.refresh().await;

    let market_data = m.chain.data(&m.save.market).await;
    let market = LendingMarket::unpack(&market_data).unwrap();
    assert_round_trip(&market_data, |d| market.pack(d).unwrap());
    assert_eq!(market.owner, m.save.owner.pubkey());
    assert_eq!(market.oracle_program_id, LEGACY_ORACLE_PROGRAM);
    assert_eq!(market.token_program_id, spl_token::id());
    assert_eq!(market.whitelisted_liquidator, None);
    assert_eq!(market.risk_authority(), m.save.owner.pubkey());
    assert_eq!(
        Pubkey::create_program_address(&[m.save.market.as_ref(), &[market.bump_seed]], &SAVE_PROGRAM_ID).unwrap(),
        save_ix::market_authority(&m.save.market)
    );

    let lst_data = m.chain.data(&m.save.lst.reserve).await;
    let lst = Reserve::unpack(&lst_data).unwrap();
    assert_round_trip(&lst_data, |d| lst.pack(d).unwrap());
    let mut expected_config = lst_reserve_config();
    expected_config.fee_receiver = m.save.lst.fee_receiver;
    assert_eq!(lst.config, expected_config);
    assert_eq!(lst.lending_market, m.save.market);
    assert_eq!(lst.liquidity_mint, m.lst_mint);
    assert_eq!(lst.liquidity_mint_decimals, 9);
    assert_eq!(lst.liquidity_supply, m.save.lst.liquidity_supply);
    assert_eq!(lst.pyth_oracle, m.save.lst.oracle_price);
    assert_eq!(lst.switchboard_oracle, m.save.lst.save_keys().switchboard_feed);
    assert_eq!(lst.collateral_mint, m.save.lst.collateral_mint);
    assert_eq!(lst.collateral_supply, m.save.lst.collateral_supply);
    // 100 LST first deposit and the user's 16, nothing borrowed: cTokens 1:1.
    assert_eq!(lst.available_amount, 116 * LST);
    assert_eq!(lst.collateral_mint_total_supply, 116 * LST);
    assert_eq!(m.chain.token_balance(&lst.liquidity_supply).await, 116 * LST);
    assert_eq!(lst.market_price, legacy_decimal(SOL_USD * 1.1));
    assert_eq!(lst.smoothed_market_price, legacy_decimal(SOL_USD * 1.1));
    assert_eq!(lst.extra_market_price, None);
    assert_eq!(lst.last_update.slot, m.chain.clock().await.slot);

    let sol_data = m.chain.data(&m.save.sol.reserve).await;
    let sol = Reserve::unpack(&sol_data).unwrap();
    assert_round_trip(&sol_data, |d| sol.pack(d).unwrap());
    assert_eq!(sol.config.flash_loan_fee_wad, FLASH_LOAN_FEE_WAD);
    assert_eq!(sol.available_amount, 88 * SOL);
    assert_eq!(m.chain.token_balance(&sol.liquidity_supply).await, 88 * SOL);
    assert!(sol.borrowed_amount_wads.try_floor_u64().unwrap() > 12 * SOL, "interest over 1,000 slots");
    assert!(sol.accumulated_protocol_fees_wads > spl_token_lending::math::Decimal::zero(), "10% take of the interest");

    let obligation_data = m.chain.data(&m.obligation).await;
    let obligation = Obligation::unpack(&obligation_data).unwrap();
    assert_round_trip(&obligation_data, |d| obligation.pack(d).unwrap());
    assert_eq!(obligation.owner, m.user.pubkey());
    assert_eq!(obligation.lending_market, m.save.market);
    assert_eq!(obligation.deposits.len(), 1);
    assert_eq!(obligation.deposits[0].deposit_reserve, m.save.lst.reserve);
    assert_eq!(obligation.deposits[0].deposited_amount, 16 * LST);
    assert_eq!(obligation.borrows.len(), 1);
    assert_eq!(obligation.borrows[0].borrow_reserve, m.save.sol.reserve);
    assert_eq!(obligation.borrows[0].cumulative_borrow_rate_wads, sol.cumulative_borrow_rate_wads);
    assert_eq!(obligation.borrows[0].borrowed_amount_wads, sol.borrowed_amount_wads);
    assert!(!obligation.closeable && !obligation.borrowing_isolated_asset);
    assert_eq!(m.chain.token_balance(&m.user_wsol).await, 13 * SOL);
}

/// One path through time and prices: before each refresh we predict from the raw accounts
/// what Save will record, then compare with what it recorded.
async fn parity_case(steps: Vec<(u64, f64, f64)>) -> Result<(), TestCaseError> {
    let mut m = Market::open().await;
    m.deposit_lst(16 * LST).await;
    m.borrow_sol(12 * SOL).await;
    for (slots, lst_per_sol, sol_usd) in steps {
        m.chain.warp_slots(slots).await;
        m.save.sol.usd_price = sol_usd;
        m.save.set_lst_usd(&mut m.chain, sol_usd * lst_per_sol).await;
        let ours = m.predicted_health().await;
        m.refresh().await;
        let theirs = save::obligation(&mut m.chain, &m.obligation).await;
        prop_assert_eq!(ours.deposited_value, theirs.deposited_value, "deposited after {} slots", slots);
        prop_assert_eq!(ours.borrowed_value, theirs.borrowed_value, "borrowed after {} slots", slots);
        prop_assert_eq!(ours.borrowed_value_upper_bound, theirs.borrowed_value_upper_bound);
        prop_assert_eq!(ours.allowed_borrow_value, theirs.allowed_borrow_value);
        prop_assert_eq!(ours.unhealthy_borrow_value, theirs.unhealthy_borrow_value);
        prop_assert_eq!(ours.debt_lamports, theirs.borrows[0].borrowed_amount_wads.try_ceil_u64().unwrap());
        prop_assert_eq!(ours.collateral_lst, 16 * LST, "nothing borrowed of the LST: cTokens stay 1:1");
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 16, ..ProptestConfig::default() })]

    /// Up to four steps of time (to ~1 day of slots each) and prices (SOL at $20-$400, the LST
    /// at 0.86-1.2 SOL: the position stays on the healthy side of its 0.833 line).
    #[test]
    fn our_health_is_what_save_records(
        steps in prop::collection::vec((1u64..200_000, 0.86f64..1.2, 20f64..400.0), 1..5),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(parity_case(steps))?;
    }
}

/// The LST falls in steps of 0.25%: the first liquidation that lands is at the first step where
/// we say it may, and every step before it is refused as healthy.
#[tokio::test]
async fn a_liquidation_lands_exactly_when_we_say() {
    let mut m = Market::open().await;
    m.deposit_lst(16 * LST).await;
    m.borrow_sol(12 * SOL).await;
    m.chain.warp_slots(5_000).await;
    m.save.set_lst_usd(&mut m.chain, SOL_USD * 0.9).await;
    let liquidator = m.chain.funded_keypair(10 * SOL).await;
    let liquidator_wsol = m.chain.wsol_account(&liquidator.pubkey(), 5 * SOL).await;
    let liquidator_ctokens = m.chain.token_account(&m.save.lst.collateral_mint, &liquidator.pubkey()).await;
    let liquidator_lst = m.chain.token_account(&m.lst_mint, &liquidator.pubkey()).await;
    let sol_usd = m.save.sol.usd_price;
    let mut refused = 0;
    let mut lst_per_sol = 0.9;
    loop {
        lst_per_sol -= 0.0025;
        assert!(lst_per_sol > 0.7, "no liquidation down to 0.7 SOL per LST");
        m.save.set_lst_usd(&mut m.chain, sol_usd * lst_per_sol).await;
        let ours = m.predicted_health().await;
        let debt_before = ours.debt_lamports;
        let mut ixs = save::refresh_all_ixs(&mut m.chain, &m.save, &m.obligation).await;
        ixs.push(save_ix::liquidate_obligation_and_redeem_reserve_collateral(
            SOL,
            liquidator_wsol,
            liquidator_ctokens,
            liquidator_lst,
            &m.save.sol.save_keys(),
            &m.save.lst.save_keys(),
            m.save.market,
            m.obligation,
            liquidator.pubkey(),
        ));
        let result = m.send(&ixs, &[&liquidator]).await;
        assert_eq!(result.is_ok(), ours.is_liquidatable(), "at {lst_per_sol:.4} SOL per LST: {result:?}");
        if result.is_err() {
            assert_eq!(custom_error(&result), Some(SAVE_OBLIGATION_HEALTHY));
            refused += 1;
            continue;
        }
        // Money: the liquidator paid at most 1 SOL and got LST worth more than it (the bonus),
        // and the vault-side debt fell by what was paid.
        let paid = 5 * SOL - m.chain.token_balance(&liquidator_wsol).await;
        let lst_received = m.chain.token_balance(&liquidator_lst).await;
        assert!(paid > 0 && paid <= SOL);
        assert!((lst_received as f64) * lst_per_sol > paid as f64 * 1.04, "{lst_received} LST for {paid} lamports");
        m.refresh().await;
        let after = save::obligation(&mut m.chain, &m.obligation).await;
        let debt_after = after.borrows[0].borrowed_amount_wads.try_ceil_u64().unwrap();
        assert!(debt_before - debt_after >= paid - 1 && debt_before - debt_after <= paid);
        break;
    }
    assert!(refused >= 2, "the sweep starts on the healthy side");
    m.print_compute_units();
}

#[tokio::test]
async fn a_flash_loan_at_top_level_costs_its_fee_and_compute_units_are_reported() {
    let mut m = Market::open().await;
    m.deposit_lst(16 * LST).await;
    m.borrow_sol(10 * SOL).await;
    // Indexes 0 and 1 of every harness transaction are its compute budget; the borrow is 2.
    let amount = 5 * SOL;
    let fee = (u128::from(amount) * u128::from(FLASH_LOAN_FEE_WAD) / 1_000_000_000_000_000_000) as u64;
    let user_before = m.chain.token_balance(&m.user_wsol).await;
    let receiver_before = m.chain.token_balance(&m.save.sol.fee_receiver).await;
    let supply_before = m.chain.token_balance(&m.save.sol.liquidity_supply).await;
    let ixs = [
        save_ix::flash_borrow_reserve_liquidity(amount, &m.save.sol.save_keys(), m.user_wsol, m.save.market),
        save_ix::flash_repay_reserve_liquidity(
            amount,
            2,
            m.user_wsol,
            &m.save.sol.save_keys(),
            m.save.sol.fee_receiver,
            m.save.market,
            m.user.pubkey(),
        ),
    ];
    let user = m.user.insecure_clone();
    m.send(&ixs, &[&user]).await.unwrap();
    assert_eq!(fee, 1_500_000);
    assert_eq!(m.chain.token_balance(&m.user_wsol).await, user_before - fee);
    assert_eq!(m.chain.token_balance(&m.save.sol.fee_receiver).await, receiver_before + fee);
    assert_eq!(m.chain.token_balance(&m.save.sol.liquidity_supply).await, supply_before);

    // A flash borrow with no repay after it is refused whole.
    let result = m.send(&ixs[..1], &[]).await;
    assert!(result.is_err());
    assert_eq!(m.chain.token_balance(&m.user_wsol).await, user_before - fee);

    // Repay part of the debt and take part of the collateral back, for their costs.
    let mut ixs = vec![save_ix::repay_obligation_liquidity(
        2 * SOL,
        m.user_wsol,
        &m.save.sol.save_keys(),
        m.save.market,
        m.obligation,
        m.user.pubkey(),
    )];
    ixs.extend(m.save.refresh_reserves_ixs());
    ixs.push(save_ix::refresh_obligation(m.obligation, &[m.save.lst.reserve, m.save.sol.reserve]));
    ixs.push(save_ix::withdraw_obligation_collateral_and_redeem_reserve_collateral(
        LST,
        &m.save.lst.save_keys(),
        m.user_ctokens,
        m.user_lst,
        m.save.market,
        m.obligation,
        m.user.pubkey(),
        &[m.save.lst.reserve],
    ));
    let lst_before = m.chain.token_balance(&m.user_lst).await;
    m.send(&ixs, &[&user]).await.unwrap();
    assert_eq!(m.chain.token_balance(&m.user_lst).await, lst_before + LST);

    m.print_compute_units();
    for name in [
        "Refresh Reserve",
        "Refresh Obligation",
        "Deposit Reserve Liquidity and Obligation Collateral",
        "Borrow Obligation Liquidity",
        "Repay Obligation Liquidity",
        "Withdraw Obligation Collateral and Redeem Reserve Collateral",
        "Flash Borrow Reserve Liquidity",
        "Flash Repay Reserve Liquidity",
    ] {
        assert!(m.compute_units.get(name).is_some_and(|u| *u > 0), "no figure for {name}");
    }
}
