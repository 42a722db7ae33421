/* sim_mem.h: the simulated device memory (HBM / DRAM) as a sparse set of mapped
 * regions inside [0, capacity) of each chip.
 *
 * A 216 GB device cannot be backed by host memory, and it need not be: only
 * ranges a program declares or the runtime allocates are mapped (zero-filled host
 * blocks); every access must lie wholly inside one mapped region, otherwise the
 * simulator raises an out-of-bounds trap. Invariant: regions are sorted by base,
 * pairwise disjoint, non-empty and inside [0, capacity). */
#ifndef SEEDCHIP_SIM_MEM_H
#define SEEDCHIP_SIM_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/status.h"

typedef struct sim_region {
  uint64_t base, size;
  uint8_t *bytes; /* size bytes of host memory; NULL for an unbacked region */
} sim_region;

/* A system's chip c owns [c << SIM_MEM_CHIP_SHIFT, + capacity) (system.h). */
#define SIM_MEM_CHIP_SHIFT 40
#define SIM_MEM_CHIP_MASK ((UINT64_C(1) << SIM_MEM_CHIP_SHIFT) - 1)

typedef struct sim_mem {
  uint64_t capacity; /* bytes of device memory each chip has */
  uint32_t chips;
  sim_region *regions;
  size_t n, cap;
  uint64_t mapped_bytes; /* sum of region sizes */
} sim_mem;

void sim_mem_init(sim_mem *mem, uint64_t capacity, uint32_t chips);
void sim_mem_free(sim_mem *mem);

/* Maps [base, base + size), zero-filled. INVALID with a message when the range is
 * empty, leaves the capacity or overlaps a mapped region; NO_MEMORY when the host
 * cannot back it. */
SC_MUST_USE sc_status sim_mem_map(sim_mem *mem, uint64_t base, uint64_t size, char *err,
                                  size_t err_size);

/* Maps [base, base + size) without host memory behind it (for runs that move
 * no data: the timing-only mode). sim_mem_ptr gives NULL inside it. */
SC_MUST_USE sc_status sim_mem_map_unbacked(sim_mem *mem, uint64_t base, uint64_t size, char *err,
                                           size_t err_size);

/* Maps size bytes (in chip 0's memory) at the lowest address aligned to align (a power of two) that
 * fits; *base receives it. NO_MEMORY when no gap is large enough. */
SC_MUST_USE sc_status sim_mem_alloc(sim_mem *mem, uint64_t size, uint64_t align, uint64_t *base,
                                    char *err, size_t err_size);

/* Unmaps the region that starts exactly at base. NOT_FOUND otherwise. */
SC_MUST_USE sc_status sim_mem_unmap(sim_mem *mem, uint64_t base, char *err, size_t err_size);

/* Host pointer to [addr, addr + n) when it lies inside one mapped, backed
 * region (n may be 0 only inside a region), else NULL. */
uint8_t *sim_mem_ptr(const sim_mem *mem, uint64_t addr, uint64_t n);

#endif
