//! Wrapped SOL: the lending market lends and takes SOL as native-mint tokens, the vault keeps SOL
//! as lamports in its reserve. The vault's wSOL account is empty between instructions.
use anchor_lang::prelude::*;
use anchor_lang::system_program;
use anchor_spl::token::{self, CloseAccount, InitializeAccount3, SyncNative};

pub struct WsolAccounts<'a, 'info> {
    pub wsol_account: &'a AccountInfo<'info>,
    pub native_mint: &'a AccountInfo<'info>,
    pub sol_reserve: &'a AccountInfo<'info>,
    pub vault: &'a AccountInfo<'info>,
    pub token_program: &'a AccountInfo<'info>,
    pub system_program: &'a AccountInfo<'info>,
}

impl WsolAccounts<'_, '_> {
    /// Moves everything in the wSOL account into the SOL reserve: closes it (all its lamports,
    /// rent included, go to the reserve) and opens it again at the same address, its rent paid
    /// back from the reserve.
    pub fn unwrap_all(&self, vault_seeds: &[&[u8]], reserve_seeds: &[&[u8]], wsol_seeds: &[&[u8]]) -> Result<()> {
        token::close_account(CpiContext::new_with_signer(
            self.token_program.clone(),
            CloseAccount {
                account: self.wsol_account.clone(),
                destination: self.sol_reserve.clone(),
                authority: self.vault.clone(),
            },
            &[vault_seeds],
        ))?;
        let len = anchor_spl::token::TokenAccount::LEN;
        system_program::create_account(
            CpiContext::new_with_signer(
                self.system_program.clone(),
                system_program::CreateAccount { from: self.sol_reserve.clone(), to: self.wsol_account.clone() },
                &[reserve_seeds, wsol_seeds],
            ),
            Rent::get()?.minimum_balance(len),
            len as u64,
            self.token_program.key,
        )?;
        token::initialize_account3(CpiContext::new(
            self.token_program.clone(),
            InitializeAccount3 {
                account: self.wsol_account.clone(),
                mint: self.native_mint.clone(),
                authority: self.vault.clone(),
            },
        ))
    }

    /// Anyone can send lamports or wSOL to the account between instructions; what is there before
    /// an instruction uses it is a donation. It goes to the reserve untracked (as any donation
    /// to the vault does), so the instruction's exact balance checks see only its own movements
    /// and a donation cannot block it. A no-op on a clean account.
    pub fn sweep_donations(&self, vault_seeds: &[&[u8]], reserve_seeds: &[&[u8]], wsol_seeds: &[&[u8]]) -> Result<()> {
        let rent_lamports = Rent::get()?.minimum_balance(anchor_spl::token::TokenAccount::LEN);
        if self.wsol_account.lamports() > rent_lamports || token_amount(self.wsol_account)? > 0 {
            self.unwrap_all(vault_seeds, reserve_seeds, wsol_seeds)?;
        }
        Ok(())
    }

    /// Moves `lamports` from the SOL reserve into the wSOL account as tokens.
    pub fn wrap(&self, lamports: u64, reserve_seeds: &[&[u8]]) -> Result<()> {
        system_program::transfer(
            CpiContext::new_with_signer(
                self.system_program.clone(),
                system_program::Transfer { from: self.sol_reserve.clone(), to: self.wsol_account.clone() },
                &[reserve_seeds],
            ),
            lamports,
        )?;
        token::sync_native(CpiContext::new(
            self.token_program.clone(),
            SyncNative { account: self.wsol_account.clone() },
        ))
    }
}

/// The token amount of a token account, read from its data.
pub fn token_amount(info: &AccountInfo) -> Result<u64> {
    let data = info.try_borrow_data()?;
    let account = anchor_spl::token::TokenAccount::try_deserialize_unchecked(&mut &data[..])?;
    Ok(account.amount)
}

/// A token account of the vault at the PDA `[seed, vault, bump]`, to be created.
pub struct NewVaultTokenAccount<'a, 'info> {
    pub account: &'a AccountInfo<'info>,
    pub mint: AccountInfo<'info>,
    pub seed: &'static [u8],
    pub bump: u8,
}

/// Creates and initialises token accounts (authority: the vault) at PDAs of this program, as
/// Anchor's `init` does (lamports already sent to an address are kept), but from a handler after
/// its own checks, so a refused call fails with the vault's error rather than the system
/// program's "already in use".
pub fn create_vault_token_accounts<'info>(
    payer: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    token_program: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    accounts: &[NewVaultTokenAccount<'_, 'info>],
) -> Result<()> {
    let len = anchor_spl::token::TokenAccount::LEN;
    let rent_lamports = Rent::get()?.minimum_balance(len);
    for new in accounts {
        let (account, bump) = (new.account, [new.bump]);
        let account_seeds: [&[u8]; 3] = [new.seed, vault.key.as_ref(), &bump];
        let signer = &[&account_seeds[..]];
        if account.lamports() == 0 {
            system_program::create_account(
                CpiContext::new_with_signer(
                    system_program.clone(),
                    system_program::CreateAccount { from: payer.clone(), to: account.clone() },
                    signer,
                ),
                rent_lamports,
                len as u64,
                token_program.key,
            )?;
        } else {
            let top_up = rent_lamports.saturating_sub(account.lamports());
            if top_up > 0 {
                system_program::transfer(
                    CpiContext::new(
                        system_program.clone(),
                        system_program::Transfer { from: payer.clone(), to: account.clone() },
                    ),
                    top_up,
                )?;
            }
            system_program::allocate(
                CpiContext::new_with_signer(
                    system_program.clone(),
                    system_program::Allocate { account_to_allocate: account.clone() },
                    signer,
                ),
                len as u64,
            )?;
            system_program::assign(
                CpiContext::new_with_signer(
                    system_program.clone(),
                    system_program::Assign { account_to_assign: account.clone() },
                    signer,
                ),
                token_program.key,
            )?;
        }
        token::initialize_account3(CpiContext::new(
            token_program.clone(),
            InitializeAccount3 { account: account.clone(), mint: new.mint.clone(), authority: vault.clone() },
        ))?;
    }
    Ok(())
}
