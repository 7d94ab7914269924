//! `spawn_app()`: the API server on a random local port, over a test's own database.

use std::net::SocketAddr;

use api::app::{AppState, router};
use sea_orm::DatabaseConnection;

/// A running API server; it stops when the test's runtime ends.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

impl TestApp {
    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Serves the API's router over `db` on 127.0.0.1 with an ephemeral port.
pub async fn spawn_app(db: DatabaseConnection) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"));
    let app = router(AppState { db });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestApp {
        addr,
        client: reqwest::Client::new(),
    }
}
