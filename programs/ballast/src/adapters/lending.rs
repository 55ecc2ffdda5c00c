//! The vault's one interface to a lending market, whichever program runs it. The venue is an
//! enum stored in the binding (`LendingVenue`): the set is closed and each venue is audited on
//! its own, and on-chain an enum needs no dynamic dispatch. Every operation matches on it: the
//! loaders decode that venue's accounts into the same views (`ReserveView`, `LendingState`),
//! the health comes from that venue's own math as one `LendingHealth`, and `LendingCpi` builds
//! that venue's instructions. `token_lending` and `save` hold each venue's layouts and
//! instructions; nothing outside this module matches on the venue.
use anchor_lang::prelude::*;
use anchor_lang::solana_program::{instruction::Instruction, program::invoke_signed, program_pack::Pack};
use spl_token_lending::instruction as spl_ix;
use spl_token_lending::math::{Decimal, Rate, TryDiv};
use spl_token_lending::state as spl;

use super::save::{self, instruction as save_ix, state as save_state};
use super::token_lending::{self, PINNED_ORACLE_PROGRAMS};
use crate::errors::VaultError;
use crate::math::health::{self, LendingHealth, ReservePrices};
use crate::math::safe_math::lending_math;
use crate::math::save_health;
use crate::math::valuation::LendingPosition;
use crate::state::{LendingBinding, LendingVenue, RiskParams, Vault};

impl LendingVenue {
    /// How reports and command lines name it.
    pub fn name(&self) -> &'static str {
        match self {
            LendingVenue::SplTokenLending => "spl-token-lending",
            LendingVenue::Save => "save",
        }
    }

    pub fn program_id(&self) -> Pubkey {
        match self {
            LendingVenue::SplTokenLending => spl_token_lending::id(),
            LendingVenue::Save => save::SAVE_PROGRAM_ID,
        }
    }

    /// How old (in slots) a legacy Pyth price may be before the venue's refresh refuses it.
    pub fn oracle_stale_after_slots(&self) -> u64 {
        match self {
            // spl-token-lending 0.2.0 refuses a price 5 slots old.
            LendingVenue::SplTokenLending => 5,
            LendingVenue::Save => save::PYTH_STALE_AFTER_SLOTS,
        }
    }

    /// The venue whose program owns a market account.
    pub fn of_market(market: &AccountInfo) -> Result<Self> {
        match *market.owner {
            owner if owner == spl_token_lending::id() => Ok(LendingVenue::SplTokenLending),
            owner if owner == save::SAVE_PROGRAM_ID => Ok(LendingVenue::Save),
            _ => err!(VaultError::LendingAccountInvalid),
        }
    }
}

/// What the vault reads of a reserve, from either venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReserveView {
    pub reserve: Pubkey,
    pub lending_market: Pubkey,
    pub liquidity_mint: Pubkey,
    pub mint_decimals: u8,
    pub liquidity_supply: Pubkey,
    pub collateral_mint: Pubkey,
    pub collateral_supply: Pubkey,
    pub fee_receiver: Pubkey,
    /// The price account refreshes read (legacy Pyth).
    pub oracle: Pubkey,
    /// Save's second price account (its null key when there is none); spl-token-lending has none.
    pub switchboard_oracle: Option<Pubkey>,
    pub available_amount: u64,
    /// Spot price of one whole token in quote currency, as stored at the last refresh.
    pub market_price: Decimal,
    pub loan_to_value_pct: u8,
    pub liquidation_threshold_pct: u8,
    /// cTokens per token.
    pub collateral_per_token: Rate,
}

impl ReserveView {
    fn from_spl(reserve: Pubkey, r: &spl::Reserve) -> Result<Self> {
        Ok(Self {
            reserve,
            lending_market: r.lending_market,
            liquidity_mint: r.liquidity.mint_pubkey,
            mint_decimals: r.liquidity.mint_decimals,
            liquidity_supply: r.liquidity.supply_pubkey,
            collateral_mint: r.collateral.mint_pubkey,
            collateral_supply: r.collateral.supply_pubkey,
            fee_receiver: r.liquidity.fee_receiver,
            oracle: r.liquidity.oracle_pubkey,
            switchboard_oracle: None,
            available_amount: r.liquidity.available_amount,
            market_price: r.liquidity.market_price,
            loan_to_value_pct: r.config.loan_to_value_ratio,
            liquidation_threshold_pct: r.config.liquidation_threshold,
            collateral_per_token: lending_math(r.collateral_exchange_rate())?.into(),
        })
    }

    fn from_save(reserve: Pubkey, r: &save_state::Reserve) -> Result<Self> {
        Ok(Self {
            reserve,
            lending_market: r.lending_market,
            liquidity_mint: r.liquidity_mint,
            mint_decimals: r.liquidity_mint_decimals,
            liquidity_supply: r.liquidity_supply,
            collateral_mint: r.collateral_mint,
            collateral_supply: r.collateral_supply,
            fee_receiver: r.config.fee_receiver,
            oracle: r.pyth_oracle,
            switchboard_oracle: Some(r.switchboard_oracle),
            available_amount: r.available_amount,
            market_price: r.market_price,
            loan_to_value_pct: r.config.loan_to_value_pct,
            liquidation_threshold_pct: r.config.liquidation_threshold_pct,
            collateral_per_token: save_health::collateral_exchange_rate(r)?,
        })
    }

    /// The reserve's accounts the vault's instructions name.
    pub fn accounts(&self) -> ReserveAccounts {
        ReserveAccounts {
            reserve: self.reserve,
            oracle: self.oracle,
            switchboard_oracle: self.switchboard_oracle,
            liquidity_supply: self.liquidity_supply,
            collateral_mint: self.collateral_mint,
            collateral_supply: self.collateral_supply,
            fee_receiver: self.fee_receiver,
        }
    }

    /// The keys Save's instruction builders take.
    pub fn save_keys(&self) -> save_ix::ReserveKeys {
        save_ix::ReserveKeys {
            reserve: self.reserve,
            liquidity_supply: self.liquidity_supply,
            collateral_mint: self.collateral_mint,
            collateral_supply: self.collateral_supply,
            fee_receiver: self.fee_receiver,
            pyth_price: self.oracle,
            switchboard_feed: self.switchboard_oracle.unwrap_or(save_state::NULL_PUBKEY),
        }
    }
}

/// A reserve's accounts as the vault's instructions name them, on either venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReserveAccounts {
    pub reserve: Pubkey,
    pub oracle: Pubkey,
    /// Save's second price account; none on spl-token-lending.
    pub switchboard_oracle: Option<Pubkey>,
    pub liquidity_supply: Pubkey,
    pub collateral_mint: Pubkey,
    pub collateral_supply: Pubkey,
    pub fee_receiver: Pubkey,
}

/// The venue's own decoding of the three accounts that value the position (boxed: an SBF
/// stack frame holds 4 KiB).
#[derive(Clone, Debug)]
enum VenueState {
    SplTokenLending {
        obligation: Box<spl::Obligation>,
        lst_reserve: Box<spl::Reserve>,
        sol_reserve: Box<spl::Reserve>,
    },
    Save {
        obligation: Box<save_state::Obligation>,
        lst_reserve: Box<save_state::Reserve>,
        sol_reserve: Box<save_state::Reserve>,
    },
}

/// The vault's obligation and both reserves, read through the venue.
#[derive(Clone, Debug)]
pub struct LendingState {
    pub lst: ReserveView,
    pub sol: ReserveView,
    /// The obligation's owner and market.
    pub obligation_owner: Pubkey,
    pub obligation_market: Pubkey,
    /// cTokens in the obligation, per deposit reserve, in its order.
    pub deposits: Vec<(Pubkey, u64)>,
    /// Borrow reserves, in the obligation's order.
    pub borrows: Vec<Pubkey>,
    venue: VenueState,
}

impl LendingState {
    /// Decodes raw account data (no ownership checks: `load_state` makes them on-chain).
    pub fn decode(
        venue: LendingVenue,
        obligation: &[u8],
        (lst_key, lst): (Pubkey, &[u8]),
        (sol_key, sol): (Pubkey, &[u8]),
    ) -> Result<Self> {
        let invalid = |_| error!(VaultError::LendingAccountInvalid);
        match venue {
            LendingVenue::SplTokenLending => {
                let obligation = spl::Obligation::unpack(obligation).map_err(invalid)?;
                let lst_reserve = spl::Reserve::unpack(lst).map_err(invalid)?;
                let sol_reserve = spl::Reserve::unpack(sol).map_err(invalid)?;
                Ok(Self {
                    lst: ReserveView::from_spl(lst_key, &lst_reserve)?,
                    sol: ReserveView::from_spl(sol_key, &sol_reserve)?,
                    obligation_owner: obligation.owner,
                    obligation_market: obligation.lending_market,
                    deposits: obligation.deposits.iter().map(|d| (d.deposit_reserve, d.deposited_amount)).collect(),
                    borrows: obligation.borrows.iter().map(|b| b.borrow_reserve).collect(),
                    venue: VenueState::SplTokenLending {
                        obligation: Box::new(obligation),
                        lst_reserve: Box::new(lst_reserve),
                        sol_reserve: Box::new(sol_reserve),
                    },
                })
            }
            LendingVenue::Save => {
                let obligation = save_state::Obligation::unpack(obligation)?;
                let lst_reserve = save_state::Reserve::unpack(lst)?;
                let sol_reserve = save_state::Reserve::unpack(sol)?;
                Ok(Self {
                    lst: ReserveView::from_save(lst_key, &lst_reserve)?,
                    sol: ReserveView::from_save(sol_key, &sol_reserve)?,
                    obligation_owner: obligation.owner,
                    obligation_market: obligation.lending_market,
                    deposits: obligation.deposits.iter().map(|d| (d.deposit_reserve, d.deposited_amount)).collect(),
                    borrows: obligation.borrows.iter().map(|b| b.borrow_reserve).collect(),
                    venue: VenueState::Save {
                        obligation: Box::new(obligation),
                        lst_reserve: Box::new(lst_reserve),
                        sol_reserve: Box::new(sol_reserve),
                    },
                })
            }
        }
    }

    pub fn venue(&self) -> LendingVenue {
        match self.venue {
            VenueState::SplTokenLending { .. } => LendingVenue::SplTokenLending,
            VenueState::Save { .. } => LendingVenue::Save,
        }
    }

    /// cTokens deposited (the vault's obligation holds one deposit, in the LST reserve).
    pub fn deposited_ctokens(&self) -> u64 {
        self.deposits.iter().map(|(_, c)| *c).sum()
    }

    /// What the market would record on the obligation if refreshed now.
    pub fn health(&self) -> Result<LendingHealth> {
        self.health_at(Clock::get()?.slot, None)
    }

    /// What the market would record if refreshed at `slot`, with `prices` (one whole token in
    /// quote currency, as the oracles publish them) in place of the stored ones.
    pub fn health_at(&self, slot: u64, prices: Option<ReservePrices>) -> Result<LendingHealth> {
        match &self.venue {
            VenueState::SplTokenLending { obligation, lst_reserve, sol_reserve } => {
                health::lending_health(obligation, lst_reserve, sol_reserve, slot, prices)
            }
            VenueState::Save { obligation, lst_reserve, sol_reserve } => {
                let (mut lst, mut sol) = (**lst_reserve, **sol_reserve);
                if let Some(p) = prices {
                    save_health::set_oracle_price(&mut lst, p.lst)?;
                    save_health::set_oracle_price(&mut sol, p.sol)?;
                }
                save_health::lending_health(obligation, &lst, &sol, slot)
            }
        }
    }

    /// The debt, in lamports rounded up, that receiving `receive_lamports` from the SOL reserve
    /// adds to the obligation as it stands.
    pub fn borrow_charge_ceil(&self, receive_lamports: u64) -> Result<u64> {
        match &self.venue {
            VenueState::SplTokenLending { obligation, sol_reserve, .. } => {
                health::borrow_charge_ceil(sol_reserve, receive_lamports, obligation.borrows.is_empty())
            }
            VenueState::Save { sol_reserve, .. } => save_health::borrow_charge_ceil(sol_reserve, receive_lamports),
        }
    }

    /// What the obligation recorded at its last refresh: its values in quote currency, the debt
    /// its stored borrows round up to, and the collateral its deposits redeem for now.
    pub fn recorded_health(&self) -> Result<LendingHealth> {
        let collateral_lst = lending_math(
            Decimal::from(self.deposited_ctokens())
                .try_div(self.lst.collateral_per_token)
                .and_then(|d| d.try_floor_u64()),
        )?;
        let ceil = |d: Decimal| lending_math(d.try_ceil_u64());
        Ok(match &self.venue {
            VenueState::SplTokenLending { obligation, .. } => LendingHealth {
                deposited_value: obligation.deposited_value,
                borrowed_value: obligation.borrowed_value,
                allowed_borrow_value: obligation.allowed_borrow_value,
                unhealthy_borrow_value: obligation.unhealthy_borrow_value,
                borrowed_value_upper_bound: obligation.borrowed_value,
                collateral_lst,
                debt_lamports: obligation.borrows.iter().map(|b| ceil(b.borrowed_amount_wads)).sum::<Result<u64>>()?,
            },
            VenueState::Save { obligation, .. } => LendingHealth {
                deposited_value: obligation.deposited_value,
                borrowed_value: obligation.borrowed_value,
                allowed_borrow_value: obligation.allowed_borrow_value,
                unhealthy_borrow_value: obligation.unhealthy_borrow_value,
                borrowed_value_upper_bound: obligation.borrowed_value_upper_bound,
                collateral_lst,
                debt_lamports: obligation.borrows.iter().map(|b| ceil(b.borrowed_amount_wads)).sum::<Result<u64>>()?,
            },
        })
    }

    /// The SOL reserve's cumulative borrow rate, as stored.
    pub fn sol_cumulative_borrow_rate(&self) -> Decimal {
        match &self.venue {
            VenueState::SplTokenLending { sol_reserve, .. } => sol_reserve.liquidity.cumulative_borrow_rate_wads,
            VenueState::Save { sol_reserve, .. } => sol_reserve.cumulative_borrow_rate_wads,
        }
    }

    /// The SOL reserve's borrow rate now (a year's, as a fraction).
    pub fn sol_borrow_rate(&self) -> Result<Rate> {
        match &self.venue {
            VenueState::SplTokenLending { sol_reserve, .. } => lending_math(sol_reserve.current_borrow_rate()),
            VenueState::Save { sol_reserve, .. } => save_health::current_borrow_rate(sol_reserve),
        }
    }

    /// The price a reserve's refresh would read from its oracle account's `data` at `slot`, by
    /// the venue's own rule; `None` where the venue would refuse it.
    pub fn oracle_price(venue: LendingVenue, data: &[u8], slot: u64) -> Option<Decimal> {
        match venue {
            LendingVenue::SplTokenLending => token_lending::legacy_pyth_market_price(data, slot),
            LendingVenue::Save => save::legacy_pyth_price(data, slot),
        }
    }

    /// spl-token-lending 0.2.0 opens a new borrow entry at a cumulative rate of one, so the first
    /// borrow must be a small seed (see `LendingAccounts::borrow_sol_at_par`); Save opens it at
    /// the reserve's rate.
    pub fn first_borrow_needs_seed(&self) -> bool {
        matches!(self.venue, VenueState::SplTokenLending { .. }) && self.borrows.is_empty()
    }
}

fn require_owned(info: &AccountInfo, venue: LendingVenue) -> Result<()> {
    require_keys_eq!(*info.owner, venue.program_id(), VaultError::LendingAccountInvalid);
    Ok(())
}

/// The reserve at `expected`, owned by the venue, in `market`.
pub fn load_reserve(
    venue: LendingVenue,
    info: &AccountInfo,
    expected: &Pubkey,
    market: &Pubkey,
) -> Result<ReserveView> {
    match venue {
        LendingVenue::SplTokenLending => {
            ReserveView::from_spl(*info.key, &token_lending::load_reserve(info, expected, market)?)
        }
        LendingVenue::Save => ReserveView::from_save(*info.key, &save::load_reserve(info, expected, market)?),
    }
}

/// Loads `[obligation, lst_reserve, sol_reserve]` (in that order) for a bound vault: the bound
/// addresses, owned by the venue, the obligation owned by the vault in the bound market and
/// holding nothing but the LST deposit and the SOL borrow.
pub fn load_state(infos: &[AccountInfo], binding: &LendingBinding, vault: &Pubkey) -> Result<LendingState> {
    let [obligation, lst_reserve, sol_reserve] = infos else {
        return err!(VaultError::LendingAccountsMissing);
    };
    require_keys_eq!(*obligation.key, binding.obligation, VaultError::LendingAccountMismatch);
    require_keys_eq!(*lst_reserve.key, binding.lst_reserve, VaultError::LendingAccountMismatch);
    require_keys_eq!(*sol_reserve.key, binding.sol_reserve, VaultError::LendingAccountMismatch);
    for info in infos {
        require_owned(info, binding.venue)?;
    }
    let state = LendingState::decode(
        binding.venue,
        &obligation.try_borrow_data()?,
        (*lst_reserve.key, &lst_reserve.try_borrow_data()?),
        (*sol_reserve.key, &sol_reserve.try_borrow_data()?),
    )?;
    require_keys_eq!(state.lst.lending_market, binding.market, VaultError::LendingAccountMismatch);
    require_keys_eq!(state.sol.lending_market, binding.market, VaultError::LendingAccountMismatch);
    require_keys_eq!(state.obligation_owner, *vault, VaultError::LendingAccountMismatch);
    require_keys_eq!(state.obligation_market, binding.market, VaultError::LendingAccountMismatch);
    require!(
        state.deposits.iter().all(|(r, _)| *r == binding.lst_reserve)
            && state.borrows.iter().all(|r| *r == binding.sol_reserve),
        VaultError::LendingAccountInvalid
    );
    Ok(state)
}

/// The vault's lending position now, from exactly `[obligation, LST reserve, SOL reserve]`;
/// nothing if the vault has no lending market.
pub fn position(vault: &Vault, vault_key: &Pubkey, infos: &[AccountInfo]) -> Result<LendingPosition> {
    let Some(binding) = &vault.lending else {
        return Ok(LendingPosition::default());
    };
    let health = load_state(infos, binding, vault_key)?.health()?;
    Ok(LendingPosition { collateral_lst: health.collateral_lst, debt_lamports: health.debt_lamports })
}

/// The market's owner.
fn market_owner(venue: LendingVenue, market: &AccountInfo) -> Result<Pubkey> {
    Ok(match venue {
        LendingVenue::SplTokenLending => token_lending::load_market(market)?.owner,
        LendingVenue::Save => save::load_market(market)?.owner,
    })
}

/// What `propose_lending` and `bind_lending` both check of a market and its two reserves: the
/// market's prices come from Pyth (spl-token-lending reads the oracle program its market names,
/// which must be one of the pinned Pyth programs; Save tells oracles apart by their owner among
/// programs it hard-codes, and each reserve must name a Pyth price account); the reserves are in
/// it and lend the vault's LST and SOL; the vault's trigger sits below the LST reserve's borrow
/// limit with its margin. Returns the venue, the market's owner and the LST reserve.
pub fn check_bindable(
    vault: &Vault,
    market: &AccountInfo,
    lst_reserve: &AccountInfo,
    sol_reserve: &AccountInfo,
) -> Result<(LendingVenue, Pubkey, ReserveView)> {
    let venue = LendingVenue::of_market(market)?;
    let owner = match venue {
        LendingVenue::SplTokenLending => {
            let state = token_lending::load_market(market)?;
            require!(
                PINNED_ORACLE_PROGRAMS.contains(&state.oracle_program_id),
                VaultError::LendingOracleProgramNotPinned
            );
            state.owner
        }
        LendingVenue::Save => save::load_market(market)?.owner,
    };
    let lst = load_reserve(venue, lst_reserve, lst_reserve.key, market.key)?;
    let sol = load_reserve(venue, sol_reserve, sol_reserve.key, market.key)?;
    if venue == LendingVenue::Save {
        require!(
            lst.oracle != save_state::NULL_PUBKEY && sol.oracle != save_state::NULL_PUBKEY,
            VaultError::LendingOracleProgramNotPinned
        );
    }
    require_keys_eq!(lst.liquidity_mint, vault.lst_mint, VaultError::LendingReserveMintMismatch);
    require_keys_eq!(
        sol.liquidity_mint,
        anchor_spl::token::spl_token::native_mint::ID,
        VaultError::LendingReserveMintMismatch
    );
    check_trigger_for_market(&vault.risk_params, &lst)?;
    Ok((venue, owner, lst))
}

/// The bound market is still owned by whom it was at binding: its owner may change what its
/// reserves accept, so no risk is added under a new one until the DAO binds anew.
pub fn require_market_owner(market: &AccountInfo, binding: &LendingBinding) -> Result<()> {
    require_keys_eq!(*market.key, binding.market, VaultError::LendingAccountMismatch);
    require_owned(market, binding.venue)?;
    require_keys_eq!(market_owner(binding.venue, market)?, binding.market_owner, VaultError::LendingMarketOwnerChanged);
    Ok(())
}

/// Anyone may unwind before the market may liquidate, and while it still lets collateral go:
/// see `RiskParams::check_trigger_for_market`.
pub fn check_trigger_for_market(params: &RiskParams, lst_reserve: &ReserveView) -> Result<()> {
    params.check_trigger_for_market(lst_reserve.loan_to_value_pct, lst_reserve.liquidation_threshold_pct)
}

/// Checks `params` against the bound market, whose LST reserve is the first of `remaining`;
/// nothing to check before a market is bound.
pub fn check_params_for_market(vault: &Vault, params: &RiskParams, remaining: &[AccountInfo]) -> Result<()> {
    let Some(binding) = &vault.lending else {
        return Ok(());
    };
    let info = remaining.first().ok_or_else(|| error!(VaultError::LendingAccountsMissing))?;
    check_trigger_for_market(params, &load_reserve(binding.venue, info, &binding.lst_reserve, &binding.market)?)
}

/// The lending accounts a vault instruction CPIs with. All writable ones are checked against the
/// binding or the reserves' own records before any CPI; the lending program checks the rest.
pub struct LendingCpi<'info> {
    pub venue: LendingVenue,
    pub program: AccountInfo<'info>,
    pub market: AccountInfo<'info>,
    pub market_authority: AccountInfo<'info>,
    pub obligation: AccountInfo<'info>,
    pub lst_reserve: ReserveView,
    pub lst_reserve_info: AccountInfo<'info>,
    pub sol_reserve: ReserveView,
    pub sol_reserve_info: AccountInfo<'info>,
    /// The price accounts (and Save's second ones) of both reserves, and the clock
    /// spl-token-lending reads from its accounts.
    pub oracles: Vec<AccountInfo<'info>>,
    pub token_program: AccountInfo<'info>,
    /// The vault PDA: obligation owner and transfer authority.
    pub vault: AccountInfo<'info>,
}

impl<'info> LendingCpi<'info> {
    fn invoke(&self, ix: &Instruction, extra: &[&AccountInfo<'info>], vault_seeds: &[&[u8]]) -> Result<()> {
        require_keys_eq!(*self.program.key, self.venue.program_id(), ErrorCode::InvalidProgramId);
        let mut infos: Vec<AccountInfo<'info>> = vec![
            self.program.clone(),
            self.market.clone(),
            self.market_authority.clone(),
            self.obligation.clone(),
            self.lst_reserve_info.clone(),
            self.sol_reserve_info.clone(),
            self.token_program.clone(),
            self.vault.clone(),
        ];
        infos.extend(self.oracles.iter().cloned());
        infos.extend(extra.iter().map(|i| (*i).clone()));
        if vault_seeds.is_empty() {
            invoke_signed(ix, &infos, &[])?;
        } else {
            invoke_signed(ix, &infos, &[vault_seeds])?;
        }
        Ok(())
    }

    fn refresh_reserve(&self, reserve: &ReserveView) -> Result<()> {
        let ix = match self.venue {
            LendingVenue::SplTokenLending => {
                spl_ix::refresh_reserve(*self.program.key, reserve.reserve, reserve.oracle)
            }
            LendingVenue::Save => {
                let keys = reserve.save_keys();
                save_ix::refresh_reserve(keys.reserve, keys.pyth_price, keys.switchboard_feed)
            }
        };
        self.invoke(&ix, &[], &[])
    }

    pub fn refresh_lst_reserve(&self) -> Result<()> {
        self.refresh_reserve(&self.lst_reserve)
    }

    pub fn refresh_sol_reserve(&self) -> Result<()> {
        self.refresh_reserve(&self.sol_reserve)
    }

    /// Refreshes both reserves and then the obligation, listing the reserves it actually uses
    /// (deposits first, then borrows), as the program demands.
    pub fn refresh_all(&self) -> Result<()> {
        self.refresh_lst_reserve()?;
        self.refresh_sol_reserve()?;
        self.refresh_obligation()
    }

    /// The obligation's reserves as it stands: deposits, then borrows.
    fn obligation_reserves(&self) -> Result<Vec<Pubkey>> {
        let data = self.obligation.try_borrow_data()?;
        Ok(match self.venue {
            LendingVenue::SplTokenLending => {
                let o = spl::Obligation::unpack(&data).map_err(|_| error!(VaultError::LendingAccountInvalid))?;
                o.deposits.iter().map(|d| d.deposit_reserve).chain(o.borrows.iter().map(|b| b.borrow_reserve)).collect()
            }
            LendingVenue::Save => {
                let o = save_state::Obligation::unpack(&data)?;
                o.deposits.iter().map(|d| d.deposit_reserve).chain(o.borrows.iter().map(|b| b.borrow_reserve)).collect()
            }
        })
    }

    /// `RefreshObligation` alone: both reserves must already be fresh in this slot. Each CPI
    /// counts against the transaction's instruction-trace limit (64), so callers that loop
    /// refresh only what the last step made stale.
    pub fn refresh_obligation(&self) -> Result<()> {
        let reserves = self.obligation_reserves()?;
        let ix = match self.venue {
            LendingVenue::SplTokenLending => {
                spl_ix::refresh_obligation(*self.program.key, *self.obligation.key, reserves)
            }
            LendingVenue::Save => save_ix::refresh_obligation(*self.obligation.key, &reserves),
        };
        self.invoke(&ix, &[], &[])
    }

    /// LST from the vault's account into the reserve, cTokens to the vault's collateral account.
    pub fn deposit_reserve_liquidity(
        &self,
        lst_amount: u64,
        source_lst: &AccountInfo<'info>,
        collateral_account: &AccountInfo<'info>,
        reserve_liquidity_supply: &AccountInfo<'info>,
        reserve_collateral_mint: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let lst = &self.lst_reserve;
        let ix = match self.venue {
            LendingVenue::SplTokenLending => spl_ix::deposit_reserve_liquidity(
                *self.program.key,
                lst_amount,
                *source_lst.key,
                *collateral_account.key,
                lst.reserve,
                lst.liquidity_supply,
                lst.collateral_mint,
                *self.market.key,
                *self.vault.key,
            ),
            LendingVenue::Save => save_ix::deposit_reserve_liquidity(
                lst_amount,
                *source_lst.key,
                *collateral_account.key,
                &lst.save_keys(),
                *self.market.key,
                *self.vault.key,
            ),
        };
        self.invoke(
            &ix,
            &[source_lst, collateral_account, reserve_liquidity_supply, reserve_collateral_mint],
            vault_seeds,
        )
    }

    pub fn deposit_obligation_collateral(
        &self,
        ctokens: u64,
        collateral_account: &AccountInfo<'info>,
        reserve_collateral_supply: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let lst = &self.lst_reserve;
        let ix = match self.venue {
            LendingVenue::SplTokenLending => spl_ix::deposit_obligation_collateral(
                *self.program.key,
                ctokens,
                *collateral_account.key,
                lst.collateral_supply,
                lst.reserve,
                *self.obligation.key,
                *self.market.key,
                *self.vault.key,
                *self.vault.key,
            ),
            LendingVenue::Save => save_ix::deposit_obligation_collateral(
                ctokens,
                *collateral_account.key,
                &lst.save_keys(),
                *self.obligation.key,
                *self.market.key,
                *self.vault.key,
            ),
        };
        self.invoke(&ix, &[collateral_account, reserve_collateral_supply], vault_seeds)
    }

    pub fn withdraw_obligation_collateral(
        &self,
        ctokens: u64,
        reserve_collateral_supply: &AccountInfo<'info>,
        collateral_account: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let lst = &self.lst_reserve;
        let ix = match self.venue {
            LendingVenue::SplTokenLending => spl_ix::withdraw_obligation_collateral(
                *self.program.key,
                ctokens,
                lst.collateral_supply,
                *collateral_account.key,
                lst.reserve,
                *self.obligation.key,
                *self.market.key,
                *self.vault.key,
            ),
            LendingVenue::Save => save_ix::withdraw_obligation_collateral(
                ctokens,
                &lst.save_keys(),
                *collateral_account.key,
                *self.obligation.key,
                *self.market.key,
                *self.vault.key,
                &[lst.reserve],
            ),
        };
        self.invoke(&ix, &[reserve_collateral_supply, collateral_account], vault_seeds)
    }

    pub fn redeem_reserve_collateral(
        &self,
        ctokens: u64,
        collateral_account: &AccountInfo<'info>,
        destination_lst: &AccountInfo<'info>,
        reserve_collateral_mint: &AccountInfo<'info>,
        reserve_liquidity_supply: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let lst = &self.lst_reserve;
        let ix = match self.venue {
            LendingVenue::SplTokenLending => spl_ix::redeem_reserve_collateral(
                *self.program.key,
                ctokens,
                *collateral_account.key,
                *destination_lst.key,
                lst.reserve,
                lst.collateral_mint,
                lst.liquidity_supply,
                *self.market.key,
                *self.vault.key,
            ),
            LendingVenue::Save => save_ix::redeem_reserve_collateral(
                ctokens,
                *collateral_account.key,
                *destination_lst.key,
                &lst.save_keys(),
                *self.market.key,
                *self.vault.key,
            ),
        };
        self.invoke(
            &ix,
            &[collateral_account, destination_lst, reserve_collateral_mint, reserve_liquidity_supply],
            vault_seeds,
        )
    }

    /// Borrows SOL (as wSOL) into the vault's wSOL account.
    pub fn borrow_sol(
        &self,
        lamports: u64,
        reserve_liquidity_supply: &AccountInfo<'info>,
        reserve_fee_receiver: &AccountInfo<'info>,
        wsol_account: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let sol = &self.sol_reserve;
        let ix = match self.venue {
            LendingVenue::SplTokenLending => spl_ix::borrow_obligation_liquidity(
                *self.program.key,
                lamports,
                sol.liquidity_supply,
                *wsol_account.key,
                sol.reserve,
                sol.fee_receiver,
                *self.obligation.key,
                *self.market.key,
                *self.vault.key,
                None,
            ),
            LendingVenue::Save => save_ix::borrow_obligation_liquidity(
                lamports,
                &sol.save_keys(),
                *wsol_account.key,
                *self.market.key,
                *self.obligation.key,
                *self.vault.key,
                &[self.lst_reserve.reserve],
            ),
        };
        self.invoke(&ix, &[reserve_liquidity_supply, reserve_fee_receiver, wsol_account], vault_seeds)
    }

    /// Repays SOL from the vault's wSOL account (`u64::MAX`: the whole debt).
    pub fn repay_sol(
        &self,
        lamports: u64,
        wsol_account: &AccountInfo<'info>,
        reserve_liquidity_supply: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let sol = &self.sol_reserve;
        let ix = match self.venue {
            LendingVenue::SplTokenLending => spl_ix::repay_obligation_liquidity(
                *self.program.key,
                lamports,
                *wsol_account.key,
                sol.liquidity_supply,
                sol.reserve,
                *self.obligation.key,
                *self.market.key,
                *self.vault.key,
            ),
            LendingVenue::Save => save_ix::repay_obligation_liquidity(
                lamports,
                *wsol_account.key,
                &sol.save_keys(),
                *self.market.key,
                *self.obligation.key,
                *self.vault.key,
            ),
        };
        self.invoke(&ix, &[wsol_account, reserve_liquidity_supply], vault_seeds)
    }
}

/// `InitObligation` with the vault PDA as owner. `clock`: spl-token-lending reads it from its
/// accounts; Save reads the sysvar itself.
#[allow(clippy::too_many_arguments)]
pub fn init_obligation<'info>(
    venue: LendingVenue,
    program: &AccountInfo<'info>,
    obligation: &AccountInfo<'info>,
    market: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    clock: &AccountInfo<'info>,
    rent: &AccountInfo<'info>,
    token_program: &AccountInfo<'info>,
    vault_seeds: &[&[u8]],
) -> Result<()> {
    require_keys_eq!(*program.key, venue.program_id(), ErrorCode::InvalidProgramId);
    let ix = match venue {
        LendingVenue::SplTokenLending => {
            spl_ix::init_obligation(*program.key, *obligation.key, *market.key, *vault.key)
        }
        LendingVenue::Save => save_ix::init_obligation(*obligation.key, *market.key, *vault.key),
    };
    invoke_signed(
        &ix,
        &[
            program.clone(),
            obligation.clone(),
            market.clone(),
            vault.clone(),
            clock.clone(),
            rent.clone(),
            token_program.clone(),
        ],
        &[vault_seeds],
    )?;
    Ok(())
}
