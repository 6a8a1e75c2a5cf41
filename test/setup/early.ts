// Fixtures that mostly wait on other processes (an npm install and a type-checked analyzer start,
// hundreds of Perl and bash runs, a CLI run) start when the test run starts instead of when their
// suite comes up. Mocha runs one test at a time and its process waits on such children about half of
// the run; this machine has two cores, so they finish beside the quick suites that run first (see
// the run order in test/setup/suites.js). The suites that need them await the result as usual.

/**
 * Call at the top level of a module a spec file imports (or of the spec file): registers a root-level
 * before hook that starts `start` when the run starts, and returns what a suite awaits. The getter
 * also starts it when that hook did not run (a run that filters tests still runs root hooks, but
 * tests calling it outside mocha would not). A failure is reported to whoever awaits it.
 */
export function startEarly<T>(start: () => Promise<T>): () => Promise<T> {
    let started: Promise<T> | undefined;
    const get = (): Promise<T> => {
        if (!started) {
            started = start();
            started.catch(() => undefined); // awaited, and so reported, by the suite that needs it
        }
        return started;
    };
    before(() => {
        void get();
    });
    return get;
}
