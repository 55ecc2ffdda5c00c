//! The lending accounts shared by every instruction that moves the vault's lending position.
use anchor_lang::prelude::*;

use crate::adapters::lending::{load_reserve, load_state, LendingCpi, LendingState, ReserveView};
use crate::adapters::wsol::token_amount;
use crate::constants::SEED_BORROW_LAMPORTS;
use crate::errors::VaultError;
use crate::math::health::LendingHealth;
use crate::math::safe_math::{add, sub};
use crate::state::{LendingBinding, LendingVenue, Vault};

/// The lending accounts every instruction that moves the vault's collateral needs: the market,
/// the obligation, both reserves with their oracles and supplies, and the vault's cToken
/// account. Keys are checked against the vault's binding and the reserves' own records in
/// `validate`. `unwind` takes only these (one transaction must hold it).
#[derive(Accounts)]
pub struct LendingCore<'info> {
    /// CHECK: must be the bound venue's program.
    pub lending_program: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's market (Save writes its outflow limit).
    #[account(mut)]
    pub lending_market: UncheckedAccount<'info>,
    /// CHECK: the market's authority PDA; the lending program derives and checks it.
    pub lending_market_authority: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's obligation; decoded by `load_obligation`.
    #[account(mut)]
    pub obligation: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's LST reserve; decoded by `load_reserve`.
    #[account(mut)]
    pub lst_reserve: UncheckedAccount<'info>,
    /// CHECK: must equal the LST reserve's oracle.
    pub lst_reserve_oracle: UncheckedAccount<'info>,
    /// CHECK: must equal the LST reserve's liquidity supply.
    #[account(mut)]
    pub lst_reserve_liquidity_supply: UncheckedAccount<'info>,
    /// CHECK: must equal the LST reserve's collateral mint.
    #[account(mut)]
    pub lst_reserve_collateral_mint: UncheckedAccount<'info>,
    /// CHECK: must equal the LST reserve's collateral supply.
    #[account(mut)]
    pub lst_reserve_collateral_supply: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's SOL reserve; decoded by `load_reserve`.
    #[account(mut)]
    pub sol_reserve: UncheckedAccount<'info>,
    /// CHECK: must equal the SOL reserve's oracle.
    pub sol_reserve_oracle: UncheckedAccount<'info>,
    /// CHECK: must equal the SOL reserve's liquidity supply.
    #[account(mut)]
    pub sol_reserve_liquidity_supply: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's collateral account (a token account of the vault).
    #[account(mut)]
    pub collateral_account: UncheckedAccount<'info>,
    /// CHECK: the clock sysvar, which spl-token-lending reads from its accounts (Save reads the
    /// sysvar itself: absent there, which keeps its unwind within one legacy transaction).
    #[account(address = anchor_lang::solana_program::sysvar::clock::ID)]
    pub clock: Option<UncheckedAccount<'info>>,
    /// CHECK: Save only: the LST reserve's Switchboard feed as it records it (its null key when
    /// there is none); absent for spl-token-lending.
    pub lst_reserve_switchboard: Option<UncheckedAccount<'info>>,
    /// CHECK: Save only: the SOL reserve's Switchboard feed, as above.
    pub sol_reserve_switchboard: Option<UncheckedAccount<'info>>,
}

/// The lending accounts of the allocator's lending instructions: the core, plus what borrowing
/// and repaying from the reserve need.
#[derive(Accounts)]
pub struct LendingAccounts<'info> {
    pub core: LendingCore<'info>,
    /// CHECK: must equal the SOL reserve's fee receiver.
    #[account(mut)]
    pub sol_reserve_fee_receiver: UncheckedAccount<'info>,
    /// CHECK: must equal the binding's wSOL account (a token account of the vault).
    #[account(mut)]
    pub wsol_account: UncheckedAccount<'info>,
}

impl<'info> std::ops::Deref for LendingAccounts<'info> {
    type Target = LendingCore<'info>;
    fn deref(&self) -> &Self::Target {
        &self.core
    }
}

impl<'info> LendingAccounts<'info> {
    /// The vault's binding, after checking every account against it. Errors if the vault has
    /// no lending market.
    pub fn validate(&self, vault: &Vault, vault_key: &Pubkey) -> Result<LendingBinding> {
        let binding = self.core.validate(vault, vault_key)?;
        let sol = load_reserve(binding.venue, &self.core.sol_reserve, &binding.sol_reserve, &binding.market)?;
        require_keys_eq!(self.wsol_account.key(), binding.wsol_account, VaultError::LendingAccountMismatch);
        require_keys_eq!(self.sol_reserve_fee_receiver.key(), sol.fee_receiver, VaultError::LendingAccountMismatch);
        Ok(binding)
    }

    /// Borrows exactly `lamports` of SOL into the wSOL account, at par. spl-token-lending 0.2.0
    /// opens a new borrow entry at a cumulative rate of one and the next refresh charges it the
    /// SOL reserve's whole past interest (`borrow_charge_ceil`). So there, with no SOL borrowed
    /// yet, a seed borrow opens the entry, a refresh brings the entry to the reserve's rate, and
    /// the rest is borrowed after it. Expects the reserves and the obligation fresh.
    pub fn borrow_sol_at_par(
        &self,
        cpi: &LendingCpi<'info>,
        binding: &LendingBinding,
        vault: &Pubkey,
        lamports: u64,
        vault_seeds: &[&[u8]],
    ) -> Result<()> {
        let before = self.state(binding, vault)?;
        let seed_lamports =
            if before.first_borrow_needs_seed() && lamports > SEED_BORROW_LAMPORTS { SEED_BORROW_LAMPORTS } else { 0 };
        let before = if seed_lamports > 0 {
            let after_seed = self.borrow_sol_checked(cpi, binding, vault, &before, seed_lamports, vault_seeds)?;
            cpi.refresh_sol_reserve()?;
            cpi.refresh_obligation()?;
            after_seed
        } else {
            before
        };
        self.borrow_sol_checked(cpi, binding, vault, &before, lamports - seed_lamports, vault_seeds)?;
        Ok(())
    }

    /// One borrow of exactly `lamports` from the state `before` it; refuses a debt that rose by
    /// more than the lending program's own charge for it. Returns the state after it (the SOL
    /// reserve and the obligation are then stale until refreshed).
    fn borrow_sol_checked(
        &self,
        cpi: &LendingCpi<'info>,
        binding: &LendingBinding,
        vault: &Pubkey,
        before: &LendingState,
        lamports: u64,
        vault_seeds: &[&[u8]],
    ) -> Result<LendingState> {
        let debt_before_lamports = before.health()?.debt_lamports;
        let charge_lamports = before.borrow_charge_ceil(lamports)?;
        let wsol_before = token_amount(&self.wsol_account)?;
        cpi.borrow_sol(
            lamports,
            &self.sol_reserve_liquidity_supply.to_account_info(),
            &self.sol_reserve_fee_receiver.to_account_info(),
            &self.wsol_account.to_account_info(),
            vault_seeds,
        )?;
        // The lending program reads u64::MAX as "as much as allowed": the vault asked for exactly
        // `lamports`.
        require!(sub(token_amount(&self.wsol_account)?, wsol_before)? == lamports, VaultError::BalanceMismatch);
        let after = self.state(binding, vault)?;
        require!(
            after.health()?.debt_lamports <= add(debt_before_lamports, charge_lamports)?,
            VaultError::BorrowOvercharged
        );
        Ok(after)
    }
}

impl<'info> LendingCore<'info> {
    /// The vault's binding, after checking every core account against it. Errors if the vault
    /// has no lending market.
    pub fn validate(&self, vault: &Vault, vault_key: &Pubkey) -> Result<LendingBinding> {
        let binding = vault.require_lending()?;
        require_keys_eq!(self.lending_program.key(), binding.venue.program_id(), ErrorCode::InvalidProgramId);
        require_keys_eq!(self.lending_market.key(), binding.market, VaultError::LendingAccountMismatch);
        require_keys_eq!(self.collateral_account.key(), binding.collateral_account, VaultError::LendingAccountMismatch);
        let state = self.state(binding, vault_key)?;
        let (lst, sol) = (&state.lst, &state.sol);
        let matches = self.lst_reserve_oracle.key() == lst.oracle
            && self.lst_reserve_liquidity_supply.key() == lst.liquidity_supply
            && self.lst_reserve_collateral_mint.key() == lst.collateral_mint
            && self.lst_reserve_collateral_supply.key() == lst.collateral_supply
            && self.sol_reserve_oracle.key() == sol.oracle
            && self.sol_reserve_liquidity_supply.key() == sol.liquidity_supply
            && self.lst_reserve_switchboard.as_ref().map(|a| a.key()) == lst.switchboard_oracle
            && self.sol_reserve_switchboard.as_ref().map(|a| a.key()) == sol.switchboard_oracle;
        require!(matches, VaultError::LendingAccountMismatch);
        if binding.venue == LendingVenue::SplTokenLending {
            require!(self.clock.is_some(), VaultError::LendingAccountsMissing);
        }
        Ok(*binding)
    }

    fn venue(&self) -> Result<LendingVenue> {
        [LendingVenue::SplTokenLending, LendingVenue::Save]
            .into_iter()
            .find(|v| v.program_id() == self.lending_program.key())
            .ok_or_else(|| error!(ErrorCode::InvalidProgramId))
    }

    fn reserve_view(&self, venue: LendingVenue, info: &UncheckedAccount<'info>) -> Result<ReserveView> {
        load_reserve(venue, info, info.key, self.lending_market.key)
    }

    /// The CPI context; call after `validate`.
    pub fn cpi(&self, vault: &AccountInfo<'info>, token_program: &AccountInfo<'info>) -> Result<LendingCpi<'info>> {
        let venue = self.venue()?;
        let mut oracles = vec![self.lst_reserve_oracle.to_account_info(), self.sol_reserve_oracle.to_account_info()];
        oracles.extend(self.clock.iter().map(|a| a.to_account_info()));
        oracles.extend(self.lst_reserve_switchboard.iter().map(|a| a.to_account_info()));
        oracles.extend(self.sol_reserve_switchboard.iter().map(|a| a.to_account_info()));
        Ok(LendingCpi {
            venue,
            program: self.lending_program.to_account_info(),
            market: self.lending_market.to_account_info(),
            market_authority: self.lending_market_authority.to_account_info(),
            obligation: self.obligation.to_account_info(),
            lst_reserve: self.reserve_view(venue, &self.lst_reserve)?,
            lst_reserve_info: self.lst_reserve.to_account_info(),
            sol_reserve: self.reserve_view(venue, &self.sol_reserve)?,
            sol_reserve_info: self.sol_reserve.to_account_info(),
            oracles,
            token_program: token_program.clone(),
            vault: vault.clone(),
        })
    }

    /// LST from `lst_account` into the LST reserve and the cTokens it mints into the obligation:
    /// refresh, `DepositReserveLiquidity`, refresh, `DepositObligationCollateral`. Checks that
    /// no cToken stays behind in the vault's collateral account; returns the cTokens deposited.
    pub fn supply_lst(
        &self,
        cpi: &LendingCpi<'info>,
        lst_amount: u64,
        lst_account: &AccountInfo<'info>,
        vault_seeds: &[&[u8]],
    ) -> Result<u64> {
        let ctokens_before = token_amount(&self.collateral_account)?;
        cpi.refresh_lst_reserve()?;
        cpi.deposit_reserve_liquidity(
            lst_amount,
            lst_account,
            &self.collateral_account.to_account_info(),
            &self.lst_reserve_liquidity_supply.to_account_info(),
            &self.lst_reserve_collateral_mint.to_account_info(),
            vault_seeds,
        )?;
        let ctokens = sub(token_amount(&self.collateral_account)?, ctokens_before)?;
        cpi.refresh_lst_reserve()?;
        cpi.deposit_obligation_collateral(
            ctokens,
            &self.collateral_account.to_account_info(),
            &self.lst_reserve_collateral_supply.to_account_info(),
            vault_seeds,
        )?;
        require!(token_amount(&self.collateral_account)? == ctokens_before, VaultError::BalanceMismatch);
        Ok(ctokens)
    }

    /// The vault's lending position as the lending program would value it now.
    pub fn health(&self, binding: &LendingBinding, vault: &Pubkey) -> Result<LendingHealth> {
        self.state(binding, vault)?.health()
    }

    /// The obligation and both reserves, decoded and checked against the binding.
    pub fn state(&self, binding: &LendingBinding, vault: &Pubkey) -> Result<LendingState> {
        load_state(
            &[
                self.obligation.to_account_info(),
                self.lst_reserve.to_account_info(),
                self.sol_reserve.to_account_info(),
            ],
            binding,
            vault,
        )
    }
}
