// tools/operator-crd: the validator reads the postgres-operator's own CRD (both forms fetch.sh caches:
// the module's manifests/postgresql.crd.yaml and the CRD the operator registers itself) and judges an
// object as the API server's structural schema would, unknown fields refused. The operator's own example
// manifests must pass, broken copies of them must fail naming the field.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { Crd, OPERATOR_RELEASE, crdValidator, operatorCrdSkipReason, operatorCrds, operatorModuleDir, toJsonSchema } from "../../tools/operator-crd/schema";
import { requireOrSkip } from "../setup/requirements";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

describe("tools/operator-crd: the pin", function () {
    it("tools/operator-crd/go.mod requires the operator version lib/postgres-operator.json pins", function () {
        const gomod = fs.readFileSync(path.join(__dirname, "../../tools/operator-crd/go.mod"), "utf8");
        const m = new RegExp(`^require ${OPERATOR_RELEASE.module.replace(/\./g, "\\.")} (\\S+)$`, "m").exec(gomod);
        assert.ok(m, "go.mod has no single-line require of the operator module");
        assert.equal(m[1], OPERATOR_RELEASE.version);
    });

    it("refuses to translate a schema format it does not implement", function () {
        assert.throws(() => toJsonSchema({ type: "object", properties: { a: { type: "string", format: "ipv4" } } }), /format "ipv4" at \/properties\/a is not implemented/);
    });
});

describe("tools/operator-crd: the operator's CRD judges postgresql objects", function () {
    let forms: { name: string; validate: (o: unknown) => string[] }[] = [];
    const examples: { file: string; doc: Obj }[] = [];

    before(function () {
        requireOrSkip(this, operatorCrdSkipReason());
        const crds = operatorCrds();
        forms = [
            { name: "manifests/postgresql.crd.yaml", validate: crdValidator(crds.manifest) },
            { name: "the CRD the operator registers", validate: crdValidator(crds.registered) },
        ];
        const dir = path.join(operatorModuleDir(), "manifests");
        for (const file of fs.readdirSync(dir)) {
            for (const doc of yaml.loadAll(fs.readFileSync(path.join(dir, file), "utf8")) as Obj[]) {
                if (doc?.kind === "postgresql") examples.push({ file, doc });
            }
        }
    });

    const minimal = (): Obj => structuredClone(examples.find((e) => e.file === "minimal-postgres-manifest.yaml")!.doc);
    const problems = (obj: Obj): string[][] => forms.map((f) => f.validate(obj));

    it("both forms are the operator's postgresql CRD of group acid.zalan.do at the pinned version's API", function () {
        const crds = operatorCrds();
        for (const crd of [crds.manifest, crds.registered] as Crd[]) {
            assert.equal(`${crd.spec.group}/${crd.spec.versions[0].name}`, OPERATOR_RELEASE.apiVersion);
            assert.equal(crd.spec.names.kind, OPERATOR_RELEASE.kind);
        }
    });

    it("accepts every postgresql example the operator ships in its module, under both forms", function () {
        assert.ok(examples.length >= 4, `only ${examples.length} examples found`);
        for (const { file, doc } of examples) {
            for (const f of forms) assert.deepEqual(f.validate(doc), [], `${file} under ${f.name}`);
        }
    });

    it("refuses a field the CRD does not know, naming it (the API server would prune it silently)", function () {
        const o = minimal();
        o.spec.numberOfInstancez = 2;
        for (const p of problems(o)) assert.deepEqual(p, ['spec: unknown field "numberOfInstancez" (the API server would prune it)']);
    });

    it("refuses a clone timestamp in Z form: the CRD wants an explicit offset", function () {
        const o = minimal();
        o.spec.clone = { cluster: "src", timestamp: "2026-01-01T00:00:00Z" };
        for (const p of problems(o)) assert.match(p.join("\n"), /^spec\.clone\.timestamp: must match pattern/);
        o.spec.clone.timestamp = "2026-01-01T00:00:00+00:00";
        for (const p of problems(o)) assert.deepEqual(p, []);
    });

    it("refuses a PostgreSQL major the operator does not run, listing the ones it does", function () {
        const o = minimal();
        o.spec.postgresql.version = "12";
        for (const p of problems(o)) assert.deepEqual(p, ['spec.postgresql.version: must be equal to one of the allowed values ["13","14","15","16","17"]']);
    });

    it("refuses a negative instance count, a volume without size and a standby without a source", function () {
        const o = minimal();
        o.spec.numberOfInstances = -1;
        o.spec.volume = { storageClass: "x" };
        o.spec.standby = {};
        for (const p of problems(o)) {
            const text = p.join("\n");
            assert.match(text, /spec\.numberOfInstances: must be >= 0/);
            assert.match(text, /spec\.volume: must have required property 'size'/);
            assert.match(text, /spec\.standby: must match exactly one schema in oneOf/);
        }
    });

    it("refuses null where the CRD does not allow it, and leaves env free-form (preserve-unknown-fields)", function () {
        const o = minimal();
        o.spec.teamId = null;
        o.spec.env = [{ name: "A", valueFrom: { secretKeyRef: { name: "s", key: "k" } }, anything: true }];
        for (const p of problems(o)) assert.deepEqual(p, ["spec.teamId: must be string"]);
    });
});
