//! Books gains and losses since the last harvest, mints fee shares to the fee recipient and
//! locks the net profit so it reaches the share price gradually over `profit_unlock_secs`.
//!
//! A vault in the pool harvests only while the pool's price sits within `max_slippage_bps` of
//! the stake-pool rate: the pool's reserves valued at the rate are lowest where its price equals
//! the rate, so a pushed pool would book a gain that the trade back takes away again.
use anchor_lang::prelude::*;
use anchor_spl::token::{self, Mint, MintTo, Token, TokenAccount};

use crate::adapters::{positions, stake_pool, token_swap};
use crate::errors::VaultError;
use crate::events::Harvested;
use crate::state::Vault;

#[derive(Accounts)]
pub struct Harvest<'info> {
    /// The allocator or the admin: a harvest restarts the unlock clock, so it is not open to all.
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

/// Remaining accounts: the valuation accounts (see `adapters::positions`), then the swap account
/// when the vault holds pool tokens.
pub fn handler(ctx: Context<Harvest>) -> Result<()> {
    let accounts = ctx.accounts;
    let harvester = accounts.harvester.key();
    require!(harvester == accounts.vault.allocator || harvester == accounts.vault.admin, VaultError::NotHarvester);
    let now_unix = Clock::get()?.unix_timestamp;
    let vault_key = accounts.vault.key();
    let vault = &mut accounts.vault;
    let rate = stake_pool::load_current_rate(&accounts.stake_pool, &vault.stake_pool, &vault.lst_mint)?;
    let (positions, rest) = positions::load(vault, &vault_key, ctx.remaining_accounts)?;
    if let (Some(binding), true) = (&vault.pool, vault.accounting.pool_tokens > 0) {
        let swap = rest.first().ok_or_else(|| error!(VaultError::PoolAccountsMissing))?;
        let state = token_swap::load_swap(swap, &binding.swap)?;
        let reserves = token_swap::load_reserves(positions::pool_accounts(vault, ctx.remaining_accounts)?, binding)?;
        reserves.check_price_near_rate(state.as_ref(), &rate, vault.risk_params.max_slippage_bps)?;
    }
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
