/*
 * What every stage's CDK tests do with a synthesized stack: synthesize the stage's app as
 * `cdk deploy` would (cdk.json's feature flags, no Docker), read resources and IAM statements out
 * of its template, and list cdk-nag's findings. Test code only (`@course/constructs/testing`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';

export interface TemplateResource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string[];
}

export type PolicyStatement = Record<string, unknown>;

/**
 * Builds the stage's app in `stageDir` with its cdk.json context, as the cdk CLI does, and
 * synthesizes it with CDK_DOCKER naming a command that does not exist (as the local runtime's
 * synth does): a function bundled in a container would fail the synth.
 */
export function synthWithoutDocker<T>(
  stageDir: string,
  build: (app: App) => T,
  extraContext: Record<string, unknown> = {},
): T & { app: App; assemblyDir: string } {
  const cdkJson = JSON.parse(readFileSync(join(stageDir, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const docker = process.env.CDK_DOCKER;
  process.env.CDK_DOCKER = join(stageDir, 'no-docker-here');
  try {
    const app = new App({ context: { ...cdkJson.context, ...extraContext } });
    const built = build(app);
    const assembly = app.synth();
    return { ...built, app, assemblyDir: assembly.directory };
  } finally {
    if (docker === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = docker;
  }
}

/** Every resource of `type`, with its logical id. */
export function resourcesOf(template: Template, type: string): Array<[string, TemplateResource]> {
  return Object.entries(template.findResources(type)) as Array<[string, TemplateResource]>;
}

export function resourceOf(template: Template, logicalId: string): TemplateResource {
  const found = template.toJSON().Resources[logicalId] as TemplateResource | undefined;
  if (found === undefined) throw new Error(`no resource ${logicalId}`);
  return found;
}

/** The one resource of `type` whose logical id starts with `prefix` (there must be exactly one). */
export function resourceNamedOf(
  template: Template,
  type: string,
  prefix: string,
): [string, TemplateResource] {
  const found = resourcesOf(template, type).filter(([id]) => id.startsWith(prefix));
  const [only] = found;
  if (found.length !== 1 || only === undefined) {
    throw new Error(
      `expected one ${type} named ${prefix}…, found ${found.length}: ${found.map(([id]) => id).join(', ')}`,
    );
  }
  return only;
}

/** The statements of every IAM policy attached to `roleLogicalId`. */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatement[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId),
    )
    .flatMap(
      ([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement,
    );
}

/** cdk-nag's AwsSolutions errors and warnings on `stack`, as `<path>: <finding>` lines. */
export function nagFindings(stack: Stack): string[] {
  const nag = Match.stringLikeRegexp('AwsSolutions-.*');
  const findings = [
    ...Annotations.fromStack(stack).findError('*', nag),
    ...Annotations.fromStack(stack).findWarning('*', nag),
  ];
  return findings.map((finding) => `${finding.id}: ${String(finding.entry.data)}`);
}
