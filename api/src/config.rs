//! Command-line and environment configuration of the API server.

use std::{fmt, net::SocketAddr};

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::auth::{RenosOrgId, Role};

/// The Tekup Database API server.
///
/// Without a subcommand it serves HTTP. Every option can also be given through the
/// environment variable shown next to it.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "api",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: Config,
}

/// What the binary does besides serving.
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Print a signed JWT (for scripts, tests and GraphiQL) and exit.
    Token(TokenArgs),
    /// Create or revoke API keys (connects with --database-url, which must be the owner role).
    #[command(subcommand)]
    Key(KeyCommand),
}

/// `api token` (`Debug` hides the secret).
#[derive(Clone, Args)]
pub struct TokenArgs {
    /// Signing secret (at least 32 bytes).
    #[arg(long, env = "TEKUP_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,
    /// Role: service, admin or user.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// Subject (who the token is for).
    #[arg(long, default_value = "cli")]
    pub subject: String,
    /// Billy organisation a `user` is confined to.
    #[arg(long)]
    pub billy_org: Option<uuid::Uuid>,
    /// RenOS organisation a `user` is confined to.
    #[arg(long, value_parser = parse_renos_org)]
    pub renos_org: Option<RenosOrgId>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub ttl_secs: u64,
}

impl fmt::Debug for TokenArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenArgs")
            .field("jwt_secret", &"***")
            .field("role", &self.role)
            .field("subject", &self.subject)
            .field("billy_org", &self.billy_org)
            .field("renos_org", &self.renos_org)
            .field("ttl_secs", &self.ttl_secs)
            .finish()
    }
}

/// `api key ...`.
#[derive(Clone, Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key and print it once (only its hash is stored).
    Create(KeyCreateArgs),
    /// Revoke every active key with this name.
    Revoke(KeyRevokeArgs),
}

/// `api key create`.
#[derive(Clone, Debug, Args)]
pub struct KeyCreateArgs {
    /// Owner-role database URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// A name for the key (who or what uses it).
    #[arg(long)]
    pub name: String,
    /// Role: service, admin or user.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// Billy organisation a `user` key is confined to.
    #[arg(long)]
    pub billy_org: Option<uuid::Uuid>,
    /// RenOS organisation a `user` key is confined to.
    #[arg(long, value_parser = parse_renos_org)]
    pub renos_org: Option<RenosOrgId>,
}

/// `api key revoke`.
#[derive(Clone, Debug, Args)]
pub struct KeyRevokeArgs {
    /// Owner-role database URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The key's name.
    #[arg(long)]
    pub name: String,
}

fn parse_role(s: &str) -> Result<Role, String> {
    match Role::parse(s) {
        Some(Role::Anonymous) | None => Err("expected service, admin or user".to_owned()),
        Some(r) => Ok(r),
    }
}

fn parse_renos_org(s: &str) -> Result<RenosOrgId, String> {
    RenosOrgId::parse(s).ok_or_else(|| "1-64 characters of A-Z a-z 0-9 _ - . :".to_owned())
}

fn parse_secret(s: &str) -> Result<String, String> {
    if s.len() < 32 {
        Err("must be at least 32 bytes".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// The server's options.
#[derive(Clone, Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "TEKUP_API_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// PostgreSQL connection URL, e.g. postgres://user:password@host:5432/tekup (required to
    /// serve; the API's login role, not the owner).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Maximum number of pooled database connections.
    #[arg(
        long,
        env = "TEKUP_API_POOL_SIZE",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub pool_size: u32,

    /// Secret that signs and verifies Bearer JWTs (HS256, at least 32 bytes). Without it
    /// only API keys are accepted.
    #[arg(long, env = "TEKUP_JWT_SECRET", hide_env_values = true, value_parser = parse_secret)]
    pub jwt_secret: Option<String>,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "TEKUP_API_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Longest a request's SQL statement may run, in milliseconds (SET LOCAL statement_timeout).
    #[arg(
        long,
        env = "TEKUP_API_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub statement_timeout_ms: u32,

    /// HNSW `ef_search` of vault searches that do not give `efSearch` (accuracy/speed of
    /// the vector index scan; 40..=1000).
    #[arg(
        long,
        env = "TEKUP_VAULT_EF_SEARCH",
        default_value_t = service::vault::EF_SEARCH_DEFAULT,
        value_parser = clap::value_parser!(u64).range(40..=1000)
    )]
    pub vault_ef_search: u64,

    /// Whether GraphQL introspection (`__schema`, `__type`; GraphiQL's docs) is allowed.
    #[arg(long, env = "TEKUP_API_INTROSPECTION", default_value_t = true, action = ArgAction::Set)]
    pub introspection: bool,
}

impl Config {
    /// The database URL with its password replaced by `***`, safe to log or print.
    pub fn redacted_database_url(&self) -> String {
        redact_url_password(self.database_url.as_deref().unwrap_or_default())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &self.redacted_database_url())
            .field("pool_size", &self.pool_size)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("statement_timeout_ms", &self.statement_timeout_ms)
            .field("introspection", &self.introspection)
            .field("vault_ef_search", &self.vault_ef_search)
            .finish()
    }
}

/// Replaces the password of a `scheme://user:password@host/...` URL with `***`. URLs without a
/// password come back unchanged; a `password=` query parameter is masked too.
pub fn redact_url_password(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
                    None => head.to_owned(),
                },
                None => head.to_owned(),
            }
        }
        None => head.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => param.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn token_args_debug_hides_the_secret() {
        let cli = Cli::try_parse_from([
            "api",
            "token",
            "--jwt-secret",
            "a-very-secret-signing-key-of-32-bytes!!",
            "--role",
            "service",
        ])
        .map_err(|e| e.to_string());
        let Ok(Cli {
            command: Some(Command::Token(args)),
            ..
        }) = cli
        else {
            panic!("token arguments do not parse: {cli:?}");
        };
        let shown = format!("{args:?}");
        assert!(!shown.contains("a-very-secret"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    #[test]
    fn redacts_the_password() {
        assert_eq!(
            redact_url_password("postgres://tekup:s3cr%40t@127.0.0.1:55432/tekup"),
            "postgres://tekup:***@127.0.0.1:55432/tekup"
        );
        assert_eq!(
            redact_url_password("postgres://tekup@localhost/tekup"),
            "postgres://tekup@localhost/tekup"
        );
        assert_eq!(
            redact_url_password("postgres://localhost/tekup?user=a&password=b&sslmode=disable"),
            "postgres://localhost/tekup?user=a&password=***&sslmode=disable"
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let cli = Cli::try_parse_from([
            "api",
            "--database-url",
            "postgres://tekup:hunter2@db:5432/tekup",
            "--jwt-secret",
            "a-very-long-secret-of-at-least-32-bytes",
        ]);
        let Ok(Cli { serve: config, .. }) = cli else {
            panic!("parse failed: {cli:?}");
        };
        assert!(config.introspection);
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("a-very-long-secret"), "{debug}");
        assert!(debug.contains("tekup:***@db:5432"), "{debug}");
        assert_eq!(config.pool_size, 10);
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    }
}

#[cfg(test)]
mod subcommand_tests {
    use super::*;

    #[test]
    fn token_subcommand_needs_no_database_url() {
        let cli = Cli::try_parse_from([
            "api",
            "token",
            "--jwt-secret",
            "x",
            "--role",
            "user",
            "--renos-org",
            "org-1",
        ]);
        assert!(
            matches!(cli, Ok(Cli { command: Some(Command::Token(ref t)), .. }) if t.role == Role::User),
            "{cli:?}"
        );
        let bad = Cli::try_parse_from(["api", "token", "--jwt-secret", "x", "--role", "root"]);
        assert!(bad.is_err());
    }

    #[test]
    fn short_jwt_secrets_are_refused() {
        let cli = Cli::try_parse_from([
            "api",
            "--database-url",
            "postgres://x@y/z",
            "--jwt-secret",
            "short",
        ]);
        assert!(cli.is_err());
    }
}
