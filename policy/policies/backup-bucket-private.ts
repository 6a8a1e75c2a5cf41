// The backup bucket is private and cannot be emptied by a destroy: acl private, forceDestroy off, no
// bucket policy or object that makes backups public.
import { ResourceValidationArgs } from "@pulumi/policy";
import { Checks, resourcePolicy } from "../lib/checks";
import { TYPES } from "../lib/k8s";
import { asArr, asObj, asStr, at, Obj, raw, UNKNOWN } from "../lib/values";

function publicPrincipal(principal: unknown): boolean {
    if (principal === "*") {
        return true;
    }
    const aws = asObj(principal)?.AWS;
    return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
}

function checkBucket(args: ResourceValidationArgs, props: Obj, checks: Checks): void {
    const acl = at(props, "acl");
    const forceDestroy = at(props, "forceDestroy");
    const name = asStr(props.name) ?? args.name;
    if (acl === UNKNOWN) {
        checks.unknown(`acl of bucket ${name}`);
    } else if (acl !== undefined && acl !== "private") {
        checks.violation(`Bucket ${name} has acl ${JSON.stringify(acl)}: anyone could list and download the (encrypted) ` +
            "backups and WAL. Fix: acl private (BackupStorage creates it private; do not override it).");
    }
    if (forceDestroy === UNKNOWN) {
        checks.unknown(`forceDestroy of bucket ${name}`);
    } else if (forceDestroy === true) {
        checks.violation(`Bucket ${name} has forceDestroy: true: deleting the resource would delete every backup and WAL ` +
            "object in it. Fix: forceDestroy false.");
    }
}

function checkBucketPolicy(args: ResourceValidationArgs, props: Obj, checks: Checks): void {
    const policy = at(props, "policy");
    if (policy === UNKNOWN) {
        checks.unknown(`policy document of ${args.name}`);
        return;
    }
    let doc: unknown;
    try {
        doc = typeof policy === "string" ? JSON.parse(policy) : policy;
    } catch {
        checks.violation(`Bucket policy ${args.name} is not valid JSON, so its effect cannot be checked.`);
        return;
    }
    const statement = at(doc, "Statement");
    for (const s of Array.isArray(statement) ? asArr(statement) : [statement]) {
        if (at(s, "Effect") === "Allow" && publicPrincipal(at(s, "Principal"))) {
            checks.violation(`Bucket policy ${args.name} allows ${JSON.stringify(at(s, "Action"))} to everyone (Principal "*") on ` +
                `bucket ${JSON.stringify(at(props, "bucket"))}: the backups become public. Fix: remove the statement.`);
        }
    }
}

export const backupBucketPrivate = resourcePolicy<object>({
    name: "backup-bucket-private",
    description: "The Spaces bucket holding backups is private (acl private, no public bucket policy or object) and has forceDestroy off, so neither a reader nor a destroy can reach the backups.",
    remediationSteps: "Keep the bucket acl private and forceDestroy false; remove public bucket policies and public objects.",
    severity: "critical",
    validate(args, checks) {
        const props = raw(args.props) as Obj;
        switch (args.type) {
            case TYPES.SpacesBucket:
                return checkBucket(args, props, checks);
            case TYPES.SpacesBucketPolicy:
                return checkBucketPolicy(args, props, checks);
            case TYPES.SpacesBucketObject: {
                const acl = at(props, "acl");
                if (acl === UNKNOWN) {
                    checks.unknown(`acl of object ${args.name}`);
                } else if (acl === "public-read") {
                    checks.violation(`Object ${JSON.stringify(at(props, "key"))} in bucket ${JSON.stringify(at(props, "bucket"))} ` +
                        "is public-read. Fix: acl private.");
                }
                return;
            }
            default:
                args.notApplicable("only Spaces buckets, bucket policies and bucket objects");
        }
    },
});
