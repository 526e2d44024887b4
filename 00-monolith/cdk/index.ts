// What later stages reuse of stage 00's CDK app: the monolith's bundle and its resources.
export { monolithAppAsset } from './app-bundle.ts';
export {
  addMonolithService,
  type MonolithService,
  type MonolithServiceProps,
} from './monolith-service.ts';
