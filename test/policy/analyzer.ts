// One instance of the pack's own analyzer (tools/policy/analyzer.ts) for the whole test process:
// started by the first suite that asks for it (type-checking the pack takes seconds), stopped after
// every test has run (a root-level after hook, registered when this module is loaded).
import { PackAnalyzer } from "../../tools/policy/analyzer";

let shared: Promise<PackAnalyzer> | undefined;

/** The analyzer; call from a before() hook with a timeout of a minute or two. */
export function packAnalyzer(): Promise<PackAnalyzer> {
    return (shared ??= PackAnalyzer.start());
}

after(async () => {
    if (shared) {
        const started = shared;
        shared = undefined;
        await started.then((a) => a.stop(), () => undefined);
    }
});
