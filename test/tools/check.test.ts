// tools/check.sh, npm test's static checks side by side: with stand-ins for tsc, eslint and
// shellcheck (the real ones take seconds each and have their own run in npm test itself).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunResult, run } from "../../lab/processes";
import { REPO_ROOT } from "../../tools/harness";

/** A copy of check.sh in a scratch tree whose tools record their arguments and fail when FAIL_<TOOL> is set. */
function scratch(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-check-"));
    fs.mkdirSync(path.join(dir, "tools"));
    fs.copyFileSync(path.join(REPO_ROOT, "tools", "check.sh"), path.join(dir, "tools", "check.sh"));
    fs.mkdirSync(path.join(dir, "node_modules", ".bin"), { recursive: true });
    fs.mkdirSync(path.join(dir, "stubs"));
    const stub = (file: string, tool: string): void => {
        fs.writeFileSync(file, `#!/bin/sh\necho "${tool} $*"\n[ -z "$FAIL_${tool.toUpperCase()}" ] || { echo "${tool}: error"; exit 2; }\n`, { mode: 0o755 });
    };
    stub(path.join(dir, "node_modules", ".bin", "tsc"), "tsc");
    stub(path.join(dir, "node_modules", ".bin", "eslint"), "eslint");
    stub(path.join(dir, "stubs", "shellcheck"), "shellcheck");
    return dir;
}

function check(dir: string, env: Record<string, string> = {}, group?: string): Promise<RunResult> {
    return run("bash", [path.join(dir, "tools", "check.sh"), ...(group ? [group] : [])], {
        cwd: os.tmpdir(), timeoutMs: 60_000, env: { ...process.env, PATH: `${path.join(dir, "stubs")}:${process.env.PATH}`, ...env },
    });
}

describe("tools/check.sh (npm test's static checks)", () => {
    let dir = "";
    before(() => {
        dir = scratch();
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("runs both type checks, eslint and shellcheck from the repository root and passes when all pass", async () => {
        const r = await check(dir);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^tsc --noEmit -p \.$/m);
        assert.match(r.stdout, /^tsc --noEmit -p policy$/m);
        assert.match(r.stdout, /^eslint \.$/m);
        assert.match(r.stdout, /^shellcheck -x .*\.ci\/run$/m);
        assert.match(r.stdout, /check: typecheck-program typecheck-pack eslint shellcheck passed\n$/);
    });

    for (const [tool, names] of [["tsc", "typecheck-program typecheck-pack"], ["eslint", "eslint"], ["shellcheck", "shellcheck"]]) {
        it(`fails naming ${names} and prints its output when ${tool} fails`, async () => {
            const r = await check(dir, { [`FAIL_${tool.toUpperCase()}`]: "1" });
            assert.equal(r.code, 1, r.stdout);
            assert.match(r.stderr, new RegExp(`check: failed: ${names}\\n`));
            assert.match(r.stdout, new RegExp(`${tool}: error`));
            assert.doesNotMatch(r.stdout, /passed/);
        });
    }

    it("runs one group alone (npm run typecheck, npm run lint) and refuses an unknown one", async () => {
        const t = await check(dir, { FAIL_ESLINT: "1" }, "typecheck");
        assert.equal(t.code, 0, t.stdout + t.stderr);
        assert.match(t.stdout, /check: typecheck-program typecheck-pack passed\n$/);
        assert.doesNotMatch(t.stdout, /eslint|shellcheck/);
        const l = await check(dir, { FAIL_TSC: "1" }, "lint");
        assert.equal(l.code, 0, l.stdout + l.stderr);
        assert.match(l.stdout, /check: eslint shellcheck passed\n$/);
        const u = await check(dir, {}, "types");
        assert.equal(u.code, 2);
        assert.match(u.stderr, /unknown group 'types'/);
    });

    it("prints each check's output whole and in a fixed order", async () => {
        const r = await check(dir);
        const heads = [...r.stdout.matchAll(/^== (\S+)$/gm)].map((m) => m[1]);
        assert.deepEqual(heads, ["typecheck-program", "typecheck-pack", "eslint", "shellcheck"]);
    });
});
