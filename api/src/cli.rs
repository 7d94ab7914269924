//! The binary's subcommands besides serving: `api token` and `api key create|revoke`.

use crate::auth::{api_keys, jwt};
use crate::config::{KeyCommand, TokenArgs};

/// A signed token for the arguments.
pub fn token(args: &TokenArgs) -> Result<String, String> {
    let now = jwt::now_secs();
    let claims = jwt::Claims {
        sub: args.subject.clone(),
        role: args.role.as_str().to_owned(),
        exp: now.saturating_add(args.ttl_secs),
        iat: Some(now),
        billy_org: args.billy_org,
        renos_org: args.renos_org.as_ref().map(|r| r.as_str().to_owned()),
    };
    // Refuse what the server would refuse (a user without a tenant, ...).
    jwt::principal_of(claims.clone()).map_err(|e| e.to_string())?;
    jwt::JwtKeys::new(args.jwt_secret.as_bytes())
        .sign(&claims)
        .map_err(|e| e.to_string())
}

/// Runs `api key ...`; what to print.
pub async fn key(cmd: &KeyCommand) -> Result<String, String> {
    let url = match cmd {
        KeyCommand::Create(a) => &a.database_url,
        KeyCommand::Revoke(a) => &a.database_url,
    };
    let db = sea_orm::Database::connect(url.as_str())
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let out = match cmd {
        KeyCommand::Create(a) => {
            if a.role == crate::auth::Role::User && a.billy_org.is_none() && a.renos_org.is_none() {
                return Err("a user key needs --billy-org or --renos-org".to_owned());
            }
            api_keys::create(&db, &a.name, a.role, a.billy_org, a.renos_org.as_ref())
                .await
                .map_err(|e| format!("cannot store the key: {e}"))?
        }
        KeyCommand::Revoke(a) => {
            let n = api_keys::revoke(&db, &a.name)
                .await
                .map_err(|e| format!("cannot revoke: {e}"))?;
            format!("revoked {n} key(s) named {:?}", a.name)
        }
    };
    let _ = db.close().await;
    Ok(out)
}
