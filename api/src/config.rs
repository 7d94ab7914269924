//! Command-line and environment configuration of the API server.

use std::{fmt, net::SocketAddr};

use clap::Parser;

/// The Tekup Database API server.
///
/// Every option can also be given through the environment variable shown next to it.
#[derive(Clone, Parser)]
#[command(name = "api", version, about, long_about = None)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "TEKUP_API_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// PostgreSQL connection URL, e.g. postgres://user:password@host:5432/tekup.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    /// Maximum number of pooled database connections.
    #[arg(
        long,
        env = "TEKUP_API_POOL_SIZE",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub pool_size: u32,
}

impl Config {
    /// The database URL with its password replaced by `***`, safe to log or print.
    pub fn redacted_database_url(&self) -> String {
        redact_url_password(&self.database_url)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &self.redacted_database_url())
            .field("pool_size", &self.pool_size)
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
        Config::command().debug_assert();
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
        let config = Config::try_parse_from([
            "api",
            "--database-url",
            "postgres://tekup:hunter2@db:5432/tekup",
        ]);
        let Ok(config) = config else {
            panic!("parse failed: {config:?}");
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("tekup:***@db:5432"), "{debug}");
        assert_eq!(config.pool_size, 10);
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    }
}
