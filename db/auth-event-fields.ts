/**
 * The fields of a Duo authentication event the product reads, from the event as Duo sent it: used
 * when storing (the columns of duo_auth_events) and when reading events back (the rest, from the
 * stored raw event). One reading, so a stored column and a field read back never disagree.
 */
export interface AuthEventFields {
  userId: string | null;
  username: string | null;
  result: string | null;
  reason: string | null;
  factor: string | null;
  eventType: string | null;
  applicationKey: string | null;
  applicationName: string | null;
  accessIp: string | null;
  accessCity: string | null;
  accessState: string | null;
  accessCountry: string | null;
}

/** Non-empty strings only: Duo sends null, '' and odd shapes for fields it has no value for. */
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

export function authEventFields(event: unknown): AuthEventFields {
  const user = field(event, 'user');
  const application = field(event, 'application');
  const access = field(event, 'access_device');
  const location = field(access, 'location');
  return {
    userId: str(field(user, 'key')),
    username: str(field(user, 'name')),
    result: str(field(event, 'result')),
    reason: str(field(event, 'reason')),
    factor: str(field(event, 'factor')),
    eventType: str(field(event, 'event_type')),
    applicationKey: str(field(application, 'key')),
    applicationName: str(field(application, 'name')),
    accessIp: str(field(access, 'ip')),
    accessCity: str(field(location, 'city')),
    accessState: str(field(location, 'state')),
    accessCountry: str(field(location, 'country')),
  };
}
