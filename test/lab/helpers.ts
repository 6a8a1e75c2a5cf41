// Shared set-up of the lab tests: one Lab (MinIO + PostgreSQL + WAL-G, own temp dirs and free ports)
// per scenario, skipped with the reason when WAL-G or MinIO is not available, always cleaned up.
import { Lab, LabOptions, findTool, walgSkipReason } from "../../lab/lab";

export function labSkipReason(): string | undefined {
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

/** Registers before/after hooks for a scenario and returns an accessor for its lab. */
export function useLab(opts: LabOptions = {}): () => Lab {
    let lab: Lab | undefined;
    before(async function () {
        this.timeout(180_000);
        const reason = labSkipReason();
        if (reason) {
            console.log(`      skipped: ${reason}`);
            this.skip();
        }
        lab = await Lab.create(opts);
    });
    after(async function () {
        this.timeout(60_000);
        await lab?.cleanup();
    });
    return () => {
        if (!lab) throw new Error("lab not started");
        return lab;
    };
}

/** Rows of a one-column query as strings. */
export async function column(lab: Lab, sql: string): Promise<string[]> {
    const out = await lab.psql(sql);
    return out === "" ? [] : out.split("\n");
}
