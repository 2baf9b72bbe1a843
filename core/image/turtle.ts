// A small RDF Turtle reader: enough of the W3C grammar for AFF4 information.turtle files
// (prefixes, IRIs, prefixed names, `a`, literals with datatypes or languages, numbers, booleans,
// `;` and `,` lists, blank nodes and collections). Every loop consumes input, so damaged text
// ends in an error, never a hang.
import { UnfoldError } from '../errors';

export type Term =
  | { kind: 'iri'; value: string }
  | { kind: 'bnode'; value: string }
  | { kind: 'literal'; value: string; datatype?: string; lang?: string };

export interface Triple {
  s: string;
  p: string;
  o: Term;
}

/** AFF4 metadata (information.turtle) that cannot be parsed: the container's header is damaged. */
export class TurtleError extends UnfoldError {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super('IMAGE_FORMAT', `line ${line}: ${message}`, { line });
  }
}

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const XSD = 'http://www.w3.org/2001/XMLSchema#';

type Tok =
  | { t: 'iri'; v: string; line: number }
  | { t: 'pname'; v: string; line: number }
  | { t: 'bnode'; v: string; line: number }
  | { t: 'str'; v: string; line: number }
  | { t: 'num'; v: string; dt: string; line: number }
  | { t: 'kw'; v: string; line: number } // a, true, false, @prefix, @base, PREFIX, BASE, @lang
  | { t: 'p'; v: string; line: number }; // punctuation . ; , [ ] ( ) ^^

function unescapeString(s: string, line: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    switch (n) {
      case 't': out += '\t'; break;
      case 'b': out += '\b'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case '"': case "'": case '\\': out += n; break;
      case 'u':
      case 'U': {
        const len = n === 'u' ? 4 : 8;
        const hex = s.slice(i + 1, i + 1 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new TurtleError(line, `bad \\${n} escape`);
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
        break;
      }
      default:
        throw new TurtleError(line, `bad escape \\${n ?? ''}`);
    }
  }
  return out;
}

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\ufeff') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '<') {
      const j = text.indexOf('>', i + 1);
      if (j < 0) throw new TurtleError(line, 'unterminated IRI');
      const v = text.slice(i + 1, j);
      if (/[\s<"{}|^`]/.test(v)) throw new TurtleError(line, `bad character in IRI <${v.slice(0, 60)}>`);
      toks.push({ t: 'iri', v: unescapeString(v, line), line });
      i = j + 1;
      continue;
    }
    if (c === '"' || c === "'") {
      const long = text.startsWith(c.repeat(3), i);
      const q = long ? c.repeat(3) : c;
      let j = i + q.length;
      const startLine = line;
      for (;;) {
        if (j >= n) throw new TurtleError(startLine, 'unterminated string');
        const d = text[j];
        if (d === '\\') {
          j += 2;
          continue;
        }
        if (d === '\n') {
          if (!long) throw new TurtleError(line, 'newline in a short string');
          line++;
        }
        if (text.startsWith(q, j)) break;
        j++;
      }
      toks.push({ t: 'str', v: unescapeString(text.slice(i + q.length, j), startLine), line: startLine });
      i = j + q.length;
      continue;
    }
    if ('.;,[]()'.includes(c)) {
      // a '.' followed by a digit is part of a number (".5"), otherwise punctuation
      if (c === '.' && /[0-9]/.test(text[i + 1] ?? '')) {
        // fall through to number
      } else {
        toks.push({ t: 'p', v: c, line });
        i++;
        continue;
      }
    }
    if (c === '^' && text[i + 1] === '^') {
      toks.push({ t: 'p', v: '^^', line });
      i += 2;
      continue;
    }
    const num = /^[+-]?(?:[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+)/.exec(text.slice(i, i + 80));
    if (num && (/[0-9.+-]/.test(c))) {
      const v = num[0];
      const dt = /[eE]/.test(v) ? XSD + 'double' : v.includes('.') ? XSD + 'decimal' : XSD + 'integer';
      toks.push({ t: 'num', v, dt, line });
      i += v.length;
      continue;
    }
    if (c === '@') {
      const m = /^@[A-Za-z]+(?:-[A-Za-z0-9]+)*/.exec(text.slice(i, i + 80));
      if (!m) throw new TurtleError(line, 'bad @ keyword');
      toks.push({ t: 'kw', v: m[0], line });
      i += m[0].length;
      continue;
    }
    if (c === '_' && text[i + 1] === ':') {
      const m = /^_:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-]/.exec(text.slice(i, i + 200));
      if (!m) throw new TurtleError(line, 'bad blank node label');
      toks.push({ t: 'bnode', v: m[0], line });
      i += m[0].length;
      continue;
    }
    // prefixed name or keyword: PN_PREFIX? ':' PN_LOCAL?, where the local part may hold ':', '%xx'
    // and backslash escapes, and cannot end with '.'
    const m = /^(?:[A-Za-z\u00c0-\uffff][A-Za-z0-9_\-.\u00b7\u00c0-\uffff]*)?:(?:[A-Za-z0-9_:\u00c0-\uffff]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])(?:[A-Za-z0-9_\-.:\u00b7\u00c0-\uffff]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])*|^(?:[A-Za-z\u00c0-\uffff][A-Za-z0-9_\-.\u00b7\u00c0-\uffff]*)?:/.exec(
      text.slice(i, i + 4096),
    );
    if (m) {
      let v = m[0];
      while (v.endsWith('.') && !v.endsWith('\\.')) v = v.slice(0, -1);
      toks.push({ t: 'pname', v, line });
      i += v.length;
      continue;
    }
    const w = /^[A-Za-z]+/.exec(text.slice(i, i + 40));
    if (w && ['a', 'true', 'false', 'PREFIX', 'BASE', 'prefix', 'base'].includes(w[0])) {
      toks.push({ t: 'kw', v: w[0], line });
      i += w[0].length;
      continue;
    }
    throw new TurtleError(line, `unexpected character ${JSON.stringify(c)}`);
  }
  return toks;
}

/** Parse Turtle text into triples with absolute IRIs. Throws TurtleError on bad syntax. */
export function parseTurtle(text: string, baseIri = ''): Triple[] {
  const toks = tokenize(text);
  const prefixes = new Map<string, string>();
  let base = baseIri;
  const triples: Triple[] = [];
  let pos = 0;
  let bnodeCount = 0;
  const lastLine = toks.length ? toks[toks.length - 1].line : 1;

  const peek = (): Tok | undefined => toks[pos];
  const next = (): Tok => {
    const t = toks[pos++];
    if (!t) throw new TurtleError(lastLine, 'unexpected end of input');
    return t;
  };
  const expectP = (v: string): void => {
    const t = next();
    if (t.t !== 'p' || t.v !== v) throw new TurtleError(t.line, `expected '${v}'`);
  };
  const resolve = (iri: string): string => {
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(iri) || !base) return iri;
    if (iri === '') return base;
    if (iri.startsWith('#')) return base.replace(/#.*$/, '') + iri;
    if (iri.startsWith('/')) {
      const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*)/.exec(base);
      return (m ? m[1] : '') + iri;
    }
    return base.replace(/[^/]*$/, '') + iri;
  };
  const expand = (t: Tok & { t: 'pname' }): string => {
    const k = t.v.indexOf(':');
    const pfx = t.v.slice(0, k);
    const ns = prefixes.get(pfx);
    if (ns === undefined) throw new TurtleError(t.line, `undeclared prefix "${pfx}:"`);
    const local = t.v.slice(k + 1).replace(/\\(.)/g, '$1');
    return ns + local;
  };
  const freshBnode = (): string => `_:anon${++bnodeCount}`;

  const iriOf = (t: Tok): string | undefined => (t.t === 'iri' ? resolve(t.v) : t.t === 'pname' ? expand(t) : undefined);

  const parseObject = (): Term => {
    const t = next();
    if (t.t === 'iri' || t.t === 'pname') return { kind: 'iri', value: iriOf(t)! };
    if (t.t === 'bnode') return { kind: 'bnode', value: t.v };
    if (t.t === 'num') return { kind: 'literal', value: t.v, datatype: t.dt };
    if (t.t === 'kw' && (t.v === 'true' || t.v === 'false')) return { kind: 'literal', value: t.v, datatype: XSD + 'boolean' };
    if (t.t === 'str') {
      const nx = peek();
      if (nx && nx.t === 'p' && nx.v === '^^') {
        pos++;
        const dt = next();
        const dti = iriOf(dt);
        if (dti === undefined) throw new TurtleError(dt.line, 'expected a datatype IRI after ^^');
        return { kind: 'literal', value: t.v, datatype: dti };
      }
      if (nx && nx.t === 'kw' && nx.v.startsWith('@') && nx.v !== '@prefix' && nx.v !== '@base') {
        pos++;
        return { kind: 'literal', value: t.v, lang: nx.v.slice(1) };
      }
      return { kind: 'literal', value: t.v };
    }
    if (t.t === 'p' && t.v === '[') {
      const id = freshBnode();
      const nx = peek();
      if (!(nx && nx.t === 'p' && nx.v === ']')) parsePredicateObjectList(id);
      expectP(']');
      return { kind: 'bnode', value: id };
    }
    if (t.t === 'p' && t.v === '(') {
      // collections are not used by AFF4: read and drop their members
      let guard = 0;
      for (;;) {
        const nx = peek();
        if (!nx) throw new TurtleError(lastLine, 'unterminated collection');
        if (nx.t === 'p' && nx.v === ')') {
          pos++;
          break;
        }
        parseObject();
        if (++guard > 1e6) throw new TurtleError(nx.line, 'collection too long');
      }
      return { kind: 'bnode', value: freshBnode() };
    }
    throw new TurtleError(t.line, `expected an object, found ${t.t} ${JSON.stringify(t.v)}`);
  };

  const parsePredicateObjectList = (subject: string): void => {
    for (;;) {
      const pt = next();
      let pred: string | undefined;
      if (pt.t === 'kw' && pt.v === 'a') pred = RDF_TYPE;
      else pred = iriOf(pt);
      if (pred === undefined) throw new TurtleError(pt.line, `expected a predicate, found ${pt.t} ${JSON.stringify(pt.v)}`);
      for (;;) {
        triples.push({ s: subject, p: pred, o: parseObject() });
        const nx = peek();
        if (nx && nx.t === 'p' && nx.v === ',') {
          pos++;
          continue;
        }
        break;
      }
      const nx = peek();
      if (nx && nx.t === 'p' && nx.v === ';') {
        // any number of ';' may follow, and a trailing ';' before '.' or ']' is allowed
        while (peek()?.t === 'p' && peek()!.v === ';') pos++;
        const after = peek();
        if (!after || (after.t === 'p' && (after.v === '.' || after.v === ']'))) return;
        continue;
      }
      return;
    }
  };

  while (pos < toks.length) {
    const t = next();
    if (t.t === 'kw' && (t.v === '@prefix' || t.v === 'PREFIX' || t.v === 'prefix')) {
      const p = next();
      if (p.t !== 'pname' || !p.v.endsWith(':') || p.v.indexOf(':') !== p.v.length - 1) throw new TurtleError(p.line, 'expected a prefix name');
      const iri = next();
      if (iri.t !== 'iri') throw new TurtleError(iri.line, 'expected an IRI for the prefix');
      prefixes.set(p.v.slice(0, -1), resolve(iri.v));
      if (t.v === '@prefix') expectP('.');
      continue;
    }
    if (t.t === 'kw' && (t.v === '@base' || t.v === 'BASE' || t.v === 'base')) {
      const iri = next();
      if (iri.t !== 'iri') throw new TurtleError(iri.line, 'expected an IRI for the base');
      base = resolve(iri.v);
      if (t.v === '@base') expectP('.');
      continue;
    }
    let subject: string;
    if (t.t === 'iri' || t.t === 'pname') subject = iriOf(t)!;
    else if (t.t === 'bnode') subject = t.v;
    else if (t.t === 'p' && t.v === '[') {
      subject = freshBnode();
      const nx = peek();
      if (!(nx && nx.t === 'p' && nx.v === ']')) parsePredicateObjectList(subject);
      expectP(']');
      const after = peek();
      if (after && after.t === 'p' && after.v === '.') {
        pos++;
        continue;
      }
    } else throw new TurtleError(t.line, `expected a subject, found ${t.t} ${JSON.stringify(t.v)}`);
    parsePredicateObjectList(subject);
    expectP('.');
  }
  return triples;
}

export const RDF_TYPE_IRI = RDF_TYPE;
