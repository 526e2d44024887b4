import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// A file of @course/local rather than the package: @course/local depends on this kit, so a
// dependency back on it would make the workspace's packages a cycle.
import { filesOfPackages, importGraph } from '../../../infra/local/src/import-graph.ts';

const HTTP_FRAMEWORK = ['express', 'helmet'];

describe('@course/service-kit/core', () => {
  it('bundles without express or helmet, so a Lambda function can use it', async () => {
    const graph = await importGraph('@course/service-kit/core', import.meta.dirname);

    expect(graph).toContain(join(import.meta.dirname, '../src/problem.ts'));
    expect(filesOfPackages(graph, HTTP_FRAMEWORK)).toEqual([]);
  });

  it('would see express if one of its modules imported it: the package entry does', async () => {
    const graph = await importGraph('@course/service-kit', import.meta.dirname);

    expect(filesOfPackages(graph, HTTP_FRAMEWORK)).not.toEqual([]);
  });
});
