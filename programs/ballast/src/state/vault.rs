use anchor_lang::prelude::*;

use crate::constants::seeds;
use crate::errors::VaultError;
use crate::events::VaultSnapshot;
use crate::math::shares::share_price_lamports_floor;
use crate::math::valuation::{total_assets_lamports_floor, Positions, StakePoolRate};
use crate::state::{Accounting, PendingLending, PendingPool, PendingRiskParams, PendingRoles, RiskParams};

#[account]
#[derive(InitSpace, Debug)]
pub struct Vault {
    /// Signer of `create_key` at initialisation; part of the vault's seeds.
    pub create_key: Pubkey,
    /// The DAO: a governance PDA or a multisig. Sets parameters and roles.
    pub admin: Pubkey,
    /// Set by `transfer_admin`, becomes admin on `accept_admin`. Default key when none.
    pub pending_admin: Pubkey,
    /// May pause, nothing else.
    pub guardian: Pubkey,
    /// May move assets between strategies within the risk parameters.
    pub allocator: Pubkey,
    /// Owner of the share token account that receives fee shares.
    pub fee_recipient: Pubkey,

    pub share_mint: Pubkey,
    /// System-owned PDA holding the vault's SOL.
    pub sol_reserve: Pubkey,
    /// Token account (authority: this vault) holding the LST.
    pub lst_account: Pubkey,
    pub stake_pool: Pubkey,
    /// The stake-pool program that owns it (one of `adapters::stake_pool::STAKE_POOL_PROGRAMS`),
    /// pinned at initialisation: every stake-pool CPI goes to it.
    pub stake_pool_program: Pubkey,
    pub lst_mint: Pubkey,
    /// Pyth feed ids the vault's oracle checks are bound to.
    pub sol_usd_feed_id: [u8; 32],
    pub lst_usd_feed_id: [u8; 32],

    /// The lending market, reserves and obligation, once bound.
    pub lending: Option<LendingBinding>,
    /// The LST/SOL pool, once bound.
    pub pool: Option<PoolBinding>,
    pub risk_params: RiskParams,
    pub pending_risk_params: Option<PendingRiskParams>,
    /// Timelocked proposals for `bind_lending`, `bind_pool` and `set_roles`.
    pub pending_lending: Option<PendingLending>,
    pub pending_pool: Option<PendingPool>,
    pub pending_roles: Option<PendingRoles>,
    pub accounting: Accounting,
    pub paused: bool,

    pub bump: u8,
    pub share_mint_bump: u8,
    pub sol_reserve_bump: u8,
    pub lst_account_bump: u8,
}

impl Vault {
    pub fn signer_seeds(&self) -> [&[u8]; 3] {
        [seeds::VAULT, self.create_key.as_ref(), std::slice::from_ref(&self.bump)]
    }

    pub fn sol_reserve_seeds<'a>(&'a self, vault_key: &'a Pubkey) -> [&'a [u8]; 3] {
        [seeds::SOL_RESERVE, vault_key.as_ref(), std::slice::from_ref(&self.sol_reserve_bump)]
    }

    pub fn require_admin(&self, signer: &Pubkey) -> Result<()> {
        require_keys_eq!(*signer, self.admin, VaultError::NotAdmin);
        Ok(())
    }

    pub fn require_allocator(&self, signer: &Pubkey) -> Result<()> {
        require_keys_eq!(*signer, self.allocator, VaultError::NotAllocator);
        Ok(())
    }

    pub fn require_not_paused(&self) -> Result<()> {
        require!(!self.paused, VaultError::VaultPaused);
        Ok(())
    }

    pub fn require_lending(&self) -> Result<&LendingBinding> {
        self.lending.as_ref().ok_or_else(|| error!(VaultError::LendingNotBound))
    }

    pub fn require_pool(&self) -> Result<&PoolBinding> {
        self.pool.as_ref().ok_or_else(|| error!(VaultError::PoolNotBound))
    }

    /// Live valuation of what the vault holds, rounded down.
    pub fn live_assets_lamports(&self, rate: &StakePoolRate, positions: &Positions) -> Result<u64> {
        total_assets_lamports_floor(&self.accounting.holdings(), positions, rate)
    }

    /// Assets backing the shares now (see `Accounting::free_assets_lamports`).
    pub fn free_assets_lamports(&self, rate: &StakePoolRate, positions: &Positions, now_unix: i64) -> Result<u64> {
        self.accounting.free_assets_lamports(self.live_assets_lamports(rate, positions)?, now_unix)
    }

    pub fn snapshot(
        &self,
        rate: &StakePoolRate,
        positions: &Positions,
        total_shares: u64,
        now_unix: i64,
    ) -> Result<VaultSnapshot> {
        let free_assets_lamports = self.free_assets_lamports(rate, positions, now_unix)?;
        Ok(VaultSnapshot {
            free_assets_lamports,
            total_shares,
            share_price_lamports: share_price_lamports_floor(free_assets_lamports, total_shares)?,
        })
    }
}

/// The lending programs a vault can loop in. The set is closed: each venue is audited on its
/// own, its accounts decoded and its instructions built by its own adapter.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LendingVenue {
    /// spl-token-lending 0.2.0, the reference program of the Solend/Save line.
    SplTokenLending,
    /// Save (formerly Solend) as deployed on mainnet.
    Save,
}

/// The lending market a vault loops in, fixed once bound.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LendingBinding {
    /// The program the market belongs to, taken from the market's owner at proposal.
    pub venue: LendingVenue,
    pub market: Pubkey,
    /// The market's owner at binding: risk-adding steps stop if it changes.
    pub market_owner: Pubkey,
    /// Reserve lending the vault's LST: where the collateral goes.
    pub lst_reserve: Pubkey,
    /// Reserve lending SOL: where the vault borrows.
    pub sol_reserve: Pubkey,
    /// Owned by the vault PDA.
    pub obligation: Pubkey,
    /// The vault's cToken account for the LST reserve (PDA, authority: the vault).
    pub collateral_account: Pubkey,
    /// The vault's wrapped-SOL account (PDA, authority: the vault), empty between instructions.
    pub wsol_account: Pubkey,
}

/// The LST/SOL pool a vault provides liquidity to and exits through, fixed once bound.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolBinding {
    /// The spl-token-swap state account.
    pub swap: Pubkey,
    pub pool_mint: Pubkey,
    /// The pool's LST reserve (token A).
    pub pool_lst: Pubkey,
    /// The pool's wSOL reserve (token B).
    pub pool_wsol: Pubkey,
    pub pool_fee_account: Pubkey,
    /// The vault's pool-token account (PDA, authority: the vault).
    pub pool_token_account: Pubkey,
    /// The vault's wSOL account for the pool (PDA, authority: the vault), empty between
    /// instructions.
    pub wsol_account: Pubkey,
    pub wsol_account_bump: u8,
    /// The stable curve's amplification, fixed at the pool's `Initialize`: the fair value of
    /// the vault's pool tokens is computed on this curve.
    pub amp: u64,
}

impl PoolBinding {
    pub fn wsol_seeds<'a>(&'a self, vault_key: &'a Pubkey) -> [&'a [u8]; 3] {
        [crate::constants::seeds::POOL_WSOL_ACCOUNT, vault_key.as_ref(), std::slice::from_ref(&self.wsol_account_bump)]
    }
}
