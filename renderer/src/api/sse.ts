// A Server-Sent Events reader for a fetch() body. EventSource cannot send a header, and browser mode's
// token travels only in a header, so the event stream is read as a plain streamed response and split
// into events here (the subset of the format the server writes: `event:`, `data:`, comment lines).

export interface SseMessage {
  /** the `event:` field; 'message' when absent */
  event: string;
  data: string;
}

/** feeds text chunks in, calls `onMessage` for each complete event; keeps a partial event between chunks */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  constructor(private readonly onMessage: (m: SseMessage) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const sep = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      // a lone \r at the end of a chunk may be the first half of \r\n: wait for the next chunk
      if (sep === 1 && this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(nl + sep);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onMessage({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}
