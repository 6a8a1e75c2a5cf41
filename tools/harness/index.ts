// The mock-runtime harness: runs the Pulumi program (index.ts) for a stack under Pulumi's mock
// runtime and captures every resource the way the engine would see it. The offline render, the
// offline policy run and the tests all use it, so what is rendered is what is checked. No Pulumi
// CLI, provider plugin or cluster is involved. One job per file:
//   stackfile.ts  Pulumi.<stack>.yaml → the flat config map the language host passes a program
//   secrets.ts    secret envelopes in captured values; placeholders for `secure:` config
//   mocks.ts      the Mocks given to pulumi.runtime.setMocks: provider-computed outputs
//   capture.ts    what the engine records per registration (parent, dependencies, options, …)
//   program.ts    one run of the program: mocks, config, clock, log, outputs
//
// Public SDK API used: pulumi.runtime.setMocks, getMonitor, setAllConfig, deserializeProperties,
// disconnect, Output. What goes beyond it, and why:
//   - protobuf getters of the RegisterResource/ReadResource requests (capture.ts), read by wrapping
//     registerResource/readResource of the monitor setMocks installed: the Mocks interface gets only
//     type, name, inputs, provider and id, while the render, the policy run and the tests need parent,
//     dependencies, property dependencies, secret paths and options (protect, import, ignoreChanges, …);
//   - MockMonitor.getRegisteredResources() (capture.ts): the outputs the mocks returned and the
//     outputs components registered, which no public call returns;
//   - replacing pulumi.log.info/warn/error during a run (program.ts): under mocks there is no engine
//     to send log messages to (the SDK prints them to the console), and the config warnings are
//     part of what a run returns.
// Not used any more: runtime/settings' setMockOptions and waitForRPCs, runtime/state's feature flags
// (setMocks sets them), clearing require.cache (the program exports a function, called once per run).

export { CapturedOptions, CapturedResource } from "./capture";
export { mockPassword, ProgramMocks } from "./mocks";
export { LogEntry, ProgramRun, RunOptions, runProgram, runStack } from "./program";
export { isSecretEnvelope, securePlaceholder, unwrapSecrets } from "./secrets";
export { flattenStackConfig, loadStackFile, PROJECT, REPO_ROOT, StackConfigInput, stackFilePath } from "./stackfile";
