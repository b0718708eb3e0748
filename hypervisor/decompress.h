/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_DECOMPRESS_H
#define KEEL_HV_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Host-side decompression of what a guest kernel would otherwise unpack
 * itself at boot (a bzImage payload, a compressed initramfs): done here it
 * costs milliseconds, done by a guest kernel in ring 0 on kvm_pvm it costs
 * minutes. All input is untrusted: output is bounded, truncation and
 * corruption are errors, never overruns.
 */

/* The compression formats Linux accepts for its payload and initramfs. */
enum decomp_format {
	DECOMP_UNKNOWN = 0,
	DECOMP_GZIP, /* 1f 8b; members may be concatenated */
	DECOMP_XZ, /* fd 37 7a 58 5a 00 */
	DECOMP_LZMA, /* 5d 00 00: "lzma alone" */
	DECOMP_ZSTD, /* 28 b5 2f fd; frames may be concatenated */
	DECOMP_LZ4_LEGACY, /* 02 21 4c 18, then [le32 size][block]... */
	DECOMP_BZIP2, /* "BZh1".."BZh9": recognised, not decoded */
};

/* A short name for @fmt ("gzip", "lz4", ...), "unknown" for others. */
const char *decompress_format_name(int fmt);

/*
 * The format of the compressed data that starts at @buf, from its magic
 * bytes: an enum decomp_format, DECOMP_UNKNOWN when none matches.
 */
int decompress_detect(const uint8_t *buf, size_t len);

/*
 * Decode the one compressed stream at the start of [@in, @in + @in_len):
 * one gzip member, one xz stream, one lzma stream, one zstd frame or one
 * lz4 legacy stream (it ends at the end of the input, at a zero block size
 * or where a new lz4 magic begins). *@consumed is the number of input
 * bytes the stream occupied; what follows is left to the caller.
 * On success returns 0 and *@out (malloc'd, owned by the caller; never
 * NULL, even for empty output) holding *@out_len <= @max_out bytes.
 * Errors: -EFBIG if the output would exceed @max_out, -EINVAL for
 * truncated or corrupt input, -ENOTSUP for an unknown or undecodable
 * format, -ENOMEM. On error *@out is untouched.
 */
int decompress_stream(const uint8_t *in, size_t in_len, uint8_t **out,
		      size_t *out_len, size_t max_out, size_t *consumed);

/*
 * Decode all of [@in, @in + @in_len): a compressed stream, optionally
 * followed by more streams of the same format (gzip members, zstd frames,
 * xz streams) and by NUL padding. Any other trailing byte is -EINVAL.
 * Returns, owns and fails as decompress_stream().
 */
int decompress_buf(const uint8_t *in, size_t in_len, uint8_t **out,
		   size_t *out_len, size_t max_out);

/*
 * Turn an initramfs image into one Linux can unpack without decompressing
 * anything. The image is a sequence of segments separated by NUL padding:
 * uncompressed newc cpio archives ("070701"/"070702", up to and including
 * their TRAILER!!! entry), copied as they are, and compressed streams,
 * whose output must itself be newc archives and NUL padding. The result
 * is the archives back to back (each a multiple of 4 bytes, so every one
 * starts 4-byte aligned, as the kernel's cpio reader requires).
 * Returns 0 and *@out (malloc'd, owned by the caller) of *@out_len <=
 * @max_out bytes; -ENOTSUP if any part is neither (an old-style initrd
 * image, an unsupported compressor, foreign cpio flavour: pass the
 * original bytes to the guest instead); -EINVAL for a truncated or corrupt
 * segment; -EFBIG beyond @max_out; -ENOMEM.
 */
int initrd_flatten(const uint8_t *in, size_t len, uint8_t **out,
		   size_t *out_len, size_t max_out);

#endif /* KEEL_HV_DECOMPRESS_H */
