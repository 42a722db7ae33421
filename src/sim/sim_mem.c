/* sim_mem.c: sparse device memory; see sim_mem.h for the invariant. */
#include "sim_mem.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/util.h"

void sim_mem_init(sim_mem *mem, uint64_t capacity, uint32_t chips) {
  *mem = (sim_mem){.capacity = capacity, .chips = chips ? chips : 1};
}

void sim_mem_free(sim_mem *mem) {
  for (size_t i = 0; i < mem->n; i++) free(mem->regions[i].bytes);
  free(mem->regions);
  *mem = (sim_mem){.capacity = mem->capacity, .chips = mem->chips};
}

/* Index of the first region whose base is > addr. */
static size_t upper_bound(const sim_mem *mem, uint64_t addr) {
  size_t lo = 0, hi = mem->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (mem->regions[mid].base <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

uint8_t *sim_mem_ptr(const sim_mem *mem, uint64_t addr, uint64_t n) {
  size_t i = upper_bound(mem, addr);
  if (i == 0) return NULL;
  const sim_region *r = &mem->regions[i - 1];
  uint64_t off = addr - r->base;
  if (off >= r->size || n > r->size - off || !r->bytes) return NULL;
  return r->bytes + off;
}

static sc_status map_region(sim_mem *mem, uint64_t base, uint64_t size, bool backed, char *err,
                            size_t err_size) {
  if (size == 0) return sc_errf(err, err_size, SC_STATUS_INVALID, "cannot map 0 bytes");
  uint64_t chip = base >> SIM_MEM_CHIP_SHIFT, local = base & SIM_MEM_CHIP_MASK;
  if (chip >= mem->chips || local >= mem->capacity || size > mem->capacity - local) {
    if (mem->chips == 1)
      return sc_errf(
          err, err_size, SC_STATUS_INVALID, "[0x%llx, +%llu) is outside device memory (%llu bytes)",
          (unsigned long long)base, (unsigned long long)size, (unsigned long long)mem->capacity);
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "[0x%llx, +%llu) is outside the device memory of every chip (%u chips of "
                   "%llu bytes, chip c at c << %d)",
                   (unsigned long long)base, (unsigned long long)size, mem->chips,
                   (unsigned long long)mem->capacity, SIM_MEM_CHIP_SHIFT);
  }
  size_t i = upper_bound(mem, base);
  if (i > 0) {
    const sim_region *prev = &mem->regions[i - 1];
    if (base - prev->base < prev->size)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "[0x%llx, +%llu) overlaps the mapped region [0x%llx, +%llu)",
                     (unsigned long long)base, (unsigned long long)size,
                     (unsigned long long)prev->base, (unsigned long long)prev->size);
  }
  if (i < mem->n && mem->regions[i].base - base < size)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "[0x%llx, +%llu) overlaps the mapped region [0x%llx, +%llu)",
                   (unsigned long long)base, (unsigned long long)size,
                   (unsigned long long)mem->regions[i].base,
                   (unsigned long long)mem->regions[i].size);
  if (size > SIZE_MAX)
    return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%llu bytes exceed the host's address space",
                   (unsigned long long)size);
  if (mem->n == mem->cap) {
    size_t cap = mem->cap ? mem->cap * 2 : 16;
    sim_region *r = realloc(mem->regions, cap * sizeof *r);
    if (!r) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "out of host memory");
    mem->regions = r;
    mem->cap = cap;
  }
  uint8_t *bytes = backed ? calloc(1, (size_t)size) : NULL;
  if (backed && !bytes)
    return sc_errf(err, err_size, SC_STATUS_NO_MEMORY,
                   "out of host memory backing %llu bytes of device memory",
                   (unsigned long long)size);
  memmove(mem->regions + i + 1, mem->regions + i, (mem->n - i) * sizeof *mem->regions);
  mem->regions[i] = (sim_region){base, size, bytes};
  mem->n++;
  mem->mapped_bytes += size;
  return SC_STATUS_OK;
}

sc_status sim_mem_map(sim_mem *mem, uint64_t base, uint64_t size, char *err, size_t err_size) {
  return map_region(mem, base, size, true, err, err_size);
}

sc_status sim_mem_map_unbacked(sim_mem *mem, uint64_t base, uint64_t size, char *err,
                               size_t err_size) {
  return map_region(mem, base, size, false, err, err_size);
}

static uint64_t align_up(uint64_t x, uint64_t align, bool *overflow) {
  uint64_t r = (x + (align - 1)) & ~(align - 1);
  *overflow = r < x;
  return r;
}

sc_status sim_mem_alloc(sim_mem *mem, uint64_t size, uint64_t align, uint64_t *base, char *err,
                        size_t err_size) {
  if (align == 0 || (align & (align - 1)) != 0)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT,
                   "alignment %llu is not a power of two", (unsigned long long)align);
  if (size == 0)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT, "cannot allocate 0 bytes");
  uint64_t at = 0;
  for (size_t i = 0; i <= mem->n; i++) {
    /* chip 0's memory only */
    uint64_t gap_end = i < mem->n ? mem->regions[i].base : mem->capacity;
    if (gap_end > mem->capacity) gap_end = mem->capacity;
    bool overflow;
    uint64_t start = align_up(at, align, &overflow);
    if (!overflow && start <= gap_end && size <= gap_end - start) {
      *base = start;
      return sim_mem_map(mem, start, size, err, err_size);
    }
    if (i < mem->n) at = mem->regions[i].base + mem->regions[i].size;
  }
  return sc_errf(err, err_size, SC_STATUS_NO_MEMORY,
                 "no free range of %llu bytes (aligned to %llu) in device memory",
                 (unsigned long long)size, (unsigned long long)align);
}

sc_status sim_mem_unmap(sim_mem *mem, uint64_t base, char *err, size_t err_size) {
  size_t i = upper_bound(mem, base);
  if (i == 0 || mem->regions[i - 1].base != base)
    return sc_errf(err, err_size, SC_STATUS_NOT_FOUND, "no mapped region starts at 0x%llx",
                   (unsigned long long)base);
  i--;
  free(mem->regions[i].bytes);
  mem->mapped_bytes -= mem->regions[i].size;
  memmove(mem->regions + i, mem->regions + i + 1, (mem->n - i - 1) * sizeof *mem->regions);
  mem->n--;
  return SC_STATUS_OK;
}
