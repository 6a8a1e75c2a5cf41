import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadScripts, REQUIRED_SCRIPTS, SCRIPTS_DIR } from "../../components/scripts";

function withDir(files: Record<string, string | Buffer>, fn: (dir: string) => void): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-scripts-"));
    try {
        for (const [name, content] of Object.entries(files)) {
            fs.writeFileSync(path.join(dir, name), content);
        }
        fn(dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("components/scripts", () => {
    it("loads every file of the repository's scripts/, including every script a workload runs", () => {
        const scripts = loadScripts();
        assert.deepEqual(Object.keys(scripts), fs.readdirSync(SCRIPTS_DIR).sort());
        for (const name of REQUIRED_SCRIPTS) {
            assert.ok(name in scripts, name);
        }
    });

    it("refuses an empty scripts directory", () => {
        withDir({}, (dir) => assert.throws(() => loadScripts(dir, []), /is empty: the pods run the files in it/));
    });

    it("refuses a scripts directory that lacks a script a workload runs", () => {
        withDir({ "backup.sh": "#!/bin/sh\n" }, (dir) => assert.throws(() => loadScripts(dir, ["backup.sh", "restore.sh"]), /lacks restore\.sh/));
    });

    it("refuses a subdirectory (scripts/ is flat: file name = ConfigMap key)", () => {
        withDir({ "a.sh": "x" }, (dir) => {
            fs.mkdirSync(path.join(dir, "sub"));
            assert.throws(() => loadScripts(dir, []), /is a directory: scripts\/ is flat/);
        });
    });

    it("refuses a file that is not UTF-8 text", () => {
        withDir({ "blob.bin": Buffer.from([0xff, 0xfe, 0x00]) }, (dir) => assert.throws(() => loadScripts(dir, []), /not valid UTF-8/));
    });

    it("keeps file content byte for byte", () => {
        const text = "#!/bin/sh\n# ünïcode, tabs\t and no trailing newline";
        withDir({ "x.sh": text }, (dir) => assert.equal(loadScripts(dir, ["x.sh"])["x.sh"], text));
    });
});
