// The policy pack stands alone: `pulumi policy publish` uploads policy/ and nothing else.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../tools/harness";
import { importViolations, packSources } from "./imports";

const POLICY_DIR = path.join(REPO_ROOT, "policy");

describe("the policy pack's imports", () => {
    it("reach no file outside policy/ and only packages policy/package.json declares", () => {
        assert.ok(packSources(POLICY_DIR).length >= 30, "the pack's sources were read");
        assert.deepEqual(importViolations(POLICY_DIR).map((v) => `${v.file}: ${v.specifier} (${v.why})`), []);
    });

    it("are refused when a file imports outside the pack or an undeclared package", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-pack-imports-"));
        try {
            fs.mkdirSync(path.join(dir, "policies"));
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@pulumi/policy": "1" } }));
            fs.writeFileSync(path.join(dir, "index.ts"), 'import { PolicyPack } from "@pulumi/policy";\nimport "./policies/a";\n');
            fs.writeFileSync(path.join(dir, "policies", "a.ts"),
                'import { parseCron } from "../../lib/cron";\nimport * as fs from "node:fs";\nconst y = require("js-yaml");\nexport type T = import("../x");\n');
            assert.deepEqual(importViolations(dir).map((v) => `${v.file}: ${v.specifier}`), [
                `${path.join("policies", "a.ts")}: ../../lib/cron`,
                `${path.join("policies", "a.ts")}: js-yaml`,
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
