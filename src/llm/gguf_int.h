/* gguf_int.h: the GGUF pieces layer `llm` shares between gguf.c (reader and
 * model loader), gguf_tok.c (tokenizers from GGUF metadata) and the fuzz
 * target, which drives them on bytes in memory instead of files. */
#ifndef SEEDCHIP_GGUF_INT_H
#define SEEDCHIP_GGUF_INT_H

#include <stddef.h>

#include "seedchip/gguf.h"
#include "seedchip/model.h"
#include "seedchip/tokenizer.h"

/* The name the reader was opened with (the message prefix). */
const char *llm_gguf_name(const sc_gguf *g);

/* Fills model m (new, from llm_model_new) from the parsed file g: the
 * configuration from `<arch>.*` metadata, every tensor (data borrowed from
 * g's bytes, which must live as long as m), then llm_model_check. Messages
 * start with g's name. */
SC_MUST_USE sc_status llm_gguf_build(sc_model *m, const sc_gguf *g, char *err, size_t err_size);

/* A tokenizer from g's tokenizer.ggml.* metadata (see sc_tok_from_gguf). */
SC_MUST_USE sc_status llm_gguf_tokenizer(const sc_gguf *g, sc_tokenizer **out, char *err,
                                         size_t err_size);

#endif
