// The application's role (app-role.sh + app-role.sql) on a real PostgreSQL 15: created idempotently on a
// database the superuser already filled (as the kubectl bundle's API did), it logs in with its password
// over TCP (SCRAM), does an application's work, and cannot reach the server's files or programs.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Lab, PG_BIN, RunResult, run } from "../../lab";
import { useLab } from "./helpers";

const APP = "ternent_app";

describe("lab: the application role (least privilege, idempotent, also on an adopted database)", function () {
    this.timeout(120_000);
    const lab = useLab();
    let password = crypto.randomBytes(18).toString("base64url");

    const appRole = (l: Lab, env: NodeJS.ProcessEnv = {}) =>
        l.runScript("app-role.sh", { env: { TERNENT_APP_USER: APP, TERNENT_APP_PASSWORD: password, ...env } });
    /** psql as the app role over TCP with its password (pg_hba: scram-sha-256 on 127.0.0.1). */
    const asApp = (l: Lab, sql: string, pw = password): Promise<RunResult> =>
        run(path.join(PG_BIN, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(l.pgPort), "-U", APP, "-d", l.database, "-c", sql], {
            env: { PATH: process.env.PATH, PGPASSWORD: pw, PGCONNECT_TIMEOUT: "5" },
            timeoutMs: 30_000,
        });
    const ok = async (l: Lab, sql: string) => {
        const r = await asApp(l, sql);
        assert.equal(r.code, 0, `${sql}: ${r.stderr}`);
        return r.stdout.trim();
    };
    const denied = async (l: Lab, sql: string, message: RegExp) => {
        const r = await asApp(l, sql);
        assert.notEqual(r.code, 0, `${sql} should be refused, got: ${r.stdout}`);
        assert.match(r.stderr, message, sql);
    };

    it("creates the role on a database the superuser already filled and hands it the application's objects", async function () {
        const l = lab();
        // The bundle's API ran as the superuser: its tables, sequence, view, function and type are the superuser's.
        await l.psql(`CREATE TYPE account_kind AS ENUM ('personal', 'business');
            CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, kind account_kind NOT NULL DEFAULT 'personal');
            INSERT INTO accounts (name) SELECT 'a' || g FROM generate_series(1, 100) g;
            CREATE VIEW account_names AS SELECT name FROM accounts;
            CREATE FUNCTION account_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM accounts';
            CREATE SCHEMA reporting; CREATE TABLE reporting.daily (d date PRIMARY KEY)`);
        assert.equal((await l.runScript("canary.sh")).code, 0);
        const r = await appRole(l);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.ok, true, r.stdout);
        assert.deepEqual(
            { created: r.json.created, login: r.json.login, superuser: r.json.superuser, createrole: r.json.createrole, createdb: r.json.createdb, replication: r.json.replication, bypassrls: r.json.bypassrls, memberOf: r.json.memberOf, ownsDatabase: r.json.ownsDatabase, scram: r.json.scram },
            { created: true, login: true, superuser: false, createrole: false, createdb: false, replication: false, bypassrls: false, memberOf: [], ownsDatabase: true, scram: true },
        );
        // schema reporting, tables accounts and reporting.daily, the view, the function, the type
        assert.equal(r.json.reassigned, 6, r.stdout);
        const owners = await l.psql(`SELECT string_agg(c.relname || '=' || pg_get_userbyid(c.relowner), ',' ORDER BY c.relname) FROM pg_class c
            WHERE c.relname IN ('accounts', 'accounts_id_seq', 'account_names', 'daily', 'ternent_canary')`);
        assert.equal(owners, `account_names=${APP},accounts=${APP},accounts_id_seq=${APP},daily=${APP},ternent_canary=${l.dbUser}`);
    });

    it("the app role logs in with its password and does an application's work (DML, DDL, migrations on its own objects)", async function () {
        const l = lab();
        assert.equal(await ok(l, "SELECT current_user"), APP);
        assert.equal(await ok(l, "SELECT account_count()"), "100");
        await ok(l, `ALTER TABLE accounts ADD COLUMN email text;
            INSERT INTO accounts (name, kind, email) VALUES ('new', 'business', 'n@example.com');
            UPDATE accounts SET email = 'x@example.com' WHERE id = 1;
            DELETE FROM accounts WHERE id = 2;
            CREATE TABLE sessions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account int REFERENCES accounts);
            CREATE INDEX ON sessions (account);
            INSERT INTO sessions (account) VALUES (1);
            INSERT INTO reporting.daily VALUES (current_date);
            ALTER TYPE account_kind ADD VALUE 'internal';
            CREATE OR REPLACE VIEW account_names AS SELECT name, email FROM accounts;
            DROP TABLE sessions`);
        assert.equal(await ok(l, "SELECT count(*) FROM account_names"), "100");
        assert.equal(await ok(l, "CREATE TEMP TABLE scratch AS SELECT 1 AS x; SELECT count(*) FROM scratch"), "1");
    });

    it("the app role cannot run programs on the server, read or write its files, or raise its own privileges", async function () {
        const l = lab();
        await denied(l, "CREATE TEMP TABLE e (line text); COPY e FROM PROGRAM 'env'", /must be superuser or have privileges of the pg_execute_server_program role/);
        await denied(l, "COPY accounts TO PROGRAM 'cat > /tmp/leak'", /pg_execute_server_program/);
        await denied(l, "SELECT pg_read_file('postgresql.auto.conf')", /permission denied for function pg_read_file/);
        await denied(l, "SELECT pg_read_binary_file('global/pg_control')", /permission denied for function pg_read_binary_file/);
        await denied(l, "SELECT pg_ls_dir('.')", /permission denied for function pg_ls_dir/);
        await denied(l, "CREATE TEMP TABLE f (line text); COPY f FROM '/etc/passwd'", /pg_read_server_files/);
        await denied(l, "COPY accounts TO '/tmp/leak'", /pg_write_server_files/);
        await denied(l, "SELECT lo_import('/etc/passwd')", /permission denied for function lo_import/);
        await denied(l, `ALTER ROLE ${APP} SUPERUSER`, /permission denied|must be superuser/);
        await denied(l, "CREATE ROLE intruder LOGIN", /permission denied to create role/);
        await denied(l, "CREATE DATABASE other", /permission denied to create database/);
        await denied(l, `GRANT pg_execute_server_program TO ${APP}`, /must have admin option|permission denied/);
        await denied(l, "SELECT count(*) FROM ternent_canary", /permission denied for table ternent_canary/);
    });

    it("runs again without changes (idempotent) and sets a new password when it changed", async function () {
        const l = lab();
        const again = await appRole(l);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.json.created, false);
        assert.equal(again.json.reassigned, 0);
        assert.equal(await ok(l, "SELECT current_user"), APP);
        const old = password;
        password = crypto.randomBytes(18).toString("base64url");
        assert.equal((await appRole(l)).code, 0);
        const r = await asApp(l, "SELECT 1", old);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /password authentication failed/);
        assert.equal(await ok(l, "SELECT current_user"), APP);
        // Neither the password nor its verifier reached the server's log.
        const logText = fs.readFileSync(l.pg.logFile, "utf8");
        assert.ok(!logText.includes(password) && !logText.includes("SCRAM-SHA-256$"), "password or verifier in the server log");
    });

    it("takes back a membership that would let the role run programs (pg_execute_server_program)", async function () {
        const l = lab();
        await l.psql(`GRANT pg_execute_server_program TO ${APP}`);
        assert.equal(await ok(l, "CREATE TEMP TABLE e (line text); COPY e FROM PROGRAM 'echo granted'; SELECT line FROM e"), "granted");
        const r = await appRole(l);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.json.memberOf, []);
        await denied(l, "CREATE TEMP TABLE e (line text); COPY e FROM PROGRAM 'env'", /pg_execute_server_program/);
    });

    it("refuses bad input: the superuser's own name, a short password, a role name that needs quoting", async function () {
        const l = lab();
        for (const [env, message] of [
            [{ TERNENT_APP_USER: l.dbUser }, /must not be the superuser/],
            [{ TERNENT_APP_PASSWORD: "short" }, /at least 16 printable/],
            [{ TERNENT_APP_USER: 'app"; DROP' }, /not a plain role name/],
        ] as const) {
            const r = await appRole(l, env);
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, message);
            assert.ok(!r.stderr.includes(password), "the password is never printed");
        }
    });
});
