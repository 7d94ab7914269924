//! The vault search benchmark (`scripts/bench-search`, docs/search-benchmark.md): a
//! deterministic clustered corpus ([`corpus`]), loaded with `COPY`, the HNSW index built and
//! measured, and the measurement of raw SQL against our GraphQL API ([`measure`]).

pub mod corpus;
pub mod measure;

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

use corpus::{COPY_HEADER, COPY_TRAILER, Clusters, push_document_line, push_embedding_tuple};

/// The HNSW index of the migrations (`vault.up.sql`), rebuilt after the load.
pub const HNSW_INDEX: &str = "embeddings_embedding_hnsw_idx";
const HNSW_DDL: &str = "CREATE INDEX embeddings_embedding_hnsw_idx ON vault.embeddings \
                        USING hnsw (embedding vector_cosine_ops)";

/// Errors of the benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("copy: {0}")]
    Copy(#[from] sqlx::Error),
    #[error("service: {0}")]
    Service(#[from] service::error::Error),
    #[error("http: {0}")]
    Http(String),
    #[error("{0}")]
    Other(String),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, BenchError>;

/// What the load did.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub documents: u64,
    pub load_time: Duration,
    pub index_build_time: Duration,
    pub index_bytes: i64,
    pub table_bytes: i64,
}

fn progress(msg: &str) {
    eprintln!("    {msg}");
}

/// Number of documents with an embedding.
pub async fn count(db: &DatabaseConnection) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM vault.embeddings",
        ))
        .await?
        .ok_or_else(|| BenchError::Other("count returned no row".into()))?;
    Ok(row.try_get::<i64>("", "n")?)
}

/// Empties the vault, loads `size` documents and embeddings with `COPY` (the HNSW index
/// dropped first), builds the HNSW index (timed) and runs `ANALYZE`.
pub async fn load(
    db: &DatabaseConnection,
    clusters: &Clusters,
    size: u64,
    maintenance_work_mem: &str,
) -> Result<Loaded> {
    let started = Instant::now();
    db.execute_unprepared(&format!(
        "TRUNCATE vault.embeddings, vault.documents CASCADE; \
         DROP INDEX IF EXISTS vault.{HNSW_INDEX}"
    ))
    .await?;
    let pool = db.get_postgres_connection_pool();
    let mut conn = pool.acquire().await?;
    const CHUNK: u64 = 5_000;
    let mut docs_copy = conn
        .copy_in_raw(
            "COPY vault.documents (id, source, repository, path, content, metadata) FROM STDIN",
        )
        .await?;
    let mut n = 0;
    while n < size {
        let hi = (n + CHUNK).min(size);
        let mut buf = String::new();
        for i in n..hi {
            push_document_line(&mut buf, &clusters.doc(i));
        }
        docs_copy.send(buf.into_bytes()).await?;
        n = hi;
    }
    docs_copy.finish().await?;
    progress(&format!(
        "documents: {size} rows ({:.1} s)",
        started.elapsed().as_secs_f64()
    ));
    let mut emb_copy = conn
        .copy_in_raw(
            "COPY vault.embeddings (id, document_id, embedding) FROM STDIN (FORMAT binary)",
        )
        .await?;
    let mut n = 0;
    let mut buf = COPY_HEADER.to_vec();
    while n < size {
        let hi = (n + CHUNK).min(size);
        for i in n..hi {
            push_embedding_tuple(&mut buf, i, &clusters.doc(i));
        }
        emb_copy.send(std::mem::take(&mut buf)).await?;
        n = hi;
        if n % 20_000 == 0 || n == size {
            progress(&format!(
                "embeddings: {n}/{size} ({:.1} s)",
                started.elapsed().as_secs_f64()
            ));
        }
    }
    emb_copy.send(COPY_TRAILER).await?;
    emb_copy.finish().await?;
    drop(conn);
    db.execute_unprepared("ANALYZE vault.documents, vault.embeddings")
        .await?;
    let load_time = started.elapsed();
    let (index_build_time, index_bytes) = build_index(db, maintenance_work_mem).await?;
    let table_bytes = scalar_i64(
        db,
        "SELECT pg_total_relation_size('vault.embeddings') - pg_indexes_size('vault.embeddings')",
    )
    .await?;
    Ok(Loaded {
        documents: size,
        load_time,
        index_build_time,
        index_bytes,
        table_bytes,
    })
}

/// Drops and builds the HNSW index; its build time and size.
pub async fn build_index(
    db: &DatabaseConnection,
    maintenance_work_mem: &str,
) -> Result<(Duration, i64)> {
    use sea_orm::TransactionTrait;
    db.execute_unprepared(&format!("DROP INDEX IF EXISTS vault.{HNSW_INDEX}"))
        .await?;
    progress(&format!(
        "building {HNSW_INDEX} (maintenance_work_mem {maintenance_work_mem})"
    ));
    let t = Instant::now();
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!(
        "SET LOCAL maintenance_work_mem = '{}'; {HNSW_DDL}",
        maintenance_work_mem.replace('\'', "")
    ))
    .await?;
    txn.commit().await?;
    let took = t.elapsed();
    db.execute_unprepared("ANALYZE vault.embeddings").await?;
    let bytes = scalar_i64(
        db,
        &format!("SELECT pg_relation_size('vault.{HNSW_INDEX}')"),
    )
    .await?;
    progress(&format!(
        "index built in {:.1} s, {:.0} MB",
        took.as_secs_f64(),
        bytes as f64 / 1e6
    ));
    Ok((took, bytes))
}

/// A single `bigint` value.
pub async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| BenchError::Other(format!("no row: {sql}")))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}
