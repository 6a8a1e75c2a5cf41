// Spaces has no managed encryption at rest: the operator's cluster encrypts with WAL-G's libsodium key,
// from a Secret, like every other WAL-G consumer (walg-client-side-encryption); so does its clone, which
// must read the encrypted single node's backups.
import { stackPolicy } from "../lib/checks";
import { clusterEnv, knownClusters } from "../lib/operator";
import { StackView } from "../lib/stack";
import { at } from "../lib/values";

export const haClientSideEncryption = stackPolicy<object>({
    name: "ha-client-side-encryption",
    description: "Every postgresql resource of the operator gets WALG_LIBSODIUM_KEY from a Secret (never a literal) and WALG_LIBSODIUM_KEY_TRANSFORM hex or base64; with a clone section, the CLONE_ variables too.",
    remediationSteps: "Render the ha profile's env: the cluster reads the libsodium key from Secret ternent-postgres-backup, the clone from ternent-postgres-clone-g<N>.",
    severity: "critical",
    validate(args, checks) {
        const view = new StackView(args);
        for (const cl of knownClusters(view, checks)) {
            const prefixes = at(cl.spec, "clone") !== undefined ? ["", "CLONE_"] : [""];
            for (const p of prefixes) {
                const what = p === "" ? "its archive" : "its clone";
                const key = clusterEnv(view, cl, `${p}WALG_LIBSODIUM_KEY`);
                if (key.kind === "missing") {
                    checks.violation(`postgresql ${cl.id}: ${p}WALG_LIBSODIUM_KEY is not set in spec.env: ${p === "" ? "Spilo uploads WAL and base backups unencrypted" : "the clone cannot decrypt the single node's backups"} (${what}). ` +
                        "Fix: render the ha profile's env.", cl.res.urn);
                    continue;
                }
                if (key.kind === "value" && key.source.startsWith("value:")) {
                    checks.violation(`postgresql ${cl.id}: ${p}WALG_LIBSODIUM_KEY is a literal in spec.env: the key that decrypts every backup is in the resource ` +
                        "for anyone who can read it. Fix: take it from a Secret (secretKeyRef).", cl.res.urn);
                } else if (key.kind === "value" && key.value.trim() === "") {
                    checks.violation(`postgresql ${cl.id}: ${key.where} is empty.`, cl.res.urn);
                } else if (key.kind === "unknown") {
                    checks.unknown(key.where);
                }
                const transform = clusterEnv(view, cl, `${p}WALG_LIBSODIUM_KEY_TRANSFORM`);
                if (transform.kind === "unknown") {
                    checks.unknown(transform.where);
                } else if (transform.kind === "missing" || !["hex", "base64"].includes(transform.value)) {
                    checks.violation(`postgresql ${cl.id}: ${transform.kind === "missing" ? `${p}WALG_LIBSODIUM_KEY_TRANSFORM is not set` : transform.where}: ` +
                        "without hex or base64 WAL-G uses the key's text as raw bytes, not the 32-byte key the other consumers decode. Fix: render the ha profile's env.", cl.res.urn);
                }
            }
        }
    },
});
