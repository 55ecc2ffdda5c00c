//! The LST/SOL stable pool the vault will provide liquidity to and exit through: a real
//! spl-token-swap 3.0.0 pool, and a trader who can push its price either way.
use ballast_localnet::swap::SwapPoolFixture;
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::VaultClient;
use solana_sdk::signature::Signer;

#[tokio::test]
async fn a_trader_moves_the_stable_pool_and_pays_fees() {
    let mut env = VaultClient::start(default_params()).await;
    let provider = env.chain.funded_keypair(300 * SOL).await;
    let provider_lst = env.lst_for(&provider, 100 * SOL).await;
    let lst_mint = env.pool.pool_mint;
    let (pool, provider_lp) =
        SwapPoolFixture::create(&mut env.chain, &provider, &provider_lst, lst_mint, 100 * SOL, 100 * SOL, 100).await;
    assert_eq!(pool.balances(&mut env.chain).await, (100 * SOL, 100 * SOL));
    assert!(env.chain.token_balance(&provider_lp).await > 0);

    // A trader dumps 40 LST: a stable curve near balance pays close to 1:1, further out less.
    let trader = env.chain.funded_keypair(50 * SOL).await;
    let trader_lst = env.lst_for(&trader, 45 * SOL).await;
    let trader_wsol = env.chain.token_account(&spl_token::native_mint::id(), &trader.pubkey()).await;
    pool.trade(&mut env.chain, &trader, &trader_lst, &trader_wsol, true, SOL).await.unwrap();
    let first = env.chain.token_balance(&trader_wsol).await;
    assert!(first < SOL && first > SOL * 9_990 / 10_000, "1 LST near balance paid {first}");
    pool.trade(&mut env.chain, &trader, &trader_lst, &trader_wsol, true, 39 * SOL).await.unwrap();
    let got = env.chain.token_balance(&trader_wsol).await - first;
    assert!(got < 39 * SOL * 9_990 / 10_000, "the price moved against the seller: {got}");
    let (lst, sol) = pool.balances(&mut env.chain).await;
    assert_eq!(lst, 140 * SOL);
    assert_eq!(sol, 100 * SOL - first - got);

    // The pool owner's fee is paid in pool tokens.
    let fee_account = pool.fee_account;
    assert!(env.chain.token_balance(&fee_account).await > 0);

    // A minimum output the pool cannot meet is refused by the swap program (ExceededSlippage).
    let ix = pool.swap_ix(&trader.pubkey(), &trader_lst, &trader_wsol, true, SOL, SOL);
    let result = env.chain.send(&[ix], &[&trader]).await;
    assert_eq!(ballast_localnet::chain::custom_error(&result), Some(16), "{result:?}");
}
