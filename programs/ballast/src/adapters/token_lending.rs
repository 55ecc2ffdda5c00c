//! spl-token-lending 0.2.0 (the reference lending program of the Solend/Save line): typed
//! loaders for the market's accounts and the CPIs the vault makes. Every state-changing call is
//! preceded, in the same instruction, by the refreshes the program requires (same slot).
use anchor_lang::prelude::*;
use anchor_lang::solana_program::{instruction::Instruction, program::invoke_signed, program_pack::Pack};
use spl_token_lending::instruction as lending_ix;
use spl_token_lending::state::{LendingMarket, Obligation, Reserve};

use crate::errors::VaultError;
use crate::math::health::{lending_health, LendingHealth};
use crate::math::valuation::LendingPosition;
use crate::state::{LendingBinding, Vault};

/// Marker so `Program<'info, TokenLendingProgram>` pins the program id.
#[derive(Clone)]
pub struct TokenLendingProgram;

impl Id for TokenLendingProgram {
    fn id() -> Pubkey {
        spl_token_lending::id()
    }
}

fn require_lending_owned(info: &AccountInfo) -> Result<()> {
    require_keys_eq!(*info.owner, spl_token_lending::id(), VaultError::LendingAccountInvalid);
    Ok(())
}

pub fn load_reserve(info: &AccountInfo, expected: &Pubkey, market: &Pubkey) -> Result<Reserve> {
    require_keys_eq!(*info.key, *expected, VaultError::LendingAccountMismatch);
    require_lending_owned(info)?;
    let reserve = Reserve::unpack(&info.try_borrow_data()?).map_err(|_| error!(VaultError::LendingAccountInvalid))?;
    require_keys_eq!(reserve.lending_market, *market, VaultError::LendingAccountMismatch);
    Ok(reserve)
}

/// The Pyth oracle programs (mainnet's, then devnet's) a bound market must read its prices
/// from. A market whose oracle program its creator controls could print any price, so any
/// other is refused at proposal and at binding.
pub const PINNED_ORACLE_PROGRAMS: [Pubkey; 2] =
    [pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH"), pubkey!("gSbePebfvPy7tRqimPoVecS2UsBvYv46ynrzWocc92s")];

pub fn load_market(info: &AccountInfo) -> Result<LendingMarket> {
    require_lending_owned(info)?;
    LendingMarket::unpack(&info.try_borrow_data()?).map_err(|_| error!(VaultError::LendingAccountInvalid))
}

/// What `propose_lending` and `bind_lending` both check of a market and its two reserves: the
/// market reads a pinned oracle program; the reserves are in it and lend the vault's LST and
/// SOL; the vault's trigger sits below the LST reserve's borrow limit with its margin. Returns
/// the market's owner and the LST reserve.
pub fn check_bindable(
    vault: &Vault,
    market: &AccountInfo,
    lst_reserve: &AccountInfo,
    sol_reserve: &AccountInfo,
) -> Result<(Pubkey, Reserve)> {
    let state = load_market(market)?;
    require!(PINNED_ORACLE_PROGRAMS.contains(&state.oracle_program_id), VaultError::LendingOracleProgramNotPinned);
    let lst = load_reserve(lst_reserve, lst_reserve.key, market.key)?;
    let sol = load_reserve(sol_reserve, sol_reserve.key, market.key)?;
    require_keys_eq!(lst.liquidity.mint_pubkey, vault.lst_mint, VaultError::LendingReserveMintMismatch);
    require_keys_eq!(
        sol.liquidity.mint_pubkey,
        anchor_spl::token::spl_token::native_mint::ID,
        VaultError::LendingReserveMintMismatch
    );
    check_trigger_for_market(&vault.risk_params, &lst)?;
    Ok((state.owner, lst))
}

/// The bound market is still owned by whom it was at binding: its owner may change what its
/// reserves accept, so no risk is added under a new one until the DAO binds anew.
pub fn require_market_owner(market: &AccountInfo, binding: &LendingBinding) -> Result<()> {
    require_keys_eq!(*market.key, binding.market, VaultError::LendingAccountMismatch);
    require_keys_eq!(load_market(market)?.owner, binding.market_owner, VaultError::LendingMarketOwnerChanged);
    Ok(())
}

/// The vault's obligation: bound address, lending-owned, owned by the vault, in the bound
/// market, holding nothing but the LST deposit and the SOL borrow.
pub fn load_obligation(info: &AccountInfo, binding: &LendingBinding, vault: &Pubkey) -> Result<Obligation> {
    require_keys_eq!(*info.key, binding.obligation, VaultError::LendingAccountMismatch);
    require_lending_owned(info)?;
    let obligation =
        Obligation::unpack(&info.try_borrow_data()?).map_err(|_| error!(VaultError::LendingAccountInvalid))?;
    require_keys_eq!(obligation.owner, *vault, VaultError::LendingAccountMismatch);
    require_keys_eq!(obligation.lending_market, binding.market, VaultError::LendingAccountMismatch);
    require!(
        obligation.deposits.iter().all(|d| d.deposit_reserve == binding.lst_reserve)
            && obligation.borrows.iter().all(|b| b.borrow_reserve == binding.sol_reserve),
        VaultError::LendingAccountInvalid
    );
    Ok(obligation)
}

/// Anyone may unwind before the market may liquidate, and while it still lets collateral go:
/// see `RiskParams::check_trigger_for_market`.
pub fn check_trigger_for_market(params: &crate::state::RiskParams, lst_reserve: &Reserve) -> Result<()> {
    params.check_trigger_for_market(lst_reserve.config.loan_to_value_ratio, lst_reserve.config.liquidation_threshold)
}

/// Checks `params` against the bound market, whose LST reserve is the first of `remaining`;
/// nothing to check before a market is bound.
pub fn check_params_for_market(
    vault: &Vault,
    params: &crate::state::RiskParams,
    remaining: &[AccountInfo],
) -> Result<()> {
    let Some(binding) = &vault.lending else {
        return Ok(());
    };
    let info = remaining.first().ok_or_else(|| error!(VaultError::LendingAccountsMissing))?;
    check_trigger_for_market(params, &load_reserve(info, &binding.lst_reserve, &binding.market)?)
}

/// The three accounts that value the vault's lending position, read-only.
pub struct LendingState {
    pub obligation: Obligation,
    pub lst_reserve: Reserve,
    pub sol_reserve: Reserve,
}

impl LendingState {
    /// What the lending program would record on the obligation if refreshed now.
    pub fn health(&self) -> Result<LendingHealth> {
        lending_health(&self.obligation, &self.lst_reserve, &self.sol_reserve, Clock::get()?.slot, None)
    }
}

/// Loads `[obligation, lst_reserve, sol_reserve]` (in that order) for a bound vault.
pub fn load_state(infos: &[AccountInfo], binding: &LendingBinding, vault: &Pubkey) -> Result<LendingState> {
    let [obligation, lst_reserve, sol_reserve] = infos else {
        return err!(VaultError::LendingAccountsMissing);
    };
    Ok(LendingState {
        obligation: load_obligation(obligation, binding, vault)?,
        lst_reserve: load_reserve(lst_reserve, &binding.lst_reserve, &binding.market)?,
        sol_reserve: load_reserve(sol_reserve, &binding.sol_reserve, &binding.market)?,
    })
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

/// The lending accounts a vault instruction CPIs with. All writable ones are checked against the
/// binding or the reserves' own records before any CPI; the lending program checks the rest.
pub struct LendingCpi<'info> {
    pub program: AccountInfo<'info>,
    pub market: AccountInfo<'info>,
    pub market_authority: AccountInfo<'info>,
    pub obligation: AccountInfo<'info>,
    pub lst_reserve: AccountInfo<'info>,
    pub lst_reserve_oracle: AccountInfo<'info>,
    pub sol_reserve: AccountInfo<'info>,
    pub sol_reserve_oracle: AccountInfo<'info>,
    pub clock: AccountInfo<'info>,
    pub token_program: AccountInfo<'info>,
    /// The vault PDA: obligation owner and transfer authority.
    pub vault: AccountInfo<'info>,
}

impl<'info> LendingCpi<'info> {
    fn invoke(&self, ix: &Instruction, extra: &[&AccountInfo<'info>], vault_seeds: &[&[u8]]) -> Result<()> {
        require_keys_eq!(*self.program.key, spl_token_lending::id(), ErrorCode::InvalidProgramId);
        let mut infos: Vec<AccountInfo<'info>> = vec![
            self.program.clone(),
            self.market.clone(),
            self.market_authority.clone(),
            self.obligation.clone(),
            self.lst_reserve.clone(),
            self.lst_reserve_oracle.clone(),
            self.sol_reserve.clone(),
            self.sol_reserve_oracle.clone(),
            self.clock.clone(),
            self.token_program.clone(),
            self.vault.clone(),
        ];
        infos.extend(extra.iter().map(|i| (*i).clone()));
        if vault_seeds.is_empty() {
            invoke_signed(ix, &infos, &[])?;
        } else {
            invoke_signed(ix, &infos, &[vault_seeds])?;
        }
        Ok(())
    }

    pub fn refresh_lst_reserve(&self) -> Result<()> {
        let ix = lending_ix::refresh_reserve(*self.program.key, *self.lst_reserve.key, *self.lst_reserve_oracle.key);
        self.invoke(&ix, &[], &[])
    }

    pub fn refresh_sol_reserve(&self) -> Result<()> {
        let ix = lending_ix::refresh_reserve(*self.program.key, *self.sol_reserve.key, *self.sol_reserve_oracle.key);
        self.invoke(&ix, &[], &[])
    }

    /// Refreshes both reserves and then the obligation, listing the reserves it actually uses
    /// (deposits first, then borrows), as the program demands.
    pub fn refresh_all(&self) -> Result<()> {
        self.refresh_lst_reserve()?;
        self.refresh_sol_reserve()?;
        self.refresh_obligation()
    }

    /// `RefreshObligation` alone: both reserves must already be fresh in this slot. Each CPI
    /// counts against the transaction's instruction-trace limit (64), so callers that loop
    /// refresh only what the last step made stale.
    pub fn refresh_obligation(&self) -> Result<()> {
        let obligation = Obligation::unpack(&self.obligation.try_borrow_data()?)
            .map_err(|_| error!(VaultError::LendingAccountInvalid))?;
        let reserves: Vec<Pubkey> = obligation
            .deposits
            .iter()
            .map(|d| d.deposit_reserve)
            .chain(obligation.borrows.iter().map(|b| b.borrow_reserve))
            .collect();
        let ix = lending_ix::refresh_obligation(*self.program.key, *self.obligation.key, reserves);
        self.invoke(&ix, &[], &[])
    }

    pub fn init_obligation(&self, vault_seeds: &[&[u8]]) -> Result<()> {
        let ix =
            lending_ix::init_obligation(*self.program.key, *self.obligation.key, *self.market.key, *self.vault.key);
        self.invoke(&ix, &[], vault_seeds)
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
        let ix = lending_ix::deposit_reserve_liquidity(
            *self.program.key,
            lst_amount,
            *source_lst.key,
            *collateral_account.key,
            *self.lst_reserve.key,
            *reserve_liquidity_supply.key,
            *reserve_collateral_mint.key,
            *self.market.key,
            *self.vault.key,
        );
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
        let ix = lending_ix::deposit_obligation_collateral(
            *self.program.key,
            ctokens,
            *collateral_account.key,
            *reserve_collateral_supply.key,
            *self.lst_reserve.key,
            *self.obligation.key,
            *self.market.key,
            *self.vault.key,
            *self.vault.key,
        );
        self.invoke(&ix, &[collateral_account, reserve_collateral_supply], vault_seeds)
    }

    pub fn withdraw_obligation_collateral(
        &self,
        ctokens: u64,
        reserve_collateral_supply: &AccountInfo<'info>,
        collateral_account: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let ix = lending_ix::withdraw_obligation_collateral(
            *self.program.key,
            ctokens,
            *reserve_collateral_supply.key,
            *collateral_account.key,
            *self.lst_reserve.key,
            *self.obligation.key,
            *self.market.key,
            *self.vault.key,
        );
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
        let ix = lending_ix::redeem_reserve_collateral(
            *self.program.key,
            ctokens,
            *collateral_account.key,
            *destination_lst.key,
            *self.lst_reserve.key,
            *reserve_collateral_mint.key,
            *reserve_liquidity_supply.key,
            *self.market.key,
            *self.vault.key,
        );
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
        let ix = lending_ix::borrow_obligation_liquidity(
            *self.program.key,
            lamports,
            *reserve_liquidity_supply.key,
            *wsol_account.key,
            *self.sol_reserve.key,
            *reserve_fee_receiver.key,
            *self.obligation.key,
            *self.market.key,
            *self.vault.key,
            None,
        );
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
        let ix = lending_ix::repay_obligation_liquidity(
            *self.program.key,
            lamports,
            *wsol_account.key,
            *reserve_liquidity_supply.key,
            *self.sol_reserve.key,
            *self.obligation.key,
            *self.market.key,
            *self.vault.key,
        );
        self.invoke(&ix, &[wsol_account, reserve_liquidity_supply], vault_seeds)
    }
}

/// `InitObligation` with the vault PDA as owner.
#[allow(clippy::too_many_arguments)]
pub fn init_obligation<'info>(
    program: &AccountInfo<'info>,
    obligation: &AccountInfo<'info>,
    market: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    clock: &AccountInfo<'info>,
    rent: &AccountInfo<'info>,
    token_program: &AccountInfo<'info>,
    vault_seeds: &[&[u8]],
) -> Result<()> {
    require_keys_eq!(*program.key, spl_token_lending::id(), ErrorCode::InvalidProgramId);
    let ix = lending_ix::init_obligation(*program.key, *obligation.key, *market.key, *vault.key);
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

/// The price the lending program's `RefreshReserve` reads from a legacy Pyth price account at
/// `slot`, in quote currency per whole token, exactly as spl-token-lending 0.2.0 derives it;
/// `None` where the program would refuse it (not a trading price, stale by 5 slots or more,
/// negative). Off-chain readers (the keeper) use it to value a position before refreshing.
pub fn legacy_pyth_market_price(data: &[u8], slot: u64) -> Option<spl_token_lending::math::Decimal> {
    use spl_token_lending::math::{Decimal, TryDiv, TryMul};
    use spl_token_lending::pyth;
    const STALE_AFTER_SLOTS_ELAPSED: u64 = 5;
    // `pyth::load` slices and casts in place: it panics on data shorter than a price account
    // and refuses data that is not 8-byte aligned. Read a copy into an aligned buffer instead.
    let len = std::mem::size_of::<pyth::Price>();
    let mut aligned = vec![0u64; len.div_ceil(8)];
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut aligned);
    bytes[..len].copy_from_slice(data.get(..len)?);
    let price = pyth::load::<pyth::Price>(&bytes[..len]).ok()?;
    if price.ptype != pyth::PriceType::Price || price.agg.status != pyth::PriceStatus::Trading {
        return None;
    }
    if slot.checked_sub(price.valid_slot)? >= STALE_AFTER_SLOTS_ELAPSED {
        return None;
    }
    let value = Decimal::from(u64::try_from(price.agg.price).ok()?);
    let scale = 10u64.checked_pow(price.expo.unsigned_abs())?;
    if price.expo >= 0 {
        value.try_mul(scale).ok()
    } else {
        value.try_div(scale).ok()
    }
}
