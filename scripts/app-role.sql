-- app-role.sql: the application's database role, least privilege, idempotent (run by app-role.sh as
-- the superuser on a new or an adopted database; running it again changes nothing but the password).
--   * role :app_user: LOGIN, NOSUPERUSER, NOCREATEROLE, NOCREATEDB, NOREPLICATION, NOBYPASSRLS, member of
--     no role (pg_execute_server_program, pg_read_server_files, … are revoked if someone granted them);
--     password set from a SCRAM-SHA-256 verifier, so the password itself never reaches the server
--   * owns database :app_db, and so its public schema (owned by pg_database_owner, as PostgreSQL 15
--     creates it; an older public schema the superuser owns is given back to pg_database_owner): the
--     API creates and migrates its own tables
--   * objects the superuser owns in :app_db's own schemas (the bundle's API ran as the superuser, so an
--     adopted database's tables are the superuser's) go to :app_user, except extension members and
--     the relations named in :keep (the project's own, e.g. ternent_canary)
-- psql variables: app_user, app_db, keep (comma-separated relation names, may be empty);
-- app_verifier is read from the environment (TERNENT_APP_PASSWORD_VERIFIER), never from the command line.
\set ON_ERROR_STOP on
\getenv app_verifier TERNENT_APP_PASSWORD_VERIFIER
\if :{?app_verifier}
\else
\warn 'app-role.sql: TERNENT_APP_PASSWORD_VERIFIER is not set'
SELECT 'TERNENT_APP_PASSWORD_VERIFIER is not set'::int;
\endif
-- Never log the statement carrying the verifier.
SET log_statement = 'none';
SET log_min_duration_statement = -1;

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') AS created \gset
SELECT format('CREATE ROLE %I', :'app_user') WHERE :'created' \gexec
ALTER ROLE :"app_user" WITH LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS INHERIT
    PASSWORD :'app_verifier';
SELECT format('REVOKE %I FROM %I', r.rolname, :'app_user')
  FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
 WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER DATABASE :"app_db" OWNER TO :"app_user";

\connect :"app_db"
SET log_statement = 'none';
-- Schemas, relations (a table's owned sequences follow it), functions and types the running superuser
-- owns outside the system schemas, except extension members and :keep.
CREATE TEMP TABLE ternent_app_reassign AS
WITH keep AS (SELECT unnest(string_to_array(:'keep', ',')) AS name),
me AS (SELECT oid FROM pg_roles WHERE rolname = current_user),
ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
own_schemas AS (
    SELECT n.oid, n.nspname FROM pg_namespace n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%')
SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname,
              CASE n.nspname WHEN 'public' THEN 'pg_database_owner' ELSE :'app_user' END) AS stmt
  FROM own_schemas n
 WHERE (SELECT nspowner FROM pg_namespace WHERE oid = n.oid) = (SELECT oid FROM me)
   AND NOT EXISTS (SELECT 1 FROM ext WHERE classid = 'pg_namespace'::regclass AND objid = n.oid)
UNION ALL
SELECT format('ALTER %s %I.%I OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              n.nspname, c.relname, :'app_user')
  FROM pg_class c JOIN own_schemas n ON n.oid = c.relnamespace
 WHERE c.relowner = (SELECT oid FROM me)
   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND c.relname NOT IN (SELECT name FROM keep)
   AND NOT EXISTS (SELECT 1 FROM ext WHERE classid = 'pg_class'::regclass AND objid = c.oid)
   -- a sequence owned by a column moves with its table
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                        AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'app_user')
  FROM pg_proc p JOIN own_schemas n ON n.oid = p.pronamespace
 WHERE p.proowner = (SELECT oid FROM me) AND p.prokind IN ('f', 'p', 'w')
   AND NOT EXISTS (SELECT 1 FROM ext WHERE classid = 'pg_proc'::regclass AND objid = p.oid)
UNION ALL
SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, :'app_user')
  FROM pg_type t JOIN own_schemas n ON n.oid = t.typnamespace
 WHERE t.typowner = (SELECT oid FROM me)
   AND (t.typtype IN ('e', 'd', 'r')
        OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
   AND NOT EXISTS (SELECT 1 FROM ext WHERE classid = 'pg_type'::regclass AND objid = t.oid);
SELECT count(*) AS reassigned FROM ternent_app_reassign \gset
SELECT stmt FROM ternent_app_reassign \gexec
DROP TABLE ternent_app_reassign;

-- What the role is now, for app-role.sh to check and report.
SELECT json_build_object(
    'role', r.rolname, 'database', current_database(), 'created', :'created'::boolean,
    'reassigned', :reassigned,
    'login', r.rolcanlogin, 'superuser', r.rolsuper, 'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb,
    'replication', r.rolreplication, 'bypassrls', r.rolbypassrls,
    'memberOf', (SELECT coalesce(json_agg(g.rolname ORDER BY g.rolname), '[]') FROM pg_auth_members m
                   JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid),
    'ownsDatabase', (SELECT datdba = r.oid FROM pg_database WHERE datname = current_database()),
    'scram', (SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE oid = r.oid))
  FROM pg_roles r WHERE r.rolname = :'app_user';
