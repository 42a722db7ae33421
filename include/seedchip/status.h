/* status.h: the one status enum of SeedChip, generated from status.def.
 *
 * Every fallible function returns an sc_status; the detailed message (which file,
 * which field, which tensor) lives on the handle or in a caller-provided buffer,
 * never in global state. */
#ifndef SEEDCHIP_STATUS_H
#define SEEDCHIP_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_status {
#define SC_STATUS(name, msg) SC_STATUS_##name,
#include "seedchip/status.def"
#undef SC_STATUS
  SC_STATUS_COUNT_
} sc_status;

/* Marks functions whose status must be checked. */
#if defined(__GNUC__) || defined(__clang__)
#define SC_MUST_USE __attribute__((warn_unused_result))
#define SC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SC_MUST_USE
#define SC_PRINTF(fmt, args)
#endif

/* The fixed message of a status ("invalid argument"); never NULL, also for
 * out-of-range values. */
const char *sc_status_str(sc_status status);

/* The status name without prefix ("INVALID_ARGUMENT"); never NULL. */
const char *sc_status_name(sc_status status);

#ifdef __cplusplus
}
#endif
#endif
