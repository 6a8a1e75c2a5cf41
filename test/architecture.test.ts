// docs/architecture.md, "Repository layout": what may import what, and who reads the stack config.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { importViolations, programFiles, stackReads, stackReadViolations } from "./architecture";

const ROOT = path.resolve(__dirname, "..");

/** A throwaway tree of `files` (path → text) with a package.json declaring @pulumi/pulumi. */
function withTree(files: Record<string, string>, check: (root: string) => void): void {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-layout-"));
    try {
        fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ dependencies: { "@pulumi/pulumi": "3" }, devDependencies: { "js-yaml": "4" } }));
        for (const [file, text] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
            fs.writeFileSync(path.join(root, file), text);
        }
        check(root);
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

describe("the repository layout (docs/architecture.md)", () => {
    it("reads the whole program: index.ts, outputs.ts, config/, components/, lib/", () => {
        const files = programFiles(ROOT);
        for (const f of ["index.ts", "outputs.ts", "config/load.ts", path.join("config", "sections", "postgres.ts"), "components/postgres.ts", "lib/contract.ts"]) {
            assert.ok(files.includes(f), f);
        }
    });

    it("keeps the import rule: program → config, components; components → lib, policy/lib, config's types; config → lib, policy/lib; lib → lib", () => {
        assert.deepEqual(importViolations(ROOT).map((v) => `${v.file}: ${v.what}`), []);
    });

    it("reads the stack config only in config/load.ts, the stack's identity only in config/", () => {
        assert.deepEqual(stackReadViolations(ROOT).map((v) => `${v.file}: ${v.what}`), []);
        const reads = stackReads(ROOT);
        assert.deepEqual([...new Set(reads.filter((r) => r.what === "Config").map((r) => r.file))], ["config/load.ts"]);
        assert.ok(reads.some((r) => r.file === path.join("config", "history.ts") && r.what === "StackReference"), "the history's StackReference was seen");
    });

    it("refuses a component that reads the stack config or the stack's name", () => {
        withTree({
            "components/a.ts": 'import * as pulumi from "@pulumi/pulumi";\nconst c = new pulumi.Config("x");\nexport const s = pulumi.getStack() + c.name;\n',
            "components/b.ts": 'import { Config } from "@pulumi/pulumi";\nimport * as rt from "@pulumi/pulumi/runtime/config";\nexport const c = Config && rt;\n',
            "config/load.ts": 'import * as pulumi from "@pulumi/pulumi";\nexport const c = new pulumi.Config("x");\nexport const all = pulumi.runtime.allConfig();\n',
            "config/history.ts": 'import * as pulumi from "@pulumi/pulumi";\nexport const s = pulumi.getStack();\n',
            "config/other.ts": 'import * as pulumi from "@pulumi/pulumi";\nexport const v = pulumi.runtime.getConfig("x");\n',
        }, (root) => {
            assert.deepEqual(stackReadViolations(root).map((v) => `${v.file.split(path.sep).join("/")}: ${v.what}`), [
                "config/other.ts: getConfig",
                "components/a.ts: Config",
                "components/a.ts: getStack",
                "components/b.ts: Config",
                "components/b.ts: @pulumi/pulumi/runtime/config",
            ]);
        });
    });

    it("refuses imports against the rule and packages a deployment does not install", () => {
        withTree({
            "index.ts": 'import { x } from "./lib/a";\nimport { c } from "./config";\nexport = () => x + c;\n',
            "config/index.ts": 'import { b } from "../components/b";\nexport const c = b;\n',
            "components/b.ts": 'import { load } from "../config";\nimport type { T } from "../config";\nimport { type U } from "../config";\nexport const b: T & U = load;\n',
            "components/c.ts": 'import * as yaml from "js-yaml";\nimport * as fs from "fs";\nconst t = require("../tools/x");\nexport const c = [yaml, fs, t];\n',
            "lib/a.ts": 'import { d } from "../policy/lib/d";\nexport const x = d;\n',
        }, (root) => {
            assert.deepEqual(importViolations(root).map((v) => `${v.file.split(path.sep).join("/")}: ${v.what.split(":")[0]}`), [
                "index.ts: imports ./lib/a (lib)",
                "config/index.ts: imports ../components/b (components)",
                "components/b.ts: imports ../config (config)",
                "components/c.ts: imports js-yaml",
                "components/c.ts: imports ../tools/x (other)",
                "lib/a.ts: imports ../policy/lib/d (policy/lib)",
            ]);
        });
    });
});
