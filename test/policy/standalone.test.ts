// The policy pack stands alone: `pulumi policy publish` uploads policy/ and nothing else.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { policies } from "../../policy/policies/all";
import { POLICY_DIR } from "../../tools/policy/analyzer";
import { standalonePack } from "./analyzer";
import { importViolations, packSources } from "./imports";

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

describe("the policy pack copied alone into an empty directory", function () {
    this.timeout(360_000);

    it("installs with npm, starts its analyzer and answers GetAnalyzerInfo with every policy of the pack", async () => {
        const { dir, analyzer } = await standalonePack();
        assert.equal(path.relative(path.dirname(POLICY_DIR), dir).split(path.sep)[0], "..", "the copy is outside the repository");
        assert.ok(fs.existsSync(path.join(dir, "node_modules", "@pulumi", "policy", "package.json")), "npm installed the pack's dependencies");
        const info = await analyzer.info();
        assert.equal(info.name, "ternent-postgres-recoverability");
        assert.equal(info.version, JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")).version);
        assert.deepEqual(info.policies.map((p) => p.name), policies.map((p) => p.name));
        assert.ok(info.policies.every((p) => p.enforcementLevel === "mandatory"));
        assert.equal(info.policies.find((p) => p.name === "retention-daily-backups")!.configSchema?.properties.minDailyBackups.default, 7);
    });
});
