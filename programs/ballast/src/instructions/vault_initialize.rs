//! Creates a vault bound to one stake pool and its LST. The creator's seed deposit is minted as
//! dead shares to an account whose authority is the system program, which never signs: the
//! share price can then never be inflated from a near-empty supply.
use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token::{self, Mint, MintTo, Token, TokenAccount};

use crate::adapters::stake_pool;
use crate::constants::{seeds, MIN_SEED_DEPOSIT_LAMPORTS, SHARE_DECIMALS};
use crate::errors::VaultError;
use crate::events::VaultInitialized;
use crate::state::{Accounting, RiskParams, Vault};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitializeVaultArgs {
    pub admin: Pubkey,
    pub guardian: Pubkey,
    pub allocator: Pubkey,
    pub fee_recipient: Pubkey,
    pub sol_usd_feed_id: [u8; 32],
    pub lst_usd_feed_id: [u8; 32],
    pub risk_params: RiskParams,
    pub seed_deposit_lamports: u64,
}

#[derive(Accounts)]
pub struct InitializeVault<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// Fresh key whose signature fixes the vault address, so nobody can front-run it.
    pub create_key: Signer<'info>,
    #[account(
        init,
        payer = payer,
        space = 8 + Vault::INIT_SPACE,
        seeds = [seeds::VAULT, create_key.key().as_ref()],
        bump,
    )]
    pub vault: Box<Account<'info, Vault>>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::SHARE_MINT, vault.key().as_ref()],
        bump,
        mint::decimals = SHARE_DECIMALS,
        mint::authority = vault,
    )]
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut, seeds = [seeds::SOL_RESERVE, vault.key().as_ref()], bump)]
    pub sol_reserve: SystemAccount<'info>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::LST_ACCOUNT, vault.key().as_ref()],
        bump,
        token::mint = lst_mint,
        token::authority = vault,
    )]
    pub lst_account: Box<Account<'info, TokenAccount>>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::DEAD_SHARES, vault.key().as_ref()],
        bump,
        token::mint = share_mint,
        token::authority = system_program,
    )]
    pub dead_shares: Box<Account<'info, TokenAccount>>,
    /// CHECK: decoded by the stake-pool adapter, which checks owner, type and mint.
    pub stake_pool: UncheckedAccount<'info>,
    pub lst_mint: Box<Account<'info, Mint>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl InitializeVault<'_> {
    fn validate(&self, args: &InitializeVaultArgs) -> Result<()> {
        args.risk_params.validate()?;
        require!(args.seed_deposit_lamports >= MIN_SEED_DEPOSIT_LAMPORTS, VaultError::SeedDepositTooSmall);
        require!(args.seed_deposit_lamports <= args.risk_params.deposit_cap_lamports, VaultError::DepositCapExceeded);
        stake_pool::load_for_binding(&self.stake_pool, &self.lst_mint.key())?;
        Ok(())
    }
}

#[access_control(ctx.accounts.validate(&args))]
pub fn handler(ctx: Context<InitializeVault>, args: InitializeVaultArgs) -> Result<()> {
    let now_unix = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;

    // The reserve is a plain system account: fund its rent once (never accounted) plus the seed.
    let reserve_rent_lamports = Rent::get()?.minimum_balance(0);
    let funding_lamports = crate::math::safe_math::add(reserve_rent_lamports, args.seed_deposit_lamports)?;
    system_program::transfer(
        CpiContext::new(
            accounts.system_program.to_account_info(),
            system_program::Transfer {
                from: accounts.payer.to_account_info(),
                to: accounts.sol_reserve.to_account_info(),
            },
        ),
        funding_lamports,
    )?;

    let vault = &mut accounts.vault;
    vault.set_inner(Vault {
        create_key: accounts.create_key.key(),
        admin: args.admin,
        pending_admin: Pubkey::default(),
        guardian: args.guardian,
        allocator: args.allocator,
        fee_recipient: args.fee_recipient,
        share_mint: accounts.share_mint.key(),
        sol_reserve: accounts.sol_reserve.key(),
        lst_account: accounts.lst_account.key(),
        stake_pool: accounts.stake_pool.key(),
        stake_pool_program: *accounts.stake_pool.owner,
        lst_mint: accounts.lst_mint.key(),
        sol_usd_feed_id: args.sol_usd_feed_id,
        lst_usd_feed_id: args.lst_usd_feed_id,
        risk_params: args.risk_params,
        pending_risk_params: None,
        pending_lending: None,
        pending_pool: None,
        pending_roles: None,
        lending: None,
        pool: None,
        // Dead shares are minted 1:1 with the seed, so one share unit starts at one lamport.
        accounting: Accounting::new(args.seed_deposit_lamports, args.seed_deposit_lamports, now_unix)?,
        paused: false,
        bump: ctx.bumps.vault,
        share_mint_bump: ctx.bumps.share_mint,
        sol_reserve_bump: ctx.bumps.sol_reserve,
        lst_account_bump: ctx.bumps.lst_account,
    });

    let vault_seeds = vault.signer_seeds();
    token::mint_to(
        CpiContext::new_with_signer(
            accounts.token_program.to_account_info(),
            MintTo {
                mint: accounts.share_mint.to_account_info(),
                to: accounts.dead_shares.to_account_info(),
                authority: vault.to_account_info(),
            },
            &[&vault_seeds],
        ),
        args.seed_deposit_lamports,
    )?;

    emit!(VaultInitialized {
        vault: vault.key(),
        admin: vault.admin,
        stake_pool: vault.stake_pool,
        seed_deposit_lamports: args.seed_deposit_lamports,
        snapshot: crate::events::VaultSnapshot {
            free_assets_lamports: args.seed_deposit_lamports,
            total_shares: args.seed_deposit_lamports,
            share_price_lamports: crate::constants::SHARE_PRICE_SCALE,
        },
    });
    Ok(())
}
