import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate, createInflateRaw, type Gunzip, type Inflate, type InflateRaw } from 'node:zlib';
import { IngestFailure } from './failure.js';

type Encoding = 'identity' | 'gzip' | 'deflate';

/** zlib's output arrives in chunks of this size, so the cap is checked at least this often. */
const INFLATE_CHUNK = 64 * 1024;

/**
 * The body's Content-Encoding: identity, gzip (Filebeat, Fluent Bit, Vector, Logstash, the
 * Collector) or deflate (Vector's `zlib`); anything else (br, zstd, snappy) is a 415, except the
 * codings the endpoint undoes itself (`selfDecoded`), which the body keeps.
 */
export function contentEncodingOf(headers: IncomingHttpHeaders, selfDecoded: readonly string[] = []): Encoding {
  const raw = headers['content-encoding'];
  const codings = (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity' && !selfDecoded.includes(c));
  if (codings.length === 0) return 'identity';
  if (codings.length === 1 && (codings[0] === 'gzip' || codings[0] === 'x-gzip')) return 'gzip';
  if (codings.length === 1 && codings[0] === 'deflate') return 'deflate';
  throw new IngestFailure(415, 'invalid_input', `Content-Encoding ${codings.join(', ').slice(0, 40)} is not supported.`, {
    hint: 'Send the body uncompressed, or compressed with gzip or deflate.',
  });
}

function tooLarge(maxBytes: number, what: string): IngestFailure {
  return new IngestFailure(413, 'request_too_large', `The request body is larger than INGEST_MAX_BYTES (${maxBytes} bytes)${what}.`, {
    hint: 'Send smaller batches (Filebeat bulk_max_size, Fluent Bit Buffer_Size/chunk size, Vector batch.max_bytes, Logstash pipeline.batch.size), or raise INGEST_MAX_BYTES.',
  });
}

/** zlib data starts with a CMF/FLG pair whose 16-bit value is a multiple of 31; raw deflate (sent by some clients as "deflate") does not. */
function looksLikeZlib(first: Buffer): boolean {
  return first.length >= 2 && (first[0] & 0x0f) === 8 && ((first[0] << 8) | first[1]) % 31 === 0;
}

/**
 * Reads a request body, inflating it on the fly, and stops as soon as more than `maxBytes` have
 * arrived or been inflated: a gzip bomb is refused after at most `maxBytes` + one zlib chunk of
 * output, never inflated whole. On refusal the request stream is left paused, not destroyed, so the
 * 413 can still be sent (with Connection: close, which drops the unread rest).
 */
export function readIngestBody(source: Readable | undefined, headers: IncomingHttpHeaders, maxBytes: number, selfDecoded?: readonly string[]): Promise<Buffer> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes, ''));
  let encoding: Encoding;
  try {
    encoding = contentEncodingOf(headers, selfDecoded);
  } catch (err) {
    return Promise.reject(err);
  }
  if (source === undefined) return Promise.resolve(Buffer.alloc(0));

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let received = 0;
    let settled = false;
    let inflater: Gunzip | Inflate | InflateRaw | undefined;

    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      if (err) {
        source.pause();
        inflater?.destroy();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const take = (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) return settle(tooLarge(maxBytes, encoding === 'identity' ? '' : ' once decompressed'));
      chunks.push(chunk);
    };
    const startInflater = (first: Buffer) => {
      const opts = { chunkSize: INFLATE_CHUNK };
      inflater = encoding === 'gzip' ? createGunzip(opts) : looksLikeZlib(first) ? createInflate(opts) : createInflateRaw(opts);
      inflater.on('data', take);
      inflater.on('end', () => settle());
      inflater.on('error', (err) =>
        settle(new IngestFailure(400, 'invalid_input', `The body is not valid ${encoding} data (${err.message.slice(0, 80)}).`, { hint: 'Check the Content-Encoding header against how the body is compressed.' })),
      );
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return settle(tooLarge(maxBytes, ''));
      if (encoding === 'identity') return take(chunk);
      if (!inflater) startInflater(chunk);
      if (!inflater!.write(chunk)) {
        source.pause();
        inflater!.once('drain', () => {
          if (!settled) source.resume();
        });
      }
    };
    const onEnd = () => {
      if (encoding === 'identity') return settle();
      if (!inflater) return settle();
      inflater.end();
    };
    const onError = (err: Error) => settle(new IngestFailure(400, 'invalid_input', `The request body could not be read (${err.message.slice(0, 80)}).`));
    const onClose = () => {
      if (!source.readableEnded) settle(new IngestFailure(400, 'invalid_input', 'The client closed the connection before the body was complete.'));
    };
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  });
}
