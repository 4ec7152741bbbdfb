import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';

/** The key stays in this tab's sessionStorage: gone when the tab closes, never in a URL or cookie. */
export function LoginPage({ onLogin }: { onLogin: (key: string) => Promise<void> }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <div class="login">
      <h1>duo-usage-sync console</h1>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            await onLogin(key.trim());
          } catch (caught) {
            setError(caught instanceof ApiError && caught.status === 401 ? 'The API did not accept this key.' : (caught as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          aria-describedby={error ? 'login-error api-key-help' : 'api-key-help'}
          aria-invalid={error ? true : undefined}
        />
        <p id="api-key-help" class="muted">
          Paste an API key. It is kept in this browser tab only (session storage) and sent as a Bearer header.
        </p>
        {error ? (
          <p id="login-error" class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
      </form>
    </div>
  );
}
