// One implementation for the runner and the local AWS, in the package lower in the dependency graph.
export { freePort } from '@course/aws-local/free-port';
