//! Ballast's one client: the builder of every instruction and the order of every account list
//! (named and remaining), and the reader of the program's events, for every off-chain part (the
//! keeper, the simulator, the app, the test harness). Nothing else writes a Ballast instruction.
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::pubkey::Pubkey;
use anchor_lang::{InstructionData, ToAccountMetas};

use ballast::state::RiskParams;

/// A Ballast instruction from its named accounts and its data.
fn ballast_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: ballast::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// The vault an admin instruction acts on, its admin, and the LST reserve of its lending market
/// once bound (parameter changes are checked against its liquidation threshold).
#[derive(Clone, Copy, Debug)]
pub struct AdminTarget {
    pub vault: Pubkey,
    pub admin: Pubkey,
    pub lst_reserve: Option<Pubkey>,
}

impl AdminTarget {
    fn with_market(&self, mut metas: Vec<AccountMeta>) -> Vec<AccountMeta> {
        metas.extend(self.lst_reserve.map(|reserve| AccountMeta::new_readonly(reserve, false)));
        metas
    }
}

pub fn propose_risk_params(target: &AdminTarget, params: RiskParams) -> Instruction {
    let accounts = ballast::accounts::ProposeRiskParams { admin: target.admin, vault: target.vault };
    Instruction {
        program_id: ballast::ID,
        accounts: target.with_market(accounts.to_account_metas(None)),
        data: ballast::instruction::ProposeRiskParams { params }.data(),
    }
}

pub fn execute_risk_params(target: &AdminTarget) -> Instruction {
    let accounts = ballast::accounts::ExecuteRiskParams { admin: target.admin, vault: target.vault };
    Instruction {
        program_id: ballast::ID,
        accounts: target.with_market(accounts.to_account_metas(None)),
        data: ballast::instruction::ExecuteRiskParams {}.data(),
    }
}

/// `cancel_proposal(kind)`: drops the pending proposal of that kind.
pub fn cancel_proposal(vault: Pubkey, admin: Pubkey, kind: ballast::state::ProposalKind) -> Instruction {
    ballast_ix(ballast::accounts::CancelProposal { admin, vault }, ballast::instruction::CancelProposal { kind })
}

pub fn set_pause(vault: Pubkey, authority: Pubkey, paused: bool) -> Instruction {
    ballast_ix(ballast::accounts::SetPause { authority, vault }, ballast::instruction::SetPause { paused })
}

pub fn transfer_admin(vault: Pubkey, admin: Pubkey, new_admin: Pubkey) -> Instruction {
    ballast_ix(ballast::accounts::TransferAdmin { admin, vault }, ballast::instruction::TransferAdmin { new_admin })
}

pub fn accept_admin(vault: Pubkey, pending_admin: Pubkey) -> Instruction {
    ballast_ix(ballast::accounts::AcceptAdmin { pending_admin, vault }, ballast::instruction::AcceptAdmin {})
}

/// `propose_roles(guardian, allocator, fee_recipient)`; `set_roles` applies them after the
/// timelock.
pub fn propose_roles(
    vault: Pubkey,
    admin: Pubkey,
    guardian: Pubkey,
    allocator: Pubkey,
    fee_recipient: Pubkey,
) -> Instruction {
    ballast_ix(
        ballast::accounts::ProposeRoles { admin, vault },
        ballast::instruction::ProposeRoles { guardian, allocator, fee_recipient },
    )
}

pub fn set_roles(vault: Pubkey, admin: Pubkey) -> Instruction {
    ballast_ix(ballast::accounts::SetRoles { admin, vault }, ballast::instruction::SetRoles {})
}

/// `propose_lending`: the market and its LST and SOL reserves `bind_lending` may bind after the
/// timelock.
pub fn propose_lending(
    vault: Pubkey,
    admin: Pubkey,
    lending_market: Pubkey,
    lst_reserve: Pubkey,
    sol_reserve: Pubkey,
) -> Instruction {
    ballast_ix(
        ballast::accounts::ProposeLending { admin, vault, lending_market, lst_reserve, sol_reserve },
        ballast::instruction::ProposeLending {},
    )
}

/// `propose_pool`: the swap `bind_pool` may bind after the timelock.
pub fn propose_pool(vault: Pubkey, admin: Pubkey, swap: Pubkey) -> Instruction {
    ballast_ix(ballast::accounts::ProposePool { admin, vault, swap }, ballast::instruction::ProposePool {})
}

/// `bind_pool` after its proposal's timelock: `payer` funds the vault's two new token accounts
/// (for a DAO, the governance's native treasury, which the governance program signs for).
pub fn bind_pool(vault: Pubkey, admin: Pubkey, payer: Pubkey, swap: Pubkey, pool_mint: Pubkey) -> Instruction {
    let pda = |seed: &[u8]| Pubkey::find_program_address(&[seed, vault.as_ref()], &ballast::ID).0;
    ballast_ix(
        ballast::accounts::BindPool {
            admin,
            payer,
            vault,
            swap_program: spl_token_swap::id(),
            swap,
            pool_mint,
            pool_token_account: pda(ballast::constants::seeds::POOL_TOKEN_ACCOUNT),
            native_mint: anchor_spl::token::spl_token::native_mint::ID,
            wsol_account: pda(ballast::constants::seeds::POOL_WSOL_ACCOUNT),
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::solana_program::system_program::ID,
        },
        ballast::instruction::BindPool {},
    )
}

/// What an allocator's lending instruction names beyond the market's accounts: the vault's own,
/// its stake pool's, and the pool it values after them.
#[derive(Clone, Copy, Debug)]
pub struct AllocatorTarget {
    pub allocator: Pubkey,
    pub vault: Pubkey,
    pub share_mint: Pubkey,
    pub sol_reserve: Pubkey,
    pub lst_account: Pubkey,
    pub lst_mint: Pubkey,
    pub stake_pool: Pubkey,
    pub stake_pool_program: Pubkey,
    pub stake_pool_reserve_stake: Pubkey,
    pub stake_pool_manager_fee_account: Pubkey,
    /// The bound pool's mint, LST reserve and wSOL reserve, valued after the named accounts.
    pub pool: Option<[Pubkey; 3]>,
    pub lending: LendingKeys,
}

/// The Pyth receiver updates a risk-adding allocator instruction reads (the vault stores feed
/// ids, not update accounts).
#[derive(Clone, Copy, Debug)]
pub struct PriceUpdates {
    pub sol_usd: Pubkey,
    pub lst_usd: Pubkey,
}

impl AllocatorTarget {
    /// From the vault as read, its stake pool's reserve stake and manager fee account, and the
    /// bound market's accounts.
    pub fn of(
        vault_key: Pubkey,
        vault: &ballast::state::Vault,
        allocator: Pubkey,
        stake_pool_reserve_stake: Pubkey,
        stake_pool_manager_fee_account: Pubkey,
        lending: LendingKeys,
    ) -> Self {
        Self {
            allocator,
            vault: vault_key,
            share_mint: vault.share_mint,
            sol_reserve: vault.sol_reserve,
            lst_account: vault.lst_account,
            lst_mint: vault.lst_mint,
            stake_pool: vault.stake_pool,
            stake_pool_program: vault.stake_pool_program,
            stake_pool_reserve_stake,
            stake_pool_manager_fee_account,
            pool: vault.pool.map(|p| [p.pool_mint, p.pool_lst, p.pool_wsol]),
            lending,
        }
    }

    /// The named accounts, then the pool's valuation accounts.
    fn instruction(&self, accounts: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
        let mut accounts = accounts;
        accounts.extend(self.pool.iter().flatten().map(|key| AccountMeta::new_readonly(*key, false)));
        Instruction { program_id: ballast::ID, accounts, data }
    }
}

/// `lend_supply(lst_amount)`.
pub fn lend_supply(t: &AllocatorTarget, lst_amount: u64) -> Instruction {
    let accounts = ballast::accounts::LendSupply {
        allocator: t.allocator,
        vault: t.vault,
        share_mint: t.share_mint,
        lst_account: t.lst_account,
        stake_pool: t.stake_pool,
        lending: t.lending.accounts(),
        token_program: anchor_spl::token::ID,
    };
    t.instruction(accounts.to_account_metas(None), ballast::instruction::LendSupply { lst_amount }.data())
}

/// `lend_withdraw(ctokens)`.
pub fn lend_withdraw(t: &AllocatorTarget, prices: &PriceUpdates, ctokens: u64) -> Instruction {
    let accounts = ballast::accounts::LendWithdraw {
        allocator: t.allocator,
        vault: t.vault,
        share_mint: t.share_mint,
        lst_account: t.lst_account,
        stake_pool: t.stake_pool,
        lending: t.lending.accounts(),
        sol_usd_price: prices.sol_usd,
        lst_usd_price: prices.lst_usd,
        token_program: anchor_spl::token::ID,
    };
    t.instruction(accounts.to_account_metas(None), ballast::instruction::LendWithdraw { ctokens }.data())
}

/// `leverage_up(borrow_lamports)`.
pub fn leverage_up(t: &AllocatorTarget, prices: &PriceUpdates, borrow_lamports: u64) -> Instruction {
    let accounts = ballast::accounts::LeverageUp {
        allocator: t.allocator,
        vault: t.vault,
        share_mint: t.share_mint,
        sol_reserve: t.sol_reserve,
        lst_account: t.lst_account,
        stake_pool: t.stake_pool,
        stake_pool_withdraw_authority: spl_stake_pool::find_withdraw_authority_program_address(
            &t.stake_pool_program,
            &t.stake_pool,
        )
        .0,
        stake_pool_reserve_stake: t.stake_pool_reserve_stake,
        stake_pool_manager_fee_account: t.stake_pool_manager_fee_account,
        lst_mint: t.lst_mint,
        stake_pool_program: t.stake_pool_program,
        lending: t.lending.accounts(),
        native_mint: anchor_spl::token::spl_token::native_mint::ID,
        sol_usd_price: prices.sol_usd,
        lst_usd_price: prices.lst_usd,
        token_program: anchor_spl::token::ID,
        system_program: anchor_lang::solana_program::system_program::ID,
    };
    t.instruction(accounts.to_account_metas(None), ballast::instruction::LeverageUp { borrow_lamports }.data())
}

/// `deleverage(repay_lamports)`: repays debt from the SOL reserve.
pub fn deleverage(t: &AllocatorTarget, repay_lamports: u64) -> Instruction {
    let accounts = ballast::accounts::Deleverage {
        allocator: t.allocator,
        vault: t.vault,
        share_mint: t.share_mint,
        sol_reserve: t.sol_reserve,
        stake_pool: t.stake_pool,
        lending: t.lending.accounts(),
        native_mint: anchor_spl::token::spl_token::native_mint::ID,
        token_program: anchor_spl::token::ID,
        system_program: anchor_lang::solana_program::system_program::ID,
    };
    t.instruction(accounts.to_account_metas(None), ballast::instruction::Deleverage { repay_lamports }.data())
}

/// A vault's PDA from the key that created it.
pub fn vault_address(create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[ballast::constants::seeds::VAULT, create_key.as_ref()], &ballast::ID).0
}

/// One of a vault's own accounts (`constants::seeds`).
pub fn vault_pda(seed: &[u8], vault: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seed, vault.as_ref()], &ballast::ID).0
}

/// A bound pool's accounts, as the vault's instructions name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolKeys {
    pub swap: Pubkey,
    pub pool_mint: Pubkey,
    pub pool_lst: Pubkey,
    pub pool_wsol: Pubkey,
    pub pool_fee_account: Pubkey,
    /// The vault's pool-token and wSOL accounts.
    pub pool_token_account: Pubkey,
    pub wsol_account: Pubkey,
}

impl PoolKeys {
    pub fn of(binding: &ballast::state::PoolBinding) -> Self {
        Self {
            swap: binding.swap,
            pool_mint: binding.pool_mint,
            pool_lst: binding.pool_lst,
            pool_wsol: binding.pool_wsol,
            pool_fee_account: binding.pool_fee_account,
            pool_token_account: binding.pool_token_account,
            wsol_account: binding.wsol_account,
        }
    }

    pub fn core(&self) -> PoolCore {
        let swap_program = spl_token_swap::id();
        PoolCore {
            swap_program,
            swap: self.swap,
            swap_authority: Pubkey::find_program_address(&[self.swap.as_ref()], &swap_program).0,
            pool_mint: self.pool_mint,
            pool_lst: self.pool_lst,
            pool_wsol: self.pool_wsol,
            pool_fee_account: self.pool_fee_account,
            wsol_account: self.wsol_account,
        }
    }

    pub fn accounts(&self) -> PoolAccounts {
        PoolAccounts { core: self.core(), pool_token_account: self.pool_token_account }
    }
}

/// A vault's accounts as its instructions name them: from the vault as read (`VaultKeys::of`),
/// or from the fixtures that created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultKeys {
    pub vault: Pubkey,
    pub share_mint: Pubkey,
    pub sol_reserve: Pubkey,
    pub lst_account: Pubkey,
    pub stake_pool: Pubkey,
    pub fee_recipient: Pubkey,
    /// The lending position's obligation, LST reserve and SOL reserve, once bound.
    pub lending: Option<[Pubkey; 3]>,
    pub pool: Option<PoolKeys>,
}

impl VaultKeys {
    pub fn of(vault_key: Pubkey, vault: &ballast::state::Vault) -> Self {
        Self {
            vault: vault_key,
            share_mint: vault.share_mint,
            sol_reserve: vault.sol_reserve,
            lst_account: vault.lst_account,
            stake_pool: vault.stake_pool,
            fee_recipient: vault.fee_recipient,
            lending: vault.lending.map(|l| [l.obligation, l.lst_reserve, l.sol_reserve]),
            pool: vault.pool.as_ref().map(PoolKeys::of),
        }
    }

    /// `[obligation, LST reserve, SOL reserve]`, once lending is bound.
    pub fn lending_valuation_accounts(&self) -> Vec<AccountMeta> {
        self.lending.iter().flatten().map(|key| AccountMeta::new_readonly(*key, false)).collect()
    }

    /// `[pool mint, pool LST, pool wSOL]`, once a pool is bound.
    pub fn pool_valuation_accounts(&self, writable: bool) -> Vec<AccountMeta> {
        let meta = if writable { AccountMeta::new } else { AccountMeta::new_readonly };
        self.pool.iter().flat_map(|p| [p.pool_mint, p.pool_lst, p.pool_wsol]).map(|key| meta(key, false)).collect()
    }

    /// The lending ones, then the pool's: the accounts every valuing instruction takes after
    /// its own.
    pub fn valuation_accounts(&self, pool_writable: bool) -> Vec<AccountMeta> {
        let mut metas = self.lending_valuation_accounts();
        metas.extend(self.pool_valuation_accounts(pool_writable));
        metas
    }

    /// The accounts a withdrawal needs to sell LST through the bound pool, after the valuation
    /// ones.
    pub fn pool_exit_accounts(&self) -> Vec<AccountMeta> {
        let Some(p) = &self.pool else { return Vec::new() };
        let core = p.core();
        vec![
            AccountMeta::new_readonly(core.swap_program, false),
            AccountMeta::new_readonly(core.swap, false),
            AccountMeta::new_readonly(core.swap_authority, false),
            AccountMeta::new(core.pool_fee_account, false),
            AccountMeta::new(core.wsol_account, false),
            AccountMeta::new_readonly(anchor_spl::token::spl_token::native_mint::id(), false),
        ]
    }

    /// `owner`'s share account: the associated token account of the share mint.
    pub fn share_account(&self, owner: &Pubkey) -> Pubkey {
        anchor_spl::associated_token::get_associated_token_address(owner, &self.share_mint)
    }

    /// The named accounts, then `extra`.
    fn instruction(&self, named: impl ToAccountMetas, extra: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
        let mut accounts = named.to_account_metas(None);
        accounts.extend(extra);
        Instruction { program_id: ballast::ID, accounts, data }
    }
}

/// The depositor's share account: the associated token account of the share mint.
pub fn share_account(vault: &ballast::state::Vault, owner: &Pubkey) -> Pubkey {
    anchor_spl::associated_token::get_associated_token_address(owner, &vault.share_mint)
}

/// A stake pool's accounts that staking into it and withdrawing from it name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StakePoolKeys {
    /// The vault's pinned stake-pool program.
    pub program: Pubkey,
    pub withdraw_authority: Pubkey,
    pub reserve_stake: Pubkey,
    pub manager_fee_account: Pubkey,
    pub lst_mint: Pubkey,
}

impl StakePoolKeys {
    /// From the pool as read, under `program`.
    pub fn of(
        program: Pubkey,
        stake_pool: &Pubkey,
        reserve_stake: Pubkey,
        manager_fee_account: Pubkey,
        lst_mint: Pubkey,
    ) -> Self {
        let withdraw_authority = spl_stake_pool::find_withdraw_authority_program_address(&program, stake_pool).0;
        Self { program, withdraw_authority, reserve_stake, manager_fee_account, lst_mint }
    }
}

/// `initialize_vault(args)`: the vault is the PDA of `create_key` (which signs), its mint and
/// accounts PDAs of the vault.
pub fn initialize_vault(
    payer: Pubkey,
    create_key: Pubkey,
    stake_pool: Pubkey,
    lst_mint: Pubkey,
    args: ballast::instructions::vault_initialize::InitializeVaultArgs,
) -> Instruction {
    use ballast::constants::seeds;
    let vault = vault_address(&create_key);
    ballast_ix(
        ballast::accounts::InitializeVault {
            payer,
            create_key,
            vault,
            share_mint: vault_pda(seeds::SHARE_MINT, &vault),
            sol_reserve: vault_pda(seeds::SOL_RESERVE, &vault),
            lst_account: vault_pda(seeds::LST_ACCOUNT, &vault),
            dead_shares: vault_pda(seeds::DEAD_SHARES, &vault),
            stake_pool,
            lst_mint,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        },
        ballast::instruction::InitializeVault { args },
    )
}

/// `deposit(lamports, min_shares_out)` by `depositor`, the shares minted to `depositor_shares`.
pub fn deposit_into(
    keys: &VaultKeys,
    depositor: Pubkey,
    depositor_shares: Pubkey,
    lamports: u64,
    min_shares_out: u64,
) -> Instruction {
    let accounts = ballast::accounts::Deposit {
        depositor,
        vault: keys.vault,
        share_mint: keys.share_mint,
        sol_reserve: keys.sol_reserve,
        stake_pool: keys.stake_pool,
        depositor_shares,
        token_program: anchor_spl::token::ID,
        system_program: anchor_lang::system_program::ID,
    };
    keys.instruction(
        accounts,
        keys.valuation_accounts(false),
        ballast::instruction::Deposit { lamports, min_shares_out }.data(),
    )
}

/// `deposit` into the depositor's own share account (`VaultKeys::share_account`), which the
/// transaction creates first when it does not exist yet.
pub fn deposit(keys: &VaultKeys, depositor: Pubkey, lamports: u64, min_shares_out: u64) -> Vec<Instruction> {
    use anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent;
    vec![
        create_associated_token_account_idempotent(&depositor, &depositor, &keys.share_mint, &anchor_spl::token::ID),
        deposit_into(keys, depositor, keys.share_account(&depositor), lamports, min_shares_out),
    ]
}

/// `withdraw(shares, min_lamports_out)` from `owner_shares`, paid to `recipient`.
pub fn withdraw_to(
    keys: &VaultKeys,
    owner: Pubkey,
    owner_shares: Pubkey,
    recipient: Pubkey,
    shares: u64,
    min_lamports_out: u64,
) -> Instruction {
    let accounts = ballast::accounts::Withdraw {
        owner,
        vault: keys.vault,
        share_mint: keys.share_mint,
        sol_reserve: keys.sol_reserve,
        lst_account: keys.lst_account,
        stake_pool: keys.stake_pool,
        owner_shares,
        recipient,
        token_program: anchor_spl::token::ID,
        system_program: anchor_lang::system_program::ID,
    };
    let mut extra = keys.valuation_accounts(true);
    extra.extend(keys.pool_exit_accounts());
    keys.instruction(accounts, extra, ballast::instruction::Withdraw { shares, min_lamports_out }.data())
}

/// `withdraw` from `owner`'s own share account, paid to `owner`.
pub fn withdraw(keys: &VaultKeys, owner: Pubkey, shares: u64, min_lamports_out: u64) -> Instruction {
    withdraw_to(keys, owner, keys.share_account(&owner), owner, shares, min_lamports_out)
}

/// `stake(lamports)` by the allocator: reserve SOL into the stake pool.
pub fn stake(keys: &VaultKeys, pool: &StakePoolKeys, allocator: Pubkey, lamports: u64) -> Instruction {
    let accounts = ballast::accounts::Stake {
        allocator,
        vault: keys.vault,
        share_mint: keys.share_mint,
        sol_reserve: keys.sol_reserve,
        lst_account: keys.lst_account,
        stake_pool: keys.stake_pool,
        stake_pool_withdraw_authority: pool.withdraw_authority,
        reserve_stake: pool.reserve_stake,
        manager_fee_account: pool.manager_fee_account,
        lst_mint: pool.lst_mint,
        stake_pool_program: pool.program,
        token_program: anchor_spl::token::ID,
        system_program: anchor_lang::system_program::ID,
    };
    keys.instruction(accounts, keys.valuation_accounts(false), ballast::instruction::Stake { lamports }.data())
}

/// `pool_add(pool_tokens)` by the allocator: LST and SOL into the bound pool, priced by the
/// vault's Pyth updates.
pub fn pool_add(keys: &VaultKeys, prices: &PriceUpdates, allocator: Pubkey, pool_tokens: u64) -> Option<Instruction> {
    let pool = keys.pool?;
    let accounts = ballast::accounts::PoolAdd {
        allocator,
        vault: keys.vault,
        share_mint: keys.share_mint,
        sol_reserve: keys.sol_reserve,
        lst_account: keys.lst_account,
        stake_pool: keys.stake_pool,
        pool: pool.accounts(),
        native_mint: anchor_spl::token::spl_token::native_mint::ID,
        sol_usd_price: prices.sol_usd,
        lst_usd_price: prices.lst_usd,
        token_program: anchor_spl::token::ID,
        system_program: anchor_lang::system_program::ID,
    };
    Some(keys.instruction(
        accounts,
        keys.lending_valuation_accounts(),
        ballast::instruction::PoolAdd { pool_tokens }.data(),
    ))
}

/// `pool_remove(pool_tokens)` by the allocator.
pub fn pool_remove(keys: &VaultKeys, allocator: Pubkey, pool_tokens: u64) -> Option<Instruction> {
    let pool = keys.pool?;
    let accounts = ballast::accounts::PoolRemove {
        allocator,
        vault: keys.vault,
        share_mint: keys.share_mint,
        sol_reserve: keys.sol_reserve,
        lst_account: keys.lst_account,
        stake_pool: keys.stake_pool,
        pool: pool.accounts(),
        native_mint: anchor_spl::token::spl_token::native_mint::ID,
        token_program: anchor_spl::token::ID,
        system_program: anchor_lang::system_program::ID,
    };
    Some(keys.instruction(
        accounts,
        keys.lending_valuation_accounts(),
        ballast::instruction::PoolRemove { pool_tokens }.data(),
    ))
}

/// What `bind_lending` binds: the proposed market and reserves, the vault's new obligation
/// (created empty by the caller, owned by the venue's program), and the LST reserve's
/// collateral mint.
#[derive(Clone, Copy, Debug)]
pub struct BindLendingTarget {
    pub vault: Pubkey,
    pub admin: Pubkey,
    pub payer: Pubkey,
    pub venue: ballast::state::LendingVenue,
    pub market: Pubkey,
    pub lst_reserve: Pubkey,
    pub sol_reserve: Pubkey,
    pub obligation: Pubkey,
    pub lst_collateral_mint: Pubkey,
}

/// `bind_lending` after its proposal's timelock.
pub fn bind_lending(t: &BindLendingTarget) -> Instruction {
    use ballast::constants::seeds;
    ballast_ix(
        ballast::accounts::BindLending {
            admin: t.admin,
            payer: t.payer,
            vault: t.vault,
            lending_program: t.venue.program_id(),
            lending_market: t.market,
            lst_reserve: t.lst_reserve,
            sol_reserve: t.sol_reserve,
            obligation: t.obligation,
            collateral_mint: t.lst_collateral_mint,
            collateral_account: vault_pda(seeds::COLLATERAL_ACCOUNT, &t.vault),
            native_mint: anchor_spl::token::spl_token::native_mint::ID,
            wsol_account: vault_pda(seeds::WSOL_ACCOUNT, &t.vault),
            clock: anchor_lang::solana_program::sysvar::clock::ID,
            rent: anchor_lang::solana_program::sysvar::rent::ID,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::system_program::ID,
        },
        ballast::instruction::BindLending {},
    )
}

pub use ballast::client_accounts::LendingCore;

/// A bound lending market's accounts, from which every lending account list is written: the
/// keeper, the app and the harness name them through this one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LendingKeys {
    pub venue: ballast::state::LendingVenue,
    pub market: Pubkey,
    pub obligation: Pubkey,
    /// The vault's cToken and wSOL accounts.
    pub collateral_account: Pubkey,
    pub wsol_account: Pubkey,
    pub lst: ballast::adapters::lending::ReserveAccounts,
    pub sol: ballast::adapters::lending::ReserveAccounts,
}

impl LendingKeys {
    /// From the vault's binding and both reserves as read.
    pub fn of(
        binding: &ballast::state::LendingBinding,
        lst: &ballast::adapters::lending::ReserveView,
        sol: &ballast::adapters::lending::ReserveView,
    ) -> Self {
        Self {
            venue: binding.venue,
            market: binding.market,
            obligation: binding.obligation,
            collateral_account: binding.collateral_account,
            wsol_account: binding.wsol_account,
            lst: lst.accounts(),
            sol: sol.accounts(),
        }
    }

    /// `LendingCore`: the clock only on spl-token-lending (Save reads the sysvar itself), Save's
    /// Switchboard feeds only on Save.
    pub fn core(&self) -> LendingCore {
        let program = self.venue.program_id();
        LendingCore {
            lending_program: program,
            lending_market: self.market,
            lending_market_authority: Pubkey::find_program_address(&[self.market.as_ref()], &program).0,
            obligation: self.obligation,
            lst_reserve: self.lst.reserve,
            lst_reserve_oracle: self.lst.oracle,
            lst_reserve_liquidity_supply: self.lst.liquidity_supply,
            lst_reserve_collateral_mint: self.lst.collateral_mint,
            lst_reserve_collateral_supply: self.lst.collateral_supply,
            sol_reserve: self.sol.reserve,
            sol_reserve_oracle: self.sol.oracle,
            sol_reserve_liquidity_supply: self.sol.liquidity_supply,
            collateral_account: self.collateral_account,
            clock: (self.venue == ballast::state::LendingVenue::SplTokenLending)
                .then_some(anchor_lang::solana_program::sysvar::clock::ID),
            lst_reserve_switchboard: self.lst.switchboard_oracle,
            sol_reserve_switchboard: self.sol.switchboard_oracle,
        }
    }

    /// `LendingAccounts`: the core, the SOL reserve's fee receiver and the vault's wSOL account.
    pub fn accounts(&self) -> ballast::accounts::LendingAccounts {
        ballast::accounts::LendingAccounts {
            core: self.core(),
            sol_reserve_fee_receiver: self.sol.fee_receiver,
            wsol_account: self.wsol_account,
        }
    }
}
pub use ballast::client_accounts::LoopAccounts;
/// `harvest()` by anyone (`harvester`), the fee shares minted to `fee_recipient_shares` (a
/// share-mint token account of the vault's fee recipient; `VaultKeys::share_account` gives its
/// associated one).
pub fn harvest(keys: &VaultKeys, harvester: Pubkey, fee_recipient_shares: Pubkey) -> Instruction {
    let accounts = ballast::accounts::Harvest {
        harvester,
        vault: keys.vault,
        share_mint: keys.share_mint,
        stake_pool: keys.stake_pool,
        fee_recipient_shares,
        token_program: anchor_spl::token::ID,
    };
    keys.instruction(accounts, keys.valuation_accounts(false), ballast::instruction::Harvest {}.data())
}

/// `harvest` by `harvester` with the fee shares minted to the fee recipient's associated share
/// account, which `harvester` first creates (idempotently) so the harvest never fails for its
/// want.
pub fn harvest_to_fee_recipient(keys: &VaultKeys, harvester: Pubkey) -> Vec<Instruction> {
    use anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent;
    vec![
        create_associated_token_account_idempotent(
            &harvester,
            &keys.fee_recipient,
            &keys.share_mint,
            &anchor_spl::token::ID,
        ),
        harvest(keys, harvester, keys.share_account(&keys.fee_recipient)),
    ]
}

/// `owner`'s associated wSOL account, and the instruction that creates it if it is missing
/// (`owner` pays): where a flash-loan unwind's caller repays the loan from.
pub fn wsol_account_of(owner: Pubkey) -> (Pubkey, Instruction) {
    use anchor_spl::associated_token::{get_associated_token_address, spl_associated_token_account};
    let native_mint = anchor_spl::token::spl_token::native_mint::ID;
    let create = spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        &owner,
        &owner,
        &native_mint,
        &anchor_spl::token::ID,
    );
    (get_associated_token_address(&owner, &native_mint), create)
}

/// Client account structs of the composite account sets that no instruction names directly.
pub use ballast::client_accounts::{PoolAccounts, PoolCore, StakePoolExit};
use ballast::instructions::loop_exit::UnwindExit;

/// The accounts `unwind` and `leave_loop` name (`caller` is the signer: anyone for `unwind`, the
/// allocator for `leave_loop`).
pub struct UnwindTarget {
    pub caller: Pubkey,
    pub vault: Pubkey,
    pub sol_reserve: Pubkey,
    pub lst_account: Pubkey,
    pub stake_pool: Pubkey,
    pub lending: LendingCore,
}

/// The accounts of an exit (see `instructions::loop_exit::UnwindExit`).
pub enum UnwindExitAccounts {
    /// Sold through the bound pool; the vault's pool-token account, for the share of the pool's
    /// SOL that repays first.
    Pool { core: PoolCore, pool_token_account: Pubkey },
    /// Unstaked through the stake pool: the vault's pinned stake-pool program, the pool's
    /// withdraw authority, reserve stake and manager fee account, the LST mint, and the vault's
    /// lending wSOL account.
    StakePool {
        stake_pool_program: Pubkey,
        withdraw_authority: Pubkey,
        reserve_stake: Pubkey,
        manager_fee_account: Pubkey,
        lst_mint: Pubkey,
        lending_wsol_account: Pubkey,
    },
}

/// The signer, the shared accounts, `named` (the instruction's own, after the shared ones), then
/// the exit's; and which exit they are.
fn loop_exit_metas(
    target: UnwindTarget,
    exit: UnwindExitAccounts,
    named: &[AccountMeta],
) -> (Vec<AccountMeta>, UnwindExit) {
    let mut accounts = vec![AccountMeta::new(target.caller, true)];
    accounts.extend(
        LoopAccounts {
            vault: target.vault,
            sol_reserve: target.sol_reserve,
            lst_account: target.lst_account,
            stake_pool: target.stake_pool,
            lending: target.lending,
            native_mint: anchor_spl::token::spl_token::native_mint::ID,
            token_program: anchor_spl::token::ID,
            system_program: anchor_lang::solana_program::system_program::ID,
        }
        .to_account_metas(None),
    );
    accounts.extend_from_slice(named);
    let exit = match exit {
        UnwindExitAccounts::Pool { core, pool_token_account } => {
            accounts.extend(PoolAccounts { core, pool_token_account }.to_account_metas(None));
            UnwindExit::Pool
        }
        UnwindExitAccounts::StakePool {
            stake_pool_program,
            withdraw_authority,
            reserve_stake,
            manager_fee_account,
            lst_mint,
            lending_wsol_account,
        } => {
            let exit_accounts = StakePoolExit {
                stake_pool_program,
                withdraw_authority,
                reserve_stake,
                manager_fee_account,
                lst_mint,
                stake_history: anchor_lang::solana_program::sysvar::stake_history::ID,
                clock: anchor_lang::solana_program::sysvar::clock::ID,
                stake_program: anchor_lang::solana_program::stake::program::ID,
                wsol_account: lending_wsol_account,
            };
            accounts.extend(exit_accounts.to_account_metas(None));
            UnwindExit::StakePool
        }
    };
    (accounts, exit)
}

/// `unwind(max_repay_lamports, exit)`: the named accounts, then the exit's.
pub fn unwind(target: UnwindTarget, exit: UnwindExitAccounts, max_repay_lamports: u64) -> Instruction {
    let (accounts, exit) = loop_exit_metas(target, exit, &[]);
    Instruction {
        program_id: ballast::ID,
        accounts,
        data: ballast::instruction::Unwind { max_repay_lamports, exit }.data(),
    }
}

/// `leave_loop(target_ltv_bps, max_repay_lamports, exit)` signed by the allocator
/// (`target.caller`): the named accounts, then the exit's.
pub fn leave_loop(
    target: UnwindTarget,
    exit: UnwindExitAccounts,
    target_ltv_bps: u16,
    max_repay_lamports: u64,
) -> Instruction {
    let (accounts, exit) = loop_exit_metas(target, exit, &[]);
    Instruction {
        program_id: ballast::ID,
        accounts,
        data: ballast::instruction::LeaveLoop { target_ltv_bps, max_repay_lamports, exit }.data(),
    }
}

/// The wSOL account an exit repays from, where `unwind_flash`'s loan must land.
pub fn exit_wsol_account(exit: &UnwindExitAccounts) -> Pubkey {
    match exit {
        UnwindExitAccounts::Pool { core, .. } => core.wsol_account,
        UnwindExitAccounts::StakePool { lending_wsol_account, .. } => *lending_wsol_account,
    }
}

/// `unwind_flash(flash_lamports, exit)`: the named accounts (the shared ones, the instructions
/// sysvar, the wSOL account the flash repayment is made from), then the exit's.
pub fn unwind_flash(
    target: UnwindTarget,
    exit: UnwindExitAccounts,
    flash_lamports: u64,
    flash_repay_account: Pubkey,
) -> Instruction {
    let named = [
        AccountMeta::new_readonly(anchor_lang::solana_program::sysvar::instructions::ID, false),
        AccountMeta::new(flash_repay_account, false),
    ];
    let (accounts, exit) = loop_exit_metas(target, exit, &named);
    Instruction {
        program_id: ballast::ID,
        accounts,
        data: ballast::instruction::UnwindFlash { flash_lamports, exit }.data(),
    }
}

/// A flash-loan unwind's three instructions, to place at `borrow_index` onwards in one
/// transaction: Save's flash borrow of `flash_lamports` from the SOL reserve into the exit's wSOL
/// account, `unwind_flash`, and Save's flash repay from `flash_repay_account` (a wSOL account of
/// `target.caller`, who signs), which the vault fills with the loan and its fee.
pub fn unwind_flash_ixs(
    target: UnwindTarget,
    exit: UnwindExitAccounts,
    flash_lamports: u64,
    flash_repay_account: Pubkey,
    sol_reserve: &ballast::adapters::save::instruction::ReserveKeys,
    borrow_index: u8,
) -> [Instruction; 3] {
    use ballast::adapters::save::instruction as save_ix;
    let market = target.lending.lending_market;
    let caller = target.caller;
    let destination = exit_wsol_account(&exit);
    [
        save_ix::flash_borrow_reserve_liquidity(flash_lamports, sol_reserve, destination, market),
        unwind_flash(target, exit, flash_lamports, flash_repay_account),
        save_ix::flash_repay_reserve_liquidity(
            flash_lamports,
            borrow_index,
            flash_repay_account,
            sol_reserve,
            sol_reserve.fee_receiver,
            market,
            caller,
        ),
    ]
}

/// The Anchor events of type `T` that the Ballast program itself emitted, read from a
/// transaction's log messages. Each line belongs to the program whose frame is on top of the
/// invoke stack (`Program <id> invoke [n]` opens a frame, `Program <id> success` or
/// `Program <id> failed: ...` closes it), as Anchor's own client reads them: another program that
/// logs a Ballast event's bytes, directly or around a call into Ballast, is not Ballast. Events
/// come as `Program data: <base64>` on a cluster and as `Program log: data: <base64>` on the
/// embedded chain, where natively compiled programs log through `msg!`. Reading stops at a
/// truncated log, where frames can no longer be told apart.
pub fn events<T: anchor_lang::Event + anchor_lang::AnchorDeserialize>(logs: &[String]) -> Vec<T> {
    use base64::Engine;
    let mut frames: Vec<Pubkey> = Vec::new();
    let mut found = Vec::new();
    for line in logs {
        if line == "Log truncated" {
            break;
        }
        let Some(rest) = line.strip_prefix("Program ") else { continue };
        if let Some(data) = rest.strip_prefix("data: ").or_else(|| rest.strip_prefix("log: data: ")) {
            if frames.last() != Some(&ballast::ID) {
                continue;
            }
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else { continue };
            if let Some(body) = bytes.strip_prefix(T::DISCRIMINATOR.as_slice()) {
                if let Ok(event) = T::deserialize(&mut &body[..]) {
                    found.push(event);
                }
            }
            continue;
        }
        // Only the runtime writes a program id here: `Program log: invoke [1]` names no program.
        let Some((id, tail)) = rest.split_once(' ') else { continue };
        let Ok(program) = id.parse::<Pubkey>() else { continue };
        if tail.starts_with("invoke [") {
            frames.push(program);
        } else if tail == "success" || tail.starts_with("failed") {
            frames.pop();
        }
    }
    found
}
