/* program_io.c: the .scb bytes (docs/PROGRAM_FORMAT.md), written and read.
 *
 * Everything is little-endian and read through bounded accessors after the
 * enclosing range has been checked; no file byte is ever cast to a struct. The
 * reader checks, in order: magic, version, size, checksum, section table, then
 * each section, and builds the program through the same sc_prog_ calls a
 * builder uses, so a parsed program meets every invariant of program.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "prog_int.h"

/* PNG-style magic: the high byte catches 7-bit transfers, CR LF and ^Z catch
 * text-mode conversions. */
static const uint8_t magic[8] = {0x89, 'S', 'C', 'B', '\r', '\n', 0x1a, '\n'};

enum {
  HEADER_BYTES = 48,
  SECTION_BYTES = 24,
  BUFFER_BYTES = 96,
  DEBUG_BYTES = 16,
  CRC_OFFSET = 36,
  MAX_SECTIONS = 2 * SC_PROG_MAX_CORES + 8,
  MAX_PATH_BYTES = 4096,
};

#define NO_STRING UINT32_MAX /* string reference of an absent string */

typedef enum section_kind {
  SECTION_STRS = 1, /* string table: NUL-terminated strings */
  SECTION_CODE = 2, /* arg = core: instruction words */
  SECTION_BUFS = 3, /* buffer records */
  SECTION_DATA = 4, /* inline constant bytes */
  SECTION_DBUG = 5, /* arg = core: debug records sorted by pc */
} section_kind;

static const char *section_name(uint32_t kind) {
  switch (kind) {
  case SECTION_STRS:
    return "strings";
  case SECTION_CODE:
    return "code";
  case SECTION_BUFS:
    return "buffers";
  case SECTION_DATA:
    return "data";
  case SECTION_DBUG:
    return "debug map";
  default:
    return "unknown";
  }
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* CRC-32 (zlib's) of the file with the checksum field read as zero. */
static uint32_t file_crc(const uint8_t *bytes, size_t len) {
  static const uint8_t zero[4];
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, bytes, CRC_OFFSET);
  crc = crc32(crc, zero, 4);
  const uint8_t *p = bytes + CRC_OFFSET + 4;
  size_t left = len - CRC_OFFSET - 4;
  while (left > 0) { /* zlib takes uInt lengths */
    uInt n = left > 0x40000000u ? 0x40000000u : (uInt)left;
    crc = crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return (uint32_t)crc;
}

/* ---- writing ---- */

typedef struct section {
  uint32_t kind, arg;
  uint64_t offset, size;
} section;

static uint64_t align8(uint64_t x) {
  return (x + 7) & ~(uint64_t)7;
}

sc_status sc_prog_serialize(sc_program *prog, uint8_t **bytes, size_t *len) {
  *bytes = NULL;
  *len = 0;
  sc_status st = SC_STATUS_NO_MEMORY;
  uint32_t *str_off = NULL;
  section *secs = NULL;
  uint8_t *out = NULL;

  /* String offsets, in interning order. */
  uint64_t strs_size = 0;
  str_off = malloc((prog->strs.n + 1) * sizeof *str_off);
  if (!str_off) goto done;
  for (uint32_t i = 0; i < prog->strs.n; i++) {
    if (strs_size > UINT32_MAX - SC_PROG_MAX_NAME - MAX_PATH_BYTES) {
      st = prog_seterr(prog, SC_STATUS_OVERFLOW, "string table exceeds 4 GiB");
      goto done;
    }
    str_off[i] = (uint32_t)strs_size;
    strs_size += strlen(prog->strs.items[i]) + 1;
  }
  uint64_t data_size = 0;
  for (size_t i = 0; i < prog->n_bufs; i++)
    if (prog->bufs[i].init == SC_PROG_INIT_INLINE) data_size += align8(prog->bufs[i].size_bytes);

  /* Section table: strings, buffers, data, then code and debug per core. */
  size_t n_secs = 0, max_secs = 3 + 2 * (size_t)prog->n_cores;
  secs = calloc(max_secs, sizeof *secs);
  if (!secs) goto done;
  secs[n_secs++] = (section){SECTION_STRS, 0, 0, strs_size};
  if (prog->n_bufs) secs[n_secs++] = (section){SECTION_BUFS, 0, 0, prog->n_bufs * BUFFER_BYTES};
  if (data_size) secs[n_secs++] = (section){SECTION_DATA, 0, 0, data_size};
  for (uint32_t c = 0; c < prog->n_cores; c++) {
    secs[n_secs++] = (section){SECTION_CODE, c, 0, prog->cores[c].n_words * 8};
    if (prog->cores[c].n_debug)
      secs[n_secs++] = (section){SECTION_DBUG, c, 0, prog->cores[c].n_debug * DEBUG_BYTES};
  }
  uint64_t at = align8(HEADER_BYTES + n_secs * SECTION_BYTES), data_offset = 0;
  for (size_t i = 0; i < n_secs; i++) {
    secs[i].offset = at;
    if (secs[i].kind == SECTION_DATA) data_offset = at;
    at = align8(at + secs[i].size);
  }
  if (at > SIZE_MAX) {
    st = prog_seterr(prog, SC_STATUS_OVERFLOW, "program too large for this host");
    goto done;
  }
  out = calloc(1, (size_t)at);
  if (!out) goto done;

  memcpy(out, magic, sizeof magic);
  put16(out + 8, SC_PROG_VERSION_MAJOR);
  put16(out + 10, SC_PROG_VERSION_MINOR);
  put32(out + 12, 0);
  put64(out + 16, prog->fingerprint);
  put64(out + 24, at);
  put32(out + 32, (uint32_t)n_secs);
  uint32_t idx;
  prog_string_index(prog, prog->arch_name, &idx);
  put32(out + 40, str_off[idx]);
  for (size_t i = 0; i < n_secs; i++) {
    uint8_t *e = out + HEADER_BYTES + i * SECTION_BYTES;
    put32(e, secs[i].kind);
    put32(e + 4, secs[i].arg);
    put64(e + 8, secs[i].offset);
    put64(e + 16, secs[i].size);
  }

  uint64_t data_at = 0;
  for (size_t i = 0; i < n_secs; i++) {
    uint8_t *p = out + secs[i].offset;
    switch (secs[i].kind) {
    case SECTION_STRS:
      for (uint32_t s = 0; s < prog->strs.n; s++)
        memcpy(p + str_off[s], prog->strs.items[s], strlen(prog->strs.items[s]) + 1);
      break;
    case SECTION_BUFS:
      for (size_t b = 0; b < prog->n_bufs; b++, p += BUFFER_BYTES) {
        const sc_prog_buffer *buf = &prog->bufs[b];
        prog_string_index(prog, buf->name, &idx);
        put32(p, str_off[idx]);
        p[4] = (uint8_t)buf->dtype;
        p[5] = (uint8_t)buf->role;
        p[6] = (uint8_t)buf->init;
        p[7] = (uint8_t)buf->rank;
        for (int d = 0; d < SC_PROG_MAX_RANK; d++) put64(p + 8 + 8 * d, buf->shape[d]);
        put64(p + 72, buf->addr);
        uint32_t path = NO_STRING;
        uint64_t where = 0;
        if (buf->init == SC_PROG_INIT_INLINE) {
          where = data_at;
          memcpy(out + data_offset + data_at, buf->data, (size_t)buf->size_bytes);
          data_at += align8(buf->size_bytes);
        } else if (buf->init == SC_PROG_INIT_EXTERNAL) {
          prog_string_index(prog, buf->ext_path, &idx);
          path = str_off[idx];
          where = buf->ext_offset;
        }
        put64(p + 80, where);
        put32(p + 88, path);
      }
      break;
    case SECTION_CODE: {
      const prog_core *c = &prog->cores[secs[i].arg];
      for (size_t w = 0; w < c->n_words; w++) put64(p + 8 * w, c->words[w]);
      break;
    }
    case SECTION_DBUG: {
      const prog_core *c = &prog->cores[secs[i].arg];
      for (size_t d = 0; d < c->n_debug; d++, p += DEBUG_BYTES) {
        prog_string_index(prog, c->debug[d].where, &idx);
        put32(p, c->debug[d].pc);
        put32(p + 4, str_off[idx]);
        put32(p + 8, c->debug[d].line);
        put32(p + 12, c->debug[d].col);
      }
      break;
    }
    default:
      break; /* DATA is filled from BUFS */
    }
  }
  put32(out + CRC_OFFSET, file_crc(out, (size_t)at));
  *bytes = out;
  *len = (size_t)at;
  out = NULL;
  st = SC_STATUS_OK;
done:
  if (st == SC_STATUS_NO_MEMORY) prog_seterr(prog, st, "out of memory");
  free(out);
  free(secs);
  free(str_off);
  return st;
}

sc_status sc_prog_write(sc_program *prog, const char *path) {
  uint8_t *bytes;
  size_t len;
  sc_status st = sc_prog_serialize(prog, &bytes, &len);
  if (st != SC_STATUS_OK) return st;
  st = sc_write_file(path, bytes, len, prog->errmsg, sizeof prog->errmsg);
  free(bytes);
  return st;
}

/* ---- reading ---- */

typedef struct reader {
  const uint8_t *bytes;
  size_t len;
  const char *source;
  char *err;
  size_t err_size;
  const uint8_t *strs; /* the string table, once found */
  uint64_t strs_size;
} reader;

SC_PRINTF(3, 4)
static sc_status fail(const reader *r, sc_status st, const char *fmt, ...) {
  if (!r->err || !r->err_size) return st;
  int n = snprintf(r->err, r->err_size, "%s: ", r->source);
  if (n >= 0 && (size_t)n < r->err_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->err_size - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return st;
}

/* The string at offset off of the string table, at most max bytes long. */
static const char *string_at(const reader *r, uint32_t off, size_t max) {
  if (!r->strs || off >= r->strs_size) return NULL;
  const char *s = (const char *)r->strs + off;
  size_t left = (size_t)(r->strs_size - off);
  const char *end = memchr(s, '\0', left < max + 1 ? left : max + 1);
  return end ? s : NULL;
}

static sc_status read_buffers(reader *r, sc_program *prog, const section *bufs,
                              const section *data) {
  size_t n = (size_t)(bufs->size / BUFFER_BYTES);
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = r->bytes + bufs->offset + i * BUFFER_BYTES;
    sc_prog_buffer b = {0};
    b.name = string_at(r, get32(p), SC_PROG_MAX_NAME);
    if (!b.name) return fail(r, SC_STATUS_PARSE, "buffer %zu: bad name reference", i);
    b.dtype = (sc_dtype)p[4];
    b.role = (sc_prog_role)p[5];
    b.init = (sc_prog_init)p[6];
    b.rank = p[7];
    for (int d = 0; d < SC_PROG_MAX_RANK; d++) b.shape[d] = get64(p + 8 + 8 * d);
    b.addr = get64(p + 72);
    uint64_t where = get64(p + 80);
    uint32_t path = get32(p + 88);
    if (get32(p + 92) != 0)
      return fail(r, SC_STATUS_PARSE, "buffer %zu ('%s'): reserved field is not zero", i, b.name);
    if (b.rank <= SC_PROG_MAX_RANK) {
      for (uint32_t d = b.rank; d < SC_PROG_MAX_RANK; d++)
        if (b.shape[d] != 0)
          return fail(r, SC_STATUS_PARSE, "buffer %zu ('%s'): shape[%u] set beyond rank %u", i,
                      b.name, d, b.rank);
    }
    uint64_t size = 0;
    if (b.init == SC_PROG_INIT_INLINE) {
      if (b.rank > SC_PROG_MAX_RANK || (unsigned)b.dtype >= SC_DTYPE_COUNT ||
          !prog_buffer_size(b.dtype, b.rank, b.shape, &size))
        return fail(r, SC_STATUS_PARSE, "buffer %zu ('%s'): bad dtype or shape", i, b.name);
      if (!data || where > data->size || size > data->size - where)
        return fail(r, SC_STATUS_PARSE,
                    "buffer %zu ('%s'): inline data [%llu, +%llu) is outside the data section", i,
                    b.name, (unsigned long long)where, (unsigned long long)size);
      b.data = r->bytes + data->offset + where;
    } else if (b.init == SC_PROG_INIT_EXTERNAL) {
      b.ext_path = string_at(r, path, MAX_PATH_BYTES);
      if (!b.ext_path)
        return fail(r, SC_STATUS_PARSE, "buffer %zu ('%s'): bad external path reference", i,
                    b.name);
      b.ext_offset = where;
    } else if (where != 0 || path != NO_STRING) {
      return fail(r, SC_STATUS_PARSE, "buffer %zu ('%s'): data reference without initialisation", i,
                  b.name);
    }
    sc_status st = sc_prog_add_buffer(prog, &b);
    if (st != SC_STATUS_OK)
      return fail(r, st == SC_STATUS_NO_MEMORY ? st : SC_STATUS_PARSE, "buffer %zu: %s", i,
                  prog->errmsg);
  }
  return SC_STATUS_OK;
}

static sc_status read_debug(reader *r, sc_program *prog, const section *s) {
  uint32_t core = s->arg;
  size_t n_words = prog->cores[core].n_words;
  size_t n = (size_t)(s->size / DEBUG_BYTES);
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = r->bytes + s->offset + i * DEBUG_BYTES;
    uint32_t pc = get32(p);
    const char *where = string_at(r, get32(p + 4), SC_PROG_MAX_NAME);
    if (pc >= n_words)
      return fail(r, SC_STATUS_PARSE,
                  "debug map of core %u: entry %zu names pc %u, the core has %zu instructions",
                  core, i, pc, n_words);
    if (i > 0 && pc <= get32(p - DEBUG_BYTES))
      return fail(r, SC_STATUS_PARSE, "debug map of core %u: entry %zu is out of pc order", core,
                  i);
    if (!where || !*where)
      return fail(r, SC_STATUS_PARSE, "debug map of core %u: entry %zu: bad place reference", core,
                  i);
    sc_status st = sc_prog_add_debug(prog, core, pc, where, get32(p + 8), get32(p + 12));
    if (st != SC_STATUS_OK) return fail(r, st, "%s", prog->errmsg);
  }
  return SC_STATUS_OK;
}

static sc_status parse(reader *r, uint64_t expect_fingerprint, sc_program **out) {
  const uint8_t *b = r->bytes;
  size_t len = r->len;
  if (len < sizeof magic || memcmp(b, magic, sizeof magic) != 0)
    return fail(r, SC_STATUS_PARSE, "not a SeedChip program (bad magic)");
  if (len < HEADER_BYTES)
    return fail(r, SC_STATUS_PARSE, "truncated: %zu bytes, the header alone is %d", len,
                HEADER_BYTES);
  unsigned major = get16(b + 8), minor = get16(b + 10);
  if (major != SC_PROG_VERSION_MAJOR || minor > SC_PROG_VERSION_MINOR)
    return fail(r, SC_STATUS_UNSUPPORTED,
                "format version %u.%u is not supported (this build reads %d.0 to %d.%d)", major,
                minor, SC_PROG_VERSION_MAJOR, SC_PROG_VERSION_MAJOR, SC_PROG_VERSION_MINOR);
  if (get32(b + 12) != 0)
    return fail(r, SC_STATUS_UNSUPPORTED, "unknown header flags 0x%x", get32(b + 12));
  uint64_t file_size = get64(b + 24);
  if (file_size > len)
    return fail(r, SC_STATUS_PARSE, "truncated: the header says %llu bytes, the file has %zu",
                (unsigned long long)file_size, len);
  if (file_size < len)
    return fail(r, SC_STATUS_PARSE, "%llu bytes of trailing data after the program",
                (unsigned long long)(len - file_size));
  uint32_t stored = get32(b + CRC_OFFSET), computed = file_crc(b, len);
  if (stored != computed)
    return fail(r, SC_STATUS_PARSE,
                "checksum mismatch (stored 0x%08x, computed 0x%08x): the file is corrupt", stored,
                computed);
  uint64_t fingerprint = get64(b + 16);

  uint32_t n_secs = get32(b + 32);
  if (n_secs > MAX_SECTIONS)
    return fail(r, SC_STATUS_PARSE, "%u sections, at most %d", n_secs, MAX_SECTIONS);
  uint64_t table_end = HEADER_BYTES + (uint64_t)n_secs * SECTION_BYTES;
  if (table_end > len)
    return fail(r, SC_STATUS_PARSE,
                "the section table (%u entries) extends past the end of the file", n_secs);
  section *secs = calloc(n_secs ? n_secs : 1, sizeof *secs);
  if (!secs) return fail(r, SC_STATUS_NO_MEMORY, "out of memory");
  sc_status st = SC_STATUS_OK;
  sc_program *prog = NULL;
  const section *bufs = NULL, *data = NULL;
  uint32_t n_cores = 0;
  uint64_t prev_end = table_end;
  for (uint32_t i = 0; i < n_secs && st == SC_STATUS_OK; i++) {
    const uint8_t *e = b + HEADER_BYTES + (size_t)i * SECTION_BYTES;
    section s = {get32(e), get32(e + 4), get64(e + 8), get64(e + 16)};
    secs[i] = s;
    const char *what = section_name(s.kind);
    if (s.kind < SECTION_STRS || s.kind > SECTION_DBUG)
      st = fail(r, SC_STATUS_PARSE, "section %u: unknown kind %u", i, s.kind);
    else if (s.offset % 8 != 0)
      st = fail(r, SC_STATUS_PARSE, "section %u (%s): offset %llu is not 8-byte aligned", i, what,
                (unsigned long long)s.offset);
    else if (s.offset < prev_end)
      st = fail(r, SC_STATUS_PARSE,
                "section %u (%s): overlaps the section table or the section before it", i, what);
    else if (s.offset > len || s.size > len - s.offset)
      st = fail(r, SC_STATUS_PARSE, "section %u (%s): extends past the end of the file", i, what);
    else if ((s.kind == SECTION_CODE || s.kind == SECTION_DBUG) ? s.arg >= SC_PROG_MAX_CORES
                                                                : s.arg != 0)
      st = fail(r, SC_STATUS_PARSE, "section %u (%s): bad argument %u", i, what, s.arg);
    else if ((s.kind == SECTION_CODE && s.size % 8) ||
             (s.kind == SECTION_BUFS && s.size % BUFFER_BYTES) ||
             (s.kind == SECTION_DBUG && s.size % DEBUG_BYTES))
      st = fail(r, SC_STATUS_PARSE, "section %u (%s): size %llu is not a whole number of records",
                i, what, (unsigned long long)s.size);
    prev_end = s.offset + s.size;
    for (uint32_t j = 0; j < i && st == SC_STATUS_OK; j++)
      if (secs[j].kind == s.kind && secs[j].arg == s.arg)
        st = fail(r, SC_STATUS_PARSE, "section %u (%s %u): appears twice", i, what, s.arg);
    if (st != SC_STATUS_OK) break;
    if (s.kind == SECTION_STRS) {
      r->strs = b + s.offset;
      r->strs_size = s.size;
      if (s.size && r->strs[s.size - 1] != '\0')
        st = fail(r, SC_STATUS_PARSE, "section %u (strings): the last string is not terminated", i);
    }
    if (s.kind == SECTION_BUFS) bufs = &secs[i];
    if (s.kind == SECTION_DATA) data = &secs[i];
    if (s.kind == SECTION_CODE && s.arg + 1 > n_cores) n_cores = s.arg + 1;
  }
  const char *arch_name = NULL;
  if (st == SC_STATUS_OK) {
    arch_name = string_at(r, get32(b + 40), SC_PROG_MAX_NAME);
    if (!r->strs)
      st = fail(r, SC_STATUS_PARSE, "no string section");
    else if (!arch_name)
      st = fail(r, SC_STATUS_PARSE, "header: bad architecture name reference");
  }
  if (st == SC_STATUS_OK && expect_fingerprint && fingerprint != expect_fingerprint)
    st = fail(r, SC_STATUS_MISMATCH,
              "built for architecture '%s' (fingerprint %016llx), not for this one (%016llx)",
              arch_name, (unsigned long long)fingerprint, (unsigned long long)expect_fingerprint);
  if (st == SC_STATUS_OK && sc_prog_create(arch_name, fingerprint, &prog) != SC_STATUS_OK)
    st = fail(r, SC_STATUS_NO_MEMORY, "out of memory");

  /* Code first (debug entries are checked against it), then buffers, then debug. */
  size_t cores_seen = 0;
  for (uint32_t i = 0; i < n_secs && st == SC_STATUS_OK; i++) {
    if (secs[i].kind != SECTION_CODE) continue;
    size_t n_words = (size_t)(secs[i].size / 8);
    uint64_t *words = malloc(n_words ? n_words * sizeof *words : 1);
    if (!words) {
      st = fail(r, SC_STATUS_NO_MEMORY, "out of memory");
      break;
    }
    for (size_t w = 0; w < n_words; w++) words[w] = get64(b + secs[i].offset + 8 * w);
    st = sc_prog_set_code(prog, secs[i].arg, words, n_words);
    free(words);
    if (st != SC_STATUS_OK) st = fail(r, st, "%s", prog->errmsg);
    cores_seen++;
  }
  if (st == SC_STATUS_OK && cores_seen != n_cores)
    st = fail(r, SC_STATUS_PARSE, "code sections for %zu cores, but core numbers go up to %u",
              cores_seen, n_cores ? n_cores - 1 : 0);
  if (st == SC_STATUS_OK && bufs) st = read_buffers(r, prog, bufs, data);
  for (uint32_t i = 0; i < n_secs && st == SC_STATUS_OK; i++) {
    if (secs[i].kind != SECTION_DBUG) continue;
    if (secs[i].arg >= n_cores)
      st = fail(r, SC_STATUS_PARSE, "section %u (debug map): core %u has no code", i, secs[i].arg);
    else
      st = read_debug(r, prog, &secs[i]);
  }
  free(secs);
  if (st != SC_STATUS_OK) {
    sc_prog_destroy(prog);
    return st;
  }
  prog->errmsg[0] = '\0';
  *out = prog;
  return SC_STATUS_OK;
}

sc_status sc_prog_parse(const uint8_t *bytes, size_t len, const char *source,
                        uint64_t expect_fingerprint, sc_program **out, char *err, size_t err_size) {
  *out = NULL;
  if (err && err_size) err[0] = '\0';
  reader r = {bytes, len, source ? source : "program", err, err_size, NULL, 0};
  return parse(&r, expect_fingerprint, out);
}

sc_status sc_prog_load(const char *path, uint64_t expect_fingerprint, sc_program **out, char *err,
                       size_t err_size) {
  *out = NULL;
  uint8_t *bytes;
  size_t len;
  sc_status st = sc_read_file(path, (size_t)4 << 30, &bytes, &len, err, err_size);
  if (st != SC_STATUS_OK) return st;
  st = sc_prog_parse(bytes, len, path, expect_fingerprint, out, err, err_size);
  free(bytes);
  return st;
}
