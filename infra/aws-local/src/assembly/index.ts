export { type BuildModelOptions, buildModel } from './build-model.ts';
export { EMULATED_TYPES, IGNORED_TYPES } from './classes.ts';
export { type AssemblyStack, type CloudAssembly, readCloudAssembly } from './cloud-assembly.ts';
export { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './local-names.ts';
export { isolateModuleScope } from './module-scope.ts';
export { NO_DOCKER, type SynthesizeOptions, synthesizeApp } from './synth.ts';
