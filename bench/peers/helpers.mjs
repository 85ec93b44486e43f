// The functions the JSONata mapping calls that JSONata itself lacks, with the
// semantics of Ferry's runtime, registered identically in jsonata and fumifier:
//   $uuid5(type, part)  Ferry's deterministic id: UUID v5 under Ferry's
//                       namespace of "Type|part" (| and \ in part escaped)
//   $hl7date(dtm)       HL7 DT/DTM → FHIR date (YYYY, YYYY-MM, YYYY-MM-DD)
//   $hl7datetime(dtm)   HL7 DTM → FHIR dateTime; a time without an offset is
//                       read in the zone of FERRY_TIME_ZONE (default
//                       America/New_York), as `ferry run --time-zone`.
import { createHash } from 'node:crypto';

const NS = Buffer.from('1bf3e01311b64333a31e4c0e73ab486b', 'hex');

export function uuid5(type, part) {
  if (part === undefined || part === null || part === '') return undefined;
  const esc = (s) => String(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
  const h = createHash('sha1').update(NS).update(`${esc(type)}|${esc(part)}`, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export function hl7date(s) {
  if (typeof s !== 'string' || !/^\d{4}/.test(s)) return undefined;
  if (s.length >= 8) return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
  if (s.length >= 6) return `${s.slice(0, 4)}-${s.slice(4, 6)}`;
  return s.slice(0, 4);
}

const TZ = process.env.FERRY_TIME_ZONE || 'America/New_York';
const fmt = new Intl.DateTimeFormat('en-US', {
  timeZone: TZ, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});
// Offset (minutes east of UTC) of TZ at a UTC instant.
function offsetAt(utcMs) {
  const p = {};
  for (const { type, value } of fmt.formatToParts(new Date(utcMs))) p[type] = value;
  const local = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((local - Math.floor(utcMs / 1000) * 1000) / 60000);
}
const offsetCache = new Map();
function localOffset(y, mo, d, h, mi) {
  const key = ((((y * 100 + mo) * 100 + d) * 100 + h) * 100) + mi;
  let off = offsetCache.get(key);
  if (off === undefined) {
    const asUtc = Date.UTC(y, mo - 1, d, h, mi);
    off = offsetAt(asUtc - offsetAt(asUtc) * 60000);
    if (offsetCache.size > 100000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}
const pad = (n) => String(n).padStart(2, '0');

export function hl7datetime(s) {
  if (typeof s !== 'string') return undefined;
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  if (h === undefined) return hl7date(s);
  let off = zone;
  if (off === undefined) {
    const o = localOffset(+y, +mo, +d, +h, +(mi ?? 0));
    off = `${o < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(o) / 60))}:${pad(Math.abs(o) % 60)}`;
  } else {
    off = `${off.slice(0, 3)}:${off.slice(3)}`;
  }
  return `${y}-${mo}-${d}T${h}:${mi ?? '00'}:${sec ?? '00'}${frac ?? ''}${off}`;
}

export const functions = { uuid5, hl7date, hl7datetime };
