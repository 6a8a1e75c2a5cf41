// The StatefulSet keeps its volumes when it is deleted or scaled down: a Delete retention policy
// would delete the database files with the StatefulSet.
import { resourcePolicy } from "../lib/checks";
import { objectName, TYPES } from "../lib/k8s";
import { at, raw, UNKNOWN } from "../lib/values";

export const postgresVolumeRetained = resourcePolicy<object>({
    name: "postgres-volume-retained",
    description: "StatefulSets keep their PersistentVolumeClaims on delete and scale-down (persistentVolumeClaimRetentionPolicy Retain, the default).",
    remediationSteps: "Remove persistentVolumeClaimRetentionPolicy or set whenDeleted and whenScaled to Retain.",
    severity: "critical",
    validate(args, checks) {
        if (args.type !== TYPES.StatefulSet) {
            args.notApplicable("only StatefulSets");
        }
        const props = raw(args.props);
        for (const field of ["whenDeleted", "whenScaled"]) {
            const v = at(props, "spec", "persistentVolumeClaimRetentionPolicy", field);
            if (v === UNKNOWN) {
                checks.unknown(`persistentVolumeClaimRetentionPolicy.${field} of StatefulSet ${objectName(props, args.name)}`);
            } else if (v === "Delete") {
                checks.violation(`StatefulSet ${objectName(props, args.name)} has persistentVolumeClaimRetentionPolicy.${field}: Delete: ` +
                    `${field === "whenDeleted" ? "deleting" : "scaling down"} the StatefulSet deletes the database volume. Fix: Retain.`);
            }
        }
    },
});
