/**
 * The template miner's worst case in time: the seeded adversarial inputs of
 * test/unit/miner-worst-case.test.ts (which bounds their work per token), mined and read back
 * in this process, and the three-line enumeration through the whole `telemcp patterns`
 * process. Prints the time per line and per token of each input.
 *
 *   npx tsc -p tsconfig.build.json && node --import tsx bench/loghub/worst-case.ts
 *
 * SCALE (default 1) multiplies the number of lines of each input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemplateMiner } from '../../src/analysis/templates/miner.js';
import { ADVERSARIAL_INPUTS, minedTokens, threeEnumerations } from '../../test/helpers/adversarial-logs.js';
import { rng } from '../../test/helpers/random.js';

const SCALE = Number(process.env.SCALE ?? 1);

function inProcess(): void {
  console.log(`${'input'.padEnd(56)} ${'lines'.padStart(6)} ${'tokens'.padStart(8)} ${'ms'.padStart(8)} ${'µs/line'.padStart(8)} ${'ns/token'.padStart(9)} ${'steps/token'.padStart(11)}`);
  for (const { name, lines, line, opts } of ADVERSARIAL_INPUTS) {
    const r = rng(20_261_207 + lines);
    const input = Array.from({ length: lines * SCALE }, () => line(r));
    const tokens = input.reduce((n, l) => n + minedTokens(l), 0);
    const started = performance.now();
    const miner = new TemplateMiner(opts);
    const handles = input.map((l, i) => miner.add(l, i));
    for (const h of handles) miner.templateOf(h);
    miner.templates();
    const ms = performance.now() - started;
    console.log(
      `${name.padEnd(56)} ${String(input.length).padStart(6)} ${String(tokens).padStart(8)} ${ms.toFixed(0).padStart(8)} ${((ms * 1000) / input.length).toFixed(1).padStart(8)} ${((ms * 1e6) / tokens).toFixed(0).padStart(9)} ${(miner.work / tokens).toFixed(1).padStart(11)}`,
    );
  }
}

function threeLines(): void {
  const dir = mkdtempSync(join(tmpdir(), 'telemcp-bench-worst-'));
  try {
    const file = join(dir, 'three.log');
    writeFileSync(file, `${threeEnumerations().join('\n')}\n`);
    const started = performance.now();
    const r = spawnSync(process.execPath, ['dist/cli/main.js', 'patterns', file, '--json'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`telemcp patterns exited ${r.status}: ${r.stderr}`);
    const { summary } = JSON.parse(r.stdout) as { summary: { elapsed_ms: number; templates: number } };
    console.log(`\nthe issue's three lines (115 peers each, from 14, 142, 270): telemcp patterns ${(performance.now() - started).toFixed(0)} ms process start to exit, ${summary.elapsed_ms} ms mining, ${summary.templates} template`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`template miner worst case, node ${process.version}, scale ${SCALE}\n`);
inProcess();
threeLines();
