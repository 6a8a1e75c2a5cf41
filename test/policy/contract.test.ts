import { strict as assert } from "assert";
import { policies } from "../../policy/policies/all";
import { contractStack } from "./fixtures";
import { runPolicy } from "./run-policy";

describe("policy pack over a stack built after the contract", () => {
    for (const policy of policies) {
        it(`${policy.name} finds nothing to refuse in the contract's prod stack`, async () => {
            const r = await runPolicy(policy, contractStack());
            assert.deepEqual(r.diagnostics.map((d) => d.message), []);
        });
    }
});
