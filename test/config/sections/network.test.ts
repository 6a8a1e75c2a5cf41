import { strict as assert } from "assert";
import { problemsOf } from "../helpers";

describe("config/sections/network", () => {
    it("refuses an empty API pod selector, which would admit every pod", () => {
        const msg = problemsOf({ network: { apiPodSelector: {} } });
        assert.match(msg, /ternent-postgres:network\.apiPodSelector = \{\} is empty: it must select at least one label/);
    });
});
