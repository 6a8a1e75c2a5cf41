import { strict as assert } from "assert";
import { POLICY_CONFIG_DEFAULTS } from "../../../policy/lib/defaults";
import { policies } from "../../../policy/policies/all";

describe("policy/lib/defaults (the pack's config defaults, which the program imports)", () => {
    it("holds exactly the schema defaults of every policy, under the policy's name", () => {
        const fromSchemas: Record<string, Record<string, unknown>> = {};
        for (const p of policies) {
            const defaults = Object.entries(p.configSchema?.properties ?? {})
                .filter(([, s]) => typeof s === "object" && s.default !== undefined)
                .map(([k, s]) => [k, (s as { default: unknown }).default]);
            if (defaults.length > 0) {
                fromSchemas[p.name] = Object.fromEntries(defaults);
            }
        }
        assert.deepEqual(fromSchemas, POLICY_CONFIG_DEFAULTS);
        assert.equal(POLICY_CONFIG_DEFAULTS["retention-daily-backups"].minDailyBackups, 7);
    });
});
