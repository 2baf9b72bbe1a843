import { describe, expect, it } from 'vitest';
import { parseTurtle, TurtleError } from '../../core/image/turtle';

const A = 'http://aff4.org/Schema#';
const TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

describe('Turtle reader', () => {
  it('reads AFF4 metadata as c-aff4 and pyaff4 write it', () => {
    const text = `@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix aff4: <http://aff4.org/Schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
PREFIX memory: <http://aff4.org/Schema#memory/>
# a comment with <not an iri> and "no string"

<aff4://v1/dev/pmem>
    aff4:category memory:physical ;
    aff4:size "8589934592"^^xsd:long ;
    aff4:stored <aff4://v1> ;
    a aff4:Image, aff4:Map .

<aff4://v1/dev/pmem/data>
    aff4:chunkSize 32768 ;
    aff4:compressionMethod <http://code.google.com/p/snappy/> ;
    aff4:note """two
lines with "quotes" and \\u00e9""" ;
    aff4:label 'single'@en ;
    aff4:ratio 1.5e3 ;
    aff4:ok true ;
    aff4:hash [ a aff4:SHA1 ; rdf:value "da39a3ee"^^xsd:hexBinary ] ;
    a aff4:ImageStream ; .
`;
    const t = parseTurtle(text);
    const get = (s: string, p: string) => t.filter((x) => x.s === s && x.p === p).map((x) => x.o);
    expect(get('aff4://v1/dev/pmem', A + 'category')).toEqual([{ kind: 'iri', value: A + 'memory/physical' }]);
    expect(get('aff4://v1/dev/pmem', A + 'size')).toEqual([{ kind: 'literal', value: '8589934592', datatype: 'http://www.w3.org/2001/XMLSchema#long' }]);
    expect(get('aff4://v1/dev/pmem', TYPE).map((o) => o.value)).toEqual([A + 'Image', A + 'Map']);
    expect(get('aff4://v1/dev/pmem/data', A + 'chunkSize')).toEqual([
      { kind: 'literal', value: '32768', datatype: 'http://www.w3.org/2001/XMLSchema#integer' },
    ]);
    expect(get('aff4://v1/dev/pmem/data', A + 'note')[0].value).toBe('two\nlines with "quotes" and é');
    expect(get('aff4://v1/dev/pmem/data', A + 'label')).toEqual([{ kind: 'literal', value: 'single', lang: 'en' }]);
    expect(get('aff4://v1/dev/pmem/data', A + 'ratio')[0]).toMatchObject({ value: '1.5e3' });
    expect(get('aff4://v1/dev/pmem/data', A + 'ok')[0]).toMatchObject({ value: 'true' });
    const hash = get('aff4://v1/dev/pmem/data', A + 'hash')[0];
    expect(hash.kind).toBe('bnode');
    expect(get(hash.value, TYPE)).toEqual([{ kind: 'iri', value: A + 'SHA1' }]);
    expect(get('aff4://v1/dev/pmem/data', TYPE)).toEqual([{ kind: 'iri', value: A + 'ImageStream' }]);
    expect(t.length).toBe(15);
  });

  it('resolves relative IRIs against @base', () => {
    const t = parseTurtle('@base <aff4://vol/> . <dev/pmem> <p> <#frag> .');
    expect(t).toEqual([{ s: 'aff4://vol/dev/pmem', p: 'aff4://vol/p', o: { kind: 'iri', value: 'aff4://vol/#frag' } }]);
  });

  it('reports bad syntax with its line', () => {
    const bad = ['<a> <b> "unterminated .', '@prefix x: <x:> .\n\n<a> y:b <c> .', '<a> <b> <c>', '<a> <b> .', '<a b> <c> <d> .'];
    for (const b of bad) expect(() => parseTurtle(b)).toThrow(TurtleError);
    expect(() => parseTurtle('@prefix x: <x:> .\n\n<a> y:b <c> .')).toThrow(/line 3: undeclared prefix "y:"/);
  });
});
