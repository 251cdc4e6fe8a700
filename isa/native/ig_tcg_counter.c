/* intgap's QEMU TCG plugin (QEMU 10 plugin API, QEMU_PLUGIN_VERSION 4): exact per-translation-block execution
 * counts, and the vl each RVV vsetvl/vsetvli/vsetivli produced.
 *
 * At translation time each TB is mapped to a counter record keyed by (vaddr, instructions, bytes); a TB that
 * QEMU translates again (after a flush, or as a shorter variant) with the same key shares the record. The
 * record's counter is a one-u64 scoreboard (one slot per vCPU); the TB gets one *inline* per-vCPU add on it:
 * no callback runs per block or per instruction.
 *
 * I/O rewinds (system mode): QEMU 10 lets only a TB's last instruction touch I/O memory (MMIO: the Cortex-M
 * system registers, e.g. CPACR). An I/O access earlier in a TB makes QEMU abandon the TB at that instruction
 * (cpu_io_recompile), run the instruction alone in a "memory-only" TB (which gets no exec instrumentation, so its
 * count is not bumped) and continue with a new TB after it. The abandoned TB was counted in full on entry, so the
 * instructions after the I/O access would be counted twice. Every TB therefore stores its record number in a
 * per-vCPU "current TB" slot, and every one-instruction TB gets a memory callback: when it runs while the slot
 * names another TB that holds its instruction before that TB's end, it is such a rewind (a TB entered normally
 * has just stored its own number). The TB that runs next then gives back its count (see after_rewind). Counts
 * then equal what executed, block for block as Unicorn's (which does not rewind).
 *
 * Semihosting guard (system mode): QEMU runs semihosting calls on the host (files, commands) and cannot limit
 * them to the console. An exec callback before every `bkpt 0xab` reads r0 (and for SYS_OPEN the name) and stops
 * the run before any call other than the console's (SYS_OPEN(":tt"), SYS_CLOSE, SYS_WRITEC, SYS_WRITE0,
 * SYS_WRITE, SYS_EXIT, SYS_EXIT_EXTENDED) reaches the host: the Unicorn backend's rule.
 *
 * vl capture (option vl=on, RISC-V only): QEMU ends a TB after every vsetvl* (the vtype it sets is part of the
 * TB flags), so the vl it produced is the `vl` CSR at the start of whichever TB runs next. Each vsetvl* site
 * stores its site number in a per-vCPU "pending" slot (inline store); every TB has a conditional callback,
 * run only when that slot is set, that reads `vl` (QEMU_PLUGIN_CB_R_REGS), adds it to the site's sums and
 * clears the slot. Cost: one inline compare per TB, one callback per vsetvl* executed.
 *
 * Arguments (comma-separated after the .so path, as QEMU passes them):
 *   out=PATH       where the counts are written at exit (required)
 *   budget=N       stop the run once more than N instructions have executed (0 or absent: no budget)
 *   check=MODE     how the budget is watched:
 *                    thread (default): a plugin thread sums the counters every `poll_us` microseconds and
 *                                      stops QEMU once the sum exceeds the budget (no cost on the guest;
 *                                      overshoot bounded by one poll interval of execution)
 *                    tb:               an exec callback on every TB adds its size to a running total and
 *                                      stops at the first TB that crosses the budget (exact to one TB,
 *                                      but a callback per block: the backend reruns a program in this
 *                                      mode only after the thread watcher stopped it, to name the TB that
 *                                      crossed the budget, the same rule as the Unicorn backend's)
 *   poll_us=N      polling period of check=thread (default 1000)
 *   stop_ms=N      with check=tb: stop at the first TB entered N ms after start-up, writing its address as
 *                  stop_vaddr (flag bit 2): where a program that does not end is (the backend's timeout message;
 *                  QEMU 10's user-mode gdbstub cannot be interrupted while the guest runs)
 *   vl=on          record the vl of every vsetvl* site (RISC-V with V)
 *   vmem=elements  memory-aware RVV runs: feed every vector load / store from QEMU's per-element callbacks (the
 *                  reference the one-callback-per-instruction synthesis is tested against)
 *   memsim=PATH    a memory-aware run: feed the cache and memory simulator of ig_memsim.h, configured by the
 *                  text in PATH (isa.memsim.config_text), with every TB's bytes as instruction fetches (when it
 *                  is entered) and every data access (after it) whose address lies in a range of
 *   observe=PATH   ("first last" per line, decimal; none or "1 0": every address), as the Unicorn backend does;
 *                  most RVV loads / stores are fed by one callback per instruction (see feed_vector)
 *
 * Output file (little-endian, written to PATH.tmp then renamed to PATH, so a reader never sees half a file):
 *   header  8 bytes magic "IGTCG06\0", u64 n_records, u64 flags (bit 0: stopped by the budget, bit 2: by
 *           stop_ms, bit 3: a semihosting call other than the console's was refused (system mode),
 *           bit 1: written by the budget watcher rather than at exit), u64 instructions executed (sum),
 *           u64 budget, u64 translations (TBs translated; more than n_records when QEMU retranslated),
 *           u64 stop_vaddr (check=tb: start of the TB that crossed the budget; else 0), u64 n_vl_sites,
 *           u64 n_mem_words, u64 stop_detail (flag bit 3: the semihosting operation refused), u64 vector_fed
 *           (memory-aware runs: RVV loads / stores executed whose accesses were fed by one callback each)
 *   records n_records x { u64 vaddr, u32 bytes, u32 insns, u64 count } (24 bytes each)
 *   vl sites n_vl_sites x { u64 vaddr, u64 executions, u64 vl_sum, u32 vl_min, u32 vl_max } (32 bytes each;
 *           executions counts those whose vl was read: a run stopped by the budget can miss the last one)
 *   memsim  (header u64 n_mem_words > 0 only) n_records x { u64 stall cycles, u64 bytes from memories }, in
 *           record order, then the simulator's n_mem_words counters (igm_export)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <qemu-plugin.h>

#include "ig_memsim.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define EXIT_BUDGET 124 /* QEMU's exit status when the plugin stops a run over budget */

typedef struct {
  uint64_t vaddr;
  uint32_t bytes;
  uint32_t insns;
  struct qemu_plugin_scoreboard *count; /* one u64 per vCPU, bumped by the TB's inline op */
  uint32_t id;                          /* its index */
  uint32_t *insn_ends;                  /* system mode: end offset of each instruction (I/O rewinds) */
  uint64_t mem[2];                      /* memory-aware runs: stall cycles, bytes from memories (ig_memsim.h) */
} Record;

/* Records live in fixed chunks that are never reallocated (TBs hold pointers into them). */
#define CHUNK_BITS 12
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define MAX_CHUNKS 65536
static Record *chunks[MAX_CHUNKS];
static uint32_t n_records; /* published with release ordering after the record is complete */
static uint64_t n_translations;

/* Open-addressing index of record numbers + 1 (0 = empty); only the index is rehashed on growth. */
static uint32_t *index_slots;
static uint64_t index_cap;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static char *out_path;
static uint64_t budget;
static int check_tb;
static unsigned poll_us = 1000;
static uint64_t cb_total; /* check=tb: instructions of the TBs entered so far */
static uint64_t stop_vaddr; /* check=tb: the TB whose entry took cb_total past the budget */
static uint64_t stop_detail; /* flag bit 3: the semihosting operation refused */
static int written;       /* 0 until one thread claims the right to write the output */

static inline Record *record_at(uint32_t i) { return &chunks[i >> CHUNK_BITS][i & (CHUNK_SIZE - 1)]; }

static inline uint64_t hash_key(uint64_t vaddr, uint32_t bytes, uint32_t insns) {
  uint64_t h = vaddr * 0x9E3779B97F4A7C15ull;
  h ^= ((uint64_t)bytes << 32 | insns) * 0xC2B2AE3D27D4EB4Full;
  return h ^ (h >> 29);
}

static int index_grow(void) {
  uint64_t cap = index_cap ? index_cap * 2 : 4096;
  uint32_t *slots = calloc(cap, sizeof *slots);
  if (!slots) return -1;
  for (uint64_t s = 0; s < index_cap; s++) {
    uint32_t v = index_slots[s];
    if (!v) continue;
    Record *r = record_at(v - 1);
    uint64_t j = hash_key(r->vaddr, r->bytes, r->insns) & (cap - 1);
    while (slots[j]) j = (j + 1) & (cap - 1);
    slots[j] = v;
  }
  free(index_slots);
  index_slots = slots;
  index_cap = cap;
  return 0;
}

/* Called with table_lock held. */
static Record *find_or_create(uint64_t vaddr, uint32_t bytes, uint32_t insns) {
  if ((uint64_t)(n_records + 1) * 2 > index_cap && index_grow() != 0) return NULL;
  uint64_t j = hash_key(vaddr, bytes, insns) & (index_cap - 1);
  for (;;) {
    uint32_t v = index_slots[j];
    if (!v) break;
    Record *r = record_at(v - 1);
    if (r->vaddr == vaddr && r->bytes == bytes && r->insns == insns) return r;
    j = (j + 1) & (index_cap - 1);
  }
  uint32_t i = n_records;
  if ((i >> CHUNK_BITS) >= MAX_CHUNKS) return NULL;
  if (!chunks[i >> CHUNK_BITS]) {
    chunks[i >> CHUNK_BITS] = calloc(CHUNK_SIZE, sizeof(Record));
    if (!chunks[i >> CHUNK_BITS]) return NULL;
  }
  Record *r = record_at(i);
  r->vaddr = vaddr;
  r->bytes = bytes;
  r->insns = insns;
  r->count = qemu_plugin_scoreboard_new(sizeof(uint64_t));
  r->id = i;
  r->insn_ends = NULL;
  r->mem[0] = r->mem[1] = 0;
  index_slots[j] = i + 1;
  __atomic_store_n(&n_records, i + 1, __ATOMIC_RELEASE);
  return r;
}

/* memory-aware runs */
static igm_sim *memsim;
static uint64_t (*observed)[2]; /* [first, last] address ranges of the data accesses fed; none: all */
static uint32_t n_observed;
static int skip_fetch; /* after_rewind took back the next TB's count: its bytes were fetched with the rewound TB */

static void feed_fetch(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  Record *r = (Record *)userdata;
  if (skip_fetch) {
    skip_fetch = 0;
    return;
  }
  memsim->sink = r->mem;
  igm_access(memsim, r->vaddr, r->bytes, IGM_FETCH);
}

/* One data access of an observed range to the simulator. A 16-byte access (AArch64 q registers) is fed as two
 * 8-byte ones, as the Unicorn backend sees it (its QEMU 5 core splits them), so both backends count the same L1D
 * accesses; lines, misses and bytes are the same either way. */
static inline void feed_access(uint64_t vaddr, uint64_t size, int kind) {
  if (n_observed) {
    uint32_t i = 0;
    while (i < n_observed && !(observed[i][0] <= vaddr && vaddr <= observed[i][1])) i++;
    if (i == n_observed) return;
  }
  for (uint64_t off = 0; off < size; off += 8) igm_access(memsim, vaddr + off, size < 8 ? size : 8, kind);
}

/* n contiguous accesses of `size` (<= 8) bytes from vaddr, as n feed_access calls would feed them */
static inline void feed_run(uint64_t vaddr, uint64_t size, uint64_t n, int kind) {
  if (!n_observed) {
    igm_access_run(memsim, vaddr, size, n, kind);
    return;
  }
  for (uint64_t i = 0; i < n; i++) feed_access(vaddr + i * size, size, kind);
}

static void feed_data(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
  (void)vcpu_index;
  (void)userdata;
  uint64_t size = 1u << qemu_plugin_mem_size_shift(info);
  int kind = qemu_plugin_mem_is_store(info) ? IGM_WRITE : IGM_READ;
  if (!n_observed && size <= 8) /* every address observed, one access: what feed_access would feed */
    igm_access(memsim, vaddr, size, kind);
  else
    feed_access(vaddr, size, kind);
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 == cap) {
      char *grown = realloc(buf, cap *= 2);
      if (!grown) free(buf);
      buf = grown;
    }
  }
  fclose(f);
  if (buf) buf[len] = 0;
  return buf;
}

static int load_observed(const char *path) {
  char *text = read_text(path);
  if (!text) return -1;
  unsigned long long a, b;
  int used;
  for (const char *p = text; sscanf(p, "%llu %llu%n", &a, &b, &used) == 2; p += used) {
    if (a > b) continue; /* "1 0": every address */
    uint64_t (*grown)[2] = realloc(observed, (n_observed + 1) * sizeof *observed);
    if (!grown) return -1;
    observed = grown;
    observed[n_observed][0] = a;
    observed[n_observed][1] = b;
    n_observed++;
  }
  free(text);
  return 0;
}

static inline uint64_t record_count(const Record *r) {
  return qemu_plugin_u64_sum(qemu_plugin_scoreboard_u64(r->count));
}

static uint64_t executed_instructions(uint32_t n) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    Record *r = record_at(i);
    total += (uint64_t)r->insns * record_count(r);
  }
  return total;
}

/* vl capture: one site per vsetvl* address, in a growing array (read only by the callback and at exit). */
typedef struct {
  uint64_t vaddr, executions, vl_sum;
  uint32_t vl_min, vl_max;
} VlSite;
static int capture_vl;
static VlSite *vl_sites;
static uint32_t n_vl_sites, cap_vl_sites;
static struct qemu_plugin_scoreboard *pending_site; /* per vCPU: site number + 1 of the vsetvl* just run */
static struct qemu_plugin_register *vl_reg;

/* Called with table_lock held. Returns the site number + 1, or 0 when out of memory. */
static uint32_t vl_site_for(uint64_t vaddr) {
  for (uint32_t i = 0; i < n_vl_sites; i++)
    if (vl_sites[i].vaddr == vaddr) return i + 1;
  if (n_vl_sites == cap_vl_sites) {
    uint32_t cap = cap_vl_sites ? cap_vl_sites * 2 : 64;
    VlSite *grown = realloc(vl_sites, cap * sizeof *grown);
    if (!grown) return 0;
    vl_sites = grown;
    cap_vl_sites = cap;
  }
  vl_sites[n_vl_sites] = (VlSite){vaddr, 0, 0, UINT32_MAX, 0};
  return ++n_vl_sites;
}

/* OP-V major opcode with funct3 = 111: vsetvli, vsetivli, vsetvl */
static int is_vsetvl(struct qemu_plugin_insn *insn) {
  uint8_t b[4];
  if (qemu_plugin_insn_size(insn) != 4 || qemu_plugin_insn_data(insn, b, 4) != 4) return 0;
  uint32_t w = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return (w & 0x7f) == 0x57 && ((w >> 12) & 7) == 7;
}

static void vector_vl_known(unsigned int vcpu_index, uint64_t vl);

static void read_vl(unsigned int vcpu_index, void *userdata) {
  (void)userdata;
  qemu_plugin_u64 pending = qemu_plugin_scoreboard_u64(pending_site);
  uint64_t site = qemu_plugin_u64_get(pending, vcpu_index);
  qemu_plugin_u64_set(pending, vcpu_index, 0);
  if (!vl_reg || site == 0) return;
  static __thread GByteArray *buf; /* one per vCPU thread, reused: this runs once per vsetvl* executed */
  if (!buf) buf = g_byte_array_sized_new(16);
  g_byte_array_set_size(buf, 0);
  int n = qemu_plugin_read_register(vl_reg, buf);
  uint64_t vl = 0;
  for (int i = 0; i < n && i < 8; i++) vl |= (uint64_t)buf->data[i] << (8 * i);
  if (n <= 0) return;
  vector_vl_known(vcpu_index, vl);
  pthread_mutex_lock(&table_lock);
  VlSite *s = &vl_sites[site - 1];
  s->executions++;
  s->vl_sum += vl;
  if (vl < s->vl_min) s->vl_min = (uint32_t)vl;
  if (vl > s->vl_max) s->vl_max = (uint32_t)vl;
  pthread_mutex_unlock(&table_lock);
}

/* RVV memory instructions in memory-aware runs. QEMU reports a vector load or store to plugins element by element
 * (one callback per element, every byte of a whole-register move), which made memory-aware RVV runs 2-5 times
 * slower than counted ones. The forms whose element addresses follow from registers are fed instead by one
 * callback per instruction, before it runs: it reads the base (and stride, vl, vtype, index registers) and feeds
 * the simulator the same element accesses, in the same order and sizes, as QEMU's per-element callbacks would
 * (tests/isa/test_qemu_backend.py compares both with vmem=elements). Masked, segment and fault-only-first accesses
 * keep the per-element callbacks: which elements they touch depends on a mask or on a fault. So do indexed accesses
 * with 64-bit indices: a vector register holds at most 8 of them (VLEN <= 512), and reading it through QEMU's
 * register API costs more than 8 element callbacks (docs/platform-qemu.md). The element loop
 * starts at element 0: vstart is 0 whenever a user-mode program executes a vector instruction (a fault ends it). */
enum { VM_UNIT = 1, VM_STRIDED, VM_INDEXED, VM_WHOLE, VM_MASK };
typedef struct {
  uint32_t word;     /* the instruction (0: free slot) */
  uint8_t kind;      /* VM_*, 0: fed per element */
  uint8_t store;
  uint8_t eew_shift; /* log2 bytes of the encoded EEW (the data's; an indexed access's index elements') */
  uint8_t nregs;     /* whole-register moves: registers moved */
  uint8_t rs1, rs2;  /* base register; stride register or index vector register vs2 */
} VecMem;
#define VEC_SLOTS 4096 /* distinct vector memory instruction words; beyond: per-element callbacks */
static VecMem vec_mem[VEC_SLOTS];
static int vmem_elements; /* vmem=elements: per-element callbacks everywhere (the reference the tests compare to) */
static struct qemu_plugin_register *x_reg[32], *v_reg[32], *vtype_reg, *vlenb_reg;
static int vec_regs_found;
static uint64_t vector_fed; /* executions of vector loads / stores fed by feed_vector */
/* vl and vtype change only at a vsetvl* or a fault-only-first load: each bumps this per-vCPU generation (an inline
 * add before it runs), and feed_vector reads vl again only when the generation moved since it (or read_vl, which
 * reads it after every vsetvl* in runs with vl=on) last did, and vtype only when an indexed access needs it */
static struct qemu_plugin_scoreboard *vec_generation;
static uint64_t vec_vl_generation = UINT64_MAX, vec_vtype_generation = UINT64_MAX, vec_vl, vec_vtype;
/* the base register value the previous recognised vector access of the running TB read: a later one with the same
 * base register and no instruction between them that may write an integer register takes it (tb_trans marks
 * those with bit 0 of their callback's userdata) instead of reading the register again */
static uint64_t vec_base;

static const char *const x_names[32] = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0",
                                        "a1",   "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                                        "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

static void find_vector_registers(GArray *regs) {
  int found = 0;
  for (guint i = 0; regs && i < regs->len; i++) {
    qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
    for (int k = 0; k < 32; k++) {
      char vname[4];
      snprintf(vname, sizeof vname, "v%d", k);
      if (!x_reg[k] && (strcmp(d->name, x_names[k]) == 0 || (k == 8 && strcmp(d->name, "s0") == 0))) {
        x_reg[k] = d->handle;
        found++;
      }
      if (!v_reg[k] && strcmp(d->name, vname) == 0) {
        v_reg[k] = d->handle;
        found++;
      }
    }
    if (strcmp(d->name, "vtype") == 0) vtype_reg = d->handle;
    if (strcmp(d->name, "vlenb") == 0) vlenb_reg = d->handle;
  }
  vec_regs_found = found == 64 && vtype_reg && vlenb_reg && vl_reg;
}

/* A vsetvl* or a fault-only-first vector load: the instructions that change vl (or vtype) */
static int changes_vl(uint32_t w) {
  uint32_t op = w & 0x7f, width = (w >> 12) & 7;
  if (op == 0x57 && width == 7) return 1;
  return op == 0x07 && (width == 0 || width >= 5) && ((w >> 26) & 3) == 0 && ((w >> 20) & 31) == 16;
}

/* The form of a RISC-V vector load / store word (LOAD-FP / STORE-FP with a vector width), or NULL: not one, or one
 * fed per element. Called with table_lock held. */
static const VecMem *vector_mem_form(uint32_t w) {
  uint32_t op = w & 0x7f, width = (w >> 12) & 7, nf = w >> 29, mew = (w >> 28) & 1, mop = (w >> 26) & 3;
  uint32_t vm = (w >> 25) & 1, lumop = (w >> 20) & 31;
  if ((op != 0x07 && op != 0x27) || !(width == 0 || width >= 5) || mew || !vm) return NULL;
  VecMem f = {w, 0, op == 0x27, (uint8_t)(width == 0 ? 0 : width - 4), 0, (uint8_t)((w >> 15) & 31),
              (uint8_t)lumop};
  if (mop == 0 && lumop == 0 && nf == 0) f.kind = VM_UNIT;
  else if (mop == 0 && lumop == 8 && (nf == 0 || nf == 1 || nf == 3 || nf == 7)) f.kind = VM_WHOLE, f.nregs = nf + 1;
  else if (mop == 0 && lumop == 11 && nf == 0 && width == 0) f.kind = VM_MASK;
  else if (mop == 2 && nf == 0) f.kind = VM_STRIDED;
  else if ((mop == 1 || mop == 3) && nf == 0 && width != 7) f.kind = VM_INDEXED; /* width 7: 64-bit indices */
  else return NULL;
  uint32_t j = (w * 2654435761u) >> 20; /* 12 bits: VEC_SLOTS */
  for (uint32_t probe = 0; probe < VEC_SLOTS; probe++, j = (j + 1) & (VEC_SLOTS - 1)) {
    if (vec_mem[j].word == w) return &vec_mem[j];
    if (vec_mem[j].word == 0) {
      vec_mem[j] = f;
      return &vec_mem[j];
    }
  }
  return NULL;
}

/* The little-endian number in the n (<= 8) bytes at p: one load on a little-endian host (these run per vector
 * access and per index element) */
static inline uint64_t le_bytes(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(&v, p, n);
#else
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
#endif
  return v;
}

/* A register's value (its first 8 bytes, little-endian). One buffer for all vCPUs: the callers are the RVV feed
 * (a memory-aware run feeds one simulator from one vCPU) and the semihosting guard (system mode, one vCPU); a
 * thread-local one cost a TLS lookup per read. */
static uint64_t read_reg(struct qemu_plugin_register *reg) {
  static GByteArray *buf;
  if (!buf) buf = g_byte_array_sized_new(64);
  g_byte_array_set_size(buf, 0);
  int n = qemu_plugin_read_register(reg, buf);
  return n > 0 ? le_bytes(buf->data, n < 8 ? (unsigned)n : 8) : 0;
}

/* Before a recognised vector load / store: its element accesses, as QEMU's per-element callbacks report them. */
static void feed_vector(unsigned int vcpu_index, void *userdata) {
  const VecMem *f = (const VecMem *)((uintptr_t)userdata & ~(uintptr_t)1);
  static uint64_t vlenb;
  vector_fed++;
  if (!vlenb) vlenb = read_reg(vlenb_reg);
  uint64_t generation = qemu_plugin_u64_get(qemu_plugin_scoreboard_u64(vec_generation), vcpu_index);
  if (generation != vec_vl_generation && f->kind != VM_WHOLE) {
    vec_vl = read_reg(vl_reg);
    vec_vl_generation = generation;
  }
  if (!((uintptr_t)userdata & 1)) vec_base = read_reg(x_reg[f->rs1]);
  int kind = f->store ? IGM_WRITE : IGM_READ;
  uint64_t base = vec_base, esz = 1u << f->eew_shift, n;
  switch (f->kind) {
  case VM_UNIT:
  case VM_WHOLE:
  case VM_MASK:
    n = f->kind == VM_UNIT ? vec_vl : f->kind == VM_WHOLE ? f->nregs * vlenb >> f->eew_shift : (vec_vl + 7) / 8;
    feed_run(base, esz, n, kind);
    return;
  case VM_STRIDED: {
    uint64_t stride = read_reg(x_reg[f->rs2]);
    n = vec_vl;
    if (!n_observed) { /* elements that share a line are counted together (igm_access_strided) */
      igm_access_strided(memsim, base, esz, (int64_t)stride, n, kind);
      return;
    }
    for (uint64_t i = 0; i < n; i++) feed_access(base + i * stride, esz, kind);
    return;
  }
  case VM_INDEXED: {
    /* data elements of SEW (vtype), offsets of the encoded EEW from the register group at vs2 */
    if (generation != vec_vtype_generation) {
      vec_vtype = read_reg(vtype_reg);
      vec_vtype_generation = generation;
    }
    uint64_t sew = 1u << ((vec_vtype >> 3) & 7);
    n = vec_vl;
    static GByteArray *idx; /* one vCPU feeds the simulator (read_reg) */
    if (!idx) idx = g_byte_array_sized_new(64);
    uint64_t need = n * esz;
    g_byte_array_set_size(idx, 0);
    for (uint32_t r = f->rs2; idx->len < need && r < 32; r++)
      if (qemu_plugin_read_register(v_reg[r], idx) <= 0) break;
    if (idx->len < need) n = idx->len / esz; /* cannot happen for a legal instruction */
    if (n_observed) {
      for (uint64_t i = 0; i < n; i++) feed_access(base + le_bytes(idx->data + i * esz, (unsigned)esz), sew, kind);
      return;
    }
    for (uint64_t i = 0; i < n; i++) /* SEW <= 64 bits: one access each, as feed_access would feed it */
      igm_access(memsim, base + le_bytes(idx->data + i * esz, (unsigned)esz), sew, kind);
    return;
  }
  }
}

/* read_vl read `vl` after a vsetvl*: the value feed_vector needs until the generation moves again */
static void vector_vl_known(unsigned int vcpu_index, uint64_t vl) {
  if (!vec_generation) return;
  vec_vl = vl;
  vec_vl_generation = qemu_plugin_u64_get(qemu_plugin_scoreboard_u64(vec_generation), vcpu_index);
}

/* Whether a 32-bit instruction leaves the integer registers alone: a vector arithmetic one that cannot write one
 * (OPMVV holds vmv.x.s, vcpop.m and vfirst.m; funct3 7 is vsetvl*) or any vector load / store */
static int keeps_x_regs(uint32_t w) {
  uint32_t op = w & 0x7f, funct3 = (w >> 12) & 7;
  if (op == 0x57) return funct3 != 2 && funct3 != 7;
  return (op == 0x07 || op == 0x27) && (funct3 == 0 || funct3 >= 5);
}

/* Semihosting guard (system mode): r0 = operation, r1 = argument of a `bkpt 0xab` */
static struct qemu_plugin_register *r0_reg, *r1_reg;

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu_index) {
  (void)id;
  (void)vcpu_index;
  if (vl_reg || r0_reg) return;
  GArray *regs = qemu_plugin_get_registers();
  for (guint i = 0; regs && i < regs->len; i++) {
    qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
    if (strcmp(d->name, "vl") == 0) vl_reg = d->handle;
    if (strcmp(d->name, "r0") == 0) r0_reg = d->handle;
    if (strcmp(d->name, "r1") == 0) r1_reg = d->handle;
  }
  if (memsim && !vmem_elements) find_vector_registers(regs);
  if (regs) g_array_free(regs, TRUE);
  if (capture_vl && !vl_reg) {
    qemu_plugin_outs("ig_tcg_counter: this CPU has no vl register; vl=on records nothing\n");
    fputs("ig_tcg_counter: this CPU has no vl register; vl=on records nothing\n", stderr);
  }
}

static void fail(const char *what) {
  char msg[512];
  snprintf(msg, sizeof msg, "ig_tcg_counter: %s: %s\n", what, strerror(errno));
  qemu_plugin_outs(msg);
  fputs(msg, stderr);
}

static void write_output(uint64_t flags) {
  uint32_t n = __atomic_load_n(&n_records, __ATOMIC_ACQUIRE);
  size_t len = strlen(out_path);
  char *tmp = malloc(len + 5);
  if (!tmp) return;
  memcpy(tmp, out_path, len);
  memcpy(tmp + len, ".tmp", 5);
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    fail("cannot open the output file");
    free(tmp);
    return;
  }
  static char buf[1 << 16];
  setvbuf(f, buf, _IOFBF, sizeof buf);
  /* check=tb: the callback's running total, which counts the TB that crossed the budget (its inline add may
   * not have run yet), as the Unicorn backend's native hook does */
  pthread_mutex_lock(&table_lock);
  uint64_t header[10] = {n, flags, check_tb ? cb_total : executed_instructions(n), budget,
                         __atomic_load_n(&n_translations, __ATOMIC_RELAXED), stop_vaddr, n_vl_sites,
                         memsim ? IGM_EXPORT_WORDS : 0, stop_detail, vector_fed};
  fwrite("IGTCG06", 1, 8, f);
  fwrite(header, sizeof header, 1, f);
  for (uint32_t i = 0; i < n; i++) {
    Record *r = record_at(i);
    struct {
      uint64_t vaddr;
      uint32_t bytes, insns;
      uint64_t count;
    } row = {r->vaddr, r->bytes, r->insns, record_count(r)};
    fwrite(&row, sizeof row, 1, f);
  }
  for (uint32_t i = 0; i < n_vl_sites; i++) {
    VlSite v = vl_sites[i];
    if (v.executions == 0) v.vl_min = 0;
    fwrite(&v, sizeof v, 1, f);
  }
  if (memsim) {
    for (uint32_t i = 0; i < n; i++) fwrite(record_at(i)->mem, sizeof(uint64_t), 2, f);
    uint64_t words[IGM_EXPORT_WORDS];
    igm_export(memsim, words);
    fwrite(words, sizeof words, 1, f);
  }
  pthread_mutex_unlock(&table_lock);
  if (fclose(f) != 0 || rename(tmp, out_path) != 0) fail("cannot write the output file");
  free(tmp);
}

static int claim_writer(void) {
  int expected = 0;
  return __atomic_compare_exchange_n(&written, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void stop_over_budget(uint64_t flags) {
  if (claim_writer()) {
    write_output(flags);
    fflush(NULL);
    _exit(EXIT_BUDGET);
  }
  for (;;) pause(); /* another thread is writing and will end the process */
}

/* SYS_OPEN's argument block names ":tt" (the console) with a mode below 12, as the Unicorn backend allows */
static int opens_the_console(uint32_t block) {
  GByteArray *b = g_byte_array_new();
  int ok = 0;
  if (qemu_plugin_read_memory_vaddr(block, b, 12) && b->len >= 12) {
    uint32_t name = 0, mode = 0, len = 0;
    memcpy(&name, b->data, 4);
    memcpy(&mode, b->data + 4, 4);
    memcpy(&len, b->data + 8, 4);
    g_byte_array_set_size(b, 0);
    ok = len == 3 && mode < 12 && qemu_plugin_read_memory_vaddr(name, b, 3) && b->len >= 3 &&
         memcmp(b->data, ":tt", 3) == 0;
  }
  g_byte_array_free(b, TRUE);
  return ok;
}

/* Before a `bkpt 0xab` runs: only the console calls may reach the host (QEMU runs semihosting on the host and
 * cannot be limited to the console). Anything else stops the run with flag bit 3, the pc and the operation. */
static void semihosting_check(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  if (!r0_reg || !r1_reg) return;
  uint32_t op = (uint32_t)read_reg(r0_reg);
  switch (op) {
  case 0x02: case 0x03: case 0x04: case 0x05: case 0x18: case 0x20:
    return; /* SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE (only console handles can exist), the exits */
  case 0x01:
    if (opens_the_console((uint32_t)read_reg(r1_reg))) return;
    break;
  default:
    break;
  }
  stop_vaddr = (uint64_t)(uintptr_t)userdata;
  stop_detail = op;
  stop_over_budget(8 | 2);
}

static void at_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  if (claim_writer()) {
    write_output(0);
    return;
  }
  /* The budget watcher is writing the output; it ends the process with _exit when done. */
  for (;;) pause();
}

/* I/O rewinds (see the top of the file) */
static int system_mode;
static struct qemu_plugin_scoreboard *current_tb; /* per vCPU: record number + 1 of the TB last entered */
typedef struct {
  uint64_t resume; /* address after the I/O instruction of a rewound TB (0: none pending) */
  uint64_t tb;     /* record number + 1 of the rewound TB */
  uint64_t part;   /* instructions of it that ran, the I/O one included */
} Rewind;
static struct qemu_plugin_scoreboard *rewinds; /* per vCPU Rewind */

/* The memory callback of a one-instruction TB: a rewind when the TB was entered without its exec store. */
static void io_rewind_check(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
  (void)info;
  (void)vaddr;
  Record *self = (Record *)userdata;
  qemu_plugin_u64 cur = qemu_plugin_scoreboard_u64(current_tb);
  uint64_t c = qemu_plugin_u64_get(cur, vcpu_index);
  if (c == self->id + 1u || c == 0) return; /* entered normally (its exec store ran), or nothing before */
  qemu_plugin_u64_set(cur, vcpu_index, self->id + 1u); /* once per execution, however many accesses */
  Record *t = record_at((uint32_t)(c - 1));
  uint64_t end = self->vaddr + self->bytes;
  uint32_t k = 0;
  while (t->insn_ends && k + 1 < t->insns && t->vaddr + t->insn_ends[k] != end) k++;
  if (!t->insn_ends || k + 1 >= t->insns || t->vaddr + t->insn_ends[k] != end) return; /* not inside t */
  Rewind *rw = qemu_plugin_scoreboard_find(rewinds, vcpu_index);
  rw->resume = end;
  rw->tb = c;
  rw->part = k + 1;
}

static Record *record_or_die(uint64_t vaddr, uint32_t bytes, uint32_t insns) {
  pthread_mutex_lock(&table_lock);
  Record *r = find_or_create(vaddr, bytes, insns);
  pthread_mutex_unlock(&table_lock);
  if (!r || !r->count) {
    errno = ENOMEM;
    fail("out of memory for block counters");
    abort();
  }
  return r;
}

/* The first TB after a rewind (a conditional callback, run only when one is pending). Usually it starts right
 * after the I/O instruction and ends within the rewound TB: then its instructions were already counted with
 * that TB, and its own count is taken back, so the blocks are those a run without the rewind would count (as
 * Unicorn's are). Otherwise (an exception came first, or it runs past the rewound TB's end) the rewound TB's
 * count moves to the record of the part of it that ran. */
static void after_rewind(unsigned int vcpu_index, void *userdata) {
  Record *next = (Record *)userdata;
  Rewind *rw = qemu_plugin_scoreboard_find(rewinds, vcpu_index);
  Record *t = record_at((uint32_t)(rw->tb - 1));
  uint64_t resume = rw->resume;
  uint32_t part = (uint32_t)rw->part;
  rw->resume = 0;
  qemu_plugin_u64 minus_one_on;
  uint64_t not_run;
  if (next->vaddr == resume && next->vaddr + next->bytes <= t->vaddr + t->bytes) {
    minus_one_on = qemu_plugin_scoreboard_u64(next->count);
    not_run = next->insns;
    skip_fetch = memsim != NULL;
  } else {
    Record *ran = record_or_die(t->vaddr, t->insn_ends[part - 1], part);
    qemu_plugin_u64_add(qemu_plugin_scoreboard_u64(ran->count), vcpu_index, 1);
    minus_one_on = qemu_plugin_scoreboard_u64(t->count);
    not_run = t->insns - part;
  }
  qemu_plugin_u64_add(minus_one_on, vcpu_index, (uint64_t)-1);
  if (check_tb) cb_total -= not_run;
}

/* check=tb with stop_ms: the wall-clock time after which the next TB entered stops the run (0: none) */
static uint64_t stop_ms;
static struct timespec stop_at;

static int time_is_up(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > stop_at.tv_sec || (now.tv_sec == stop_at.tv_sec && now.tv_nsec >= stop_at.tv_nsec);
}

static void tb_exec_check(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  Record *r = (Record *)userdata;
  static unsigned tbs;
  cb_total += r->insns;
  if (budget && cb_total > budget) {
    stop_vaddr = r->vaddr;
    stop_over_budget(1 | 2);
  }
  if (stop_ms && (++tbs & 1023) == 0 && time_is_up()) {
    stop_vaddr = r->vaddr;
    stop_over_budget(4 | 2);
  }
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
  /* A hint only: QEMU 7.2 misreports Thumb instruction metadata before a page boundary, so the backend
   * re-derives each block's bytes from its instruction count and the ELF's encodings. */
  uint32_t bytes = 0;
  for (size_t i = 0; i < n; i++) bytes += (uint32_t)qemu_plugin_insn_size(qemu_plugin_tb_get_insn(tb, i));
  uint32_t site = 0;
  struct qemu_plugin_insn *last = n ? qemu_plugin_tb_get_insn(tb, n - 1) : NULL;
  pthread_mutex_lock(&table_lock);
  Record *r = find_or_create(vaddr, bytes, (uint32_t)n);
  n_translations++;
  if (capture_vl && last && is_vsetvl(last)) site = vl_site_for(qemu_plugin_insn_vaddr(last));
  pthread_mutex_unlock(&table_lock);
  if (!r || !r->count || (capture_vl && last && is_vsetvl(last) && !site)) {
    errno = ENOMEM;
    fail("out of memory for block counters");
    abort();
  }
  if (system_mode) {
    if (!r->insn_ends) {
      uint32_t *ends = malloc(n * sizeof *ends);
      if (!ends) {
        errno = ENOMEM;
        fail("out of memory for block counters");
        abort();
      }
      uint64_t off = 0;
      for (size_t i = 0; i < n; i++) {
        off += qemu_plugin_insn_size(qemu_plugin_tb_get_insn(tb, i));
        ends[i] = (uint32_t)off;
      }
      __atomic_store_n(&r->insn_ends, ends, __ATOMIC_RELEASE);
    }
    qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, after_rewind, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_NE,
                                              qemu_plugin_scoreboard_u64_in_struct(rewinds, Rewind, resume), 0, r);
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_STORE_U64,
                                                      qemu_plugin_scoreboard_u64(current_tb), r->id + 1u);
    if (n == 1)
      qemu_plugin_register_vcpu_mem_cb(last, io_rewind_check, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, r);
    for (size_t i = 0; i < n; i++) {
      struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
      uint8_t b[2];
      if (qemu_plugin_insn_size(insn) == 2 && qemu_plugin_insn_data(insn, b, 2) == 2 && b[0] == 0xab && b[1] == 0xbe)
        qemu_plugin_register_vcpu_insn_exec_cb(insn, semihosting_check, QEMU_PLUGIN_CB_R_REGS,
                                               (void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
    }
  }
  if (capture_vl) {
    /* the vl of the vsetvl* that ended the previous TB is ready when this one starts */
    qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, read_vl, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_COND_NE,
                                              qemu_plugin_scoreboard_u64(pending_site), 0, NULL);
    if (site)
      qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(last, QEMU_PLUGIN_INLINE_STORE_U64,
                                                          qemu_plugin_scoreboard_u64(pending_site), site);
  }
  qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                                    qemu_plugin_scoreboard_u64(r->count), 1);
  if (memsim) {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, feed_fetch, QEMU_PLUGIN_CB_NO_REGS, r);
    int base_reg = -1; /* the base register the previous recognised vector access read, if unwritten since */
    for (size_t i = 0; i < n; i++) {
      struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
      const VecMem *vec = NULL;
      uint8_t b[4];
      uint32_t w = 0;
      if (vec_regs_found && qemu_plugin_insn_size(insn) == 4 && qemu_plugin_insn_data(insn, b, 4) == 4) {
        w = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        pthread_mutex_lock(&table_lock);
        vec = vector_mem_form(w);
        pthread_mutex_unlock(&table_lock);
        if (changes_vl(w))
          qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                              qemu_plugin_scoreboard_u64(vec_generation), 1);
      }
      if (vec) {
        uintptr_t reuse = vec->rs1 == base_reg;
        base_reg = vec->rs1;
        qemu_plugin_register_vcpu_insn_exec_cb(insn, feed_vector, QEMU_PLUGIN_CB_R_REGS,
                                               (void *)((uintptr_t)vec | reuse));
        continue;
      }
      if (!w || !keeps_x_regs(w)) base_reg = -1;
      qemu_plugin_register_vcpu_mem_cb(insn, feed_data, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
    }
  }
  if (check_tb && (budget || stop_ms))
    qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec_check, QEMU_PLUGIN_CB_NO_REGS, r);
}

static void *budget_watcher(void *arg) {
  (void)arg;
  struct timespec ts = {poll_us / 1000000u, (long)(poll_us % 1000000u) * 1000L};
  for (;;) {
    nanosleep(&ts, NULL);
    if (__atomic_load_n(&written, __ATOMIC_ACQUIRE)) return NULL;
    uint32_t n = __atomic_load_n(&n_records, __ATOMIC_ACQUIRE);
    if (executed_instructions(n) > budget) stop_over_budget(1 | 2);
  }
}

static int start_watcher(void) {
  /* QEMU user mode handles host signals per guest thread: keep every signal away from this thread. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t th;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&th, &attr, budget_watcher, NULL);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  system_mode = info->system_emulation;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "out=", 4) == 0) {
      out_path = strdup(a + 4);
    } else if (strncmp(a, "budget=", 7) == 0) {
      budget = strtoull(a + 7, NULL, 10);
    } else if (strcmp(a, "check=thread") == 0) {
      check_tb = 0;
    } else if (strcmp(a, "check=tb") == 0) {
      check_tb = 1;
    } else if (strncmp(a, "stop_ms=", 8) == 0) {
      stop_ms = strtoull(a + 8, NULL, 10);
      clock_gettime(CLOCK_MONOTONIC, &stop_at);
      stop_at.tv_sec += (time_t)(stop_ms / 1000);
      stop_at.tv_nsec += (long)(stop_ms % 1000) * 1000000L;
      if (stop_at.tv_nsec >= 1000000000L) {
        stop_at.tv_sec++;
        stop_at.tv_nsec -= 1000000000L;
      }
    } else if (strncmp(a, "memsim=", 7) == 0) {
      char *text = read_text(a + 7);
      int bad = 0;
      memsim = text ? igm_new_from_text(text, &bad) : NULL;
      free(text);
      if (!memsim) {
        fprintf(stderr, "ig_tcg_counter: the memory simulator refused %s (line %d)\n", a + 7, bad);
        return -1;
      }
    } else if (strncmp(a, "observe=", 8) == 0) {
      if (load_observed(a + 8) != 0) {
        fprintf(stderr, "ig_tcg_counter: cannot read %s\n", a + 8);
        return -1;
      }
    } else if (strcmp(a, "vmem=elements") == 0) {
      vmem_elements = 1;
    } else if (strcmp(a, "vl=on") == 0) {
      capture_vl = 1;
    } else if (strncmp(a, "poll_us=", 8) == 0) {
      poll_us = (unsigned)strtoul(a + 8, NULL, 10);
      if (poll_us == 0) poll_us = 1;
    } else {
      fprintf(stderr, "ig_tcg_counter: unknown argument %s\n", a);
      return -1;
    }
  }
  if (!out_path) {
    fprintf(stderr, "ig_tcg_counter: missing out=PATH argument\n");
    return -1;
  }
  if (budget && !check_tb && start_watcher() != 0) {
    fprintf(stderr, "ig_tcg_counter: cannot start the budget watcher thread\n");
    return -1;
  }
  if (system_mode) {
    current_tb = qemu_plugin_scoreboard_new(sizeof(uint64_t));
    rewinds = qemu_plugin_scoreboard_new(sizeof(Rewind));
  }
  if (capture_vl) pending_site = qemu_plugin_scoreboard_new(sizeof(uint64_t));
  if (memsim) vec_generation = qemu_plugin_scoreboard_new(sizeof(uint64_t));
  if (capture_vl || system_mode || memsim) qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
