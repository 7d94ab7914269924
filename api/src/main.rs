//! The `api` binary: reads the configuration, connects to PostgreSQL and serves HTTP until
//! SIGINT or SIGTERM. It never migrates; `/readyz` reports pending migrations instead.

use std::{fmt, io::IsTerminal, process::ExitCode};

use std::sync::Arc;

use api::{
    app::{self, AppState, Limits},
    auth::{Authenticator, jwt::JwtKeys},
    cli,
    config::{Cli, Command, Config},
    graphql::Services,
    health,
};
use clap::Parser;
use service::billy::crypto::Keyring;
use service::database::{self, PoolConfig};
use tracing_subscriber::EnvFilter;

/// mimalloc: the server allocates many small, short-lived objects per request (rows, field
/// values); glibc malloc spent about a fifth of the server's CPU on them (perf, benchmark
/// shape 3).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Token(args)) = &cli.command {
        return match cli::token(args) {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("api: error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("api: error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Key(cmd)) = &cli.command {
        return match runtime.block_on(cli::key(cmd)) {
            Ok(out) => {
                println!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("api: error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(run(cli.serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("api: error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` filters, `info` by default.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Why the server could not start or stopped abnormally.
#[derive(Debug)]
enum StartupError {
    Connect {
        url: String,
        source: sea_orm::DbErr,
    },
    Query {
        url: String,
        source: sea_orm::DbErr,
    },
    Bind {
        addr: String,
        source: std::io::Error,
    },
    Serve(std::io::Error),
    Keyring(service::Error),
    Schema(String),
    NoDatabase,
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect { url, source } => {
                write!(
                    f,
                    "cannot connect to the database at {url}: {source} \
                     (is PostgreSQL running there and are the credentials right?)"
                )
            }
            Self::Query { url, source } => {
                write!(f, "the database at {url} does not answer: {source}")
            }
            Self::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Self::Serve(source) => write!(f, "the HTTP server failed: {source}"),
            Self::NoDatabase => write!(f, "no database: set DATABASE_URL or pass --database-url"),
            Self::Schema(why) => write!(f, "the GraphQL schema cannot be built: {why}"),
            Self::Keyring(source) => write!(
                f,
                "the Billy keyring configuration is invalid ({source:?}); set \
                 BILLY_KEYRING_CURRENT_KEY_ID and BILLY_KEYRING_KEYS correctly or unset both"
            ),
        }
    }
}

impl std::error::Error for StartupError {}

async fn run(config: Config) -> Result<(), StartupError> {
    tracing::info!(?config, "starting");
    let url = config.redacted_database_url();
    let pool = PoolConfig {
        max_connections: config.pool_size,
        ..PoolConfig::default()
    };
    let Some(database_url) = config.database_url.as_deref() else {
        return Err(StartupError::NoDatabase);
    };
    let db = database::connect(database_url, &pool)
        .await
        .map_err(|source| StartupError::Connect {
            url: url.clone(),
            source,
        })?;
    let version = database::server_version(&db)
        .await
        .map_err(|source| StartupError::Query {
            url: url.clone(),
            source,
        })?;
    tracing::info!(database = %url, server_version = %version, "connected to the database");
    match health::migration_status(&db).await {
        Ok(m) if m.current => tracing::info!(applied = m.applied, "migrations are current"),
        Ok(m) => tracing::warn!(
            applied = m.applied,
            pending = m.pending,
            "migrations are pending; /readyz answers 503 until they are applied \
             (cargo run -p migration -- up)"
        ),
        Err(err) => tracing::warn!(error = %err, "cannot read the migration status"),
    }

    // Built now rather than on the first request, so a broken schema stops the start.
    api::graphql::schema(config.introspection).map_err(StartupError::Schema)?;

    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartupError::Bind {
            addr: config.bind.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(StartupError::Serve)?;
    tracing::info!(address = %local, "listening");

    let state = AppState {
        db: db.clone(),
        auth: Arc::new(Authenticator::new(
            config
                .jwt_secret
                .as_deref()
                .map(|s| JwtKeys::new(s.as_bytes())),
        )),
        limits: Limits {
            max_body_bytes: config.max_body_bytes,
            statement_timeout_ms: config.statement_timeout_ms,
            introspection: config.introspection,
        },
        services: Services {
            keyring: keyring()?.map(Arc::new),
            vault_ef_search: Some(config.vault_ef_search),
        },
    };
    if config.jwt_secret.is_none() {
        tracing::warn!("no TEKUP_JWT_SECRET: only API keys are accepted");
    }
    let router = app::router(state);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(StartupError::Serve)?;

    tracing::info!("shutting down");
    if let Err(err) = db.close().await {
        tracing::warn!(error = %err, "closing the database pool failed");
    }
    tracing::info!("stopped");
    Ok(())
}

/// The Billy keyring from the environment; `None` when none of its variables are set.
fn keyring() -> Result<Option<Keyring>, StartupError> {
    let set = ["BILLY_KEYRING_CURRENT_KEY_ID", "BILLY_KEYRING_KEYS"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    if !set {
        tracing::warn!("no Billy keyring configured: Billy API-key operations are unavailable");
        return Ok(None);
    }
    Keyring::from_env().map(Some).map_err(StartupError::Keyring)
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("received SIGINT"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
