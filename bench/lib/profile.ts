/**
 * @module Where the time goes: a V8 `.cpuprofile` (from `node --cpu-prof`) folded into
 * self time per function and per file group, plus total (inclusive) time of chosen frames.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by function, largest first. */
  functions: { name: string; where: string; ms: number; share: number }[];
  /** Self time by group (collector step, library, node internals, GC…). */
  groups: { group: string; ms: number; share: number }[];
  /** Inclusive time of frames whose name matches, e.g. `runPipeline`, `commitSync`. */
  inclusive: { name: string; ms: number; share: number }[];
}

const ROOT = new URL('../../', import.meta.url).pathname;

function where(url: string, line: number): string {
  const path = url.replace(/^file:\/\//, '').replace(ROOT, '');
  return path ? `${path}:${line + 1}` : '';
}

/** A coarse owner for a frame: the collector file, the npm package, node internals, or V8. */
export function groupOf(url: string, name: string): string {
  const path = url.replace(/^file:\/\//, '').replace(ROOT, '');
  if (!path) {
    if (name === '(garbage collector)') return 'GC';
    if (name === '(program)' || name === '(idle)') return `V8 ${name}`;
    return `native: ${name || '(anonymous)'}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `npm: ${pkg[1]}`;
  if (path.startsWith('node:')) return `node: ${path.slice(5).split('/')[0]}`;
  return path.replace(/\.ts$/, '');
}

export function summariseProfile(
  file: string,
  inclusiveNames: readonly string[] = [],
  top = 25,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const idle = [...byId.values()].filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id);
  let totalUs = 0;
  for (const [id, us] of selfUs) if (!idle.includes(id)) totalUs += us;

  const functions = new Map<string, { name: string; where: string; us: number }>();
  const groups = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (idle.includes(id)) continue;
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const name = frame.functionName || '(anonymous)';
    const at = where(frame.url, frame.lineNumber);
    const key = `${name}@${at}`;
    const entry = functions.get(key) ?? { name, where: at, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const group = groupOf(frame.url, frame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + us);
  }

  // Inclusive time: a sample counts for a name once if any frame on its stack has that name.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = inclusiveNames.map((name) => {
    let us = 0;
    const memo = new Map<number, boolean>();
    const under = (id: number): boolean => {
      const known = memo.get(id);
      if (known !== undefined) return known;
      const node = byId.get(id) as ProfileNode;
      const up = parent.get(id);
      const hit = node.callFrame.functionName === name || (up !== undefined && under(up));
      memo.set(id, hit);
      return hit;
    };
    for (const [id, self] of selfUs) if (!idle.includes(id) && under(id)) us += self;
    return { name, ms: us / 1000, share: us / totalUs };
  });

  return {
    totalMs: totalUs / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: f.us / totalUs })),
    groups: [...groups.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([group, us]) => ({ group, ms: us / 1000, share: us / totalUs })),
    inclusive: inclusive.sort((a, b) => b.ms - a.ms),
  };
}

export function formatProfile(summary: ProfileSummary, title: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [`### ${title}`, '', `${summary.totalMs.toFixed(0)} ms of CPU samples (idle excluded).`, ''];
  if (summary.inclusive.length > 0) {
    lines.push('| inclusive | ms | share |', '| --- | ---: | ---: |');
    for (const i of summary.inclusive.filter((x) => x.ms > 0))
      lines.push(`| \`${i.name}\` | ${i.ms.toFixed(0)} | ${pct(i.share)} |`);
    lines.push('');
  }
  lines.push('| self time by owner | ms | share |', '| --- | ---: | ---: |');
  for (const g of summary.groups.slice(0, 15))
    lines.push(`| ${g.group} | ${g.ms.toFixed(0)} | ${pct(g.share)} |`);
  lines.push('', '| self time by function | where | ms | share |', '| --- | --- | ---: | ---: |');
  for (const f of summary.functions.slice(0, 15)) {
    lines.push(`| \`${f.name}\` | ${f.where} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`);
  }
  return lines.join('\n');
}

/** The main thread's profile in a `--cpu-prof-dir`: the largest file (loader workers write small ones). */
export function mainProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}
