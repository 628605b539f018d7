import type { FileHandle } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { MAGIC_BYTES, SNIFF_BYTES, binaryRefusal, packedRefusal, refusalHint, type Refusal } from './ingest-binary.js';
import { OpenError, openReadableFile } from './open-failure.js';
import { STDIN } from './ingest-args.js';

/**
 * One input of `telemcp ingest`, opened before anything is ingested (so a wrong path fails at
 * once, not after an hour of another file) and read later as a stream of text. Gzip is told by
 * its magic bytes, not the file name, so `zcat`-less pipes (`curl … | telemcp ingest -`) and
 * misnamed files work alike. Binary data and compressed data other than gzip are refused
 * (ingest-binary.ts): a file when it is opened, from its first bytes; standard input and pipes
 * when their first bytes arrive, which ends their reading with an OpenError.
 */
export interface IngestInput {
  /** The path as given, `-` for standard input. */
  readonly path: string;
  /** Bytes in the file, for the progress bar; undefined for standard input and pipes. */
  readonly size?: number;
  /** Raw bytes read so far (compressed ones, for gzip). */
  bytesRead(): number;
  /** Whether the data is gzip; known once reading started. */
  readonly gzip: boolean;
  /** The text, UTF-8 decoded (invalid bytes become U+FFFD), gunzipped when it is gzip. Read once. */
  text(): AsyncIterable<string>;
  /** Ends the reading: a read waiting for data ends too, and the iteration of text() stops. */
  stop(): void;
}

const GZIP_MAGIC = [0x1f, 0x8b];

function isGzip(head: Uint8Array): boolean {
  return GZIP_MAGIC.every((b, i) => head[i] === b);
}

function refused(path: string, dataset: string, refusal: Refusal): OpenError {
  return new OpenError(`cannot ingest ${path}: it is ${refusal.reason}`, refusalHint(refusal, path, dataset));
}

/** What is wrong with a file's first bytes, judging a gzip file by as much of its text as they unpack to. */
async function fileRefusal(handle: FileHandle): Promise<Refusal | undefined> {
  const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
  const head = buffer.subarray(0, bytesRead);
  if (!isGzip(head)) return packedRefusal(head) ?? binaryRefusal(head);
  let text: Buffer;
  try {
    // The head is a cut stream: a sync flush yields what it holds instead of failing at its end.
    text = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return undefined; // Corrupt gzip is told while reading, with the line reached.
  }
  return packedRefusal(text) ?? binaryRefusal(text);
}

/** Opens an input going to `dataset` (named in the hint when it is refused). */
export async function openInput(path: string, dataset = 'NAME'): Promise<IngestInput> {
  if (path === STDIN) return streamInput(path, dataset, process.stdin, undefined);
  const { handle, stat } = await openReadableFile(path);
  if (stat.isFile()) {
    const refusal = await fileRefusal(handle);
    if (refusal) {
      await handle.close();
      throw refused(path, dataset, refusal);
    }
  }
  // A FIFO or process substitution (`<(zcat a.gz)`) has no size to measure progress by.
  return streamInput(path, dataset, handle.createReadStream({ highWaterMark: 1 << 16 }), stat.isFile() ? stat.size : undefined);
}

function streamInput(path: string, dataset: string, raw: Readable, size: number | undefined): IngestInput {
  let bytes = 0;
  let gzip = false;

  async function* counted(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
    yield head;
    for (let next = await rest.next(); !next.done; next = await rest.next()) {
      bytes += next.value.length;
      yield next.value;
    }
  }

  async function* text(): AsyncGenerator<string> {
    const chunks: AsyncIterator<Buffer> = raw[Symbol.asyncIterator]();
    // Enough bytes to tell gzip and the refused kinds from text; a pipe may hand them over one at a time.
    let head = Buffer.alloc(0);
    while (head.length < MAGIC_BYTES) {
      const next = await chunks.next();
      if (next.done) break;
      bytes += next.value.length;
      head = Buffer.concat([head, next.value]);
    }
    if (head.length === 0) return;
    gzip = isGzip(head);
    const packed = gzip ? undefined : packedRefusal(head);
    if (packed) throw refused(path, dataset, packed);
    const body = counted(head, chunks);
    // pipeline destroys the gunzip stream with any error of the file read, so both end the loop below.
    const data: AsyncIterable<Buffer> = gzip ? pipeline(Readable.from(body), createGunzip(), () => {}) : body;
    const decoder = new StringDecoder('utf8');
    let judged = false;
    for await (const chunk of data) {
      // The first chunk is judged as it comes, so a slow stream is not held until SNIFF_BYTES arrive.
      const refusal = judged ? undefined : ((gzip ? packedRefusal(chunk) : undefined) ?? binaryRefusal(chunk));
      judged = true;
      if (refusal) throw refused(path, dataset, refusal);
      const decoded = decoder.write(chunk);
      if (decoded) yield decoded;
    }
    const tail = decoder.end();
    if (tail) yield tail;
  }

  return {
    path,
    size,
    bytesRead: () => bytes,
    get gzip() {
      return gzip;
    },
    text,
    stop: () => raw.destroy(),
  };
}

/** What went wrong reading, in words: zlib's own ("unexpected end of file") does not say it is the file's fault. */
export function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'Z_BUF_ERROR') return 'the gzip data ends early: the file is truncated';
  if (code === 'Z_DATA_ERROR') return `the gzip data is corrupt (${message})`;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
