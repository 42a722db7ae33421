/* cc.h: the model compiler (layer `cc`): graph builders for model families
 * and, in later steps, the passes that take a graph to a .scb program
 * (docs/COMPILER.md). The graph IR itself is graph.h. */
#ifndef SEEDCHIP_CC_H
#define SEEDCHIP_CC_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/arch.h"
#include "seedchip/dtype.h"
#include "seedchip/graph.h"
#include "seedchip/model.h"
#include "seedchip/program.h"
#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One step of a Llama-family decoder over `tokens` new tokens (1 for a decode
 * step, a chunk for prefill) with a KV cache of max_seq positions. */
typedef struct sc_llama_step {
  uint32_t tokens;
  uint32_t max_seq;
  sc_dtype act_dtype; /* activations and KV cache: fp32 or bf16 */
  /* 0 or 1: one sequence (tokens at consecutive positions: decode or a
   * prefill chunk). B > 1: a decode step of B sequences, one token each
   * (tokens == B), each with its own cache: the caches are [B, max_seq,
   * n_kv_heads, head_dim]. */
  uint32_t batch;
  /* Mixture-of-experts models: which experts each token uses, fixed when
   * the graph is built (the timing-only mode; docs/COMPILER.md, "Mixture of
   * experts"). moe_skew 0: uniform (token t of layer l takes experts
   * (t * k + l + j) mod E, j < k); s > 0: k distinct experts drawn with
   * probability proportional to (e + 1)^-s, from a fixed seed. */
  double moe_skew;
  /* Tensor parallelism (docs/COMPILER.md, "Tensor parallelism"): tp > 1
   * builds chip tp_chip's share of a step over tp chips: its query and kv
   * heads, its slice of the feed-forward's hidden units and of the
   * vocabulary, with an all_reduce after the attention's output projection
   * and after the feed-forward, and an all_gather of the logits. 0 or 1: one
   * chip. */
  uint32_t tp, tp_chip;
  /* Expert parallelism (with tp > 1, for a mixture of experts): each expert
   * whole on one chip (expert e on chip e mod tp) instead of every expert
   * sliced over all of them; the attention stays tensor parallel and the
   * feed-forward's all_reduce adds the chips' experts. */
  bool ep;
  /* Pipeline parallelism (docs/COMPILER.md, "Pipeline parallelism"): pp > 1
   * builds stage pp_stage of pp, on chip pp_stage: its share of the layers
   * (the first stages one more when pp does not divide them), receiving the
   * residual from the stage before (a `recv` of the state %pp_in) and
   * sending it to the next (`send`); the first stage embeds the tokens, the
   * last computes the logits. Not with tp. */
  uint32_t pp, pp_stage;
  /* A prefill chunk (tokens > 1, one sequence) gives only its last token's
   * logits, [1, vocab]: the last row of the residual is sliced before the
   * final norm (docs/COMPILER.md, "Llama-family graphs"). */
  bool last_logits;
} sc_llama_step;

/* The experts token t of layer l uses (n_experts_used of them, distinct) under
 * step's policy, into out; for MoE configurations. */
void sc_cc_moe_route(const sc_model_config *cfg, const sc_llama_step *step, uint32_t layer,
                     uint32_t token, uint32_t *out);

/* Builds the graph of one step for the configuration cfg:
 *   inputs  %tokens: int32[T], %pos: int32[T] (each token's position)
 *   consts  the model's tensors by their canonical names (model.h), in the
 *           activation dtype (the quantization pass changes them)
 *   state   %k_cache.N, %v_cache.N: [max_seq, n_kv_heads, head_dim]
 *   output  %logits: [T, vocab]
 * and verifies it. INVALID with the reason in err for a configuration it
 * cannot build (zero sizes, heads that do not divide, T > max_seq). */
SC_MUST_USE sc_status sc_cc_llama_graph(const sc_model_config *cfg, const sc_llama_step *step,
                                        sc_graph **out, char *err, size_t err_size);

/* How a compiled program stores and multiplies its matmul weights
 * (docs/COMPILER.md, "Dtypes"). Everything else stays FP32. */
typedef enum sc_cc_wdtype {
  SC_CC_F32,         /* "f32": FP32 weights and activations */
  SC_CC_BF16,        /* "bf16": BF16 weights, activations rounded to BF16, FP32 sums */
  SC_CC_FP8,         /* "fp8": E4M3 weights with one scale per tensor, activations E4M3 with a
                        scale per row (max |x| / 448) */
  SC_CC_FP8_CHANNEL, /* "fp8-channel": the same with one weight scale per output channel */
  SC_CC_INT8,        /* "int8": weight-only INT8, one scale per output channel, BF16 array */
  SC_CC_INT4,        /* "int4": weight-only INT4, one scale per group of 32 inputs (or the
                        largest power of two dividing K), BF16 array */
  SC_CC_WDTYPE_COUNT
} sc_cc_wdtype;

const char *sc_cc_wdtype_name(sc_cc_wdtype t); /* "f32" ...; "?" out of range */
/* The dtype named s ("f32", "fp32", "bf16", "fp8", "fp8-channel", "int8", "int4"), or
 * SC_CC_WDTYPE_COUNT. */
sc_cc_wdtype sc_cc_wdtype_parse(const char *s);

typedef struct sc_cc_options {
  sc_cc_wdtype wdtype;
  /* Where the buffers that depend on the tokens per step (the %tokens input,
   * intermediates, logits) start in device memory; 0 = right after the
   * buffers every step of the model shares (weights, KV cache, tables), which
   * come first and at the same addresses for any step. A prefill program
   * loaded beside a decode program sets it past the decode program's end
   * (sc_cc_program_end) so that the two share the cache and weights and
   * nothing else. */
  uint64_t scratch_base;
  /* No weight data: the weights become buffers without contents (scratch),
   * and the model may be NULL. For the timing-only mode, where no data moves:
   * a full-size model compiles from its configuration alone. */
  bool no_weights;
  /* One-row matmuls through the weight-stationary tile path instead of the
   * GEMV (docs/COMPILER.md, "Decode matmuls"): the same bits, slower; for
   * comparing the two. */
  bool no_gemv;
  /* No fusion (docs/COMPILER.md, "Fusion"): every op on its own; the same
   * bits, slower; for comparing. */
  bool no_fuse;
  /* The KV cache's dtype: SC_DTYPE_FP32 (0, the default) or SC_DTYPE_BF16
   * (half the cache's bytes; K and V rounded to BF16 when written). */
  sc_dtype kv_dtype;
  /* Decode attention: the parts each (sequence, kv head) unit's positions
   * are split into, over several cores, then combined (docs/COMPILER.md,
   * "Decode attention"); 0 = as many as keep every core busy, 1 = none. */
  uint32_t attn_parts;
  /* Every intermediate in memory of its own instead of blocks taken again
   * once their values are dead (docs/COMPILER.md, "Buffers"): the same
   * bits, more memory; for comparing. */
  bool no_reuse;
  /* The row-wise work of a step of several rows (prefill, batched decode)
   * not split over the cores (docs/COMPILER.md, "Row splitting"): each fp8
   * matmul's every core computes and quantizes all of its x, and RoPE,
   * RMSNorm, adds and cache writes run on core 0. The same bits, slower; for
   * comparing. */
  bool serial_rows;
  /* A prefill's attention with FP32 MXU operands in every dtype, as in f32
   * (docs/COMPILER.md, "Prefill attention precision"), instead of q, K, V
   * and the probabilities in BF16; slower, for comparing. */
  bool attn_fp32;
  /* A prefill's attention reads the cache in blocks of positions, one DMA
   * each of keys and of values (docs/COMPILER.md, "Prefill attention
   * blocks"): 0 = blocks as large as the accumulators and SRAM allow; N =
   * at most N positions (rounded down to mxu.cols); fewer than mxu.cols =
   * no blocks, tile by tile through one tile buffer. The same bits; for
   * comparing. */
  uint32_t attn_block;
  /* The cores the program runs on: 0 = every core of the architecture, else
   * the first `cores` of them (at most the architecture's), the others left
   * without code (docs/COMPILER.md, "Cores"; sc_cc_cores_auto chooses). */
  uint32_t cores;
} sc_cc_options;

/* The cores a step graph's program uses well on arch: the most output tiles
 * (mxu.cols columns each) of any of its matmuls, at most the architecture's
 * cores. Past that, a core has no matmul tile to compute; it only shares
 * attention and the row-wise work, and every core more makes each barrier
 * wait for one more (docs/COMPILER.md, "Cores"). 1 for a graph without
 * matmuls. */
uint32_t sc_cc_cores_auto(const sc_graph *g, const sc_arch *arch);

/* The end of a program's device memory: the highest buffer end. */
uint64_t sc_cc_program_end(const sc_program *p);

/* Compiles a verified step graph (sc_cc_llama_graph, fp32; one token per
 * step for decode, or T <= mxu.rows tokens at consecutive positions for
 * prefill) to a program for arch, taking every const from model m by its
 * source name. The program's launch arguments are x1 = the token (decode) and
 * x2 = the (first) position; a prefill program reads its tokens from its
 * "tokens" input buffer (int32[T]); its buffers: the weights, "cc.rope" and "cc.consts" (const),
 * the KV cache (state), "logits" (output), intermediates (scratch). Its debug map names the graph
 * op of every instruction. listing (may be NULL) receives the generated assembly. UNSUPPORTED with
 * the value named for what this first generator does not do yet (other activation dtypes, more
 * tokens than mxu.rows, ops beyond the Llama step); NOT_FOUND for a weight the model lacks. */
SC_MUST_USE sc_status sc_cc_compile(const sc_graph *g, const sc_model *m, const sc_arch *arch,
                                    sc_program **out, sc_strbuf *listing, char *err,
                                    size_t err_size);
/* The same with options (NULL = all defaults: f32). */
SC_MUST_USE sc_status sc_cc_compile_opts(const sc_graph *g, const sc_model *m, const sc_arch *arch,
                                         const sc_cc_options *opt, sc_program **out,
                                         sc_strbuf *listing, char *err, size_t err_size);

/* Links the programs of chips 0 .. n-1 (each compiled for its chip: its
 * buffers in its own memory) into one program of a system of n chips of
 * `cores` cores each: chip c's code runs on cores c * cores + k, its buffers
 * keep their addresses and, past chip 0, are named "chip<c>/<name>". */
SC_MUST_USE sc_status sc_cc_link_system(const sc_program *const *progs, uint32_t n, uint32_t cores,
                                        sc_program **out, char *err, size_t err_size);

/* Builds, compiles and links a step of cfg over tp chips (tensor
 * parallelism, docs/COMPILER.md): tp graphs (sc_llama_step.tp_chip 0 ..
 * tp-1), each compiled with opt, linked. tp 1 is sc_cc_compile_opts of the
 * one graph. step->pp > 1 (with tp 1) builds its pp pipeline stages instead,
 * one per chip. listing (may be NULL) gets every chip's assembly. */
SC_MUST_USE sc_status sc_cc_compile_tp(const sc_model_config *cfg, const sc_llama_step *step,
                                       const sc_model *m, const sc_arch *arch,
                                       const sc_cc_options *opt, uint32_t tp, sc_program **out,
                                       sc_strbuf *listing, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
