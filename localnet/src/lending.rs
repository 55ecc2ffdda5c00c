//! A real spl-token-lending 0.2.0 market quoted in USD with two reserves: the LST (collateral,
//! LTV 85%, liquidation threshold 90%) and SOL (borrowed), each priced by a legacy Pyth account
//! the test rewrites as the market moves.
use solana_program::{program_pack::Pack, pubkey::Pubkey, system_instruction};
use solana_sdk::signature::{Keypair, Signer};
use spl_token_lending::{
    instruction as lending_ix,
    state::{LendingMarket, Obligation, Reserve, ReserveConfig, ReserveFees},
};

use ballast::adapters::lending::LendingState;
use ballast::adapters::save::instruction as save_ix;
use ballast::state::LendingVenue;

use crate::chain::Chain;
use crate::oracle::{legacy_price_bytes, legacy_product_bytes, legacy_units, LEGACY_ORACLE_PROGRAM};

pub fn quote_usd() -> [u8; 32] {
    let mut q = [0u8; 32];
    q[..3].copy_from_slice(b"USD");
    q
}

pub fn lst_reserve_config() -> ReserveConfig {
    ReserveConfig {
        optimal_utilization_rate: 80,
        loan_to_value_ratio: 85,
        liquidation_bonus: 5,
        liquidation_threshold: 90,
        min_borrow_rate: 0,
        optimal_borrow_rate: 4,
        max_borrow_rate: 30,
        fees: ReserveFees { borrow_fee_wad: 0, flash_loan_fee_wad: 0, host_fee_percentage: 0 },
    }
}

/// SOL is only borrowed: no collateral value. Its rate curve decides the carry of the loop.
pub fn sol_reserve_config(min_borrow_rate: u8, optimal_borrow_rate: u8) -> ReserveConfig {
    ReserveConfig {
        optimal_utilization_rate: 80,
        // SOL is collateral for other borrowers (the vault only borrows it).
        loan_to_value_ratio: 50,
        liquidation_bonus: 5,
        liquidation_threshold: 55,
        min_borrow_rate,
        optimal_borrow_rate,
        max_borrow_rate: optimal_borrow_rate.max(100),
        fees: ReserveFees { borrow_fee_wad: 0, flash_loan_fee_wad: 0, host_fee_percentage: 0 },
    }
}

#[derive(Clone, Debug)]
pub struct ReserveFixture {
    pub reserve: Pubkey,
    pub liquidity_mint: Pubkey,
    pub liquidity_supply: Pubkey,
    pub fee_receiver: Pubkey,
    pub collateral_mint: Pubkey,
    pub collateral_supply: Pubkey,
    pub oracle_price: Pubkey,
    pub oracle_product: Pubkey,
    /// Save's second price account (its null key: none); spl-token-lending has none.
    pub switchboard: Option<Pubkey>,
    pub usd_price: f64,
}

impl ReserveFixture {
    /// The reserve's accounts the vault's instructions name.
    pub fn accounts(&self) -> ballast::adapters::lending::ReserveAccounts {
        ballast::adapters::lending::ReserveAccounts {
            reserve: self.reserve,
            oracle: self.oracle_price,
            switchboard_oracle: self.switchboard,
            liquidity_supply: self.liquidity_supply,
            collateral_mint: self.collateral_mint,
            collateral_supply: self.collateral_supply,
            fee_receiver: self.fee_receiver,
        }
    }

    /// The keys Save's instruction builders take.
    pub fn save_keys(&self) -> ballast::adapters::save::instruction::ReserveKeys {
        ballast::adapters::save::instruction::ReserveKeys {
            reserve: self.reserve,
            liquidity_supply: self.liquidity_supply,
            collateral_mint: self.collateral_mint,
            collateral_supply: self.collateral_supply,
            fee_receiver: self.fee_receiver,
            pyth_price: self.oracle_price,
            switchboard_feed: self.switchboard.unwrap_or(ballast::adapters::save::state::NULL_PUBKEY),
        }
    }
}

/// A lending market with an LST and a SOL reserve, on either venue.
pub struct LendingFixture {
    pub venue: LendingVenue,
    pub market: Pubkey,
    pub market_authority: Pubkey,
    pub owner: Keypair,
    pub lst: ReserveFixture,
    pub sol: ReserveFixture,
}

impl LendingFixture {
    /// A market whose owner supplies `lst_liquidity` LST (from `lst_source`, owned by `owner`)
    /// and `sol_liquidity_lamports` SOL as the reserves' initial liquidity.
    #[allow(clippy::too_many_arguments)]
    pub async fn create(
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
    ) -> Self {
        let market = Keypair::new();
        let create = chain.create_account_ix(&market.pubkey(), LendingMarket::LEN, &spl_token_lending::id()).await;
        chain
            .send_ok(
                &[
                    create,
                    lending_ix::init_lending_market(
                        spl_token_lending::id(),
                        owner.pubkey(),
                        quote_usd(),
                        market.pubkey(),
                        LEGACY_ORACLE_PROGRAM,
                    ),
                ],
                &[&market],
            )
            .await;
        let market_authority = Pubkey::find_program_address(&[market.pubkey().as_ref()], &spl_token_lending::id()).0;

        // SOL liquidity arrives as wrapped SOL.
        let wsol = chain.wsol_account(&owner.pubkey(), sol_liquidity_lamports).await;

        let lst =
            create_reserve(chain, &market.pubkey(), &owner, lst_mint, lst_source, lst_liquidity, lst_config, lst_usd)
                .await;
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
        Self { venue: LendingVenue::SplTokenLending, market: market.pubkey(), market_authority, owner, lst, sol }
    }

    /// Rewrites both legacy price accounts at the current slot (the lending program refuses a
    /// price more than 4 slots old).
    pub async fn sync_oracles(&mut self, chain: &mut Chain) {
        let slot = chain.clock().await.slot;
        for r in [&self.lst, &self.sol] {
            chain
                .write_account(
                    &r.oracle_price,
                    &LEGACY_ORACLE_PROGRAM,
                    legacy_price_bytes(legacy_units(r.usd_price), 0, slot),
                )
                .await;
        }
    }

    /// Publishes the given (price, confidence) pairs in USD in the current slot; `None`: that
    /// account keeps its last price and slot, as a feed in an outage does.
    pub async fn publish(&mut self, chain: &mut Chain, sol_usd: Option<(f64, f64)>, lst_usd: Option<(f64, f64)>) {
        let slot = chain.clock().await.slot;
        for (r, quote) in [(&mut self.sol, sol_usd), (&mut self.lst, lst_usd)] {
            let Some((usd, conf_usd)) = quote else { continue };
            r.usd_price = usd;
            let bytes = legacy_price_bytes(legacy_units(usd), legacy_units(conf_usd).max(0) as u64, slot);
            chain.write_account(&r.oracle_price, &LEGACY_ORACLE_PROGRAM, bytes).await;
        }
    }

    /// Sets the LST's price and publishes both prices in the current slot.
    pub async fn set_lst_usd(&mut self, chain: &mut Chain, usd: f64) {
        self.lst.usd_price = usd;
        self.sync_oracles(chain).await;
    }

    pub async fn reserve(chain: &mut Chain, key: &Pubkey) -> Reserve {
        Reserve::unpack(&chain.data(key).await).unwrap()
    }

    pub async fn obligation(chain: &mut Chain, key: &Pubkey) -> Obligation {
        Obligation::unpack(&chain.data(key).await).unwrap()
    }

    /// Refreshes both reserves (prices and interest) in the current slot.
    pub fn refresh_reserves_ixs(&self) -> Vec<solana_program::instruction::Instruction> {
        [&self.lst, &self.sol]
            .into_iter()
            .map(|r| match self.venue {
                LendingVenue::SplTokenLending => {
                    lending_ix::refresh_reserve(spl_token_lending::id(), r.reserve, r.oracle_price)
                }
                LendingVenue::Save => {
                    let keys = r.save_keys();
                    save_ix::refresh_reserve(keys.reserve, keys.pyth_price, keys.switchboard_feed)
                }
            })
            .collect()
    }

    /// `RefreshObligation` of `obligation` holding `reserves` (deposits, then borrows).
    pub fn refresh_obligation_ix(
        &self,
        obligation: Pubkey,
        reserves: &[Pubkey],
    ) -> solana_program::instruction::Instruction {
        match self.venue {
            LendingVenue::SplTokenLending => {
                lending_ix::refresh_obligation(spl_token_lending::id(), obligation, reserves.to_vec())
            }
            LendingVenue::Save => save_ix::refresh_obligation(obligation, reserves),
        }
    }

    /// The obligation and both reserves, read through the venue.
    pub async fn state(&self, chain: &mut Chain, obligation: &Pubkey) -> LendingState {
        let obligation = chain.data(obligation).await;
        let lst = chain.data(&self.lst.reserve).await;
        let sol = chain.data(&self.sol.reserve).await;
        LendingState::decode(self.venue, &obligation, (self.lst.reserve, &lst), (self.sol.reserve, &sol)).unwrap()
    }
}

#[allow(clippy::too_many_arguments)]
async fn create_reserve(
    chain: &mut Chain,
    market: &Pubkey,
    owner: &Keypair,
    liquidity_mint: Pubkey,
    source: Pubkey,
    liquidity_amount: u64,
    config: ReserveConfig,
    usd_price: f64,
) -> ReserveFixture {
    let NewReserveAccounts { reserve, supply, fee_receiver, collateral_mint, collateral_supply, destination } =
        NewReserveAccounts::create(chain, Reserve::LEN, &spl_token_lending::id()).await;
    let oracle_price = new_price_account(chain, usd_price).await;
    let oracle_product = Pubkey::new_unique();
    chain.write_account(&oracle_product, &LEGACY_ORACLE_PROGRAM, legacy_product_bytes(&oracle_price)).await;

    chain
        .send_ok(
            &[lending_ix::init_reserve(
                spl_token_lending::id(),
                liquidity_amount,
                config,
                source,
                destination,
                reserve,
                liquidity_mint,
                supply,
                fee_receiver,
                collateral_mint,
                collateral_supply,
                oracle_product,
                oracle_price,
                *market,
                owner.pubkey(),
                owner.pubkey(),
            )],
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
        oracle_price,
        oracle_product,
        switchboard: None,
        usd_price,
    }
}

/// The accounts a reserve's `InitReserve` initializes, created empty: the reserve (owned by the
/// lending program), its supply, fee receiver, collateral mint and supply, and the account that
/// receives the first deposit's cTokens (owned by the token program).
pub(crate) struct NewReserveAccounts {
    pub reserve: Pubkey,
    pub supply: Pubkey,
    pub fee_receiver: Pubkey,
    pub collateral_mint: Pubkey,
    pub collateral_supply: Pubkey,
    pub destination: Pubkey,
}

impl NewReserveAccounts {
    pub(crate) async fn create(chain: &mut Chain, reserve_len: usize, lending_program: &Pubkey) -> Self {
        let payer = chain.payer();
        let rent = chain.ctx.banks_client.get_rent().await.unwrap();
        let keys: [Keypair; 6] = std::array::from_fn(|_| Keypair::new());
        let (token, mint, program) = (spl_token::state::Account::LEN, spl_token::state::Mint::LEN, spl_token::ID);
        // In the order of the fields: sizes and owners.
        let specs = [
            (reserve_len, *lending_program),
            (token, program),
            (token, program),
            (mint, program),
            (token, program),
            (token, program),
        ];
        let ixs: Vec<_> = keys
            .iter()
            .zip(specs)
            .map(|(k, (len, owner))| {
                system_instruction::create_account(
                    &payer.pubkey(),
                    &k.pubkey(),
                    rent.minimum_balance(len),
                    len as u64,
                    &owner,
                )
            })
            .collect();
        chain.send_ok(&ixs, &keys.iter().collect::<Vec<_>>()).await;
        let [reserve, supply, fee_receiver, collateral_mint, collateral_supply, destination] = keys.map(|k| k.pubkey());
        Self { reserve, supply, fee_receiver, collateral_mint, collateral_supply, destination }
    }
}

/// A legacy Pyth price account for `usd`, published in the current slot.
pub(crate) async fn new_price_account(chain: &mut Chain, usd: f64) -> Pubkey {
    let key = Pubkey::new_unique();
    let slot = chain.clock().await.slot;
    chain.write_account(&key, &LEGACY_ORACLE_PROGRAM, legacy_price_bytes(legacy_units(usd), 0, slot)).await;
    key
}
