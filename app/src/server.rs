//! The HTTP server: the dashboard's files (compiled into the binary, no CDN), the JSON API the
//! page is built on, the Solana Actions endpoints and the DAO's transactions.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;

use crate::actions::{self, build_deposit, build_withdraw, parse_account};
use crate::amount::format_sol;
use crate::chain::AppChain;
use crate::embedded::{Embedded, MarketMove};
use crate::error::{ApiError, ApiResult};
use crate::history::SharedHistory;
use crate::summary::VaultSummary;

pub struct App {
    pub chain: AppChain,
    /// The vault this server shows.
    pub vault: Pubkey,
    pub history: SharedHistory,
    /// Present on the embedded chain: the demo wallet, the market and the keeper.
    pub embedded: Option<Arc<Embedded>>,
    /// The cluster, for links to its explorer.
    pub cluster: crate::cluster::Cluster,
    /// The cluster's CAIP-2 id (`X-Blockchain-Ids`).
    pub chain_id: String,
    /// The address the site is reached at from outside (`https://vault.example`), for the
    /// absolute links of Actions; `None`: links relative to the request.
    pub public_url: Option<String>,
}

type Shared = State<Arc<App>>;

impl App {
    /// The vault named in a path, when it is the one served.
    fn known(&self, text: &str) -> ApiResult<Pubkey> {
        match text.parse::<Pubkey>() {
            Ok(key) if key == self.vault => Ok(key),
            _ => Err(ApiError::not_found(format!("unknown vault '{text}': this server shows {}", self.vault))),
        }
    }

    /// What the links of Actions start with: the public URL, or nothing (relative links).
    pub fn link_base(&self) -> String {
        self.public_url.as_deref().unwrap_or("").trim_end_matches('/').to_string()
    }

    fn embedded(&self) -> ApiResult<&Arc<Embedded>> {
        self.embedded.as_ref().ok_or_else(|| ApiError::not_found("only on the embedded chain"))
    }
}

/// The version of the Solana Actions spec whose fields the Actions here use: typed parameters
/// (2.1), `type: "action"` (2.2) and linked actions of `type: "transaction"` (2.3); nothing of
/// 2.4 (signing messages).
pub const ACTIONS_VERSION: &str = "2.3";

pub fn router(app: Arc<App>) -> Router {
    use axum::middleware;
    use tower_http::cors::{Any, CorsLayer};
    // What the Solana Actions spec asks of every Action endpoint and actions.json; the rest of
    // the site is same-origin only.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::CONTENT_ENCODING,
            header::ACCEPT_ENCODING,
            header::HeaderName::from_static("x-accept-action-version"),
            header::HeaderName::from_static("x-accept-blockchain-ids"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-action-version"),
            header::HeaderName::from_static("x-blockchain-ids"),
        ]);
    let actions = Router::new()
        .route("/actions.json", get(actions_json).options(options))
        .route("/api/actions/:vault/:verb", get(action_get).post(action_post).options(options))
        .layer(cors)
        // Outside the CORS layer, so its answers to preflight requests carry them too.
        .layer(middleware::from_fn_with_state(app.clone(), with_action_headers));
    Router::new()
        .route("/", get(|| async { Html(include_str!("../static/index.html")) }))
        .route("/static/app.js", get(|| async { asset("text/javascript", include_str!("../static/app.js")) }))
        .route(
            "/static/vendor/wallet-standard-app.js",
            get(|| async { asset("text/javascript", include_str!("../static/vendor/wallet-standard-app.js")) }),
        )
        .route("/static/style.css", get(|| async { asset("text/css", include_str!("../static/style.css")) }))
        .route("/static/icon.svg", get(|| async { asset("image/svg+xml", include_str!("../static/icon.svg")) }))
        // The program's Anchor IDL, for explorers and wallets to decode its instructions and events.
        .route("/idl/ballast.json", get(|| async { asset("application/json", include_str!("../../idl/ballast.json")) }))
        .route("/api/info", get(info))
        .route("/api/vault/:vault", get(vault_summary))
        .route("/api/vault/:vault/history", get(history))
        .route("/api/vault/:vault/chart/:name", get(chart))
        .route("/api/vault/:vault/position/:owner", get(position))
        .route("/api/submit", post(submit))
        .route("/api/dao/:vault", get(dao_overview))
        .route("/api/dao/:vault/:verb", post(dao_post))
        .route("/api/demo/:verb", post(demo_post))
        .route("/api/market", post(market))
        .merge(actions)
        .with_state(app)
}

/// `X-Action-Version` and `X-Blockchain-Ids` on every response of the Actions routes: metadata,
/// transactions, errors and preflight answers alike.
async fn with_action_headers(
    State(app): Shared,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("x-action-version", HeaderValue::from_static(ACTIONS_VERSION));
    if let Ok(id) = HeaderValue::from_str(&app.chain_id) {
        headers.insert("x-blockchain-ids", id);
    }
    response
}

/// A plain `OPTIONS` (a preflight is answered by the CORS layer): the same headers as `GET`.
async fn options() -> axum::http::StatusCode {
    axum::http::StatusCode::OK
}

async fn actions_json(State(app): Shared) -> Json<Value> {
    Json(actions::actions_json(&app.link_base(), &app.vault))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

async fn info(State(app): Shared) -> Json<Value> {
    Json(json!({
        "vault": app.vault.to_string(),
        "embedded": app.embedded.is_some(),
        "demo_wallet": app.embedded.as_ref().map(|e| e.demo.pubkey().to_string()),
        "scenarios": app.embedded.as_ref().map(|_| crate::embedded::SCENARIOS.map(|(name, _)| name)),
        "cluster": app.cluster,
        "explorer_tx": app.cluster.explorer_tx_template(),
        "chain_id": app.chain_id,
        "wallet_chain": app.cluster.wallet_chain(),
    }))
}

/// The summary plus the trailing APY and, on the embedded chain, the keeper's status.
async fn vault_summary(State(app): Shared, Path(vault): Path<String>) -> ApiResult<Json<Value>> {
    let key = app.known(&vault)?;
    let (summary, _) = VaultSummary::load(&app.chain, &key).await?;
    let apy = {
        let mut history = app.history.lock().expect("history lock");
        if let Some(ltv) = summary.ltv.market_ltv_bps {
            history.note_ltv(summary.slot, summary.unix_time, ltv);
        }
        history.trailing_apy(summary.unix_time, summary.share_price_lamports, 7 * 86_400)
    };
    let keeper = app.embedded.as_ref().map(|e| e.status.lock().expect("status lock").clone());
    let replay = app.embedded.as_ref().map(|e| e.replay.lock().expect("replay lock").clone());
    let mut value = serde_json::to_value(&summary).map_err(anyhow::Error::from)?;
    value["trailing_apy_7d"] = json!(apy);
    value["keeper"] = json!(keeper);
    value["replay"] = json!(replay);
    Ok(Json(value))
}

async fn history(State(app): Shared, Path(vault): Path<String>) -> ApiResult<Json<Value>> {
    app.known(&vault)?;
    let history = app.history.lock().expect("history lock");
    Ok(Json(serde_json::to_value(&*history).map_err(anyhow::Error::from)?))
}

async fn chart(State(app): Shared, Path((vault, name)): Path<(String, String)>) -> ApiResult<Response> {
    let key = app.known(&vault)?;
    let (summary, _) = VaultSummary::load(&app.chain, &key).await?;
    let history = app.history.lock().expect("history lock");
    let svg = match name.as_str() {
        "share-price.svg" => crate::chart::share_price_svg(&history, &summary)?,
        "ltv.svg" => crate::chart::ltv_svg(&history, &summary)?,
        _ => return Err(ApiError::not_found(format!("no chart '{name}': share-price.svg or ltv.svg"))),
    };
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-cache")], svg).into_response())
}

/// An owner's SOL, shares and what they are worth now.
async fn position(State(app): Shared, Path((vault, owner)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    let key = app.known(&vault)?;
    let owner = parse_account(&owner)?;
    let (summary, view) = VaultSummary::load(&app.chain, &key).await?;
    let (shares, worth) = actions::position(&app, &summary, &view.vault, &owner).await?;
    let lamports = ballast_keeper::chain::Chain::account(&app.chain, &owner).await?.map(|a| a.lamports).unwrap_or(0);
    Ok(Json(json!({
        "owner": owner.to_string(),
        "lamports": lamports,
        "shares": shares,
        "value_lamports": worth,
        "sol": format_sol(lamports),
        "shares_text": format_sol(shares),
        "value_sol": format_sol(worth),
    })))
}

#[derive(Debug, Deserialize)]
struct AmountQuery {
    amount: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ActionPostBody {
    account: String,
}

fn verb(verb: &str) -> ApiResult<bool> {
    match verb {
        "deposit" => Ok(false),
        "withdraw" => Ok(true),
        _ => Err(ApiError::not_found(format!("no action '{verb}': deposit or withdraw"))),
    }
}

async fn action_get(
    State(app): Shared,
    Path((vault, verb_text)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let key = app.known(&vault)?;
    let withdraw = verb(&verb_text)?;
    let (summary, _) = VaultSummary::load(&app.chain, &key).await?;
    // The spec wants the icon's URL absolute: from the public URL, else the request's host.
    let icon = match &app.public_url {
        Some(_) => format!("{}/static/icon.svg", app.link_base()),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}/static/icon.svg")
        }
    };
    Ok(Json(actions::metadata(&app.link_base(), &icon, &key, &summary, withdraw)))
}

async fn action_post(
    State(app): Shared,
    Path((vault, verb_text)): Path<(String, String)>,
    Query(query): Query<AmountQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let key = app.known(&vault)?;
    let withdraw = verb(&verb_text)?;
    let body: ActionPostBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("expected {{\"account\": \"<address>\"}}: {e}")))?;
    let account = parse_account(&body.account)?;
    let amount = query.amount.unwrap_or_default();
    if let Some(embedded) = &app.embedded {
        embedded.next_slot().await;
    }
    let built = if withdraw {
        build_withdraw(&app, &key, &account, &amount).await?
    } else {
        build_deposit(&app, &key, &account, &amount).await?
    };
    Ok(Json(built.response()).into_response())
}

#[derive(Debug, Deserialize)]
struct SubmitBody {
    /// A signed transaction, bincode, base64.
    transaction: String,
}

/// A transaction an Action returned, signed by the user's wallet: checked, simulated (a failure
/// is named and nothing is sent), sent, and reported as the vault's event says.
async fn submit(State(app): Shared, body: Bytes) -> ApiResult<Json<Value>> {
    use base64::Engine;
    let body: SubmitBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("expected {{\"transaction\": \"<base64>\"}}: {e}")))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.transaction.trim())
        .map_err(|_| ApiError::bad_request("the transaction is not base64"))?;
    let tx: solana_sdk::transaction::Transaction =
        bincode::deserialize(&bytes).map_err(|_| ApiError::bad_request("the bytes are not a legacy transaction"))?;
    actions::relayable(&tx, &app.vault)?;
    if tx.verify().is_err() {
        return Err(ApiError::bad_request("the transaction is not signed by its fee payer"));
    }
    let sent = match &app.embedded {
        Some(embedded) => embedded.send_checked(tx).await?,
        None => actions::send_checked(&app.chain, tx.into()).await?,
    };
    Ok(Json(json!({ "signature": sent.signature.to_string(), "message": landed_message(&sent.logs) })))
}

/// What the vault says a deposit or withdrawal did: its event in the transaction's log.
fn landed_message(logs: &[String]) -> String {
    if let Some(e) = ballast_localnet::chain::events::<ballast::events::Withdrawn>(logs).pop() {
        format!(
            "Withdrawn: {} shares for {} SOL (exit cost {} SOL)",
            format_sol(e.shares),
            format_sol(e.lamports),
            format_sol(e.exit_cost_lamports)
        )
    } else if let Some(e) = ballast_localnet::chain::events::<ballast::events::Deposited>(logs).pop() {
        format!("Deposited {} SOL for {} shares", format_sol(e.lamports), format_sol(e.shares))
    } else {
        "Landed".into()
    }
}

async fn dao_overview(State(app): Shared, Path(vault): Path<String>) -> ApiResult<Json<Value>> {
    let key = app.known(&vault)?;
    Ok(Json(crate::dao::overview(&app, &key).await?))
}

async fn dao_post(
    State(app): Shared,
    Path((vault, verb)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let key = app.known(&vault)?;
    enum Dao {
        Propose,
        Execute,
        Cancel,
    }
    let verb = match verb.as_str() {
        "propose" => Dao::Propose,
        "execute" => Dao::Execute,
        "cancel" => Dao::Cancel,
        _ => return Err(ApiError::not_found(format!("no DAO action '{verb}': propose, execute or cancel"))),
    };
    if let Some(embedded) = &app.embedded {
        embedded.next_slot().await;
    }
    let out = match verb {
        Dao::Propose => crate::dao::propose(&app, &key, &body).await?,
        Dao::Execute => crate::dao::execute(&app, &key).await?,
        Dao::Cancel => crate::dao::cancel(&app, &key).await?,
    };
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoBody {
    amount: String,
}

/// The demo wallet deposits or withdraws: the Action's transaction, signed and sent here.
async fn demo_post(State(app): Shared, Path(verb_text): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    let embedded = app.embedded()?.clone();
    let withdraw = verb(&verb_text)?;
    let body: DemoBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("expected {{\"amount\": \"<SOL>\"}}: {e}")))?;
    let wallet = embedded.demo.pubkey();
    embedded.next_slot().await;
    let built = if withdraw {
        build_withdraw(&app, &app.vault, &wallet, &body.amount).await?
    } else {
        build_deposit(&app, &app.vault, &wallet, &body.amount).await?
    };
    let sent = embedded.demo_send(built.transaction).await?;
    Ok(Json(json!({ "signature": sent.signature.to_string(), "message": landed_message(&sent.logs) })))
}

async fn market(State(app): Shared, body: Bytes) -> ApiResult<Json<Value>> {
    let embedded = app.embedded()?.clone();
    let movement: MarketMove = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "market move not understood ({e}); one of {{\"move\":\"lst\",\"pct\":-18}}, {{\"move\":\"sol\",\"pct\":-10}}, \
             {{\"move\":\"restore\"}}, {{\"move\":\"epoch\"}}, {{\"move\":\"hours\",\"hours\":6}}, \
             {{\"move\":\"scenario\",\"name\":\"msol-flash-depeg-2023-12\"}}"
        ))
    })?;
    let text = embedded.market(movement).await?;
    // The keeper looks right away, as a keeper watching every slot would.
    embedded.keeper_pass().await;
    Ok(Json(json!({ "message": text })))
}
