//! A real spl-stake-pool 1.0 pool: reserve stake, pool mint, manager fee account, no validators
//! (DepositSol needs none). Rewards arrive as lamports in the reserve and are booked by the
//! pool's own `UpdateValidatorListBalance` + `UpdateStakePoolBalance`.
use solana_program::{
    borsh0_10::get_instance_packed_len, borsh0_10::get_packed_len, pubkey::Pubkey, stake, system_instruction,
};
use solana_sdk::signature::{Keypair, Signer};
use spl_stake_pool::{
    find_withdraw_authority_program_address, instruction as sp_ix,
    state::{Fee, FeeType, StakePool, ValidatorList},
};

use crate::chain::{Chain, TxResult};

pub const MAX_VALIDATORS: u32 = 8;

pub struct StakePoolFixture {
    /// The stake-pool program that owns it (the native spl-stake-pool code, registered under
    /// each deployed id).
    pub program: Pubkey,
    pub stake_pool: Pubkey,
    pub validator_list: Pubkey,
    pub reserve_stake: Pubkey,
    pub pool_mint: Pubkey,
    pub manager_fee_account: Pubkey,
    pub withdraw_authority: Pubkey,
    pub manager: Keypair,
}

impl StakePoolFixture {
    /// A pool whose reserve already holds `initial_lamports` (minted 1:1 to the manager, as the
    /// pool program does on Initialize), with no fees.
    pub async fn create(chain: &mut Chain, initial_lamports: u64) -> Self {
        Self::create_under(chain, spl_stake_pool::id(), initial_lamports).await
    }

    /// `create`, the pool owned by `program` (one of the stake-pool deployments).
    pub async fn create_under(chain: &mut Chain, program: Pubkey, initial_lamports: u64) -> Self {
        let payer = chain.payer();
        let stake_pool = Keypair::new();
        let validator_list = Keypair::new();
        let reserve_stake = Keypair::new();
        let manager = Keypair::new();
        let (withdraw_authority, _) = find_withdraw_authority_program_address(&program, &stake_pool.pubkey());
        let rent = chain.ctx.banks_client.get_rent().await.unwrap();

        // Pool mint: 9 decimals, minted by the withdraw authority, no freeze authority.
        let pool_mint = chain.mint(&withdraw_authority, 9).await;
        let manager_fee_account = chain.token_account(&pool_mint, &manager.pubkey()).await;

        // Reserve stake: initialised, staker = withdrawer = the pool's withdraw authority.
        let stake_len = std::mem::size_of::<stake::state::StakeStateV2>();
        let reserve_lamports = rent.minimum_balance(stake_len) + initial_lamports;
        chain
            .send_ok(
                &stake::instruction::create_account(
                    &payer.pubkey(),
                    &reserve_stake.pubkey(),
                    &stake::state::Authorized { staker: withdraw_authority, withdrawer: withdraw_authority },
                    &stake::state::Lockup::default(),
                    reserve_lamports,
                ),
                &[&reserve_stake],
            )
            .await;

        let pool_len = get_packed_len::<StakePool>();
        let list_len = get_instance_packed_len(&ValidatorList::new(MAX_VALIDATORS)).unwrap();
        let no_fee = Fee { numerator: 0, denominator: 0 };
        chain
            .send_ok(
                &[
                    system_instruction::create_account(
                        &payer.pubkey(),
                        &stake_pool.pubkey(),
                        rent.minimum_balance(pool_len),
                        pool_len as u64,
                        &program,
                    ),
                    system_instruction::create_account(
                        &payer.pubkey(),
                        &validator_list.pubkey(),
                        rent.minimum_balance(list_len),
                        list_len as u64,
                        &program,
                    ),
                    sp_ix::initialize(
                        &program,
                        &stake_pool.pubkey(),
                        &manager.pubkey(),
                        &manager.pubkey(),
                        &withdraw_authority,
                        &validator_list.pubkey(),
                        &reserve_stake.pubkey(),
                        &pool_mint,
                        &manager_fee_account,
                        &spl_token::id(),
                        None,
                        no_fee,
                        no_fee,
                        no_fee,
                        0,
                        MAX_VALIDATORS,
                    ),
                ],
                &[&stake_pool, &validator_list, &manager],
            )
            .await;

        Self {
            program,
            stake_pool: stake_pool.pubkey(),
            validator_list: validator_list.pubkey(),
            reserve_stake: reserve_stake.pubkey(),
            pool_mint,
            manager_fee_account,
            withdraw_authority,
            manager,
        }
    }

    pub async fn state(&self, chain: &mut Chain) -> StakePool {
        solana_program::borsh0_10::try_from_slice_unchecked(&chain.data(&self.stake_pool).await).unwrap()
    }

    /// Runs the pool's own epoch update: `UpdateValidatorListBalance` + `UpdateStakePoolBalance`
    /// (+ cleanup), as any cranker would after an epoch boundary.
    pub async fn update(&self, chain: &mut Chain) {
        let pool = self.state(chain).await;
        let list: ValidatorList =
            solana_program::borsh0_10::try_from_slice_unchecked(&chain.data(&self.validator_list).await).unwrap();
        let (list_ixs, final_ixs) = sp_ix::update_stake_pool(&self.program, &pool, &list, &self.stake_pool, false);
        for ix in list_ixs {
            chain.send_ok(&[ix], &[]).await;
        }
        chain.send_ok(&final_ixs, &[]).await;
    }

    /// Staking rewards for the epoch: lamports land in the reserve stake; the next `update`
    /// books them, raising the pool's exchange rate.
    pub async fn add_rewards(&self, chain: &mut Chain, lamports: u64) {
        let payer = chain.payer();
        chain.send_ok(&[system_instruction::transfer(&payer.pubkey(), &self.reserve_stake, lamports)], &[]).await;
    }

    /// A slashing step: `lamports` leave the pool's reserve stake; the next `update` books the
    /// loss and the rate falls. The lamports move to the payer, so the bank's capitalization (which
    /// a warp checks) is unchanged.
    pub async fn slash(&self, chain: &mut Chain, lamports: u64) {
        let payer = chain.payer().pubkey();
        let mut reserve = chain.ctx.banks_client.get_account(self.reserve_stake).await.unwrap().expect("reserve stake");
        let mut sink = chain.ctx.banks_client.get_account(payer).await.unwrap().expect("payer");
        let rent = chain.ctx.banks_client.get_rent().await.unwrap();
        let lamports = lamports.min(reserve.lamports.saturating_sub(rent.minimum_balance(reserve.data.len()) + 1));
        reserve.lamports -= lamports;
        sink.lamports += lamports;
        chain.ctx.set_account(&self.reserve_stake, &reserve.into());
        chain.ctx.set_account(&payer, &sink.into());
    }

    /// Sets the pool's SOL deposit fee (manager only), as a pool operator may at any time.
    pub async fn set_sol_deposit_fee(&self, chain: &mut Chain, numerator: u64, denominator: u64) -> TxResult {
        let ix = sp_ix::set_fee(
            &self.program,
            &self.stake_pool,
            &self.manager.pubkey(),
            FeeType::SolDeposit(Fee { numerator, denominator }),
        );
        chain.send(&[ix], &[&self.manager]).await
    }
}
