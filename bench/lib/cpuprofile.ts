import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './stack.js';

/** What a V8 `.cpuprofile` (node --cpu-prof) holds, as far as a self-time summary needs. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time grouped by where the code lives (a package, our directories, Node internals, GC, idle). */
  byArea: ProfileLine[];
  /** The heaviest functions by self time. */
  topFunctions: ProfileLine[];
}

function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(repoRoot)) return `${path.slice(repoRoot.length).split('/')[0]}/`;
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

function summarize(file: string, profile: CpuProfile, top: number): ProfileSummary {
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    selfMs.set(id, (selfMs.get(id) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    if (ms === 0) continue;
    totalMs += ms;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = area(url, functionName);
    byArea.set(where, (byArea.get(where) ?? 0) + ms);
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const lines = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: totalMs > 0 ? Math.round((ms / totalMs) * 1000) / 10 : 0 }));
  return { file, totalMs: Math.round(totalMs), byArea: lines(byArea), topFunctions: lines(byFunction) };
}

/** Summaries of every `.cpuprofile` in a directory (one per thread of the profiled process). */
export async function summarizeProfiles(dir: string, top = 15): Promise<ProfileSummary[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const out: ProfileSummary[] = [];
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    out.push(summarize(file, profile, top));
  }
  return out.sort((a, b) => b.totalMs - a.totalMs);
}

export function formatProfile(summary: ProfileSummary): string {
  const fmt = (l: ProfileLine) => `  ${String(l.ms).padStart(7)} ms ${String(l.share).padStart(5)}%  ${l.name}`;
  return [
    `${summary.file}: ${summary.totalMs} ms sampled`,
    ' self time by area:',
    ...summary.byArea.map(fmt),
    ' heaviest functions (self time):',
    ...summary.topFunctions.map(fmt),
  ].join('\n');
}
