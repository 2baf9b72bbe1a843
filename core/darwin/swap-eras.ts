// Per-version facts of ENCRYPTED_SWAP (process-memory §6.2–6.4): which cipher each Darwin major
// version uses and the kernel globals that hold its keys. Data only; swap-crypto.ts reads it.

/** the cipher eras of ENCRYPTED_SWAP, by Darwin major version (the one place these facts live) */
export const SWAP_CIPHER_ERAS = [
  {
    // 10.9–10.13: aes_encrypt_key(…, 128, …) over swap_crypt_key (uint32_t[8]); only 16 bytes count
    cipher: 'aes-128-cbc',
    fromDarwin: 13,
    toDarwin: 17,
    keys: [{ symbol: 'swap_crypt_key', use: 16 }],
    initialized: 'swap_crypt_ctx_initialized',
  },
  {
    // 10.14+: xts_start with two 32-byte keys: key1 encrypts the data, key2 the tweak
    cipher: 'aes-256-xts',
    fromDarwin: 18,
    toDarwin: Infinity,
    keys: [
      { symbol: 'swap_crypt_key1', use: 32 },
      { symbol: 'swap_crypt_key2', use: 32 },
    ],
    initialized: 'swap_crypt_initialized',
  },
] as const;
