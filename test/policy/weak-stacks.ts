// Weakened copies of Pulumi.prod.yaml, one recoverability setting lowered each, and the policy that
// must refuse it. Written to a temporary directory; the CLI test copies one to Pulumi.weak.yaml.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../tools/harness";

export interface Weakening {
    readonly name: string;
    readonly change: (text: string) => string;
    readonly policy: string;
}

function replace(from: RegExp, to: string): (text: string) => string {
    return (text) => {
        const out = text.replace(from, to);
        if (out === text) {
            throw new Error(`Pulumi.prod.yaml has no ${from}: the weakened stack would equal prod`);
        }
        return out;
    };
}

export const WEAKENINGS: readonly Weakening[] = [
    { name: "daily retention 3", change: replace(/^(\s+daily:\s*)7\b/m, "$13"), policy: "retention-daily-backups" },
    { name: "weekly retention 2", change: replace(/^(\s+weekly:\s*)4\b/m, "$12"), policy: "retention-weekly-backups" },
    { name: "PITR window 3 days", change: replace(/^(\s+pitrDays:\s*)7\b/m, "$13"), policy: "retention-pitr-window" },
    { name: "no restoreDrill schedule", change: replace(/^\s+restoreDrill:.*\n/m, ""), policy: "restore-drill-weekly" },
    { name: "archiveTimeoutSeconds 120", change: replace(/^(\s+archiveTimeoutSeconds:\s*)60\b/m, "$1120"), policy: "archive-timeout" },
    { name: "drKeyPermission readwrite", change: replace(/^(\s+drKeyPermission:\s*)read\b/m, "$1readwrite"), policy: "dr-read-only-key" },
    { name: "verify every 15 minutes", change: replace(/^(\s+verify:\s*)"\* \* \* \* \*"/m, '$1"*/15 * * * *"'), policy: "archive-stall-detection" },
    {
        name: "WAL-G file retries 15 (bound raised to 6 h)",
        change: replace(/^(\s+fileRetries:\s*)3\s*\n(\s+requestRetries:\s*5\s*\n\s+maxSeconds:\s*)600\b/m, "$115\n$221600"),
        policy: "walg-retries-bounded",
    },
    {
        // The stack is named weak here: the tag marks it production, as a team's prod-like stack would be.
        name: "storageClass do-block-storage (deletes its volumes)",
        change: (t) => `${replace(/^(\s+storageClass:\s*)do-block-storage-retain\b/m, "$1do-block-storage")(t).trimEnd()}\n  pulumi:tags:\n    environment: production\n`,
        policy: "data-volume-retained",
    },
    {
        name: "drill scratch 1.2 x storageSize",
        change: (t) => `${t.trimEnd()}\n  ternent-postgres:drills:\n    scratchFactor: 1.2\n`,
        policy: "drill-scratch-sufficient",
    },
];

export function prodText(): string {
    return fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8");
}

/** Writes every weakened stack file into a fresh temporary directory. */
export function writeWeakStacks(): { dir: string; files: Map<string, string> } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-weak-"));
    const files = new Map<string, string>();
    WEAKENINGS.forEach((w, i) => {
        const file = path.join(dir, `Pulumi.weak${i}.yaml`);
        fs.writeFileSync(file, `# ${w.name}\n${w.change(prodText())}`);
        files.set(w.name, file);
    });
    return { dir, files };
}

/** Pulumi.prod.yaml during a recovery: data generation 1 restored from generation 0 by the restore Job. */
export function recoveryText(): string {
    return replace(/^(\s*ternent-postgres:dataGeneration:\s*)0\s*$/m,
        "$11\n  ternent-postgres:recovery:\n    target: latest\n    scaleApi: true\n    apiReplicas: 1\n")(prodText());
}
