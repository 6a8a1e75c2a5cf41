// No keys in the database process: the primary gets WAL-G's storage settings as the StatefulSet gives
// them — the Secret as files, turned by walg-secret.sh into one 0400 file owned by postgres that only
// archive-command.sh / restore-command.sh read — and archiving still works, while the postmaster's
// environment (and so every backend's, and every program a backend starts) holds no key.
// Real PostgreSQL 15, WAL-G and MinIO.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Lab, WALG_SECRET_KEYS, run } from "../../lab";
import { useLab } from "./helpers";

describe("lab: WAL-G keys from a Secret file, not the postmaster's environment", function () {
    this.timeout(120_000);
    const lab = useLab({ archiveTimeoutSeconds: 2, walgSecretFile: true });

    const postmasterPid = (l: Lab) => Number(fs.readFileSync(path.join(l.pg.pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
    const environ = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
    const secrets = (l: Lab) => [l.keys.rw.id, l.keys.rw.secret, l.libsodiumKey];

    it("walg-secret.sh writes the Secret's keys into one file, mode 0400, owned by the postgres user, names only in its output", function () {
        const l = lab();
        const w = l.walgSecret!;
        assert.deepEqual(w.result.json.keys, [...WALG_SECRET_KEYS].sort());
        const st = fs.statSync(w.envFile);
        assert.equal(st.mode & 0o777, 0o400);
        assert.equal(st.uid, l.osUser?.uid ?? process.getuid!());
        const content = fs.readFileSync(w.envFile, "utf8");
        assert.ok(content.includes(`AWS_SECRET_ACCESS_KEY=${l.keys.rw.secret}\n`));
        for (const s of secrets(l)) assert.ok(!w.result.stdout.includes(s) && !w.result.stderr.includes(s), "a value in walg-secret.sh's output");
    });

    it("archiving works: segments land in the bucket, encrypted with the key from the file (the read-only side decrypts them)", async function () {
        const l = lab();
        await l.psql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)");
        const seg = await l.switchWalAndWaitArchived();
        const keys = (await l.minio.listObjects(l.bucket, `${l.prefix}/wal_005/`)).map((o) => o.key);
        assert.ok(keys.includes(l.walKey(seg)), keys.join(", "));
        assert.equal(await l.psql("SELECT failed_count FROM pg_stat_archiver"), "0");
        const dest = path.join(l.workDir, `fetched-${seg}`);
        const fetched = await l.walg(["wal-fetch", seg, dest], "ro");
        assert.equal(fetched.code, 0, fetched.stderr);
        assert.equal(fs.statSync(dest).size, 16 * 1024 * 1024);
        const wrongKey = await l.walg(["wal-fetch", seg, `${dest}-2`], "ro", { WALG_LIBSODIUM_KEY: "0".repeat(64) });
        assert.notEqual(wrongKey.code, 0, "the segment is encrypted: another key cannot read it");
    });

    it("/proc/<postmaster>/environ holds no key, and neither does the environment a backend hands to a program", async function () {
        const l = lab();
        const env = environ(postmasterPid(l));
        assert.ok(env.some((e) => e === `TERNENT_WALG_ENV_FILE=${l.walgSecret!.envFile}`), env.join("\n"));
        for (const name of WALG_SECRET_KEYS) assert.ok(!env.some((e) => e.startsWith(`${name}=`)), `${name} in the postmaster's environment`);
        const text = env.join("\n");
        for (const s of secrets(l)) assert.ok(!text.includes(s), "a secret value in the postmaster's environment");
        // What `COPY … FROM PROGRAM 'env'` would have handed out (as the superuser: the app role cannot run it at all).
        const fromBackend = await l.psql("CREATE TEMP TABLE e (line text); COPY e FROM PROGRAM 'env'; SELECT string_agg(line, E'\\n') FROM e");
        assert.ok(fromBackend.includes("TERNENT_WALG_ENV_FILE="));
        for (const s of secrets(l)) assert.ok(!fromBackend.includes(s), "a secret value in a backend's environment");
    });

    it("an unreadable env file stops archiving (WAL kept, failure counted) and makes restore-command.sh fatal (126), never 'not in archive'", async function () {
        const l = lab();
        const envFile = l.walgSecret!.envFile;
        fs.chmodSync(envFile, 0o000);
        try {
            const before = Number(await l.psql("SELECT failed_count FROM pg_stat_archiver"));
            await l.psql("INSERT INTO t VALUES (1); SELECT pg_switch_wal()");
            const deadline = Date.now() + 30_000;
            while (Number(await l.psql("SELECT failed_count FROM pg_stat_archiver")) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
            assert.ok(Number(await l.psql("SELECT failed_count FROM pg_stat_archiver")) > before, "archive_command failed");
            const r = await run(path.join(l.scriptsDir, "restore-command.sh"), ["000000010000000000000001", path.join(l.workDir, "x")], {
                env: { PATH: process.env.PATH, TERNENT_BIN: l.binDir, TERNENT_SCRIPTS: l.scriptsDir, TERNENT_WALG_ENV_FILE: envFile },
                user: l.osUser,
            });
            assert.equal(r.code, 126, r.stderr);
            assert.match(r.stderr, /FATAL TERNENT_WALG_ENV_FILE=.* cannot be read/);
        } finally {
            fs.chmodSync(envFile, 0o400);
        }
        await l.switchWalAndWaitArchived(); // archiving resumes once the file is readable again
    });

    it("walg-secret.sh refuses a key that is not a storage setting, a value with a line break, and a missing key pair", async function () {
        const l = lab();
        const cases: [Record<string, string>, RegExp][] = [
            [{ WALG_S3_PREFIX: "s3://b/p", AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", POSTGRES_PASSWORD: "x" }, /key POSTGRES_PASSWORD .* is not WAL-G or storage settings/],
            [{ WALG_S3_PREFIX: "s3://b/p\nAWS_ENDPOINT=http://evil", AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" }, /value of WALG_S3_PREFIX contains a line break/],
            [{ WALG_S3_PREFIX: "s3://b/p", AWS_ACCESS_KEY_ID: "a" }, /has no AWS_SECRET_ACCESS_KEY/],
        ];
        let i = 0;
        for (const [files, message] of cases) {
            const dir = l.mkdirForPostgres(path.join(l.root, `bad-secret-${++i}`));
            for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, k), v);
            const out = path.join(l.mkdirForPostgres(path.join(l.root, `bad-out-${i}`)), "walg.env");
            const r = await run(path.join(l.scriptsDir, "walg-secret.sh"), [], {
                env: { PATH: process.env.PATH, TERNENT_WALG_SECRET_DIR: dir, TERNENT_WALG_ENV_FILE: out },
                user: l.osUser,
            });
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, message);
            assert.ok(!fs.existsSync(out), "nothing written");
        }
    });
});
