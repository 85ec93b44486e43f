// A small ER7 (HL7 v2 pipe-and-hat) → JSON splitter shared by the JSONata and
// fumifier rows of bench/peers.sh, so both engines read the very same JSON.
//
// fumifier (the npm package of FUME's engine) ships no HL7 v2 reader: FUME's
// `v2json` lives in the FUME server, not in fumifier. This splitter stands in
// for it. It is deliberately minimal (no dictionary, no field names, no
// typed conversions), so it is cheaper than FUME's v2json, which parses with
// hl7js and then renames every field from hl7-dictionary in a JSONata pass.
//
// Shape: { "PID": [segment, ...], ... }; a segment is { "<field number>":
// [repetition, ...] }; a repetition is { "<component number>": component };
// a component is a string, or { "<subcomponent number>": string } when it
// holds subcomponents. Empty fields, components and subcomponents are left
// out. MSH-1 is the field separator and MSH-2 the encoding characters, so
// MSH-n has its standard number. Escapes (\F\ \S\ \T\ \R\ \E\) are undone.

function unescape(s, d) {
  if (s.indexOf(d.esc) < 0) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === d.esc) {
      const j = s.indexOf(d.esc, i + 1);
      if (j < 0) { out += s.slice(i); break; }
      const code = s.slice(i + 1, j);
      switch (code) {
        case 'F': out += d.field; break;
        case 'S': out += d.comp; break;
        case 'T': out += d.sub; break;
        case 'R': out += d.rep; break;
        case 'E': out += d.esc; break;
        default: out += s.slice(i, j + 1);
      }
      i = j + 1;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

function component(text, d) {
  if (text.indexOf(d.sub) < 0) return unescape(text, d);
  const parts = text.split(d.sub);
  const obj = {};
  for (let k = 0; k < parts.length; k++) if (parts[k] !== '') obj[k + 1] = unescape(parts[k], d);
  return obj;
}

function repetition(text, d) {
  const comps = text.split(d.comp);
  const obj = {};
  for (let k = 0; k < comps.length; k++) if (comps[k] !== '') obj[k + 1] = component(comps[k], d);
  return obj;
}

export function er7ToJson(message) {
  const segments = message.split(/\r\n|\r|\n/);
  const msh = segments[0];
  if (!msh.startsWith('MSH')) throw new Error('message does not start with MSH');
  const d = { field: msh[3], comp: msh[4], rep: msh[5], esc: msh[6], sub: msh[7] };
  const out = {};
  for (const seg of segments) {
    if (seg === '') continue;
    const fields = seg.split(d.field);
    const id = fields[0];
    const obj = {};
    let first = 1;
    if (id === 'MSH') {
      obj[1] = [{ 1: d.field }];
      obj[2] = [{ 1: fields[1] }];
      first = 2;
    }
    for (let n = first; n < fields.length; n++) {
      const f = fields[n];
      if (f === '') continue;
      const reps = f.split(d.rep);
      const arr = [];
      for (const r of reps) arr.push(repetition(r, d));
      obj[id === 'MSH' ? n + 1 : n] = arr;
    }
    (out[id] ??= []).push(obj);
  }
  return out;
}

// Splits a file's text into messages at each segment that starts with MSH.
export function splitMessages(text) {
  const starts = [];
  const re = /(^|[\r\n])MSH\|/g;
  let m;
  while ((m = re.exec(text)) !== null) starts.push(m.index + m[1].length);
  const out = [];
  for (let i = 0; i < starts.length; i++) out.push(text.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : text.length).replace(/[\r\n]+$/, ''));
  return out;
}
