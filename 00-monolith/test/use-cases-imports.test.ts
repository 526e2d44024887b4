import { filesOfPackages, importGraph } from '@course/local';
import { describe, expect, it } from 'vitest';

const HTTP_FRAMEWORK = ['express', 'helmet'];

describe('@course/monolith/slots/use-cases', () => {
  it('bundles without express or helmet, so a Lambda function can use it', async () => {
    const graph = await importGraph('@course/monolith/slots/use-cases', import.meta.dirname);

    expect(graph.some((file) => file.endsWith('00-monolith/src/slots/use-cases.ts'))).toBe(true);
    expect(filesOfPackages(graph, HTTP_FRAMEWORK)).toEqual([]);
  });

  it('would see express if it were imported: the slots module with its routes does', async () => {
    const graph = await importGraph('@course/monolith/slots', import.meta.dirname);

    expect(filesOfPackages(graph, HTTP_FRAMEWORK)).not.toEqual([]);
  });
});
