// The renderer's Content-Security-Policy: the <meta> in index.html (kept for a page opened without headers),
// the header of browser mode and the header of the desktop app's app:// responses must say the same thing, and none may
// allow inline or eval'd script, or any remote origin.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BROWSER_CSP } from '../../main/browser-server';
import { APP_CSP } from '../../main/app-protocol';

const directives = (csp: string) => new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d] as const));

describe('content security policy', () => {
  const html = readFileSync('renderer/index.html', 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
  const electronCsp: string | undefined = APP_CSP;

  it('index.html carries a CSP meta tag and the app:// handler a CSP header', () => {
    expect(meta).toBeDefined();
    expect(electronCsp).toBeDefined();
  });

  it('all three agree (frame-ancestors exists only as a header: a meta tag cannot carry it)', () => {
    const b = directives(BROWSER_CSP);
    b.delete('frame-ancestors');
    expect(directives(meta!)).toEqual(b);
    expect(directives(electronCsp!)).toEqual(b);
  });

  it('allows only our own scripts, styles and connections', () => {
    for (const csp of [BROWSER_CSP, meta!, electronCsp!]) {
      const d = directives(csp);
      expect(d.get('default-src')).toBe("default-src 'none'");
      expect(d.get('script-src')).toBe("script-src 'self'");
      expect(d.get('style-src')).toBe("style-src 'self'");
      expect(d.get('connect-src')).toBe("connect-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    }
  });

  it('no inline script in index.html', () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
