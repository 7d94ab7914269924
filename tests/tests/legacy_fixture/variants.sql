-- Layout variants of legacy-layouts.md: the alternative Billy audit-log shape
-- (scripts/supabase-setup-audit-logs.sql) and the snake_case uuid RenOS layout
-- (supabase-migration.sql, DECIMAL money, from_email / to_emails).
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
    organization_id uuid REFERENCES billy_organizations (id),
    role text DEFAULT 'user',
    created_at timestamp DEFAULT now(),
    last_login_at timestamp,
    is_active boolean DEFAULT true,
    metadata jsonb DEFAULT '{}'
);
CREATE TABLE billy_audit_logs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    tool_name text NOT NULL,
    action text NOT NULL CHECK (action IN ('read', 'create', 'update', 'delete')),
    organization_id text,
    user_id text,
    status text NOT NULL CHECK (status IN ('success', 'error')),
    execution_time_ms integer,
    params jsonb,
    result jsonb,
    error text,
    ip_address text,
    user_agent text
);
INSERT INTO billy_organizations VALUES
  ('0a000000-0000-4000-8000-000000000001', 'Rendetalje ApS',
   '78c02cbee2423cb588fba523f59736f2:674a4314de2b18d4be29a46cb5376ab7:2b46cf44ae3777a5118ee374f320778cee85e11021c451d2522e92b4c3c1',
   'billy-org-1', '2025-03-01 12:00:00', '2025-03-01 12:00:00', '{}', true, NULL);
INSERT INTO billy_users (id, email, organization_id) VALUES
  ('0b000000-0000-4000-8000-000000000001', 'ann@rendetalje.dk', '0a000000-0000-4000-8000-000000000001');
INSERT INTO billy_audit_logs VALUES
  ('0d000000-0000-4000-8000-000000000001', '2025-03-05 10:00:00+00', 'create_invoice', 'create', 'billy-org-1',
   '0B000000-0000-4000-8000-000000000001', 'error', 125, '{"x": 1}', NULL, 'timeout', '10.0.0.9', 'mcp'),
  -- unknown Billy.dk organisation and a user id that is not a uuid → NULL links.
  ('0d000000-0000-4000-8000-000000000002', '2025-03-05 10:00:01+00', 'list_invoices', 'read', 'billy-org-unknown',
   'user-42', 'success', 7, NULL, '{"n": 3}', NULL, NULL, NULL);

CREATE TABLE customers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    email text UNIQUE,
    total_revenue DECIMAL(10, 2) NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE email_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    gmail_thread_id text NOT NULL,
    from_email text NOT NULL,
    to_emails text[] NOT NULL DEFAULT '{}',
    body text NOT NULL,
    direction text NOT NULL DEFAULT 'inbound',
    sent_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE leads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid REFERENCES customers (id),
    name text,
    square_meters DECIMAL(8, 2),
    status text NOT NULL DEFAULT 'new',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO customers VALUES
  ('c0000000-0000-4000-8000-000000000001', 'Beta ApS', 'beta@example.dk', 999.99, '2025-01-01 00:00:00+00', '2025-01-02 00:00:00+00');
INSERT INTO leads VALUES
  ('1e000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'Beta lead', 120.25, 'new',
   '2025-01-03 00:00:00+00', '2025-01-03 00:00:00+00');
INSERT INTO email_messages VALUES
  ('e1000000-0000-4000-8000-000000000001', 'thread-1', 'kunde@example.dk', '{info@rendetalje.dk,jonas@rendetalje.dk}',
   'Hej', 'inbound', '2025-01-04 10:00:00+00', '2025-01-04 10:00:00+00', '2025-01-04 10:00:00+00');

CREATE TABLE chat_sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid,
    title text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO chat_sessions VALUES
  ('cc000000-0000-4000-8000-000000000001', NULL, 'Tilbud', '2025-01-05 00:00:00+00', '2025-01-05 00:00:00+00');
