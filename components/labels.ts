// The labels every object carries (app.kubernetes.io/*), so `kubectl get -l` finds a stack's objects
// by role and the NetworkPolicy can admit this project's own jobs.

import { Component, LABELS } from "../lib/contract";

export type Labels = Readonly<Record<string, string>>;

/** Standard labels of one object of this project. */
export function labelsFor(stack: string, component: Component, extra: Labels = {}): Labels {
    return {
        [LABELS.name]: "ternent-postgres",
        [LABELS.instance]: stack,
        [LABELS.component]: component,
        [LABELS.partOf]: "ternent-postgres",
        [LABELS.managedBy]: "pulumi",
        ...extra,
    };
}
