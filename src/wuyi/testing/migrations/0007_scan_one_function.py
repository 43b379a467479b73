"""PostgreSQL: a single scan event decided and stored in one call (``testing_scan_one``).

Why and what it must match: ``wuyi.testing.ingest`` (``_ingest_one_in_database``). Python
parses the event, checks the ID number and resolves round, site and desk from the round
setup; this function does the rest that needs the database, with the same rules as
``ingest._decide`` and the same rows as ``ingest._write``, in one round trip instead of
nine. Plans are kept for the connection (generic plans, index access forced: a plan made
while the scan table was empty must not scan it whole once it is full). Nothing on SQLite.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION testing_scan_one(
    p_version bigint, p_event uuid, p_kind text, p_reason text,
    p_round bigint, p_site bigint, p_desk bigint, p_barcode text,
    p_token text, p_id_type text, p_id_number text, p_name text, p_phone text,
    p_device_time timestamptz, p_now timestamptz,
    p_pool_size integer, p_capacity integer, p_site_path text, p_site_district text
) RETURNS TABLE (
    status text, outcome text, reason text, tube text,
    members integer, sealed boolean, follow_up boolean
)
LANGUAGE plpgsql
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_status text := 'accepted';
    v_reason text := p_reason;
    v_outcome text;
    v_barcode text;
    r_id bigint;
    r_path text;
    r_grid bigint;
    r_district text;
    t_id bigint;
    t_round bigint;
    t_site bigint;
    t_capacity integer;
    t_count integer;
    t_status text;
    v_sealed boolean := false;
    v_new boolean := false;
    v_scan bigint;
    v_path text := '';
    v_grid bigint;
    v_district text := '';
BEGIN
    -- The round setup Python decided against must be current (round_setup.Stale).
    IF p_version IS DISTINCT FROM (SELECT v.version FROM testing_setupversion v WHERE v.id = 1)
    THEN
        RETURN QUERY SELECT 'stale'::text, NULL::text, NULL::text, NULL::text,
            NULL::integer, false, false;
        RETURN;
    END IF;

    -- A replayed event gets its first answer and changes nothing.
    SELECT s.outcome, s.reason, s.tube_barcode INTO v_outcome, v_reason, v_barcode
    FROM testing_scan s WHERE s.event_id = p_event;
    IF FOUND THEN
        RETURN QUERY SELECT 'duplicate'::text, v_outcome, v_reason, v_barcode,
            NULL::integer, false, false;
        RETURN;
    END IF;
    v_reason := p_reason;

    -- The person: a scanned code must be known; a typed ID may be anyone.
    IF v_reason = '' AND p_kind = 'bind' THEN
        IF p_token <> '' THEN
            SELECT r.id, r.path, r.grid_id, r.district_code
            INTO r_id, r_path, r_grid, r_district
            FROM people_resident r WHERE r.code_token = p_token;
            IF NOT FOUND THEN
                v_reason := 'unknown_token';
            END IF;
        ELSE
            SELECT r.id, r.path, r.grid_id, r.district_code
            INTO r_id, r_path, r_grid, r_district
            FROM people_resident r WHERE r.id_type = p_id_type AND r.id_number = p_id_number;
        END IF;
    END IF;

    -- The tube, locked until commit; a bind opens it if it does not exist yet.
    IF v_reason = '' THEN
        LOOP
            SELECT t.id, t.round_id, t.site_id, t.capacity, t.member_count, t.status
            INTO t_id, t_round, t_site, t_capacity, t_count, t_status
            FROM testing_tube t WHERE t.barcode = p_barcode FOR UPDATE;
            EXIT WHEN FOUND OR p_kind <> 'bind';
            INSERT INTO testing_tube (barcode, round_id, site_id, desk_id, pool_size,
                capacity, member_count, status, opened_at, sealed_at, path, district_code)
            VALUES (p_barcode, p_round, p_site, p_desk, p_pool_size, p_capacity, 1,
                CASE WHEN p_capacity <= 1 THEN 'sealed' ELSE 'open' END,
                p_now, CASE WHEN p_capacity <= 1 THEN p_now END, p_site_path, p_site_district)
            ON CONFLICT (barcode) DO NOTHING
            RETURNING id INTO t_id;
            IF t_id IS NOT NULL THEN
                -- A new tube takes its first member (and seals if it holds only one).
                v_new := true;
                t_count := 1;
                v_sealed := p_capacity <= 1;
                EXIT;
            END IF;
            -- Another transaction opened it a moment ago: lock theirs and decide on it.
        END LOOP;

        IF v_new THEN
            NULL;  -- decided above
        ELSIF p_kind = 'seal' THEN
            IF t_id IS NULL OR t_count = 0 THEN
                v_reason := 'empty_tube';
            ELSIF t_round <> p_round THEN
                v_reason := 'tube_other_round';
            ELSIF t_site <> p_site THEN
                v_reason := 'tube_other_site';
            ELSIF t_status <> 'open' THEN
                v_reason := 'tube_sealed';
            ELSE
                UPDATE testing_tube SET status = 'sealed', sealed_at = COALESCE(sealed_at, p_now)
                WHERE id = t_id;
                v_sealed := true;
            END IF;
        ELSIF t_round <> p_round THEN
            v_reason := 'tube_other_round';
        ELSIF t_site <> p_site THEN
            v_reason := 'tube_other_site';
        ELSIF EXISTS (
            SELECT 1 FROM testing_scan s
            WHERE s.tube_id = t_id AND s.outcome = 'accepted' AND s.kind = 'bind'
              AND ((r_id IS NOT NULL AND s.resident_id = r_id)
                OR (r_id IS NULL AND s.resident_id IS NULL
                    AND s.id_type = p_id_type AND s.id_number = p_id_number))
        ) THEN
            v_reason := 'person_in_tube';
        ELSIF t_count >= t_capacity THEN
            v_reason := 'tube_full';
        ELSIF t_status <> 'open' THEN
            v_reason := 'tube_sealed';
        ELSE
            t_count := t_count + 1;
            v_sealed := t_count >= t_capacity;  -- a full tube seals itself
            IF v_sealed THEN
                UPDATE testing_tube SET member_count = t_count, status = 'sealed',
                    sealed_at = COALESCE(sealed_at, p_now)
                WHERE id = t_id;
            ELSE
                UPDATE testing_tube SET member_count = t_count WHERE id = t_id;
            END IF;
        END IF;
    END IF;
    IF v_reason <> '' THEN
        v_status := 'rejected';
        v_sealed := false;
    END IF;

    -- The event, with the answer it got.
    IF r_id IS NOT NULL AND v_status = 'accepted' THEN
        v_path := r_path; v_grid := r_grid; v_district := r_district;
    ELSIF p_site IS NOT NULL THEN
        v_path := p_site_path; v_district := p_site_district;
    END IF;
    INSERT INTO testing_scan (event_id, kind, outcome, reason, round_id, site_id, desk_id,
        tube_id, tube_barcode, resident_id, id_type, id_number, name, phone, follow_up,
        device_time, received_at, path, grid_id, district_code)
    VALUES (p_event, p_kind, v_status, v_reason, p_round, p_site, p_desk,
        CASE WHEN v_status = 'accepted' THEN t_id END, p_barcode, r_id,
        CASE WHEN r_id IS NULL AND p_kind = 'bind' THEN p_id_type ELSE '' END,
        CASE WHEN r_id IS NULL THEN p_id_number ELSE '' END,
        CASE WHEN r_id IS NULL THEN p_name ELSE '' END,
        CASE WHEN r_id IS NULL THEN p_phone ELSE '' END,
        v_status = 'accepted' AND p_kind = 'bind' AND r_id IS NULL,
        p_device_time, p_now, v_path, v_grid, v_district)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id INTO v_scan;
    IF v_scan IS NULL THEN
        -- The same event stored by another transaction meanwhile: undo, and the caller
        -- asks again and gets that transaction's answer.
        RAISE unique_violation USING MESSAGE = 'scan event stored by another transaction';
    END IF;

    -- Counted once per round.
    IF v_status = 'accepted' AND p_kind = 'bind' AND r_id IS NOT NULL THEN
        INSERT INTO testing_sampled (round_id, resident_id, first_scan_id, sampled_at, path,
            grid_id, district_code)
        VALUES (p_round, r_id, v_scan, p_now, r_path, r_grid, r_district)
        ON CONFLICT (round_id, resident_id) DO NOTHING;
    END IF;

    RETURN QUERY SELECT v_status, v_status, v_reason,
        CASE WHEN v_status = 'accepted' THEN p_barcode ELSE '' END,
        CASE WHEN v_status = 'accepted' THEN t_count END,
        v_sealed,
        v_status = 'accepted' AND p_kind = 'bind' AND r_id IS NULL;
END $$;
"""

DROP = (
    "DROP FUNCTION IF EXISTS testing_scan_one(bigint, uuid, text, text, bigint, bigint, bigint, text, "
    "text, text, text, text, text, timestamptz, timestamptz, integer, integer, text, text)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("testing", "0006_setupversion"),
        ("people", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
