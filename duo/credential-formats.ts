import { z } from 'zod';

/**
 * Shapes of the Duo Admin API credentials a tenant enters. Messages name the field and never
 * echo the value (it may be a secret pasted into the wrong box).
 */
export const integrationKeySchema = z
  .string({ error: 'integrationKey must be a string' })
  .regex(/^DI[A-Z0-9]{18}$/, 'integrationKey must be 20 upper-case letters or digits starting with DI');

/** A Duo secret key: 40 characters. */
export const secretKeySchema = z
  .string({ error: 'secretKey must be a string' })
  .length(40, 'secretKey must be exactly 40 characters');
