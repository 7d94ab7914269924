-- A legacy source database with every layout of legacy-layouts.md (trimmed to the
-- columns the tests need), rows covering each conversion rule, and bad rows.
-- Keys of bad rows contain "bad" so the tests can name them.
CREATE EXTENSION IF NOT EXISTS vector;

-- §3 TekupVault -------------------------------------------------------------------------
CREATE TYPE source_type AS ENUM ('github', 'supabase', 'render', 'copilot', 'local');
CREATE TYPE sync_status AS ENUM ('pending', 'in_progress', 'success', 'error');
CREATE TABLE vault_documents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source source_type NOT NULL,
    repository varchar(255) NOT NULL,
    path text NOT NULL,
    content text NOT NULL,
    metadata jsonb DEFAULT '{}',
    sha varchar(255),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    UNIQUE (source, repository, path)
);
-- Untyped `vector` so that a malformed (wrong-dimension) value can exist.
CREATE TABLE vault_embeddings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id uuid NOT NULL UNIQUE REFERENCES vault_documents (id) ON DELETE CASCADE,
    embedding vector NOT NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE TABLE vault_sync_status (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source source_type NOT NULL,
    repository varchar(255) NOT NULL,
    status sync_status NOT NULL DEFAULT 'pending',
    last_sync_at timestamptz,
    error_message text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    UNIQUE (source, repository)
);
INSERT INTO vault_documents (id, source, repository, path, content, metadata, sha, created_at, updated_at) VALUES
  ('d0000000-0000-4000-8000-000000000001', 'github', 'tekup-vault', 'README.md', 'hello vault',
   '{"lang": "md"}', 'abc123', '2025-01-01 10:00:00+00', '2025-01-02 11:30:00.123456+00'),
  -- 'local' (not in the canonical comment, written by the local sync); NULL metadata and
  -- timestamps → '{}' / now().
  ('d0000000-0000-4000-8000-000000000002', 'local', 'tekup-workspace', 'notes/a.txt', 'local file',
   NULL, NULL, NULL, NULL),
  -- updated_at NULL → created_at.
  ('d0000000-0000-4000-8000-000000000003', 'copilot', 'tekup-vault', 'docs/c.md', 'copilot doc',
   '{}', NULL, '2025-02-03 04:05:06+00', NULL);
-- 40 plain documents for the batching and resume tests.
INSERT INTO vault_documents (id, source, repository, path, content, created_at, updated_at)
SELECT ('d1000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'github', 'bulk', 'f' || i || '.md',
       'content ' || i, '2025-03-01 00:00:00+00'::timestamptz + i * interval '1 hour',
       '2025-03-02 00:00:00+00'::timestamptz + i * interval '1 hour'
FROM generate_series(1, 40) i;
INSERT INTO vault_embeddings (id, document_id, embedding, created_at, updated_at) VALUES
  ('e0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001',
   (SELECT array_agg((i % 10)::real / 10 ORDER BY i)::vector FROM generate_series(1, 1536) i),
   '2025-01-01 10:00:00+00', '2025-01-01 10:00:00+00'),
  -- malformed: 3 dimensions where the canonical column is vector(1536).
  ('e0000000-0000-4000-8000-0000000bad01', 'd0000000-0000-4000-8000-000000000002',
   '[1,2,3]', '2025-01-01 10:00:00+00', '2025-01-01 10:00:00+00');
INSERT INTO vault_sync_status (id, source, repository, status, last_sync_at, error_message, created_at, updated_at) VALUES
  ('50000000-0000-4000-8000-000000000001', 'github', 'tekup-vault', 'success', '2025-01-05 00:00:00+00', NULL,
   '2025-01-01 00:00:00+00', '2025-01-05 00:00:00+00'),
  ('50000000-0000-4000-8000-000000000002', 'local', 'tekup-workspace', 'error', NULL, 'disk full',
   '2025-01-01 00:00:00+00', NULL);

-- §4 Tekup-Billy v1.0 -------------------------------------------------------------------
CREATE TABLE billy_organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    billy_api_key text NOT NULL,
    billy_organization_id text UNIQUE NOT NULL,
    created_at timestamp DEFAULT now(),
    updated_at timestamp DEFAULT now(),
    settings jsonb DEFAULT '{}',
    is_active boolean DEFAULT true,
    api_key_rotated_at timestamp
);
CREATE TABLE billy_users (
    id uuid PRIMARY KEY,
    email text UNIQUE NOT NULL,
    organization_id uuid REFERENCES billy_organizations (id) ON DELETE CASCADE,
    role text DEFAULT 'user' CHECK (role IN ('admin', 'user', 'readonly')),
    created_at timestamp DEFAULT now(),
    last_login_at timestamp,
    is_active boolean DEFAULT true,
    metadata jsonb DEFAULT '{}'
);
CREATE TABLE billy_cached_invoices (
    id uuid PRIMARY KEY,
    organization_id uuid REFERENCES billy_organizations (id) ON DELETE CASCADE,
    billy_id text NOT NULL,
    data jsonb NOT NULL,
    cached_at timestamp DEFAULT now(),
    expires_at timestamp NOT NULL,
    ttl_minutes integer DEFAULT 5,
    access_count integer DEFAULT 0,
    UNIQUE (organization_id, billy_id)
);
CREATE TABLE billy_audit_logs (
    id uuid PRIMARY KEY,
    organization_id uuid REFERENCES billy_organizations (id) ON DELETE SET NULL,
    user_id uuid REFERENCES billy_users (id) ON DELETE SET NULL,
    tool_name text NOT NULL,
    action text NOT NULL,
    resource_type text,
    resource_id text,
    input_params jsonb,
    output_data jsonb,
    success boolean NOT NULL,
    error_message text,
    duration_ms integer,
    ip_address inet,
    user_agent text,
    created_at timestamp DEFAULT now()
);
CREATE TABLE billy_usage_metrics (
    id uuid PRIMARY KEY,
    organization_id uuid REFERENCES billy_organizations (id) ON DELETE CASCADE,
    date date NOT NULL,
    hour integer CHECK (hour >= 0 AND hour <= 23),
    tool_name text NOT NULL,
    call_count integer DEFAULT 0,
    success_count integer DEFAULT 0,
    error_count integer DEFAULT 0,
    avg_duration_ms integer,
    cache_hit_rate numeric(5, 2),
    created_at timestamp DEFAULT now()
);
CREATE TABLE billy_rate_limits (
    id uuid PRIMARY KEY, organization_id uuid, endpoint text, window_start timestamp,
    request_count integer, created_at timestamp
);
-- Ciphertexts made by Tekup-Billy's Node code (see tests/tests/service_billy_crypto.rs).
INSERT INTO billy_organizations VALUES
  ('0a000000-0000-4000-8000-000000000001', 'Rendetalje ApS',
   '78c02cbee2423cb588fba523f59736f2:674a4314de2b18d4be29a46cb5376ab7:2b46cf44ae3777a5118ee374f320778cee85e11021c451d2522e92b4c3c1',
   'billy-org-1', '2025-03-01 12:00:00', '2025-03-02 13:00:00', NULL, NULL, NULL),
  -- inactive organisation: its key is re-encrypted too.
  ('0a000000-0000-4000-8000-000000000002', 'Gammel ApS',
   'ccc7380c8b3a738599850d2d7f75894a:e35a7794963ff572eeae69b894cf3f93:9c95f42748d5d9d2a02c100316',
   'billy-org-2', '2025-03-01 12:00:00', NULL, '{"lang": "da"}', false, '2025-03-01 12:00:00'),
  -- not a ciphertext at all.
  ('0a000000-0000-4000-8000-0000000bad01', 'Placeholder ApS', 'changeme', 'billy-org-bad1',
   '2025-03-01 12:00:00', '2025-03-01 12:00:00', '{}', true, NULL),
  -- legacy format, but tampered (last hex digit changed): authentication fails.
  ('0a000000-0000-4000-8000-0000000bad02', 'Tampered ApS',
   '78c02cbee2423cb588fba523f59736f2:674a4314de2b18d4be29a46cb5376ab7:2b46cf44ae3777a5118ee374f320778cee85e11021c451d2522e92b4c3c0',
   'billy-org-bad2', '2025-03-01 12:00:00', '2025-03-01 12:00:00', '{}', true, NULL);
INSERT INTO billy_users (id, email, organization_id, role, created_at, last_login_at, is_active, metadata) VALUES
  ('0b000000-0000-4000-8000-000000000001', 'ann@rendetalje.dk', '0a000000-0000-4000-8000-000000000001',
   NULL, '2025-03-01 12:30:00', '2025-04-01 08:00:00.5', NULL, NULL),
  ('0b000000-0000-4000-8000-000000000002', 'bo@rendetalje.dk', '0a000000-0000-4000-8000-000000000001',
   'admin', '2025-03-01 12:31:00', NULL, true, '{"x": 1}'),
  -- its organisation is skipped (bad key): refused by the target's foreign key.
  ('0b000000-0000-4000-8000-0000000bad01', 'cy@placeholder.dk', '0a000000-0000-4000-8000-0000000bad01',
   'user', '2025-03-01 12:32:00', NULL, true, '{}');
INSERT INTO billy_cached_invoices (id, organization_id, billy_id, data, cached_at, expires_at) VALUES
  ('0c000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000001', 'inv-1',
   '{"amount": 1250.5}', '2025-03-05 10:00:00', '2025-03-05 10:05:00');
INSERT INTO billy_audit_logs (id, organization_id, user_id, tool_name, action, success, duration_ms, ip_address, user_agent, created_at) VALUES
  ('0d000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000001',
   '0b000000-0000-4000-8000-000000000001', 'list_invoices', 'read', true, 42, '10.1.2.3', 'mcp/1.0',
   '2025-03-05 10:00:00'),
  -- unknown action value (canonical CHECK read/create/update/delete).
  ('0d000000-0000-4000-8000-0000000bad01', NULL, NULL, 'list_invoices', 'list', true, 1, NULL, NULL,
   '2025-03-05 10:00:01');
INSERT INTO billy_usage_metrics (id, organization_id, date, hour, tool_name, call_count, success_count, error_count, avg_duration_ms, cache_hit_rate, created_at) VALUES
  ('0e000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000001', '2025-03-05', 10,
   'list_invoices', 3, 2, 1, 40, 66.67, '2025-03-05 11:00:00'),
  -- NULL hour: the canonical column is NOT NULL; skipped, not defaulted.
  ('0e000000-0000-4000-8000-0000000bad01', '0a000000-0000-4000-8000-000000000001', '2025-03-05', NULL,
   'list_invoices', 1, 1, 0, 10, NULL, '2025-03-05 11:00:00');
INSERT INTO billy_rate_limits VALUES (gen_random_uuid(), NULL, '/x', now()::timestamp, 1, now()::timestamp);

-- §5 RenOS Prisma tables (camelCase, timestamp(3)) ------------------------------------------
CREATE TABLE customers (
    id text PRIMARY KEY,
    name text, -- nullable here so that a bad row can exist
    email text UNIQUE,
    phone text,
    "companyName" text,
    status text NOT NULL DEFAULT 'active',
    tags text[] DEFAULT '{}',
    "totalLeads" integer NOT NULL DEFAULT 0,
    "totalRevenue" double precision NOT NULL DEFAULT 0,
    "lastContactAt" timestamp(3),
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE leads (
    id text PRIMARY KEY,
    "customerId" text REFERENCES customers (id),
    name text,
    email text,
    "squareMeters" double precision,
    "preferredDates" text[] DEFAULT '{}',
    status text NOT NULL DEFAULT 'new',
    "followUpAttempts" integer NOT NULL DEFAULT 0,
    "enrichmentData" jsonb,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE bookings (
    id text PRIMARY KEY,
    "customerId" text REFERENCES customers (id),
    "leadId" text REFERENCES leads (id),
    "scheduledAt" timestamp(3) NOT NULL,
    "estimatedDuration" integer NOT NULL DEFAULT 120,
    status text NOT NULL DEFAULT 'scheduled',
    "timerStatus" text NOT NULL DEFAULT 'not_started',
    "efficiencyScore" double precision,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE chat_sessions (
    id text PRIMARY KEY,
    "userId" text,
    channel text,
    locale text,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE chat_messages (
    id text PRIMARY KEY,
    "sessionId" text NOT NULL REFERENCES chat_sessions (id),
    role text NOT NULL,
    content text NOT NULL,
    "timestamp" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE invoices (
    id text PRIMARY KEY,
    "invoiceNumber" text NOT NULL UNIQUE,
    "bookingId" text REFERENCES bookings (id),
    "customerId" text NOT NULL,
    "customerName" text NOT NULL,
    "issueDate" timestamp(3) NOT NULL,
    "dueDate" timestamp(3) NOT NULL,
    status text NOT NULL DEFAULT 'draft',
    subtotal double precision NOT NULL,
    "vatRate" double precision NOT NULL DEFAULT 25,
    "vatAmount" double precision NOT NULL,
    total double precision NOT NULL,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE invoice_line_items (
    id text PRIMARY KEY,
    "invoiceId" text NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    description text NOT NULL,
    quantity double precision NOT NULL DEFAULT 1,
    "unitPrice" double precision NOT NULL,
    amount double precision NOT NULL,
    "sortOrder" integer NOT NULL DEFAULT 0,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE "Service" (
    id text PRIMARY KEY,
    name text NOT NULL,
    description text,
    price double precision NOT NULL,
    duration integer NOT NULL,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE "Label" (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
INSERT INTO customers (id, name, email, phone, "companyName", status, tags, "totalLeads", "totalRevenue", "lastContactAt", "createdAt", "updatedAt") VALUES
  ('ckcust0001', 'Alpha ApS', 'alpha@example.dk', '+4511111111', 'Alpha', 'active', '{vip,erhverv}', 2, 1234.5,
   '2025-05-05 08:30:00.123', '2025-01-01 09:00:00', '2025-05-05 08:30:00.123'),
  ('ckcustbad1', NULL, 'noname@example.dk', NULL, NULL, 'active', '{}', 0, 0, NULL,
   '2025-01-01 09:00:00', '2025-01-01 09:00:00');
INSERT INTO customers (id, name, email, "createdAt", "updatedAt")
SELECT 'ckbulk' || lpad(i::text, 4, '0'), 'Bulk ' || i, 'bulk' || i || '@example.dk',
       '2025-02-01 00:00:00'::timestamp + i * interval '1 minute', '2025-02-02 00:00:00'::timestamp + i * interval '1 minute'
FROM generate_series(1, 30) i;
INSERT INTO leads (id, "customerId", name, email, "squareMeters", "preferredDates", status, "followUpAttempts", "enrichmentData", "createdAt", "updatedAt") VALUES
  ('cklead0001', 'ckcust0001', 'Alpha lead', 'alpha@example.dk', 85.5, '{2025-06-01,2025-06-02}', 'qualified', 1,
   '{"cvr": "12345678"}', '2025-05-01 07:00:00.001', '2025-05-02 07:00:00.999'),
  -- its customer is skipped: refused by the target's foreign key.
  ('ckleadbad1', 'ckcustbad1', 'Orphan lead', NULL, NULL, '{}', 'new', 0, NULL, '2025-05-01 07:00:00', '2025-05-01 07:00:00');
INSERT INTO bookings (id, "customerId", "leadId", "scheduledAt", "estimatedDuration", status, "timerStatus", "efficiencyScore", "createdAt", "updatedAt") VALUES
  ('ckbook0001', 'ckcust0001', 'cklead0001', '2025-06-01 08:00:00', 180, 'confirmed', 'not_started', 0.875,
   '2025-05-03 10:00:00', '2025-05-03 10:00:00'),
  -- unknown enum value.
  ('ckbookbad1', 'ckcust0001', NULL, '2025-06-02 08:00:00', 120, 'archived', 'not_started', NULL,
   '2025-05-03 10:00:00', '2025-05-03 10:00:00');
INSERT INTO chat_sessions VALUES
  ('ckchat0001', NULL, 'web', 'da', '2025-05-01 12:00:00', '2025-05-01 12:05:00'),
  ('ckchat0002', 'user-7', NULL, NULL, '2025-05-01 13:00:00', '2025-05-01 13:00:00');
INSERT INTO chat_messages VALUES
  ('ckmsg00001', 'ckchat0001', 'user', 'Hej, kan I gøre rent?', '2025-05-01 12:00:01.250'),
  ('ckmsg00002', 'ckchat0001', 'assistant', 'Ja!', '2025-05-01 12:00:02');
INSERT INTO invoices VALUES
  ('ckinv00001', 'INV-2025-0001', 'ckbook0001', 'ckcust0001', 'Alpha ApS', '2025-06-02 00:00:00', '2025-06-16 00:00:00',
   'sent', 1000, 25, 250, 1250, '2025-06-02 00:00:00', '2025-06-02 00:00:00');
INSERT INTO invoice_line_items VALUES
  ('ckline0001', 'ckinv00001', 'Hovedrengøring', 2.5, 400, 1000, 0, '2025-06-02 00:00:00', '2025-06-02 00:00:00');
INSERT INTO "Service" VALUES
  ('cksvc00001', 'Hovedrengøring', 'Grundig rengøring', 349.95, 180, '2025-01-01 00:00:00', '2025-01-01 00:00:00');
INSERT INTO "Label" VALUES ('cklabel001', 'VIP', '2025-01-01 00:00:00', '2025-01-01 00:00:00');

-- §6 Calendar-MCP ---------------------------------------------------------------------
CREATE TABLE customer_intelligence (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id text UNIQUE NOT NULL,
    customer_name text NOT NULL,
    preferences jsonb DEFAULT '{}',
    total_bookings integer DEFAULT 0,
    average_job_duration numeric(5, 2),
    risk_score integer CHECK (risk_score BETWEEN 0 AND 100),
    risk_factors text[] DEFAULT '{}',
    total_revenue numeric(10, 2),
    payment_history text CHECK (payment_history IN ('excellent', 'good', 'fair', 'poor')),
    satisfaction_score numeric(2, 1),
    created_at timestamptz DEFAULT now(),
    last_updated timestamptz DEFAULT now()
);
CREATE TABLE overtime_logs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    booking_id text UNIQUE NOT NULL,
    customer_id text NOT NULL,
    customer_name text NOT NULL,
    estimated_hours numeric(4, 2) NOT NULL,
    actual_hours numeric(4, 2),
    start_time timestamptz NOT NULL,
    end_time timestamptz,
    alert_method text,
    communication_log jsonb DEFAULT '[]',
    customer_notified boolean DEFAULT false,
    created_at timestamptz DEFAULT now()
);
INSERT INTO customer_intelligence (id, customer_id, customer_name, total_bookings, average_job_duration, risk_score, total_revenue, payment_history, satisfaction_score, created_at, last_updated) VALUES
  ('c1000000-0000-4000-8000-000000000001', 'ckcust0001', 'Alpha ApS', NULL, 2.75, 10, 12345.67, NULL, 4.5,
   '2025-01-01 00:00:00+00', '2025-02-01 00:00:00+00');
INSERT INTO overtime_logs (id, booking_id, customer_id, customer_name, estimated_hours, actual_hours, start_time, end_time, alert_method, created_at) VALUES
  ('0f000000-0000-4000-8000-000000000001', 'ckbook0001', 'ckcust0001', 'Alpha ApS', 3.00, 3.50,
   '2025-06-01 08:00:00+02', NULL, 'sms', '2025-06-01 12:00:00+00');

-- §7 Subcontractors ---------------------------------------------------------------------
CREATE TABLE subcontractors (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_name text NOT NULL,
    contact_name text NOT NULL,
    email text UNIQUE NOT NULL,
    phone text,
    address text,
    city text,
    zip_code text,
    status text DEFAULT 'active',
    rating numeric(3, 2) DEFAULT 0,
    notes text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE TABLE subcontractor_services (
    subcontractor_id uuid REFERENCES subcontractors (id) ON DELETE CASCADE,
    service_id uuid,
    experience_years integer,
    certified boolean DEFAULT false,
    notes text,
    created_at timestamptz DEFAULT now(),
    PRIMARY KEY (subcontractor_id, service_id)
);
INSERT INTO subcontractors (id, company_name, contact_name, email, phone, address, city, zip_code, status, rating, created_at, updated_at) VALUES
  ('5c000000-0000-4000-8000-000000000001', 'Fejekost ApS', 'Dorte', 'dorte@fejekost.dk', '+4522222222',
   'Vestergade 1', 'Aarhus C', '8000', 'active', 4.50, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00'),
  ('5c000000-0000-4000-8000-0000000bad01', 'Uden Telefon', 'Erik', 'erik@x.dk', NULL,
   NULL, NULL, NULL, 'active', 0, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00');
INSERT INTO subcontractor_services VALUES
  ('5c000000-0000-4000-8000-000000000001', '5e000000-0000-4000-8000-000000000001', 3, true, 'x', '2025-01-01 00:00:00+00');

-- §9 CRM (Prisma push into the crm schema) -----------------------------------------------
CREATE SCHEMA crm;
CREATE TABLE crm."CrmCompany" (
    id text PRIMARY KEY,
    name text NOT NULL,
    country text DEFAULT 'Denmark',
    status text NOT NULL DEFAULT 'active',
    tags text[] DEFAULT '{}',
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE crm."CrmContact" (
    id text PRIMARY KEY,
    "firstName" text NOT NULL,
    "lastName" text NOT NULL,
    email text,
    "companyId" text REFERENCES crm."CrmCompany" (id),
    status text NOT NULL DEFAULT 'active',
    tags text[] DEFAULT '{}',
    "nextFollowUp" timestamp(3),
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
INSERT INTO crm."CrmCompany" VALUES ('ckco000001', 'Alpha ApS', 'Denmark', 'active', '{kunde}', '2025-01-01 00:00:00', '2025-01-02 00:00:00');
INSERT INTO crm."CrmContact" VALUES
  ('ckct000001', 'Anne', 'Andersen', 'anne@alpha.dk', 'ckco000001', 'active', '{}', '2025-07-01 09:15:00', '2025-01-01 00:00:00', '2025-01-02 00:00:00');
