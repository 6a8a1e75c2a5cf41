// The reporter CI relies on: per-suite counts and seconds, the closing totals line, and under CI=true a
// skipped test fails the run (a test that needs a tool must find it there).
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "../../tools/harness";

const MOCHA = path.join(REPO_ROOT, "node_modules", ".bin", "mocha");
const SAMPLE = path.join("test", "tools", "fixtures", "reporter", "sample.spec.js");

function runSample(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
    return new Promise((resolve) => {
        execFile(MOCHA, ["--no-config", "--reporter", "./test/setup/summary-reporter.js", SAMPLE], {
            cwd: REPO_ROOT, timeout: 60_000, env: { ...process.env, CI: "", SAMPLE_SKIP: "", SAMPLE_FAIL: "", ...env },
        }, (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }));
    });
}

describe("test/setup/summary-reporter.js", () => {
    it("prints tests and seconds per suite and the closing totals line", async () => {
        const { code, stdout } = await runSample({});
        assert.equal(code, 0, stdout);
        assert.match(stdout, /suite\s+passed\s+failed\s+skipped\s+seconds/);
        assert.match(stdout, /\n {2}unit\s+2\s+0\s+0\s+\d+\.\d\n/);
        assert.match(stdout, /\n2 passed, 0 failed, 0 skipped\n$/);
    });

    it("lets a skipped test pass outside CI and fails the run with it under CI=true", async () => {
        const outside = await runSample({ SAMPLE_SKIP: "1" });
        assert.equal(outside.code, 0, outside.stdout);
        assert.match(outside.stdout, /1 passed, 0 failed, 1 skipped/);
        const ci = await runSample({ SAMPLE_SKIP: "1", CI: "true" });
        assert.notEqual(ci.code, 0, ci.stdout);
        assert.match(ci.stdout, /CI=true: 1 test\(s\) skipped, which CI does not allow/);
    });

    it("exits non-zero on a failed test", async () => {
        const { code, stdout } = await runSample({ SAMPLE_FAIL: "1" });
        assert.notEqual(code, 0);
        assert.match(stdout, /2 passed, 1 failed, 0 skipped/);
    });
});
