import { type App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs cdk-nag's AWS Solutions rules on every stack of the app at synth time. A finding is an
 * error in `cdk synth` unless the construct that causes it carries a suppression with a reason
 * (`NagSuppressions.addResourceSuppressions`), so every deliberate shortcut is written down
 * next to the code that takes it.
 */
export function applyCourseNagChecks(app: App): void {
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
}
