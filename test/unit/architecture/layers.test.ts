/**
 * The layering, checked on every run: domain ← schedule ← reconcile (pure) ← loop/service ← api/cli, the store on
 * the domain alone, the provider on the domain and the API client alone, nothing in controller/ reaching up into
 * provider/ or bin/, and no import cycle between controller folders. Imports are read from the source text
 * (relative specifiers only; packages are not project code).
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm;

interface Edge {
  from: string; // repo-relative file
  to: string; // repo-relative path the specifier resolves to (without extension)
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (name === 'gen' || name === 'node_modules') continue;
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (rel.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function edgesOf(files: string[]): Edge[] {
  const edges: Edge[] = [];
  for (const from of files) {
    const text = readFileSync(join(ROOT, from), 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      edges.push({ from, to: relative(ROOT, resolve(ROOT, dirname(from), m[1])) });
    }
  }
  return edges;
}

/** `controller/store/claims.ts` → `controller/store`; files at the top of controller/ are their own unit. */
function unitOf(path: string): string {
  const parts = path.replace(/\.ts$/, '').split('/');
  if (parts[0] === 'controller') return `controller/${parts[1]}`;
  return parts[0];
}

const controllerEdges = edgesOf(sourceFiles('controller'));
const providerEdges = edgesOf(sourceFiles('provider'));

/** Every import from `unit` that leaves it, as "file -> target". */
function outgoing(unit: string): Edge[] {
  return controllerEdges.filter((e) => unitOf(e.from) === unit && unitOf(e.to) !== unit);
}

function allowedOnly(unit: string, allowed: string[]): string[] {
  return outgoing(unit)
    .filter((e) => !allowed.includes(unitOf(e.to)) && !e.to.endsWith('package.json'))
    .map((e) => `${e.from} -> ${e.to}`);
}

describe('layers', () => {
  test('the source was found (the checks below are not vacuous)', () => {
    expect(controllerEdges.length).toBeGreaterThan(100);
    expect(providerEdges.length).toBeGreaterThan(50);
  });

  test('controller/domain imports nothing else of the project', () => {
    expect(allowedOnly('controller/domain', [])).toEqual([]);
  });

  test('controller/schedule imports only the domain', () => {
    expect(allowedOnly('controller/schedule', ['controller/domain'])).toEqual([]);
  });

  test('the pure reconcile core imports only the domain and schedule', () => {
    expect(allowedOnly('controller/reconcile', ['controller/domain', 'controller/schedule'])).toEqual([]);
  });

  test('the lifecycle core is pure: it reads the domain only', () => {
    expect(allowedOnly('controller/lifecycle', ['controller/domain'])).toEqual([]);
  });

  test('the store imports only the domain', () => {
    expect(allowedOnly('controller/store', ['controller/domain'])).toEqual([]);
  });

  test('controller/notify (webhook delivery) builds on the domain, the clock, logging, metrics, the tick loop and the contracts of the store and service', () => {
    expect(
      allowedOnly('controller/notify', ['controller/domain', 'controller/clock', 'controller/log', 'controller/ops', 'controller/store', 'controller/loop', 'controller/service', 'controller/net']),
    ).toEqual([]);
  });

  test('nothing below the API reaches up into controller/notify, and notify reaches into neither the API nor the CLI', () => {
    const below = ['controller/domain', 'controller/schedule', 'controller/reconcile', 'controller/lifecycle', 'controller/store', 'controller/clock'];
    const up = controllerEdges.filter((e) => below.includes(unitOf(e.from)) && unitOf(e.to) === 'controller/notify');
    expect(up.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
    const out = outgoing('controller/notify').filter((e) => ['controller/api', 'controller/cli'].includes(unitOf(e.to)));
    expect(out.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
    expect(outgoing('controller/notify').length).toBeGreaterThan(5);
  });

  test('controller/net (what outbound requests share) imports nothing of the project but the clock', () => {
    expect(allowedOnly('controller/net', ['controller/clock'])).toEqual([]);
  });

  test('controller/drivers builds on the domain, the clock and the shared network pieces only', () => {
    expect(allowedOnly('controller/drivers', ['controller/domain', 'controller/clock', 'controller/net', 'controller/log'])).toEqual([]);
  });

  test('controller/ never imports provider/ or bin/', () => {
    const up = controllerEdges.filter((e) => !e.to.startsWith('controller/') && !e.to.endsWith('package.json'));
    expect(up.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  test('the provider imports only the domain and the API client from the controller', () => {
    const allowed = ['controller/domain', 'controller/api'];
    const bad = providerEdges
      .filter((e) => e.to.startsWith('controller/') && !allowed.includes(unitOf(e.to)))
      .map((e) => `${e.from} -> ${e.to}`);
    expect(bad).toEqual([]);
  });

  test('no import cycle between controller folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of controllerEdges) {
      const a = unitOf(e.from);
      const b = unitOf(e.to);
      if (a === b || !b.startsWith('controller/')) continue;
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)!.add(b);
    }
    expect(findCycles(graph)).toEqual([]);
  });

  test('the cycle finder finds a cycle (so an empty answer above means something)', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(findCycles(g)).toEqual([['a', 'b', 'c']]);
  });
});

/** Strongly connected components of more than one node (Tarjan), each sorted, as the cycles to report. */
function findCycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const nodes = new Set<string>([...graph.keys(), ...[...graph.values()].flatMap((s) => [...s])]);
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!indices.has(v)) visit(v);
  return cycles;
}
