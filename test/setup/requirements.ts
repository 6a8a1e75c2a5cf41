// One rule for tests that need a tool (WAL-G, PostgreSQL, MinIO, the real-engine build): outside CI
// they skip and say why; under CI=true a missing tool fails the run with the same reason, so CI can
// never go green without the data path having run (see README "Tests").
import type { Context } from "mocha";
import { inCI } from "./ci";

/**
 * Call from a before() hook (or an it()) with the reason a required tool is missing, or undefined when
 * everything is there (undefined or null). Skips the suite outside CI; throws (fails the hook, and so every test in it)
 * under CI.
 */
export function requireOrSkip(ctx: Context, reason: string | null | undefined): void {
    if (!reason) return;
    if (inCI()) throw new Error(`required under CI=true, but missing: ${reason}`);
    console.log(`      skipped: ${reason}`);
    ctx.skip();
}
