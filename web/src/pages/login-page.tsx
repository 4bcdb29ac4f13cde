import { useState, type FormEvent } from 'react';
import { api, describeError } from '../api/client';
import type { WhoAmI } from '../api/types';
import { Command } from '../components/ui';

export function LoginPage({ message, onSignedIn }: { message?: string | undefined; onSignedIn: (token: string, user: WhoAmI) => void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError('Paste an API token first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const user = await api.whoamiWith(t);
      onSignedIn(t, user);
    } catch (err) {
      const d = describeError(err);
      setError(`${d.title}. ${d.message}`);
      setBusy(false);
    }
  };

  return (
    <main className="center-page" id="main">
      <div className="login-card">
        <h1 className="login-title">
          <span className="brand-mark" aria-hidden="true">
            S
          </span>
          Sign in to Steward
        </h1>
        {message && (
          <p className="note note-warn" role="alert">
            {message}
          </p>
        )}
        <form onSubmit={(e) => void submit(e)} aria-describedby="login-help">
          <label className="field">
            <span className="field-label">API token</span>
            <input
              type="password"
              name="token"
              autoComplete="off"
              spellCheck={false}
              placeholder="stw_…"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'login-error' : undefined}
              data-testid="login-token"
              autoFocus
            />
          </label>
          {error && (
            <p id="login-error" className="field-error" role="alert" data-testid="login-error">
              {error}
            </p>
          )}
          <button type="submit" className="button button-primary" disabled={busy} data-testid="login-submit">
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </form>
        <div id="login-help" className="login-help">
          <p>
            At its first start Steward prints the admin's token and an address that signs you in directly (<code>http://…/#token=stw_…</code>).
            Someone with the admin role can make a token for you, or you can make one with the CLI:
          </p>
          <Command>steward tokens create --name web</Command>
          <p className="muted small">The token is kept in this browser only, and sent only to this server.</p>
        </div>
      </div>
    </main>
  );
}
