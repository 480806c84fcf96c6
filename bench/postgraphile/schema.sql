-- What bench/run.py adds to a benchmark database for PostGraphile, idempotently, as the
-- database owner, before each run. Nothing here is read by the API or the floor.
--
-- * Role tuopin_bench_reader: LOGIN, SELECT on the seven tables the three reads touch,
--   USAGE on the schemas, EXECUTE on the three functions below; nothing else.
-- * Schema tuopin_pgl: three STABLE SQL functions, the PostGraphile way of adding fields
--   the tables do not have (computed columns take the row as their first argument;
--   a custom query returns SETOF a table). They hold the same SQL as bench/floor.py.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tuopin_bench_reader') THEN
    CREATE ROLE tuopin_bench_reader LOGIN;
  END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS tuopin_pgl;

-- Household.size(year): members on the register that year (floor.py's subquery).
CREATE OR REPLACE FUNCTION tuopin_pgl.households_size(h public.households, year integer)
RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT count(*)::integer FROM public.household_members m
  WHERE m.household_id = h.id
    AND (m.joined_year IS NULL OR m.joined_year <= year)
    AND (m.left_year IS NULL OR m.left_year > year)
$$;

-- Household.perCapitaNetIncome(year): the year's income less costs over the size,
-- rounded half away from zero to the fen; null for a household of no members.
CREATE OR REPLACE FUNCTION tuopin_pgl.households_per_capita_net_income(
  h public.households, year integer
) RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT round(
    (SELECT coalesce(sum(CASE WHEN i.kind = 'cost' THEN -i.amount ELSE i.amount END), 0)
       FROM public.income_records i WHERE i.household_id = h.id AND i.year = $2)
    / nullif(tuopin_pgl.households_size(h, $2), 0),
    2)
$$;

-- Household.county: the county the household's village is in (code's first six digits).
CREATE OR REPLACE FUNCTION tuopin_pgl.households_county(h public.households)
RETURNS public.jurisdictions LANGUAGE sql STABLE AS $$
  SELECT j.* FROM public.jurisdictions j WHERE j.code = substr(h.village_code, 1, 6)
$$;

-- Query.townInbox(town): what waits on a township government (floor.py's inbox SQL for
-- that role), oldest first. Who may read it is not checked: PostGraphile has no
-- jurisdiction logic here, and the reader role sees every row.
CREATE OR REPLACE FUNCTION tuopin_pgl.town_inbox(town text)
RETURNS SETOF public.exit_applications LANGUAGE sql STABLE AS $$
  SELECT a.* FROM public.exit_applications a
  JOIN public.procedure_versions p ON p.id = a.procedure_version_id
  WHERE a.unit_code >= town
    AND a.unit_code < left(town, -1) || chr(ascii(right(town, 1)) + 1)
    AND a.status IN ('in_progress', 'objected')
    AND ((p.code = 'lanshan' AND a.subject_kind = 'household'
          AND a.stage IN ('town_spot_check', 'announcement'))
      OR (p.code = 'lanshan' AND a.subject_kind = 'village'
          AND a.stage IN ('proposal', 'village_notice'))
      OR (p.code = 'heilongjiang' AND a.subject_kind = 'village'
          AND a.stage = 'township_notice'))
  ORDER BY a.updated_at, a.id
$$;
COMMENT ON FUNCTION tuopin_pgl.town_inbox(text) IS '@name town_inbox';

GRANT USAGE ON SCHEMA public, tuopin_pgl TO tuopin_bench_reader;
GRANT SELECT ON public.households, public.household_members, public.income_records,
  public.jurisdictions, public.exit_applications, public.stage_records,
  public.procedure_versions TO tuopin_bench_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tuopin_pgl TO tuopin_bench_reader;
