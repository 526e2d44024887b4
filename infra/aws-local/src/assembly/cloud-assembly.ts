/*
 * Reads a cloud assembly (what `cdk synth` writes to cdk.out): manifest.json lists the artifacts;
 * each `aws:cloudformation:stack` artifact names its template file. Asset folders sit beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalAwsError } from '../model.ts';
import type { CfnTemplate } from './intrinsics.ts';

export interface AssemblyStack {
  stackName: string;
  template: CfnTemplate;
}

export interface CloudAssembly {
  /** Absolute path of the folder; asset paths are relative to it. */
  dir: string;
  stacks: AssemblyStack[];
}

interface Manifest {
  artifacts?: Record<
    string,
    { type: string; properties?: { templateFile?: string; stackName?: string } }
  >;
}

export function readCloudAssembly(dir: string): CloudAssembly {
  const absolute = resolve(dir);
  const manifestFile = join(absolute, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new LocalAwsError(`${absolute} is not a cloud assembly: it has no manifest.json`);
  }
  const manifest = readJson<Manifest>(manifestFile);
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const templateFile = artifact.properties?.templateFile;
    if (templateFile === undefined) {
      throw new LocalAwsError(`stack artifact ${id} in ${manifestFile} names no templateFile`, id);
    }
    stacks.push({
      stackName: artifact.properties?.stackName ?? id,
      template: readJson<CfnTemplate>(join(absolute, templateFile)),
    });
  }
  return { dir: absolute, stacks };
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new LocalAwsError(`cannot read ${file}: ${(error as Error).message}`);
  }
}
