//! A real spl-token-swap 3.0.0 stable-curve pool: token A is the LST, token B wrapped SOL.
//! Seeded by a liquidity provider; an arbitrary trader can push the price either way.
use std::sync::Arc;

use solana_program::{pubkey::Pubkey, system_instruction};
use solana_sdk::signature::{Keypair, Signer};
use spl_token_swap::curve::{base::CurveType, base::SwapCurve, fees::Fees, stable::StableCurve};
use spl_token_swap::instruction as swap_ix;

use crate::chain::{Chain, TxResult};

pub struct SwapPoolFixture {
    pub swap: Pubkey,
    pub authority: Pubkey,
    /// The pool's LST vault (token A).
    pub token_lst: Pubkey,
    /// The pool's wSOL vault (token B).
    pub token_wsol: Pubkey,
    pub pool_mint: Pubkey,
    pub fee_account: Pubkey,
    pub lst_mint: Pubkey,
}

/// 4 bps to liquidity providers, 1 bp to the pool owner, no withdrawal fee.
pub fn stable_fees() -> Fees {
    Fees {
        trade_fee_numerator: 4,
        trade_fee_denominator: 10_000,
        owner_trade_fee_numerator: 1,
        owner_trade_fee_denominator: 10_000,
        owner_withdraw_fee_numerator: 0,
        owner_withdraw_fee_denominator: 0,
        host_fee_numerator: 0,
        host_fee_denominator: 0,
    }
}

impl SwapPoolFixture {
    /// A stable pool seeded by `provider` with `lst_amount` LST (from `provider_lst`) and
    /// `lamports` SOL; the provider receives the initial pool tokens.
    pub async fn create(
        chain: &mut Chain,
        provider: &Keypair,
        provider_lst: &Pubkey,
        lst_mint: Pubkey,
        lst_amount: u64,
        lamports: u64,
        amp: u64,
    ) -> (Self, Pubkey) {
        let payer = chain.payer();
        let rent = chain.ctx.banks_client.get_rent().await.unwrap();
        let swap = Keypair::new();
        let authority = Pubkey::find_program_address(&[swap.pubkey().as_ref()], &spl_token_swap::id()).0;
        let token_lst = chain.token_account(&lst_mint, &authority).await;
        let token_wsol = chain.wsol_account(&authority, lamports).await;
        chain
            .send_ok(
                &[spl_token::instruction::transfer(
                    &spl_token::id(),
                    provider_lst,
                    &token_lst,
                    &provider.pubkey(),
                    &[],
                    lst_amount,
                )
                .unwrap()],
                &[provider],
            )
            .await;

        let pool_mint = chain.mint(&authority, 9).await;
        let fee_account = chain.token_account(&pool_mint, &payer.pubkey()).await;
        let provider_pool_tokens = chain.token_account(&pool_mint, &provider.pubkey()).await;

        let swap_len = spl_token_swap::state::SwapVersion::LATEST_LEN;
        let curve = SwapCurve { curve_type: CurveType::Stable, calculator: Arc::new(StableCurve { amp }) };
        chain
            .send_ok(
                &[
                    system_instruction::create_account(
                        &payer.pubkey(),
                        &swap.pubkey(),
                        rent.minimum_balance(swap_len),
                        swap_len as u64,
                        &spl_token_swap::id(),
                    ),
                    swap_ix::initialize(
                        &spl_token_swap::id(),
                        &spl_token::id(),
                        &swap.pubkey(),
                        &authority,
                        &token_lst,
                        &token_wsol,
                        &pool_mint,
                        &fee_account,
                        &provider_pool_tokens,
                        stable_fees(),
                        curve,
                    )
                    .unwrap(),
                ],
                &[&swap],
            )
            .await;
        let fixture = Self { swap: swap.pubkey(), authority, token_lst, token_wsol, pool_mint, fee_account, lst_mint };
        (fixture, provider_pool_tokens)
    }

    /// (LST, SOL) the pool holds.
    pub async fn balances(&self, chain: &mut Chain) -> (u64, u64) {
        (chain.token_balance(&self.token_lst).await, chain.token_balance(&self.token_wsol).await)
    }

    /// A trader sells `amount_in` from `source` (LST or wSOL account) for the other token into
    /// `destination`, accepting at least `minimum_out`.
    #[allow(clippy::too_many_arguments)]
    pub fn swap_ix(
        &self,
        trader: &Pubkey,
        source: &Pubkey,
        destination: &Pubkey,
        sell_lst: bool,
        amount_in: u64,
        minimum_out: u64,
    ) -> solana_program::instruction::Instruction {
        let (swap_source, swap_destination) =
            if sell_lst { (self.token_lst, self.token_wsol) } else { (self.token_wsol, self.token_lst) };
        swap_ix::swap(
            &spl_token_swap::id(),
            &spl_token::id(),
            &self.swap,
            &self.authority,
            trader,
            source,
            &swap_source,
            &swap_destination,
            destination,
            &self.pool_mint,
            &self.fee_account,
            None,
            swap_ix::Swap { amount_in, minimum_amount_out: minimum_out },
        )
        .unwrap()
    }

    pub async fn trade(
        &self,
        chain: &mut Chain,
        trader: &Keypair,
        source: &Pubkey,
        destination: &Pubkey,
        sell_lst: bool,
        amount_in: u64,
    ) -> TxResult {
        let ix = self.swap_ix(&trader.pubkey(), source, destination, sell_lst, amount_in, 0);
        chain.send(&[ix], &[trader]).await
    }
}
