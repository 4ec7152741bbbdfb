import { errorResponseSchema } from '../schemas/integration.js';

/** An error answer in the OpenAPI document: the shared envelope plus what this status means here. */
export const errorReply = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorResponseSchema } },
});

/** Answers every integration route can give. */
export const commonErrorReplies = {
  400: errorReply('Invalid tenant id or body (validation_failed; details.issues names each field) or malformed JSON'),
  401: errorReply('Missing or wrong bearer token (unauthorized)'),
  500: errorReply('Internal error (internal_error); details.requestId identifies the logged cause'),
};
