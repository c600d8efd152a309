// Reads (never verifies: the server does) the claims of an access token, for the user's name,
// id, admin role and expiry.

export interface Claims {
  sub: string;
  preferred_username: string;
  exp?: number;
  admin: boolean;
}

function base64UrlDecode(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=');
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function decodeClaims(token: string, adminRole = 'admin'): Claims | null {
  const parts = token.split('.');
  if (parts.length < 2) return null;
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(base64UrlDecode(parts[1]));
  } catch {
    return null;
  }
  if (typeof p !== 'object' || p === null || typeof p.sub !== 'string') return null;
  const ra = p.realm_access as { roles?: unknown } | undefined;
  const roles = ra && Array.isArray(ra.roles) ? ra.roles : [];
  return {
    sub: p.sub,
    preferred_username: typeof p.preferred_username === 'string' ? p.preferred_username : p.sub,
    exp: typeof p.exp === 'number' ? p.exp : undefined,
    admin: roles.includes(adminRole),
  };
}
