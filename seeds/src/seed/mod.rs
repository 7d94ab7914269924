//! `tekup seed` (issue 6; being written).

use clap::Args;
use serde::Serialize;

use crate::ops::{Ctx, OpsError, OpsResult, Report};

/// Arguments of `tekup seed`.
#[derive(Clone, Debug, Args)]
pub struct SeedArgs {}

/// What `tekup seed` reports.
#[derive(Debug, Serialize)]
pub struct SeedReport {}

impl Report for SeedReport {
    fn human(&self) -> String {
        String::new()
    }
}

/// Runs `tekup seed`.
pub async fn run(_ctx: &Ctx, _args: &SeedArgs) -> OpsResult<SeedReport> {
    Err(OpsError::Invalid("not implemented yet".to_owned()))
}
