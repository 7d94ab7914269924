//! `vault`: documents, embeddings, sync status, semantic and hybrid search.
//!
//! Vault writes come from ingestion (GitHub sync, the embedding worker), not from a person,
//! so they are not written to the `shared` audit trail.

pub mod embed;
mod embedding_info;
mod embedding_vector;
mod find_documents;
mod hybrid_search;
mod input;
mod needs_embedding;
mod semantic_search;
mod set_embedding;
mod sync_status;
mod vector_scan;
mod write_documents;

pub use embedding_info::EmbeddingInfo;
pub use embedding_vector::{DIMENSIONS, EmbeddingVector};
pub use find_documents::{
    DocumentFilter, DocumentWithEmbedding, FIND_LIMIT_DEFAULT, FIND_LIMIT_MAX, find_documents,
    get_document,
};
pub use hybrid_search::{
    CANDIDATES_MIN, CANDIDATES_PER_HIT, HybridHit, HybridSearch, QUERY_TEXT_MAX_CHARS, RRF_K,
    hybrid_search, hybrid_search_statement,
};
pub use input::{
    REPOSITORY_MAX_CHARS, SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SHA_MAX_CHARS,
    SIMILARITY_THRESHOLD_DEFAULT,
};
pub use needs_embedding::{
    BACKLOG_LIMIT_DEFAULT, BACKLOG_LIMIT_MAX, BacklogCount, EMBEDDING_INPUT_CHARS,
    EmbeddingBacklog, EmbeddingDue, PendingEmbedding, count_documents_needing_embedding,
    documents_needing_embedding,
};
pub use semantic_search::{
    SemanticHit, SemanticSearch, semantic_search, semantic_search_statement,
};
pub use set_embedding::{MODEL_MAX_CHARS, NewEmbedding, set_embedding};
pub use sync_status::{SyncFilter, SyncUpdate, get_sync_status, update_sync_status};
pub use vector_scan::{EF_SEARCH_DEFAULT, EF_SEARCH_MAX, EF_SEARCH_MIN};
pub use write_documents::{NewDocument, create_document, upsert_document};
