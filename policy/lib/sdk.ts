// Run-time pieces of @pulumi/policy that its .d.ts strips (marked internal) but the analyzer relies
// on: the unknown-checking proxy and the error it throws. Policies and the offline runner
// (tools/policy-run.ts) use them through this module, so both see the same class.
import * as policySdk from "@pulumi/policy";

type UnknownValueErrorClass = new (sentinel: string, props: string[]) => Error;

const sdk = policySdk as unknown as {
    UnknownValueError: UnknownValueErrorClass;
    unknownCheckingProxy: <T>(value: T) => T;
};

export const UnknownValueError: UnknownValueErrorClass = sdk.UnknownValueError;
export const unknownCheckingProxy: <T>(value: T) => T = sdk.unknownCheckingProxy;

// Types for code outside the pack directory (tools/, test/), which cannot resolve @pulumi/policy.
export type {
    EnforcementLevel, Policies, PolicyResource, PolicyResourceOptions, ReportViolation, ResourceValidationArgs,
    ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
