//! `tekup import legacy` and `tekup verify` (issue 6; being written).

use clap::Args;
use serde::Serialize;

use crate::ops::{Ctx, OpsError, OpsResult, Report};

/// Arguments of `tekup import legacy`.
#[derive(Clone, Debug, Args)]
pub struct ImportArgs {}

/// Arguments of `tekup verify`.
#[derive(Clone, Debug, Args)]
pub struct VerifyArgs {}

/// What `tekup import legacy` and `tekup verify` report.
#[derive(Debug, Serialize)]
pub struct LegacyReport {}

impl Report for LegacyReport {
    fn human(&self) -> String {
        String::new()
    }
}

/// Runs `tekup import legacy`.
pub async fn import(_ctx: &Ctx, _args: &ImportArgs) -> OpsResult<LegacyReport> {
    Err(OpsError::Invalid("not implemented yet".to_owned()))
}

/// Runs `tekup verify`.
pub async fn verify(_ctx: &Ctx, _args: &VerifyArgs) -> OpsResult<LegacyReport> {
    Err(OpsError::Invalid("not implemented yet".to_owned()))
}
