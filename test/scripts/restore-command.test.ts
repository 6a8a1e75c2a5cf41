// scripts/restore-command.sh and archive-command.sh: exit-code mapping against a stub wal-g that exits
// with a chosen code (the real WAL-G codes are checked in test/lab/backup-restore.test.ts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, makeTempDir, removeTempDir, run, RunResult } from "../../lab";

describe("restore-command.sh and archive-command.sh (exit-code mapping, stub wal-g)", function () {
    let dir: string;

    before(function () {
        dir = makeTempDir("tpg-rc-");
        fs.mkdirSync(path.join(dir, "bin"));
        // The stub records its arguments and exits with $STUB_RC.
        fs.writeFileSync(path.join(dir, "bin", "wal-g"), `#!/bin/sh\necho "$@" > "${dir}/args"\nexit "\${STUB_RC:-0}"\n`, { mode: 0o755 });
    });
    after(() => removeTempDir(dir));

    function script(name: string, args: string[], rc: number): Promise<RunResult> {
        return run(path.join(REPO_ROOT, "scripts", name), args, {
            env: { PATH: process.env.PATH, TERNENT_BIN: path.join(dir, "bin"), STUB_RC: String(rc) },
            timeoutMs: 10_000,
        });
    }
    const args = () => fs.readFileSync(path.join(dir, "args"), "utf8").trim();

    it("calls wal-g wal-fetch %f %p and exits 0 when the file was fetched", async function () {
        const r = await script("restore-command.sh", ["000000010000000000000003", "pg_wal/RECOVERYXLOG"], 0);
        assert.equal(r.code, 0);
        assert.equal(args(), "wal-fetch 000000010000000000000003 pg_wal/RECOVERYXLOG");
    });

    it("maps 'not in the archive' (wal-fetch exit 74) to exit 1, which PostgreSQL treats as not found, and logs the name", async function () {
        const r = await script("restore-command.sh", ["000000010000000000000009", "pg_wal/RECOVERYXLOG"], 74);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /restore-command: not in archive: 000000010000000000000009$/m);
    });

    for (const rc of [1, 2, 75, 125]) {
        it(`turns wal-fetch exit ${rc} (storage or config error) into fatal exit 126 so recovery stops instead of ending early`, async function () {
            const r = await script("restore-command.sh", ["000000010000000000000004", "pg_wal/RECOVERYXLOG"], rc);
            assert.equal(r.code, 126);
            assert.match(r.stderr, new RegExp(`FATAL wal-fetch 000000010000000000000004 exited ${rc}`));
        });
    }

    it("is fatal (126) when PostgreSQL passes the wrong number of arguments", async function () {
        const r = await script("restore-command.sh", ["000000010000000000000004"], 0);
        assert.equal(r.code, 126);
    });

    it("archive-command.sh pushes %p with wal-g wal-push and returns wal-g's exit code", async function () {
        const ok = await script("archive-command.sh", ["pg_wal/000000010000000000000003"], 0);
        assert.equal(ok.code, 0);
        assert.equal(args(), "wal-push pg_wal/000000010000000000000003");
        const failed = await script("archive-command.sh", ["pg_wal/000000010000000000000003"], 1);
        assert.equal(failed.code, 1, "PostgreSQL keeps the segment and retries");
    });

    it("archive-command.sh exits 2 without a %p argument", async function () {
        const r = await script("archive-command.sh", [], 0);
        assert.equal(r.code, 2);
    });
});
