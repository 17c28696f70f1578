// Reading the .eml files the server writes when it has a mail directory
// (PASSWORDLESS_MAIL_DIR) and no SMTP host.

import fs from 'node:fs';
import path from 'node:path';
import { rememberFrom } from './secrets.js';

/** The .eml files in `dir`, oldest name first. */
export function emlFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Decodes quoted-printable text: soft line breaks ("=" at the end of a line)
 * are removed and "=XX" becomes the byte 0xXX (UTF-8 assumed).
 */
export function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const ch = joined[i];
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Splits an RFC 5322 message into {headers (lower-case names, unfolded),
 * body (raw)}.
 */
export function parseMessage(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(body, encoding = '') {
  switch (encoding.toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/**
 * The decoded text parts of a message (a single part, or the parts of a
 * multipart/* message one level deep): [{contentType, text}]. The links in
 * them are remembered for the server log check (secrets.js).
 */
export function textParts(raw) {
  const parts = splitParts(raw);
  for (const { text } of parts) rememberFrom(text);
  return parts;
}

function splitParts(raw) {
  const { headers, body } = parseMessage(raw);
  const contentType = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\//i.test(contentType) || !boundary) {
    return [{ contentType, text: decodeBody(body, headers['content-transfer-encoding']) }];
  }
  const parts = [];
  const chunks = body.split(`--${boundary}`).slice(1);
  for (const chunk of chunks) {
    if (chunk.startsWith('--')) break; // closing delimiter
    const part = parseMessage(chunk.replace(/^\r?\n/, ''));
    parts.push({
      contentType: part.headers['content-type'] ?? 'text/plain',
      text: decodeBody(part.body, part.headers['content-transfer-encoding']),
    });
  }
  return parts;
}
