// Where the lab finds its tools (PostgreSQL 15, MinIO, mc, WAL-G) and why it cannot run without them,
// and the WAL-G tarball the lab installs through scripts/walg-install.sh like the init container does.
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import WALG_RELEASE from "../lib/walg-release.json";
import { runOk } from "./processes";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const PG_BIN = process.env.TERNENT_PG_BIN ?? "/usr/lib/postgresql/15/bin";
/** The WAL-G release the program pins (lib/walg-release.json): the lab checks its binary is that version. */
export const WALG_VERSION = WALG_RELEASE.version;

export function cacheDir(): string {
    return process.env.TERNENT_CACHE ?? path.join(os.homedir(), ".cache", "ternent-postgres");
}

function onPath(name: string): string | undefined {
    for (const d of (process.env.PATH ?? "").split(":")) {
        const p = path.join(d, name);
        if (d && fs.existsSync(p)) return p;
    }
    return undefined;
}

export function isExecutable(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/** Where the lab finds MinIO and mc: env override, the cache bin dir (lab/install.sh), then PATH. */
export function findTool(name: "minio" | "mc"): string {
    const envName = name === "minio" ? "TERNENT_MINIO_BIN" : "TERNENT_MC_BIN";
    const candidates = [process.env[envName], path.join(cacheDir(), "bin", name), onPath(name)];
    for (const c of candidates) if (c && isExecutable(c)) return c;
    throw new Error(`${name} not found (looked at $${envName}, ${path.join(cacheDir(), "bin", name)}, PATH); run lab/install.sh`);
}

/** What `wal-g --version` names ("wal-g version v3.0.9\t…" → "v3.0.9"), or the error. */
function walgVersionOf(bin: string): string {
    const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) return `(--version failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n")[0]})`;
    return r.stdout.trim().split(/\s+/)[2] ?? `(unreadable --version: ${r.stdout.trim()})`;
}

let walgFound: { bin: string } | { reason: string } | undefined;

/**
 * WAL-G binary for the lab: TERNENT_WALG_BIN, else $TERNENT_CACHE/bin/wal-g (lab/install.sh puts the
 * release asset there); it must report the version the program pins (lib/walg-release.json).
 */
export function findWalg(): { bin: string } | { reason: string } {
    walgFound ??= (() => {
        const fromEnv = process.env.TERNENT_WALG_BIN;
        const cached = path.join(cacheDir(), "bin", "wal-g");
        const bin = fromEnv || cached;
        if (!isExecutable(bin)) {
            return {
                reason: fromEnv
                    ? `WAL-G not available: TERNENT_WALG_BIN=${fromEnv} is not an executable file`
                    : `WAL-G not available: no ${cached} and TERNENT_WALG_BIN is not set (lab/install.sh downloads the ` +
                      `pinned release; without internet set TERNENT_WALG_BIN, e.g. to ../shared/walg/wal-g, see README)`,
            };
        }
        const version = walgVersionOf(bin);
        if (version !== WALG_VERSION) return { reason: `WAL-G not usable: ${bin} reports ${version}, the program pins ${WALG_VERSION}` };
        return { bin };
    })();
    return walgFound;
}

export function walgSkipReason(): string | undefined {
    const w = findWalg();
    return "reason" in w ? w.reason : undefined;
}

/** Why a lab cannot run here (no PostgreSQL 15, WAL-G, MinIO or mc), or undefined: tests skip (CI: fail) with this reason. */
export function labSkipReason(): string | undefined {
    if (!isExecutable(path.join(PG_BIN, "postgres"))) return `PostgreSQL 15 not available: no ${path.join(PG_BIN, "postgres")} (lab/install.sh installs postgresql-15)`;
    const walg = walgSkipReason();
    if (walg) return walg;
    try {
        findTool("minio");
        findTool("mc");
    } catch (e) {
        return `MinIO not available: ${(e as Error).message}`;
    }
    return undefined;
}

export function sha256File(file: string): string {
    const h = crypto.createHash("sha256");
    const fd = fs.openSync(file, "r");
    try {
        const buf = Buffer.allocUnsafe(1 << 20);
        let n: number;
        while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
    } finally {
        fs.closeSync(fd);
    }
    return h.digest("hex");
}

/**
 * A .tar.gz holding the WAL-G binary (like the upstream release asset), cached next to the binary's
 * identity so only the first lab run pays for the compression. Returns {file, sha256}.
 */
export async function walgTarball(walgBin: string): Promise<{ file: string; sha256: string }> {
    const st = fs.statSync(walgBin);
    const dir = path.join(cacheDir(), "lab", "walg-tarball");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `wal-g-${st.size}-${Math.floor(st.mtimeMs)}.tar.gz`);
    if (!fs.existsSync(file)) {
        // Labs set up at once (and several test processes) may build it together: each writes its own
        // staging directory and renames its tarball into place; the rename is atomic, the last one wins
        // and every copy is the same.
        const stage = fs.mkdtempSync(path.join(dir, "stage-"));
        try {
            fs.copyFileSync(walgBin, path.join(stage, "wal-g-pg-lab-amd64"));
            const tmp = path.join(stage, "wal-g.tar.gz");
            // Byte-identical whoever builds it (fixed mtime and owner, gzip without name or time), so a
            // sha256 taken by one lab matches the file another lab renamed into place.
            await runOk("sh", ["-c", 'tar --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -C "$1" wal-g-pg-lab-amd64 | gzip -1 -n >"$2"', "sh", stage, tmp]);
            fs.renameSync(tmp, file);
        } finally {
            fs.rmSync(stage, { recursive: true, force: true });
        }
    }
    return { file, sha256: sha256File(file) };
}
