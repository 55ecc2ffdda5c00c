//! spl-token-swap 3.0.0 (the interface of Orca's legacy pools) with the stable curve: an LST/SOL
//! pool with the LST as token A and wrapped SOL as token B. Typed loaders, quotes computed with
//! the pool's own curve code (so a bound that would fail fails with the vault's named error
//! before any CPI), and the three CPIs the vault makes.
use std::sync::Arc;

use anchor_lang::prelude::*;
use anchor_lang::solana_program::{instruction::Instruction, program::invoke_signed, program_pack::Pack};
use anchor_spl::token::spl_token;
use spl_token_swap::curve::base::CurveType;
use spl_token_swap::curve::calculator::{CurveCalculator, RoundDirection, TradeDirection};
use spl_token_swap::curve::stable::StableCurve;
use spl_token_swap::instruction as swap_ix;
use spl_token_swap::state::{SwapState, SwapVersion};

use crate::errors::VaultError;
use crate::math::pool_fair_value::pool_share_fair_value_lamports_floor;
use crate::math::safe_math::{bps_of_floor, mul_div_floor, overflow, sub};
use crate::math::valuation::{PoolPosition, StakePoolRate};
use crate::state::{PoolBinding, Vault};

/// Marker so `Program<'info, TokenSwapProgram>` pins the program id.
#[derive(Clone)]
pub struct TokenSwapProgram;

impl Id for TokenSwapProgram {
    fn id() -> Pubkey {
        spl_token_swap::id()
    }
}

/// The swap state of `info`, which must be `expected` and owned by the swap program.
pub fn load_swap(info: &AccountInfo, expected: &Pubkey) -> Result<Arc<dyn SwapState>> {
    require_keys_eq!(*info.key, *expected, VaultError::PoolAccountMismatch);
    require_keys_eq!(*info.owner, spl_token_swap::id(), VaultError::PoolAccountInvalid);
    let data = info.try_borrow_data()?;
    let state = SwapVersion::unpack(&data).map_err(|_| error!(VaultError::PoolAccountInvalid))?;
    require!(state.is_initialized(), VaultError::PoolAccountInvalid);
    Ok(state)
}

/// A pool the vault may bind: LST as token A, wSOL as token B, SPL Token, the stable curve, and
/// no owner fee on withdrawals (the vault values its pool tokens at their share of the reserves,
/// which a withdrawal fee would overstate).
pub fn check_bindable(state: &dyn SwapState, lst_mint: &Pubkey) -> Result<()> {
    require_keys_eq!(*state.token_a_mint(), *lst_mint, VaultError::PoolMintsUnsupported);
    require_keys_eq!(*state.token_b_mint(), spl_token::native_mint::ID, VaultError::PoolMintsUnsupported);
    require_keys_eq!(*state.token_program_id(), spl_token::ID, VaultError::PoolUnsupported);
    require!(state.swap_curve().curve_type == CurveType::Stable, VaultError::PoolUnsupported);
    require!(state.fees().owner_withdraw_fee_numerator == 0, VaultError::PoolUnsupported);
    require!(stable_amp(state) > 0, VaultError::PoolUnsupported);
    Ok(())
}

/// The stable curve's amplification, as the swap state packs it (its first eight bytes). The
/// curve of a spl-token-swap pool is fixed at `Initialize`, so the binding keeps it.
pub fn stable_amp(state: &dyn SwapState) -> u64 {
    let mut packed = [0u8; 32];
    state.swap_curve().calculator.pack_into_slice(&mut packed);
    u64::from_le_bytes(packed[..8].try_into().expect("eight bytes"))
}

/// What the pool holds, read from its token accounts and mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolReserves {
    pub lst_amount: u64,
    pub lamports: u64,
    pub pool_token_supply: u64,
}

fn token_account_amount(info: &AccountInfo, expected: &Pubkey) -> Result<u64> {
    require_keys_eq!(*info.key, *expected, VaultError::PoolAccountMismatch);
    require_keys_eq!(*info.owner, spl_token::ID, VaultError::PoolAccountInvalid);
    let account = spl_token::state::Account::unpack(&info.try_borrow_data()?)
        .map_err(|_| error!(VaultError::PoolAccountInvalid))?;
    Ok(account.amount)
}

/// Loads `[pool mint, pool LST reserve, pool wSOL reserve]` (in that order) of a bound pool.
pub fn load_reserves(infos: &[AccountInfo], binding: &PoolBinding) -> Result<PoolReserves> {
    let [pool_mint, pool_lst, pool_wsol] = infos else {
        return err!(VaultError::PoolAccountsMissing);
    };
    require_keys_eq!(*pool_mint.key, binding.pool_mint, VaultError::PoolAccountMismatch);
    require_keys_eq!(*pool_mint.owner, spl_token::ID, VaultError::PoolAccountInvalid);
    let mint = spl_token::state::Mint::unpack(&pool_mint.try_borrow_data()?)
        .map_err(|_| error!(VaultError::PoolAccountInvalid))?;
    Ok(PoolReserves {
        lst_amount: token_account_amount(pool_lst, &binding.pool_lst)?,
        lamports: token_account_amount(pool_wsol, &binding.pool_wsol)?,
        pool_token_supply: mint.supply,
    })
}

impl PoolReserves {
    /// What burning `pool_tokens` returns, (LST, lamports), each side rounded down (what
    /// `WithdrawAllTokenTypes` pays with no withdrawal fee).
    pub fn share_of(&self, pool_tokens: u64) -> Result<(u64, u64)> {
        if pool_tokens == 0 {
            return Ok((0, 0));
        }
        require!(pool_tokens <= self.pool_token_supply, VaultError::PoolAccountInvalid);
        Ok((
            mul_div_floor(pool_tokens, self.lst_amount, self.pool_token_supply)?,
            mul_div_floor(pool_tokens, self.lamports, self.pool_token_supply)?,
        ))
    }

    /// The stable invariant `D` of these reserves, computed by the swap program's own curve code.
    pub fn invariant(&self, amp: u64) -> Result<u128> {
        StableCurve { amp }
            .normalized_value(self.lst_amount as u128, self.lamports as u128)
            .and_then(|d| d.to_imprecise())
            .ok_or_else(|| error!(VaultError::PoolQuoteFailed))
    }

    /// The vault's position in the pool: what burning `pool_tokens` returns (each side rounded
    /// down) and what they are worth at the pool's fair point for the stake-pool rate (see
    /// `math::pool_fair_value`), which no trade can raise.
    pub fn position(&self, pool_tokens: u64, amp: u64, rate: &StakePoolRate) -> Result<PoolPosition> {
        if pool_tokens == 0 {
            return Ok(PoolPosition::default());
        }
        let (lst_amount, lamports) = self.share_of(pool_tokens)?;
        let value_lamports =
            pool_share_fair_value_lamports_floor(self.invariant(amp)?, pool_tokens, self.pool_token_supply, amp, rate)?;
        Ok(PoolPosition { lst_amount, lamports, value_lamports })
    }

    /// (LST, lamports) that minting `pool_tokens` costs, each rounded up, as the pool computes
    /// them for `DepositAllTokenTypes`.
    pub fn deposit_cost(&self, state: &dyn SwapState, pool_tokens: u64) -> Result<(u64, u64)> {
        let cost = state
            .swap_curve()
            .calculator
            .pool_tokens_to_trading_tokens(
                pool_tokens as u128,
                self.pool_token_supply as u128,
                self.lst_amount as u128,
                self.lamports as u128,
                RoundDirection::Ceiling,
            )
            .ok_or_else(|| error!(VaultError::PoolQuoteFailed))?;
        Ok((to_u64(cost.token_a_amount)?, to_u64(cost.token_b_amount)?))
    }

    /// Lamports the pool pays for `lst_in`, its trading fees included, exactly as `Swap` computes.
    pub fn quote_sell_lst(&self, state: &dyn SwapState, lst_in: u64) -> Result<u64> {
        let result = state
            .swap_curve()
            .swap(lst_in as u128, self.lst_amount as u128, self.lamports as u128, TradeDirection::AtoB, state.fees())
            .ok_or_else(|| error!(VaultError::PoolQuoteFailed))?;
        to_u64(result.destination_amount_swapped)
    }

    /// The pool's own marginal price must sit within `max_bps` of the stake-pool rate in both
    /// directions (fees left out): adding liquidity to a pool pushed off the rate would hand the
    /// one who pushed it part of the vault's deposit when the price returns.
    pub fn check_price_near_rate(&self, state: &dyn SwapState, rate: &StakePoolRate, max_bps: u16) -> Result<()> {
        // A probe of 1/10_000 of the LST side: small enough to read the marginal price, large
        // enough that integer rounding stays far below any sensible bound.
        let probe_lst = (self.lst_amount / 10_000).max(1);
        let probe_lamports = rate.lst_to_lamports_floor(probe_lst)?.max(1);
        let calculator = &state.swap_curve().calculator;
        let sold = calculator
            .swap_without_fees(probe_lst as u128, self.lst_amount as u128, self.lamports as u128, TradeDirection::AtoB)
            .ok_or_else(|| error!(VaultError::PoolQuoteFailed))?;
        let bought = calculator
            .swap_without_fees(
                probe_lamports as u128,
                self.lamports as u128,
                self.lst_amount as u128,
                TradeDirection::BtoA,
            )
            .ok_or_else(|| error!(VaultError::PoolQuoteFailed))?;
        // Selling LST must fetch at least the rate less the band; buying LST with the rate's worth
        // of SOL must fetch at least the probe less the band (LST not dearer than the band).
        let sol_floor = sub(probe_lamports, bps_of_floor(probe_lamports, max_bps as u64)?)?;
        let lst_floor = sub(probe_lst, bps_of_floor(probe_lst, max_bps as u64)?)?;
        require!(
            to_u64(sold.destination_amount_swapped)? >= sol_floor
                && to_u64(bought.destination_amount_swapped)? >= lst_floor,
            VaultError::PoolPriceOffRate
        );
        Ok(())
    }
}

fn to_u64(value: u128) -> Result<u64> {
    u64::try_from(value).map_err(|_| overflow())
}

/// The pool's accounts a CPI needs, the vault PDA as transfer authority.
pub struct SwapCpi<'info> {
    pub program: AccountInfo<'info>,
    pub swap: AccountInfo<'info>,
    pub authority: AccountInfo<'info>,
    pub pool_mint: AccountInfo<'info>,
    pub pool_lst: AccountInfo<'info>,
    pub pool_wsol: AccountInfo<'info>,
    pub pool_fee_account: AccountInfo<'info>,
    pub token_program: AccountInfo<'info>,
    pub vault: AccountInfo<'info>,
}

impl<'info> SwapCpi<'info> {
    /// Checks every pool account against the binding and the swap state (which names the
    /// authority's bump). The swap program checks them again.
    pub fn validate(&self, binding: &PoolBinding) -> Result<()> {
        require_keys_eq!(*self.program.key, spl_token_swap::id(), ErrorCode::InvalidProgramId);
        let state = load_swap(&self.swap, &binding.swap)?;
        let authority =
            Pubkey::create_program_address(&[binding.swap.as_ref(), &[state.bump_seed()]], &spl_token_swap::id())
                .map_err(|_| error!(VaultError::PoolAccountInvalid))?;
        let matches = *self.authority.key == authority
            && *self.pool_mint.key == binding.pool_mint
            && *self.pool_lst.key == binding.pool_lst
            && *self.pool_wsol.key == binding.pool_wsol
            && *self.pool_fee_account.key == binding.pool_fee_account;
        require!(matches, VaultError::PoolAccountMismatch);
        Ok(())
    }

    fn invoke(&self, ix: &Instruction, extra: &[&AccountInfo<'info>], vault_seeds: &[&[u8]]) -> Result<()> {
        let mut infos = vec![
            self.program.clone(),
            self.swap.clone(),
            self.authority.clone(),
            self.pool_mint.clone(),
            self.pool_lst.clone(),
            self.pool_wsol.clone(),
            self.pool_fee_account.clone(),
            self.token_program.clone(),
            self.vault.clone(),
        ];
        infos.extend(extra.iter().map(|i| (*i).clone()));
        invoke_signed(ix, &infos, &[vault_seeds])?;
        Ok(())
    }

    /// Sells `lst_in` of the vault's LST for at least `min_lamports_out` wSOL: quoted first with
    /// the pool's own curve (a short quote fails with `SlippageExceeded` before any CPI), then
    /// swapped with the same bound, then checked against the balances. Returns the lamports
    /// received. The accounts must have passed `validate` (once per instruction is enough).
    pub fn sell_lst_checked(
        &self,
        binding: &PoolBinding,
        lst_in: u64,
        min_lamports_out: u64,
        lst_account: &AccountInfo<'info>,
        wsol_account: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<u64> {
        require_keys_eq!(*wsol_account.key, binding.wsol_account, VaultError::PoolAccountMismatch);
        let state = load_swap(&self.swap, &binding.swap)?;
        let reserves =
            load_reserves(&[self.pool_mint.clone(), self.pool_lst.clone(), self.pool_wsol.clone()], binding)?;
        require!(reserves.quote_sell_lst(state.as_ref(), lst_in)? >= min_lamports_out, VaultError::SlippageExceeded);

        let lst_before = token_account_amount(lst_account, lst_account.key)?;
        let wsol_before = token_account_amount(wsol_account, &binding.wsol_account)?;
        self.sell_lst(lst_in, min_lamports_out, lst_account, wsol_account, vault_seeds)?;
        let lst_sold = sub(lst_before, token_account_amount(lst_account, lst_account.key)?)?;
        let received = sub(token_account_amount(wsol_account, &binding.wsol_account)?, wsol_before)?;
        require!(lst_sold == lst_in && received >= min_lamports_out, VaultError::BalanceMismatch);
        Ok(received)
    }

    /// `Swap`: `lst_in` from the vault's LST account for at least `min_lamports_out` wSOL.
    fn sell_lst(
        &self,
        lst_in: u64,
        min_lamports_out: u64,
        lst_account: &AccountInfo<'info>,
        wsol_account: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let ix = swap_ix::swap(
            self.program.key,
            self.token_program.key,
            self.swap.key,
            self.authority.key,
            self.vault.key,
            lst_account.key,
            self.pool_lst.key,
            self.pool_wsol.key,
            wsol_account.key,
            self.pool_mint.key,
            self.pool_fee_account.key,
            None,
            swap_ix::Swap { amount_in: lst_in, minimum_amount_out: min_lamports_out },
        )?;
        self.invoke(&ix, &[lst_account, wsol_account], vault_seeds)
    }

    /// `DepositAllTokenTypes`: mints exactly `pool_tokens` for at most the given amounts.
    #[allow(clippy::too_many_arguments)]
    pub fn deposit_all(
        &self,
        pool_tokens: u64,
        max_lst: u64,
        max_lamports: u64,
        lst_account: &AccountInfo<'info>,
        wsol_account: &AccountInfo<'info>,
        pool_token_account: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let ix = swap_ix::deposit_all_token_types(
            self.program.key,
            self.token_program.key,
            self.swap.key,
            self.authority.key,
            self.vault.key,
            lst_account.key,
            wsol_account.key,
            self.pool_lst.key,
            self.pool_wsol.key,
            self.pool_mint.key,
            pool_token_account.key,
            swap_ix::DepositAllTokenTypes {
                pool_token_amount: pool_tokens,
                maximum_token_a_amount: max_lst,
                maximum_token_b_amount: max_lamports,
            },
        )?;
        self.invoke(&ix, &[lst_account, wsol_account, pool_token_account], vault_seeds)
    }

    /// `WithdrawAllTokenTypes`: burns `pool_tokens` for at least the given amounts.
    #[allow(clippy::too_many_arguments)]
    pub fn withdraw_all(
        &self,
        pool_tokens: u64,
        min_lst: u64,
        min_lamports: u64,
        pool_token_account: &AccountInfo<'info>,
        lst_account: &AccountInfo<'info>,
        wsol_account: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let ix = swap_ix::withdraw_all_token_types(
            self.program.key,
            self.token_program.key,
            self.swap.key,
            self.authority.key,
            self.vault.key,
            self.pool_mint.key,
            self.pool_fee_account.key,
            pool_token_account.key,
            self.pool_lst.key,
            self.pool_wsol.key,
            lst_account.key,
            wsol_account.key,
            swap_ix::WithdrawAllTokenTypes {
                pool_token_amount: pool_tokens,
                minimum_token_a_amount: min_lst,
                minimum_token_b_amount: min_lamports,
            },
        )?;
        self.invoke(&ix, &[pool_token_account, lst_account, wsol_account], vault_seeds)
    }
}

/// The vault's position in the pool now, from `[pool mint, pool LST, pool wSOL]`; nothing if the
/// vault has no pool.
pub fn position(vault: &Vault, infos: &[AccountInfo], rate: &StakePoolRate) -> Result<PoolPosition> {
    let Some(binding) = &vault.pool else {
        return Ok(PoolPosition::default());
    };
    load_reserves(infos, binding)?.position(vault.accounting.pool_tokens, binding.amp, rate)
}
