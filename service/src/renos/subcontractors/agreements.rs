//! `renos.subcontractor_agreements`: contracts with a subcontractor, `pending → active`,
//! `pending | active → terminated`, and `active → expired` once past their end date.

use entity::renos::subcontractor_agreements::{self, SubcontractorAgreementStatus};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;

use crate::error::Result;
use crate::renos::transition::Status;
use crate::validate::{Problems, opt_text};

/// Largest hourly rate (`numeric(10,2)`).
pub const MAX_HOURLY_RATE_DKK: Decimal = Decimal::from_parts(99_999_999, 0, 0, false, 0);

/// Input of [`create_agreement`].
#[derive(Clone, Debug, Default)]
pub struct NewAgreement {
    pub subcontractor_id: Uuid,
    pub agreement_type: String,
    pub terms: String,
    pub signed_date: Option<Date>,
    /// Not before `signed_date`.
    pub expiration_date: Option<Date>,
    /// An http(s) URL.
    pub document_url: Option<String>,
    pub payment_terms: Option<String>,
    /// DKK per hour, 0..=99,999,999 with at most two decimals.
    pub hourly_rate_dkk: Option<Decimal>,
    /// The creating `shared.users` id, when known.
    pub created_by: Option<Uuid>,
    pub notes: Option<String>,
}

/// Creates a `pending` agreement. An unknown subcontractor is a validation error.
pub async fn create_agreement<C: ConnectionTrait>(
    db: &C,
    input: NewAgreement,
) -> Result<subcontractor_agreements::Model> {
    let mut f = Problems::new();
    if let (Some(s), Some(e)) = (input.signed_date, input.expiration_date) {
        f.check(e >= s, "expiration_date", "must not be before signed_date");
    }
    let rate = input
        .hourly_rate_dkk
        .map(|r| f.exact_amount("hourly_rate_dkk", r, MAX_HOURLY_RATE_DKK));
    let url = opt_text(input.document_url.as_deref()).map(|u| f.url("document_url", &u));
    let am = subcontractor_agreements::ActiveModel {
        subcontractor_id: Set(input.subcontractor_id),
        agreement_type: Set(f.text("agreement_type", &input.agreement_type)),
        terms: Set(f.text("terms", &input.terms)),
        signed_date: Set(input.signed_date),
        expiration_date: Set(input.expiration_date),
        status: Set(SubcontractorAgreementStatus::Pending),
        document_url: Set(url),
        payment_terms: Set(opt_text(input.payment_terms.as_deref())),
        hourly_rate_dkk: Set(rate),
        created_by: Set(input.created_by),
        notes: Set(opt_text(input.notes.as_deref())),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// The checked states of an agreement.
const STATUS: Status<subcontractor_agreements::Entity, SubcontractorAgreementStatus> = Status {
    entity: "agreement",
    id: subcontractor_agreements::Column::Id,
    status: subcontractor_agreements::Column::Status,
    of: |r| r.status,
};

/// `pending → active`; `signed_date` becomes `signed_on` (or stays as stored when `None`;
/// today's date in UTC when neither is known).
pub async fn activate_agreement<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    signed_on: Option<Date>,
) -> Result<subcontractor_agreements::Model> {
    let signed = match signed_on {
        Some(d) => Expr::value(d),
        None => Expr::cust("COALESCE(\"signed_date\", (now() AT TIME ZONE 'UTC')::date)"),
    };
    STATUS
        .transition(
            db,
            id,
            &[SubcontractorAgreementStatus::Pending],
            SubcontractorAgreementStatus::Active,
            vec![(subcontractor_agreements::Column::SignedDate, signed)],
        )
        .await
}

/// `pending | active → terminated`.
pub async fn terminate_agreement<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<subcontractor_agreements::Model> {
    STATUS
        .transition(
            db,
            id,
            &[
                SubcontractorAgreementStatus::Pending,
                SubcontractorAgreementStatus::Active,
            ],
            SubcontractorAgreementStatus::Terminated,
            Vec::new(),
        )
        .await
}

/// Marks `active` agreements whose expiration date is before `today` as `expired`; returns
/// how many changed.
pub async fn expire_agreements<C: ConnectionTrait>(db: &C, today: Date) -> Result<u64> {
    Ok(subcontractor_agreements::Entity::update_many()
        .col_expr(
            subcontractor_agreements::Column::Status,
            Expr::value(SubcontractorAgreementStatus::Expired),
        )
        .filter(subcontractor_agreements::Column::Status.eq(SubcontractorAgreementStatus::Active))
        .filter(subcontractor_agreements::Column::ExpirationDate.lt(today))
        .exec(db)
        .await?
        .rows_affected)
}

/// The subcontractor's agreements, newest first.
pub async fn list_agreements<C: ConnectionTrait>(
    db: &C,
    subcontractor_id: Uuid,
) -> Result<Vec<subcontractor_agreements::Model>> {
    Ok(subcontractor_agreements::Entity::find()
        .filter(subcontractor_agreements::Column::SubcontractorId.eq(subcontractor_id))
        .order_by_desc(subcontractor_agreements::Column::CreatedAt)
        .order_by_desc(subcontractor_agreements::Column::Id)
        .all(db)
        .await?)
}
