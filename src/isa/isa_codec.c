/* isa_codec.c: encoding and decoding of instruction words, driven by the
 * format table.
 *
 * Invariant: decode(encode(i)) == i for every encodable i, and encode(decode(w))
 * == w for every decodable w: reserved bits and the semaphore bits of a disabled
 * wait or signal must be zero, so each instruction has exactly one word. */
#include <inttypes.h>
#include <string.h>

#include "isa_int.h"
#include "seedchip/dtype.h"
#include "seedchip/util.h"

enum { HEADER_MASK = 0xfffff };

uint64_t sc_isa_used_mask(sc_isa_format fmt) {
  const sc_isa_format_info *fi = sc_isa_format_of(fmt);
  if (!fi) return 0;
  uint64_t m = HEADER_MASK;
  for (unsigned i = 0; i < fi->n_fields; i++)
    m |= isa_mask(fi->fields[i].width) << fi->fields[i].lo;
  return m;
}

int64_t sc_isa_format_get(const sc_isa_field *f, uint64_t word) {
  uint64_t v = (word >> f->lo) & isa_mask(f->width);
  if (isa_kind_signed(f->kind) && f->width < 64 && (v >> (f->width - 1)) & 1)
    v |= ~isa_mask(f->width);
  return (int64_t)v;
}

sc_status sc_isa_field_check(const sc_isa_field *f, sc_isa_group g, int64_t value, char *err,
                             size_t err_size) {
  const char *slot = sc_isa_slot_name(f->slot);
  if (isa_kind_signed(f->kind)) {
    int64_t lo = -(int64_t)((uint64_t)1 << (f->width - 1));
    int64_t hi = (int64_t)(((uint64_t)1 << (f->width - 1)) - 1);
    if (value < lo || value > hi)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "field %s: %" PRId64 " does not fit %u signed bits [%" PRId64 ", %" PRId64 "]",
                     slot, value, f->width, lo, hi);
    return SC_STATUS_OK;
  }
  if (value < 0 || (uint64_t)value > isa_mask(f->width))
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "field %s: %" PRId64 " does not fit %u unsigned bits [0, %" PRIu64 "]", slot,
                   value, f->width, isa_mask(f->width));
  switch (f->kind) {
  case SC_ISA_KIND_GRP: {
    unsigned n = sc_isa_group_len(g);
    if (n > 0 && value + n > SC_ISA_N_REGS)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "field %s: group x%" PRId64 "..x%" PRId64 " runs past x31", slot, value,
                     value + n - 1);
    break;
  }
  case SC_ISA_KIND_DTYPE:
    if (value >= SC_DTYPE_COUNT)
      return sc_errf(err, err_size, SC_STATUS_INVALID, "field %s: %" PRId64 " is not a dtype", slot,
                     value);
    break;
  case SC_ISA_KIND_SPACE:
    if (!((f->arg >> value) & 1))
      return sc_errf(err, err_size, SC_STATUS_INVALID, "field %s: space %s is not allowed here",
                     slot, sc_isa_enum_text(SC_ISA_ENUM_SPACE, (unsigned)value));
    break;
  case SC_ISA_KIND_ENUM:
    if (!sc_isa_enum_text((sc_isa_enum)f->arg, (unsigned)value))
      return sc_errf(err, err_size, SC_STATUS_INVALID, "field %s: %" PRId64 " is not a %s value",
                     slot, value, sc_isa_enum_name((sc_isa_enum)f->arg));
    break;
  default:
    break;
  }
  return SC_STATUS_OK;
}

uint64_t isa_header(const sc_insn *in) {
  uint64_t w = in->opcode;
  if (in->has_wait) w |= ((uint64_t)(in->wait & 0x1f) << 8) | ((uint64_t)1 << 13);
  if (in->has_signal) w |= ((uint64_t)(in->signal & 0x1f) << 14) | ((uint64_t)1 << 19);
  return w;
}

sc_status sc_isa_encode(const sc_insn *in, uint64_t *word, char *err, size_t err_size) {
  const sc_isa_info *info = sc_isa_info_of(in->opcode);
  if (!info)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "opcode 0x%02x is not assigned",
                   (unsigned)in->opcode);
  if (in->has_wait && in->wait >= SC_ISA_N_SEMS)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: field wait: s%u is not a semaphore",
                   info->mnemonic, (unsigned)in->wait);
  if (in->has_signal && in->signal >= SC_ISA_N_SEMS)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: field signal: s%u is not a semaphore",
                   info->mnemonic, (unsigned)in->signal);
  const sc_isa_format_info *fi = sc_isa_format_of(info->format);
  uint64_t w = isa_header(in);
  for (unsigned i = 0; i < fi->n_fields; i++) {
    const sc_isa_field *f = &fi->fields[i];
    int64_t v = in->slot[f->slot];
    char why[160];
    if (sc_isa_field_check(f, info->group, v, why, sizeof why) != SC_STATUS_OK)
      return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s", info->mnemonic, why);
    w |= ((uint64_t)v & isa_mask(f->width)) << f->lo;
  }
  *word = w;
  return SC_STATUS_OK;
}

sc_status sc_isa_decode(uint64_t word, sc_insn *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  const sc_isa_info *info = sc_isa_info_of(SC_ISA_OPCODE(word));
  if (!info)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "0x%016" PRIx64 ": opcode 0x%02x is not assigned", word, SC_ISA_OPCODE(word));
  if (!SC_ISA_WAIT_EN(word) && SC_ISA_WAIT_SEM(word))
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "0x%016" PRIx64 ": %s: wait semaphore bits set with wait disabled", word,
                   info->mnemonic);
  if (!SC_ISA_SIGNAL_EN(word) && SC_ISA_SIGNAL_SEM(word))
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "0x%016" PRIx64 ": %s: signal semaphore bits set with signal disabled", word,
                   info->mnemonic);
  uint64_t reserved = word & ~sc_isa_used_mask(info->format);
  if (reserved)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "0x%016" PRIx64 ": %s: reserved bits 0x%016" PRIx64 " are set", word,
                   info->mnemonic, reserved);
  sc_insn d = {.opcode = info->opcode,
               .has_wait = SC_ISA_WAIT_EN(word),
               .wait = (uint8_t)SC_ISA_WAIT_SEM(word),
               .has_signal = SC_ISA_SIGNAL_EN(word),
               .signal = (uint8_t)SC_ISA_SIGNAL_SEM(word)};
  const sc_isa_format_info *fi = sc_isa_format_of(info->format);
  for (unsigned i = 0; i < fi->n_fields; i++) {
    const sc_isa_field *f = &fi->fields[i];
    int64_t v = sc_isa_format_get(f, word);
    char why[160];
    if (sc_isa_field_check(f, info->group, v, why, sizeof why) != SC_STATUS_OK)
      return sc_errf(err, err_size, SC_STATUS_INVALID, "0x%016" PRIx64 ": %s: %s", word,
                     info->mnemonic, why);
    d.slot[f->slot] = v;
  }
  *out = d;
  return SC_STATUS_OK;
}
