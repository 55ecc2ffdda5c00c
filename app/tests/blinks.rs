//! The Actions against the Solana Actions spec, as a Blink client meets them: a table of
//! requests with the status, headers and body each must get. Every response of the Actions
//! routes (metadata, transactions, errors, `actions.json`, preflight) names the spec version and
//! the chain; CORS is open on those routes and on no other.
mod common;

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use solana_sdk::transaction::Transaction;

struct Case {
    what: &'static str,
    method: Method,
    path: String,
    /// A CORS preflight for this method.
    preflight: Option<&'static str>,
    body: Option<Value>,
    status: u16,
    /// On the Actions routes: the spec's headers and open CORS; elsewhere neither.
    actions_route: bool,
    check: Box<dyn Fn(&Value)>,
}

fn case(what: &'static str, method: Method, path: String, status: u16, check: impl Fn(&Value) + 'static) -> Case {
    Case { what, method, path, preflight: None, body: None, status, actions_route: true, check: Box::new(check) }
}

fn transaction(body: &Value) -> Transaction {
    let bytes = base64::engine::general_purpose::STANDARD.decode(body["transaction"].as_str().unwrap()).unwrap();
    bincode::deserialize(&bytes).unwrap()
}

#[tokio::test]
async fn the_actions_answer_as_the_spec_asks() {
    let run = common::start().await;
    let vault = run.vault();
    let chain_id = run.app.chain_id.clone();
    // The embedded bank's own genesis hash, cut as CAIP-2 cuts mainnet's.
    let genesis = run.embedded().genesis_hash.to_string();
    assert_eq!(chain_id, format!("solana:{}", &genesis[..32]));
    let demo = run.embedded().demo.pubkey().to_string();
    let deposit = format!("/api/actions/{vault}/deposit");

    let mut cases = vec![
        case("actions.json maps the dashboard to the deposit Action", Method::GET, "/actions.json".into(), 200, {
            let deposit = deposit.clone();
            move |body| {
                assert_eq!(body["rules"][0], json!({ "pathPattern": "/", "apiPath": deposit }));
                assert_eq!(body["rules"][1], json!({ "pathPattern": "/api/actions/**", "apiPath": "/api/actions/**" }));
            }
        }),
        case("the deposit's metadata", Method::GET, deposit.clone(), 200, |body| {
            assert_eq!(body["type"], "action");
            assert!(body["icon"].as_str().unwrap().starts_with("http://127.0.0.1:"), "{body}");
            assert!(body["label"].as_str().unwrap().split_whitespace().count() <= 5);
            for action in body["links"]["actions"].as_array().unwrap() {
                // 2.3: every linked action is typed; links are relative without --public-url.
                assert_eq!(action["type"], "transaction");
                assert!(action["href"].as_str().unwrap().starts_with("/api/actions/"), "{action}");
            }
        }),
        case("the withdrawal's metadata", Method::GET, format!("/api/actions/{vault}/withdraw"), 200, |body| {
            assert_eq!(body["type"], "action");
        }),
        case(
            "a deposit: an unsigned transaction with a compute-unit limit from its simulation",
            Method::POST,
            format!("{deposit}?amount=1"),
            200,
            {
                let demo = demo.clone();
                move |body| {
                    assert_eq!(body["type"], "transaction");
                    let tx = transaction(body);
                    assert_eq!(tx.message.account_keys[0].to_string(), demo);
                    assert!(tx.signatures.iter().all(|s| *s == Default::default()));
                    let first = &tx.message.instructions[0];
                    assert_eq!(
                        tx.message.account_keys[first.program_id_index as usize],
                        solana_sdk::compute_budget::id()
                    );
                    // SetComputeUnitLimit: tag 2, then the units (u32, little-endian).
                    assert_eq!(first.data[0], 2, "{:?}", first.data);
                    let units = u32::from_le_bytes(first.data[1..5].try_into().unwrap());
                    assert!(units > 0 && units < 1_400_000, "{units}");
                }
            },
        ),
        case(
            "a deposit the program would refuse: its error's name and sentence, nothing to sign",
            Method::POST,
            format!("{deposit}?amount=0.000000001"),
            422,
            |body| {
                assert_eq!(body["message"], "ZeroSharesMinted: The deposit would mint zero shares");
                assert!(body.get("transaction").is_none());
            },
        ),
        case("a bad account", Method::POST, format!("{deposit}?amount=1"), 400, |body| {
            assert!(body["message"].as_str().unwrap().contains("not a Solana account"));
        }),
        case("an unknown vault", Method::GET, format!("/api/actions/{}/deposit", Pubkey::new_unique()), 404, |body| {
            assert!(body["message"].as_str().unwrap().contains("unknown vault"));
        }),
        case("an unknown verb", Method::GET, format!("/api/actions/{vault}/borrow"), 404, |body| {
            assert!(body["message"].as_str().unwrap().contains("no action"));
        }),
        case("OPTIONS on actions.json", Method::OPTIONS, "/actions.json".into(), 200, |_| {}),
        case("OPTIONS on an Action", Method::OPTIONS, deposit.clone(), 200, |_| {}),
    ];
    cases[3].body = Some(json!({ "account": demo }));
    cases[4].body = Some(json!({ "account": demo }));
    cases[5].body = Some(json!({ "account": "not-a-key" }));
    cases.push(Case {
        preflight: Some("POST"),
        ..case("a preflight for a POST", Method::OPTIONS, deposit.clone(), 200, |_| {})
    });
    cases.push(Case {
        preflight: Some("GET"),
        ..case("a preflight for actions.json", Method::OPTIONS, "/actions.json".into(), 200, |_| {})
    });
    // The rest of the site is the page's own: no CORS, no Actions headers.
    for (what, method, path, status) in [
        ("the dashboard's summary", Method::GET, format!("/api/vault/{vault}"), 200),
        ("the page", Method::GET, "/".to_string(), 200),
        ("the relay", Method::POST, "/api/submit".to_string(), 400),
    ] {
        cases.push(Case { actions_route: false, ..case(what, method, path, status, |_| {}) });
    }

    for c in &cases {
        let url = format!("{}{}", run.base, c.path);
        let mut request = run.http.request(c.method.clone(), &url).header("Origin", "https://dial.to");
        if let Some(method) = c.preflight {
            request = request
                .header("Access-Control-Request-Method", method)
                .header("Access-Control-Request-Headers", "content-type,x-accept-action-version");
        }
        if let Some(body) = &c.body {
            request = request.json(body);
        } else if c.method == Method::POST {
            request = request.json(&json!({}));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        assert_eq!(status, c.status, "{}: {text}", c.what);
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string());
        if c.actions_route {
            assert_eq!(header("x-action-version").as_deref(), Some("2.3"), "{}", c.what);
            assert_eq!(header("x-blockchain-ids"), Some(chain_id.clone()), "{}", c.what);
            assert_eq!(header("access-control-allow-origin").as_deref(), Some("*"), "{}", c.what);
            if c.method == Method::OPTIONS {
                let allowed = header("access-control-allow-methods").unwrap_or_default();
                for method in ["GET", "POST", "PUT", "OPTIONS"] {
                    assert!(allowed.contains(method), "{}: {allowed}", c.what);
                }
                let headers = header("access-control-allow-headers").unwrap_or_default().to_lowercase();
                assert!(headers.contains("x-accept-action-version") && headers.contains("content-type"), "{headers}");
            } else {
                let exposed = header("access-control-expose-headers").unwrap_or_default().to_lowercase();
                assert!(exposed.contains("x-action-version") && exposed.contains("x-blockchain-ids"), "{}", c.what);
            }
        } else {
            assert_eq!(header("access-control-allow-origin"), None, "{}", c.what);
            assert_eq!(header("x-action-version"), None, "{}", c.what);
        }
        if !text.is_empty() && c.method != Method::OPTIONS {
            if let Ok(body) = serde_json::from_str::<Value>(&text) {
                (c.check)(&body);
            }
        }
    }
}

#[tokio::test]
async fn with_a_public_url_the_links_are_absolute_on_it() {
    let app = ballast_app::embedded_app(std::time::Duration::from_secs(3600), Some("https://vault.example/".into()))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(ballast_app::serve(app.clone(), listener, std::future::pending()));
    let http = reqwest::Client::new();
    let vault = app.vault;
    let meta: Value =
        http.get(format!("{base}/api/actions/{vault}/deposit")).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["icon"], "https://vault.example/static/icon.svg");
    for action in meta["links"]["actions"].as_array().unwrap() {
        assert!(action["href"].as_str().unwrap().starts_with(&format!("https://vault.example/api/actions/{vault}/")));
    }
    let rules: Value = http.get(format!("{base}/actions.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rules["rules"][0]["apiPath"], format!("https://vault.example/api/actions/{vault}/deposit"));
}
