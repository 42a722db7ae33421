/* runtime.h: the SeedChip runtime API: open a device, manage its memory, load
 * programs, bind host buffers to their named buffers, launch, wait, and read
 * counters and the trap report.
 *
 * A device is today the simulated chip (sim.h); the API is the one software
 * will use on silicon. Every call returns an sc_status; the message of the last
 * failure is sc_rt_errmsg(dev), naming the buffer, file or address involved.
 *
 *   sc_device *dev;   sc_rt_open(arch, &dev);
 *   sc_rt_program *p; sc_rt_load(dev, prog, ".", &p);
 *   sc_rt_bind(p, "x", x, sizeof x);  sc_rt_bind(p, "y", y, sizeof y);
 *   sc_rt_launch(dev, p);  sc_rt_wait(dev);   // y now holds the output
 *
 * Buffers: a program places its named buffers at fixed device addresses.
 * Loading maps them; a buffer with the same name, address and size as one of an
 * already loaded program is shared (a prefill and a decode program share their
 * KV cache this way). Const buffers are filled at load from the program or from
 * their external weight file. */
#ifndef SEEDCHIP_RUNTIME_H
#define SEEDCHIP_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/arch.h"
#include "seedchip/program.h"
#include "seedchip/sim.h"
#include "seedchip/status.h"
#include "seedchip/system.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_device sc_device;
typedef struct sc_rt_program sc_rt_program;

/* Opens a device for arch (copied). On failure *out is NULL and err says why. */
SC_MUST_USE sc_status sc_rt_open(const sc_arch *arch, sc_device **out, char *err, size_t err_size);
/* Opens a device that is a system of chips (system.h): every chip's memory
 * in one address space, programs with code for chips * cores cores. */
SC_MUST_USE sc_status sc_rt_open_system(const sc_system *sys, sc_device **out, char *err,
                                        size_t err_size);
/* Closes the device and every program loaded on it. NULL is a no-op. */
void sc_rt_close(sc_device *dev);
const char *sc_rt_errmsg(const sc_device *dev);
const sc_arch *sc_rt_arch(const sc_device *dev);

/* Device memory outside programs: size bytes, 64-byte aligned. */
SC_MUST_USE sc_status sc_rt_malloc(sc_device *dev, uint64_t size, uint64_t *addr);
SC_MUST_USE sc_status sc_rt_free(sc_device *dev, uint64_t addr);
SC_MUST_USE sc_status sc_rt_copy_to_device(sc_device *dev, uint64_t dst, const void *src, size_t n);
SC_MUST_USE sc_status sc_rt_copy_from_device(sc_device *dev, void *dst, uint64_t src, size_t n);

/* Loads prog (borrowed: it must outlive the loaded program). On a device in
 * the timing-only mode (sc_rt_set_mode before the load) its buffers are mapped
 * without host memory and nothing is copied into or out of them, so a
 * full-size model's program loads without its weights; such a program can
 * only run in the timing-only mode. */
/* Loads prog (borrowed: it must outlive the loaded program). Checks that it was
 * built for this device's architecture (fingerprint) and uses no more cores than
 * the chip has, maps its buffers and fills its const buffers; external weight
 * files are read relative to base_dir (NULL = the current directory). */
SC_MUST_USE sc_status sc_rt_load(sc_device *dev, const sc_program *prog, const char *base_dir,
                                 sc_rt_program **out);
/* Unmaps the program's buffers that no other loaded program shares. */
void sc_rt_unload(sc_device *dev, sc_rt_program *p);

/* The device address and size of buffer name. NOT_FOUND when it has none. */
SC_MUST_USE sc_status sc_rt_buffer(sc_rt_program *p, const char *name, uint64_t *addr,
                                   uint64_t *size);

/* Binds host memory to buffer name; size must equal the buffer's size. Inputs
 * and state are copied to the device at launch; outputs and state are copied
 * back by sc_rt_wait. host NULL unbinds. INVALID for a const or scratch buffer. */
SC_MUST_USE sc_status sc_rt_bind(sc_rt_program *p, const char *name, void *host, size_t size);

/* Launch arguments for later launches: x1 .. xn of every core start with
 * args[0 .. n-1] (at most SC_SIM_MAX_ARGS). A compiled program reads its
 * per-run scalars (token position, sequence length) from them. */
void sc_rt_set_args(sc_device *dev, const uint64_t *args, unsigned n);

/* Copies the bound inputs and starts the program on every core. */
SC_MUST_USE sc_status sc_rt_launch(sc_device *dev, sc_rt_program *p);

/* Waits for the launched program. OK, or TRAP with the report in sc_rt_trap.
 * On OK the bound outputs and state hold the results. */
SC_MUST_USE sc_status sc_rt_wait(sc_device *dev);

/* Trap of the last launch (cause SC_TRAP_NONE when it completed). */
const sc_trap *sc_rt_trap(const sc_device *dev);
/* Counter c (an SC_ISA_EVENT_ value) of core after the last launch. */
uint64_t sc_rt_counter(const sc_device *dev, uint32_t core, sc_sim_event c);

/* How later launches are simulated: SC_SIM_TIMED (data and cycles),
 * SC_SIM_TIMING_ONLY (cycles only: no data moves, outputs keep their old
 * contents) or SC_SIM_FUNCTIONAL (data only, the default). record_ops keeps
 * every op's interval for traces. INVALID_ARGUMENT for an unknown mode. */
SC_MUST_USE sc_status sc_rt_set_mode(sc_device *dev, sc_sim_mode mode, bool record_ops);
/* The profile of the last launch in a timed mode (NULL otherwise, or when it
 * trapped): cycles, busy and stall time per unit, energy, per-instruction
 * time. perf.h turns it into the text profile, a trace and the HTML report. */
const sc_profile *sc_rt_profile(const sc_device *dev);

/* The simulator under the device, for tools that inspect SRAM or registers. */
sc_sim *sc_rt_sim(sc_device *dev);

#ifdef __cplusplus
}
#endif
#endif
