import { type App, Aspects } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';

/**
 * Runs cdk-nag's AWS Solutions rules on every stack of the app at synth time. A finding is an
 * error in `cdk synth` unless the construct that causes it carries a suppression with a reason
 * (`NagSuppressions.addResourceSuppressions`), so every deliberate shortcut is written down
 * next to the code that takes it.
 */
export function applyCourseNagChecks(app: App): void {
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
}

/**
 * The findings every Fargate task definition of the course accepts on purpose, with their
 * reasons: its image pull needs one permission that has no resource, and its plain environment
 * variables hold no secret (`ContainerService`, `DeployTimeTask`).
 */
export function suppressTaskDefinitionFindings(taskDefinition: ecs.TaskDefinition): void {
  NagSuppressions.addResourceSuppressions(
    taskDefinition.obtainExecutionRole(),
    [
      {
        id: 'AwsSolutions-IAM5',
        appliesTo: ['Resource::*'],
        reason:
          'ecr:GetAuthorizationToken, granted by CDK for the image pull, has no resource-level ' +
          'permissions; the pull itself, the logs and the secrets are granted by ARN.',
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(taskDefinition, [
    {
      id: 'AwsSolutions-ECS2',
      reason:
        'Only non-secret settings (port, stage, URLs of other services) are plain environment ' +
        'variables; every secret comes from Secrets Manager as an ECS secret.',
    },
  ]);
}
