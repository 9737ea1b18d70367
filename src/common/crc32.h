/*
 * crc32.h — the standard CRC-32 (ISO-HDLC: polynomial 0x04C11DB7, reflected,
 * initial and final XOR 0xFFFFFFFF), the checksum of gzip, zlib and Parquet
 * page headers. Not CRC-32C: SSE4.2's crc32 instruction computes a different
 * polynomial.
 */
#ifndef EM_CRC32_H
#define EM_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC over n more bytes; em_crc32(0, p, n) is the CRC of p. Same
 * results as zlib's crc32_z. Uses carry-less multiplication where the CPU has
 * it and zlib otherwise. */
uint32_t em_crc32(uint32_t crc, const void *p, size_t n);
/* The same, always through zlib (tests compare the two). */
uint32_t em_crc32_portable(uint32_t crc, const void *p, size_t n);

#endif
