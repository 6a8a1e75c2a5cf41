// The pack's own analyzer (tools/policy/analyzer.ts) for the whole test process, started from the
// pack as `pulumi policy publish` ships it: policy/ copied alone (no node_modules, no build output)
// into an empty temporary directory, `npm install`ed there, then run-policy-pack in that directory.
// So every test that talks to the analyzer also shows that the pack stands alone. Started by the
// first suite that asks for it (installing and type-checking take seconds), stopped and removed
// after every test has run (a root-level after hook, registered when this module is loaded).
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PackAnalyzer, POLICY_DIR } from "../../tools/policy/analyzer";

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

let root: string | undefined;
let shared: Promise<StandalonePack> | undefined;

/** The standalone pack and its analyzer; call from a before() hook with a timeout of a few minutes. */
export function standalonePack(): Promise<StandalonePack> {
    if (!shared) {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-pack-alone-"));
        shared = startStandalone(root);
    }
    return shared;
}

/** The analyzer of the standalone pack. */
export async function packAnalyzer(): Promise<PackAnalyzer> {
    return (await standalonePack()).analyzer;
}

after(async () => {
    const started = shared;
    shared = undefined;
    await started?.then((p) => p.analyzer.stop(), () => undefined);
    if (root) {
        fs.rmSync(root, { recursive: true, force: true });
        root = undefined;
    }
});
