import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';

// The one web build of every stage (`pnpm build` at the repository root writes it).
const webDist = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const placeholder = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slots &amp; Forum — stage 02</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Stage 02 is running</h1>
<p>The web front end had not been built when this stack was deployed, so this placeholder stands
in for it: run <code>pnpm build</code> at the repository root, then <code>pnpm cdk deploy</code>
again. The API answers under <code>/api</code>, for example
<a href="/api/slots/machine">/api/slots/machine</a> and <a href="/api/threads">/api/threads</a>.</p>
</body></html>`;

/**
 * What CloudFront serves besides the API: the built web app, or, when it has not been built
 * (a fresh clone running `pnpm synth`), a placeholder page, so that synthesis never depends on
 * a build step.
 */
export function webAppSource(): s3deploy.ISource {
  if (existsSync(`${webDist}index.html`)) return s3deploy.Source.asset(webDist);
  return s3deploy.Source.data('index.html', placeholder);
}
