//! Who a request acts as: a role and, for `user`, the tenant it is confined to.

use uuid::Uuid;

use super::RenosOrgId;

/// The roles of the API (DECISION D19).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Backend services: everything, including Billy key management.
    Service,
    /// Operators: read and write every table and run the business operations, but never
    /// handle Billy API keys (create with a key, replace, rotate).
    Admin,
    /// An end user of one tenant: reads what row-level security lets its tenant see and
    /// writes only tenant-scoped tables and tenant operations.
    User,
    /// No credentials: health endpoints only.
    Anonymous,
}

impl Role {
    /// The role's name in tokens, keys and the database setting `tekup.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Admin => "admin",
            Self::User => "user",
            Self::Anonymous => "anonymous",
        }
    }

    /// Parses a role name (`service`, `admin`, `user`, `anonymous`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "service" => Some(Self::Service),
            "admin" => Some(Self::Admin),
            "user" => Some(Self::User),
            "anonymous" => Some(Self::Anonymous),
            _ => None,
        }
    }
}

/// The authenticated caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    /// Token subject or API key name, for logs and audit.
    pub subject: String,
    /// The Billy organisation a `user` is confined to.
    pub billy_organization_id: Option<Uuid>,
    /// The RenOS organisation a `user` is confined to.
    pub renos_organization_id: Option<RenosOrgId>,
}

impl Principal {
    /// The caller without credentials.
    pub fn anonymous() -> Self {
        Self {
            role: Role::Anonymous,
            subject: String::new(),
            billy_organization_id: None,
            renos_organization_id: None,
        }
    }

    /// A principal of `role` with no tenant (service and admin callers).
    pub fn staff(role: Role, subject: impl Into<String>) -> Self {
        Self {
            role,
            subject: subject.into(),
            billy_organization_id: None,
            renos_organization_id: None,
        }
    }
}
