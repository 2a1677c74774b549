// The crc-32 package ships types for its CRC-32 entry point only; its CRC-32C entry point (a CommonJS/UMD module,
// imported through its default export) has the same API.
declare module 'crc-32/crc32c.js' {
  const CRC32C: {
    buf(data: Uint8Array | number[], seed?: number): number;
    str(data: string, seed?: number): number;
  };
  export default CRC32C;
}
