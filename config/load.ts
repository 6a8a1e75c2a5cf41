// The one place the stack config is read (`new pulumi.Config()` only here; test/architecture.test.ts
// checks it): the running stack's `ternent-postgres:` keys and the `kubernetes:` flags are handed to
// validateStackConfig, its warnings logged, and the result checked against the previous deployment.

import * as pulumi from "@pulumi/pulumi";
import { ConfigError, PROJECT, show } from "./errors";
import { parseRfc3339 } from "./formats";
import { checkAgainstPrevious, readPreviousDeployment } from "./history";
import { StackConfig } from "./schema";
import { MUTABLE_FLAGS } from "./sections";
import { validateStackConfig } from "./validate";

/** The clock validation uses: TERNENT_NOW (tests, reproducible renders) or real time. */
export function validationClock(): Date {
    const fixed = process.env.TERNENT_NOW;
    if (fixed) {
        const d = parseRfc3339(fixed);
        if (!d) {
            throw new ConfigError([`TERNENT_NOW = ${show(fixed)} is not an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z)`]);
        }
        return d;
    }
    return new Date();
}

/** Reads and validates the current stack's `ternent-postgres:` config; logs warnings; throws ConfigError. */
export function loadStackConfig(): StackConfig {
    const cfg = new pulumi.Config(PROJECT);
    const k8s = new pulumi.Config("kubernetes");
    // Enumerate the keys so that unknown ones (typos) are errors, not silently ignored.
    const prefix = `${PROJECT}:`;
    const keys = Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    // An SDK internal (in runtime/config.js, not in its typings): the only way to tell a secret key.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };
    for (const key of keys) {
        // Secret values are read raw to be validated, then wrapped in pulumi.secret by the validator.
        const v = cfg.get(key);
        if (v !== undefined) {
            values[key] = v;
        }
        if (runtimeConfig.isConfigSecret(`${prefix}${key}`)) {
            secretKeys.push(key);
        }
    }
    const kubernetes: Record<string, string> = {};
    for (const flag of MUTABLE_FLAGS) {
        const v = k8s.get(flag);
        if (v !== undefined) {
            kubernetes[flag] = v;
        }
    }
    const { config, warnings } = validateStackConfig({
        stack: pulumi.getStack(), values, secretKeys, kubernetes, now: validationClock(),
    });
    for (const w of warnings) {
        void pulumi.log.warn(w);
    }
    return config;
}

/** The whole preview-time validation: config, then the history of this stack. */
export async function loadAndCheckStackConfig(): Promise<StackConfig> {
    return checkAgainstPrevious(loadStackConfig(), await readPreviousDeployment());
}
