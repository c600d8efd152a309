// The composer's limit is in UTF-8 bytes, as the server counts them.

const encoder = new TextEncoder();

export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}
