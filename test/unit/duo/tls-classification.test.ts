import { describe, expect, it } from 'vitest';
import { certificateProblem, classifyNetworkError } from '../../../duo/transport.js';

/** Node's TLS errors carry OpenSSL's verification code in `code`, sometimes under a `cause`. */
const tlsError = (code: string, nested = false): Error => {
  const inner = Object.assign(new Error('verification failed'), { code });
  return nested ? Object.assign(new Error('fetch failed'), { cause: inner }) : inner;
};

describe('certificateProblem', () => {
  it.each([
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted_certificate'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'untrusted_certificate'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'untrusted_certificate'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'untrusted_certificate'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'hostname_mismatch'],
    ['CERT_HAS_EXPIRED', 'expired_certificate'],
    ['CERT_NOT_YET_VALID', 'certificate_not_yet_valid'],
  ])('reads %s as %s', (code, problem) => {
    expect(certificateProblem(tlsError(code))).toEqual({ problem, tlsCode: code });
    expect(certificateProblem(tlsError(code, true))).toEqual({ problem, tlsCode: code });
  });

  it.each(['ECONNRESET', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ETIMEDOUT'])('leaves %s to the network classification', (code) => {
    expect(certificateProblem(tlsError(code))).toBeUndefined();
  });

  it('keeps a TLS protocol failure a retryable network failure', () => {
    expect(classifyNetworkError(tlsError('ERR_SSL_WRONG_VERSION_NUMBER'))).toBe('tls');
  });
});
