//! Books gains and losses since the last harvest, mints fee shares to the fee recipient and
//! locks the net profit so it reaches the share price gradually over `profit_unlock_secs`.
//!
//! Anyone may harvest: a loss must not wait for a privileged key, and a harvest cannot be used
//! against the holders. New profit joins the unlock schedule by weight (a harvest of dust cannot
//! hold back profit that was about to unlock), and the pool share is valued at its fair point,
//! which no trade can raise, so a pushed pool books no gain.
use anchor_lang::prelude::*;
use anchor_spl::token::{self, Mint, MintTo, Token, TokenAccount};

use crate::adapters::{positions, stake_pool};
use crate::errors::VaultError;
use crate::events::Harvested;
use crate::state::Vault;

#[derive(Accounts)]
pub struct Harvest<'info> {
    /// Anyone.
    pub harvester: Signer<'info>,
    #[account(mut, has_one = share_mint, has_one = stake_pool)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub share_mint: Box<Account<'info, Mint>>,
    /// CHECK: the vault's bound stake pool, decoded by the adapter.
    pub stake_pool: UncheckedAccount<'info>,
    #[account(
        mut,
        token::mint = share_mint,
        constraint = fee_recipient_shares.owner == vault.fee_recipient @ VaultError::FeeRecipientMismatch,
    )]
    pub fee_recipient_shares: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Remaining accounts: the valuation accounts (see `adapters::positions`).
pub fn handler(ctx: Context<Harvest>) -> Result<()> {
    let accounts = ctx.accounts;
    let now_unix = Clock::get()?.unix_timestamp;
    let vault_key = accounts.vault.key();
    let vault = &mut accounts.vault;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, vault)?;
    let (positions, _) = positions::load(vault, &vault_key, ctx.remaining_accounts, &rate)?;
    let live_assets_lamports = vault.live_assets_lamports(&rate, &positions)?;
    let params = vault.risk_params;
    let outcome = vault.accounting.harvest(live_assets_lamports, accounts.share_mint.supply, now_unix, &params)?;

    if outcome.fee_shares > 0 {
        let vault_seeds = vault.signer_seeds();
        token::mint_to(
            CpiContext::new_with_signer(
                accounts.token_program.to_account_info(),
                MintTo {
                    mint: accounts.share_mint.to_account_info(),
                    to: accounts.fee_recipient_shares.to_account_info(),
                    authority: vault.to_account_info(),
                },
                &[&vault_seeds],
            ),
            outcome.fee_shares,
        )?;
        accounts.share_mint.reload()?;
    }
    emit!(Harvested {
        vault: vault.key(),
        profit_lamports: outcome.profit_lamports,
        loss_lamports: outcome.loss_lamports,
        management_fee_lamports: outcome.management_fee_lamports,
        performance_fee_lamports: outcome.performance_fee_lamports,
        fee_shares: outcome.fee_shares,
        locked_profit_lamports: vault.accounting.locked_profit_lamports,
        snapshot: vault.snapshot(&rate, &positions, accounts.share_mint.supply, now_unix)?,
    });
    Ok(())
}
