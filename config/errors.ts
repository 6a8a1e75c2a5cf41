// How the config talks about a problem: the full key (`ternent-postgres:<path>`), the value as the
// user wrote it (shortened) and ConfigError, which carries every problem of a config at once.

import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../policy/lib/project";

export { PROJECT };

/** The full config key of a path: `ternent-postgres:postgres.image`. */
export function configKey(path: string): string {
    return `${PROJECT}:${path}`;
}

/** A value as a problem shows it: JSON, cut at 120 characters. */
export function show(value: unknown): string {
    const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** A config value that cannot work; thrown at preview (a RunError prints without a stack trace). */
export class ConfigError extends pulumi.RunError {
    readonly problems: readonly string[];
    constructor(problems: readonly string[]) {
        super(problems.length === 1
            ? problems[0]
            : `${problems.length} problems in the stack config:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
        this.problems = problems;
    }
}
