import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/**
 * Certificate authorities made at test time, so HTTPS to the simulator runs the same TLS code as
 * production with nothing trusted beyond the test: a CA, and leaf certificates it issues for Duo
 * API host names (also expired or not yet valid ones, to provoke each verification failure).
 */

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface IssuedCertificate {
  /** PEM of the leaf certificate. */
  cert: string;
  /** PEM (PKCS#8) of its private key. */
  key: string;
}

export interface TestCa {
  /** PEM of the CA certificate: what a client must trust. */
  certPem: string;
  /** A server certificate for `names` (DNS subject alternative names), valid now unless told otherwise. */
  issue(names: readonly string[], validity?: { notBefore?: Date; notAfter?: Date }): Promise<IssuedCertificate>;
}

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

/** A fresh CA with its own key, named `name` (the name only shows in failure messages). */
export async function createTestCa(name = 'duo-usage-sync test CA'): Promise<TestCa> {
  x509.cryptoProvider.set(webcrypto);
  const caKeys = await keyPair();
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys: caKeys,
    signingAlgorithm: algorithm,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    certPem: caCert.toString('pem'),
    async issue(names, validity = {}) {
      const leafKeys = await keyPair();
      const leaf = await x509.X509CertificateGenerator.create({
        subject: `CN=${names[0] ?? 'localhost'}`,
        issuer: caCert.subject,
        publicKey: leafKeys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: algorithm,
        notBefore: validity.notBefore ?? new Date(Date.now() - DAY),
        notAfter: validity.notAfter ?? new Date(Date.now() + 7 * DAY),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      const key = await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
      return { cert: leaf.toString('pem'), key: pem('PRIVATE KEY', key) };
    },
  };
}

/** The CA's certificate in a temporary file (what DUO_TEST_CA_FILE names); `remove` deletes it. */
export async function writeCaFile(ca: TestCa): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'duo-test-ca-'));
  const path = join(dir, 'ca.pem');
  await writeFile(path, ca.certPem);
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}
