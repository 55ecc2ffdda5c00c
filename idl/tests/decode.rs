//! The committed IDL decodes a real transaction: a deposit on the embedded chain, its
//! instruction's data and the event it logged, read with `idl/ballast.json` alone and compared
//! with what the program's own types say.
use ballast::events::Deposited;
use ballast_idl::decode::Decoder;
use ballast_localnet::vault::{default_params, VaultClient};
use solana_sdk::signature::Signer;

const SOL: u64 = 1_000_000_000;

#[tokio::test]
async fn the_committed_idl_decodes_a_deposit_and_its_event() {
    let idl = ballast_idl::committed().unwrap();
    assert_eq!(idl.address, ballast::ID.to_string());
    let decoder = Decoder::new(&idl);

    let mut env = VaultClient::start(default_params()).await;
    let (user, shares) = env.depositor(5 * SOL).await;
    let ix = env.deposit_ix(&user.pubkey(), &shares, 3 * SOL, 2 * SOL);
    let (result, logs) = env.chain.send_logged(std::slice::from_ref(&ix), &[&user]).await;
    result.unwrap();

    let decoded = decoder.instruction(&ix.data).unwrap();
    assert_eq!(decoded.name, "deposit");
    assert_eq!(decoded.fields, serde_json::json!({ "lamports": "3000000000", "min_shares_out": "2000000000" }));

    // The event as the program's own type reads it, and as the IDL does.
    let event: Deposited = ballast_localnet::chain::events::<Deposited>(&logs).pop().expect("a Deposited event");
    let line = logs.iter().find(|l| l.starts_with("Program log: data: ")).expect("an event line");
    let decoded = decoder.event_log(line).unwrap();
    assert_eq!(decoded.name, "Deposited");
    let f = &decoded.fields;
    assert_eq!(f["vault"], env.v.vault.to_string());
    assert_eq!(f["depositor"], user.pubkey().to_string());
    assert_eq!(f["lamports"], "3000000000");
    assert_eq!(f["shares"], event.shares.to_string());
    assert_eq!(f["snapshot"]["total_shares"], event.snapshot.total_shares.to_string());
    assert_eq!(f["snapshot"]["share_price_lamports"], event.snapshot.share_price_lamports.to_string());

    // Bytes that are not Ballast's are refused, not misread.
    assert!(decoder.instruction(&[0; 16]).is_err());
    let mut short = ix.data.clone();
    short.pop();
    assert!(decoder.instruction(&short).is_err());
}
