// Shared set-up of the lab tests: one Lab (own bucket, PostgreSQL, temp dirs and free ports) per
// scenario, skipped with the reason when WAL-G or MinIO is not available, always cleaned up. The
// scenarios share one MinIO process and its rw/ro users (SharedStorage) to save start-up time.
import { Lab, LabOptions, SharedStorage, labSkipReason } from "../../lab";
import { requireOrSkip } from "../setup/requirements";

export { labSkipReason };

let storage: Promise<SharedStorage> | undefined;

// Root-level hook: stop the shared MinIO once every scenario is done.
after(async function () {
    this.timeout(30_000);
    if (storage) await (await storage).stop();
});

/** Registers before/after hooks for a scenario and returns an accessor for its lab. */
export function useLab(opts: LabOptions = {}): () => Lab {
    let lab: Lab | undefined;
    before(async function () {
        this.timeout(180_000);
        requireOrSkip(this, labSkipReason());
        storage ??= SharedStorage.start();
        lab = await Lab.create({ storage: await storage, ...opts });
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
