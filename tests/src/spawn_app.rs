//! `spawn_app()`: the API server on a random local port, over a test's own database,
//! connected as the API's login role (so row-level security binds it, as in production),
//! with a JWT key so tests can act as any role.

use std::net::SocketAddr;
use std::sync::Arc;

use api::app::{AppState, Limits, router};
use api::auth::jwt::{Claims, JwtKeys, now_secs};
use api::auth::{Authenticator, Role};
use api::graphql::Services;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use uuid::Uuid;

use crate::test_db::{TestDb, connect};

/// The signing secret of test servers.
pub const JWT_SECRET: &str = "tekup-test-secret-0123456789abcdef";

/// A running API server; it stops when the test's runtime ends.
pub struct TestApp {
    pub addr: SocketAddr,
    /// Sends `Authorization: Bearer <service token>` with every request.
    pub client: reqwest::Client,
    /// Sends no credentials.
    pub anonymous: reqwest::Client,
}

impl TestApp {
    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A client that sends `Authorization: Bearer <token>`.
    pub fn client_with_token(&self, token: &str) -> reqwest::Client {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
            headers.insert(AUTHORIZATION, v);
        }
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"))
    }

    /// A client acting as `role` (service or admin).
    pub fn client_as(&self, role: Role) -> reqwest::Client {
        self.client_with_token(&token(role, None, None))
    }

    /// A client acting as a `user` of a Billy and/or RenOS organisation.
    pub fn client_as_user(&self, billy: Option<Uuid>, renos: Option<&str>) -> reqwest::Client {
        self.client_with_token(&token(Role::User, billy, renos))
    }
}

/// A token signed with [`JWT_SECRET`].
pub fn token(role: Role, billy: Option<Uuid>, renos: Option<&str>) -> String {
    let claims = Claims {
        sub: format!("test-{}", role.as_str()),
        role: role.as_str().to_owned(),
        exp: now_secs() + 3600,
        iat: None,
        billy_org: billy,
        renos_org: renos.map(str::to_owned),
    };
    JwtKeys::new(JWT_SECRET.as_bytes())
        .sign(&claims)
        .unwrap_or_else(|e| panic!("sign: {e}"))
}

/// Serves the API over `t`'s database with default limits.
pub async fn spawn_app(t: &TestDb) -> TestApp {
    spawn_app_with(t, Limits::default(), Services::default()).await
}

/// Serves the API over `t`'s database on 127.0.0.1 with an ephemeral port.
pub async fn spawn_app_with(t: &TestDb, limits: Limits, services: Services) -> TestApp {
    let db = connect(&t.api_url(), 5)
        .await
        .unwrap_or_else(|e| panic!("connect as the API role: {e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"));
    let state = AppState {
        db,
        auth: Arc::new(Authenticator::new(Some(JwtKeys::new(
            JWT_SECRET.as_bytes(),
        )))),
        limits,
        services,
    };
    let app = router(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut app = TestApp {
        addr,
        client: reqwest::Client::new(),
        anonymous: reqwest::Client::new(),
    };
    app.client = app.client_as(Role::Service);
    app
}
