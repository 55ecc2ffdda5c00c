//! The app on its embedded chain, served on a free local port, for the tests.
#![allow(dead_code)] // each test binary uses part of it
use std::sync::Arc;
use std::time::Duration;

use ballast_app::App;

pub struct Running {
    pub app: Arc<App>,
    pub base: String,
    pub http: reqwest::Client,
}

pub async fn start() -> Running {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "off");
    }
    let app = ballast_app::embedded_app(Duration::from_millis(200), None).await.expect("embedded app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(ballast_app::serve(app.clone(), listener, std::future::pending()));
    Running { app, base, http: reqwest::Client::new() }
}

impl Running {
    pub fn vault(&self) -> String {
        self.app.vault.to_string()
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub fn embedded(&self) -> &ballast_app::embedded::Embedded {
        self.app.embedded.as_ref().expect("embedded")
    }
}
