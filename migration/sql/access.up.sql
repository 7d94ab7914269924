-- Access control for the API (DECISION D19).
--
-- * `tekup_app`: the NOLOGIN group role the API's login role is a member of
--   (scripts/db: `GRANT tekup_app TO tekup_api`). It may read and write the app schemas'
--   rows, but it is neither superuser nor table owner, so row-level security binds it.
-- * `access.api_keys`: API keys as SHA-256 hashes; the API reads them only through the
--   security-definer function `access.api_key_principal(hash)`.
-- * Row-level security on every table of the six schemas. The request's role and tenant
--   come from settings the API sets with SET LOCAL semantics in each request's
--   transaction: `tekup.role`, `tekup.billy_organization_id`, `tekup.renos_organization_id`.
--   `service` and `admin` see every row; `user` sees the rows of its tenant in the
--   tenant-scoped tables and nothing elsewhere. With no role set, nothing is visible.
--   The settings are read in sub-selects, `(SELECT access.is_staff())`: evaluated once per
--   statement (an InitPlan) instead of per row, so the planner keeps choosing the indexes
--   it would choose without the policy (measured: a top-50 by score read 496 rows with the
--   per-row form, 51 with this one).

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tekup_app') THEN
        CREATE ROLE tekup_app NOLOGIN;
    END IF;
END
$$;

CREATE SCHEMA access;
COMMENT ON SCHEMA access IS 'API access control: API keys (hashed) and the row-level security helpers';

CREATE TABLE access.api_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    key_hash text NOT NULL,
    key_prefix text NOT NULL,
    role text NOT NULL,
    billy_organization_id uuid REFERENCES billy.organizations (id) ON DELETE CASCADE ON UPDATE CASCADE,
    renos_organization_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_key_hash_check CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT api_keys_role_check CHECK (role IN ('service', 'admin', 'user')),
    CONSTRAINT api_keys_user_tenant_check CHECK (
        role <> 'user' OR billy_organization_id IS NOT NULL OR renos_organization_id IS NOT NULL)
);
CREATE INDEX api_keys_billy_organization_id_idx ON access.api_keys (billy_organization_id);
COMMENT ON TABLE access.api_keys IS 'API keys: only the SHA-256 of each key is stored';

CREATE FUNCTION access.api_key_principal(hash text)
RETURNS TABLE (name text, role text, billy_organization_id uuid, renos_organization_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, access AS $$
    SELECT k.name, k.role, k.billy_organization_id, k.renos_organization_id
    FROM access.api_keys k
    WHERE k.key_hash = hash AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > now())
$$;

CREATE FUNCTION access.is_staff() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('tekup.role', true), '') IN ('service', 'admin')
$$;

CREATE FUNCTION access.has_role() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('tekup.role', true), '') IN ('service', 'admin', 'user')
$$;

CREATE FUNCTION access.billy_organization_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('tekup.billy_organization_id', true), '')::uuid
$$;

CREATE FUNCTION access.renos_organization_id() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('tekup.renos_organization_id', true), '')
$$;

REVOKE ALL ON FUNCTION access.api_key_principal(text) FROM PUBLIC;
GRANT USAGE ON SCHEMA access TO tekup_app;
GRANT EXECUTE ON FUNCTION access.api_key_principal(text) TO tekup_app;
GRANT SELECT ON public.seaql_migrations TO tekup_app;

-- Grants and policies on every table of the six schemas.
DO $$
DECLARE
    s text;
    t record;
    tenant record;
BEGIN
    FOREACH s IN ARRAY ARRAY['vault', 'billy', 'renos', 'crm', 'flow', 'shared'] LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO tekup_app', s);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO tekup_app', s);
        EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO tekup_app', s);
        EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO tekup_app', s);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tekup_app', s);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO tekup_app', s);
    END LOOP;
    FOR t IN
        SELECT n.nspname AS schema_name, c.relname AS table_name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('vault', 'billy', 'renos', 'crm', 'flow', 'shared') AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', t.schema_name, t.table_name);
        SELECT * INTO tenant FROM (VALUES
            ('billy', 'organizations', 'id', 'billy'),
            ('billy', 'users', 'organization_id', 'billy'),
            ('billy', 'cached_invoices', 'organization_id', 'billy'),
            ('billy', 'cached_customers', 'organization_id', 'billy'),
            ('billy', 'cached_products', 'organization_id', 'billy'),
            ('billy', 'audit_logs', 'organization_id', 'billy'),
            ('billy', 'usage_metrics', 'organization_id', 'billy'),
            ('billy', 'rate_limits', 'organization_id', 'billy'),
            ('renos', 'invoices', 'billy_organization_id', 'billy'),
            ('shared', 'party_links', 'billy_organization_id', 'billy'),
            ('renos', 'chat_sessions', 'organization_id', 'renos'),
            ('renos', 'notifications', 'organization_id', 'renos'),
            ('renos', 'audit_logs', 'organization_id', 'renos'),
            ('renos', 'security_events', 'organization_id', 'renos')
        ) AS v(schema_name, table_name, column_name, kind)
        WHERE v.schema_name = t.schema_name AND v.table_name = t.table_name;
        IF FOUND THEN
            EXECUTE format(
                'CREATE POLICY tekup_tenant ON %I.%I TO tekup_app USING ((SELECT access.is_staff()) OR %I = (SELECT access.%s_organization_id())) WITH CHECK ((SELECT access.is_staff()) OR %I = (SELECT access.%s_organization_id()))',
                t.schema_name, t.table_name, tenant.column_name, tenant.kind, tenant.column_name, tenant.kind);
        ELSE
            EXECUTE format(
                'CREATE POLICY tekup_staff ON %I.%I TO tekup_app USING ((SELECT access.is_staff())) WITH CHECK ((SELECT access.is_staff()))',
                t.schema_name, t.table_name);
        END IF;
    END LOOP;
END
$$;

-- Actions of tenant users are audited too: any authenticated role may add to the
-- cross-app audit trail (reading it stays staff-only).
CREATE POLICY tekup_audit_insert ON shared.audit_logs FOR INSERT TO tekup_app WITH CHECK ((SELECT access.has_role()));
