//! `vault { saveDocument setEmbedding }`: the document upsert by its natural key
//! (`source`, `repository`, `path`) and storing a document's embedding, through
//! `service::vault::{upsert_document, set_embedding}`. (The generic `upsertDocument`
//! writes columns as given; `saveDocument` is the service's rules: trimmed keys, omitted
//! metadata/sha kept.)

use async_graphql::dynamic::{Field, FieldFuture, InputObject, InputValue, Type, TypeRef};
use serde_json::{Value as Json, json};
use service::vault::{NewDocument, NewEmbedding, set_embedding, upsert_document};

use super::{arg, authorize, finish, opt_string, row_out, savepoint, string, uuid_arg};
use crate::graphql::guard::Action;
use crate::graphql::scalars;

const DOCUMENTS: &str = "vault.documents";
const EMBEDDINGS: &str = "vault.embeddings";
const INPUT: &str = "VaultSaveDocumentInput";

pub fn types() -> Vec<Type> {
    vec![
        InputObject::new(INPUT)
            .description(
                "A document by its natural key (source, repository, path). `metadata` (a JSON \
                 object) and `sha` left out keep the stored values of an existing document.",
            )
            .field(InputValue::new(
                "source",
                TypeRef::named_nn(TypeRef::STRING),
            ))
            .field(InputValue::new(
                "repository",
                TypeRef::named_nn(TypeRef::STRING),
            ))
            .field(InputValue::new("path", TypeRef::named_nn(TypeRef::STRING)))
            .field(InputValue::new(
                "content",
                TypeRef::named_nn(TypeRef::STRING),
            ))
            .field(InputValue::new("metadata", TypeRef::named(scalars::JSON)))
            .field(InputValue::new("sha", TypeRef::named(TypeRef::STRING)))
            .into(),
    ]
}

pub fn fields() -> Vec<Field> {
    vec![save_document(), embedding()]
}

fn save_document() -> Field {
    Field::new("saveDocument", TypeRef::named_nn("VaultDocument"), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let v = arg(&ctx, "input")?.as_value().clone().into_json()?;
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            let input = NewDocument {
                source: text("source"),
                repository: text("repository"),
                path: text("path"),
                content: text("content"),
                metadata: match &v["metadata"] {
                    Json::Null => None,
                    m => Some(m.clone()),
                },
                sha: v["sha"].as_str().map(str::to_owned),
            };
            let sp = savepoint(&db).await?;
            let res = upsert_document(&sp, input).await;
            let doc = finish(sp, res, Some("input")).await?;
            row_out(&ctx, &db, DOCUMENTS, json!(doc.id)).await
        })
    })
    .description(
        "Inserts a document or updates content (and metadata/sha when given) of the one \
         with the same source, repository and path.",
    )
    .argument(InputValue::new("input", TypeRef::named_nn(INPUT)))
}

fn embedding() -> Field {
    Field::new("setEmbedding", TypeRef::named_nn("VaultEmbedding"), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let input = NewEmbedding {
                document_id: uuid_arg(&ctx, "documentId")?,
                embedding: arg(&ctx, "embedding")?
                    .list()?
                    .iter()
                    .map(|v| v.f64())
                    .collect::<async_graphql::Result<Vec<f64>>>()?,
                model: string(&ctx, "model")?,
                expected_content_hash: opt_string(&ctx, "expectedContentHash")?,
            };
            let sp = savepoint(&db).await?;
            let res = set_embedding(&sp, input).await;
            let info = finish(sp, res, None).await?;
            row_out(&ctx, &db, EMBEDDINGS, json!(info.id)).await
        })
    })
    .description(
        "Stores (or replaces) the document's embedding: exactly 1536 finite numbers, not \
         all zero (VALIDATION otherwise, nothing written), with the model and the hash of \
         the document's current content. With `expectedContentHash`, a document whose \
         content changed since is a CONFLICT.",
    )
    .argument(InputValue::new(
        "documentId",
        TypeRef::named_nn(TypeRef::STRING),
    ))
    .argument(InputValue::new(
        "embedding",
        TypeRef::named_nn_list_nn(TypeRef::FLOAT),
    ))
    .argument(InputValue::new("model", TypeRef::named_nn(TypeRef::STRING)))
    .argument(InputValue::new(
        "expectedContentHash",
        TypeRef::named(TypeRef::STRING),
    ))
}
