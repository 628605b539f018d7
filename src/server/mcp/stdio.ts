import { StringDecoder } from 'node:string_decoder';
import { Transform } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../../app.js';
import { TelemcpError } from '../../core/errors.js';
import { frontDoorMaxDepth, jsonRpcIdOf, jsonRpcIdOfPrefix, jsonRpcIdOfRefused, parseStrictJson } from '../../security/strict-json.js';
import { redactString } from '../../core/redact.js';
import { recordRefusal } from '../../tools/invoke.js';
import { createMcpServer } from './mcp-server.js';
import { envelopeProblem } from './jsonrpc.js';

/**
 * Lines from stdin pass the same strict checks as HTTP bodies (duplicate keys, depth,
 * batches) before the SDK sees them; a refused line is answered with a JSON-RPC error on
 * stdout, so decisions match the HTTP front doors and stdout stays pure protocol. A line over
 * `maxBytes` is answered once (with its id when the line's start names one, as HTTP answers one
 * 413) and the rest of it is dropped unread up to its newline.
 */
class StrictLineFilter extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  /** Dropping the rest of an over-long line until its newline. */
  private discarding = false;

  constructor(
    private readonly maxDepth: number,
    private readonly maxBytes: number,
    private readonly reply: (msg: object) => void,
    private readonly refused: (status: number, code: string) => Promise<void>,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, out?: string) => void): void {
    const text = this.decoder.write(chunk);
    let out = '';
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      if (this.discarding) this.discarding = false;
      else out += this.check(this.buffer + text.slice(from, nl)) ?? '';
      this.buffer = '';
      from = nl + 1;
    }
    if (!this.discarding) this.buffer += text.slice(from);
    if (this.buffer.length > this.maxBytes) this.refuseOverLong();
    done(null, out);
  }

  override _flush(done: (err?: Error | null, out?: string) => void): void {
    const rest = this.buffer + this.decoder.end();
    done(null, this.discarding ? '' : (this.check(rest) ?? ''));
  }

  private refuseOverLong(): void {
    const id = jsonRpcIdOfPrefix(this.buffer);
    this.buffer = '';
    this.discarding = true;
    const answer = {
      jsonrpc: '2.0',
      id,
      error: { code: -32600, message: `Message larger than ${this.maxBytes} bytes.`, data: { code: 'request_too_large', hint: `send at most ${this.maxBytes} bytes per message (MAX_REQUEST_BYTES)` } },
    };
    void this.refused(413, 'request_too_large').then(() => this.reply(answer));
  }

  private check(raw: string): string | undefined {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.trim()) return undefined;
    try {
      const parsed = parseStrictJson(line, { maxDepth: this.maxDepth, maxBytes: this.maxBytes });
      const problem = envelopeProblem(parsed);
      if (problem) {
        this.reply({ jsonrpc: '2.0', id: jsonRpcIdOf(parsed), error: { code: -32600, message: `Invalid Request: ${problem}` } });
        return undefined;
      }
      return `${line}\n`;
    } catch (err) {
      const e = err as TelemcpError;
      const rpc = (e.details as { jsonrpc_code?: number } | undefined)?.jsonrpc_code ?? -32602;
      const answer = { jsonrpc: '2.0', id: jsonRpcIdOfRefused(line), error: { code: rpc, message: redactString(e.message), data: { code: e.code } } };
      void this.refused(e.status, e.code).then(() => this.reply(answer));
      return undefined;
    }
  }
}

export async function serveStdio(app: App): Promise<void> {
  const { config } = app.rt;
  const caller = { id: 'stdio', role: config.STDIO_ROLE, transport: 'stdio' as const };
  const transport = new StdioServerTransport(
    process.stdin.pipe(
      new StrictLineFilter(
        frontDoorMaxDepth(config.MAX_JSON_DEPTH, 'jsonrpc'),
        config.MAX_REQUEST_BYTES,
        (msg) => void transport.send(msg as never),
        (status, code) => recordRefusal(app.rt, caller, status, code),
      ),
    ),
    process.stdout,
  );
  const server = createMcpServer(app.rt, caller);
  await server.connect(transport);
  await new Promise<void>((resolveClosed) => {
    transport.onclose = () => resolveClosed();
    process.stdin.once('end', () => resolveClosed());
  });
  await server.close();
}
