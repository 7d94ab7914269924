-- The extensions stay: they are database-wide and may serve other objects (docs/decisions.md).
DROP FUNCTION public.tekup_touch_last_updated();
DROP FUNCTION public.tekup_touch_updated_at();
