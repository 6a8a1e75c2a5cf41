// Issue 19 in the lab: the migration from the single node to the ha profile's operator cluster, as far
// as it runs without Kubernetes. The single node is the lab's PostgreSQL 15 archiving with WAL-G; the
// cut-over is scripts/migrate-cutover.sh against it; the new cluster's bootstrap is the operator's clone
// from the bucket (Spilo's clone_with_wale: backup chosen by its rule, wal-g backup-fetch, PostgreSQL with
// the recovery settings Patroni writes) run with real WAL-G and the exact WAL-G environment the operator
// and Spilo would give it (lab/spilo.ts, from the cluster spec the program renders). Not exercised here:
// the operator, Patroni and the Spilo image themselves (see docs/ha.md "What the tests prove").
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    CloneSpec, Lab, LocalPostgres, PG_BIN, PodEnvVar, freePort, renderedCluster, run, sleep, spiloChooseBackup, spiloCloneRecoverySettings, spiloPodEnv,
    spiloWalgEnv, writeWalgWrapper,
} from "../../lab";
import { SPILO_ARCHIVE_COMMAND } from "../../components/ha-cluster";
import { column, useLab } from "./helpers";

/**
 * The cluster resource the program renders for Pulumi.ha-example.yaml (generation 1 cloned from 0), with
 * only what points at DigitalOcean replaced by the lab's MinIO: the clone's bucket path, endpoint and T,
 * and the virtual-host endpoint of the cluster's own archive (MinIO wants path style). Every other env
 * entry, and every Secret reference, is the render's.
 */
function clusterSpec(l: Lab, rendered: { env: PodEnvVar[]; clone?: CloneSpec }, T: string): { env: PodEnvVar[]; clone: CloneSpec } {
    assert.ok(rendered.clone, "the example renders a clone section");
    const env = rendered.env.map((e) => (e.name === "WALE_S3_ENDPOINT" ? { name: e.name, value: l.minio.endpoint.replace("://", "+path://") } : e));
    assert.equal(env.filter((e) => e.name === "WALE_S3_ENDPOINT").length, 1, "the render sets WALE_S3_ENDPOINT once");
    return { env, clone: { ...rendered.clone, timestamp: T, s3_wal_path: `s3://${l.bucket}/${l.prefixFor(0)}`, s3_endpoint: l.minio.endpoint } };
}

/** The Secrets those env entries read, with the lab's keys: the read-write key for the cluster's own prefix, the read-only key for the clone. */
function secrets(l: Lab): Record<string, Record<string, string>> {
    const pick = (env: NodeJS.ProcessEnv, keys: string[]): Record<string, string> => Object.fromEntries(keys.map((k) => [k, String(env[k])]));
    const keys = ["WALG_S3_PREFIX", "AWS_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WALG_LIBSODIUM_KEY", "WALG_LIBSODIUM_KEY_TRANSFORM"];
    return { "ternent-postgres-backup": pick(l.env("rw", {}, 1), keys), "ternent-postgres-clone-g1": pick(l.env("ro", {}, 0), keys) };
}

/** RFC 3339 with an explicit offset, as the CRD's clone timestamp wants it. */
const withOffset = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, "+00:00");

describe("lab: migration to the ha profile through the operator's clone from the bucket", function () {
    this.timeout(300_000);
    const lab = useLab({ archiveTimeoutSeconds: 2 });
    let T = "";
    let committed: string[] = [];
    let openTx: ChildProcess | undefined;
    let openTxExit: Promise<number | null> | undefined;
    let oldListing: string[] = [];
    const servers: LocalPostgres[] = [];
    let rendered: Awaited<ReturnType<typeof renderedCluster>>;
    const listing = async (l: Lab, prefix: string): Promise<string[]> => (await l.minio.listObjects(l.bucket, `${prefix}/`)).map((o) => `${o.key} ${o.etag}`);
    const cutover = (l: Lab, at: string, extra: NodeJS.ProcessEnv = {}) =>
        l.runScript("migrate-cutover.sh", { env: { TERNENT_MIGRATION_AT: at, TERNENT_MIGRATION_GENERATION: "1", TERNENT_MIGRATION_TIMEOUT_SECONDS: "120", ...extra } });

    /** Spilo's clone_with_wale into a fresh directory, then PostgreSQL with Patroni's recovery settings; returns the server (started or not) and its log. */
    async function operatorClone(l: Lab, name: string, target: string): Promise<{ pg: LocalPostgres; started: Error | undefined; backup: string; cloneEnv: Record<string, string>; ownEnv: Record<string, string> }> {
        const spec = clusterSpec(l, rendered, target);
        const pod = spiloPodEnv(spec.env, spec.clone, secrets(l));
        const cloneEnv = spiloWalgEnv(pod, "CLONE_");
        const ownEnv = spiloWalgEnv(pod, "");
        const dir = l.mkdirForPostgres(path.join(l.root, `spilo-${name}`), 0o755);
        const base = { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: path.join(l.root, "home") };
        const walg = path.join(l.binDir, "wal-g");
        // Named wal-g, as Spilo's commands call it (envdir "<env dir>" wal-g …).
        fs.mkdirSync(path.join(dir, "clone-bin"));
        fs.mkdirSync(path.join(dir, "bin"));
        writeWalgWrapper(path.join(dir, "clone-bin", "wal-g"), walg, cloneEnv, base);
        writeWalgWrapper(path.join(dir, "bin", "wal-g"), walg, ownEnv, base);
        l.mkdirForPostgres(dir, 0o755);
        const asPg = { user: l.osUser, env: base, cwd: dir, timeoutMs: 120_000 };
        const list = await run(path.join(dir, "clone-bin", "wal-g"), ["backup-list", "--detail", "--json"], asPg);
        assert.equal(list.code, 0, list.stderr);
        const backup = spiloChooseBackup(JSON.parse(list.stdout), target);
        const pgdata = path.join(dir, "data");
        const fetch = await run(path.join(dir, "clone-bin", "wal-g"), ["backup-fetch", pgdata, backup], asPg);
        assert.equal(fetch.code, 0, fetch.stderr);
        fs.writeFileSync(path.join(pgdata, "recovery.signal"), "");
        l.mkdirForPostgres(pgdata);
        const pg = new LocalPostgres({
            pgdata,
            socketDir: path.join(dir, "sock"),
            port: await freePort(),
            // Patroni writes its own configuration, not the single node's: the data directory's own (initdb's,
            // restored with the backup) plus the resource's parameters (archive_timeout lowered for the lab).
            configFile: undefined,
            settings: {
                ...(rendered.spec.postgresql as { parameters: Record<string, string> }).parameters,
                ...spiloCloneRecoverySettings(target, `${path.join(dir, "clone-bin", "wal-g")} wal-fetch "%f" "%p"`),
                archive_mode: "on",
                archive_command: `${path.join(dir, "bin", "wal-g")} wal-push "%p"`,
                archive_timeout: "2",
            },
            env: base,
            user: l.osUser,
            logFile: path.join(dir, "postgres.log"),
            superuser: l.dbUser,
            database: l.database,
        });
        servers.push(pg);
        let started: Error | undefined;
        try {
            await pg.start(120_000);
        } catch (e) {
            started = e as Error;
        }
        return { pg, started, backup, cloneEnv, ownEnv };
    }

    before(async function () {
        const l = lab();
        rendered = await renderedCluster("ha-example");
        await l.psql("CREATE TABLE orders (id int PRIMARY KEY)");
        await l.runScript("backup.sh");
        assert.equal((await l.runScript("canary.sh")).code, 0, "canary row (the drills read it)");
        for (let i = 1; i <= 40; i += 10) await l.psql(`INSERT INTO orders SELECT generate_series(${i}, ${i + 9})`);
        // An API connection with a transaction in flight: the cut-over ends it, so it never commits.
        openTx = spawn(path.join(PG_BIN, "psql"), ["-X", "-h", l.pg.opts.socketDir, "-p", String(l.pg.port), "-U", l.dbUser, "-d", l.database,
            "-c", "BEGIN; INSERT INTO orders VALUES (1000); SELECT pg_sleep(600); COMMIT;"], { stdio: "ignore" });
        openTxExit = new Promise((r) => openTx!.once("exit", (code) => r(code)));
    });
    after(async function () {
        openTx?.kill("SIGKILL");
        for (const s of servers) await s.stop("immediate").catch(() => undefined);
    });

    it("the cut-over refuses a T closer than its lead time and changes nothing", async function () {
        const l = lab();
        const r = await cutover(l, withOffset(new Date(Date.now() + 2000)));
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.json.reason, /less than 10 s: commits between T and the cut-over would not be cloned; set a later migration\.at \(nothing was changed\)/);
        assert.equal(await l.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'"), "0");
        assert.equal(await l.psql("SELECT to_regclass('public.ternent_migration') IS NULL", { database: "postgres" }), "t");
        assert.equal(await l.psql("SHOW default_transaction_read_only"), "off");
        await l.psql("INSERT INTO orders VALUES (41)");
    });

    it("the cut-over makes the old primary read-only, commits marker A before T and B after it, and ships B's segment", async function () {
        const l = lab();
        T = withOffset(new Date(Date.now() + 12_000));
        const r = await cutover(l, T);
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.equal(r.json.ok, true);
        assert.equal(r.json.readOnly, true);
        assert.equal(r.json.createdRole, true, "the operator's superuser postgres did not exist on the single node");
        assert.ok(r.json.terminatedSessions >= 1, JSON.stringify(r.json));
        assert.ok(Date.parse(r.json.markerBefore.committedAt) < Date.parse(T), `${r.json.markerBefore.committedAt} !< ${T}`);
        assert.ok(Date.parse(r.json.markerAfter.committedAt) > Date.parse(T), `${r.json.markerAfter.committedAt} !> ${T}`);
        assert.ok(r.json.archivedSegment >= r.json.switchedSegment, JSON.stringify(r.json));
        assert.ok((await listing(l, l.prefixFor(0))).some((o) => o.startsWith(`${l.walKey(r.json.switchedSegment)} `)), "B's segment is in the bucket");
        assert.notEqual(await openTxExit, 0, "the in-flight transaction was ended");
        await assert.rejects(l.psql("INSERT INTO orders VALUES (42)"), /cannot execute INSERT in a read-only transaction/);
        committed = await column(l, "SELECT id FROM orders ORDER BY id");
        assert.equal(committed.length, 41);
        assert.ok(!committed.includes("1000"));
    });

    it("a second run of the cut-over finds its markers and commits nothing new", async function () {
        const l = lab();
        const before = await l.psql("SELECT string_agg(id::text || phase, ',' ORDER BY id) FROM ternent_migration", { database: "postgres" });
        const r = await cutover(l, T);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await l.psql("SELECT string_agg(id::text || phase, ',' ORDER BY id) FROM ternent_migration", { database: "postgres" }), before);
        assert.equal(r.json.createdRole, false);
    });

    it("migrate-verify.sh fails against the old primary: marker B is there (a clone past T)", async function () {
        const l = lab();
        const r = await l.runScript("migrate-verify.sh", { env: { TERNENT_MIGRATION_AT: T, TERNENT_MIGRATION_GENERATION: "1", TERNENT_MIGRATION_TIMEOUT_SECONDS: "30" } });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.json.reason, /marker B \(committed after T\) is in the new cluster: the clone replayed past T/);
    });

    let clone: Awaited<ReturnType<typeof operatorClone>>;

    it("the operator's clone to T, with the WAL-G environment Spilo writes, restores every committed row and promotes", async function () {
        const l = lab();
        // As the StatefulSet is scaled to 0 after the cut-over: the old primary stops, its prefix stays as it is now.
        await l.pg.stop("fast");
        oldListing = await listing(l, l.prefixFor(0));
        clone = await operatorClone(l, "g1", T);
        assert.equal(clone.started, undefined, String(clone.started));
        // What Spilo hands wal-g: the clone reads the single node's prefix with the read-only key; the cluster archives to its own prefix with the read-write key; both decrypt/encrypt with the libsodium key.
        assert.equal(clone.cloneEnv.WALG_S3_PREFIX, `s3://${l.bucket}/${l.prefixFor(0)}`);
        assert.equal(clone.cloneEnv.AWS_ACCESS_KEY_ID, l.keys.ro.id);
        assert.equal(clone.ownEnv.WALG_S3_PREFIX, `s3://${l.bucket}/${l.prefixFor(1)}`);
        assert.equal(clone.ownEnv.AWS_ACCESS_KEY_ID, l.keys.rw.id);
        for (const env of [clone.cloneEnv, clone.ownEnv]) {
            assert.equal(env.WALG_LIBSODIUM_KEY, l.libsodiumKey);
            assert.equal(env.WALG_LIBSODIUM_KEY_TRANSFORM, "hex");
        }
        assert.equal(await clone.pg.psql("SELECT pg_is_in_recovery()"), "f");
        assert.deepEqual((await clone.pg.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM orders")).split(","), committed);
        assert.match(fs.readFileSync(clone.pg.logFile, "utf8"), /recovery stopping before commit of transaction \d+, time /);
    });

    it("Patroni's post-bootstrap connection works: the operator's superuser exists on the clone", async function () {
        assert.equal(await clone.pg.psql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", { user: "postgres", database: "postgres" }), "t");
    });

    it("migrate-verify.sh on the clone finds marker A, not B, and a writable server", async function () {
        const l = lab();
        const r = await l.runScript("migrate-verify.sh", {
            env: { PGHOST: "127.0.0.1", PGPORT: String(clone.pg.port), TERNENT_MIGRATION_AT: T, TERNENT_MIGRATION_GENERATION: "1", TERNENT_MIGRATION_TIMEOUT_SECONDS: "30" },
        });
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.equal(r.json.ok, true);
        assert.equal(r.json.markerAfterAbsent, true);
        assert.equal(r.json.readOnly, false);
        assert.equal(r.json.timeline, 2);
    });

    it("verify.sh on the new cluster: healthy with the archive_command the ha profile expects, unhealthy with the single node's", async function () {
        const l = lab();
        await clone.pg.psql("INSERT INTO orders VALUES (499)");
        await clone.pg.switchWalAndWaitArchived({ user: l.dbUser, database: l.database });
        const env = { PGHOST: "127.0.0.1", PGPORT: String(clone.pg.port) };
        const ha = await l.runScript("verify.sh", { env: { ...env, TERNENT_VERIFY_ARCHIVE_COMMAND: SPILO_ARCHIVE_COMMAND } });
        assert.equal(ha.code, 0, `${ha.stderr}\n${ha.stdout}`);
        assert.equal(ha.json.healthy, true);
        const single = await l.runScript("verify.sh", { env });
        assert.equal(single.code, 1);
        assert.match(single.json.problems.join("\n"), /archive_command ".*\/bin\/wal-g wal-push "%p"" is not the expected archiver/);
    });

    it("the new cluster archives and backs up to its own prefix, and the restore drill pointed at it restores it; the old prefix is untouched", async function () {
        const l = lab();
        await clone.pg.psql("INSERT INTO orders VALUES (500)");
        await clone.pg.switchWalAndWaitArchived({ user: l.dbUser, database: l.database });
        // Spilo's postgres_backup.sh on the leader: wal-g backup-push with the cluster's envdir, PGHOST the socket
        // directory, PGPORT from the envdir, as the OS user postgres (so the role postgres).
        const backup = path.join(path.dirname(clone.pg.pgdata), "walg-backup");
        writeWalgWrapper(backup, path.join(l.binDir, "wal-g"), { ...clone.ownEnv, PGHOST: clone.pg.opts.socketDir, PGPORT: String(clone.pg.port), PGUSER: "postgres" },
            { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: path.join(l.root, "home") });
        l.mkdirForPostgres(path.dirname(backup), 0o755);
        const push = await run(backup, ["backup-push", clone.pg.pgdata], { user: l.osUser, env: {}, timeoutMs: 120_000 });
        assert.equal(push.code, 0, push.stderr);
        const drill = await l.runScript("restore-drill.sh", {
            role: "ro",
            generation: 1,
            env: { TERNENT_SMOKE_SQL: `SELECT 1 / (count(*) = ${committed.length + 2} AND max(id) = 500)::int FROM orders` },
        });
        assert.equal(drill.code, 0, `${drill.stderr}\n${drill.stdout}`);
        assert.match(drill.json.backup, /^base_00000002/);
        assert.deepEqual(await listing(l, l.prefixFor(0)), oldListing);
    });

    it("a clone to a T with no commit after it fails loudly: why the cut-over commits marker B", async function () {
        const l = lab();
        await sleep(1500);
        const late = await operatorClone(l, "late", withOffset(new Date(Date.now() - 500)));
        assert.ok(late.started, "PostgreSQL must not come up");
        assert.match(late.started.message, /^PostgreSQL exited/, "the lab sees the server exit instead of waiting for its timeout");
        assert.match(fs.readFileSync(late.pg.logFile, "utf8"), /FATAL:\s+recovery ended before configured recovery target was reached/);
    });
});
