//! The admin binds the vault, once, to the lending market proposed with `propose_lending`, after
//! the timelock and before the proposal expires: the reserve lending its LST (where the
//! collateral goes) and the reserve lending SOL (where it borrows), checked again now. The vault
//! PDA becomes the owner of a fresh obligation, and gets its own cToken and wSOL accounts.
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};

use crate::adapters::lending;
use crate::adapters::wsol::{create_vault_token_accounts, NewVaultTokenAccount};
use crate::constants::seeds;
use crate::errors::VaultError;
use crate::state::{require_executable, LendingBinding, Vault};

#[derive(Accounts)]
pub struct BindLending<'info> {
    pub admin: Signer<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
    /// CHECK: must be the program that owns the market (checked in the handler).
    pub lending_program: UncheckedAccount<'info>,
    /// CHECK: owned by a lending program the vault supports (checked); the reserves must name it.
    pub lending_market: UncheckedAccount<'info>,
    /// CHECK: decoded by the adapter; must lend the vault's LST in this market.
    pub lst_reserve: UncheckedAccount<'info>,
    /// CHECK: decoded by the adapter; must lend SOL in this market.
    pub sol_reserve: UncheckedAccount<'info>,
    /// CHECK: a fresh account owned by the lending program; `InitObligation` initialises it and
    /// refuses one already in use.
    #[account(mut)]
    pub obligation: UncheckedAccount<'info>,
    pub collateral_mint: Box<Account<'info, Mint>>,
    /// CHECK: the vault's cToken account PDA, created by the handler.
    #[account(mut, seeds = [seeds::COLLATERAL_ACCOUNT, vault.key().as_ref()], bump)]
    pub collateral_account: UncheckedAccount<'info>,
    #[account(address = anchor_spl::token::spl_token::native_mint::ID)]
    pub native_mint: Box<Account<'info, Mint>>,
    /// CHECK: the vault's wSOL account PDA, created by the handler.
    #[account(mut, seeds = [seeds::WSOL_ACCOUNT, vault.key().as_ref()], bump)]
    pub wsol_account: UncheckedAccount<'info>,
    pub clock: Sysvar<'info, Clock>,
    pub rent: Sysvar<'info, Rent>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<BindLending>) -> Result<()> {
    let accounts = ctx.accounts;
    require!(accounts.vault.lending.is_none(), VaultError::LendingAlreadyBound);
    let pending = accounts.vault.pending_lending.ok_or(VaultError::NoPendingProposal)?;
    require!(
        pending.market == accounts.lending_market.key()
            && pending.lst_reserve == accounts.lst_reserve.key()
            && pending.sol_reserve == accounts.sol_reserve.key(),
        VaultError::ProposalMismatch
    );
    require_executable(pending.eta_unix, Clock::get()?.unix_timestamp)?;
    let market = accounts.lending_market.key();
    let (venue, market_owner, lst) = lending::check_bindable(
        &accounts.vault,
        &accounts.lending_market,
        &accounts.lst_reserve,
        &accounts.sol_reserve,
    )?;
    require_keys_eq!(accounts.lending_program.key(), venue.program_id(), ErrorCode::InvalidProgramId);
    require_keys_eq!(lst.collateral_mint, accounts.collateral_mint.key(), VaultError::LendingReserveMintMismatch);

    create_vault_token_accounts(
        &accounts.payer.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.token_program.to_account_info(),
        &accounts.system_program.to_account_info(),
        &[
            NewVaultTokenAccount {
                account: &accounts.collateral_account,
                mint: accounts.collateral_mint.to_account_info(),
                seed: seeds::COLLATERAL_ACCOUNT,
                bump: ctx.bumps.collateral_account,
            },
            NewVaultTokenAccount {
                account: &accounts.wsol_account,
                mint: accounts.native_mint.to_account_info(),
                seed: seeds::WSOL_ACCOUNT,
                bump: ctx.bumps.wsol_account,
            },
        ],
    )?;

    let vault_seeds = accounts.vault.signer_seeds();
    lending::init_obligation(
        venue,
        &accounts.lending_program.to_account_info(),
        &accounts.obligation.to_account_info(),
        &accounts.lending_market.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.clock.to_account_info(),
        &accounts.rent.to_account_info(),
        &accounts.token_program.to_account_info(),
        &vault_seeds,
    )?;

    let binding = LendingBinding {
        venue,
        market,
        market_owner,
        lst_reserve: accounts.lst_reserve.key(),
        sol_reserve: accounts.sol_reserve.key(),
        obligation: accounts.obligation.key(),
        collateral_account: accounts.collateral_account.key(),
        wsol_account: accounts.wsol_account.key(),
    };
    accounts.vault.lending = Some(binding);
    accounts.vault.pending_lending = None;
    emit!(crate::events::LendingBound { vault: accounts.vault.key(), binding });
    Ok(())
}
