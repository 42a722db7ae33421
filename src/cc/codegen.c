/* codegen.c: the first code generator: a verified graph of one decode step
 * (one token) to a SeedChip program, FP32 end to end (docs/COMPILER.md,
 * "Code generation").
 *
 * Every value lives in device memory (weights, the RoPE table and a few
 * constants as const buffers, the KV cache as state, intermediates as
 * scratch, logits as the output). Ops run one after another, each followed by
 * a fence and a chip-wide barrier: matmuls split their output columns over all
 * cores in tiles of the MXU's width, attention its heads, the row-wise vector
 * ops run on core 0. Every loop count comes from a register, so the code size
 * does not grow with the model. The token and its position arrive as launch
 * arguments (x1, x2). The arithmetic follows the reference forward pass step
 * for step (k ascending in every dot product, divisions where it divides), so
 * FP32 results differ from it only where the VPU's special functions differ
 * from the host's libm.
 *
 * The code is produced as assembly text and assembled by the asm layer; each
 * instruction's debug entry then names the graph op it came from. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/asm.h"
#include "seedchip/cc.h"
#include "seedchip/isa.h"
#include "seedchip/num.h"
#include "seedchip/system.h"

enum { ALIGN = 256 };

/* SRAM regions of every core (byte offsets). */
typedef struct sram_map {
  uint64_t consts, a, b, c, s, q, scale, scale2, w, w2, g, gbuf, c2, kb, vb, size;
} sram_map;

/* Small FP32 constants, copied into every core's SRAM at the start
 * (K_ATTN_SCALE = 1 / K_SQRT_HD). */
enum { K_DIM, K_HIDDEN, K_SQRT_HD, K_ZERO, K_ATTN_SCALE, K_COUNT };

typedef struct gen {
  const sc_graph *g;
  const sc_model *m;
  const sc_arch *a;
  sc_cc_options opt;
  sc_strbuf text;
  /* per matmul value: its weights' storage (the fp32 const's when f32), their
   * scales, and the scale group along K */
  uint64_t *mw_addr, *ms_addr, *mgroup;
  bool *gemv; /* per matmul value: done as a GEMV (gen_matmul_gemv) */
  /* per matmul value: its fp8 activations of several rows prepared once,
   * rows split over the cores, in the staging buffer (prep_x); the staging
   * buffer (fp8 rows, then a column of row scales) */
  bool *prep;
  uint64_t xprep, xprep_s, xprep_s_bytes;
  uint32_t q_holds; /* the value whose prepared rows every core holds in Q and S, or UINT32_MAX */
  /* Matmuls of one prepared x run back to back without a barrier
   * (chain_next). mm_rot: the core of the next one's first tile, after the
   * last one's; mm_tiles: the tiles of the last matmul generated. */
  uint64_t mm_rot, mm_tiles;
  bool chained_in;     /* the op being generated follows a matmul it is chained to */
  uint32_t ring_bufs;  /* the GEMV ring's buffers (ring_lead: its DMAs ahead of the matmuls) */
  uint32_t pf_into;    /* the GEMV whose first ring DMAs the one before it issued (gemv_pf), or
                          UINT32_MAX */
  bool x3_rot;         /* x3 holds a chained GEMV's place of the core, not its id */
  bool cw_open;        /* a decode step's cache write in flight, the next op the other's */
  uint32_t *sw_of;     /* per GEMV group (gate, up): the fused SwiGLU its epilogue computes
                          into gate's columns, or UINT32_MAX (docs/COMPILER.md, "Op
                          boundaries at one token a step") */
  bool *sw_done;       /* per fused SwiGLU: computed so (its x is gate's buffer) */
  uint64_t sw_amax;    /* sw, fp8: each core's max |x| of its columns (device, a float a core) */
  uint32_t *cw_of;     /* per GEMV (a decode step's k or v): the cache write its epilogue does,
                          or UINT32_MAX */
  bool attn_dec;       /* attention by gen_attention_decode */
  uint64_t kvb;        /* bytes per cached value: 4 (fp32) or 2 (bf16, opt.kv_dtype) */
  uint64_t attn_parts; /* decode attention: parts of each unit's positions */
  uint64_t attn_o, attn_m, attn_l; /* their partial outputs, maxima and sums (device) */
  const char *kvt;                 /* its dtype's name in assembly */
  bool *fused;        /* per op: computed inside its consumers (an RMSNorm or SwiGLU feeding only
                         GEMVs) */
  uint32_t *gnext;    /* per GEMV: the next of its group (UINT32_MAX: none) */
  bool *gskip;        /* per GEMV: done by its group's first */
  uint32_t (*ech)[4]; /* per GEMV: the element-wise ops its epilogue does (ech_n of them, the
                          last radd) */
  uint8_t *ech_n;
  uint32_t *radd;    /* per GEMV: the last op of its epilogue chain (ech; the residual add
                        y = x + its output), whose value it stores, or UINT32_MAX */
  bool *absorbed;    /* per op: done by a GEMV before it (ech, rope_of, cw_of) */
  uint32_t *rope_of; /* per GEMV (group member): the rope applied to its output, or UINT32_MAX */
  uint64_t grp;      /* query heads per kv head (the largest) */
  uint64_t kvh;      /* kv heads */
  bool *in_memory;   /* per const: read in its own layout (not only as matmul weights) */
  /* per value: device address (aliases share), bytes */
  uint64_t *addr, *bytes;
  uint64_t next;               /* next free device address */
  uint64_t scratch0, scratch1; /* the intermediates' memory (one buffer, cc.scratch) */
  uint64_t consts, rope;       /* const buffers: small constants, (cos, sin) table */
  uint32_t head_dim, max_seq;  /* head_dim: the RoPE table's row (the rotated width) */
  uint64_t attn_dk, attn_dv;   /* attention: the query and key width, the value width (largest) */
  float attn_div;              /* attention: scores are divided by it (sqrt(dk) or 1 / scale) */
  uint32_t T;                  /* tokens per step (graph input %tokens) */
  uint32_t B;                  /* sequences: 1, or T (a batched decode step, [B, S, ...] caches) */
  uint64_t tokens_addr;        /* T > 1: the %tokens input buffer (int32) */
  uint64_t cstride;            /* T > 1: row stride of the attention scores in SRAM C */
  uint64_t kvpb;               /* T > 1: cache positions per block of K (SRAM kb) and V (vb),
                                  or 0: tile by tile through SRAM W (gen_attention) */
  /* a prefill's attention with BF16 MXU operands (docs/COMPILER.md, "Prefill
   * attention precision"): q scaled and rounded into the two BF16 blocks at
   * qb[0], qb[1] of SRAM A, the cache's tiles and the probabilities in BF16 */
  bool attn_lp;
  uint64_t qb[2];
  sram_map s;
  uint32_t label;
  /* line number -> op (value id + 1; 0 = prologue) */
  uint32_t *line_op;
  size_t n_lines, cap_lines;
  uint32_t cur_op;
  /* tensor parallelism: this chip of a group of chips (1: none); its
   * buffers lie in its own memory (sc_sys_chip_base); the collectives'
   * receive buffers (alternating) and how many collectives came before */
  uint32_t chip, chips;
  uint64_t coll_recv[2], n_coll;
  /* the ops reading each value: (use_op[k], use_slot[k]) for k in
   * [use_off[v], use_off[v + 1]), in graph order */
  uint32_t *use_off, *use_op, *use_slot;
  char *err;
  size_t err_size;
  bool oom;
} gen;

/* Records that the text's next line belongs to the current op. */
static void note_line(gen *G) {
  if (G->n_lines == G->cap_lines) {
    size_t cap = G->cap_lines ? G->cap_lines * 2 : 1024;
    uint32_t *l = realloc(G->line_op, cap * sizeof *l);
    if (!l) {
      G->oom = true;
      return;
    }
    G->line_op = l;
    G->cap_lines = cap;
  }
  G->line_op[G->n_lines++] = G->cur_op;
}

/* One line of text: an instruction (indented) or, with indent false, a
 * directive or label. */
static void emit(gen *G, bool indent, const char *fmt, va_list ap) SC_PRINTF(3, 0);
static void emit(gen *G, bool indent, const char *fmt, va_list ap) {
  if (indent) sc_strbuf_append(&G->text, "  ", 2);
  sc_strbuf_vprintf(&G->text, fmt, ap);
  sc_strbuf_append(&G->text, "\n", 1);
  note_line(G);
}

static void line(gen *G, const char *fmt, ...) SC_PRINTF(2, 3);
static void line(gen *G, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(G, true, fmt, ap);
  va_end(ap);
}

static void raw(gen *G, const char *fmt, ...) SC_PRINTF(2, 3);
static void raw(gen *G, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(G, false, fmt, ap);
  va_end(ap);
}

static void label(gen *G, const char *name, uint32_t k) {
  raw(G, "L%u_%s:", k, name);
}

/* xr = v (any 64-bit value). */
static void li(gen *G, unsigned r, uint64_t v) {
  if ((uint64_t)(int64_t)(int32_t)(uint32_t)v == v) {
    line(G, "li x%u, %lld", r, (long long)(int32_t)(uint32_t)v);
  } else {
    line(G, "li x%u, %lld", r, (long long)(int32_t)(uint32_t)v);
    line(G, "lih x%u, %llu", r, (unsigned long long)(v >> 32));
  }
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static uint64_t align_up(uint64_t v) {
  return (v + ALIGN - 1) / ALIGN * ALIGN;
}

static const sc_gvalue *val(const gen *G, uint32_t id) {
  return sc_graph_value(G->g, id);
}

static uint64_t elems(const sc_gvalue *v) {
  uint64_t n = 1;
  for (uint32_t d = 0; d < v->rank; d++) n *= (uint64_t)v->shape[d];
  return n;
}

static uint64_t last(const sc_gvalue *v) {
  return (uint64_t)v->shape[v->rank - 1];
}

/* A matmul weight's output rows: n of [n, k], g * n of a grouped [g, n, k]
 * (its K is last()). */
static uint64_t wrows(const sc_gvalue *w) {
  return elems(w) / last(w);
}

/* The rows of matmul y's x: its elements over K (over g * K when grouped). */
static uint64_t mm_rows(const gen *G, const sc_gvalue *y) {
  const sc_gvalue *w = val(G, y->in[1]);
  uint64_t kx = last(w) * (w->rank == 3 ? (uint64_t)w->shape[0] : 1);
  return elems(val(G, y->in[0])) / kx;
}

/* Whether op value v is a view of its first input's memory (no code of its
 * own for the data: reshape, slice, cache_write, send, recv). */
static bool is_view(const sc_gvalue *v) {
  return v->kind == SC_GV_OP &&
         (v->op == SC_GOP_RESHAPE || v->op == SC_GOP_SLICE || v->op == SC_GOP_CACHE_WRITE ||
          v->op == SC_GOP_SEND || v->op == SC_GOP_RECV);
}

/* Registers of generated code: x1 token, x2 position, x3 core id; x4-x7 and
 * x24-x31 addresses and counters; x8-x23 shape groups. */
enum { R_TOK = 1, R_POS = 2, R_CORE = 3 };

/* The guard of work done by core 0 only. */
static void only_core0_begin(gen *G, uint32_t k) {
  line(G, "bne x3, x0, L%u_skip", k);
}
static void only_core0_end(gen *G, uint32_t k) {
  label(G, "skip", k);
}

/* Adds n to this core's semaphore sem. A core signals itself by its id (x3)
 * on one chip; in a system that id is not its system-wide one, so a nop's
 * own signal does it, once per count. */
static void self_signal(gen *G, unsigned sem, unsigned n) {
  if (G->chips <= 1 && !G->x3_rot) {
    line(G, "sync.signal x3, s%u, %u", sem, n);
    return;
  }
  for (unsigned i = 0; i < n; i++) line(G, "nop @signal(s%u)", sem);
}

/* The end of every op: engines drained, every core past it. */
static void op_end(gen *G) {
  line(G, "sync.fence all");
  line(G, "sync.barrier");
}

/* Whether op i gets code of its own (the main loop's ops), and the op
 * after i that does (or the graph's count). */
static bool coded(const gen *G, uint32_t i) {
  const sc_gvalue *v = val(G, i);
  return v->kind == SC_GV_OP && v->op != SC_GOP_RESHAPE && v->op != SC_GOP_SLICE && !G->fused[i] &&
         !G->gskip[i] && !G->absorbed[i];
}

static uint32_t next_coded(const gen *G, uint32_t i) {
  uint32_t n = sc_graph_count(G->g);
  for (i++; i < n && !coded(G, i); i++) {
  }
  return i;
}

/* Whether matmul i and the op after it run without a barrier between them:
 * the next is a matmul of the same x (both GEMVs or both tile-path), which
 * every core holds prepared in Q (G->q_holds: it neither prepares nor loads
 * x, so it writes nothing the cores still at i read) and which does not
 * read i's result (chain_shape: all but the Q condition). Its tiles then
 * start on the core after i's last one (mm_rot), so that two matmuls of
 * fewer tiles than cores (k and v of grouped-query attention) share the
 * cores instead of taking turns on the same ones. */
static uint64_t ech_stride(const gen *G, uint32_t i);

static bool chain_shape(const gen *G, uint32_t i) {
  const sc_gvalue *v = val(G, i);
  if (v->op != SC_GOP_MATMUL || !G->prep[i] || G->gnext[i] != UINT32_MAX ||
      G->radd[i] != UINT32_MAX || G->rope_of[i] != UINT32_MAX)
    return false;
  uint32_t j = next_coded(G, i);
  if (j >= sc_graph_count(G->g)) return false;
  const sc_gvalue *w = val(G, j);
  if (w->op != SC_GOP_MATMUL || !G->prep[j] || w->in[0] != v->in[0] || G->gemv[j] != G->gemv[i])
    return false;
  for (uint32_t a = 0; a < w->n_in; a++)
    if (w->in[a] == i) return false;
  for (unsigned c = 0; c < G->ech_n[j]; c++)
    for (unsigned a = 0; a < 2; a++)
      if (val(G, G->ech[j][c])->in[a] == i) return false;
  return true;
}

static bool chain_next(const gen *G, uint32_t i) {
  return chain_shape(G, i) && G->q_holds == val(G, i)->in[0];
}

/* In a chain, x<dst> = the core's place counted from the chain's next core,
 * (core + cores - mm_rot) mod cores (uses x4); false (nothing emitted) when
 * that is the core itself. */
static bool core_place(gen *G, unsigned dst) {
  uint64_t cores = G->a->cores.count, rot = G->mm_rot % cores;
  if (!rot) return false;
  line(G, "addi x%u, x3, %llu", dst, (unsigned long long)(cores - rot));
  li(G, 4, cores);
  line(G, "remu x%u, x%u, x4", dst, dst);
  return true;
}

/* dma.1d of n fp32 elements: dst and src are "space[xN]". */
static void dma1(gen *G, const char *dst, const char *src, uint64_t n, unsigned q) {
  li(G, 8, n);
  line(G, "dma.1d %s:fp32, %s:fp32, x8, x0, q%u @signal(s0)", dst, src, q);
  line(G, "sync.wait s0, 1");
}

/* A row-wise vector op over 1 x n fp32 in SRAM. */
static void vgroup(gen *G, uint64_t rows, uint64_t cols) {
  li(G, 8, rows);
  li(G, 9, cols);
  li(G, 10, cols * 4);
  li(G, 11, cols * 4);
  li(G, 12, cols * 4);
}

/* Work on rows [x20, x20 + n) of a value: body(G, y, id, n). */
typedef void (*rows_fn)(gen *G, const sc_gvalue *y, uint32_t id, uint64_t n);

/* The rows of R that split_rows gives a core. */
static uint64_t rows_per_core(const gen *G, uint64_t R) {
  uint64_t cores = G->a->cores.count;
  return G->opt.serial_rows ? R : (R + cores - 1) / cores;
}

/* The values of op v a core holds in an SRAM row at once: a core's share
 * of the rows when its op splits them (split_rows), else all of v. */
static uint64_t row_share(const gen *G, const sc_gvalue *v) {
  uint64_t n = elems(v), R = 0;
  if (v->op == SC_GOP_RMSNORM && G->T > 1) R = n / last(v);
  if (v->op == SC_GOP_ADD || v->op == SC_GOP_MUL || v->op == SC_GOP_SWIGLU) R = n / last(v);
  if (v->op == SC_GOP_ROPE && G->T > 1) R = G->T;
  return R ? rows_per_core(G, R) * (n / R) : n;
}

/* R rows of op y split over the cores (docs/COMPILER.md, "Row splitting"):
 * ceil(R / cores) rows a core from row x20 = core x that, the last core
 * with rows fewer, the cores past the end none; with serial_rows all R on
 * core 0. body gets its row count as a constant: one copy of it for the
 * full share and one for the last core's. Uses x4, x20, x21. */
static void split_rows(gen *G, uint32_t k, const sc_gvalue *y, uint32_t id, uint64_t R,
                       rows_fn body) {
  uint64_t per = rows_per_core(G, R);
  uint64_t full = R / per, rem = R - full * per; /* cores of per rows, the last one's rows */
  li(G, 4, per);
  line(G, "mul x20, x3, x4"); /* the core's first row */
  li(G, 21, R);
  line(G, "bgeu x20, x21, L%u_rx", k);
  if (rem) {
    li(G, 21, full);
    line(G, "bgeu x3, x21, L%u_rt", k);
  }
  body(G, y, id, per);
  if (rem) {
    line(G, "j L%u_rx", k);
    label(G, "rt", k);
    body(G, y, id, rem);
  }
  label(G, "rx", k);
}

/* x4 = base + x20 * stride (bytes). */
static void row_addr(gen *G, uint64_t base, uint64_t stride) {
  li(G, 4, stride);
  line(G, "mul x4, x4, x20");
  li(G, 5, base);
  line(G, "add x4, x4, x5");
}

/* ---- ops ---- */

/* Rows x20 .. + n of an embedding of several tokens: their ids from the
 * %tokens buffer, a row DMA each (table to y in device memory). */
static void embedding_rows(gen *G, const sc_gvalue *y, uint32_t id, uint64_t n) {
  uint64_t D = last(val(G, y->in[0]));
  uint32_t k = ++G->label;
  row_addr(G, G->addr[id], D * 4);
  line(G, "mv x7, x4"); /* y's row */
  row_addr(G, G->tokens_addr, 4);
  li(G, 5, G->s.q);
  li(G, 8, n);
  line(G, "dma.1d sram[x5]:int32, hbm[x4]:int32, x8, x0, q0 @signal(s0)");
  line(G, "sync.wait s0, 1");
  line(G, "li x20, 0");
  li(G, 21, n);
  label(G, "row", k);
  line(G, "lw x6, x5, 0");
  li(G, 4, D * 4);
  line(G, "mul x6, x6, x4");
  li(G, 4, G->addr[y->in[0]]);
  line(G, "add x4, x4, x6");
  li(G, 8, D);
  line(G, "dma.1d hbm[x7]:fp32, hbm[x4]:fp32, x8, x0, q0 @signal(s0)");
  line(G, "sync.wait s0, 1");
  line(G, "addi x5, x5, 4");
  li(G, 4, D * 4);
  line(G, "add x7, x7, x4");
  line(G, "addi x20, x20, 1");
  line(G, "blt x20, x21, L%u_row", k);
}

static void gen_embedding(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *table = val(G, y->in[0]);
  uint64_t D = last(table);
  if (G->T > 1) {
    split_rows(G, k, y, id, G->T, embedding_rows);
    return;
  }
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, D * 4);
  line(G, "mul x5, x5, x1");
  line(G, "add x4, x4, x5");
  li(G, 6, G->addr[id]);
  dma1(G, "hbm[x6]", "hbm[x4]", D, 0);
  only_core0_end(G, k);
}

/* RMSNorm of T rows of D in SRAM A by the weight in SRAM B, in place (the
 * RMSNorm op of several rows, and the GEMVs an RMSNorm is fused into). */
static void rmsnorm_sram(gen *G, uint64_t T, uint64_t D, float eps, uint64_t col) {
  li(G, 5, G->s.a);
  li(G, 6, G->s.b);
  li(G, 7, col);
  li(G, 24, G->s.consts + 4 * K_DIM);
  li(G, 25, f32_bits((float)D));
  line(G, "li x8, 1");
  line(G, "li x9, 1");
  line(G, "li x10, 4");
  line(G, "vpu.fill sram[x24]:fp32, x25, x8..x10"); /* the divisor D */
  li(G, 8, T);
  li(G, 9, D);
  line(G, "li x10, 4");
  li(G, 11, D * 4);
  line(G, "vpu.rsumsq sram[x7]:fp32, sram[x5]:fp32, x8..x11, overwrite"); /* a column of T */
  line(G, "li x9, 1");
  line(G, "li x11, 4");
  line(G, "li x12, 4");
  line(G, "vpu.div sram[x7]:fp32, sram[x7]:fp32, sram[x24]:fp32, x8..x12, scalar");
  li(G, 25, f32_bits(eps));
  line(G, "vpu.adds sram[x7]:fp32, sram[x7]:fp32, x25, x8..x11");
  line(G, "vpu.sqrt sram[x7]:fp32, sram[x7]:fp32, x8..x11");
  line(G, "vpu.recip sram[x7]:fp32, sram[x7]:fp32, x8..x11");
  li(G, 9, D);
  li(G, 10, D * 4);
  li(G, 11, D * 4);
  line(G, "li x12, 4");
  line(G, "vpu.mul sram[x5]:fp32, sram[x5]:fp32, sram[x7]:fp32, x8..x12, col");
  line(G, "vpu.mul sram[x5]:fp32, sram[x5]:fp32, sram[x6]:fp32, x8..x12, row");
}

/* Rows x20 .. + n of an RMSNorm of several rows: the same steps on a column
 * of n sums. */
static void rmsnorm_rows(gen *G, const sc_gvalue *y, uint32_t id, uint64_t n) {
  uint64_t D = last(y);
  row_addr(G, G->addr[y->in[0]], D * 4);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", n * D, 0);
  li(G, 4, G->addr[y->in[1]]);
  li(G, 6, G->s.b);
  dma1(G, "sram[x6]", "hbm[x4]", D, 0);
  rmsnorm_sram(G, n, D, y->attrs.eps, G->s.s);
  line(G, "sync.fence vpu");
  row_addr(G, G->addr[id], D * 4);
  li(G, 5, G->s.a);
  dma1(G, "hbm[x4]", "sram[x5]", n * D, 0);
}

static void gen_rmsnorm(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *x = val(G, y->in[0]);
  uint64_t D = last(x);
  if (G->T > 1) {
    split_rows(G, k, y, id, elems(y) / D, rmsnorm_rows);
    return;
  }
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", D, 0);
  li(G, 4, G->addr[y->in[1]]);
  li(G, 6, G->s.b);
  dma1(G, "sram[x6]", "hbm[x4]", D, 0);
  li(G, 7, G->s.s);
  li(G, 24, G->s.consts + 4 * K_DIM);
  /* the consts slot holds float(D) of this op's width */
  li(G, 25, f32_bits((float)D));
  vgroup(G, 1, D);
  line(G, "vpu.rsumsq sram[x7]:fp32, sram[x5]:fp32, x8..x11, overwrite"); /* ss = sum x^2 */
  li(G, 9, 1);
  line(G, "vpu.fill sram[x24]:fp32, x25, x8..x10"); /* the divisor D */
  line(G, "vpu.div sram[x7]:fp32, sram[x7]:fp32, sram[x24]:fp32, x8..x12, scalar");
  li(G, 25, f32_bits(y->attrs.eps));
  line(G, "vpu.adds sram[x7]:fp32, sram[x7]:fp32, x25, x8..x11");
  line(G, "vpu.sqrt sram[x7]:fp32, sram[x7]:fp32, x8..x11");
  line(G, "vpu.recip sram[x7]:fp32, sram[x7]:fp32, x8..x11"); /* 1 / sqrt(ss / D + eps) */
  li(G, 9, D);
  line(G, "vpu.mul sram[x5]:fp32, sram[x5]:fp32, sram[x7]:fp32, x8..x12, scalar");
  line(G, "vpu.mul sram[x5]:fp32, sram[x6]:fp32, sram[x5]:fp32, x8..x12, full");
  line(G, "sync.fence vpu");
  li(G, 4, G->addr[id]);
  dma1(G, "hbm[x4]", "sram[x5]", D, 0);
  only_core0_end(G, k);
}

/* Rows x20 .. + n of y = a op b, elementwise (b the same shape): add, mul,
 * or swiglu (silu(a) * b). */
static void binary_rows(gen *G, const sc_gvalue *y, uint32_t id, uint64_t n) {
  uint64_t D = last(y);
  n *= D;
  row_addr(G, G->addr[y->in[0]], D * 4);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", n, 0);
  row_addr(G, G->addr[y->in[1]], D * 4);
  li(G, 6, G->s.b);
  dma1(G, "sram[x6]", "hbm[x4]", n, 0);
  li(G, 5, G->s.a);
  vgroup(G, 1, n);
  if (y->op == SC_GOP_SWIGLU) line(G, "vpu.silu sram[x5]:fp32, sram[x5]:fp32, x8..x11");
  line(G, "%s sram[x5]:fp32, sram[x5]:fp32, sram[x6]:fp32, x8..x12, full",
       y->op == SC_GOP_ADD ? "vpu.add" : "vpu.mul");
  line(G, "sync.fence vpu");
  row_addr(G, G->addr[id], D * 4);
  li(G, 5, G->s.a);
  dma1(G, "hbm[x4]", "sram[x5]", n, 0);
}

/* y = a op b, elementwise (b the same shape): its rows split over the cores
 * (one row: on core 0). */
static void gen_binary(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  split_rows(G, k, y, id, elems(y) / last(y), binary_rows);
}

/* Tokens x20 .. + n of a RoPE of several tokens: token t at position pos0
 * + t (every sequence's at pos0 in a batch), its table row repeated for its
 * H heads. */
static void rope_rows(gen *G, const sc_gvalue *y, uint32_t id, uint64_t n) {
  uint64_t H = (uint64_t)y->shape[1], hd = (uint64_t)y->shape[2];
  row_addr(G, G->addr[y->in[0]], H * hd * 4);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", n * H * hd, 0);
  li(G, 4, G->rope);
  li(G, 6, hd * 4);
  uint64_t tstride = hd * 4; /* vpu.rope: the table row of each row */
  if (G->B > 1) {            /* every sequence at pos0: its table row once, for every row */
    line(G, "mul x6, x6, x2");
    line(G, "add x4, x4, x6");
    li(G, 6, G->s.b);
    dma1(G, "sram[x6]", "hbm[x4]", hd, 0);
    tstride = 0;
  } else {
    line(G, "add x7, x2, x20");
    line(G, "mul x6, x6, x7");
    line(G, "add x4, x4, x6");
    li(G, 6, G->s.b);
    li(G, 8, hd);          /* dma.3d: hd per row */
    li(G, 9, H);           /*         H rows (the same table row) */
    li(G, 10, n);          /*         n planes */
    li(G, 11, hd * 4);     /*         dst stride1 */
    li(G, 12, H * hd * 4); /*         dst stride2 */
    line(G, "li x13, 0");  /*         src stride1: repeat */
    li(G, 14, hd * 4);     /*         src stride2: the next position */
    line(G, "dma.3d sram[x6]:fp32, hbm[x4]:fp32, x8..x14, x0, q0 @signal(s0)");
    line(G, "sync.wait s0, 1");
  }
  li(G, 8, n * H);
  li(G, 9, hd);
  li(G, 10, hd * 4);
  li(G, 11, hd * 4);
  li(G, 12, tstride);
  line(G, "vpu.rope sram[x5]:fp32, sram[x5]:fp32, sram[x6]:fp32, x8..x12, %s",
       y->attrs.rope_halves ? "halves" : "pairs");
  line(G, "sync.fence vpu");
  row_addr(G, G->addr[id], H * hd * 4);
  li(G, 5, G->s.a);
  dma1(G, "hbm[x4]", "sram[x5]", n * H * hd, 0);
}

static void gen_rope(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  uint64_t H = (uint64_t)y->shape[1], hd = (uint64_t)y->shape[2], T = G->T;
  if (T > 1) {
    split_rows(G, k, y, id, T, rope_rows);
    return;
  }
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", H * hd, 0);
  li(G, 4, G->rope);
  li(G, 6, hd * 4);
  line(G, "mul x6, x6, x2"); /* the table row of this position */
  line(G, "add x4, x4, x6");
  li(G, 6, G->s.b);
  dma1(G, "sram[x6]", "hbm[x4]", hd, 0);
  li(G, 8, H);
  li(G, 9, hd);
  li(G, 10, hd * 4);
  li(G, 11, hd * 4);
  line(G, "li x12, 0"); /* every head reads the same row */
  line(G, "vpu.rope sram[x5]:fp32, sram[x5]:fp32, sram[x6]:fp32, x8..x12, %s",
       y->attrs.rope_halves ? "halves" : "pairs");
  line(G, "sync.fence vpu");
  li(G, 4, G->addr[id]);
  dma1(G, "hbm[x4]", "sram[x5]", H * hd, 0);
  only_core0_end(G, k);
}

/* y = concat(a, b) along attr axis: per row of the axes before it (rows
 * split over the cores), a's part then b's, as two 2-D device-memory DMAs. */
static void gen_concat(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *a = val(G, y->in[0]), *b = val(G, y->in[1]);
  int axis = y->attrs.axis < 0 ? (int)y->rank + y->attrs.axis : y->attrs.axis;
  uint64_t outer = 1, cores = G->a->cores.count;
  for (int d = 0; d < axis; d++) outer *= (uint64_t)y->shape[d];
  uint64_t an = elems(a) / outer, bn = elems(b) / outer, yn = an + bn;
  uint64_t per = (outer + cores - 1) / cores;
  li(G, 4, per);
  line(G, "mul x20, x3, x4"); /* the core's first row */
  li(G, 21, outer);
  line(G, "bgeu x20, x21, L%u_done", k);
  line(G, "sub x9, x21, x20");
  line(G, "minu x9, x9, x4"); /* its rows */
  for (int part = 0; part < 2; part++) {
    uint64_t n = part ? bn : an;
    li(G, 5, n * 4);
    line(G, "mul x6, x20, x5");
    li(G, 7, G->addr[y->in[part]]);
    line(G, "add x6, x6, x7");
    li(G, 5, yn * 4);
    line(G, "mul x4, x20, x5");
    li(G, 7, G->addr[id] + (part ? an * 4 : 0));
    line(G, "add x4, x4, x7");
    li(G, 8, n);
    li(G, 10, yn * 4);
    li(G, 11, n * 4);
    line(G, "dma.2d hbm[x4]:fp32, hbm[x6]:fp32, x8..x11, x0, q0 @signal(s0)");
  }
  line(G, "sync.wait s0, 2");
  label(G, "done", k);
}

/* Tokens x20 .. + n of a cache write: rows pos0 + t of the cache (row t of
 * sequence t's cache in a batch). */
static void cache_rows(gen *G, const sc_gvalue *y, uint32_t id, uint64_t n) {
  (void)id;
  const sc_gvalue *x = val(G, y->in[1]);
  uint64_t row = (uint64_t)x->shape[1] * (uint64_t)x->shape[2];
  li(G, 4, G->B > 1 ? (uint64_t)G->max_seq * row * G->kvb : row * G->kvb);
  line(G, "mul x4, x4, x20");
  li(G, 5, row * G->kvb);
  line(G, "mul x5, x5, x2");
  line(G, "add x4, x4, x5");
  li(G, 5, G->addr[y->in[0]]);
  line(G, "add x4, x4, x5");
  line(G, "mv x7, x4");
  row_addr(G, G->addr[y->in[1]], row * 4);
  line(G, "mv x6, x4");
  line(G, "mv x4, x7");
  if (G->B > 1) { /* token t to sequence t's cache */
    li(G, 8, row);
    li(G, 9, n);
    li(G, 10, (uint64_t)G->max_seq * row * G->kvb);
    li(G, 11, row * 4);
    line(G, "dma.2d hbm[x4]:%s, hbm[x6]:fp32, x8..x11, x0, q0 @signal(s0)", G->kvt);
  } else {
    li(G, 8, row * n);
    line(G, "dma.1d hbm[x4]:%s, hbm[x6]:fp32, x8, x0, q0 @signal(s0)", G->kvt);
  }
  line(G, "sync.wait s0, 1");
}

static void gen_cache_write(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *x = val(G, y->in[1]);
  uint64_t row = (uint64_t)x->shape[1] * (uint64_t)x->shape[2];
  if (G->T > 1) {
    split_rows(G, k, y, id, G->T, cache_rows);
    return;
  }
  /* a decode step's K and V writes (the next op with code is the other):
   * the first goes out on queue 0 and the second on queue 1 without a wait
   * or a barrier between them (cw_open: the first's DMA in flight) */
  uint32_t nx = next_coded(G, id);
  bool first = !G->cw_open && nx < sc_graph_count(G->g) && val(G, nx)->op == SC_GOP_CACHE_WRITE;
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, row * G->kvb);
  line(G, "mul x5, x5, x2");
  line(G, "add x4, x4, x5");
  li(G, 6, G->addr[y->in[1]]);
  li(G, 8, row);
  line(G, "dma.1d hbm[x4]:%s, hbm[x6]:fp32, x8, x0, q%u @signal(s0)", G->kvt, G->cw_open ? 1 : 0);
  if (!first) line(G, "sync.wait s0, %u", G->cw_open ? 2 : 1);
  only_core0_end(G, k);
  G->cw_open = first;
}

/* Byte offset of `elems` elements of `bits` bits: xd = xs * bits / 8. */
static void elem_bytes(gen *G, unsigned xd, unsigned xs, unsigned bits) {
  switch (bits) {
  case 32:
    line(G, "shli x%u, x%u, 2", xd, xs);
    break;
  case 16:
    line(G, "shli x%u, x%u, 1", xd, xs);
    break;
  case 8:
    line(G, "mv x%u, x%u", xd, xs);
    break;
  default:
    line(G, "shri x%u, x%u, 1", xd, xs);
    break;
  }
}

/* The storage of a matmul's weights under the compile options. */
typedef struct wform {
  const char *wdt, *adt; /* weight and activation dtypes in SRAM */
  unsigned wbits, abits;
  bool ldwq; /* int8 / int4: scaled load into a bf16 array */
  bool fp8;  /* fp8 x fp8, rescaled after the drain */
  bool channel;
} wform;

static wform form_of(sc_cc_wdtype t) {
  switch (t) {
  case SC_CC_BF16:
    return (wform){"bf16", "bf16", 16, 16, false, false, false};
  case SC_CC_INT8:
    return (wform){"int8", "bf16", 8, 16, true, false, true};
  case SC_CC_INT4:
    return (wform){"int4", "bf16", 4, 16, true, false, false};
  case SC_CC_FP8:
    return (wform){"fp8e4m3", "fp8e4m3", 8, 8, false, true, false};
  case SC_CC_FP8_CHANNEL:
    return (wform){"fp8e4m3", "fp8e4m3", 8, 8, false, true, true};
  default:
    return (wform){"fp32", "fp32", 32, 32, false, false, false};
  }
}

/* x[T, K] into every core's SRAM A (converted to the activation dtype), or
 * for fp8 quantized with a per-row scale s_a = max|x| / 448 (into S) into Q:
 * matmul_x_load issues the DMA (completion on s6), matmul_x_quant waits for
 * it and quantizes; matmul_x does both. */
/* Rows of x per group when x [T, K] is computed in groups (fp8: a group of
 * FP32 rows in A, then its fp8 copy in Q), or 0 when all of it fits. */
static uint64_t x_group(const gen *G, uint64_t T, uint64_t K) {
  uint64_t rowb = G->s.b - G->s.a;
  if (T * K * 4 <= rowb) return 0;
  return rowb / (K * 4) ? rowb / (K * 4) : 1;
}

static void matmul_x_load(gen *G, const sc_gvalue *y, uint32_t id, wform f, uint64_t T,
                          uint64_t K) {
  uint32_t xi = y->in[0];
  const sc_gvalue *xv = val(G, xi);
  if (G->prep[id]) {              /* prepared (prep_x): its rows and scales */
    if (G->q_holds == xi) return; /* already in Q and S */
    li(G, 4, G->xprep);
    li(G, 5, G->s.q);
    li(G, 8, T * K);
    line(G, "dma.1d sram[x5]:fp8e4m3, hbm[x4]:fp8e4m3, x8, x0, q0 @signal(s6)");
    li(G, 4, G->xprep_s);
    li(G, 5, G->s.s);
    li(G, 8, T);
    line(G, "dma.1d sram[x5]:fp32, hbm[x4]:fp32, x8, x0, q0 @signal(s6)");
    return;
  }
  if (f.fp8 && x_group(G, T, K)) return; /* matmul_x_quant loads each group */
  /* a fused x: rmsnorm(x0, w) (load x0 and w) or swiglu(gate, up) (load both;
   * or, done by their GEMV, gate's buffer alone: sw_done) */
  bool fused = G->fused[xi] && !G->sw_done[xi];
  if (G->sw_done[xi] && f.fp8) { /* the cores' partial max |x| (sw_amax) into C */
    li(G, 4, G->sw_amax);
    li(G, 5, G->s.c);
    li(G, 8, G->a->cores.count);
    line(G, "dma.1d sram[x5]:fp32, hbm[x4]:fp32, x8, x0, q1 @signal(s6)");
  }
  li(G, 4, G->addr[fused || G->sw_done[xi] ? xv->in[0] : xi]);
  li(G, 5, G->s.a);
  li(G, 8, T * K);
  line(G, "dma.1d sram[x5]:%s, hbm[x4]:fp32, x8, x0, q0 @signal(s6)", f.fp8 ? "fp32" : f.adt);
  if (fused) {
    li(G, 4, G->addr[xv->in[1]]);
    li(G, 6, G->s.b);
    li(G, 8, xv->op == SC_GOP_SWIGLU ? T * K : K);
    line(G, "dma.1d sram[x6]:fp32, hbm[x4]:fp32, x8, x0, q0 @signal(s6)");
  }
}

/* The second half of matmul_x: waits for x, quantizes it (fp8). */
/* silu(gate) x up of n values, gate in SRAM A (in place) and up in B: the
 * SwiGLU op's arithmetic (gen_binary). */
static void swiglu_sram(gen *G, uint64_t n) {
  li(G, 5, G->s.a);
  li(G, 6, G->s.b);
  vgroup(G, 1, n);
  line(G, "vpu.silu sram[x5]:fp32, sram[x5]:fp32, x8..x11");
  line(G, "vpu.mul sram[x5]:fp32, sram[x5]:fp32, sram[x6]:fp32, x8..x12, full");
}

static void quant_rows(gen *G, uint64_t T, uint64_t K, uint64_t q, uint64_t s);
static void quant_rows_max(gen *G, uint64_t T, uint64_t K, uint64_t q, uint64_t s, uint64_t parts);

static void matmul_x_quant(gen *G, const sc_gvalue *y, uint32_t id, wform f, uint64_t T,
                           uint64_t K) {
  const sc_gvalue *xv = val(G, y->in[0]);
  bool done = G->sw_done[y->in[0]], fused = G->fused[y->in[0]] && !done;
  if (G->prep[id]) {
    if (G->q_holds != y->in[0]) line(G, "sync.wait s6, 2");
    return;
  }
  uint64_t grp = f.fp8 ? x_group(G, T, K) : 0;
  if (grp) { /* rows r0 .. r0 + n in turn: computed in A, quantized into Q and S at row r0 */
    if (fused && xv->op == SC_GOP_RMSNORM) { /* the weight, once */
      li(G, 4, G->addr[xv->in[1]]);
      li(G, 6, G->s.b);
      li(G, 8, K);
      line(G, "dma.1d sram[x6]:fp32, hbm[x4]:fp32, x8, x0, q0 @signal(s6)");
      line(G, "sync.wait s6, 1");
    }
    for (uint64_t r0 = 0; r0 < T; r0 += grp) {
      uint64_t nr = T - r0 < grp ? T - r0 : grp;
      uint32_t src = fused || done ? xv->in[0] : y->in[0];
      li(G, 4, G->addr[src] + r0 * K * 4);
      li(G, 5, G->s.a);
      li(G, 8, nr * K);
      line(G, "dma.1d sram[x5]:fp32, hbm[x4]:fp32, x8, x0, q0 @signal(s6)");
      if (fused && xv->op == SC_GOP_SWIGLU) {
        li(G, 4, G->addr[xv->in[1]] + r0 * K * 4);
        li(G, 6, G->s.b);
        line(G, "dma.1d sram[x6]:fp32, hbm[x4]:fp32, x8, x0, q0 @signal(s6)");
      }
      line(G, "sync.wait s6, %u", fused && xv->op == SC_GOP_SWIGLU ? 2 : 1);
      if (fused && xv->op == SC_GOP_RMSNORM) /* its sums where this group's scales go */
        rmsnorm_sram(G, nr, K, xv->attrs.eps, G->s.s + r0 * 4);
      if (fused && xv->op == SC_GOP_SWIGLU) swiglu_sram(G, nr * K);
      quant_rows(G, nr, K, G->s.q + r0 * K, G->s.s + r0 * 4);
    }
    return;
  }
  line(G, "sync.wait s6, %u", fused || (done && f.fp8) ? 2 : 1);
  if (fused && xv->op == SC_GOP_RMSNORM) rmsnorm_sram(G, T, K, xv->attrs.eps, G->s.s);
  if (fused && xv->op == SC_GOP_SWIGLU) swiglu_sram(G, T * K);
  if (f.fp8) quant_rows_max(G, T, K, G->s.q, G->s.s, done ? G->a->cores.count : 0);
}

/* Quantizes T rows of K in SRAM A to fp8 at q with a scale per row
 * s_a = max|x| / 448 at s (a column of T). */
static void quant_rows(gen *G, uint64_t T, uint64_t K, uint64_t q, uint64_t s) {
  quant_rows_max(G, T, K, q, s, 0);
}

/* quant_rows, or (parts > 0, one row) with max |x| the max of the parts'
 * maxima already in C (each the max |x| of a share of the columns: the
 * same value) instead of a pass over the row. */
static void quant_rows_max(gen *G, uint64_t T, uint64_t K, uint64_t q, uint64_t s, uint64_t parts) {
  {
    li(G, 5, G->s.a);
    li(G, 6, G->s.c);
    li(G, 7, s);
    li(G, 24, q);
    li(G, 8, T);
    li(G, 9, parts ? parts : K);
    li(G, 10, K * 4);
    li(G, 11, K * 4);
    if (!parts) line(G, "vpu.abs sram[x6]:fp32, sram[x5]:fp32, x8..x11");
    line(G, "li x10, 4");
    line(G, "vpu.rmax sram[x7]:fp32, sram[x6]:fp32, x8..x11, overwrite");
    line(G, "li x9, 1");
    line(G, "li x11, 4");
    li(G, 25, f32_bits(1.0f / 448.0f));
    line(G, "vpu.muls sram[x7]:fp32, sram[x7]:fp32, x25, x8..x11");
    li(G, 25, f32_bits(1e-30f));
    line(G, "vpu.maxs sram[x7]:fp32, sram[x7]:fp32, x25, x8..x11");
    li(G, 9, K);
    li(G, 10, K);
    li(G, 11, K * 4);
    line(G, "li x12, 4");
    line(G, "li x13, 1");
    line(G, "vpu.quant sram[x24]:fp8e4m3, sram[x5]:fp32, sram[x7]:fp32, x8..x13, row");
    line(G, "sync.fence vpu");
  }
}

static void matmul_x(gen *G, const sc_gvalue *y, uint32_t id, wform f, uint64_t T, uint64_t K) {
  matmul_x_load(G, y, id, f, T, K);
  matmul_x_quant(G, y, id, f, T, K);
}

/* n rows of x from row x20 on: computed (a fused RMSNorm or SwiGLU) in A,
 * quantized into Q and S, and stored at the same rows of the staging
 * buffer (prep_x). */
static void prep_rows(gen *G, const sc_gvalue *y, uint32_t id, uint64_t n) {
  (void)id;
  const sc_gvalue *xv = val(G, y->in[0]), *w = val(G, y->in[1]);
  uint64_t K = last(w) * (w->rank == 3 ? (uint64_t)w->shape[0] : 1); /* a row of x */
  bool fused = G->fused[y->in[0]]; /* (sw_done: one row, never prepared) */
  bool swiglu = fused && xv->op == SC_GOP_SWIGLU, norm = fused && xv->op == SC_GOP_RMSNORM;
  for (uint32_t part = 0; part < (swiglu ? 2u : 1u); part++) { /* x (gate), up */
    row_addr(G, G->addr[fused ? xv->in[part] : y->in[0]], K * 4);
    li(G, 5, part ? G->s.b : G->s.a);
    li(G, 8, n * K);
    line(G, "dma.1d sram[x5]:fp32, hbm[x4]:fp32, x8, x0, q0 @signal(s6)");
  }
  if (norm) { /* the weight */
    li(G, 4, G->addr[xv->in[1]]);
    li(G, 5, G->s.b);
    li(G, 8, K);
    line(G, "dma.1d sram[x5]:fp32, hbm[x4]:fp32, x8, x0, q0 @signal(s6)");
  }
  line(G, "sync.wait s6, %u", fused ? 2 : 1);
  if (norm) rmsnorm_sram(G, n, K, xv->attrs.eps, G->s.s);
  if (swiglu) swiglu_sram(G, n * K);
  quant_rows(G, n, K, G->s.q, G->s.s);
  row_addr(G, G->xprep, K);
  li(G, 5, G->s.q);
  li(G, 8, n * K);
  line(G, "dma.1d hbm[x4]:fp8e4m3, sram[x5]:fp8e4m3, x8, x0, q0 @signal(s6)");
  row_addr(G, G->xprep_s, 4);
  li(G, 5, G->s.s);
  li(G, 8, n);
  line(G, "dma.1d hbm[x4]:fp32, sram[x5]:fp32, x8, x0, q0 @signal(s6)");
  line(G, "sync.wait s6, 2");
}

/* An fp8 matmul's x of T > 1 rows prepared once (G->prep): the cores split
 * the rows, ceil(T / cores) each, compute and quantize theirs (prep_rows)
 * into the staging buffer, and meet at a barrier; then matmul_x_load gives
 * every core the whole of it. The rows are the same bits as when each core
 * computes all of x (every step is row-wise); the work and the device-memory
 * reads are a core's share instead of all of it (docs/COMPILER.md, "Row
 * splitting"). Nothing when the cores already hold it (G->q_holds). */
static void prep_x(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id, uint64_t T) {
  if (!G->prep[id] || G->q_holds == y->in[0]) return;
  split_rows(G, k, y, id, T, prep_rows);
  line(G, "sync.barrier");
}

/* The smallest x (elements) prep_x prepares: below, its barrier and two more
 * DMAs cost more than every core quantizing all of x (measured: a batch of
 * 8 of Llama-3.1-8B, x of 8 x 4096, gains 12%; a batch of 5 of 256 loses 3%). */
enum { PREP_MIN = 16384 };

/* Buffers of the GEMV weight ring (sram_map.g, G->ring_bufs): in a prefill
 * chunk enough for 4 DMAs in flight over both DMA engines (docs/PERF_MODEL.md:
 * an engine holds two ops); in a decode step twice that, so that the weights
 * stream on while an op prepares its x and the op before it stores
 * (docs/COMPILER.md, "The ring's depth"). */
enum { GEMV_BUFS = 4, GEMV_BUFS_DECODE = 8 };
/* The weight bytes one DMA of the GEMV aims at per core. */
#define GEMV_DMA_BYTES (128u * 1024u)

/* Whether a matmul of `rows` rows by a weight [N, K] is done as a GEMV: one
 * activation row, a dtype that streams rows at least as fast as the MXU loads
 * weights (fp8, bf16), whole tiles. */
static bool gemv_shape(const gen *G, uint64_t rows, uint64_t N, uint64_t K) {
  wform f = form_of(G->opt.wdtype);
  uint64_t cores = G->a->cores.count, TC = G->a->core.mxu.cols;
  if (rows < 1 || rows > TC || f.ldwq || G->opt.no_gemv) return false;

  /* the core's outputs (m x TC accumulator rows of `rows`) in the accumulators */
  if ((N / TC + cores - 1) / cores * TC * rows * 4 > G->a->core.acc_sram.size_bytes) return false;
  sc_dtype adt = f.fp8 ? SC_DTYPE_FP8_E4M3 : f.abits == 16 ? SC_DTYPE_BF16 : SC_DTYPE_FP32;
  if (G->a->core.mxu.macs_per_pe_cycle[adt] < 1) return false;
  return (N % G->a->core.mxu.cols == 0 || N < G->a->core.mxu.cols) && K % G->a->core.mxu.rows == 0;
}

/* Emits instruction `ins` three ways: with suffix s0 (a semaphore
 * annotation) when x19 = 0 and s1 otherwise, or plain when register `plain`
 * is not zero. */
static void sem_variants(gen *G, uint32_t k, const char *tag, unsigned plain, const char *ins,
                         const char *s0, const char *s1) {
  char l1[24], lp[24], ld[24];
  snprintf(l1, sizeof l1, "%s1", tag);
  snprintf(lp, sizeof lp, "%sp", tag);
  snprintf(ld, sizeof ld, "%sd", tag);
  line(G, "bne x%u, x0, L%u_%s", plain, k, lp);
  line(G, "bne x19, x0, L%u_%s", k, l1);
  line(G, "%s%s", ins, s0);
  line(G, "j L%u_%s", k, ld);
  label(G, l1, k);
  line(G, "%s%s", ins, s1);
  line(G, "j L%u_%s", k, ld);
  label(G, lp, k);
  line(G, "%s", ins);
  label(G, ld, k);
}

/* Decode attention: tiles of positions per ring DMA at most (docs/COMPILER.md,
 * "Decode attention"). */
enum { ATTN_CHUNK_TILES = 2 };

/* DMAs of the ring issued ahead of the matmuls using them by the decode
 * attention, and the next GEMV's first DMAs a GEMV issues (gemv_pf). */
enum { ATTN_LEAD = 3, PF_LEAD = 3 };
/* A GEMV's last chunk in SPLIT_PIECES pieces when every core has at least
 * SPLIT_MIN tiles (gemv_split_last; with fewer, the pieces' latencies cost
 * more than the drains they hide). */
enum { SPLIT_PIECES = 4, SPLIT_MIN = 8 };

/* The GEMV ring's DMAs ahead of the matmuls that use them: all its buffers
 * but the one being read. */
static uint32_t ring_lead(const gen *G) {
  return G->ring_bufs - 1;
}

/* The ring DMA x15 (instruction ins, writing sram[x6]): into ring buffer
 * x15 mod G->ring_bufs, on engine x15 mod 2 once one of that engine's buffers
 * is free (s1 / s5), signalling it loaded (s0 / s4): each engine has its
 * own, so that neither takes a buffer owed to the other's next DMA. Uses x6,
 * x7. With widen (a VPU instruction), ins writes the buffer's second half
 * (sram[x7]) and widen, queued after it, fills the buffer (sram[x6]) from
 * it, signalling s3 / s7 for the matmuls; then it uses x5 too. */
static void ring_dma(gen *G, uint32_t k, const char *tag, const char *ins, const char *widen,
                     unsigned slot) {
  line(G, "andi x6, x%u, %u", slot, G->ring_bufs - 1);
  li(G, 7, G->s.gbuf);
  line(G, "mul x6, x6, x7");
  li(G, 7, G->s.g);
  line(G, "add x6, x6, x7");
  unsigned par = 7; /* the engine's parity */
  if (widen) {      /* the DMA writes the buffer's second half (x7), widen fills x6 from it */
    li(G, 7, G->s.gbuf / 2);
    line(G, "add x7, x7, x6");
    par = 5;
  }
  char l1[24], ld[24];
  snprintf(l1, sizeof l1, "%s1", tag);
  snprintf(ld, sizeof ld, "%sd", tag);
  line(G, "andi x%u, x%u, 1", par, slot);
  line(G, "bne x%u, x0, L%u_%s", par, k, l1);
  line(G, "%s, q0 @wait(s1) @signal(s0)", ins);
  if (widen) line(G, "%s @wait(s0) @signal(s3)", widen);
  line(G, "j L%u_%s", k, ld);
  label(G, l1, k);
  line(G, "%s, q1 @wait(s5) @signal(s4)", ins);
  if (widen) line(G, "%s @wait(s4) @signal(s7)", widen);
  label(G, ld, k);
}

/* x4 = the byte offset in a GEMV's tile-major storage (tiles of HT rows of
 * K values of wb bytes, in chunks of TR values) of row x5's first chunk:
 * row x5 mod HT of tile x5 / HT. Uses x5, x7. */
static void storage_row(gen *G, uint64_t HT, uint64_t K, uint64_t TR, uint64_t wb) {
  li(G, 4, HT);
  line(G, "divu x7, x5, x4");
  line(G, "remu x5, x5, x4");
  li(G, 4, HT * K * wb);
  line(G, "mul x7, x7, x4");
  li(G, 4, TR * wb);
  line(G, "mul x5, x5, x4");
  line(G, "add x4, x5, x7");
}

/* Issues DMA d = x15 of a GEMV: chunks kk = d * per .. (at most per) of the
 * core's m = x20 tiles, through the ring (ring_dma) at the ring slot in
 * register `slot`. Uses x4 .. x14. */
static void gemv_dma(gen *G, uint32_t k, const char *tag, uint32_t id, uint64_t K, uint64_t per,
                     uint64_t chunks, uint64_t TC, uint64_t HT, uint64_t wb, unsigned slot) {
  uint64_t TR = G->a->core.mxu.rows, cores = G->a->cores.count, TB = TR * TC * wb;
  wform f = form_of(G->opt.wdtype);
  li(G, 6, per);
  line(G, "mul x6, x6, x15"); /* kk */
  li(G, 8, chunks);
  line(G, "sub x8, x8, x6");
  li(G, 7, per);
  line(G, "minu x8, x8, x7"); /* c */
  line(G, "mv x9, x8");       /* c chunks (rows of planes) */
  li(G, 8, TR * TC);          /* one block's chunk: contiguous */
  line(G, "mv x10, x20");     /* m blocks (planes) */
  /* storage tile (j, kk) is HT x TR contiguous at element j * HT * K + kk * TR * HT;
   * block b (TC rows) of it at row b * TC mod HT of tile b * TC / HT */
  if (TC == HT) {
    li(G, 4, TC * K * wb);
    line(G, "mul x4, x4, x3");
  } else {
    li(G, 4, TC);
    line(G, "mul x5, x4, x3");
    storage_row(G, HT, K, TR, wb);
  }
  li(G, 5, G->mw_addr[id]);
  line(G, "add x4, x4, x5");
  li(G, 5, TR * HT * wb);
  line(G, "mul x5, x5, x6");
  line(G, "add x4, x4, x5");
  /* in SRAM chunk-major: chunk ci of block i at (ci * m + i) * TB */
  li(G, 11, TB);
  line(G, "mul x11, x11, x20");   /* dst: next chunk */
  li(G, 12, TB);                  /* dst: next block */
  li(G, 13, TR * HT * wb);        /* src: next chunk */
  li(G, 14, cores * TC * K * wb); /* src: next block (cores * TC rows on: whole tiles) */
  char ins[96];
  snprintf(ins, sizeof ins, "dma.3d sram[x6]:%s, hbm[x4]:%s, x8..x14, x0", f.wdt, f.wdt);
  ring_dma(G, k, tag, ins, NULL, slot);
}

/* The storage's tile height of a GEMV's weights of N rows: the MXU's width,
 * or N when it is less (one partial tile). */
static uint64_t gemv_height(const gen *G, uint64_t N) {
  return N < G->a->core.mxu.cols ? N : G->a->core.mxu.cols;
}

/* The output rows per block of GEMV id (N rows, its group's included): the
 * storage's tile height, halved while the blocks stay at most one per core
 * (fewer blocks than cores leave cores idle) and a fused RoPE's heads whole
 * in a block. Every output's sum is the same whatever the block: only which
 * core computes it changes. */
static uint64_t gemv_block(const gen *G, uint32_t id, uint64_t N) {
  uint64_t cores = G->a->cores.count, R = gemv_height(G, N), hd = 1;
  for (uint32_t j = id; j != UINT32_MAX; j = G->gnext[j])
    if (G->rope_of[j] != UINT32_MAX) hd = last(val(G, G->rope_of[j]));
  /* not in a chain of matmuls of several rows: there the MXU's time per
   * chunk is the load of x's chunk whatever the block, and the cores the
   * full blocks leave go to the next matmul (chain_next) */
  bool chained = (G->T > 1 || G->B > 1) && (G->chained_in || chain_shape(G, id));
  while (!chained && R % 2 == 0 && N / (R / 2) <= cores && (R / 2) % hd == 0) R /= 2;
  return R;
}

/* The shape of GEMV id's weight stream (gen_matmul_gemv). */
typedef struct gemv_geom {
  uint64_t K, N, HT, TC, tiles, chunks, per, S, ng;
} gemv_geom;

static gemv_geom gemv_geom_of(const gen *G, uint32_t id) {
  const sc_gvalue *w = val(G, val(G, id)->in[1]);
  gemv_geom g = {.K = last(w), .N = wrows(w)};
  for (uint32_t j = G->gnext[id]; j != UINT32_MAX; j = G->gnext[j]) /* its group's outputs */
    g.N += wrows(val(G, val(G, j)->in[1]));
  uint64_t TR = G->a->core.mxu.rows, cores = G->a->cores.count;
  g.HT = gemv_height(G, g.N);
  g.TC = gemv_block(G, id, g.N);
  g.tiles = g.N / g.TC;
  g.chunks = g.K / TR;
  uint64_t mmax = (g.tiles + cores - 1) / cores;
  uint64_t TB = TR * g.TC * form_of(G->opt.wdtype).wbits / 8;
  g.per = G->s.gbuf / (mmax * TB);              /* chunks per DMA: as many as fit, */
  uint64_t want = GEMV_DMA_BYTES / (mmax * TB); /* about GEMV_DMA_BYTES */
  if (want < g.per) g.per = want;
  if (g.per < 1) g.per = 1;
  g.S = (g.chunks + g.per - 1) / g.per;
  g.ng = w->rank == 3 ? (uint64_t)w->shape[0] : 1;
  return g;
}

/* The other operand of op c of GEMV i's epilogue chain. */
static uint32_t ech_other(const gen *G, uint32_t i, unsigned c) {
  uint32_t prev = c ? G->ech[i][c - 1] : i;
  const sc_gvalue *a = val(G, G->ech[i][c]);
  return a->in[0] == prev ? a->in[1] : a->in[0];
}

/* The SRAM bytes of one operand of GEMV i's epilogue chain: T rows of the
 * most outputs a core has (operand c at B + c times this). */
static uint64_t ech_stride(const gen *G, uint32_t i) {
  /* at most ceil(tiles / cores) of the storage's height HT, or (narrower
   * blocks, gemv_block) one block of less than HT */
  uint64_t N = wrows(val(G, val(G, i)->in[1])), HT = gemv_height(G, N);
  uint64_t cores = G->a->cores.count, m = ((N + HT - 1) / HT + cores - 1) / cores;
  return align_up(G->T * (m ? m : 1) * HT * 4);
}

/* Whether GEMV id is done on the VPU (gemv_vdot): one row, one block of at
 * most VDOT_TC outputs a core (narrow blocks, as gemv_block makes them for
 * few outputs: a mixture's router, latent attention's RoPE key), alone (no
 * group, no RoPE). On the MXU each chunk of K costs a load of x's chunk
 * (mxu.rows cycles) for a few streamed rows; the VPU's product and sum take
 * about 2 x VDOT_TC x mxu.rows / 32 cycles a chunk on SC1. */
enum { VDOT_TC = 8 };

static bool gemv_is_vdot(const gen *G, uint32_t id) {
  const sc_gvalue *y = val(G, id);
  if (y->n_in != 2 || G->gnext[id] != UINT32_MAX || G->rope_of[id] != UINT32_MAX || G->T != 1 ||
      G->opt.no_fuse)
    return false;
  gemv_geom g = gemv_geom_of(G, id);
  uint64_t wb = form_of(G->opt.wdtype).wbits / 8;
  return g.ng == 1 && g.TC <= VDOT_TC && g.tiles <= G->a->cores.count &&
         elems(val(G, y->in[0])) == g.K &&
         align_up(g.TC * g.K * wb) + g.TC * g.K * 4 <= G->ring_bufs * G->s.gbuf;
}

/* The GEMV after GEMV i whose first ring DMAs i issues as its own last
 * ones go out (docs/COMPILER.md, "Decode matmuls"), or UINT32_MAX: one
 * token a step, the next op with code is a GEMV, both of one weight matrix
 * (not grouped by experts) with a tile on every core, and i has at least
 * PF_LEAD DMAs. The ring's slots run on across the two (x1: the slot of
 * an op's first DMA) and its free-buffer tokens stay taken. */
static uint32_t gemv_pf(const gen *G, uint32_t i) {
  uint32_t n = (uint32_t)sc_graph_count(G->g), j = next_coded(G, i);
  if (G->T != 1 || G->B > 1 || G->mm_rot || j >= n || !G->gemv[i] || !G->gemv[j] ||
      val(G, j)->op != SC_GOP_MATMUL)
    return UINT32_MAX;
  uint64_t cores = G->a->cores.count;
  gemv_geom a = gemv_geom_of(G, i), b = gemv_geom_of(G, j);
  if (a.ng != 1 || b.ng != 1 || a.tiles < cores || b.tiles < cores || a.S < PF_LEAD ||
      gemv_is_vdot(G, i) || gemv_is_vdot(G, j))
    return UINT32_MAX;
  return j;
}

/* y[1, N] = x[1, K] @ W[N, K]^T (+ bias) as a GEMV (docs/COMPILER.md,
 * "Decode matmuls"): the activations are the stationary operand and the
 * weights stream through the MXU as its rows. Output tile j (TC rows of W) is
 * core j mod cores's; K goes outermost in chunks of TR, so each chunk of x is
 * loaded once per core and every tile of the core streams against it, its
 * sums in accumulator rows of their own (one column). The weights come in
 * DMAs of a few chunks of all the core's tiles (a 3-D gather of the
 * tile-major storage, chunk-major in SRAM so that one matmul of M = m x TC
 * rows takes a chunk of every tile) into a ring of G->ring_bufs buffers, alternating the two
 * DMA engines; per engine, s1 / s5 count its free buffers and s0 / s4 its
 * loaded ones (DMA d: engine d mod 2, buffer d mod G->ring_bufs).
 * Sums of products in ascending k, as the weight-stationary path: the same
 * bits. */
/* A GEMV group member's tiles [t0, t1) on this core: its i-th tiles for i in
 * [x14, x16), i0 = ceil((t0 - core) / cores), i1 likewise (x15 = cores). */
static void member_tiles(gen *G, uint64_t t0, uint64_t t1, uint64_t cores) {
  li(G, 14, t0 + cores - 1);
  line(G, "sub x14, x14, x3");
  li(G, 15, cores);
  line(G, "divu x14, x14, x15"); /* i0 */
  li(G, 16, t1 + cores - 1);
  line(G, "sub x16, x16, x3");
  line(G, "divu x16, x16, x15"); /* i1 */
}

/* A GEMV chunk's matmul into acc[<acc>] from sram[x23] (x16..x18):
 * overwriting for the first chunk of K (x25 = kk + ci = 0), accumulating
 * after; plain unless x9 = 0, when it frees the DMA's buffer (s1 / s5 by
 * engine x19). Its labels begin with tag. */
static void gemv_mm(gen *G, uint32_t k, const char *tag, const char *acc, const char *wdt) {
  char la[16], le[16], to[16], ta[16], ins[96];
  snprintf(la, sizeof la, "%sacc", tag);
  snprintf(le, sizeof le, "%stn", tag);
  snprintf(to, sizeof to, "%smo", tag);
  snprintf(ta, sizeof ta, "%sma", tag);
  line(G, "bne x25, x0, L%u_%s", k, la);
  snprintf(ins, sizeof ins, "mxu.mm acc[%s], sram[x23]:%s, x16..x18, overwrite", acc, wdt);
  sem_variants(G, k, to, 9, ins, " @signal(s1)", " @signal(s5)");
  line(G, "j L%u_%s", k, le);
  label(G, la, k);
  snprintf(ins, sizeof ins, "mxu.mm acc[%s], sram[x23]:%s, x16..x18, accumulate", acc, wdt);
  sem_variants(G, k, ta, 9, ins, " @signal(s1)", " @signal(s5)");
  label(G, le, k);
}

/* The pieces of a GEMV's last chunk (gemv_chunk's split): a core's m = x20
 * tiles in SPLIT_PIECES runs of whole tiles, each run's matmul followed by
 * the drain of its accumulator rows into C (at the same rows), so that the
 * drain of one run overlaps the next run's streaming (the MXU streams while
 * it drains, docs/PERF_MODEL.md) instead of one drain of all m x TC rows
 * after the last matmul. The last run frees the DMA's buffer (s1 / s5 by
 * engine x19); each drain signals s2. Same sums, same bits. Uses x4 .. x9,
 * x16, x24. */
static void gemv_split_last(gen *G, uint32_t k, wform f, uint64_t T, uint64_t TC) {
  uint64_t TR = G->a->core.mxu.rows, wb = f.wbits / 8;
  for (unsigned i = 0; i < SPLIT_PIECES; i++) {
    li(G, 4, i);
    line(G, "mul x4, x4, x20");
    li(G, 5, SPLIT_PIECES);
    line(G, "divu x4, x4, x5"); /* its first tile */
    li(G, 5, i + 1);
    line(G, "mul x5, x5, x20");
    li(G, 7, SPLIT_PIECES);
    line(G, "divu x5, x5, x7"); /* its end */
    line(G, "sub x16, x5, x4");
    li(G, 7, TC);
    line(G, "mul x16, x16, x7"); /* its rows */
    line(G, "mul x4, x4, x7");   /* its first row */
    li(G, 7, TR * wb);
    line(G, "mul x24, x4, x7");
    line(G, "add x24, x24, x23"); /* its weights in the buffer */
    li(G, 7, T * 4);
    line(G, "mul x6, x4, x7"); /* its accumulator rows (bytes) */
    char ins[96], tag[16];
    snprintf(ins, sizeof ins, "mxu.mm acc[x6], sram[x24]:%s, x16..x18, accumulate", f.wdt);
    if (i + 1 < SPLIT_PIECES) {
      line(G, "%s", ins);
    } else {
      snprintf(tag, sizeof tag, "sp%u", i);
      sem_variants(G, k, tag, 0, ins, " @signal(s1)", " @signal(s5)");
    }
    li(G, 7, G->s.c);
    line(G, "add x7, x7, x6"); /* C at the same rows */
    line(G, "mv x8, x16");
    li(G, 9, T);
    li(G, 10, T * 4);
    li(G, 11, T * 4);
    line(G, "mxu.drain sram[x7]:fp32, acc[x6]:fp32, x8..x11 @signal(s2)");
  }
}

/* Chunk ci = x28 of DMA x21 (its buffer x29, c = x27 chunks from kk = x26)
 * of a GEMV: the stationary x[kk + ci ..] (rows of K at xs) against every
 * tile of the core at once, M = m x TC rows (m = x20), one sum per
 * accumulator row. A DMA's first chunk waits for it (s0 / s4 by engine
 * x19), its last frees the buffer (s1 / s5). */
static void gemv_chunk(gen *G, uint32_t k, wform f, uint64_t T, uint64_t K, uint64_t xs,
                       uint64_t TC, uint64_t chunks, bool split) {
  uint64_t TR = G->a->core.mxu.rows;
  uint64_t ab = f.abits / 8, wb = f.wbits / 8, TB = TR * TC * wb;
  /* the stationary x[kk + ci ..]: K = TR, N = 1 */
  line(G, "add x6, x26, x28");
  li(G, 7, TR * ab);
  line(G, "mul x6, x6, x7");
  li(G, 7, xs);
  line(G, "add x6, x6, x7");
  li(G, 12, TR);
  li(G, 13, T);
  li(G, 14, K * ab);
  char ins[96];
  snprintf(ins, sizeof ins, "mxu.ldw sram[x6]:%s, x12..x14, nk", f.adt);
  sem_variants(G, k, "ldw", 28, ins, " @wait(s0)", " @wait(s4)"); /* a DMA's first chunk */
  /* every tile of the core against it at once: M = m * TC rows, one sum per
   * accumulator row */
  li(G, 7, TB);
  line(G, "mul x23, x28, x7");
  line(G, "mul x23, x23, x20");
  line(G, "add x23, x23, x29"); /* chunk ci of tile 0 */
  li(G, 16, TC);
  line(G, "mul x16, x16, x20");
  li(G, 17, TR * wb);
  li(G, 18, T * 4);
  line(G, "add x25, x26, x28"); /* 0: the first chunk, overwrite */
  /* the last chunk of this DMA's buffer frees it (s1 / s5 by engine) */
  line(G, "addi x9, x28, 1");
  line(G, "sltu x9, x9, x27"); /* 1: not the last */
  if (split) {                 /* the op's last chunk: in pieces, each drained behind the next */
    line(G, "add x4, x26, x28");
    li(G, 5, chunks - 1);
    line(G, "beq x4, x5, L%u_spl", k);
  }
  gemv_mm(G, k, "", "x0", f.wdt);
  if (!split) return;
  line(G, "j L%u_spd", k);
  label(G, "spl", k);
  gemv_split_last(G, k, f, T, TC);
  label(G, "spd", k);
}

/* Chunk ci = x28 of DMA x21 (its buffer x29, c = x27 chunks from kk = x26)
 * for a grouped GEMV: each of the core's m = x20 tiles (tile j = core + i *
 * cores, of group j * TC / Ng) against its own group's x[kk + ci ..] (rows
 * of KX = groups * K at xs): a load of x per tile. The buffer's first load
 * waits for the DMA and its last matmul frees it, as in gen_matmul_gemv. */
static void gemv_grouped_chunk(gen *G, uint32_t k, wform f, uint64_t T, uint64_t K, uint64_t Ng,
                               uint64_t KX, uint64_t xs, uint64_t TC) {
  uint64_t TR = G->a->core.mxu.rows, cores = G->a->cores.count;
  uint64_t ab = f.abits / 8, wb = f.wbits / 8, TB = TR * TC * wb;
  line(G, "li x22, 0"); /* i */
  label(G, "gt", k);
  li(G, 7, cores);
  line(G, "mul x7, x7, x22");
  line(G, "add x7, x7, x3");
  li(G, 4, TC);
  line(G, "mul x7, x7, x4");
  li(G, 4, Ng);
  line(G, "divu x7, x7, x4"); /* g */
  li(G, 4, K);
  line(G, "mul x7, x7, x4");
  line(G, "add x6, x26, x28");
  li(G, 4, TR);
  line(G, "mul x6, x6, x4");
  line(G, "add x6, x6, x7");
  li(G, 4, ab);
  line(G, "mul x6, x6, x4");
  li(G, 7, xs);
  line(G, "add x6, x6, x7"); /* x[g * K + kk + ci ..] */
  li(G, 12, TR);
  li(G, 13, T);
  li(G, 14, KX * ab);
  line(G, "or x5, x28, x22"); /* 0: the buffer's first load */
  char ins[96];
  snprintf(ins, sizeof ins, "mxu.ldw sram[x6]:%s, x12..x14, nk", f.adt);
  sem_variants(G, k, "gl", 5, ins, " @wait(s0)", " @wait(s4)");
  line(G, "mul x23, x28, x20");
  line(G, "add x23, x23, x22");
  li(G, 7, TB);
  line(G, "mul x23, x23, x7");
  line(G, "add x23, x23, x29"); /* chunk ci of tile i */
  li(G, 16, TC);
  li(G, 17, TR * wb);
  li(G, 18, T * 4);
  li(G, 24, TC * T * 4);
  line(G, "mul x24, x24, x22"); /* its accumulator rows */
  line(G, "addi x9, x28, 1");
  line(G, "sltu x9, x9, x27");
  line(G, "addi x5, x22, 1");
  line(G, "sltu x5, x5, x20");
  line(G, "or x9, x9, x5"); /* 0: the buffer's last matmul */
  line(G, "add x25, x26, x28");
  gemv_mm(G, k, "g", "x24", f.wdt);
  line(G, "addi x22, x22, 1");
  line(G, "blt x22, x20, L%u_gt", k);
}

/* An operand of GEMV id's epilogue chain (ech: the residual x of y = x + o,
 * a routing weight): the columns of value v of the core's m = x20 tiles of
 * TC (T rows of N) into SRAM at dst, signalling s6. Uses x4, x5, x7 .. x14. */
static void gemv_operand_load(gen *G, uint32_t v, uint64_t dst, uint64_t T, uint64_t N,
                              uint64_t TC) {
  uint64_t cores = G->a->cores.count;
  li(G, 4, G->addr[v]);
  li(G, 5, TC * 4);
  line(G, "mul x5, x5, x3");
  line(G, "add x4, x4, x5");
  li(G, 7, dst);
  li(G, 8, TC);
  line(G, "mv x9, x20");
  li(G, 10, T);
  li(G, 11, TC * 4);
  li(G, 12, TC * 4);
  line(G, "mul x12, x12, x20");
  li(G, 13, cores * TC * 4);
  li(G, 14, N * 4);
  line(G, "dma.3d sram[x7]:fp32, hbm[x4]:fp32, x8..x14, x0, q0 @signal(s6)");
}

/* GEMV id on the VPU (gemv_is_vdot): the core's block (x20 = m = 1) of TC
 * output rows of the weights, gathered from the tile-major storage into the
 * ring's first buffer as TC rows of K, times x (in Q, quantized; or A)
 * element by element, then each row summed left to right: the products and
 * the sums in the MXU's order (x[k] w[k] rounded, then added in ascending k
 * from +0), so the same bits. The sums go to C[0 .. TC), where the drain
 * would put them; x6 = C. */
static void gemv_vdot(gen *G, uint32_t id, wform f, uint64_t K) {
  gemv_geom g = gemv_geom_of(G, id);
  uint64_t TR = G->a->core.mxu.rows, wb = f.wbits / 8, TC = g.TC;
  uint64_t wrow = G->s.g, prod = G->s.g + align_up(TC * K * wb);
  /* block b = core (its TC rows at row b TC mod HT of storage tile b TC / HT;
   * chunk kk of the tile at kk TR HT) as TC rows of K */
  li(G, 4, TC);
  line(G, "mul x5, x3, x4");
  storage_row(G, g.HT, K, TR, wb);
  li(G, 5, G->mw_addr[id]);
  line(G, "add x4, x4, x5");
  li(G, 5, wrow);
  li(G, 8, TR);
  li(G, 9, g.chunks);
  li(G, 10, TC);
  li(G, 11, TR * wb);
  li(G, 12, K * wb);
  li(G, 13, TR * g.HT * wb);
  li(G, 14, TR * wb);
  line(G, "dma.3d sram[x5]:%s, hbm[x4]:%s, x8..x14, x0, q0 @signal(s2)", f.wdt, f.wdt);
  line(G, "sync.wait s2, 1");
  /* each row's products x[k] w[k] (x first, as the MXU), then the row sums */
  li(G, 6, f.fp8 ? G->s.q : G->s.a);
  vgroup(G, 1, K);
  line(G, "li x11, %llu", (unsigned long long)(K * f.abits / 8));
  line(G, "li x12, %llu", (unsigned long long)(K * wb));
  for (uint64_t r = 0; r < TC; r++) {
    li(G, 5, wrow + r * K * wb);
    li(G, 7, prod + r * K * 4);
    line(G, "vpu.mul sram[x7]:fp32, sram[x6]:%s, sram[x5]:%s, x8..x12, full", f.adt, f.wdt);
  }
  li(G, 6, G->s.c);
  li(G, 7, prod);
  li(G, 8, TC);
  li(G, 9, K);
  line(G, "li x10, 4");
  li(G, 11, K * 4);
  line(G, "vpu.rsum sram[x6]:fp32, sram[x7]:fp32, x8..x11, overwrite");
  line(G, "sync.fence vpu");
}

static void gen_matmul_gemv(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *x = val(G, y->in[0]);
  uint64_t cores = G->a->cores.count;
  uint32_t n_ropes = 0, rope_any = UINT32_MAX; /* fused RoPE: this position's table row (s7) */
  for (uint32_t j = id; j != UINT32_MAX; j = G->gnext[j])
    if (G->rope_of[j] != UINT32_MAX) n_ropes++, rope_any = G->rope_of[j];
  /* the output rows per block ("tile", TC): the MXU's width, or fewer when
   * that leaves cores idle (docs/COMPILER.md, "Decode matmuls"); N: the
   * group's outputs */
  gemv_geom gm = gemv_geom_of(G, id);
  uint64_t K = gm.K, N = gm.N, HT = gm.HT, TC = gm.TC, tiles = gm.tiles, chunks = gm.chunks,
           per = gm.per;
  wform f = form_of(G->opt.wdtype);
  uint64_t wb = f.wbits / 8;
  /* the ring: this op's first DMAs issued by the GEMV before it, or not;
   * the next GEMV's issued by this one, or not (gemv_pf) */
  bool pf_in = G->pf_into == id;
  G->pf_into = UINT32_MAX;
  uint32_t pf = gemv_pf(G, id);
  uint64_t xs = f.fp8 ? G->s.q : G->s.a;
  /* the last chunk in pieces drained one behind the other (gemv_split_last)
   * when every core has at least SPLIT_MIN tiles: one row, and not its first chunk */
  bool split = gm.ng == 1 && elems(x) == K && chunks >= 2 && tiles / cores >= SPLIT_MIN;
  /* a grouped matmul: x rows of ng groups of K, tile j of group j * TC / Ng */
  uint64_t ng = gm.ng, Ng = N / ng, KX = ng * K;
  const uint64_t T = elems(x) / KX;   /* rows: 1, or a batch of sequences */
  bool held = G->q_holds == y->in[0]; /* x in Q on every core: nothing to load */
  prep_x(G, y, k, id, T);             /* every core, before some leave */
  G->mm_tiles = tiles;
  G->x3_rot = core_place(G, 3); /* chained (chain_next): x3 = the core's place, not its id */
  /* In a chain (chain_shape) every core loads x, the cores without a tile of
   * this matmul for the next one's; otherwise only the cores with a tile. */
  bool load_all = !held && G->prep[id] && chain_shape(G, id);
  li(G, 21, tiles);
  if (load_all) {
    matmul_x_load(G, y, id, f, T, KX);
    line(G, "bltu x3, x21, L%u_go", k);
    line(G, "sync.wait s6, 2"); /* no tile here: x loaded for what follows */
    line(G, "j L%u_out", k);
    label(G, "go", k);
  } else {
    line(G, "bgeu x3, x21, L%u_out", k); /* no tile on this core */
    matmul_x_load(G, y, id, f, T, KX);   /* x loads while the first weight DMAs go out */
  }
  uint32_t n_scales = 0; /* fp8 per tensor: each member's weight scale, fetched now (s7) */
  for (uint32_t j = id; f.fp8 && !f.channel && j != UINT32_MAX; j = G->gnext[j], n_scales++) {
    li(G, 4, G->ms_addr[j]);
    li(G, 7, G->s.scale + 4 * n_scales); /* a slot each: the VPU may still read the last */
    line(G, "li x13, 1");
    line(G, "dma.1d sram[x7]:fp32, hbm[x4]:fp32, x13, x0, q1 @signal(s7)");
  }
  if (n_ropes) {
    uint64_t hd = last(val(G, rope_any));
    li(G, 4, G->rope);
    li(G, 7, hd * 4);
    line(G, "mul x7, x7, x2");
    line(G, "add x4, x4, x7");
    li(G, 7, G->s.scale2);
    li(G, 13, hd);
    line(G, "dma.1d sram[x7]:fp32, hbm[x4]:fp32, x13, x0, q1 @signal(s7)");
  }
  line(G, "sub x20, x21, x3");
  li(G, 4, cores - 1);
  line(G, "add x20, x20, x4");
  li(G, 4, cores);
  line(G, "divu x20, x20, x4"); /* m = the core's tiles */
  /* DMAs run ring_lead ahead of the matmuls: the prologue issues the first
   * (or the GEMV before did, with the ring's tokens still taken: pf_in) */
  uint64_t S = gm.S; /* DMAs */
  if (!pf_in) {
    line(G, "li x1, 0"); /* the ring slot of DMA 0 */
    self_signal(G, 1, G->ring_bufs / 2);
    self_signal(G, 5, G->ring_bufs / 2);
  }
  bool vdot = gemv_is_vdot(G, id); /* no ring (gemv_vdot) */
  if (!vdot) {
    li(G, 15, pf_in ? (S < PF_LEAD ? S : PF_LEAD) : 0);
    label(G, "pro", k);
    li(G, 7, S < ring_lead(G) ? S : ring_lead(G));
    line(G, "bge x15, x7, L%u_prd", k);
    line(G, "add x22, x15, x1");
    gemv_dma(G, k, "p", id, K, per, chunks, TC, HT, wb, 22);
    line(G, "addi x15, x15, 1");
    line(G, "j L%u_pro", k);
    label(G, "prd", k);
  }
  matmul_x_quant(G, y, id, f, T, KX);
  /* y = x + o: the residual's columns load now, behind the first weight DMAs
   * rather than behind the next GEMV's at the end, unless B takes the
   * per-output vectors then */
  uint32_t radd = G->radd[id];
  unsigned nech = G->ech_n[id];
  uint64_t estr = nech ? ech_stride(G, id) : 0;
  bool radd_early = radd != UINT32_MAX && !f.channel && y->n_in != 3;
  for (unsigned c = 0; c < nech && radd_early; c++)
    gemv_operand_load(G, ech_other(G, id, c), G->s.b + c * estr, T, N, TC);
  if (vdot) gemv_vdot(G, id, f, K);
  if (!vdot) {
    line(G, "li x21, 0"); /* s: the DMA whose buffer the matmuls use */
    line(G, "li x26, 0"); /* kk: its first chunk */
    label(G, "sup", k);
    line(G, "addi x15, x21, %u", ring_lead(G));
    li(G, 7, S);
    line(G, "add x22, x15, x1"); /* its ring slot */
    line(G, "bge x15, x7, L%u_nxo", k);
    gemv_dma(G, k, "m", id, K, per, chunks, TC, HT, wb, 22);
    line(G, "j L%u_nod", k);
    label(G, "nxo", k);
    if (pf != UINT32_MAX) { /* the next GEMV's DMA j = s + PF_LEAD - S, of its first PF_LEAD,
                               in ring slot x1 + S + j */
      gemv_geom nx = gemv_geom_of(G, pf);
      if (ring_lead(G) > PF_LEAD) { /* x15 = s + lead, x22 = x1 + x15 */
        line(G, "addi x15, x21, %u", PF_LEAD);
        line(G, "blt x15, x7, L%u_nod", k);
        line(G, "addi x22, x22, -%u", ring_lead(G) - PF_LEAD);
      }
      line(G, "sub x15, x15, x7");
      li(G, 7, nx.S < PF_LEAD ? nx.S : PF_LEAD);
      line(G, "bge x15, x7, L%u_nod", k);
      line(G, "mv x30, x20");
      li(G, 20, nx.tiles);
      line(G, "sub x20, x20, x3");
      li(G, 4, cores - 1);
      line(G, "add x20, x20, x4");
      li(G, 4, cores);
      line(G, "divu x20, x20, x4"); /* its m */
      gemv_dma(G, k, "f", pf, nx.K, nx.per, nx.chunks, nx.TC, nx.HT, wb, 22);
      line(G, "mv x20, x30");
    }
    label(G, "nod", k);
    li(G, 27, chunks);
    line(G, "sub x27, x27, x26");
    li(G, 4, per);
    line(G, "minu x27, x27, x4"); /* c: chunks of DMA s */
    line(G, "add x4, x21, x1");   /* its ring slot */
    line(G, "andi x19, x4, 1");   /* its engine */
    line(G, "andi x29, x4, %u", G->ring_bufs - 1);
    li(G, 7, G->s.gbuf);
    line(G, "mul x29, x29, x7");
    li(G, 7, G->s.g);
    line(G, "add x29, x29, x7"); /* its ring buffer */
    line(G, "li x28, 0");        /* ci */
    label(G, "chunk", k);
    if (ng > 1)
      gemv_grouped_chunk(G, k, f, T, K, Ng, KX, xs, TC);
    else
      gemv_chunk(G, k, f, T, K, xs, TC, chunks, split);
    line(G, "addi x28, x28, 1");
    line(G, "blt x28, x27, L%u_chunk", k);
    line(G, "add x26, x26, x27");
    line(G, "addi x21, x21, 1");
    li(G, 7, S);
    line(G, "blt x21, x7, L%u_sup", k);
    if (pf != UINT32_MAX) { /* the next GEMV's DMA 0 goes in the slot after this one's last */
      line(G, "addi x1, x1, %llu", (unsigned long long)(S % G->ring_bufs));
      line(G, "andi x1, x1, %u", G->ring_bufs - 1);
      G->pf_into = pf;
    }
    /* drain the sums: m x TC accumulator rows of T (the outputs' transpose) into C */
    li(G, 8, TC);
    line(G, "mul x8, x8, x20");
    li(G, 9, T);
    li(G, 10, T * 4);
    li(G, 11, T * 4);
    li(G, 6, G->s.c);
    if (!split) line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11 @signal(s2)");
    line(G, "sync.wait s2, %u", split ? SPLIT_PIECES : 1);
  }            /* !vdot */
  if (T > 1) { /* to T rows of the core's m x TC outputs, in Q (free after the loop; A when
                 Q keeps the prepared x for the next matmul of it) */
    li(G, 7, G->prep[id] ? G->s.a : G->s.q);
    if (radd_early) { /* x8, x9 as for the drain */
      li(G, 8, TC);
      line(G, "mul x8, x8, x20");
      li(G, 9, T);
    }
    li(G, 10, TC * 4);
    line(G, "mul x10, x10, x20");
    li(G, 11, T * 4);
    line(G, "vpu.trans sram[x7]:fp32, sram[x6]:fp32, x8..x11");
    line(G, "sync.fence vpu");
    line(G, "mv x6, x7");
  }
  /* the outputs as rows (tokens) of m x TC values: x8..x11 */
  li(G, 8, T);
  li(G, 9, TC);
  line(G, "mul x9, x9, x20");
  line(G, "shli x10, x9, 2");
  line(G, "shli x11, x9, 2");
  /* the per-output vector at `base` (fp8 channel scales, bias) of the core's tiles, into B */
#define GEMV_VECTOR(base)                                                                          \
  do {                                                                                             \
    li(G, 4, (base));                                                                              \
    li(G, 5, TC * 4);                                                                              \
    line(G, "mul x5, x5, x3");                                                                     \
    line(G, "add x4, x4, x5");                                                                     \
    li(G, 7, G->s.b);                                                                              \
    li(G, 13, TC);                                                                                 \
    line(G, "li x14, 1");                                                                          \
    line(G, "mv x15, x20"); /* a plane per tile: a group's tiles lie in its members' buffers */    \
    li(G, 16, TC * 4);                                                                             \
    li(G, 17, TC * 4);                                                                             \
    li(G, 18, TC * 4);                                                                             \
    li(G, 19, cores *TC * 4);                                                                      \
    line(G, "dma.3d sram[x7]:fp32, hbm[x4]:fp32, x13..x19, x0, q0 @signal(s6)");                   \
    line(G, "sync.wait s6, 1");                                                                    \
  } while (0)
  if (f.fp8) {
    /* y = (acc * s_a) * s_w (per tensor, or s_w[n] per channel), as the tile path */
    li(G, 7, G->s.s);
    line(G, "li x12, 4");
    line(G, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, %s",
         T == 1 ? "scalar" : "col");
    if (f.channel) {
      GEMV_VECTOR(G->ms_addr[id]);
      line(G, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, row");
    } else if (G->gnext[id] == UINT32_MAX) {
      li(G, 7, G->s.scale);
      line(G, "sync.wait s7, 1"); /* fetched at the start */
      line(G, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, scalar");
    } else {
      /* a group (one row): each member's scale on the core's tiles of it, i in
       * [i0, i1) with i0 = ceil((t0 - core) / cores) for its tiles [t0, t1) */
      uint64_t t0 = 0, slot = 0;
      line(G, "sync.wait s7, %u", n_scales); /* fetched at the start */
      for (uint32_t j = id; j != UINT32_MAX; j = G->gnext[j], slot++) {
        uint64_t t1 = t0 + wrows(val(G, val(G, j)->in[1])) / TC;
        li(G, 7, G->s.scale + 4 * slot);
        member_tiles(G, t0, t1, cores);
        line(G, "bgeu x14, x16, L%u_g%u", k, j);
        line(G, "sub x9, x16, x14");
        li(G, 15, TC);
        line(G, "mul x9, x9, x15"); /* its columns */
        li(G, 15, TC * 4);
        line(G, "mul x15, x15, x14");
        line(G, "add x15, x15, x6");
        line(G, "vpu.mul sram[x15]:fp32, sram[x15]:fp32, sram[x7]:fp32, x8..x12, scalar");
        raw(G, "L%u_g%u:", k, j);
        t0 = t1;
      }
      li(G, 9, TC);
      line(G, "mul x9, x9, x20");
    }
    line(G, "sync.fence vpu");
  }
  if (y->n_in == 3) {
    GEMV_VECTOR(G->addr[y->in[2]]);
    line(G, "vpu.add sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, row");
    line(G, "sync.fence vpu");
  }
#undef GEMV_VECTOR
  if (n_ropes) { /* RoPE on the core's tiles of the rotated members, as gen_rope */
    line(G, "sync.wait s7, 1");
    uint64_t t0 = 0;
    for (uint32_t j = id; j != UINT32_MAX; j = G->gnext[j]) {
      uint64_t t1 = t0 + wrows(val(G, val(G, j)->in[1])) / TC;
      uint32_t r = G->rope_of[j];
      if (r != UINT32_MAX) {
        uint64_t hd = last(val(G, r));
        member_tiles(G, t0, t1, cores);
        line(G, "bgeu x14, x16, L%u_r%u", k, j);
        li(G, 15, TC * 4);
        line(G, "mul x15, x15, x14");
        line(G, "add x15, x15, x6");
        line(G, "sub x8, x16, x14");
        li(G, 9, TC / hd);
        line(G, "mul x8, x8, x9"); /* its heads */
        li(G, 9, hd);
        li(G, 10, hd * 4);
        li(G, 11, hd * 4);
        line(G, "li x12, 0"); /* every head reads the same row */
        li(G, 7, G->s.scale2);
        line(G, "vpu.rope sram[x15]:fp32, sram[x15]:fp32, sram[x7]:fp32, x8..x12, %s",
             val(G, r)->attrs.rope_halves ? "halves" : "pairs");
        raw(G, "L%u_r%u:", k, j);
      }
      t0 = t1;
    }
    line(G, "sync.fence vpu");
  }
  if (nech) { /* the chain (y = x + o; a routing weight's product, sums): the same
                 columns of each op's other operand, in the op's operand order */
    for (unsigned c = 0; c < nech && !radd_early; c++)
      gemv_operand_load(G, ech_other(G, id, c), G->s.b + c * estr, T, N, TC);
    line(G, "sync.wait s6, %u", nech);
    li(G, 8, T);
    li(G, 9, TC);
    line(G, "mul x9, x9, x20");
    line(G, "shli x10, x9, 2");
    line(G, "shli x11, x9, 2");
    line(G, "shli x12, x9, 2");
    uint32_t cur = id;
    for (unsigned c = 0; c < nech; c++) {
      const sc_gvalue *a = val(G, G->ech[id][c]);
      li(G, 7, G->s.b + c * estr);
      bool first = a->in[0] == cur;
      line(G, "vpu.%s sram[x6]:fp32, sram[x%u]:fp32, sram[x%u]:fp32, x8..x12, full",
           a->op == SC_GOP_ADD ? "add" : "mul", first ? 6 : 7, first ? 7 : 6);
      cur = G->ech[id][c];
    }
    line(G, "sync.fence vpu");
  }
  /* the members' cache writes (cw_of): the core's tiles of the member from C
   * to the cache's row at the position, converted, on queue 1 beside the
   * store; a core without tiles of it signals for it */
  unsigned n_cw = 0;
  {
    uint64_t t0 = 0;
    for (uint32_t j = id; j != UINT32_MAX; j = G->gnext[j]) {
      uint64_t Nj = wrows(val(G, val(G, j)->in[1])), t1 = t0 + Nj / TC;
      uint32_t c = G->cw_of[j];
      if (c != UINT32_MAX) {
        member_tiles(G, t0, t1, cores);
        line(G, "bltu x14, x16, L%u_w%u", k, j);
        self_signal(G, 6, 1);
        line(G, "j L%u_wd%u", k, j);
        raw(G, "L%u_w%u:", k, j);
        li(G, 4, cores);
        line(G, "mul x4, x4, x14");
        line(G, "add x4, x4, x3");
        li(G, 5, t0);
        line(G, "sub x4, x4, x5"); /* the member's tile */
        li(G, 5, TC * G->kvb);
        line(G, "mul x4, x4, x5");
        li(G, 5, Nj * G->kvb);
        line(G, "mul x5, x5, x2");
        line(G, "add x4, x4, x5");
        li(G, 5, G->addr[val(G, c)->in[0]]);
        line(G, "add x4, x4, x5"); /* cache[pos][tile] */
        li(G, 7, TC * 4);
        line(G, "mul x7, x7, x14");
        line(G, "add x7, x7, x6"); /* its first tile in C */
        li(G, 8, TC);
        line(G, "sub x9, x16, x14");
        li(G, 10, cores * TC * G->kvb);
        li(G, 11, TC * 4);
        line(G, "dma.2d hbm[x4]:%s, sram[x7]:fp32, x8..x11, x0, q1 @signal(s6)", G->kvt);
        raw(G, "L%u_wd%u:", k, j);
        n_cw++;
      }
      t0 = t1;
    }
  }
  uint32_t sw = G->sw_of[id];
  uint64_t mh = tiles / 2 / cores; /* sw: the core's tiles of gate (and of up) */
  if (sw != UINT32_MAX) {          /* silu(gate) x up into gate's columns, as swiglu_sram */
    li(G, 7, mh * TC * 4);
    line(G, "add x7, x7, x6");
    vgroup(G, 1, mh * TC);
    line(G, "vpu.silu sram[x6]:fp32, sram[x6]:fp32, x8..x11");
    line(G, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, full");
    if (f.fp8) { /* the max |x| of the core's columns (up's rows as scratch) to sw_amax */
      line(G, "vpu.abs sram[x7]:fp32, sram[x6]:fp32, x8..x11");
      line(G, "li x10, 4");
      li(G, 24, G->s.s);
      line(G, "vpu.rmax sram[x24]:fp32, sram[x7]:fp32, x8..x11, overwrite");
    }
    line(G, "sync.fence vpu");
    if (f.fp8) {
      li(G, 4, G->sw_amax);
      line(G, "shli x5, x3, 2");
      line(G, "add x4, x4, x5");
      line(G, "li x8, 1");
      line(G, "dma.1d hbm[x4]:fp32, sram[x24]:fp32, x8, x0, q1 @signal(s6)");
      n_cw++;
    }
  }
  /* T rows of the core's m tiles of TC to y[t][j * TC ..], j = core + i * cores
   * (sw: its tiles of gate, holding the SwiGLU) */
  li(G, 4, G->addr[radd != UINT32_MAX ? radd : id]);
  li(G, 5, TC * 4);
  line(G, "mul x5, x5, x3");
  line(G, "add x4, x4, x5");
  li(G, 8, TC);
  if (sw != UINT32_MAX)
    li(G, 9, mh);
  else
    line(G, "mv x9, x20");
  li(G, 10, T);
  li(G, 11, cores * TC * 4);
  li(G, 12, N * 4);
  li(G, 13, TC * 4);
  li(G, 14, TC * 4);
  line(G, "mul x14, x14, x20");
  /* (on s6: s0 is the ring's, which the next GEMV's first DMAs may signal) */
  line(G, "dma.3d hbm[x4]:fp32, sram[x6]:fp32, x8..x14, x0, q0 @signal(s6)");
  line(G, "sync.wait s6, %u", 1 + n_cw);
  if (pf == UINT32_MAX) {
    line(G, "sync.wait s1, %u", G->ring_bufs / 2); /* take back the free-buffer tokens */
    line(G, "sync.wait s5, %u", G->ring_bufs / 2);
  }
  label(G, "out", k);
  if (G->x3_rot) line(G, "csrr x3, core_id");
  G->x3_rot = false;
  /* the next matmul of the same x finds it in Q when every core loaded it
   * (or held it already) */
  G->q_holds = G->prep[id] && (held || load_all || tiles >= cores) ? y->in[0] : UINT32_MAX;
}

/* y[1, N] = x[1, K] @ W[N, K]^T (+ bias): output tiles of up to mxu.cols
 * columns, tile j on core j mod cores, K in chunks of up to mxu.rows. The
 * weights are stored per the options (docs/COMPILER.md, "Dtypes"). */
static void gen_matmul(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *w = val(G, y->in[1]);
  uint64_t K = last(w), N = wrows(w);
  uint64_t TR = G->a->core.mxu.rows, TC = G->a->core.mxu.cols;
  uint64_t tiles = (N + TC - 1) / TC, cores = G->a->cores.count;
  wform f = form_of(G->opt.wdtype);
  uint64_t wbase = G->mw_addr[id], sbase = G->ms_addr[id], group = G->mgroup[id];
  const uint64_t T = mm_rows(G, y); /* the step's rows, or fewer (the last row's logits) */
  if (G->gemv[id]) {
    gen_matmul_gemv(G, y, k, id);
    return;
  }
  /* a grouped matmul: x rows of ng groups of K, tile n0 of group n0 / Ng */
  uint64_t ng = w->rank == 3 ? (uint64_t)w->shape[0] : 1, Ng = N / ng, KX = ng * K;
  prep_x(G, y, k, id, T);
  matmul_x(G, y, id, f, T, KX);
  self_signal(G, 1, 2); /* both weight buffers are free */
  li(G, 29, G->s.w);
  li(G, 30, G->s.w2);
  li(G, 31, G->s.scale);
  G->mm_tiles = tiles;
  if (!core_place(G, 20)) line(G, "mv x20, x3"); /* j = the core's place */
  li(G, 21, tiles);
  label(G, "tile", k);
  line(G, "bge x20, x21, L%u_done", k);
  li(G, 22, TC);
  line(G, "mul x22, x22, x20"); /* n0 = j * TC */
  li(G, 23, N);
  line(G, "sub x23, x23, x22");
  li(G, 24, TC);
  line(G, "minu x23, x23, x24"); /* nt = min(TC, N - n0) */
  /* x25 = &W[n0][0]; x26 = kk (elements) */
  li(G, 25, K * f.wbits / 8);
  line(G, "mul x25, x25, x22");
  li(G, 4, wbase);
  line(G, "add x25, x25, x4");
  line(G, "li x26, 0");
  /* each K chunk: DMA W[n0 .. n0+nt][kk .. kk+kt] (nt rows of kt), load (nk), multiply */
  label(G, "chunk", k);
  li(G, 27, K);
  line(G, "sub x27, x27, x26");
  li(G, 28, TR);
  line(G, "minu x27, x27, x28"); /* kt */
  /* the tile: nt x kt contiguous at element n0 * K + kk * nt (tile-major storage) */
  line(G, "mul x8, x27, x23"); /* dma.1d: kt * nt elements */
  line(G, "mul x4, x26, x23");
  elem_bytes(G, 4, 4, f.wbits);
  line(G, "add x4, x4, x25");
  line(G, "mv x12, x27");         /* ldw: K = kt */
  line(G, "mv x13, x23");         /*      N = nt */
  elem_bytes(G, 14, 27, f.wbits); /* stored row stride */
  /* Two weight buffers (x29 now, x30 next) in FIFO order on one DMA queue:
   * s1 counts free buffers, s0 loaded ones; the load frees its buffer. */
  if (f.ldwq) {
    /* the scales of rows kk / G .. : ceil(kt / G) rows of nt at S + (kk / G) * N + n0,
     * DMA'd before the weights on the same queue, so loaded when they are */
    li(G, 15, group);
    line(G, "divu x28, x26, x15");
    li(G, 6, N * 4);
    line(G, "mul x28, x28, x6");
    li(G, 6, sbase);
    line(G, "add x28, x28, x6");
    line(G, "shli x6, x22, 2");
    line(G, "add x28, x28, x6");
    line(G, "mv x16, x23");
    line(G, "add x17, x27, x15");
    line(G, "addi x17, x17, -1");
    line(G, "divu x17, x17, x15");
    line(G, "shli x18, x23, 2");
    li(G, 19, N * 4);
    line(G, "dma.2d sram[x31]:fp32, hbm[x28]:fp32, x16..x19, x0, q0 @wait(s1)");
    line(G, "dma.1d sram[x29]:%s, hbm[x4]:%s, x8, x0, q0 @signal(s0)", f.wdt, f.wdt);
    line(G, "mxu.ldwq sram[x29]:%s, sram[x31]:fp32, x12..x15, nk, bf16 @wait(s0) @signal(s1)",
         f.wdt);
    li(G, 6, G->s.scale ^ G->s.scale2); /* the other scales buffer next */
    line(G, "xor x31, x31, x6");
  } else {
    line(G, "dma.1d sram[x29]:%s, hbm[x4]:%s, x8, x0, q0 @wait(s1) @signal(s0)", f.wdt, f.wdt);
    line(G, "mxu.ldw sram[x29]:%s, x12..x14, nk @wait(s0) @signal(s1)", f.wdt);
  }
  line(G, "mv x6, x29"); /* swap the weight buffers */
  line(G, "mv x29, x30");
  line(G, "mv x30, x6");
  li(G, 16, T); /* mm: M = T */
  li(G, 17, KX * f.abits / 8);
  line(G, "shli x18, x23, 2");
  li(G, 6, f.fp8 ? G->s.q : G->s.a);
  elem_bytes(G, 7, 26, f.abits);
  line(G, "add x6, x6, x7"); /* the activations x[kk ..] */
  if (ng > 1) {              /* of group n0 / Ng: x[g * K + kk ..] */
    li(G, 7, Ng);
    line(G, "divu x7, x22, x7");
    li(G, 5, K * f.abits / 8);
    line(G, "mul x7, x7, x5");
    line(G, "add x6, x6, x7");
  }
  line(G, "bne x26, x0, L%u_acc", k);
  line(G, "mxu.mm acc[x0], sram[x6]:%s, x16..x18, overwrite", f.adt);
  line(G, "j L%u_next", k);
  label(G, "acc", k);
  line(G, "mxu.mm acc[x0], sram[x6]:%s, x16..x18, accumulate", f.adt);
  label(G, "next", k);
  line(G, "add x26, x26, x27");
  li(G, 28, K);
  line(G, "blt x26, x28, L%u_chunk", k);
  /* drain the tile, rescale (fp8), add the bias, store */
  li(G, 8, T);
  line(G, "mv x9, x23");
  line(G, "shli x10, x23, 2");
  line(G, "shli x11, x23, 2");
  li(G, 6, G->s.c);
  line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11 @signal(s2)");
  line(G, "sync.wait s2, 1");
  if (f.fp8) {
    /* y = (acc * s_a) * s_w (per tensor, or s_w[n0 ..] per channel) */
    li(G, 7, G->s.s);
    line(G, "li x12, 4");
    line(G, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
    li(G, 4, sbase);
    li(G, 7, G->s.scale);
    if (f.channel) {
      line(G, "shli x5, x22, 2");
      line(G, "add x4, x4, x5");
      line(G, "mv x12, x23");
    } else {
      line(G, "li x12, 1");
    }
    line(G, "dma.1d sram[x7]:fp32, hbm[x4]:fp32, x12, x0, q0 @signal(s0)");
    line(G, "sync.wait s0, 1");
    line(G, "li x12, 4");
    line(G, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, %s",
         f.channel ? "row" : "scalar");
  }
  if (y->n_in == 3) {
    li(G, 4, G->addr[y->in[2]]);
    line(G, "shli x5, x22, 2");
    line(G, "add x4, x4, x5");
    li(G, 7, G->s.b);
    line(G, "mv x12, x23");
    line(G, "dma.1d sram[x7]:fp32, hbm[x4]:fp32, x12, x0, q0 @signal(s0)");
    line(G, "sync.wait s0, 1");
    line(G, "shli x12, x23, 2");
    line(G, "vpu.add sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, %s",
         T == 1 ? "full" : "row");
  }
  line(G, "sync.fence vpu");
  li(G, 4, G->addr[id]);
  line(G, "shli x5, x22, 2");
  line(G, "add x4, x4, x5");
  if (T == 1) {
    line(G, "mv x12, x23");
    line(G, "dma.1d hbm[x4]:fp32, sram[x6]:fp32, x12, x0, q0 @signal(s0)");
  } else { /* T rows of nt into the rows of y */
    line(G, "mv x12, x23");
    li(G, 13, T);
    li(G, 14, N * 4);
    line(G, "shli x15, x23, 2");
    line(G, "dma.2d hbm[x4]:fp32, sram[x6]:fp32, x12..x15, x0, q0 @signal(s0)");
  }
  line(G, "sync.wait s0, 1");
  li(G, 4, cores);
  line(G, "add x20, x20, x4");
  line(G, "j L%u_tile", k);
  label(G, "done", k);
  line(G, "sync.wait s1, 2"); /* take back the free-buffer tokens */
  G->q_holds = G->prep[id] ? y->in[0] : UINT32_MAX;
}

/* The next tile of the cache at `cache` for attention: x24 = nt = min(max,
 * npos - t0) positions from t0 = x23 of the kv head at byte offset x22, the
 * w values of each from value col, DMA'd as nt rows of w into SRAM W once
 * the weight buffer is free (s1; s0 when loaded); in BF16 with attn_lp,
 * else FP32. */
static void kv_tile(gen *G, uint64_t cache, uint64_t max, uint64_t w, uint64_t col, uint64_t row) {
  line(G, "sub x24, x21, x23");
  li(G, 4, max);
  line(G, "minu x24, x24, x4"); /* nt */
  li(G, 4, row);
  line(G, "mul x4, x4, x23");
  li(G, 5, cache + col * G->kvb);
  line(G, "add x4, x4, x5");
  line(G, "add x4, x4, x22");
  li(G, 8, w);
  line(G, "mv x9, x24");
  li(G, 10, w * (G->attn_lp ? 2 : 4));
  li(G, 11, row);
  li(G, 5, G->s.w);
  line(G, "dma.2d sram[x5]:%s, hbm[x4]:%s, x8..x11, x0, q0 @wait(s1) @signal(s0)",
       G->attn_lp ? "bf16" : "fp32", G->kvt);
}

/* The shape of an attention op, for its phases below. */
typedef struct attn_shape {
  uint64_t H, dk, dv, T, grp, row; /* heads, widths, tokens, heads per kv head, cache row bytes */
} attn_shape;

/* Q_h: T rows of dk (stride H * dk in q) of head x<hreg> into SRAM A, on
 * DMA queue 1 (semaphore s6: queue 0 and s0 may carry the other phases'
 * cache tiles), and x22 = its kv head's byte offset in a cache row. */
static void attn_q_load(gen *G, const sc_gvalue *y, const attn_shape *a, unsigned hreg) {
  li(G, 4, a->dk * 4);
  line(G, "mul x4, x4, x%u", hreg);
  li(G, 5, G->addr[y->in[0]]);
  line(G, "add x4, x4, x5");
  li(G, 5, G->s.a);
  li(G, 8, a->dk);
  li(G, 9, a->T);
  li(G, 10, a->dk * 4);
  li(G, 11, a->H * a->dk * 4);
  line(G, "dma.2d sram[x5]:fp32, hbm[x4]:fp32, x8..x11, x0, q1 @signal(s6)");
  line(G, "sync.wait s6, 1");
}

/* With attn_lp: Q_h of head x<hreg> loaded (attn_q_load), then scaled by
 * the attention scale (1 / the divisor of the FP32 path: sqrt(dk) or the
 * op's) and rounded to BF16 into the block at x<dreg> (T rows of dk), on
 * the VPU: queued after what the VPU has to do, for the matmuls of a later
 * round (gen_attention). The BF16 rows are written over nothing the VPU
 * still reads: A holds the FP32 rows, the block is the other round's. */
static void attn_q_prep(gen *G, const sc_gvalue *y, const attn_shape *a, unsigned hreg,
                        unsigned dreg) {
  attn_q_load(G, y, a, hreg);
  li(G, 5, G->s.a);
  li(G, 7, G->s.consts + 4 * K_ATTN_SCALE);
  li(G, 8, a->T);
  li(G, 9, a->dk);
  li(G, 10, a->dk * 2);
  li(G, 11, a->dk * 4);
  line(G, "li x12, 4");
  line(G, "vpu.mul sram[x%u]:bf16, sram[x5]:fp32, sram[x7]:fp32, x8..x12, scalar", dreg);
}

/* x22 = the byte offset of head x<hreg>'s kv head in a cache row. */
static void attn_kv_head(gen *G, const attn_shape *a, unsigned hreg) {
  li(G, 4, a->grp);
  line(G, "divu x22, x%u, x4", hreg);
  li(G, 4, a->dk * G->kvb);
  line(G, "mul x22, x22, x4");
}

/* The scores of Q (in A; with attn_lp, the scaled BF16 copy at x30)
 * against the cached keys of kv head x22, tile by tile of up to mxu.cols
 * positions, drained into the T x npos block at x<creg> (row stride
 * cstride). */
static void attn_qk(gen *G, const sc_gvalue *y, uint32_t k, const attn_shape *a, unsigned creg) {
  uint64_t TR = G->a->core.mxu.rows, TC = G->a->core.mxu.cols, eb = G->attn_lp ? 2 : 4;
  const char *dt = G->attn_lp ? "bf16" : "fp32";
  line(G, "li x23, 0"); /* t0 */
  label(G, "sc", k);
  for (uint64_t c0 = 0; c0 < a->dk; c0 += TR) { /* K's chunk of values c0 .. */
    uint64_t cw = a->dk - c0 < TR ? a->dk - c0 : TR;
    kv_tile(G, G->addr[y->in[1]], TC, cw, c0, a->row);
    li(G, 12, cw);
    line(G, "mv x13, x24");
    li(G, 14, cw * eb);
    line(G, "mxu.ldw sram[x5]:%s, x12..x14, nk @wait(s0) @signal(s1)", dt);
    li(G, 15, a->T);
    li(G, 16, a->dk * eb);
    line(G, "shli x17, x24, 2");
    if (G->attn_lp) {
      li(G, 6, c0 * 2);
      line(G, "add x6, x6, x30");
    } else {
      li(G, 6, G->s.a + c0 * 4);
    }
    line(G, "mxu.mm acc[x0], sram[x6]:%s, x15..x17, %s", dt, c0 ? "accumulate" : "overwrite");
  }
  li(G, 8, a->T);
  line(G, "mv x9, x24");
  li(G, 10, G->cstride);
  line(G, "shli x11, x24, 2");
  line(G, "shli x7, x23, 2");
  line(G, "add x6, x%u, x7", creg);
  line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11");
  line(G, "add x23, x23, x24");
  line(G, "blt x23, x21, L%u_sc", k);
}

/* Semaphores of the blocks of K and V (gen_attention with kvpb): loaded
 * (the DMA signals, the block's first weight load waits) and free (its
 * last use signals, the next block's DMA waits; one token each). */
enum { SEM_KB = 3, SEM_KB_FREE = 4, SEM_VB = 5, SEM_VB_FREE = 7 };

/* Positions per DMA of a block of K or V (gen_attention with kvpb): the
 * block arrives in pieces, and the matmuls of a piece start when it has. */
static uint64_t kv_piece(const gen *G) {
  uint64_t TR = G->a->core.mxu.rows, TC = G->a->core.mxu.cols;
  return 2 * (TR > TC ? TR : TC);
}

/* Rows [x23, x23 + x24) of the cache at `cache` (kv head at byte offset
 * x22), w values of each from value 0, DMA'd into the SRAM block at blk
 * (rows of w) on queue 0 in pieces of kv_piece rows, each signalling
 * sem_loaded, the first once the block is free (sem_free). Uses x4 .. x13. */
static void kv_block(gen *G, uint32_t k, const char *tag, uint64_t cache, uint64_t w, uint64_t row,
                     uint64_t blk, unsigned sem_free, unsigned sem_loaded) {
  uint64_t eb = G->attn_lp ? 2 : 4;
  char ins[96];
  snprintf(ins, sizeof ins, "dma.2d sram[x5]:%s, hbm[x4]:%s, x8..x11, x0, q0",
           G->attn_lp ? "bf16" : "fp32", G->kvt);
  line(G, "li x12, 0"); /* the piece's first row */
  raw(G, "L%u_%sp:", k, tag);
  line(G, "sub x13, x24, x12");
  li(G, 4, kv_piece(G));
  line(G, "minu x13, x13, x4"); /* its rows */
  line(G, "add x4, x23, x12");
  li(G, 5, row);
  line(G, "mul x4, x4, x5");
  li(G, 5, cache);
  line(G, "add x4, x4, x5");
  line(G, "add x4, x4, x22");
  li(G, 8, w);
  line(G, "mv x9, x13");
  li(G, 10, w * eb);
  li(G, 11, row);
  li(G, 5, w * eb);
  line(G, "mul x5, x5, x12");
  li(G, 6, blk);
  line(G, "add x5, x5, x6");
  line(G, "bne x12, x0, L%u_%sq", k, tag);
  line(G, "%s @wait(s%u) @signal(s%u)", ins, sem_free, sem_loaded);
  line(G, "j L%u_%sr", k, tag);
  raw(G, "L%u_%sq:", k, tag);
  line(G, "%s @signal(s%u)", ins, sem_loaded);
  raw(G, "L%u_%sr:", k, tag);
  line(G, "add x12, x12, x13");
  line(G, "blt x12, x24, L%u_%sp", k, tag);
}

/* Takes back the blocks' free tokens at the end of an attention. */
static void attn_blocks_end(gen *G) {
  if (!G->kvpb) return;
  line(G, "sync.wait s%u, 1", SEM_KB_FREE);
  line(G, "sync.wait s%u, 1", SEM_VB_FREE);
}

/* attn_qk with the cache in blocks (kvpb): per block of up to kvpb
 * positions, one DMA of its keys into SRAM kb, then every tile of TC
 * positions against Q into its own columns of the accumulators (so that
 * the tiles' weight loads hide behind the matmuls before them), and one
 * drain of the block's T rows of scores, which frees kb. */
static void attn_qk_block(gen *G, const sc_gvalue *y, uint32_t k, const attn_shape *a,
                          unsigned creg) {
  uint64_t TR = G->a->core.mxu.rows, TC = G->a->core.mxu.cols, eb = G->attn_lp ? 2 : 4;
  uint64_t PB = G->kvpb;
  const char *dt = G->attn_lp ? "bf16" : "fp32";
  line(G, "li x23, 0"); /* t0: the block's first position */
  label(G, "sc", k);
  line(G, "sub x24, x21, x23");
  li(G, 4, PB);
  line(G, "minu x24, x24, x4"); /* nb */
  kv_block(G, k, "kb", G->addr[y->in[1]], a->dk, a->row, G->s.kb, SEM_KB_FREE, SEM_KB);
  line(G, "li x7, 0"); /* j: the tile's first position in the block */
  label(G, "sct", k);
  line(G, "sub x13, x24, x7");
  li(G, 4, TC);
  line(G, "minu x13, x13, x4");                 /* nt */
  for (uint64_t c0 = 0; c0 < a->dk; c0 += TR) { /* K's chunk of values c0 .. */
    uint64_t cw = a->dk - c0 < TR ? a->dk - c0 : TR;
    li(G, 12, cw);
    li(G, 14, a->dk * eb);
    li(G, 4, a->dk * eb);
    line(G, "mul x4, x4, x7");
    li(G, 5, G->s.kb + c0 * eb);
    line(G, "add x5, x5, x4");
    if (!c0) { /* a piece's first load waits for its DMA */
      li(G, 4, kv_piece(G));
      line(G, "remu x4, x7, x4");
      line(G, "bne x4, x0, L%u_sctw", k);
      line(G, "mxu.ldw sram[x5]:%s, x12..x14, nk @wait(s%u)", dt, SEM_KB);
      line(G, "j L%u_sctd", k);
      label(G, "sctw", k);
      line(G, "mxu.ldw sram[x5]:%s, x12..x14, nk", dt);
      label(G, "sctd", k);
    } else {
      line(G, "mxu.ldw sram[x5]:%s, x12..x14, nk", dt);
    }
    li(G, 15, a->T);
    li(G, 16, a->dk * eb);
    li(G, 17, PB * 4);
    if (G->attn_lp) {
      li(G, 6, c0 * 2);
      line(G, "add x6, x6, x30");
    } else {
      li(G, 6, G->s.a + c0 * 4);
    }
    line(G, "shli x4, x7, 2"); /* the tile's columns */
    line(G, "mxu.mm acc[x4], sram[x6]:%s, x15..x17, %s", dt, c0 ? "accumulate" : "overwrite");
  }
  li(G, 4, TC);
  line(G, "add x7, x7, x4");
  line(G, "blt x7, x24, L%u_sct", k);
  li(G, 8, a->T);
  line(G, "mv x9, x24");
  li(G, 10, G->cstride);
  li(G, 11, PB * 4);
  line(G, "shli x7, x23, 2");
  line(G, "add x6, x%u, x7", creg);
  line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11 @signal(s%u)", SEM_KB_FREE);
  line(G, "add x23, x23, x24");
  line(G, "blt x23, x21, L%u_sc", k);
}

/* The T rows of dv outputs of P @ V from the accumulators into SRAM B,
 * signalling s2 (attn_pv, attn_pv_block). */
static void attn_pv_drain(gen *G, const attn_shape *a) {
  li(G, 8, a->T);
  li(G, 9, a->dv);
  li(G, 10, a->dv * 4);
  li(G, 11, a->dv * 4);
  li(G, 6, G->s.b);
  line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11 @signal(s2)");
}

/* attn_pv with the cache in blocks (kvpb): per block, one DMA of its
 * values into SRAM vb, then its tiles of TR positions as in attn_pv (the
 * block's last weight load frees vb); drained into SRAM B, signalling s2. */
static void attn_pv_block(gen *G, const sc_gvalue *y, uint32_t k, const attn_shape *a,
                          unsigned creg) {
  uint64_t TR = G->a->core.mxu.rows, TC = G->a->core.mxu.cols, dv = a->dv;
  uint64_t eb = G->attn_lp ? 2 : 4, PB = G->kvpb;
  const char *dt = G->attn_lp ? "bf16" : "fp32";
  line(G, "li x23, 0");
  label(G, "av", k);
  line(G, "sub x24, x21, x23");
  li(G, 4, PB);
  line(G, "minu x24, x24, x4"); /* nb */
  kv_block(G, k, "vb", G->addr[y->in[2]], dv, a->row, G->s.vb, SEM_VB_FREE, SEM_VB);
  line(G, "li x7, 0"); /* j */
  label(G, "avt", k);
  line(G, "sub x12, x24, x7");
  li(G, 4, TR);
  line(G, "minu x12, x12, x4"); /* nt */
  line(G, "add x9, x7, x12");
  line(G, "sltu x9, x9, x24"); /* 1: not the block's last tile */
  for (uint64_t c0 = 0; c0 < dv; c0 += TC) {
    uint64_t cw = dv - c0 < TC ? dv - c0 : TC;
    bool last = c0 + TC >= dv;
    li(G, 13, cw);
    li(G, 14, dv * eb);
    li(G, 4, dv * eb);
    line(G, "mul x4, x4, x7");
    li(G, 5, G->s.vb + c0 * eb);
    line(G, "add x5, x5, x4");
    char ins[96], tag[32];
    snprintf(ins, sizeof ins, "mxu.ldw sram[x5]:%s, x12..x14, kn", dt);
    snprintf(tag, sizeof tag, "avw%llu", (unsigned long long)c0);
    /* a piece's first load waits for its DMA, the block's last frees vb */
    char wait[24] = "", sig[24] = "";
    if (!c0) snprintf(wait, sizeof wait, " @wait(s%u)", SEM_VB);
    if (last) snprintf(sig, sizeof sig, " @signal(s%u)", SEM_VB_FREE);
    char l0[40], l1[40], l2[40], ld[40];
    snprintf(l0, sizeof l0, "%sa", tag);
    snprintf(l1, sizeof l1, "%sb", tag);
    snprintf(l2, sizeof l2, "%sc", tag);
    snprintf(ld, sizeof ld, "%sd", tag);
    li(G, 4, kv_piece(G));
    line(G, "remu x4, x7, x4");
    line(G, "bne x4, x0, L%u_%s", k, l0); /* a piece's first tile */
    if (last) {                           /* ... and the block's last */
      line(G, "bne x9, x0, L%u_%s", k, l2);
      line(G, "%s%s%s", ins, wait, sig);
      line(G, "j L%u_%s", k, ld);
      label(G, l2, k);
    }
    line(G, "%s%s", ins, wait);
    line(G, "j L%u_%s", k, ld);
    label(G, l0, k);
    if (last) { /* the block's last tile */
      line(G, "bne x9, x0, L%u_%s", k, l1);
      line(G, "%s%s", ins, sig);
      line(G, "j L%u_%s", k, ld);
      label(G, l1, k);
    }
    line(G, "%s", ins);
    label(G, ld, k);
    li(G, 15, a->T);
    li(G, 16, G->cstride);
    li(G, 17, dv * 4);
    line(G, "add x6, x23, x7");
    line(G, "shli x6, x6, %u", G->attn_lp ? 1u : 2u);
    line(G, "add x6, x6, x%u", creg);
    li(G, 4, c0 * 4); /* the chunk's accumulator columns */
    char la[32], ln[32];
    snprintf(la, sizeof la, "avacc%llu", (unsigned long long)c0);
    snprintf(ln, sizeof ln, "avnext%llu", (unsigned long long)c0);
    line(G, "or x10, x23, x7");
    line(G, "bne x10, x0, L%u_%s", k, la);
    line(G, "mxu.mm acc[x4], sram[x6]:%s, x15..x17, overwrite", dt);
    line(G, "j L%u_%s", k, ln);
    label(G, la, k);
    line(G, "mxu.mm acc[x4], sram[x6]:%s, x15..x17, accumulate", dt);
    label(G, ln, k);
  }
  li(G, 4, TR);
  line(G, "add x7, x7, x4");
  line(G, "blt x7, x24, L%u_avt", k);
  line(G, "add x23, x23, x24");
  line(G, "blt x23, x21, L%u_av", k);
  attn_pv_drain(G, a);
}

/* Scale, mask and softmax of the T rows of npos scores at x<creg>. The
 * mask touches the last T columns alone (positions pos0 .. npos - 1; the
 * ones before are below every row's own). With attn_lp the scores come
 * scaled (attn_q_prep), and the probabilities are written over them in
 * BF16, row stride unchanged: exp(s - max) times the reciprocal of the
 * row's sum, rounded once. */
static void attn_softmax(gen *G, const attn_shape *a, unsigned creg) {
  uint64_t CS = G->cstride;
  line(G, "mv x6, x%u", creg);
  li(G, 7, G->s.s);
  li(G, 8, a->T);
  line(G, "mv x9, x21");
  li(G, 10, CS);
  li(G, 11, CS);
  line(G, "li x12, 4");
  if (!G->attn_lp) {
    li(G, 24, G->s.consts + 4 * K_SQRT_HD);
    line(G, "vpu.div sram[x6]:fp32, sram[x6]:fp32, sram[x24]:fp32, x8..x12, scalar");
  }
  if (a->T > 1) { /* j > i + pos0 in the last T columns: j' = j - pos0 > i */
    line(G, "shli x24, x2, 2");
    line(G, "add x24, x24, x6");
    li(G, 9, a->T);
    line(G, "vpu.causal sram[x24]:fp32, sram[x24]:fp32, x0, x8..x11");
    line(G, "mv x9, x21");
  }
  line(G, "li x10, 4");
  line(G, "vpu.rmax sram[x7]:fp32, sram[x6]:fp32, x8..x11, overwrite");
  li(G, 10, CS);
  line(G, "vpu.sub sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
  line(G, "vpu.exp sram[x6]:fp32, sram[x6]:fp32, x8..x11");
  line(G, "li x10, 4");
  line(G, "vpu.rsum sram[x7]:fp32, sram[x6]:fp32, x8..x11, overwrite");
  li(G, 10, CS);
  if (G->attn_lp) {
    line(G, "li x9, 1");
    line(G, "li x10, 4");
    line(G, "li x11, 4");
    line(G, "vpu.recip sram[x7]:fp32, sram[x7]:fp32, x8..x11");
    line(G, "mv x9, x21");
    li(G, 10, CS);
    li(G, 11, CS);
    line(G, "vpu.mul sram[x6]:bf16, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
  } else {
    line(G, "vpu.div sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
  }
}

/* out = P @ V for the probabilities at x<creg> and kv head x22, over tiles
 * of up to mxu.rows positions, V's columns in chunks of mxu.cols; drained
 * into SRAM B, signalling s2. */
static void attn_pv(gen *G, const sc_gvalue *y, uint32_t k, const attn_shape *a, unsigned creg) {
  uint64_t TR = G->a->core.mxu.rows, TC = G->a->core.mxu.cols, dv = a->dv;
  const char *dt = G->attn_lp ? "bf16" : "fp32";
  line(G, "li x23, 0");
  label(G, "av", k);
  for (uint64_t c0 = 0; c0 < dv; c0 += TC) {
    uint64_t cw = dv - c0 < TC ? dv - c0 : TC;
    kv_tile(G, G->addr[y->in[2]], TR, cw, c0, a->row);
    line(G, "mv x12, x24");
    li(G, 13, cw);
    li(G, 14, cw * (G->attn_lp ? 2 : 4));
    line(G, "mxu.ldw sram[x5]:%s, x12..x14, kn @wait(s0) @signal(s1)", dt);
    li(G, 15, a->T);
    li(G, 16, G->cstride);
    li(G, 17, dv * 4);
    line(G, "shli x7, x23, %u", G->attn_lp ? 1u : 2u);
    line(G, "add x6, x%u, x7", creg);
    char l1[32] = "avacc", l2[32] = "avnext"; /* the first chunk's, then numbered */
    if (c0) {
      snprintf(l1, sizeof l1, "avacc%llu", (unsigned long long)c0);
      snprintf(l2, sizeof l2, "avnext%llu", (unsigned long long)c0);
      li(G, 7, c0 * 4); /* the chunk's accumulator columns */
    }
    const char *acc = c0 ? "x7" : "x0";
    line(G, "bne x23, x0, L%u_%s", k, l1);
    line(G, "mxu.mm acc[%s], sram[x6]:%s, x15..x17, overwrite", acc, dt);
    line(G, "j L%u_%s", k, l2);
    label(G, l1, k);
    line(G, "mxu.mm acc[%s], sram[x6]:%s, x15..x17, accumulate", acc, dt);
    label(G, l2, k);
  }
  line(G, "add x23, x23, x24");
  line(G, "blt x23, x21, L%u_av", k);
  attn_pv_drain(G, a);
}

/* Waits for attn_pv's drain, then stores its T rows of dv into head
 * x<hreg>'s place of y [T, H, dv] (DMA queue 1, s6). */
static void attn_store(gen *G, const attn_shape *a, uint32_t id, unsigned hreg) {
  line(G, "sync.wait s2, 1");
  li(G, 4, a->dv * 4);
  line(G, "mul x4, x4, x%u", hreg);
  li(G, 5, G->addr[id]);
  line(G, "add x4, x4, x5");
  li(G, 6, G->s.b);
  li(G, 8, a->dv);
  li(G, 9, a->T);
  li(G, 10, a->H * a->dv * 4);
  li(G, 11, a->dv * 4);
  line(G, "dma.2d hbm[x4]:fp32, sram[x6]:fp32, x8..x11, x0, q1 @signal(s6)");
  line(G, "sync.wait s6, 1");
}

/* x4 = the end of this core's heads: min(H, (core + 1) * hpc), the core's
 * hpc heads in a row from core * hpc (clobbers x5). */
static void attn_heads_end(gen *G, const attn_shape *a, uint64_t hpc) {
  line(G, "addi x4, x3, 1");
  line(G, "muli x4, x4, %llu", (unsigned long long)hpc);
  li(G, 5, a->H);
  line(G, "minu x4, x4, x5");
}

/* Causal grouped-query attention of T tokens at positions pos0 .. pos0 + T - 1
 * (pos0 = x2): per head (a core's ceil(H / cores) heads in a row, so that
 * the cores at work read different kv heads' caches at once, over more
 * memory channels, and a core's heads share theirs), the T x npos scores in
 * SRAM (row stride cstride), masked above each token's position (for T > 1;
 * one token sees every cached position), softmax per row, times V. Queries
 * and keys of dk values go through the MXU in chunks of its rows, values of
 * dv (the first dv of each v row) in chunks of its columns.
 *
 * With a second score block in SRAM (s.c2) the heads are pipelined: while
 * the VPU takes the softmax of head h, the MXU multiplies the head before
 * by V and computes the next head's scores, so a head costs about the
 * larger of its softmax and its matmuls rather than their sum. Each head's
 * arithmetic is the same instructions on the same values either way. */
static void gen_attention(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *kc = val(G, y->in[1]);
  attn_shape a = {
      .H = (uint64_t)y->shape[1], .dk = last(val(G, y->in[0])), .dv = last(y), .T = G->T};
  uint64_t KVH = (uint64_t)kc->shape[1];
  a.grp = a.H / KVH;
  a.row = KVH * a.dk * G->kvb;
  uint64_t cores = G->a->cores.count, hpc = (a.H + cores - 1) / cores;
  self_signal(G, 1, 1);
  if (G->kvpb) { /* the blocks of K and V start free */
    self_signal(G, SEM_KB_FREE, 1);
    self_signal(G, SEM_VB_FREE, 1);
  }
  li(G, 21, a.T);
  line(G, "add x21, x21, x2"); /* npos = pos0 + T */
  if (!G->s.c2) {              /* one score block: head after head */
    li(G, 25, G->s.c);
    line(G, "muli x20, x3, %llu", (unsigned long long)hpc); /* h = the core's first */
    label(G, "head", k);
    attn_heads_end(G, &a, hpc);
    line(G, "bge x20, x4, L%u_done", k);
    if (G->attn_lp) {
      li(G, 30, G->qb[0]);
      attn_q_prep(G, y, &a, 20, 30);
      line(G, "sync.fence vpu");
    } else {
      attn_q_load(G, y, &a, 20);
    }
    attn_kv_head(G, &a, 20);
    (G->kvpb ? attn_qk_block : attn_qk)(G, y, k, &a, 25);
    line(G, "sync.fence all");
    attn_softmax(G, &a, 25);
    line(G, "sync.fence vpu");
    (G->kvpb ? attn_pv_block : attn_pv)(G, y, k, &a, 25);
    attn_store(G, &a, id, 20);
    line(G, "addi x20, x20, 1");
    line(G, "j L%u_head", k);
    label(G, "done", k);
    line(G, "sync.wait s1, 1");
    attn_blocks_end(G);
    return;
  }
  /* Pipelined: each round takes the softmax of head h (x20, if x18), P @ V
   * of the head before (x19, if x27) and the scores of the next (x28, if
   * below H); h's scores are in the block at x25, the other block (x26)
   * holds the head before's probabilities, then the next head's scores
   * (its matmuls queue after the head before's on the MXU). */
  li(G, 25, G->s.c);
  li(G, 26, G->s.c2);
  line(G, "muli x28, x3, %llu", (unsigned long long)hpc); /* the next head to score */
  line(G, "li x18, 0");
  line(G, "li x27, 0");
  if (G->attn_lp) { /* the first head's BF16 q, in the block at x30 */
    li(G, 30, G->qb[0]);
    li(G, 31, G->qb[1]);
    attn_heads_end(G, &a, hpc);
    line(G, "bge x28, x4, L%u_qp", k);
    attn_q_prep(G, y, &a, 28, 30);
    line(G, "sync.fence vpu");
    label(G, "qp", k);
  }
  label(G, "round", k);
  line(G, "beq x18, x0, L%u_nosm", k);
  attn_softmax(G, &a, 25);
  label(G, "nosm", k);
  line(G, "beq x27, x0, L%u_nopv", k);
  attn_kv_head(G, &a, 19);
  (G->kvpb ? attn_pv_block : attn_pv)(G, y, k, &a, 26);
  label(G, "nopv", k);
  attn_heads_end(G, &a, hpc);
  line(G, "bge x28, x4, L%u_noqk", k);
  if (!G->attn_lp) attn_q_load(G, y, &a, 28);
  attn_kv_head(G, &a, 28);
  (G->kvpb ? attn_qk_block : attn_qk)(G, y, k, &a, 26);
  if (G->attn_lp) { /* the q of the head after it, for the next round, into x31 */
    line(G, "addi x29, x28, 1");
    attn_heads_end(G, &a, hpc);
    line(G, "bge x29, x4, L%u_noqk", k);
    attn_q_prep(G, y, &a, 29, 31);
  }
  label(G, "noqk", k);
  line(G, "beq x27, x0, L%u_nost", k);
  attn_store(G, &a, id, 19);
  label(G, "nost", k);
  line(G, "sync.fence all");
  /* on: the head before = h, h = the one just scored, the next after it */
  line(G, "mv x27, x18");
  line(G, "mv x19, x20");
  attn_heads_end(G, &a, hpc);
  line(G, "sltu x18, x28, x4");
  line(G, "mv x20, x28");
  line(G, "addi x28, x28, 1");
  line(G, "mv x29, x25");
  line(G, "mv x25, x26");
  line(G, "mv x26, x29");
  if (G->attn_lp) {
    line(G, "mv x29, x30");
    line(G, "mv x30, x31");
    line(G, "mv x31, x29");
  }
  line(G, "or x29, x18, x27");
  line(G, "bne x29, x0, L%u_round", k);
  line(G, "sync.wait s1, 1");
  attn_blocks_end(G);
}

/* Issues DMA d = x15 of a decode attention's ring: the cached K (d < n = x26)
 * or V (d - n) of positions t0 = (d mod n) * P .. (at most P, up to npos =
 * x21) of kv head x20, into ring buffer d mod G->ring_bufs on engine d mod 2, as
 * gemv_dma. Uses x4 .. x11. */
static void attn_dma_rows(gen *G, uint32_t k, const char *tag, uint64_t hd, uint64_t row,
                          uint64_t P);

static void attn_dma(gen *G, uint32_t k, const char *tag, uint64_t kc, uint64_t vc, uint64_t hd,
                     uint64_t row, uint64_t P) {
  char lk[24];
  snprintf(lk, sizeof lk, "%sk", tag);
  line(G, "mv x6, x15");
  li(G, 4, kc);
  line(G, "blt x15, x26, L%u_%s", k, lk);
  line(G, "sub x6, x15, x26");
  li(G, 4, vc);
  label(G, lk, k);
  attn_dma_rows(G, k, tag, hd, row, P);
}

/* attn_dma for keys of dk values and values of dv (the first dv of each
 * cached row): DMA d = x15 of K (d < n = x26) or V, the rows' widths apart. */
static void attn_dma2(gen *G, uint32_t k, const char *tag, uint64_t kc, uint64_t vc, uint64_t dk,
                      uint64_t dv, uint64_t row, uint64_t P) {
  char lv[24], ld[24], tk[24], tv[24];
  snprintf(lv, sizeof lv, "%sv", tag);
  snprintf(ld, sizeof ld, "%sx", tag);
  snprintf(tk, sizeof tk, "%sK", tag);
  snprintf(tv, sizeof tv, "%sV", tag);
  line(G, "bge x15, x26, L%u_%s", k, lv);
  line(G, "mv x6, x15");
  li(G, 4, kc);
  attn_dma_rows(G, k, tk, dk, row, P);
  line(G, "j L%u_%s", k, ld);
  label(G, lv, k);
  line(G, "sub x6, x15, x26");
  li(G, 4, vc);
  attn_dma_rows(G, k, tv, dv, row, P);
  label(G, ld, k);
}

/* The ring DMA of attn_dma: chunk x6 of the part's positions from the cache
 * at x4, w values of each row (of row bytes), into ring slot x12. */
static void attn_dma_rows(gen *G, uint32_t k, const char *tag, uint64_t hd, uint64_t row,
                          uint64_t P) {
  li(G, 7, P);
  line(G, "mul x7, x7, x6");
  line(G, "add x7, x7, x31"); /* t0 */
  line(G, "sub x9, x21, x7");
  li(G, 5, P);
  line(G, "minu x9, x9, x5"); /* positions */
  li(G, 8, hd);
  li(G, 10, hd * 4);
  li(G, 11, row);
  li(G, 5, row);
  line(G, "mul x5, x5, x7");
  line(G, "add x4, x4, x5");
  line(G, "add x4, x4, x30"); /* the unit's sequence and kv head */
  if (G->kvb != 2) {
    ring_dma(G, k, tag, "dma.2d sram[x6]:fp32, hbm[x4]:fp32, x8..x11, x0", NULL, 12);
    return;
  }
  /* a bf16 cache: its bf16 rows into the second half of the ring buffer,
   * then the VPU widens them to fp32 in place (exact), signalling s3 / s7
   * for the matmuls: the port and the DMA engine carry 2 bytes a value, not
   * the 4 of a widening DMA. Uses x5 .. x7, x16 .. x19. */
  li(G, 10, hd * 2);
  line(G, "mv x16, x9");
  li(G, 17, hd);
  li(G, 18, hd * 4);
  li(G, 19, hd * 2);
  ring_dma(G, k, tag, "dma.2d sram[x7]:bf16, hbm[x4]:bf16, x8..x11, x0",
           "vpu.mov sram[x6]:fp32, sram[x7]:bf16, x16..x19", 12);
}

/* Stores the n values at sram[x<reg>] to unit x20's place, base + x20 * n
 * floats, and waits for them (s6). */
static void store_unit(gen *G, uint64_t base, uint64_t n, unsigned reg) {
  li(G, 4, n * 4);
  line(G, "mul x4, x4, x20");
  li(G, 5, base);
  line(G, "add x4, x4, x5");
  li(G, 8, n);
  line(G, "dma.1d hbm[x4]:fp32, sram[x%u]:fp32, x8, x0, q0 @signal(s6)", reg);
  line(G, "sync.wait s6, 1");
}

/* The combine of a split decode attention (after every part is in): per unit
 * u and group of gh of its grp heads (work item w = u * (grp / gh) + group on
 * core w mod cores), from its PS parts' outputs o_p (unscaled sums of
 * exp(s - m_p) v), maxima m_p and sums l_p: M = max m_p, w_p = exp(m_p - M),
 * out = sum_p w_p o_p / sum_p w_p l_p. Each head's arithmetic is the same
 * whatever gh. */
static void attention_combine(gen *G, uint32_t k, uint32_t id, uint64_t units, uint64_t PS,
                              uint64_t grp, uint64_t hd) {
  uint64_t cores = G->a->cores.count, HS = 1;
  while (units * HS * 2 <= cores && grp % (HS * 2) == 0) HS *= 2; /* head groups per unit */
  uint64_t gh = grp / HS, mb = G->s.c, lb = G->s.c + align_up(gh * PS * 4);
  line(G, "sync.fence all");
  line(G, "sync.barrier");
  line(G, "mv x20, x3");
  label(G, "cu", k);
  li(G, 4, units * HS);
  line(G, "bge x20, x4, L%u_cd", k);
  /* x21 = the item's first head of the sequence's kv heads: u * grp + group * gh */
  li(G, 4, HS);
  line(G, "divu x5, x20, x4");
  line(G, "remu x6, x20, x4");
  li(G, 4, grp);
  line(G, "mul x5, x5, x4");
  li(G, 4, gh);
  line(G, "mul x6, x6, x4");
  line(G, "add x21, x5, x6");
  /* o_part[u][p][its heads] -> A (PS x gh rows of hd); m, l [its heads][p] -> C */
  li(G, 4, HS);
  line(G, "divu x5, x20, x4"); /* u */
  li(G, 4, (PS - 1) * grp * hd * 4);
  line(G, "mul x4, x4, x5");
  li(G, 6, hd * 4);
  line(G, "mul x6, x6, x21");
  line(G, "add x4, x4, x6");
  li(G, 5, G->attn_o);
  line(G, "add x4, x4, x5"); /* u * PS * grp * hd + (u * grp + group * gh) * hd, in bytes */
  li(G, 5, G->s.a);
  li(G, 8, gh * hd);
  li(G, 9, PS);
  li(G, 10, gh * hd * 4);
  li(G, 11, grp * hd * 4);
  line(G, "dma.2d sram[x5]:fp32, hbm[x4]:fp32, x8..x11, x0, q0 @signal(s6)");
  li(G, 7, PS * 4);
  line(G, "mul x7, x7, x21");
  li(G, 4, G->attn_m);
  line(G, "add x4, x4, x7");
  li(G, 5, mb); /* m and l on queue 1, beside o's */
  li(G, 8, gh * PS);
  line(G, "dma.1d sram[x5]:fp32, hbm[x4]:fp32, x8, x0, q1 @signal(s6)");
  li(G, 4, G->attn_l);
  line(G, "add x4, x4, x7");
  li(G, 5, lb);
  line(G, "dma.1d sram[x5]:fp32, hbm[x4]:fp32, x8, x0, q1 @signal(s6)");
  line(G, "sync.wait s6, 3");
  /* M (S) = row max of m; w = exp(m - M) in place; L (SCALE) = row sum of w l */
  li(G, 5, mb);
  li(G, 6, lb);
  li(G, 7, G->s.s);
  li(G, 24, G->s.scale);
  li(G, 8, gh);
  li(G, 9, PS);
  li(G, 10, 4);
  li(G, 11, PS * 4);
  line(G, "vpu.rmax sram[x7]:fp32, sram[x5]:fp32, x8..x11, overwrite");
  li(G, 10, PS * 4);
  li(G, 12, 4);
  line(G, "vpu.sub sram[x5]:fp32, sram[x5]:fp32, sram[x7]:fp32, x8..x12, col");
  line(G, "vpu.exp sram[x5]:fp32, sram[x5]:fp32, x8..x11");
  li(G, 12, PS * 4);
  line(G, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x5]:fp32, x8..x12, full");
  li(G, 10, 4);
  line(G, "vpu.rsum sram[x24]:fp32, sram[x6]:fp32, x8..x11, overwrite");
  /* out (B) = sum_p w[:, p] o_p, in part order */
  li(G, 9, hd);
  li(G, 10, hd * 4);
  li(G, 11, hd * 4);
  li(G, 12, PS * 4);
  for (uint64_t q = 0; q < PS; q++) {
    li(G, 6, G->s.a + q * gh * hd * 4);
    li(G, 7, mb + q * 4);
    if (q == 0) {
      li(G, 13, G->s.b);
      line(G, "vpu.mul sram[x13]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
    } else {
      line(G, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
      li(G, 12, hd * 4);
      line(G, "vpu.add sram[x13]:fp32, sram[x13]:fp32, sram[x6]:fp32, x8..x12, full");
      li(G, 12, PS * 4);
    }
  }
  li(G, 12, 4);
  line(G, "vpu.div sram[x13]:fp32, sram[x13]:fp32, sram[x24]:fp32, x8..x12, col");
  line(G, "sync.fence vpu");
  /* its gh rows of hd to y at head x21 */
  li(G, 4, hd * 4);
  line(G, "mul x4, x4, x21");
  li(G, 5, G->addr[id]);
  line(G, "add x4, x4, x5");
  li(G, 8, gh * hd);
  line(G, "dma.1d hbm[x4]:fp32, sram[x13]:fp32, x8, x0, q0 @signal(s6)");
  line(G, "sync.wait s6, 1");
  li(G, 4, cores);
  line(G, "add x20, x20, x4");
  line(G, "j L%u_cu", k);
  label(G, "cd", k);
}

/* Label tag base, numbered by c0 unless it is 0 (an attention's chunk). */
static void chunk_tag(char *out, size_t n, const char *base, uint64_t c0) {
  if (c0)
    snprintf(out, n, "%s%u", base, (unsigned)c0);
  else
    snprintf(out, n, "%s", base);
}

/* The register holding the address of a tile's chunk from value c0 (the
 * tile at x5): x5 itself, or x10 = x5 + 4 c0. */
static unsigned chunk_at(gen *G, uint64_t c0) {
  if (!c0) return 5;
  li(G, 10, c0 * 4);
  line(G, "add x10, x10, x5");
  return 10;
}

/* x5 = the ring buffer x29's tile at position offset x23, rows of w values. */
static void tile_at(gen *G, uint64_t w) {
  li(G, 5, w * 4);
  line(G, "mul x5, x5, x23");
  line(G, "add x5, x5, x29");
}

/* x<dst> = the cache offset of unit x<ureg> (a sequence and one of its KVH
 * kv heads) in a cache of rows of `row` bytes. Uses x4 .. x7; ureg may be
 * x5. */
static void unit_cache_offset(gen *G, unsigned ureg, unsigned dst, uint64_t KVH, uint64_t row,
                              uint64_t dk) {
  li(G, 4, KVH);
  line(G, "remu x6, x%u, x4", ureg);
  line(G, "divu x5, x%u, x4", ureg);
  li(G, 7, (uint64_t)G->max_seq * row);
  line(G, "mul x%u, x7, x5", dst);
  li(G, 4, dk * G->kvb);
  line(G, "mul x6, x6, x4");
  line(G, "add x%u, x%u, x6", dst, dst); /* the unit's cache offset */
}

/* Attention of one token per sequence (decode, one sequence or a batch;
 * docs/COMPILER.md, "Decode attention"): per unit u (a sequence and one of its
 * kv heads; u = core, core + cores, ...), the grp query heads that share it
 * as one M = grp matmul against each tile of cached K, their scores for
 * every position gathered in the accumulators (a row per head) and drained
 * once; softmax per row; times V. The cache comes in DMAs of P positions
 * through the GEMV ring (s0 / s1 / s4 / s5 as there), K first, then V, so V
 * loads while the scores finish. Per head the same sums in the same order as
 * gen_attention: the same bits. */
static void gen_attention_decode(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *kc = val(G, y->in[1]);
  uint64_t H = (uint64_t)y->shape[1], dk = last(val(G, y->in[0])), dv = last(y);
  uint64_t KVH = (uint64_t)kc->shape[kc->rank - 2], grp = H / KVH, row = KVH * dk * G->kvb;
  uint64_t TR = G->a->core.mxu.rows;
  bool same = dk == dv; /* keys and values of one width: one layout in the ring */
  uint64_t TC = G->a->core.mxu.cols, CS = G->cstride, cores = G->a->cores.count;
  uint64_t units = (uint64_t)G->B * KVH; /* (sequence, kv head) pairs */
  uint64_t PS = G->attn_parts;           /* parts of each unit's positions */
  /* positions per DMA: a few tiles, so that the DMA, the widening (a bf16
   * cache) and the MXU of successive chunks overlap */
  uint64_t P = G->s.gbuf / ((dk > dv ? dk : dv) * 4) / TC * TC;
  if (P > ATTN_CHUNK_TILES * TC) P = ATTN_CHUNK_TILES * TC;
  uint64_t out_acc = grp * CS; /* the output's accumulators */
  self_signal(G, 1, G->ring_bufs / 2);
  self_signal(G, 5, G->ring_bufs / 2);
  /* Several units a core, whole (every unit's DMAs alike: n of K, n of V):
   * the ring runs on from unit to unit. x1 (free after the embedding) is the
   * ring slot of the unit's first DMA, and the last steps of a unit issue
   * the next unit's first ATTN_LEAD DMAs, so that they load while it ends
   * (its softmax, P @ V, drain and store) instead of after. */
  bool cross = PS == 1 && units > cores;
  if (cross) line(G, "li x1, 0");
  /* work item w = u * PS + p: unit u's positions [p len, (p + 1) len) of npos,
   * len = ceil(npos / PS) in whole tiles (x31 = first, x21 = end) */
  line(G, "mv x20, x3");
  label(G, "head", k);
  li(G, 4, units * PS);
  line(G, "bge x20, x4, L%u_done", k);
  line(G, "addi x21, x2, 1"); /* npos */
  if (PS == 1) {
    line(G, "li x31, 0");
  } else {
    li(G, 4, PS - 1);
    line(G, "add x4, x4, x21");
    li(G, 5, PS);
    line(G, "divu x4, x4, x5");
    li(G, 5, TC - 1);
    line(G, "add x4, x4, x5");
    li(G, 5, TC);
    line(G, "divu x4, x4, x5");
    line(G, "mul x4, x4, x5"); /* len */
    li(G, 5, PS);
    line(G, "remu x31, x20, x5");
    line(G, "mul x31, x31, x4"); /* first */
    line(G, "add x4, x4, x31");
    line(G, "minu x21, x21, x4"); /* end */
    line(G, "bgeu x31, x21, L%u_empty", k);
  }
  line(G, "sub x26, x21, x31");
  li(G, 4, P - 1);
  line(G, "add x26, x26, x4");
  li(G, 4, P);
  line(G, "divu x26, x26, x4"); /* n: DMAs of K (and of V) */
  line(G, "add x27, x26, x26");
  li(G, 4, PS);
  line(G, "divu x5, x20, x4"); /* u */
  unit_cache_offset(G, 5, 30, KVH, row, dk);
  /* the first cache DMAs go out, then the queries (their latency hidden
   * behind the first tiles'): grp rows of dk, contiguous in q (at unit u's
   * heads), on queue 1, behind the unit's second DMA rather than its first */
  if (cross) { /* issued by the unit before, when there was one and 2n >= ATTN_LEAD */
    line(G, "beq x1, x0, L%u_pr0", k);
    line(G, "li x7, %u", ATTN_LEAD);
    line(G, "bge x27, x7, L%u_prd", k);
    label(G, "pr0", k);
  }
  line(G, "li x15, 0");
  label(G, "pro", k);
  line(G, "bge x15, x27, L%u_prd", k);
  line(G, "li x7, %u", ATTN_LEAD);
  line(G, "bge x15, x7, L%u_prd", k);
  line(G, cross ? "add x12, x15, x1" : "mv x12, x15");
  if (same)
    attn_dma(G, k, "p", G->addr[y->in[1]], G->addr[y->in[2]], dk, row, P);
  else
    attn_dma2(G, k, "p", G->addr[y->in[1]], G->addr[y->in[2]], dk, dv, row, P);
  line(G, "addi x15, x15, 1");
  line(G, "j L%u_pro", k);
  label(G, "prd", k);
  li(G, 4, PS);
  line(G, "divu x5, x20, x4");
  li(G, 4, grp * dk * 4);
  line(G, "mul x4, x4, x5");
  li(G, 5, G->addr[y->in[0]]);
  line(G, "add x4, x4, x5");
  li(G, 5, G->s.a);
  li(G, 8, grp * dk);
  line(G, "dma.1d sram[x5]:fp32, hbm[x4]:fp32, x8, x0, q1 @signal(s6)");
  line(G, "sync.wait s6, 1");
  line(G, "li x28, 0"); /* s: the DMA whose buffer the MXU uses */
  label(G, "sup", k);
  line(G, "addi x15, x28, %u", ATTN_LEAD);
  line(G, "bge x15, x27, L%u_nxu", k);
  line(G, cross ? "add x12, x15, x1" : "mv x12, x15");
  if (same)
    attn_dma(G, k, "m", G->addr[y->in[1]], G->addr[y->in[2]], dk, row, P);
  else
    attn_dma2(G, k, "m", G->addr[y->in[1]], G->addr[y->in[2]], dk, dv, row, P);
  line(G, "j L%u_nod", k);
  label(G, "nxu", k);
  if (cross) { /* the next unit's DMA x15 - 2n (of K, or of V when n is 2), if there is one */
    line(G, "li x7, %u", ATTN_LEAD);
    line(G, "blt x27, x7, L%u_nod", k);
    li(G, 4, cores);
    line(G, "add x13, x20, x4"); /* the next unit */
    li(G, 4, units);
    line(G, "bge x13, x4, L%u_nod", k);
    line(G, "add x12, x15, x1");
    line(G, "sub x15, x15, x27");
    line(G, "mv x14, x30");
    unit_cache_offset(G, 13, 30, KVH, row, dk);
    if (same)
      attn_dma(G, k, "n", G->addr[y->in[1]], G->addr[y->in[2]], dk, row, P);
    else
      attn_dma2(G, k, "n", G->addr[y->in[1]], G->addr[y->in[2]], dk, dv, row, P);
    line(G, "mv x30, x14");
  }
  label(G, "nod", k);
  if (cross) {
    line(G, "add x4, x28, x1"); /* the step's ring slot */
    line(G, "andi x19, x4, 1");
    line(G, "andi x29, x4, %u", G->ring_bufs - 1);
  } else {
    line(G, "andi x19, x28, 1");
    line(G, "andi x29, x28, %u", G->ring_bufs - 1);
  }
  li(G, 7, G->s.gbuf);
  line(G, "mul x29, x29, x7");
  li(G, 7, G->s.g);
  line(G, "add x29, x29, x7"); /* its buffer */
  line(G, "mv x6, x28");
  line(G, "blt x28, x26, L%u_isk", k);
  line(G, "sub x6, x28, x26");
  label(G, "isk", k);
  li(G, 22, P);
  line(G, "mul x22, x22, x6"); /* t0, from the part's first position */
  line(G, "sub x25, x21, x31");
  line(G, "sub x25, x25, x22");
  li(G, 4, P);
  line(G, "minu x25, x25, x4"); /* its positions */
  line(G, "li x23, 0");         /* tile offset in the buffer */
  label(G, "tile", k);
  line(G, "sub x24, x25, x23");
  li(G, 4, TC);
  line(G, "minu x24, x24, x4"); /* nt */
  if (same)                     /* the tile in the buffer */
    tile_at(G, dk);
  li(G, 9, TC);
  line(G, "add x9, x9, x23");
  line(G, "sltu x9, x9, x25"); /* 1: not the buffer's last tile */
  line(G, "bge x28, x26, L%u_vt", k);
  /* scores: K tile (nt positions of dk) against the grp queries, into the
   * accumulators' columns t0 + offset of rows of CS; dk in chunks of TR */
  if (!same) tile_at(G, dk);
  const char *w0 = G->kvb == 2 ? " @wait(s3)" : " @wait(s0)"; /* loaded (and widened) */
  const char *w1 = G->kvb == 2 ? " @wait(s7)" : " @wait(s4)";
  for (uint64_t c0 = 0; c0 < dk; c0 += TR) {
    uint64_t cw = dk - c0 < TR ? dk - c0 : TR;
    bool first = c0 == 0, lastc = c0 + TR >= dk;
    unsigned xw = chunk_at(G, c0);
    li(G, 12, cw);
    line(G, "mv x13, x24");
    li(G, 14, dk * 4);
    char ins[96], tag[32];
    snprintf(ins, sizeof ins, "mxu.ldw sram[x%u]:fp32, x12..x14, nk", xw);
    if (first)
      sem_variants(G, k, "kl", 23, ins, w0, w1);
    else
      line(G, "%s", ins);
    li(G, 16, grp);
    li(G, 17, dk * 4);
    li(G, 18, CS);
    line(G, "add x6, x22, x23");
    line(G, "shli x6, x6, 2");
    li(G, 7, G->s.a + c0 * 4);
    snprintf(ins, sizeof ins, "mxu.mm acc[x6], sram[x7]:fp32, x16..x18, %s",
             first ? "overwrite" : "accumulate");
    chunk_tag(tag, sizeof tag, "km", c0);
    if (lastc)
      sem_variants(G, k, tag, 9, ins, " @signal(s1)", " @signal(s5)");
    else
      line(G, "%s", ins);
  }
  line(G, "j L%u_tn", k);
  label(G, "vt", k);
  /* out += P[:, t0 + offset ..] @ V tile (nt positions of dv), dv in chunks of TC */
  if (!same) tile_at(G, dv);
  for (uint64_t c0 = 0; c0 < dv; c0 += TC) {
    uint64_t cw = dv - c0 < TC ? dv - c0 : TC;
    bool first = c0 == 0, lastc = c0 + TC >= dv;
    unsigned xw = chunk_at(G, c0);
    line(G, "mv x12, x24");
    li(G, 13, cw);
    li(G, 14, dv * 4);
    char ins[96];
    snprintf(ins, sizeof ins, "mxu.ldw sram[x%u]:fp32, x12..x14, kn", xw);
    if (first)
      sem_variants(G, k, "vl", 23, ins, w0, w1);
    else
      line(G, "%s", ins);
    li(G, 16, grp);
    li(G, 17, CS);
    li(G, 18, dv * 4);
    line(G, "add x7, x22, x23");
    line(G, "shli x7, x7, 2");
    li(G, 6, G->s.c);
    line(G, "add x7, x7, x6");
    li(G, 6, out_acc + c0 * 4);
    line(G, "add x4, x22, x23");
    char ac[96], t1[32], t2[32], t3[32], te[32];
    chunk_tag(t1, sizeof t1, "vacc", c0);
    chunk_tag(t2, sizeof t2, "vo", c0);
    chunk_tag(t3, sizeof t3, "va", c0);
    chunk_tag(te, sizeof te, "ve", c0);
    snprintf(ins, sizeof ins, "mxu.mm acc[x6], sram[x7]:fp32, x16..x18, overwrite");
    snprintf(ac, sizeof ac, "mxu.mm acc[x6], sram[x7]:fp32, x16..x18, accumulate");
    line(G, "bne x4, x0, L%u_%s", k, t1);
    if (lastc)
      sem_variants(G, k, t2, 9, ins, " @signal(s1)", " @signal(s5)");
    else
      line(G, "%s", ins);
    line(G, "j L%u_%s", k, lastc ? "tn" : te);
    label(G, t1, k);
    if (lastc)
      sem_variants(G, k, t3, 9, ac, " @signal(s1)", " @signal(s5)");
    else
      line(G, "%s", ac);
    if (!lastc) label(G, te, k);
  }
  label(G, "tn", k);
  li(G, 4, TC);
  line(G, "add x23, x23, x4");
  line(G, "blt x23, x25, L%u_tile", k);
  line(G, "addi x28, x28, 1");
  line(G, "bne x28, x26, L%u_nosm", k);
  /* every score in: drain grp rows of npos, scale, softmax per row */
  li(G, 8, grp);
  line(G, "sub x9, x21, x31");
  li(G, 10, CS);
  li(G, 11, CS);
  li(G, 6, G->s.c);
  line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11 @signal(s2)");
  line(G, "sync.wait s2, 1");
  li(G, 7, G->s.s);
  li(G, 24, G->s.consts + 4 * K_SQRT_HD);
  line(G, "li x12, 4");
  line(G, "vpu.div sram[x6]:fp32, sram[x6]:fp32, sram[x24]:fp32, x8..x12, scalar");
  line(G, "li x10, 4");
  line(G, "vpu.rmax sram[x7]:fp32, sram[x6]:fp32, x8..x11, overwrite");
  li(G, 10, CS);
  line(G, "vpu.sub sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
  line(G, "vpu.exp sram[x6]:fp32, sram[x6]:fp32, x8..x11");
  line(G, "li x10, 4");
  if (PS == 1) {
    line(G, "vpu.rsum sram[x7]:fp32, sram[x6]:fp32, x8..x11, overwrite");
    li(G, 10, CS);
    line(G, "vpu.div sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
  } else { /* a part: keep its max (S) and sum (SCALE) for the combine; no division */
    li(G, 7, G->s.scale);
    line(G, "vpu.rsum sram[x7]:fp32, sram[x6]:fp32, x8..x11, overwrite");
  }
  line(G, "sync.fence vpu");
  label(G, "nosm", k);
  line(G, "blt x28, x27, L%u_sup", k);
  /* the grp output rows of dv, contiguous in y */
  li(G, 8, grp);
  li(G, 9, dv);
  li(G, 10, dv * 4);
  li(G, 11, dv * 4);
  li(G, 6, G->s.b);
  li(G, 7, out_acc);
  line(G, "mxu.drain sram[x6]:fp32, acc[x7]:fp32, x8..x11 @signal(s2)");
  line(G, "sync.wait s2, 1");
  if (PS == 1) {
    store_unit(G, G->addr[id], grp * dv, 6);
  } else {
    line(G, "j L%u_part", k);
    /* an empty part (npos < its first position): max -1e30, sum 0, output 0 */
    label(G, "empty", k);
    li(G, 6, G->s.b);
    li(G, 25, 0);
    li(G, 8, grp);
    li(G, 9, dv);
    li(G, 10, dv * 4);
    line(G, "vpu.fill sram[x6]:fp32, x25, x8..x10");
    li(G, 7, G->s.scale);
    line(G, "li x9, 1");
    line(G, "li x10, 4");
    line(G, "vpu.fill sram[x7]:fp32, x25, x8..x10");
    li(G, 7, G->s.s);
    li(G, 25, f32_bits(-1e30f));
    line(G, "vpu.fill sram[x7]:fp32, x25, x8..x10");
    line(G, "sync.fence vpu");
    label(G, "part", k);
    /* the part's output to o_part[w], its max and sum to m_part / l_part[u][g][p] */
    li(G, 4, grp * dv * 4);
    line(G, "mul x4, x4, x20");
    li(G, 5, G->attn_o);
    line(G, "add x4, x4, x5");
    li(G, 6, G->s.b);
    li(G, 8, grp * dv);
    line(G, "dma.1d hbm[x4]:fp32, sram[x6]:fp32, x8, x0, q0 @signal(s6)");
    li(G, 5, PS);
    line(G, "divu x7, x20, x5");
    line(G, "remu x9, x20, x5");
    li(G, 5, grp * PS * 4);
    line(G, "mul x7, x7, x5");
    line(G, "shli x9, x9, 2");
    line(G, "add x7, x7, x9"); /* byte offset of [u][0][p] */
    li(G, 8, 1);
    li(G, 9, grp);
    li(G, 10, PS * 4);
    li(G, 11, 4);
    li(G, 4, G->attn_m); /* (on queue 1, beside the output's) */
    line(G, "add x4, x4, x7");
    li(G, 6, G->s.s);
    line(G, "dma.2d hbm[x4]:fp32, sram[x6]:fp32, x8..x11, x0, q1 @signal(s6)");
    li(G, 4, G->attn_l);
    line(G, "add x4, x4, x7");
    li(G, 6, G->s.scale);
    line(G, "dma.2d hbm[x4]:fp32, sram[x6]:fp32, x8..x11, x0, q1 @signal(s6)");
    line(G, "sync.wait s6, 3");
  }
  if (cross) line(G, "add x1, x1, x27"); /* the next unit's first ring slot */
  li(G, 4, cores);
  line(G, "add x20, x20, x4");
  line(G, "j L%u_head", k);
  label(G, "done", k);
  line(G, "sync.wait s1, %u", G->ring_bufs / 2);
  line(G, "sync.wait s5, %u", G->ring_bufs / 2);
  if (PS > 1) attention_combine(G, k, id, units, PS, grp, dv);
}

/* ---- collectives (tensor parallelism; docs/COMPILER.md) ----
 * Core k of every chip handles the same columns of [R, D]: the most cores
 * (at most the chip's) that divide D, w columns each. Data goes to the
 * peers' device memory by DMA over the chip-to-chip links; when a core's
 * DMAs are done it signals core k of each peer on semaphore s(8 + its chip),
 * so each peer's signals are counted apart and arrive in the order they were
 * sent. */

enum { SEM_PEER = 8 };

static uint64_t coll_cores(const gen *G, uint64_t D) {
  uint64_t u = G->a->cores.count;
  while (u > 1 && D % u) u--;
  return u;
}

/* The collective's prologue: cores from U on skip to L<k>_skip; x22 = this
 * core's first column in bytes (w columns each), x8..x11 = {w, R, dst
 * stride, src stride}, x25 = src + x22. */
static void coll_columns(gen *G, uint32_t k, uint64_t U, uint64_t w, uint64_t R,
                         uint64_t dst_stride, uint64_t src_stride, uint64_t src) {
  li(G, 21, U);
  line(G, "bgeu x3, x21, L%u_skip", k);
  li(G, 22, w * 4);
  line(G, "mul x22, x22, x3"); /* this core's columns, in bytes */
  li(G, 8, w);
  li(G, 9, R);
  li(G, 10, dst_stride);
  li(G, 11, src_stride);
  li(G, 25, src);
  line(G, "add x25, x25, x22");
}

/* Signals core k of every peer, then waits for each peer's signal. */
static void coll_handshake(gen *G) {
  for (uint32_t p = 0; p < G->chips; p++) {
    if (p == G->chip) continue;
    li(G, 26, (uint64_t)p * G->a->cores.count);
    line(G, "add x26, x26, x3");
    line(G, "sync.signal x26, s%u, 1", SEM_PEER + G->chip);
  }
  for (uint32_t p = 0; p < G->chips; p++)
    if (p != G->chip) line(G, "sync.wait s%u, 1", SEM_PEER + p);
}

/* y = the sum of x over the chips: each chip sends its columns to every
 * peer's receive buffer (slot = its chip), then sums the chips' blocks in
 * chip order 0, 1, ... (the same bits on every chip). The receive buffers
 * alternate between collectives: a peer can be at most one collective ahead
 * (it cannot finish one without this chip's data of it). */
static void gen_all_reduce(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  uint32_t N = G->chips, r = G->chip;
  uint64_t D = last(y), R = elems(y) / D, U = coll_cores(G, D), w = D / U;
  uint64_t X = G->addr[y->in[0]], Y = G->addr[id];
  uint64_t recv = G->coll_recv[G->n_coll++ % 2];
  uint64_t local = recv - sc_sys_chip_base(r), blk = R * w * 4;
  coll_columns(G, k, U, w, R, D * 4, D * 4, X);
  unsigned q = 0;
  for (uint32_t p = 0; p < N; p++) {
    if (p == r) continue;
    li(G, 24, sc_sys_chip_base(p) + local + (uint64_t)r * R * D * 4);
    line(G, "add x24, x24, x22");
    line(G, "dma.2d hbm[x24]:fp32, hbm[x25]:fp32, x8..x11, x0, q%u @signal(s3)", q);
    q ^= 1;
  }
  line(G, "sync.wait s3, %u", N - 1);
  coll_handshake(G);
  /* every chip's block of these columns, side by side in SRAM */
  li(G, 10, w * 4);
  for (uint32_t p = 0; p < N; p++) {
    li(G, 5, G->s.a + p * blk);
    if (p == r) {
      line(G, "mv x24, x25");
    } else {
      li(G, 24, recv + (uint64_t)p * R * D * 4);
      line(G, "add x24, x24, x22");
    }
    line(G, "dma.2d sram[x5]:fp32, hbm[x24]:fp32, x8..x11, x0, q%u @signal(s3)", p & 1);
  }
  line(G, "sync.wait s3, %u", N);
  vgroup(G, 1, R * w);
  li(G, 5, G->s.a);
  for (uint32_t p = 1; p < N; p++) {
    li(G, 6, G->s.a + p * blk);
    line(G, "vpu.add sram[x5]:fp32, sram[x5]:fp32, sram[x6]:fp32, x8..x12, full");
  }
  line(G, "sync.fence vpu");
  li(G, 8, w);
  li(G, 9, R);
  li(G, 10, D * 4);
  li(G, 11, w * 4);
  li(G, 24, Y);
  line(G, "add x24, x24, x22");
  line(G, "dma.2d hbm[x24]:fp32, sram[x5]:fp32, x8..x11, x0, q0 @signal(s3)");
  line(G, "sync.wait s3, 1");
  label(G, "skip", k);
}

/* y = every chip's x side by side: each chip writes its columns into every
 * chip's y (its own included). */
static void gen_all_gather(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  uint32_t N = G->chips, r = G->chip;
  const sc_gvalue *x = val(G, y->in[0]);
  uint64_t n = last(x), R = elems(x) / n, U = coll_cores(G, n), w = n / U;
  uint64_t local = G->addr[id] - sc_sys_chip_base(r);
  coll_columns(G, k, U, w, R, N * n * 4, n * 4, G->addr[y->in[0]]);
  for (uint32_t p = 0; p < N; p++) {
    li(G, 24, sc_sys_chip_base(p) + local + (uint64_t)r * n * 4);
    line(G, "add x24, x24, x22");
    line(G, "dma.2d hbm[x24]:fp32, hbm[x25]:fp32, x8..x11, x0, q%u @signal(s3)", p & 1);
  }
  line(G, "sync.wait s3, %u", N);
  coll_handshake(G);
  label(G, "skip", k);
}

/* Pipeline parallelism: x goes to the receive buffer at the start of chip
 * peer's memory, each core its columns, then core k signals core k there. */
static void gen_send(gen *G, const sc_gvalue *y, uint32_t k) {
  const sc_gvalue *x = val(G, y->in[0]);
  uint64_t D = last(x), R = elems(x) / D, U = coll_cores(G, D), w = D / U;
  uint32_t peer = y->attrs.peer;
  coll_columns(G, k, U, w, R, D * 4, D * 4, G->addr[y->in[0]]);
  li(G, 24, sc_sys_chip_base(peer));
  line(G, "add x24, x24, x22");
  line(G, "dma.2d hbm[x24]:fp32, hbm[x25]:fp32, x8..x11, x0, q0 @signal(s3)");
  line(G, "sync.wait s3, 1");
  li(G, 26, (uint64_t)peer * G->a->cores.count);
  line(G, "add x26, x26, x3");
  line(G, "sync.signal x26, s%u, 1", SEM_PEER + G->chip);
  label(G, "skip", k);
}

/* The receive buffer is whole once core k of the sender has signalled core
 * k (for every core k of the split). */
static void gen_recv(gen *G, const sc_gvalue *y, uint32_t k) {
  uint64_t D = last(y), U = coll_cores(G, D);
  li(G, 21, U);
  line(G, "bgeu x3, x21, L%u_skip", k);
  line(G, "sync.wait s%u, 1", SEM_PEER + y->attrs.peer);
  label(G, "skip", k);
}

/* ---- buffers ---- */

static uint64_t alloc(gen *G, uint64_t bytes) {
  uint64_t a = G->next;
  G->next = align_up(G->next + (bytes ? bytes : 4));
  return a;
}

/* ---- the intermediates' buffers (docs/COMPILER.md, "Buffers") ----
 * A step's intermediates share device memory: a block is taken again once
 * the values in it are dead. Blocks are whole groups of consecutive matmuls
 * of one x (a GEMV group's outputs lie end to end). */
typedef struct block {
  uint64_t addr, size;
  uint32_t last; /* the last op reading any value in it */
} block;

typedef struct pool {
  block *free, *live;
  size_t n_free, n_live, cap_free, cap_live;
  bool oom;
} pool;

static void pool_push(pool *p, block **arr, size_t *n, size_t *cap, block b) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 64;
    block *a = realloc(*arr, c * sizeof *a);
    if (!a) {
      p->oom = true;
      return;
    }
    *arr = a;
    *cap = c;
  }
  (*arr)[(*n)++] = b;
}

/* Frees the live blocks whose values are dead before op i (merging
 * neighbours in the free list, which stays sorted by address). */
static void pool_release(pool *p, uint32_t i) {
  for (size_t k = 0; k < p->n_live;) {
    if (p->live[k].last >= i) {
      k++;
      continue;
    }
    block b = p->live[k];
    p->live[k] = p->live[--p->n_live];
    size_t at = 0;
    while (at < p->n_free && p->free[at].addr < b.addr) at++;
    if (at > 0 && p->free[at - 1].addr + p->free[at - 1].size == b.addr) { /* join below */
      p->free[at - 1].size += b.size;
      if (at < p->n_free && b.addr + b.size == p->free[at].addr) {
        p->free[at - 1].size += p->free[at].size;
        memmove(p->free + at, p->free + at + 1, (p->n_free - at - 1) * sizeof *p->free);
        p->n_free--;
      }
      continue;
    }
    if (at < p->n_free && b.addr + b.size == p->free[at].addr) { /* join above */
      p->free[at].addr = b.addr;
      p->free[at].size += b.size;
      continue;
    }
    pool_push(p, &p->free, &p->n_free, &p->cap_free, b);
    if (p->oom) return;
    memmove(p->free + at + 1, p->free + at, (p->n_free - 1 - at) * sizeof *p->free);
    p->free[at] = b;
  }
}

static uint64_t alloc(gen *G, uint64_t bytes);

/* A block of bytes live until op last: the smallest free one that holds
 * it (reuse = false: new memory). */
static uint64_t pool_take(gen *G, pool *p, uint64_t bytes, uint32_t last, bool reuse) {
  bytes = align_up(bytes ? bytes : 4);
  size_t best = SIZE_MAX;
  for (size_t k = 0; reuse && k < p->n_free; k++)
    if (p->free[k].size >= bytes && (best == SIZE_MAX || p->free[k].size < p->free[best].size))
      best = k;
  uint64_t a;
  if (best == SIZE_MAX) {
    a = alloc(G, bytes);
  } else {
    a = p->free[best].addr;
    p->free[best].addr += bytes;
    p->free[best].size -= bytes;
    if (!p->free[best].size) {
      memmove(p->free + best, p->free + best + 1, (p->n_free - best - 1) * sizeof *p->free);
      p->n_free--;
    }
  }
  pool_push(p, &p->live, &p->n_live, &p->cap_live, (block){a, bytes, last});
  return a;
}

/* The last op reading each value (UINT32_MAX: never freed: outputs and
 * what is not an intermediate): through views, through RMSNorms and SwiGLUs
 * whose consumers may compute them (fused: their inputs are read there) and
 * through RoPEs that may leave their result in their input's place. */
static uint32_t *last_uses(const gen *G) {
  size_t n = sc_graph_count(G->g);
  uint32_t *last = malloc(n * sizeof *last);
  if (!last) return NULL;
  for (size_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, (uint32_t)i);
    last[i] = v->kind != SC_GV_OP || v->is_output ? UINT32_MAX : (uint32_t)i;
  }
  for (size_t j = n; j-- > 0;) {
    const sc_gvalue *v = val(G, (uint32_t)j);
    if (v->kind != SC_GV_OP) continue;
    bool view = is_view(v);
    /* computed by its consumer (RMSNorm, SwiGLU), or stored in its input's
     * place (a RoPE that a GEMV group does: rope_of) */
    bool fusable = v->op == SC_GOP_RMSNORM || v->op == SC_GOP_SWIGLU || v->op == SC_GOP_ROPE;
    for (uint32_t q = 0; q < v->n_in; q++) {
      uint32_t u = v->in[q];
      if (last[u] == UINT32_MAX) continue;
      uint32_t until = view || fusable ? last[j] : (uint32_t)j;
      if (until > last[u]) last[u] = until;
    }
  }
  return last;
}

static bool fail(gen *G, sc_status *st, sc_status code, const char *fmt, ...) SC_PRINTF(4, 5);
static bool fail(gen *G, sc_status *st, sc_status code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (G->err_size) vsnprintf(G->err, G->err_size, fmt, ap);
  va_end(ap);
  *st = code;
  return false;
}

/* Whether RMSNorm or SwiGLU value i may be fused into its consumers (fp8
 * GEMVs by shape): its every consumer a matmul of it as the activations. */
static bool x_fusable(const gen *G, uint32_t i) {
  const sc_gvalue *v = val(G, i);
  if (v->kind != SC_GV_OP || (v->op != SC_GOP_SWIGLU && v->op != SC_GOP_RMSNORM) || v->is_output ||
      G->opt.no_fuse || !form_of(G->opt.wdtype).fp8)
    return false;
  uint32_t users = 0;
  for (uint32_t k = G->use_off[i]; k < G->use_off[i + 1]; k++) {
    const sc_gvalue *u = val(G, G->use_op[k]);
    if (u->op != SC_GOP_MATMUL || G->use_slot[k] != 0) return false;
    const sc_gvalue *w = val(G, u->in[1]);
    uint64_t N = wrows(w), K = last(w);
    if (w->rank != 2 || !gemv_shape(G, elems(v) / K, N, K)) return false;
    users++;
  }
  return users > 0;
}

/* The fused SwiGLU that GEMV group i (gate, up: one row, two members of
 * the same whole tiles, each the other's pair on the same core) computes in
 * its epilogue, or UINT32_MAX: gate's tile j and up's tile j are the core's
 * i-th and (i + m / 2)-th when gate's tiles are a multiple of the cores, so
 * silu(gate) x up of the core's columns is element-wise on its own sums,
 * the same arithmetic as swiglu_sram's on the loaded rows. */
static uint32_t sw_epilogue(const gen *G, uint32_t i) {
  const sc_gvalue *v = val(G, i);
  if (G->T != 1 || G->opt.no_fuse || v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL || !G->gemv[i] ||
      G->gskip[i] || v->n_in != 2 || v->is_output)
    return UINT32_MAX;
  uint32_t u = G->gnext[i];
  if (u == UINT32_MAX || G->gnext[u] != UINT32_MAX || val(G, u)->n_in != 2 ||
      val(G, u)->is_output || G->rope_of[i] != UINT32_MAX || G->rope_of[u] != UINT32_MAX ||
      G->radd[i] != UINT32_MAX || G->use_off[i + 1] - G->use_off[i] != 1 ||
      G->use_off[u + 1] - G->use_off[u] != 1)
    return UINT32_MAX;
  uint32_t sw = G->use_op[G->use_off[i]];
  const sc_gvalue *x = val(G, sw);
  if (x->op != SC_GOP_SWIGLU || !G->fused[sw] || x->in[0] != i || x->in[1] != u ||
      G->use_op[G->use_off[u]] != sw)
    return UINT32_MAX;
  gemv_geom g = gemv_geom_of(G, i);
  uint64_t Ni = wrows(val(G, v->in[1])), Nu = wrows(val(G, val(G, u)->in[1]));
  if (Ni != Nu || Ni % g.TC || (Ni / g.TC) % G->a->cores.count) return UINT32_MAX;
  return sw;
}

/* Checks what this generator supports and lays out device memory. */
/* G->use_off / use_op / use_slot: who reads each value. */
static bool uses_index(gen *G) {
  size_t n = sc_graph_count(G->g), total = 0;
  G->use_off = calloc(n + 1, sizeof *G->use_off);
  if (!G->use_off) return false;
  for (uint32_t j = 0; j < n; j++) {
    const sc_gvalue *u = val(G, j);
    for (uint32_t q = 0; u->kind == SC_GV_OP && q < u->n_in; q++)
      G->use_off[u->in[q] + 1]++, total++;
  }
  for (size_t i = 0; i < n; i++) G->use_off[i + 1] += G->use_off[i];
  G->use_op = malloc((total ? total : 1) * sizeof *G->use_op);
  G->use_slot = malloc((total ? total : 1) * sizeof *G->use_slot);
  uint32_t *at = malloc((n ? n : 1) * sizeof *at);
  if (!G->use_op || !G->use_slot || !at) {
    free(at);
    return false;
  }
  memcpy(at, G->use_off, n * sizeof *at);
  for (uint32_t j = 0; j < n; j++) {
    const sc_gvalue *u = val(G, j);
    for (uint32_t q = 0; u->kind == SC_GV_OP && q < u->n_in; q++) {
      G->use_op[at[u->in[q]]] = j;
      G->use_slot[at[u->in[q]]++] = q;
    }
  }
  free(at);
  return true;
}

/* The parts a decode attention's units want (sc_cc_options.attn_parts, or
 * the largest power of two that keeps units x parts <= cores). */
static uint64_t attn_parts_wanted(const gen *G) {
  uint64_t units = (uint64_t)G->B * G->kvh, ps = 1;
  if (G->opt.attn_parts) return G->opt.attn_parts;
  while (units * ps * 2 <= G->a->cores.count) ps *= 2;
  return ps;
}

static bool plan(gen *G, sc_status *st) {
  const sc_graph *g = G->g;
  size_t n = sc_graph_count(g);
  G->addr = calloc(n, sizeof *G->addr);
  G->bytes = calloc(n, sizeof *G->bytes);
  if (!G->addr || !G->bytes || !uses_index(G))
    return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  /* What the step is: T tokens, the cache's positions, the heads' width. */
  G->T = 1;
  G->B = 1;
  G->chips = 1;
  G->chip = 0;
  if (G->opt.kv_dtype != SC_DTYPE_FP32 && G->opt.kv_dtype != SC_DTYPE_BF16 && G->opt.kv_dtype != 0)
    return fail(G, st, SC_STATUS_UNSUPPORTED, "the KV cache is fp32 or bf16, not %s",
                sc_dtype_name(G->opt.kv_dtype));
  G->kvb = G->opt.kv_dtype == SC_DTYPE_BF16 ? 2 : 4;
  G->kvt = G->kvb == 2 ? "bf16" : "fp32";
  for (uint32_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->dtype != SC_DTYPE_FP32 && v->dtype != SC_DTYPE_INT32)
      return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: %s values are not supported yet (fp32)",
                  v->name, sc_dtype_name(v->dtype));
    if (v->kind == SC_GV_INPUT) {
      if (strcmp(v->name, "tokens") != 0 && strcmp(v->name, "pos") != 0)
        return fail(G, st, SC_STATUS_UNSUPPORTED,
                    "%%%s: the inputs of a step are %%tokens and %%pos", v->name);
      if (strcmp(v->name, "tokens") == 0) G->T = (uint32_t)elems(v);
      continue;
    }
    if (v->kind == SC_GV_STATE && v->rank >= 3) { /* [S, KVH, hd], or [B, S, KVH, hd] */
      G->max_seq = (uint32_t)v->shape[v->rank - 3];
      if (v->rank == 4) G->B = (uint32_t)v->shape[0];
    }
    if (v->kind != SC_GV_OP) continue;
    switch (v->op) {
    case SC_GOP_RESHAPE:
    case SC_GOP_CACHE_WRITE:
    case SC_GOP_EMBEDDING:
    case SC_GOP_RMSNORM:
    case SC_GOP_MATMUL:
    case SC_GOP_ADD:
    case SC_GOP_MUL:
    case SC_GOP_SWIGLU:
    case SC_GOP_CONCAT:
      break;
    case SC_GOP_SLICE: {
      const sc_gvalue *x = val(G, v->in[0]);
      int axis = v->attrs.axis < 0 ? (int)x->rank + v->attrs.axis : v->attrs.axis;
      for (int d = 0; d < axis; d++)
        if (x->shape[d] != 1)
          return fail(G, st, SC_STATUS_UNSUPPORTED,
                      "%%%s: a slice along axis %d with a longer axis before it is not supported "
                      "yet (a view needs the outer axes to be 1)",
                      v->name, axis);
      if (v->is_output)
        return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: a slice as an output is not supported",
                    v->name);
      break;
    }
    case SC_GOP_ALL_REDUCE:
    case SC_GOP_ALL_GATHER:
    case SC_GOP_SEND:
    case SC_GOP_RECV:
      if (G->chips > 1 && (v->attrs.chips != G->chips || v->attrs.chip != G->chip))
        return fail(G, st, SC_STATUS_INVALID,
                    "%%%s: chip %u of %u, an earlier collective has %u of %u", v->name,
                    v->attrs.chip, v->attrs.chips, G->chip, G->chips);
      if (v->attrs.chips > SC_SYS_MAX_CHIPS || v->attrs.chips + SEM_PEER > SC_ISA_N_SEMS)
        return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: %u chips exceed the %d semaphores",
                    v->name, v->attrs.chips, SC_ISA_N_SEMS - SEM_PEER);
      G->chips = v->attrs.chips;
      G->chip = v->attrs.chip;
      break;
    case SC_GOP_ROPE:
      G->head_dim = (uint32_t)last(v);
      break;
    case SC_GOP_ATTENTION: {
      uint64_t dk = last(val(G, v->in[0])), dv = last(v);
      if (dk > G->attn_dk) G->attn_dk = dk;
      if (dv > G->attn_dv) G->attn_dv = dv;
      G->attn_div = v->attrs.scale != 0 ? 1.0f / v->attrs.scale : sqrtf((float)dk);
      break;
    }
    default:
      return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: op %s is not supported yet", v->name,
                  sc_gop_name(v->op));
    }
    if (v->op == SC_GOP_ATTENTION) {
      const sc_gvalue *kc = val(G, v->in[1]);
      uint64_t grp = (uint64_t)v->shape[1] / (uint64_t)kc->shape[kc->rank - 2];
      G->kvh = (uint64_t)kc->shape[kc->rank - 2];
      if (grp > G->grp) G->grp = grp;
      if (G->T > G->a->core.mxu.rows && G->B <= 1)
        return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: %u tokens per step exceed %u", v->name,
                    G->T, G->a->core.mxu.rows);
    }
  }
  /* Device memory: what does not depend on T first (weights, the cache, the
   * tables), so that the programs of one model for different T (prefill and
   * decode) place them at the same addresses and share them when loaded
   * together; then the %tokens buffer and the intermediates. */
  const uint64_t base = sc_sys_chip_base(G->chip); /* this chip's memory */
  G->next = base;
  G->in_memory = calloc(n, sizeof *G->in_memory);
  if (!G->in_memory) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < n; i++) { /* consts read other than as matmul weights */
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP) continue;
    for (uint32_t k = 0; k < v->n_in; k++)
      if (!(v->op == SC_GOP_MATMUL && k == 1)) G->in_memory[v->in[k]] = true;
  }
  /* a pipeline stage's receive buffer (a state of fewer than 3 dimensions)
   * first, at the start of the chip's memory: the stage before writes there */
  for (uint32_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_STATE || v->rank >= 3) continue;
    if (G->next != base)
      return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: one receive buffer per stage", v->name);
    G->bytes[i] = elems(v) * 4;
    G->addr[i] = alloc(G, G->bytes[i]);
  }
  for (uint32_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_STATE && !(v->kind == SC_GV_CONST && G->in_memory[i])) continue;
    if (v->kind == SC_GV_STATE && v->rank < 3) continue;
    G->bytes[i] = elems(v) * (v->kind == SC_GV_STATE ? G->kvb : 4);
    G->addr[i] = alloc(G, G->bytes[i]);
  }
  G->consts = alloc(G, K_COUNT * 4);
  G->rope = G->head_dim && G->max_seq ? alloc(G, (uint64_t)G->max_seq * G->head_dim * 4) : 0;
  G->mw_addr = calloc(n, sizeof *G->mw_addr);
  G->ms_addr = calloc(n, sizeof *G->ms_addr);
  G->mgroup = calloc(n, sizeof *G->mgroup);
  if (!G->mw_addr || !G->ms_addr || !G->mgroup)
    return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL) continue;
    const sc_gvalue *w = val(G, v->in[1]);
    uint64_t N = wrows(w), K = last(w);
    if (w->kind != SC_GV_CONST || !v->attrs.trans_b)
      return fail(G, st, SC_STATUS_UNSUPPORTED,
                  "%%%s: matmul by a weight (a const, stored out x in) is supported", v->name);
    G->mgroup[i] = K;
    if (w->rank == 3 && N / (uint64_t)w->shape[0] % G->a->core.mxu.cols)
      return fail(G, st, SC_STATUS_UNSUPPORTED,
                  "%%%s: a grouped matmul's %llu outputs per group are not whole tiles of %u",
                  v->name, (unsigned long long)(N / (uint64_t)w->shape[0]), G->a->core.mxu.cols);
    switch (G->opt.wdtype) {
    case SC_CC_F32:
      G->mw_addr[i] = alloc(G, N * K * 4);
      continue;
    case SC_CC_BF16:
      G->mw_addr[i] = alloc(G, N * K * 2);
      continue;
    case SC_CC_INT4: {
      if (K % 2)
        return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: int4 needs an even K, got %llu", v->name,
                    (unsigned long long)K);
      uint64_t gsz = 32;
      while (K % gsz) gsz /= 2;
      G->mgroup[i] = gsz;
      G->mw_addr[i] = alloc(G, N * K / 2);
      G->ms_addr[i] = K / gsz * N * 4; /* its size, for now */
      continue;
    }
    case SC_CC_INT8:
    case SC_CC_FP8_CHANNEL:
      G->mw_addr[i] = alloc(G, N * K);
      G->ms_addr[i] = N * 4;
      continue;
    default: /* fp8 per tensor */
      G->mw_addr[i] = alloc(G, N * K);
      G->ms_addr[i] = 4;
      continue;
    }
  }
  /* the scales after every weight, so that consecutive matmuls' weights are
   * contiguous (GEMV groups) */
  for (uint32_t i = 0; i < n; i++)
    if (G->ms_addr[i]) G->ms_addr[i] = alloc(G, G->ms_addr[i]);
  if (G->opt.scratch_base) { /* the per-step buffers above another program's */
    if (base + G->opt.scratch_base < G->next)
      return fail(G, st, SC_STATUS_INVALID,
                  "scratch_base 0x%llx is below the shared buffers' end 0x%llx",
                  (unsigned long long)G->opt.scratch_base, (unsigned long long)(G->next - base));
    G->next = align_up(base + G->opt.scratch_base);
  }
  if (G->T > 1) G->tokens_addr = alloc(G, (uint64_t)G->T * 4);
  uint64_t widest = 1; /* the largest intermediate, for the SRAM rows */
  uint64_t qneed = 0;  /* bytes of Q: an fp8 copy of an activation, whole */
  uint32_t *dies = last_uses(G);
  pool pl = {0};
  bool *placed = calloc(n, sizeof *placed);
  if (!dies || !placed) {
    free(dies);
    free(placed);
    return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  }
  for (uint32_t i = 0; i < n; i++) { /* the outputs first, each in a buffer of its own */
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP || !v->is_output || is_view(v)) continue;
    G->addr[i] = alloc(G, elems(v) * 4);
    placed[i] = true;
  }
  G->scratch0 = G->next; /* then the intermediates, in one buffer */
  for (uint32_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP) continue;
    if (v->op == SC_GOP_SLICE) { /* a view from the start's offset (outer axes all 1) */
      const sc_gvalue *x = val(G, v->in[0]);
      int axis = v->attrs.axis < 0 ? (int)x->rank + v->attrs.axis : v->attrs.axis;
      uint64_t inner = elems(x) / (uint64_t)x->shape[axis]; /* per element of the axis */
      G->addr[i] = G->addr[v->in[0]] + (uint64_t)v->attrs.start * inner * 4;
      G->bytes[i] = elems(v) * 4;
      continue;
    }
    if (is_view(v)) {
      G->addr[i] = G->addr[v->in[0]];
      G->bytes[i] = G->bytes[v->in[0]];
      continue;
    }
    pool_release(&pl, i);
    if (!placed[i]) {
      /* new memory for what is written before its op runs (a residual add a
       * GEMV completes), for outputs and what peers write into */
      bool fresh = v->op == SC_GOP_ADD || (v->op == SC_GOP_MUL && G->T == 1) ||
                   v->op == SC_GOP_ALL_GATHER || G->opt.no_reuse;
      uint64_t bytes = align_up(elems(v) * 4);
      uint32_t until = dies[i], members[64], nm = 0;
      members[nm++] = i;
      for (uint32_t j = i + 1; v->op == SC_GOP_MATMUL && j < n && nm < 64; j++) {
        const sc_gvalue *u = val(G, j); /* the matmuls of the same x after it, end to end */
        if (u->kind != SC_GV_OP || u->op == SC_GOP_RESHAPE) continue;
        if (u->op != SC_GOP_MATMUL || u->in[0] != v->in[0] || u->is_output) break;
        members[nm++] = j;
        bytes += align_up(elems(u) * 4);
        if (dies[j] > until) until = dies[j];
      }
      uint64_t a = pool_take(G, &pl, bytes, until, !fresh);
      for (uint32_t m = 0; m < nm; m++) {
        placed[members[m]] = true;
        G->addr[members[m]] = a;
        a += align_up(elems(val(G, members[m])) * 4);
      }
    }
    /* a matmul's output never sits whole in SRAM (its tiles pass through C);
     * an RMSNorm or SwiGLU fused into fp8 GEMVs is computed in groups of rows
     * (only its fp8 copy, a quarter of the bytes, is whole); a row-wise op
     * holds a core's share of the rows */
    bool grouped = x_fusable(G, i);
    /* device memory to device memory, or a head (a group of heads) at a time */
    bool streamed = v->op == SC_GOP_ALL_GATHER || v->op == SC_GOP_CONCAT ||
                    v->op == SC_GOP_ATTENTION || v->op == SC_GOP_MATMUL ||
                    v->op == SC_GOP_EMBEDDING;
    if (grouped && elems(v) > qneed) qneed = elems(v);
    if (grouped && last(v) > widest) widest = last(v); /* a group has a row at least */
    if (!grouped && !streamed && row_share(G, v) > widest) widest = row_share(G, v);
    if (v->op == SC_GOP_ATTENTION) { /* a head's T rows, or a group's rows, of q and of y */
      uint64_t dk = last(val(G, v->in[0])), dv = last(v),
               kvh = val(G, v->in[1])->shape[val(G, v->in[1])->rank - 2];
      uint64_t rows = G->T == 1 || G->B > 1 ? (uint64_t)v->shape[1] / kvh : G->T;
      if (rows * (dk > dv ? dk : dv) > widest) widest = rows * (dk > dv ? dk : dv);
    }
    if (v->op == SC_GOP_MATMUL && !form_of(G->opt.wdtype).fp8 && elems(val(G, v->in[0])) > widest)
      widest = elems(val(G, v->in[0])); /* x whole in A (fp8: in groups of rows) */
    if (v->op == SC_GOP_MATMUL && form_of(G->opt.wdtype).fp8) {
      uint64_t nx = elems(val(G, v->in[0])), kx = nx / mm_rows(G, v);
      if (nx > qneed) qneed = nx;                    /* its fp8 copy whole in Q */
      if (kx > widest) widest = kx;                  /* a group of rows in A: one at least */
      if (nx < PREP_MIN && nx > widest) widest = nx; /* a small x (not prepared) whole in A */
      uint64_t share = rows_per_core(G, mm_rows(G, v)) * kx; /* prepared: a core's rows in A */
      if (nx >= PREP_MIN && !G->opt.serial_rows && share > widest) widest = share;
    }
    if (v->op == SC_GOP_MATMUL) {
      const sc_gvalue *w = val(G, v->in[1]);
      uint64_t N = wrows(w), K = last(w), R = mm_rows(G, v);
      uint64_t tiles = (N + G->a->core.mxu.cols - 1) / G->a->core.mxu.cols;
      uint64_t rows = R * G->a->core.mxu.cols; /* a tile of the tile path */
      uint64_t gemv = (tiles + G->a->cores.count - 1) / G->a->cores.count * G->a->core.mxu.cols *
                      R; /* the GEMV's m x TC outputs of R rows */
      if (rows > widest) widest = rows;
      if (gemv > widest && gemv_shape(G, R, N, K))
        widest = gemv; /* the GEMV's drain of all the core's tiles */
    }
    G->bytes[i] = elems(v) * 4;
  }
  G->scratch1 = G->next;
  free(dies);
  free(placed);
  free(pl.free);
  free(pl.live);
  if (pl.oom) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  /* the collectives' receive buffers: a block of the largest all_reduce per chip */
  uint64_t coll = 0;
  for (uint32_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind == SC_GV_OP && v->op == SC_GOP_ALL_REDUCE && elems(v) * 4 > coll)
      coll = elems(v) * 4;
  }
  if (coll) {
    G->coll_recv[0] = alloc(G, coll * G->chips);
    G->coll_recv[1] = alloc(G, coll * G->chips);
  }
  /* attention scores: T rows of every cached position */
  G->cstride = align_up((uint64_t)G->max_seq * 4);
  bool one = G->T == 1 || G->B > 1; /* one token per sequence: decode */
  if (!one && G->cstride / 4 * G->T > widest) widest = G->cstride / 4 * G->T;
  if (one && G->cstride / 4 * G->grp > widest) widest = G->cstride / 4 * G->grp;
  if (one && G->grp) { /* a split attention's combine: its parts' outputs in a row */
    uint64_t ps = attn_parts_wanted(G);
    if (ps <= 64 && ps * G->grp * G->attn_dv > widest) widest = ps * G->grp * G->attn_dv;
  }
  if (G->next - base > G->a->memory.capacity_bytes)
    return fail(G, st, SC_STATUS_INVALID,
                "the model needs %llu bytes of device memory, %s has %llu",
                (unsigned long long)(G->next - base), G->a->name,
                (unsigned long long)G->a->memory.capacity_bytes);
  /* SRAM: constants, three rows, a scalar, a weight tile */
  uint64_t rowb = align_up(widest * 4);
  uint64_t tile = (uint64_t)G->a->core.mxu.rows * G->a->core.mxu.cols * 4;
  G->s.consts = 0;
  G->s.a = ALIGN;
  G->s.b = G->s.a + rowb;
  G->s.c = G->s.b + rowb;
  G->s.s = G->s.c + rowb;
  G->s.q = G->s.s + align_up((uint64_t)G->T * 4); /* a column of T scalars */
  for (uint32_t i = 0; i < n; i++) { /* an all_reduce's blocks of every chip in A, B and C */
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_ALL_REDUCE) continue;
    uint64_t D = last(v);
    if (elems(v) / coll_cores(G, D) * 4 * G->chips > 3 * rowb)
      return fail(G, st, SC_STATUS_UNSUPPORTED,
                  "%%%s: the blocks of %u chips need %llu bytes of SRAM rows, there are %llu",
                  v->name, G->chips,
                  (unsigned long long)(elems(v) / coll_cores(G, D) * 4 * G->chips),
                  (unsigned long long)(3 * rowb));
  }
  uint64_t qbytes = align_up(qneed > rowb ? qneed : rowb); /* Q: a row, or an fp8 copy */
  G->s.scale = G->s.q + qbytes;
  uint64_t scales = align_up((uint64_t)G->a->core.mxu.rows / 2 * G->a->core.mxu.cols * 4);
  G->s.scale2 = G->s.scale + scales;
  G->s.w = G->s.scale2 + scales;
  G->s.w2 = G->s.w + tile;
  G->s.size = G->s.w2 + tile;
  /* the GEMV weight ring, if any matmul is a GEMV and it fits */
  G->gemv = calloc(n, sizeof *G->gemv);
  if (!G->gemv) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  uint64_t need = 0, cores = G->a->cores.count;
  uint64_t TB =
      (uint64_t)G->a->core.mxu.rows * G->a->core.mxu.cols * form_of(G->opt.wdtype).wbits / 8;
  for (uint32_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL) continue;
    const sc_gvalue *w = val(G, v->in[1]);
    uint64_t N = wrows(w), K = last(w);
    if (!gemv_shape(G, mm_rows(G, v), N, K)) continue;
    uint64_t cols = G->a->core.mxu.cols, m = ((N + cols - 1) / cols + cores - 1) / cores;
    if (m * TB > need) need = m * TB;
    G->gemv[i] = true;
  }
  /* decode attention streams the cache through the ring too */
  bool attn1 = (G->T == 1 || G->B > 1) && G->grp &&
               G->grp * (G->cstride + G->attn_dv * 4) <= G->a->core.acc_sram.size_bytes;
  /* ... a tile of positions per buffer at least (keys or values) */
  uint64_t width = G->attn_dk > G->attn_dv ? G->attn_dk : G->attn_dv;
  uint64_t attn_min = GEMV_DMA_BYTES, tile_rows = G->a->core.mxu.cols * width * 4;
  if (tile_rows > attn_min) attn_min = tile_rows;
  if (!attn1) attn_min = 0;
  if (need < attn_min) need = attn_min;
  /* the ring: deeper in a decode step (a token per sequence), where each
   * op's weights stream while its x is prepared and its outputs stored */
  G->ring_bufs = G->T == G->B ? GEMV_BUFS_DECODE : GEMV_BUFS;
  /* the ring's buffers hold a chunk of every tile of a core: when they do not
   * fit, the GEMVs with the most tiles per core (the classifier) take the tile
   * path, until the rest fit */
  while (need &&
         G->s.size + G->ring_bufs * align_up(need > GEMV_DMA_BYTES ? need : GEMV_DMA_BYTES) >
             G->a->core.sram.size_bytes) {
    uint64_t next = attn_min;
    for (uint32_t i = 0; i < n; i++) {
      if (!G->gemv[i]) continue;
      uint64_t N = wrows(val(G, val(G, i)->in[1]));
      uint64_t m = (N / G->a->core.mxu.cols + cores - 1) / cores;
      if (m * TB >= need)
        G->gemv[i] = false;
      else if (m * TB > next)
        next = m * TB;
    }
    need = next == need ? 0 : next;
  }
  if (need) {
    G->s.g = G->s.size;
    G->s.gbuf = align_up(need > GEMV_DMA_BYTES ? need : GEMV_DMA_BYTES);
    G->s.size = G->s.g + G->ring_bufs * G->s.gbuf;
    G->attn_dec = attn1 && G->s.gbuf / (width * 4) >= G->a->core.mxu.cols;
  } else {
    memset(G->gemv, 0, n * sizeof *G->gemv); /* too little SRAM: the tile paths */
  }
  /* a prefill's attention with BF16 operands (not in f32, nor with
   * attn_fp32): two BF16 blocks of a head's q after its FP32 rows in A */
  uint64_t qa = align_up((uint64_t)G->T * G->attn_dk * 4),
           qbb = align_up((uint64_t)G->T * G->attn_dk * 2);
  G->attn_lp = !one && G->grp && G->opt.wdtype != SC_CC_F32 && !G->opt.attn_fp32 &&
               G->a->core.mxu.macs_per_pe_cycle[SC_DTYPE_BF16] > 0;
  if (G->attn_lp && qa + 2 * qbb <= rowb) {
    G->qb[0] = G->s.a + qa;
  } else if (G->attn_lp && G->s.size + 2 * qbb <= G->a->core.sram.size_bytes) {
    G->qb[0] = G->s.size; /* rows too short for them (split rows): their own blocks */
    G->s.size += 2 * qbb;
  } else {
    G->attn_lp = false;
  }
  G->qb[1] = G->qb[0] + qbb;
  /* a prefill's attention: a second block of scores, when it fits, to
   * pipeline the heads (gen_attention) */
  uint64_t c2 = align_up((uint64_t)G->T * G->cstride);
  if (!one && G->grp && !G->attn_dec && G->s.size + c2 <= G->a->core.sram.size_bytes) {
    G->s.c2 = G->s.size;
    G->s.size += c2;
  }
  /* ... and its cache rows in blocks of kvpb positions (as many as the
   * accumulators hold a row of scores for, the context's at most), when
   * a block of K and one of V fit in SRAM (gen_attention) */
  G->kvpb = 0;
  if (!one && G->grp && !G->attn_dec) {
    uint64_t TCb = G->a->core.mxu.cols, eb = G->attn_lp ? 2 : 4;
    uint64_t pb = (G->max_seq + TCb - 1) / TCb * TCb;
    uint64_t cap = G->a->core.acc_sram.size_bytes / ((uint64_t)G->T * 4) / TCb * TCb;
    if (cap < pb) pb = cap;
    if (G->opt.attn_block && G->opt.attn_block / TCb * TCb < pb) pb = G->opt.attn_block / TCb * TCb;
    while (pb >= TCb &&
           G->s.size + align_up(pb * G->attn_dk * eb) + align_up(pb * G->attn_dv * eb) >
               G->a->core.sram.size_bytes)
      pb = pb / 2 / TCb * TCb;
    if (pb >= TCb) {
      G->kvpb = pb;
      G->s.kb = G->s.size;
      G->s.vb = G->s.kb + align_up(pb * G->attn_dk * eb);
      G->s.size = G->s.vb + align_up(pb * G->attn_dv * eb);
    }
  }
  /* decode attention over fewer (sequence, kv head) units than cores: each
   * unit's positions in parts on several cores, then combined */
  G->attn_parts = 1;
  if (G->attn_dec) {
    uint64_t units = (uint64_t)G->B * G->kvh, ps = attn_parts_wanted(G);
    if (ps > 1 && ps * G->grp * G->attn_dv <= widest && 2 * G->grp * ps + 64 <= widest &&
        ps <= 64) {
      G->attn_parts = ps;
      G->attn_o = alloc(G, units * ps * G->grp * G->attn_dv * 4);
      G->attn_m = alloc(G, units * ps * G->grp * 4);
      G->attn_l = alloc(G, units * ps * G->grp * 4);
    }
  }
  /* RMSNorms and SwiGLUs whose every consumer is an fp8 GEMV: each GEMV
   * computes its copy of x */
  G->fused = calloc(n, sizeof *G->fused);
  if (!G->fused) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  if (form_of(G->opt.wdtype).fp8 && !G->opt.no_fuse) {
    for (uint32_t i = 0; i < n; i++) {
      const sc_gvalue *v = val(G, i);
      if (v->kind != SC_GV_OP || (v->op != SC_GOP_RMSNORM && v->op != SC_GOP_SWIGLU)) continue;
      bool all = !v->is_output;
      uint32_t users = 0;
      for (uint32_t k = G->use_off[i]; k < G->use_off[i + 1] && all; k++) {
        uint32_t j = G->use_op[k];
        const sc_gvalue *u = val(G, j);
        users++;
        if (u->op != SC_GOP_MATMUL || G->use_slot[k] != 0 || !G->gemv[j] ||
            val(G, u->in[1])->rank != 2)
          all = false;
      }
      G->fused[i] = all && users > 0;
    }
  }
  for (uint32_t i = 0; i < n; i++)
    if (x_fusable(G, i) && !G->fused[i] && row_share(G, val(G, i)) > widest)
      return fail(G, st, SC_STATUS_UNSUPPORTED,
                  "%%%s: its rows need more SRAM than a core has, and its consumers are not all "
                  "GEMVs to compute it in groups of rows",
                  val(G, i)->name);
  /* GEMV groups: consecutive one-row GEMVs of the same x (q, k, v; gate, up)
   * whose weights, outputs and channel scales lie end to end run as one */
  G->gnext = malloc(n * sizeof *G->gnext);
  G->gskip = calloc(n, sizeof *G->gskip);
  if (!G->gnext || !G->gskip) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < n; i++) G->gnext[i] = UINT32_MAX;
  wform wf = form_of(G->opt.wdtype);
  for (uint32_t i = 0; i < n && G->T == 1 && !G->opt.no_fuse; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL || !G->gemv[i] || G->gskip[i] || v->n_in != 2)
      continue;
    uint32_t prev = i;
    uint64_t gN = wrows(val(G, v->in[1])); /* the group's output rows */
    for (uint32_t j = i + 1; j < n; j++) {
      const sc_gvalue *u = val(G, j);
      if (u->kind != SC_GV_OP || u->op == SC_GOP_RESHAPE) continue;
      const sc_gvalue *lw = val(G, val(G, prev)->in[1]);
      uint64_t N = wrows(lw), K = last(lw);
      uint64_t TCg = G->a->core.mxu.cols; /* members of whole tiles: one tile-major matrix */
      bool ok = u->op == SC_GOP_MATMUL && G->gemv[j] && u->n_in == 2 && u->in[0] == v->in[0] &&
                N % TCg == 0 && wrows(val(G, u->in[1])) % TCg == 0 && val(G, u->in[1])->rank == 2 &&
                lw->rank == 2 && last(val(G, u->in[1])) == K &&
                G->mw_addr[j] == G->mw_addr[prev] + N * K * wf.wbits / 8 &&
                G->addr[j] == G->addr[prev] + N * 4 &&
                (!wf.channel || G->ms_addr[j] == G->ms_addr[prev] + N * 4);
      /* a ring buffer holds a chunk of every tile a core has of the whole
       * group (gemv_dma): at most ceil(tiles / cores) tiles of the storage's
       * height (a narrower block only when the tiles are at most one a core);
       * the ring grows for it while SRAM allows, else j starts a group */
      if (ok) {
        uint64_t N2 = gN + wrows(val(G, u->in[1])), TH = gemv_height(G, N2);
        uint64_t per_core = ((N2 + TH - 1) / TH + cores - 1) / cores;
        uint64_t bytes = align_up(per_core * G->a->core.mxu.rows * TH * wf.wbits / 8);
        if (bytes > G->s.gbuf && G->s.size == G->s.g + G->ring_bufs * G->s.gbuf &&
            G->s.g + G->ring_bufs * bytes <= G->a->core.sram.size_bytes) {
          G->s.gbuf = bytes;
          G->s.size = G->s.g + G->ring_bufs * bytes;
        }
        ok = bytes <= G->s.gbuf;
        if (ok) gN = N2;
      }
      if (!ok) break;
      G->gnext[prev] = j;
      G->gskip[j] = true;
      prev = j;
    }
  }
  /* element-wise chains (docs/COMPILER.md, "Epilogue chains"): a lone
   * GEMV's only use an add or (one row) a multiply by a value computed
   * before it of the same shape (the residual: y = x + o; a mixture's
   * routing weight), that op's only use the next such op, up to 4: the GEMV
   * does them on its columns and stores the last (its output o and the ones
   * between are not stored) */
  G->radd = malloc(n * sizeof *G->radd);
  G->absorbed = calloc(n, sizeof *G->absorbed);
  G->ech = calloc(n, sizeof *G->ech);
  G->ech_n = calloc(n, sizeof *G->ech_n);
  if (!G->radd || !G->absorbed || !G->ech || !G->ech_n)
    return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < n; i++) G->radd[i] = UINT32_MAX;
  for (uint32_t i = 0; i < n && !G->opt.no_fuse; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL || !G->gemv[i] || G->gskip[i] ||
        G->gnext[i] != UINT32_MAX || v->n_in != 2 || v->is_output || val(G, v->in[1])->rank != 2)
      continue;
    uint32_t cur = i;
    unsigned nc = 0;
    while (nc < 4 && G->use_off[cur + 1] - G->use_off[cur] == 1 &&
           (cur == i || !val(G, cur)->is_output)) {
      uint32_t c = G->use_op[G->use_off[cur]], slot = G->use_slot[G->use_off[cur]];
      const sc_gvalue *a = val(G, c);
      if (a->kind != SC_GV_OP || a->n_in != 2 || slot > 1 ||
          (a->op != SC_GOP_ADD && !(a->op == SC_GOP_MUL && G->T == 1)))
        break;
      uint32_t o = a->in[1 - slot];
      const sc_gvalue *r = val(G, o);
      if (o == cur || (r->kind == SC_GV_OP && (o > i || G->fused[o])) || r->rank != v->rank ||
          memcmp(r->shape, v->shape, sizeof v->shape) != 0 ||
          (nc + 1) * ech_stride(G, i) > G->s.c - G->s.b)
        break;
      G->ech[i][nc++] = c;
      cur = c;
    }
    if (!nc) continue;
    G->ech_n[i] = (uint8_t)nc;
    G->radd[i] = G->ech[i][nc - 1];
    for (unsigned c = 0; c < nc; c++) G->absorbed[G->ech[i][c]] = true;
  }
  /* a decode step's RoPE of q and k (a GEMV group's members, through a
   * reshape into heads that fill whole tiles) is done by the group before it
   * stores: the rope's result is the member's output */
  G->rope_of = malloc(n * sizeof *G->rope_of);
  if (!G->rope_of) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < n; i++) G->rope_of[i] = UINT32_MAX;
  for (uint32_t i = 0; i < n && !G->opt.no_fuse && G->T == 1 && G->B == 1; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL || !G->gemv[i] || v->n_in != 2 ||
        (G->gnext[i] == UINT32_MAX && !G->gskip[i]))
      continue; /* group members only */
    uint32_t users = 0, rs = UINT32_MAX, rope = UINT32_MAX;
    for (uint32_t k = G->use_off[i]; k < G->use_off[i + 1]; k++) {
      uint32_t j = G->use_op[k];
      users++, rs = val(G, j)->op == SC_GOP_RESHAPE ? j : UINT32_MAX;
    }
    if (users != 1 || rs == UINT32_MAX) continue;
    users = 0;
    for (uint32_t k = G->use_off[rs]; k < G->use_off[rs + 1]; k++) {
      uint32_t j = G->use_op[k];
      users++, rope = val(G, j)->op == SC_GOP_ROPE && G->use_slot[k] == 0 ? j : UINT32_MAX;
    }
    if (users != 1 || rope == UINT32_MAX) continue;
    uint64_t hd = last(val(G, rope)), TC = G->a->core.mxu.cols;
    if (TC % hd || val(G, val(G, rope)->in[1])->kind != SC_GV_INPUT) continue;
    G->rope_of[i] = rope;
    G->absorbed[rope] = true;
    G->addr[rope] = G->addr[i]; /* the member's output holds the rotated values */
  }
  G->sw_of = malloc(n * sizeof *G->sw_of);
  G->sw_done = calloc(n, sizeof *G->sw_done);
  if (!G->sw_of || !G->sw_done) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < n; i++) G->sw_of[i] = sw_epilogue(G, i);
  bool any_sw = false;
  for (uint32_t i = 0; i < n; i++)
    if (G->sw_of[i] != UINT32_MAX) G->sw_done[G->sw_of[i]] = any_sw = true;
  if (any_sw) G->sw_amax = alloc(G, cores * 4);
  /* a decode step's cache writes of a GEMV's output (k through its RoPE, v;
   * through reshapes into heads): each core writes its tiles of it from C
   * into the cache's row at the position as it stores them, and the write
   * has no code of its own */
  G->cw_of = malloc(n * sizeof *G->cw_of);
  if (!G->cw_of) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < n; i++) G->cw_of[i] = UINT32_MAX;
  for (uint32_t c = 0; c < n && !G->opt.no_fuse && G->T == 1 && G->B == 1 && G->chips <= 1; c++) {
    const sc_gvalue *v = val(G, c);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_CACHE_WRITE || v->is_output) continue;
    uint32_t m = v->in[1];
    for (;;) {
      const sc_gvalue *u = val(G, m);
      if (u->kind == SC_GV_OP &&
          (u->op == SC_GOP_RESHAPE || (u->op == SC_GOP_ROPE && G->absorbed[m])))
        m = u->in[0];
      else
        break;
    }
    const sc_gvalue *u = val(G, m);
    if (u->kind != SC_GV_OP || u->op != SC_GOP_MATMUL || !G->gemv[m] || G->cw_of[m] != UINT32_MAX ||
        elems(val(G, v->in[1])) != wrows(val(G, u->in[1])) ||
        wrows(val(G, u->in[1])) % gemv_geom_of(G, m).TC)
      continue;
    G->cw_of[m] = c;
    G->absorbed[c] = true;
  }
  /* fp8 matmuls of several rows: x prepared once, rows split over the cores
   * (prep_x), when Q holds all of it and A a core's rows */
  G->prep = calloc(n, sizeof *G->prep);
  G->q_holds = UINT32_MAX;
  if (!G->prep) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  uint64_t prep_b = 0, prep_rows_max = 0;
  for (uint32_t i = 0; i < n && wf.fp8 && !G->opt.serial_rows; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL) continue;
    const sc_gvalue *w = val(G, v->in[1]);
    uint64_t KX = last(w) * (w->rank == 3 ? (uint64_t)w->shape[0] : 1), R = mm_rows(G, v);
    uint64_t per = (R + cores - 1) / cores;
    if (R < 2 || R != G->T || R * KX < PREP_MIN || R * KX > qbytes || per * KX * 4 > rowb) continue;
    G->prep[i] = true;
    if (R * KX > prep_b) prep_b = R * KX;
    if (R > prep_rows_max) prep_rows_max = R;
  }
  if (prep_b) {
    G->xprep = alloc(G, prep_b);
    G->xprep_s = alloc(G, prep_rows_max * 4);
    G->xprep_s_bytes = prep_rows_max * 4;
    if (G->next - base > G->a->memory.capacity_bytes)
      return fail(G, st, SC_STATUS_INVALID,
                  "the model needs %llu bytes of device memory, %s has %llu",
                  (unsigned long long)(G->next - base), G->a->name,
                  (unsigned long long)G->a->memory.capacity_bytes);
  }
  if (G->B > 1 && !G->attn_dec) {
    return fail(G, st, SC_STATUS_UNSUPPORTED,
                "a batch of %u sequences needs the decode attention's ring, which does not fit "
                "(SRAM %llu + ring, accumulators %llu)",
                G->B, (unsigned long long)G->s.size,
                (unsigned long long)G->a->core.acc_sram.size_bytes);
  }
  if (G->s.size > G->a->core.sram.size_bytes)
    return fail(G, st, SC_STATUS_UNSUPPORTED,
                "rows of %llu values need %llu bytes of SRAM, a core has %llu",
                (unsigned long long)widest, (unsigned long long)G->s.size,
                (unsigned long long)G->a->core.sram.size_bytes);
  return true;
}

static sc_status add_buffer(sc_program *p, const char *name, sc_prog_role role, uint64_t addr,
                            uint64_t bytes, const void *data) {
  sc_prog_buffer b = {0};
  b.name = name;
  b.dtype = SC_DTYPE_FP32;
  b.role = role;
  b.rank = 1;
  b.shape[0] = bytes / 4;
  b.addr = addr;
  b.init = data ? SC_PROG_INIT_INLINE : SC_PROG_INIT_NONE;
  b.data = data;
  return sc_prog_add_buffer(p, &b);
}

/* The (cos, sin) table of every position, computed as the reference does. */
static float *rope_table(const gen *G, const sc_gvalue *rope) {
  uint32_t hd = G->head_dim, S = G->max_seq;
  float *t = malloc((size_t)S * hd * sizeof *t);
  if (!t) return NULL;
  /* the model's frequencies (scaled RoPE included), as the reference's */
  sc_model_config rc = {0};
  if (G->m) rc = *sc_model_config_of(G->m);
  rc.rope_theta = rope->attrs.theta;
  rc.head_dim = hd;
  for (uint32_t p = 0; p < S; p++)
    for (uint32_t i = 0; i < hd; i += 2) {
      float freq = sc_rope_freq(&rc, i / 2);
      float angle = (float)p * freq;
      t[(size_t)p * hd + i] = cosf(angle);
      t[(size_t)p * hd + i + 1] = sinf(angle);
    }
  return t;
}

static const char *const wdtype_names[] = {"f32", "bf16", "fp8", "fp8-channel", "int8", "int4"};

const char *sc_cc_wdtype_name(sc_cc_wdtype t) {
  return (unsigned)t < SC_CC_WDTYPE_COUNT ? wdtype_names[t] : "?";
}

sc_cc_wdtype sc_cc_wdtype_parse(const char *s) {
  if (strcmp(s, "fp32") == 0) return SC_CC_F32;
  for (unsigned t = 0; t < SC_CC_WDTYPE_COUNT; t++)
    if (strcmp(s, wdtype_names[t]) == 0) return (sc_cc_wdtype)t;
  return SC_CC_WDTYPE_COUNT;
}

/* amax / qmax, or 1 for an all-zero block. */
static float scale_of(const float *x, size_t n, float qmax) {
  float amax = 0;
  for (size_t i = 0; i < n; i++) {
    float a = fabsf(x[i]);
    if (a > amax) amax = a;
  }
  return amax > 0 ? amax / qmax : 1.0f;
}

/* The matmul weights of value i (FP32 w, N x K) in the options' storage:
 * the weight bytes and the scales (laid out as the code reads them). */
static sc_status quantize_weights(const gen *G, uint32_t i, const float *w, uint64_t N, uint64_t K,
                                  void **wq, size_t *wq_bytes, float **sc, size_t *n_sc) {
  *wq = NULL;
  *sc = NULL;
  *n_sc = 0;
  size_t n = (size_t)(N * K);
  sc_num_scales scales = {0};
  sc_dtype dt = SC_DTYPE_INT8;
  float qmax = 127;
  switch (G->opt.wdtype) {
  case SC_CC_F32:
    *wq_bytes = n * 4;
    if (!(*wq = malloc(*wq_bytes))) return SC_STATUS_NO_MEMORY;
    memcpy(*wq, w, *wq_bytes);
    return SC_STATUS_OK;
  case SC_CC_BF16:
    *wq_bytes = n * 2;
    if (!(*wq = malloc(*wq_bytes))) return SC_STATUS_NO_MEMORY;
    return sc_num_convert(w, SC_DTYPE_FP32, *wq, SC_DTYPE_BF16, n, SC_FP8_SATURATE);
  case SC_CC_FP8:
    *n_sc = 1;
    scales.layout = SC_SCALE_PER_TENSOR;
    dt = SC_DTYPE_FP8_E4M3, qmax = 448;
    break;
  case SC_CC_FP8_CHANNEL:
    *n_sc = (size_t)N;
    scales.layout = SC_SCALE_PER_CHANNEL;
    dt = SC_DTYPE_FP8_E4M3, qmax = 448;
    break;
  case SC_CC_INT8:
    *n_sc = (size_t)N;
    scales.layout = SC_SCALE_PER_CHANNEL;
    break;
  default: /* INT4 */
    *n_sc = (size_t)(N * (K / G->mgroup[i]));
    scales.layout = SC_SCALE_PER_GROUP;
    scales.group_size = (size_t)G->mgroup[i];
    dt = SC_DTYPE_INT4, qmax = 7;
    break;
  }
  float *s = malloc(*n_sc * sizeof *s);
  *wq_bytes = dt == SC_DTYPE_INT4 ? n / 2 : n;
  *wq = malloc(*wq_bytes);
  if (!s || !*wq) {
    free(s);
    return SC_STATUS_NO_MEMORY;
  }
  size_t per = n / *n_sc; /* elements per scale, consecutive in w (row-major, groups in rows) */
  for (size_t k = 0; k < *n_sc; k++) s[k] = scale_of(w + k * per, per, qmax);
  scales.values = s;
  sc_status st = sc_num_quantize(w, (size_t)N, (size_t)K, &scales, dt, SC_FP8_SATURATE, *wq);
  if (st == SC_STATUS_OK && G->opt.wdtype == SC_CC_INT4) {
    /* the code reads scales as K / G rows of N: transpose [N][K / G] */
    size_t groups = (size_t)(K / G->mgroup[i]);
    float *t = malloc(*n_sc * sizeof *t);
    if (!t) {
      free(s);
      return SC_STATUS_NO_MEMORY;
    }
    for (size_t r = 0; r < (size_t)N; r++)
      for (size_t gi = 0; gi < groups; gi++) t[gi * (size_t)N + r] = s[r * groups + gi];
    free(s);
    s = t;
  }
  *sc = s;
  return st;
}

/* The FP32 values of const v, its slice of the model tensor when it is one,
 * into out (elems(v) values). NOT_FOUND when the model lacks the tensor or
 * its size differs. */
static sc_status const_f32(gen *G, const sc_gvalue *v, float *out, sc_status *st) {
  const sc_tensor *t = G->m ? sc_model_tensor(G->m, v->source) : NULL;
  uint64_t full[SC_GRAPH_MAX_RANK], want = 1;
  uint32_t r = v->box_rank ? v->box_rank : v->rank; /* the box's axes */
  const int64_t *len = v->box_rank ? v->box_shape : v->shape;
  bool sliced = false;
  for (uint32_t d = 0; d < r; d++) {
    full[d] = v->slice_full[d] ? (uint64_t)v->slice_full[d] : (uint64_t)len[d];
    sliced |= v->slice_full[d] != 0;
    want *= full[d];
  }
  if (!t || t->n_elems != want) {
    fail(G, st, SC_STATUS_NOT_FOUND, "%%%s: the model has no tensor '%s' of %llu elements", v->name,
         v->source, (unsigned long long)want);
    return *st;
  }
  if (!sliced || r == 0) {
    sc_tensor_to_f32(t, 0, want, out);
    return SC_STATUS_OK;
  }
  /* the box: rows of its last axis, in row-major order of the others */
  uint64_t run = (uint64_t)len[r - 1], rows = elems(v) / run, idx[SC_GRAPH_MAX_RANK] = {0};
  for (uint64_t o = 0; o < rows; o++) {
    uint64_t at = 0;
    for (uint32_t d = 0; d < r; d++) at = at * full[d] + idx[d] + (uint64_t)v->slice_start[d];
    sc_tensor_to_f32(t, at, run, out + o * run);
    for (int d = (int)r - 2; d >= 0; d--) { /* the next row */
      if (++idx[d] < (uint64_t)len[d]) break;
      idx[d] = 0;
    }
  }
  return SC_STATUS_OK;
}

uint64_t sc_cc_program_end(const sc_program *p) {
  uint64_t end = 0;
  for (size_t i = 0; i < sc_prog_buffer_count(p); i++) {
    const sc_prog_buffer *b = sc_prog_buffer_at(p, i);
    if (b->addr + b->size_bytes > end) end = b->addr + b->size_bytes;
  }
  return end;
}

/* W [N][K] (wbits per element, rows of K * wbits / 8 bytes) in the order the
 * matmul code reads it: for each block of up to mxu.cols rows n0 .. n0 + nt,
 * its K in chunks of up to mxu.rows columns, each chunk an nt x kt tile stored
 * row-major and contiguously. Chunk kk of block n0 starts at element
 * n0 * K + kk * nt. So every weight tile is one contiguous DMA. */
static void *tile_major(const gen *G, const void *w, uint64_t N, uint64_t K, unsigned wbits) {
  uint64_t TC = G->a->core.mxu.cols, TR = G->a->core.mxu.rows, row = K * wbits / 8;
  uint8_t *t = malloc((size_t)(N * row)), *out = t;
  const uint8_t *src = w;
  if (!t) return NULL;
  for (uint64_t n0 = 0; n0 < N; n0 += TC) {
    uint64_t nt = N - n0 < TC ? N - n0 : TC;
    for (uint64_t kk = 0; kk < K; kk += TR) {
      uint64_t kt = K - kk < TR ? K - kk : TR, cb = kt * wbits / 8;
      for (uint64_t r = 0; r < nt; r++) {
        memcpy(out, src + (n0 + r) * row + kk * wbits / 8, (size_t)cb);
        out += cb;
      }
    }
  }
  return t;
}

sc_status sc_cc_compile(const sc_graph *g, const sc_model *m, const sc_arch *arch, sc_program **out,
                        sc_strbuf *listing, char *err, size_t err_size) {
  return sc_cc_compile_opts(g, m, arch, NULL, out, listing, err, err_size);
}

uint32_t sc_cc_cores_auto(const sc_graph *g, const sc_arch *arch) {
  uint64_t most = 1, TC = arch->core.mxu.cols;
  for (uint32_t i = 0; i < sc_graph_count(g); i++) {
    const sc_gvalue *v = sc_graph_value(g, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL) continue;
    uint64_t tiles = (wrows(sc_graph_value(g, v->in[1])) + TC - 1) / TC;
    if (tiles > most) most = tiles;
  }
  return most < arch->cores.count ? (uint32_t)most : arch->cores.count;
}

sc_status sc_cc_compile_opts(const sc_graph *g, const sc_model *m, const sc_arch *arch,
                             const sc_cc_options *opt, sc_program **out, sc_strbuf *listing,
                             char *err, size_t err_size) {
  *out = NULL;
  gen G = {.g = g, .m = m, .a = arch, .err = err, .err_size = err_size, .pf_into = UINT32_MAX};
  if (opt) G.opt = *opt;
  if ((unsigned)G.opt.wdtype >= SC_CC_WDTYPE_COUNT)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT, "weight dtype %d does not exist",
                   (int)G.opt.wdtype);
  if (G.opt.cores > arch->cores.count)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT, "%u cores: %s has %u", G.opt.cores,
                   arch->name, arch->cores.count);
  /* fewer cores: the code is generated for an architecture of that many (its
   * first cores: same mesh positions, memory and NoC); the program stays
   * for arch (its name and fingerprint) */
  sc_arch sub = *arch;
  if (G.opt.cores) {
    sub.cores.count = G.opt.cores;
    G.a = &sub;
  }
  sc_status st = SC_STATUS_OK;
  sc_program *prog = NULL;
  float *table = NULL, *wbuf = NULL;
  if (!plan(&G, &st)) goto done;
  /* the code: every core runs it; work is split by core id */
  raw(&G, ".arch %s", arch->name);
  raw(&G, ".fingerprint 0x%016llx", (unsigned long long)sc_arch_fingerprint(arch));
  raw(&G, ".core 0-%u", G.a->cores.count - 1);
  line(&G, "csrr x3, core_id");
  li(&G, 4, G.consts);
  li(&G, 5, G.s.consts);
  dma1(&G, "sram[x5]", "hbm[x4]", K_COUNT, 0);
  const sc_gvalue *rope = NULL; /* a RoPE op: the table's buffer (done by a GEMV or not) */
  for (uint32_t i = 0; i < sc_graph_count(g) && !rope; i++)
    if (val(&G, i)->kind == SC_GV_OP && val(&G, i)->op == SC_GOP_ROPE) rope = val(&G, i);
  for (uint32_t i = 0; i < sc_graph_count(g) && !G.oom; i++) {
    const sc_gvalue *v = val(&G, i);
    if (!coded(&G, i)) continue;
    G.cur_op = i + 1;
    uint32_t k = ++G.label;
    if (v->op != SC_GOP_MATMUL || !G.prep[i] || v->in[0] != G.q_holds) G.q_holds = UINT32_MAX;
    switch (v->op) {
    case SC_GOP_EMBEDDING:
      gen_embedding(&G, v, k, i);
      break;
    case SC_GOP_RMSNORM:
      gen_rmsnorm(&G, v, k, i);
      break;
    case SC_GOP_MATMUL:
      gen_matmul(&G, v, k, i);
      break;
    case SC_GOP_ROPE:
      gen_rope(&G, v, k, i);
      break;
    case SC_GOP_CACHE_WRITE:
      gen_cache_write(&G, v, k, i);
      break;
    case SC_GOP_ATTENTION:
      if (G.attn_dec)
        gen_attention_decode(&G, v, k, i);
      else
        gen_attention(&G, v, k, i);
      break;
    case SC_GOP_ADD:
      gen_binary(&G, v, k, i);
      break;
    case SC_GOP_MUL:
      gen_binary(&G, v, k, i);
      break;
    case SC_GOP_SWIGLU:
      gen_binary(&G, v, k, i);
      break;
    case SC_GOP_CONCAT:
      gen_concat(&G, v, k, i);
      break;
    case SC_GOP_ALL_REDUCE:
      gen_all_reduce(&G, v, k, i);
      break;
    case SC_GOP_ALL_GATHER:
      gen_all_gather(&G, v, k, i);
      break;
    case SC_GOP_SEND:
      gen_send(&G, v, k);
      break;
    case SC_GOP_RECV:
      gen_recv(&G, v, k);
      break;
    default:
      break;
    }
    if (G.cw_open) {                /* the other cache write follows at once (gen_cache_write) */
    } else if (chain_next(&G, i)) { /* the next matmul goes on at once */
      line(&G, "sync.fence all");
      G.mm_rot = (G.mm_rot + G.mm_tiles) % G.a->cores.count;
      G.chained_in = true;
    } else {
      op_end(&G);
      G.mm_rot = 0;
      G.chained_in = false;
    }
  }
  G.cur_op = 0;
  line(&G, "halt");
  if (G.oom || G.text.oom) {
    fail(&G, &st, SC_STATUS_NO_MEMORY, "out of memory");
    goto done;
  }
  if (listing) sc_strbuf_append(listing, G.text.data, G.text.len);
  sc_strbuf diags = {0};
  st = sc_asm_assemble(G.text.data, G.text.len, sc_graph_name(g), NULL, &prog, &diags);
  if (st != SC_STATUS_OK) {
    fail(&G, &st, SC_STATUS_INVALID, "code generation produced bad assembly:\n%s",
         sc_strbuf_str(&diags));
    sc_strbuf_free(&diags);
    goto done;
  }
  sc_strbuf_free(&diags);
  /* the debug map: each instruction names its graph op */
  for (uint32_t c = 0; c < G.a->cores.count && st == SC_STATUS_OK; c++) {
    size_t n_words, n0;
    const uint64_t *words = sc_prog_code(prog, c, &n_words), *w0 = sc_prog_code(prog, 0, &n0);
    if (c > 0 && n_words == n0 && (words == w0 || memcmp(words, w0, n0 * sizeof *w0) == 0)) {
      st = sc_prog_copy_debug(prog, 0, c); /* the same code: the same map */
      continue;
    }
    for (uint32_t pc = 0; pc < n_words && st == SC_STATUS_OK; pc++) {
      const sc_prog_debug *d = sc_prog_debug_at(prog, c, pc);
      if (!d || d->line == 0 || d->line > G.n_lines) continue;
      uint32_t op = G.line_op[d->line - 1];
      st = sc_prog_add_debug(prog, c, pc, op ? val(&G, op - 1)->name : "(prologue)", 0, 0);
    }
  }
  /* buffers */
  float consts[K_COUNT] = {0};
  consts[K_SQRT_HD] = G.attn_div != 0 ? G.attn_div : 1.0f;
  consts[K_ATTN_SCALE] = 1.0f / consts[K_SQRT_HD];
  if (st == SC_STATUS_OK)
    st = add_buffer(prog, "cc.consts", SC_PROG_ROLE_CONST, G.consts, K_COUNT * 4, consts);
  for (int j = 0; j < 2 && st == SC_STATUS_OK && G.coll_recv[0]; j++)
    st = add_buffer(prog, j ? "cc.coll1" : "cc.coll0", SC_PROG_ROLE_SCRATCH, G.coll_recv[j],
                    G.coll_recv[1] - G.coll_recv[0], NULL);
  if (st == SC_STATUS_OK && G.scratch1 > G.scratch0)
    st = add_buffer(prog, "cc.scratch", SC_PROG_ROLE_SCRATCH, G.scratch0, G.scratch1 - G.scratch0,
                    NULL);
  if (st == SC_STATUS_OK && G.xprep)
    st = add_buffer(prog, "cc.xprep", SC_PROG_ROLE_SCRATCH, G.xprep, G.xprep_s - G.xprep, NULL);
  if (st == SC_STATUS_OK && G.sw_amax)
    st =
        add_buffer(prog, "cc.sw_amax", SC_PROG_ROLE_SCRATCH, G.sw_amax, G.a->cores.count * 4, NULL);
  if (st == SC_STATUS_OK && G.xprep)
    st = add_buffer(prog, "cc.xprep_s", SC_PROG_ROLE_SCRATCH, G.xprep_s, G.xprep_s_bytes, NULL);
  if (st == SC_STATUS_OK && G.T > 1) {
    sc_prog_buffer b = {0};
    b.name = "tokens";
    b.dtype = SC_DTYPE_INT32;
    b.role = SC_PROG_ROLE_INPUT;
    b.rank = 1;
    b.shape[0] = G.T;
    b.addr = G.tokens_addr;
    st = sc_prog_add_buffer(prog, &b);
  }
  if (st == SC_STATUS_OK && rope) {
    if (!(table = rope_table(&G, rope))) {
      fail(&G, &st, SC_STATUS_NO_MEMORY, "out of memory");
      goto done;
    }
    st = add_buffer(prog, "cc.rope", SC_PROG_ROLE_CONST, G.rope,
                    (uint64_t)G.max_seq * G.head_dim * 4, table);
    if (st == SC_STATUS_OK && G.attn_parts > 1) {
      uint64_t units = (uint64_t)G.B * G.kvh, ps = G.attn_parts;
      st = add_buffer(prog, "cc.attn_o", SC_PROG_ROLE_SCRATCH, G.attn_o,
                      units * ps * G.grp * G.attn_dv * 4, NULL);
      if (st == SC_STATUS_OK)
        st = add_buffer(prog, "cc.attn_m", SC_PROG_ROLE_SCRATCH, G.attn_m, units * ps * G.grp * 4,
                        NULL);
      if (st == SC_STATUS_OK)
        st = add_buffer(prog, "cc.attn_l", SC_PROG_ROLE_SCRATCH, G.attn_l, units * ps * G.grp * 4,
                        NULL);
    }
  }
  for (uint32_t i = 0; i < sc_graph_count(g) && st == SC_STATUS_OK; i++) {
    const sc_gvalue *v = val(&G, i);
    if (v->kind == SC_GV_INPUT || is_view(v) ||
        (v->kind == SC_GV_OP && v->op == SC_GOP_ROPE && G.absorbed[i]))
      continue; /* views, and ropes done in place by their GEMV */
    if (v->kind == SC_GV_CONST && !G.in_memory[i]) continue; /* only its matmul storage */
    if (v->kind == SC_GV_OP && !v->is_output) continue;      /* in cc.scratch */
    if (v->kind == SC_GV_CONST && G.opt.no_weights) {
      st = add_buffer(prog, v->name, SC_PROG_ROLE_SCRATCH, G.addr[i], G.bytes[i], NULL);
    } else if (v->kind == SC_GV_CONST) {
      free(wbuf);
      if (!(wbuf = malloc(G.bytes[i]))) {
        fail(&G, &st, SC_STATUS_NO_MEMORY, "out of memory");
        break;
      }
      if (const_f32(&G, v, wbuf, &st) != SC_STATUS_OK) break;
      st = add_buffer(prog, v->name, SC_PROG_ROLE_CONST, G.addr[i], G.bytes[i], wbuf);
    } else {
      sc_prog_role role = v->kind == SC_GV_STATE ? SC_PROG_ROLE_STATE
                          : v->is_output         ? SC_PROG_ROLE_OUTPUT
                                                 : SC_PROG_ROLE_SCRATCH;
      if (v->kind == SC_GV_STATE && v->rank >= 3 && G.kvb == 2) { /* a bf16 cache */
        sc_prog_buffer b = {.name = v->name,
                            .dtype = SC_DTYPE_BF16,
                            .role = role,
                            .rank = 1,
                            .shape = {G.bytes[i] / 2},
                            .addr = G.addr[i],
                            .init = SC_PROG_INIT_NONE};
        st = sc_prog_add_buffer(prog, &b);
      } else {
        st = add_buffer(prog, v->name, role, G.addr[i], G.bytes[i], NULL);
      }
    }
    if (st != SC_STATUS_OK && err_size && !err[0])
      snprintf(err, err_size, "%%%s: cannot add its buffer", v->name);
  }
  /* the matmul weights in the options' storage, and their scales */
  for (uint32_t i = 0; i < sc_graph_count(g) && st == SC_STATUS_OK; i++) {
    const sc_gvalue *v = val(&G, i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL) continue;
    const sc_gvalue *w = val(&G, v->in[1]);
    uint64_t N = wrows(w), K = last(w);
    if (G.opt.no_weights) { /* the storage, without contents */
      char name[SC_GRAPH_NAME_MAX + 16];
      wform f = form_of(G.opt.wdtype);
      snprintf(name, sizeof name, "%s:%s", v->name, sc_cc_wdtype_name(G.opt.wdtype));
      sc_prog_buffer b = {0};
      b.name = name;
      b.dtype = SC_DTYPE_INT8; /* bytes */
      b.role = SC_PROG_ROLE_SCRATCH;
      b.rank = 1;
      b.shape[0] = N * K * f.wbits / 8;
      b.addr = G.mw_addr[i];
      st = sc_prog_add_buffer(prog, &b);
      if (st == SC_STATUS_OK && G.ms_addr[i]) {
        snprintf(name, sizeof name, "%s:scales", v->name);
        uint64_t n_sc = G.opt.wdtype == SC_CC_INT4  ? N * (K / G.mgroup[i])
                        : G.opt.wdtype == SC_CC_FP8 ? 1
                                                    : N;
        st = add_buffer(prog, name, SC_PROG_ROLE_SCRATCH, G.ms_addr[i], n_sc * 4, NULL);
      }
      continue;
    }
    free(wbuf);
    if (!(wbuf = malloc(N * K * 4))) {
      st = SC_STATUS_NO_MEMORY;
      break;
    }
    if (const_f32(&G, w, wbuf, &st) != SC_STATUS_OK) break;
    void *wq;
    float *sc;
    size_t wq_bytes, n_sc;
    st = quantize_weights(&G, i, wbuf, N, K, &wq, &wq_bytes, &sc, &n_sc);
    if (st == SC_STATUS_OK) {
      void *tiled = tile_major(&G, wq, N, K, form_of(G.opt.wdtype).wbits);
      free(wq);
      wq = tiled;
      if (!wq) st = SC_STATUS_NO_MEMORY;
    }
    char name[SC_GRAPH_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s:%s", v->name, sc_cc_wdtype_name(G.opt.wdtype));
    if (st == SC_STATUS_OK) {
      sc_prog_buffer b = {0};
      b.name = name;
      b.dtype = SC_DTYPE_INT8;
      b.role = SC_PROG_ROLE_CONST;
      b.rank = 1;
      b.shape[0] = wq_bytes;
      b.addr = G.mw_addr[i];
      b.init = SC_PROG_INIT_INLINE;
      b.data = wq;
      st = sc_prog_add_buffer(prog, &b);
    }
    if (st == SC_STATUS_OK && n_sc) {
      snprintf(name, sizeof name, "%s:scales", v->name);
      st = add_buffer(prog, name, SC_PROG_ROLE_CONST, G.ms_addr[i], n_sc * 4, sc);
    }
    free(wq);
    free(sc);
    if (st != SC_STATUS_OK)
      fail(&G, &st, st, "%%%s: cannot store its %s weights", v->name,
           sc_cc_wdtype_name(G.opt.wdtype));
  }
done:
  free(table);
  free(wbuf);
  free(G.addr);
  free(G.bytes);
  free(G.mw_addr);
  free(G.in_memory);
  free(G.gemv);
  free(G.prep);
  free(G.fused);
  free(G.radd);
  free(G.ech);
  free(G.ech_n);
  free(G.rope_of);
  free(G.sw_of);
  free(G.sw_done);
  free(G.cw_of);
  free(G.absorbed);
  free(G.gnext);
  free(G.gskip);
  free(G.ms_addr);
  free(G.mgroup);
  free(G.line_op);
  free(G.use_off);
  free(G.use_op);
  free(G.use_slot);
  sc_strbuf_free(&G.text);
  if (st != SC_STATUS_OK) {
    sc_prog_destroy(prog);
    return st;
  }
  *out = prog;
  return SC_STATUS_OK;
}
