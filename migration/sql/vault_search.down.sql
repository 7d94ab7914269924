DROP FUNCTION vault.match_documents(vector, double precision, integer, text, text);
