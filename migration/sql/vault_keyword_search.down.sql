-- Undoes `vault_keyword_search`.
DROP FUNCTION vault.keyword_candidates(text, text, text, jsonb, integer);
ALTER TABLE vault.documents DROP COLUMN content_tsv;
