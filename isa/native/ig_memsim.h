/* ig_memsim.h: the cache and memory simulator behind intgap's memory-aware estimates (docs/memory-models.md).
 *
 * Header-only C11 (static inline, no dependencies beyond libc): included by the Unicorn block counter
 * (ig_block_counter.c) and by QEMU plugins. Configured from a small text (igm_new_from_text), which Python writes
 * from a board (isa/memory_config.py) and a plugin reads from a file.
 *
 * What it models
 *  - L1I and L1D (split), L2 and L3 (unified, shared by both sides): set-associative, true LRU (1 way =
 *    direct-mapped), write-back write-allocate or write-through no-allocate per level; one line size for the
 *    whole hierarchy.
 *  - A prefetcher per level: next-line of degree d, either always (on every demand miss and on the first demand
 *    hit of a prefetched line: "tagged") or only on a stream: a miss whose previous line is cached (stride 1 line),
 *    or a miss at a constant stride of 2..IGM_MAX_STRIDE lines from the two misses before it in that stream (a GEMV
 *    reading a weight block in slices of one line at a 2-4 line stride: the stride detectors of the cores' data
 *    prefetchers see it, a next-line detector never would). The first demand hit of a prefetched line fetches the
 *    next d lines at its stride. A prefetch fetches from the levels below (bytes counted) and costs no stall: a
 *    prefetched line that is used is a hit.
 *  - Backing memories by address range (regions): cached ones (DRAM, or flash behind an M7's L1) are reached
 *    through the caches line by line; uncached ones (MCU flash, SRAM, TCM) per access, optionally through
 *    memory-side line caches for instruction and data reads (the STM32 ART accelerator).
 *  - Stalls: a demand load or instruction fetch pays the `stall` of the level or memory that served it (its
 *    load-to-use latency minus the L1 hit latency the pipeline model already charges); stores retire into a
 *    write buffer and never stall, but their bytes (fills, write-backs, write-throughs) are counted.
 * Counters per cache: accesses, hits, misses, prefetches issued / useful, write-backs, bytes in from below,
 * stall cycles it served; per memory: reads, writes, bytes read / written, stall cycles; per region the lowest
 * address touched. `sink`, when set, points at the current basic block's record {stall cycles, bytes from
 * memories}: the caller sets it at each block start.
 */
#ifndef IG_MEMSIM_H
#define IG_MEMSIM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IGM_LEVELS 4 /* 0 L1I, 1 L1D, 2 L2, 3 L3 */
#define IGM_MAX_MEMS 8
#define IGM_MAX_REGIONS 16
#define IGM_CACHES (IGM_LEVELS + 2 * IGM_MAX_MEMS) /* levels, then each memory's I and D side caches */
#define IGM_CACHE_COUNTERS 8
#define IGM_MEM_COUNTERS 5
#define IGM_EXPORT_WORDS (IGM_CACHES * IGM_CACHE_COUNTERS + IGM_MAX_MEMS * IGM_MEM_COUNTERS + IGM_MAX_REGIONS + 1)

enum { IGM_L1I = 0, IGM_L1D = 1, IGM_L2 = 2, IGM_L3 = 3 };
enum { IGM_PF_NONE = 0, IGM_PF_ALWAYS = 1, IGM_PF_STREAM = 2 };
enum { IGM_FETCH = 0, IGM_READ = 1, IGM_WRITE = 2 };
enum { IGM_VALID = 1, IGM_DIRTY = 2, IGM_PREFETCHED = 4 };
#define IGM_NO_LINE UINT64_MAX /* the tag of an invalid way: no address shifted right by a line shift gives it */

typedef struct {
  uint32_t present, size, ways, line;
  uint32_t stall;         /* stall cycles of a demand access this cache serves */
  uint32_t write_through; /* 0: write-back write-allocate, 1: write-through no-allocate */
  uint32_t prefetch, degree;
} igm_cache_cfg;

typedef struct {
  uint32_t cached; /* 1: reached through L1/L2/L3 */
  uint32_t stall;  /* stall cycles of a demand access (uncached) or a line fill (cached) it serves */
  igm_cache_cfg side[2]; /* uncached memories: line caches for instruction fetches [0] and data reads [1] */
} igm_mem_cfg;

typedef struct {
  uint64_t base, end;
  uint32_t mem;
} igm_region_cfg;

typedef struct {
  igm_cache_cfg level[IGM_LEVELS];
  igm_mem_cfg mem[IGM_MAX_MEMS];
  igm_region_cfg region[IGM_MAX_REGIONS];
  uint32_t n_mems, n_regions, default_mem;
} igm_config;

typedef struct {
  uint64_t accesses, hits, misses, pf_issued, pf_useful, writebacks, bytes_in, stall;
} igm_cache_stats;

typedef struct {
  uint64_t reads, writes, read_bytes, write_bytes, stall;
} igm_mem_stats;

typedef struct {
  uint64_t tag; /* line number (address >> line shift); IGM_NO_LINE while invalid */
  uint64_t stamp;
  uint32_t flags;
  uint32_t stride; /* a prefetched line's stream stride in lines: its first demand hit prefetches at it */
} igm_way;

#define IGM_MAX_STRIDE 4 /* lines: the widest stride the stream detector trains on (ARM's small cores: 4) */
#define IGM_MISS_TRACK 16 /* recent demand misses per cache the stride detector compares a miss with */

typedef struct {
  uint64_t line;   /* IGM_NO_LINE: unused */
  uint32_t stride; /* lines from the miss before it in its stream (0: none seen yet) */
} igm_miss;

#define IGM_HINTS 64 /* way hints per cache, indexed by the line's low bits */

typedef struct {
  igm_cache_cfg cfg;
  uint32_t shift;
  uint32_t no_hints; /* 1: search every set in full (the tests' reference for the hints) */
  uint64_t set_mask;
  uint64_t clock;
  igm_way *ways;
  /* hint[t % IGM_HINTS]: the way line t was last found in or filled into (NULL: none yet). A cache holds a line in one
   * way at most (it fills a line only after a search missed it), so a hinted way whose tag is t is the way a full
   * search would find: the hint saves the search of a 16-way L2 set for the lines a stream prefetched there and then
   * reads (and the prefetcher's checks of lines it fetched already), and never changes an answer. */
  igm_way *hint[IGM_HINTS];
  igm_miss miss[IGM_MISS_TRACK]; /* the stride detector's recent demand misses (a ring) */
  uint32_t miss_next;
  igm_cache_stats st;
} igm_cache;

typedef struct {
  igm_config cfg;
  igm_cache cache[IGM_CACHES];
  igm_mem_stats mst[IGM_MAX_MEMS];
  int path[2][IGM_LEVELS]; /* cache indices an instruction fetch [0] / a data access [1] goes through */
  int path_len[2];
  uint32_t line_shift; /* of the hierarchy (all levels share it) */
  uint32_t last_region;
  uint64_t region_low[IGM_MAX_REGIONS]; /* lowest address touched in each region (the stack's depth) */
  igm_way *last_way[2]; /* the L1 way the previous access of each side hit or filled: the fast path */
  igm_way *l1_way;       /* the L1 way the current demand access hit or filled (NULL: none), for last_way */
  uint64_t last_lo[2], last_hi[2]; /* the address range of the region that access was in */
  uint64_t *sink; /* the current block's {stall cycles, bytes from memories}, or NULL */
  uint64_t stall_total;
} igm_sim;

static inline int igm_log2(uint64_t v) {
  int k = 0;
  while ((1ull << k) < v) k++;
  return ((1ull << k) == v) ? k : -1;
}

static inline int igm_cache_init(igm_cache *c, const igm_cache_cfg *cfg) {
  memset(c, 0, sizeof *c);
  c->cfg = *cfg;
  if (!cfg->present) return 0;
  if (!cfg->ways || !cfg->line || cfg->size % (cfg->ways * cfg->line)) return -1;
  uint64_t sets = cfg->size / ((uint64_t)cfg->ways * cfg->line);
  int s = igm_log2(cfg->line);
  if (s < 0 || igm_log2(sets) < 0) return -1;
  c->shift = (uint32_t)s;
  c->set_mask = sets - 1;
  c->ways = (igm_way *)calloc(sets * cfg->ways, sizeof(igm_way));
  if (!c->ways) return -1;
  for (uint64_t i = 0; i < sets * cfg->ways; i++) c->ways[i].tag = IGM_NO_LINE;
  for (int i = 0; i < IGM_MISS_TRACK; i++) c->miss[i].line = IGM_NO_LINE;
  return 0;
}

/* The way holding line `tag`, or NULL (an invalid way's tag matches no line: one compare per way). */
static inline igm_way *igm_find(igm_cache *c, uint64_t tag) {
  igm_way **h = &c->hint[tag % IGM_HINTS];
  if (*h && (*h)->tag == tag) return *h;
  igm_way *w = c->ways + (tag & c->set_mask) * c->cfg.ways;
  for (uint32_t i = 0; i < c->cfg.ways; i++)
    if (w[i].tag == tag) {
      if (!c->no_hints) *h = &w[i];
      return &w[i];
    }
  return NULL;
}

/* Line `tag` now lives in way w (a fill): the hint for its next search */
static inline void igm_hint(igm_cache *c, uint64_t tag, igm_way *w) {
  if (!c->no_hints) c->hint[tag % IGM_HINTS] = w;
}

/* The first invalid way of line `tag`'s set, else its LRU way: the first way with the lowest stamp (an invalid way's
 * stamp is 0, a valid one's at least 1). */
static inline igm_way *igm_victim(igm_cache *c, uint64_t tag) {
  igm_way *w = c->ways + (tag & c->set_mask) * c->cfg.ways, *v = w;
  for (uint32_t i = 1; i < c->cfg.ways; i++)
    if (w[i].stamp < v->stamp) v = &w[i];
  return v;
}

/* igm_find and, when it finds nothing, igm_victim's answer in *victim: one pass over the set (a miss path searches
 * the set and then picks a victim in it; nothing between the two changes this cache) */
static inline igm_way *igm_find_or_victim(igm_cache *c, uint64_t tag, igm_way **victim) {
  igm_way **h = &c->hint[tag % IGM_HINTS];
  if (*h && (*h)->tag == tag) return *h;
  igm_way *w = c->ways + (tag & c->set_mask) * c->cfg.ways, *v = w;
  if (w->tag == tag) return w;
  for (uint32_t i = 1; i < c->cfg.ways; i++) {
    if (w[i].tag == tag) {
      if (!c->no_hints) *h = &w[i];
      return &w[i];
    }
    if (w[i].stamp < v->stamp) v = &w[i];
  }
  *victim = v;
  return NULL;
}

static inline void igm_mem_bytes(igm_sim *s, uint32_t m, uint64_t bytes, int write) {
  if (write) {
    s->mst[m].writes++;
    s->mst[m].write_bytes += bytes;
  } else {
    s->mst[m].reads++;
    s->mst[m].read_bytes += bytes;
  }
  if (s->sink) s->sink[1] += bytes;
}

static inline uint32_t igm_read_line(igm_sim *s, int side, int i, uint64_t tag, uint32_t m, int demand);

static inline void igm_write_line(igm_sim *s, int side, int i, uint64_t tag, uint32_t m, uint64_t bytes, int full);

static inline void igm_prefetch(igm_sim *s, int side, int i, uint64_t tag, uint32_t m, uint32_t stride) {
  igm_cache *c = &s->cache[s->path[side][i]];
  for (uint32_t d = 1; d <= c->cfg.degree; d++) {
    uint64_t t = tag + (uint64_t)d * stride;
    igm_way *v;
    if (igm_find_or_victim(c, t, &v)) continue;
    c->st.pf_issued++;
    igm_read_line(s, side, i + 1, t, m, 0); /* touches only the levels below c */
    if ((v->flags & (IGM_VALID | IGM_DIRTY)) == (IGM_VALID | IGM_DIRTY)) {
      c->st.writebacks++;
      igm_write_line(s, side, i + 1, v->tag, m, 1ull << s->line_shift, 1);
    }
    v->tag = t;
    v->flags = IGM_VALID | IGM_PREFETCHED;
    v->stride = stride;
    v->stamp = ++c->clock;
    igm_hint(c, t, v);
    c->st.bytes_in += 1ull << s->line_shift;
  }
}

/* The stream prefetcher's detector on a demand miss of line `tag`: the stride in lines to prefetch at, or 0 (no
 * stream). Stride 1: the previous line is cached. Else a recent miss 2..IGM_MAX_STRIDE lines before it that was
 * itself that far from the miss before it (two equal steps: a stream) gives the stride; the miss replaces it in the
 * table (or takes the oldest slot, with the distance to the nearest recent miss before it as a first step). */
static inline uint32_t igm_stream_stride(igm_cache *c, uint64_t tag) {
  if (tag && igm_find(c, tag - 1)) return 1;
  igm_miss *near = NULL;
  for (int k = 0; k < IGM_MISS_TRACK; k++) {
    igm_miss *e = &c->miss[k];
    if (e->line == IGM_NO_LINE || e->line >= tag || tag - e->line > IGM_MAX_STRIDE || tag - e->line < 2) continue;
    if (e->stride == tag - e->line) { /* the stream's third miss at this stride */
      e->line = tag;
      return e->stride;
    }
    if (!near || e->line > near->line) near = e;
  }
  if (near) {
    near->stride = (uint32_t)(tag - near->line);
    near->line = tag;
  } else {
    igm_miss *e = &c->miss[c->miss_next++ % IGM_MISS_TRACK];
    e->line = tag;
    e->stride = 0;
  }
  return 0;
}

/* Reads line `tag` at path position i (of side 0 fetch / 1 data); returns the stall of the level that served it. */
static inline uint32_t igm_read_line(igm_sim *s, int side, int i, uint64_t tag, uint32_t m, int demand) {
  if (i >= s->path_len[side]) {
    igm_mem_bytes(s, m, 1ull << s->line_shift, 0);
    if (demand) s->mst[m].stall += s->cfg.mem[m].stall;
    return s->cfg.mem[m].stall;
  }
  igm_cache *c = &s->cache[s->path[side][i]];
  if (demand) c->st.accesses++;
  igm_way *v = NULL, *w = igm_find_or_victim(c, tag, &v);
  if (i == 0) s->l1_way = w;
  if (w) {
    w->stamp = ++c->clock;
    if (!demand) return 0;
    c->st.hits++;
    c->st.stall += c->cfg.stall;
    if (w->flags & IGM_PREFETCHED) {
      w->flags &= ~(uint32_t)IGM_PREFETCHED;
      c->st.pf_useful++;
      if (c->cfg.prefetch) igm_prefetch(s, side, i, tag, m, w->stride ? w->stride : 1);
    }
    return c->cfg.stall;
  }
  if (demand) c->st.misses++;
  uint32_t st = igm_read_line(s, side, i + 1, tag, m, demand); /* touches only the levels below c */
  if ((v->flags & (IGM_VALID | IGM_DIRTY)) == (IGM_VALID | IGM_DIRTY)) {
    c->st.writebacks++;
    igm_write_line(s, side, i + 1, v->tag, m, 1ull << s->line_shift, 1);
  }
  v->tag = tag;
  v->flags = IGM_VALID;
  v->stamp = ++c->clock;
  igm_hint(c, tag, v);
  if (i == 0) s->l1_way = v;
  c->st.bytes_in += 1ull << s->line_shift;
  if (demand && c->cfg.prefetch) {
    uint32_t stride = c->cfg.prefetch == IGM_PF_ALWAYS ? 1 : igm_stream_stride(c, tag);
    if (stride) igm_prefetch(s, side, i, tag, m, stride);
  }
  return st;
}

/* Writes `bytes` of line `tag` at path position i: a demand store (full = 0) or a write-back of a whole line. */
static inline void igm_write_line(igm_sim *s, int side, int i, uint64_t tag, uint32_t m, uint64_t bytes, int full) {
  if (i >= s->path_len[side]) {
    igm_mem_bytes(s, m, bytes, 1);
    return;
  }
  igm_cache *c = &s->cache[s->path[side][i]];
  if (!full) c->st.accesses++;
  igm_way *v = NULL, *w = igm_find_or_victim(c, tag, &v);
  if (i == 0) s->l1_way = w;
  if (w) {
    w->stamp = ++c->clock;
    if (!full) c->st.hits++;
    if (w->flags & IGM_PREFETCHED) {
      w->flags &= ~(uint32_t)IGM_PREFETCHED;
      c->st.pf_useful++;
    }
    if (c->cfg.write_through)
      igm_write_line(s, side, i + 1, tag, m, bytes, full);
    else
      w->flags |= IGM_DIRTY;
    return;
  }
  if (!full) c->st.misses++;
  if (c->cfg.write_through) {
    igm_write_line(s, side, i + 1, tag, m, bytes, full);
    return;
  }
  if (!full) igm_read_line(s, side, i + 1, tag, m, 0); /* write-allocate: fetch the rest of the line */
  if ((v->flags & (IGM_VALID | IGM_DIRTY)) == (IGM_VALID | IGM_DIRTY)) {
    c->st.writebacks++;
    igm_write_line(s, side, i + 1, v->tag, m, 1ull << s->line_shift, 1);
  }
  v->tag = tag;
  v->flags = IGM_VALID | IGM_DIRTY;
  v->stamp = ++c->clock;
  igm_hint(c, tag, v);
  if (i == 0) s->l1_way = v;
  if (!full) c->st.bytes_in += 1ull << s->line_shift;
}

/* An uncached memory's read through its side line cache (or directly); returns the stall. */
static inline uint32_t igm_uncached_read(igm_sim *s, uint32_t m, int side, uint64_t addr, uint64_t size) {
  igm_cache *c = &s->cache[IGM_LEVELS + 2 * m + side];
  uint32_t stall = s->cfg.mem[m].stall, total = 0;
  if (!c->cfg.present) {
    igm_mem_bytes(s, m, size, 0);
    s->mst[m].stall += stall;
    return stall;
  }
  uint64_t first = addr >> c->shift, last = (addr + size - 1) >> c->shift;
  for (uint64_t tag = first; tag <= last; tag++) {
    c->st.accesses++;
    igm_way *w = igm_find(c, tag);
    if (w) {
      c->st.hits++;
      w->stamp = ++c->clock;
      if (w->flags & IGM_PREFETCHED) {
        w->flags &= ~(uint32_t)IGM_PREFETCHED;
        c->st.pf_useful++;
      } else {
        continue;
      }
    } else {
      c->st.misses++;
      c->st.stall += stall;
      s->mst[m].stall += stall;
      total += stall;
      igm_mem_bytes(s, m, c->cfg.line, 0);
      c->st.bytes_in += c->cfg.line;
      w = igm_victim(c, tag);
      w->tag = tag;
      w->flags = IGM_VALID;
      w->stamp = ++c->clock;
      igm_hint(c, tag, w);
      if (!(c->cfg.prefetch == IGM_PF_ALWAYS || (c->cfg.prefetch == IGM_PF_STREAM && tag && igm_find(c, tag - 1))))
        continue;
    }
    for (uint32_t d = 1; d <= c->cfg.degree; d++) { /* next-line prefetch from the memory */
      uint64_t t = tag + d;
      if (igm_find(c, t)) continue;
      c->st.pf_issued++;
      igm_mem_bytes(s, m, c->cfg.line, 0);
      c->st.bytes_in += c->cfg.line;
      igm_way *v = igm_victim(c, t);
      v->tag = t;
      v->flags = IGM_VALID | IGM_PREFETCHED;
      v->stamp = ++c->clock;
      igm_hint(c, t, v);
    }
  }
  return total;
}

static inline uint32_t igm_region_of(igm_sim *s, uint64_t addr) {
  uint32_t k = s->last_region;
  const igm_region_cfg *r = &s->cfg.region[k];
  if (s->cfg.n_regions && r->base <= addr && addr < r->end) {
    if (addr < s->region_low[k]) s->region_low[k] = addr;
    return r->mem;
  }
  for (uint32_t i = 0; i < s->cfg.n_regions; i++) {
    r = &s->cfg.region[i];
    if (r->base <= addr && addr < r->end) {
      s->last_region = i;
      if (addr < s->region_low[i]) s->region_low[i] = addr;
      return r->mem;
    }
  }
  return s->cfg.default_mem;
}

static uint32_t igm_access_lines(igm_sim *s, uint64_t addr, uint64_t size, int kind);

/* One access of `size` bytes at `addr`: kind IGM_FETCH, IGM_READ or IGM_WRITE. Returns its stall cycles. Inline:
 * the fast path below; the rest is igm_access_lines. */
static inline uint32_t igm_access(igm_sim *s, uint64_t addr, uint64_t size, int kind) {
  if (!size) return 0;
  int side = kind == IGM_FETCH ? 0 : 1;
  igm_way *lw = s->last_way[side];
  /* Fast path: the same L1 line as this side's previous access is that set's most recent line already, so a hit on
   * it changes no LRU order (a write-through store still goes below; a prefetched line takes the slow path). The
   * access must be in the same region too: a line's bytes may belong to two memories. */
  if (lw && lw->tag == addr >> s->line_shift && lw->tag == (addr + size - 1) >> s->line_shift &&
      s->last_lo[side] <= addr && addr + size - 1 <= s->last_hi[side] &&
      (lw->flags & (IGM_VALID | IGM_PREFETCHED)) == IGM_VALID) {
    igm_cache *c = &s->cache[s->path[side][0]];
    if (kind != IGM_WRITE || !c->cfg.write_through) {
      c->st.accesses++;
      c->st.hits++;
      if (kind == IGM_WRITE) lw->flags |= IGM_DIRTY;
      return 0;
    }
  }
  return igm_access_lines(s, addr, size, kind);
}

/* igm_access past its fast path: the access's memory, then its lines through the caches */
static uint32_t igm_access_lines(igm_sim *s, uint64_t addr, uint64_t size, int kind) {
  int side = kind == IGM_FETCH ? 0 : 1;
  uint32_t m = igm_region_of(s, addr), stall = 0;
  if (!s->cfg.mem[m].cached) {
    if (kind == IGM_WRITE) {
      igm_mem_bytes(s, m, size, 1); /* buffered: no stall */
      return 0;
    }
    stall = igm_uncached_read(s, m, side, addr, size);
  } else {
    uint64_t first = addr >> s->line_shift, last = (addr + size - 1) >> s->line_shift;
    igm_cache *l1 = s->path_len[side] ? &s->cache[s->path[side][0]] : NULL;
    igm_way *hit = first == last && l1 ? igm_find(l1, first) : NULL;
    if (hit && !(hit->flags & IGM_PREFETCHED) && (kind != IGM_WRITE || !l1->cfg.write_through)) {
      /* one line, an L1 hit that starts no prefetch and goes no lower: what igm_read_line / igm_write_line do at
       * level 0, without their calls and second search */
      l1->st.accesses++;
      l1->st.hits++;
      hit->stamp = ++l1->clock;
      if (kind == IGM_WRITE) {
        hit->flags |= IGM_DIRTY;
      } else {
        stall = l1->cfg.stall;
        l1->st.stall += stall;
      }
      s->l1_way = hit;
    } else for (uint64_t tag = first; tag <= last; tag++) {
      if (kind == IGM_WRITE) {
        uint64_t lo = tag << s->line_shift, hi = lo + (1ull << s->line_shift);
        uint64_t a = addr > lo ? addr : lo, b = addr + size < hi ? addr + size : hi;
        igm_write_line(s, side, 0, tag, m, b - a, 0);
      } else {
        stall += igm_read_line(s, side, 0, tag, m, 1);
      }
    }
    if (s->path_len[side]) {
      /* the way of line `last` (igm_find's answer without a second search): a prefetch after its fill may have
       * evicted it from a direct-mapped set, hence the tag check */
      igm_way *w = s->l1_way;
      s->last_way[side] = w && (w->flags & IGM_VALID) && w->tag == last ? w : NULL;
      const igm_region_cfg *r = &s->cfg.region[s->last_region];
      int in_region = s->cfg.n_regions && r->base <= addr && addr < r->end && r->mem == m;
      s->last_lo[side] = in_region ? r->base : 0;
      s->last_hi[side] = in_region ? r->end - 1 : (s->cfg.n_regions ? 0 : UINT64_MAX);
    }
  }
  s->stall_total += stall;
  if (s->sink) s->sink[0] += stall;
  return stall;
}

/* n accesses of `size` bytes each at addr, addr + stride, addr + 2 * stride, ... (a vector load / store's elements,
 * stride in bytes, may be 0 or negative): exactly what n igm_access calls in that order give, at a cost per line:
 * after an element, the next ones that lie wholly in the same L1 line (and region) as it, which igm_access's fast path
 * would take one by one, are counted together. Returns their stall cycles. */
static inline uint32_t igm_access_strided(igm_sim *s, uint64_t addr, uint64_t size, int64_t stride, uint64_t n,
                                          int kind) {
  int side = kind == IGM_FETCH ? 0 : 1;
  uint32_t stall = 0;
  for (uint64_t i = 0; i < n;) {
    uint64_t b = addr + i * (uint64_t)stride;
    stall += igm_access(s, b, size, kind);
    i++;
    igm_way *lw = s->last_way[side];
    if (!size || i == n || !lw || (lw->flags & (IGM_VALID | IGM_PREFETCHED)) != IGM_VALID) continue;
    if (kind == IGM_WRITE && s->cache[s->path[side][0]].cfg.write_through) continue;
    /* the element just fed lies in lw's line (igm_access's fast path or its fill); the next ones that do too, and lie
     * in the region of the last slow-path access, would each take the fast path */
    uint64_t lo = lw->tag << s->line_shift, hi = lo + ((1ull << s->line_shift) - 1);
    if (lo < s->last_lo[side]) lo = s->last_lo[side];
    if (hi > s->last_hi[side]) hi = s->last_hi[side];
    if (b < lo || b > hi || hi - b + 1 < size) continue;
    uint64_t k; /* how many of the following elements stay in [lo, hi] */
    if (stride == 0) {
      k = n - i;
    } else if (stride > 0) {
      k = (hi - b + 1 - size) / (uint64_t)stride;
    } else {
      k = (b - lo) / (uint64_t)(-stride);
    }
    if (k > n - i) k = n - i;
    if (!k) continue;
    igm_cache *c = &s->cache[s->path[side][0]];
    c->st.accesses += k;
    c->st.hits += k;
    if (kind == IGM_WRITE) lw->flags |= IGM_DIRTY;
    i += k;
  }
  return stall;
}

/* n contiguous accesses of `size` bytes each from addr (a unit-stride vector access) */
static inline uint32_t igm_access_run(igm_sim *s, uint64_t addr, uint64_t size, uint64_t n, int kind) {
  return igm_access_strided(s, addr, size, (int64_t)size, n, kind);
}

static inline void igm_free(igm_sim *s) {
  if (!s) return;
  for (int i = 0; i < IGM_CACHES; i++) free(s->cache[i].ways);
  free(s);
}

/* A simulator for `cfg`; NULL if a cache's geometry is not a power of two or the line sizes of the levels differ. */
static inline igm_sim *igm_new(const igm_config *cfg) {
  igm_sim *s = (igm_sim *)calloc(1, sizeof(igm_sim));
  if (!s) return NULL;
  s->cfg = *cfg;
  if (cfg->n_mems == 0 || cfg->n_mems > IGM_MAX_MEMS || cfg->n_regions > IGM_MAX_REGIONS ||
      cfg->default_mem >= cfg->n_mems)
    goto fail;
  for (int i = 0; i < IGM_LEVELS; i++)
    if (igm_cache_init(&s->cache[i], &cfg->level[i]) != 0) goto fail;
  for (uint32_t m = 0; m < IGM_MAX_MEMS; m++)
    for (int k = 0; k < 2; k++)
      if (igm_cache_init(&s->cache[IGM_LEVELS + 2 * m + k], &cfg->mem[m].side[k]) != 0) goto fail;
  for (uint32_t r = 0; r < cfg->n_regions; r++)
    if (cfg->region[r].mem >= cfg->n_mems) goto fail;
  uint32_t line = 0;
  for (int side = 0; side < 2; side++) {
    int n = 0;
    int order[3] = {side == 0 ? IGM_L1I : IGM_L1D, IGM_L2, IGM_L3};
    for (int k = 0; k < 3; k++) {
      const igm_cache_cfg *c = &cfg->level[order[k]];
      if (!c->present) continue;
      if (line && c->line != line) goto fail;
      line = c->line;
      s->path[side][n++] = order[k];
    }
    s->path_len[side] = n;
  }
  s->line_shift = line ? (uint32_t)igm_log2(line) : 6;
  for (int r = 0; r < IGM_MAX_REGIONS; r++) s->region_low[r] = UINT64_MAX;
  return s;
fail:
  igm_free(s);
  return NULL;
}

/* The text form (one item per line, '#' starts a comment):
 *   level <0-3> <size> <ways> <line> <stall> <write_through> <prefetch> <degree>
 *   mem <index> <cached> <stall>
 *   side <mem> <0 fetch|1 data> <size> <ways> <line> <prefetch> <degree>
 *   region <base> <end> <mem>          (numbers in decimal or 0x hex)
 *   default_mem <mem>
 * Returns 0, or the 1-based number of the first line it cannot read. */
static inline int igm_parse(igm_config *cfg, const char *text) {
  memset(cfg, 0, sizeof *cfg);
  int lineno = 0;
  const char *p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t n = eol ? (size_t)(eol - p) : strlen(p);
    char buf[256], key[16];
    lineno++;
    if (n >= sizeof buf) return lineno;
    memcpy(buf, p, n);
    buf[n] = 0;
    p += n + (eol ? 1 : 0);
    char *hash = strchr(buf, '#');
    if (hash) *hash = 0;
    unsigned long long v[8] = {0};
    int got = sscanf(buf, "%15s %lli %lli %lli %lli %lli %lli %lli %lli", key, (long long *)&v[0], (long long *)&v[1],
                     (long long *)&v[2], (long long *)&v[3], (long long *)&v[4], (long long *)&v[5],
                     (long long *)&v[6], (long long *)&v[7]);
    if (got <= 0) continue; /* blank line */
    if (!strcmp(key, "level") && got == 9 && v[0] < IGM_LEVELS) {
      igm_cache_cfg *c = &cfg->level[v[0]];
      *c = (igm_cache_cfg){1, (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3], (uint32_t)v[4], (uint32_t)v[5],
                           (uint32_t)v[6], (uint32_t)v[7]};
    } else if (!strcmp(key, "mem") && got == 4 && v[0] < IGM_MAX_MEMS) {
      cfg->mem[v[0]].cached = (uint32_t)v[1];
      cfg->mem[v[0]].stall = (uint32_t)v[2];
      if (v[0] + 1 > cfg->n_mems) cfg->n_mems = (uint32_t)v[0] + 1;
    } else if (!strcmp(key, "side") && got == 8 && v[0] < IGM_MAX_MEMS && v[1] < 2) {
      cfg->mem[v[0]].side[v[1]] = (igm_cache_cfg){1, (uint32_t)v[2], (uint32_t)v[3], (uint32_t)v[4], 0, 0,
                                                  (uint32_t)v[5], (uint32_t)v[6]};
    } else if (!strcmp(key, "region") && got == 4 && cfg->n_regions < IGM_MAX_REGIONS) {
      cfg->region[cfg->n_regions++] = (igm_region_cfg){v[0], v[1], (uint32_t)v[2]};
    } else if (!strcmp(key, "default_mem") && got == 2) {
      cfg->default_mem = (uint32_t)v[0];
    } else {
      return lineno;
    }
  }
  return 0;
}

/* Parses `text` and builds a simulator; NULL on a bad text or geometry (*err_line: the line, or -1: geometry). */
static inline igm_sim *igm_new_from_text(const char *text, int *err_line) {
  igm_config cfg;
  int bad = igm_parse(&cfg, text);
  if (err_line) *err_line = bad;
  if (bad) return NULL;
  igm_sim *s = igm_new(&cfg);
  if (!s && err_line) *err_line = -1;
  return s;
}

/* All counters as IGM_EXPORT_WORDS words: per cache (IGM_CACHES, in index order) its 8 counters in
 * igm_cache_stats order, then per memory its 5 counters in igm_mem_stats order, then the lowest address touched
 * in each region (UINT64_MAX: none), then the total stall. */
static inline void igm_export(const igm_sim *s, uint64_t *out) {
  for (int i = 0; i < IGM_CACHES; i++) memcpy(out + i * IGM_CACHE_COUNTERS, &s->cache[i].st, sizeof(igm_cache_stats));
  out += IGM_CACHES * IGM_CACHE_COUNTERS;
  for (int m = 0; m < IGM_MAX_MEMS; m++) memcpy(out + m * IGM_MEM_COUNTERS, &s->mst[m], sizeof(igm_mem_stats));
  out += IGM_MAX_MEMS * IGM_MEM_COUNTERS;
  memcpy(out, s->region_low, sizeof s->region_low);
  out[IGM_MAX_REGIONS] = s->stall_total;
}

#endif /* IG_MEMSIM_H */
