//! The vault search fields under `vault`: `semanticSearch` and `hybridSearch`, calling
//! `service::vault::{semantic_search, hybrid_search}` in the request's transaction (each
//! search runs in a savepoint of it).

use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, InputValue, Object, ResolverContext, TypeRef,
};
use serde_json::{Value as Json, json};
use service::vault::{HybridSearch, SemanticSearch, hybrid_search, semantic_search};

use super::errors::to_gql;
use super::{RequestDb, Services, fields, scalars};

/// The semantic search hit type.
pub const SEARCH_HIT: &str = "VaultSearchHit";
/// The hybrid search hit type.
pub const HYBRID_HIT: &str = "VaultHybridHit";
/// The schema whose query object holds the search fields.
pub const SCHEMA: &str = "vault";

/// Statements a search runs: the scan settings and the search itself.
const STATEMENTS_PER_SEARCH: usize = 2;

fn document_fields(o: Object) -> Object {
    o.field(fields::value(
        "id",
        TypeRef::named_nn(TypeRef::STRING),
        "id",
    ))
    .field(fields::value(
        "source",
        TypeRef::named_nn(TypeRef::STRING),
        "source",
    ))
    .field(fields::value(
        "repository",
        TypeRef::named_nn(TypeRef::STRING),
        "repository",
    ))
    .field(fields::value(
        "path",
        TypeRef::named_nn(TypeRef::STRING),
        "path",
    ))
    .field(fields::value(
        "content",
        TypeRef::named_nn(TypeRef::STRING),
        "content",
    ))
    .field(fields::value(
        "metadata",
        TypeRef::named_nn(scalars::JSON),
        "metadata",
    ))
    .field(fields::value("sha", TypeRef::named(TypeRef::STRING), "sha"))
}

/// The hit object types.
pub fn objects() -> Vec<Object> {
    vec![
        document_fields(Object::new(SEARCH_HIT).description("A semantic search hit.")).field(
            fields::value(
                "similarity",
                TypeRef::named_nn(TypeRef::FLOAT),
                "similarity",
            ),
        ),
        document_fields(Object::new(HYBRID_HIT).description("A hybrid search hit."))
            .field(fields::value(
                "keywordScore",
                TypeRef::named(TypeRef::FLOAT),
                "keywordScore",
            ))
            .field(fields::value(
                "vectorSimilarity",
                TypeRef::named(TypeRef::FLOAT),
                "vectorSimilarity",
            ))
            .field(fields::value(
                "score",
                TypeRef::named_nn(TypeRef::FLOAT),
                "score",
            )),
    ]
}

/// The search root fields of the `vault` query object.
pub fn fields() -> Vec<Field> {
    vec![semantic_field(), hybrid_field()]
}

struct Common {
    embedding: Vec<f64>,
    threshold: Option<f64>,
    limit: Option<u64>,
    source: Option<String>,
    repository: Option<String>,
    metadata: Option<Json>,
    ef_search: Option<u64>,
}

fn opt_string(ctx: &ResolverContext<'_>, name: &str) -> async_graphql::Result<Option<String>> {
    match ctx.args.get(name) {
        Some(v) if !v.is_null() => Ok(Some(v.string()?.to_owned())),
        _ => Ok(None),
    }
}

fn common(ctx: &ResolverContext<'_>) -> async_graphql::Result<Common> {
    let embedding = ctx
        .args
        .try_get("embedding")?
        .list()?
        .iter()
        .map(|v| v.f64())
        .collect::<async_graphql::Result<Vec<f64>>>()?;
    let threshold = match ctx.args.get("threshold") {
        Some(v) if !v.is_null() => Some(v.f64()?),
        _ => None,
    };
    // A negative limit becomes 0, which the service rejects as out of range.
    let limit = match ctx.args.get("limit") {
        Some(v) if !v.is_null() => Some(u64::try_from(v.i64()?).unwrap_or(0)),
        _ => None,
    };
    let metadata = match ctx.args.get("metadata") {
        Some(v) if !v.is_null() => Some(v.as_value().clone().into_json()?),
        _ => None,
    };
    // As for `limit`: a negative value becomes 0, which the service rejects.
    let ef_search = match ctx.args.get("efSearch") {
        Some(v) if !v.is_null() => Some(u64::try_from(v.i64()?).unwrap_or(0)),
        _ => ctx.data_opt::<Services>().and_then(|s| s.vault_ef_search),
    };
    Ok(Common {
        embedding,
        threshold,
        limit,
        source: opt_string(ctx, "source")?,
        repository: opt_string(ctx, "repository")?,
        metadata,
        ef_search,
    })
}

fn with_common_args(f: Field) -> Field {
    f.argument(InputValue::new(
        "embedding",
        TypeRef::named_nn_list_nn(TypeRef::FLOAT),
    ))
    .argument(InputValue::new("threshold", TypeRef::named(TypeRef::FLOAT)))
    .argument(InputValue::new("limit", TypeRef::named(TypeRef::INT)))
    .argument(InputValue::new("source", TypeRef::named(TypeRef::STRING)))
    .argument(InputValue::new(
        "repository",
        TypeRef::named(TypeRef::STRING),
    ))
    .argument(
        InputValue::new("metadata", TypeRef::named(scalars::JSON))
            .description("Only documents whose metadata contains this JSON object (`@>`)."),
    )
    .argument(
        InputValue::new("efSearch", TypeRef::named(TypeRef::INT)).description(
            "HNSW accuracy/speed knob (`hnsw.ef_search`, 40..=1000); default: the server's \
         `TEKUP_VAULT_EF_SEARCH` (100). The scan is widened to at least the number of \
         candidates.",
        ),
    )
}

fn request_db(ctx: &ResolverContext<'_>) -> async_graphql::Result<Arc<RequestDb>> {
    Ok(ctx.data::<Arc<RequestDb>>()?.clone())
}

fn hits(items: Vec<Json>) -> Option<FieldValue<'static>> {
    Some(FieldValue::list(
        items.into_iter().map(FieldValue::owned_any),
    ))
}

fn semantic_field() -> Field {
    let f = Field::new(
        "semanticSearch",
        TypeRef::named_nn_list_nn(SEARCH_HIT),
        |ctx| {
            FieldFuture::new(async move {
                let c = common(&ctx)?;
                let db = request_db(&ctx)?;
                let input = SemanticSearch {
                    embedding: c.embedding,
                    limit: c.limit,
                    threshold: c.threshold,
                    source: c.source,
                    repository: c.repository,
                    metadata: c.metadata,
                    ef_search: c.ef_search,
                };
                let res = semantic_search(&db.txn, input).await;
                db.statements
                    .fetch_add(STATEMENTS_PER_SEARCH, std::sync::atomic::Ordering::Relaxed);
                Ok(hits(
                    res.map_err(to_gql)?
                        .into_iter()
                        .map(|h| {
                            json!({
                                "id": h.id.to_string(),
                                "source": h.source,
                                "repository": h.repository,
                                "path": h.path,
                                "content": h.content,
                                "metadata": h.metadata,
                                "sha": h.sha,
                                "similarity": h.similarity,
                            })
                        })
                        .collect(),
                ))
            })
        },
    )
    .description(
        "Documents whose embedding is most similar to `embedding` (1536 numbers), nearest \
         first, with similarity strictly above `threshold` (default 0.7); `limit` 1..=100 \
         (default 10).",
    );
    with_common_args(f)
}

fn hybrid_field() -> Field {
    let f = Field::new(
        "hybridSearch",
        TypeRef::named_nn_list_nn(HYBRID_HIT),
        |ctx| {
            FieldFuture::new(async move {
                let text = ctx.args.try_get("text")?.string()?.to_owned();
                let c = common(&ctx)?;
                let db = request_db(&ctx)?;
                let input = HybridSearch {
                    text,
                    embedding: c.embedding,
                    limit: c.limit,
                    threshold: c.threshold,
                    source: c.source,
                    repository: c.repository,
                    metadata: c.metadata,
                    ef_search: c.ef_search,
                };
                let res = hybrid_search(&db.txn, input).await;
                db.statements
                    .fetch_add(STATEMENTS_PER_SEARCH, std::sync::atomic::Ordering::Relaxed);
                Ok(hits(
                    res.map_err(to_gql)?
                        .into_iter()
                        .map(|h| {
                            json!({
                                "id": h.id.to_string(),
                                "source": h.source,
                                "repository": h.repository,
                                "path": h.path,
                                "content": h.content,
                                "metadata": h.metadata,
                                "sha": h.sha,
                                "keywordScore": h.keyword_score,
                                "vectorSimilarity": h.vector_similarity,
                                "score": h.fused_score,
                            })
                        })
                        .collect(),
                ))
            })
        },
    )
    .description(
        "Documents ranked by reciprocal rank fusion of full-text (`text`, web-search syntax) \
         and vector (`embedding`) rankings; `threshold` (optional) bounds the vector \
         candidates' similarity; `limit` 1..=100 (default 10).",
    )
    .argument(InputValue::new("text", TypeRef::named_nn(TypeRef::STRING)));
    with_common_args(f)
}
