// snappyjs ships no type declarations; this is the part of its API the AFF4 reader and the
// test-image writer use.
declare module 'snappyjs' {
  const snappy: {
    /** throws when the stream is invalid or would expand beyond maxLength */
    uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
    compress(uncompressed: Uint8Array): Uint8Array;
  };
  export default snappy;
}
