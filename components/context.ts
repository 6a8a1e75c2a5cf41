// The values every component needs, built once by index.ts: which stack, which namespaces, the image and
// WAL-G every pod runs, the scripts, and whether to protect and to adopt. Components take it as
// `context` instead of one argument each; a value only some components need stays their own Arg.

import * as pulumi from "@pulumi/pulumi";
import type { NamespacesConfig, StackConfig, WalgConfig } from "../config";
import { loadScripts } from "./scripts";

export interface StackContext {
    /** Stack name (app.kubernetes.io/instance). */
    readonly stack: string;
    /** The database's namespace (exists) and the DR namespace (DisasterRecovery creates it). */
    readonly namespaces: NamespacesConfig;
    /** Image of every PostgreSQL container: the database, its jobs, the restore and the drills. */
    readonly image: string;
    /** WAL-G pin, tuning and retry policy of every pod that runs wal-g. */
    readonly walg: WalgConfig;
    /** scripts/ file name → content, for every scripts ConfigMap. */
    readonly scripts: Readonly<Record<string, string>>;
    /** Protect stateful resources and the Secrets carrying credentials. */
    readonly protect: boolean;
    /** Import the kubectl bundle's objects of the same names instead of creating them. */
    readonly adopt: boolean;
}

/** The context of a stack: from its checked config and the repository's scripts/. */
export function stackContext(config: StackConfig, scripts: Readonly<Record<string, string>> = loadScripts()): StackContext {
    return {
        stack: config.stack,
        namespaces: config.namespaces,
        image: config.postgres.image,
        walg: config.walg,
        scripts,
        protect: config.protect,
        adopt: config.adopt,
    };
}

/** Options that take over an object the kubectl bundle created (same name) instead of creating it. */
export function adoptOptions(adopt: boolean, id: string): pulumi.CustomResourceOptions {
    return adopt ? { import: id, retainOnDelete: true } : {};
}
