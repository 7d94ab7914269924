-- Undoes `access`: policies, row-level security, grants, the access schema. The
-- cluster-wide role `tekup_app` stays (other databases of the cluster may use it).
DROP POLICY tekup_audit_insert ON shared.audit_logs;
DO $$
DECLARE
    s text;
    t record;
BEGIN
    FOR t IN
        SELECT n.nspname AS schema_name, c.relname AS table_name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('vault', 'billy', 'renos', 'crm', 'flow', 'shared') AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS tekup_tenant ON %I.%I', t.schema_name, t.table_name);
        EXECUTE format('DROP POLICY IF EXISTS tekup_staff ON %I.%I', t.schema_name, t.table_name);
        EXECUTE format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY', t.schema_name, t.table_name);
    END LOOP;
    FOREACH s IN ARRAY ARRAY['vault', 'billy', 'renos', 'crm', 'flow', 'shared'] LOOP
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM tekup_app', s);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE USAGE, SELECT ON SEQUENCES FROM tekup_app', s);
        EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM tekup_app', s);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM tekup_app', s);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM tekup_app', s);
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM tekup_app', s);
    END LOOP;
END
$$;
REVOKE SELECT ON public.seaql_migrations FROM tekup_app;
DROP SCHEMA access CASCADE;
