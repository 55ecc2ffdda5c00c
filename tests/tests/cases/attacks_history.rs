//! Item 35: events logged by another program (a forged history for the app's chart) are ignored.
//! Mallory deploys a program that logs whatever it is given exactly as Ballast logs its events,
//! and sends it a `Deposited` event that doubles the vault's share price, in transactions that
//! name the vault (so a history that reads the vault's transactions reads hers).
use anchor_lang::{AnchorSerialize, Discriminator};
use ballast::events::{Deposited, VaultSnapshot};
use ballast_localnet::chain::events;
use ballast_localnet::vault::{default_params, SOL};
use ballast_localnet::{Chain, VaultClient};
use solana_program::account_info::AccountInfo;
use solana_program::entrypoint::ProgramResult;
use solana_program::instruction::{AccountMeta, Instruction};
use solana_program::pubkey::Pubkey;
use solana_program_test::processor;
use solana_sdk::signature::Signer;

/// Mallory's program: logs its instruction data as one event, between lines that mimic the
/// runtime's marks of a call into Ballast.
fn log_as_event(_program_id: &Pubkey, _accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    solana_program::msg!("Program {} invoke [2]", ballast::ID);
    solana_program::log::sol_log_data(&[data]);
    solana_program::msg!("Program {} success", ballast::ID);
    Ok(())
}

#[tokio::test]
async fn events_logged_by_another_program_are_ignored() {
    let forger = Pubkey::new_unique();
    let chain = Chain::start_with(|pt| pt.add_program("forger", forger, processor!(log_as_event))).await;
    let mut env = VaultClient::start_on(chain, default_params()).await;

    // A real deposit: one event, as Ballast logs it.
    let alice = env.chain.funded_keypair(10 * SOL).await;
    let deposit = ballast_client::deposit(&env.vault_keys(), alice.pubkey(), 2 * SOL, 0);
    let (result, logs) = env.chain.send_logged(&deposit, &[&alice]).await;
    assert!(result.is_ok(), "{result:?}");
    let real = events::<Deposited>(&logs);
    assert_eq!(real.len(), 1);
    let real = &real[0];
    assert_eq!((real.depositor, real.lamports), (alice.pubkey(), 2 * SOL));

    // Mallory's event: 1,000 SOL deposited for one share, the share price doubled.
    let mallory = env.chain.funded_keypair(SOL).await;
    let forged = Deposited {
        vault: env.v.vault,
        depositor: mallory.pubkey(),
        lamports: 1_000 * SOL,
        shares: 1,
        snapshot: VaultSnapshot { share_price_lamports: real.snapshot.share_price_lamports * 2, ..real.snapshot },
    };
    let mut data = Deposited::DISCRIMINATOR.to_vec();
    data.extend(forged.try_to_vec().unwrap());
    let forge = Instruction {
        program_id: forger,
        accounts: vec![
            AccountMeta::new_readonly(mallory.pubkey(), true),
            AccountMeta::new_readonly(env.v.vault, false),
        ],
        data: data.clone(),
    };
    let line = {
        use base64::Engine;
        format!("Program log: data: {}", base64::engine::general_purpose::STANDARD.encode(&data))
    };

    // Alone: the forged line is in the log, in the very form Ballast's events take here, after a
    // line that reads like the runtime's mark of a call into Ballast, and is not Ballast's: only
    // the runtime writes `Program <id> invoke`, a program's own lines read `Program log: ...`.
    let (result, logs) = env.chain.send_logged(std::slice::from_ref(&forge), &[&mallory]).await;
    assert!(result.is_ok(), "{result:?}");
    assert!(logs.contains(&line), "{logs:#?}");
    assert!(logs.contains(&format!("Program log: Program {} invoke [2]", ballast::ID)), "{logs:#?}");
    assert!(events::<Deposited>(&logs).is_empty(), "{logs:#?}");

    // Around a real deposit by Mallory, before and after it: only Ballast's own event counts, with
    // what was really deposited.
    let mut ixs = vec![forge.clone()];
    ixs.extend(ballast_client::deposit(&env.vault_keys(), mallory.pubkey(), SOL / 10, 0));
    ixs.push(forge);
    let (result, logs) = env.chain.send_logged(&ixs, &[&mallory]).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(logs.iter().filter(|l| **l == line).count(), 2);
    let seen = events::<Deposited>(&logs);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].depositor, seen[0].lamports), (mallory.pubkey(), SOL / 10));
    assert!(seen[0].snapshot.share_price_lamports <= real.snapshot.share_price_lamports + 1);
}
