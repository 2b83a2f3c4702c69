export { InflateSink, DecompressedSizeError, type Codec, type CodecId } from "./codec.js";
export { DEFAULT_CODECS, DEFAULT_MAX_INFLATED_BYTES, detectCodec, codecById, inflate, type InflateOptions, type Inflated } from "./inflate.js";
export { GZIP_CODEC } from "./gzip.js";
export { ZSTD_CODEC } from "./zstd.js";
export { LZ4_CODEC } from "./lz4.js";
export { XZ_CODEC, LZMA_CODEC } from "./lzma.js";
export { BZIP2_CODEC } from "./bzip2.js";
export { crc32, crc32be, crc64, xxh32 } from "./checksums.js";
export { Xxh64 } from "./xxh64.js";
