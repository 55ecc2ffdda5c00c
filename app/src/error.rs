//! Errors as the API returns them: a status and `{"message": ...}` (the Solana Actions error
//! shape), so the page and a wallet show the same words.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// The chain refused or a transaction would fail: the request was fine, the action is not.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into() }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        tracing::error!(%error, "request failed");
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, message: format!("{error:#}") }
    }
}

impl From<crate::amount::AmountError> for ApiError {
    fn from(error: crate::amount::AmountError) -> Self {
        Self::bad_request(error.0)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "message": self.message }))).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The Anchor error a failed simulation logged ("Error Code: X. Error Number: N. Error
/// Message: M."), as "X: M".
pub fn anchor_error(logs: &[String]) -> Option<String> {
    logs.iter().find_map(|line| {
        let rest = line.split("Error Code: ").nth(1)?;
        let (code, rest) = rest.split_once('.')?;
        let message = rest.split("Error Message: ").nth(1).unwrap_or("").trim_end_matches('.');
        Some(format!("{code}: {message}"))
    })
}
