import { BoltzflowError } from '@boltzflow/core';

/** One XML element: its tag, attributes and child elements (text content is not needed for force-field files). */
export interface XmlElement {
  tag: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/**
 * A small XML reader for OpenMM force-field files: elements and attributes only (comments, processing instructions,
 * CDATA and text are skipped). Written here rather than taken from npm so that the energies package stays
 * dependency-free and runs unchanged in a browser.
 */
export function parseXml(text: string, argument = 'xml'): XmlElement {
  const root: XmlElement = { tag: '#document', attributes: {}, children: [] };
  const stack: XmlElement[] = [root];
  const fail = (message: string, at: number): never => {
    const line = text.slice(0, at).split('\n').length;
    throw new BoltzflowError('INVALID_VALUE', `Malformed XML: ${message}`, { argument, expected: 'well-formed XML', received: `line ${line}` });
  };
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) fail('unterminated comment', lt);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt);
      if (end < 0) fail('unterminated CDATA', lt);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', lt) || text.startsWith('<!', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) fail('unterminated declaration', lt);
      i = end + 1;
      continue;
    }
    // Find the closing '>' outside quoted attribute values.
    let j = lt + 1;
    let quote = '';
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    if (j >= text.length) fail('unterminated tag', lt);
    const body = text.slice(lt + 1, j);
    i = j + 1;
    if (body.startsWith('/')) {
      const tag = body.slice(1).trim();
      const open = stack.pop();
      if (!open || open === root || open.tag !== tag) fail(`unexpected </${tag}>`, lt);
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const m = /^([^\s/>]+)/.exec(inner);
    if (!m) fail('missing tag name', lt);
    const el: XmlElement = { tag: m![1]!, attributes: {}, children: [] };
    const attrRe = /([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
    let a: RegExpExecArray | null;
    const rest = inner.slice(m![1]!.length);
    while ((a = attrRe.exec(rest)) !== null) el.attributes[a[1]!] = decode(a[3] ?? a[4] ?? '');
    stack[stack.length - 1]!.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) fail(`unclosed <${stack[stack.length - 1]!.tag}>`, text.length);
  return root;
}

/** Children of `el` with the given tag. */
export function childrenNamed(el: XmlElement, tag: string): XmlElement[] {
  return el.children.filter((c) => c.tag === tag);
}
