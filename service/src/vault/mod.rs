//! `vault`: documents, embeddings, sync status, semantic and hybrid search.
