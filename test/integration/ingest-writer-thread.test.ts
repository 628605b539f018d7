/**
 * The store's writer thread (store/writer.ts: `telemcp ingest`, HTTP ingest, demo load and
 * retention all write through it) over a real store in a temporary DATA_DIR: it opens the store
 * (and takes the DATA_DIR lock) in its own thread, commits batches in order, answers with the
 * store's results, and releases the lock when closed; an open that fails comes back as the same
 * error the store threw. A chain of writes keeps a prefix; writes outside it are independent.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { LOCK_FILE } from '../../src/store/lock.js';
import { MAX_BATCH, openLogStore } from '../../src/store/log-store.js';
import { SkippedBatch, StoreWriter } from '../../src/store/writer.js';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'telemcp-writer-thread-'));
  dirs.push(dir);
  return dir;
};
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const records = (from: number, n: number, dataset = 'app'): IngestRecord[] =>
  Array.from({ length: n }, (_, i) => ({ ts: T0 + (from + i) * 1000, dataset, service: 'api', level: 'info', message: `request ${from + i} done` }));

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the store's writer thread", () => {
  it('commits batches in order, answers with the store results and datasets, and releases the lock on close', async () => {
    const dir = dataDir();
    const writer = await StoreWriter.open(dir);
    const answers = await Promise.all([writer.write(records(0, 500)), writer.write(records(500, 500)), writer.write([...records(1000, 2), { ts: -5, dataset: 'app', message: 'before 1970' }])]);
    expect(answers.map((a) => a.stored)).toEqual([500, 500, 2]);
    expect(answers[2].rejected).toEqual([{ index: 2, reason: expect.stringMatching(/1970/) as unknown as string }]);
    expect((await writer.summary()).datasets).toEqual([{ name: 'app', records: 1002, firstTs: T0, lastTs: T0 + 1001 * 1000 }]);
    await writer.close();
    // The lock is released: this thread can now open the store as its writer.
    const store = openLogStore({ dataDir: dir });
    try {
      expect(store.datasets()[0].records).toBe(1002);
    } finally {
      store.close();
    }
  });

  it('refuses to start on a DATA_DIR another process holds, with the store\'s own error', async () => {
    const dir = dataDir();
    // A lock naming a live process other than this one (the test runner's parent).
    const holder = { pid: process.ppid, startedAt: new Date().toISOString(), host: hostname(), token: 'another-process' };
    writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify(holder)}\n`);
    const err = await StoreWriter.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelemcpError);
    expect((err as TelemcpError).message).toMatch(new RegExp(`in use by another telemcp process \\(pid ${process.ppid}`));
  });

  it("keeps a prefix per chain: after a failed batch the chain's later ones are refused unwritten, while other writes go on", async () => {
    const writer = await StoreWriter.open(dataDir());
    try {
      const chain = writer.chain();
      const answers = await Promise.allSettled([chain.write(records(0, 3)), chain.write(records(3, MAX_BATCH + 1)), chain.write(records(20_000, 3))]);
      expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
      expect((answers[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'invalid_input' });
      expect((answers[2] as PromiseRejectedResult).reason).toBeInstanceOf(SkippedBatch);
      // A write outside that chain (an HTTP request, another run) is not refused for its failure.
      expect((await writer.write(records(30_000, 2))).stored).toBe(2);
      expect((await writer.chain().write(records(40_000, 1))).stored).toBe(1);
      expect((await writer.summary()).datasets).toMatchObject([{ name: 'app', records: 6 }]);
    } finally {
      await writer.close();
    }
  });

  it('is one thread per DATA_DIR in a process, shared by its openers; the last close releases the lock', async () => {
    const dir = dataDir();
    const [a, b] = await Promise.all([StoreWriter.open(dir), StoreWriter.open(dir)]);
    expect(b).toBe(a);
    await a.write(records(0, 2));
    await a.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    expect((await b.summary()).datasets).toMatchObject([{ name: 'app', records: 2 }]);
    await b.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
