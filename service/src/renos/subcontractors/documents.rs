//! `renos.subcontractor_documents`: insurance, licences, contracts and their validity.

use entity::renos::subcontractor_documents::{
    self, SubcontractorDocumentStatus, SubcontractorDocumentType,
};
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;

use crate::error::{Error, Result};
use crate::validate::Problems;

/// Input of [`add_document`].
#[derive(Clone, Debug)]
pub struct NewSubcontractorDocument {
    pub subcontractor_id: Uuid,
    pub document_type: SubcontractorDocumentType,
    pub document_name: String,
    /// An http(s) URL of the stored file.
    pub storage_url: String,
    pub expiration_date: Option<Date>,
    /// Defaults to `pending` (awaiting review).
    pub status: Option<SubcontractorDocumentStatus>,
}

/// Stores a document. An unknown subcontractor is a validation error.
pub async fn add_document<C: ConnectionTrait>(
    db: &C,
    input: NewSubcontractorDocument,
) -> Result<subcontractor_documents::Model> {
    let mut f = Problems::new();
    let am = subcontractor_documents::ActiveModel {
        subcontractor_id: Set(input.subcontractor_id),
        document_type: Set(input.document_type),
        document_name: Set(f.text("document_name", &input.document_name)),
        storage_url: Set(f.url("storage_url", &input.storage_url)),
        expiration_date: Set(input.expiration_date),
        status: Set(input.status.unwrap_or(SubcontractorDocumentStatus::Pending)),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// Sets a document's status (e.g. after review).
pub async fn set_document_status<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    status: SubcontractorDocumentStatus,
) -> Result<subcontractor_documents::Model> {
    subcontractor_documents::Entity::update_many()
        .col_expr(subcontractor_documents::Column::Status, Expr::value(status))
        .filter(subcontractor_documents::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("subcontractor document"))
}

/// Marks `valid` documents whose expiration date is before `today` as `expired`; returns
/// how many changed.
pub async fn expire_documents<C: ConnectionTrait>(db: &C, today: Date) -> Result<u64> {
    Ok(subcontractor_documents::Entity::update_many()
        .col_expr(
            subcontractor_documents::Column::Status,
            Expr::value(SubcontractorDocumentStatus::Expired),
        )
        .filter(subcontractor_documents::Column::Status.eq(SubcontractorDocumentStatus::Valid))
        .filter(subcontractor_documents::Column::ExpirationDate.lt(today))
        .exec(db)
        .await?
        .rows_affected)
}

/// The subcontractor's documents, newest upload first.
pub async fn list_documents<C: ConnectionTrait>(
    db: &C,
    subcontractor_id: Uuid,
) -> Result<Vec<subcontractor_documents::Model>> {
    Ok(subcontractor_documents::Entity::find()
        .filter(subcontractor_documents::Column::SubcontractorId.eq(subcontractor_id))
        .order_by_desc(subcontractor_documents::Column::UploadedAt)
        .order_by_desc(subcontractor_documents::Column::Id)
        .all(db)
        .await?)
}
