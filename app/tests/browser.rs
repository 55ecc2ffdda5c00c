//! The dashboard in headless Chromium (Debian's chromium and chromium-driver, driven over
//! WebDriver): deposit through the page with the demo wallet, see the position and the share
//! price update, refuse bad input on the page, move the market, see the keeper's unwind appear;
//! and a browser wallet announced through the Wallet Standard connects, signs the deposit
//! Action's transaction and sees its position. Screenshots are saved under
//! `target/test-artifacts/`.
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run installs them)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,2200", format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session in headless Chromium")
}

async fn text(client: &Client, id: &str) -> String {
    client.find(Locator::Id(id)).await.unwrap().text().await.unwrap()
}

/// Waits until the element's text satisfies `ok`, returning it.
async fn wait_text(client: &Client, id: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let current = text(client, id).await;
        if ok(&current) {
            return current;
        }
        assert!(Instant::now() < deadline, "#{id} never matched; last text: {current:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn fill_and_submit(client: &Client, input: &str, button: &str, value: &str) {
    let field = client.find(Locator::Id(input)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
    client.find(Locator::Id(button)).await.unwrap().click().await.unwrap();
}

fn artifacts_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_move_the_market_and_watch_the_keeper_unwind_in_a_browser() {
    let run = common::start().await;
    let driver = Driver::start();
    let profile = std::env::temp_dir().join(format!("ballast-chromium-{}", std::process::id()));
    let client = browser(&driver, &profile).await;
    let long = Duration::from_secs(30);

    client.goto(&run.base).await.unwrap();
    let price_before = wait_text(&client, "share-price", long, |t| t.ends_with(" SOL")).await;
    let tvl_before = wait_text(&client, "tvl", long, |t| t.ends_with(" SOL")).await;
    assert_eq!(wait_text(&client, "wallet-shares", long, |t| t != "…").await, "0");
    assert_eq!(text(&client, "keeper-last-unwind").await, "none");

    // Bad input: the page says why, and nothing is sent.
    for (typed, says) in [
        ("-1", "must be positive"),
        ("0", "greater than zero"),
        ("lots", "not a number"),
        ("5000", "above your balance"),
    ] {
        fill_and_submit(&client, "deposit-amount", "deposit-button", typed).await;
        wait_text(&client, "message", long, |t| t.contains(says)).await;
        let class = client.find(Locator::Id("message")).await.unwrap().attr("class").await.unwrap();
        assert_eq!(class.as_deref(), Some("error"));
    }
    assert_eq!(text(&client, "wallet-shares").await, "0");
    assert_eq!(text(&client, "tvl").await, tvl_before);

    // A deposit through the page: the demo wallet signs the Action's transaction.
    fill_and_submit(&client, "deposit-amount", "deposit-button", "2").await;
    wait_text(&client, "message", long, |t| t.starts_with("Deposited 2 SOL for")).await;
    let shares = wait_text(&client, "wallet-shares", long, |t| t != "0").await;
    assert!(shares.parse::<f64>().unwrap() > 1.9, "shares {shares}");
    let tvl_after = wait_text(&client, "tvl", long, |t| t != tvl_before).await;
    let parse_sol = |t: &str| t.trim_end_matches(" SOL").replace(',', "").parse::<f64>().unwrap();
    assert!((parse_sol(&tvl_after) - parse_sol(&tvl_before) - 2.0).abs() < 0.01, "{tvl_before} -> {tvl_after}");
    // The share price shown is the vault's, from the API, after the deposit.
    let (_, summary) = run.get(&format!("/api/vault/{}", run.vault())).await;
    let api_price = format!("{:.9} SOL", summary["share_price_lamports"].as_u64().unwrap() as f64 / 1e9);
    wait_text(&client, "share-price", long, |t| t == api_price).await;
    assert!(!price_before.is_empty());

    // The market turns: the lending oracles mark the LST 25% down; the keeper unwinds.
    client.find(Locator::Id("market-lst-down")).await.unwrap().click().await.unwrap();
    let unwind = wait_text(&client, "keeper-last-unwind", long, |t| t.starts_with("unwound at LTV")).await;
    let ltv_before: f64 = unwind["unwound at LTV ".len()..].split('%').next().unwrap().parse().unwrap();
    assert!(ltv_before > 75.0, "{unwind}");
    let ltv_after =
        wait_text(&client, "ltv", long, |t| t.trim_end_matches('%').parse::<f64>().is_ok_and(|v| v <= 65.0)).await;
    client.wait().at_most(long).for_element(Locator::Css("#events tr.event-unwind")).await.unwrap();
    println!("deposit ok; unwind {unwind}; LTV now {ltv_after}");
    // The unwind's row names its transaction: on the embedded chain no explorer knows it, so the
    // signature shows without a link (on a public cluster it links to Solscan).
    let cell = client.find(Locator::Css("#events tr.event-unwind td:last-child .signature")).await.unwrap();
    let signature = cell.attr("title").await.unwrap().expect("the full signature");
    assert!(signature.parse::<solana_sdk::signature::Signature>().is_ok(), "{signature}");
    assert_eq!(cell.tag_name().await.unwrap(), "span");
    assert!(client.find(Locator::Css("#events a.signature")).await.is_err());

    // Every piece of text on the page reads at a contrast of at least 4.5:1 against what is
    // behind it (WCAG AA for body text).
    let low = client.execute(CONTRAST, vec![]).await.unwrap();
    assert_eq!(low, json!([]), "text below 4.5:1");

    let png = client.screenshot().await.unwrap();
    let path = artifacts_dir().join("dashboard.png");
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());

    // At a phone's width (390 px) the page fits: nothing scrolls sideways.
    client.set_window_size(390, 844).await.unwrap();
    // The widest address the header can show (addresses are random: their glyphs' widths vary).
    let widest = "document.getElementById('mode').textContent = 'embedded chain · demo wallet ' + 'W'.repeat(44);";
    client.execute(widest, vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let widths =
        client.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await.unwrap();
    let (scroll, inner) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    assert!(inner <= 400, "the window is {inner} px wide");
    let wide = client
        .execute(
            "return [document.body.scrollWidth, document.documentElement.clientWidth, ...[...document.querySelectorAll('body *')]\
             .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > window.innerWidth + 1)\
             .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + e.scrollWidth + '/' + e.clientWidth)];",
            vec![],
        )
        .await
        .unwrap();
    assert!(scroll <= inner, "the page is {scroll} px wide in a {inner} px window: {wide}");
    let png = client.screenshot().await.unwrap();
    let path = artifacts_dir().join("dashboard-390px.png");
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
    client.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
}

/// The elements whose own text has a contrast under 4.5:1 against the first opaque background
/// behind them (WCAG's relative luminance), as `tag#id.class ratio`.
const CONTRAST: &str = r#"
const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
  .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
const background = (e) => {
  for (; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || c[3] > 0.5) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
const low = [];
for (const e of document.querySelectorAll("body *")) {
  const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!own || !e.getClientRects().length || e.closest("[hidden]")) continue;
  const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < 4.5) low.push(`${e.tagName}#${e.id}.${e.className} ${ratio.toFixed(2)}`);
}
return low;
"#;

/// A wallet as a browser extension would announce one through the Wallet Standard: it answers
/// the page's `wallet-standard:app-ready` and dispatches `wallet-standard:register-wallet`
/// itself. It signs with a test key (Ed25519 in the browser's WebCrypto), writing the signature
/// into the fee payer's slot of the legacy transaction it is given, and counts what it signed.
const TEST_WALLET: &str = r#"
const [pkcs8Base64, address, publicKeyBase64, chain] = arguments;
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const account = Object.freeze({
  address, publicKey: bytes(publicKeyBase64), chains: [chain], features: ["solana:signTransaction"],
});
let key = null;
window.testWalletSigned = 0;
const wallet = {
  version: "1.0.0",
  name: "Ballast Test Wallet",
  icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
  chains: [chain],
  accounts: [],
  features: {
    "standard:connect": { version: "1.0.0", connect: async () => { wallet.accounts = [account]; return { accounts: [account] }; } },
    "standard:events": { version: "1.0.0", on: () => () => {} },
    "solana:signTransaction": {
      version: "1.0.0",
      supportedTransactionVersions: ["legacy"],
      signTransaction: async (...inputs) => {
        key = key || await crypto.subtle.importKey("pkcs8", bytes(pkcs8Base64), { name: "Ed25519" }, false, ["sign"]);
        return Promise.all(inputs.map(async ({ transaction }) => {
          // [signature count (one byte below 128)] [64-byte signatures] [message]
          const count = transaction[0];
          const message = transaction.slice(1 + 64 * count);
          const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key, message));
          const signed = transaction.slice();
          signed.set(signature, 1);
          window.testWalletSigned += 1;
          return { signedTransaction: signed };
        }));
      },
    },
  },
};
const callback = ({ register }) => register(wallet);
window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: callback }));
window.addEventListener("wallet-standard:app-ready", ({ detail }) => callback(detail));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_standard_wallet_connects_deposits_and_sees_its_position() {
    use base64::Engine;
    use solana_sdk::signature::{Keypair, Signer};
    let run = common::start().await;
    let user = Keypair::new();
    run.embedded().world.lock().await.env.chain.airdrop(&user.pubkey(), 10 * 1_000_000_000).await;
    let driver = Driver::start();
    let profile = std::env::temp_dir().join(format!("ballast-chromium-wallet-{}", std::process::id()));
    let client = browser(&driver, &profile).await;
    let long = Duration::from_secs(30);
    client.goto(&run.base).await.unwrap();
    wait_text(&client, "share-price", long, |t| t.ends_with(" SOL")).await;

    // The extension announces itself after the page loaded.
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut pkcs8 = hex_bytes("302e020100300506032b657004220420");
    pkcs8.extend_from_slice(&user.to_bytes()[..32]);
    let args = vec![
        json!(b64(&pkcs8)),
        json!(user.pubkey().to_string()),
        json!(b64(&user.pubkey().to_bytes())),
        json!("solana:localnet"),
    ];
    client.execute(TEST_WALLET, args).await.unwrap();

    let select = client.find(Locator::Id("wallet-select")).await.unwrap();
    select.select_by_label("Ballast Test Wallet").await.expect("the page lists the wallet");
    client.find(Locator::Id("wallet-connect")).await.unwrap().click().await.unwrap();
    let address = user.pubkey().to_string();
    wait_text(&client, "wallet-label", long, |t| t.contains(&address)).await;
    assert_eq!(wait_text(&client, "wallet-shares", long, |t| t != "…").await, "0");
    let balance = |run: &common::Running| {
        let key = user.pubkey();
        let chain = run.app.chain.clone();
        async move {
            use ballast_keeper::chain::Chain;
            chain.account(&key).await.unwrap().map_or(0, |a| a.lamports)
        }
    };
    let before = balance(&run).await;

    fill_and_submit(&client, "deposit-amount", "deposit-button", "2").await;
    wait_text(&client, "message", long, |t| t.starts_with("Deposited 2 SOL for")).await;
    let shares = wait_text(&client, "wallet-shares", long, |t| t != "0").await;
    assert!(shares.parse::<f64>().unwrap() > 1.9, "shares {shares}");
    // The wallet signed once; the user paid 2 SOL and the fees.
    let signed = client.execute("return window.testWalletSigned;", vec![]).await.unwrap();
    assert_eq!(signed.as_u64(), Some(1));
    let paid = before - balance(&run).await;
    assert!((2_000_000_000..2_010_000_000).contains(&paid), "paid {paid}");
    // The demo wallet did not move.
    let (_, demo) = run.get(&format!("/api/vault/{}/position/{}", run.vault(), run.embedded().demo.pubkey())).await;
    assert_eq!(demo["shares"].as_u64(), Some(0));
    // The page states the risk in words and percent.
    let params = text(&client, "params").await;
    let (_, summary) = run.get(&format!("/api/vault/{}", run.vault())).await;
    let trigger = summary["risk_params"]["unwind_trigger_ltv_bps"].as_u64().unwrap() as f64 / 100.0;
    assert!(params.contains(&format!("Unwind trigger LTV {trigger:.2}%")), "{params}");
    assert!(params.contains("Timelock 2.00 days"), "{params}");
    assert!(!params.contains("_bps"), "{params}");
    client.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}
