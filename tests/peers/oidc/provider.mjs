// A real OpenID Connect provider (oidc-provider, OpenID Certified) for Guichet's tests, on
// 127.0.0.1, configured as FranceConnect (the pivot identity, acr eidas1, userinfo as a
// signed JWT, RP-initiated logout) or as ProConnect (the agent's identity, userinfo as JSON).
//
//   node provider.mjs --as franceconnect --port 9100 \
//        --redirect-uri http://localhost/connexion/franceconnect/retour \
//        --post-logout-redirect-uri http://localhost/deconnexion/retour
//
// Prints one line "ready ISSUER" when it listens. Its login page lists the test people of
// its kind; the login form posts `login` (a person's id) and signs in with consent given.
//
// Test-only hooks, for the tests of what Guichet must refuse: POST /_test/mode with a JSON
// body sets how the next answers are altered, until changed again:
//   {"acr": "eidas0"}            the acr of the next sign-ins
//   {"id_token": "tampered"}     a character of the ID token's payload changed (bad signature)
//   {"id_token": "expired"}      the ID token re-signed with exp and iat two hours ago
//   {"id_token": "nonce"}        the ID token re-signed with another nonce
//   {"id_token": "other-key"}    the ID token signed with a key the provider does not publish
//   {}                           back to normal
import http from 'node:http';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    as: { type: 'string', default: 'franceconnect' },
    port: { type: 'string', default: '9100' },
    'client-id': { type: 'string', default: 'guichet' },
    'client-secret': { type: 'string', default: 'guichet-test-secret' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
  },
});

const KIND = args.as;
if (!['franceconnect', 'proconnect'].includes(KIND)) {
  console.error(`--as must be franceconnect or proconnect, not ${KIND}`);
  process.exit(2);
}
const ISSUER = `http://127.0.0.1:${args.port}`;

// The people the provider knows, by id (their sub).
const PEOPLE = {
  franceconnect: {
    'fc-marie': {
      given_name: 'Marie Louise',
      family_name: 'Dupont',
      birthdate: '1980-06-14',
      birthplace: '76540',
      birthcountry: '99100',
      gender: 'female',
      email: 'marie.dupont@example.org',
      preferred_username: 'Martin',
    },
    'fc-paul': {
      given_name: 'Paul',
      family_name: 'Lefèvre',
      birthdate: '1975-01-02',
      birthplace: '75056',
      birthcountry: '99100',
      gender: 'male',
      email: 'a@example.org',
      preferred_username: '',
    },
  },
  proconnect: {
    'pc-agent': {
      email: 'ec@example.org',
      given_name: 'Claire',
      usual_name: 'Agent',
      uid: 'claire-agent',
      siret: '21760540400016',
      idp_id: 'test-idp',
    },
    'pc-stranger': {
      email: 'stranger@example.org',
      given_name: 'Inconnu',
      usual_name: 'Agent',
      uid: 'stranger',
      siret: '21760540400016',
      idp_id: 'test-idp',
    },
    'pc-citizen': {
      email: 'a@example.org',
      given_name: 'Paul',
      usual_name: 'Citoyen',
      uid: 'citizen',
      siret: '21760540400016',
      idp_id: 'test-idp',
    },
  },
}[KIND];

const CLAIMS = {
  franceconnect: [
    'given_name', 'family_name', 'birthdate', 'birthplace', 'birthcountry', 'gender', 'email',
    'preferred_username',
  ],
  proconnect: ['email', 'given_name', 'usual_name', 'uid', 'siret', 'idp_id'],
}[KIND];

const mode = {};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'peer-key', alg: 'RS256', use: 'sig' };
const { privateKey: otherKey } = await jose.generateKeyPair('RS256');

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    post_logout_redirect_uris: args['post-logout-redirect-uri'],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
    ...(KIND === 'franceconnect' ? { userinfo_signed_response_alg: 'RS256' } : {}),
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['guichet-test-peer'] },
  // as FranceConnect and ProConnect: one scope per claim
  claims: Object.fromEntries([['openid', ['sub']], ...CLAIMS.map((c) => [c, [c]])]),
  scopes: ['openid', ...CLAIMS],
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: KIND === 'franceconnect' },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource(ctx, form) {
        ctx.body = page('Déconnexion', `<h1>Se déconnecter du fournisseur ?</h1>${form}
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button>`);
      },
      postLogoutSuccessSource(ctx) {
        ctx.body = page('Déconnecté', '<h1>Vous êtes déconnecté.</h1>');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!PEOPLE[id]) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...PEOPLE[id] };
      },
    };
  },
  ttl: { AccessToken: 60, IdToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Erreur', `<h1>Erreur</h1><pre>${escape(JSON.stringify(out))}</pre>`);
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {
    const people = Object.keys(PEOPLE).map((id) => `<option value="${id}">${id}</option>`).join('');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(page('Connexion', `<h1>Connexion (${KIND})</h1>
      <p>Guichet demande : ${escape(details.params.scope)}</p>
      <form method="post" action="/interaction/${uid}/login">
        <label for="login">Identifiant</label>
        <select id="login" name="login">${people}</select>
        <button type="submit">Se connecter et autoriser</button>
      </form>`));
    return;
  }
  if (action !== 'login') throw new Error('unknown action');
  const login = new URLSearchParams(await readBody(req)).get('login');
  if (!PEOPLE[login]) throw new Error('unknown person');
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId: login, acr: mode.acr || 'eidas1', amr: ['pwd'] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

// Re-sign an ID token's payload changed by `change`, with the provider's key or another.
async function resign(idToken, change, key = privateKey) {
  const payload = change(jose.decodeJwt(idToken));
  return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'peer-key' }).sign(key);
}

async function altered(idToken) {
  const now = Math.floor(Date.now() / 1000);
  switch (mode.id_token) {
    case 'tampered': {
      const [header, payload, signature] = idToken.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url'));
      claims.sub = `${claims.sub}x`;
      return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    }
    case 'expired':
      return resign(idToken, (p) => ({ ...p, iat: now - 7200, exp: now - 3600 }));
    case 'nonce':
      return resign(idToken, (p) => ({ ...p, nonce: 'another-nonce' }));
    case 'other-key':
      return resign(idToken, (p) => p, otherKey);
    default:
      return idToken;
  }
}

// The token endpoint's answer, its ID token altered as the test mode says.
function alterTokenResponse(res) {
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    if (!chunk || !mode.id_token || res.statusCode !== 200) return end(chunk, ...rest);
    const body = JSON.parse(chunk.toString());
    altered(body.id_token).then((idToken) => {
      const text = JSON.stringify({ ...body, id_token: idToken });
      res.setHeader('Content-Length', Buffer.byteLength(text));
      end(text);
    });
    return res;
  };
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, ISSUER);
    if (url.pathname === '/_test/mode' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)) || '{}');
      for (const key of Object.keys(mode)) delete mode[key];
      Object.assign(mode, body);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(mode));
      return;
    }
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
    if (match) {
      await interaction(req, res, match[1], match[2]);
      return;
    }
    if (url.pathname === '/token') alterTokenResponse(res);
    callback(req, res);
  } catch (error) {
    res.statusCode = 400;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(String(error));
  }
});

server.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`ready ${ISSUER}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
