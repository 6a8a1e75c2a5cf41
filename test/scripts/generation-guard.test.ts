// The generation guard: archive-command.sh and backup.sh never write a data directory into the prefix of
// another data generation (the WAL-G Secret can change before the pod reading it restarts). Stub wal-g,
// no database: the guard runs before either script talks to WAL-G or PostgreSQL.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, makeTempDir, removeTempDir, run, RunResult } from "../../lab";

describe("generation guard (archive-command.sh, backup.sh; stub wal-g)", function () {
    let dir: string;
    let pgdata: string;

    before(function () {
        dir = makeTempDir("tpg-gen-");
        pgdata = path.join(dir, "pgdata");
        fs.mkdirSync(path.join(dir, "bin"));
        fs.mkdirSync(pgdata);
        fs.writeFileSync(path.join(pgdata, "PG_VERSION"), "15\n");
        fs.writeFileSync(path.join(dir, "bin", "wal-g"), `#!/bin/sh\necho "$@" >> "${dir}/args"\nexit 0\n`, { mode: 0o755 });
        // backup.sh waits for the server with pg_isready: a stub that says "accepting connections".
        fs.writeFileSync(path.join(dir, "bin", "pg_isready"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    });
    after(() => removeTempDir(dir));
    beforeEach(() => {
        fs.rmSync(path.join(dir, "args"), { force: true });
        fs.rmSync(path.join(pgdata, "ternent-generation"), { force: true });
    });

    function script(name: string, args: string[], env: Record<string, string>): Promise<RunResult> {
        return run(path.join(REPO_ROOT, "scripts", name), args, {
            cwd: pgdata, // PostgreSQL runs archive_command in the data directory
            env: {
                PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, TERNENT_BIN: path.join(dir, "bin"), TERNENT_SCRIPTS: path.join(REPO_ROOT, "scripts"),
                PGDATA: pgdata, WALG_S3_PREFIX: "s3://bucket/ternent-postgres-gen2", PGHOST: "127.0.0.1", PGPORT: "1", ...env,
            },
            timeoutMs: 10_000,
        });
    }
    const walgCalled = () => fs.existsSync(path.join(dir, "args"));
    const mark = (g: string) => fs.writeFileSync(path.join(pgdata, "ternent-generation"), `${g}\n`);

    it("archive-command.sh archives when the data directory holds the prefix's generation", async function () {
        mark("2");
        const r = await script("archive-command.sh", ["pg_wal/000000020000000000000007"], { TERNENT_DATA_GENERATION: "2" });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(walgCalled());
    });

    it("archive-command.sh refuses (exit 3, nothing pushed) a data directory of another generation", async function () {
        mark("1");
        const r = await script("archive-command.sh", ["pg_wal/000000010000000000000007"], { TERNENT_DATA_GENERATION: "2" });
        assert.equal(r.code, 3);
        assert.match(r.stderr, /holds generation 1 but s3:\/\/bucket\/ternent-postgres-gen2 belongs to generation 2/);
        assert.ok(!walgCalled(), "wal-push must not run");
    });

    it("archive-command.sh counts a data directory without a marker as generation 0", async function () {
        const refused = await script("archive-command.sh", ["pg_wal/000000010000000000000007"], { TERNENT_DATA_GENERATION: "1" });
        assert.equal(refused.code, 3);
        const ok = await script("archive-command.sh", ["pg_wal/000000010000000000000007"], { TERNENT_DATA_GENERATION: "0" });
        assert.equal(ok.code, 0, ok.stderr);
    });

    it("archive-command.sh archives as before when no generation is configured", async function () {
        mark("5");
        const r = await script("archive-command.sh", ["pg_wal/000000010000000000000007"], {});
        assert.equal(r.code, 0, r.stderr);
        assert.ok(walgCalled());
    });

    it("backup.sh refuses (exit 3) before connecting when the data directory is of another generation", async function () {
        mark("1");
        const r = await script("backup.sh", [], { TERNENT_DATA_GENERATION: "2" });
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, /holds data generation 1 but s3:\/\/bucket\/ternent-postgres-gen2 belongs to generation 2: refusing to mix/);
        assert.ok(!walgCalled(), "backup-push must not run");
    });

    it("backup.sh passes the guard when the generations agree and runs backup-push", async function () {
        mark("2");
        const r = await script("backup.sh", [], { TERNENT_DATA_GENERATION: "2" });
        assert.doesNotMatch(r.stderr, /refusing to mix/);
        assert.match(fs.readFileSync(path.join(dir, "args"), "utf8"), new RegExp(`^backup-push ${pgdata}$`, "m"));
    });
});
