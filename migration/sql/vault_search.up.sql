-- vault.match_documents: service-api.md §1. Cosine similarity = 1 - (embedding <=> query),
-- strict threshold, optional source/repository filters (NULL = no filter), nearest first.
-- The nearest `match_count` rows are taken first (ANN index order), then the threshold is
-- applied: the rows above a similarity threshold are a prefix of that order, so this returns
-- the same rows as filtering first, without scanning past the k nearest.
CREATE FUNCTION vault.match_documents(
    query_embedding vector(1536),
    match_threshold double precision DEFAULT 0.7,
    match_count integer DEFAULT 10,
    filter_source text DEFAULT NULL,
    filter_repository text DEFAULT NULL
)
RETURNS TABLE (
    id uuid,
    source text,
    repository character varying(255),
    path text,
    content text,
    metadata jsonb,
    sha character varying(255),
    similarity double precision
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT n.id, n.source, n.repository, n.path, n.content, n.metadata, n.sha, 1 - n.distance
    FROM (
        SELECT d.id, d.source, d.repository, d.path, d.content, d.metadata, d.sha,
               e.embedding <=> query_embedding AS distance
        FROM vault.embeddings e
        JOIN vault.documents d ON d.id = e.document_id
        WHERE (filter_source IS NULL OR d.source = filter_source)
          AND (filter_repository IS NULL OR d.repository = filter_repository)
        ORDER BY e.embedding <=> query_embedding
        LIMIT greatest(match_count, 0)
    ) n
    WHERE 1 - n.distance > match_threshold
    ORDER BY n.distance, n.id
$$;

COMMENT ON FUNCTION vault.match_documents(vector, double precision, integer, text, text) IS
    'Semantic search: documents whose embedding has cosine similarity > match_threshold, nearest first.';
