// restore.sh's replay through one `wal-g daemon` (walg-daemon-client.pl as restore_command) instead of one
// `wal-g wal-fetch` process per file: the client keeps restore-command.sh's contract with real WAL-G
// answers (fetched 0, not in the archive 1, any error 126), a restore through the daemon replays every
// segment, leaves the restored postmaster without storage keys and no daemon behind, and
// TERNENT_RESTORE_WALG_DAEMON=false still restores per process. Real PostgreSQL 15, WAL-G and MinIO.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { chownTree, Lab, PG_BIN, run, RunResult } from "../../lab";
import { useLab } from "./helpers";

describe("lab: restore_command through one wal-g daemon", function () {
    this.timeout(180_000);
    const lab = useLab({ archiveTimeoutSeconds: 2 });
    let firstSegment = "";

    const client = (l: Lab, args: string[]) => run("perl", [path.join(l.scriptsDir, "walg-daemon-client.pl"), ...args], { user: l.osUser });
    const environ = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
    const daemonsOn = (sock: string) => fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
        try {
            return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes(sock);
        } catch {
            return false;
        }
    });

    /** `wal-g daemon` on the read-only key for at most `seconds`, as the postgres OS user. */
    async function withDaemon(l: Lab, env: NodeJS.ProcessEnv, body: (sock: string, pgdata: string) => Promise<void>): Promise<void> {
        const sock = path.join(l.workDir, `d${Date.now() % 100000}.sock`);
        // PGDATA as restore.sh gives it: the daemon's wal-fetch prefetches into $PGDATA/pg_wal.
        const pgdata = path.join(l.workDir, "daemon-pgdata");
        fs.mkdirSync(path.join(pgdata, "pg_wal"), { recursive: true });
        if (l.osUser) chownTree(pgdata, l.osUser);
        const daemon = run("timeout", ["60", path.join(l.binDir, "wal-g"), "daemon", sock], { env: l.env("ro", { PGDATA: pgdata, ...env }), user: l.osUser, cwd: l.workDir });
        for (let i = 0; i < 300 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(fs.existsSync(sock), "wal-g daemon did not open its socket");
        let failure: unknown;
        try {
            await body(sock, pgdata);
        } catch (e) {
            failure = e;
        }
        for (const pid of daemonsOn(sock)) {
            try {
                process.kill(Number(pid), "SIGTERM");
            } catch {
                // `timeout` took wal-g with it
            }
        }
        const d = await daemon;
        if (failure) {
            // What the daemon said, next to what the client saw.
            console.error(`wal-g daemon output:\n${d.stdout}${d.stderr}`);
            throw failure;
        }
    }

    async function restore(l: Lab, name: string, env: NodeJS.ProcessEnv = {}): Promise<{ r: RunResult; pgdata: string }> {
        const dir = path.join(l.workDir, name);
        fs.mkdirSync(dir, { recursive: true });
        if (l.osUser) fs.chownSync(dir, l.osUser.uid, l.osUser.gid);
        const pgdata = path.join(dir, "pgdata");
        const r = await l.runScript("restore.sh", {
            role: "ro",
            env: { PGDATA: pgdata, TERNENT_WORKDIR: path.join(dir, "work"), TERNENT_RESTORE_KEEP_RUNNING: "true", ...env },
        });
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        return { r, pgdata };
    }

    async function rowsAndStop(l: Lab, r: RunResult, pgdata: string): Promise<number> {
        try {
            const q = await run(path.join(PG_BIN, "psql"), ["-XAtq", "-h", r.json.socketDir, "-p", String(r.json.port), "-d", l.database, "-c", "SELECT count(*) FROM t"],
                { user: l.osUser, env: { PATH: process.env.PATH, PGUSER: l.dbUser } });
            assert.equal(q.code, 0, q.stderr);
            return Number(q.stdout.trim());
        } finally {
            await run(path.join(PG_BIN, "pg_ctl"), ["-D", pgdata, "stop", "-m", "fast", "-w", "-s"], { user: l.osUser, env: { PATH: process.env.PATH } });
        }
    }

    before(async function () {
        const l = lab();
        await l.psql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)");
        firstSegment = await l.switchWalAndWaitArchived();
        const b = await l.runScript("backup.sh");
        assert.equal(b.code, 0, b.stderr);
        for (let i = 0; i < 4; i++) {
            await l.psql(`INSERT INTO t SELECT generate_series(1, 250)`);
            await l.switchWalAndWaitArchived();
        }
    });

    it("the client maps real daemon answers like restore-command.sh: fetched 0, not in archive 1, wrong key 126 (fatal)", async function () {
        const l = lab();
        // %p as PostgreSQL passes it: relative to the data directory (the daemon's PGDATA), and never an
        // existing file (PostgreSQL unlinks it first; WAL-G refuses to overwrite one).
        await withDaemon(l, {}, async (sock, pgdata) => {
            const ok = await client(l, [sock, "f", firstSegment, "pg_wal/RECOVERYXLOG"]);
            assert.equal(ok.code, 0, ok.stderr);
            assert.equal(fs.statSync(path.join(pgdata, "pg_wal", "RECOVERYXLOG")).size, 16 * 1024 * 1024);
            const missing = await client(l, [sock, "f", "0000000100000000000000F0", "pg_wal/RECOVERYXLOG.2"]);
            assert.equal(missing.code, 1);
            assert.match(missing.stderr, /^restore-command: not in archive: 0000000100000000000000F0$/m);
            const history = await client(l, [sock, "f", "00000009.history", "pg_wal/RECOVERYHISTORY"]);
            assert.equal(history.code, 1, history.stderr);
            // An error answers 'E' on that connection only: the daemon serves the next request.
            const exists = await client(l, [sock, "f", firstSegment, "pg_wal/RECOVERYXLOG"]);
            assert.equal(exists.code, 126, "WAL-G refuses to overwrite a file");
            const again = await client(l, [sock, "f", firstSegment, "pg_wal/RECOVERYXLOG.3"]);
            assert.equal(again.code, 0, again.stderr);
        });
        await withDaemon(l, { WALG_LIBSODIUM_KEY: "0".repeat(64) }, async (sock) => {
            const wrongKey = await client(l, [sock, "f", firstSegment, "pg_wal/RECOVERYXLOG"]);
            assert.equal(wrongKey.code, 126, wrongKey.stderr);
            assert.match(wrongKey.stderr, /restore-command: FATAL wal-g daemon answered 'E' for wal-fetch/);
        });
    });

    it("the client is fatal (126), never 'not in archive', when the daemon is unreachable or the call is wrong", async function () {
        const l = lab();
        const gone = await client(l, [path.join(l.workDir, "no-daemon.sock"), "f", firstSegment, path.join(l.workDir, "x")]);
        assert.equal(gone.code, 126);
        assert.match(gone.stderr, /restore-command: FATAL cannot connect to wal-g daemon/);
        const usage = await client(l, [path.join(l.workDir, "no-daemon.sock"), "f", firstSegment]);
        assert.equal(usage.code, 126);
        assert.match(usage.stderr, /restore-command: FATAL usage/);
    });

    it("restore.sh replays every segment through the daemon; the restored postmaster holds no key and no daemon is left", async function () {
        const l = lab();
        const { r, pgdata } = await restore(l, "via-daemon");
        assert.equal(r.json.restoreCommand, "daemon");
        const conf = fs.readFileSync(path.join(path.dirname(pgdata), "work", "restore.conf"), "utf8");
        assert.match(conf, /^restore_command = 'perl \S+\/walg-daemon-client\.pl \S+\/walg\.sock f %f %p'$/m);
        assert.deepEqual(daemonsOn(path.join(r.json.socketDir, "walg.sock")), [], "the daemon stops once recovery ends");
        const pid = Number(fs.readFileSync(path.join(pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
        const env = environ(pid).join("\n");
        for (const s of [l.keys.ro.secret, l.libsodiumKey]) assert.ok(!env.includes(s), "a storage key in the restored postmaster's environment");
        assert.ok(env.includes("WALG_S3_PREFIX="), "the rest of the environment is kept");
        assert.equal(await rowsAndStop(l, r, pgdata), 2000, "every segment after the backup was replayed");
    });

    it("TERNENT_RESTORE_WALG_DAEMON=false restores with one restore-command.sh process per file; a bad value is refused (exit 2)", async function () {
        const l = lab();
        const { r, pgdata } = await restore(l, "per-process", { TERNENT_RESTORE_WALG_DAEMON: "false" });
        assert.equal(r.json.restoreCommand, "process");
        assert.match(fs.readFileSync(path.join(path.dirname(pgdata), "work", "restore.conf"), "utf8"), /^restore_command = '\S+\/restore-command\.sh %f %p'$/m);
        assert.equal(await rowsAndStop(l, r, pgdata), 2000);
        const bad = await l.runScript("restore.sh", { role: "ro", env: { PGDATA: path.join(l.workDir, "bad", "pgdata"), TERNENT_RESTORE_WALG_DAEMON: "yes" } });
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /TERNENT_RESTORE_WALG_DAEMON='yes' must be true or false/);
    });
});
