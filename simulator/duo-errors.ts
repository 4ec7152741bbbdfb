/** Duo's failure envelope: the HTTP status is the first three digits of `code`. */
export interface DuoFailure {
  code: number;
  message: string;
  detail?: string;
}

export function failureStatus(failure: DuoFailure): number {
  return Math.floor(failure.code / 100);
}

export function failureBody(failure: DuoFailure): Record<string, unknown> {
  return failure.detail === undefined
    ? { stat: 'FAIL', code: failure.code, message: failure.message }
    : { stat: 'FAIL', code: failure.code, message: failure.message, message_detail: failure.detail };
}

export const missingCredentials: DuoFailure = { code: 40101, message: 'Missing request credentials' };
export const invalidIntegrationKey: DuoFailure = { code: 40102, message: 'Invalid integration key in request credentials' };
export const invalidSignature: DuoFailure = { code: 40103, message: 'Invalid signature in request credentials' };
export const accessForbidden: DuoFailure = { code: 40301, message: 'Access forbidden' };
export const notFound: DuoFailure = { code: 40401, message: 'Resource not found' };
export const methodNotAllowed: DuoFailure = { code: 40501, message: 'Method not allowed' };
export const tooManyRequests: DuoFailure = { code: 42901, message: 'Too Many Requests' };
export const internalError: DuoFailure = { code: 50001, message: 'Unknown internal server error' };

export function missingParameter(name: string): DuoFailure {
  return { code: 40001, message: 'Missing required request parameters', detail: name };
}

export function invalidParameter(detail: string): DuoFailure {
  return { code: 40002, message: 'Invalid request parameters', detail };
}
