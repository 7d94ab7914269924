-- Keyword candidates of hybrid search on the full-text GIN index, also under row-level
-- security (DECISION D20).
--
-- Row-level security keeps a query's own conditions from running before the policy's
-- unless they are leakproof, and the full-text match `@@` is not: as the API role
-- (`tekup_app`) PostgreSQL cannot use `documents_content_fts_idx`, and reads every row of
-- `vault.documents` instead (measured at 100k documents: 1.5 hybrid searches/s through
-- the API against 295/s as the owner). Marking `@@` leakproof needs a superuser, so the
-- keyword list is read by this function, which runs as the table owner (no row-level
-- security, so the index is used) and applies the vault policy itself: rows are returned
-- when the request is staff (`access.is_staff()`, the `tekup_staff` policy of the vault
-- tables) or when the caller is not bound by the policies at all (the owner, a superuser
-- or a BYPASSRLS role, who read the table directly anyway). The condition must follow the
-- vault tables' policy (migration `access`: staff only); tests/tests/service_vault.rs
-- calls the function directly per role.

-- The ranking reads the document's words from a stored column instead of parsing the
-- content again for every match (`ts_rank_cd` needs the positions, which the GIN index
-- does not hold): measured at 100k documents, a one-word query matching 4,000 documents
-- took 55 ms with `to_tsvector(content)` per match and 7 ms with the column, a two-word
-- query matching 86 documents 1.7 ms and 0.5 ms. Derived data, not part of the data model:
-- no entity field, no GraphQL field, left out of content checksums; matching still uses
-- the expression index `documents_content_fts_idx`, which equals this column.
ALTER TABLE vault.documents
    ADD COLUMN content_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, content)) STORED;
COMMENT ON COLUMN vault.documents.content_tsv IS
    'to_tsvector(''simple'', content), stored for ranking keyword matches (derived; not in the data model)';

CREATE FUNCTION vault.keyword_candidates(
    search_text text,
    only_source text,
    only_repository text,
    metadata_filter jsonb,
    max_rows integer
) RETURNS TABLE (id uuid, score double precision)
LANGUAGE sql STABLE SECURITY DEFINER ROWS 40 SET search_path = pg_catalog, pg_temp AS $$
    SELECT d.id, ts_rank_cd(d.content_tsv, q.tsq)::float8 AS score
    FROM vault.documents d, websearch_to_tsquery('simple'::regconfig, search_text) AS q(tsq)
    WHERE to_tsvector('simple'::regconfig, d.content) @@ q.tsq
      AND (only_source IS NULL OR d.source = only_source)
      AND (only_repository IS NULL OR d.repository = only_repository)
      AND (metadata_filter IS NULL OR d.metadata @> metadata_filter)
      AND ((SELECT access.is_staff()) OR (
          -- the calling role (of `SET ROLE` when one is set, as a pooler's authenticator
          -- role does, else the login role) is not bound by the tekup_app policies
          SELECT r.rolsuper OR r.rolbypassrls OR NOT pg_has_role(r.oid, 'tekup_app', 'USAGE')
          FROM pg_roles r
          WHERE r.rolname = CASE current_setting('role')
                                WHEN 'none' THEN session_user::text
                                ELSE current_setting('role')
                            END))
    ORDER BY score DESC, d.id
    LIMIT least(greatest(coalesce(max_rows, 0), 0), 1000)
$$;
COMMENT ON FUNCTION vault.keyword_candidates(text, text, text, jsonb, integer) IS
    'Top max_rows documents matching websearch_to_tsquery(''simple'', search_text), by ts_rank_cd, with the optional source/repository/metadata filter; staff only under row-level security';

-- Owned by the owner of the table it reads (not by whoever ran the migration, which might be
-- a superuser): it bypasses row-level security as that owner does, and no more.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION vault.keyword_candidates(text, text, text, jsonb, integer) OWNER TO %I',
                   (SELECT tableowner FROM pg_tables WHERE schemaname = 'vault' AND tablename = 'documents'));
END
$$;

REVOKE ALL ON FUNCTION vault.keyword_candidates(text, text, text, jsonb, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vault.keyword_candidates(text, text, text, jsonb, integer) TO tekup_app;
