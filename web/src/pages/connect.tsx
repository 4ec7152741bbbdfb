import { useState } from 'preact/hooks';
import { ApiError, sendJson, tenantPath } from '../api.js';
import { ErrorBox } from '../components.js';
import { href, navigate } from '../router.js';
import { can, useSession } from '../session.js';
import type { IntegrationStatus } from '../types.js';

const FIELDS = [
  { name: 'integrationKey', label: 'Integration key', help: 'DI followed by 18 letters or digits', type: 'text' },
  { name: 'secretKey', label: 'Secret key', help: '40 characters; stored sealed, never shown again', type: 'password' },
  { name: 'apiHost', label: 'API hostname', help: 'api-xxxxxxxx.duosecurity.com', type: 'text' },
] as const;

type FieldName = (typeof FIELDS)[number]['name'];

/** The three Duo values; the API's own messages are shown as they are, next to the field they name. */
export function ConnectPage({ tenantId: fixedTenant }: { tenantId: string | undefined }) {
  const { me } = useSession();
  const [tenantId, setTenantId] = useState(fixedTenant ?? '');
  const [values, setValues] = useState<Record<FieldName, string>>({ integrationKey: '', secretKey: '', apiHost: '' });
  const [error, setError] = useState<ApiError | Error | undefined>();
  const [busy, setBusy] = useState(false);
  if (!can(me, 'integrations:write')) return <ErrorBox error={new Error('This key may not connect tenants (it lacks integrations:write).')} />;

  const fieldError = (name: string) =>
    error instanceof ApiError
      ? error.issues.find((issue) => issue.path === name)?.message ?? (error.details.field === name ? error.message : undefined)
      : undefined;
  const tenantError = error instanceof ApiError ? error.issues.find((issue) => issue.location === 'params')?.message : undefined;

  return (
    <>
      <h1>Connect a Duo account</h1>
      <p>
        In the Duo Admin Panel, protect an <strong>Admin API</strong> application with <strong>Grant read log</strong> and{' '}
        <strong>Grant read resource</strong>, then paste its three values. They are checked against Duo before anything is stored.
      </p>
      <form
        class="form"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const status = await sendJson<IntegrationStatus>('PUT', `${tenantPath(tenantId)}/integrations/duo`, values);
            // The secret leaves the page's memory as soon as the API has it.
            setValues({ integrationKey: '', secretKey: '', apiHost: '' });
            navigate(href(['t', status.tenantId, 'sync']));
          } catch (caught) {
            setError(caught as Error);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="field">
          <label for="tenantId">Tenant id</label>
          <input
            id="tenantId"
            required
            pattern="[A-Za-z0-9_-]{1,64}"
            readOnly={fixedTenant !== undefined && me.tenantId !== null}
            value={tenantId}
            onInput={(event) => setTenantId(event.currentTarget.value)}
            aria-describedby="tenantId-help"
            aria-invalid={tenantError ? true : undefined}
          />
          <small id="tenantId-help">{tenantError ?? 'Your name for this tenant: letters, digits, _ and -'}</small>
        </div>
        {FIELDS.map((field) => {
          const message = fieldError(field.name);
          return (
            <div class="field">
              <label for={field.name}>{field.label}</label>
              <input
                id={field.name}
                name={field.name}
                type={field.type as string as "text"}
                required
                autoComplete="off"
                spellcheck={false}
                value={values[field.name]}
                onInput={(event) => setValues({ ...values, [field.name]: event.currentTarget.value })}
                aria-describedby={`${field.name}-help`}
                aria-invalid={message ? true : undefined}
              />
              <small id={`${field.name}-help`} class={message ? 'field-error' : undefined}>
                {message ?? field.help}
              </small>
            </div>
          );
        })}
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking with Duo…' : 'Connect'}
        </button>
      </form>
    </>
  );
}
