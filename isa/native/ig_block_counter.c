/* Native basic-block counter for the Unicorn backend (isa/unicorn_backend.py).
 *
 * Unicorn calls `ig_bc_hook` at the start of every translated block it executes (UC_HOOK_BLOCK).
 * The hook bumps the block's counter in an open-addressing hash table keyed by (start address,
 * size in bytes) and adds the block's instruction count to an exact running total. The
 * instruction count of a block is decoded once, when the block is first seen, from its bytes
 * (read from guest memory through Unicorn's own `uc_mem_read`), with the length rules of the
 * architecture:
 *   AArch64   every instruction is 4 bytes;
 *   RISC-V    2 bytes if the low two bits of the first byte are not 0b11, else 4;
 *   Thumb-2   4 bytes if the top five bits of the first halfword are 11101, 11110 or 11111, else 2.
 *
 * When the running total passes the instruction budget, the hook calls `uc_emu_stop` once, sets
 * `budget_hit` and keeps the address of the block that crossed it (`budget_addr`); the Python side then
 * raises InstructionBudgetExceeded naming that block. The check is made when a block starts, so it has
 * block granularity: the block that crosses the budget is counted whole (the QEMU plugin's check=tb
 * mode applies the same rule, so both backends name the same block).
 *
 * Memory-aware runs (ig_bc_attach_memsim) also feed the cache and memory simulator of ig_memsim.h: the block
 * hook sends the block's bytes as instruction fetches and points the simulator's sink at the block's record, and
 * ig_mem_hook (registered as UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE) sends each data access; each block record
 * then also holds the stall cycles and the bytes from memories its accesses caused.
 *
 * No Python runs per block. Pointers to `uc_mem_read` and `uc_emu_stop` come from the Python side
 * (the addresses of the functions in the libunicorn the binding loaded), so this file needs no
 * Unicorn header and no link against libunicorn.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ig_memsim.h"

typedef int (*ig_mem_read_fn)(void *uc, uint64_t address, void *bytes, uint64_t size);
typedef int (*ig_emu_stop_fn)(void *uc);
typedef int (*ig_reg_write_fn)(void *uc, int regid, const void *value);

enum { IG_ARCH_THUMB = 0, IG_ARCH_AARCH64 = 1, IG_ARCH_RISCV = 2 };

/* error codes reported in ig_counter.error */
enum {
  IG_OK = 0,
  IG_ERR_NOMEM = 1,       /* the table could not grow */
  IG_ERR_MEM_READ = 2,    /* uc_mem_read failed on a block's bytes */
  IG_ERR_DECODE = 3,      /* instruction lengths do not tile the block exactly */
};

typedef struct {
  uint64_t addr;
  uint64_t count; /* 0 marks an empty slot: an occupied slot has run at least once */
  uint32_t size;
  uint32_t insns;
  uint64_t mem[2]; /* memory-aware runs: stall cycles, bytes from memories (ig_memsim.h sink) */
} ig_entry;

#define IG_MAX_OBSERVED 16

typedef struct {
  ig_entry *table;
  uint64_t mask;   /* capacity - 1, capacity a power of two */
  uint64_t used;
  uint64_t total;  /* exact instructions in all blocks started so far */
  uint64_t budget; /* stop once total > budget */
  uint64_t error_addr;
  uint64_t last_addr; /* the block entered most recently: where a fault happened */
  uint64_t last_size;
  uint64_t budget_addr; /* the block whose start took the total past the budget */
  int32_t arch;
  int32_t budget_hit;
  int32_t error;
  int32_t stop_requested;
  ig_mem_read_fn mem_read;
  ig_emu_stop_fn emu_stop;
  igm_sim *memsim; /* NULL: a run that only counts */
  ig_reg_write_fn reg_write; /* uc_reg_write, for it_reg */
  int32_t it_reg;            /* Thumb: the EPSR register id, written after each hooked access (ig_mem_hook); 0: none */
  uint32_t n_observed; /* 0: every data access goes to memsim; else only those inside observed[] */
  uint64_t observed[2 * IG_MAX_OBSERVED]; /* (first, last) address pairs */
} ig_counter;

static inline uint64_t ig_hash(uint64_t addr, uint32_t size) {
  uint64_t h = (addr ^ ((uint64_t)size << 40)) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

static void ig_stop(ig_counter *c, void *uc) {
  if (!c->stop_requested) {
    c->stop_requested = 1;
    c->emu_stop(uc);
  }
}

static int ig_grow(ig_counter *c) {
  uint64_t new_cap = (c->mask + 1) * 2;
  ig_entry *t = (ig_entry *)calloc(new_cap, sizeof(ig_entry));
  if (!t) return -1;
  uint64_t mask = new_cap - 1;
  for (uint64_t i = 0; i <= c->mask; i++) {
    ig_entry *e = &c->table[i];
    if (!e->count) continue;
    uint64_t j = ig_hash(e->addr, e->size) & mask;
    while (t[j].count) j = (j + 1) & mask;
    t[j] = *e;
  }
  free(c->table);
  c->table = t;
  c->mask = mask;
  return 0;
}

/* Number of instructions in `n` bytes of code, or -1 if the lengths do not tile the bytes. */
static int64_t ig_count_insns(int arch, const uint8_t *p, uint64_t n) {
  uint64_t i = 0;
  int64_t k = 0;
  if (arch == IG_ARCH_AARCH64) {
    return (n % 4) ? -1 : (int64_t)(n / 4);
  }
  while (i < n) {
    if (arch == IG_ARCH_RISCV) {
      i += ((p[i] & 3) == 3) ? 4 : 2;
    } else { /* Thumb-2: the first halfword decides */
      if (i + 1 >= n) return -1;
      unsigned top5 = (unsigned)(p[i + 1] >> 3);
      i += (top5 == 0x1D || top5 == 0x1E || top5 == 0x1F) ? 4 : 2;
    }
    k++;
  }
  return i == n ? k : -1;
}

static uint32_t ig_decode_block(ig_counter *c, void *uc, uint64_t addr, uint32_t size) {
  uint8_t small[4096];
  uint8_t *buf = size <= sizeof small ? small : (uint8_t *)malloc(size);
  if (!buf) {
    c->error = IG_ERR_NOMEM;
    c->error_addr = addr;
    ig_stop(c, uc);
    return 0;
  }
  int64_t k = -1;
  if (c->mem_read(uc, addr, buf, size) != 0) {
    c->error = IG_ERR_MEM_READ;
    c->error_addr = addr;
    ig_stop(c, uc);
    k = 0;
  } else {
    k = ig_count_insns(c->arch, buf, size);
    if (k < 0) {
      c->error = IG_ERR_DECODE;
      c->error_addr = addr;
      ig_stop(c, uc);
      k = 0;
    }
  }
  if (buf != small) free(buf);
  return (uint32_t)k;
}

/* A memory-aware run: the block's accesses go to its record; its bytes are fetched from the L1I line by line. */
static inline void ig_feed_fetch(ig_counter *c, ig_entry *e) {
  c->memsim->sink = e->mem;
  igm_access(c->memsim, e->addr, e->size, IGM_FETCH);
}

/* The UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE callback:
 * void (*)(uc_engine *, uc_mem_type type, uint64_t address, int size, int64_t value, void *user).
 *
 * Thumb: before calling a memory hook, Unicorn 2.1.4 restores the guest state of the accessing instruction
 * (cpu_restore_state), which on Arm also sets the IT-block state, and lets the block run on. QEMU keeps that state 0
 * while a block runs (it is cleared at block start and written at a block end inside an IT block), so an access in
 * an IT block that is the last hooked one of its block leaves a stale IT state behind, and the next block is
 * translated as if it ran inside an IT block: wrong results, same instruction counts (a ranged hook over flash did
 * that on a gcc-14 build: tests/isa/test_boards.py). Writing EPSR with only the Thumb bit (no flags: EPSR's mask
 * leaves NZCV alone) puts the state back to 0 after every hooked access. */
void ig_mem_hook(void *uc, int type, uint64_t addr, int size, int64_t value, void *user) {
  (void)value;
  ig_counter *c = (ig_counter *)user;
  if (c->it_reg) {
    uint32_t thumb_only = 1u << 24;
    c->reg_write(uc, c->it_reg, &thumb_only);
  }
  if (c->n_observed) {
    uint32_t i = 0;
    while (i < c->n_observed && !(addr >= c->observed[2 * i] && addr <= c->observed[2 * i + 1])) i++;
    if (i == c->n_observed) return;
  }
  igm_access(c->memsim, addr, (uint64_t)size, type == 17 /* UC_MEM_WRITE */ ? IGM_WRITE : IGM_READ);
}

/* The UC_HOOK_BLOCK callback: void (*)(uc_engine *, uint64_t address, uint32_t size, void *user). */
void ig_bc_hook(void *uc, uint64_t addr, uint32_t size, void *user) {
  ig_counter *c = (ig_counter *)user;
  uint64_t j = ig_hash(addr, size) & c->mask;
  c->last_addr = addr;
  c->last_size = size;
  ig_entry *e;
  for (;;) {
    e = &c->table[j];
    if (!e->count) break;
    if (e->addr == addr && e->size == size) {
      e->count++;
      if (c->memsim) ig_feed_fetch(c, e);
      c->total += e->insns;
      if (c->total > c->budget && !c->budget_hit) {
        c->budget_hit = 1;
        c->budget_addr = addr;
        ig_stop(c, uc);
      }
      return;
    }
    j = (j + 1) & c->mask;
  }
  /* a block seen for the first time */
  if ((c->used + 1) * 2 > c->mask + 1) {
    if (ig_grow(c) != 0) {
      c->error = IG_ERR_NOMEM;
      c->error_addr = addr;
      ig_stop(c, uc);
      return;
    }
    j = ig_hash(addr, size) & c->mask;
    while (c->table[j].count) j = (j + 1) & c->mask;
    e = &c->table[j];
  }
  uint32_t insns = ig_decode_block(c, uc, addr, size);
  e->addr = addr;
  e->size = size;
  e->insns = insns;
  e->count = 1;
  e->mem[0] = e->mem[1] = 0;
  c->used++;
  if (c->memsim) ig_feed_fetch(c, e);
  c->total += insns;
  if (c->total > c->budget && !c->budget_hit) {
    c->budget_hit = 1;
    c->budget_addr = addr;
    ig_stop(c, uc);
  }
}

ig_counter *ig_bc_new(int32_t arch, uint64_t budget, void *mem_read, void *emu_stop, uint64_t initial_capacity) {
  ig_counter *c = (ig_counter *)calloc(1, sizeof(ig_counter));
  if (!c) return NULL;
  uint64_t cap = 16;
  while (cap < initial_capacity) cap *= 2;
  c->table = (ig_entry *)calloc(cap, sizeof(ig_entry));
  if (!c->table) {
    free(c);
    return NULL;
  }
  c->mask = cap - 1;
  c->arch = arch;
  c->budget = budget;
  c->mem_read = (ig_mem_read_fn)mem_read;
  c->emu_stop = (ig_emu_stop_fn)emu_stop;
  return c;
}

/* Makes the run memory-aware with the simulator configured by `text` (ig_memsim.h's text form). Returns 0, the
 * first bad line of the text, or -1 for a geometry the simulator refuses. */
int32_t ig_bc_attach_memsim(ig_counter *c, const char *text) {
  int err = 0;
  igm_sim *s = igm_new_from_text(text, &err);
  if (!s) return err ? err : -1;
  igm_free(c->memsim);
  c->memsim = s;
  return 0;
}

/* Restricts the data accesses memsim sees to n (first, last) ranges (n = 0: all). Unicorn's ranged hooks already
 * deliver only those; the check here keeps the simulator exact whatever hooks deliver. Returns -1 for more than
 * IG_MAX_OBSERVED ranges. */
int32_t ig_bc_observe(ig_counter *c, uint32_t n, const uint64_t *ranges) {
  if (n > IG_MAX_OBSERVED) return -1;
  for (uint32_t i = 0; i < 2 * n; i++) c->observed[i] = ranges[i];
  c->n_observed = n;
  return 0;
}

/* Thumb targets: reset the IT state after every hooked access (ig_mem_hook says why); reg_write is uc_reg_write. */
void ig_bc_reset_it_state(ig_counter *c, void *reg_write, int32_t epsr_reg) {
  c->reg_write = (ig_reg_write_fn)reg_write;
  c->it_reg = epsr_reg;
}

void ig_bc_free(ig_counter *c) {
  if (!c) return;
  igm_free(c->memsim);
  free(c->table);
  free(c);
}

uint64_t ig_bc_used(const ig_counter *c) { return c->used; }
uint64_t ig_bc_total(const ig_counter *c) { return c->total; }
int32_t ig_bc_budget_hit(const ig_counter *c) { return c->budget_hit; }
int32_t ig_bc_error(const ig_counter *c) { return c->error; }
uint64_t ig_bc_error_addr(const ig_counter *c) { return c->error_addr; }
uint64_t ig_bc_capacity(const ig_counter *c) { return c->mask + 1; }
uint64_t ig_bc_last_addr(const ig_counter *c) { return c->last_addr; }
uint64_t ig_bc_last_size(const ig_counter *c) { return c->last_size; }
uint64_t ig_bc_budget_addr(const ig_counter *c) { return c->budget_addr; }

/* Copies the table out, one row per distinct block, in table order. Returns the rows written. */
uint64_t ig_bc_export(const ig_counter *c, uint64_t *addr, uint32_t *size, uint32_t *insns, uint64_t *count,
                      uint64_t max_rows) {
  uint64_t k = 0;
  for (uint64_t i = 0; i <= c->mask && k < max_rows; i++) {
    const ig_entry *e = &c->table[i];
    if (!e->count) continue;
    addr[k] = e->addr;
    size[k] = e->size;
    insns[k] = e->insns;
    count[k] = e->count;
    k++;
  }
  return k;
}

/* The memory records of the blocks, in the same table order as ig_bc_export. */
uint64_t ig_bc_export_mem(const ig_counter *c, uint64_t *stall, uint64_t *bytes, uint64_t max_rows) {
  uint64_t k = 0;
  for (uint64_t i = 0; i <= c->mask && k < max_rows; i++) {
    const ig_entry *e = &c->table[i];
    if (!e->count) continue;
    stall[k] = e->mem[0];
    bytes[k] = e->mem[1];
    k++;
  }
  return k;
}

/* The simulator's counters (IGM_EXPORT_WORDS words, layout in ig_memsim.h); 0 words without a simulator. */
uint64_t ig_bc_memsim_export(const ig_counter *c, uint64_t *out) {
  if (!c->memsim) return 0;
  igm_export(c->memsim, out);
  return IGM_EXPORT_WORDS;
}

/* For the tests: a bare simulator driven access by access. */
igm_sim *igm_test_new(const char *text, int32_t *err_line) {
  int err = 0;
  igm_sim *s = igm_new_from_text(text, &err);
  *err_line = err;
  return s;
}
uint32_t igm_test_access(igm_sim *s, uint64_t addr, uint64_t size, int32_t kind) { return igm_access(s, addr, size, kind); }
uint32_t igm_test_access_run(igm_sim *s, uint64_t addr, uint64_t size, uint64_t n, int32_t kind) {
  return igm_access_run(s, addr, size, n, kind);
}
uint32_t igm_test_access_strided(igm_sim *s, uint64_t addr, uint64_t size, int64_t stride, uint64_t n, int32_t kind) {
  return igm_access_strided(s, addr, size, stride, n, kind);
}
void igm_test_export(const igm_sim *s, uint64_t *out) { igm_export(s, out); }
/* The reference for the way hints (ig_memsim.h, igm_cache.hint): every search of this simulator scans its set. */
void igm_test_no_hints(igm_sim *s) {
  for (int i = 0; i < IGM_CACHES; i++) s->cache[i].no_hints = 1;
}
void igm_test_free(igm_sim *s) { igm_free(s); }
uint64_t igm_export_words(void) { return IGM_EXPORT_WORDS; }

/* For the tests: the instruction count of `n` bytes of code as the hook decodes it (-1: no tiling). */
int64_t ig_bc_count_insns(int32_t arch, const uint8_t *code, uint64_t n) { return ig_count_insns(arch, code, n); }
