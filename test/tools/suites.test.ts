// The suites' table (test/setup/suites.js): every test file runs exactly once, in the suites' run
// order; and startEarly (test/setup/early.ts), which starts the slow fixtures when the run starts.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { startEarly } from "../setup/early";
import { REPO_ROOT } from "../../tools/harness";
import { RUN_ORDER, SUITES, specFiles, specFor, suiteOfFile } from "../setup/suites";

describe("test/setup/suites.js", () => {
    it("runs every test/**/*.test.ts exactly once", () => {
        const onDisk = (fs.readdirSync(path.join(REPO_ROOT, "test"), { recursive: true }) as string[])
            .map((f) => `test/${f.split(path.sep).join("/")}`)
            .filter((f) => f.endsWith(".test.ts") && !f.includes("/fixtures/"));
        const listed = specFiles();
        assert.equal(new Set(listed).size, listed.length, "a file is listed twice");
        assert.deepEqual([...listed].sort(), onDisk.sort());
        assert.ok(listed.length >= 80, `only ${listed.length} test files`);
    });

    it("names every suite once in the run order and runs each suite's files together, in that order", () => {
        assert.deepEqual([...RUN_ORDER].sort(), SUITES.map(([name]) => name).sort());
        const order = specFiles().map(suiteOfFile).filter((s, i, all) => s !== all[i - 1]);
        assert.deepEqual(order, RUN_ORDER.filter((s) => order.includes(s)));
        assert.deepEqual(RUN_ORDER.slice(0, 3), ["unit", "scripts", "policy"], "the quick suites first");
    });

    it("leaves its list out when the command line names test files, and only then", () => {
        const all = specFiles();
        assert.deepEqual(specFor([]), all);
        assert.deepEqual(specFor(["--reporter", "dot", "--timeout", "120000"]), all);
        assert.deepEqual(specFor(["--exclude", "test/scripts/retention-walg.test.ts", "--exclude=test/lab/**"]), all);
        assert.deepEqual(specFor(["test/policy/stacks.test.ts"]), []);
        assert.deepEqual(specFor(["--reporter", "dot", "test/tools/suites.test.ts", "test/program.test.ts"]), []);
        assert.deepEqual(specFor(["--spec", "test/policy/**/*.test.ts"]), []);
    });

    it("puts each file in its suite", () => {
        assert.equal(suiteOfFile("test/program.test.ts"), "unit");
        assert.equal(suiteOfFile("test/config/sections/walg.test.ts"), "unit");
        assert.equal(suiteOfFile("test/scripts/plan.test.ts"), "scripts");
        assert.equal(suiteOfFile("test/scripts/retention-walg.test.ts"), "retention-walg");
        assert.equal(suiteOfFile("test/policy/lib/cron.test.ts"), "policy");
        assert.equal(suiteOfFile("test/lab/recovery.test.ts"), "recovery");
        assert.equal(suiteOfFile("test/lab/pitr.test.ts"), "lab");
        assert.equal(suiteOfFile("test/controlplane/ha.test.ts"), "control plane");
    });
});

describe("test/setup/early.ts startEarly", () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => void unhandled.push(reason);
    before(() => process.on("unhandledRejection", record));
    after(() => process.off("unhandledRejection", record));
    let starts = 0;
    const early = startEarly(async () => ++starts);
    const failing = startEarly(() => Promise.reject(new Error("the fixture could not start")));

    it("has started its fixture before the first test, once, and hands every caller the same result", async () => {
        assert.equal(starts, 1, "started by the hook it registered");
        assert.equal(await early(), 1);
        assert.equal(await early(), 1);
        assert.equal(starts, 1);
    });

    it("reports a failed start to whoever awaits it (and to no one before that)", async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        assert.deepEqual(unhandled, [], "the failed start was reported as an unhandled rejection before anyone awaited it");
        await assert.rejects(failing(), /the fixture could not start/);
    });
});
