//! The JSON-RPC back end against a local HTTP server that fails on purpose: errors and
//! timeouts are retried with backoff, and a server that never recovers is reported, not hung on.
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ballast_keeper::chain::{Chain, RpcChain};
use base64::Engine;
use solana_sdk::clock::Clock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Copy)]
enum Fault {
    /// HTTP 503.
    Unavailable,
    /// Accept, never answer.
    Silent,
    /// HTTP 429, as a rate-limited public endpoint answers.
    TooMany,
    /// A JSON-RPC error the request itself causes (invalid params).
    Refuse,
}

/// Serves `getVersion` (the client asks once) and `getAccountInfo` for the clock sysvar (slot
/// 42), after failing the first `failures` requests with `fault`. Returns its URL and the request
/// counter.
async fn server(failures: u32, fault: Fault) -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU32::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let read = socket.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..read]).to_string();
                // A node that refuses or rate-limits still answers the client's version query.
                let answers_version = matches!(fault, Fault::TooMany | Fault::Refuse) && request.contains("getVersion");
                if n < failures && !answers_version {
                    match fault {
                        Fault::Unavailable => {
                            let _ = socket
                                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                                .await;
                        }
                        Fault::Silent => tokio::time::sleep(Duration::from_secs(30)).await,
                        Fault::TooMany => {
                            let _ = socket
                                .write_all(
                                    b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                                )
                                .await;
                        }
                        Fault::Refuse => {
                            let body = r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"},"id":1}"#;
                            let response = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = socket.write_all(response.as_bytes()).await;
                        }
                    }
                    return;
                }
                if request.contains("getVersion") {
                    let body = r#"{"jsonrpc":"2.0","result":{"solana-core":"1.18.26","feature-set":0},"id":1}"#;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    return;
                }
                let clock = Clock { slot: 42, epoch: 3, unix_timestamp: 1_700_000_000, ..Clock::default() };
                let data = base64::engine::general_purpose::STANDARD.encode(bincode::serialize(&clock).unwrap());
                let account = format!(
                    r#"{{"data":["{data}","base64"],"executable":false,"lamports":1169280,"owner":"Sysvar1111111111111111111111111111111111111","rentEpoch":0,"space":40}}"#
                );
                // One account, or a list of them for getMultipleAccounts.
                let value = if request.contains("getMultipleAccounts") { format!("[{account}]") } else { account };
                let body =
                    format!(r#"{{"jsonrpc":"2.0","result":{{"context":{{"slot":42}},"value":{value}}},"id":1}}"#);
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, count)
}

fn chain(url: &str) -> RpcChain {
    let mut chain = RpcChain::new(url, Duration::from_millis(300));
    chain.backoff = Duration::from_millis(10);
    chain
}

#[tokio::test]
async fn errors_are_retried_until_the_server_answers() {
    let (url, count) = server(2, Fault::Unavailable).await;
    let clock = chain(&url).clock().await.unwrap();
    assert_eq!(clock.slot, 42);
    // Two failed attempts, then the version query and the read.
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn timeouts_are_retried() {
    let (url, count) = server(1, Fault::Silent).await;
    assert_eq!(chain(&url).clock().await.unwrap().slot, 42);
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_server_that_never_recovers_is_an_error_after_the_last_attempt() {
    let (url, count) = server(u32::MAX, Fault::Unavailable).await;
    let error = chain(&url).clock().await.unwrap_err().to_string();
    assert!(error.contains("after 4 attempts"), "{error}");
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn health_turns_red_when_the_rpc_is_unreachable() {
    use ballast_keeper::keeper::{Keeper, KeeperConfig};
    use ballast_keeper::service::{self, HealthRules, Metrics};

    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let keeper = Keeper::new(chain(&url), solana_sdk::signature::Keypair::new(), KeeperConfig::default());
    let metrics = Metrics::new().unwrap();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let vaults = [solana_sdk::pubkey::Pubkey::new_unique()];
    let rules = HealthRules { stale_after: Duration::from_secs(60), min_balance_lamports: 0 };
    let passes = service::run(&keeper, &vaults, Duration::from_millis(10), &metrics, stop);
    let driver = async {
        while metrics.probe.lock().await.is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let problems = service::problems(&metrics, rules).await;
        stop_tx.send(true).unwrap();
        problems
    };
    let ((), problems) = tokio::join!(passes, driver);
    assert!(problems.iter().any(|p| p.starts_with("starting: no pass yet")), "{problems:?}");
    assert!(problems.iter().any(|p| p.starts_with("rpc unreachable:")), "{problems:?}");
    assert!(metrics.render().contains("ballast_keeper_errors_total"));
}

#[tokio::test]
async fn a_request_the_node_refuses_is_not_asked_again() {
    let (url, count) = server(u32::MAX, Fault::Refuse).await;
    let error = chain(&url).clock().await.unwrap_err().to_string();
    assert!(error.contains("refused"), "{error}");
    // The version query, then one read: refused, and not sent again.
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_429_is_left_to_the_clients_own_retries() {
    // The client's HTTP sender waits and retries a 429 itself; the chain does not stack its own
    // attempts on top (four of them would make it 24 requests).
    let (url, count) = server(u32::MAX, Fault::TooMany).await;
    let error = chain(&url).clock().await.unwrap_err().to_string();
    assert!(error.contains("refused"), "{error}");
    let requests = count.load(Ordering::SeqCst);
    assert!((2..=8).contains(&requests), "{requests} requests");
}

#[tokio::test]
async fn requests_keep_to_the_rate_limit() {
    let (url, count) = server(0, Fault::Unavailable).await;
    let mut chain = chain(&url);
    chain.pace = ballast_keeper::chain::Pace::per_second(20);
    let started = std::time::Instant::now();
    for _ in 0..10 {
        chain.clock().await.unwrap();
    }
    // Ten reads at twenty a second: at least nine intervals of 50 ms between them.
    assert!(started.elapsed() >= Duration::from_millis(450), "{:?}", started.elapsed());
    assert_eq!(count.load(Ordering::SeqCst), 11, "the version query and ten reads");
}
