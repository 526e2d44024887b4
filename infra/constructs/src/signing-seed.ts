import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

export interface SigningSeedProps {
  /** Who signs with the key, for the secret's description: `monolith`, `users`. */
  signer: string;
}

/**
 * The random value a service derives its JWT signing key from when it starts
 * (`signingJwkFromSeed` in `@course/service-kit`), so that every instance or task signs with the
 * same key and tokens survive a replacement. A plain secret created in `scope` under `id`, not a
 * construct of its own, so that its logical id stays what stage 00 first deployed.
 *
 * Defaults: 64 letters and digits; DESTROY on `cdk destroy`; never rotated (see the suppression).
 */
export function signingSeedSecret(
  scope: Construct,
  id: string,
  { signer }: SigningSeedProps,
): secretsmanager.Secret {
  const seed = new secretsmanager.Secret(scope, id, {
    description: `Seed of the ${signer} JWT signing key (Ed25519), derived at start`,
    generateSecretString: { passwordLength: 64, excludePunctuation: true },
    // DESTROY: a course lab must leave nothing behind after `cdk destroy`.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // A deliberate shortcut of a low-cost lab, reported by cdk-nag and explained here.
  NagSuppressions.addResourceSuppressions(seed, [
    {
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the seed would change the signing key and log every user out; a lab ' +
        'stack lives for hours. Key rotation with two published keys is a later stage.',
    },
  ]);
  return seed;
}
