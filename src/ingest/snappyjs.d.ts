/** The part of snappyjs (pure JS, ships no types) used here: decompress in snappy-block.ts, compress in the tests. */
declare module 'snappyjs' {
  /** Decompresses a snappy block; throws when the stream is invalid or declares more than `maxLength` bytes. */
  export function uncompress(compressed: Buffer, maxLength?: number): Buffer;
  export function compress(uncompressed: Buffer): Buffer;
}
