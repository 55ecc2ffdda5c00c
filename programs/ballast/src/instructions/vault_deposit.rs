//! A depositor pays SOL into the reserve and receives shares priced at the vault's live value.
use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token::{self, Mint, MintTo, Token, TokenAccount};

use crate::adapters::{positions, stake_pool};
use crate::errors::VaultError;
use crate::events::Deposited;
use crate::math::shares::shares_for_deposit_floor;
use crate::state::Vault;

#[derive(Accounts)]
pub struct Deposit<'info> {
    #[account(mut)]
    pub depositor: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = sol_reserve, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub sol_reserve: SystemAccount<'info>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter.
    pub stake_pool: UncheckedAccount<'info>,
    /// Where the shares go: any share account (a depositor may deposit for someone else).
    #[account(mut, token::mint = share_mint)]
    pub depositor_shares: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<Deposit>, lamports: u64, min_shares_out: u64) -> Result<()> {
    let accounts = ctx.accounts;
    let vault = &accounts.vault;
    vault.require_not_paused()?;
    require!(lamports > 0, VaultError::ZeroAmount);

    let now_unix = Clock::get()?.unix_timestamp;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    let (positions, _) = positions::load(vault, &accounts.vault.key(), ctx.remaining_accounts, &rate)?;
    let live_assets_lamports = vault.live_assets_lamports(&rate, &positions)?;
    let within_cap =
        live_assets_lamports.checked_add(lamports).is_some_and(|total| total <= vault.risk_params.deposit_cap_lamports);
    require!(within_cap, VaultError::DepositCapExceeded);
    // A depositor buys at the full live value, unharvested gains and locked profit included,
    // so no deposit can take a share of gains earned before it (withdrawals are priced from
    // the conservative ledger view instead: the spread always stays with the vault).
    let shares = shares_for_deposit_floor(lamports, accounts.share_mint.supply, live_assets_lamports)?;
    require!(shares > 0, VaultError::ZeroSharesMinted);
    require!(shares >= min_shares_out, VaultError::MinSharesOutNotMet);

    system_program::transfer(
        CpiContext::new(
            accounts.system_program.to_account_info(),
            system_program::Transfer {
                from: accounts.depositor.to_account_info(),
                to: accounts.sol_reserve.to_account_info(),
            },
        ),
        lamports,
    )?;
    let vault_seeds = vault.signer_seeds();
    token::mint_to(
        CpiContext::new_with_signer(
            accounts.token_program.to_account_info(),
            MintTo {
                mint: accounts.share_mint.to_account_info(),
                to: accounts.depositor_shares.to_account_info(),
                authority: vault.to_account_info(),
            },
            &[&vault_seeds],
        ),
        shares,
    )?;

    let vault = &mut accounts.vault;
    vault.accounting.record_deposit(lamports)?;
    accounts.share_mint.reload()?;
    emit!(Deposited {
        vault: vault.key(),
        depositor: accounts.depositor.key(),
        lamports,
        shares,
        snapshot: vault.snapshot(&rate, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
