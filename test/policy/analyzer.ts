// The pack's own analyzer (tools/policy/analyzer.ts) for the whole test process, started from the
// pack as `pulumi policy publish` ships it: policy/ copied alone (no node_modules, no build output)
// into an empty temporary directory, `npm install`ed there, then run-policy-pack in that directory.
// So every test that talks to the analyzer also shows that the pack stands alone. Installing and
// type-checking take ~9 s, so the copy starts when the run starts (test/setup/early.ts) and is ready
// by the time the policy suites, which run after unit and scripts, ask for it; stopped and removed
// after every test has run (a root-level after hook, registered when this module is loaded).
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PackAnalyzer, POLICY_DIR } from "../../tools/policy/analyzer";
import { startEarly } from "../setup/early";

export interface StandalonePack {
    /** The copy's directory. */
    readonly dir: string;
    readonly analyzer: PackAnalyzer;
}

function npmInstall(dir: string): Promise<void> {
    return new Promise((resolve, reject) => {
        execFile("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, timeout: 300_000 }, (err, _out, stderr) =>
            (err ? reject(new Error(`npm install in ${dir} failed: ${err.message}\n${stderr}`)) : resolve()));
    });
}

async function startStandalone(root: string): Promise<StandalonePack> {
    const dir = path.join(root, "policy");
    fs.cpSync(POLICY_DIR, dir, {
        recursive: true,
        filter: (src) => path.dirname(src) !== POLICY_DIR || !["node_modules", "bin"].includes(path.basename(src)),
    });
    if (fs.existsSync(path.join(dir, "node_modules"))) {
        throw new Error(`the copy in ${dir} already has node_modules`);
    }
    await npmInstall(dir);
    return { dir, analyzer: await PackAnalyzer.start(dir) };
}

/**
 * Where the copy goes: a memory file system when there is one (/dev/shm: the install writes ~100 MB in
 * thousands of files, 5 s there against 9 s on this machine's disk), else the temporary directory.
 */
function scratchRoot(): string {
    try {
        fs.accessSync("/dev/shm", fs.constants.W_OK);
        const free = fs.statfsSync("/dev/shm");
        if (free.bavail * free.bsize > 1024 ** 3) return "/dev/shm"; // not a container's 64 MB default
    } catch {
        // no /dev/shm here
    }
    return os.tmpdir();
}

let root: string | undefined;

/** The standalone pack and its analyzer (started when the run starts: test/setup/early.ts). */
export const standalonePack = startEarly((): Promise<StandalonePack> => {
    root = fs.mkdtempSync(path.join(scratchRoot(), "ternent-pack-alone-"));
    return startStandalone(root);
});

/** The analyzer of the standalone pack. */
export async function packAnalyzer(): Promise<PackAnalyzer> {
    return (await standalonePack()).analyzer;
}

after(async () => {
    if (!root) return;
    await standalonePack().then((p) => p.analyzer.stop(), () => undefined);
    fs.rmSync(root, { recursive: true, force: true });
    root = undefined;
});
