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
} sc_llama_step;

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

/* Compiles a verified one-token step graph (sc_cc_llama_graph with tokens
 * 1, fp32) to a program for arch, taking every const from model m by its
 * source name. The program's launch arguments are x1 = the token, x2 = its
 * position; its buffers: the weights, "cc.rope" and "cc.consts" (const), the
 * KV cache (state), "logits" (output), intermediates (scratch). Its debug map
 * names the graph op of every instruction. listing (may be NULL) receives the
 * generated assembly. UNSUPPORTED with the value named for what this first
 * generator does not do yet (other dtypes, several tokens per step, ops
 * beyond the Llama step); NOT_FOUND for a weight the model lacks. */
SC_MUST_USE sc_status sc_cc_compile(const sc_graph *g, const sc_model *m, const sc_arch *arch,
                                    sc_program **out, sc_strbuf *listing, char *err,
                                    size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
