//! The admin binds the vault, once, to the LST/SOL stable pool (spl-token-swap) proposed with
//! `propose_pool`, after the timelock and before the proposal expires: the pool it provides
//! liquidity to and sells LST through when a withdrawal needs more SOL than the reserve holds. The vault gets its own pool-token and wSOL accounts.
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};

use crate::adapters::token_swap::{self, TokenSwapProgram};
use crate::adapters::wsol::{create_vault_token_accounts, NewVaultTokenAccount};
use crate::constants::seeds;
use crate::errors::VaultError;
use crate::state::{require_executable, PoolBinding, Vault};

#[derive(Accounts)]
pub struct BindPool<'info> {
    pub admin: Signer<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut, has_one = admin @ VaultError::NotAdmin)]
    pub vault: Box<Account<'info, Vault>>,
    pub swap_program: Program<'info, TokenSwapProgram>,
    /// CHECK: owned by the swap program and decoded by the adapter, which checks what it trades.
    pub swap: UncheckedAccount<'info>,
    /// Must be the swap's pool mint.
    pub pool_mint: Box<Account<'info, Mint>>,
    /// CHECK: the vault's pool-token account PDA, created by the handler.
    #[account(mut, seeds = [seeds::POOL_TOKEN_ACCOUNT, vault.key().as_ref()], bump)]
    pub pool_token_account: UncheckedAccount<'info>,
    #[account(address = anchor_spl::token::spl_token::native_mint::ID)]
    pub native_mint: Box<Account<'info, Mint>>,
    /// CHECK: the vault's pool wSOL account PDA, created by the handler.
    #[account(mut, seeds = [seeds::POOL_WSOL_ACCOUNT, vault.key().as_ref()], bump)]
    pub wsol_account: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<BindPool>) -> Result<()> {
    let accounts = ctx.accounts;
    require!(accounts.vault.pool.is_none(), VaultError::PoolAlreadyBound);
    let swap = accounts.swap.key();
    let pending = accounts.vault.pending_pool.ok_or(VaultError::NoPendingProposal)?;
    require_keys_eq!(pending.swap, swap, VaultError::ProposalMismatch);
    require_executable(pending.eta_unix, Clock::get()?.unix_timestamp)?;
    let state = token_swap::load_swap(&accounts.swap, &swap)?;
    token_swap::check_bindable(state.as_ref(), &accounts.vault.lst_mint)?;
    require_keys_eq!(*state.pool_mint(), accounts.pool_mint.key(), VaultError::PoolAccountMismatch);

    create_vault_token_accounts(
        &accounts.payer.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.token_program.to_account_info(),
        &accounts.system_program.to_account_info(),
        &[
            NewVaultTokenAccount {
                account: &accounts.pool_token_account,
                mint: accounts.pool_mint.to_account_info(),
                seed: seeds::POOL_TOKEN_ACCOUNT,
                bump: ctx.bumps.pool_token_account,
            },
            NewVaultTokenAccount {
                account: &accounts.wsol_account,
                mint: accounts.native_mint.to_account_info(),
                seed: seeds::POOL_WSOL_ACCOUNT,
                bump: ctx.bumps.wsol_account,
            },
        ],
    )?;

    let binding = PoolBinding {
        swap,
        pool_mint: accounts.pool_mint.key(),
        pool_lst: *state.token_a_account(),
        pool_wsol: *state.token_b_account(),
        pool_fee_account: *state.pool_fee_account(),
        pool_token_account: accounts.pool_token_account.key(),
        wsol_account: accounts.wsol_account.key(),
        wsol_account_bump: ctx.bumps.wsol_account,
        amp: token_swap::stable_amp(state.as_ref()),
    };
    accounts.vault.pool = Some(binding);
    accounts.vault.pending_pool = None;
    emit!(crate::events::PoolBound { vault: accounts.vault.key(), binding });
    Ok(())
}
