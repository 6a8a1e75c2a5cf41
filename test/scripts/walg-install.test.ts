// scripts/walg-install.sh: the verification path of the init container, with ordinary files (no WAL-G
// needed). Runs under dash, a strict POSIX sh like the busybox sh of curlimages/curl.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, makeTempDir, removeTempDir, run, RunResult } from "../../lab";

const SCRIPT = path.join(REPO_ROOT, "scripts", "walg-install.sh");
const FAKE_BINARY = "#!/bin/sh\necho 'wal-g version v3.0.9-fake'\n";

function sha256(file: string): string {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

describe("walg-install.sh (init container installer)", function () {
    let dir: string;
    let binary: string;
    let tarball: string;

    beforeEach(async function () {
        dir = makeTempDir("tpg-wi-");
        binary = path.join(dir, "wal-g-pg-ubuntu-amd64");
        fs.writeFileSync(binary, FAKE_BINARY, { mode: 0o644 });
        fs.mkdirSync(path.join(dir, "pack"));
        fs.copyFileSync(binary, path.join(dir, "pack", "wal-g-pg-ubuntu-amd64"));
        tarball = path.join(dir, "wal-g-pg-ubuntu-amd64.tar.gz");
        const t = await run("tar", ["-czf", tarball, "-C", path.join(dir, "pack"), "."]);
        assert.equal(t.code, 0, t.stderr);
    });
    afterEach(() => removeTempDir(dir));

    function install(url: string, sha: string, bin = path.join(dir, "bin")): Promise<RunResult> {
        return run("dash", [SCRIPT], {
            env: { PATH: process.env.PATH, WALG_VERSION: "v3.0.9", WALG_URL: url, WALG_SHA256: sha, TERNENT_BIN: bin },
            timeoutMs: 30_000,
        });
    }
    const installed = () => fs.readdirSync(path.join(dir, "bin"));

    it("installs a plain binary whose sha256 matches and prints its version because it runs", async function () {
        const r = await install(`file://${binary}`, sha256(binary));
        assert.equal(r.code, 0, r.stderr);
        const target = path.join(dir, "bin", "wal-g");
        assert.equal(fs.readFileSync(target, "utf8"), FAKE_BINARY);
        assert.ok(fs.statSync(target).mode & 0o111, "installed file is executable");
        assert.deepEqual(r.json, { installed: target, version: "v3.0.9", url: `file://${binary}`, sha256: sha256(binary), runnable: true });
        assert.match(r.stderr, /wal-g version v3\.0\.9-fake/);
    });

    it("installs the single file of a .tar.gz release archive", async function () {
        const r = await install(`file://${tarball}`, sha256(tarball));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(fs.readFileSync(path.join(dir, "bin", "wal-g"), "utf8"), FAKE_BINARY);
        assert.deepEqual(installed(), ["wal-g"], "no staging leftovers");
    });

    it("accepts the sha256 in upper case", async function () {
        const r = await install(`file://${binary}`, sha256(binary).toUpperCase());
        assert.equal(r.code, 0, r.stderr);
    });

    it("fails closed on a sha256 mismatch: exit 3, expected and actual named, nothing installed", async function () {
        const wrong = "0".repeat(64);
        const r = await install(`file://${tarball}`, wrong);
        assert.equal(r.code, 3);
        assert.match(r.stderr, new RegExp(`expected ${wrong}, actual ${sha256(tarball)}`));
        assert.deepEqual(installed(), [], "nothing installed, no staging leftovers");
    });

    it("keeps an already installed wal-g untouched when the new download does not verify", async function () {
        assert.equal((await install(`file://${binary}`, sha256(binary))).code, 0);
        fs.writeFileSync(binary, "#!/bin/sh\necho tampered\n");
        const r = await install(`file://${binary}`, sha256(tarball));
        assert.equal(r.code, 3);
        assert.equal(fs.readFileSync(path.join(dir, "bin", "wal-g"), "utf8"), FAKE_BINARY);
    });

    it("refuses an archive holding more than one file and installs nothing", async function () {
        fs.writeFileSync(path.join(dir, "pack", "README"), "extra");
        const two = path.join(dir, "two.tar.gz");
        assert.equal((await run("tar", ["-czf", two, "-C", path.join(dir, "pack"), "."])).code, 0);
        const r = await install(`file://${two}`, sha256(two));
        assert.equal(r.code, 1);
        assert.match(r.stderr, /exactly one file, found 2/);
        assert.deepEqual(installed(), []);
    });

    it("rejects a malformed sha256 and a non-https URL with exit 2 naming the value", async function () {
        const short = await install(`file://${binary}`, "abc123");
        assert.equal(short.code, 2);
        assert.match(short.stderr, /WALG_SHA256='abc123'/);
        const http = await install("http://example.com/wal-g", sha256(binary));
        assert.equal(http.code, 2);
        assert.match(http.stderr, /WALG_URL='http:\/\/example.com\/wal-g' is not allowed/);
    });

    it("fails with exit 1 when the file:// source does not exist", async function () {
        const r = await install(`file://${dir}/absent`, sha256(binary));
        assert.equal(r.code, 1);
        assert.match(r.stderr, /does not exist/);
    });
});
