/**
 * The webhook's own certificates, made with node:crypto and a small DER writer (Node can sign
 * but not build an X.509 certificate): a CA, and a serving certificate it signs for the
 * webhook Service's DNS names (and any IP addresses), both ECDSA P-256 with SHA-256. The API
 * server trusts the CA through the webhook configuration's caBundle.
 */
import {
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';

export interface KeyPair {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

// DER: tag, length, value.
function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: Buffer[]) => tlv(0xa0 + n, ...parts);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (b: boolean) => tlv(0x01, Buffer.from([b ? 0xff : 0]));
/** A positive INTEGER from big-endian bytes. */
/** A non-negative DER INTEGER: minimal (no leading zero byte unless the next has its top bit). */
function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && !(b[i + 1]! & 0x80)) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) after (RFC 5280). */
function time(d: Date): Buffer {
  const full = d.toISOString().replace(/[-:T]|\.\d+/g, '');
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(full.slice(2), 'ascii'))
    : tlv(0x18, Buffer.from(full, 'ascii'));
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function ipBytes(ip: string): Buffer {
  if (ip.includes(':')) throw new Error(`IPv6 address ${ip} is not supported here`);
  return Buffer.from(ip.split('.').map(Number));
}

interface Subject {
  commonName: string;
  publicKey: KeyObject;
  ca: boolean;
  dnsNames?: string[];
  ips?: string[];
  days: number;
}

function certificate(s: Subject, issuer: { name: string; key: KeyObject }, now: Date): string {
  const notAfter = new Date(now.getTime() + s.days * 86_400_000);
  const extensions = [
    extension('2.5.29.19', true, seq(...(s.ca ? [bool(true)] : []))), // basicConstraints
    // keyUsage: keyCertSign + cRLSign for the CA, digitalSignature for the server
    extension('2.5.29.15', true, s.ca ? bits(Buffer.from([0x06])) : bits(Buffer.from([0x80]))),
  ];
  if (!s.ca) {
    extensions.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1')))); // serverAuth
    const alt = [
      ...(s.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
      ...(s.ips ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
    ];
    extensions.push(extension('2.5.29.17', false, seq(...alt))); // subjectAltName
  }
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ECDSA_SHA256,
    name(issuer.name),
    seq(time(new Date(now.getTime() - 300_000)), time(notAfter)),
    name(s.commonName),
    s.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, { key: issuer.key, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const lines = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

function keyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A CA valid for `days`. */
export function makeCa(commonName: string, days: number, now = new Date()): KeyPair {
  const { publicKey, privateKey } = keyPair();
  const cert = certificate(
    { commonName, publicKey, ca: true, days },
    { name: commonName, key: privateKey },
    now,
  );
  return { cert, key: pem(privateKey) };
}

/** A serving certificate for `dnsNames` and `ips`, signed by `ca`, valid for `days`. */
export function makeServing(
  ca: KeyPair,
  caName: string,
  hosts: { dnsNames: string[]; ips?: string[] },
  days: number,
  now = new Date(),
): KeyPair {
  const { publicKey, privateKey } = keyPair();
  const cert = certificate(
    {
      commonName: hosts.dnsNames[0] ?? hosts.ips?.[0] ?? 'webhook',
      publicKey,
      ca: false,
      days,
      ...hosts,
    },
    { name: caName, key: createPrivateKey(ca.key) },
    now,
  );
  return { cert, key: pem(privateKey) };
}
