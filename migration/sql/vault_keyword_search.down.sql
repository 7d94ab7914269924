-- Undoes `vault_keyword_search`.
DROP FUNCTION vault.keyword_candidates(text, text, text, jsonb, integer);
DROP FUNCTION access.session_bypasses_row_security();
ALTER TABLE vault.documents DROP COLUMN content_tsv;
