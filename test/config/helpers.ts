// Validating a config as a stack file gives it, and the ConfigError it raises.
import { strict as assert } from "assert";
import { ConfigError, RawStackConfig, ValidatedConfig, validateStackConfig } from "../../config";

const FLAGS = { enableSecretMutable: "true", enableConfigMapMutable: "true" };

/** The fixed clock of the config tests. */
export const NOW = new Date("2025-06-15T12:00:00Z");

/** Validates a config given as a stack file would (objects are JSON-encoded like the language host does). */
export function validate(values: Record<string, unknown>, extra: Partial<RawStackConfig> = {}): ValidatedConfig {
    const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    return validateStackConfig({ stack: "dev", values: raw, secretKeys: [], kubernetes: FLAGS, now: NOW, ...extra });
}

/** The message of the ConfigError `fn` throws (fails the test when it throws none). */
export function errorOf(fn: () => void): string {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.message;
    }
    assert.fail("expected the config to be refused");
}

/** The ConfigError a config raises (fails the test when there is none). */
export function problemsOf(values: Record<string, unknown>, extra: Partial<RawStackConfig> = {}): string {
    return errorOf(() => validate(values, extra));
}
