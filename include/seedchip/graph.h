/* graph.h: the compiler's graph IR (layer `cc`). A graph is a list of values
 * (typed tensors with shapes) and of ops in SSA order: every op reads values
 * defined before it and defines one new value. Values are inputs (given at
 * each run: token ids, positions), constants (weights, named by the model
 * tensor they come from), state (kept in device memory across runs: the KV
 * cache) or the results of ops; some are marked as outputs.
 *
 * It is not LLM-specific: the ops are those of transformer inference and of
 * the ONNX subset the next front-end needs. Build with the sc_graph_* calls,
 * check with sc_graph_verify (which also infers every shape and dtype), read
 * with sc_graph_dump:
 *
 *   graph tiny {
 *     input %x: fp32[4, 64]
 *     const %w: fp32[32, 64] = "blk.0.w"
 *     %y: fp32[4, 32] = matmul(%x, %w)
 *     output %y
 *   }
 *
 * docs/COMPILER.md gives each op's shape and dtype rules. */
#ifndef SEEDCHIP_GRAPH_H
#define SEEDCHIP_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/dtype.h"
#include "seedchip/status.h"
#include "seedchip/util.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_gop {
#define SC_GOP(name, text, min_in, max_in, doc) SC_GOP_##name,
#include "seedchip/graph_ops.def"
#undef SC_GOP
  SC_GOP_COUNT
} sc_gop;

const char *sc_gop_name(sc_gop op); /* "matmul"; "?" out of range */

enum { SC_GRAPH_MAX_RANK = 4, SC_GRAPH_MAX_IN = 4, SC_GRAPH_NAME_MAX = 96 };

typedef enum sc_gkind {
  SC_GV_INPUT, /* given at each run */
  SC_GV_CONST, /* a weight: `source` names the model tensor */
  SC_GV_STATE, /* kept in device memory across runs (KV cache) */
  SC_GV_OP,    /* the result of an op */
} sc_gkind;

/* Scale granularity of quantized values (as the ISA's GRAN selector). */
typedef enum sc_ggran { SC_GGRAN_TENSOR, SC_GGRAN_ROW, SC_GGRAN_COL, SC_GGRAN_GROUP } sc_ggran;

/* Op attributes; each op reads the ones its rule names, the others stay 0. */
typedef struct sc_gattrs {
  float eps;            /* rmsnorm, layernorm */
  float theta;          /* rope */
  uint32_t rope_halves; /* rope: 0 pairs (2i, 2i+1), 1 halves (i, i + d/2) */
  float scale;          /* attention: score scale (0 = 1/sqrt(head_dim)) */
  uint32_t causal;      /* attention */
  uint32_t trans_b;     /* matmul: b is [n, k] (1, weights) or [k, n] (0) */
  int32_t axis;         /* concat, slice (negative counts from the end) */
  int64_t start, len;   /* slice */
  uint32_t rank;        /* reshape: the new shape */
  int64_t shape[SC_GRAPH_MAX_RANK];
  uint32_t perm[SC_GRAPH_MAX_RANK]; /* transpose */
  sc_dtype dtype;                   /* quantize / dequantize: the result's dtype */
  sc_ggran gran;                    /* quantize / dequantize */
  uint32_t group;                   /* quantize / dequantize with GROUP granularity */
  uint32_t chips, chip;             /* collectives, send, recv: the group's size, this chip */
  uint32_t peer;                    /* send: the chip sent to; recv: the chip received from */
  uint32_t v_dim; /* attention: each value is the first v_dim elements of v's rows (0: all) */
} sc_gattrs;

typedef struct sc_gvalue {
  char name[SC_GRAPH_NAME_MAX];
  sc_gkind kind;
  sc_dtype dtype;
  uint32_t rank;
  int64_t shape[SC_GRAPH_MAX_RANK]; /* outermost first; -1 before inference */
  bool is_output;
  char source[SC_GRAPH_NAME_MAX]; /* CONST: the model tensor */
  /* CONST: a box of it (a chip's share under tensor parallelism, a part of
   * each head): per axis d, the model tensor's elements [slice_start[d],
   * slice_start[d] + shape[d]) of its slice_full[d]; slice_full[d] 0: the
   * axis whole. All 0: the whole tensor. With box_rank > 0 the axes are
   * those of the model tensor viewed with box_rank axes, the box's lengths
   * box_shape (the const is that box in row-major order, in its own shape:
   * rows h * 192 .. h * 192 + 128 of every head h as one matrix). */
  int64_t slice_start[SC_GRAPH_MAX_RANK], slice_full[SC_GRAPH_MAX_RANK];
  uint32_t box_rank;
  int64_t box_shape[SC_GRAPH_MAX_RANK];
  /* OP: */
  sc_gop op;
  uint32_t n_in;
  uint32_t in[SC_GRAPH_MAX_IN]; /* value ids */
  sc_gattrs attrs;
} sc_gvalue;

typedef struct sc_graph sc_graph;

/* An empty graph named name. NULL when out of memory. */
sc_graph *sc_graph_create(const char *name);
void sc_graph_destroy(sc_graph *g);
const char *sc_graph_name(const sc_graph *g);

/* Adding values: each returns the new value's id, or -1 when the name is
 * taken or empty, the rank exceeds SC_GRAPH_MAX_RANK, or the host is out of
 * memory (sc_graph_error says which; the graph is unchanged). Names are
 * unique; `%` is not part of them. */
int64_t sc_graph_input(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                       const int64_t *shape);
int64_t sc_graph_const(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                       const int64_t *shape, const char *source);
/* A const that is a slice of the model tensor source: along axis, elements
 * [start, start + shape[axis]) of full (docs/COMPILER.md, "Tensor
 * parallelism"). */
int64_t sc_graph_const_slice(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                             const int64_t *shape, const char *source, uint32_t axis, int64_t start,
                             int64_t full);
/* A const of shape `shape` holding the box of the model tensor source viewed
 * with box_rank axes: per axis d, box_shape[d] elements from start[d] of
 * full[d] (full[d] 0: the axis whole, box_shape[d] long). The box's and the
 * shape's elements must be as many. */
int64_t sc_graph_const_box(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                           const int64_t *shape, const char *source, uint32_t box_rank,
                           const int64_t *box_shape, const int64_t *start, const int64_t *full);
int64_t sc_graph_state(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                       const int64_t *shape);
/* An op on n_in existing values; its result's dtype and shape are inferred by
 * sc_graph_verify. attrs may be NULL (all zero). */
int64_t sc_graph_op(sc_graph *g, const char *name, sc_gop op, const uint32_t *in, uint32_t n_in,
                    const sc_gattrs *attrs);
/* Marks value id as an output. False when id does not exist. */
bool sc_graph_output(sc_graph *g, uint32_t id);

/* The message of the last failed call. */
const char *sc_graph_error(const sc_graph *g);

size_t sc_graph_count(const sc_graph *g);
const sc_gvalue *sc_graph_value(const sc_graph *g, uint32_t id); /* NULL out of range */
int64_t sc_graph_find(const sc_graph *g, const char *name);      /* id or -1 */

/* Checks the graph and infers the dtype and shape of every op's result, in
 * order. Appends every problem, one line each, "%name = op(...): problem"
 * ("%q: matmul: a is [4, 64] but b is [32, 48]: k 64 != 48"), to errors (may
 * be NULL). INVALID when any; OK otherwise. */
SC_MUST_USE sc_status sc_graph_verify(sc_graph *g, sc_strbuf *errors);

/* The text form above: one line per value, attributes in braces
 * ({eps=1e-05}), shapes as inferred (or `?` before verify). */
void sc_graph_dump(const sc_graph *g, sc_strbuf *out);

#ifdef __cplusplus
}
#endif
#endif
