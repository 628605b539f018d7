/**
 * TLS in front of a real engine (the test engines speak plain HTTP on loopback): certificates
 * made with `openssl` at test time, and an https server that terminates TLS and streams each
 * request to the engine. It records the headers it receives (A-09) and can demand HTTP Basic
 * credentials, answering 401 the way Elasticsearch's security layer does.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer, listenOnLoopback } from './loopback.js';

export interface CertPair {
  key: string;
  cert: string;
}

export interface TestPki {
  dir: string;
  /** Path of the CA certificate (PEM), what ES_CA_CERT points at. */
  caPath: string;
  /** SAN IP:127.0.0.1, DNS:localhost, signed by the CA, valid now. */
  valid: CertPair;
  /** Same names, signed by the CA, expired in 2020. */
  expired: CertPair;
  /** SAN DNS:wrong.example only, signed by the CA, valid now. */
  wrongSan: CertPair;
  /** A client certificate (extendedKeyUsage clientAuth) signed by the CA, for mTLS; `keyPath`/`certPath` are what ES_CLIENT_KEY/ES_CLIENT_CERT point at. */
  client: CertPair & { keyPath: string; certPath: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A throw-away CA and three server certificates, in a fresh temporary directory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'telemcp-pki-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=telemcp test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);

  const leafExt = (san: string) => `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`;
  writeFileSync(join(dir, 'good.ext'), leafExt('IP:127.0.0.1,DNS:localhost'));
  writeFileSync(join(dir, 'wrong.ext'), leafExt('DNS:wrong.example'));

  const csr = (name: string, cn: string) => openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  const signNow = (name: string, ext: string) =>
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-sha256', '-extfile', ext], dir);

  csr('valid', '127.0.0.1');
  signNow('valid', 'good.ext');
  csr('wrong', 'wrong.example');
  signNow('wrong', 'wrong.ext');
  writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  csr('client', 'telemcp');
  signNow('client', 'client.ext');

  // OpenSSL 3.0's `x509 -req` cannot back-date; `openssl ca` takes explicit start/end dates.
  csr('expired', '127.0.0.1');
  mkdirSync(join(dir, 'newcerts'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir/newcerts',
      'serial = $dir/serial',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '[leaf]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extensions', 'leaf', '-notext'], dir);

  const pair = (name: string): CertPair => ({ key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.pem`), 'utf8') });
  return { dir, caPath: join(dir, 'ca.pem'), valid: pair('valid'), expired: pair('expired'), wrongSan: pair('wrong'), client: { ...pair('client'), keyPath: join(dir, 'client.key'), certPath: join(dir, 'client.pem') } };
}

export interface TlsForwarderOptions {
  upstream: string;
  cert: CertPair;
  /** When set, requests without exactly these Basic credentials get Elasticsearch's 401. */
  requireBasic?: { username: string; password: string };
  /** When set (a CA's PEM path), the handshake demands a client certificate signed by that CA (mTLS). */
  requireClientCertFrom?: string;
}

/** https → http forwarder; streams both ways and keeps every request's headers. */
export class TlsForwarder {
  readonly received: http.IncomingHttpHeaders[] = [];
  /** `METHOD /path?query` of each request, in the order of `received`. */
  readonly requests: string[] = [];
  private readonly server: https.Server;
  private port = 0;

  constructor(private readonly opts: TlsForwarderOptions) {
    const upstream = new URL(opts.upstream);
    const mtls = opts.requireClientCertFrom ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(opts.requireClientCertFrom) } : {};
    this.server = https.createServer({ key: opts.cert.key, cert: opts.cert.cert, ...mtls }, (req, res) => {
      this.received.push({ ...req.headers });
      this.requests.push(`${req.method} ${req.url}`);
      const expected = opts.requireBasic && `Basic ${Buffer.from(`${opts.requireBasic.username}:${opts.requireBasic.password}`).toString('base64')}`;
      if (expected && req.headers.authorization !== expected) {
        req.resume();
        const body = JSON.stringify({
          error: {
            root_cause: [{ type: 'security_exception', reason: 'unable to authenticate user [telemcp] for REST request [/_cluster/health]', header: { 'WWW-Authenticate': 'Basic realm="security" charset="UTF-8"' } }],
            type: 'security_exception',
            reason: 'unable to authenticate user [telemcp] for REST request [/_cluster/health]',
          },
          status: 401,
        });
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="security" charset="UTF-8"', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const upstreamReq = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstreamReq.on('error', () => res.destroy());
      res.on('close', () => upstreamReq.destroy());
      req.pipe(upstreamReq);
    });
    // Failed handshakes are the point of several tests; they must not crash the process.
    this.server.on('tlsClientError', () => {});
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}
