//! Sending over JSON-RPC against a local stub cluster: a transaction is signed once, sent
//! without preflight and broadcast again until it lands; one that expired unseen is replaced by a
//! new one only after the cluster said its blockhash can no longer land it; one that failed on
//! chain is never sent again.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ballast_keeper::chain::{send_landed, RpcChain, SendError};
use base64::Engine;
use solana_sdk::hash::Hash;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the stub cluster does with a transaction.
#[derive(Clone, Copy)]
enum Fate {
    /// Confirmed once it has been broadcast this many times.
    LandsAfter(usize),
    /// Never seen; its blockhash expires after this many validity checks.
    Expires(usize),
    /// Executed and failed.
    Fails,
}

/// Everything the stub saw, in order.
#[derive(Default)]
struct Log {
    /// (signature, the transaction's bytes, whether preflight was skipped) per `sendTransaction`.
    sent: Vec<(String, Vec<u8>, bool)>,
    /// (blockhash asked about, the answer) per `isBlockhashValid`.
    validity: Vec<(String, bool)>,
    /// Blockhashes handed out by `getLatestBlockhash`.
    blockhashes: Vec<String>,
}

/// A stub cluster: each new blockhash's transactions meet the next of `fates`.
async fn cluster(fates: Vec<Fate>) -> (String, Arc<Mutex<Log>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Log::default()));
    let seen = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let log = seen.clone();
            let fates = fates.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = vec![0u8; 64 * 1024];
                // Read the headers and the body its Content-Length announces.
                loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                            })
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let text = String::from_utf8_lossy(&buf).to_string();
                let body = &text[text.find("\r\n\r\n").map(|i| i + 4).unwrap_or(0)..];
                let request: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
                let result = answer(&request, &fates, &mut log.lock().unwrap());
                let reply = serde_json::json!({"jsonrpc": "2.0", "result": result, "id": request["id"]}).to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, log)
}

fn answer(request: &serde_json::Value, fates: &[Fate], log: &mut Log) -> serde_json::Value {
    let context = serde_json::json!({"slot": 7});
    let fate_of = |log: &Log, blockhash: &str| {
        let i = log.blockhashes.iter().position(|b| b == blockhash).unwrap_or(usize::MAX);
        fates.get(i).copied().unwrap_or(Fate::LandsAfter(1))
    };
    match request["method"].as_str().unwrap_or("") {
        "getVersion" => serde_json::json!({"solana-core": "1.18.26", "feature-set": 0}),
        "getLatestBlockhash" => {
            let blockhash = Hash::new_unique().to_string();
            log.blockhashes.push(blockhash.clone());
            serde_json::json!({"context": context, "value": {"blockhash": blockhash, "lastValidBlockHeight": 150}})
        }
        "sendTransaction" => {
            let bytes =
                base64::engine::general_purpose::STANDARD.decode(request["params"][0].as_str().unwrap()).unwrap();
            let tx: Transaction = bincode::deserialize(&bytes).unwrap();
            let skipped = request["params"][1]["skipPreflight"].as_bool().unwrap_or(false);
            let signature = tx.signatures[0].to_string();
            log.sent.push((signature.clone(), bytes, skipped));
            serde_json::json!(signature)
        }
        "getSignatureStatuses" => {
            let signature = request["params"][0][0].as_str().unwrap().to_string();
            let sent: Vec<_> = log.sent.iter().filter(|(s, _, _)| *s == signature).collect();
            let tx: Transaction = bincode::deserialize(&sent[0].1).unwrap();
            let status = match fate_of(log, &tx.message.recent_blockhash.to_string()) {
                Fate::LandsAfter(n) if sent.len() >= n => serde_json::json!({
                    "slot": 7, "confirmations": 0, "err": null, "status": {"Ok": null}, "confirmationStatus": "confirmed"
                }),
                Fate::Fails => serde_json::json!({
                    "slot": 7, "confirmations": 0, "err": {"InstructionError": [0, {"Custom": 6072}]},
                    "status": {"Err": {"InstructionError": [0, {"Custom": 6072}]}}, "confirmationStatus": "confirmed"
                }),
                _ => serde_json::Value::Null,
            };
            serde_json::json!({"context": context, "value": [status]})
        }
        "isBlockhashValid" => {
            let blockhash = request["params"][0].as_str().unwrap().to_string();
            let asked = log.validity.iter().filter(|(b, _)| *b == blockhash).count() + 1;
            let valid = !matches!(fate_of(log, &blockhash), Fate::Expires(n) if asked >= n);
            log.validity.push((blockhash, valid));
            serde_json::json!({"context": context, "value": valid})
        }
        other => panic!("the stub does not serve {other}"),
    }
}

fn chain(url: &str) -> RpcChain {
    let mut chain = RpcChain::new(url, Duration::from_secs(2));
    chain.rebroadcast = Duration::from_millis(10);
    chain.backoff = Duration::from_millis(10);
    chain
}

fn memo(payer: &Keypair) -> solana_sdk::instruction::Instruction {
    solana_sdk::system_instruction::transfer(&payer.pubkey(), &payer.pubkey(), 1)
}

#[tokio::test]
async fn the_same_signed_transaction_is_broadcast_until_it_lands() {
    let (url, log) = cluster(vec![Fate::LandsAfter(3)]).await;
    let payer = Keypair::new();
    let signature =
        send_landed(&chain(&url), &[memo(&payer)], &payer, &[], 4, Duration::from_millis(10)).await.unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.sent.len(), 3, "three broadcasts");
    assert!(log
        .sent
        .iter()
        .all(|(s, bytes, skipped)| *s == signature.to_string() && *bytes == log.sent[0].1 && *skipped));
    assert_eq!(log.blockhashes.len(), 1, "signed once");
}

#[tokio::test]
async fn a_new_transaction_is_built_only_after_the_last_one_expired() {
    // The first transaction is never seen and its blockhash expires at the third check; the
    // second lands at once.
    let (url, log) = cluster(vec![Fate::Expires(3), Fate::LandsAfter(1)]).await;
    let payer = Keypair::new();
    let signature =
        send_landed(&chain(&url), &[memo(&payer)], &payer, &[], 4, Duration::from_millis(10)).await.unwrap();
    let log = log.lock().unwrap();
    let first = log.sent[0].0.clone();
    assert_ne!(first, signature.to_string());
    let signatures: std::collections::BTreeSet<_> = log.sent.iter().map(|(s, _, _)| s.clone()).collect();
    assert_eq!(signatures.len(), 2, "one replacement");
    // Every broadcast of the first came before the cluster said it expired, and the second was
    // built after.
    let expired_at = log.validity.iter().position(|(_, valid)| !valid).unwrap();
    assert_eq!(log.validity.len(), expired_at + 1, "no check after it expired");
    let first_broadcasts = log.sent.iter().filter(|(s, _, _)| *s == first).count();
    assert_eq!(first_broadcasts, 3);
    assert_eq!(log.sent.last().unwrap().0, signature.to_string());
    assert_eq!(log.blockhashes.len(), 2);
}

#[tokio::test]
async fn a_transaction_that_failed_on_chain_is_not_sent_again() {
    let (url, log) = cluster(vec![Fate::Fails, Fate::LandsAfter(1)]).await;
    let payer = Keypair::new();
    let error =
        send_landed(&chain(&url), &[memo(&payer)], &payer, &[], 4, Duration::from_millis(10)).await.unwrap_err();
    assert!(matches!(error.downcast_ref::<SendError>(), Some(SendError::Failed { .. })), "{error:#}");
    let log = log.lock().unwrap();
    assert_eq!(log.blockhashes.len(), 1, "no second transaction");
    assert_eq!(log.sent.len(), 1);
}
