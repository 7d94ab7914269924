-- Extensions and the trigger functions every schema uses.
-- `vector` is not a trusted extension: on a server where the migrating role is not a
-- superuser, an administrator creates it once (scripts/db does, in template1 too).
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Keeps updated_at current for raw SQL updates too. A statement that sets updated_at
-- itself (the application, a legacy import preserving history) keeps its value.
CREATE FUNCTION public.tekup_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

-- Same for renos.customer_intelligence, whose updated_at is called last_updated.
CREATE FUNCTION public.tekup_touch_last_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.last_updated IS NOT DISTINCT FROM OLD.last_updated THEN
        NEW.last_updated := now();
    END IF;
    RETURN NEW;
END
$$;
