import { SkeletonKeys, WILDCARD, createMasker, type Masker } from './mask.js';
import { clusterBucket } from './cluster.js';
import { generalize } from './key.js';
import { renderTemplate } from './render.js';
import { slotValues } from './slots.js';

/**
 * Online template mining ("what kinds of messages are these?"), built to beat the Drain family
 * with one configuration for every source:
 *  1. mask the obvious variables (mask.ts), then tokenize on whitespace;
 *  2. generalise the tokens into a clustering key (key.ts) and count lines per key ("shape");
 *  3. on read, cluster the shapes of each key length (cluster.ts): shapes that differ in one
 *     position merge when that position holds values, cascading; render each cluster's text
 *     from the masked variants it has seen (render.ts).
 * Reads re-cluster only the key lengths that changed since the last read, so a stream can be
 * mined and read at any point. Deterministic: the same lines in the same order give the same
 * templates and ids. Memory is bounded by the limits below, whatever the input length, and so is
 * the work per line: O(characters) to mask a new line (a line whose digit skeleton was seen is
 * not masked again, and one read in place by addAscii is not even made a string), O(tokens) to
 * key it, O(tokens) to compare it with at most 64 templates past the shape limit; a read
 * re-clusters each key length that gained shapes in O(its shapes × length), whatever the lines
 * (test/unit/miner-worst-case.test.ts counts it: `work`).
 */
export interface MinerOptions {
  /** Extra masking patterns (`--regex`), applied after dates and URLs, before numbers. */
  extraMasks?: readonly RegExp[];
  /**
   * Distinct shapes kept. Past it, a new shape joins the known template it matches, or is
   * counted as overflow. Default 20,000.
   */
  maxShapes?: number;
  /** Characters of a message that are mined; the rest of a very long line is ignored. Default 2,000. */
  maxMessageLength?: number;
  /** Tokens of a message that are mined; the rest become one `<*>`. Default 100. */
  maxTokens?: number;
}

export interface TemplateSummary {
  /** Stable for a template from one read to the next unless two templates merge (the lower id survives). */
  id: number;
  template: string;
  count: number;
  /** Epoch ms of the first / last line that carried a time. */
  firstSeen?: number;
  lastSeen?: number;
  /** Up to two original messages (capped length). */
  exemplars: string[];
  /** For each `<*>` (in order), the values seen most often among the kept samples. */
  slots: { values: { value: string; count: number }[] }[];
}

const DEFAULTS = { maxShapes: 20_000, maxMessageLength: 2_000, maxTokens: 100 };
/** Masked variants kept per shape (as text, split when rendered): enough to see which positions vary. */
const MAX_VARIANTS = 16;
/** Original messages kept per shape (each capped), for exemplars and slot values. */
const MAX_SAMPLES = 4;
const MAX_EXEMPLAR = 500;
/** The masked-text cache is a speed-up only; it is dropped whole when it grows past this. */
const MAX_CACHE = 50_000;
/** Skeletons kept: real logs have a few thousand (200k BGL lines: 2,248). */
const MAX_SKELETONS = 10_000;
/** Characters of the skeleton keys kept, together: 10,000 keys of 2,000 characters in three bytes each would be 60 MB. */
const MAX_SKELETON_CHARS = 4_000_000;
/**
 * Templates a line past the shape limit is compared with, at most: the real systems have up to
 * 15 of one length and first word, an input built to have thousands would otherwise cost every
 * such line a scan of them all.
 */
const MAX_MATCH_CANDIDATES = 64;
const OVERFLOW_ID = -1;
const DIGIT = /\d/;

interface Shape {
  index: number;
  tokens: string[];
  count: number;
  variants: string[];
  samples: string[];
  first?: number;
  last?: number;
  /** Filled on read. */
  clusterId: number;
  template: string;
}

interface ClusterOfShapes {
  /** The generalised template, `<*>` where the members differ. */
  key: string[];
  members: Shape[];
}

export class TemplateMiner {
  private readonly mask: Masker;
  private readonly opts: typeof DEFAULTS;
  private readonly cache = new Map<string, Shape>();
  /**
   * Shapes by a text's digit skeleton (mask.ts), for texts whose masked form kept no digit: a
   * line of a known kind costs one pass over its bytes, no masking. A speed-up, bounded by
   * MAX_SKELETONS and MAX_SKELETON_CHARS. No keys with extra masks (they may read digit values).
   */
  private readonly bySkeleton = new Map<string, Shape>();
  private skeletonChars = 0;
  private readonly keys?: SkeletonKeys;
  private readonly shapes = new Map<string, Shape>();
  private readonly byIndex: Shape[] = [];
  private readonly buckets = new Map<number, Shape[]>();
  /** Key lengths with shapes added since they were last clustered. */
  private readonly unclustered = new Set<number>();
  /** Key lengths whose texts may have changed (new clusters or new variants). */
  private readonly unrendered = new Set<number>();
  private readonly clusters = new Map<number, ClusterOfShapes[]>();
  /** Clusters by length and first token, built once the shape limit is reached. */
  private templateIndex?: Map<string, ClusterOfShapes[]>;
  private overflowLines = 0;
  private totalLines = 0;
  /** Counted work (see `work`), shared with the clusterer. */
  private readonly meter = { steps: 0 };

  constructor(opts: MinerOptions = {}) {
    this.mask = createMasker(opts.extraMasks);
    this.opts = {
      maxShapes: opts.maxShapes ?? DEFAULTS.maxShapes,
      maxMessageLength: opts.maxMessageLength ?? DEFAULTS.maxMessageLength,
      maxTokens: opts.maxTokens ?? DEFAULTS.maxTokens,
    };
    if (this.mask.bySkeleton) this.keys = new SkeletonKeys(this.opts.maxMessageLength);
  }

  get lines(): number {
    return this.totalLines;
  }

  /** Lines that did not fit: new shapes after `maxShapes` was reached. */
  get overflow(): number {
    return this.overflowLines;
  }

  /**
   * Elementary steps spent so far: a line, and each token keyed, clustered, rendered, matched or
   * read back for slot values. The worst-case tests bound it per token of input, which no
   * timing can do on a shared machine.
   */
  get work(): number {
    return this.meter.steps;
  }

  /**
   * Adds one message (the content, without its header), or `count` lines of it (an
   * aggregation bucket), and returns a handle for `templateOf` / `templateIdOf`; -1 when the
   * line overflowed.
   */
  add(message: string, time?: number, count = 1): number {
    const text = message.length > this.opts.maxMessageLength ? message.slice(0, this.opts.maxMessageLength) : message;
    return this.count(this.shapeOfText(text, this.keys?.ofText(text)), time, count, text);
  }

  /**
   * `add(bytes.toString('latin1', start, end), time)` for a message held as ASCII bytes (a line
   * of a file read in place): a line of a known kind is counted without ever being made a
   * string, which is most of what mining a large file costs otherwise (bench/loghub/e2e.ts).
   */
  addAscii(bytes: Buffer, start: number, end: number, time?: number): number {
    const stop = Math.min(end, start + this.opts.maxMessageLength);
    const key = this.keys?.ofAscii(bytes, start, stop);
    const known = key === undefined ? undefined : this.bySkeleton.get(key);
    if (known && known.samples.length >= MAX_SAMPLES) return this.count(known, time, 1);
    const text = bytes.toString('latin1', start, stop);
    return this.count(known ?? this.shapeOfText(text, key), time, 1, text);
  }

  /** Counts `count` lines of a shape (undefined: overflow); `text` is offered as a sample. */
  private count(shape: Shape | undefined, time: number | undefined, count: number, text?: string): number {
    this.totalLines += count;
    this.meter.steps++;
    if (!shape) {
      this.overflowLines += count;
      return OVERFLOW_ID;
    }
    shape.count += count;
    if (time !== undefined && Number.isFinite(time)) {
      if (shape.first === undefined || time < shape.first) shape.first = time;
      if (shape.last === undefined || time > shape.last) shape.last = time;
    }
    if (text !== undefined && shape.samples.length < MAX_SAMPLES) {
      const sample = text.length > MAX_EXEMPLAR ? text.slice(0, MAX_EXEMPLAR) : text;
      if (!shape.samples.includes(sample)) shape.samples.push(sample);
    }
    return shape.index;
  }

  /** The template text for a handle from `add`. */
  templateOf(handle: number): string {
    if (handle === OVERFLOW_ID) return WILDCARD;
    this.flush();
    return this.byIndex[handle].template;
  }

  templateIdOf(handle: number): number {
    if (handle === OVERFLOW_ID) return OVERFLOW_ID;
    this.flush();
    return this.byIndex[handle].clusterId;
  }

  /** Templates by count, most frequent first (ties: lower id first). */
  templates(top = Infinity): TemplateSummary[] {
    this.flush();
    this.meter.steps += this.byIndex.length;
    const byCluster = new Map<number, Shape[]>();
    for (const s of this.byIndex) {
      const list = byCluster.get(s.clusterId);
      if (list) list.push(s);
      else byCluster.set(s.clusterId, [s]);
    }
    const ranked = [...byCluster.entries()].map(([id, members]) => ({ id, members, count: members.reduce((n, s) => n + s.count, 0) }));
    ranked.sort((a, b) => b.count - a.count || a.id - b.id);
    return ranked.slice(0, top).map((c) => summarize(c.id, c.members, this.meter));
  }

  /** The shape of a (cut) text, given its skeleton key when it has one. */
  private shapeOfText(text: string, skeleton: string | undefined): Shape | undefined {
    const known = skeleton === undefined ? undefined : this.bySkeleton.get(skeleton);
    if (known) return known;
    const masked = this.mask(text);
    let shape = this.cache.get(masked);
    if (!shape) {
      shape = this.shapeFor(masked);
      if (!shape) return undefined;
      remember(this.cache, masked, shape, MAX_CACHE);
    }
    if (skeleton !== undefined && !DIGIT.test(masked)) {
      if (this.bySkeleton.size >= MAX_SKELETONS || this.skeletonChars + skeleton.length > MAX_SKELETON_CHARS) {
        this.bySkeleton.clear();
        this.skeletonChars = 0;
      }
      this.bySkeleton.set(skeleton, shape);
      this.skeletonChars += skeleton.length;
    }
    return shape;
  }

  private shapeFor(masked: string): Shape | undefined {
    let tokens = masked.split(/\s+/).filter(Boolean);
    if (tokens.length > this.opts.maxTokens) tokens = [...tokens.slice(0, this.opts.maxTokens - 1), WILDCARD];
    const keyTokens = generalize(tokens);
    this.meter.steps += tokens.length;
    const key = keyTokens.join(' ');
    let shape = this.shapes.get(key);
    if (!shape && this.byIndex.length >= this.opts.maxShapes) return this.matchTemplate(keyTokens);
    if (!shape) {
      shape = {
        index: this.byIndex.length,
        tokens: keyTokens,
        count: 0,
        variants: [],
        samples: [],
        clusterId: this.byIndex.length,
        template: key,
      };
      this.shapes.set(key, shape);
      this.byIndex.push(shape);
      const bucket = this.buckets.get(keyTokens.length);
      if (bucket) bucket.push(shape);
      else this.buckets.set(keyTokens.length, [shape]);
      this.unclustered.add(keyTokens.length);
    }
    const variant = tokens.join(' ');
    if (shape.variants.length < MAX_VARIANTS && !shape.variants.includes(variant)) {
      shape.variants.push(variant);
      this.unrendered.add(keyTokens.length);
    }
    return shape;
  }

  /**
   * Past the shape limit, a new shape may still belong to a known template: the first cluster
   * of its length and first token whose template matches it token for token (`<*>` matches
   * anything) takes it, among the first MAX_MATCH_CANDIDATES: O(tokens) a line. No shape is
   * added past the limit, so the clusters, and this index of them, no longer change.
   */
  private matchTemplate(tokens: string[]): Shape | undefined {
    this.cluster();
    if (!this.templateIndex) {
      this.templateIndex = new Map();
      for (const [length, clusters] of this.clusters) {
        for (const c of clusters) {
          const slot = `${length}\u0000${c.key[0]}`;
          const list = this.templateIndex.get(slot);
          if (list) list.push(c);
          else this.templateIndex.set(slot, [c]);
        }
      }
    }
    let candidates = MAX_MATCH_CANDIDATES;
    for (const first of [tokens[0], WILDCARD]) {
      for (const c of this.templateIndex.get(`${tokens.length}\u0000${first}`) ?? []) {
        if (candidates-- === 0) return undefined;
        if (this.matches(c.key, tokens)) return c.members[0];
      }
    }
    return undefined;
  }

  private matches(template: readonly string[], tokens: readonly string[]): boolean {
    for (let i = 0; i < template.length; i++) {
      this.meter.steps++;
      if (template[i] !== WILDCARD && template[i] !== tokens[i]) return false;
    }
    return true;
  }

  /** Re-clusters the key lengths that gained shapes since the last read. */
  private cluster(): void {
    for (const length of this.unclustered) {
      const shapes = this.buckets.get(length)!;
      const clusters = clusterBucket(shapes, this.meter).map((c) => {
        const members = c.members.map((i) => shapes[i]);
        const id = members.reduce((low, s) => Math.min(low, s.index), Infinity);
        for (const s of members) s.clusterId = id;
        return { key: c.template, members };
      });
      this.clusters.set(length, clusters);
      this.unrendered.add(length);
    }
    this.unclustered.clear();
  }

  /** Brings clusters and their texts up to date with every line added so far. */
  private flush(): void {
    this.cluster();
    for (const length of this.unrendered) {
      for (const c of this.clusters.get(length)!) {
        const template = renderTemplate(c.key, this.variantTokens(c.members));
        for (const s of c.members) s.template = template;
      }
    }
    this.unrendered.clear();
  }

  /** The masked variants of a cluster's shapes as tokens, split one at a time as they are rendered. */
  private *variantTokens(members: readonly Shape[]): Generator<string[]> {
    for (const s of members) {
      for (const v of s.variants) {
        const tokens = v.split(' ');
        this.meter.steps += tokens.length;
        yield tokens;
      }
    }
  }
}

/** Caches are a speed-up only: one is dropped whole when it grows past its bound. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V, bound: number): void {
  if (cache.size >= bound) cache.clear();
  cache.set(key, value);
}

function summarize(id: number, members: Shape[], meter: { steps: number }): TemplateSummary {
  let count = 0;
  let first: number | undefined;
  let last: number | undefined;
  const samples: string[] = [];
  for (const s of members) {
    count += s.count;
    if (s.first !== undefined && (first === undefined || s.first < first)) first = s.first;
    if (s.last !== undefined && (last === undefined || s.last > last)) last = s.last;
    samples.push(...s.samples);
  }
  const template = members[0].template;
  const read = samples.slice(0, 4 * MAX_SAMPLES);
  meter.steps += members.length + read.length * template.split(' ').length;
  return {
    id,
    template,
    count,
    ...(first !== undefined ? { firstSeen: first, lastSeen: last } : {}),
    exemplars: samples.slice(0, 2),
    slots: slotValues(template, read),
  };
}
