//! The app's API on the embedded chain: Solana Actions that return transactions a wallet signs
//! and the chain accepts, bad input refused with a message and nothing sent, and the DAO's
//! transactions signed by the admin and applied after the timelock.
mod common;

use ballast_keeper::chain::Chain;
use base64::Engine;
use serde_json::json;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;

const SOL: u64 = 1_000_000_000;

fn decode_transaction(body: &serde_json::Value) -> Transaction {
    let bytes = base64::engine::general_purpose::STANDARD.decode(body["transaction"].as_str().unwrap()).unwrap();
    bincode::deserialize(&bytes).expect("the Action's transaction deserializes")
}

async fn shares_of(run: &common::Running, owner: &Pubkey) -> u64 {
    let (status, body) = run.get(&format!("/api/vault/{}/position/{owner}", run.vault())).await;
    assert_eq!(status, 200, "{body}");
    body["shares"].as_u64().unwrap()
}

/// Signs an Action's transaction as the user's wallet would and sends it.
async fn sign_and_send(run: &common::Running, body: &serde_json::Value, user: &Keypair) {
    let mut tx = decode_transaction(body);
    // The user pays the fee and is the only signer.
    assert_eq!(tx.message.account_keys[0], user.pubkey());
    assert_eq!(tx.message.header.num_required_signatures, 1);
    assert!(tx.signatures.iter().all(|s| *s == Default::default()), "returned unsigned");
    let blockhash = tx.message.recent_blockhash;
    tx.try_sign(&[user], blockhash).unwrap();
    // Relayed as the page relays what a browser wallet signed.
    let signed = base64::engine::general_purpose::STANDARD.encode(bincode::serialize(&tx).unwrap());
    let (status, body) = run.post("/api/submit", json!({ "transaction": signed })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["signature"], tx.signatures[0].to_string());
}

#[tokio::test]
async fn actions_return_transactions_that_land_and_bad_input_sends_nothing() {
    let run = common::start().await;
    let vault = run.vault();

    // The embedded chain has no explorer: the page shows signatures without links.
    let (status, info) = run.get("/api/info").await;
    assert_eq!(status, 200);
    assert_eq!((info["cluster"].as_str(), info["explorer_tx"].is_null()), (Some("embedded"), true));

    // The program's IDL, as committed.
    let (status, idl) = run.get("/idl/ballast.json").await;
    assert_eq!((status, idl["address"].as_str()), (200, Some(ballast::ID.to_string().as_str())));
    assert!(idl["instructions"].as_array().unwrap().iter().any(|ix| ix["name"] == "deposit"));

    // Discovery and metadata.
    let (status, rules) = run.get("/actions.json").await;
    assert_eq!(status, 200);
    assert_eq!(rules["rules"][1]["pathPattern"], "/api/actions/**");
    let (status, meta) = run.get(&format!("/api/actions/{vault}/deposit")).await;
    assert_eq!(status, 200);
    assert_eq!(meta["type"], "action");
    assert!(meta["icon"].as_str().unwrap().starts_with("http://"));
    let actions = meta["links"]["actions"].as_array().unwrap();
    assert!(actions.iter().any(|a| a["href"].as_str().unwrap().contains("amount={amount}")));

    // A user with 10 SOL and no share account deposits 3 SOL through the Action.
    let user = Keypair::new();
    run.embedded().world.lock().await.env.chain.airdrop(&user.pubkey(), 10 * SOL).await;
    let (status, body) = run
        .post(&format!("/api/actions/{vault}/deposit?amount=3"), json!({ "account": user.pubkey().to_string() }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "transaction");
    let before = run.app.chain.account(&user.pubkey()).await.unwrap().unwrap().lamports;
    sign_and_send(&run, &body, &user).await;
    let shares = shares_of(&run, &user.pubkey()).await;
    assert!(shares > 2 * SOL && shares < 3 * SOL + SOL / 100, "shares {shares}");
    let after = run.app.chain.account(&user.pubkey()).await.unwrap().unwrap().lamports;
    assert!(before - after >= 3 * SOL && before - after < 3 * SOL + SOL / 100);

    // Then withdraws 1 SOL through the other Action, and gets at least 1 SOL less fees/costs.
    let (status, body) = run
        .post(&format!("/api/actions/{vault}/withdraw?amount=1"), json!({ "account": user.pubkey().to_string() }))
        .await;
    assert_eq!(status, 200, "{body}");
    sign_and_send(&run, &body, &user).await;
    let left = shares_of(&run, &user.pubkey()).await;
    assert!(left < shares && left > shares - SOL - SOL / 100, "{shares} -> {left}");
    let paid = run.app.chain.account(&user.pubkey()).await.unwrap().unwrap().lamports - after;
    assert!(paid > SOL * 99 / 100 && paid <= SOL, "paid {paid}");

    // Bad input: a named message, status 4xx, and nothing moves (the demo wallet path sends
    // when input is good, so it is checked too).
    let demo = run.embedded().demo.pubkey();
    let user_key = user.pubkey().to_string();
    let watch = [
        user.pubkey(),
        demo,
        ballast_client::share_account(&run.embedded().world.lock().await.env.vault().await, &demo),
    ];
    let before = run.embedded().world.lock().await.env.snapshot(&watch).await;
    // For the relay: a signed transfer to someone else (not the vault's), and a deposit the
    // user did not sign.
    let blockhash = run.app.chain.latest_blockhash().await.unwrap();
    let transfer = solana_sdk::system_instruction::transfer(&user.pubkey(), &Pubkey::new_unique(), SOL);
    let foreign = Transaction::new_signed_with_payer(&[transfer], Some(&user.pubkey()), &[&user], blockhash);
    let base64 = |tx: &Transaction| base64::engine::general_purpose::STANDARD.encode(bincode::serialize(tx).unwrap());
    let foreign = base64(&foreign);
    let (_, offered) = run
        .post(&format!("/api/actions/{vault}/deposit?amount=1"), json!({ "account": user.pubkey().to_string() }))
        .await;
    let unsigned_deposit = offered["transaction"].as_str().unwrap().to_string();
    let cases: Vec<(String, serde_json::Value, u16, &str)> = vec![
        (format!("/api/actions/{vault}/deposit?amount=-1"), json!({ "account": user_key }), 400, "must be positive"),
        (format!("/api/actions/{vault}/deposit?amount=0"), json!({ "account": user_key }), 400, "greater than zero"),
        (format!("/api/actions/{vault}/deposit?amount=ten"), json!({ "account": user_key }), 400, "not a number"),
        (format!("/api/actions/{vault}/deposit"), json!({ "account": user_key }), 400, "enter an amount"),
        (format!("/api/actions/{vault}/deposit?amount=50"), json!({ "account": user_key }), 400, "above your balance"),
        (
            format!("/api/actions/{vault}/withdraw?amount=500"),
            json!({ "account": user_key }),
            400,
            "above your position",
        ),
        (
            format!("/api/actions/{vault}/deposit?amount=1"),
            json!({ "account": "not-a-key" }),
            400,
            "not a Solana account",
        ),
        (format!("/api/actions/{vault}/deposit?amount=1"), json!({ "wallet": user_key }), 400, "expected {\"account\""),
        (
            format!("/api/actions/{}/deposit?amount=1", Pubkey::new_unique()),
            json!({ "account": user_key }),
            404,
            "unknown vault",
        ),
        ("/api/actions/xyz/deposit?amount=1".into(), json!({ "account": user_key }), 404, "unknown vault"),
        (format!("/api/actions/{vault}/borrow?amount=1"), json!({ "account": user_key }), 404, "no action"),
        ("/api/demo/deposit".into(), json!({ "amount": "-2" }), 400, "must be positive"),
        ("/api/demo/deposit".into(), json!({ "amount": "0" }), 400, "greater than zero"),
        ("/api/demo/deposit".into(), json!({ "amount": "1,5" }), 400, "not a number"),
        ("/api/demo/deposit".into(), json!({ "amount": "100000" }), 400, "above your balance"),
        ("/api/demo/withdraw".into(), json!({ "amount": "1" }), 400, "no shares"),
        ("/api/demo/deposit".into(), json!({ "amount": 5 }), 400, "expected {\"amount\""),
        ("/api/market".into(), json!({ "move": "lst", "pct": -95 }), 400, "between -90% and +100%"),
        ("/api/market".into(), json!({ "move": "moon" }), 400, "market move not understood"),
        ("/api/submit".into(), json!({ "transaction": "%%%" }), 400, "not base64"),
        ("/api/submit".into(), json!({ "transaction": foreign }), 400, "relays only the vault's transactions"),
        ("/api/submit".into(), json!({ "transaction": unsigned_deposit }), 400, "not signed by its fee payer"),
    ];
    for (path, body, expected_status, expected_message) in cases {
        let (status, response) = run.post(&path, body.clone()).await;
        assert_eq!(status, expected_status, "{path} {body}: {response}");
        let message = response["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected_message), "{path} {body}: {message}");
        assert!(response.get("transaction").is_none());
    }
    let (status, response) = run.get(&format!("/api/vault/{}", Pubkey::new_unique())).await;
    assert_eq!((status, response["message"].as_str().unwrap().contains("unknown vault")), (404, true));
    let after = run.embedded().world.lock().await.env.snapshot(&watch).await;
    before.assert_same(&after);

    // The demo wallet's deposit goes through the same builder and lands.
    let (status, body) = run.post("/api/demo/deposit", json!({ "amount": "1.5" })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("Deposited 1.5 SOL for "), "{body}");
    assert!(shares_of(&run, &demo).await > SOL);
}

#[tokio::test]
async fn dao_transactions_are_signed_by_the_admin_and_apply_after_the_timelock() {
    let run = common::start().await;
    let vault = run.vault();
    let (status, overview) = run.get(&format!("/api/dao/{vault}")).await;
    assert_eq!(status, 200);
    assert_eq!(overview["admin_is_governance"], false);
    assert!(overview["bounds"].as_array().unwrap().len() >= 8);
    let mut params = overview["risk_params"].clone();

    // Outside the vault's bounds: refused with the vault's own error name, nothing produced.
    params["withdrawal_fee_bps"] = json!(101);
    let (status, body) = run.post(&format!("/api/dao/{vault}/propose"), params.clone()).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("FeeAboveCap"), "{body}");
    params["withdrawal_fee_bps"] = json!(0);
    params["unwind_trigger_ltv_bps"] = json!(9_200); // above the market's 90% threshold
    params["max_leverage_bps"] = json!(30_000);
    let (status, body) = run.post(&format!("/api/dao/{vault}/propose"), params.clone()).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("TriggerAboveLiquidationThreshold"), "{body}");
    let (status, _) = run.post(&format!("/api/dao/{vault}/execute"), json!({})).await;
    assert_eq!(status, 400, "nothing pending");

    // Within bounds: the admin signs the base64 message and sends it.
    params["unwind_trigger_ltv_bps"] = json!(7_500);
    params["max_slippage_bps"] = json!(60);
    let (status, body) = run.post(&format!("/api/dao/{vault}/propose"), params.clone()).await;
    assert_eq!(status, 200, "{body}");
    let admin = run.embedded().world.lock().await.env.v.admin.insecure_clone();
    let send_as_admin = |body: serde_json::Value| {
        let admin = admin.insecure_clone();
        let chain = run.app.chain.clone();
        async move {
            let b64 = body["transactions"][0]["message_base64"].as_str().unwrap().to_string();
            let message: Message =
                bincode::deserialize(&base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap();
            assert_eq!(message.account_keys[0], admin.pubkey(), "the admin pays and signs");
            let mut tx = Transaction::new_unsigned(message);
            let blockhash = tx.message.recent_blockhash;
            tx.try_sign(&[&admin], blockhash).unwrap();
            chain.send_transaction(tx.into()).await
        }
    };
    send_as_admin(body.clone()).await.expect("proposal lands");
    assert_eq!(body["transactions"][1]["label"], "execute_risk_params");
    let (_, summary) = run.get(&format!("/api/vault/{vault}")).await;
    let pending = &summary["pending_risk_params"];
    assert_eq!(pending["params"]["max_slippage_bps"], 60);
    assert!(pending["eta_in_secs"].as_i64().unwrap() > 172_000);
    assert_eq!(summary["risk_params"]["max_slippage_bps"], 50);

    // Executing before the ETA: the vault refuses, nothing changes.
    let (status, body) = run.post(&format!("/api/dao/{vault}/execute"), json!({})).await;
    assert_eq!(status, 200);
    assert!(body["note"].as_str().unwrap().contains("not before the ETA"));
    let error = send_as_admin(body.clone()).await.unwrap_err();
    assert!(format!("{error:#}").contains("TimelockNotExpired"), "{error:#}");
    let (_, summary) = run.get(&format!("/api/vault/{vault}")).await;
    assert_eq!(summary["risk_params"]["max_slippage_bps"], 50);

    // After the timelock: applied (the message fetched again, as a signer would).
    run.embedded().world.lock().await.env.chain.advance_secs(172_801).await;
    let (_, body) = run.post(&format!("/api/dao/{vault}/execute"), json!({})).await;
    assert!(body["note"].as_str().unwrap().contains("executable now"), "{body}");
    send_as_admin(body).await.expect("execution lands after the timelock");
    let (_, summary) = run.get(&format!("/api/vault/{vault}")).await;
    assert_eq!(summary["risk_params"]["max_slippage_bps"], 60);
    assert!(summary["pending_risk_params"].is_null());

    // Cancel: a new proposal dropped.
    params["max_slippage_bps"] = json!(70);
    let (_, body) = run.post(&format!("/api/dao/{vault}/propose"), params).await;
    send_as_admin(body).await.unwrap();
    let (status, body) = run.post(&format!("/api/dao/{vault}/cancel"), json!({})).await;
    assert_eq!(status, 200);
    send_as_admin(body).await.unwrap();
    let (_, summary) = run.get(&format!("/api/vault/{vault}")).await;
    assert!(summary["pending_risk_params"].is_null());
    assert_eq!(summary["risk_params"]["max_slippage_bps"], 60);

    // The events made the history.
    let (_, history) = run.get(&format!("/api/vault/{vault}/history")).await;
    let kinds: Vec<&str> = history["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for kind in ["params proposed", "params executed", "proposal cancelled", "harvest"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
}

#[tokio::test]
async fn a_scenario_replays_in_the_background_with_the_keeper_passing() {
    let run = common::start().await;
    let vault = run.vault();
    let (status, body) = run.post("/api/market", json!({ "move": "scenario", "name": "no-such-history" })).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("msol-flash-depeg-2023-12"), "{body}");

    let passes_before = run.embedded().status.lock().unwrap().passes;
    let (status, body) =
        run.post("/api/market", json!({ "move": "scenario", "name": "msol-flash-depeg-2023-12" })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = run.post("/api/market", json!({ "move": "scenario", "name": "negative-carry" })).await;
    assert_eq!(status, 422, "one replay at a time: {body}");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let replay = loop {
        let (_, summary) = run.get(&format!("/api/vault/{vault}")).await;
        if summary["replay"]["running"] == false {
            break summary["replay"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "replay still running: {}", summary["replay"]);
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert!(replay["error"].is_null(), "{replay}");
    let steps = replay["steps"].as_u64().unwrap();
    assert!(steps > 100);
    assert_eq!(replay["step"].as_u64().unwrap(), steps);
    // The path's end: SOL and the LST back near where they started.
    assert!((replay["lst_sol"].as_f64().unwrap() - 1.0).abs() < 0.05, "{replay}");
    assert!(run.embedded().status.lock().unwrap().passes >= passes_before + steps);
    let (_, history) = run.get(&format!("/api/vault/{vault}/history")).await;
    let replayed = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "market" && e["detail"].as_str().unwrap().starts_with("replayed mSOL flash depeg"));
    assert!(replayed);
}
