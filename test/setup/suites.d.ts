/** The repository root. */
export const ROOT: string;
/** [suite name, file pattern]: the first matching rule wins. */
export const SUITES: ReadonlyArray<readonly [string, RegExp]>;
/** The suites in the order npm test runs them. */
export const RUN_ORDER: readonly string[];
/** The suite of a test file given relative to the repository ("/"-separated). */
export function suiteOfFile(relative: string): string;
/** Every test/**\/*.test.ts relative to the repository, in RUN_ORDER, then by path. */
export function specFiles(): string[];
/** mocha's spec list for this command line: none when it names test files itself, else specFiles(). */
export function specFor(args: readonly string[]): string[];
