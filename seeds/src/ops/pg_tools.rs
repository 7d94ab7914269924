//! Locating and running PostgreSQL's client tools (`pg_dump`, `pg_restore`): from
//! `TEKUP_PG_BIN` (set by `scripts/db env` to the local server's own binaries), else from
//! `PATH`. The tools must not be older than the server; their error is passed on.

use std::path::PathBuf;
use std::process::Command;

use super::{OpsError, OpsResult};

/// The path of `tool`.
pub fn path(tool: &str) -> PathBuf {
    match std::env::var_os("TEKUP_PG_BIN") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join(tool),
        _ => PathBuf::from(tool),
    }
}

/// Runs `tool` with `args` (the database URL goes in `PGDATABASE`-free form as an
/// argument the caller gives); an error with the tool's stderr when it fails.
pub fn run(tool: &str, args: &[String]) -> OpsResult<String> {
    let out = Command::new(path(tool))
        .args(args)
        .output()
        .map_err(|e| OpsError::Tool {
            tool: tool.to_owned(),
            message: format!(
                "cannot run {}: {e} (set TEKUP_PG_BIN)",
                path(tool).display()
            ),
        })?;
    if !out.status.success() {
        return Err(OpsError::Tool {
            tool: tool.to_owned(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
